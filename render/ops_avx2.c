/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86-64 kernels of the op table for CPUs with AVX2 and FMA; see ops.h and
 * docs/render-ops.md.
 *
 * The file is compiled for the baseline x86-64 ISA: only the functions marked
 * AVX2 use the wider instructions, and they are reached only through the op
 * table once facet_render_ops_init_avx2() has seen the CPU support them.
 *
 * Every kernel handles a ragged end with masked loads and stores rather than
 * a scalar loop, so an element is computed by the same instructions wherever
 * a job boundary falls: results do not depend on the thread count.
 */
#include "render/ops.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <errno.h>
#include <immintrin.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2,fma")))

/* Convolution micro-kernel: FACET_CONV_OC_BLOCK (4) output channels x
 * CONV_TILE (24) positions = 12 accumulators of 8 floats; per tap 3 input
 * loads and 4 weight broadcasts feed 12 FMAs, and 4 registers are left for
 * the operands. */
#define CONV_TILE 24
_Static_assert(CONV_TILE <= FACET_CONV_MAX_TILE, "tile wider than the scratch slack");
_Static_assert(FACET_CONV_OC_BLOCK == 4, "the micro-kernel is written for 4 channels");

static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

/* Lanes 0 .. n-1 set, n in 0 .. 8. */
AVX2 static inline __m256i tail_mask(size_t n)
{
    return _mm256_loadu_si256((const __m256i *)(mask_table + 8 - n));
}

/* n floats at p, n >= 1 (8 or more: a whole vector). Masked moves are slow
 * on some CPUs (AMD's masked store is microcoded), so only a row's last,
 * partial vector takes them; the arithmetic is the same either way. */
AVX2 static inline __m256 load_n(const float *p, size_t n)
{
    return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, tail_mask(n));
}

AVX2 static inline void store_n(float *p, __m256 v, size_t n)
{
    if (n >= 8)
        _mm256_storeu_ps(p, v);
    else
        _mm256_maskstore_ps(p, tail_mask(n), v);
}

/* e^x to about 2 ulp over the float range (inputs clamped to [-87, 88], so
 * the result stays a normal number; NaN stays NaN): x = n ln2 + r with
 * |r| <= ln2 / 2, e^r by its Taylor series to r^7 (truncation < 1e-8), times
 * 2^n built in the exponent field. */
AVX2 static inline __m256 exp_ps(__m256 x)
{
    /* min/max return their second operand when one is NaN: NaN passes. */
    x = _mm256_min_ps(_mm256_set1_ps(88.0f), x);
    x = _mm256_max_ps(_mm256_set1_ps(-87.0f), x);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    /* ln 2 split so that n * LN2_HI is exact for |n| <= 128. */
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440054690583e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)),
                                  23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

