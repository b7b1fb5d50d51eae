/* SPDX-License-Identifier: BSD-2-Clause */
/* Synthetic test pictures; see test_pictures.h. */
#include "test_pictures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* RGB of the synthetic scene at (x, y). */
static void scene_rgb(int x, int y, int width, int height, int phase, uint8_t rgb[3])
{
    double u = (double)(x + phase) / width, v = (double)(y + phase / 2) / height;
    double cx = 0.5 * width + 0.1 * width * sin(phase * 0.2), cy = 0.45 * height;
    double radius = 0.25 * (width < height ? width : height);
    double d = hypot(x - cx, y - cy);
    double face = d < radius ? 1.0 : 0.0;
    double r = 60 + 120 * u + 70 * face;
    double g = 80 + 100 * v + 40 * face;
    double b = 150 - 80 * u + 30 * sin(0.3 * x) * (y % 16 < 8);
    rgb[0] = (uint8_t)fmin(fmax(r, 0), 255);
    rgb[1] = (uint8_t)fmin(fmax(g, 0), 255);
    rgb[2] = (uint8_t)fmin(fmax(b, 0), 255);
}

static uint8_t clip_u8(double value)
{
    return (uint8_t)fmin(fmax(value + 0.5, 0.0), 255.0);
}

void test_picture_fill(FacetPicture *picture, int phase)
{
    int w = picture->width, h = picture->height;
    uint8_t rgb[3];
    if (picture->format == FACET_PIXEL_FORMAT_RGB24) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                scene_rgb(x, y, w, h, phase, picture->data[0] + y * picture->stride[0] + 3 * x);
        return;
    }
    /* BT.601 limited range, the codec's YUV convention. */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            scene_rgb(x, y, w, h, phase, rgb);
            picture->data[0][y * picture->stride[0] + x] =
                clip_u8(16 + 0.257 * rgb[0] + 0.504 * rgb[1] + 0.098 * rgb[2]);
        }
    for (int y = 0; y < (h + 1) / 2; y++)
        for (int x = 0; x < (w + 1) / 2; x++) {
            scene_rgb(2 * x, 2 * y, w, h, phase, rgb);
            picture->data[1][y * picture->stride[1] + x] =
                clip_u8(128 - 0.148 * rgb[0] - 0.291 * rgb[1] + 0.439 * rgb[2]);
            picture->data[2][y * picture->stride[2] + x] =
                clip_u8(128 + 0.439 * rgb[0] - 0.368 * rgb[1] - 0.071 * rgb[2]);
        }
}

FacetPicture test_picture_make(FacetPixelFormat format, int width, int height, int phase)
{
    FacetPicture picture;
    if (facet_picture_alloc(&picture, format, width, height) < 0) {
        fprintf(stderr, "cannot allocate a %dx%d test picture\n", width, height);
        abort();
    }
    test_picture_fill(&picture, phase);
    return picture;
}

double test_picture_psnr(const FacetPicture *a, const FacetPicture *b)
{
    if (a->format != b->format || a->width != b->width || a->height != b->height)
        return -1.0;
    double sse = 0.0;
    double samples = 0.0;
    int planes = a->format == FACET_PIXEL_FORMAT_I420 ? 3 : 1;
    for (int p = 0; p < planes; p++) {
        int w = a->width, h = a->height;
        if (a->format == FACET_PIXEL_FORMAT_RGB24)
            w *= 3;
        else if (p > 0) {
            w = (w + 1) / 2;
            h = (h + 1) / 2;
        }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double d = (double)a->data[p][y * a->stride[p] + x] - b->data[p][y * b->stride[p] + x];
                sse += d * d;
            }
        samples += (double)w * h;
    }
    if (sse == 0.0)
        return 100.0;
    return 10.0 * log10(255.0 * 255.0 * samples / sse);
}
