/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's rate control (internal to libfacet): one budget for
 * everything the encoder sends, low-resolution frames and reference
 * fragments alike, held by measuring what was sent and steering the base
 * codec's target. docs/latent-tier.md ("Rate control") gives the reasons
 * and the measurements.
 *
 * Per frame: facet_latent_rate_base_target() before the base codec codes
 * it, facet_latent_rate_frame_sent() with the bytes that came out, then
 * facet_latent_rate_fragment_fits() / _fragment_sent() for the reference
 * fragment that may ride along.
 */
#ifndef FACET_CODEC_LATENT_RATE_H
#define FACET_CODEC_LATENT_RATE_H

#include <stddef.h>

/* Share of the target the fragments of a reference in flight get; the
 * low-resolution stream gets the rest meanwhile. */
#define FACET_LATENT_REFERENCE_SHARE 0.5

typedef struct FacetLatentRate {
    double bitrate;          /* bit/s, everything included */
    double frame_seconds;
    double frame_budget;     /* bytes a frame may use on average */
    /* Bytes sent beyond the budget (negative: saved), decaying with a
     * time constant of DEBT_SECONDS: the window the loop holds. */
    double debt;
    double fragment_credit;  /* bytes the fragments may still use */
    double last_packet;      /* bytes of this frame's low-resolution packet */
    double base_ratio;       /* base bytes got / asked, smoothed */
    double header_bytes;     /* per latent packet beyond its unit, smoothed */
    double asked;            /* bytes asked of the base codec for this frame */
    double smallest_unit;    /* the smallest inter unit the codec made yet */
    /* A keyframe's bytes beyond a frame's budget, repaid slowly (at most
     * KEYFRAME_REPAY_SHARE of each frame's budget): repaid within the
     * half second of `debt`, a keyframe worth its name would starve the
     * frames after it and hold the reference back for seconds. */
    double keyframe_debt;
    double repaying;         /* of keyframe_debt, what this frame repays */
    int large_keyframe;      /* the next keyframe is the large first one */
    double recent_ratio;     /* base bytes got / asked over the last half second */
    int min_quantizer;       /* the base codec's lowest quantiser, 0..63 */
    int frames;
} FacetLatentRate;

void facet_latent_rate_init(FacetLatentRate *rc, int bitrate, double frame_seconds);
/* A new target from the next frame on; the state carries over. */
void facet_latent_rate_set_bitrate(FacetLatentRate *rc, int bitrate);
/* The base codec's target for the next frame, bit/s: the budget less the
 * fragments' share while a reference is in flight, less the latent
 * headers, less the debt spread over half a second and a slow share of
 * the last keyframe's excess, divided by how much the base codec has been
 * over its targets. */
double facet_latent_rate_base_target(FacetLatentRate *rc, int reference_in_flight);
/* The low-resolution packet of this frame went out: packet_bytes in all,
 * unit_bytes of them the base codec's. */
void facet_latent_rate_frame_sent(FacetLatentRate *rc, size_t packet_bytes, size_t unit_bytes,
                                  int keyframe);
/* Whether a fragment packet of `bytes` may go with this frame: the
 * fragments' share has grown enough and the window's budget has room
 * (a fragment never pushes the debt past a quarter second of the rate).
 * Adds this frame's share to the fragments' credit, so call it once per
 * frame while a reference is in flight. */
int facet_latent_rate_fragment_fits(FacetLatentRate *rc, size_t bytes);
void facet_latent_rate_fragment_sent(FacetLatentRate *rc, size_t bytes);
/* The lowest quantiser (0..63, libaom's and libvpx's scale) the base
 * codec may use: raised while it stays over its target, which near its
 * floor it does at any target (its own rate model expects smaller frames
 * than tiny pictures give), lowered as soon as it is not. */
int facet_latent_rate_min_quantizer(const FacetLatentRate *rc);
/* What the first keyframe of a low-resolution picture of `pixels` may
 * take, bytes: FIRST_KEYFRAME_SECONDS of the budget where frames leave
 * room to repay it, less where the base codec's smallest frames take most
 * of the budget (they cannot repay it, and the 5 s windows would leave
 * the ±10 % band), at most a bound per pixel, 0 (the library's default)
 * for tiny pictures. Call it once, before the first frame: a large first
 * keyframe's excess is then repaid slowly (keyframe_debt). */
int facet_latent_rate_first_keyframe_bytes(FacetLatentRate *rc, int pixels);
/* No reference in flight: the fragments' credit does not accumulate. */
void facet_latent_rate_no_reference(FacetLatentRate *rc);

#endif /* FACET_CODEC_LATENT_RATE_H */
