/* SPDX-License-Identifier: BSD-2-Clause */
/* The sending side: source -> Facet latent encoder -> VP8 RTP + data channel. */
#include "room_publisher.h"

#include <string.h>

#include <gst/app/app.h>
#include <gst/rtp/rtp.h>
#include <gst/video/video.h>
#include <facet/facet.h>

#include "room_message.h"
#include "room_vp8.h"
#include "room_webrtc.h"

#define VIDEO_PT 96
#define AUDIO_PT 111

struct RoomPublisher {
    RoomOptions options;        /* a shallow copy: the strings are the caller's */
    RoomPublisherCallbacks callbacks;
    gpointer data;
    RoomRelay *relay;

    GstElement *pipeline;
    GstElement *webrtc;
    GstElement *appsrc;
    GstWebRTCDataChannel *channel;
    guint bus_watch;
    gboolean offered;

    /* The encoder and all below: the raw appsink's streaming thread only. */
    FacetEncoder *encoder;
    guint16 picture_id_offset;  /* rtpvp8pay's first picture id */
    guint64 payloaded_frames;   /* the payloader's thread: frames it started */
    guint64 frame_index;        /* frames pushed so far */
    guint8 header[FACET_STREAM_HEADER_MAX_SIZE];
    gsize header_size;
    guint32 model_id;
    GPtrArray *current;         /* the last whole reference: its REFERENCE packets (GBytes) */
    GPtrArray *building;        /* the one being sent */
    guint16 building_id;
    gint building_count;
    gint64 last_resend_us;
    gboolean header_sent;       /* a stream header went out on an open channel */

    /* Set from other threads. */
    gint keyframe_wanted;
    gint resend_wanted;

    GMutex lock;                /* counters */
    RoomPublisherCounters counters;
};

static void count(RoomPublisher *p, gsize offset, guint64 amount)
{
    g_mutex_lock(&p->lock);
    *(guint64 *)((guint8 *)&p->counters + offset) += amount;
    g_mutex_unlock(&p->lock);
}
#define COUNT(p, name, amount) count(p, G_STRUCT_OFFSET(RoomPublisherCounters, name), amount)

void room_publisher_counters(RoomPublisher *p, RoomPublisherCounters *out)
{
    g_mutex_lock(&p->lock);
    *out = p->counters;
    g_mutex_unlock(&p->lock);
}

static void log_to_stderr(void *opaque, const char *message)
{
    (void)opaque;
    g_printerr("facet-room: encoder: %s\n", message);
}

/* ---- the data channel --------------------------------------------------- */

static gboolean channel_open(RoomPublisher *p)
{
    GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CLOSED;
    if (p->channel)
        g_object_get(p->channel, "ready-state", &state, NULL);
    return state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN;
}

/* One message: a reference fragment (packet), or with packet NULL the
 * stream header alone. */
static void send_message(RoomPublisher *p, GBytes *packet, guint16 picture_id)
{
    if (!channel_open(p) || p->header_size == 0) {
        COUNT(p, messages_unsent, 1);
        return;
    }
    FacetPacketInfo info = { .struct_size = sizeof(info) };
    gsize size = 0;
    const guint8 *data = packet ? g_bytes_get_data(packet, &size) : NULL;
    if (packet && facet_packet_peek(data, size, &info) < 0)
        return;
    RoomMessage message = {
        .kind = packet ? ROOM_MESSAGE_KIND_REFERENCE : ROOM_MESSAGE_KIND_STREAM_HEADER,
        .model_id = p->model_id,
        .reference_id = (guint16)info.reference_id,
        .picture_id = picture_id,
        .stream_header = p->header,
        .stream_header_size = p->header_size,
        .packet = data,
        .packet_size = size,
    };
    GError *error = NULL;
    GBytes *bytes = room_message_pack(&message, &error);
    if (bytes && gst_webrtc_data_channel_send_data_full(p->channel, bytes, &error)) {
        COUNT(p, messages_sent, 1);
        COUNT(p, message_bytes_sent, g_bytes_get_size(bytes));
    } else {
        COUNT(p, messages_unsent, 1);
        g_printerr("facet-room: a reference fragment was not sent: %s\n",
                   error ? error->message : "?");
    }
    g_clear_error(&error);
    if (bytes)
        g_bytes_unref(bytes);
}

/* A fragment from the encoder: sent at once, and kept for re-sends once
 * its reference is whole. */
