/* SPDX-License-Identifier: BSD-2-Clause */
/* The receiving side of one feed: webrtcbin -> VP8 frames + messages -> feed. */
#include "room_subscriber.h"

#include <string.h>

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

#include "room_vp8.h"
#include "room_webrtc.h"

/* At most one keyframe request a second: a keyframe takes a round trip. */
#define PLI_INTERVAL_US G_USEC_PER_SEC

struct RoomSubscriber {
    guint64 feed_id;
    gchar *display;
    RoomSubscriberCallbacks callbacks;
    gpointer data;
    RoomRelay *relay;
    RoomFeed *feed;

    GstElement *pipeline;
    GstElement *webrtc;
    GstWebRTCDataChannel *channel;   /* ours */
    GPtrArray *remote_channels;      /* the ones Janus opened */
    GMutex lock;                     /* remote_channels */
    guint bus_watch;

    /* The video pad's streaming thread only. */
    RoomVp8Assembler assembler;
    gint64 last_pli_us;
    gint plis;
    gint channel_opened;             /* atomic: ours just opened, not yet acted on */
    gint audio_packets;              /* atomic: Opus RTP packets received */
};

static void on_message_data(GstWebRTCDataChannel *channel, GBytes *bytes, gpointer data)
{
    (void)channel;
    RoomSubscriber *s = data;
    gsize size = 0;
    const guint8 *message = g_bytes_get_data(bytes, &size);
    room_feed_message(s->feed, message, size);
}

static void on_channel_open(GstWebRTCDataChannel *channel, gpointer data)
{
    (void)channel;
    RoomSubscriber *s = data;
    g_atomic_int_set(&s->channel_opened, 1);
}

static void watch_channel(RoomSubscriber *s, GstWebRTCDataChannel *channel)
{
    g_signal_connect(channel, "on-message-data", G_CALLBACK(on_message_data), s);
}

static void on_data_channel(GstElement *webrtc, GstWebRTCDataChannel *channel, gpointer data)
{
    (void)webrtc;
    RoomSubscriber *s = data;
    g_mutex_lock(&s->lock);
    g_ptr_array_add(s->remote_channels, g_object_ref(channel));
    g_mutex_unlock(&s->lock);
    watch_channel(s, channel);
}

static void request_keyframe(RoomSubscriber *s, GstPad *pad)
{
    gint64 now = g_get_monotonic_time();
    if (s->last_pli_us && now - s->last_pli_us < PLI_INTERVAL_US)
        return;
    s->last_pli_us = now;
    g_atomic_int_inc(&s->plis);
    /* rtpbin's session turns it into an RTCP PLI; Janus passes it on. */
    gst_pad_send_event(pad, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE,
                                                                        FALSE, 0));
}

