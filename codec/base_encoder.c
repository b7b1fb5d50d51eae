/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's base encoder: picks libaom (AV1) or libvpx (VP8) and
 * hands them the latent encoder's target and quantiser floor.
 *
 * Both libraries take whole kbit/s; at the tier's rates one kbit/s is
 * 10-30 % of the base stream, so the rounding error is carried over
 * (first-order noise shaping) and the target the library sees averages to
 * the one asked for. Each config_set disturbs the library's rate control
 * (measured: a call every frame gave inter frames of 10x the target at
 * 64x64), so the settings change at most every SETTINGS_PERIOD_SECONDS,
 * or at once when the target moves by more than SETTINGS_JUMP (a new
 * rate, a reference starting).
 */
#include "codec/base_codec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codec/base_encoder.h"
#include "codec/bitstream.h"
#include "codec/intra_common.h"

#define SETTINGS_PERIOD_SECONDS 0.25
#define SETTINGS_JUMP 0.25

struct FacetBaseEncoder {
    const FacetBaseEncoderOps *ops;
    void *impl;
    FacetLogger logger;
    double frame_seconds;
    double bitrate;        /* asked, bit/s */
    int min_quantizer;     /* asked */
    double carry;          /* kbit/s x frames of rounding owed */
    int kbps;              /* what the library has */
    int library_min_quantizer;
    double applied_bitrate; /* the target when the library was last set */
    int frames_since_set;
    int64_t next_pts;
};

