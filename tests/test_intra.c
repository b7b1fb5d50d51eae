/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Keyframe (intra) picture coding: round trips through AV1 and JPEG, payloads
 * that stand alone, and a decoder that faces the network (wrong sizes,
 * truncated, random and corrupted payloads, bad arguments).
 *
 * Pictures are synthetic: gradients spanning the limited range, shapes and a
 * little noise, with U and V ramps running in opposite directions so that a
 * swapped, shifted or misplaced plane fails the PSNR floors (see
 * test_floors_catch_broken_pictures).
 */
#define _POSIX_C_SOURCE 200809L /* setenv */

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/log.h>

#include "codec/intra.h"
#include "facet/facet.h"

/* PSNR floors at quality 80 for the synthetic pictures (both codecs reach
 * ~43 dB in luma and 49-51 dB in chroma); a level shift, a chroma swap, a
 * wrong plane or a one-row offset stays below 31 dB. */
#define FLOOR_LUMA_DB 38.0
#define FLOOR_CHROMA_DB 38.0

static const FacetIntraCodec codecs[] = { FACET_INTRA_CODEC_AV1, FACET_INTRA_CODEC_JPEG };
#define CODEC_COUNT ((int)(sizeof(codecs) / sizeof(codecs[0])))

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

static uint32_t rng_state = 12345;

static uint32_t rng_next(void)
{
    /* xorshift32: deterministic, so every run feeds the same bytes */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static uint8_t clamp_u8(int value, int low, int high)
{
    return (uint8_t)(value < low ? low : value > high ? high : value);
}

/* Fills an I420 picture with limited-range content that varies with seed. */
static void make_picture(FacetPicture *picture, int width, int height, unsigned seed)
{
    ck_assert_int_eq(facet_picture_alloc(picture, FACET_PIXEL_FORMAT_I420, width, height), 0);
    uint32_t saved = rng_state;
    rng_state = 0x9e3779b9u ^ (seed * 2654435761u);
    int cx = width / 3 + (int)(seed % 7), cy = height / 2, r2 = (width * width) / 16 + 1;
    for (int y = 0; y < height; y++) {
        uint8_t *row = picture->data[0] + y * picture->stride[0];
        for (int x = 0; x < width; x++) {
            /* horizontal ramp 20..230 with a slow vertical wave */
            int value = 20 + (width > 1 ? 210 * x / (width - 1) : 0);
            value += (int)(12.0 * sin((y + seed) * 0.2));
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < r2)
                value = 225; /* bright disc */
            if (x > width * 2 / 3 && y < height / 3)
                value = 24; /* dark block */
            value += (int)(rng_next() % 5) - 2;
            row[x] = clamp_u8(value, 16, 235);
        }
    }
    int chroma_width = (width + 1) / 2, chroma_height = (height + 1) / 2;
    for (int y = 0; y < chroma_height; y++) {
        uint8_t *u = picture->data[1] + y * picture->stride[1];
        uint8_t *v = picture->data[2] + y * picture->stride[2];
        for (int x = 0; x < chroma_width; x++) {
            int along = chroma_width > 1 ? 136 * x / (chroma_width - 1) : 0;
            int down = chroma_height > 1 ? 40 * y / (chroma_height - 1) : 0;
            u[x] = clamp_u8(60 + along + down, 16, 240);   /* rises to the right */
            v[x] = clamp_u8(196 - along + down, 16, 240);  /* falls to the right */
        }
    }
    rng_state = saved;
}

static double plane_psnr(const uint8_t *a, ptrdiff_t stride_a, const uint8_t *b,
                         ptrdiff_t stride_b, int width, int height)
{
    double error = 0;
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            double d = (double)a[y * stride_a + x] - b[y * stride_b + x];
            error += d * d;
        }
    error /= (double)width * height;
    return error == 0 ? 99.0 : 10.0 * log10(255.0 * 255.0 / error);
}

typedef struct Psnr {
    double y, u, v;
} Psnr;

static Psnr picture_psnr(const FacetPicture *a, const FacetPicture *b)
{
    int cw = (a->width + 1) / 2, ch = (a->height + 1) / 2;
    Psnr p = {
        plane_psnr(a->data[0], a->stride[0], b->data[0], b->stride[0], a->width, a->height),
        plane_psnr(a->data[1], a->stride[1], b->data[1], b->stride[1], cw, ch),
        plane_psnr(a->data[2], a->stride[2], b->data[2], b->stride[2], cw, ch),
    };
    return p;
}

static int pictures_equal(const FacetPicture *a, const FacetPicture *b)
{
    if (a->width != b->width || a->height != b->height)
        return 0;
    for (int plane = 0; plane < 3; plane++) {
        int w = plane ? (a->width + 1) / 2 : a->width;
        int h = plane ? (a->height + 1) / 2 : a->height;
        for (int y = 0; y < h; y++)
            if (memcmp(a->data[plane] + y * a->stride[plane],
                       b->data[plane] + y * b->stride[plane], (size_t)w))
                return 0;
    }
    return 1;
}

static void check_decoded_layout(const FacetPicture *picture, int width, int height)
{
    ck_assert_int_eq(picture->format, FACET_PIXEL_FORMAT_I420);
    ck_assert_int_eq(picture->width, width);
    ck_assert_int_eq(picture->height, height);
    ck_assert_ptr_nonnull(picture->buffer);
    ck_assert_int_ge(picture->stride[0], width);
    ck_assert_int_ge(picture->stride[1], (width + 1) / 2);
    ck_assert_int_ge(picture->stride[2], (width + 1) / 2);
}