static GstPadProbeReturn on_video_rtp(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    RoomSubscriber *s = data;
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (!gst_rtp_buffer_map(GST_PAD_PROBE_INFO_BUFFER(info), GST_MAP_READ, &rtp))
        return GST_PAD_PROBE_OK;
    GBytes *frame = NULL;
    guint16 picture_id = 0;
    gboolean lost = FALSE;
    gboolean whole = room_vp8_assembler_push(&s->assembler, gst_rtp_buffer_get_seq(&rtp),
                                             gst_rtp_buffer_get_timestamp(&rtp),
                                             gst_rtp_buffer_get_marker(&rtp),
                                             gst_rtp_buffer_get_payload(&rtp),
                                             gst_rtp_buffer_get_payload_len(&rtp), &frame,
                                             &picture_id, &lost);
    gst_rtp_buffer_unmap(&rtp);
    gboolean want_keyframe = lost;
    /* Janus relays data to us only from now on: what the sender sent
     * before (its stream header, its reference) is lost to us unless it
     * sends it again, which a keyframe request makes it do. */
    if (g_atomic_int_compare_and_exchange(&s->channel_opened, 1, 0) &&
        !room_feed_has_header(s->feed)) {
        s->last_pli_us = 0;
        want_keyframe = TRUE;
    }
    if (whole) {
        gsize size = 0;
        const guint8 *bytes = g_bytes_get_data(frame, &size);
        want_keyframe = room_feed_frame(s->feed, bytes, size, picture_id, lost);
        g_bytes_unref(frame);
    }
    if (want_keyframe)
        request_keyframe(s, pad);
    return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn on_audio_rtp(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    (void)pad;
    (void)info;
    RoomSubscriber *s = data;
    g_atomic_int_inc(&s->audio_packets);
    return GST_PAD_PROBE_OK;
}

static void on_pad_added(GstElement *webrtc, GstPad *pad, gpointer data)
{
    (void)webrtc;
    RoomSubscriber *s = data;
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
        return;
    GstCaps *caps = gst_pad_get_current_caps(pad);
    if (!caps)
        caps = gst_pad_query_caps(pad, NULL);
    const GstStructure *structure = caps && !gst_caps_is_empty(caps)
                                        ? gst_caps_get_structure(caps, 0) : NULL;
    const gchar *media = structure ? gst_structure_get_string(structure, "media") : NULL;
    const gchar *encoding = structure ? gst_structure_get_string(structure, "encoding-name")
                                      : NULL;
    if (g_strcmp0(media, "video") == 0 && g_ascii_strcasecmp(encoding ? encoding : "", "VP8") == 0)
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_video_rtp, s, NULL);
    else if (g_strcmp0(media, "audio") == 0)
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_audio_rtp, s, NULL);
    /* Audio (and the video after the probe) end here: the frames are
     * counted and shown by the feed; the tone is not played. */
    GstElement *sink = gst_element_factory_make("fakesink", NULL);
    g_object_set(sink, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add(GST_BIN(s->pipeline), sink);
    gst_element_sync_state_with_parent(sink);
    GstPad *sink_pad = gst_element_get_static_pad(sink, "sink");
    if (gst_pad_link(pad, sink_pad) != GST_PAD_LINK_OK)
        g_printerr("facet-room: feed %s: a %s stream could not be linked\n", s->display,
                   media ? media : "?");
    gst_object_unref(sink_pad);
    if (caps)
        gst_caps_unref(caps);
}

/* Janus 1.1 files a receive-only peer's RTCP under the media of the
 * sender SSRC, else of the first report block or transport feedback, and
 * drops the rest: an early RTCP packet with our PLI (a receiver report
 * without blocks, then the PLI) would go nowhere. Naming our RTCP SSRC on
 * the video m-line lets Janus file our PLIs under the video and pass them
 * to the publisher. */
static gchar *answer_naming_rtcp_ssrc(RoomSubscriber *s, const gchar *sdp)
{
    guint32 ssrc = 0;
    gchar *named = NULL;
    if (room_webrtc_rtcp_ssrc(s->webrtc, &ssrc))
        named = room_webrtc_sdp_add_ssrc(sdp, "video", ssrc, "facet-room");
    if (!named)
        g_printerr("facet-room: feed %s: our RTCP SSRC is unknown: keyframe requests may not "
                   "reach the sender\n", s->display);
    return named ? named : g_strdup(sdp);
}

static void deliver_answer(gpointer owner, gpointer data)
{
    RoomSubscriber *s = owner;
    gchar *sdp = answer_naming_rtcp_ssrc(s, data);
    s->callbacks.answer(s, sdp, s->data);
    g_free(sdp);
    /* At once: an SCTP association that has not spoken gets nothing from
     * Janus. */
    if (!s->channel)
        g_signal_emit_by_name(s->webrtc, "create-data-channel", "facet", NULL, &s->channel);
    if (s->channel) {
        watch_channel(s, s->channel);
        g_signal_connect(s->channel, "on-open", G_CALLBACK(on_channel_open), s);
    } else
        s->callbacks.error(s, "webrtcbin made no data channel", s->data);
}

static void on_answer_created(GstPromise *promise, gpointer data)
{
    RoomSubscriber *s = data;
    gchar *sdp = room_webrtc_take_description(s->webrtc, promise, "answer");
    if (sdp)
        room_relay_call(s->relay, deliver_answer, sdp, g_free);
    else
        g_printerr("facet-room: feed %s: webrtcbin made no answer\n", s->display);
}

static void deliver_candidate(gpointer owner, guint mline_index, const gchar *candidate)
{
    RoomSubscriber *s = owner;
    s->callbacks.candidate(s, mline_index, candidate, s->data);
}

