/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * References on drift (issue 12, encoder item 2): a cut to another
 * picture and a change of light each start a reference within a few
 * frames; the talking head of the packaged clip does not; a picture that
 * changes every frame gets references no more often than the spacing
 * allows, never while one is in flight. Generated pictures and the
 * packaged clip only.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <libavutil/log.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facet/facet.h"
#include "test_clip.h"
#include "test_pictures.h"
#include "video_reader.h"

#define LATENT_MODEL FACET_SOURCE_DIR "/models/facet-latent.safetensors"
#define SIDE 256
#define FPS 30
#define CLIP_FRAMES 250
#define MAX_REFERENCES 64

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

/* Where each reference started and ended (frame indices). */
typedef struct References {
    int start[MAX_REFERENCES], end[MAX_REFERENCES];
    int count;
} References;

typedef enum Scene { SCENE_CLIP, SCENE_CUT, SCENE_DARK, SCENE_FLICKER } Scene;

/* Frame i: the clip until `change`, then the scene. */
static void make_frame(const Clip *clip, Scene scene, int change, int i, FacetPicture *out)
{
    const FacetPicture *src = clip_frame(clip, i);
    for (int p = 0; p < 3; p++) {
        int h = p ? SIDE / 2 : SIDE, w = p ? SIDE / 2 : SIDE;
        for (int y = 0; y < h; y++)
            memcpy(out->data[p] + y * out->stride[p], src->data[p] + y * src->stride[p],
                   (size_t)w);
    }
    if (i < change || scene == SCENE_CLIP)
        return;
    if (scene == SCENE_CUT || (scene == SCENE_FLICKER && i % 2)) {
        test_picture_fill(out, i / 8);
    } else if (scene == SCENE_DARK) {
        /* The light drops by a quarter (luma above black, limited range). */
        for (int y = 0; y < SIDE; y++)
            for (int x = 0; x < SIDE; x++) {
                uint8_t *v = out->data[0] + y * out->stride[0] + x;
                *v = (uint8_t)(16 + (*v > 16 ? (*v - 16) * 3 / 4 : 0));
            }
    }
}

static void encode(const Clip *clip, Scene scene, int change, int frames, References *refs)
{
    memset(refs, 0, sizeof(*refs));
    FacetEncoderSettings s;
    facet_encoder_default_settings(&s);
    s.width = s.height = SIDE;
    s.fps_num = FPS;
    s.mode = FACET_STREAM_MODE_LATENT;
    s.references = FACET_LATENT_REFERENCES_ON; /* the reference path is under test */
    s.bitrate = 40000;
    s.reference_interval = 60.0;
    s.latent_model_path = LATENT_MODEL;
    s.threads = 2;
    FacetEncoder *enc = NULL;
    ck_assert_int_eq(facet_encoder_open(&enc, &s), 0);
    FacetPicture frame;
    ck_assert_int_eq(facet_picture_alloc(&frame, FACET_PIXEL_FORMAT_I420, SIDE, SIDE), 0);
    for (int i = 0; i < frames; i++) {
        make_frame(clip, scene, change, i, &frame);
        ck_assert_int_eq(facet_encoder_send_frame(enc, &frame), 0);
        FacetPacket packet;
        while (facet_encoder_receive_packet(enc, &packet) == 0) {
            FacetPacketInfo info = { .struct_size = sizeof(info) };
            ck_assert_int_eq(facet_packet_peek(packet.data, packet.size, &info), 0);
            if (info.type == FACET_PACKET_TYPE_REFERENCE) {
                ck_assert_int_lt(refs->count, MAX_REFERENCES);
                if (info.fragment_index == 0)
                    refs->start[refs->count] = i;
                if (info.fragment_index == info.fragment_count - 1)
                    refs->end[refs->count++] = i;
            }
            facet_packet_unref(&packet);
        }
    }
    facet_picture_unref(&frame);
    facet_encoder_close(&enc);
}

START_TEST(test_talking_head)
{
    Clip clip;
    clip_load(&clip);
    References refs;
    encode(&clip, SCENE_CLIP, 0, 20 * FPS, &refs);
    /* 20 s of the clip forwards and backwards: only the first reference. */
    ck_assert_int_eq(refs.count, 1);
    clip_free(&clip);
}
END_TEST

/* A cut (another picture) and a change of light at 6 s, when the first
 * reference is long whole: a new one starts within a few frames (its
 * first fragment waits for the fragments' share). */
START_TEST(test_change)
{
    static const Scene scenes[] = { SCENE_CUT, SCENE_DARK };
    Clip clip;
    clip_load(&clip);
    References refs;
    int change = 6 * FPS;
    encode(&clip, scenes[_i], change, 9 * FPS, &refs);
    ck_assert_int_eq(refs.count, 2);
    ck_assert_int_lt(refs.end[0], change);
    printf("scene %d at frame %d: second reference from frame %d to %d\n", (int)scenes[_i],
           change, refs.start[1], refs.end[1]);
    ck_assert_int_ge(refs.start[1], change);
    ck_assert_int_le(refs.start[1], change + FPS / 5);
    clip_free(&clip);
}
END_TEST

/* A picture that changes every frame: references follow one another, but
 * never while one is in flight and never sooner than 3 s, nor sooner
 * than twice the flight of the one before, after it started. */
START_TEST(test_spacing)
{
    Clip clip;
    clip_load(&clip);
    References refs;
    int change = 2 * FPS;
    encode(&clip, SCENE_FLICKER, change, 20 * FPS, &refs);
    ck_assert_int_ge(refs.count, 3);
    for (int k = 1; k < refs.count; k++) {
        int gap = refs.start[k] - refs.start[k - 1];
        int flight = refs.end[k - 1] - refs.start[k - 1];
        ck_assert_int_gt(refs.start[k], refs.end[k - 1]);
        ck_assert_int_ge(gap, 3 * FPS);
        ck_assert_int_ge(gap, 2 * flight);
    }
    clip_free(&clip);
}
END_TEST

static Suite *latent_drift_suite(void)
{
    Suite *s = suite_create("latent_drift");
    TCase *tc = tcase_create("drift");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_talking_head);
    tcase_add_loop_test(tc, test_change, 0, 2);
    tcase_add_test(tc, test_spacing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR);
    SRunner *runner = srunner_create(latent_drift_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
