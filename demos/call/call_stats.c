/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's counters and the lines it prints (call_stats.h). */
#include "call_stats.h"

#include <stdio.h>
#include <string.h>

#include <gst/rtp/gstrtcpbuffer.h>

void call_stats_init(CallStats *stats)
{
    memset(stats, 0, sizeof(*stats));
    g_mutex_init(&stats->lock);
    stats->last_time_us = g_get_monotonic_time();
}

void call_stats_clear(CallStats *stats)
{
    g_mutex_clear(&stats->lock);
}

void call_stats_add(CallStats *stats, gsize field, guint64 amount)
{
    g_mutex_lock(&stats->lock);
    G_STRUCT_MEMBER(guint64, &stats->counters, field) += amount;
    g_mutex_unlock(&stats->lock);
}

/* Counts the open frame once its packets have gone. A delta frame needs the
 * last keyframe (never an earlier delta): decodable when it and that
 * keyframe went out whole. */
static void close_frame(CallStats *stats)
{
    CallCounters *c = &stats->counters;

    c->video_frames_sent++;
    c->video_frames_lost += stats->frame_dropped;
    if (stats->frame_keyframe)
        stats->reference_whole = !stats->frame_dropped;
    if (!stats->frame_dropped && stats->reference_whole)
        c->video_frames_decodable++;
    stats->frame_open = FALSE;
}

void call_stats_video_packet_out(CallStats *stats, guint32 rtp_timestamp, gboolean marker,
                                 gboolean keyframe, gsize size, gboolean dropped)
{
    CallCounters *c = &stats->counters;

    g_mutex_lock(&stats->lock);
    if (!stats->picture_open || stats->picture_timestamp != rtp_timestamp) {
        stats->picture_open = TRUE;
        stats->picture_timestamp = rtp_timestamp;
        c->video_pictures_sent++;
    }
    /* A frame is the run of packets with one timestamp, closed by the
     * marker bit; a new timestamp also closes a frame whose last packet
     * never came this way. */
    if (stats->frame_open && stats->frame_timestamp != rtp_timestamp)
        close_frame(stats);
    if (!stats->frame_open) {
        stats->frame_open = TRUE;
        stats->frame_timestamp = rtp_timestamp;
        stats->frame_dropped = FALSE;
        stats->frame_keyframe = FALSE;
    }
    stats->frame_dropped |= dropped;
    stats->frame_keyframe |= keyframe;
    if (dropped)
        c->video_packets_dropped++;
    else {
        c->video_bytes_sent += size;
        c->video_packets_sent++;
    }
    if (marker)
        close_frame(stats);
    g_mutex_unlock(&stats->lock);
}

void call_stats_keyframe_requested(CallStats *stats)
{
    g_mutex_lock(&stats->lock);
    stats->counters.keyframe_requests++;
    stats->keyframe_request_pending = TRUE;
    g_mutex_unlock(&stats->lock);
}

void call_stats_frame_encoded(CallStats *stats, gboolean keyframe, gboolean reference)
{
    if (!keyframe && !reference)
        return;
    g_mutex_lock(&stats->lock);
    stats->counters.keyframes_encoded += keyframe;
    stats->counters.references_encoded += reference;
    /* Requests that arrive together are answered by one keyframe. */
    if (stats->keyframe_request_pending) {
        stats->counters.keyframe_requests_answered++;
        stats->keyframe_request_pending = FALSE;
    }
    g_mutex_unlock(&stats->lock);
}

void call_stats_frame_shown(CallStats *stats)
{
    gint64 now = g_get_monotonic_time();
    CallCounters *c = &stats->counters;

    g_mutex_lock(&stats->lock);
    c->video_frames_decoded++;
    if (stats->last_shown_us && (guint64)(now - stats->last_shown_us) > c->longest_freeze_us)
        c->longest_freeze_us = now - stats->last_shown_us;
    stats->last_shown_us = now;
    if (stats->request_sent_us) {
        guint64 took = now - stats->request_sent_us;
        c->recoveries++;
        c->recovery_us_total += took;
        c->recovery_us_max = MAX(c->recovery_us_max, took);
        stats->request_sent_us = 0;
    }
    g_mutex_unlock(&stats->lock);
}