static void take_fragment(RoomPublisher *p, const FacetPacket *packet, guint16 picture_id)
{
    FacetPacketInfo info = { .struct_size = sizeof(info) };
    if (facet_packet_peek(packet->data, packet->size, &info) < 0)
        return;
    guint16 id = (guint16)info.reference_id;
    if (p->building->len == 0 || id != p->building_id ||
        info.fragment_count != p->building_count) {
        g_ptr_array_set_size(p->building, 0);
        p->building_id = id;
        p->building_count = info.fragment_count;
        COUNT(p, references_begun, 1);
    }
    GBytes *bytes = g_bytes_new(packet->data, packet->size);
    g_ptr_array_add(p->building, g_bytes_ref(bytes));
    if ((gint)p->building->len == p->building_count) {
        GPtrArray *whole = p->building;
        p->building = p->current;
        g_ptr_array_set_size(p->building, 0);
        p->current = whole;
    }
    send_message(p, bytes, picture_id);
    g_bytes_unref(bytes);
}

/* What a subscriber that joined late needs: the stream header (alone:
 * with references off it travels no other way) and the current
 * reference, whole. */
static void resend_state(RoomPublisher *p, guint16 picture_id)
{
    send_message(p, NULL, picture_id);
    p->header_sent = channel_open(p) && p->header_size > 0;
    if (p->current->len == 0)
        return;
    for (guint i = 0; i < p->current->len; i++)
        send_message(p, g_ptr_array_index(p->current, i), picture_id);
    COUNT(p, reference_resends, 1);
}

/* ---- encoding ------------------------------------------------------------ */

static gboolean push_unit(RoomPublisher *p, const FacetPacket *packet, GstClockTime pts,
                          GstClockTime duration)
{
    const uint8_t *unit = NULL;
    size_t unit_size = 0;
    int ret = facet_packet_base_unit(packet->data, packet->size, &unit, &unit_size);
    if (ret < 0) {
        g_printerr("facet-room: the encoder's packet has no base unit: %s\n",
                   facet_strerror(ret));
        return FALSE;
    }
    if (packet->flags & FACET_PACKET_FLAG_KEYFRAME) {
        size_t header_size = 0;
        FacetPacketInfo info = { .struct_size = sizeof(info) };
        if (facet_packet_stream_header(packet->data, packet->size, p->header, &header_size) == 0 &&
            facet_packet_peek(packet->data, packet->size, &info) == 0) {
            p->header_size = header_size;
            p->model_id = info.model_id;
        }
        COUNT(p, keyframes_sent, 1);
    }
    GstBuffer *buffer = gst_buffer_new_memdup(unit, unit_size);
    GST_BUFFER_PTS(buffer) = pts;
    GST_BUFFER_DURATION(buffer) = duration;
    if (!(packet->flags & FACET_PACKET_FLAG_KEYFRAME))
        GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    if (gst_app_src_push_buffer(GST_APP_SRC(p->appsrc), buffer) != GST_FLOW_OK)
        return FALSE;
    COUNT(p, frames_sent, 1);
    COUNT(p, vp8_bytes_sent, unit_size);
    return TRUE;
}

