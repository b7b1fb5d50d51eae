/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The whole renderer on the Vulkan device (render/vulkan/vk_renderer.h)
 * against PyTorch (tests/golden/network.safetensors, as tests/test_network.c
 * does for the CPU renderer) and against the CPU renderer at another size,
 * in fp32 and, where the device has 16-bit storage, fp16. Max absolute
 * error on images in [0, 1]:
 *
 *   TOL_FP32  1e-4  the shaders do the C kernels' arithmetic in another
 *                   order (measured on lavapipe: 4e-7 against PyTorch,
 *                   2e-6 against the C renderer)
 *   TOL_FP16  1e-2  every activation is stored in half precision (2^-11
 *                   relative) through ~30 layers: 2.5 levels of 8 bits
 *                   (measured on lavapipe: 6e-4 and 2.2e-3)
 *
 * Also: a frame depends only on the keyframe and its own keypoints; bad
 * arguments are -EINVAL, a frame before any keyframe -ENODATA; the public
 * decoder forced onto Vulkan decodes a stream to the pictures the CPU
 * decoder makes (MIN_DECODER_PSNR). Skips (77) only when no Vulkan device
 * exists at all.
 */
#include "codec/decoder_internal.h" /* the decoder's device, to lose it */
#include "facet/facet.h"
#include "render/network.h"
#include "render/renderer.h"
#include "render/safetensors.h"
#include "render/vulkan/vk_device.h"
#include "render/vulkan/vk_graph.h"
#include "render/vulkan/vk_internal.h" /* to lose the device on purpose */
#include "render/vulkan/vk_renderer.h"

#include <check.h>
#include <errno.h>
#include <libavutil/log.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden_vectors.h"
#include "test_pictures.h"
#include "vulkan_test_device.h"

#define TOL_FP32 1e-4
#define TOL_FP16 1e-2
#define GOLDEN_SIZE 64
/* Decoded delta frames, Vulkan against CPU, in dB over the I420 samples:
 * the renderers differ by < 1e-2 (fp16), under one 8-bit level almost
 * everywhere. */
#define MIN_DECODER_PSNR 40.0
#define DECODER_FRAMES 2

static const Precision precisions[] = {
    {"fp32", FACET_VK_FORCE_FP32, TOL_FP32},
    {"fp16", 0, TOL_FP16},
};

static FacetNetwork *open_model(void)
{
    char error[512];
    FacetNetwork *net = NULL;
    int ret = facet_network_open(&net, FACET_SOURCE_DIR "/models/facet-256.safetensors", error,
                                 sizeof(error));
    ck_assert_msg(ret == 0, "cannot load the model: %s", error);
    return net;
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        worst = d <= worst ? worst : isnan(d) ? INFINITY : d;
    }
    return worst;
}

static void expect_close(const char *what, const Precision *p, double err)
{
    printf("  %-44s %s max abs error %.2e (tolerance %.0e)\n", what, p->name, err, p->tolerance);
    ck_assert_msg(err <= p->tolerance, "%s (%s): max abs error %g > %g", what, p->name, err,
                  p->tolerance);
}

START_TEST(test_render_golden)
{
    FacetNetwork *net = open_model();
    FacetModelFile *g = golden_open();
    int k = facet_network_num_keypoints(net);
    FacetTensor keyframe = golden_tensor(g, "image.keyframe", 3, GOLDEN_SIZE, GOLDEN_SIZE);
    FacetTensor expected = golden_tensor(g, "render.image", 3, GOLDEN_SIZE, GOLDEN_SIZE);
    FacetKeypointSet kp_ref = golden_keypoints(g, "keypoints.keyframe", k);
    FacetKeypointSet kp_cur = golden_keypoints(g, "keypoints.current2", k);
    FacetKeypointSet other = golden_keypoints(g, "keypoints.current", k);
    FacetTensor out, again;
    ck_assert_int_eq(facet_tensor_alloc(&out, 3, GOLDEN_SIZE, GOLDEN_SIZE), 0);
    ck_assert_int_eq(facet_tensor_alloc(&again, 3, GOLDEN_SIZE, GOLDEN_SIZE), 0);
    for (size_t pi = 0; pi < 2; pi++) {
        FacetVkDevice *dev = vulkan_test_open_device(&precisions[pi]);
        if (!dev)
            continue;
        char error[512];
        FacetVkRenderer *r = NULL;
        int ret = facet_vk_renderer_create(&r, dev, net, GOLDEN_SIZE, error, sizeof(error));
        ck_assert_msg(ret == 0, "%s", error);
        ck_assert_int_eq(facet_vk_renderer_set_keyframe(r, &keyframe, &kp_ref), 0);
        ck_assert_int_eq(facet_vk_renderer_render(r, &kp_cur, &out), 0);
        expect_close("render.image", &precisions[pi],
                     max_abs_diff(out.data, expected.data, facet_tensor_size(&out)));

        /* Every frame depends only on the keyframe and its own keypoints. */
        ck_assert_int_eq(facet_vk_renderer_render(r, &other, &again), 0);
        ck_assert_int_eq(facet_vk_renderer_render(r, &kp_cur, &again), 0);
        ck_assert_mem_eq(out.data, again.data, facet_tensor_size(&out) * sizeof(float));

        /* The frame graph was timed op by op when the device has timestamps. */
        const FacetVkGraph *fg = facet_vk_renderer_frame_graph(r);
        ck_assert_int_gt(facet_vk_graph_op_count(fg), 20);
        ck_assert_str_eq(facet_vk_graph_op_label(fg, 0), "motion_inputs");
        facet_vk_renderer_destroy(&r);
        ck_assert_ptr_null(r);
        facet_vk_device_close(&dev);
    }
    facet_tensor_free(&out);
    facet_tensor_free(&again);
    facet_tensor_free(&keyframe);
    facet_tensor_free(&expected);
    facet_model_file_close(&g);
    facet_network_close(&net);
}
END_TEST

