/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What every kernel table shares (ops.h): the workspace, conv2d layers and
 * their padded input layout, the argument checks and the job split. The C
 * reference (ops_c.c) and the AVX2 kernels (ops_avx2.c) both build on this
 * file and never on each other; ops.c picks between them.
 */
#include "render/ops.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Bounds on layer sizes: far above what the network uses, low enough that no
 * size computation below overflows. */
#define MAX_CHANNELS (1 << 16)
#define MAX_SIDE (1 << 15)

/* Rounds towards minus infinity (C's / truncates towards zero); b > 0. */
static int div_floor(int a, int b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* ------------------------------------------------------------------------
 * Workspace */

void facet_workspace_init(FacetWorkspace *ws, FacetThreadPool *pool)
{
    if (!ws)
        return;
    ws->pool = pool;
    ws->scratch = NULL;
    ws->scratch_floats = 0;
}

int facet_workspace_reserve(FacetWorkspace *ws, size_t floats)
{
    if (!ws)
        return -EINVAL;
    if (floats <= ws->scratch_floats)
        return 0;
    if (floats > (SIZE_MAX - FACET_TENSOR_ALIGN) / sizeof(float))
        return -ENOMEM;
    size_t bytes = (floats * sizeof(float) + FACET_TENSOR_ALIGN - 1) / FACET_TENSOR_ALIGN *
                   FACET_TENSOR_ALIGN;
    float *data = aligned_alloc(FACET_TENSOR_ALIGN, bytes);
    if (!data)
        return -ENOMEM;
    free(ws->scratch);
    ws->scratch = data;
    ws->scratch_floats = bytes / sizeof(float);
    return 0;
}

void facet_workspace_free(FacetWorkspace *ws)
{
    if (!ws)
        return;
    free(ws->scratch);
    ws->scratch = NULL;
    ws->scratch_floats = 0;
    ws->pool = NULL;
}

/* ------------------------------------------------------------------------
 * Convolution layers */

int facet_conv2d_init(FacetConv2d *conv, const float *weights, const float *bias, int out_c,
                      int in_c, int k, int stride, FacetActivation act)
{
    if (!conv)
        return -EINVAL;
    memset(conv, 0, sizeof(*conv));
    if (!weights || out_c < 1 || in_c < 1 || out_c > MAX_CHANNELS || in_c > MAX_CHANNELS)
        return -EINVAL;
    if ((k != 1 && k != 3 && k != 5 && k != 7) || (stride != 1 && stride != 2))
        return -EINVAL;
    if ((int)act < 0 || act >= FACET_ACT_COUNT)
        return -EINVAL;

    size_t taps = (size_t)k * (size_t)k;
    size_t count = (size_t)out_c * (size_t)in_c * taps;
    size_t blocks = ((size_t)out_c + FACET_CONV_OC_BLOCK - 1) / FACET_CONV_OC_BLOCK;
    size_t packed_count = blocks * FACET_CONV_OC_BLOCK * (size_t)in_c * taps;
    conv->weights = malloc(count * sizeof(float));
    conv->bias = calloc((size_t)out_c, sizeof(float));
    conv->packed = aligned_alloc(FACET_TENSOR_ALIGN,
                                 (packed_count * sizeof(float) + FACET_TENSOR_ALIGN - 1) /
                                     FACET_TENSOR_ALIGN * FACET_TENSOR_ALIGN);
    if (!conv->weights || !conv->bias || !conv->packed) {
        facet_conv2d_free(conv);
        return -ENOMEM;
    }
    memcpy(conv->weights, weights, count * sizeof(float));
    if (bias)
        memcpy(conv->bias, bias, (size_t)out_c * sizeof(float));
    for (size_t b = 0; b < blocks; b++)
        for (size_t i = 0; i < (size_t)in_c; i++)
            for (size_t t = 0; t < taps; t++)
                for (size_t j = 0; j < FACET_CONV_OC_BLOCK; j++) {
                    size_t o = b * FACET_CONV_OC_BLOCK + j;
                    float v = o < (size_t)out_c ? weights[(o * (size_t)in_c + i) * taps + t] : 0.0f;
                    conv->packed[((b * (size_t)in_c + i) * taps + t) * FACET_CONV_OC_BLOCK + j] = v;
                }
    conv->out_c = out_c;
    conv->in_c = in_c;
    conv->k = k;
    conv->stride = stride;
    conv->act = act;
    return 0;
}

void facet_conv2d_free(FacetConv2d *conv)
{
    if (!conv)
        return;
    free(conv->weights);
    free(conv->bias);
    free(conv->packed);
    memset(conv, 0, sizeof(*conv));
}

int facet_conv2d_output_size(const FacetConv2d *conv, int in)
{
    if (!conv || conv->stride < 1 || in < 1)
        return 0;
    return (in - 1) / conv->stride + 1;
}

int facet_ops_conv_layout(FacetConvLayout *l, const FacetConv2d *conv, int in_h, int in_w)
{
    if (in_h < 1 || in_w < 1 || in_h > MAX_SIDE || in_w > MAX_SIDE)
        return -EINVAL;
    int k = conv->k, s = conv->stride, p = k / 2;
    memset(l, 0, sizeof(*l));
    l->in_h = in_h;
    l->in_w = in_w;
    l->out_h = (in_h - 1) / s + 1;
    l->out_w = (in_w - 1) / s + 1;
    l->pad = p;
    l->taps = k * k;
    int hp = in_h + 2 * p, wp = in_w + 2 * p;
    int rows, reach; /* rows of data per plane; farthest tap offset in a plane */
    if (s == 1) {
        l->phases = 1;
        l->vw = wp;
        rows = hp;
        reach = (k - 1) * l->vw + (k - 1);
    } else {
        l->phases = 4;
        l->vw = (wp + 1) / 2;
        rows = (hp + 1) / 2;
        reach = (k - 1) / 2 * l->vw + (k - 1) / 2;
    }
    l->positions = (size_t)l->out_h * (size_t)l->vw;
    size_t plane = (size_t)rows * (size_t)l->vw;
    size_t need = l->positions + FACET_CONV_MAX_TILE + (size_t)reach;
    if (need > plane)
        plane = need;
    plane = (plane + 15) / 16 * 16; /* every plane 64-byte aligned */
    l->plane = plane;
    l->channel = plane * (size_t)l->phases;
    if (l->channel > INT_MAX / 2)
        return -EINVAL;
    for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++) {
            int off;
            if (s == 1)
                off = ky * l->vw + kx;
            else
                off = (int)(((ky & 1) * 2 + (kx & 1)) * plane) + (ky >> 1) * l->vw + (kx >> 1);
            l->tap_offset[ky * k + kx] = off;
        }
    return 0;
}

