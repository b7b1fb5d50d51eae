/* SPDX-License-Identifier: BSD-2-Clause */
/* What one encode/decode run of one codec at one setting measured. */
#ifndef FACET_BANDWIDTH_RUN_RESULT_H
#define FACET_BANDWIDTH_RUN_RESULT_H

#include "clip.h"
#include "metrics.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

typedef enum CodecKind {
    CODEC_FACET = 0,
    CODEC_X264,
    CODEC_VP8,
    CODEC_AV1,
    CODEC_COUNT
} CodecKind;

/* Facet's modes. The keypoint tier's points come from its settings
 * (keyframe interval x quality); the latent tier's from rate targets
 * (RunConfig.target_kbps, the encoder's bitrate setting), one curve per
 * scale r (coded_size = S / r). */
typedef enum FacetMode {
    FACET_MODE_KEYPOINTS = 0,
    FACET_MODE_LATENT,
    FACET_MODE_COUNT
} FacetMode;

/* One point of a sweep: a codec at a picture size and a setting. */
typedef struct RunConfig {
    CodecKind codec;
    int size;                 /* side of the source pictures it is measured against (S) */
    int coded_size;           /* side the codec codes: S, or S/2 or S/4 for the downscaled
                               * anchors (area downscale, Lanczos upscale back to S) and
                               * for Facet's latent tier (its low-resolution stream) */
    double target_kbps;       /* rate asked for; 0: none (a constant-quality or
                               * settings-based point) */
    int crf;                  /* conventional codecs: constant-quality run at this
                               * quantiser (the codec's floor); -1: rate-targeted */
    FacetMode facet_mode;     /* Facet */
    double keyframe_interval; /* Facet keypoint tier, seconds */
    int keyframe_quality;     /* Facet keypoint tier, 0..100 */
} RunConfig;

/* Name of the curve a run belongs to: "AV1", "AV1 @128 + Lanczos" (coded
 * at 128x128, upscaled to S), "Facet keypoints", "Facet latent @128" (the
 * latent tier with its low-resolution stream at 128x128). */
void run_series_name(const RunConfig *config, char *name, size_t name_size);

/* 1 when a and b lie on the same curve (codec, coded size, Facet mode; the
 * measured size too). */
int run_same_series(const RunConfig *a, const RunConfig *b);

/* Orders curves for tables and plots: Facet modes first, then x264, VP8,
 * AV1, each at full resolution before the downscaled ones. */
int run_series_compare(const RunConfig *a, const RunConfig *b);

typedef struct RunResult {
    RunConfig config;
    char encoder[32]; /* libavcodec encoder name, or "libfacet" */
    char setting[64]; /* human-readable setting for tables */
    int frames;
    uint64_t bytes;   /* every byte the encoder produced */
    double kbps;      /* bytes * 8 / (frames / fps) / 1000: the mean rate */
    double peak_kbps; /* most bytes in any window of one second (fps frames), as
                       * kbit/s; NAN when the clip is shorter than a second */
    FrameMetrics mean;
    double encode_ms, decode_ms; /* per frame */
    FrameMetrics *per_frame;     /* frames entries */
    uint32_t *frame_bytes;       /* bytes of the packet of each frame */
} RunResult;

/* Receives every decoded frame, in source order, with the source frame it
 * shows. A frame the codec dropped or could not decode is the previous
 * decoded frame again, as a receiver would keep showing it. Returns 0 or -1
 * to stop the run. */
typedef int (*DecodedFrameFn)(void *opaque, int index, const FacetPicture *decoded);

const char *codec_kind_name(CodecKind codec); /* "Facet", "x264", "VP8", "AV1" */

/* Allocates the per-frame arrays. Returns 0 or -1 (out of memory). */
int run_result_init(RunResult *result, const RunConfig *config, int frames);

/* Computes the means, the rate and the peak from the per-frame arrays. */
void run_result_finish(RunResult *result, int fps);

void run_result_free(RunResult *result);

/* A DecodedFrameFn that stores the metrics of each frame against the
 * source; opaque is a MeasureSink. */
typedef struct MeasureSink {
    const SourceClip *clip;
    RunResult *result;
} MeasureSink;
int measure_decoded_frame(void *opaque, int index, const FacetPicture *decoded);

#endif
