/* SPDX-License-Identifier: BSD-2-Clause */
/* The network's output as a picture; see picture_out.h. The shader
 * render/shaders/picture_out.comp does the same float operations. */
#include "render/picture_out.h"

#include <errno.h>
#include <math.h>
#include <string.h>

int facet_render_picture_shape_valid(const FacetRenderPicture *p)
{
    return p && p->width >= 1 && p->height >= 1 && p->width <= 16384 && p->height <= 16384 &&
           (p->format == FACET_RENDER_PICTURE_I420 || p->format == FACET_RENDER_PICTURE_RGB24);
}

int facet_render_picture_valid(const FacetRenderPicture *p)
{
    if (!facet_render_picture_shape_valid(p))
        return 0;
    if (p->format == FACET_RENDER_PICTURE_RGB24)
        return p->data[0] && p->stride[0] >= 3 * (ptrdiff_t)p->width;
    if (p->format != FACET_RENDER_PICTURE_I420)
        return 0;
    ptrdiff_t cw = (p->width + 1) / 2;
    return p->data[0] && p->data[1] && p->data[2] && p->stride[0] >= p->width &&
           p->stride[1] >= cw && p->stride[2] >= cw;
}

/* Row bytes of plane `plane` and its rows, padded to 4 bytes. */
static void plane_shape(const FacetRenderPicture *p, int plane, size_t *row, int *rows)
{
    size_t w;
    if (p->format == FACET_RENDER_PICTURE_RGB24) {
        w = 3 * (size_t)p->width;
        *rows = plane == 0 ? p->height : 0;
    } else {
        w = plane == 0 ? (size_t)p->width : (size_t)(p->width + 1) / 2;
        *rows = plane == 0 ? p->height : (p->height + 1) / 2;
    }
    *row = (w + 3) & ~(size_t)3;
}

size_t facet_render_picture_packed_size(const FacetRenderPicture *p)
{
    size_t total = 0;
    for (int plane = 0; plane < 3; plane++) {
        size_t row;
        int rows;
        plane_shape(p, plane, &row, &rows);
        total += row * (size_t)rows;
    }
    return total;
}

void facet_render_picture_unpack(const uint8_t *packed, FacetRenderPicture *out)
{
    for (int plane = 0; plane < 3; plane++) {
        size_t row;
        int rows;
        plane_shape(out, plane, &row, &rows);
        size_t used = out->format == FACET_RENDER_PICTURE_RGB24 ? 3 * (size_t)out->width
                      : plane == 0                             ? (size_t)out->width
                                                               : (size_t)(out->width + 1) / 2;
        for (int y = 0; y < rows; y++)
            memcpy(out->data[plane] + (ptrdiff_t)y * out->stride[plane], packed + (size_t)y * row,
                   used);
        packed += row * (size_t)rows;
    }
}

/* One output coordinate's two source taps and the weight of the second. */
typedef struct Tap {
    int i0, i1;
    float w;
} Tap;

static Tap tap(int i, int out_n, int in_n)
{
    float s = ((float)i + 0.5f) * (float)in_n / (float)out_n - 0.5f;
    if (s < 0.0f)
        s = 0.0f;
    int i0 = (int)s;
    if (i0 > in_n - 1)
        i0 = in_n - 1;
    Tap t = { i0, i0 + 1 < in_n ? i0 + 1 : in_n - 1, s - (float)i0 };
    if (t.w > 1.0f)
        t.w = 1.0f;
    return t;
}

static float clamp01(float v)
{
    if (!(v > 0.0f))
        return 0.0f; /* NaN too */
    return v < 1.0f ? v : 1.0f;
}

static uint8_t byte_of(float v)
{
    /* v is in [0, 255.5) by construction. */
    return (uint8_t)(v + 0.5f);
}

/* The clamped RGB at output pixel (x, y). At the tensor's own size the
 * taps are the pixel itself with weight 0, so the value is read directly
 * (the interpolation would give it exactly too). */
static void sample(const FacetTensor *t, Tap tx, Tap ty, float rgb[3])
{
    if (tx.w == 0.0f && ty.w == 0.0f) {
        size_t plane = (size_t)t->h * (size_t)t->w, i = (size_t)ty.i0 * (size_t)t->w + tx.i0;
        rgb[0] = clamp01(t->data[i]);
        rgb[1] = clamp01(t->data[i + plane]);
        rgb[2] = clamp01(t->data[i + 2 * plane]);
        return;
    }
    size_t plane = (size_t)t->h * (size_t)t->w;
    size_t r0 = (size_t)ty.i0 * (size_t)t->w, r1 = (size_t)ty.i1 * (size_t)t->w;
    for (int c = 0; c < 3; c++) {
        const float *p = t->data + (size_t)c * plane;
        float top = p[r0 + tx.i0] + (p[r0 + tx.i1] - p[r0 + tx.i0]) * tx.w;
        float bottom = p[r1 + tx.i0] + (p[r1 + tx.i1] - p[r1 + tx.i0]) * tx.w;
        rgb[c] = clamp01(top + (bottom - top) * ty.w);
    }
}

