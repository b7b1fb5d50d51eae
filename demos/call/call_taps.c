/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's pad probes (call_pipeline_private.h): which datagrams get in,
 * what is counted where the packets are plain, --video-loss, and the end
 * of the call's sending side. */
#include "call_pipeline_private.h"

#include <gst/net/gstnetaddressmeta.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/video/video.h>

#include <facet/facet.h>

/* ---- probes ------------------------------------------------------------ */

/* Taps, by where the packets are plain: a plain call reads RTP and RTCP at
 * the sockets; an encrypted call reads them where srtpdec has decrypted
 * (and authenticated) them and before srtpenc encrypts them. The sockets
 * always judge where a datagram comes from. */

static void force_keyframe(CallPipeline *self)
{
    GstPad *src = gst_element_get_static_pad(self->encoder, "src");
    gst_pad_send_event(src, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE,
                                                                        TRUE, 0));
    gst_object_unref(src);
}

static guint8 rtp_payload_type(GstBuffer *buffer)
{
    guint8 header[2] = { 0, 0 };
    gst_buffer_extract(buffer, 0, header, 2);
    return header[1] & 0x7f;
}

/* A plain packet of the peer's (its origin judged). */
static void clear_in(CallPipeline *self, CallChannel channel, GstBuffer *buffer)
{
    gsize size = gst_buffer_get_size(buffer);

    switch (channel) {
    case CALL_VIDEO_RTP:
        CALL_STATS_ADD(self->stats, video_bytes_received, size);
        CALL_STATS_ADD(self->stats, video_packets_received, 1);
        if (rtp_payload_type(buffer) == CALL_VIDEO_RTX_PT)
            CALL_STATS_ADD(self->stats, rtx_packets_received, 1);
        else if (rtp_payload_type(buffer) == CALL_VIDEO_FEC_PT)
            CALL_STATS_ADD(self->stats, fec_packets_received, 1);
        break;
    case CALL_AUDIO_RTP:
        CALL_STATS_ADD(self->stats, audio_bytes_received, size);
        CALL_STATS_ADD(self->stats, audio_packets_received, 1);
        break;
    default: {
        CallRtcpScan scan = call_stats_scan_rtcp(buffer);
        CallReportBlock block;
        if (channel == CALL_VIDEO_RTCP) {
            CALL_STATS_ADD(self->stats, pli_received, scan.pli);
            CALL_STATS_ADD(self->stats, fir_received, scan.fir);
            CALL_STATS_ADD(self->stats, nack_received, scan.nack);
            if (self->feedback_ready && g_atomic_int_get(&self->video_ssrc_known) &&
                call_stats_find_report_block(buffer, (guint32)g_atomic_int_get(&self->video_ssrc),
                                             &block))
                call_feedback_on_block(&self->feedback, &block);
        }
        /* The peer hung up: a BYE in either session ends the call. */
        if (scan.bye && g_atomic_int_compare_and_exchange(&self->peer_left, 0, 1) &&
            self->events.peer_left)
            self->events.peer_left(self->events.data);
        break;
    }
    }
}

/* After a packet was accepted: a listener's video went nowhere until its
 * peer was known, its last keyframe included: the new peer gets one at
 * once instead of asking. */
static void after_accept(CallPipeline *self, gboolean had_peer)
{
    if (!had_peer && call_net_peer_known(self->net, CALL_VIDEO_RTP))
        force_keyframe(self);
}

/* Every datagram that reaches a socket: only the peer's RTP/RTCP gets in
 * (in an encrypted call, also what may be the peer's first packet, which
 * srtpdec authenticates before anything is learnt from it). */
GstPadProbeReturn call_tap_datagram(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    ChannelProbe *probe = data;
    CallPipeline *self = probe->pipeline;
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    GstNetAddressMeta *meta = gst_buffer_get_net_address_meta(buffer);
    gboolean had_peer = call_net_peer_known(self->net, CALL_VIDEO_RTP);
    (void)pad;

    switch (call_net_judge(self->net, probe->channel, buffer, meta ? meta->addr : NULL)) {
    case CALL_PACKET_MALFORMED:
        CALL_STATS_ADD(self->stats, packets_malformed, 1);
        return GST_PAD_PROBE_DROP;
    case CALL_PACKET_STRANGER:
        CALL_STATS_ADD(self->stats, packets_stranger, 1);
        return GST_PAD_PROBE_DROP;
    case CALL_PACKET_UNVERIFIED:
        return GST_PAD_PROBE_OK;
    case CALL_PACKET_ACCEPTED:
        break;
    }
    if (!self->encrypted) {
        after_accept(self, had_peer);
        clear_in(self, probe->channel, buffer);
    }
    return GST_PAD_PROBE_OK;
}

