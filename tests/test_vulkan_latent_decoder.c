/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's decoder on a Vulkan device (lavapipe in CI), through
 * the public API (issue 12, items 3 and 6):
 *
 *  - a latent stream of the packaged clip (160x90, padded to the work size
 *    160x96, at r = 2, and 128x128 at r = 4; a
 *    reference arriving mid-stream) decoded with backend vulkan matches the
 *    CPU decoder picture by picture: no sample differs by more than the
 *    network tolerance of test_vulkan_latent.c (fp32 1e-4, fp16 1e-2 of
 *    [0, 1]) times 255, plus 1 for the rounding to 8 bits (the picture
 *    step's BT.601 rows have coefficients summing to less than 1 in
 *    magnitude, so they do not grow the error);
 *  - a device lost after the reference: in auto mode (on the device named
 *    "0", which auto takes even when it is lavapipe) the frame that hit the
 *    loss still comes out, rendered by the CPU from the kept reference,
 *    equal to the CPU decoder's; the fallback is logged and
 *    facet_decoder_get_backend() says CPU. Forced to Vulkan, that frame
 *    and every later one fail with ENODEV.
 *
 * Exits 77 (skip) with a message only when no Vulkan device exists at all.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/decoder_internal.h" /* the decoder's device, to lose it */
#include "facet/facet.h"
#include "render/vulkan/vk_device.h"
#include "render/vulkan/vk_internal.h" /* to lose the device on purpose */
#include "test_clip.h"
#include "vulkan_test_device.h"

#define LATENT_MODEL FACET_SOURCE_DIR "/models/facet-latent.safetensors"
#define NET_TOL_FP32 1e-4
#define NET_TOL_FP16 1e-2
#define FRAMES 40
#define MAX_PACKETS (2 * FRAMES)

typedef struct Stream {
    FacetPacket packets[MAX_PACKETS];
    int count;
    int last_reference;     /* index of the last reference fragment, -1: none */
} Stream;

static int is_reference(const FacetPacket *p)
{
    return p->data[0] == FACET_PACKET_TYPE_REFERENCE;
}

/* FRAMES frames of the clip at width x height, scale r, 30 kbit/s. */
static void encode_clip(Stream *stream, int width, int height, int r)
{
    memset(stream, 0, sizeof(*stream));
    stream->last_reference = -1;
    FacetEncoderSettings s;
    facet_encoder_default_settings(&s);
    s.width = width;
    s.height = height;
    s.fps_num = 25;
    s.mode = FACET_STREAM_MODE_LATENT;
    s.references = FACET_LATENT_REFERENCES_ON; /* the reference path is under test */
    s.bitrate = 30000;
    s.scale = r;
    s.latent_model_path = LATENT_MODEL;
    s.threads = 2;
    FacetEncoder *enc = NULL;
    ck_assert_int_eq(facet_encoder_open(&enc, &s), 0);
    VideoReader *reader = test_clip_open(width, height);
    for (int i = 0; i < FRAMES; i++) {
        FacetPicture frame;
        ck_assert_int_eq(video_reader_read(reader, &frame), 1);
        frame.pts = i;
        ck_assert_int_eq(facet_encoder_send_frame(enc, &frame), 0);
        facet_picture_unref(&frame);
        FacetPacket packet;
        while (facet_encoder_receive_packet(enc, &packet) == 0) {
            ck_assert_int_lt(stream->count, MAX_PACKETS);
            if (is_reference(&packet))
                stream->last_reference = stream->count;
            stream->packets[stream->count++] = packet;
        }
    }
    video_reader_close(&reader);
    facet_encoder_close(&enc);
    /* The reference must be whole before the last frames, or the frames
     * with a reference would not be compared. */
    ck_assert_int_ge(stream->last_reference, 0);
    ck_assert_int_lt(stream->last_reference, stream->count - 3);
}

static void free_stream(Stream *stream)
{
    for (int i = 0; i < stream->count; i++)
        facet_packet_unref(&stream->packets[i]);
}

/* What the decoder logs, kept for the checks. */
typedef struct LogCapture {
    char text[8192];
} LogCapture;

static void capture_log(void *opaque, const char *message)
{
    LogCapture *log = opaque;
    size_t used = strlen(log->text);
    snprintf(log->text + used, sizeof(log->text) - used, "%s\n", message);
}