AVX2 static inline __m256 sigmoid_ps(__m256 x)
{
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

/* tanh x = 2 sigmoid(2x) - 1: absolute error ~1e-7 (relative error grows
 * near 0, where the result is small). */
AVX2 static inline __m256 tanh_ps(__m256 x)
{
    __m256 s = sigmoid_ps(_mm256_add_ps(x, x));
    return _mm256_sub_ps(_mm256_add_ps(s, s), _mm256_set1_ps(1.0f));
}

AVX2 static inline __m256 activate_ps(__m256 v, FacetActivation act)
{
    switch (act) {
    case FACET_ACT_RELU:
        return _mm256_max_ps(_mm256_setzero_ps(), v); /* NaN passes */
    case FACET_ACT_SIGMOID:
        return sigmoid_ps(v);
    case FACET_ACT_TANH:
        return tanh_ps(v);
    default:
        return v;
    }
}

/* ------------------------------------------------------------------------
 * conv2d */

typedef struct ConvJob {
    const FacetConv2d *conv;
    const FacetConvLayout *l;
    const float *src;      /* padded input (see FacetConvLayout) */
    FacetTensor *out;
    int tiles, blocks;     /* CONV_TILE position tiles, 4-channel blocks */
    int tile_jobs, block_jobs;
} ConvJob;

/* One 4 x CONV_TILE block of outputs starting at position `pos`: the sum
 * over input channels and taps, then bias, activation and the store. The
 * loop over taps has a constant trip count in each instantiation below, so
 * the compiler unrolls it. */
AVX2 static inline void conv_tile(const ConvJob *cj, size_t pos, int block, int taps)
{
    const FacetConv2d *conv = cj->conv;
    const FacetConvLayout *l = cj->l;
    const int *offs = l->tap_offset;
    const float *w = conv->packed + (size_t)block * (size_t)conv->in_c * (size_t)taps * 4;
    const float *s = cj->src + pos;

    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00;
    __m256 c10 = c00, c11 = c00, c12 = c00;
    __m256 c20 = c00, c21 = c00, c22 = c00;
    __m256 c30 = c00, c31 = c00, c32 = c00;
    for (int ic = 0; ic < conv->in_c; ic++, s += l->channel) {
        for (int t = 0; t < taps; t++, w += 4) {
            const float *p = s + offs[t];
            __m256 x0 = _mm256_loadu_ps(p);
            __m256 x1 = _mm256_loadu_ps(p + 8);
            __m256 x2 = _mm256_loadu_ps(p + 16);
            __m256 b = _mm256_broadcast_ss(w);
            c00 = _mm256_fmadd_ps(b, x0, c00);
            c01 = _mm256_fmadd_ps(b, x1, c01);
            c02 = _mm256_fmadd_ps(b, x2, c02);
            b = _mm256_broadcast_ss(w + 1);
            c10 = _mm256_fmadd_ps(b, x0, c10);
            c11 = _mm256_fmadd_ps(b, x1, c11);
            c12 = _mm256_fmadd_ps(b, x2, c12);
            b = _mm256_broadcast_ss(w + 2);
            c20 = _mm256_fmadd_ps(b, x0, c20);
            c21 = _mm256_fmadd_ps(b, x1, c21);
            c22 = _mm256_fmadd_ps(b, x2, c22);
            b = _mm256_broadcast_ss(w + 3);
            c30 = _mm256_fmadd_ps(b, x0, c30);
            c31 = _mm256_fmadd_ps(b, x1, c31);
            c32 = _mm256_fmadd_ps(b, x2, c32);
        }
    }

    __m256 acc[4][3] = {{c00, c01, c02}, {c10, c11, c12}, {c20, c21, c22}, {c30, c31, c32}};
    const FacetTensor *out = cj->out;
    int oc0 = block * 4;
    int valid = conv->out_c - oc0 < 4 ? conv->out_c - oc0 : 4;
    size_t oplane = (size_t)out->h * (size_t)out->w;
    size_t y = pos / (size_t)l->vw, x = pos % (size_t)l->vw;
    int direct = x + CONV_TILE <= (size_t)l->out_w;
    float tile[4][CONV_TILE] __attribute__((aligned(32)));

    for (int j = 0; j < valid; j++) {
        __m256 bias = _mm256_broadcast_ss(conv->bias + oc0 + j);
        float *dst = direct ? out->data + (size_t)(oc0 + j) * oplane + y * (size_t)out->w + x
                            : tile[j];
        for (int v = 0; v < 3; v++)
            _mm256_storeu_ps(dst + 8 * v, activate_ps(_mm256_add_ps(acc[j][v], bias), conv->act));
    }
    if (direct)
        return;
    /* The tile runs across row ends: copy the part of each row that is
     * inside the output (positions x >= out_w are padding). */
    for (size_t i = 0; i < CONV_TILE;) {
        size_t pp = pos + i;
        size_t yy = pp / (size_t)l->vw, xx = pp % (size_t)l->vw;
        if (yy >= (size_t)l->out_h)
            break;
        size_t run = (size_t)l->vw - xx;
        if (run > CONV_TILE - i)
            run = CONV_TILE - i;
        if (xx < (size_t)l->out_w) {
            size_t n = (size_t)l->out_w - xx < run ? (size_t)l->out_w - xx : run;
            for (int j = 0; j < valid; j++)
                memcpy(out->data + (size_t)(oc0 + j) * oplane + yy * (size_t)out->w + xx,
                       tile[j] + i, n * sizeof(float));
        }
        i += run;
    }
}

AVX2 static void conv_job(void *opaque, int job, int thread)
{
    (void)thread;
    const ConvJob *cj = opaque;
    int t0, t1, b0, b1;
    facet_ops_split(cj->tiles, cj->tile_jobs, job / cj->block_jobs, &t0, &t1);
    facet_ops_split(cj->blocks, cj->block_jobs, job % cj->block_jobs, &b0, &b1);
    int taps = cj->l->taps;
    for (int t = t0; t < t1; t++) {
        size_t pos = (size_t)t * CONV_TILE;
        for (int b = b0; b < b1; b++) {
            switch (taps) {
            case 1: conv_tile(cj, pos, b, 1); break;
            case 9: conv_tile(cj, pos, b, 9); break;
            case 25: conv_tile(cj, pos, b, 25); break;
            default: conv_tile(cj, pos, b, 49); break;
            }
        }
    }
}

static int conv2d_avx2(FacetWorkspace *ws, const FacetConv2d *conv, const FacetTensor *in,
                       FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_conv2d(conv, in, out);
    if (ret < 0)
        return ret;
    FacetConvLayout l;
    if ((ret = facet_ops_conv_layout(&l, conv, in->h, in->w)) < 0)
        return ret;
    const float *src = facet_ops_conv_pad_input(ws, &l, in);
    if (!src)
        return -ENOMEM;

    ConvJob cj = {conv, &l, src, out, 0, 0, 1, 1};
    cj.tiles = (int)((l.positions + CONV_TILE - 1) / CONV_TILE);
    cj.blocks = (conv->out_c + 3) / 4;
    /* Split over positions first (a job then reads its part of the input
     * once and the weights from cache), and over channel blocks too when a
     * small layer has too few tiles to give every thread its share. A core
     * runs the micro-kernel at about 100 flops per ns. */
    double unit_ns = 2.0 * CONV_TILE * 4 * conv->in_c * l.taps / 100.0;
    long long units = (long long)cj.tiles * cj.blocks;
    int jobs = facet_ops_job_count(ws, units < INT_MAX ? (int)units : INT_MAX, unit_ns);
    cj.tile_jobs = jobs < cj.tiles ? jobs : cj.tiles;
    cj.block_jobs = (jobs + cj.tile_jobs - 1) / cj.tile_jobs;
    if (cj.block_jobs > cj.blocks)
        cj.block_jobs = cj.blocks;
    facet_thread_pool_run(ws->pool, conv_job, &cj, cj.tile_jobs * cj.block_jobs);
    return 0;
}

/* ------------------------------------------------------------------------
 * Row-parallel simple ops */

typedef struct RowJob {
    const FacetTensor *a, *b;
    FacetTensor *out;
    float scalar;
    FacetActivation act;
    int kind;
    int rows;
    int jobs;
} RowJob;

static void run_rows(FacetWorkspace *ws, FacetJobFn fn, RowJob *rj, double ns_per_row)
{
    rj->jobs = facet_ops_job_count(ws, rj->rows, ns_per_row);
    facet_thread_pool_run(ws->pool, fn, rj, rj->jobs);
}

AVX2 static void upsample2x_job(void *opaque, int job, int thread)
{
    (void)thread;
    const RowJob *rj = opaque;
    const FacetTensor *in = rj->a;
    int begin, end;
    facet_ops_split(rj->rows, rj->jobs, job, &begin, &end);
    size_t iw = (size_t)in->w, ow = 2 * iw;
    for (int r = begin; r < end; r++) {
        const float *src = in->data + (size_t)r * iw;
        float *d0 = rj->out->data + (size_t)r * 2 * ow, *d1 = d0 + ow;
        size_t x = 0;
        for (; x + 8 <= iw; x += 8) {
            __m256 v = _mm256_loadu_ps(src + x);
            __m256 lo = _mm256_unpacklo_ps(v, v); /* 0 0 1 1 | 4 4 5 5 */
            __m256 hi = _mm256_unpackhi_ps(v, v); /* 2 2 3 3 | 6 6 7 7 */
            __m256 o0 = _mm256_permute2f128_ps(lo, hi, 0x20);
            __m256 o1 = _mm256_permute2f128_ps(lo, hi, 0x31);
            _mm256_storeu_ps(d0 + 2 * x, o0);
            _mm256_storeu_ps(d0 + 2 * x + 8, o1);
            _mm256_storeu_ps(d1 + 2 * x, o0);
            _mm256_storeu_ps(d1 + 2 * x + 8, o1);
        }
        for (; x < iw; x++) /* copies: exact whatever the path */
            d0[2 * x] = d0[2 * x + 1] = d1[2 * x] = d1[2 * x + 1] = src[x];
    }
}

static int upsample2x_avx2(FacetWorkspace *ws, const FacetTensor *in, FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_upsample2x(in, out);
    if (ret < 0)
        return ret;
    RowJob rj = {.a = in, .out = out, .rows = in->c * in->h};
    run_rows(ws, upsample2x_job, &rj, 0.5 * in->w);
    return 0;
}

/* Even and odd elements of 16 floats at p, in order. */
AVX2 static inline void deinterleave(const float *p, __m256 *even, __m256 *odd)
{
    __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    *even = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
    *odd = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
}

AVX2 static void avgpool2x2_job(void *opaque, int job, int thread)
{
    (void)thread;
    const RowJob *rj = opaque;
    const FacetTensor *in = rj->a, *out = rj->out;
    int begin, end;
    facet_ops_split(rj->rows, rj->jobs, job, &begin, &end);
    const __m256 quarter = _mm256_set1_ps(0.25f);
    for (int r = begin; r < end; r++) {
        int c = r / out->h, y = r % out->h;
        const float *s0 = facet_tensor_channel(in, c) + (size_t)(2 * y) * (size_t)in->w;
        const float *s1 = s0 + in->w;
        float *dst = out->data + (size_t)r * (size_t)out->w;
        int x = 0;
        for (; x + 8 <= out->w; x += 8) {
            __m256 e0, o0, e1, o1;
            deinterleave(s0 + 2 * x, &e0, &o0);
            deinterleave(s1 + 2 * x, &e1, &o1);
            /* The reference's order, so the results match it exactly. */
            __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(e0, o0), e1), o1);
            _mm256_storeu_ps(dst + x, _mm256_mul_ps(sum, quarter));
        }
        for (; x < out->w; x++)
            dst[x] = (s0[2 * x] + s0[2 * x + 1] + s1[2 * x] + s1[2 * x + 1]) * 0.25f;
    }
}

