/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ops the latent tier's network adds (ops.h: sub, fill, pixel_shuffle,
 * flow_grid; train/latent_model.py). Each is one pass over memory with
 * next to no arithmetic, so one C version (row loops GCC vectorises) serves
 * every CPU: an AVX2 copy would not be faster than the loads and stores.
 * The shaders sub.comp, fill.comp, pixel_shuffle.comp and flow_grid.comp
 * do the same float operations.
 */
#include "render/ops.h"

#include <errno.h>
#include <math.h>
#include <string.h>

typedef struct LatentJob {
    const FacetTensor *a, *b;
    FacetTensor *out;
    float value;
    int rows, jobs;
} LatentJob;

static void run(FacetWorkspace *ws, FacetJobFn fn, LatentJob *job, double ns_per_row)
{
    job->jobs = facet_ops_job_count(ws, job->rows, ns_per_row);
    facet_thread_pool_run(ws->pool, fn, job, job->jobs);
}

/* ---- sub ------------------------------------------------------------------ */

static void sub_job(void *opaque, int job, int thread)
{
    (void)thread;
    const LatentJob *j = opaque;
    int begin, end;
    facet_ops_split(j->rows, j->jobs, job, &begin, &end);
    int w = j->out->w;
    for (int r = begin; r < end; r++) {
        size_t off = (size_t)r * (size_t)w;
        const float *a = j->a->data + off, *b = j->b->data + off;
        float *o = j->out->data + off;
        for (int x = 0; x < w; x++)
            o[x] = a[x] - b[x];
    }
}

static int sub_c(FacetWorkspace *ws, const FacetTensor *a, const FacetTensor *b, FacetTensor *out)
{
    if (!ws)
        return -EINVAL;
    int ret = facet_ops_check_binary(a, b, out);
    if (ret < 0)
        return ret;
    LatentJob j = {.a = a, .b = b, .out = out, .rows = out->c * out->h};
    run(ws, sub_job, &j, 0.3 * out->w);
    return 0;
}

/* ---- fill ----------------------------------------------------------------- */

static void fill_job(void *opaque, int job, int thread)
{
    (void)thread;
    const LatentJob *j = opaque;
    int begin, end;
    facet_ops_split(j->rows, j->jobs, job, &begin, &end);
    int w = j->out->w;
    for (int r = begin; r < end; r++) {
        float *o = j->out->data + (size_t)r * (size_t)w;
        for (int x = 0; x < w; x++)
            o[x] = j->value;
    }
}

static int fill_c(FacetWorkspace *ws, FacetTensor *t, float value)
{
    if (!ws || !facet_ops_check_tensor(t))
        return -EINVAL;
    LatentJob j = {.out = t, .value = value, .rows = t->c * t->h};
    run(ws, fill_job, &j, 0.1 * t->w);
    return 0;
}

/* ---- pixel_shuffle -------------------------------------------------------- */

static void pixel_shuffle_job(void *opaque, int job, int thread)
{
    (void)thread;
    const LatentJob *j = opaque;
    const FacetTensor *in = j->a;
    FacetTensor *out = j->out;
    int begin, end;
    facet_ops_split(j->rows, j->jobs, job, &begin, &end);
    size_t in_plane = (size_t)in->h * (size_t)in->w;
    for (int r = begin; r < end; r++) { /* r = c * out->h + oy */
        int c = r / out->h, oy = r % out->h, y = oy / 2, i = oy % 2;
        const float *s0 = in->data + (size_t)(4 * c + 2 * i) * in_plane + (size_t)y * (size_t)in->w;
        const float *s1 = s0 + in_plane;
        float *dst = out->data + (size_t)r * (size_t)out->w;
        for (int x = 0; x < in->w; x++) {
            dst[2 * x] = s0[x];
            dst[2 * x + 1] = s1[x];
        }
    }
}

static int overlaps(const FacetTensor *a, const FacetTensor *b)
{
    const float *a0 = a->data, *a1 = a0 + facet_tensor_size(a);
    const float *b0 = b->data, *b1 = b0 + facet_tensor_size(b);
    return a0 < b1 && b0 < a1;
}