/* Codes one picture with a fresh encoder. */
static void encode_picture(FacetIntraCodec codec, const FacetPicture *picture, int quality,
                           uint8_t **data, size_t *size)
{
    FacetIntraEncoder *enc = NULL;
    ck_assert_int_eq(facet_intra_encoder_open(&enc, codec, picture->width, picture->height,
                                              quality, 1),
                     0);
    ck_assert_int_eq(facet_intra_encoder_codec(enc), codec);
    ck_assert_int_eq(facet_intra_encode(enc, picture, data, size), 0);
    ck_assert_ptr_nonnull(*data);
    ck_assert_uint_gt(*size, 0);
    facet_intra_encoder_close(&enc);
    ck_assert_ptr_null(enc);
}

/* Decodes with a decoder opened for this payload alone. */
static int decode_fresh(FacetIntraCodec codec, const uint8_t *data, size_t size, int width,
                        int height, FacetPicture *out)
{
    FacetIntraDecoder *dec = NULL;
    ck_assert_int_eq(facet_intra_decoder_open(&dec, 1), 0);
    int ret = facet_intra_decode(dec, codec, data, size, width, height, out);
    facet_intra_decoder_close(&dec);
    ck_assert_ptr_null(dec);
    return ret;
}

static int have_av1_encoder(void)
{
    return avcodec_find_encoder_by_name("libaom-av1") ||
           avcodec_find_encoder_by_name("libsvtav1");
}

/* This FFmpeg can code and decode `codec` at any size (Debian 12's can; a
 * build without libaom runs the JPEG half of each test only: SVT-AV1 alone
 * cannot code pictures under 64x64, test_svtav1_payloads_decode_alone covers
 * it). */
static int codec_available(FacetIntraCodec codec)
{
    if (codec == FACET_INTRA_CODEC_JPEG)
        return 1;
    return avcodec_find_encoder_by_name("libaom-av1") &&
           facet_intra_decoder_name(FACET_INTRA_CODEC_AV1) != NULL;
}

/* ------------------------------------------------------------------------ */
/* Quality                                                                  */

START_TEST(test_floors_catch_broken_pictures)
{
    /* The floors below mean something only if the faults they are meant to
     * catch land under them. */
    FacetPicture picture, broken;
    make_picture(&picture, 96, 64, 1);
    make_picture(&broken, 96, 64, 1);
    int cw = 48, ch = 32;

    /* limited range read as full range and expanded: y' = (y - 16) * 255 / 219 */
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 96; x++) {
            int v = picture.data[0][y * picture.stride[0] + x];
            broken.data[0][y * broken.stride[0] + x] = clamp_u8((v - 16) * 255 / 219, 0, 255);
        }
    ck_assert_double_lt(picture_psnr(&picture, &broken).y, FLOOR_LUMA_DB - 7);

    /* full range squeezed into limited range: y' = 16 + y * 219 / 255 */
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 96; x++) {
            int v = picture.data[0][y * picture.stride[0] + x];
            broken.data[0][y * broken.stride[0] + x] = (uint8_t)(16 + v * 219 / 255);
        }
    ck_assert_double_lt(picture_psnr(&picture, &broken).y, FLOOR_LUMA_DB - 7);

    /* U and V swapped */
    ck_assert_double_lt(plane_psnr(picture.data[1], picture.stride[1], picture.data[2],
                                   picture.stride[2], cw, ch),
                        FLOOR_CHROMA_DB - 20);
    /* chroma given where luma belongs (top-left quarter of Y against U) */
    ck_assert_double_lt(plane_psnr(picture.data[0], picture.stride[0], picture.data[1],
                                   picture.stride[1], cw, ch),
                        FLOOR_CHROMA_DB - 20);
    /* a picture shifted by one row */
    ck_assert_double_lt(plane_psnr(picture.data[0], picture.stride[0],
                                   picture.data[0] + picture.stride[0], picture.stride[0], 96,
                                   63),
                        FLOOR_LUMA_DB - 7);
    facet_picture_unref(&picture);
    facet_picture_unref(&broken);
}
END_TEST

START_TEST(test_round_trip)
{
    FacetIntraCodec codec = codecs[_i];
    if (!codec_available(codec))
        return;
    FacetPicture picture, decoded;
    uint8_t *data;
    size_t size;
    make_picture(&picture, 96, 64, 2);
    encode_picture(codec, &picture, 80, &data, &size);
    ck_assert_int_eq(decode_fresh(codec, data, size, 96, 64, &decoded), 0);
    check_decoded_layout(&decoded, 96, 64);
    Psnr psnr = picture_psnr(&picture, &decoded);
    ck_assert_double_ge(psnr.y, FLOOR_LUMA_DB);
    ck_assert_double_ge(psnr.u, FLOOR_CHROMA_DB);
    ck_assert_double_ge(psnr.v, FLOOR_CHROMA_DB);
    ck_assert_int_eq(decoded.pts, 0);
    facet_picture_unref(&decoded);
    ck_assert_ptr_null(decoded.buffer);
    free(data);
    facet_picture_unref(&picture);
}
END_TEST