size_t facet_conv2d_scratch_floats(const FacetConv2d *conv, int in_h, int in_w)
{
    FacetConvLayout l;
    if (!conv || conv->in_c < 1 || facet_ops_conv_layout(&l, conv, in_h, in_w) < 0)
        return SIZE_MAX;
    if (l.channel > SIZE_MAX / (size_t)conv->in_c)
        return SIZE_MAX;
    return l.channel * (size_t)conv->in_c;
}

typedef struct PadJob {
    const FacetConvLayout *l;
    const FacetTensor *in;
    float *scratch;
    int jobs;
} PadJob;

static void pad_rows_stride1(const FacetConvLayout *l, const float *src, float *dst)
{
    int p = l->pad, w = l->in_w, vw = l->vw;
    memset(dst, 0, (size_t)p * (size_t)vw * sizeof(float));
    for (int y = 0; y < l->in_h; y++) {
        float *row = dst + (size_t)(y + p) * (size_t)vw;
        for (int x = 0; x < p; x++)
            row[x] = 0.0f;
        memcpy(row + p, src + (size_t)y * (size_t)w, (size_t)w * sizeof(float));
        for (int x = p + w; x < vw; x++)
            row[x] = 0.0f;
    }
    size_t used = (size_t)(l->in_h + p) * (size_t)vw;
    memset(dst + used, 0, (l->plane - used) * sizeof(float));
}