static int avgpool2x2_avx2(FacetWorkspace *ws, const FacetTensor *in, FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_avgpool2x2(in, out);
    if (ret < 0)
        return ret;
    RowJob rj = {.a = in, .out = out, .rows = out->c * out->h};
    run_rows(ws, avgpool2x2_job, &rj, 0.5 * out->w);
    return 0;
}

/* Same arithmetic as the reference's grid_source_index(), in vectors. */
AVX2 static inline __m256 grid_source_index_ps(__m256 g, int size)
{
    __m256 v = _mm256_mul_ps(
        _mm256_sub_ps(_mm256_mul_ps(_mm256_add_ps(g, _mm256_set1_ps(1.0f)),
                                    _mm256_set1_ps((float)size)),
                      _mm256_set1_ps(1.0f)),
        _mm256_set1_ps(0.5f));
    v = _mm256_max_ps(v, _mm256_setzero_ps()); /* NaN -> 0 */
    return _mm256_min_ps(v, _mm256_set1_ps((float)(size - 1)));
}

AVX2 static void grid_sample_job(void *opaque, int job, int thread)
{
    (void)thread;
    const RowJob *rj = opaque;
    const FacetTensor *in = rj->a, *grid = rj->b, *out = rj->out;
    int begin, end;
    facet_ops_split(rj->rows, rj->jobs, job, &begin, &end);
    size_t out_plane = (size_t)out->h * (size_t)out->w;
    size_t in_plane = (size_t)in->h * (size_t)in->w;
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i wmax = _mm256_set1_epi32(in->w - 1), hmax = _mm256_set1_epi32(in->h - 1);
    const __m256i stride = _mm256_set1_epi32(in->w);
    for (int y = begin; y < end; y++) {
        const float *gxr = facet_tensor_channel(grid, 0) + (size_t)y * (size_t)grid->w;
        const float *gyr = facet_tensor_channel(grid, 1) + (size_t)y * (size_t)grid->w;
        for (int x = 0; x < out->w; x += 8) {
            size_t n = (size_t)(out->w - x);
            /* Lanes past the row read 0.0, a valid point: every index below
             * stays inside the plane. */
            __m256 ix = grid_source_index_ps(load_n(gxr + x, n), in->w);
            __m256 iy = grid_source_index_ps(load_n(gyr + x, n), in->h);
            __m256 fx0 = _mm256_floor_ps(ix), fy0 = _mm256_floor_ps(iy);
            __m256i x0 = _mm256_cvttps_epi32(fx0), y0 = _mm256_cvttps_epi32(fy0);
            __m256i x1 = _mm256_min_epi32(_mm256_add_epi32(x0, one), wmax);
            __m256i y1 = _mm256_min_epi32(_mm256_add_epi32(y0, one), hmax);
            __m256 one_f = _mm256_set1_ps(1.0f);
            __m256 wx1 = _mm256_sub_ps(ix, fx0), wy1 = _mm256_sub_ps(iy, fy0);
            __m256 wx0 = _mm256_sub_ps(_mm256_add_ps(fx0, one_f), ix);
            __m256 wy0 = _mm256_sub_ps(_mm256_add_ps(fy0, one_f), iy);
            __m256 w00 = _mm256_mul_ps(wx0, wy0), w01 = _mm256_mul_ps(wx1, wy0);
            __m256 w10 = _mm256_mul_ps(wx0, wy1), w11 = _mm256_mul_ps(wx1, wy1);
            __m256i r0 = _mm256_mullo_epi32(y0, stride), r1 = _mm256_mullo_epi32(y1, stride);
            __m256i i00 = _mm256_add_epi32(r0, x0), i01 = _mm256_add_epi32(r0, x1);
            __m256i i10 = _mm256_add_epi32(r1, x0), i11 = _mm256_add_epi32(r1, x1);
            const float *src = in->data;
            float *dst = out->data + (size_t)y * (size_t)out->w + (size_t)x;
            for (int c = 0; c < in->c; c++, src += in_plane, dst += out_plane) {
                __m256 v = _mm256_mul_ps(_mm256_i32gather_ps(src, i00, 4), w00);
                v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_i32gather_ps(src, i01, 4), w01));
                v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_i32gather_ps(src, i10, 4), w10));
                v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_i32gather_ps(src, i11, 4), w11));
                store_n(dst, v, n);
            }
        }
    }
}