static GstFlowReturn on_raw_sample(GstAppSink *sink, gpointer data)
{
    RoomPublisher *p = data;
    GstSample *sample = gst_app_sink_pull_sample(sink);
    if (!sample)
        return GST_FLOW_EOS;
    GstVideoInfo info;
    GstVideoFrame frame;
    GstBuffer *buffer = gst_sample_get_buffer(sample);
    if (!gst_video_info_from_caps(&info, gst_sample_get_caps(sample)) ||
        !gst_video_frame_map(&frame, &info, buffer, GST_MAP_READ)) {
        gst_sample_unref(sample);
        return GST_FLOW_ERROR;
    }
    FacetPicture picture = {
        .format = FACET_PIXEL_FORMAT_I420,
        .width = GST_VIDEO_FRAME_WIDTH(&frame),
        .height = GST_VIDEO_FRAME_HEIGHT(&frame),
        .pts = (int64_t)p->frame_index,
    };
    for (int i = 0; i < 3; i++) {
        picture.data[i] = GST_VIDEO_FRAME_PLANE_DATA(&frame, i);
        picture.stride[i] = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, i);
    }
    if (g_atomic_int_compare_and_exchange(&p->keyframe_wanted, 1, 0))
        facet_encoder_request_keyframe(p->encoder);
    int ret = facet_encoder_send_frame(p->encoder, &picture);
    gst_video_frame_unmap(&frame);
    GstClockTime pts = GST_BUFFER_PTS(buffer), duration = GST_BUFFER_DURATION(buffer);
    gst_sample_unref(sample);
    if (ret < 0) {
        g_printerr("facet-room: the encoder refused a frame: %s\n", facet_strerror(ret));
        return ret == FACET_ERR(EIO) ? GST_FLOW_ERROR : GST_FLOW_OK;
    }
    /* rtpvp8pay numbers the frames it gets from picture-id-offset on. */
    guint16 picture_id = (guint16)((p->picture_id_offset + p->frame_index) & 0x7fff);
    gboolean pushed = FALSE;
    FacetPacket packet = { 0 };
    while (facet_encoder_receive_packet(p->encoder, &packet) == 0) {
        FacetPacketInfo peek = { .struct_size = sizeof(peek) };
        if (facet_packet_peek(packet.data, packet.size, &peek) == 0) {
            if (peek.type == FACET_PACKET_TYPE_REFERENCE)
                take_fragment(p, &packet, picture_id);
            else if (!pushed)
                pushed = push_unit(p, &packet, pts, duration);
        }
        facet_packet_unref(&packet);
    }
    if (pushed)
        p->frame_index++;
    gint64 now = g_get_monotonic_time();
    gboolean interval = now - p->last_resend_us >=
                        (gint64)(p->options.reference_resend * G_USEC_PER_SEC);
    /* Also as soon as the channel opens: the first subscribers need the
     * header before any re-send is due. */
    gboolean first = !p->header_sent && p->header_size > 0 && channel_open(p);
    if (pushed &&
        (g_atomic_int_compare_and_exchange(&p->resend_wanted, 1, 0) || interval || first)) {
        resend_state(p, picture_id);
        p->last_resend_us = now;
    }
    return GST_FLOW_OK;
}

/* A subscriber's PLI (Janus forwards it) comes up from the payloader as a
 * force-key-unit event: a keyframe for its decoder, and the reference
 * again, which it has no other way to get. */
static GstPadProbeReturn on_upstream_event(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    (void)pad;
    RoomPublisher *p = data;
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    if (gst_video_event_is_force_key_unit(event)) {
        COUNT(p, keyframe_requests, 1);
        g_atomic_int_set(&p->keyframe_wanted, 1);
        g_atomic_int_set(&p->resend_wanted, 1);
    }
    return GST_PAD_PROBE_OK;
}

/* Checks the payloader's picture ids against ours (first packet of each
 * frame): references name frames by it. */
static GstPadProbeReturn on_payloaded(GstPad *pad, GstPadProbeInfo *info, gpointer data);

/* ---- negotiation --------------------------------------------------------- */

static void deliver_offer(gpointer owner, gpointer data)
{
    RoomPublisher *p = owner;
    p->callbacks.offer(p, data, p->data);
}

static void on_offer_created(GstPromise *promise, gpointer data)
{
    RoomPublisher *p = data;
    gchar *sdp = room_webrtc_take_description(p->webrtc, promise, "offer");
    if (sdp)
        room_relay_call(p->relay, deliver_offer, sdp, g_free);
    else
        g_printerr("facet-room: webrtcbin made no offer\n");
}

static void on_negotiation_needed(GstElement *webrtc, gpointer data)
{
    RoomPublisher *p = data;
    /* Janus takes one offer per publisher: the first has every stream. */
    if (g_atomic_int_get(&p->offered))
        return;
    g_atomic_int_set(&p->offered, TRUE);
    GstPromise *promise = gst_promise_new_with_change_func(on_offer_created, p, NULL);
    g_signal_emit_by_name(webrtc, "create-offer", NULL, promise);
}

static void deliver_candidate(gpointer owner, guint mline_index, const gchar *candidate)
{
    RoomPublisher *p = owner;
    p->callbacks.candidate(p, mline_index, candidate, p->data);
}

static gboolean on_bus(GstBus *bus, GstMessage *message, gpointer data)
{
    (void)bus;
    RoomPublisher *p = data;
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
        GError *error = NULL;
        gchar *debug = NULL;
        gst_message_parse_error(message, &error, &debug);
        gchar *text = g_strdup_printf("%s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(message)),
                                      error->message);
        p->callbacks.error(p, text, p->data);
        g_free(text);
        g_error_free(error);
        g_free(debug);
    } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS) {
        p->callbacks.error(p, "the input ended", p->data);
    }
    return G_SOURCE_CONTINUE;
}

