/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every public entry point with every bad argument, in the manner of
 * libopus' test_opus_api.c: each must answer FACET_ERR(EINVAL) (or the
 * documented code), leave its outputs in a defined state and never crash.
 */
#include <check.h>
#include <libavutil/log.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facet/facet.h"
#include "test_pictures.h"

#define TEST_W 64
#define TEST_H 48

static FacetEncoderSettings valid_encoder_settings(void)
{
    FacetEncoderSettings s;
    facet_encoder_default_settings(&s);
    s.model_path = ""; /* intra-only, whatever is installed */
    s.width = TEST_W;
    s.height = TEST_H;
    s.intra_codec = FACET_INTRA_CODEC_JPEG; /* fastest; AV1 is covered elsewhere */
    s.threads = 1;
    return s;
}

START_TEST(test_version)
{
    char expected[32];
    snprintf(expected, sizeof(expected), "%d.%d.%d", FACET_VERSION_MAJOR, FACET_VERSION_MINOR,
             FACET_VERSION_PATCH);
    ck_assert_str_eq(facet_version(), expected);
    ck_assert_uint_eq(facet_version_int(), FACET_VERSION);
}
END_TEST

START_TEST(test_strerror)
{
    static const int codes[] = { EINVAL, EAGAIN, ENOMEM, EBADMSG, ENOTSUP, ENOENT, ENOSYS,
                                 ENOSPC, EIO, ENODEV };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        const char *message = facet_strerror(FACET_ERR(codes[i]));
        ck_assert_ptr_nonnull(message);
        ck_assert_str_ne(message, "unknown error");
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(message, facet_strerror(FACET_ERR(codes[j])));
    }
    ck_assert_str_eq(facet_strerror(FACET_ERR(EINVAL)), "invalid argument");
    ck_assert_str_eq(facet_strerror(-123456), "unknown error");
    ck_assert_str_eq(facet_strerror(987654), "unknown error");
    ck_assert_str_eq(facet_strerror(0), "success");
}
END_TEST

START_TEST(test_default_settings)
{
    FacetEncoderSettings e;
    memset(&e, 0x55, sizeof(e));
    facet_encoder_default_settings(&e);
    ck_assert_int_eq(e.width, 0);
    ck_assert_int_eq(e.height, 0);
    ck_assert_int_eq(e.fps_num, 25);
    ck_assert_int_eq(e.fps_den, 1);
    ck_assert(e.keyframe_interval == 2.0);
    ck_assert_int_eq(e.keyframe_quality, 60);
    ck_assert_int_eq(e.reference_quality, -1);
    ck_assert_int_eq(e.intra_codec, FACET_INTRA_CODEC_AUTO);
    ck_assert_int_eq(e.threads, 0);
    ck_assert_ptr_null(e.model_path);
    ck_assert_ptr_null(e.log_callback);
    FacetDecoderSettings d;
    memset(&d, 0x55, sizeof(d));
    facet_decoder_default_settings(&d);
    ck_assert_int_eq(d.output_format, FACET_PIXEL_FORMAT_I420);
    ck_assert_int_eq(d.threads, 0);
    ck_assert_ptr_null(d.model_path);
    ck_assert_ptr_null(d.log_callback);
    ck_assert_int_eq(d.backend, FACET_BACKEND_AUTO);
    ck_assert_ptr_null(d.device);
    /* NULL is ignored rather than dereferenced. */
    facet_encoder_default_settings(NULL);
    facet_decoder_default_settings(NULL);
}
END_TEST

/* Opens with one field broken and expects EINVAL and a NULL encoder. */
#define EXPECT_ENCODER_EINVAL(field, value)                                     \
    do {                                                                        \
        FacetEncoderSettings s = valid_encoder_settings();                     \
        s.field = value;                                                        \
        FacetEncoder *enc = (FacetEncoder *)&s; /* must be overwritten */      \
        ck_assert_int_eq(facet_encoder_open(&enc, &s), FACET_ERR(EINVAL));     \
        ck_assert_ptr_null(enc);                                                \
    } while (0)

