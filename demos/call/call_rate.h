/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's sending-rate controller: loss based, in the manner of
 * WebRTC's SendSideBandwidthEstimation (the "loss-based controller" of its
 * first bandwidth estimator, before the delay-based one was added).
 *
 * Fed with what the peer's RTCP receiver reports say about our video (the
 * share of packets lost since the previous report, how many packets that
 * report covers, the round-trip time), it moves the target rate:
 *
 *   loss < 2 %        increase by 8 % per second (at least 1 kbit/s per
 *                     second, so that a low rate climbs back at all)
 *   2 % <= loss <= 10 % hold: a little loss is the price of probing
 *   loss > 10 %       decrease to rate * (1 - loss / 2), at most once per
 *                     300 ms + RTT, so that one burst of loss, reported by
 *                     several reports in a row, is answered once
 *
 * always within [min, max]. Reports that cover fewer than 20 packets are
 * pooled with the next ones before the loss is judged (one lost packet of
 * 8 is not 12 % loss); a report that says nothing about the count is used
 * as it is.
 *
 * Limits (documented in demos/call/README.md): it sees loss only, so a
 * queue that grows without dropping (a deep router buffer) is not seen
 * until it overflows; loss that is not congestion (radio) lowers the rate
 * anyway; it reacts at the pace of RTCP reports (twice a second here); it
 * sets a target, and how closely the encoder meets it is the encoder's
 * business. Without reports it holds the rate. Pure C, no clock of its own:
 * the caller passes the time, which makes it testable step by step. Not
 * thread-safe: one owner calls it. */
#ifndef FACET_CALL_RATE_H
#define FACET_CALL_RATE_H

#include <stdint.h>

typedef enum CallRateAction {
    CALL_RATE_NONE,     /* report pooled (too few packets) or ignored */
    CALL_RATE_INCREASE,
    CALL_RATE_HOLD,
    CALL_RATE_DECREASE,
} CallRateAction;

typedef struct CallRate {
    double min_bps, max_bps, rate_bps;

    int64_t last_update_us;    /* last report that moved or held the rate; -1: none */
    int64_t last_decrease_us;  /* -1: none */
    double pooled_lost;        /* packets lost in reports not yet judged */
    double pooled_expected;    /* packets those reports cover */
    double loss;               /* the last loss judged, 0..1 */
    int64_t rtt_us;            /* the last round-trip time reported; 0: unknown */
    CallRateAction last_action;
} CallRate;

/* Below this many packets a report is pooled with the next (WebRTC's
 * kLimitNumPackets). */
#define CALL_RATE_MIN_PACKETS 20

/* Starts at `start_bps` (clamped into [min_bps, max_bps]). Returns 0, or -1
 * when the bounds are not 0 < min <= max or not finite. */
int call_rate_init(CallRate *rate, double min_bps, double max_bps, double start_bps);

/* One receiver report at `now_us` (any monotonic clock, microseconds):
 * `fraction_lost` is RFC 3550's 8-bit fraction (0-255) of the packets lost
 * since the previous report, `packets_expected` how many packets that
 * interval covers (0: unknown), `rtt_us` the round-trip time (0: unknown).
 * Returns what it did; call_rate_bps() gives the new target. Invalid input
 * (a time that goes back, a fraction above 255) changes nothing. */
CallRateAction call_rate_on_report(CallRate *rate, int64_t now_us, unsigned fraction_lost,
                                   uint32_t packets_expected, int64_t rtt_us);

/* The target rate in bit/s. */
double call_rate_bps(const CallRate *rate);

/* The loss the controller last judged, 0..1. */
double call_rate_loss(const CallRate *rate);

const char *call_rate_action_name(CallRateAction action);

#endif