/* ---- life ------------------------------------------------------------------ */

static gchar *pipeline_description(const RoomOptions *o, guint16 offset)
{
    GString *d = g_string_new(NULL);
    if (o->input)
        g_string_append(d, "filesrc name=file ! decodebin ! ");
    else
        g_string_append(d, "videotestsrc is-live=true pattern=ball motion=sweep "
                           "background-color=0xff305070 ! ");
    g_string_append_printf(d,
        "videoconvert ! videoscale ! videorate ! video/x-raw,format=I420,width=%d,height=%d,"
        "framerate=%d/1,pixel-aspect-ratio=1/1 ! appsink name=raw sync=true max-buffers=2 "
        "drop=true "
        "appsrc name=vp8 is-live=true format=time caps=video/x-vp8,framerate=%d/1 "
        "! rtpvp8pay name=pay picture-id-mode=15-bit picture-id-offset=%u pt=%d mtu=1200 "
        "! application/x-rtp,media=video,encoding-name=VP8,payload=%d,clock-rate=90000 "
        "! webrtc. ",
        o->width, o->height, o->fps, o->fps, offset, VIDEO_PT, VIDEO_PT);
    if (!o->no_audio)
        g_string_append_printf(d,
            "audiotestsrc is-live=true wave=sine freq=330 volume=0.05 ! audioconvert "
            "! audioresample ! audio/x-raw,rate=48000,channels=1 ! opusenc bitrate=16000 "
            "! rtpopuspay pt=%d ! application/x-rtp,media=audio,encoding-name=OPUS,"
            "payload=%d,clock-rate=48000 ! webrtc. ", AUDIO_PT, AUDIO_PT);
    g_string_append(d, "webrtcbin name=webrtc bundle-policy=max-bundle");
    return g_string_free(d, FALSE);
}

static gboolean open_encoder(RoomPublisher *p, GError **error)
{
    FacetEncoderSettings s;
    facet_encoder_default_settings(&s);
    s.width = p->options.width;
    s.height = p->options.height;
    s.fps_num = p->options.fps;
    s.fps_den = 1;
    s.mode = FACET_STREAM_MODE_LATENT;
    s.base_codec = FACET_BASE_CODEC_VP8;
    s.bitrate = (int)p->options.bitrate_kbps * 1000;
    s.latent_model_path = p->options.model;
    s.threads = 1;
    s.references = (FacetLatentReferences)p->options.references;
    s.log_callback = log_to_stderr;
    int ret = facet_encoder_open(&p->encoder, &s);
    if (ret < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "the Facet latent encoder did not open (%dx%d, %u kbit/s): %s",
                    s.width, s.height, p->options.bitrate_kbps, facet_strerror(ret));
        return FALSE;
    }
    return TRUE;
}

