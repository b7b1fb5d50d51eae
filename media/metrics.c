/* SPDX-License-Identifier: BSD-2-Clause */
/* PSNR, SSIM and MS-SSIM on 8-bit I420 pictures; see metrics.h. */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SSIM_RADIUS 5 /* 11-tap window */
#define SSIM_SIGMA 1.5
#define SSIM_C1 ((0.01 * 255) * (0.01 * 255))
#define SSIM_C2 ((0.03 * 255) * (0.03 * 255))
#define MS_SSIM_SCALES 5

static const double ms_ssim_weights[MS_SSIM_SCALES] = { 0.0448, 0.2856, 0.3001, 0.2363,
                                                         0.1333 };

typedef struct Plane {
    float *pixels;
    int width, height;
} Plane;

static double squared_error(const uint8_t *a, ptrdiff_t stride_a, const uint8_t *b,
                            ptrdiff_t stride_b, int width, int height)
{
    double sum = 0.0;
    for (int y = 0; y < height; y++) {
        uint64_t row = 0;
        for (int x = 0; x < width; x++) {
            int d = a[y * stride_a + x] - b[y * stride_b + x];
            row += (uint64_t)(d * d);
        }
        sum += (double)row;
    }
    return sum;
}

static double psnr_from_mse(double mse)
{
    if (mse <= 0.0)
        return METRICS_PSNR_MAX;
    return fmin(METRICS_PSNR_MAX, 10.0 * log10(255.0 * 255.0 / mse));
}

/* Filters `in` with the separable Gaussian window, keeping only positions
 * where the whole window fits ("valid" convolution, as in the reference
 * SSIM implementation). */
static void gaussian_valid(const float *in, int width, int height, const float *taps,
                           float *tmp, float *out)
{
    int out_w = width - 2 * SSIM_RADIUS, out_h = height - 2 * SSIM_RADIUS;
    for (int y = 0; y < height; y++)
        for (int x = 0; x < out_w; x++) {
            float sum = 0.0f;
            for (int k = 0; k <= 2 * SSIM_RADIUS; k++)
                sum += taps[k] * in[y * width + x + k];
            tmp[y * out_w + x] = sum;
        }
    for (int y = 0; y < out_h; y++)
        for (int x = 0; x < out_w; x++) {
            float sum = 0.0f;
            for (int k = 0; k <= 2 * SSIM_RADIUS; k++)
                sum += taps[k] * tmp[(y + k) * out_w + x];
            out[y * out_w + x] = sum;
        }
}

/* Mean SSIM and mean contrast-structure term of two planes of the same
 * size (at least 11x11). Returns 0 or -1 on allocation failure. */
static int ssim_plane(const Plane *a, const Plane *b, double *ssim, double *cs)
{
    float taps[2 * SSIM_RADIUS + 1];
    float taps_sum = 0.0f;
    for (int k = -SSIM_RADIUS; k <= SSIM_RADIUS; k++) {
        taps[k + SSIM_RADIUS] = (float)exp(-(k * k) / (2.0 * SSIM_SIGMA * SSIM_SIGMA));
        taps_sum += taps[k + SSIM_RADIUS];
    }
    for (int k = 0; k <= 2 * SSIM_RADIUS; k++)
        taps[k] /= taps_sum;

    size_t n = (size_t)a->width * (size_t)a->height;
    int out_w = a->width - 2 * SSIM_RADIUS, out_h = a->height - 2 * SSIM_RADIUS;
    size_t out_n = (size_t)out_w * (size_t)out_h;
    float *products = malloc(3 * n * sizeof(float));
    float *tmp = malloc((size_t)out_w * (size_t)a->height * sizeof(float));
    float *maps = malloc(5 * out_n * sizeof(float));
    if (!products || !tmp || !maps) {
        free(products);
        free(tmp);
        free(maps);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        products[i] = a->pixels[i] * a->pixels[i];
        products[n + i] = b->pixels[i] * b->pixels[i];
        products[2 * n + i] = a->pixels[i] * b->pixels[i];
    }
    float *mu_a = maps, *mu_b = maps + out_n, *aa = maps + 2 * out_n, *bb = maps + 3 * out_n,
          *ab = maps + 4 * out_n;
    gaussian_valid(a->pixels, a->width, a->height, taps, tmp, mu_a);
    gaussian_valid(b->pixels, a->width, a->height, taps, tmp, mu_b);
    gaussian_valid(products, a->width, a->height, taps, tmp, aa);
    gaussian_valid(products + n, a->width, a->height, taps, tmp, bb);
    gaussian_valid(products + 2 * n, a->width, a->height, taps, tmp, ab);

    double ssim_sum = 0.0, cs_sum = 0.0;
    for (size_t i = 0; i < out_n; i++) {
        double ma = mu_a[i], mb = mu_b[i];
        double var_a = aa[i] - ma * ma, var_b = bb[i] - mb * mb, cov = ab[i] - ma * mb;
        double cs_i = (2.0 * cov + SSIM_C2) / (var_a + var_b + SSIM_C2);
        double l_i = (2.0 * ma * mb + SSIM_C1) / (ma * ma + mb * mb + SSIM_C1);
        ssim_sum += l_i * cs_i;
        cs_sum += cs_i;
    }
    *ssim = ssim_sum / (double)out_n;
    *cs = cs_sum / (double)out_n;
    free(products);
    free(tmp);
    free(maps);
    return 0;
}