START_TEST(test_levels_are_kept)
{
    /* Flat pictures at the ends of the limited range come back at the same
     * levels: nothing maps 16..235 to 0..255 or back on the way. */
    static const uint8_t luma_levels[] = { 16, 235, 128 };
    static const uint8_t chroma_levels[] = { 16, 240, 128 };
    FacetIntraCodec codec = codecs[_i];
    if (!codec_available(codec))
        return;
    for (int i = 0; i < 3; i++) {
        FacetPicture picture, decoded;
        uint8_t *data;
        size_t size;
        ck_assert_int_eq(facet_picture_alloc(&picture, FACET_PIXEL_FORMAT_I420, 32, 32), 0);
        for (int y = 0; y < 32; y++)
            memset(picture.data[0] + y * picture.stride[0], luma_levels[i], 32);
        for (int y = 0; y < 16; y++) {
            memset(picture.data[1] + y * picture.stride[1], chroma_levels[i], 16);
            memset(picture.data[2] + y * picture.stride[2], chroma_levels[2 - i], 16);
        }
        encode_picture(codec, &picture, 90, &data, &size);
        ck_assert_int_eq(decode_fresh(codec, data, size, 32, 32, &decoded), 0);
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
                ck_assert_int_le(abs(decoded.data[0][y * decoded.stride[0] + x] - luma_levels[i]),
                                 2);
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++) {
                ck_assert_int_le(
                    abs(decoded.data[1][y * decoded.stride[1] + x] - chroma_levels[i]), 2);
                ck_assert_int_le(
                    abs(decoded.data[2][y * decoded.stride[2] + x] - chroma_levels[2 - i]), 2);
            }
        facet_picture_unref(&decoded);
        free(data);
        facet_picture_unref(&picture);
    }
}
END_TEST

START_TEST(test_higher_quality_costs_more_and_looks_better)
{
    FacetIntraCodec codec = codecs[_i];
    if (!codec_available(codec))
        return;
    FacetPicture picture, low_picture, high_picture;
    uint8_t *low, *high;
    size_t low_size, high_size;
    make_picture(&picture, 96, 64, 3);
    encode_picture(codec, &picture, 20, &low, &low_size);
    encode_picture(codec, &picture, 90, &high, &high_size);
    ck_assert_uint_gt(high_size, low_size);
    ck_assert_int_eq(decode_fresh(codec, low, low_size, 96, 64, &low_picture), 0);
    ck_assert_int_eq(decode_fresh(codec, high, high_size, 96, 64, &high_picture), 0);
    Psnr low_psnr = picture_psnr(&picture, &low_picture);
    Psnr high_psnr = picture_psnr(&picture, &high_picture);
    ck_assert_double_gt(high_psnr.y, low_psnr.y + 5.0);
    ck_assert_double_gt(high_psnr.u + high_psnr.v, low_psnr.u + low_psnr.v);
    facet_picture_unref(&low_picture);
    facet_picture_unref(&high_picture);
    free(low);
    free(high);
    facet_picture_unref(&picture);
}
END_TEST

