/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's base encoders (internal to libfacet): what
 * codec/base_encoder.c dispatches to. Each codes one inter-coded
 * low-resolution stream in realtime CBR at a target it can change between
 * frames; libaom (AV1) and libvpx (VP8) are called directly, not through
 * libavcodec, because only their own config_set changes the target rate
 * mid-stream. docs/latent-tier.md.
 */
#ifndef FACET_CODEC_BASE_ENCODER_H
#define FACET_CODEC_BASE_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "codec/log.h"
#include "facet/facet.h"

typedef struct FacetBaseEncoderParams {
    int width, height;        /* even, 16..2048 */
    int fps_num, fps_den;
    int kbps;                 /* first target, kbit/s */
    /* What the first keyframe may take, bytes (the rate control's
     * choice: facet_latent_rate_first_keyframe_bytes()). */
    int first_keyframe_bytes;
    int threads;              /* resolved, >= 1 */
} FacetBaseEncoderParams;

typedef struct FacetBaseEncoderOps {
    const char *name;
    int (*open)(void **impl, const FacetBaseEncoderParams *params, const FacetLogger *logger);
    /* A new target in whole kbit/s (what both libraries take) and lowest
     * quantiser (0..63, both libraries' scale), in one config_set. */
    int (*set_rate)(void *impl, int kbps, int min_quantizer);
    /* One picture in, one unit out (malloc'd), never a dropped frame. */
    int (*encode)(void *impl, const FacetPicture *i420, int64_t pts, int keyframe,
                  uint8_t **data, size_t *size, int *is_keyframe);
    void (*close)(void *impl);
} FacetBaseEncoderOps;

extern const FacetBaseEncoderOps facet_base_encoder_av1;
extern const FacetBaseEncoderOps facet_base_encoder_vp8;

/* The libraries' CBR settings (both take them in the same units) that
 * let the first keyframe reach params->first_keyframe_bytes: both size a
 * first keyframe from the initial buffer level, capped by the intra
 * percentage of a frame's budget. Later keyframes (requests, loss repair:
 * small and fast) get FACET_BASE_KEYFRAME_MAX_PCT; FACET_BASE_INITIAL_MS
 * is the initial level without a large first keyframe, and after it. */
#define FACET_BASE_KEYFRAME_MAX_PCT 300
#define FACET_BASE_INITIAL_MS 180
typedef struct FacetBaseBuffer {
    unsigned initial_ms, optimal_ms, size_ms;
    unsigned first_keyframe_max_pct;
} FacetBaseBuffer;
FacetBaseBuffer facet_base_buffer(const FacetBaseEncoderParams *params);

/* Joins a unit's pieces as the libraries hand them out. */
int facet_base_unit_append(uint8_t **data, size_t *size, const void *piece, size_t piece_size);

#endif /* FACET_CODEC_BASE_ENCODER_H */