static gboolean on_bus(GstBus *bus, GstMessage *message, gpointer data)
{
    (void)bus;
    RoomSubscriber *s = data;
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
        GError *error = NULL;
        gst_message_parse_error(message, &error, NULL);
        gchar *text = g_strdup_printf("%s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(message)),
                                      error->message);
        s->callbacks.error(s, text, s->data);
        g_free(text);
        g_error_free(error);
    }
    return G_SOURCE_CONTINUE;
}

RoomSubscriber *room_subscriber_new(guint64 feed_id, const gchar *display,
                                    const RoomOptions *options,
                                    const RoomSubscriberCallbacks *callbacks, gpointer data,
                                    RoomFeedShow show, gpointer show_data, GError **error)
{
    RoomSubscriber *s = g_new0(RoomSubscriber, 1);
    g_mutex_init(&s->lock);
    s->feed_id = feed_id;
    s->display = g_strdup(display);
    s->callbacks = *callbacks;
    s->data = data;
    s->relay = room_relay_new(s);
    s->remote_channels = g_ptr_array_new_with_free_func(g_object_unref);
    room_vp8_assembler_init(&s->assembler);
    s->feed = room_feed_new(display, options->model, options->width, options->height, show,
                            show_data, error);
    if (!s->feed)
        goto error;
    s->pipeline = gst_pipeline_new(NULL);
    s->webrtc = gst_element_factory_make("webrtcbin", NULL);
    if (!s->webrtc) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "no webrtcbin element (gstreamer1.0-plugins-bad, gstreamer1.0-nice)");
        goto error;
    }
    g_object_set(s->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
    gst_bin_add(GST_BIN(s->pipeline), gst_object_ref(s->webrtc));
    g_signal_connect(s->webrtc, "pad-added", G_CALLBACK(on_pad_added), s);
    g_signal_connect(s->webrtc, "on-data-channel", G_CALLBACK(on_data_channel), s);
    room_webrtc_watch_candidates(s->webrtc, s->relay, deliver_candidate);
    GstBus *bus = gst_element_get_bus(s->pipeline);
    s->bus_watch = gst_bus_add_watch(bus, on_bus, s);
    gst_object_unref(bus);
    return s;

error:
    room_subscriber_free(s);
    return NULL;
}

gboolean room_subscriber_set_offer(RoomSubscriber *s, const gchar *sdp, GError **error)
{
    if (gst_element_set_state(s->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "feed %s: the receiving pipeline did "
                    "not start", s->display);
        return FALSE;
    }
    if (!room_webrtc_set_remote(s->webrtc, GST_WEBRTC_SDP_TYPE_OFFER, sdp, error))
        return FALSE;
    GstPromise *promise = gst_promise_new_with_change_func(on_answer_created, s, NULL);
    g_signal_emit_by_name(s->webrtc, "create-answer", NULL, promise);
    return TRUE;
}

guint64 room_subscriber_feed_id(const RoomSubscriber *s)
{
    return s->feed_id;
}

const gchar *room_subscriber_display(const RoomSubscriber *s)
{
    return s->display;
}

void room_subscriber_counters(RoomSubscriber *s, RoomFeedCounters *out)
{
    room_feed_counters(s->feed, out);
}

guint64 room_subscriber_plis(RoomSubscriber *s)
{
    return (guint64)g_atomic_int_get(&s->plis);
}

guint64 room_subscriber_audio_packets(RoomSubscriber *s)
{
    return (guint64)g_atomic_int_get(&s->audio_packets);
}

void room_subscriber_free(RoomSubscriber *s)
{
    if (!s)
        return;
    if (s->pipeline)
        gst_element_set_state(s->pipeline, GST_STATE_NULL);
    g_clear_handle_id(&s->bus_watch, g_source_remove);
    g_clear_object(&s->channel);
    g_ptr_array_unref(s->remote_channels);
    g_clear_object(&s->webrtc);
    g_clear_object(&s->pipeline);
    room_relay_detach(s->relay);
    room_feed_free(s->feed);
    room_vp8_assembler_clear(&s->assembler);
    g_mutex_clear(&s->lock);
    g_free(s->display);
    g_free(s);
}