START_TEST(test_av1_best_quality_is_lossless)
{
    FacetPicture picture, decoded;
    uint8_t *data;
    size_t size;
    if (!codec_available(FACET_INTRA_CODEC_AV1))
        return;
    make_picture(&picture, 40, 24, 4);
    encode_picture(FACET_INTRA_CODEC_AV1, &picture, 100, &data, &size);
    ck_assert_int_eq(decode_fresh(FACET_INTRA_CODEC_AV1, data, size, 40, 24, &decoded), 0);
    ck_assert(pictures_equal(&picture, &decoded));
    facet_picture_unref(&decoded);
    free(data);
    facet_picture_unref(&picture);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Payloads stand alone                                                     */

START_TEST(test_auto_resolves_to_a_real_codec)
{
    FacetIntraEncoder *enc = NULL;
    ck_assert_int_eq(facet_intra_encoder_open(&enc, FACET_INTRA_CODEC_AUTO, 64, 64, 60, 0), 0);
    FacetIntraCodec resolved = facet_intra_encoder_codec(enc);
    ck_assert_int_eq(resolved, have_av1_encoder() ? FACET_INTRA_CODEC_AV1
                                                  : FACET_INTRA_CODEC_JPEG);
    if (avcodec_find_encoder_by_name("libaom-av1"))
        ck_assert_str_eq(facet_intra_encoder_name(enc), "libaom-av1");
    facet_intra_encoder_close(&enc);
    ck_assert_int_eq(facet_intra_encoder_codec(NULL), FACET_INTRA_CODEC_AUTO);
    ck_assert_str_eq(facet_intra_encoder_name(NULL), "");
}
END_TEST

START_TEST(test_every_payload_decodes_alone)
{
    /* One encoder stays open across pictures; each of its payloads decodes in
     * a decoder that never saw the others (a receiver joining late), and a
     * decoder that saw the others in another order gives the same picture. */
    enum { PICTURES = 4, W = 64, H = 48 };
    FacetIntraCodec codec = codecs[_i];
    if (!codec_available(codec))
        return;
    FacetIntraEncoder *enc = NULL;
    FacetPicture pictures[PICTURES], decoded[PICTURES];
    uint8_t *data[PICTURES];
    size_t size[PICTURES];
    ck_assert_int_eq(facet_intra_encoder_open(&enc, codec, W, H, 70, 0), 0);
    for (int i = 0; i < PICTURES; i++) {
        make_picture(&pictures[i], W, H, 10 + (unsigned)i);
        ck_assert_int_eq(facet_intra_encode(enc, &pictures[i], &data[i], &size[i]), 0);
        int width, height;
        ck_assert_int_eq(facet_intra_payload_size(codec, data[i], size[i], &width, &height), 0);
        ck_assert_int_eq(width, W);
        ck_assert_int_eq(height, H);
    }
    facet_intra_encoder_close(&enc);

    for (int i = PICTURES - 1; i >= 0; i--) {
        ck_assert_int_eq(decode_fresh(codec, data[i], size[i], W, H, &decoded[i]), 0);
        Psnr psnr = picture_psnr(&pictures[i], &decoded[i]);
        ck_assert_double_ge(psnr.y, FLOOR_LUMA_DB - 4);
        ck_assert_double_ge(psnr.u, FLOOR_CHROMA_DB - 4);
        ck_assert_double_ge(psnr.v, FLOOR_CHROMA_DB - 4);
    }
    FacetIntraDecoder *dec = NULL;
    ck_assert_int_eq(facet_intra_decoder_open(&dec, 0), 0);
    for (int i = PICTURES - 1; i >= 0; i--) {
        FacetPicture again;
        ck_assert_int_eq(facet_intra_decode(dec, codec, data[i], size[i], W, H, &again), 0);
        ck_assert(pictures_equal(&again, &decoded[i]));
        facet_picture_unref(&again);
    }
    facet_intra_decoder_close(&dec);
    for (int i = 0; i < PICTURES; i++) {
        facet_picture_unref(&pictures[i]);
        facet_picture_unref(&decoded[i]);
        free(data[i]);
    }
}
END_TEST

START_TEST(test_av1_payload_without_sequence_header_is_refused)
{
    /* A payload must carry its own sequence header; a decoder that still
     * holds one from an earlier payload must not lend it. */
    FacetPicture picture, decoded;
    uint8_t *data;
    size_t size;
    if (!codec_available(FACET_INTRA_CODEC_AV1))
        return;
    make_picture(&picture, 48, 32, 5);
    encode_picture(FACET_INTRA_CODEC_AV1, &picture, 60, &data, &size);

    /* Cut the sequence header OBU (type 1) out; every OBU libaom writes has a
     * size field of one or more leb128 bytes. */
    uint8_t *stripped = malloc(size);
    ck_assert_ptr_nonnull(stripped);
    size_t pos = 0, kept = 0;
    int removed = 0;
    while (pos < size) {
        size_t start = pos;
        uint8_t header = data[pos++];
        ck_assert(header & 2);
        if (header & 4)
            pos++;
        size_t obu_size = 0;
        for (int shift = 0;; shift += 7) {
            uint8_t byte = data[pos++];
            obu_size |= (size_t)(byte & 0x7f) << shift;
            if (!(byte & 0x80))
                break;
        }
        pos += obu_size;
        ck_assert_uint_le(pos, size);
        if (((header >> 3) & 15) == 1) {
            removed = 1;
            continue;
        }
        memcpy(stripped + kept, data + start, pos - start);
        kept += pos - start;
    }
    ck_assert(removed);

    FacetIntraDecoder *dec = NULL;
    ck_assert_int_eq(facet_intra_decoder_open(&dec, 1), 0);
    ck_assert_int_eq(facet_intra_decode(dec, FACET_INTRA_CODEC_AV1, data, size, 48, 32, &decoded),
                     0);
    facet_picture_unref(&decoded);
    ck_assert_int_eq(
        facet_intra_decode(dec, FACET_INTRA_CODEC_AV1, stripped, kept, 48, 32, &decoded),
        FACET_ERR(EBADMSG));
    ck_assert_ptr_null(decoded.buffer);
    int width, height;
    ck_assert_int_eq(
        facet_intra_payload_size(FACET_INTRA_CODEC_AV1, stripped, kept, &width, &height),
        FACET_ERR(EBADMSG));
    facet_intra_decoder_close(&dec);
    free(stripped);
    free(data);
    facet_picture_unref(&picture);
}
END_TEST

START_TEST(test_svtav1_payloads_decode_alone)
{
    /* The second AV1 encoder, used when libaom is missing: SVT-AV1 needs at
     * least 64x64 and even sizes. */
    FacetIntraEncoder *enc = NULL;
    int ret = facet_intra_encoder_open_named(&enc, "libsvtav1", 64, 64, 70, 1);
    if (ret == FACET_ERR(ENOSYS))
        return;
    ck_assert_int_eq(ret, 0);
    ck_assert_int_eq(facet_intra_encoder_codec(enc), FACET_INTRA_CODEC_AV1);
    for (unsigned i = 0; i < 2; i++) {
        FacetPicture picture, decoded;
        uint8_t *data;
        size_t size;
        make_picture(&picture, 64, 64, 20 + i);
        ck_assert_int_eq(facet_intra_encode(enc, &picture, &data, &size), 0);
        ck_assert_int_eq(decode_fresh(FACET_INTRA_CODEC_AV1, data, size, 64, 64, &decoded), 0);
        Psnr psnr = picture_psnr(&picture, &decoded);
        ck_assert_double_ge(psnr.y, FLOOR_LUMA_DB - 4);
        ck_assert_double_ge(psnr.u, FLOOR_CHROMA_DB - 4);
        ck_assert_double_ge(psnr.v, FLOOR_CHROMA_DB - 4);
        facet_picture_unref(&decoded);
        facet_picture_unref(&picture);
        free(data);
    }
    facet_intra_encoder_close(&enc);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Sizes                                                                    */

START_TEST(test_odd_and_tiny_sizes)
{
    static const int sizes[][2] = { { 1, 1 }, { 2, 2 }, { 3, 5 }, { 33, 17 }, { 17, 33 }, { 65, 1 } };
    FacetIntraCodec codec = codecs[_i];
    if (!codec_available(codec))
        return;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        int w = sizes[i][0], h = sizes[i][1];
        FacetPicture picture, decoded;
        uint8_t *data;
        size_t size;
        make_picture(&picture, w, h, 30 + (unsigned)i);
        encode_picture(codec, &picture, 80, &data, &size);
        ck_assert_int_eq(decode_fresh(codec, data, size, w, h, &decoded), 0);
        check_decoded_layout(&decoded, w, h);
        if (w * h >= 256) {
            Psnr psnr = picture_psnr(&picture, &decoded);
            ck_assert_double_ge(psnr.y, FLOOR_LUMA_DB - 8);
            ck_assert_double_ge(psnr.u, FLOOR_CHROMA_DB - 8);
            ck_assert_double_ge(psnr.v, FLOOR_CHROMA_DB - 8);
        } else {
            /* too few samples for PSNR to mean much; close is enough */
            ck_assert_int_le(abs(decoded.data[0][0] - picture.data[0][0]), 24);
            ck_assert_int_le(abs(decoded.data[1][0] - picture.data[1][0]), 24);
            ck_assert_int_le(abs(decoded.data[2][0] - picture.data[2][0]), 24);
        }
        facet_picture_unref(&decoded);
        free(data);
        facet_picture_unref(&picture);
    }
}
END_TEST

START_TEST(test_size_mismatch_is_refused)
{
    static const int wrong[][2] = { { 48, 31 }, { 47, 32 }, { 49, 32 }, { 96, 64 }, { 24, 16 } };
    FacetIntraCodec codec = codecs[_i];
    if (!codec_available(codec))
        return;
    FacetPicture picture, decoded;
    uint8_t *data;
    size_t size;
    make_picture(&picture, 48, 32, 6);
    encode_picture(codec, &picture, 60, &data, &size);
    FacetIntraDecoder *dec = NULL;
    ck_assert_int_eq(facet_intra_decoder_open(&dec, 1), 0);
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        ck_assert_int_eq(facet_intra_decode(dec, codec, data, size, wrong[i][0], wrong[i][1],
                                            &decoded),
                         FACET_ERR(EBADMSG));
        ck_assert_ptr_null(decoded.buffer);
        ck_assert_int_eq(decoded.width, 0);
    }
    ck_assert_int_eq(facet_intra_decode(dec, codec, data, size, 48, 32, &decoded), 0);
    check_decoded_layout(&decoded, 48, 32);
    facet_picture_unref(&decoded);
    facet_intra_decoder_close(&dec);
    free(data);
    facet_picture_unref(&picture);
}
END_TEST