/* Against the CPU renderer at 96 x 96 (not the golden size), on a smooth
 * synthetic keyframe and keypoints moved from the keyframe's. */
START_TEST(test_render_matches_cpu)
{
    FacetNetwork *net = open_model();
    const int size = 96;
    int k = facet_network_num_keypoints(net);
    FacetTensor keyframe, cpu_out, vk_out;
    ck_assert_int_eq(facet_tensor_alloc(&keyframe, 3, size, size), 0);
    ck_assert_int_eq(facet_tensor_alloc(&cpu_out, 3, size, size), 0);
    ck_assert_int_eq(facet_tensor_alloc(&vk_out, 3, size, size), 0);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                facet_tensor_channel(&keyframe, c)[y * size + x] =
                    0.5f + 0.4f * sinf(0.11f * (float)(x * (c + 1)) + 0.07f * (float)y);
    FacetKeypointSet kp_ref, kp_cur;
    memset(&kp_ref, 0, sizeof(kp_ref));
    kp_ref.count = k;
    for (int i = 0; i < k; i++) {
        FacetKeypoint *p = &kp_ref.points[i];
        p->x = -0.8f + 1.6f * (float)i / (float)k;
        p->y = 0.5f * sinf((float)i);
        p->jacobian[0][0] = p->jacobian[1][1] = 1.0f;
        p->jacobian[0][1] = 0.1f * (float)(i % 3);
    }
    kp_cur = kp_ref;
    for (int i = 0; i < k; i++) {
        kp_cur.points[i].x += 0.05f;
        kp_cur.points[i].y -= 0.03f * (float)(i % 2);
        kp_cur.points[i].jacobian[1][0] = 0.2f;
    }
    FacetRenderer *cpu = NULL;
    ck_assert_int_eq(facet_renderer_create(&cpu, net, size, NULL, FACET_RENDER_OPS_FORCE_C), 0);
    ck_assert_int_eq(facet_renderer_set_keyframe(cpu, &keyframe, &kp_ref), 0);
    ck_assert_int_eq(facet_renderer_render(cpu, &kp_cur, &cpu_out), 0);
    facet_renderer_destroy(&cpu);
    for (size_t pi = 0; pi < 2; pi++) {
        FacetVkDevice *dev = vulkan_test_open_device(&precisions[pi]);
        if (!dev)
            continue;
        FacetVkRenderer *r = NULL;
        ck_assert_int_eq(facet_vk_renderer_create(&r, dev, net, size, NULL, 0), 0);
        ck_assert_int_eq(facet_vk_renderer_set_keyframe(r, &keyframe, &kp_ref), 0);
        ck_assert_int_eq(facet_vk_renderer_render(r, &kp_cur, &vk_out), 0);
        expect_close("96x96 frame against the CPU renderer", &precisions[pi],
                     max_abs_diff(vk_out.data, cpu_out.data, facet_tensor_size(&vk_out)));
        facet_vk_renderer_destroy(&r);
        facet_vk_device_close(&dev);
    }
    facet_tensor_free(&keyframe);
    facet_tensor_free(&cpu_out);
    facet_tensor_free(&vk_out);
    facet_network_close(&net);
}
END_TEST

