/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * FacetDecoderSettings.latent_upscale = FACET_LATENT_UPSCALE_LANCZOS: a
 * latent stream of the packaged clip decodes without any latent model
 * (a bogus path is never opened), every frame at the stream size (a size
 * that is not a multiple of 32, so the crop is exercised), in I420 and
 * RGB24, near the source and not the network's picture; references are
 * taken and the chain checks stay; mutated packets give a code or a
 * picture; other values are EINVAL; keypoint-tier streams ignore the
 * setting.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <libavutil/log.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facet/facet.h"
#include "test_clip.h"
#include "test_pictures.h"
#include "video_reader.h"

#define LATENT_MODEL FACET_SOURCE_DIR "/models/facet-latent.safetensors"
#define BOGUS_MODEL "/nonexistent/facet-latent-bogus.safetensors"
/* Work size 160x128: the decoder crops 16 columns and 16 rows. */
#define WIDTH 144
#define HEIGHT 112
#define FRAMES 40
#define MAX_PACKETS 128

typedef struct Stream {
    FacetPacket packets[MAX_PACKETS];
    int count;
    FacetPicture frames[FRAMES];
} Stream;

static void quiet_log(void *opaque, const char *message)
{
    (void)opaque;
    (void)message;
}

static void encode_clip(Stream *stream)
{
    memset(stream, 0, sizeof(*stream));
    FacetEncoderSettings s;
    facet_encoder_default_settings(&s);
    s.width = WIDTH;
    s.height = HEIGHT;
    s.fps_num = 25;
    s.mode = FACET_STREAM_MODE_LATENT;
    s.references = FACET_LATENT_REFERENCES_ON; /* the reference path is under test */
    s.bitrate = 12000;
    s.latent_model_path = LATENT_MODEL;
    s.threads = 2;
    s.log_callback = quiet_log;
    FacetEncoder *enc = NULL;
    ck_assert_int_eq(facet_encoder_open(&enc, &s), 0);
    VideoReader *reader = test_clip_open(WIDTH, HEIGHT);
    for (int i = 0; i < FRAMES; i++) {
        FacetPicture *frame = &stream->frames[i];
        ck_assert_int_eq(video_reader_read(reader, frame), 1);
        frame->pts = i;
        ck_assert_int_eq(facet_encoder_send_frame(enc, frame), 0);
        FacetPacket packet;
        while (facet_encoder_receive_packet(enc, &packet) == 0) {
            ck_assert_int_lt(stream->count, MAX_PACKETS);
            stream->packets[stream->count++] = packet;
        }
    }
    video_reader_close(&reader);
    facet_encoder_close(&enc);
}

static void free_stream(Stream *stream)
{
    for (int i = 0; i < stream->count; i++)
        facet_packet_unref(&stream->packets[i]);
    for (int i = 0; i < FRAMES; i++)
        facet_picture_unref(&stream->frames[i]);
}

static FacetDecoder *open_decoder(FacetLatentUpscale upscale, const char *latent_model,
                                  FacetPixelFormat format)
{
    FacetDecoderSettings s;
    facet_decoder_default_settings(&s);
    s.latent_model_path = latent_model;
    s.model_path = "";
    s.backend = FACET_BACKEND_CPU;
    s.threads = 2;
    s.output_format = format;
    s.log_callback = quiet_log;
    s.latent_upscale = upscale;
    FacetDecoder *dec = NULL;
    ck_assert_int_eq(facet_decoder_open(&dec, &s), 0);
    return dec;
}

/* Decodes the whole stream; every low-resolution packet must give a frame
 * of the stream size in `format`, every reference fragment none. Returns
 * the frames (FRAMES of them) in `out`. */
