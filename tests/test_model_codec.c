/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Keypoint mode through the public API with the shipped model: keyframe
 * placement, keyframe requests, delta sizes, a PSNR floor on the packaged
 * talking-head clip (tests/test_clip.h), and every model error (missing,
 * corrupt, another model's stream, no model) answered with a code and a
 * message that says which.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <libavutil/log.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "facet/facet.h"
#include "test_clip.h"
#include "test_pictures.h"
#include "test_temp_dir.h"
#include "video_reader.h"

#define MODEL_PATH FACET_SOURCE_DIR "/models/facet-256.safetensors"

#define TEST_W 96
#define TEST_H 80

/* Collects the library's messages so tests can check what they say. */
static char last_message[1024];

static void capture_log(void *opaque, const char *message)
{
    (void)opaque;
    snprintf(last_message, sizeof(last_message), "%s", message);
}

static FacetEncoder *open_encoder(int width, int height, double keyframe_interval)
{
    FacetEncoderSettings s;
    facet_encoder_default_settings(&s);
    s.width = width;
    s.height = height;
    s.keyframe_interval = keyframe_interval;
    s.model_path = MODEL_PATH;
    s.log_callback = capture_log;
    FacetEncoder *enc = NULL;
    int ret = facet_encoder_open(&enc, &s);
    ck_assert_msg(ret == 0, "facet_encoder_open: %s (%s)", facet_strerror(ret), last_message);
    return enc;
}

static FacetDecoder *open_decoder(const char *model_path)
{
    FacetDecoderSettings s;
    facet_decoder_default_settings(&s);
    s.model_path = model_path;
    s.log_callback = capture_log;
    FacetDecoder *dec = NULL;
    ck_assert_int_eq(facet_decoder_open(&dec, &s), 0);
    return dec;
}

static FacetPacket encode(FacetEncoder *enc, const FacetPicture *picture)
{
    FacetPacket packet;
    ck_assert_int_eq(facet_encoder_send_frame(enc, picture), 0);
    ck_assert_int_eq(facet_encoder_receive_packet(enc, &packet), 0);
    return packet;
}

START_TEST(test_keyframe_placement_and_requests)
{
    /* 25 fps and 0.4 s between keyframes: one every 10 frames. */
    FacetEncoder *enc = open_encoder(TEST_W, TEST_H, 0.4);
    for (int i = 0; i < 25; i++) {
        FacetPicture picture = test_picture_make(FACET_PIXEL_FORMAT_I420, TEST_W, TEST_H, i);
        if (i == 13)
            ck_assert_int_eq(facet_encoder_request_keyframe(enc), 0);
        FacetPacket packet = encode(enc, &picture);
        int expected = i == 0 || i == 10 || i == 13 || i == 23;
        ck_assert_msg(!!(packet.flags & FACET_PACKET_FLAG_KEYFRAME) == expected,
                      "frame %d: keyframe flag %u", i, packet.flags);
        if (!expected)
            ck_assert_msg(packet.size < 80, "delta frame %d has %zu bytes", i, packet.size);
        facet_packet_unref(&packet);
        facet_picture_unref(&picture);
    }
    facet_encoder_close(&enc);
}
END_TEST

START_TEST(test_real_clip_psnr_floor)
{
    VideoReader *reader = test_clip_open(256, 256);
    FacetEncoder *enc = open_encoder(256, 256, 2.0);
    FacetDecoder *dec = open_decoder(MODEL_PATH);
    double delta_psnr = 0.0;
    size_t delta_bytes = 0;
    int deltas = 0;
    for (int i = 0; i < 20; i++) {
        FacetPicture frame;
        ck_assert_int_eq(video_reader_read(reader, &frame), 1);
        FacetPacket packet = encode(enc, &frame);
        ck_assert_int_eq(facet_decoder_send_packet(dec, &packet), 0);
        FacetPicture decoded;
        ck_assert_int_eq(facet_decoder_receive_frame(dec, &decoded), 0);
        if (!(packet.flags & FACET_PACKET_FLAG_KEYFRAME)) {
            delta_psnr += test_picture_psnr(&frame, &decoded);
            delta_bytes += packet.size;
            deltas++;
        }
        facet_picture_unref(&decoded);
        facet_picture_unref(&frame);
        facet_packet_unref(&packet);
    }
    ck_assert_int_eq(deltas, 19);
    delta_psnr /= deltas;
    printf("real clip: %d delta frames, %.1f bytes each, mean PSNR %.2f dB\n", deltas,
           (double)delta_bytes / deltas, delta_psnr);
    /* The step-7236 model reaches 29.5 dB here (16.5 bytes per delta); a
     * network that reads its weights or channels wrongly lands far below. */
    ck_assert_msg(delta_psnr > 22.0, "rendered frames: PSNR %.2f dB", delta_psnr);
    ck_assert_msg(delta_bytes / deltas < 100, "%zu bytes per delta", delta_bytes / deltas);
    facet_decoder_close(&dec);
    facet_encoder_close(&enc);
    video_reader_close(&reader);
}
END_TEST

/* Encodes a keyframe and a delta of a synthetic scene with the model. */
static void model_stream(FacetPacket *keyframe, FacetPacket *delta)
{
    FacetEncoder *enc = open_encoder(TEST_W, TEST_H, 2.0);
    FacetPicture a = test_picture_make(FACET_PIXEL_FORMAT_I420, TEST_W, TEST_H, 0);
    FacetPicture b = test_picture_make(FACET_PIXEL_FORMAT_I420, TEST_W, TEST_H, 3);
    *keyframe = encode(enc, &a);
    *delta = encode(enc, &b);
    ck_assert(keyframe->flags & FACET_PACKET_FLAG_KEYFRAME);
    ck_assert(!(delta->flags & FACET_PACKET_FLAG_KEYFRAME));
    facet_picture_unref(&a);
    facet_picture_unref(&b);
    facet_encoder_close(&enc);
}

static int decode_one(FacetDecoder *dec, const FacetPacket *packet)
{
    int ret = facet_decoder_send_packet(dec, packet);
    if (ret == 0) {
        FacetPicture picture;
        ck_assert_int_eq(facet_decoder_receive_frame(dec, &picture), 0);
        facet_picture_unref(&picture);
    }
    return ret;
}

START_TEST(test_stream_round_trip_and_info)
{
    FacetPacket keyframe, delta;
    model_stream(&keyframe, &delta);
    FacetDecoder *dec = open_decoder(MODEL_PATH);
    ck_assert_int_eq(decode_one(dec, &delta), FACET_ERR(ENOENT)); /* joined late */
    ck_assert_int_eq(decode_one(dec, &keyframe), 0);
    FacetStreamInfo info;
    ck_assert_int_eq(facet_decoder_get_stream_info(dec, &info), 0);
    ck_assert_uint_ne(info.model_id, 0);
    ck_assert_int_eq(info.model_size, 256);
    ck_assert_int_eq(info.keypoint_count, 10);
    ck_assert_int_eq(decode_one(dec, &delta), 0);
    ck_assert_int_eq(decode_one(dec, &delta), 0); /* deltas depend on the keyframe only */
    facet_decoder_close(&dec);
    facet_packet_unref(&keyframe);
    facet_packet_unref(&delta);
}
END_TEST

START_TEST(test_missing_and_corrupt_model)
{
    FacetEncoderSettings s;
    facet_encoder_default_settings(&s);
    s.width = TEST_W;
    s.height = TEST_H;
    s.log_callback = capture_log;
    s.model_path = "/nonexistent/facet-model.safetensors";
    FacetEncoder *enc = NULL;
    last_message[0] = '\0';
    ck_assert_int_eq(facet_encoder_open(&enc, &s), FACET_ERR(ENOENT));
    ck_assert_ptr_null(enc);
    ck_assert_msg(strstr(last_message, "/nonexistent/facet-model.safetensors"),
                  "message: %s", last_message);

    /* A truncated copy of the model. */
    char path[] = "/tmp/facet-model-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *in = fopen(MODEL_PATH, "rb");
    ck_assert_ptr_nonnull(in);
    static char bytes[200000];
    size_t got = fread(bytes, 1, sizeof(bytes), in);
    fclose(in);
    ck_assert_int_eq(write(fd, bytes, got), (ssize_t)got);
    close(fd);
    s.model_path = path;
    last_message[0] = '\0';
    ck_assert_int_eq(facet_encoder_open(&enc, &s), FACET_ERR(EBADMSG));
    ck_assert_msg(strstr(last_message, path), "message: %s", last_message);

    FacetDecoderSettings ds;
    facet_decoder_default_settings(&ds);
    ds.log_callback = capture_log;
    ds.model_path = path;
    FacetDecoder *dec = NULL;
    ck_assert_int_eq(facet_decoder_open(&dec, &ds), FACET_ERR(EBADMSG));
    ck_assert_ptr_null(dec);
    unlink(path);
}
END_TEST

START_TEST(test_stream_of_another_model)
{
    FacetPacket keyframe, delta;
    model_stream(&keyframe, &delta);
    /* The same stream, relabelled as coded with another model (model_id is
     * at bytes 9..12 of a keyframe, docs/bitstream.md). */
    keyframe.data[12] ^= 0x5a;
    FacetDecoder *dec = open_decoder(MODEL_PATH);
    ck_assert_int_eq(decode_one(dec, &keyframe), 0); /* the picture itself is fine */
    last_message[0] = '\0';
    ck_assert_int_eq(decode_one(dec, &delta), FACET_ERR(ENOTSUP));
    ck_assert_msg(strstr(last_message, "model") && strstr(last_message, "loaded model"),
                  "message: %s", last_message);
    facet_decoder_close(&dec);

    /* A decoder without any model shows keyframes and refuses deltas. */
    keyframe.data[12] ^= 0x5a;
    dec = open_decoder("");
    ck_assert_int_eq(decode_one(dec, &keyframe), 0);
    last_message[0] = '\0';
    ck_assert_int_eq(decode_one(dec, &delta), FACET_ERR(ENOTSUP));
    ck_assert_msg(strstr(last_message, "no model"), "message: %s", last_message);
    facet_decoder_close(&dec);
    facet_packet_unref(&keyframe);
    facet_packet_unref(&delta);
}
END_TEST

/* Messages of a decoder left to its implicit default: how many said a
 * model is missing, and the last that said one was loaded. */
static int missing_messages, loaded_messages;
static char loaded_message[1024];

static void count_log(void *opaque, const char *message)
{
    (void)opaque;
    if (strstr(message, "no model is loaded") || strstr(message, "the loaded model is"))
        missing_messages++;
    if (strstr(message, "loaded ") && strstr(message, "found by its model id")) {
        loaded_messages++;
        snprintf(loaded_message, sizeof(loaded_message), "%s", message);
    }
    snprintf(last_message, sizeof(last_message), "%s", message);
}

static FacetDecoder *open_counting_decoder(const char *model_path)
{
    missing_messages = loaded_messages = 0;
    loaded_message[0] = '\0';
    FacetDecoderSettings s;
    facet_decoder_default_settings(&s);
    s.model_path = model_path;
    s.threads = 1;
    s.backend = FACET_BACKEND_CPU;
    s.log_callback = count_log;
    FacetDecoder *dec = NULL;
    ck_assert_int_eq(facet_decoder_open(&dec, &s), 0);
    return dec;
}

/* test_temp_dir/copy.safetensors, a copy of the shipped model. */
static void copy_model(char *path, size_t path_size)
{
    snprintf(path, path_size, "%s/copy.safetensors", test_temp_dir);
    FILE *in = fopen(MODEL_PATH, "rb");
    FILE *out = fopen(path, "wb");
    ck_assert_ptr_nonnull(in);
    ck_assert_ptr_nonnull(out);
    char bytes[65536];
    size_t got;
    while ((got = fread(bytes, 1, sizeof(bytes), in)) > 0)
        ck_assert_uint_eq(fwrite(bytes, 1, got, out), got);
    fclose(in);
    ck_assert_int_eq(fclose(out), 0);
}

/* The search is for a decoder left to its implicit default only. */
static int default_model_installed(void)
{
    return access(facet_default_model_path(), R_OK) == 0;
}

START_TEST(test_model_found_by_id)
{
    unsetenv("FACET_MODEL");
    char copy[PATH_MAX + 32], search_path[2 * PATH_MAX];
    copy_model(copy, sizeof(copy));
    /* A folder that does not exist and an empty item are passed over. */
    snprintf(search_path, sizeof(search_path), "/nonexistent-facet-models::%s", test_temp_dir);
    setenv("FACET_MODEL_PATH", search_path, 1);
    FacetPacket keyframe, delta;
    model_stream(&keyframe, &delta);
    FacetDecoder *dec = open_counting_decoder(NULL);
    ck_assert_int_eq(decode_one(dec, &keyframe), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(decode_one(dec, &delta) == 0, "delta %d: %s", i, last_message);
    /* A second keyframe of the same model: no second search or load. */
    ck_assert_int_eq(decode_one(dec, &keyframe), 0);
    ck_assert_int_eq(decode_one(dec, &delta), 0);
    ck_assert_int_eq(missing_messages, 0);
    if (!default_model_installed()) {
        /* FACET_MODEL_PATH comes before the source tree's models/. */
        ck_assert_int_eq(loaded_messages, 1);
        ck_assert_msg(strstr(loaded_message, copy), "message: %s", loaded_message);
    }
    facet_decoder_close(&dec);
    facet_packet_unref(&keyframe);
    facet_packet_unref(&delta);
}
END_TEST

START_TEST(test_missing_model_said_once)
{
    unsetenv("FACET_MODEL");
    char copy[PATH_MAX + 32];
    copy_model(copy, sizeof(copy));
    FacetPacket keyframe, delta;
    model_stream(&keyframe, &delta);
    /* Relabelled as coded with a model no folder holds (model_id is at
     * bytes 9..12 of a keyframe, docs/bitstream.md). */
    keyframe.data[12] ^= 0x5a;
    const char *search_paths[] = { "", test_temp_dir };
    for (size_t p = 0; p < sizeof(search_paths) / sizeof(search_paths[0]); p++) {
        setenv("FACET_MODEL_PATH", search_paths[p], 1);
        FacetDecoder *dec = open_counting_decoder(default_model_installed() ? "" : NULL);
        for (int gop = 0; gop < 3; gop++) {
            ck_assert_int_eq(decode_one(dec, &keyframe), 0);
            for (int i = 0; i < 20; i++)
                ck_assert_int_eq(decode_one(dec, &delta), FACET_ERR(ENOTSUP));
        }
        ck_assert_int_eq(missing_messages, 1);
        ck_assert_int_eq(loaded_messages, 0);
        ck_assert_msg(strstr(last_message, "FACET_MODEL_PATH"), "message: %s", last_message);
        facet_decoder_close(&dec);
    }

    /* With a model loaded, another model's stream is said once too. */
    FacetDecoder *dec = open_counting_decoder(MODEL_PATH);
    for (int gop = 0; gop < 2; gop++) {
        ck_assert_int_eq(decode_one(dec, &keyframe), 0);
        for (int i = 0; i < 10; i++)
            ck_assert_int_eq(decode_one(dec, &delta), FACET_ERR(ENOTSUP));
    }
    ck_assert_int_eq(missing_messages, 1);
    facet_decoder_close(&dec);
    facet_packet_unref(&keyframe);
    facet_packet_unref(&delta);
}
END_TEST

START_TEST(test_no_model_never_searches)
{
    char copy[PATH_MAX + 32];
    copy_model(copy, sizeof(copy));
    setenv("FACET_MODEL_PATH", test_temp_dir, 1);
    FacetPacket keyframe, delta;
    model_stream(&keyframe, &delta);
    /* model_path "" is intra-only, whatever the search path holds. */
    FacetDecoder *dec = open_counting_decoder("");
    ck_assert_int_eq(decode_one(dec, &keyframe), 0);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(decode_one(dec, &delta), FACET_ERR(ENOTSUP));
    ck_assert_int_eq(loaded_messages, 0);
    ck_assert_int_eq(missing_messages, 1);
    facet_decoder_close(&dec);
    facet_packet_unref(&keyframe);
    facet_packet_unref(&delta);
}
END_TEST

static void setup_temp_dir(void)
{
    test_temp_dir_make("facet-model-search");
}

static Suite *model_codec_suite(void)
{
    Suite *suite = suite_create("model_codec");
    TCase *tc = tcase_create("model_codec");
    tcase_add_test(tc, test_keyframe_placement_and_requests);
    tcase_add_test(tc, test_real_clip_psnr_floor);
    tcase_add_test(tc, test_stream_round_trip_and_info);
    tcase_add_test(tc, test_missing_and_corrupt_model);
    tcase_add_test(tc, test_stream_of_another_model);
    suite_add_tcase(suite, tc);
    /* The decoder's search for a stream's model (FACET_MODEL_PATH). */
    TCase *search = tcase_create("model_search");
    tcase_add_unchecked_fixture(search, setup_temp_dir, test_temp_dir_remove);
    tcase_add_test(search, test_model_found_by_id);
    tcase_add_test(search, test_missing_model_said_once);
    tcase_add_test(search, test_no_model_never_searches);
    suite_add_tcase(suite, search);
    return suite;
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR);
    SRunner *runner = srunner_create(model_codec_suite());
    srunner_run_all(runner, CK_VERBOSE);
    int failures = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