START_TEST(test_encoder_open_bad_arguments)
{
    FacetEncoderSettings s = valid_encoder_settings();
    FacetEncoder *enc = (FacetEncoder *)&s;
    ck_assert_int_eq(facet_encoder_open(NULL, &s), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_encoder_open(&enc, NULL), FACET_ERR(EINVAL));
    ck_assert_ptr_null(enc);

    EXPECT_ENCODER_EINVAL(width, 0);
    EXPECT_ENCODER_EINVAL(width, -16);
    EXPECT_ENCODER_EINVAL(width, FACET_MAX_DIMENSION + 1);
    EXPECT_ENCODER_EINVAL(height, 0);
    EXPECT_ENCODER_EINVAL(height, -1);
    EXPECT_ENCODER_EINVAL(height, FACET_MAX_DIMENSION + 1);
    EXPECT_ENCODER_EINVAL(fps_num, 0);
    EXPECT_ENCODER_EINVAL(fps_num, -25);
    EXPECT_ENCODER_EINVAL(fps_num, 1000001);
    EXPECT_ENCODER_EINVAL(fps_den, 0);
    EXPECT_ENCODER_EINVAL(fps_den, -1);
    EXPECT_ENCODER_EINVAL(fps_den, 1000001);
    EXPECT_ENCODER_EINVAL(keyframe_interval, 0.0);
    EXPECT_ENCODER_EINVAL(keyframe_interval, -2.0);
    EXPECT_ENCODER_EINVAL(keyframe_interval, 3601.0);
    EXPECT_ENCODER_EINVAL(keyframe_interval, NAN);
    EXPECT_ENCODER_EINVAL(keyframe_interval, INFINITY);
    EXPECT_ENCODER_EINVAL(keyframe_quality, -1);
    EXPECT_ENCODER_EINVAL(keyframe_quality, 101);
    EXPECT_ENCODER_EINVAL(reference_quality, -2);
    EXPECT_ENCODER_EINVAL(reference_quality, 101);
    EXPECT_ENCODER_EINVAL(intra_codec, (FacetIntraCodec)3);
    EXPECT_ENCODER_EINVAL(intra_codec, (FacetIntraCodec)-1);
    EXPECT_ENCODER_EINVAL(threads, -1);
    EXPECT_ENCODER_EINVAL(threads, 65);
}
END_TEST

START_TEST(test_encoder_send_bad_arguments)
{
    FacetEncoderSettings s = valid_encoder_settings();
    FacetEncoder *enc = NULL;
    ck_assert_int_eq(facet_encoder_open(&enc, &s), 0);
    FacetPicture good = test_picture_make(FACET_PIXEL_FORMAT_I420, TEST_W, TEST_H, 0);
    FacetPicture bad;

    ck_assert_int_eq(facet_encoder_send_frame(NULL, &good), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_encoder_send_frame(enc, NULL), FACET_ERR(EINVAL));

    bad = good;
    bad.width = TEST_W + 2;
    ck_assert_int_eq(facet_encoder_send_frame(enc, &bad), FACET_ERR(EINVAL));
    bad = good;
    bad.height = TEST_H - 2;
    ck_assert_int_eq(facet_encoder_send_frame(enc, &bad), FACET_ERR(EINVAL));
    bad = good;
    bad.format = (FacetPixelFormat)7;
    ck_assert_int_eq(facet_encoder_send_frame(enc, &bad), FACET_ERR(EINVAL));
    for (int plane = 0; plane < 3; plane++) {
        bad = good;
        bad.data[plane] = NULL;
        ck_assert_int_eq(facet_encoder_send_frame(enc, &bad), FACET_ERR(EINVAL));
        bad = good;
        bad.stride[plane] = plane ? TEST_W / 2 - 1 : TEST_W - 1;
        ck_assert_int_eq(facet_encoder_send_frame(enc, &bad), FACET_ERR(EINVAL));
        bad = good;
        bad.stride[plane] = -bad.stride[plane];
        ck_assert_int_eq(facet_encoder_send_frame(enc, &bad), FACET_ERR(EINVAL));
    }
    FacetPicture rgb = test_picture_make(FACET_PIXEL_FORMAT_RGB24, TEST_W, TEST_H, 0);
    bad = rgb;
    bad.stride[0] = TEST_W * 3 - 1;
    ck_assert_int_eq(facet_encoder_send_frame(enc, &bad), FACET_ERR(EINVAL));
    bad = rgb;
    bad.data[0] = NULL;
    ck_assert_int_eq(facet_encoder_send_frame(enc, &bad), FACET_ERR(EINVAL));

    /* The EAGAIN pattern: nothing to receive yet; then one frame in, and a
     * second send must wait until its packet was received. */
    FacetPacket packet;
    ck_assert_int_eq(facet_encoder_receive_packet(enc, &packet), FACET_ERR(EAGAIN));
    ck_assert_int_eq(facet_encoder_receive_packet(NULL, &packet), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_encoder_receive_packet(enc, NULL), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_encoder_send_frame(enc, &good), 0);
    ck_assert_int_eq(facet_encoder_send_frame(enc, &good), FACET_ERR(EAGAIN));
    ck_assert_int_eq(facet_encoder_receive_packet(enc, &packet), 0);
    ck_assert_int_eq(facet_encoder_receive_packet(enc, &packet), FACET_ERR(EAGAIN));
    ck_assert_int_eq(facet_encoder_request_keyframe(NULL), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_encoder_request_keyframe(enc), 0);

    facet_packet_unref(&packet);
    ck_assert_ptr_null(packet.data);
    facet_packet_unref(&packet); /* twice is harmless */
    facet_packet_unref(NULL);
    facet_picture_unref(&good);
    facet_picture_unref(&rgb);
    facet_encoder_close(&enc);
    ck_assert_ptr_null(enc);
    facet_encoder_close(&enc);
    facet_encoder_close(NULL);
}
END_TEST

