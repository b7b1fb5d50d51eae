/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's rate (issue 12, encoder item 2): on the packaged clip
 * played forwards and backwards for 24 s at 256x256 and 30 fps, with a
 * reference every 10 s, the bytes of every packet (low-resolution frames
 * and reference fragments) hold the target within 10 % over every 5 s
 * window and stay under 1.5x in every 1 s window, at three targets and
 * both scales, and without references at the two higher targets; facet_encoder_set_bitrate() takes the stream to a new rate
 * within a second; bad rates and base codecs are refused with a message.
 * Only bytes are measured, never time.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <libavutil/log.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/latent.h"
#include "facet/facet.h"
#include "test_clip.h"
#include "video_reader.h"

#define LATENT_MODEL FACET_SOURCE_DIR "/models/facet-latent.safetensors"
#define SIDE 256
#define FPS 30
#define CLIP_FRAMES 250
#define SECONDS 24
#define FRAMES (SECONDS * FPS)

static char last_message[1024];

static void capture_log(void *opaque, const char *message)
{
    (void)opaque;
    snprintf(last_message, sizeof(last_message), "%s", message);
}

typedef struct Clip {
    FacetPicture frames[CLIP_FRAMES];
    int count;
} Clip;

static void clip_load(Clip *clip)
{
    VideoReader *reader = test_clip_open(SIDE, SIDE);
    clip->count = 0;
    while (clip->count < CLIP_FRAMES && video_reader_read(reader, &clip->frames[clip->count]) == 1)
        clip->count++;
    video_reader_close(&reader);
    ck_assert_int_gt(clip->count, 200);
}

/* Frame i of the clip played forwards, then backwards, and so on: motion
 * all along, no cut. */
static const FacetPicture *clip_frame(const Clip *clip, int i)
{
    int period = 2 * (clip->count - 1);
    int k = i % period;
    return &clip->frames[k < clip->count ? k : period - k];
}

static void clip_free(Clip *clip)
{
    for (int i = 0; i < clip->count; i++)
        facet_picture_unref(&clip->frames[i]);
}

static void settings_for(FacetEncoderSettings *s, int bitrate)
{
    facet_encoder_default_settings(s);
    s->width = SIDE;
    s->height = SIDE;
    s->fps_num = FPS;
    s->mode = FACET_STREAM_MODE_LATENT;
    s->references = FACET_LATENT_REFERENCES_ON; /* the reference path is under test */
    s->bitrate = bitrate;
    s->reference_interval = 10.0;
    s->latent_model_path = LATENT_MODEL;
    s->threads = 2;
    s->log_callback = capture_log;
}

/* Bytes sent with each frame (its low-resolution packet and the fragment
 * that may follow it). */
typedef struct Sent {
    size_t bytes[FRAMES];
    int references;
    int scale;
} Sent;

/* Encodes FRAMES frames; at frame change_at (if >= 0) the target becomes
 * new_bitrate. */
static void encode(const Clip *clip, const FacetEncoderSettings *s, int change_at,
                   int new_bitrate, Sent *sent)
{
    memset(sent, 0, sizeof(*sent));
    FacetEncoder *enc = NULL;
    ck_assert_int_eq(facet_encoder_open(&enc, s), 0);
    for (int i = 0; i < FRAMES; i++) {
        if (i == change_at)
            ck_assert_int_eq(facet_encoder_set_bitrate(enc, new_bitrate), 0);
        FacetPicture frame = *clip_frame(clip, i);
        frame.buffer = NULL;
        ck_assert_int_eq(facet_encoder_send_frame(enc, &frame), 0);
        FacetPacket packet;
        while (facet_encoder_receive_packet(enc, &packet) == 0) {
            FacetPacketInfo info = { .struct_size = sizeof(info) };
            ck_assert_int_eq(facet_packet_peek(packet.data, packet.size, &info), 0);
            if (info.type == FACET_PACKET_TYPE_REFERENCE && info.fragment_index == 0)
                sent->references++;
            if (getenv("RATE_TRACE"))
                printf("frame %d type %d size %zu ref %u/%d of %u\n", i, info.type, packet.size,
                       info.reference_id, info.fragment_index, info.fragment_count);
            if (info.has_sequence_header)
                sent->scale = info.scale;
            sent->bytes[i] += packet.size;
            facet_packet_unref(&packet);
        }
    }
    facet_encoder_close(&enc);
}

/* The lowest and highest rate (as a share of `bitrate`) of the windows of
 * `seconds` that start at frames first..last - window. */
