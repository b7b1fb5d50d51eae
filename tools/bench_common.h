/* SPDX-License-Identifier: BSD-2-Clause */
/* What the two `facet bench` modes share (bench.c: the keypoint tier,
 * bench_latent.c: the latent tier): the clock, timing samples and their
 * report rows, and the input pictures (a clip, looped, or a synthetic
 * moving picture). */
#ifndef FACET_TOOLS_BENCH_COMMON_H
#define FACET_TOOLS_BENCH_COMMON_H

#include "facet/facet.h"
#include "render/backend.h"
#include "video_reader.h"

/* Calls made before timing starts: first-touch page faults, lazily started
 * threads and cold caches belong to start-up, not to a frame. */
#define WARMUP 5
#define DEFAULT_FRAMES 250
/* A real talking-head clip (a validation clip, never trained on), used when
 * it is there: beside the checkout, seen from the repository root. */
#define DEFAULT_INPUT "../shared/data/train/LivePortrait__assets_examples_driving_d9.mp4"
#define SYNTHETIC_FPS 25

/* The options both modes take: --backend cpu|vulkan into *backend, and
 * --device (an index or a piece of a name, not empty) into *device. 0, or
 * -1 after saying what was wrong on stderr. */
int bench_parse_backend(const char *arg, FacetRenderBackendKind *backend);
int bench_parse_device(const char *arg, const char **device);

/* Monotonic wall clock in milliseconds. */
double bench_now_ms(void);

/* Timings of one kind; the summary sorts them in place. */
typedef struct Samples {
    double *values;
    int count, capacity;
} Samples;

typedef struct Summary {
    int count;
    double median, min, max, mean;
} Summary;

int samples_init(Samples *s, int capacity);
void samples_add(Samples *s, double value);   /* dropped past the capacity */
void samples_free(Samples *s);
Summary samples_summary(Samples *s);

/* "  label   median min max [GFLOP GFLOP/s]": the header, and one row (the
 * FLOPs of one call when flops > 0; GFLOP/s at the median). */
void print_header(int with_flops);
void print_row(const char *label, Samples *samples, double flops);

/* Frames of a clip (looped when it is shorter than the run), or of a
 * synthetic scene when there is no clip. */
typedef struct FrameSource {
    const char *path;        /* NULL: synthetic */
    VideoReader *reader;
    int width, height, fps_num, fps_den;
    long index;              /* frames handed out */
    long clip_frames;        /* frames in one pass of the clip; 0 until known */
} FrameSource;

/* path NULL: synthetic frames at SYNTHETIC_FPS. 0 or -1. */
int frame_source_open(FrameSource *src, const char *path, int width, int height);
void frame_source_close(FrameSource *src);
/* The next frame into *picture (release with facet_picture_unref()). 0 or
 * -1 (printed). */
int frame_source_read(FrameSource *src, FacetPicture *picture);

#endif