/* What srtpdec let through: authenticated, decrypted. */
GstPadProbeReturn call_tap_decrypted(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    ChannelProbe *probe = data;
    CallPipeline *self = probe->pipeline;
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    GstNetAddressMeta *meta = gst_buffer_get_net_address_meta(buffer);
    gboolean had_peer = call_net_peer_known(self->net, CALL_VIDEO_RTP);
    (void)pad;

    if (call_net_confirm(self->net, probe->channel, meta ? meta->addr : NULL) !=
        CALL_PACKET_ACCEPTED) {
        /* Authenticated, but another authenticated sender is the peer. */
        CALL_STATS_ADD(self->stats, packets_stranger, 1);
        return GST_PAD_PROBE_DROP;
    }
    after_accept(self, had_peer);
    clear_in(self, probe->channel, buffer);
    return GST_PAD_PROBE_OK;
}

/* The S (start) and K (keyframe) bits of a video RTP packet's payload
 * header (docs/rtp-payload.md). */
#define PAYLOAD_START 0x80
#define PAYLOAD_KEYFRAME 0x20

static guint8 payload_flags(GstRTPBuffer *rtp)
{
    const guint8 *payload = gst_rtp_buffer_get_payload(rtp);
    return gst_rtp_buffer_get_payload_len(rtp) >= 2 ? payload[0] : 0;
}

/* One outgoing plain video RTP packet (media, retransmission or FEC):
 * --video-loss and --drop-keyframe decide; returns TRUE to send. */
static gboolean video_packet_out(CallPipeline *self, GstBuffer *buffer)
{
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    gboolean dropped;

    if (!gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp))
        return TRUE;
    /* Drawn for every packet, so that --drop-keyframe leaves the seeded
     * choices of the other packets as they were. */
    dropped = self->loss_percent > 0.0 &&
              g_rand_double(self->loss_rand) * 100.0 < self->loss_percent;
    if (gst_rtp_buffer_get_payload_type(&rtp) == CALL_VIDEO_RTX_PT) {
        /* A retransmission: counted apart from the frames. */
        CALL_STATS_ADD(self->stats, rtx_packets_sent, 1);
        if (!dropped) {
            CALL_STATS_ADD(self->stats, video_bytes_sent, gst_buffer_get_size(buffer));
            CALL_STATS_ADD(self->stats, rtx_bytes_sent, gst_buffer_get_size(buffer));
        }
        gst_rtp_buffer_unmap(&rtp);
        return !dropped;
    }
    if (gst_rtp_buffer_get_payload_type(&rtp) == CALL_VIDEO_FEC_PT) {
        /* A FEC packet: the frames' accounting is the media's alone. */
        CALL_STATS_ADD(self->stats, fec_packets_sent, 1);
        if (!dropped) {
            CALL_STATS_ADD(self->stats, video_bytes_sent, gst_buffer_get_size(buffer));
            CALL_STATS_ADD(self->stats, fec_bytes_sent, gst_buffer_get_size(buffer));
        }
        gst_rtp_buffer_unmap(&rtp);
        return !dropped;
    }
    /* Our video's SSRC, whose report blocks drive the rate and the FEC. */
    g_atomic_int_set(&self->video_ssrc, gst_rtp_buffer_get_ssrc(&rtp));
    g_atomic_int_set(&self->video_ssrc_known, 1);
    guint8 flags = payload_flags(&rtp);
    if ((flags & PAYLOAD_START) && (flags & PAYLOAD_KEYFRAME) &&
        ++self->keyframes_out == self->drop_keyframe)
        dropped = TRUE;
    call_stats_video_packet_out(self->stats, gst_rtp_buffer_get_timestamp(&rtp),
                                gst_rtp_buffer_get_marker(&rtp), !!(flags & PAYLOAD_KEYFRAME),
                                gst_buffer_get_size(buffer), dropped);
    gst_rtp_buffer_unmap(&rtp);
    return !dropped;
}

static gboolean drop_lost_packet(GstBuffer **buffer, guint index, gpointer data)
{
    (void)index;
    if (!video_packet_out(data, *buffer))
        gst_clear_buffer(buffer); /* removes it from the list */
    return TRUE;
}

static void rtcp_out(CallPipeline *self, CallChannel channel, GstBuffer *buffer)
{
    if (channel == CALL_VIDEO_RTCP) {
        CallRtcpScan scan = call_stats_scan_rtcp(buffer);
        CALL_STATS_ADD(self->stats, pli_sent, scan.pli);
        CALL_STATS_ADD(self->stats, fir_sent, scan.fir);
        CALL_STATS_ADD(self->stats, nack_sent, scan.nack);
        call_stats_requests_sent(self->stats, scan.pli + scan.fir);
    }
}

