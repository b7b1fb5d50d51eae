/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's rate adaptation: reads what the peer's RTCP receiver
 * reports say about our video (loss since the last report, how many
 * packets it covers, round-trip time), feeds the loss-based controller
 * (call_rate.h) and the FEC policy (call_fec.h), sets rtpulpfecenc's
 * `percentage` when the protection moves and facetenc's `bitrate` when
 * the target or the protection moves: the target is the total, media and
 * FEC together, so the encoder gets the media's share of it.
 *
 * Reports arrive on rtpbin's RTCP thread (its on-ssrc-active signal); the
 * live line reads the state from the main loop: all under one lock. */
#ifndef FACET_CALL_FEEDBACK_H
#define FACET_CALL_FEEDBACK_H

#include <gst/gst.h>

#include "call_fec.h"
#include "call_rate.h"
#include "call_stats.h"

typedef struct CallFeedback {
    GMutex lock;
    gboolean adapting;     /* the encoder takes a bitrate: the controller drives it */
    CallRate rate;
    GstElement *encoder;   /* a reference, NULL when not adapting */
    guint applied_kbps;    /* what the encoder was last told */
    guint lowest_kbps;     /* the lowest target (media and FEC) */

    GstElement *fec_encoder; /* rtpulpfecenc (a reference), NULL: no FEC */
    CallFec fec;
    guint fec_percentage;  /* what it was last told */

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
 * only records loss and RTT. With `fec_encoder` (an rtpulpfecenc, or NULL)
 * it also sets its `percentage`, at most `fec_cap`, and keeps media and
 * FEC together within the target. */
void call_feedback_init(CallFeedback *feedback, GstElement *encoder, guint start_kbps,
                        GstElement *fec_encoder, guint fec_cap);

/* A report block of the peer's about our video's SSRC (found in its RTCP
 * by call_stats_find_report_block): acts on it once. Any thread. */
void call_feedback_on_block(CallFeedback *feedback, const CallReportBlock *block);

/* rtpbin's on-ssrc-active for the video session: the peer's source `ssrc`
 * sent RTCP. Reads the round trip rtpsession measured from it. */
void call_feedback_on_active(CallFeedback *feedback, GstElement *rtpbin, guint ssrc);

/* The current state for the live line: target (kbit/s, 0 when not
 * adapting), loss (0..1), RTT (ms, < 0 unknown). */
void call_feedback_get(CallFeedback *feedback, gdouble *target_kbps, gdouble *loss,
                       gdouble *rtt_ms);

/* The lowest target of the call so far (kbit/s; 0 when not adapting). */
guint call_feedback_lowest(CallFeedback *feedback);

/* The FEC percentage sent now (0: none). */
guint call_feedback_fec_percentage(CallFeedback *feedback);

void call_feedback_clear(CallFeedback *feedback);

#endif