START_TEST(test_decoder_bad_arguments)
{
    FacetDecoderSettings s;
    facet_decoder_default_settings(&s);
    s.model_path = ""; /* intra-only, whatever is installed */
    FacetDecoder *dec = (FacetDecoder *)&s;
    ck_assert_int_eq(facet_decoder_open(NULL, &s), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_decoder_open(&dec, NULL), FACET_ERR(EINVAL));
    ck_assert_ptr_null(dec);
    s.output_format = (FacetPixelFormat)9;
    ck_assert_int_eq(facet_decoder_open(&dec, &s), FACET_ERR(EINVAL));
    ck_assert_ptr_null(dec);
    facet_decoder_default_settings(&s);
    s.model_path = ""; /* intra-only, whatever is installed */
    s.threads = -1;
    ck_assert_int_eq(facet_decoder_open(&dec, &s), FACET_ERR(EINVAL));
    s.threads = 65;
    ck_assert_int_eq(facet_decoder_open(&dec, &s), FACET_ERR(EINVAL));
    ck_assert_ptr_null(dec);

    facet_decoder_default_settings(&s);
    s.model_path = ""; /* intra-only, whatever is installed */
    ck_assert_int_eq(facet_decoder_open(&dec, &s), 0);
    uint8_t byte = 1;
    FacetPacket packet = { .data = &byte, .size = 1 };
    ck_assert_int_eq(facet_decoder_send_packet(NULL, &packet), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_decoder_send_packet(dec, NULL), FACET_ERR(EINVAL));
    FacetPacket empty = { .data = &byte, .size = 0 };
    ck_assert_int_eq(facet_decoder_send_packet(dec, &empty), FACET_ERR(EINVAL));
    FacetPacket no_data = { .data = NULL, .size = 4 };
    ck_assert_int_eq(facet_decoder_send_packet(dec, &no_data), FACET_ERR(EINVAL));

    FacetPicture picture;
    ck_assert_int_eq(facet_decoder_receive_frame(dec, &picture), FACET_ERR(EAGAIN));
    ck_assert_int_eq(facet_decoder_receive_frame(NULL, &picture), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_decoder_receive_frame(dec, NULL), FACET_ERR(EINVAL));
    FacetStreamInfo info;
    ck_assert_int_eq(facet_decoder_get_stream_info(dec, &info), FACET_ERR(EAGAIN));
    ck_assert_int_eq(facet_decoder_get_stream_info(NULL, &info), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_decoder_get_stream_info(dec, NULL), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_decoder_flush(NULL), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_decoder_flush(dec), 0);

    facet_decoder_close(&dec);
    ck_assert_ptr_null(dec);
    facet_decoder_close(&dec);
    facet_decoder_close(NULL);
}
END_TEST

/* Collects what the decoder logs. */
typedef struct LogText {
    char text[2048];
} LogText;

static void collect_log(void *opaque, const char *message)
{
    LogText *log = opaque;
    size_t used = strlen(log->text);
    snprintf(log->text + used, sizeof(log->text) - used, "%s\n", message);
}