static int grid_sample_avx2(FacetWorkspace *ws, const FacetTensor *in, const FacetTensor *grid,
                            FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_grid_sample(in, grid, out);
    if (ret < 0)
        return ret;
    RowJob rj = {.a = in, .b = grid, .out = out, .rows = out->h};
    run_rows(ws, grid_sample_job, &rj, (1.0 + 0.5 * in->c) * out->w);
    return 0;
}

/* Pixels per job unit of softmax_channels. */
#define PIXEL_RUN 64

AVX2 static void softmax_channels_job(void *opaque, int job, int thread)
{
    (void)thread;
    const RowJob *rj = opaque;
    const FacetTensor *in = rj->a, *out = rj->out;
    size_t plane = (size_t)in->h * (size_t)in->w;
    int begin, end;
    facet_ops_split(rj->rows, rj->jobs, job, &begin, &end);
    size_t p_end = (size_t)end * PIXEL_RUN < plane ? (size_t)end * PIXEL_RUN : plane;
    for (size_t p = (size_t)begin * PIXEL_RUN; p < p_end; p += 8) {
        size_t n = p_end - p;
        __m256 mx = _mm256_set1_ps(-INFINITY);
        for (int c = 0; c < in->c; c++)
            mx = _mm256_max_ps(load_n(facet_tensor_channel(in, c) + p, n), mx);
        __m256 sum = _mm256_setzero_ps();
        for (int c = 0; c < in->c; c++) {
            __m256 e = exp_ps(_mm256_sub_ps(load_n(facet_tensor_channel(in, c) + p, n), mx));
            store_n(facet_tensor_channel(out, c) + p, e, n);
            sum = _mm256_add_ps(sum, e);
        }
        __m256 scale = _mm256_div_ps(_mm256_set1_ps(1.0f), sum);
        for (int c = 0; c < in->c; c++) {
            float *d = facet_tensor_channel(out, c) + p;
            store_n(d, _mm256_mul_ps(load_n(d, n), scale), n);
        }
    }
}