RoomPublisher *room_publisher_new(const RoomOptions *options,
                                  const RoomPublisherCallbacks *callbacks, gpointer data,
                                  GError **error)
{
    RoomPublisher *p = g_new0(RoomPublisher, 1);
    g_mutex_init(&p->lock);
    p->options = *options;
    p->callbacks = *callbacks;
    p->data = data;
    p->relay = room_relay_new(p);
    p->current = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    p->building = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    p->picture_id_offset = (guint16)g_random_int_range(0, 0x8000);
    p->last_resend_us = g_get_monotonic_time();
    if (!open_encoder(p, error))
        goto error;

    gchar *description = pipeline_description(options, p->picture_id_offset);
    p->pipeline = gst_parse_launch(description, error);
    g_free(description);
    if (!p->pipeline)
        goto error;
    p->webrtc = gst_bin_get_by_name(GST_BIN(p->pipeline), "webrtc");
    p->appsrc = gst_bin_get_by_name(GST_BIN(p->pipeline), "vp8");
    if (options->input) {
        GstElement *file = gst_bin_get_by_name(GST_BIN(p->pipeline), "file");
        g_object_set(file, "location", options->input, NULL);
        gst_object_unref(file);
    }
    GstElement *raw = gst_bin_get_by_name(GST_BIN(p->pipeline), "raw");
    GstAppSinkCallbacks sink_callbacks = { .new_sample = on_raw_sample };
    gst_app_sink_set_callbacks(GST_APP_SINK(raw), &sink_callbacks, p, NULL);
    gst_object_unref(raw);

    GstPad *pad = gst_element_get_static_pad(p->appsrc, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream_event, p, NULL);
    gst_object_unref(pad);
    GstElement *pay = gst_bin_get_by_name(GST_BIN(p->pipeline), "pay");
    pad = gst_element_get_static_pad(pay, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_payloaded, p, NULL);
    gst_object_unref(pad);
    gst_object_unref(pay);

    /* Janus receives; we only send. */
    GstIterator *pads = gst_element_iterate_sink_pads(p->webrtc);
    GValue item = G_VALUE_INIT;
    while (gst_iterator_next(pads, &item) == GST_ITERATOR_OK) {
        GstWebRTCRTPTransceiver *transceiver = NULL;
        g_object_get(g_value_get_object(&item), "transceiver", &transceiver, NULL);
        if (transceiver) {
            g_object_set(transceiver, "direction",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
            gst_object_unref(transceiver);
        }
        g_value_reset(&item);
    }
    g_value_unset(&item);
    gst_iterator_free(pads);

    g_signal_connect(p->webrtc, "on-negotiation-needed", G_CALLBACK(on_negotiation_needed), p);
    room_webrtc_watch_candidates(p->webrtc, p->relay, deliver_candidate);
    GstBus *bus = gst_element_get_bus(p->pipeline);
    p->bus_watch = gst_bus_add_watch(bus, on_bus, p);
    gst_object_unref(bus);
    return p;

error:
    room_publisher_free(p);
    return NULL;
}

static GstPadProbeReturn on_payloaded(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    (void)pad;
    RoomPublisher *p = data;
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (!gst_rtp_buffer_map(GST_PAD_PROBE_INFO_BUFFER(info), GST_MAP_READ, &rtp))
        return GST_PAD_PROBE_OK;
    RoomVp8Descriptor descriptor;
    if (room_vp8_parse_descriptor(gst_rtp_buffer_get_payload(&rtp),
                                  gst_rtp_buffer_get_payload_len(&rtp), &descriptor) &&
        descriptor.start) {
        guint16 expected = (guint16)((p->picture_id_offset + p->payloaded_frames) & 0x7fff);
        if (!descriptor.has_picture_id || descriptor.picture_id != expected) {
            COUNT(p, picture_id_mismatches, 1);
            /* Follow the payloader from here on: one message is enough. */
            if (descriptor.has_picture_id)
                p->payloaded_frames =
                    (guint64)((descriptor.picture_id - p->picture_id_offset) & 0x7fff);
        }
        p->payloaded_frames++;
    }
    gst_rtp_buffer_unmap(&rtp);
    return GST_PAD_PROBE_OK;
}

gboolean room_publisher_start(RoomPublisher *p, GError **error)
{
    if (gst_element_set_state(p->pipeline, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the sending pipeline did not start");
        return FALSE;
    }
    /* Before the offer, so that it has an m=application line. */
    g_signal_emit_by_name(p->webrtc, "create-data-channel", "facet", NULL, &p->channel);
    if (!p->channel) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "webrtcbin made no data channel");
        return FALSE;
    }
    if (gst_element_set_state(p->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the sending pipeline did not start");
        return FALSE;
    }
    return TRUE;
}

void room_publisher_set_answer(RoomPublisher *p, const gchar *sdp)
{
    GError *error = NULL;
    if (!room_webrtc_set_remote(p->webrtc, GST_WEBRTC_SDP_TYPE_ANSWER, sdp, &error)) {
        p->callbacks.error(p, error->message, p->data);
        g_error_free(error);
    }
}

void room_publisher_free(RoomPublisher *p)
{
    if (!p)
        return;
    if (p->pipeline)
        gst_element_set_state(p->pipeline, GST_STATE_NULL);
    g_clear_handle_id(&p->bus_watch, g_source_remove);
    g_clear_object(&p->channel);
    g_clear_object(&p->appsrc);
    g_clear_object(&p->webrtc);
    g_clear_object(&p->pipeline);
    room_relay_detach(p->relay);
    facet_encoder_close(&p->encoder);
    g_ptr_array_unref(p->current);
    g_ptr_array_unref(p->building);
    g_mutex_clear(&p->lock);
    g_free(p);
}
