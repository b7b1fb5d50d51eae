/* SPDX-License-Identifier: BSD-2-Clause */
/* One run of Facet at an operating point (keyframe interval x keyframe
 * quality): encode the clip with libfacet, decode it again and measure. */
#ifndef FACET_BANDWIDTH_FACET_RUN_H
#define FACET_BANDWIDTH_FACET_RUN_H

#include "clip.h"
#include "run_result.h"

/* Codes `clip` at config's keyframe interval and quality with the model at
 * `model_path` (must load: a run without the model would be intra-only and
 * mislabelled) and hands every decoded frame to `sink`. Fills result like
 * av_run(). Returns 0, or -1 with the reason on stderr. */
int facet_run(const SourceClip *clip, const RunConfig *config, const char *model_path,
              int threads, RunResult *result, DecodedFrameFn sink, void *opaque);

#endif