START_TEST(test_decoder_switches_codec_and_size)
{
    static const struct {
        int codec_index, width, height;
    } steps[] = { { 0, 48, 32 }, { 1, 48, 32 }, { 0, 64, 64 }, { 1, 17, 9 }, { 0, 48, 32 } };
    FacetIntraDecoder *dec = NULL;
    ck_assert_int_eq(facet_intra_decoder_open(&dec, 0), 0);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        FacetIntraCodec codec = codecs[steps[i].codec_index];
        if (!codec_available(codec))
            continue;
        FacetPicture picture, decoded, reference;
        uint8_t *data;
        size_t size;
        make_picture(&picture, steps[i].width, steps[i].height, 40 + (unsigned)i);
        encode_picture(codec, &picture, 70, &data, &size);
        ck_assert_int_eq(facet_intra_decode(dec, codec, data, size, steps[i].width,
                                            steps[i].height, &decoded),
                         0);
        ck_assert_int_eq(
            decode_fresh(codec, data, size, steps[i].width, steps[i].height, &reference), 0);
        ck_assert(pictures_equal(&decoded, &reference));
        facet_picture_unref(&decoded);
        facet_picture_unref(&reference);
        free(data);
        facet_picture_unref(&picture);
    }
    facet_intra_decoder_close(&dec);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Hostile payloads                                                         */

/* Decodes a payload that may be anything: an error is fine, a picture must
 * have the right size; the decoder must then still decode `good` into
 * exactly `reference`. */
static void decode_hostile(FacetIntraDecoder *dec, FacetIntraCodec codec, const uint8_t *bytes,
                           size_t length, int width, int height)
{
    FacetPicture out;
    int ret = facet_intra_decode(dec, codec, bytes, length, width, height, &out);
    ck_assert_msg(ret == 0 || ret == FACET_ERR(EBADMSG), "unexpected result %d", ret);
    if (ret == 0)
        check_decoded_layout(&out, width, height);
    else
        ck_assert_ptr_null(out.buffer);
    facet_picture_unref(&out);
}

static void check_still_decodes(FacetIntraDecoder *dec, FacetIntraCodec codec,
                                const uint8_t *good, size_t good_size,
                                const FacetPicture *reference)
{
    FacetPicture out;
    ck_assert_int_eq(facet_intra_decode(dec, codec, good, good_size, reference->width,
                                        reference->height, &out),
                     0);
    ck_assert(pictures_equal(&out, reference));
    facet_picture_unref(&out);
}

START_TEST(test_truncated_payloads_are_refused)
{
    FacetIntraCodec codec = codecs[_i];
    if (!codec_available(codec))
        return;
    FacetPicture picture, reference;
    uint8_t *data;
    size_t size;
    make_picture(&picture, 48, 32, 7);
    encode_picture(codec, &picture, 60, &data, &size);
    ck_assert_int_eq(decode_fresh(codec, data, size, 48, 32, &reference), 0);
    FacetIntraDecoder *dec = NULL;
    ck_assert_int_eq(facet_intra_decoder_open(&dec, 1), 0);
    for (size_t length = 0; length < size; length++) {
        /* a copy of exactly `length` bytes, so ASan sees any read past it */
        uint8_t *cut = malloc(length ? length : 1);
        ck_assert_ptr_nonnull(cut);
        memcpy(cut, data, length);
        FacetPicture out;
        ck_assert_int_eq(facet_intra_decode(dec, codec, cut, length, 48, 32, &out),
                         FACET_ERR(EBADMSG));
        ck_assert_ptr_null(out.buffer);
        free(cut);
        if (length % 64 == 0)
            check_still_decodes(dec, codec, data, size, &reference);
    }
    check_still_decodes(dec, codec, data, size, &reference);
    facet_intra_decoder_close(&dec);
    facet_picture_unref(&reference);
    free(data);
    facet_picture_unref(&picture);
}
END_TEST