static int plane_from_luma(const FacetPicture *picture, Plane *plane)
{
    plane->width = picture->width;
    plane->height = picture->height;
    plane->pixels = malloc((size_t)plane->width * (size_t)plane->height * sizeof(float));
    if (!plane->pixels)
        return -1;
    for (int y = 0; y < plane->height; y++)
        for (int x = 0; x < plane->width; x++)
            plane->pixels[y * plane->width + x] = picture->data[0][y * picture->stride[0] + x];
    return 0;
}

/* 2x2 box downsampling, as in the MS-SSIM reference implementation. */
static void downsample(Plane *plane)
{
    int w = plane->width / 2, h = plane->height / 2;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const float *p = plane->pixels + 2 * y * plane->width + 2 * x;
            plane->pixels[y * w + x] = 0.25f * (p[0] + p[1] + p[plane->width] + p[plane->width + 1]);
        }
    plane->width = w;
    plane->height = h;
}

static int ssim_metrics(const FacetPicture *reference, const FacetPicture *distorted,
                        FrameMetrics *metrics)
{
    Plane a = { 0 }, b = { 0 };
    int ret = -1;
    if (plane_from_luma(reference, &a) < 0 || plane_from_luma(distorted, &b) < 0)
        goto done;
    const int window = 2 * SSIM_RADIUS + 1;
    if (a.width < window || a.height < window) {
        /* Too small for a single window: fall back to exact equality. */
        int same = squared_error(reference->data[0], reference->stride[0], distorted->data[0],
                                 distorted->stride[0], a.width, a.height) == 0.0;
        metrics->ssim = metrics->ms_ssim = same ? 1.0 : 0.0;
        ret = 0;
        goto done;
    }
    double product = 1.0, weight_sum = 0.0;
    for (int scale = 0; scale < MS_SSIM_SCALES; scale++) {
        double ssim, cs;
        if (ssim_plane(&a, &b, &ssim, &cs) < 0)
            goto done;
        if (scale == 0)
            metrics->ssim = ssim;
        int last = scale == MS_SSIM_SCALES - 1 || a.width / 2 < window || a.height / 2 < window;
        /* Negative contrast terms (anti-correlated pictures) would make the
         * fractional power undefined; they mean "no similarity". */
        double term = fmax(last ? ssim : cs, 0.0);
        product *= pow(term, ms_ssim_weights[scale]);
        weight_sum += ms_ssim_weights[scale];
        if (last)
            break;
        downsample(&a);
        downsample(&b);
    }
    /* Renormalise the exponents when small pictures allow fewer scales. */
    metrics->ms_ssim = pow(product, 1.0 / weight_sum);
    ret = 0;
done:
    free(a.pixels);
    free(b.pixels);
    return ret;
}

