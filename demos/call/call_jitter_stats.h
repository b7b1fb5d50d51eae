/* SPDX-License-Identifier: BSD-2-Clause */
/* The peer's video jitter buffer's retransmission statistics, as the call
 * saw them: frozen when the stream ends.
 *
 * Why frozen: when EOS reaches rtpjitterbuffer (GStreamer 1.22), it wakes
 * its timer thread with "now" set to the end of time, and a retransmission
 * timer still pending (with rtx-next-seqnum, the one for the packet after
 * the last) fires again and again: each firing counts a request in
 * `rtx-count` and re-arms the timer a retry interval after the wall-clock
 * time of the last one, which is still "due" at the end of time, until a
 * retry period of wall-clock time has passed. At the end of a call that
 * counted thousands of requests in a few tens of milliseconds (4841 and
 * 55091 on the two sides of a 10 s call without loss, with no NACK on the
 * wire). Those requests go nowhere (the session is ending), so what the
 * call asked for is what the counters said when EOS arrived. */
#ifndef FACET_CALL_JITTER_STATS_H
#define FACET_CALL_JITTER_STATS_H

#include <gst/gst.h>

typedef struct CallJitterStats {
    GMutex lock;
    GstElement *jitterbuffer; /* a reference, or NULL before attach */
    GstPad *sink;             /* its sink pad, where EOS is caught */
    gulong probe;
    gboolean frozen;          /* EOS came: the values below are final */
    guint64 rtx_asked;        /* retransmission requests (rtx-count) */
    guint64 rtx_recovered;    /* ... that brought the packet in time */
    guint64 lost;             /* packets it gave up on (num-lost) */
} CallJitterStats;

void call_jitter_stats_init(CallJitterStats *stats);

/* Reads `jitterbuffer` (an rtpjitterbuffer) from now on, until its EOS.
 * Only the first one attached is kept; returns whether this one was. Any
 * thread (rtpbin's new-jitterbuffer signal). */
gboolean call_jitter_stats_attach(CallJitterStats *stats, GstElement *jitterbuffer);

/* The counts now, or at EOS once it came; all 0 before attach. */
void call_jitter_stats_read(CallJitterStats *stats, guint64 *rtx_asked, guint64 *rtx_recovered,
                            guint64 *lost);

/* Removes the probe and drops the reference. */
void call_jitter_stats_clear(CallJitterStats *stats);

#endif