/* A plain packet on its way out (before srtpenc, or at the socket of a
 * plain call). Packets sent before the peer's port is known go nowhere and
 * are not counted. */
GstPadProbeReturn call_tap_clear_out(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    ChannelProbe *probe = data;
    CallPipeline *self = probe->pipeline;
    (void)pad;

    if (!(info->type & (GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST)) ||
        !call_net_peer_known(self->net, probe->channel))
        return GST_PAD_PROBE_OK;
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
        GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
        if (probe->channel == CALL_VIDEO_RTP) {
            list = gst_buffer_list_make_writable(list);
            GST_PAD_PROBE_INFO_DATA(info) = list;
            gst_buffer_list_foreach(list, drop_lost_packet, self);
        } else if (probe->channel != CALL_AUDIO_RTP) {
            for (guint i = 0; i < gst_buffer_list_length(list); i++)
                rtcp_out(self, probe->channel, gst_buffer_list_get(list, i));
        }
        return gst_buffer_list_length(list) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
    }
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (probe->channel == CALL_VIDEO_RTP)
        return video_packet_out(self, buffer) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
    if (probe->channel != CALL_AUDIO_RTP)
        rtcp_out(self, probe->channel, buffer);
    return GST_PAD_PROBE_OK;
}


/* What leaves through a sending socket: the end of the RTCP senders, the
 * audio's bytes as on the wire, and (plain call) the plain taps. */
GstPadProbeReturn call_tap_send(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    ChannelProbe *probe = data;
    CallPipeline *self = probe->pipeline;

    if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
        if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS &&
            (probe->channel == CALL_VIDEO_RTCP || probe->channel == CALL_AUDIO_RTCP) &&
            g_atomic_int_add(&self->rtcp_ended, 1) == 1)
            g_main_context_invoke(NULL, call_pipeline_end_receiving_in_main, self);
        return GST_PAD_PROBE_OK;
    }
    if (!call_net_peer_known(self->net, probe->channel))
        return GST_PAD_PROBE_OK;
    if (probe->channel == CALL_AUDIO_RTP)
        CALL_STATS_ADD(self->stats, audio_bytes_sent,
                       (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
                           ? gst_buffer_list_calculate_size(GST_PAD_PROBE_INFO_BUFFER_LIST(info))
                           : gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info)));
    return self->encrypted ? GST_PAD_PROBE_OK : call_tap_clear_out(pad, info, data);
}

/* Whether an encoded packet is the first fragment of a latent-tier
 * reference (one reference counted once, however many fragments). */
static gboolean starts_reference(GstBuffer *buffer)
{
    GstMapInfo map;
    FacetPacketInfo packet = { .struct_size = sizeof(packet) };
    gboolean first = FALSE;

    if (!gst_buffer_map(buffer, &map, GST_MAP_READ))
        return FALSE;
    if (facet_packet_peek(map.data, map.size, &packet) >= 0)
        first = packet.type == FACET_PACKET_TYPE_REFERENCE && packet.fragment_index == 0;
    gst_buffer_unmap(buffer, &map);
    return first;
}

/* facetenc's output: keyframes, and the keyframe requests that reach it
 * (the peer's PLI, turned into force-key-unit by rtpbin). */
GstPadProbeReturn call_tap_encoder_src(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    CallPipeline *self = data;
    (void)pad;

    if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
        GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
        call_stats_frame_encoded(self->stats,
                                 !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT),
                                 starts_reference(buffer));
    } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_UPSTREAM) {
        if (gst_video_event_is_force_key_unit(GST_PAD_PROBE_INFO_EVENT(info)))
            call_stats_keyframe_requested(self->stats);
    }
    return GST_PAD_PROBE_OK;
}

GstPadProbeReturn call_tap_decoded_frame(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    CallPipeline *self = data;
    (void)pad;
    (void)info;
    call_stats_frame_shown(self->stats);
    return GST_PAD_PROBE_OK;
}

/* A local source that ends (a file) ends the call. */
GstPadProbeReturn call_tap_source_event(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    CallPipeline *self = data;
    (void)pad;
    if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS && self->events.media_ended)
        self->events.media_ended(self->events.data);
    return GST_PAD_PROBE_OK;
}

/* Packets of a second stream in one session (the peer restarted, or a
 * stranger got through while learning) have no branch: drop them. */
GstPadProbeReturn call_tap_drop_all(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    (void)pad;
    (void)info;
    (void)data;
    return GST_PAD_PROBE_DROP;
}

void call_tap_add(GstElement *element, const gchar *pad_name, GstPadProbeType mask,
                      GstPadProbeCallback callback, gpointer data, GDestroyNotify destroy)
{
    GstPad *pad = gst_element_get_static_pad(element, pad_name);
    gst_pad_add_probe(pad, mask, callback, data, destroy);
    gst_object_unref(pad);
}