START_TEST(test_bad_arguments)
{
    FacetNetwork *net = open_model();
    FacetVkDevice *dev = vulkan_test_open_device(&precisions[0]);
    int k = facet_network_num_keypoints(net);
    char error[256];
    FacetVkRenderer *r = (FacetVkRenderer *)&error; /* must be reset to NULL */
    ck_assert_int_eq(facet_vk_renderer_create(&r, dev, net, 48, error, sizeof(error)), -EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(facet_vk_renderer_create(&r, NULL, net, 64, NULL, 0), -EINVAL);
    ck_assert_int_eq(facet_vk_renderer_create(&r, dev, NULL, 64, NULL, 0), -EINVAL);
    ck_assert_int_eq(facet_vk_renderer_create(NULL, dev, net, 64, NULL, 0), -EINVAL);
    /* 4096 x 4096 needs buffers far over lavapipe's 128 MiB range (and any
     * device's 4 GiB): a clear error, no crash. */
    int ret = facet_vk_renderer_create(&r, dev, net, 4096, error, sizeof(error));
    ck_assert_msg(ret == -ENOMEM, "4096: %d %s", ret, error);
    ck_assert_ptr_null(r);
    printf("  4096 x 4096: %s\n", error);

    ck_assert_int_eq(facet_vk_renderer_create(&r, dev, net, 64, NULL, 0), 0);
    FacetTensor image, small;
    ck_assert_int_eq(facet_tensor_alloc(&image, 3, 64, 64), 0);
    ck_assert_int_eq(facet_tensor_alloc(&small, 3, 32, 32), 0);
    FacetKeypointSet kp;
    memset(&kp, 0, sizeof(kp));
    kp.count = k;
    ck_assert_int_eq(facet_vk_renderer_render(r, &kp, &image), -ENODATA);
    ck_assert_int_eq(facet_vk_renderer_set_keyframe(r, &small, &kp), -EINVAL);
    ck_assert_int_eq(facet_vk_renderer_set_keyframe(r, NULL, &kp), -EINVAL);
    ck_assert_int_eq(facet_vk_renderer_set_keyframe(NULL, &image, &kp), -EINVAL);
    kp.count = k - 1;
    ck_assert_int_eq(facet_vk_renderer_set_keyframe(r, &image, &kp), -EINVAL);
    kp.count = k;
    kp.points[2].jacobian[1][1] = NAN;
    ck_assert_int_eq(facet_vk_renderer_set_keyframe(r, &image, &kp), -EINVAL);
    kp.points[2].jacobian[1][1] = 0.0f;
    /* A singular Jacobian is floored, not a failure. */
    ck_assert_int_eq(facet_vk_renderer_set_keyframe(r, &image, &kp), 0);
    ck_assert_int_eq(facet_vk_renderer_render(r, &kp, &small), -EINVAL);
    ck_assert_int_eq(facet_vk_renderer_render(r, &kp, &image), 0);
    for (size_t i = 0; i < facet_tensor_size(&image); i++)
        ck_assert(image.data[i] >= 0.0f && image.data[i] <= 1.0f);
    kp.points[0].x = INFINITY;
    ck_assert_int_eq(facet_vk_renderer_render(r, &kp, &image), -EINVAL);
    facet_tensor_free(&image);
    facet_tensor_free(&small);
    facet_vk_renderer_destroy(&r);
    facet_vk_renderer_destroy(&r);
    facet_vk_renderer_destroy(NULL);
    facet_vk_device_close(&dev);
    facet_network_close(&net);
}
END_TEST

/* A device lost mid-stream (what facet_vk_fail() records on
 * VK_ERROR_DEVICE_LOST or a timeout): every later call is -EIO with a
 * message, nothing crashes or waits, and everything still frees. */
START_TEST(test_lost_device)
{
    FacetNetwork *net = open_model();
    FacetVkDevice *dev = vulkan_test_open_device(&precisions[0]);
    int k = facet_network_num_keypoints(net);
    FacetVkRenderer *r = NULL;
    ck_assert_int_eq(facet_vk_renderer_create(&r, dev, net, 64, NULL, 0), 0);
    FacetTensor image;
    ck_assert_int_eq(facet_tensor_alloc(&image, 3, 64, 64), 0);
    FacetKeypointSet kp;
    memset(&kp, 0, sizeof(kp));
    kp.count = k;
    ck_assert_int_eq(facet_vk_renderer_set_keyframe(r, &image, &kp), 0);
    ck_assert_int_eq(facet_vk_renderer_render(r, &kp, &image), 0);

    facet_vk_fail(dev, VK_ERROR_DEVICE_LOST, "test");
    ck_assert_int_eq(facet_vk_device_lost(dev), 1);
    ck_assert_msg(strstr(facet_vk_device_error(dev), "VK_ERROR_DEVICE_LOST") != NULL, "%s",
                  facet_vk_device_error(dev));
    ck_assert_int_eq(facet_vk_renderer_render(r, &kp, &image), -EIO);
    ck_assert_int_eq(facet_vk_renderer_set_keyframe(r, &image, &kp), -EIO);
    /* The failed keyframe is no keyframe. */
    ck_assert_int_eq(facet_vk_renderer_render(r, &kp, &image), -ENODATA);
    /* No new renderer on a lost device either. */
    FacetVkRenderer *again = NULL;
    ck_assert_int_eq(facet_vk_renderer_create(&again, dev, net, 64, NULL, 0), -EIO);
    ck_assert_ptr_null(again);
    facet_vk_renderer_destroy(&r);
    facet_vk_device_close(&dev);
    facet_tensor_free(&image);
    facet_network_close(&net);
}
END_TEST

/* A stream of `count` frames at the model's size: a keyframe, then
 * deltas. */
static int encode_stream(FacetPacket *packets, int count)
{
    FacetEncoderSettings es;
    facet_encoder_default_settings(&es);
    es.width = es.height = 256;
    es.model_path = FACET_SOURCE_DIR "/models/facet-256.safetensors";
    es.threads = 1;
    FacetEncoder *enc = NULL;
    ck_assert_int_eq(facet_encoder_open(&enc, &es), 0);
    int deltas = 0;
    for (int i = 0; i < count; i++) {
        FacetPicture in = test_picture_make(FACET_PIXEL_FORMAT_I420, 256, 256, i);
        in.pts = i;
        ck_assert_int_eq(facet_encoder_send_frame(enc, &in), 0);
        ck_assert_int_eq(facet_encoder_receive_packet(enc, &packets[i]), 0);
        deltas += !(packets[i].flags & FACET_PACKET_FLAG_KEYFRAME);
        facet_picture_unref(&in);
    }
    facet_encoder_close(&enc);
    return deltas;
}

static void decode_stream_n(FacetBackend backend, const FacetPacket *packets, int count,
                            FacetPicture *out)
{
    FacetDecoderSettings ds;
    facet_decoder_default_settings(&ds);
    ds.model_path = FACET_SOURCE_DIR "/models/facet-256.safetensors";
    ds.backend = backend;
    ds.threads = 1;
    FacetDecoder *dec = NULL;
    ck_assert_int_eq(facet_decoder_open(&dec, &ds), 0);
    FacetBackend used;
    const char *name;
    ck_assert_int_eq(facet_decoder_get_backend(dec, &used, &name), 0);
    ck_assert_int_eq(used, backend);
    for (int i = 0; i < count; i++) {
        ck_assert_int_eq(facet_decoder_send_packet(dec, &packets[i]), 0);
        ck_assert_int_eq(facet_decoder_receive_frame(dec, &out[i]), 0);
    }
    /* Still on the back end it started on: nothing failed over. */
    ck_assert_int_eq(facet_decoder_get_backend(dec, &used, &name), 0);
    ck_assert_int_eq(used, backend);
    facet_decoder_close(&dec);
}

START_TEST(test_decoder_on_vulkan)
{
    FacetPacket packets[DECODER_FRAMES];
    FacetPicture cpu[DECODER_FRAMES], vk[DECODER_FRAMES];
    ck_assert_int_gt(encode_stream(packets, DECODER_FRAMES), 0);
    decode_stream_n(FACET_BACKEND_CPU, packets, DECODER_FRAMES, cpu);
    decode_stream_n(FACET_BACKEND_VULKAN, packets, DECODER_FRAMES, vk);
    for (int i = 0; i < DECODER_FRAMES; i++) {
        double psnr = test_picture_psnr(&cpu[i], &vk[i]);
        printf("  decoded frame %d (%s): Vulkan against CPU %.1f dB\n", i,
               packets[i].flags & FACET_PACKET_FLAG_KEYFRAME ? "keyframe" : "delta", psnr);
        ck_assert_msg(psnr >= MIN_DECODER_PSNR, "frame %d: %.1f dB", i, psnr);
        facet_picture_unref(&cpu[i]);
        facet_picture_unref(&vk[i]);
        facet_packet_unref(&packets[i]);
    }
}
END_TEST

/* What the decoder logs, kept for the checks. */
typedef struct LogCapture {
    char text[4096];
} LogCapture;

static void capture_log(void *opaque, const char *message)
{
    LogCapture *log = opaque;
    size_t used = strlen(log->text);
    snprintf(log->text + used, sizeof(log->text) - used, "%s\n", message);
}

/* A device lost mid-stream, through the public decoder. In auto mode (on
 * the device named "0", which auto takes even when it is lavapipe) the
 * frame that hit the loss still comes out, rendered by the CPU from the
 * kept keyframe, as the CPU decoder renders it; the fallback is logged and
 * facet_decoder_get_backend() says CPU. Forced to Vulkan, the same loss
 * fails that frame and every later one with ENODEV, and says why. */
START_TEST(test_decoder_lost_device)
{
    enum { FRAMES = 3 };
    FacetPacket packets[FRAMES];
    FacetPicture cpu[FRAMES];
    ck_assert_int_eq(encode_stream(packets, FRAMES), FRAMES - 1);
    decode_stream_n(FACET_BACKEND_CPU, packets, FRAMES, cpu);

    static const FacetBackend modes[] = { FACET_BACKEND_AUTO, FACET_BACKEND_VULKAN };
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        LogCapture log = { { 0 } };
        FacetDecoderSettings ds;
        facet_decoder_default_settings(&ds);
        ds.model_path = FACET_SOURCE_DIR "/models/facet-256.safetensors";
        ds.backend = modes[m];
        ds.device = "0";
        ds.threads = 1;
        ds.log_callback = capture_log;
        ds.log_opaque = &log;
        FacetDecoder *dec = NULL;
        ck_assert_int_eq(facet_decoder_open(&dec, &ds), 0);
        FacetBackend used;
        const char *name;
        ck_assert_int_eq(facet_decoder_get_backend(dec, &used, &name), 0);
        ck_assert_int_eq(used, FACET_BACKEND_VULKAN);

        /* The keyframe and the first delta on the device. */
        FacetPicture out;
        for (int i = 0; i < 2; i++) {
            ck_assert_int_eq(facet_decoder_send_packet(dec, &packets[i]), 0);
            ck_assert_int_eq(facet_decoder_receive_frame(dec, &out), 0);
            facet_picture_unref(&out);
        }
        FacetVkDevice *dev = facet_decoder_vulkan_device(dec);
        ck_assert_ptr_nonnull(dev);
        facet_vk_fail(dev, VK_ERROR_DEVICE_LOST, "test");

        int ret = facet_decoder_send_packet(dec, &packets[2]);
        if (modes[m] == FACET_BACKEND_AUTO) {
            ck_assert_int_eq(ret, 0);
            ck_assert_int_eq(facet_decoder_receive_frame(dec, &out), 0);
            double psnr = test_picture_psnr(&cpu[2], &out);
            printf("  after the loss, auto: the CPU's frame, %.1f dB from the CPU decoder's\n",
                   psnr);
            ck_assert_msg(psnr >= MIN_DECODER_PSNR, "%.1f dB", psnr);
            facet_picture_unref(&out);
            ck_assert_int_eq(facet_decoder_get_backend(dec, &used, &name), 0);
            ck_assert_int_eq(used, FACET_BACKEND_CPU);
            ck_assert_ptr_null(facet_decoder_vulkan_device(dec));
            ck_assert_msg(strstr(log.text, "falling back to the CPU") != NULL, "%s", log.text);
        } else {
            ck_assert_int_eq(ret, FACET_ERR(ENODEV));
            ck_assert_int_eq(facet_decoder_send_packet(dec, &packets[2]), FACET_ERR(ENODEV));
            ck_assert_msg(strstr(log.text, "VK_ERROR_DEVICE_LOST") != NULL, "%s", log.text);
        }
        facet_decoder_close(&dec);
    }
    for (int i = 0; i < FRAMES; i++) {
        facet_picture_unref(&cpu[i]);
        facet_packet_unref(&packets[i]);
    }
}
END_TEST

static Suite *vulkan_renderer_suite(void)
{
    Suite *s = suite_create("vulkan_renderer");
    TCase *tc = tcase_create("renderer");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_render_golden);
    tcase_add_test(tc, test_render_matches_cpu);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_lost_device);
    tcase_add_test(tc, test_decoder_on_vulkan);
    tcase_add_test(tc, test_decoder_lost_device);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR);
    int status = vulkan_test_check_device();
    if (status >= 0)
        return status;
    SRunner *sr = srunner_create(vulkan_renderer_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