static void window_range(const Sent *sent, int first, int last, double seconds, int bitrate,
                         double *lo, double *hi)
{
    int lo_at = 0, hi_at = 0;
    int window = (int)(seconds * FPS + 0.5);
    *lo = 1e9;
    *hi = 0.0;
    for (int start = first; start + window <= last; start++) {
        double bytes = 0.0;
        for (int i = start; i < start + window; i++)
            bytes += (double)sent->bytes[i];
        double share = bytes * 8.0 / seconds / bitrate;
        if (share < *lo)
            *lo = share, lo_at = start;
        if (share > *hi)
            *hi = share, hi_at = start;
    }
    if (getenv("RATE_TRACE"))
        printf("windows of %.0f s: lowest at frame %d, highest at %d\n", seconds, lo_at, hi_at);
}

/* Every 5 s window from `first5` and every 1 s window from `first1` to
 * `last`. */
static void check_windows(const Sent *sent, int first5, int first1, int last, int bitrate,
                          const char *what)
{
    int first = first5 < first1 ? first5 : first1;
    double lo5, hi5, lo1, hi1;
    window_range(sent, first5, last, 5.0, bitrate, &lo5, &hi5);
    window_range(sent, first1, last, 1.0, bitrate, &lo1, &hi1);
    double total = 0.0;
    for (int i = first; i < last; i++)
        total += (double)sent->bytes[i];
    printf("%s: %d bit/s, r = %d, %d references: mean %.3f, 5 s windows %.3f..%.3f, "
           "1 s windows %.3f..%.3f of the target\n", what, bitrate, sent->scale,
           sent->references, total * 8.0 / ((last - first) / (double)FPS) / bitrate, lo5, hi5,
           lo1, hi1);
    fflush(stdout);
    ck_assert_msg(lo5 >= 0.9 && hi5 <= 1.1, "%s: 5 s windows at %.3f..%.3f of %d bit/s", what,
                  lo5, hi5, bitrate);
    ck_assert_msg(hi1 <= 1.5, "%s: a 1 s window at %.3f of %d bit/s", what, hi1, bitrate);
}

static void check_rate(const Sent *sent, int first, int last, int bitrate, const char *what)
{
    check_windows(sent, first, first, last, bitrate, what);
}

static const int targets[] = { 8000, 24000, 40000 };

START_TEST(test_rate_held)
{
    Clip clip;
    clip_load(&clip);
    FacetEncoderSettings s;
    settings_for(&s, targets[_i]);
    Sent sent;
    encode(&clip, &s, -1, 0, &sent);
    /* The start, a reference every 10 s: three in 24 s. */
    check_rate(&sent, 0, FRAMES, targets[_i], "clip");
    clip_free(&clip);
}
END_TEST

/* The default: no references (FACET_LATENT_REFERENCES_AUTO with the
 * shipped model), so the low-resolution stream alone holds the target.
 * At 24 and 40 kbit/s (r = 2). Not yet at 8 kbit/s: there (r = 4, a
 * 64x64 stream near its floor) the quantiser floor's loop cycles with a
 * period of about 6 s and 5 s windows reach 0.89..1.21 of the target
 * (docs/latent-tier.md, "Rate control"); issue 12 keeps it open. */
START_TEST(test_rate_held_without_references)
{
    Clip clip;
    clip_load(&clip);
    FacetEncoderSettings s;
    settings_for(&s, targets[_i]);
    s.references = FACET_LATENT_REFERENCES_AUTO;
    Sent sent;
    encode(&clip, &s, -1, 0, &sent);
    ck_assert_int_eq(sent.references, 0);
    check_rate(&sent, 0, FRAMES, targets[_i], "clip, no references");
    clip_free(&clip);
}
END_TEST

/* The rate changes while playing, with no new reference and no keyframe:
 * from a second after the change no second carries more than 1.5x the new
 * target, and from two seconds after every 5 s window is within 10 % of
 * it (the 5 s windows that start in between still hold some of the old
 * rate's second). */
START_TEST(test_rate_change)
{
    static const int from[] = { 24000, 10000 }, to[] = { 12000, 24000 };
    Clip clip;
    clip_load(&clip);
    FacetEncoderSettings s;
    settings_for(&s, from[_i]);
    s.scale = 4;
    s.reference_interval = 60.0;
    Sent sent;
    int change = 12 * FPS;
    encode(&clip, &s, change, to[_i], &sent);
    ck_assert_int_eq(sent.references, 1);
    check_rate(&sent, 0, change, from[_i], "before the change");
    check_windows(&sent, change + 2 * FPS, change + FPS, FRAMES, to[_i], "after the change");
    clip_free(&clip);
}
END_TEST

