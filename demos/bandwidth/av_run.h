/* SPDX-License-Identifier: BSD-2-Clause */
/* One run of a conventional codec (x264, VP8, AV1) through libavcodec:
 * encode the clip at a target bitrate (1-pass, real-time settings), decode
 * the packets again and measure. */
#ifndef FACET_BANDWIDTH_AV_RUN_H
#define FACET_BANDWIDTH_AV_RUN_H

#include "clip.h"
#include "run_result.h"

/* Seconds between keyframes of the conventional codecs: as Facet's longest
 * default interval, so neither side pays for keyframes the other skips. */
#define AV_RUN_KEYFRAME_SECONDS 10

/* Name of the libavcodec encoder this FFmpeg build has for `codec`
 * (CODEC_X264, CODEC_VP8 or CODEC_AV1), or NULL when it has none. */
const char *av_run_encoder_name(CodecKind codec);

/* The coarsest quantiser of this build's encoder for `codec`, at which
 * its floor run (constant quality, the lowest rate it reaches) codes; -1
 * when there is no encoder. */
int av_run_floor_crf(CodecKind codec);

/* Codes `clip` with config->codec at config->target_kbps (with
 * config->crf >= 0: at its floor) at config->coded_size (area downscale
 * from the clip's size, Lanczos upscale of the decoded pictures back to
 * it), and hands every decoded frame to `sink`. Fills result's encoder,
 * setting, per-frame bytes and timings (result must come from
 * run_result_init()). `threads` 0: as
 * many as libavcodec picks. Returns 0, or -1 with the reason on stderr. */
int av_run(const SourceClip *clip, const RunConfig *config, int threads, RunResult *result,
           DecodedFrameFn sink, void *opaque);

#endif
