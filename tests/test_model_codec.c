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
