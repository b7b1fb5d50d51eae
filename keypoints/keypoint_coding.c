/* SPDX-License-Identifier: BSD-2-Clause */
/* Keypoint quantisation and coding; the format is docs/entropy-coding.md. */
#include "keypoints/keypoint_coding.h"

#include "entropy/rangecoder.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Components of one keypoint in coding order: x, y, then the Jacobian row by
 * row. */
#define COMPONENTS 6
#define FIRST_JACOBIAN_COMPONENT 2

/* Magnitude classes of a residual e: class 0 is e == 0, class 1 is |e| == 1,
 * class c >= 2 covers 2^(c-2) < |e| <= 2^(c-1) and is refined by c - 2 raw
 * bits, so small residuals cost little and the alphabet stays small. A
 * keypoint's offset from the reference and the common offset are each
 * within +-512, so residuals reach +-1024: class 11. */
#define MAG_CLASSES 12

/* Three adaptive models: the per-frame offsets, positions, Jacobians. */
enum { CTX_GLOBAL, CTX_POSITION, CTX_JACOBIAN, NUM_CONTEXTS };

/* Initial distributions, cdf[0..10] of the 12 classes (32768 * P(class <= i)).
 * Delta frames (predicted from the keyframe) expect small residuals;
 * keyframes code positions nearly from scratch. */
static const uint16_t delta_cdfs[NUM_CONTEXTS][MAG_CLASSES - 1] = {
    { 19000, 24000, 26500, 28500, 30000, 31200, 32000, 32400, 32650, 32720, 32750 },
    { 11000, 20500, 25500, 28800, 30800, 31900, 32350, 32550, 32650, 32700, 32740 },
    { 11000, 20500, 25500, 28800, 30800, 31900, 32350, 32550, 32650, 32700, 32740 },
};

static const uint16_t keyframe_cdfs[NUM_CONTEXTS][MAG_CLASSES - 1] = {
    { 6000, 8000, 10000, 12000, 14000, 16500, 19500, 23000, 27000, 31000, 32600 },
    { 2000, 3500, 5000, 7000, 10000, 14000, 19000, 25000, 30000, 32300, 32700 },
    { 5000, 10000, 15000, 20500, 25500, 29000, 31200, 32200, 32550, 32700, 32740 },
};

typedef struct Models {
    uint16_t magnitude[NUM_CONTEXTS][FACET_CDF_SIZE(MAG_CLASSES)];
} Models;

static void models_init(Models *m, int keyframe)
{
    const uint16_t(*tables)[MAG_CLASSES - 1] = keyframe ? keyframe_cdfs : delta_cdfs;
    for (int ctx = 0; ctx < NUM_CONTEXTS; ctx++)
        facet_cdf_init(m->magnitude[ctx], tables[ctx], MAG_CLASSES);
}

static int component_kind(int component)
{
    return component >= FIRST_JACOBIAN_COMPONENT;
}

static int32_t component_limit(int component)
{
    return component_kind(component) ? FACET_KEYPOINT_JACOBIAN_QMAX : FACET_KEYPOINT_POSITION_QMAX;
}

static int32_t get_component(const FacetQuantKeypoints *kp, int i, int component)
{
    switch (component) {
    case 0: return kp->x[i];
    case 1: return kp->y[i];
    default: return kp->jacobian[i][component - FIRST_JACOBIAN_COMPONENT];
    }
}

static void set_component(FacetQuantKeypoints *kp, int i, int component, int32_t value)
{
    switch (component) {
    case 0: kp->x[i] = value; break;
    case 1: kp->y[i] = value; break;
    default: kp->jacobian[i][component - FIRST_JACOBIAN_COMPONENT] = value; break;
    }
}

/* The neutral pose: centred, identity Jacobian. */
static int32_t neutral_component(int component)
{
    return component == 2 || component == 5 ? FACET_KEYPOINT_JACOBIAN_SCALE : 0;
}

static int32_t reference_component(const FacetQuantKeypoints *ref, int i, int component)
{
    return ref ? get_component(ref, i, component) : neutral_component(component);
}

static int count_valid(int count)
{
    return count >= 1 && count <= FACET_MAX_KEYPOINTS;
}