static int pixel_shuffle_c(FacetWorkspace *ws, const FacetTensor *in, FacetTensor *out)
{
    if (!ws || !facet_ops_check_tensor(in) || !facet_ops_check_tensor(out) || in->c % 4 ||
        out->c != in->c / 4 || out->h != 2 * in->h || out->w != 2 * in->w || overlaps(in, out))
        return -EINVAL;
    LatentJob j = {.a = in, .out = out, .rows = out->c * out->h};
    run(ws, pixel_shuffle_job, &j, 0.5 * out->w);
    return 0;
}

/* ---- flow_grid ------------------------------------------------------------ */

/* grid_sample's source index (ops_c.c): align_corners=False, border
 * padding clamps into [0, size - 1], NaN lands on 0. */
static float source_index(float g, int size)
{
    float v = ((g + 1.0f) * (float)size - 1.0f) * 0.5f;
    v = v > 0.0f ? v : 0.0f;
    return v < (float)(size - 1) ? v : (float)(size - 1);
}

/* Pixel centre i of an identity grid of n pixels, PyTorch's float
 * expression (2 i + 1) / n - 1. */
static float identity(int i, int n)
{
    return (float)(2 * i + 1) / (float)n - 1.0f;
}

static void flow_grid_job(void *opaque, int job, int thread)
{
    (void)thread;
    const LatentJob *j = opaque;
    const FacetTensor *d = j->a;
    FacetTensor *out = j->out;
    int begin, end;
    facet_ops_split(j->rows, j->jobs, job, &begin, &end);
    int W = out->w, H = out->h;
    size_t plane = (size_t)H * (size_t)W;
    int same = d && d->h == H && d->w == W;
    for (int y = begin; y < end; y++) {
        float *ox = out->data + (size_t)y * (size_t)W, *oy = ox + plane;
        float gy = identity(y, H);
        if (!d) {
            for (int x = 0; x < W; x++) {
                ox[x] = identity(x, W);
                oy[x] = gy;
            }
        } else if (same) {
            const float *dx = d->data + (size_t)y * (size_t)W, *dy = dx + plane;
            for (int x = 0; x < W; x++) {
                ox[x] = identity(x, W) + dx[x];
                oy[x] = gy + dy[x];
            }
        } else {
            /* Bilinear at the identity grid's points, grid_sample's float
             * operations exactly, then the identity added. */
            size_t dplane = (size_t)d->h * (size_t)d->w;
            float iy = source_index(gy, d->h);
            int y0 = (int)floorf(iy), y1 = y0 + 1 < d->h ? y0 + 1 : y0;
            float wy1 = iy - (float)y0, wy0 = (float)(y0 + 1) - iy;
            for (int x = 0; x < W; x++) {
                float gx = identity(x, W);
                float ix = source_index(gx, d->w);
                int x0 = (int)floorf(ix), x1 = x0 + 1 < d->w ? x0 + 1 : x0;
                float wx1 = ix - (float)x0, wx0 = (float)(x0 + 1) - ix;
                float w00 = wx0 * wy0, w01 = wx1 * wy0, w10 = wx0 * wy1, w11 = wx1 * wy1;
                size_t i00 = (size_t)y0 * (size_t)d->w + (size_t)x0;
                size_t i01 = (size_t)y0 * (size_t)d->w + (size_t)x1;
                size_t i10 = (size_t)y1 * (size_t)d->w + (size_t)x0;
                size_t i11 = (size_t)y1 * (size_t)d->w + (size_t)x1;
                const float *s = d->data;
                float vx = s[i00] * w00 + s[i01] * w01 + s[i10] * w10 + s[i11] * w11;
                s += dplane;
                float vy = s[i00] * w00 + s[i01] * w01 + s[i10] * w10 + s[i11] * w11;
                ox[x] = gx + vx;
                oy[x] = gy + vy;
            }
        }
    }
}

static int flow_grid_c(FacetWorkspace *ws, const FacetTensor *disp, FacetTensor *out)
{
    if (!ws || !facet_ops_check_tensor(out) || out->c != 2 ||
        (disp && (!facet_ops_check_tensor(disp) || disp->c != 2 || overlaps(disp, out))))
        return -EINVAL;
    LatentJob j = {.a = disp, .out = out, .rows = out->h};
    run(ws, flow_grid_job, &j, 4.0 * out->w);
    return 0;
}

void facet_render_ops_init_latent(FacetRenderOps *ops)
{
    ops->sub = sub_c;
    ops->fill = fill_c;
    ops->pixel_shuffle = pixel_shuffle_c;
    ops->flow_grid = flow_grid_c;
}