static int softmax_channels_avx2(FacetWorkspace *ws, const FacetTensor *in, FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_same_shape(in, out);
    if (ret < 0)
        return ret;
    size_t plane = (size_t)in->h * (size_t)in->w;
    RowJob rj = {.a = in, .out = out, .rows = (int)((plane + PIXEL_RUN - 1) / PIXEL_RUN)};
    run_rows(ws, softmax_channels_job, &rj, 0.5 * PIXEL_RUN * in->c);
    return 0;
}

AVX2 static inline float hmax_ps(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

AVX2 static inline float hsum_ps(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

AVX2 static void softmax_spatial_job(void *opaque, int job, int thread)
{
    (void)thread;
    const RowJob *rj = opaque;
    const FacetTensor *in = rj->a, *out = rj->out;
    size_t plane = (size_t)in->h * (size_t)in->w;
    const __m256 inv_t = _mm256_set1_ps(1.0f / rj->scalar);
    const __m256 neg_inf = _mm256_set1_ps(-INFINITY);
    int begin, end;
    facet_ops_split(in->c, rj->jobs, job, &begin, &end);
    for (int c = begin; c < end; c++) {
        const float *src = facet_tensor_channel(in, c);
        float *dst = facet_tensor_channel(out, c);
        __m256 mx = neg_inf;
        size_t full = plane / 8 * 8, rest = plane - full;
        for (size_t i = 0; i < full; i += 8)
            mx = _mm256_max_ps(_mm256_loadu_ps(src + i), mx);
        __m256i mask = tail_mask(rest);
        if (rest)
            mx = _mm256_max_ps(_mm256_blendv_ps(neg_inf, _mm256_maskload_ps(src + full, mask),
                                                _mm256_castsi256_ps(mask)),
                               mx);
        __m256 m = _mm256_set1_ps(hmax_ps(mx));
        /* Two partial sums: 16 lanes keep the rounding error of a long
         * plane small. */
        __m256 s0 = _mm256_setzero_ps(), s1 = s0;
        for (size_t i = 0; i < full; i += 8) {
            __m256 e = exp_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(src + i), m), inv_t));
            _mm256_storeu_ps(dst + i, e);
            if ((i / 8) & 1)
                s1 = _mm256_add_ps(s1, e);
            else
                s0 = _mm256_add_ps(s0, e);
        }
        if (rest) {
            __m256 e = exp_ps(
                _mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(src + full, mask), m), inv_t));
            e = _mm256_and_ps(e, _mm256_castsi256_ps(mask));
            _mm256_maskstore_ps(dst + full, mask, e);
            if ((full / 8) & 1)
                s1 = _mm256_add_ps(s1, e);
            else
                s0 = _mm256_add_ps(s0, e);
        }
        __m256 scale = _mm256_set1_ps(1.0f / hsum_ps(_mm256_add_ps(s0, s1)));
        for (size_t i = 0; i < plane; i += 8)
            store_n(dst + i, _mm256_mul_ps(load_n(dst + i, plane - i), scale), plane - i);
    }
}