static int values_in_range(const FacetQuantKeypoints *kp)
{
    for (int i = 0; i < kp->count; i++)
        for (int c = 0; c < COMPONENTS; c++) {
            int32_t v = get_component(kp, i, c), limit = component_limit(c);
            if (v < -limit || v > limit)
                return 0;
        }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Quantisation                                                             */

static int32_t quantize_value(float value, float limit, int scale)
{
    double v = value;
    if (v > limit)
        v = limit;
    else if (v < -limit)
        v = -limit;
    /* In double, v * scale + 0.5 is exact (a float has 24 significant bits),
     * so values just below a half step cannot round up as they would in
     * float. */
    double a = (v < 0 ? -v : v) * scale + 0.5;
    int32_t q = (int32_t)a;
    return v < 0 ? -q : q;
}

int facet_keypoints_quantize(const FacetKeypointSet *in, FacetQuantKeypoints *out)
{
    if (!out)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    if (!in || !count_valid(in->count))
        return -EINVAL;
    for (int i = 0; i < in->count; i++) {
        const FacetKeypoint *p = &in->points[i];
        if (isnan(p->x) || isnan(p->y) || isnan(p->jacobian[0][0]) ||
            isnan(p->jacobian[0][1]) || isnan(p->jacobian[1][0]) || isnan(p->jacobian[1][1])) {
            memset(out, 0, sizeof(*out));
            return -EINVAL;
        }
        out->x[i] = quantize_value(p->x, FACET_KEYPOINT_POSITION_LIMIT,
                                   FACET_KEYPOINT_POSITION_SCALE);
        out->y[i] = quantize_value(p->y, FACET_KEYPOINT_POSITION_LIMIT,
                                   FACET_KEYPOINT_POSITION_SCALE);
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 2; c++)
                out->jacobian[i][2 * r + c] =
                    quantize_value(p->jacobian[r][c], FACET_KEYPOINT_JACOBIAN_LIMIT,
                                   FACET_KEYPOINT_JACOBIAN_SCALE);
    }
    out->count = in->count;
    return 0;
}

static float dequantize_value(int32_t q, int32_t qmax, float step)
{
    if (q > qmax)
        q = qmax;
    else if (q < -qmax)
        q = -qmax;
    return (float)q * step;
}

void facet_keypoints_dequantize(const FacetQuantKeypoints *in, FacetKeypointSet *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    if (!in || !count_valid(in->count))
        return;
    for (int i = 0; i < in->count; i++) {
        FacetKeypoint *p = &out->points[i];
        p->x = dequantize_value(in->x[i], FACET_KEYPOINT_POSITION_QMAX,
                                FACET_KEYPOINT_POSITION_STEP);
        p->y = dequantize_value(in->y[i], FACET_KEYPOINT_POSITION_QMAX,
                                FACET_KEYPOINT_POSITION_STEP);
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 2; c++)
                p->jacobian[r][c] = dequantize_value(in->jacobian[i][2 * r + c],
                                                     FACET_KEYPOINT_JACOBIAN_QMAX,
                                                     FACET_KEYPOINT_JACOBIAN_STEP);
    }
    out->count = in->count;
}

/* ------------------------------------------------------------------------ */
/* Prediction and binarisation                                              */

static int magnitude_class(int32_t magnitude)
{
    if (magnitude <= 1)
        return magnitude;
    int c = 2;
    while ((1 << (c - 1)) < magnitude)
        c++;
    return c;
}

/* Smallest magnitude of class c >= 2. */
static int32_t class_base(int c)
{
    return (1 << (c - 2)) + 1;
}

static void encode_residual(FacetRangeEncoder *enc, uint16_t *cdf, int32_t e)
{
    int32_t magnitude = e < 0 ? -e : e;
    int c = magnitude_class(magnitude);
    facet_range_encode_symbol(enc, c, cdf, MAG_CLASSES);
    if (c >= 3)
        facet_range_encode_bits(enc, (uint32_t)(magnitude - class_base(c)), c - 2);
    if (c >= 1)
        facet_range_encode_bits(enc, e < 0, 1);
}

static int32_t decode_residual(FacetRangeDecoder *dec, uint16_t *cdf)
{
    int c = facet_range_decode_symbol(dec, cdf, MAG_CLASSES);
    int32_t magnitude = c;
    if (c >= 3)
        magnitude = class_base(c) + (int32_t)facet_range_decode_bits(dec, c - 2);
    else if (c == 2)
        magnitude = 2;
    int negative = c >= 1 ? (int)facet_range_decode_bits(dec, 1) : 0;
    return negative ? -magnitude : magnitude;
}

