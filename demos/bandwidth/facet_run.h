/* SPDX-License-Identifier: BSD-2-Clause */
/* One run of Facet at an operating point (the keypoint tier: keyframe
 * interval x keyframe quality; the latent tier: a rate target and a scale):
 * encode the clip with libfacet, decode it again and measure. */
#ifndef FACET_BANDWIDTH_FACET_RUN_H
#define FACET_BANDWIDTH_FACET_RUN_H

#include "clip.h"
#include "run_result.h"

/* The model files of Facet's two tiers. */
typedef struct FacetModels {
    const char *keypoints; /* the keypoint tier's network */
    const char *latent;    /* the latent tier's upsampler */
} FacetModels;

/* Codes `clip` at config's operating point with the model of its tier
 * (must load: a keypoint run without its model would be intra-only and
 * mislabelled) and hands every decoded frame to `sink`. Fills result like
 * av_run(); frame_bytes counts every packet sent with a frame (a latent
 * frame and the reference fragment riding along). Returns 0, or -1 with
 * the reason on stderr. */
int facet_run(const SourceClip *clip, const RunConfig *config, const FacetModels *models,
              int threads, RunResult *result, DecodedFrameFn sink, void *opaque);

#endif
