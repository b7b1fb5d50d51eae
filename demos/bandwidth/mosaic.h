/* SPDX-License-Identifier: BSD-2-Clause */
/* The side-by-side pictures: source | Facet | x264 | VP8 | AV1 at about
 * the same rate, each tile labelled with what ran (codec, resolution, a
 * downscaled anchor's upscale) and its measured kbit/s, written as a VP8
 * WebM video (plays in every browser) and a PNG still of one frame. */
#ifndef FACET_BANDWIDTH_MOSAIC_H
#define FACET_BANDWIDTH_MOSAIC_H

#include "clip.h"
#include "facet_run.h"
#include "run_result.h"

#include <stddef.h>

typedef struct MosaicFiles {
    char video[64];     /* file names in the report folder */
    char still[64];
    int still_frame;    /* frame index of the still */
    char caption[1024]; /* what each tile shows */
} MosaicFiles;

/* Picks for each codec its run at clip->size (any resolution) to show at
 * about near_kbps: the best SSIM at most 25% above it, else its cheapest
 * run. Codes the clip with each again to keep its pictures and writes
 * DIR/mosaic-SIZE-KBPS.webm and DIR/still-SIZE-KBPS.png (the middle
 * frame). Returns 0, or -1 with the reason in `error`. */
int mosaic_make(const char *dir, const SourceClip *clip, const RunResult *results, int count,
                double near_kbps, const FacetModels *models, int threads, MosaicFiles *files,
                char *error, size_t error_size);

#endif