START_TEST(test_decoder_backend_settings)
{
    FacetDecoderSettings s;
    FacetDecoder *dec = NULL;
    LogText log = { "" };
    facet_decoder_default_settings(&s);
    s.model_path = "";
    s.log_callback = collect_log;
    s.log_opaque = &log;

    /* Values outside the enum. */
    s.backend = (FacetBackend)3;
    ck_assert_int_eq(facet_decoder_open(&dec, &s), FACET_ERR(EINVAL));
    ck_assert_ptr_null(dec);
    s.backend = (FacetBackend)-1;
    ck_assert_int_eq(facet_decoder_open(&dec, &s), FACET_ERR(EINVAL));
    ck_assert_ptr_null(dec);

    /* cpu: always there, named after its kernels. */
    s.backend = FACET_BACKEND_CPU;
    ck_assert_int_eq(facet_decoder_open(&dec, &s), 0);
    FacetBackend backend = FACET_BACKEND_VULKAN;
    const char *name = NULL;
    ck_assert_int_eq(facet_decoder_get_backend(dec, &backend, &name), 0);
    ck_assert_int_eq(backend, FACET_BACKEND_CPU);
    ck_assert_ptr_nonnull(name);
    ck_assert_msg(strncmp(name, "cpu (", 5) == 0, "device name '%s'", name);
    ck_assert_int_eq(facet_decoder_get_backend(dec, NULL, NULL), 0);
    ck_assert_int_eq(facet_decoder_get_backend(NULL, &backend, &name), FACET_ERR(EINVAL));
    facet_decoder_close(&dec);

    /* vulkan on a device that does not exist: a clear error, no fallback. */
    s.backend = FACET_BACKEND_VULKAN;
    s.device = "no-such-gpu-anywhere";
    log.text[0] = '\0';
    ck_assert_int_eq(facet_decoder_open(&dec, &s), FACET_ERR(ENODEV));
    ck_assert_ptr_null(dec);
    ck_assert_msg(strstr(log.text, "vulkan") != NULL, "log: %s", log.text);

    /* auto with that device: the CPU, and the reason logged once. */
    s.backend = FACET_BACKEND_AUTO;
    s.model_path = FACET_SOURCE_DIR "/models/facet-256.safetensors";
    log.text[0] = '\0';
    ck_assert_int_eq(facet_decoder_open(&dec, &s), 0);
    ck_assert_int_eq(facet_decoder_get_backend(dec, &backend, &name), 0);
    ck_assert_int_eq(backend, FACET_BACKEND_CPU);
    ck_assert_msg(strstr(log.text, "renderer: cpu (") != NULL, "log: %s", log.text);
    ck_assert_msg(strchr(log.text, '\n') == log.text + strlen(log.text) - 1,
                  "logged more than once: %s", log.text);
    facet_decoder_close(&dec);
}
END_TEST

START_TEST(test_picture_alloc_bad_arguments)
{
    FacetPicture picture;
    ck_assert_int_eq(facet_picture_alloc(NULL, FACET_PIXEL_FORMAT_I420, 16, 16), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_picture_alloc(&picture, FACET_PIXEL_FORMAT_I420, 0, 16), FACET_ERR(EINVAL));
    ck_assert_ptr_null(picture.buffer);
    ck_assert_int_eq(facet_picture_alloc(&picture, FACET_PIXEL_FORMAT_I420, 16, -1), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_picture_alloc(&picture, FACET_PIXEL_FORMAT_RGB24, FACET_MAX_DIMENSION + 1, 2),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_picture_alloc(&picture, (FacetPixelFormat)5, 16, 16), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_picture_alloc(&picture, FACET_PIXEL_FORMAT_I420, 33, 17), 0);
    ck_assert_int_ge(picture.stride[0], 33);
    ck_assert_int_ge(picture.stride[1], 17);
    ck_assert_int_ge(picture.stride[2], 17);
    facet_picture_unref(&picture);
    ck_assert_ptr_null(picture.buffer);
    facet_picture_unref(NULL);
}
END_TEST

/* A decoder that is handed the encoder's packets gets the same pictures,
 * timestamps and flags back, in both output formats. */