START_TEST(test_bad_rates)
{
    FacetEncoderSettings s;
    static const int bad[] = { 0, -1, 999, 100000001, 2147483647 };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        settings_for(&s, bad[i]);
        FacetEncoder *enc = (FacetEncoder *)&s;
        last_message[0] = 0;
        ck_assert_int_eq(facet_encoder_open(&enc, &s), FACET_ERR(EINVAL));
        ck_assert_ptr_null(enc);
        ck_assert_msg(strstr(last_message, "bitrate"), "message: '%s'", last_message);
    }
    static const int bad_codecs[] = { 0, 3, -1, 255 };
    for (size_t i = 0; i < sizeof(bad_codecs) / sizeof(bad_codecs[0]); i++) {
        settings_for(&s, 10000);
        s.base_codec = (FacetBaseCodec)bad_codecs[i];
        FacetEncoder *enc = NULL;
        last_message[0] = 0;
        ck_assert_int_eq(facet_encoder_open(&enc, &s), FACET_ERR(EINVAL));
        ck_assert_msg(strstr(last_message, "base codec"), "message: '%s'", last_message);
    }
    /* On an open encoder: refused, and the encoder keeps working. */
    settings_for(&s, 10000);
    FacetEncoder *enc = NULL;
    ck_assert_int_eq(facet_encoder_open(&enc, &s), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        last_message[0] = 0;
        ck_assert_int_eq(facet_encoder_set_bitrate(enc, bad[i]), FACET_ERR(EINVAL));
        ck_assert_msg(strstr(last_message, "bitrate"), "message: '%s'", last_message);
    }
    ck_assert_int_eq(facet_encoder_set_bitrate(NULL, 10000), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_encoder_set_bitrate(enc, 12000), 0);
    FacetPicture picture;
    ck_assert_int_eq(facet_picture_alloc(&picture, FACET_PIXEL_FORMAT_I420, SIDE, SIDE), 0);
    memset(picture.buffer, 128, (size_t)SIDE * SIDE * 3 / 2);
    ck_assert_int_eq(facet_encoder_send_frame(enc, &picture), 0);
    FacetPacket packet;
    ck_assert_int_eq(facet_encoder_receive_packet(enc, &packet), 0);
    facet_packet_unref(&packet);
    facet_encoder_close(&enc);
    /* The keypoint tier has no rate control. */
    facet_encoder_default_settings(&s);
    s.width = s.height = 64;
    s.model_path = "";
    ck_assert_int_eq(facet_encoder_open(&enc, &s), 0);
    ck_assert_int_eq(facet_encoder_set_bitrate(enc, 10000), FACET_ERR(ENOTSUP));
    facet_encoder_close(&enc);
    facet_picture_unref(&picture);
}
END_TEST

/* The references' quality follows the rate unless set: the two the
 * network was trained on, the coarser one below 0.3 bit/s per pixel. */
START_TEST(test_reference_quality)
{
    ck_assert_int_eq(facet_latent_reference_quality(-1, 10000, 256, 256), 33);
    ck_assert_int_eq(facet_latent_reference_quality(-1, 19000, 256, 256), 33);
    ck_assert_int_eq(facet_latent_reference_quality(-1, 20000, 256, 256), 49);
    ck_assert_int_eq(facet_latent_reference_quality(-1, 40000, 512, 512), 33);
    ck_assert_int_eq(facet_latent_reference_quality(-1, 80000, 512, 512), 49);
    ck_assert_int_eq(facet_latent_reference_quality(60, 10000, 256, 256), 60);
    ck_assert_int_eq(facet_latent_reference_quality(0, 80000, 256, 256), 0);
    /* Out of range: refused at open, in every mode. */
    FacetEncoderSettings s;
    settings_for(&s, 10000);
    FacetEncoder *enc = NULL;
    s.reference_quality = 101;
    ck_assert_int_eq(facet_encoder_open(&enc, &s), FACET_ERR(EINVAL));
    s.reference_quality = -2;
    ck_assert_int_eq(facet_encoder_open(&enc, &s), FACET_ERR(EINVAL));
    ck_assert_ptr_null(enc);
}
END_TEST

static Suite *latent_rate_suite(void)
{
    Suite *s = suite_create("latent_rate");
    TCase *tc = tcase_create("rate");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_rate_held, 0, (int)(sizeof(targets) / sizeof(targets[0])));
    tcase_add_loop_test(tc, test_rate_held_without_references, 1,
                        (int)(sizeof(targets) / sizeof(targets[0])));
    tcase_add_loop_test(tc, test_rate_change, 0, 2);
    tcase_add_test(tc, test_bad_rates);
    tcase_add_test(tc, test_reference_quality);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR);
    SRunner *runner = srunner_create(latent_rate_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
