/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's rate adaptation glue (call_feedback.h). */
#include "call_feedback.h"

#include <math.h>

#include "call_options.h"

void call_feedback_init(CallFeedback *feedback, GstElement *encoder, guint start_kbps)
{
    guint ceiling = start_kbps;

    g_mutex_init(&feedback->lock);
    feedback->adapting = FALSE;
    feedback->encoder = NULL;
    feedback->have_report = FALSE;
    feedback->loss = 0.0;
    feedback->rtt_ms = -1.0;
    feedback->reports = feedback->rate_changes = 0;
    if (!encoder || !g_object_class_find_property(G_OBJECT_GET_CLASS(encoder), "bitrate"))
        return;
    if (!ceiling)
        g_object_get(encoder, "bitrate", &ceiling, NULL);
    if (ceiling < CALL_MIN_BITRATE_KBPS)
        return;
    gdouble floor_kbps = MAX(CALL_MIN_BITRATE_KBPS, ceiling * CALL_FEEDBACK_MIN_SHARE);
    if (call_rate_init(&feedback->rate, floor_kbps * 1000.0, ceiling * 1000.0,
                       ceiling * 1000.0) != 0)
        return;
    feedback->encoder = gst_object_ref(encoder);
    feedback->applied_kbps = feedback->lowest_kbps = ceiling;
    feedback->adapting = TRUE;
    g_object_set(encoder, "bitrate", ceiling, NULL);
}

/* The report block the peer's source last sent about our video, from
 * rtpsession's source statistics. */
typedef struct Block {
    guint fraction_lost;  /* 0-255 */
    guint exthighest;
    guint lsr;
    guint round_trip;     /* 1/65536 s */
} Block;

static gboolean read_block(GstElement *rtpbin, guint ssrc, Block *block)
{
    GObject *session = NULL, *source = NULL;
    GstStructure *stats = NULL;
    gboolean have_rb = FALSE, internal = TRUE;

    g_signal_emit_by_name(rtpbin, "get-internal-session", 0u, &session);
    if (!session)
        return FALSE;
    g_signal_emit_by_name(session, "get-source-by-ssrc", ssrc, &source);
    g_object_unref(session);
    if (!source)
        return FALSE;
    g_object_get(source, "stats", &stats, NULL);
    g_object_unref(source);
    if (!stats)
        return FALSE;
    gboolean ok = gst_structure_get_boolean(stats, "internal", &internal) && !internal &&
                  gst_structure_get_boolean(stats, "have-rb", &have_rb) && have_rb &&
                  gst_structure_get_uint(stats, "rb-fractionlost", &block->fraction_lost) &&
                  gst_structure_get_uint(stats, "rb-exthighestseq", &block->exthighest) &&
                  gst_structure_get_uint(stats, "rb-lsr", &block->lsr) &&
                  gst_structure_get_uint(stats, "rb-round-trip", &block->round_trip);
    gst_structure_free(stats);
    return ok && block->fraction_lost <= 255;
}

void call_feedback_on_active(CallFeedback *feedback, GstElement *rtpbin, guint ssrc)
{
    Block block;
    guint set_kbps = 0;
    GstElement *encoder = NULL;

    if (!read_block(rtpbin, ssrc, &block))
        return;
    g_mutex_lock(&feedback->lock);
    /* on-ssrc-active fires for every RTCP packet of the source, SDES or
     * BYE included: act on a report block once. */
    if (feedback->have_report && block.exthighest == feedback->last_exthighest &&
        block.lsr == feedback->last_lsr) {
        g_mutex_unlock(&feedback->lock);
        return;
    }
    /* Packets the block covers: its highest sequence number moved by that
     * many (a first block, or one that went back, says nothing). */
    guint32 expected = feedback->have_report && block.exthighest > feedback->last_exthighest
                           ? block.exthighest - feedback->last_exthighest
                           : 0;
    feedback->have_report = TRUE;
    feedback->last_exthighest = block.exthighest;
    feedback->last_lsr = block.lsr;
    feedback->loss = block.fraction_lost / 256.0;
    /* Without an SR of ours to echo (LSR 0) the RTT is not measured. */
    if (block.lsr && block.round_trip)
        feedback->rtt_ms = block.round_trip * 1000.0 / 65536.0;
    feedback->reports++;
    if (feedback->adapting) {
        call_rate_on_report(&feedback->rate, g_get_monotonic_time(), block.fraction_lost,
                            expected,
                            feedback->rtt_ms > 0 ? (gint64)(feedback->rtt_ms * 1000.0) : 0);
        guint kbps = (guint)lround(call_rate_bps(&feedback->rate) / 1000.0);
        if (kbps != feedback->applied_kbps) {
            feedback->applied_kbps = kbps;
            feedback->lowest_kbps = MIN(feedback->lowest_kbps, kbps);
            feedback->rate_changes++;
            set_kbps = kbps;
            encoder = gst_object_ref(feedback->encoder);
        }
    }
    g_mutex_unlock(&feedback->lock);
    /* Outside the lock: the encoder takes its own. */
    if (encoder) {
        g_object_set(encoder, "bitrate", set_kbps, NULL);
        gst_object_unref(encoder);
    }
}

void call_feedback_get(CallFeedback *feedback, gdouble *target_kbps, gdouble *loss,
                       gdouble *rtt_ms)
{
    g_mutex_lock(&feedback->lock);
    *target_kbps = feedback->adapting ? call_rate_bps(&feedback->rate) / 1000.0 : 0.0;
    *loss = feedback->loss;
    *rtt_ms = feedback->rtt_ms;
    g_mutex_unlock(&feedback->lock);
}

guint call_feedback_lowest(CallFeedback *feedback)
{
    guint lowest;
    g_mutex_lock(&feedback->lock);
    lowest = feedback->adapting ? feedback->lowest_kbps : 0;
    g_mutex_unlock(&feedback->lock);
    return lowest;
}

void call_feedback_clear(CallFeedback *feedback)
{
    if (feedback->encoder)
        gst_object_unref(feedback->encoder);
    feedback->encoder = NULL;
    g_mutex_clear(&feedback->lock);
}