/* Phase (a, b) of the padded input: plane[i][j] = padded[2i + a][2j + b]. */
static void pad_rows_stride2(const FacetConvLayout *l, const float *src, float *dst, int a,
                             int b)
{
    int p = l->pad, h = l->in_h, w = l->in_w, vw = l->vw;
    int rows = (h + 2 * p + 1) / 2;
    /* Columns j whose source 2j + b - p lies in [0, w). */
    int j0 = -div_floor(b - p, 2), j1 = div_floor(w - 1 + p - b, 2) + 1;
    if (j0 < 0)
        j0 = 0;
    if (j1 > vw)
        j1 = vw;
    for (int i = 0; i < rows; i++) {
        float *row = dst + (size_t)i * (size_t)vw;
        int iy = 2 * i + a - p;
        if (iy < 0 || iy >= h) {
            memset(row, 0, (size_t)vw * sizeof(float));
            continue;
        }
        const float *srow = src + (size_t)iy * (size_t)w;
        for (int j = 0; j < j0; j++)
            row[j] = 0.0f;
        for (int j = j0; j < j1; j++)
            row[j] = srow[2 * j + b - p];
        for (int j = j1 > j0 ? j1 : j0; j < vw; j++)
            row[j] = 0.0f;
    }
    size_t used = (size_t)rows * (size_t)vw;
    memset(dst + used, 0, (l->plane - used) * sizeof(float));
}

static void pad_job(void *opaque, int job, int thread)
{
    (void)thread;
    const PadJob *pj = opaque;
    const FacetConvLayout *l = pj->l;
    int begin, end;
    facet_ops_split(pj->in->c, pj->jobs, job, &begin, &end);
    for (int c = begin; c < end; c++) {
        const float *src = facet_tensor_channel(pj->in, c);
        float *dst = pj->scratch + (size_t)c * l->channel;
        if (l->phases == 1) {
            pad_rows_stride1(l, src, dst);
        } else {
            for (int ph = 0; ph < 4; ph++)
                pad_rows_stride2(l, src, dst + (size_t)ph * l->plane, ph >> 1, ph & 1);
        }
    }
}

const float *facet_ops_conv_pad_input(FacetWorkspace *ws, const FacetConvLayout *l,
                                      const FacetTensor *in)
{
    if ((size_t)in->c > SIZE_MAX / l->channel)
        return NULL;
    if (facet_workspace_reserve(ws, l->channel * (size_t)in->c) < 0)
        return NULL;
    PadJob pj = {l, in, ws->scratch, 0};
    pj.jobs = facet_ops_job_count(ws, in->c, 0.25 * (double)l->channel);
    facet_thread_pool_run(ws->pool, pad_job, &pj, pj.jobs);
    return ws->scratch;
}

/* ------------------------------------------------------------------------
 * Argument checks */

int facet_ops_check_tensor(const FacetTensor *t)
{
    return t && t->data && t->c >= 1 && t->h >= 1 && t->w >= 1;
}

static int tensor_ok(const FacetTensor *t)
{
    return facet_ops_check_tensor(t);
}

static int overlaps(const FacetTensor *a, const FacetTensor *b)
{
    uintptr_t a0 = (uintptr_t)a->data, a1 = (uintptr_t)(a->data + facet_tensor_size(a));
    uintptr_t b0 = (uintptr_t)b->data, b1 = (uintptr_t)(b->data + facet_tensor_size(b));
    return a0 < b1 && b0 < a1;
}

/* In place (same data) or apart, never partly overlapping. */
static int alias_ok(const FacetTensor *in, const FacetTensor *out)
{
    return in->data == out->data || !overlaps(in, out);
}