void call_stats_requests_sent(CallStats *stats, guint count)
{
    if (!count)
        return;
    g_mutex_lock(&stats->lock);
    if (!stats->request_sent_us)
        stats->request_sent_us = g_get_monotonic_time();
    g_mutex_unlock(&stats->lock);
}

CallRtcpScan call_stats_scan_rtcp(GstBuffer *rtcp)
{
    GstRTCPBuffer buffer = GST_RTCP_BUFFER_INIT;
    GstRTCPPacket packet;
    CallRtcpScan scan = { 0, 0, 0, 0 };

    if (!gst_rtcp_buffer_validate_reduced(rtcp) || !gst_rtcp_buffer_map(rtcp, GST_MAP_READ, &buffer))
        return scan;
    for (gboolean more = gst_rtcp_buffer_get_first_packet(&buffer, &packet); more;
         more = gst_rtcp_packet_move_to_next(&packet)) {
        GstRTCPType type = gst_rtcp_packet_get_type(&packet);
        if (type == GST_RTCP_TYPE_PSFB &&
            gst_rtcp_packet_fb_get_type(&packet) == GST_RTCP_PSFB_TYPE_PLI)
            scan.pli++;
        else if (type == GST_RTCP_TYPE_PSFB &&
                 gst_rtcp_packet_fb_get_type(&packet) == GST_RTCP_PSFB_TYPE_FIR)
            scan.fir++;
        else if (type == GST_RTCP_TYPE_RTPFB &&
                 gst_rtcp_packet_fb_get_type(&packet) == GST_RTCP_RTPFB_TYPE_NACK)
            scan.nack++;
        else if (type == GST_RTCP_TYPE_BYE)
            scan.bye++;
    }
    gst_rtcp_buffer_unmap(&buffer);
    return scan;
}

gboolean call_stats_find_report_block(GstBuffer *rtcp, guint32 ssrc, CallReportBlock *block)
{
    GstRTCPBuffer buffer = GST_RTCP_BUFFER_INIT;
    GstRTCPPacket packet;
    gboolean found = FALSE;

    if (!gst_rtcp_buffer_validate_reduced(rtcp) || !gst_rtcp_buffer_map(rtcp, GST_MAP_READ, &buffer))
        return FALSE;
    for (gboolean more = gst_rtcp_buffer_get_first_packet(&buffer, &packet); more;
         more = gst_rtcp_packet_move_to_next(&packet)) {
        GstRTCPType type = gst_rtcp_packet_get_type(&packet);
        guint count;

        if (type != GST_RTCP_TYPE_SR && type != GST_RTCP_TYPE_RR)
            continue;
        count = gst_rtcp_packet_get_rb_count(&packet);
        for (guint i = 0; i < count; i++) {
            /* get_rb leaves them as they are for a block past the packet's
             * end: such a block matches nothing. */
            guint32 about = ~ssrc, exthighest = 0, jitter = 0, lsr = 0, dlsr = 0;
            guint8 fraction = 0;
            gint32 lost = 0;
            gst_rtcp_packet_get_rb(&packet, i, &about, &fraction, &lost, &exthighest, &jitter,
                                   &lsr, &dlsr);
            if (about != ssrc)
                continue;
            block->fraction_lost = fraction;
            block->exthighest = exthighest;
            block->lsr = lsr;
            found = TRUE;
        }
    }
    gst_rtcp_buffer_unmap(&buffer);
    return found;
}

void call_stats_snapshot(CallStats *stats, CallCounters *out)
{
    g_mutex_lock(&stats->lock);
    *out = stats->counters;
    g_mutex_unlock(&stats->lock);
}