static int softmax_spatial_avx2(FacetWorkspace *ws, const FacetTensor *in, float temperature,
                                FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_softmax_spatial(in, temperature, out);
    if (ret < 0)
        return ret;
    RowJob rj = {.a = in, .out = out, .scalar = temperature, .rows = in->c};
    run_rows(ws, softmax_spatial_job, &rj, 0.3 * in->h * in->w);
    return 0;
}

AVX2 static void activate_job(void *opaque, int job, int thread)
{
    (void)thread;
    const RowJob *rj = opaque;
    int begin, end;
    facet_ops_split(rj->rows, rj->jobs, job, &begin, &end);
    size_t w = (size_t)rj->out->w;
    float *d = rj->out->data + (size_t)begin * w;
    size_t n = (size_t)(end - begin) * w;
    for (size_t i = 0; i < n; i += 8)
        store_n(d + i, activate_ps(load_n(d + i, n - i), rj->act), n - i);
}

static int activate_avx2(FacetWorkspace *ws, FacetTensor *t, FacetActivation act)
{
    if (!ws)
        return -EINVAL;
    if (!t || !t->data || t->c < 1 || t->h < 1 || t->w < 1 || (int)act < 0 ||
        act >= FACET_ACT_COUNT)
        return -EINVAL;
    if (act == FACET_ACT_NONE)
        return 0;
    RowJob rj = {.out = t, .act = act, .rows = t->c * t->h};
    run_rows(ws, activate_job, &rj, (act == FACET_ACT_RELU ? 0.1 : 0.5) * t->w);
    return 0;
}

