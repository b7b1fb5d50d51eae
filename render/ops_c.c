/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Portable C kernels of the op table: the reference the optimised kernels
 * are tested against, and the path on CPUs without them; see ops.h.
 *
 * The reference kernels are written to be obviously right first: each output
 * element is computed the way PyTorch defines it, in one fixed order. Their
 * inner loops still run along a row, so a compiler can vectorise them on CPUs
 * without a hand-written path.
 */
#include "render/ops.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Rounds towards minus infinity (C's / truncates towards zero); b > 0. */
static int div_floor(int a, int b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* ------------------------------------------------------------------------
 * Reference kernels */

static float activate_one(float v, FacetActivation act)
{
    switch (act) {
    case FACET_ACT_RELU:
        return v < 0.0f ? 0.0f : v; /* keeps NaN, as torch.relu */
    case FACET_ACT_SIGMOID:
        return 1.0f / (1.0f + expf(-v));
    case FACET_ACT_TANH:
        return tanhf(v);
    default:
        return v;
    }
}

static void activate_row(float *v, size_t n, FacetActivation act)
{
    if (act == FACET_ACT_NONE)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = activate_one(v[i], act);
}

/* out[x] += w * in[x * stride], x in [0, n): one tap along one output row. */
static void axpy_row(float *restrict out, const float *restrict in, float w, int n, int stride)
{
    if (stride == 1) {
        for (int x = 0; x < n; x++)
            out[x] += w * in[x];
    } else {
        for (int x = 0; x < n; x++)
            out[x] += w * in[2 * x];
    }
}

typedef struct ConvJob {
    const FacetConv2d *conv;
    const FacetTensor *in;
    FacetTensor *out;
    int jobs;
} ConvJob;

/* Output channels of one job: bias, then every (input channel, ky, kx) tap
 * accumulated over the whole plane, then the activation. Taps that fall in
 * the zero padding are skipped by clipping the row and column ranges. */
static void conv2d_c_job(void *opaque, int job, int thread)
{
    (void)thread;
    const ConvJob *cj = opaque;
    const FacetConv2d *conv = cj->conv;
    const FacetTensor *in = cj->in;
    const FacetTensor *out = cj->out;
    int k = conv->k, s = conv->stride, p = k / 2;
    int oh = out->h, ow = out->w;
    size_t plane = (size_t)oh * (size_t)ow;
    int begin, end;
    facet_ops_split(conv->out_c, cj->jobs, job, &begin, &end);

    for (int oc = begin; oc < end; oc++) {
        float *dst = facet_tensor_channel(out, oc);
        for (size_t i = 0; i < plane; i++)
            dst[i] = conv->bias[oc];
        for (int ic = 0; ic < conv->in_c; ic++) {
            const float *src = facet_tensor_channel(in, ic);
            const float *wk = conv->weights + ((size_t)oc * (size_t)conv->in_c + (size_t)ic) *
                                                  (size_t)(k * k);
            for (int ky = 0; ky < k; ky++) {
                /* Output rows y with 0 <= y*s + ky - p < in->h. */
                int y0 = -div_floor(-(p - ky), s), y1 = div_floor(in->h - 1 + p - ky, s) + 1;
                if (y0 < 0)
                    y0 = 0;
                if (y1 > oh)
                    y1 = oh;
                for (int kx = 0; kx < k; kx++) {
                    int x0 = -div_floor(-(p - kx), s), x1 = div_floor(in->w - 1 + p - kx, s) + 1;
                    if (x0 < 0)
                        x0 = 0;
                    if (x1 > ow)
                        x1 = ow;
                    float w = wk[ky * k + kx];
                    for (int y = y0; y < y1 && x0 < x1; y++) {
                        const float *row = src + (size_t)(y * s + ky - p) * (size_t)in->w;
                        axpy_row(dst + (size_t)y * (size_t)ow + x0, row + x0 * s + kx - p, w,
                                 x1 - x0, s);
                    }
                }
            }
        }
        activate_row(dst, plane, conv->act);
    }
}

static int conv2d_c(FacetWorkspace *ws, const FacetConv2d *conv, const FacetTensor *in,
                    FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_conv2d(conv, in, out);
    if (ret < 0)
        return ret;
    /* About 5 flops per ns on one core (vectorised row loops). */
    double ns = 2.0 * conv->in_c * conv->k * conv->k * out->h * out->w / 5.0;
    ConvJob cj = {conv, in, out, facet_ops_job_count(ws, conv->out_c, ns)};
    facet_thread_pool_run(ws->pool, conv2d_c_job, &cj, cj.jobs);
    return 0;
}

/* Jobs over rows of a c x h layout (h rows of each channel): the unit most
 * simple ops split on. */
typedef struct RowJob {
    const FacetTensor *a, *b, *c;
    FacetTensor *out;
    float scalar;
    FacetActivation act;
    int kind;  /* binary ops: BINARY_* */
    int rows;  /* out->c * out->h */
    int jobs;
} RowJob;

static int row_jobs(const FacetWorkspace *ws, int rows, double ns_per_row)
{
    return facet_ops_job_count(ws, rows, ns_per_row);
}

static void upsample2x_c_job(void *opaque, int job, int thread)
{
    (void)thread;
    const RowJob *rj = opaque;
    const FacetTensor *in = rj->a;
    int begin, end;
    facet_ops_split(rj->rows, rj->jobs, job, &begin, &end);
    size_t ow = (size_t)rj->out->w;
    for (int r = begin; r < end; r++) { /* r = c * in->h + y */
        const float *src = in->data + (size_t)r * (size_t)in->w;
        float *dst = rj->out->data + (size_t)r * 2 * ow;
        for (int x = 0; x < in->w; x++) {
            dst[2 * x] = src[x];
            dst[2 * x + 1] = src[x];
        }
        memcpy(dst + ow, dst, ow * sizeof(float));
    }
}

static int upsample2x_c(FacetWorkspace *ws, const FacetTensor *in, FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_upsample2x(in, out);
    if (ret < 0)
        return ret;
    RowJob rj = {.a = in, .out = out, .rows = in->c * in->h};
    rj.jobs = row_jobs(ws, rj.rows, 1.0 * in->w);
    facet_thread_pool_run(ws->pool, upsample2x_c_job, &rj, rj.jobs);
    return 0;
}

static void avgpool2x2_c_job(void *opaque, int job, int thread)
{
    (void)thread;
    const RowJob *rj = opaque;
    const FacetTensor *in = rj->a, *out = rj->out;
    int begin, end;
    facet_ops_split(rj->rows, rj->jobs, job, &begin, &end);
    for (int r = begin; r < end; r++) { /* r = c * out->h + y */
        int c = r / out->h, y = r % out->h;
        const float *s0 = facet_tensor_channel(in, c) + (size_t)(2 * y) * (size_t)in->w;
        const float *s1 = s0 + in->w;
        float *dst = out->data + (size_t)r * (size_t)out->w;
        /* PyTorch's order: the window row by row, then / 4. */
        for (int x = 0; x < out->w; x++)
            dst[x] = (s0[2 * x] + s0[2 * x + 1] + s1[2 * x] + s1[2 * x + 1]) * 0.25f;
    }
}

static int avgpool2x2_c(FacetWorkspace *ws, const FacetTensor *in, FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_avgpool2x2(in, out);
    if (ret < 0)
        return ret;
    RowJob rj = {.a = in, .out = out, .rows = out->c * out->h};
    rj.jobs = row_jobs(ws, rj.rows, 1.0 * out->w);
    facet_thread_pool_run(ws->pool, avgpool2x2_c_job, &rj, rj.jobs);
    return 0;
}

/* align_corners=False: -1 and 1 are the outer edges of the end pixels, so
 * pixel centre i sits at (2 i + 1) / size - 1. Border padding clamps the
 * source coordinate into [0, size - 1]; a NaN lands on 0. */
static float grid_source_index(float g, int size)
{
    float v = ((g + 1.0f) * (float)size - 1.0f) * 0.5f;
    v = v > 0.0f ? v : 0.0f;
    return v < (float)(size - 1) ? v : (float)(size - 1);
}

static void grid_sample_c_job(void *opaque, int job, int thread)
{
    (void)thread;
    const RowJob *rj = opaque;
    const FacetTensor *in = rj->a, *grid = rj->b, *out = rj->out;
    int begin, end;
    facet_ops_split(rj->rows, rj->jobs, job, &begin, &end);
    size_t out_plane = (size_t)out->h * (size_t)out->w;
    size_t in_plane = (size_t)in->h * (size_t)in->w;
    for (int y = begin; y < end; y++) {
        const float *gx = facet_tensor_channel(grid, 0) + (size_t)y * (size_t)grid->w;
        const float *gy = facet_tensor_channel(grid, 1) + (size_t)y * (size_t)grid->w;
        for (int x = 0; x < out->w; x++) {
            float ix = grid_source_index(gx[x], in->w);
            float iy = grid_source_index(gy[x], in->h);
            int x0 = (int)floorf(ix), y0 = (int)floorf(iy);
            int x1 = x0 + 1 < in->w ? x0 + 1 : x0; /* its weight is 0 then */
            int y1 = y0 + 1 < in->h ? y0 + 1 : y0;
            float wx1 = ix - (float)x0, wy1 = iy - (float)y0;
            float wx0 = (float)(x0 + 1) - ix, wy0 = (float)(y0 + 1) - iy;
            float w00 = wx0 * wy0, w01 = wx1 * wy0, w10 = wx0 * wy1, w11 = wx1 * wy1;
            size_t i00 = (size_t)y0 * (size_t)in->w + (size_t)x0;
            size_t i01 = (size_t)y0 * (size_t)in->w + (size_t)x1;
            size_t i10 = (size_t)y1 * (size_t)in->w + (size_t)x0;
            size_t i11 = (size_t)y1 * (size_t)in->w + (size_t)x1;
            const float *src = in->data;
            float *dst = out->data + (size_t)y * (size_t)out->w + (size_t)x;
            for (int c = 0; c < in->c; c++, src += in_plane, dst += out_plane)
                *dst = src[i00] * w00 + src[i01] * w01 + src[i10] * w10 + src[i11] * w11;
        }
    }
}

static int grid_sample_c(FacetWorkspace *ws, const FacetTensor *in, const FacetTensor *grid,
                         FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_grid_sample(in, grid, out);
    if (ret < 0)
        return ret;
    RowJob rj = {.a = in, .b = grid, .out = out, .rows = out->h};
    rj.jobs = row_jobs(ws, rj.rows, (2.0 + 1.0 * in->c) * out->w);
    facet_thread_pool_run(ws->pool, grid_sample_c_job, &rj, rj.jobs);
    return 0;
}

/* Pixels are processed in runs of this many, so that the loops over a
 * run vectorise. */
#define PIXEL_RUN 64

static void softmax_channels_c_job(void *opaque, int job, int thread)
{
    (void)thread;
    const RowJob *rj = opaque;
    const FacetTensor *in = rj->a, *out = rj->out;
    size_t plane = (size_t)in->h * (size_t)in->w;
    int runs = (int)((plane + PIXEL_RUN - 1) / PIXEL_RUN);
    int begin, end;
    facet_ops_split(runs, rj->jobs, job, &begin, &end);
    for (int r = begin; r < end; r++) {
        size_t p0 = (size_t)r * PIXEL_RUN;
        size_t n = plane - p0 < PIXEL_RUN ? plane - p0 : PIXEL_RUN;
        float mx[PIXEL_RUN], sum[PIXEL_RUN];
        for (size_t i = 0; i < n; i++) {
            mx[i] = -INFINITY;
            sum[i] = 0.0f;
        }
        for (int c = 0; c < in->c; c++) {
            const float *src = facet_tensor_channel(in, c) + p0;
            for (size_t i = 0; i < n; i++)
                mx[i] = src[i] > mx[i] ? src[i] : mx[i];
        }
        for (int c = 0; c < in->c; c++) {
            const float *src = facet_tensor_channel(in, c) + p0;
            float *dst = facet_tensor_channel(out, c) + p0;
            for (size_t i = 0; i < n; i++) {
                float e = expf(src[i] - mx[i]);
                dst[i] = e;
                sum[i] += e;
            }
        }
        for (int c = 0; c < in->c; c++) {
            float *dst = facet_tensor_channel(out, c) + p0;
            for (size_t i = 0; i < n; i++)
                dst[i] /= sum[i];
        }
    }
}

static int softmax_channels_c(FacetWorkspace *ws, const FacetTensor *in, FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_same_shape(in, out);
    if (ret < 0)
        return ret;
    size_t plane = (size_t)in->h * (size_t)in->w;
    RowJob rj = {.a = in, .out = out};
    int runs = (int)((plane + PIXEL_RUN - 1) / PIXEL_RUN);
    rj.jobs = facet_ops_job_count(ws, runs, 3.0 * PIXEL_RUN * in->c);
    facet_thread_pool_run(ws->pool, softmax_channels_c_job, &rj, rj.jobs);
    return 0;
}

static void softmax_spatial_c_job(void *opaque, int job, int thread)
{
    (void)thread;
    const RowJob *rj = opaque;
    const FacetTensor *in = rj->a, *out = rj->out;
    size_t plane = (size_t)in->h * (size_t)in->w;
    float inv_t = 1.0f / rj->scalar;
    int begin, end;
    facet_ops_split(in->c, rj->jobs, job, &begin, &end);
    for (int c = begin; c < end; c++) {
        const float *src = facet_tensor_channel(in, c);
        float *dst = facet_tensor_channel(out, c);
        float mx = -INFINITY;
        for (size_t i = 0; i < plane; i++)
            mx = src[i] > mx ? src[i] : mx;
        double sum = 0.0;
        for (size_t i = 0; i < plane; i++) {
            float e = expf((src[i] - mx) * inv_t);
            dst[i] = e;
            sum += e;
        }
        float scale = (float)(1.0 / sum);
        for (size_t i = 0; i < plane; i++)
            dst[i] *= scale;
    }
}

static int softmax_spatial_c(FacetWorkspace *ws, const FacetTensor *in, float temperature,
                             FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_softmax_spatial(in, temperature, out);
    if (ret < 0)
        return ret;
    RowJob rj = {.a = in, .out = out, .scalar = temperature};
    rj.jobs = facet_ops_job_count(ws, in->c, 3.0 * in->h * in->w);
    facet_thread_pool_run(ws->pool, softmax_spatial_c_job, &rj, rj.jobs);
    return 0;
}

static void activate_c_job(void *opaque, int job, int thread)
{
    (void)thread;
    const RowJob *rj = opaque;
    int begin, end;
    facet_ops_split(rj->rows, rj->jobs, job, &begin, &end);
    size_t w = (size_t)rj->out->w;
    activate_row(rj->out->data + (size_t)begin * w, (size_t)(end - begin) * w, rj->act);
}

static int activate_c(FacetWorkspace *ws, FacetTensor *t, FacetActivation act)
{
    if (!ws)
        return -EINVAL;
    if (!facet_ops_check_tensor(t) || (int)act < 0 || act >= FACET_ACT_COUNT)
        return -EINVAL;
    if (act == FACET_ACT_NONE)
        return 0;
    RowJob rj = {.out = t, .act = act, .rows = t->c * t->h};
    rj.jobs = row_jobs(ws, rj.rows, (act == FACET_ACT_RELU ? 0.3 : 3.0) * t->w);
    facet_thread_pool_run(ws->pool, activate_c_job, &rj, rj.jobs);
    return 0;
}

enum { BINARY_ADD, BINARY_MUL, BINARY_MUL_MAP };

static void binary_c_job(void *opaque, int job, int thread)
{
    (void)thread;
    const RowJob *rj = opaque;
    int begin, end;
    facet_ops_split(rj->rows, rj->jobs, job, &begin, &end);
    int w = rj->out->w, h = rj->out->h;
    for (int r = begin; r < end; r++) {
        size_t off = (size_t)r * (size_t)w;
        const float *a = rj->a->data + off;
        float *o = rj->out->data + off;
        if (rj->kind == BINARY_MUL_MAP) {
            const float *m = rj->b->data + (size_t)(r % h) * (size_t)w;
            for (int x = 0; x < w; x++)
                o[x] = a[x] * m[x];
        } else if (rj->kind == BINARY_MUL) {
            const float *b = rj->b->data + off;
            for (int x = 0; x < w; x++)
                o[x] = a[x] * b[x];
        } else {
            const float *b = rj->b->data + off;
            for (int x = 0; x < w; x++)
                o[x] = a[x] + b[x];
        }
    }
}

static void run_binary(FacetWorkspace *ws, const FacetTensor *a, const FacetTensor *b,
                       FacetTensor *out, int kind)
{
    RowJob rj = {.a = a, .b = b, .out = out, .kind = kind, .rows = out->c * out->h};
    rj.jobs = row_jobs(ws, rj.rows, 0.3 * out->w);
    facet_thread_pool_run(ws->pool, binary_c_job, &rj, rj.jobs);
}

static int add_c(FacetWorkspace *ws, const FacetTensor *a, const FacetTensor *b, FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_binary(a, b, out);
    if (ret < 0)
        return ret;
    run_binary(ws, a, b, out, BINARY_ADD);
    return 0;
}

static int mul_c(FacetWorkspace *ws, const FacetTensor *a, const FacetTensor *b, FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_binary(a, b, out);
    if (ret < 0)
        return ret;
    run_binary(ws, a, b, out, BINARY_MUL);
    return 0;
}

static int mul_map_c(FacetWorkspace *ws, const FacetTensor *a, const FacetTensor *map,
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

/* ------------------------------------------------------------------------
 * The table */

void facet_render_ops_init_c(FacetRenderOps *ops)
{
    ops->conv2d = conv2d_c;
    ops->upsample2x = upsample2x_c;
    ops->avgpool2x2 = avgpool2x2_c;
    ops->grid_sample = grid_sample_c;
    ops->softmax_channels = softmax_channels_c;
    ops->softmax_spatial = softmax_spatial_c;
    ops->activate = activate_c;
    ops->add = add_c;
    ops->mul = mul_c;
    ops->mul_map = mul_map_c;
    facet_render_ops_init_motion(ops);
    facet_render_ops_init_latent(ops);
}
