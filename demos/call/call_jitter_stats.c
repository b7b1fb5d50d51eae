/* SPDX-License-Identifier: BSD-2-Clause */
/* The video jitter buffer's statistics, frozen at EOS (call_jitter_stats.h). */
#include "call_jitter_stats.h"

#include <string.h>

void call_jitter_stats_init(CallJitterStats *stats)
{
    memset(stats, 0, sizeof(*stats));
    g_mutex_init(&stats->lock);
}

/* Reads the element's counters into `stats` (lock held). */
static void read_now(CallJitterStats *stats, GstElement *jitterbuffer)
{
    GstStructure *s = NULL;
    guint64 value;

    g_object_get(jitterbuffer, "stats", &s, NULL);
    if (!s)
        return;
    if (gst_structure_get_uint64(s, "rtx-count", &value))
        stats->rtx_asked = value;
    if (gst_structure_get_uint64(s, "rtx-success-count", &value))
        stats->rtx_recovered = value;
    if (gst_structure_get_uint64(s, "num-lost", &value))
        stats->lost = value;
    gst_structure_free(s);
}

/* On the jitter buffer's sink pad: runs before the element sees the EOS,
 * so before the timers re-fire. */
static GstPadProbeReturn on_sink_event(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    CallJitterStats *stats = data;
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    (void)pad;

    if (GST_EVENT_TYPE(event) != GST_EVENT_EOS)
        return GST_PAD_PROBE_OK;
    g_mutex_lock(&stats->lock);
    if (!stats->frozen) {
        read_now(stats, stats->jitterbuffer);
        stats->frozen = TRUE;
    }
    g_mutex_unlock(&stats->lock);
    return GST_PAD_PROBE_OK;
}

gboolean call_jitter_stats_attach(CallJitterStats *stats, GstElement *jitterbuffer)
{
    GstPad *sink;

    /* An rtpjitterbuffer: its "stats" with retransmission requests. */
    if (!jitterbuffer ||
        !g_object_class_find_property(G_OBJECT_GET_CLASS(jitterbuffer), "stats") ||
        !g_object_class_find_property(G_OBJECT_GET_CLASS(jitterbuffer), "do-retransmission"))
        return FALSE;
    sink = gst_element_get_static_pad(jitterbuffer, "sink");
    if (!sink)
        return FALSE;
    g_mutex_lock(&stats->lock);
    if (stats->jitterbuffer) {
        g_mutex_unlock(&stats->lock);
        gst_object_unref(sink);
        return FALSE;
    }
    stats->jitterbuffer = gst_object_ref(jitterbuffer);
    stats->sink = sink;
    stats->probe = gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sink_event,
                                     stats, NULL);
    g_mutex_unlock(&stats->lock);
    return TRUE;
}

void call_jitter_stats_read(CallJitterStats *stats, guint64 *rtx_asked, guint64 *rtx_recovered,
                            guint64 *lost)
{
    g_mutex_lock(&stats->lock);
    if (stats->jitterbuffer && !stats->frozen)
        read_now(stats, stats->jitterbuffer);
    *rtx_asked = stats->rtx_asked;
    *rtx_recovered = stats->rtx_recovered;
    *lost = stats->lost;
    g_mutex_unlock(&stats->lock);
}

void call_jitter_stats_clear(CallJitterStats *stats)
{
    if (stats->sink) {
        gst_pad_remove_probe(stats->sink, stats->probe);
        gst_object_unref(stats->sink);
    }
    if (stats->jitterbuffer)
        gst_object_unref(stats->jitterbuffer);
    g_mutex_clear(&stats->lock);
    memset(stats, 0, sizeof(*stats));
}
