/* SPDX-License-Identifier: BSD-2-Clause */
/* The loss-based rate controller (call_rate.h). */
#include "call_rate.h"

#include <math.h>
#include <stddef.h>

/* WebRTC's thresholds (send_side_bandwidth_estimation.cc): below 2 % loss
 * the link has room, above 10 % it is congested. */
#define LOW_LOSS 0.02
#define HIGH_LOSS 0.10
/* Growth per second under low loss, and the least growth in bit/s per
 * second (WebRTC adds 1 kbit/s per update for the same reason: 8 % of a
 * few kbit/s would take minutes to climb back). */
#define INCREASE_PER_S 0.08
#define MIN_INCREASE_BPS_PER_S 1000.0
/* A decrease waits this long plus one round trip after the previous one:
 * the reports of the next RTT still describe the old rate. */
#define DECREASE_INTERVAL_US 300000
/* An increase never covers more than this much time: after a silence of
 * a minute the rate must not jump to the maximum on the first report. */
#define MAX_INCREASE_SPAN_US 1000000

static double clamp(const CallRate *rate, double bps)
{
    return bps < rate->min_bps ? rate->min_bps : bps > rate->max_bps ? rate->max_bps : bps;
}

int call_rate_init(CallRate *rate, double min_bps, double max_bps, double start_bps)
{
    if (!rate || !isfinite(min_bps) || !isfinite(max_bps) || !isfinite(start_bps) ||
        min_bps <= 0.0 || max_bps < min_bps)
        return -1;
    rate->min_bps = min_bps;
    rate->max_bps = max_bps;
    rate->rate_bps = clamp(rate, start_bps);
    rate->last_update_us = -1;
    rate->last_decrease_us = -1;
    rate->pooled_lost = 0.0;
    rate->pooled_expected = 0.0;
    rate->loss = 0.0;
    rate->rtt_us = 0;
    rate->last_action = CALL_RATE_NONE;
    return 0;
}

CallRateAction call_rate_on_report(CallRate *rate, int64_t now_us, unsigned fraction_lost,
                                   uint32_t packets_expected, int64_t rtt_us)
{
    double loss;
    int64_t span_us;

    if (fraction_lost > 255 || now_us < 0 || (rate->last_update_us >= 0 &&
                                              now_us < rate->last_update_us))
        return CALL_RATE_NONE;
    if (rtt_us > 0)
        rate->rtt_us = rtt_us;

    if (packets_expected > 0) {
        rate->pooled_lost += fraction_lost / 256.0 * packets_expected;
        rate->pooled_expected += packets_expected;
        if (rate->pooled_expected < CALL_RATE_MIN_PACKETS)
            return CALL_RATE_NONE;
        loss = rate->pooled_lost / rate->pooled_expected;
        rate->pooled_lost = rate->pooled_expected = 0.0;
    } else {
        loss = fraction_lost / 256.0;
    }
    rate->loss = loss;

    /* The first report only sets the clock: nothing says how long the
     * rate before it has been good. */
    span_us = rate->last_update_us < 0 ? 0 : now_us - rate->last_update_us;
    if (span_us > MAX_INCREASE_SPAN_US)
        span_us = MAX_INCREASE_SPAN_US;
    rate->last_update_us = now_us;

    if (loss < LOW_LOSS) {
        double s = span_us / 1e6;
        double step = rate->rate_bps * INCREASE_PER_S * s;
        if (step < MIN_INCREASE_BPS_PER_S * s)
            step = MIN_INCREASE_BPS_PER_S * s;
        rate->rate_bps = clamp(rate, rate->rate_bps + step);
        rate->last_action = CALL_RATE_INCREASE;
    } else if (loss <= HIGH_LOSS) {
        rate->last_action = CALL_RATE_HOLD;
    } else if (rate->last_decrease_us < 0 ||
               now_us - rate->last_decrease_us >= DECREASE_INTERVAL_US + rate->rtt_us) {
        rate->rate_bps = clamp(rate, rate->rate_bps * (1.0 - 0.5 * loss));
        rate->last_decrease_us = now_us;
        rate->last_action = CALL_RATE_DECREASE;
    } else {
        /* Too soon after the last decrease: the same congestion. */
        rate->last_action = CALL_RATE_HOLD;
    }
    return rate->last_action;
}

double call_rate_bps(const CallRate *rate)
{
    return rate->rate_bps;
}

double call_rate_loss(const CallRate *rate)
{
    return rate->loss;
}

const char *call_rate_action_name(CallRateAction action)
{
    switch (action) {
    case CALL_RATE_INCREASE:
        return "increase";
    case CALL_RATE_HOLD:
        return "hold";
    case CALL_RATE_DECREASE:
        return "decrease";
    default:
        return "none";
    }
}
