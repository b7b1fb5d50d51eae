/* SPDX-License-Identifier: BSD-2-Clause */
/* The latent tier's rate control; see latent_rate.h. */
#include "codec/latent_rate.h"


/* The debt is paid back over this long (the base target's correction);
 * measured on the packaged clip against 1 s, which let 1 s windows reach
 * 1.5x the target. */
#define PAYBACK_SECONDS 0.5
/* Savings (negative debt) are kept up to this long of the budget: a base
 * codec that cannot spend (a still picture) does not earn a burst later. */
#define SAVINGS_SECONDS 0.25
/* Fragments never push the debt beyond this long of the budget; this also
 * bounds the fragments' credit, so a burst is at most this long. */
#define BURST_SECONDS 0.25
/* A large first keyframe's excess is repaid at this share of each frame's
 * budget: under the ±10 % the 5 s windows allow, so half a second's
 * budget is repaid over about six seconds and no 5 s window leaves the
 * band. */
#define KEYFRAME_REPAY_SHARE 0.08
/* The first keyframe is the picture every inter frame builds on until the
 * next one: it may take this long of the budget where the frames leave
 * room to repay it (packaged clip, 10 kbit/s, r = 2, Lanczos upscale of
 * the base stream: 25.39 dB with the libraries' default of about 0.1 s,
 * 27.22 dB with this; 0.5 s gave about 0.2 dB more but held the
 * reference back longer). docs/latent-tier.md, "The first keyframe". */
#define FIRST_KEYFRAME_SECONDS 0.4
/* The smallest low-resolution packet, bytes: AV1 realtime's smallest
 * inter unit on the packaged clip at 64x64 and 128x128 (19 bytes without
 * its temporal delimiter) and the short latent frame's 3-byte header.
 * Where it takes most of a frame's budget, the frames cannot repay a
 * large keyframe. */
#define MIN_PACKET_BYTES 22.0
/* Headroom (1 - MIN_PACKET_BYTES / budget) from which the first keyframe
 * gets all of FIRST_KEYFRAME_SECONDS; below, a proportional part; below
 * MIN_KEYFRAME_HEADROOM, the library's default (about 0.1 s asked). At
 * 8 kbit/s, r = 4 (headroom 0.19) the libraries' keyframe came out at
 * 0.4 s whatever was asked below that, and the stream at its floor could
 * not repay it within 5 s. */
#define FULL_KEYFRAME_HEADROOM 0.4
#define MIN_KEYFRAME_HEADROOM 0.25
/* And never more than this many bits per low-resolution pixel: beyond,
 * the keyframe is near lossless and only delays the reference (64x64 at
 * 12 kbit/s: 911 bytes, 1.8 bit/pixel, and the reference completed 1.4 s
 * later than with the old keyframe). */
#define FIRST_KEYFRAME_MAX_BITS_PER_PIXEL 0.6
/* Pictures smaller than this keep the library's first keyframe: at 64x64
 * (r = 4 at 256x256) the codec's frames overshoot on motion whatever the
 * target, and the slow repayment moved 5 s windows out of the ±10 % band
 * after a rate change (12 kbit/s: 1.13x, or 0.88x with a faster floor)
 * for a gain of 0.1-0.8 dB at 10-14 kbit/s. */
#define MIN_LARGE_KEYFRAME_PIXELS (96 * 96)
/* The measured base overshoot is smoothed over about this long. */
#define RATIO_SECONDS 2.0
/* The base codec's target stays within these shares of the budget: never
 * starved below what a low-resolution frame needs, never more than a
 * burst. */
#define BASE_MIN_SHARE 0.15
#define BASE_MAX_SHARE 1.5
/* The ratio correction stays within these factors. */
#define RATIO_MIN 1.0
#define RATIO_MAX 2.0
/* The short window of the quantiser floor, and the overshoot above which
 * it rises (and below which it falls). */
#define RECENT_SECONDS 0.5
#define QUANTIZER_UP_RATIO 1.2
#define QUANTIZER_DOWN_RATIO 1.0
#define QUANTIZER_FAST_DOWN_RATIO 0.7
#define MAX_QUANTIZER 63
/* Bytes of a latent frame packet beyond its unit before one is measured
 * (type 6: type, frame_low, keyframe_low: docs/bitstream.md). */
#define HEADER_GUESS 3.0

void facet_latent_rate_init(FacetLatentRate *rc, int bitrate, double frame_seconds)
{
    *rc = (FacetLatentRate){
        .frame_seconds = frame_seconds,
        .base_ratio = 1.0,
        .recent_ratio = 1.0,
        .header_bytes = HEADER_GUESS,
    };
    facet_latent_rate_set_bitrate(rc, bitrate);
}