/* Sums over one 4x4 block: a, b, a*a + b*b, a*b. */
static void block_sums(const uint8_t *a, ptrdiff_t stride_a, const uint8_t *b, ptrdiff_t stride_b,
                       int64_t sums[4])
{
    sums[0] = sums[1] = sums[2] = sums[3] = 0;
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++) {
            int pa = a[y * stride_a + x], pb = b[y * stride_b + x];
            sums[0] += pa;
            sums[1] += pb;
            sums[2] += pa * pa + pb * pb;
            sums[3] += pa * pb;
        }
}

/* SSIM of one 8x8 window from its sums, with the constants and the float
 * arithmetic of FFmpeg's vf_ssim.c (ssim_end1), so results agree with
 * `ffmpeg -lavfi ssim` to its printed precision. */
static double ssim_8x8_window(int64_t s1, int64_t s2, int64_t ss, int64_t s12)
{
    const int c1 = (int)(.01 * .01 * 255 * 255 * 64 + .5);
    const int c2 = (int)(.03 * .03 * 255 * 255 * 64 * 63 + .5);
    int64_t vars = ss * 64 - s1 * s1 - s2 * s2;
    int64_t covar = s12 * 64 - s1 * s2;
    return (float)(2 * s1 * s2 + c1) * (float)(2 * covar + c2) /
           ((float)(s1 * s1 + s2 * s2 + c1) * (float)(vars + c2));
}

/* Mean SSIM over every 8x8 window whose corner lies on the 4-pixel grid,
 * as FFmpeg's ssim filter computes it on one plane. */
static double ssim_8x8_plane(const uint8_t *a, ptrdiff_t stride_a, const uint8_t *b,
                             ptrdiff_t stride_b, int width, int height)
{
    int blocks_x = width / 4, blocks_y = height / 4;
    if (blocks_x < 2 || blocks_y < 2)
        return 1.0;
    double sum = 0.0;
    for (int by = 0; by + 1 < blocks_y; by++)
        for (int bx = 0; bx + 1 < blocks_x; bx++) {
            int64_t total[4] = { 0 };
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) {
                    int64_t sums[4];
                    int x = 4 * (bx + dx), y = 4 * (by + dy);
                    block_sums(a + y * stride_a + x, stride_a, b + y * stride_b + x, stride_b,
                               sums);
                    for (int k = 0; k < 4; k++)
                        total[k] += sums[k];
                }
            sum += ssim_8x8_window(total[0], total[1], total[2], total[3]);
        }
    return sum / ((double)(blocks_x - 1) * (double)(blocks_y - 1));
}

int metrics_compare(const FacetPicture *reference, const FacetPicture *distorted,
                    FrameMetrics *metrics)
{
    if (reference->format != FACET_PIXEL_FORMAT_I420 ||
        distorted->format != FACET_PIXEL_FORMAT_I420 || reference->width != distorted->width ||
        reference->height != distorted->height)
        return -1;
    memset(metrics, 0, sizeof(*metrics));
    double sse[3];
    size_t samples[3];
    for (int plane = 0; plane < 3; plane++) {
        int w = plane ? (reference->width + 1) / 2 : reference->width;
        int h = plane ? (reference->height + 1) / 2 : reference->height;
        sse[plane] = squared_error(reference->data[plane], reference->stride[plane],
                                   distorted->data[plane], distorted->stride[plane], w, h);
        samples[plane] = (size_t)w * (size_t)h;
    }
    metrics->psnr_y = psnr_from_mse(sse[0] / (double)samples[0]);
    metrics->psnr_u = psnr_from_mse(sse[1] / (double)samples[1]);
    metrics->psnr_v = psnr_from_mse(sse[2] / (double)samples[2]);
    metrics->psnr = psnr_from_mse((sse[0] + sse[1] + sse[2]) /
                                  (double)(samples[0] + samples[1] + samples[2]));
    metrics->ssim_8x8 = ssim_8x8_plane(reference->data[0], reference->stride[0],
                                       distorted->data[0], distorted->stride[0],
                                       reference->width, reference->height);
    return ssim_metrics(reference, distorted, metrics);
}