int facet_ops_check_conv2d(const FacetConv2d *conv, const FacetTensor *in, const FacetTensor *out)
{
    if (!conv || !conv->weights || !conv->packed || !conv->bias || !tensor_ok(in) ||
        !tensor_ok(out))
        return -EINVAL;
    if (in->c != conv->in_c || out->c != conv->out_c || in->h > MAX_SIDE || in->w > MAX_SIDE)
        return -EINVAL;
    if (out->h != facet_conv2d_output_size(conv, in->h) ||
        out->w != facet_conv2d_output_size(conv, in->w) || overlaps(in, out))
        return -EINVAL;
    return 0;
}

int facet_ops_check_upsample2x(const FacetTensor *in, const FacetTensor *out)
{
    if (!tensor_ok(in) || !tensor_ok(out) || in->h > MAX_SIDE || in->w > MAX_SIDE)
        return -EINVAL;
    if (out->c != in->c || out->h != 2 * in->h || out->w != 2 * in->w || overlaps(in, out))
        return -EINVAL;
    return 0;
}

int facet_ops_check_avgpool2x2(const FacetTensor *in, const FacetTensor *out)
{
    if (!tensor_ok(in) || !tensor_ok(out))
        return -EINVAL;
    if (out->c != in->c || out->h != in->h / 2 || out->w != in->w / 2 || overlaps(in, out))
        return -EINVAL;
    return 0;
}

int facet_ops_check_grid_sample(const FacetTensor *in, const FacetTensor *grid,
                                const FacetTensor *out)
{
    if (!tensor_ok(in) || !tensor_ok(grid) || !tensor_ok(out))
        return -EINVAL;
    /* Gathers index a channel with 32-bit offsets. */
    if (in->h > MAX_SIDE || in->w > MAX_SIDE || (size_t)in->h * (size_t)in->w > INT_MAX / 2)
        return -EINVAL;
    if (grid->c != 2 || out->c != in->c || out->h != grid->h || out->w != grid->w)
        return -EINVAL;
    if (overlaps(in, out) || overlaps(grid, out))
        return -EINVAL;
    return 0;
}

int facet_ops_check_same_shape(const FacetTensor *a, const FacetTensor *b)
{
    if (!tensor_ok(a) || !tensor_ok(b))
        return -EINVAL;
    if (a->c != b->c || a->h != b->h || a->w != b->w || !alias_ok(a, b))
        return -EINVAL;
    return 0;
}

int facet_ops_check_softmax_spatial(const FacetTensor *in, float temperature,
                                    const FacetTensor *out)
{
    if (!(temperature > 0.0f) || !(temperature <= FLT_MAX))
        return -EINVAL;
    return facet_ops_check_same_shape(in, out);
}

int facet_ops_check_binary(const FacetTensor *a, const FacetTensor *b, const FacetTensor *out)
{
    if (facet_ops_check_same_shape(a, out) < 0 || facet_ops_check_same_shape(b, out) < 0)
        return -EINVAL;
    return 0;
}

int facet_ops_check_mul_map(const FacetTensor *a, const FacetTensor *map, const FacetTensor *out)
{
    if (facet_ops_check_same_shape(a, out) < 0 || !tensor_ok(map))
        return -EINVAL;
    if (map->c != 1 || map->h != a->h || map->w != a->w)
        return -EINVAL;
    /* The map is read for every channel: it must not be overwritten. */
    if (overlaps(map, out))
        return -EINVAL;
    return 0;
}

/* ------------------------------------------------------------------------
 * Job splitting */

void facet_ops_split(int count, int parts, int index, int *begin, int *end)
{
    if (parts < 1)
        parts = 1;
    long long c = count;
    *begin = (int)(c * index / parts);
    *end = (int)(c * (index + 1) / parts);
}

#define MIN_JOB_NS 10000.0

int facet_ops_job_count(const FacetWorkspace *ws, int items, double ns)
{
    int threads = facet_thread_pool_threads(ws ? ws->pool : NULL);
    if (items <= 1 || threads <= 1)
        return 1;
    double by_cost = (double)items * ns / MIN_JOB_NS;
    int jobs = 4 * threads;
    if (by_cost < jobs)
        jobs = by_cost < 1.0 ? 1 : (int)by_cost;
    return jobs < items ? jobs : items;
}