void facet_latent_rate_set_bitrate(FacetLatentRate *rc, int bitrate)
{
    rc->bitrate = bitrate;
    rc->frame_budget = bitrate / 8.0 * rc->frame_seconds;
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Exponential smoothing weight of one frame for a time constant. */
static double weight(const FacetLatentRate *rc, double seconds)
{
    return clamp(rc->frame_seconds / seconds, 0.0, 1.0);
}

double facet_latent_rate_base_target(FacetLatentRate *rc, int reference_in_flight)
{
    double budget = rc->frame_budget;
    double share = reference_in_flight ? 1.0 - FACET_LATENT_REFERENCE_SHARE : 1.0;
    double frames_to_pay = PAYBACK_SECONDS / rc->frame_seconds;
    rc->repaying = rc->keyframe_debt < KEYFRAME_REPAY_SHARE * budget
                       ? rc->keyframe_debt
                       : KEYFRAME_REPAY_SHARE * budget;
    double steady = budget * share - rc->header_bytes;
    double want = steady - rc->repaying - rc->debt / frames_to_pay;
    want = clamp(want, BASE_MIN_SHARE * budget, BASE_MAX_SHARE * budget);
    rc->asked = want;
    return want / rc->base_ratio * 8.0 / rc->frame_seconds;
}

void facet_latent_rate_frame_sent(FacetLatentRate *rc, size_t packet_bytes, size_t unit_bytes,
                                  int keyframe)
{
    /* This frame's budget less the keyframe repayment it was asked for:
     * what it saved by that is the repayment, not savings to spend. */
    double allowed = rc->frame_budget - rc->repaying;
    rc->keyframe_debt -= rc->repaying;
    double excess = (double)packet_bytes - allowed;
    if (keyframe && rc->large_keyframe && excess > 0.0) {
        rc->keyframe_debt += excess;
        excess = 0.0;
    }
    if (keyframe)
        rc->large_keyframe = 0;
    rc->debt += excess;
    rc->last_packet = (double)packet_bytes;
    double savings = -SAVINGS_SECONDS * rc->bitrate / 8.0;
    if (rc->debt < savings)
        rc->debt = savings;
    rc->header_bytes += weight(rc, RATIO_SECONDS) *
                        ((double)(packet_bytes - unit_bytes) - rc->header_bytes);
    /* A keyframe is large by design and the codec repays it from its own
     * buffer: it says nothing about the codec's bias. The first frames
     * after one are the repayment, so the ratio waits a second. */
    if (keyframe)
        rc->frames = 0;
    else if (++rc->frames * rc->frame_seconds > 1.0 && rc->asked > 0.0) {
        /* Below the codec's smallest unit nothing it does is an
         * overshoot: measured against the target there, the ratio and
         * the quantiser floor wound up to their limits while a reference
         * was in flight and held the stream at its floor for seconds
         * after (64x64, 10 kbit/s: 5 s windows down to 0.88x, then 1 s
         * windows of 1.8x as they unwound). */
        if (rc->smallest_unit <= 0.0 || (double)unit_bytes < rc->smallest_unit)
            rc->smallest_unit = (double)unit_bytes;
        double asked = rc->asked > rc->smallest_unit ? rc->asked : rc->smallest_unit;
        double got = (double)unit_bytes / (asked / rc->base_ratio);
        rc->base_ratio = clamp(rc->base_ratio + weight(rc, RATIO_SECONDS) * (got - rc->base_ratio),
                               RATIO_MIN, RATIO_MAX);
        /* Against what the stream needs (not what the codec was told):
         * the quantiser floor is the authority the target lacks. */
        double over = (double)unit_bytes / asked;
        rc->recent_ratio += weight(rc, RECENT_SECONDS) * (over - rc->recent_ratio);
        if (rc->recent_ratio > QUANTIZER_UP_RATIO && rc->min_quantizer < MAX_QUANTIZER)
            rc->min_quantizer++;
        else if (rc->recent_ratio < QUANTIZER_DOWN_RATIO)
            /* Faster down than up: a floor left high starves the stream
             * (a reference completing doubles the target at once). */
            rc->min_quantizer -= rc->recent_ratio < QUANTIZER_FAST_DOWN_RATIO ? 4 : 1;
        if (rc->min_quantizer < 0)
            rc->min_quantizer = 0;
    }
}

int facet_latent_rate_fragment_fits(FacetLatentRate *rc, size_t bytes)
{
    double burst = BURST_SECONDS * rc->bitrate / 8.0;
    if (burst < (double)bytes)
        burst = (double)bytes;
    /* The fragments' share, or what the low-resolution frame left of the
     * frame's budget when it left more (a still picture). */
    double left = rc->frame_budget - rc->repaying - rc->last_packet;
    double share = FACET_LATENT_REFERENCE_SHARE * rc->frame_budget;
    rc->fragment_credit += left > share ? left : share;
    if (rc->fragment_credit > burst)
        rc->fragment_credit = burst;
    /* The keyframe debt counts here: fragments on top of an unpaid
     * keyframe made the first 5 s window 1.16x (8 kbit/s, r = 4, when that
     * case still had a large keyframe). */
    return rc->fragment_credit >= (double)bytes &&
           rc->debt + rc->keyframe_debt + (double)bytes <= burst;
}

void facet_latent_rate_fragment_sent(FacetLatentRate *rc, size_t bytes)
{
    rc->fragment_credit -= (double)bytes;
    rc->debt += (double)bytes;
}

int facet_latent_rate_first_keyframe_bytes(FacetLatentRate *rc, int pixels)
{
    double headroom = 1.0 - MIN_PACKET_BYTES / rc->frame_budget;
    rc->large_keyframe = 0;
    if (headroom < MIN_KEYFRAME_HEADROOM || pixels < MIN_LARGE_KEYFRAME_PIXELS)
        return 0;
    rc->large_keyframe = 1;
    double part = clamp(headroom / FULL_KEYFRAME_HEADROOM, 0.0, 1.0);
    double bytes = part * FIRST_KEYFRAME_SECONDS * rc->bitrate / 8.0;
    double most = FIRST_KEYFRAME_MAX_BITS_PER_PIXEL * pixels / 8.0;
    return (int)(bytes < most ? bytes : most);
}

void facet_latent_rate_no_reference(FacetLatentRate *rc)
{
    rc->fragment_credit = 0.0;
}

int facet_latent_rate_min_quantizer(const FacetLatentRate *rc)
{
    return rc->min_quantizer;
}