static gdouble kbits(guint64 bytes, gdouble seconds)
{
    return seconds > 0.0 ? bytes * 8.0 / 1000.0 / seconds : 0.0;
}

void call_stats_print_line(CallStats *stats, gdouble elapsed_s, const CallLive *live)
{
    CallCounters now, last;
    gint64 time_us = g_get_monotonic_time();
    gdouble dt;
    gchar target[16], rtt[16];

    g_mutex_lock(&stats->lock);
    now = stats->counters;
    last = stats->last;
    dt = (time_us - stats->last_time_us) / 1e6;
    stats->last = now;
    stats->last_time_us = time_us;
    g_mutex_unlock(&stats->lock);

    if (live->target_kbps > 0)
        g_snprintf(target, sizeof(target), "%.1f", live->target_kbps);
    else
        g_strlcpy(target, "-", sizeof(target));
    if (live->rtt_ms >= 0)
        g_snprintf(rtt, sizeof(rtt), "%.0f ms", live->rtt_ms);
    else
        g_strlcpy(rtt, "?", sizeof(rtt));
    /* Sent: what we send and what the peer says of it; received: what
     * arrives and is shown; then keyframes (K) and references (R), each
     * "sent/asked of us" and "asked by us"; retransmissions each way. */
    printf("[%5.0fs] video out target %s sent %.1f kbit/s %.1f fps, peer lost %.1f %% rtt %s | "
           "in %.1f kbit/s, shown %.1f fps (%" G_GUINT64_FORMAT " in all), %" G_GINT64_FORMAT
           " lost | keyframes sent %" G_GUINT64_FORMAT " asked of us %" G_GUINT64_FORMAT
           " asked %" G_GUINT64_FORMAT " | references sent %" G_GUINT64_FORMAT
           " asked of us %" G_GUINT64_FORMAT " asked %" G_GUINT64_FORMAT " | rtx sent %"
           G_GUINT64_FORMAT " got %" G_GUINT64_FORMAT ", nack sent %" G_GUINT64_FORMAT
           " got %" G_GUINT64_FORMAT " | fec %u %% sent %" G_GUINT64_FORMAT " (%.1f kbit/s) got %"
           G_GUINT64_FORMAT " recovered %" G_GUINT64_FORMAT
           " | audio out %.1f in %.1f kbit/s | refused srtp %"
           G_GUINT64_FORMAT " strangers %" G_GUINT64_FORMAT " | decoder %s\n",
           elapsed_s, target, kbits(now.video_bytes_sent - last.video_bytes_sent, dt),
           dt > 0 ? (now.video_frames_sent - last.video_frames_sent) / dt : 0.0,
           live->loss * 100.0, rtt,
           kbits(now.video_bytes_received - last.video_bytes_received, dt),
           dt > 0 ? (now.video_frames_decoded - last.video_frames_decoded) / dt : 0.0,
           now.video_frames_decoded, live->video_packets_lost,
           now.keyframes_encoded, now.pli_received, now.pli_sent,
           now.references_encoded, now.fir_received, now.fir_sent, now.rtx_packets_sent,
           now.rtx_packets_received, now.nack_sent, now.nack_received, live->fec_percentage,
           now.fec_packets_sent, kbits(now.fec_bytes_sent - last.fec_bytes_sent, dt),
           now.fec_packets_received, live->fec_recovered,
           kbits(now.audio_bytes_sent - last.audio_bytes_sent, dt),
           kbits(now.audio_bytes_received - last.audio_bytes_received, dt), live->srtp_refused,
           now.packets_stranger + now.packets_malformed, live->backend);
    fflush(stdout);
}