static FacetDecoder *open_decoder(FacetBackend backend, const char *device, LogCapture *log)
{
    FacetDecoderSettings ds;
    facet_decoder_default_settings(&ds);
    ds.latent_model_path = LATENT_MODEL;
    ds.model_path = "";
    ds.backend = backend;
    ds.device = device;
    ds.threads = 2;
    ds.log_callback = capture_log;
    ds.log_opaque = log;
    FacetDecoder *dec = NULL;
    ck_assert_int_eq(facet_decoder_open(&dec, &ds), 0);
    return dec;
}

/* Sends packet i; a frame, when the packet gives one, goes to *out
 * (zeroed otherwise). Returns the send code. */
static int decode_packet(FacetDecoder *dec, const Stream *stream, int i, FacetPicture *out)
{
    memset(out, 0, sizeof(*out));
    int ret = facet_decoder_send_packet(dec, &stream->packets[i]);
    if (ret == 0 && !is_reference(&stream->packets[i]))
        ck_assert_int_eq(facet_decoder_receive_frame(dec, out), 0);
    return ret;
}

/* Every packet's frame (buffer NULL for reference fragments). */
static void decode_all(FacetBackend backend, const Stream *stream, FacetPicture *out,
                       double *tolerance)
{
    LogCapture log = { { 0 } };
    FacetDecoder *dec = open_decoder(backend, NULL, &log);
    for (int i = 0; i < stream->count; i++)
        ck_assert_int_eq(decode_packet(dec, stream, i, &out[i]), 0);
    /* Still on the back end asked for: nothing failed over. */
    FacetBackend used;
    const char *name;
    ck_assert_int_eq(facet_decoder_get_backend(dec, &used, &name), 0);
    ck_assert_msg(used == backend, "decoded on %s, asked for %d\n%s", name, (int)backend,
                  log.text);
    if (tolerance) {
        FacetVkDevice *dev = facet_decoder_vulkan_device(dec);
        ck_assert_ptr_nonnull(dev);
        *tolerance = facet_vk_device_fp16(dev) ? NET_TOL_FP16 : NET_TOL_FP32;
        printf("  decoded on %s (%s storage)\n", name,
               facet_vk_device_fp16(dev) ? "fp16" : "fp32");
    }
    facet_decoder_close(&dec);
}

/* The largest difference of any sample of two I420 pictures. */
static int max_sample_diff(const FacetPicture *a, const FacetPicture *b)
{
    ck_assert_int_eq(a->width, b->width);
    ck_assert_int_eq(a->height, b->height);
    int worst = 0;
    for (int plane = 0; plane < 3; plane++) {
        int w = plane ? (a->width + 1) / 2 : a->width;
        int h = plane ? (a->height + 1) / 2 : a->height;
        for (int y = 0; y < h; y++) {
            const uint8_t *pa = a->data[plane] + (ptrdiff_t)y * a->stride[plane];
            const uint8_t *pb = b->data[plane] + (ptrdiff_t)y * b->stride[plane];
            for (int x = 0; x < w; x++) {
                int d = abs((int)pa[x] - (int)pb[x]);
                if (d > worst)
                    worst = d;
            }
        }
    }
    return worst;
}

static void check_vulkan_matches_cpu(int width, int height, int r)
{
    Stream stream;
    encode_clip(&stream, width, height, r);
    FacetPicture cpu[MAX_PACKETS], vk[MAX_PACKETS];
    double tolerance = 0.0;
    decode_all(FACET_BACKEND_CPU, &stream, cpu, NULL);
    decode_all(FACET_BACKEND_VULKAN, &stream, vk, &tolerance);
    int limit = (int)(tolerance * 255.0) + 1, worst = 0, frames = 0;
    for (int i = 0; i < stream.count; i++) {
        ck_assert((cpu[i].buffer != NULL) == (vk[i].buffer != NULL));
        if (cpu[i].buffer) {
            ck_assert_int_eq(vk[i].width, width);
            ck_assert_int_eq(vk[i].height, height);
            int d = max_sample_diff(&cpu[i], &vk[i]);
            ck_assert_msg(d <= limit, "%dx%d r %d, packet %d: a sample differs by %d > %d",
                          width, height, r, i, d, limit);
            worst = d > worst ? d : worst;
            frames++;
        }
        facet_picture_unref(&cpu[i]);
        facet_picture_unref(&vk[i]);
    }
    printf("  %dx%d r %d: %d frames (reference whole after packet %d), Vulkan against CPU: "
           "largest sample difference %d (limit %d)\n",
           width, height, r, frames, stream.last_reference, worst, limit);
    ck_assert_int_eq(frames, FRAMES);
    free_stream(&stream);
}

