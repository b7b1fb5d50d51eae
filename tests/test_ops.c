/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Render ops (render/ops.h) and the thread pool.
 *
 *  - checkasm style: every kernel of the best table for this CPU against the
 *    C reference on random inputs of many shapes (odd sizes, channel counts
 *    that are not multiples of 4 or 8, strides 1 and 2, k = 1/3/5/7, every
 *    activation, views into larger tensors, in-place calls);
 *  - the C reference (and the best table) against PyTorch's outputs in
 *    tests/golden/ops.safetensors (written by tests/golden/make_op_vectors.py);
 *  - results bit-identical whatever the thread count;
 *  - bad arguments answered with -EINVAL;
 *  - the thread pool on its own: no jobs, many small jobs, many short runs.
 *
 * Tolerances are absolute, on outputs of magnitude about 1 (inputs in
 * [-1, 1], conv weights scaled by 1/sqrt(fan-in)): 1e-4 against PyTorch and
 * between kernels that round differently (FMA, polynomial exp); exact
 * equality where both sides do the same float operations (copies, add, mul,
 * avgpool, grid_sample's arithmetic mirrors the reference's).
 */
#include "render/ops.h"
#include "render/safetensors.h"
#include "render/thread_pool.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOLERANCE 1e-4
#define GOLDEN_PATH FACET_SOURCE_DIR "/tests/golden/ops.safetensors"

/* splitmix64: deterministic, so a failure reproduces from its seed. */
typedef struct Rng {
    uint64_t state;
} Rng;

