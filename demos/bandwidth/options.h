/* SPDX-License-Identifier: BSD-2-Clause */
/* Command line of facet-bandwidth. */
#ifndef FACET_BANDWIDTH_OPTIONS_H
#define FACET_BANDWIDTH_OPTIONS_H

#include "clip.h"
#include "run_result.h"

#define OPTIONS_MAX_LIST 32

typedef struct FacetPoint {
    double keyframe_interval;
    int keyframe_quality;
} FacetPoint;

/* A side-by-side video and still: every codec's run nearest `kbps` at
 * `size`. */
typedef struct PicturePoint {
    int size;
    double kbps;
} PicturePoint;

typedef struct Options {
    const char *input;     /* clip path */
    int default_input;     /* no clip argument: the packaged default clip */
    const char *out_dir;
    const char *model_path;        /* the keypoint tier's model */
    const char *latent_model_path; /* the latent tier's model */
    ClipCrop crop;         /* width 0: centred square */
    double seconds;        /* at most this much of the clip */
    int sizes[OPTIONS_MAX_LIST];
    int size_count;
    double rates[OPTIONS_MAX_LIST]; /* kbit/s targets of the conventional codecs */
    int rate_count;
    FacetPoint facet_points[OPTIONS_MAX_LIST];
    int facet_point_count;
    double latent_rates[OPTIONS_MAX_LIST]; /* kbit/s targets of Facet's latent tier */
    int latent_rate_count;                 /* 0: no latent runs */
    int latent_scales[OPTIONS_MAX_LIST];   /* its scales r (2, 4) */
    int latent_scale_count;
    int scales[OPTIONS_MAX_LIST]; /* conventional codecs code S / scale (1: S itself) */
    int scale_count;
    int floor;               /* 1: a floor run (coarsest quantiser) per codec and scale */
    int codecs[CODEC_COUNT]; /* 1: measure this codec */
    PicturePoint pictures[OPTIONS_MAX_LIST]; /* side-by-side videos and stills */
    int picture_count;
    int threads;
    int jobs;                /* runs at a time */
} Options;

/* Parses argv. Returns 0 to run, 1 when --help was printed, -1 after
 * printing an error. */
int options_parse(Options *options, int argc, char **argv);

#endif