static float luma(const float rgb[3])
{
    return 16.0f + 219.0f * (0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2]);
}

static float chroma_u(const float rgb[3])
{
    return 128.0f + 224.0f * (-0.168736f * rgb[0] - 0.331264f * rgb[1] + 0.5f * rgb[2]);
}

static float chroma_v(const float rgb[3])
{
    return 128.0f + 224.0f * (0.5f * rgb[0] - 0.418688f * rgb[1] - 0.081312f * rgb[2]);
}

/* Widths whose column taps a job keeps on its stack (24 KiB). */
#define MAX_TAPS 2048

typedef struct PictureJob {
    const FacetTensor *rgb;
    FacetRenderPicture *out;
    int rows_per_job, jobs;
} PictureJob;

/* Rows [2 r, 2 r + 2) of the picture (one chroma row), r in the job's range. */
static void picture_job(void *opaque, int job, int thread)
{
    (void)thread;
    const PictureJob *pj = opaque;
    const FacetTensor *t = pj->rgb;
    FacetRenderPicture *o = pj->out;
    int W = o->width, H = o->height;
    int pairs = (H + 1) / 2;
    int begin = job * pj->rows_per_job, end = begin + pj->rows_per_job;
    if (end > pairs)
        end = pairs;
    /* The column taps, once per job. */
    Tap xt[MAX_TAPS];
    int cached = W <= MAX_TAPS;
    for (int x = 0; cached && x < W && begin < end; x++)
        xt[x] = tap(x, W, t->w);
#define XTAP(x) (cached ? xt[x] : tap((x), W, t->w))
    for (int r = begin; r < end; r++) {
        int rows = 2 * r + 1 < H ? 2 : 1;
        Tap ty[2] = { tap(2 * r, H, t->h), tap(2 * r + 1 < H ? 2 * r + 1 : 2 * r, H, t->h) };
        if (o->format == FACET_RENDER_PICTURE_RGB24) {
            for (int k = 0; k < rows; k++) {
                uint8_t *dst = o->data[0] + (ptrdiff_t)(2 * r + k) * o->stride[0];
                for (int x = 0; x < W; x++) {
                    float rgb[3];
                    sample(t, XTAP(x), ty[k], rgb);
                    dst[3 * x] = byte_of(rgb[0] * 255.0f);
                    dst[3 * x + 1] = byte_of(rgb[1] * 255.0f);
                    dst[3 * x + 2] = byte_of(rgb[2] * 255.0f);
                }
            }
            continue;
        }
        uint8_t *y0 = o->data[0] + (ptrdiff_t)(2 * r) * o->stride[0];
        uint8_t *y1 = y0 + o->stride[0];
        uint8_t *u = o->data[1] + (ptrdiff_t)r * o->stride[1];
        uint8_t *v = o->data[2] + (ptrdiff_t)r * o->stride[2];
        for (int cx = 0; cx < (W + 1) / 2; cx++) {
            int cols = 2 * cx + 1 < W ? 2 : 1;
            float sum[3] = { 0.0f, 0.0f, 0.0f };
            for (int k = 0; k < rows; k++)
                for (int j = 0; j < cols; j++) {
                    float rgb[3];
                    int x = 2 * cx + j;
                    sample(t, XTAP(x), ty[k], rgb);
                    (k ? y1 : y0)[x] = byte_of(luma(rgb));
                    sum[0] += rgb[0];
                    sum[1] += rgb[1];
                    sum[2] += rgb[2];
                }
            float n = 1.0f / (float)(rows * cols);
            float mean[3] = { sum[0] * n, sum[1] * n, sum[2] * n };
            u[cx] = byte_of(chroma_u(mean));
            v[cx] = byte_of(chroma_v(mean));
        }
    }
#undef XTAP
}

int facet_picture_out(FacetThreadPool *pool, const FacetTensor *rgb, FacetRenderPicture *out)
{
    if (!rgb || !rgb->data || rgb->c != 3 || rgb->h < 1 || rgb->w < 1 ||
        !facet_render_picture_valid(out))
        return -EINVAL;
    int pairs = (out->height + 1) / 2;
    /* Jobs of at least ~16 row pairs: a pair of a 256-wide picture is a few
     * microseconds. */
    int threads = facet_thread_pool_threads(pool);
    int jobs = pairs / 16;
    if (jobs > 4 * threads)
        jobs = 4 * threads;
    if (jobs < 1)
        jobs = 1;
    PictureJob pj = { rgb, out, (pairs + jobs - 1) / jobs, jobs };
    facet_thread_pool_run(jobs > 1 ? pool : NULL, picture_job, &pj, jobs);
    return 0;
}