void call_stats_print_summary(CallStats *stats, const CallLive *live)
{
    CallCounters c;

    call_stats_snapshot(stats, &c);
    printf("summary: video_frames_sent=%" G_GUINT64_FORMAT " video_pictures_sent=%" G_GUINT64_FORMAT
           " video_frames_lost=%" G_GUINT64_FORMAT
           " video_frames_decodable=%" G_GUINT64_FORMAT
           " video_packets_dropped=%" G_GUINT64_FORMAT " video_frames_decoded=%" G_GUINT64_FORMAT
           " video_packets_lost=%" G_GINT64_FORMAT " video_bytes_sent=%" G_GUINT64_FORMAT
           " video_bytes_received=%" G_GUINT64_FORMAT " video_packets_sent=%" G_GUINT64_FORMAT
           " video_packets_received=%" G_GUINT64_FORMAT " audio_bytes_sent=%" G_GUINT64_FORMAT
           " audio_bytes_received=%" G_GUINT64_FORMAT " audio_packets_received=%" G_GUINT64_FORMAT
           " keyframes_encoded=%" G_GUINT64_FORMAT " references_encoded=%" G_GUINT64_FORMAT
           " pli_sent=%" G_GUINT64_FORMAT
           " pli_received=%" G_GUINT64_FORMAT " fir_sent=%" G_GUINT64_FORMAT
           " fir_received=%" G_GUINT64_FORMAT " keyframe_requests=%" G_GUINT64_FORMAT
           " keyframe_requests_answered=%" G_GUINT64_FORMAT " nack_sent=%" G_GUINT64_FORMAT
           " nack_received=%" G_GUINT64_FORMAT " rtx_packets_sent=%" G_GUINT64_FORMAT
           " rtx_packets_received=%" G_GUINT64_FORMAT " packets_malformed=%" G_GUINT64_FORMAT
           " packets_stranger=%" G_GUINT64_FORMAT " srtp_refused=%" G_GUINT64_FORMAT
           " rtx_bytes_sent=%" G_GUINT64_FORMAT " longest_freeze_ms=%.0f recoveries=%"
           G_GUINT64_FORMAT " recovery_ms_mean=%.0f recovery_ms_max=%.0f"
           " rtx_asked=%" G_GUINT64_FORMAT " rtx_recovered=%" G_GUINT64_FORMAT
           " jitter_lost=%" G_GUINT64_FORMAT " fec_percentage=%u fec_packets_sent=%" G_GUINT64_FORMAT
           " fec_bytes_sent=%" G_GUINT64_FORMAT " fec_packets_received=%" G_GUINT64_FORMAT
           " fec_recovered=%" G_GUINT64_FORMAT " fec_unrecovered=%" G_GUINT64_FORMAT
           " target_kbps=%.1f lowest_target_kbps=%u peer_loss=%.3f rtt_ms=%.1f backend=%s\n",
           c.video_frames_sent, c.video_pictures_sent, c.video_frames_lost,
           c.video_frames_decodable,
           c.video_packets_dropped, c.video_frames_decoded, live->video_packets_lost,
           c.video_bytes_sent, c.video_bytes_received, c.video_packets_sent,
           c.video_packets_received, c.audio_bytes_sent, c.audio_bytes_received,
           c.audio_packets_received, c.keyframes_encoded, c.references_encoded, c.pli_sent,
           c.pli_received, c.fir_sent, c.fir_received, c.keyframe_requests,
           c.keyframe_requests_answered, c.nack_sent, c.nack_received, c.rtx_packets_sent,
           c.rtx_packets_received, c.packets_malformed, c.packets_stranger, live->srtp_refused,
           c.rtx_bytes_sent, c.longest_freeze_us / 1000.0, c.recoveries,
           c.recoveries ? c.recovery_us_total / 1000.0 / c.recoveries : 0.0,
           c.recovery_us_max / 1000.0, live->rtx_asked, live->rtx_recovered, live->jitter_lost,
           live->fec_percentage, c.fec_packets_sent, c.fec_bytes_sent, c.fec_packets_received,
           live->fec_recovered, live->fec_unrecovered,
           live->target_kbps, live->lowest_target_kbps, live->loss, live->rtt_ms, live->backend);
    fflush(stdout);
}