static void decode_stream(const Stream *stream, FacetDecoder *dec, FacetPixelFormat format,
                          FacetPicture out[FRAMES])
{
    int frames = 0, references = 0;
    for (int i = 0; i < stream->count; i++) {
        const FacetPacket *packet = &stream->packets[i];
        ck_assert_msg(facet_decoder_send_packet(dec, packet) == 0, "packet %d", i);
        FacetPicture picture;
        int got = facet_decoder_receive_frame(dec, &picture);
        if (packet->data[0] == FACET_PACKET_TYPE_REFERENCE) {
            ck_assert_int_eq(got, FACET_ERR(EAGAIN));
            references++;
            continue;
        }
        ck_assert_int_eq(got, 0);
        ck_assert_int_lt(frames, FRAMES);
        ck_assert_int_eq(picture.format, format);
        ck_assert_int_eq(picture.width, WIDTH);
        ck_assert_int_eq(picture.height, HEIGHT);
        ck_assert_int_eq(picture.pts, frames);
        out[frames++] = picture;
    }
    ck_assert_int_eq(frames, FRAMES);
    ck_assert_int_gt(references, 0); /* the stream's first reference was taken */
}

static void free_frames(FacetPicture frames[FRAMES])
{
    for (int i = 0; i < FRAMES; i++)
        facet_picture_unref(&frames[i]);
}

/* Mean absolute difference of the luma planes. */
static double luma_difference(const FacetPicture *a, const FacetPicture *b)
{
    double sum = 0.0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++)
            sum += fabs((double)a->data[0][y * a->stride[0] + x] -
                        (double)b->data[0][y * b->stride[0] + x]);
    return sum / ((double)a->width * a->height);
}

START_TEST(test_lanczos_without_model)
{
    Stream stream;
    encode_clip(&stream);

    /* The bogus path is really refused by the network... */
    FacetDecoder *dec = open_decoder(FACET_LATENT_UPSCALE_NETWORK, BOGUS_MODEL,
                                     FACET_PIXEL_FORMAT_I420);
    ck_assert_int_lt(facet_decoder_send_packet(dec, &stream.packets[0]), 0);
    facet_decoder_close(&dec);

    /* ... and never opened with Lanczos. */
    static FacetPicture lanczos[FRAMES], network[FRAMES];
    dec = open_decoder(FACET_LATENT_UPSCALE_LANCZOS, BOGUS_MODEL, FACET_PIXEL_FORMAT_I420);
    decode_stream(&stream, dec, FACET_PIXEL_FORMAT_I420, lanczos);
    FacetStreamInfo info;
    ck_assert_int_eq(facet_decoder_get_stream_info(dec, &info), 0);
    ck_assert_int_eq(info.mode, FACET_STREAM_MODE_LATENT);
    ck_assert_int_eq(info.width, WIDTH);
    ck_assert_int_eq(info.height, HEIGHT);
    facet_decoder_close(&dec);

    dec = open_decoder(FACET_LATENT_UPSCALE_NETWORK, LATENT_MODEL, FACET_PIXEL_FORMAT_I420);
    decode_stream(&stream, dec, FACET_PIXEL_FORMAT_I420, network);
    facet_decoder_close(&dec);

    double psnr_lanczos = 0.0, psnr_network = 0.0, difference = 0.0;
    for (int i = 0; i < FRAMES; i++) {
        psnr_lanczos += test_picture_psnr(&stream.frames[i], &lanczos[i]) / FRAMES;
        psnr_network += test_picture_psnr(&stream.frames[i], &network[i]) / FRAMES;
        difference += luma_difference(&lanczos[i], &network[i]) / FRAMES;
    }
    printf("%dx%d, %d frames: Lanczos %.2f dB, network %.2f dB, mean |luma difference| %.2f\n",
           WIDTH, HEIGHT, FRAMES, psnr_lanczos, psnr_network, difference);
    /* A floor, not a measurement: an upscaled picture of the source, not
     * noise, a shifted or a wrongly cropped picture. */
    ck_assert_msg(psnr_lanczos > 20.0, "Lanczos PSNR %.2f dB", psnr_lanczos);
    /* Another picture than the network's (it sees the reference). */
    ck_assert_msg(difference > 0.5, "Lanczos is the network's picture (%.3f)", difference);
    free_frames(lanczos);
    free_frames(network);

    /* RGB24 out, with no model at all: the same pictures, converted. */
    static FacetPicture rgb[FRAMES];
    dec = open_decoder(FACET_LATENT_UPSCALE_LANCZOS, "", FACET_PIXEL_FORMAT_RGB24);
    decode_stream(&stream, dec, FACET_PIXEL_FORMAT_RGB24, rgb);
    facet_decoder_close(&dec);
    free_frames(rgb);
    free_stream(&stream);
}
END_TEST