START_TEST(test_random_bytes_are_refused)
{
    FacetIntraCodec codec = codecs[_i];
    if (!codec_available(codec))
        return;
    FacetPicture picture, reference;
    uint8_t *data;
    size_t size;
    make_picture(&picture, 48, 32, 8);
    encode_picture(codec, &picture, 60, &data, &size);
    ck_assert_int_eq(decode_fresh(codec, data, size, 48, 32, &reference), 0);
    FacetIntraDecoder *dec = NULL;
    ck_assert_int_eq(facet_intra_decoder_open(&dec, 1), 0);
    rng_state = 777;
    for (int trial = 0; trial < 200; trial++) {
        size_t length = 1 + rng_next() % 1500;
        uint8_t *noise = malloc(length);
        ck_assert_ptr_nonnull(noise);
        for (size_t i = 0; i < length; i++)
            noise[i] = (uint8_t)rng_next();
        FacetPicture out;
        ck_assert_int_eq(facet_intra_decode(dec, codec, noise, length, 48, 32, &out),
                         FACET_ERR(EBADMSG));
        ck_assert_ptr_null(out.buffer);
        free(noise);
    }
    check_still_decodes(dec, codec, data, size, &reference);
    facet_intra_decoder_close(&dec);
    facet_picture_unref(&reference);
    free(data);
    facet_picture_unref(&picture);
}
END_TEST

START_TEST(test_random_picture_data_behind_valid_headers)
{
    /* Headers that pass the checks, then noise where the coded picture
     * belongs: this reaches the libavcodec decoders themselves. */
    FacetIntraCodec codec = codecs[_i];
    if (!codec_available(codec))
        return;
    FacetPicture picture, reference;
    uint8_t *data;
    size_t size;
    make_picture(&picture, 48, 32, 9);
    encode_picture(codec, &picture, 60, &data, &size);
    ck_assert_int_eq(decode_fresh(codec, data, size, 48, 32, &reference), 0);

    /* Where the coded picture starts: AV1 after the last OBU header and its
     * size field (the frame OBU is last), JPEG after the SOS segment. */
    size_t body = 0, body_end = size;
    if (codec == FACET_INTRA_CODEC_AV1) {
        size_t pos = 0;
        while (pos < size) {
            uint8_t header = data[pos++];
            if (header & 4)
                pos++;
            size_t obu_size = 0;
            for (int shift = 0;; shift += 7) {
                uint8_t byte = data[pos++];
                obu_size |= (size_t)(byte & 0x7f) << shift;
                if (!(byte & 0x80))
                    break;
            }
            body = pos + 4; /* keep the start of the frame header too */
            pos += obu_size;
        }
    } else {
        for (size_t pos = 2; pos + 3 < size;) {
            size_t length = (size_t)data[pos + 2] << 8 | data[pos + 3];
            if (data[pos + 1] == 0xda) { /* SOS */
                body = pos + 2 + length;
                break;
            }
            pos += 2 + length;
        }
        body_end = size - 2; /* keep EOI */
    }
    ck_assert_uint_gt(body, 0);
    ck_assert_uint_lt(body, body_end);

    FacetIntraDecoder *dec = NULL;
    ck_assert_int_eq(facet_intra_decoder_open(&dec, 1), 0);
    uint8_t *hostile = malloc(size);
    ck_assert_ptr_nonnull(hostile);
    rng_state = 4242;
    for (int trial = 0; trial < 60; trial++) {
        memcpy(hostile, data, size);
        for (size_t i = body; i < body_end; i++)
            hostile[i] = (uint8_t)rng_next();
        decode_hostile(dec, codec, hostile, size, 48, 32);
    }
    check_still_decodes(dec, codec, data, size, &reference);

    /* and a few flipped bits anywhere */
    for (int trial = 0; trial < 200; trial++) {
        memcpy(hostile, data, size);
        int flips = 1 + (int)(rng_next() % 4);
        for (int f = 0; f < flips; f++)
            hostile[rng_next() % size] ^= (uint8_t)(1u << (rng_next() % 8));
        decode_hostile(dec, codec, hostile, size, 48, 32);
        if (trial % 50 == 49)
            check_still_decodes(dec, codec, data, size, &reference);
    }
    free(hostile);
    facet_intra_decoder_close(&dec);
    facet_picture_unref(&reference);
    free(data);
    facet_picture_unref(&picture);
}
END_TEST