static int component_context(int component)
{
    return component_kind(component) ? CTX_JACOBIAN : CTX_POSITION;
}

/* A head moving as a whole shifts every keypoint alike, so each component's
 * offsets from the reference are coded relative to a common offset sent
 * first. The median rather than the mean: when only the mouth or the eyes
 * move, the still majority keeps the common offset at zero. The decoder does
 * not depend on how it was chosen. */
static int32_t median_offset(const FacetQuantKeypoints *kp, const FacetQuantKeypoints *ref,
                             int component)
{
    int32_t v[FACET_MAX_KEYPOINTS];
    int n = kp->count;
    for (int i = 0; i < n; i++) {
        int32_t offset = get_component(kp, i, component) - reference_component(ref, i, component);
        int k = i;
        for (; k > 0 && v[k - 1] > offset; k--)
            v[k] = v[k - 1];
        v[k] = offset;
    }
    return v[(n - 1) / 2];
}

size_t facet_keypoints_max_coded_size(int count)
{
    if (!count_valid(count))
        return 0;
    /* Per residual at most 15.01 bits for the class (every symbol keeps at
     * least 1/32768 of the interval), 9 refinement bits and a sign: under
     * 19 bytes per keypoint, plus one more keypoint's worth for the common
     * offsets. The coder adds at most 2 bytes. */
    return (size_t)(count + 1) * 19 + 2;
}

int facet_keypoints_encode(const FacetQuantKeypoints *kp, const FacetQuantKeypoints *ref,
                           uint8_t *buf, size_t capacity)
{
    if (!kp || (!buf && capacity > 0) || !count_valid(kp->count) || !values_in_range(kp))
        return -EINVAL;
    if (ref && (ref->count != kp->count || !values_in_range(ref)))
        return -EINVAL;

    Models models;
    models_init(&models, ref == NULL);
    FacetRangeEncoder enc;
    facet_range_encoder_init(&enc, buf, capacity);
    int32_t common[COMPONENTS];
    for (int c = 0; c < COMPONENTS; c++) {
        common[c] = median_offset(kp, ref, c);
        encode_residual(&enc, models.magnitude[CTX_GLOBAL], common[c]);
    }
    for (int i = 0; i < kp->count; i++) {
        for (int c = 0; c < COMPONENTS; c++) {
            int32_t offset = get_component(kp, i, c) - reference_component(ref, i, c);
            encode_residual(&enc, models.magnitude[component_context(c)], offset - common[c]);
        }
    }
    return facet_range_encoder_finish(&enc);
}

int facet_keypoints_decode(const uint8_t *buf, size_t size, int count,
                           const FacetQuantKeypoints *ref, FacetQuantKeypoints *out)
{
    if (!out)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    if ((!buf && size > 0) || !count_valid(count))
        return -EINVAL;
    if (ref) {
        if (ref->count != count)
            return -EBADMSG;
        if (!values_in_range(ref))
            return -EINVAL;
    }

    Models models;
    models_init(&models, ref == NULL);
    FacetRangeDecoder dec;
    facet_range_decoder_init(&dec, buf, size);
    int32_t common[COMPONENTS];
    for (int c = 0; c < COMPONENTS; c++) {
        common[c] = decode_residual(&dec, models.magnitude[CTX_GLOBAL]);
        /* An offset between two in-range values never exceeds 2 * QMAX. */
        if (common[c] < -2 * component_limit(c) || common[c] > 2 * component_limit(c))
            goto corrupt;
    }
    for (int i = 0; i < count; i++) {
        for (int c = 0; c < COMPONENTS; c++) {
            /* |residual| <= 1024 and |common| <= 512: no overflow before the
             * range check. */
            int32_t residual = decode_residual(&dec, models.magnitude[component_context(c)]);
            int32_t value = reference_component(ref, i, c) + common[c] + residual;
            int32_t limit = component_limit(c);
            if (value < -limit || value > limit)
                goto corrupt;
            set_component(out, i, c, value);
        }
    }
    /* The payload must be exactly the stream: both a stream that needs more
     * bytes and bytes left over mean a corrupt payload or length. */
    if (facet_range_decoder_overrun(&dec) || facet_range_decoder_unused_bytes(&dec) != 0)
        goto corrupt;
    out->count = count;
    return 0;

corrupt:
    memset(out, 0, sizeof(*out));
    return -EBADMSG;
}