static uint64_t rng_next(Rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int rng_int(Rng *r, int lo, int hi)
{
    return lo + (int)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* Uniform in [-1, 1). */
static float rng_float(Rng *r)
{
    return (float)((double)(rng_next(r) >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static void fill_random(Rng *r, FacetTensor *t, float scale)
{
    size_t n = facet_tensor_size(t);
    for (size_t i = 0; i < n; i++)
        t->data[i] = rng_float(r) * scale;
}

static void alloc_tensor(FacetTensor *t, int c, int h, int w)
{
    ck_assert_int_eq(facet_tensor_alloc(t, c, h, w), 0);
}

/* Channels [first, first + c) of `parent` as a tensor of its own. */
static FacetTensor view_of(const FacetTensor *parent, int first, int c)
{
    FacetTensor v = {facet_tensor_channel(parent, first), c, parent->h, parent->w, 0};
    return v;
}

static void fill_value(FacetTensor *t, float v)
{
    size_t n = facet_tensor_size(t);
    for (size_t i = 0; i < n; i++)
        t->data[i] = v;
}

/* Largest |a - b| (infinite when one is NaN and the other is not). */
static double max_abs_diff(const FacetTensor *a, const FacetTensor *b)
{
    ck_assert_int_eq(a->c, b->c);
    ck_assert_int_eq(a->h, b->h);
    ck_assert_int_eq(a->w, b->w);
    double worst = 0;
    size_t n = facet_tensor_size(a);
    for (size_t i = 0; i < n; i++) {
        float x = a->data[i], y = b->data[i];
        if (isnan(x) || isnan(y)) {
            if (!(isnan(x) && isnan(y)))
                return INFINITY;
            continue;
        }
        double d = fabs((double)x - (double)y);
        if (d > worst)
            worst = d;
    }
    return worst;
}

static int bit_identical(const FacetTensor *a, const FacetTensor *b)
{
    return a->c == b->c && a->h == b->h && a->w == b->w &&
           memcmp(a->data, b->data, facet_tensor_size(a) * sizeof(float)) == 0;
}

/* Every element of parent outside channels [first, first + c) still holds
 * the sentinel. */
static void assert_outside_untouched(const FacetTensor *parent, int first, int c, float sentinel)
{
    size_t plane = (size_t)parent->h * (size_t)parent->w;
    for (int ch = 0; ch < parent->c; ch++) {
        if (ch >= first && ch < first + c)
            continue;
        const float *p = facet_tensor_channel(parent, ch);
        for (size_t i = 0; i < plane; i++)
            ck_assert_msg(p[i] == sentinel, "channel %d element %zu written outside the view", ch,
                          i);
    }
}

static FacetRenderOps ref_ops, best_ops;
static FacetThreadPool *pool;
static FacetWorkspace ws_ref, ws_best;

static void setup(void)
{
    facet_render_ops_init(&ref_ops, FACET_RENDER_OPS_FORCE_C);
    facet_render_ops_init(&best_ops, 0);
    ck_assert_int_eq(facet_thread_pool_create(&pool, 2), 0);
    facet_workspace_init(&ws_ref, pool);
    facet_workspace_init(&ws_best, pool);
}

static void teardown(void)
{
    facet_workspace_free(&ws_ref);
    facet_workspace_free(&ws_best);
    facet_thread_pool_destroy(&pool);
}

/* ------------------------------------------------------------------------
 * conv2d, optimised against reference */

static void make_conv(Rng *r, FacetConv2d *conv, int in_c, int out_c, int k, int stride,
                      FacetActivation act, int with_bias)
{
    size_t n = (size_t)out_c * (size_t)in_c * (size_t)(k * k);
    float *w = malloc(n * sizeof(float));
    float *b = malloc((size_t)out_c * sizeof(float));
    ck_assert_ptr_nonnull(w);
    ck_assert_ptr_nonnull(b);
    float scale = 1.0f / sqrtf((float)(in_c * k * k));
    for (size_t i = 0; i < n; i++)
        w[i] = rng_float(r) * scale;
    for (int i = 0; i < out_c; i++)
        b[i] = rng_float(r) * 0.5f;
    ck_assert_int_eq(facet_conv2d_init(conv, w, with_bias ? b : NULL, out_c, in_c, k, stride, act),
                     0);
    free(w);
    free(b);
}

/* One conv shape: the reference into a plain tensor, the best kernels into
 * a view inside a larger tensor filled with a sentinel, from an input that
 * is itself a view when `views` is set. */
static void check_conv_case(Rng *r, int in_c, int out_c, int k, int stride, int h, int w,
                            FacetActivation act, int views)
{
    FacetConv2d conv;
    make_conv(r, &conv, in_c, out_c, k, stride, act, rng_int(r, 0, 3) != 0);
    int oh = facet_conv2d_output_size(&conv, h), ow = facet_conv2d_output_size(&conv, w);

    int in_first = views ? rng_int(r, 0, 3) : 0, in_extra = views ? rng_int(r, 0, 2) : 0;
    FacetTensor in_parent;
    alloc_tensor(&in_parent, in_c + in_first + in_extra, h, w);
    fill_random(r, &in_parent, 1.0f);
    FacetTensor in = view_of(&in_parent, in_first, in_c);

    FacetTensor ref;
    alloc_tensor(&ref, out_c, oh, ow);
    int out_first = views ? rng_int(r, 0, 3) : 0, out_extra = views ? rng_int(r, 0, 2) : 0;
    FacetTensor out_parent;
    alloc_tensor(&out_parent, out_c + out_first + out_extra, oh, ow);
    const float sentinel = 12345.0f;
    fill_value(&out_parent, sentinel);
    FacetTensor out = view_of(&out_parent, out_first, out_c);

    ck_assert_int_eq(ref_ops.conv2d(&ws_ref, &conv, &in, &ref), 0);
    ck_assert_int_eq(best_ops.conv2d(&ws_best, &conv, &in, &out), 0);
    double err = max_abs_diff(&ref, &out);
    ck_assert_msg(err <= TOLERANCE,
                  "conv %d->%d k%d s%d act %d on %dx%d: max abs error %g (> %g)", in_c, out_c, k,
                  stride, (int)act, h, w, err, TOLERANCE);
    assert_outside_untouched(&out_parent, out_first, out_c, sentinel);

    facet_tensor_free(&in_parent);
    facet_tensor_free(&out_parent);
    facet_tensor_free(&ref);
    facet_conv2d_free(&conv);
}

START_TEST(test_conv_random_shapes)
{
    static const int kernels[] = {1, 3, 5, 7};
    Rng r = {0xC0417};
    for (int i = 0; i < 80; i++) {
        int k = kernels[rng_int(&r, 0, 3)];
        check_conv_case(&r, rng_int(&r, 1, 19), rng_int(&r, 1, 13), k, rng_int(&r, 1, 2),
                        rng_int(&r, 1, 21), rng_int(&r, 1, 29),
                        (FacetActivation)rng_int(&r, 0, FACET_ACT_COUNT - 1), i % 2);
    }
}
END_TEST

START_TEST(test_conv_fixed_shapes)
{
    Rng r = {0xF1ED};
    /* Every kernel size, stride and activation on one odd shape. */
    static const int kernels[] = {1, 3, 5, 7};
    for (int ki = 0; ki < 4; ki++)
        for (int s = 1; s <= 2; s++)
            for (int act = 0; act < FACET_ACT_COUNT; act++)
                check_conv_case(&r, 5, 7, kernels[ki], s, 9, 11, (FacetActivation)act, 1);
    /* The network's channel counts, on small images. */
    check_conv_case(&r, 64, 64, 3, 1, 8, 8, FACET_ACT_RELU, 0);
    check_conv_case(&r, 44, 24, 3, 1, 10, 12, FACET_ACT_RELU, 1);
    check_conv_case(&r, 24, 48, 3, 2, 12, 14, FACET_ACT_RELU, 1);
    check_conv_case(&r, 68, 12, 3, 1, 6, 9, FACET_ACT_NONE, 1);
    check_conv_case(&r, 16, 10, 7, 1, 10, 10, FACET_ACT_NONE, 0);
    check_conv_case(&r, 3, 16, 7, 1, 12, 13, FACET_ACT_RELU, 0);
    check_conv_case(&r, 8, 3, 3, 1, 16, 16, FACET_ACT_SIGMOID, 0);
    /* Rows wider than a tile (whole tiles inside a row, tiles across row
     * ends), a single row, a single column, a single pixel. */
    check_conv_case(&r, 5, 6, 3, 1, 3, 61, FACET_ACT_RELU, 1);
    check_conv_case(&r, 5, 6, 3, 2, 3, 77, FACET_ACT_RELU, 1);
    check_conv_case(&r, 3, 5, 3, 1, 1, 40, FACET_ACT_NONE, 0);
    check_conv_case(&r, 3, 5, 3, 1, 40, 1, FACET_ACT_NONE, 0);
    check_conv_case(&r, 3, 5, 7, 2, 1, 1, FACET_ACT_TANH, 0);
    check_conv_case(&r, 2, 9, 1, 2, 7, 9, FACET_ACT_SIGMOID, 1);
}
END_TEST

/* ------------------------------------------------------------------------
 * Other ops, optimised against reference */

static void check_close(const FacetTensor *ref, const FacetTensor *got, double tol,
                        const char *what, int c, int h, int w)
{
    double err = max_abs_diff(ref, got);
    ck_assert_msg(err <= tol, "%s on %dx%dx%d: max abs error %g (> %g)", what, c, h, w, err, tol);
}

START_TEST(test_resample_ops_random_shapes)
{
    Rng r = {0x5A3};
    for (int i = 0; i < 40; i++) {
        int c = rng_int(&r, 1, 11), h = rng_int(&r, 1, 19), w = rng_int(&r, 1, 37);
        FacetTensor in, ref, parent, got;
        alloc_tensor(&in, c, h, w);
        fill_random(&r, &in, 1.0f);

        /* upsample2x into a view (exact: copies) */
        alloc_tensor(&ref, c, 2 * h, 2 * w);
        alloc_tensor(&parent, c + 2, 2 * h, 2 * w);
        fill_value(&parent, -7.0f);
        got = view_of(&parent, 1, c);
        ck_assert_int_eq(ref_ops.upsample2x(&ws_ref, &in, &ref), 0);
        ck_assert_int_eq(best_ops.upsample2x(&ws_best, &in, &got), 0);
        ck_assert_msg(bit_identical(&ref, &got), "upsample2x %dx%dx%d differs", c, h, w);
        assert_outside_untouched(&parent, 1, c, -7.0f);
        facet_tensor_free(&ref);
        facet_tensor_free(&parent);

        /* avgpool2x2 (odd sizes drop the last row/column) */
        if (h >= 2 && w >= 2) {
            alloc_tensor(&ref, c, h / 2, w / 2);
            alloc_tensor(&got, c, h / 2, w / 2);
            ck_assert_int_eq(ref_ops.avgpool2x2(&ws_ref, &in, &ref), 0);
            ck_assert_int_eq(best_ops.avgpool2x2(&ws_best, &in, &got), 0);
            ck_assert_msg(bit_identical(&ref, &got), "avgpool2x2 %dx%dx%d differs", c, h, w);
            facet_tensor_free(&ref);
            facet_tensor_free(&got);
        }

        /* grid_sample to another size, points up to 60 % outside */
        int oh = rng_int(&r, 1, 17), ow = rng_int(&r, 1, 33);
        FacetTensor grid;
        alloc_tensor(&grid, 2, oh, ow);
        fill_random(&r, &grid, 1.6f);
        alloc_tensor(&ref, c, oh, ow);
        alloc_tensor(&got, c, oh, ow);
        ck_assert_int_eq(ref_ops.grid_sample(&ws_ref, &in, &grid, &ref), 0);
        ck_assert_int_eq(best_ops.grid_sample(&ws_best, &in, &grid, &got), 0);
        check_close(&ref, &got, 1e-6, "grid_sample", c, oh, ow);
        facet_tensor_free(&grid);
        facet_tensor_free(&ref);
        facet_tensor_free(&got);
        facet_tensor_free(&in);
    }
}
END_TEST

START_TEST(test_grid_sample_non_finite_grid)
{
    /* NaN lands on the first pixel, +-inf on the borders; nothing is read
     * out of bounds (the sanitizer build checks) and both tables agree. */
    Rng r = {0x9A};
    FacetTensor in, grid, ref, got;
    alloc_tensor(&in, 3, 5, 9);
    fill_random(&r, &in, 1.0f);
    alloc_tensor(&grid, 2, 2, 11);
    fill_random(&r, &grid, 1.0f);
    const float specials[] = {NAN, INFINITY, -INFINITY, 1e30f, -1e30f, 0.0f};
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) {
            int idx = i * 6 + j;
            if (idx >= 22)
                break;
            grid.data[idx] = specials[i];                 /* x */
            grid.data[22 + idx] = specials[j];            /* y */
        }
    alloc_tensor(&ref, 3, 2, 11);
    alloc_tensor(&got, 3, 2, 11);
    ck_assert_int_eq(ref_ops.grid_sample(&ws_ref, &in, &grid, &ref), 0);
    ck_assert_int_eq(best_ops.grid_sample(&ws_best, &in, &grid, &got), 0);
    for (size_t i = 0; i < facet_tensor_size(&ref); i++)
        ck_assert_msg(isfinite(ref.data[i]), "element %zu not finite", i);
    ck_assert(bit_identical(&ref, &got));
    /* (NaN, NaN) samples pixel (0, 0) of every channel. */
    for (int c = 0; c < 3; c++)
        ck_assert_float_eq(ref.data[c * 22], facet_tensor_channel(&in, c)[0]);
    facet_tensor_free(&in);
    facet_tensor_free(&grid);
    facet_tensor_free(&ref);
    facet_tensor_free(&got);
}
END_TEST

START_TEST(test_grid_sample_identity)
{
    /* The identity grid of pixel centres, (2 i + 1) / W - 1, gives the input
     * back: align_corners=False puts the centres there. */
    Rng r = {0x1D};
    FacetTensor in, grid, out;
    alloc_tensor(&in, 4, 7, 13);
    fill_random(&r, &in, 1.0f);
    alloc_tensor(&grid, 2, 7, 13);
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 13; x++) {
            grid.data[y * 13 + x] = (2.0f * (float)x + 1.0f) / 13.0f - 1.0f;
            grid.data[91 + y * 13 + x] = (2.0f * (float)y + 1.0f) / 7.0f - 1.0f;
        }
    alloc_tensor(&out, 4, 7, 13);
    const FacetRenderOps *tables[] = {&ref_ops, &best_ops};
    for (int t = 0; t < 2; t++) {
        ck_assert_int_eq(tables[t]->grid_sample(&ws_ref, &in, &grid, &out), 0);
        ck_assert_msg(max_abs_diff(&in, &out) <= 1e-6, "table %d: %g", t,
                      max_abs_diff(&in, &out));
    }
    facet_tensor_free(&in);
    facet_tensor_free(&grid);
    facet_tensor_free(&out);
}
END_TEST

START_TEST(test_softmax_random_shapes)
{
    Rng r = {0x50F7};
    for (int i = 0; i < 30; i++) {
        int c = rng_int(&r, 1, 13), h = rng_int(&r, 1, 17), w = rng_int(&r, 1, 41);
        FacetTensor in, ref, got;
        alloc_tensor(&in, c, h, w);
        fill_random(&r, &in, i % 3 == 0 ? 40.0f : 3.0f); /* large logits: stability */
        alloc_tensor(&ref, c, h, w);
        alloc_tensor(&got, c, h, w);

        ck_assert_int_eq(ref_ops.softmax_channels(&ws_ref, &in, &ref), 0);
        ck_assert_int_eq(best_ops.softmax_channels(&ws_best, &in, &got), 0);
        check_close(&ref, &got, TOLERANCE, "softmax_channels", c, h, w);
        /* Each pixel's channels sum to 1. */
        for (int p = 0; p < h * w; p++) {
            double sum = 0;
            for (int ch = 0; ch < c; ch++)
                sum += got.data[ch * h * w + p];
            ck_assert_msg(fabs(sum - 1.0) < 1e-5, "pixel %d sums to %g", p, sum);
        }

        static const float temperatures[] = {0.1f, 1.0f, 3.0f};
        float t = temperatures[i % 3];
        ck_assert_int_eq(ref_ops.softmax_spatial(&ws_ref, &in, t, &ref), 0);
        ck_assert_int_eq(best_ops.softmax_spatial(&ws_best, &in, t, &got), 0);
        check_close(&ref, &got, TOLERANCE, "softmax_spatial", c, h, w);

        /* In place gives the same as out of place. */
        FacetTensor inplace;
        alloc_tensor(&inplace, c, h, w);
        memcpy(inplace.data, in.data, facet_tensor_size(&in) * sizeof(float));
        ck_assert_int_eq(best_ops.softmax_spatial(&ws_best, &inplace, t, &inplace), 0);
        ck_assert(bit_identical(&inplace, &got));
        memcpy(inplace.data, in.data, facet_tensor_size(&in) * sizeof(float));
        ck_assert_int_eq(best_ops.softmax_channels(&ws_best, &inplace, &inplace), 0);
        ck_assert_int_eq(best_ops.softmax_channels(&ws_best, &in, &got), 0);
        ck_assert(bit_identical(&inplace, &got));

        facet_tensor_free(&inplace);
        facet_tensor_free(&in);
        facet_tensor_free(&ref);
        facet_tensor_free(&got);
    }
}
END_TEST

START_TEST(test_elementwise_random_shapes)
{
    Rng r = {0xE1E};
    for (int i = 0; i < 30; i++) {
        int c = rng_int(&r, 1, 9), h = rng_int(&r, 1, 13), w = rng_int(&r, 1, 45);
        FacetTensor a, b, map, ref, got;
        alloc_tensor(&a, c, h, w);
        alloc_tensor(&b, c, h, w);
        alloc_tensor(&map, 1, h, w);
        alloc_tensor(&ref, c, h, w);
        alloc_tensor(&got, c, h, w);
        fill_random(&r, &a, 12.0f);
        fill_random(&r, &b, 2.0f);
        fill_random(&r, &map, 1.0f);

        for (int act = FACET_ACT_RELU; act < FACET_ACT_COUNT; act++) {
            memcpy(ref.data, a.data, facet_tensor_size(&a) * sizeof(float));
            memcpy(got.data, a.data, facet_tensor_size(&a) * sizeof(float));
            ck_assert_int_eq(ref_ops.activate(&ws_ref, &ref, (FacetActivation)act), 0);
            ck_assert_int_eq(best_ops.activate(&ws_best, &got, (FacetActivation)act), 0);
            if (act == FACET_ACT_RELU)
                ck_assert(bit_identical(&ref, &got));
            else
                check_close(&ref, &got, 1e-6, act == FACET_ACT_SIGMOID ? "sigmoid" : "tanh", c,
                            h, w);
        }
        ck_assert_int_eq(ref_ops.add(&ws_ref, &a, &b, &ref), 0);
        ck_assert_int_eq(best_ops.add(&ws_best, &a, &b, &got), 0);
        ck_assert(bit_identical(&ref, &got));
        ck_assert_int_eq(ref_ops.mul(&ws_ref, &a, &b, &ref), 0);
        ck_assert_int_eq(best_ops.mul(&ws_best, &a, &b, &got), 0);
        ck_assert(bit_identical(&ref, &got));
        ck_assert_int_eq(ref_ops.mul_map(&ws_ref, &a, &map, &ref), 0);
        ck_assert_int_eq(best_ops.mul_map(&ws_best, &a, &map, &got), 0);
        ck_assert(bit_identical(&ref, &got));
        /* In place: out = a, out = b. */
        ck_assert_int_eq(best_ops.mul_map(&ws_best, &a, &map, &a), 0);
        ck_assert(bit_identical(&ref, &a));
        ck_assert_int_eq(ref_ops.add(&ws_ref, &a, &b, &ref), 0);
        ck_assert_int_eq(best_ops.add(&ws_best, &a, &b, &b), 0);
        ck_assert(bit_identical(&ref, &b));

        facet_tensor_free(&a);
        facet_tensor_free(&b);
        facet_tensor_free(&map);
        facet_tensor_free(&ref);
        facet_tensor_free(&got);
    }
}
END_TEST

/* ------------------------------------------------------------------------
 * Thread counts */

/* Runs every op of `ops` with `workspace` on fixed inputs, into out[0..10). */
static void run_all_ops(const FacetRenderOps *ops, FacetWorkspace *workspace, FacetTensor *out)
{
    Rng r = {0x7EAD};
    FacetConv2d c3, c7s2;
    make_conv(&r, &c3, 13, 11, 3, 1, FACET_ACT_RELU, 1);
    make_conv(&r, &c7s2, 6, 9, 7, 2, FACET_ACT_SIGMOID, 1);
    FacetTensor in13, in6, grid, map;
    alloc_tensor(&in13, 13, 23, 37);
    alloc_tensor(&in6, 6, 23, 37);
    alloc_tensor(&grid, 2, 19, 29);
    alloc_tensor(&map, 1, 23, 37);
    fill_random(&r, &in13, 1.0f);
    fill_random(&r, &in6, 3.0f);
    fill_random(&r, &grid, 1.3f);
    fill_random(&r, &map, 1.0f);

    alloc_tensor(&out[0], 11, 23, 37);
    ck_assert_int_eq(ops->conv2d(workspace, &c3, &in13, &out[0]), 0);
    alloc_tensor(&out[1], 9, 12, 19);
    ck_assert_int_eq(ops->conv2d(workspace, &c7s2, &in6, &out[1]), 0);
    alloc_tensor(&out[2], 6, 46, 74);
    ck_assert_int_eq(ops->upsample2x(workspace, &in6, &out[2]), 0);
    alloc_tensor(&out[3], 6, 11, 18);
    ck_assert_int_eq(ops->avgpool2x2(workspace, &in6, &out[3]), 0);
    alloc_tensor(&out[4], 13, 19, 29);
    ck_assert_int_eq(ops->grid_sample(workspace, &in13, &grid, &out[4]), 0);
    alloc_tensor(&out[5], 6, 23, 37);
    ck_assert_int_eq(ops->softmax_channels(workspace, &in6, &out[5]), 0);
    alloc_tensor(&out[6], 6, 23, 37);
    ck_assert_int_eq(ops->softmax_spatial(workspace, &in6, 0.1f, &out[6]), 0);
    alloc_tensor(&out[7], 6, 23, 37);
    memcpy(out[7].data, in6.data, facet_tensor_size(&in6) * sizeof(float));
    ck_assert_int_eq(ops->activate(workspace, &out[7], FACET_ACT_TANH), 0);
    alloc_tensor(&out[8], 6, 23, 37);
    ck_assert_int_eq(ops->mul_map(workspace, &in6, &map, &out[8]), 0);
    alloc_tensor(&out[9], 6, 23, 37);
    ck_assert_int_eq(ops->add(workspace, &in6, &out[7], &out[9]), 0);

    facet_conv2d_free(&c3);
    facet_conv2d_free(&c7s2);
    facet_tensor_free(&in13);
    facet_tensor_free(&in6);
    facet_tensor_free(&grid);
    facet_tensor_free(&map);
}

START_TEST(test_thread_count_bit_exact)
{
    const FacetRenderOps *tables[] = {&ref_ops, &best_ops};
    for (int t = 0; t < 2; t++) {
        FacetTensor one[10], many[10];
        FacetWorkspace single;
        facet_workspace_init(&single, NULL);
        run_all_ops(tables[t], &single, one);
        facet_workspace_free(&single);
        static const int counts[] = {2, 3, 5};
        for (int n = 0; n < 3; n++) {
            FacetThreadPool *p;
            ck_assert_int_eq(facet_thread_pool_create(&p, counts[n]), 0);
            FacetWorkspace multi;
            facet_workspace_init(&multi, p);
            run_all_ops(tables[t], &multi, many);
            for (int i = 0; i < 10; i++) {
                ck_assert_msg(bit_identical(&one[i], &many[i]),
                              "table %d, op %d: 1 thread and %d threads differ", t, i, counts[n]);
                facet_tensor_free(&many[i]);
            }
            facet_workspace_free(&multi);
            facet_thread_pool_destroy(&p);
        }
        for (int i = 0; i < 10; i++)
            facet_tensor_free(&one[i]);
    }
}
END_TEST

/* ------------------------------------------------------------------------
 * Against PyTorch */

static FacetModelFile *golden;

static void golden_setup(void)
{
    setup();
    char err[256];
    int ret = facet_model_file_open(&golden, GOLDEN_PATH, err, sizeof(err));
    ck_assert_msg(ret == 0, "%s", err);
}

static void golden_teardown(void)
{
    facet_model_file_close(&golden);
    teardown();
}

/* Loads a tensor of any shape from the golden file (see load_tensor's
 * mapping of shapes onto c, h, w). */
static void load(const char *name, FacetTensor *t)
{
    FacetModelTensorInfo info;
    ck_assert_msg(facet_model_file_tensor_info(golden, name, &info) == 0, "no tensor %s", name);
    char err[256];
    int ret = facet_model_file_load_tensor(golden, name, info.ndim, info.shape, t, err,
                                           sizeof(err));
    ck_assert_msg(ret == 0, "%s", err);
}

static void assert_matches_torch(const FacetTensor *got, const char *name, const char *table)
{
    FacetTensor want;
    load(name, &want);
    ck_assert_int_eq(facet_tensor_size(&want), facet_tensor_size(got));
    /* Same element count and order; compare as flat arrays. */
    FacetTensor flat_got = {got->data, 1, 1, (int)facet_tensor_size(got), 0};
    FacetTensor flat_want = {want.data, 1, 1, (int)facet_tensor_size(&want), 0};
    double err = max_abs_diff(&flat_want, &flat_got);
    ck_assert_msg(err <= TOLERANCE, "%s (%s kernels): max abs error %g against PyTorch (> %g)",
                  name, table, err, TOLERANCE);
    facet_tensor_free(&want);
}

static const char *const act_names[] = {"none", "relu", "sigmoid", "tanh"};

START_TEST(test_golden_conv)
{
    const FacetRenderOps *tables[] = {&ref_ops, &best_ops};
    const char *table_names[] = {"C", facet_render_ops_isa()};
    static const int kernels[] = {1, 3, 7};
    for (int ki = 0; ki < 3; ki++) {
        int k = kernels[ki];
        char name[64];
        FacetTensor in, weight, bias;
        snprintf(name, sizeof(name), "conv.k%d.input", k);
        load(name, &in);
        snprintf(name, sizeof(name), "conv.k%d.weight", k);
        load(name, &weight); /* [O, I, k, k] -> (O * I, k, k) */
        snprintf(name, sizeof(name), "conv.k%d.bias", k);
        load(name, &bias);
        int out_c = bias.w, in_c = in.c;
        ck_assert_int_eq(weight.c, out_c * in_c);
        ck_assert_int_eq(weight.h, k);
        for (int s = 1; s <= 2; s++)
            for (int act = 0; act < FACET_ACT_COUNT; act++) {
                FacetConv2d conv;
                ck_assert_int_eq(facet_conv2d_init(&conv, weight.data, bias.data, out_c, in_c, k, s,
                                                   (FacetActivation)act),
                                 0);
                FacetTensor out;
                alloc_tensor(&out, out_c, facet_conv2d_output_size(&conv, in.h),
                             facet_conv2d_output_size(&conv, in.w));
                snprintf(name, sizeof(name), "conv.k%d.s%d.%s", k, s, act_names[act]);
                for (int t = 0; t < 2; t++) {
                    fill_value(&out, NAN);
                    ck_assert_int_eq(tables[t]->conv2d(&ws_ref, &conv, &in, &out), 0);
                    assert_matches_torch(&out, name, table_names[t]);
                }
                facet_tensor_free(&out);
                facet_conv2d_free(&conv);
            }
        facet_tensor_free(&in);
        facet_tensor_free(&weight);
        facet_tensor_free(&bias);
    }
}
END_TEST

START_TEST(test_golden_other_ops)
{
    const FacetRenderOps *tables[] = {&ref_ops, &best_ops};
    const char *table_names[] = {"C", facet_render_ops_isa()};
    FacetTensor in, in2, in3, out;
    for (int t = 0; t < 2; t++) {
        const FacetRenderOps *ops = tables[t];
        const char *tn = table_names[t];

        load("upsample2x.input", &in);
        alloc_tensor(&out, in.c, 2 * in.h, 2 * in.w);
        ck_assert_int_eq(ops->upsample2x(&ws_ref, &in, &out), 0);
        assert_matches_torch(&out, "upsample2x.output", tn);
        facet_tensor_free(&in);
        facet_tensor_free(&out);

        load("avgpool2x2.input", &in);
        alloc_tensor(&out, in.c, in.h / 2, in.w / 2);
        ck_assert_int_eq(ops->avgpool2x2(&ws_ref, &in, &out), 0);
        assert_matches_torch(&out, "avgpool2x2.output", tn);
        facet_tensor_free(&in);
        facet_tensor_free(&out);

        load("grid_sample.input", &in);
        load("grid_sample.grid", &in2);
        alloc_tensor(&out, in.c, in2.h, in2.w);
        ck_assert_int_eq(ops->grid_sample(&ws_ref, &in, &in2, &out), 0);
        assert_matches_torch(&out, "grid_sample.output", tn);
        facet_tensor_free(&in);
        facet_tensor_free(&in2);
        facet_tensor_free(&out);

        load("softmax_channels.input", &in);
        alloc_tensor(&out, in.c, in.h, in.w);
        ck_assert_int_eq(ops->softmax_channels(&ws_ref, &in, &out), 0);
        assert_matches_torch(&out, "softmax_channels.output", tn);
        facet_tensor_free(&in);
        facet_tensor_free(&out);

        load("softmax_spatial.input", &in);
        load("softmax_spatial.temperature", &in2);
        alloc_tensor(&out, in.c, in.h, in.w);
        ck_assert_int_eq(ops->softmax_spatial(&ws_ref, &in, in2.data[0], &out), 0);
        assert_matches_torch(&out, "softmax_spatial.output", tn);
        facet_tensor_free(&in);
        facet_tensor_free(&in2);
        facet_tensor_free(&out);

        static const struct {
            FacetActivation act;
            const char *name;
        } acts[] = {{FACET_ACT_RELU, "activation.relu"},
                    {FACET_ACT_SIGMOID, "activation.sigmoid"},
                    {FACET_ACT_TANH, "activation.tanh"}};
        for (int i = 0; i < 3; i++) {
            load("activation.input", &in);
            ck_assert_int_eq(ops->activate(&ws_ref, &in, acts[i].act), 0);
            assert_matches_torch(&in, acts[i].name, tn);
            facet_tensor_free(&in);
        }

        load("binary.a", &in);
        load("binary.b", &in2);
        load("binary.map", &in3);
        alloc_tensor(&out, in.c, in.h, in.w);
        ck_assert_int_eq(ops->add(&ws_ref, &in, &in2, &out), 0);
        assert_matches_torch(&out, "binary.add", tn);
        ck_assert_int_eq(ops->mul(&ws_ref, &in, &in2, &out), 0);
        assert_matches_torch(&out, "binary.mul", tn);
        ck_assert_int_eq(ops->mul_map(&ws_ref, &in, &in3, &out), 0);
        assert_matches_torch(&out, "binary.mul_map", tn);
        facet_tensor_free(&in);
        facet_tensor_free(&in2);
        facet_tensor_free(&in3);
        facet_tensor_free(&out);
    }
}
END_TEST

/* ------------------------------------------------------------------------
 * Bad arguments */

START_TEST(test_bad_arguments)
{
    Rng r = {0xBAD};
    FacetConv2d conv;
    float w[2 * 3 * 9] = {0};
    /* conv2d_init */
    ck_assert_int_eq(facet_conv2d_init(NULL, w, NULL, 2, 3, 3, 1, FACET_ACT_NONE), -EINVAL);
    ck_assert_int_eq(facet_conv2d_init(&conv, NULL, NULL, 2, 3, 3, 1, FACET_ACT_NONE), -EINVAL);
    ck_assert_int_eq(facet_conv2d_init(&conv, w, NULL, 0, 3, 3, 1, FACET_ACT_NONE), -EINVAL);
    ck_assert_int_eq(facet_conv2d_init(&conv, w, NULL, 2, -1, 3, 1, FACET_ACT_NONE), -EINVAL);
    ck_assert_int_eq(facet_conv2d_init(&conv, w, NULL, 2, 3, 2, 1, FACET_ACT_NONE), -EINVAL);
    ck_assert_int_eq(facet_conv2d_init(&conv, w, NULL, 2, 3, 9, 1, FACET_ACT_NONE), -EINVAL);
    ck_assert_int_eq(facet_conv2d_init(&conv, w, NULL, 2, 3, 3, 3, FACET_ACT_NONE), -EINVAL);
    ck_assert_int_eq(facet_conv2d_init(&conv, w, NULL, 2, 3, 3, 1, FACET_ACT_COUNT), -EINVAL);
    ck_assert_ptr_null(conv.weights);
    facet_conv2d_free(&conv); /* zeroed: a no-op */
    facet_conv2d_free(NULL);

    make_conv(&r, &conv, 3, 2, 3, 2, FACET_ACT_RELU, 1);
    FacetTensor in, out, big, grid, map;
    alloc_tensor(&in, 3, 8, 9);
    alloc_tensor(&out, 2, 4, 5);
    alloc_tensor(&big, 4, 8, 9);
    alloc_tensor(&grid, 2, 4, 5);
    alloc_tensor(&map, 1, 8, 9);
    FacetTensor empty = {0};
    FacetTensor wrong_c = view_of(&big, 0, 1);
    FacetTensor overlap = view_of(&big, 1, 3); /* overlaps big's channels 1..3 */

    const FacetRenderOps *tables[] = {&ref_ops, &best_ops};
    for (int t = 0; t < 2; t++) {
        const FacetRenderOps *ops = tables[t];
        FacetWorkspace *ws = &ws_ref;
        ck_assert_int_eq(ops->conv2d(ws, &conv, &in, &out), 0);
        ck_assert_int_eq(ops->conv2d(NULL, &conv, &in, &out), -EINVAL);
        ck_assert_int_eq(ops->upsample2x(NULL, &out, &in), -EINVAL);
        ck_assert_int_eq(ops->avgpool2x2(NULL, &in, &out), -EINVAL);
        ck_assert_int_eq(ops->grid_sample(NULL, &in, &grid, &out), -EINVAL);
        ck_assert_int_eq(ops->softmax_channels(NULL, &in, &in), -EINVAL);
        ck_assert_int_eq(ops->softmax_spatial(NULL, &in, 1.0f, &in), -EINVAL);
        ck_assert_int_eq(ops->activate(NULL, &in, FACET_ACT_RELU), -EINVAL);
        ck_assert_int_eq(ops->add(NULL, &in, &in, &in), -EINVAL);
        ck_assert_int_eq(ops->mul(NULL, &in, &in, &in), -EINVAL);
        ck_assert_int_eq(ops->mul_map(NULL, &in, &map, &in), -EINVAL);
        ck_assert_int_eq(ops->conv2d(ws, NULL, &in, &out), -EINVAL);
        ck_assert_int_eq(ops->conv2d(ws, &conv, NULL, &out), -EINVAL);
        ck_assert_int_eq(ops->conv2d(ws, &conv, &in, NULL), -EINVAL);
        ck_assert_int_eq(ops->conv2d(ws, &conv, &empty, &out), -EINVAL);
        ck_assert_int_eq(ops->conv2d(ws, &conv, &big, &out), -EINVAL);       /* in_c */
        ck_assert_int_eq(ops->conv2d(ws, &conv, &in, &grid), 0);             /* 2x4x5 fits */
        ck_assert_int_eq(ops->conv2d(ws, &conv, &in, &wrong_c), -EINVAL);    /* out_c, size */
        ck_assert_int_eq(ops->conv2d(ws, &conv, &in, &map), -EINVAL);
        FacetTensor in_view = view_of(&big, 0, 3), out_view = {big.data, 2, 4, 5, 0};
        ck_assert_int_eq(ops->conv2d(ws, &conv, &in_view, &out_view), -EINVAL); /* overlap */

        FacetTensor up;
        alloc_tensor(&up, 3, 16, 18);
        ck_assert_int_eq(ops->upsample2x(ws, &in, &up), 0);
        ck_assert_int_eq(ops->upsample2x(ws, &in, &big), -EINVAL);
        ck_assert_int_eq(ops->upsample2x(ws, &up, &up), -EINVAL);
        ck_assert_int_eq(ops->avgpool2x2(ws, &up, &in), 0);
        ck_assert_int_eq(ops->avgpool2x2(ws, &in, &out), -EINVAL);
        ck_assert_int_eq(ops->avgpool2x2(ws, &in, &in), -EINVAL);
        facet_tensor_free(&up);

        FacetTensor gs;
        alloc_tensor(&gs, 3, 4, 5);
        ck_assert_int_eq(ops->grid_sample(ws, &in, &grid, &gs), 0);
        ck_assert_int_eq(ops->grid_sample(ws, &in, &out, &gs), 0); /* out is 2x4x5 too */
        ck_assert_int_eq(ops->grid_sample(ws, &in, &gs, &gs), -EINVAL); /* 3-channel grid */
        ck_assert_int_eq(ops->grid_sample(ws, &in, &grid, &out), -EINVAL); /* channels */
        ck_assert_int_eq(ops->grid_sample(ws, &in, &grid, &empty), -EINVAL);
        facet_tensor_free(&gs);

        ck_assert_int_eq(ops->softmax_channels(ws, &in, &in), 0);
        ck_assert_int_eq(ops->softmax_channels(ws, &in, &big), -EINVAL);
        ck_assert_int_eq(ops->softmax_channels(ws, &overlap, &in_view), -EINVAL);
        ck_assert_int_eq(ops->softmax_spatial(ws, &in, 0.5f, &in), 0);
        ck_assert_int_eq(ops->softmax_spatial(ws, &in, 0.0f, &in), -EINVAL);
        ck_assert_int_eq(ops->softmax_spatial(ws, &in, -1.0f, &in), -EINVAL);
        ck_assert_int_eq(ops->softmax_spatial(ws, &in, NAN, &in), -EINVAL);
        ck_assert_int_eq(ops->softmax_spatial(ws, &in, INFINITY, &in), -EINVAL);

        ck_assert_int_eq(ops->activate(ws, &in, FACET_ACT_NONE), 0);
        ck_assert_int_eq(ops->activate(ws, &in, FACET_ACT_COUNT), -EINVAL);
        ck_assert_int_eq(ops->activate(ws, &empty, FACET_ACT_RELU), -EINVAL);
        ck_assert_int_eq(ops->activate(ws, NULL, FACET_ACT_RELU), -EINVAL);

        ck_assert_int_eq(ops->add(ws, &in, &in, &in), 0);
        ck_assert_int_eq(ops->add(ws, &in, &big, &in), -EINVAL);
        ck_assert_int_eq(ops->mul(ws, &in, &in, &big), -EINVAL);
        ck_assert_int_eq(ops->mul(ws, &overlap, &overlap, &in_view), -EINVAL);
        ck_assert_int_eq(ops->mul_map(ws, &in, &map, &in), 0);
        ck_assert_int_eq(ops->mul_map(ws, &in, &in, &in), -EINVAL);   /* map not 1 channel */
        ck_assert_int_eq(ops->mul_map(ws, &in, &grid, &in), -EINVAL);
        FacetTensor map_in_out = view_of(&in, 0, 1);
        ck_assert_int_eq(ops->mul_map(ws, &in, &map_in_out, &in), -EINVAL); /* map overwritten */
    }

    facet_conv2d_free(&conv);
    facet_tensor_free(&in);
    facet_tensor_free(&out);
    facet_tensor_free(&big);
    facet_tensor_free(&grid);
    facet_tensor_free(&map);
}
END_TEST

START_TEST(test_workspace_and_sizes)
{
    FacetWorkspace ws;
    facet_workspace_init(&ws, NULL);
    ck_assert_int_eq(facet_workspace_reserve(&ws, 1000), 0);
    ck_assert_uint_ge(ws.scratch_floats, 1000);
    float *before = ws.scratch;
    ck_assert_int_eq(facet_workspace_reserve(&ws, 10), 0); /* never shrinks */
    ck_assert_ptr_eq(ws.scratch, before);
    ck_assert_int_eq(facet_workspace_reserve(&ws, SIZE_MAX), -ENOMEM);
    ck_assert_int_eq(facet_workspace_reserve(NULL, 1), -EINVAL);
    facet_workspace_free(&ws);
    facet_workspace_free(&ws);

    Rng r = {1};
    FacetConv2d conv;
    make_conv(&r, &conv, 4, 5, 3, 2, FACET_ACT_NONE, 0);
    ck_assert_int_eq(facet_conv2d_output_size(&conv, 1), 1);
    ck_assert_int_eq(facet_conv2d_output_size(&conv, 64), 32);
    ck_assert_int_eq(facet_conv2d_output_size(&conv, 65), 33);
    ck_assert_uint_gt(facet_conv2d_scratch_floats(&conv, 64, 64), 4u * 64 * 64);
    ck_assert_uint_eq(facet_conv2d_scratch_floats(&conv, 0, 64), SIZE_MAX);
    /* A reserved workspace is not grown by the conv (no allocation per frame). */
    facet_workspace_init(&ws, NULL);
    ck_assert_int_eq(facet_workspace_reserve(&ws, facet_conv2d_scratch_floats(&conv, 20, 30)), 0);
    before = ws.scratch;
    FacetTensor in, out;
    alloc_tensor(&in, 4, 20, 30);
    alloc_tensor(&out, 5, 10, 15);
    ck_assert_int_eq(best_ops.conv2d(&ws, &conv, &in, &out), 0);
    ck_assert_ptr_eq(ws.scratch, before);
    facet_tensor_free(&in);
    facet_tensor_free(&out);
    facet_workspace_free(&ws);
    facet_conv2d_free(&conv);
    const char *isa = facet_render_ops_isa();
    ck_assert(!strcmp(isa, "avx2") || !strcmp(isa, "c"));
}
END_TEST

/* ------------------------------------------------------------------------
 * Thread pool */

typedef struct CountJobs {
    atomic_int *hits;
    atomic_int bad_thread;
    int threads;
} CountJobs;

static void count_job(void *opaque, int job, int thread)
{
    CountJobs *cj = opaque;
    atomic_fetch_add(&cj->hits[job], 1);
    if (thread < 0 || thread >= cj->threads)
        atomic_store(&cj->bad_thread, 1);
}

START_TEST(test_pool_create_destroy)
{
    FacetThreadPool *p = (FacetThreadPool *)&p; /* must be overwritten */
    ck_assert_int_eq(facet_thread_pool_create(NULL, 2), -EINVAL);
    ck_assert_int_eq(facet_thread_pool_create(&p, -1), -EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(facet_thread_pool_create(&p, 0), 0);
    ck_assert_int_ge(facet_thread_pool_threads(p), 1);
    facet_thread_pool_destroy(&p);
    ck_assert_ptr_null(p);
    facet_thread_pool_destroy(&p);
    facet_thread_pool_destroy(NULL);
    ck_assert_int_eq(facet_thread_pool_threads(NULL), 1);
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(facet_thread_pool_create(&p, 1 + i % 4), 0);
        ck_assert_int_eq(facet_thread_pool_threads(p), 1 + i % 4);
        facet_thread_pool_run(p, count_job, NULL, 0); /* no jobs: returns at once */
        facet_thread_pool_destroy(&p);
    }
    ck_assert_int_eq(facet_thread_pool_create(&p, 1000), 0);
    ck_assert_int_eq(facet_thread_pool_threads(p), FACET_THREAD_POOL_MAX_THREADS);
    facet_thread_pool_destroy(&p);
}
END_TEST

START_TEST(test_pool_many_small_jobs)
{
    enum { JOBS = 10000 };
    static atomic_int hits[JOBS];
    static const int counts[] = {1, 2, 3, 8};
    for (int n = 0; n < 4; n++) {
        FacetThreadPool *p;
        ck_assert_int_eq(facet_thread_pool_create(&p, counts[n]), 0);
        for (int i = 0; i < JOBS; i++)
            atomic_init(&hits[i], 0);
        CountJobs cj = {hits, 0, counts[n]};
        facet_thread_pool_run(p, count_job, &cj, JOBS);
        for (int i = 0; i < JOBS; i++)
            ck_assert_msg(atomic_load(&hits[i]) == 1, "job %d ran %d times", i,
                          atomic_load(&hits[i]));
        ck_assert_int_eq(atomic_load(&cj.bad_thread), 0);
        facet_thread_pool_destroy(&p);
    }
}
END_TEST

START_TEST(test_pool_many_short_runs)
{
    /* Back-to-back runs with a stack ctx each time: a worker that wakes late
     * must not run a finished run's jobs. */
    FacetThreadPool *p;
    ck_assert_int_eq(facet_thread_pool_create(&p, 3), 0);
    for (int run = 0; run < 1500; run++) {
        atomic_int hits[5];
        for (int i = 0; i < 5; i++)
            atomic_init(&hits[i], 0);
        CountJobs cj = {hits, 0, 3};
        int jobs = 1 + run % 5;
        facet_thread_pool_run(p, count_job, &cj, jobs);
        for (int i = 0; i < jobs; i++)
            ck_assert_int_eq(atomic_load(&hits[i]), 1);
        for (int i = jobs; i < 5; i++)
            ck_assert_int_eq(atomic_load(&hits[i]), 0);
    }
    facet_thread_pool_destroy(&p);
}
END_TEST

typedef struct OrderJobs {
    int order[16];
    int n;
} OrderJobs;

static void order_job(void *opaque, int job, int thread)
{
    OrderJobs *oj = opaque;
    ck_assert_int_eq(thread, 0);
    oj->order[oj->n++] = job;
}

START_TEST(test_pool_null_runs_in_order)
{
    OrderJobs oj = {{0}, 0};
    facet_thread_pool_run(NULL, order_job, &oj, 16);
    ck_assert_int_eq(oj.n, 16);
    for (int i = 0; i < 16; i++)
        ck_assert_int_eq(oj.order[i], i);
    facet_thread_pool_run(NULL, order_job, &oj, -3);
    facet_thread_pool_run(NULL, NULL, &oj, 3);
    ck_assert_int_eq(oj.n, 16);
}
END_TEST

static Suite *ops_suite(void)
{
    Suite *s = suite_create("render_ops");

    TCase *tc = tcase_create("optimised_vs_reference");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_conv_random_shapes);
    tcase_add_test(tc, test_conv_fixed_shapes);
    tcase_add_test(tc, test_resample_ops_random_shapes);
    tcase_add_test(tc, test_grid_sample_non_finite_grid);
    tcase_add_test(tc, test_grid_sample_identity);
    tcase_add_test(tc, test_softmax_random_shapes);
    tcase_add_test(tc, test_elementwise_random_shapes);
    tcase_add_test(tc, test_thread_count_bit_exact);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_workspace_and_sizes);
    suite_add_tcase(s, tc);

    tc = tcase_create("pytorch");
    tcase_add_checked_fixture(tc, golden_setup, golden_teardown);
    tcase_add_test(tc, test_golden_conv);
    tcase_add_test(tc, test_golden_other_ops);
    suite_add_tcase(s, tc);

    tc = tcase_create("thread_pool");
    tcase_add_test(tc, test_pool_create_destroy);
    tcase_add_test(tc, test_pool_many_small_jobs);
    tcase_add_test(tc, test_pool_many_short_runs);
    tcase_add_test(tc, test_pool_null_runs_in_order);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ops_suite());
    srunner_run_all(sr, CK_VERBOSE);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures != 0;
}