START_TEST(test_two_pictures_in_one_payload_are_refused)
{
    FacetIntraCodec codec = codecs[_i];
    if (!codec_available(codec))
        return;
    FacetPicture picture, out;
    uint8_t *data;
    size_t size;
    make_picture(&picture, 32, 16, 11);
    encode_picture(codec, &picture, 60, &data, &size);
    uint8_t *twice = malloc(2 * size);
    ck_assert_ptr_nonnull(twice);
    memcpy(twice, data, size);
    memcpy(twice + size, data, size);
    FacetIntraDecoder *dec = NULL;
    ck_assert_int_eq(facet_intra_decoder_open(&dec, 1), 0);
    /* AV1: two temporal units; JPEG: a second image after EOI, which the
     * decoder would otherwise skip. */
    ck_assert_int_eq(facet_intra_decode(dec, codec, twice, 2 * size, 32, 16, &out),
                     FACET_ERR(EBADMSG));
    ck_assert_ptr_null(out.buffer);
    ck_assert_int_eq(facet_intra_decode(dec, codec, data, size, 32, 16, &out), 0);
    facet_picture_unref(&out);
    facet_intra_decoder_close(&dec);
    free(twice);
    free(data);
    facet_picture_unref(&picture);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Arguments                                                                */

START_TEST(test_encoder_bad_arguments)
{
    FacetIntraEncoder *enc = (FacetIntraEncoder *)&enc; /* must be reset to NULL */
    ck_assert_int_eq(facet_intra_encoder_open(NULL, FACET_INTRA_CODEC_JPEG, 16, 16, 50, 1),
                     FACET_ERR(EINVAL));
    static const int bad[][4] = {
        /* width, height, quality, threads */
        { 0, 16, 50, 1 },  { 16, 0, 50, 1 },  { -1, 16, 50, 1 }, { 8193, 16, 50, 1 },
        { 16, 8193, 50, 1 }, { 16, 16, -1, 1 }, { 16, 16, 101, 1 }, { 16, 16, 50, -1 },
        { 16, 16, 50, 65 },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enc = (FacetIntraEncoder *)&enc;
        ck_assert_int_eq(facet_intra_encoder_open(&enc, FACET_INTRA_CODEC_JPEG, bad[i][0],
                                                  bad[i][1], bad[i][2], bad[i][3]),
                         FACET_ERR(EINVAL));
        ck_assert_ptr_null(enc);
    }
    enc = (FacetIntraEncoder *)&enc;
    ck_assert_int_eq(facet_intra_encoder_open(&enc, (FacetIntraCodec)3, 16, 16, 50, 1),
                     FACET_ERR(EINVAL));
    ck_assert_ptr_null(enc);
    ck_assert_int_eq(facet_intra_encoder_open(&enc, (FacetIntraCodec)-1, 16, 16, 50, 1),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_intra_encoder_open_named(&enc, "no-such-encoder", 16, 16, 50, 1),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_intra_encoder_open_named(&enc, NULL, 16, 16, 50, 1),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_intra_encoder_open_named(NULL, "mjpeg", 16, 16, 50, 1),
                     FACET_ERR(EINVAL));

    ck_assert_int_eq(facet_intra_encoder_open(&enc, FACET_INTRA_CODEC_JPEG, 16, 16, 50, 1), 0);
    FacetPicture picture, other;
    make_picture(&picture, 16, 16, 12);
    uint8_t *data = (uint8_t *)&data;
    size_t size = 99;
    ck_assert_int_eq(facet_intra_encode(NULL, &picture, &data, &size), FACET_ERR(EINVAL));
    ck_assert_ptr_null(data);
    ck_assert_uint_eq(size, 0);
    ck_assert_int_eq(facet_intra_encode(enc, NULL, &data, &size), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_intra_encode(enc, &picture, NULL, &size), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_intra_encode(enc, &picture, &data, NULL), FACET_ERR(EINVAL));

    make_picture(&other, 16, 15, 12); /* wrong size */
    ck_assert_int_eq(facet_intra_encode(enc, &other, &data, &size), FACET_ERR(EINVAL));
    facet_picture_unref(&other);
    make_picture(&other, 17, 16, 12);
    ck_assert_int_eq(facet_intra_encode(enc, &other, &data, &size), FACET_ERR(EINVAL));
    facet_picture_unref(&other);
    ck_assert_int_eq(facet_picture_alloc(&other, FACET_PIXEL_FORMAT_RGB24, 16, 16), 0);
    ck_assert_int_eq(facet_intra_encode(enc, &other, &data, &size), FACET_ERR(EINVAL));
    facet_picture_unref(&other);

    FacetPicture broken = picture; /* caller memory with a fault each time */
    broken.buffer = NULL;
    broken.data[1] = NULL;
    ck_assert_int_eq(facet_intra_encode(enc, &broken, &data, &size), FACET_ERR(EINVAL));
    broken = picture;
    broken.buffer = NULL;
    broken.stride[0] = 15;
    ck_assert_int_eq(facet_intra_encode(enc, &broken, &data, &size), FACET_ERR(EINVAL));
    broken.stride[0] = picture.stride[0];
    broken.stride[2] = 7;
    ck_assert_int_eq(facet_intra_encode(enc, &broken, &data, &size), FACET_ERR(EINVAL));
    broken.stride[2] = -picture.stride[2];
    ck_assert_int_eq(facet_intra_encode(enc, &broken, &data, &size), FACET_ERR(EINVAL));

    /* still works after all that, with caller memory too */
    broken = picture;
    broken.buffer = NULL;
    ck_assert_int_eq(facet_intra_encode(enc, &broken, &data, &size), 0);
    ck_assert_uint_gt(size, 0);
    free(data);

    facet_intra_encoder_close(&enc);
    ck_assert_ptr_null(enc);
    facet_intra_encoder_close(&enc);
    facet_intra_encoder_close(NULL);
    facet_picture_unref(&picture);
}
END_TEST

START_TEST(test_decoder_bad_arguments)
{
    FacetIntraDecoder *dec = (FacetIntraDecoder *)&dec;
    ck_assert_int_eq(facet_intra_decoder_open(NULL, 1), FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_intra_decoder_open(&dec, -1), FACET_ERR(EINVAL));
    ck_assert_ptr_null(dec);
    ck_assert_int_eq(facet_intra_decoder_open(&dec, 65), FACET_ERR(EINVAL));

    FacetPicture picture, out;
    uint8_t *data;
    size_t size;
    make_picture(&picture, 16, 16, 13);
    encode_picture(FACET_INTRA_CODEC_JPEG, &picture, 60, &data, &size);
    ck_assert_int_eq(facet_intra_decoder_open(&dec, 1), 0);

    ck_assert_int_eq(facet_intra_decode(NULL, FACET_INTRA_CODEC_JPEG, data, size, 16, 16, &out),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_intra_decode(dec, FACET_INTRA_CODEC_JPEG, NULL, size, 16, 16, &out),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_intra_decode(dec, FACET_INTRA_CODEC_JPEG, data, size, 16, 16, NULL),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_intra_decode(dec, FACET_INTRA_CODEC_AUTO, data, size, 16, 16, &out),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_intra_decode(dec, (FacetIntraCodec)7, data, size, 16, 16, &out),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_intra_decode(dec, FACET_INTRA_CODEC_JPEG, data, size, 0, 16, &out),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_intra_decode(dec, FACET_INTRA_CODEC_JPEG, data, size, 16, -3, &out),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(
        facet_intra_decode(dec, FACET_INTRA_CODEC_JPEG, data, size, 16, 8193, &out),
        FACET_ERR(EINVAL));
    ck_assert_ptr_null(out.buffer);
    /* sizes are network data: malformed, not a caller error */
    ck_assert_int_eq(facet_intra_decode(dec, FACET_INTRA_CODEC_JPEG, data, 0, 16, 16, &out),
                     FACET_ERR(EBADMSG));
    ck_assert_int_eq(facet_intra_decode(dec, FACET_INTRA_CODEC_JPEG, data,
                                        (size_t)FACET_MAX_PACKET_SIZE + 1, 16, 16, &out),
                     FACET_ERR(EBADMSG));
    ck_assert_int_eq(facet_intra_decode(dec, FACET_INTRA_CODEC_JPEG, data, size, 16, 16, &out), 0);
    facet_picture_unref(&out);

    int width, height;
    ck_assert_int_eq(facet_intra_payload_size(FACET_INTRA_CODEC_JPEG, NULL, size, &width, &height),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_intra_payload_size(FACET_INTRA_CODEC_JPEG, data, size, NULL, &height),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_intra_payload_size(FACET_INTRA_CODEC_AUTO, data, size, &width, &height),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_intra_payload_size(FACET_INTRA_CODEC_JPEG, data, size, &width, &height),
                     0);
    ck_assert_int_eq(width, 16);
    ck_assert_int_eq(height, 16);

    ck_assert_ptr_null(facet_intra_decoder_name(FACET_INTRA_CODEC_AUTO));
    ck_assert_str_eq(facet_intra_decoder_name(FACET_INTRA_CODEC_JPEG), "mjpeg");
    if (avcodec_find_decoder_by_name("libdav1d"))
        ck_assert_str_eq(facet_intra_decoder_name(FACET_INTRA_CODEC_AV1), "libdav1d");

    facet_intra_decoder_close(&dec);
    ck_assert_ptr_null(dec);
    facet_intra_decoder_close(&dec);
    facet_intra_decoder_close(NULL);
    free(data);
    facet_picture_unref(&picture);
}
END_TEST

/* ------------------------------------------------------------------------ */

static Suite *intra_suite(void)
{
    Suite *suite = suite_create("intra");

    TCase *quality = tcase_create("quality");
    tcase_add_test(quality, test_floors_catch_broken_pictures);
    tcase_add_loop_test(quality, test_round_trip, 0, CODEC_COUNT);
    tcase_add_loop_test(quality, test_levels_are_kept, 0, CODEC_COUNT);
    tcase_add_loop_test(quality, test_higher_quality_costs_more_and_looks_better, 0,
                        CODEC_COUNT);
    tcase_add_test(quality, test_av1_best_quality_is_lossless);
    suite_add_tcase(suite, quality);

    TCase *standalone = tcase_create("standalone");
    tcase_add_test(standalone, test_auto_resolves_to_a_real_codec);
    tcase_add_loop_test(standalone, test_every_payload_decodes_alone, 0, CODEC_COUNT);
    tcase_add_test(standalone, test_av1_payload_without_sequence_header_is_refused);
    tcase_add_test(standalone, test_svtav1_payloads_decode_alone);
    suite_add_tcase(suite, standalone);

    TCase *sizes = tcase_create("sizes");
    tcase_add_loop_test(sizes, test_odd_and_tiny_sizes, 0, CODEC_COUNT);
    tcase_add_loop_test(sizes, test_size_mismatch_is_refused, 0, CODEC_COUNT);
    tcase_add_test(sizes, test_decoder_switches_codec_and_size);
    suite_add_tcase(suite, sizes);

    TCase *hostile = tcase_create("hostile");
    tcase_add_loop_test(hostile, test_truncated_payloads_are_refused, 0, CODEC_COUNT);
    tcase_add_loop_test(hostile, test_random_bytes_are_refused, 0, CODEC_COUNT);
    tcase_add_loop_test(hostile, test_random_picture_data_behind_valid_headers, 0, CODEC_COUNT);
    tcase_add_loop_test(hostile, test_two_pictures_in_one_payload_are_refused, 0, CODEC_COUNT);
    suite_add_tcase(suite, hostile);

    TCase *arguments = tcase_create("arguments");
    tcase_add_test(arguments, test_encoder_bad_arguments);
    tcase_add_test(arguments, test_decoder_bad_arguments);
    suite_add_tcase(suite, arguments);
    return suite;
}

int main(void)
{
    /* Hostile payloads make the decoders complain; keep the output to test
     * results. SVT-AV1 logs on its own unless told otherwise (1 = errors). */
    av_log_set_level(AV_LOG_QUIET);
    setenv("SVT_LOG", "1", 0);

    SRunner *runner = srunner_create(intra_suite());
    srunner_run_all(runner, CK_VERBOSE);
    int failures = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failures != 0;
}
