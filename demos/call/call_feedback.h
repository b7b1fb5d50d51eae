/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's rate adaptation: reads what the peer's RTCP receiver
 * reports say about our video (loss since the last report, how many
 * packets it covers, round-trip time), feeds the loss-based controller
 * (call_rate.h) and sets facetenc's `bitrate` when the target moves.
 *
 * Reports arrive on rtpbin's RTCP thread (its on-ssrc-active signal); the
 * live line reads the state from the main loop: all under one lock. */
#ifndef FACET_CALL_FEEDBACK_H
#define FACET_CALL_FEEDBACK_H

#include <gst/gst.h>

#include "call_rate.h"

typedef struct CallFeedback {
    GMutex lock;
    gboolean adapting;     /* the encoder takes a bitrate: the controller drives it */
    CallRate rate;
    GstElement *encoder;   /* a reference, NULL when not adapting */
    guint applied_kbps;    /* what the encoder was last told */
    guint lowest_kbps;     /* the lowest it was told */

    gboolean have_report;  /* a report block about our video has come */
    guint32 last_exthighest; /* its extended highest sequence number */
    guint32 last_lsr;      /* its LSR: a new block has another (or a later seq) */
    gdouble loss;          /* the last report's fraction lost, 0..1 */
    gdouble rtt_ms;        /* the last round-trip time; < 0: unknown */
    guint64 reports;       /* report blocks used */
    guint64 rate_changes;  /* times the encoder's bitrate was set */
} CallFeedback;

/* Below this share of the ceiling the controller does not go (and never
 * below 2 kbit/s): a call at a tenth of its rate shows nothing useful. */
#define CALL_FEEDBACK_MIN_SHARE 0.25

/* Drives `encoder`'s `bitrate` (kbit/s) from `start_kbps` (also the
 * ceiling; 0: the encoder's current value) when it has that property; else
 * only records loss and RTT. */
void call_feedback_init(CallFeedback *feedback, GstElement *encoder, guint start_kbps);

/* rtpbin's on-ssrc-active for the video session: the peer's source `ssrc`
 * sent RTCP. Reads its last report block about us and acts on it. */
void call_feedback_on_active(CallFeedback *feedback, GstElement *rtpbin, guint ssrc);

/* The current state for the live line: target (kbit/s, 0 when not
 * adapting), loss (0..1), RTT (ms, < 0 unknown). */
void call_feedback_get(CallFeedback *feedback, gdouble *target_kbps, gdouble *loss,
                       gdouble *rtt_ms);

/* The lowest target of the call so far (kbit/s; 0 when not adapting). */
guint call_feedback_lowest(CallFeedback *feedback);

void call_feedback_clear(CallFeedback *feedback);

#endif
