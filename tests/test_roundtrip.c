/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Intra-only streams through the public API: synthetic pictures of awkward
 * sizes with both intra codecs, and real frames of the packaged talking-head
 * clip (tests/test_clip.h) at its source size.
 */
#include <check.h>
#include <libavutil/log.h>
#include <stdio.h>
#include <stdlib.h>

#include "facet/facet.h"
#include "test_clip.h"
#include "test_pictures.h"
#include "video_reader.h"

#define REAL_FRAMES 8

typedef struct CodecCase {
    FacetIntraCodec codec;
    int quality;
    double min_psnr; /* a wrong plane, level shift or chroma swap falls far below */
} CodecCase;

static const CodecCase codec_cases[] = {
    { FACET_INTRA_CODEC_AV1, 60, 34.0 },
    { FACET_INTRA_CODEC_JPEG, 60, 30.0 },
};

/* Encodes `count` pictures and decodes them with a separate decoder,
 * returning the lowest PSNR and the total coded size. */
static double round_trip(FacetIntraCodec codec, int quality, FacetPicture *pictures, int count,
                         size_t *total_bytes)
{
    FacetEncoderSettings es;
    facet_encoder_default_settings(&es);
    es.model_path = ""; /* intra-only, whatever is installed */
    es.width = pictures[0].width;
    es.height = pictures[0].height;
    es.intra_codec = codec;
    es.keyframe_quality = quality;
    FacetEncoder *enc = NULL;
    ck_assert_int_eq(facet_encoder_open(&enc, &es), 0);
    FacetDecoderSettings ds;
    facet_decoder_default_settings(&ds);
    ds.model_path = ""; /* intra-only, whatever is installed */
    FacetDecoder *dec = NULL;
    ck_assert_int_eq(facet_decoder_open(&dec, &ds), 0);

    double worst = 1000.0;
    *total_bytes = 0;
    for (int i = 0; i < count; i++) {
        pictures[i].pts = i;
        ck_assert_int_eq(facet_encoder_send_frame(enc, &pictures[i]), 0);
        FacetPacket packet;
        ck_assert_int_eq(facet_encoder_receive_packet(enc, &packet), 0);
        *total_bytes += packet.size;
        ck_assert_int_eq(facet_decoder_send_packet(dec, &packet), 0);
        FacetPicture out;
        ck_assert_int_eq(facet_decoder_receive_frame(dec, &out), 0);
        ck_assert_int_eq(out.pts, i);
        double psnr = test_picture_psnr(&pictures[i], &out);
        if (psnr < worst)
            worst = psnr;
        facet_picture_unref(&out);
        facet_packet_unref(&packet);
    }
    facet_decoder_close(&dec);
    facet_encoder_close(&enc);
    return worst;
}

START_TEST(test_synthetic_sizes)
{
    static const int sizes[][2] = { { 64, 64 }, { 33, 17 }, { 17, 33 }, { 200, 120 } };
    for (size_t c = 0; c < sizeof(codec_cases) / sizeof(codec_cases[0]); c++)
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            FacetPicture pictures[2];
            for (int i = 0; i < 2; i++)
                pictures[i] = test_picture_make(FACET_PIXEL_FORMAT_I420, sizes[s][0],
                                                sizes[s][1], 4 * i);
            size_t bytes;
            double psnr = round_trip(codec_cases[c].codec, 80, pictures, 2, &bytes);
            ck_assert_msg(psnr > codec_cases[c].min_psnr, "codec %d %dx%d: PSNR %.2f dB",
                          codec_cases[c].codec, sizes[s][0], sizes[s][1], psnr);
            for (int i = 0; i < 2; i++)
                facet_picture_unref(&pictures[i]);
        }
}
END_TEST

START_TEST(test_quality_setting)
{
    FacetPicture picture = test_picture_make(FACET_PIXEL_FORMAT_I420, 128, 96, 0);
    for (size_t c = 0; c < sizeof(codec_cases) / sizeof(codec_cases[0]); c++) {
        size_t low_bytes, high_bytes;
        double low = round_trip(codec_cases[c].codec, 10, &picture, 1, &low_bytes);
        double high = round_trip(codec_cases[c].codec, 95, &picture, 1, &high_bytes);
        ck_assert_msg(high > low, "codec %d: quality 95 gives %.2f dB, 10 gives %.2f dB",
                      codec_cases[c].codec, high, low);
        ck_assert_uint_gt(high_bytes, low_bytes);
    }
    facet_picture_unref(&picture);
}
END_TEST

START_TEST(test_real_clip)
{
    /* The webcam picture unscaled: 188 x 188, not a multiple of the
     * codecs' block sizes. */
    VideoReader *reader = test_clip_open(TEST_CLIP_CROP_SIZE, TEST_CLIP_CROP_SIZE);
    FacetPicture frames[REAL_FRAMES];
    int count = 0;
    while (count < REAL_FRAMES && video_reader_read(reader, &frames[count]) == 1)
        count++;
    video_reader_close(&reader);
    ck_assert_int_eq(count, REAL_FRAMES);

    for (size_t c = 0; c < sizeof(codec_cases) / sizeof(codec_cases[0]); c++) {
        size_t bytes;
        double psnr = round_trip(codec_cases[c].codec, codec_cases[c].quality, frames, count,
                                 &bytes);
        printf("real clip %dx%d, codec %d quality %d: worst PSNR %.2f dB, %.0f bytes/frame\n",
               frames[0].width, frames[0].height, codec_cases[c].codec,
               codec_cases[c].quality, psnr, (double)bytes / count);
        ck_assert_msg(psnr > codec_cases[c].min_psnr, "codec %d: PSNR %.2f dB",
                      codec_cases[c].codec, psnr);
    }
    for (int i = 0; i < count; i++)
        facet_picture_unref(&frames[i]);
}
END_TEST

static Suite *roundtrip_suite(void)
{
    Suite *suite = suite_create("roundtrip");
    TCase *tc = tcase_create("roundtrip");
    tcase_add_test(tc, test_synthetic_sizes);
    tcase_add_test(tc, test_quality_setting);
    tcase_add_test(tc, test_real_clip);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR);
    SRunner *runner = srunner_create(roundtrip_suite());
    srunner_run_all(runner, CK_VERBOSE);
    int failures = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