enum { BINARY_ADD, BINARY_MUL, BINARY_MUL_MAP };

AVX2 static void binary_job(void *opaque, int job, int thread)
{
    (void)thread;
    const RowJob *rj = opaque;
    int begin, end;
    facet_ops_split(rj->rows, rj->jobs, job, &begin, &end);
    size_t w = (size_t)rj->out->w;
    int h = rj->out->h;
    if (rj->kind != BINARY_MUL_MAP) {
        /* Contiguous rows: one flat run. */
        size_t off = (size_t)begin * w, n = (size_t)(end - begin) * w;
        const float *a = rj->a->data + off, *b = rj->b->data + off;
        float *o = rj->out->data + off;
        for (size_t i = 0; i < n; i += 8) {
            __m256 va = load_n(a + i, n - i), vb = load_n(b + i, n - i);
            __m256 v = rj->kind == BINARY_ADD ? _mm256_add_ps(va, vb) : _mm256_mul_ps(va, vb);
            store_n(o + i, v, n - i);
        }
        return;
    }
    for (int r = begin; r < end; r++) {
        const float *a = rj->a->data + (size_t)r * w;
        const float *m = rj->b->data + (size_t)(r % h) * w;
        float *o = rj->out->data + (size_t)r * w;
        for (size_t i = 0; i < w; i += 8)
            store_n(o + i, _mm256_mul_ps(load_n(a + i, w - i), load_n(m + i, w - i)), w - i);
    }
}

static void run_binary(FacetWorkspace *ws, const FacetTensor *a, const FacetTensor *b,
                       FacetTensor *out, int kind)
{
    RowJob rj = {.a = a, .b = b, .out = out, .kind = kind, .rows = out->c * out->h};
    run_rows(ws, binary_job, &rj, 0.1 * out->w);
}

static int add_avx2(FacetWorkspace *ws, const FacetTensor *a, const FacetTensor *b,
                    FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_binary(a, b, out);
    if (ret < 0)
        return ret;
    run_binary(ws, a, b, out, BINARY_ADD);
    return 0;
}

static int mul_avx2(FacetWorkspace *ws, const FacetTensor *a, const FacetTensor *b,
                    FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_binary(a, b, out);
    if (ret < 0)
        return ret;
    run_binary(ws, a, b, out, BINARY_MUL);
    return 0;
}

static int mul_map_avx2(FacetWorkspace *ws, const FacetTensor *a, const FacetTensor *map,
                        FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_mul_map(a, map, out);
    if (ret < 0)
        return ret;
    run_binary(ws, a, map, out, BINARY_MUL_MAP);
    return 0;
}

int facet_render_ops_init_avx2(FacetRenderOps *ops)
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        return 0;
    ops->conv2d = conv2d_avx2;
    ops->upsample2x = upsample2x_avx2;
    ops->avgpool2x2 = avgpool2x2_avx2;
    ops->grid_sample = grid_sample_avx2;
    ops->softmax_channels = softmax_channels_avx2;
    ops->softmax_spatial = softmax_spatial_avx2;
    ops->activate = activate_avx2;
    ops->add = add_avx2;
    ops->mul = mul_avx2;
    ops->mul_map = mul_map_avx2;
    return 1;
}

#else /* not x86-64 */

int facet_render_ops_init_avx2(FacetRenderOps *ops)
{
    (void)ops;
    return 0;
}

#endif
