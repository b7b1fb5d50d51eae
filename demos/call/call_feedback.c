/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's rate adaptation glue (call_feedback.h). */
#include "call_feedback.h"

#include <math.h>

#include "call_options.h"

void call_feedback_init(CallFeedback *feedback, GstElement *encoder, guint start_kbps,
                        GstElement *fec_encoder, guint fec_cap)
{
    guint ceiling = start_kbps;

    g_mutex_init(&feedback->lock);
    feedback->adapting = FALSE;
    feedback->encoder = NULL;
    feedback->have_report = FALSE;
    feedback->loss = 0.0;
    feedback->rtt_ms = -1.0;
    feedback->reports = feedback->rate_changes = 0;
    feedback->fec_encoder = NULL;
    feedback->fec_percentage = 0;
    /* No FEC until the peer reports loss. */
    if (fec_encoder && fec_cap && call_fec_init(&feedback->fec, fec_cap) == 0) {
        feedback->fec_encoder = gst_object_ref(fec_encoder);
        g_object_set(fec_encoder, "percentage", 0u, NULL);
    }
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

/* The round trip rtpsession measured from the peer's last report block
 * (about any of our sources: the round trip is the same), in 1/65536 s;
 * FALSE when unknown (no block, or one without an SR of ours to echo). */
static gboolean read_round_trip(GstElement *rtpbin, guint ssrc, guint *round_trip)
{
    GObject *session = NULL, *source = NULL;
    GstStructure *stats = NULL;
    gboolean have_rb = FALSE, internal = TRUE;
    guint lsr = 0;

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
                  gst_structure_get_uint(stats, "rb-lsr", &lsr) && lsr &&
                  gst_structure_get_uint(stats, "rb-round-trip", round_trip) && *round_trip;
    gst_structure_free(stats);
    return ok;
}

void call_feedback_on_active(CallFeedback *feedback, GstElement *rtpbin, guint ssrc)
{
    guint round_trip;

    if (!read_round_trip(rtpbin, ssrc, &round_trip))
        return;
    g_mutex_lock(&feedback->lock);
    feedback->rtt_ms = round_trip * 1000.0 / 65536.0;
    g_mutex_unlock(&feedback->lock);
}

void call_feedback_on_block(CallFeedback *feedback, const CallReportBlock *block)
{
    guint set_kbps = 0, set_fec = 0;
    GstElement *encoder = NULL, *fec_encoder = NULL;

    if (block->fraction_lost > 255)
        return;
    g_mutex_lock(&feedback->lock);
    /* The same block again (a duplicated RTCP packet of a call in the
     * clear): act on it once. */
    if (feedback->have_report && block->exthighest == feedback->last_exthighest &&
        block->lsr == feedback->last_lsr) {
        g_mutex_unlock(&feedback->lock);
        return;
    }
    /* Packets the block covers: its highest sequence number moved by that
     * many (a first block, or one that went back, says nothing). */
    guint32 expected = feedback->have_report && block->exthighest > feedback->last_exthighest
                           ? block->exthighest - feedback->last_exthighest
                           : 0;
    feedback->have_report = TRUE;
    feedback->last_exthighest = block->exthighest;
    feedback->last_lsr = block->lsr;
    feedback->loss = block->fraction_lost / 256.0;
    feedback->reports++;
    if (feedback->fec_encoder) {
        guint percentage = call_fec_on_report(&feedback->fec, block->fraction_lost, expected);
        if (percentage != feedback->fec_percentage) {
            feedback->fec_percentage = percentage;
            set_fec = percentage;
            fec_encoder = gst_object_ref(feedback->fec_encoder);
        }
    }
    if (feedback->adapting) {
        call_rate_on_report(&feedback->rate, g_get_monotonic_time(), block->fraction_lost,
                            expected,
                            feedback->rtt_ms > 0 ? (gint64)(feedback->rtt_ms * 1000.0) : 0);
        gdouble target_kbps = call_rate_bps(&feedback->rate) / 1000.0;
        feedback->lowest_kbps = MIN(feedback->lowest_kbps, (guint)lround(target_kbps));
        /* The media get what the FEC leaves of the target (an encoder
         * below 1 kbit/s makes no picture). */
        guint kbps = (guint)MAX(1, lround(target_kbps *
                                          call_fec_media_share(feedback->fec_percentage)));
        if (kbps != feedback->applied_kbps) {
            feedback->applied_kbps = kbps;
            feedback->rate_changes++;
            set_kbps = kbps;
            encoder = gst_object_ref(feedback->encoder);
        }
    }
    g_mutex_unlock(&feedback->lock);
    /* Outside the lock: the elements take their own. */
    if (fec_encoder) {
        g_object_set(fec_encoder, "percentage", set_fec, NULL);
        gst_object_unref(fec_encoder);
    }
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

guint call_feedback_fec_percentage(CallFeedback *feedback)
{
    guint percentage;
    g_mutex_lock(&feedback->lock);
    percentage = feedback->fec_percentage;
    g_mutex_unlock(&feedback->lock);
    return percentage;
}

void call_feedback_clear(CallFeedback *feedback)
{
    if (feedback->encoder)
        gst_object_unref(feedback->encoder);
    feedback->encoder = NULL;
    if (feedback->fec_encoder)
        gst_object_unref(feedback->fec_encoder);
    feedback->fec_encoder = NULL;
    g_mutex_clear(&feedback->lock);
}