START_TEST(test_lanczos_chain_checks)
{
    /* Lanczos keeps the latent decoder's checks: a lost low-resolution
     * packet breaks the chain (EPIPE) until the next keyframe, a repeat is
     * EALREADY, a fragment before any keyframe is ENOENT. */
    Stream stream;
    encode_clip(&stream);
    FacetDecoder *dec = open_decoder(FACET_LATENT_UPSCALE_LANCZOS, "", FACET_PIXEL_FORMAT_I420);
    int first_frame = -1, first_reference = -1;
    for (int i = 0; i < stream.count; i++) {
        int type = stream.packets[i].data[0];
        if (type == FACET_PACKET_TYPE_REFERENCE && first_reference < 0)
            first_reference = i;
        if (type == FACET_PACKET_TYPE_LATENT_FRAME_SHORT && first_frame < 0)
            first_frame = i;
    }
    ck_assert_int_ge(first_reference, 0);
    ck_assert_int_ge(first_frame, 0);
    ck_assert_int_eq(facet_decoder_send_packet(dec, &stream.packets[first_reference]),
                     FACET_ERR(ENOENT));
    FacetPicture picture;
    ck_assert_int_eq(facet_decoder_send_packet(dec, &stream.packets[0]), 0);
    ck_assert_int_eq(facet_decoder_receive_frame(dec, &picture), 0);
    facet_picture_unref(&picture);
    ck_assert_int_eq(facet_decoder_send_packet(dec, &stream.packets[0]), 0); /* a keyframe again */
    ck_assert_int_eq(facet_decoder_receive_frame(dec, &picture), 0);
    facet_picture_unref(&picture);
    /* Skip the first low-resolution frame after the keyframe. */
    int sent = 0;
    for (int i = first_frame + 1; i < stream.count && sent < 3; i++) {
        if (stream.packets[i].data[0] != FACET_PACKET_TYPE_LATENT_FRAME_SHORT)
            continue;
        ck_assert_int_eq(facet_decoder_send_packet(dec, &stream.packets[i]), FACET_ERR(EPIPE));
        sent++;
    }
    ck_assert_int_eq(sent, 3);
    ck_assert_int_eq(facet_decoder_send_packet(dec, &stream.packets[0]), 0);
    ck_assert_int_eq(facet_decoder_receive_frame(dec, &picture), 0);
    facet_picture_unref(&picture);
    ck_assert_int_eq(facet_decoder_send_packet(dec, &stream.packets[first_frame]), 0);
    ck_assert_int_eq(facet_decoder_receive_frame(dec, &picture), 0);
    facet_picture_unref(&picture);
    ck_assert_int_eq(facet_decoder_send_packet(dec, &stream.packets[first_frame]),
                     FACET_ERR(EALREADY));
    facet_decoder_close(&dec);
    free_stream(&stream);
}
END_TEST

START_TEST(test_lanczos_mutated_packets)
{
    /* Lanczos has no network to check the stream's size against: every
     * byte of a keyframe, a frame and a fragment flipped in turn gives a
     * code or a picture of the stream size, never a crash (ASan builds). */
    Stream stream;
    encode_clip(&stream);
    static const int types[3] = { FACET_PACKET_TYPE_LATENT_KEYFRAME,
                                  FACET_PACKET_TYPE_LATENT_FRAME_SHORT,
                                  FACET_PACKET_TYPE_REFERENCE };
    int picks[3] = { -1, -1, -1 };
    for (int i = 0; i < stream.count; i++)
        for (int k = 0; k < 3; k++)
            if (stream.packets[i].data[0] == types[k] && picks[k] < 0)
                picks[k] = i;
    FacetDecoder *dec = open_decoder(FACET_LATENT_UPSCALE_LANCZOS, "", FACET_PIXEL_FORMAT_I420);
    for (int k = 0; k < 3; k++) {
        ck_assert_int_ge(picks[k], 0);
        const FacetPacket *original = &stream.packets[picks[k]];
        size_t limit = original->size < 64 ? original->size : 64;
        for (size_t pos = 0; pos < limit; pos++) {
            static uint8_t copy[65536];
            ck_assert_uint_le(original->size, sizeof(copy));
            memcpy(copy, original->data, original->size);
            copy[pos] ^= 0x5a;
            FacetPicture picture;
            for (int i = 0; i < picks[k]; i++) {
                if (facet_decoder_send_packet(dec, &stream.packets[i]) == 0 &&
                    facet_decoder_receive_frame(dec, &picture) == 0)
                    facet_picture_unref(&picture);
            }
            FacetPacket bad = *original;
            bad.data = copy;
            if (facet_decoder_send_packet(dec, &bad) == 0 &&
                facet_decoder_receive_frame(dec, &picture) == 0) {
                FacetStreamInfo info;
                ck_assert_int_eq(facet_decoder_get_stream_info(dec, &info), 0);
                ck_assert_int_eq(picture.width, info.width);
                ck_assert_int_eq(picture.height, info.height);
                facet_picture_unref(&picture);
            }
            facet_decoder_flush(dec);
        }
    }
    facet_decoder_close(&dec);
    free_stream(&stream);
}
END_TEST