START_TEST(test_vulkan_matches_cpu_r2)
{
    check_vulkan_matches_cpu(160, 90, 2); /* padded to 160x96 and cropped */
}
END_TEST

START_TEST(test_vulkan_matches_cpu_r4)
{
    check_vulkan_matches_cpu(128, 128, 4);
}
END_TEST

START_TEST(test_lost_device)
{
    Stream stream;
    encode_clip(&stream, 128, 96, 2);
    FacetPicture cpu[MAX_PACKETS];
    decode_all(FACET_BACKEND_CPU, &stream, cpu, NULL);
    /* The first frame after the whole reference hits the loss. */
    int lost_at = stream.last_reference + 1;
    ck_assert(!is_reference(&stream.packets[lost_at]));

    static const FacetBackend modes[] = { FACET_BACKEND_AUTO, FACET_BACKEND_VULKAN };
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        LogCapture log = { { 0 } };
        FacetDecoder *dec = open_decoder(modes[m], "0", &log);
        FacetPicture out;
        for (int i = 0; i < lost_at; i++) {
            ck_assert_int_eq(decode_packet(dec, &stream, i, &out), 0);
            facet_picture_unref(&out);
        }
        FacetBackend used;
        const char *name;
        ck_assert_int_eq(facet_decoder_get_backend(dec, &used, &name), 0);
        ck_assert_int_eq(used, FACET_BACKEND_VULKAN);
        FacetVkDevice *dev = facet_decoder_vulkan_device(dec);
        ck_assert_ptr_nonnull(dev);
        facet_vk_fail(dev, VK_ERROR_DEVICE_LOST, "test");

        int ret = decode_packet(dec, &stream, lost_at, &out);
        if (modes[m] == FACET_BACKEND_AUTO) {
            ck_assert_int_eq(ret, 0);
            int d = max_sample_diff(&cpu[lost_at], &out);
            printf("  after the loss, auto: the CPU's frame, largest difference %d from the "
                   "CPU decoder's\n", d);
            ck_assert_int_eq(d, 0);
            facet_picture_unref(&out);
            ck_assert_int_eq(facet_decoder_get_backend(dec, &used, &name), 0);
            ck_assert_int_eq(used, FACET_BACKEND_CPU);
            ck_assert_ptr_null(facet_decoder_vulkan_device(dec));
            ck_assert_msg(strstr(log.text, "falling back to the CPU") != NULL, "%s", log.text);
            /* And the rest of the stream on the CPU, as the CPU decoder. */
            for (int i = lost_at + 1; i < stream.count; i++) {
                ck_assert_int_eq(decode_packet(dec, &stream, i, &out), 0);
                if (out.buffer)
                    ck_assert_int_eq(max_sample_diff(&cpu[i], &out), 0);
                facet_picture_unref(&out);
            }
        } else {
            ck_assert_int_eq(ret, FACET_ERR(ENODEV));
            /* The next frame too (the same one again would be a duplicate,
             * EALREADY). */
            ck_assert(!is_reference(&stream.packets[lost_at + 1]));
            ck_assert_int_eq(decode_packet(dec, &stream, lost_at + 1, &out), FACET_ERR(ENODEV));
            ck_assert_msg(strstr(log.text, "VK_ERROR_DEVICE_LOST") != NULL, "%s", log.text);
        }
        facet_decoder_close(&dec);
    }
    for (int i = 0; i < stream.count; i++)
        facet_picture_unref(&cpu[i]);
    free_stream(&stream);
}
END_TEST

static Suite *vulkan_latent_decoder_suite(void)
{
    Suite *s = suite_create("vulkan_latent_decoder");
    TCase *tc = tcase_create("decoder");
    tcase_add_test(tc, test_vulkan_matches_cpu_r2);
    tcase_add_test(tc, test_vulkan_matches_cpu_r4);
    tcase_add_test(tc, test_lost_device);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int status = vulkan_test_check_device();
    if (status >= 0)
        return status;
    SRunner *sr = srunner_create(vulkan_latent_decoder_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