int facet_base_unit_append(uint8_t **data, size_t *size, const void *piece, size_t piece_size)
{
    if (piece_size == 0)
        return 0;
    uint8_t *grown = realloc(*data, *size + piece_size);
    if (!grown)
        return FACET_ERR(ENOMEM);
    memcpy(grown + *size, piece, piece_size);
    *data = grown;
    *size += piece_size;
    return 0;
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

FacetBaseBuffer facet_base_buffer(const FacetBaseEncoderParams *p)
{
    /* A buffer of 0.3 s, kept 60 % full: the latent encoder's own loop
     * holds the longer windows; a larger buffer lets the library spend it
     * in a burst when motion starts (1 s windows of 1.5-1.9x the target on
     * the packaged clip with 1 s, 1.3-1.5x with 0.5 s). */
    FacetBaseBuffer b = {.initial_ms = FACET_BASE_INITIAL_MS, .optimal_ms = 180, .size_ms = 300,
                         .first_keyframe_max_pct = FACET_BASE_KEYFRAME_MAX_PCT};
    double frame_bytes = p->kbps * 1000.0 / 8.0 * p->fps_den / p->fps_num;
    if (p->first_keyframe_bytes <= 0 || frame_bytes <= 0.0)
        return b;
    /* The initial level (kbit/s = bit/ms) is what the first keyframe came
     * out at, give or take (libaom: 606 bytes for 440 asked at 10 kbit/s,
     * 128x128), with room above it in the intra cap for the library's
     * own rounding. Only the first frame sees the initial level: the
     * library clamps it to size_ms after it. */
    double initial = p->first_keyframe_bytes * 8.0 / p->kbps;
    double pct = 125.0 * p->first_keyframe_bytes / frame_bytes;
    b.initial_ms = (unsigned)clamp(initial, FACET_BASE_INITIAL_MS, 10000.0);
    b.first_keyframe_max_pct = (unsigned)clamp(pct, FACET_BASE_KEYFRAME_MAX_PCT, 5000.0);
    return b;
}

static int whole_kbps(double kbps)
{
    kbps = floor(kbps + 0.5);
    return kbps < 1.0 ? 1 : kbps > 1e6 ? 1000000 : (int)kbps;
}

int facet_base_encoder_open(FacetBaseEncoder **out, int codec, int width, int height,
                            int fps_num, int fps_den, int bitrate, int first_keyframe_bytes,
                            int threads, const FacetLogger *logger)
{
    *out = NULL;
    if (width < 16 || height < 16 || width > 2048 || height > 2048 || (width | height) & 1 ||
        bitrate < 1000 || fps_num < 1 || fps_den < 1 || first_keyframe_bytes < 0)
        return FACET_ERR(EINVAL);
    const FacetBaseEncoderOps *ops = codec == FACET_BASE_ID_AV1   ? &facet_base_encoder_av1
                                     : codec == FACET_BASE_ID_VP8 ? &facet_base_encoder_vp8
                                                                  : NULL;
    if (!ops) {
        facet_log(logger, "the latent tier has no base codec %d (1: AV1, 2: VP8)", codec);
        return FACET_ERR(EINVAL);
    }
    FacetBaseEncoder *enc = calloc(1, sizeof(*enc));
    if (!enc)
        return FACET_ERR(ENOMEM);
    enc->ops = ops;
    enc->logger = *logger;
    enc->frame_seconds = (double)fps_den / fps_num;
    enc->bitrate = enc->applied_bitrate = bitrate;
    enc->kbps = whole_kbps(bitrate / 1000.0);
    FacetBaseEncoderParams params = {
        .width = width, .height = height, .fps_num = fps_num, .fps_den = fps_den,
        .kbps = enc->kbps, .first_keyframe_bytes = first_keyframe_bytes,
        .threads = facet_intra_resolve_threads(threads),
    };
    int ret = ops->open(&enc->impl, &params, logger);
    if (ret < 0) {
        free(enc);
        return ret;
    }
    *out = enc;
    return 0;
}

void facet_base_encoder_set_rate(FacetBaseEncoder *enc, double bitrate, int min_quantizer)
{
    enc->bitrate = bitrate < 1000.0 ? 1000.0 : bitrate;
    enc->min_quantizer = min_quantizer < 0 ? 0 : min_quantizer > 63 ? 63 : min_quantizer;
}

/* Hands the library the asked settings when it is time. */
static int apply_settings(FacetBaseEncoder *enc)
{
    /* What the library's target fell short of the asked one since the last
     * change is owed. */
    enc->carry += (enc->bitrate / 1000.0 - enc->kbps) * enc->frame_seconds;
    enc->frames_since_set++;
    double jump = fabs(enc->bitrate - enc->applied_bitrate) / enc->applied_bitrate;
    if (enc->frames_since_set * enc->frame_seconds < SETTINGS_PERIOD_SECONDS &&
        jump <= SETTINGS_JUMP)
        return 0;
    /* The owed kbit/s x seconds, spread over the next period. */
    double period = SETTINGS_PERIOD_SECONDS;
    int kbps = whole_kbps(enc->bitrate / 1000.0 + enc->carry / period);
    /* A target the library cannot go below is not owed later; nor is a
     * debt older than a period. */
    enc->carry = 0.0;
    enc->frames_since_set = 0;
    enc->applied_bitrate = enc->bitrate;
    if (kbps == enc->kbps && enc->min_quantizer == enc->library_min_quantizer)
        return 0;
    int ret = enc->ops->set_rate(enc->impl, kbps, enc->min_quantizer);
    if (ret < 0) {
        facet_log(&enc->logger, "%s refused a target of %d kbit/s, lowest quantiser %d",
                  enc->ops->name, kbps, enc->min_quantizer);
        return ret;
    }
    enc->kbps = kbps;
    enc->library_min_quantizer = enc->min_quantizer;
    return 0;
}

int facet_base_encode(FacetBaseEncoder *enc, const FacetPicture *i420, int keyframe,
                      uint8_t **data, size_t *size, int *is_keyframe)
{
    *data = NULL;
    *size = 0;
    *is_keyframe = 0;
    int ret = apply_settings(enc);
    if (ret < 0)
        return ret;
    ret = enc->ops->encode(enc->impl, i420, enc->next_pts++, keyframe, data, size,
                           is_keyframe);
    if (ret < 0) {
        free(*data);
        *data = NULL;
        *size = 0;
        facet_log(&enc->logger, "%s failed to code a frame", enc->ops->name);
    }
    return ret;
}

int facet_base_encoder_kbps(const FacetBaseEncoder *enc)
{
    return enc->kbps;
}

void facet_base_encoder_close(FacetBaseEncoder **enc)
{
    if (!enc || !*enc)
        return;
    (*enc)->ops->close((*enc)->impl);
    free(*enc);
    *enc = NULL;
}