START_TEST(test_invalid_upscale)
{
    FacetDecoderSettings s;
    facet_decoder_default_settings(&s);
    ck_assert_int_eq(s.latent_upscale, FACET_LATENT_UPSCALE_NETWORK);
    s.model_path = "";
    s.latent_model_path = "";
    static const int bad[] = { 2, -1, 1000 };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s.latent_upscale = (FacetLatentUpscale)bad[i];
        FacetDecoder *dec = (FacetDecoder *)&s; /* must come back NULL */
        ck_assert_int_eq(facet_decoder_open(&dec, &s), FACET_ERR(EINVAL));
        ck_assert_ptr_null(dec);
    }
}
END_TEST

START_TEST(test_intra_stream_ignores_it)
{
    /* A keypoint-tier stream (intra-only here) decodes as without it. */
    FacetEncoderSettings es;
    facet_encoder_default_settings(&es);
    es.width = 64;
    es.height = 48;
    es.model_path = "";
    es.threads = 2;
    es.log_callback = quiet_log;
    FacetEncoder *enc = NULL;
    ck_assert_int_eq(facet_encoder_open(&enc, &es), 0);
    FacetDecoder *plain = open_decoder(FACET_LATENT_UPSCALE_NETWORK, "", FACET_PIXEL_FORMAT_I420);
    FacetDecoder *lanczos = open_decoder(FACET_LATENT_UPSCALE_LANCZOS, "",
                                         FACET_PIXEL_FORMAT_I420);
    for (int i = 0; i < 3; i++) {
        FacetPicture frame = test_picture_make(FACET_PIXEL_FORMAT_I420, 64, 48, i);
        frame.pts = i;
        ck_assert_int_eq(facet_encoder_send_frame(enc, &frame), 0);
        facet_picture_unref(&frame);
        FacetPacket packet;
        ck_assert_int_eq(facet_encoder_receive_packet(enc, &packet), 0);
        FacetPicture a, b;
        ck_assert_int_eq(facet_decoder_send_packet(plain, &packet), 0);
        ck_assert_int_eq(facet_decoder_send_packet(lanczos, &packet), 0);
        ck_assert_int_eq(facet_decoder_receive_frame(plain, &a), 0);
        ck_assert_int_eq(facet_decoder_receive_frame(lanczos, &b), 0);
        ck_assert_int_eq(b.width, 64);
        ck_assert_int_eq(b.height, 48);
        ck_assert(test_picture_psnr(&a, &b) >= 100.0); /* identical */
        facet_picture_unref(&a);
        facet_picture_unref(&b);
        facet_packet_unref(&packet);
    }
    facet_decoder_close(&plain);
    facet_decoder_close(&lanczos);
    facet_encoder_close(&enc);
}
END_TEST

static Suite *latent_lanczos_suite(void)
{
    Suite *s = suite_create("latent_lanczos");
    TCase *tc = tcase_create("lanczos");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_lanczos_without_model);
    tcase_add_test(tc, test_lanczos_chain_checks);
    tcase_add_test(tc, test_lanczos_mutated_packets);
    tcase_add_test(tc, test_invalid_upscale);
    tcase_add_test(tc, test_intra_stream_ignores_it);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    av_log_set_level(AV_LOG_QUIET);
    SRunner *runner = srunner_create(latent_lanczos_suite());
    srunner_run_all(runner, CK_VERBOSE);
    int failures = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
