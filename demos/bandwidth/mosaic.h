/* The side-by-side video: source | Facet | x264 | AV1 at about the same
 * rate, each tile labelled with its codec and measured kbit/s, written as
 * VP8 in WebM (plays in every browser). */
#ifndef FACET_BANDWIDTH_MOSAIC_H
#define FACET_BANDWIDTH_MOSAIC_H

#include "clip.h"
#include "run_result.h"

#include <stddef.h>

/* Picks the Facet run at clip->size nearest to near_kbps (on a log scale)
 * and the x264 and AV1 runs nearest to that run's rate, codes the clip with
 * each again to keep its pictures, and writes DIR/mosaic.webm. Describes
 * the tiles in `caption`. Returns 0, or -1 with the reason in `error`. */
int mosaic_make(const char *dir, const SourceClip *clip, const RunResult *results, int count,
                double near_kbps, const char *model_path, int threads, char *caption,
                size_t caption_size, char *error, size_t error_size);

#endif
