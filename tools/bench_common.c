/* SPDX-License-Identifier: BSD-2-Clause */
/* See bench_common.h. */
#define _GNU_SOURCE
#include "bench_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int bench_parse_backend(const char *arg, FacetRenderBackendKind *backend)
{
    if (strcmp(arg, "cpu") == 0)
        *backend = FACET_RENDER_BACKEND_CPU;
    else if (strcmp(arg, "vulkan") == 0)
        *backend = FACET_RENDER_BACKEND_VULKAN;
    else {
        fprintf(stderr, "facet bench: --backend wants cpu or vulkan, got '%s'\n", arg);
        return -1;
    }
    return 0;
}

int bench_parse_device(const char *arg, const char **device)
{
    if (*arg == '\0') {
        fprintf(stderr, "facet bench: --device wants an index or a name\n");
        return -1;
    }
    *device = arg;
    return 0;
}

double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* ---- timing samples ------------------------------------------------------ */

int samples_init(Samples *s, int capacity)
{
    s->count = 0;
    s->capacity = capacity;
    s->values = malloc(sizeof(*s->values) * (size_t)(capacity > 0 ? capacity : 1));
    return s->values ? 0 : -1;
}

void samples_add(Samples *s, double value)
{
    if (s->count < s->capacity)
        s->values[s->count++] = value;
}

void samples_free(Samples *s)
{
    free(s->values);
    memset(s, 0, sizeof(*s));
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

Summary samples_summary(Samples *s)
{
    Summary sum = { .count = s->count };
    if (s->count == 0)
        return sum;
    qsort(s->values, (size_t)s->count, sizeof(*s->values), compare_doubles);
    int n = s->count;
    sum.median = n % 2 ? s->values[n / 2] : 0.5 * (s->values[n / 2 - 1] + s->values[n / 2]);
    sum.min = s->values[0];
    sum.max = s->values[n - 1];
    double total = 0.0;
    for (int i = 0; i < n; i++)
        total += s->values[i];
    sum.mean = total / n;
    return sum;
}

/* ---- input pictures ------------------------------------------------------ */

int frame_source_open(FrameSource *src, const char *path, int width, int height)
{
    memset(src, 0, sizeof(*src));
    src->path = path;
    src->width = width;
    src->height = height;
    src->fps_num = SYNTHETIC_FPS;
    src->fps_den = 1;
    if (!path)
        return 0;
    src->reader = video_reader_open(path, width, height);
    if (!src->reader)
        return -1;
    int w, h;
    video_reader_format(src->reader, &w, &h, &src->fps_num, &src->fps_den);
    return 0;
}

void frame_source_close(FrameSource *src)
{
    video_reader_close(&src->reader);
}

/* A smooth background and a bright ellipse with some texture (a stand-in
 * for a head) that sways and nods, so that keypoints move and the intra
 * codec has edges to code. Frame t; 25 frames a second. */
static int synthetic_picture(FacetPicture *picture, int width, int height, long t)
{
    int ret = facet_picture_alloc(picture, FACET_PIXEL_FORMAT_I420, width, height);
    if (ret < 0)
        return ret;
    const double pi = 3.14159265358979323846;
    /* Sway and nod at unrelated periods, so that no two keyframes repeat. */
    double phase = 2.0 * pi * (double)t / 50.0, nod = 2.0 * pi * (double)t / 37.0;
    double cx = 0.5 + 0.05 * sin(phase), cy = 0.48 + 0.03 * sin(nod);
    double rx = 0.22, ry = 0.30;
    int cw = (width + 1) / 2, ch = (height + 1) / 2;
    for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
            double u = ((x + 0.5) / width - cx) / rx, v = ((y + 0.5) / height - cy) / ry;
            double d = u * u + v * v;
            double inside = fmin(fmax((1.0 - d) * 6.0, 0.0), 1.0);
            double background = 50.0 + 90.0 * x / width + 10.0 * sin(0.2 * y);
            double face = 165.0 + 25.0 * cos(6.0 * u + phase) * cos(5.0 * v);
            double value = background + inside * (face - background);
            picture->data[0][(ptrdiff_t)y * picture->stride[0] + x] = (uint8_t)lrint(value);
        }
    }
    for (int y = 0; y < ch; y++) {
        for (int x = 0; x < cw; x++) {
            double u = ((2 * x + 1.0) / width - cx) / rx, v = ((2 * y + 1.0) / height - cy) / ry;
            double inside = fmin(fmax((1.0 - (u * u + v * v)) * 6.0, 0.0), 1.0);
            picture->data[1][(ptrdiff_t)y * picture->stride[1] + x] =
                (uint8_t)lrint(120.0 - 12.0 * inside);
            picture->data[2][(ptrdiff_t)y * picture->stride[2] + x] =
                (uint8_t)lrint(130.0 + 22.0 * inside);
        }
    }
    return 0;
}

int frame_source_read(FrameSource *src, FacetPicture *picture)
{
    if (!src->path) {
        if (synthetic_picture(picture, src->width, src->height, src->index) < 0) {
            fprintf(stderr, "facet bench: out of memory\n");
            return -1;
        }
        src->index++;
        return 0;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        int got = video_reader_read(src->reader, picture);
        if (got < 0)
            return -1;
        if (got > 0) {
            src->index++;
            return 0;
        }
        if (src->index == 0)
            break;
        /* Shorter than the run: start the clip again. */
        if (src->clip_frames == 0)
            src->clip_frames = src->index;
        video_reader_close(&src->reader);
        src->reader = video_reader_open(src->path, src->width, src->height);
        if (!src->reader)
            return -1;
    }
    fprintf(stderr, "facet bench: %s has no video frames\n", src->path);
    return -1;
}

void print_header(int with_flops)
{
    printf("  %-46s %8s %8s %8s", "", "median", "min", "max");
    if (with_flops)
        printf(" %8s %8s", "GFLOP", "GFLOP/s");
    printf("\n");
}

void print_row(const char *label, Samples *samples, double flops)
{
    Summary s = samples_summary(samples);
    if (s.count == 0) {
        printf("  %-46s %8s   (none after the warm-up; use more --frames)\n", label, "n/a");
        return;
    }
    printf("  %-46s %8.2f %8.2f %8.2f", label, s.median, s.min, s.max);
    if (flops > 0.0)
        printf(" %8.3f %8.1f", flops * 1e-9, flops / (s.median * 1e-3) * 1e-9);
    printf("\n");
}

