/* What one encode/decode run of one codec at one setting measured. */
#ifndef FACET_BANDWIDTH_RUN_RESULT_H
#define FACET_BANDWIDTH_RUN_RESULT_H

#include "clip.h"
#include "metrics.h"

#include <stddef.h>
#include <stdint.h>

typedef enum CodecKind {
    CODEC_FACET = 0,
    CODEC_X264,
    CODEC_VP8,
    CODEC_AV1,
    CODEC_COUNT
} CodecKind;

/* One point of a sweep: a codec at a picture size and a setting. */
typedef struct RunConfig {
    CodecKind codec;
    int size;
    double target_kbps;       /* conventional codecs; 0 for Facet */
    double keyframe_interval; /* Facet, seconds */
    int keyframe_quality;     /* Facet, 0..100 */
} RunConfig;

typedef struct RunResult {
    RunConfig config;
    char encoder[32]; /* libavcodec encoder name, or "libfacet" */
    char setting[64]; /* human-readable setting for tables */
    int frames;
    uint64_t bytes;   /* every byte the encoder produced */
    double kbps;      /* bytes * 8 / (frames / fps) / 1000 */
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

/* Computes the means and the rate from the per-frame arrays. */
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