static void check_encode_decode(FacetPixelFormat input_format, FacetPixelFormat output_format)
{
    FacetEncoderSettings es = valid_encoder_settings();
    es.keyframe_quality = 90;
    FacetEncoder *enc = NULL;
    ck_assert_int_eq(facet_encoder_open(&enc, &es), 0);
    FacetDecoderSettings ds;
    facet_decoder_default_settings(&ds);
    ds.model_path = ""; /* intra-only, whatever is installed */
    ds.output_format = output_format;
    FacetDecoder *dec = NULL;
    ck_assert_int_eq(facet_decoder_open(&dec, &ds), 0);

    for (int i = 0; i < 3; i++) {
        FacetPicture in = test_picture_make(input_format, TEST_W, TEST_H, i * 3);
        in.pts = 1000 + 40 * i;
        ck_assert_int_eq(facet_encoder_send_frame(enc, &in), 0);
        FacetPacket packet;
        ck_assert_int_eq(facet_encoder_receive_packet(enc, &packet), 0);
        ck_assert_int_eq(packet.pts, 1000 + 40 * i);
        ck_assert_uint_eq(packet.frame_number, (unsigned)i);
        ck_assert(packet.flags & FACET_PACKET_FLAG_KEYFRAME);

        ck_assert_int_eq(facet_decoder_send_packet(dec, &packet), 0);
        ck_assert_int_eq(facet_decoder_send_packet(dec, &packet), FACET_ERR(EAGAIN));
        FacetPicture out;
        ck_assert_int_eq(facet_decoder_receive_frame(dec, &out), 0);
        ck_assert_int_eq(out.format, output_format);
        ck_assert_int_eq(out.width, TEST_W);
        ck_assert_int_eq(out.height, TEST_H);
        ck_assert_int_eq(out.pts, 1000 + 40 * i);
        FacetPicture expected = test_picture_make(output_format, TEST_W, TEST_H, i * 3);
        double psnr = test_picture_psnr(&expected, &out);
        ck_assert_msg(psnr > 30.0, "frame %d: PSNR %.2f dB", i, psnr);

        FacetStreamInfo info;
        ck_assert_int_eq(facet_decoder_get_stream_info(dec, &info), 0);
        ck_assert_int_eq(info.width, TEST_W);
        ck_assert_int_eq(info.height, TEST_H);
        ck_assert_int_eq(info.fps_num, 25);
        ck_assert_int_eq(info.fps_den, 1);
        ck_assert_uint_eq(info.model_id, 0);
        ck_assert_int_eq(info.keypoint_count, 0);

        facet_picture_unref(&expected);
        facet_picture_unref(&out);
        facet_picture_unref(&in);
        facet_packet_unref(&packet);
    }
    facet_decoder_close(&dec);
    facet_encoder_close(&enc);
}

START_TEST(test_round_trip_formats)
{
    check_encode_decode(FACET_PIXEL_FORMAT_I420, FACET_PIXEL_FORMAT_I420);
    check_encode_decode(FACET_PIXEL_FORMAT_RGB24, FACET_PIXEL_FORMAT_RGB24);
    check_encode_decode(FACET_PIXEL_FORMAT_I420, FACET_PIXEL_FORMAT_RGB24);
}
END_TEST

START_TEST(test_outputs_outlive_contexts)
{
    FacetEncoderSettings es = valid_encoder_settings();
    FacetEncoder *enc = NULL;
    ck_assert_int_eq(facet_encoder_open(&enc, &es), 0);
    FacetPicture in = test_picture_make(FACET_PIXEL_FORMAT_I420, TEST_W, TEST_H, 0);
    ck_assert_int_eq(facet_encoder_send_frame(enc, &in), 0);
    /* Closing with a packet still queued must free it (ASan checks). */
    facet_encoder_close(&enc);
    ck_assert_int_eq(facet_encoder_open(&enc, &es), 0);
    ck_assert_int_eq(facet_encoder_send_frame(enc, &in), 0);
    FacetPacket packet;
    ck_assert_int_eq(facet_encoder_receive_packet(enc, &packet), 0);
    facet_encoder_close(&enc);

    FacetDecoderSettings ds;
    facet_decoder_default_settings(&ds);
    ds.model_path = ""; /* intra-only, whatever is installed */
    FacetDecoder *dec = NULL;
    ck_assert_int_eq(facet_decoder_open(&dec, &ds), 0);
    ck_assert_int_eq(facet_decoder_send_packet(dec, &packet), 0);
    facet_decoder_close(&dec); /* with a frame queued */
    ck_assert_int_eq(facet_decoder_open(&dec, &ds), 0);
    ck_assert_int_eq(facet_decoder_send_packet(dec, &packet), 0);
    FacetPicture out;
    ck_assert_int_eq(facet_decoder_receive_frame(dec, &out), 0);
    facet_decoder_close(&dec);
    ck_assert_int_gt(test_picture_psnr(&in, &out), 25.0);
    facet_picture_unref(&out);
    facet_picture_unref(&in);
    facet_packet_unref(&packet);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *suite = suite_create("api");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, test_version);
    tcase_add_test(tc, test_strerror);
    tcase_add_test(tc, test_default_settings);
    tcase_add_test(tc, test_encoder_open_bad_arguments);
    tcase_add_test(tc, test_encoder_send_bad_arguments);
    tcase_add_test(tc, test_decoder_bad_arguments);
    tcase_add_test(tc, test_decoder_backend_settings);
    tcase_add_test(tc, test_picture_alloc_bad_arguments);
    tcase_add_test(tc, test_round_trip_formats);
    tcase_add_test(tc, test_outputs_outlive_contexts);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR);
    SRunner *runner = srunner_create(api_suite());
    srunner_run_all(runner, CK_VERBOSE);
    int failures = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
