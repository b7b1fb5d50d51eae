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

typedef struct Options {
    const char *input;     /* clip path */
    int default_input;     /* no clip argument: the packaged default clip */
    const char *out_dir;
    const char *model_path;
    ClipCrop crop;         /* width 0: centred square */
    double seconds;        /* at most this much of the clip */
    int sizes[OPTIONS_MAX_LIST];
    int size_count;
    double rates[OPTIONS_MAX_LIST]; /* kbit/s targets of the conventional codecs */
    int rate_count;
    FacetPoint facet_points[OPTIONS_MAX_LIST];
    int facet_point_count;
    int codecs[CODEC_COUNT]; /* 1: measure this codec */
    double mosaic_kbps;      /* rate the mosaic's Facet point is picked near */
    int mosaic;              /* 0: no mosaic video */
    int threads;
} Options;

/* Parses argv. Returns 0 to run, 1 when --help was printed, -1 after
 * printing an error. */
int options_parse(Options *options, int argc, char **argv);

#endif
