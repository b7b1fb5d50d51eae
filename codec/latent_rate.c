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
 * (type, varints, keyframe id: docs/bitstream.md). */
#define HEADER_GUESS 6.0

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
    double want = budget * share - rc->header_bytes - rc->debt / frames_to_pay;
    want = clamp(want, BASE_MIN_SHARE * budget, BASE_MAX_SHARE * budget);
    rc->asked = want;
    return want / rc->base_ratio * 8.0 / rc->frame_seconds;
}

void facet_latent_rate_frame_sent(FacetLatentRate *rc, size_t packet_bytes, size_t unit_bytes,
                                  int keyframe)
{
    rc->debt += (double)packet_bytes - rc->frame_budget;
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
        double got = (double)unit_bytes / (rc->asked / rc->base_ratio);
        rc->base_ratio = clamp(rc->base_ratio + weight(rc, RATIO_SECONDS) * (got - rc->base_ratio),
                               RATIO_MIN, RATIO_MAX);
        /* Against what the stream needs (not what the codec was told):
         * the quantiser floor is the authority the target lacks. */
        double over = (double)unit_bytes / rc->asked;
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
    double left = rc->frame_budget - rc->last_packet;
    double share = FACET_LATENT_REFERENCE_SHARE * rc->frame_budget;
    rc->fragment_credit += left > share ? left : share;
    if (rc->fragment_credit > burst)
        rc->fragment_credit = burst;
    return rc->fragment_credit >= (double)bytes && rc->debt + (double)bytes <= burst;
}

void facet_latent_rate_fragment_sent(FacetLatentRate *rc, size_t bytes)
{
    rc->fragment_credit -= (double)bytes;
    rc->debt += (double)bytes;
}

void facet_latent_rate_no_reference(FacetLatentRate *rc)
{
    rc->fragment_credit = 0.0;
}

int facet_latent_rate_min_quantizer(const FacetLatentRate *rc)
{
    return rc->min_quantizer;
}
