/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's pipeline (call_pipeline.h): building it, rtpbin's signals
 * (SRTP, retransmission, receiver reports), ending it. The probes on it are
 * in call_taps.c. */
#include "call_pipeline_private.h"

#include "call_media.h"

#define CALL_PIPELINE_ERROR (g_quark_from_static_string("facet-call-pipeline"))

/* Below the usual 1500-byte Ethernet MTU with room for IP/UDP and tunnels. */
#define VIDEO_MTU 1200
/* How often rtpbin sends regular RTCP reports (and may send PLI early in
 * between): RFC 3550's 5 s is long for noticing a peer in a call. */
#define RTCP_INTERVAL (GST_SECOND / 2)
/* The RTCP bandwidth in bit/s that bounds early feedback (NACK, PLI, FIR)
 * between regular reports: with four members and reports of about 100
 * bytes, one early packet per 8 x 100 x 4 / 64000 = 50 ms at most
 * (tune_sessions). */
#define RTCP_FEEDBACK_BANDWIDTH 64000
/* How long the end of a call waits for the BYEs before it ends the
 * receiving side anyway. */
#define END_RECEIVING_AFTER_MS 2000
/* How long an unanswered keyframe request waits before it is repeated: a
 * few frames and round trips of a call on a LAN. */
#define KEYFRAME_REQUEST_INTERVAL_MS 100
/* How much video the sender keeps for retransmission: a few round trips of
 * a call and well over the receiver's jitter buffer. */
#define RTX_KEEP_MS 1000

static GstCaps *receive_caps(CallChannel channel)
{
    switch (channel) {
    case CALL_VIDEO_RTP:
        /* rtcp-fb-nack-pli: rtpbin turns the depayloader's keyframe
         * requests into RTCP PLI only for payload types that say so;
         * rtcp-fb-ccm-fir the same for reference requests; rtcp-fb-nack:
         * the jitter buffer's retransmission requests. */
        return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "video",
                                   "clock-rate", G_TYPE_INT, 90000, "encoding-name",
                                   G_TYPE_STRING, "X-FACET", "payload", G_TYPE_INT,
                                   CALL_VIDEO_PT, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
                                   "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, "rtcp-fb-nack",
                                   G_TYPE_BOOLEAN, TRUE, NULL);
    case CALL_AUDIO_RTP:
        return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio",
                                   "clock-rate", G_TYPE_INT, 48000, "encoding-name",
                                   G_TYPE_STRING, "OPUS", "payload", G_TYPE_INT, CALL_AUDIO_PT,
                                   "encoding-params", G_TYPE_STRING, "2", "sprop-stereo",
                                   G_TYPE_STRING, "0", NULL);
    default:
        return gst_caps_new_empty_simple("application/x-rtcp");
    }
}

/* ---- rtpbin signals ---------------------------------------------------- */

static void on_rtpbin_pad(GstElement *rtpbin, GstPad *pad, gpointer data)
{
    CallPipeline *self = data;
    const gchar *name = GST_PAD_NAME(pad);
    GstElement *depay = NULL;
    GstPad *sink;
    (void)rtpbin;

    if (g_str_has_prefix(name, "recv_rtp_src_0_"))
        depay = self->video_depay;
    else if (g_str_has_prefix(name, "recv_rtp_src_1_"))
        depay = self->audio_depay;
    else
        return;
    sink = gst_element_get_static_pad(depay, "sink");
    if (gst_pad_is_linked(sink) || gst_pad_link(pad, sink) != GST_PAD_LINK_OK) {
        g_printerr("facet-call: ignoring a second stream on %s\n", name);
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                          call_tap_drop_all, NULL, NULL);
    }
    gst_object_unref(sink);
}

static GstCaps *on_request_pt_map(GstElement *rtpbin, guint session, guint pt, gpointer data)
{
    (void)rtpbin;
    (void)data;
    if (session == 0 && pt == CALL_VIDEO_PT)
        return receive_caps(CALL_VIDEO_RTP);
    /* is-fec: rtpbin's payload demuxer drops these after the jitter
     * buffer has taken them in sequence (call_pipeline_fec.c). */
    if (session == 0 && pt == CALL_VIDEO_FEC_PT)
        return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "video",
                                   "clock-rate", G_TYPE_INT, 90000, "encoding-name",
                                   G_TYPE_STRING, "ULPFEC", "is-fec", G_TYPE_BOOLEAN, TRUE, NULL);
    if (session == 0 && pt == CALL_VIDEO_RTX_PT)
        return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "video",
                                   "clock-rate", G_TYPE_INT, 90000, "encoding-name",
                                   G_TYPE_STRING, "RTX", "apt", G_TYPE_INT, CALL_VIDEO_PT, NULL);
    if (session == 1 && pt == CALL_AUDIO_PT)
        return receive_caps(CALL_AUDIO_RTP);
    return NULL;
}

/* SRTP: one srtpenc and one srtpdec per session, made up front (their
 * errors then come before the call starts) and handed to rtpbin when it
 * asks; rtpbin adds them to itself. */
static GstElement *on_request_encoder(GstElement *rtpbin, guint session, gpointer data)
{
    CallPipeline *self = data;
    (void)rtpbin;
    return session < 2 && self->srtpenc[session] ? gst_object_ref(self->srtpenc[session]) : NULL;
}

static GstElement *on_request_decoder(GstElement *rtpbin, guint session, gpointer data)
{
    CallPipeline *self = data;
    (void)rtpbin;
    return session < 2 && self->srtpdec[session] ? gst_object_ref(self->srtpdec[session]) : NULL;
}

/* rtpbin takes srtpenc's rtp_sink_N/rtp_src_N and rtcp_sink_N/rtcp_src_N
 * as they are: they are requested here, and the plain taps of what we send
 * go on the sink pads. */
static gboolean request_encoder_pad(CallPipeline *self, guint session, gboolean rtcp,
                                    GError **error)
{
    gchar *name = g_strdup_printf(rtcp ? "rtcp_sink_%u" : "rtp_sink_%u", session);
    GstPad *pad = gst_element_request_pad_simple(self->srtpenc[session], name);
    ChannelProbe *probe;

    if (!pad) {
        g_set_error(error, CALL_PIPELINE_ERROR, 1, "srtpenc gave no %s pad", name);
        g_free(name);
        return FALSE;
    }
    g_free(name);
    probe = g_new0(ChannelProbe, 1);
    probe->pipeline = self;
    probe->channel = session * 2 + (rtcp ? 1 : 0);
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                      call_tap_clear_out, probe, g_free);
    gst_object_unref(pad);
    return TRUE;
}

static gboolean add_encryption(CallPipeline *self, const CallOptions *options, GError **error)
{
    call_srtp_init(&self->srtp, options->key, options->cipher,
                   options->role == CALL_ROLE_LISTEN);
    for (guint session = 0; session < 2; session++) {
        gchar *name = g_strdup_printf("srtpenc%u", session);
        self->srtpenc[session] = call_srtp_new_encoder(&self->srtp, name, error);
        g_free(name);
        if (!self->srtpenc[session])
            return FALSE;
        gst_object_ref_sink(self->srtpenc[session]);
        if (!request_encoder_pad(self, session, FALSE, error) ||
            !request_encoder_pad(self, session, TRUE, error))
            return FALSE;

        name = g_strdup_printf("srtpdec%u", session);
        self->srtpdec[session] = call_srtp_new_decoder(&self->srtp, name, error);
        g_free(name);
        if (!self->srtpdec[session])
            return FALSE;
        gst_object_ref_sink(self->srtpdec[session]);
        for (guint rtcp = 0; rtcp < 2; rtcp++) {
            ChannelProbe *probe = g_new0(ChannelProbe, 1);
            probe->pipeline = self;
            probe->channel = session * 2 + rtcp;
            call_tap_add(self->srtpdec[session], rtcp ? "rtcp_src" : "rtp_src",
                      GST_PAD_PROBE_TYPE_BUFFER, call_tap_decrypted, probe, g_free);
        }
    }
    g_signal_connect(self->rtpbin, "request-rtp-encoder", G_CALLBACK(on_request_encoder), self);
    g_signal_connect(self->rtpbin, "request-rtcp-encoder", G_CALLBACK(on_request_encoder), self);
    g_signal_connect(self->rtpbin, "request-rtp-decoder", G_CALLBACK(on_request_decoder), self);
    g_signal_connect(self->rtpbin, "request-rtcp-decoder", G_CALLBACK(on_request_decoder), self);
    call_net_set_encrypted(self->net);
    self->encrypted = TRUE;
    return TRUE;
}

/* Retransmission (RFC 4588) of the video: the receiver's jitter buffer
 * asks for a missing packet (RTCP generic NACK) when it can still arrive
 * in time, the sender's rtprtxsend resends it on its own SSRC and payload
 * type, the receiver's rtprtxreceive turns it back into the original. Both
 * sit in rtpbin as "aux" elements, a bin with sink_0 and src_0. */
static GstElement *rtx_bin(const gchar *factory)
{
    GstElement *bin, *rtx = gst_element_factory_make(factory, NULL);
    GstStructure *map;
    GstPad *pad;

    if (!rtx) {
        g_printerr("facet-call: %s is missing (gst-plugins-good): no retransmission\n",
                   factory);
        return NULL;
    }
    map = gst_structure_new("application/x-rtp-pt-map", G_STRINGIFY(CALL_VIDEO_PT), G_TYPE_UINT,
                            (guint)CALL_VIDEO_RTX_PT, NULL);
    g_object_set(rtx, "payload-type-map", map, NULL);
    gst_structure_free(map);
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(rtx), "max-size-time"))
        g_object_set(rtx, "max-size-time", (guint)RTX_KEEP_MS, NULL);
    bin = gst_bin_new(NULL);
    gst_bin_add(GST_BIN(bin), rtx);
    pad = gst_element_get_static_pad(rtx, "sink");
    gst_element_add_pad(bin, gst_ghost_pad_new("sink_0", pad));
    gst_object_unref(pad);
    pad = gst_element_get_static_pad(rtx, "src");
    gst_element_add_pad(bin, gst_ghost_pad_new("src_0", pad));
    gst_object_unref(pad);
    return bin;
}

static GstElement *on_request_aux_sender(GstElement *rtpbin, guint session, gpointer data)
{
    (void)rtpbin;
    (void)data;
    return session == 0 ? rtx_bin("rtprtxsend") : NULL;
}

static GstElement *on_request_aux_receiver(GstElement *rtpbin, guint session, gpointer data)
{
    (void)rtpbin;
    (void)data;
    return session == 0 ? rtx_bin("rtprtxreceive") : NULL;
}

/* The jitter buffer of the peer's video: read for its statistics (the
 * retransmissions it asked for and got), until its EOS
 * (call_jitter_stats.h says why). */
static void on_new_jitterbuffer(GstElement *rtpbin, GstElement *jitterbuffer, guint session,
                                guint ssrc, gpointer data)
{
    CallPipeline *self = data;
    (void)rtpbin;
    (void)ssrc;
    if (session == 0)
        call_jitter_stats_attach(&self->jitter_stats, jitterbuffer);
    /* Only the video is retransmitted: the audio's jitter buffer would ask
     * in vain (Opus conceals a lost 20 ms itself). */
    if (session == 1)
        g_object_set(jitterbuffer, "do-retransmission", FALSE, NULL);
}

/* The peer sent RTCP in a session: its receiver report may say how our
 * video fares. */
static void on_ssrc_active(GstElement *rtpbin, guint session, guint ssrc, gpointer data)
{
    CallPipeline *self = data;
    if (session == 0 && self->feedback_ready)
        call_feedback_on_active(&self->feedback, rtpbin, ssrc);
}

/* ---- construction ------------------------------------------------------ */

static gboolean link_pads(GstElement *src, const gchar *src_pad, GstElement *sink,
                          const gchar *sink_pad, GError **error)
{
    if (gst_element_link_pads(src, src_pad, sink, sink_pad))
        return TRUE;
    g_set_error(error, CALL_PIPELINE_ERROR, 1, "cannot link %s:%s to %s:%s",
                GST_ELEMENT_NAME(src), src_pad, GST_ELEMENT_NAME(sink), sink_pad);
    return FALSE;
}

static GstElement *add_new(CallPipeline *self, const gchar *factory, const gchar *name,
                           GError **error)
{
    GstElement *element = call_media_make(factory, name, error);
    if (element)
        gst_bin_add(GST_BIN(self->pipeline), element);
    return element;
}

static gboolean add_sockets(CallPipeline *self, GError **error)
{
    static const gchar *const names[CALL_CHANNELS] = { "video-rtp", "video-rtcp", "audio-rtp",
                                                       "audio-rtcp" };
    static const gchar *const recv_pads[CALL_CHANNELS] = { "recv_rtp_sink_0", "recv_rtcp_sink_0",
                                                           "recv_rtp_sink_1", "recv_rtcp_sink_1" };

    for (int i = 0; i < CALL_CHANNELS; i++) {
        gchar *name = g_strdup_printf("%s-in", names[i]);
        GstCaps *caps = receive_caps(i);
        ChannelProbe *probe;

        /* srtpdec takes the same caps named as encrypted. */
        if (self->encrypted)
            gst_structure_set_name(gst_caps_get_structure(caps, 0),
                                   i == CALL_VIDEO_RTCP || i == CALL_AUDIO_RTCP
                                       ? "application/x-srtcp"
                                       : "application/x-srtp");

        self->udpsrc[i] = add_new(self, "udpsrc", name, error);
        g_free(name);
        if (!self->udpsrc[i]) {
            gst_caps_unref(caps);
            return FALSE;
        }
        g_object_set(self->udpsrc[i], "socket", self->net->socket[i], "close-socket", FALSE,
                     "caps", caps, "retrieve-sender-address", TRUE, NULL);
        gst_caps_unref(caps);

        name = g_strdup_printf("%s-out", names[i]);
        self->udpsink[i] = add_new(self, "multiudpsink", name, error);
        g_free(name);
        if (!self->udpsink[i])
            return FALSE;
        /* Live media needs no pacing here, and RTCP never waits. */
        g_object_set(self->udpsink[i], "socket", self->net->socket[i], "close-socket", FALSE,
                     "sync", FALSE, "async", FALSE, NULL);
        call_net_attach_sender(self->net, i, self->udpsink[i]);

        probe = g_new0(ChannelProbe, 1);
        probe->pipeline = self;
        probe->channel = i;
        call_tap_add(self->udpsrc[i], "src", GST_PAD_PROBE_TYPE_BUFFER, call_tap_datagram, probe, g_free);
        probe = g_new0(ChannelProbe, 1);
        probe->pipeline = self;
        probe->channel = i;
        call_tap_add(self->udpsink[i], "sink",
                  GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
                      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                  call_tap_send, probe, g_free);

        if (!link_pads(self->udpsrc[i], "src", self->rtpbin, recv_pads[i], error))
            return FALSE;
    }
    return TRUE;
}

/* rtpbin's output of a channel to its socket, through a simulated network
 * (netsim) when one is asked for: after encryption, so that it loses and
 * delays what a real network would. */
static gboolean link_out(CallPipeline *self, const gchar *rtpbin_pad, CallChannel channel,
                         GError **error)
{
    GstElement *netsim;
    gchar *name;

    if (self->net_loss <= 0.0 && !self->net_delay_ms && !self->net_jitter_ms &&
        self->net_duplicate <= 0.0)
        return link_pads(self->rtpbin, rtpbin_pad, self->udpsink[channel], "sink", error);
    name = g_strdup_printf("netsim-%s", call_channel_name(channel));
    g_strdelimit(name, " ", '-');
    netsim = add_new(self, "netsim", name, error);
    g_free(name);
    if (!netsim)
        return FALSE;
    g_object_set(netsim, "drop-probability", (gfloat)(self->net_loss / 100.0),
                 "delay-probability", (gfloat)(self->net_delay_ms || self->net_jitter_ms ? 1.0 : 0.0),
                 "min-delay", self->net_delay_ms,
                 "max-delay", self->net_delay_ms + self->net_jitter_ms,
                 "allow-reordering", self->net_jitter_ms > 0,
                 "duplicate-probability", (gfloat)(self->net_duplicate / 100.0), NULL);
    return link_pads(self->rtpbin, rtpbin_pad, netsim, "sink", error) &&
           link_pads(netsim, "src", self->udpsink[channel], "sink", error);
}

/* --model names the model of the tier --mode asks for: the latent tier's
 * (latent-model) with --mode latent, else the keypoint tier's. The other
 * tier keeps the element's default, so that a peer of the other tier is
 * still decoded where that model is installed. */
static void set_model(GstElement *element, const CallOptions *options)
{
    if (!options->model)
        return;
    g_object_set(element, options->mode == CALL_MODE_LATENT ? "latent-model" : "model",
                 options->model, NULL);
}

/* --mode on facetenc. */
static gboolean set_mode(GstElement *element, const CallOptions *options, GError **error)
{
    if (options->mode == CALL_MODE_DEFAULT)
        return TRUE;
    if (!g_object_class_find_property(G_OBJECT_GET_CLASS(element), "mode")) {
        g_set_error(error, CALL_PIPELINE_ERROR, 1,
                    "--mode: this build's %s has no tiers to choose from (no 'mode' property)",
                    GST_ELEMENT_NAME(element));
        return FALSE;
    }
    gst_util_set_object_arg(G_OBJECT(element), "mode",
                            options->mode == CALL_MODE_LATENT ? "latent" : "keypoint");
    return TRUE;
}

static gboolean add_video_sender(CallPipeline *self, const CallOptions *options, GError **error)
{
    GstElement *source = call_media_video_source(options, &self->video_source_entry, error);
    GstElement *queue, *payloader;

    if (!source)
        return FALSE;
    gst_bin_add(GST_BIN(self->pipeline), source);
    if (!(queue = add_new(self, "queue", "video-queue", error)) ||
        !(self->encoder = add_new(self, "facetenc", "encoder", error)) ||
        !(payloader = add_new(self, "rtpfacetpay", "video-payloader", error)))
        return FALSE;
    /* A live source must not wait for a slow encoder: keep the newest
     * frame, drop older ones (a frame waiting here also delays the answer
     * to a keyframe request). */
    g_object_set(queue, "max-size-buffers", 1, "max-size-bytes", 0, "max-size-time",
                 (guint64)0, NULL);
    gst_util_set_object_arg(G_OBJECT(queue), "leaky", "downstream");
    g_object_set(self->encoder, "keyframe-interval", options->keyframe_interval, "threads",
                 options->threads, NULL);
    set_model(self->encoder, options);
    if (!set_mode(self->encoder, options, error))
        return FALSE;
    g_object_set(payloader, "pt", CALL_VIDEO_PT, "mtu", VIDEO_MTU, NULL);
    if (!gst_element_link_many(source, queue, self->encoder, payloader, NULL)) {
        g_set_error(error, CALL_PIPELINE_ERROR, 1, "cannot link the video sending chain");
        return FALSE;
    }
    call_tap_add(self->encoder, "src", GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
              call_tap_encoder_src, self, NULL);
    call_tap_add(source, "src", GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, call_tap_source_event, self, NULL);
    return link_pads(payloader, "src", self->rtpbin, "send_rtp_sink_0", error) &&
           link_out(self, "send_rtp_src_0", CALL_VIDEO_RTP, error) &&
           link_out(self, "send_rtcp_src_0", CALL_VIDEO_RTCP, error);
}

static gboolean add_audio_sender(CallPipeline *self, const CallOptions *options, GError **error)
{
    GstElement *source = call_media_audio_source(options, &self->audio_source_entry, error);
    GstElement *encoder, *payloader;

    if (!source)
        return FALSE;
    gst_bin_add(GST_BIN(self->pipeline), source);
    if (!(encoder = add_new(self, "opusenc", "audio-encoder", error)) ||
        !(payloader = add_new(self, "rtpopuspay", "audio-payloader", error)))
        return FALSE;
    g_object_set(encoder, "bitrate", options->audio_bitrate, NULL);
    gst_util_set_object_arg(G_OBJECT(encoder), "audio-type", "voice");
    gst_util_set_object_arg(G_OBJECT(encoder), "frame-size", "20");
    g_object_set(payloader, "pt", CALL_AUDIO_PT, NULL);
    if (!gst_element_link_many(source, encoder, payloader, NULL)) {
        g_set_error(error, CALL_PIPELINE_ERROR, 1, "cannot link the audio sending chain");
        return FALSE;
    }
    call_tap_add(source, "src", GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, call_tap_source_event, self, NULL);
    return link_pads(payloader, "src", self->rtpbin, "send_rtp_sink_1", error) &&
           link_out(self, "send_rtp_src_1", CALL_AUDIO_RTP, error) &&
           link_out(self, "send_rtcp_src_1", CALL_AUDIO_RTCP, error);
}

static gboolean add_receivers(CallPipeline *self, const CallOptions *options, GError **error)
{
    GstElement *mux = NULL, *video_out, *audio_out;

    if (options->headless_path &&
        !(mux = call_media_add_recorder(GST_BIN(self->pipeline), options->headless_path, error)))
        return FALSE;
    if (!(self->video_depay = add_new(self, "rtpfacetdepay", "video-depayloader", error)) ||
        !(self->decoder = add_new(self, "facetdec", "decoder", error)) ||
        !(video_out = call_media_add_video_output(GST_BIN(self->pipeline), mux, error)) ||
        !(self->audio_depay = add_new(self, "rtpopusdepay", "audio-depayloader", error)) ||
        !(audio_out = call_media_add_audio_output(GST_BIN(self->pipeline), mux, error)))
        return FALSE;
    /* A keyframe that answers a request can be lost too: ask again after
     * a few round trips of a call, not after the element's 500 ms. */
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(self->video_depay), "request-interval"))
        g_object_set(self->video_depay, "request-interval", KEYFRAME_REQUEST_INTERVAL_MS, NULL);
    g_object_set(self->decoder, "threads", options->threads, NULL);
    set_model(self->decoder, options);
    if (!gst_element_link_many(self->video_depay, self->decoder, video_out, NULL) ||
        !gst_element_link(self->audio_depay, audio_out)) {
        g_set_error(error, CALL_PIPELINE_ERROR, 1, "cannot link the receiving chains");
        return FALSE;
    }
    call_tap_add(self->decoder, "src", GST_PAD_PROBE_TYPE_BUFFER, call_tap_decoded_frame, self, NULL);
    return TRUE;
}

/* Session settings that exist only once rtpbin has made the sessions. */
static void tune_sessions(CallPipeline *self)
{
    for (guint id = 0; id < 2; id++) {
        GObject *session = NULL;
        g_signal_emit_by_name(self->rtpbin, "get-internal-session", id, &session);
        if (!session)
            continue;
        /* Immediate feedback (RFC 4585 section 3.5.2): a two-party call,
         * each party with a media and a retransmission SSRC, is four
         * members, above rtpsession's default of three. Reduced-size RTCP
         * (RFC 5506) lets a NACK or PLI go out alone.
         *
         * How often an early (feedback) RTCP packet may go out: rtpsession
         * allows one only after a regular report, or once T_rr has passed
         * since the last RTCP packet, where T_rr is the interval from the
         * RTCP *bandwidth* (RFC 3550 6.3, members x average RTCP size / RTCP
         * bandwidth), not the regular reports' minimum interval (RFC 4585's
         * T_rr_interval, rtcp-min-interval). The default RTCP bandwidth is
         * 5 % of the session's, at least 3.2 kbit/s, so T_rr is a second and
         * more: a second loss within it waits for the next regular report,
         * past the jitter buffer's deadline. An RTCP bandwidth of its own
         * (rtcp-fraction above 1 is bit/s) brings T_rr to tens of
         * milliseconds. Regular reports are then spaced by
         * rtcp-min-interval (the bandwidth rule no longer stretches them);
         * the rest of that bandwidth is only used by feedback for loss. */
        g_object_set(session, "rtcp-min-interval", (guint64)RTCP_INTERVAL,
                     "rtcp-immediate-feedback-threshold", 8u, "rtcp-reduced-size", TRUE,
                     "rtcp-fraction", (gdouble)RTCP_FEEDBACK_BANDWIDTH, NULL);
        /* No probation for new SSRCs: the first retransmissions, on an SSRC
         * of their own, would be dropped while it is "on probation"; what
         * reaches the session has passed the peer filter (and SRTP). */
        g_object_set(session, "probation", 0u, NULL);
        g_object_unref(session);
    }
}

CallPipeline *call_pipeline_new(const CallOptions *options, CallNet *net, CallStats *stats,
                                const CallEvents *events, GError **error)
{
    CallPipeline *self = g_new0(CallPipeline, 1);

    call_jitter_stats_init(&self->jitter_stats);
    self->net = net;
    self->stats = stats;
    self->latency_ms = options->latency_ms;
    self->events = *events;
    self->loss_percent = options->video_loss;
    self->net_loss = options->net_loss;
    self->net_delay_ms = options->net_delay_ms;
    self->net_jitter_ms = options->net_jitter_ms;
    self->net_duplicate = options->net_duplicate;
    self->drop_keyframe = options->drop_keyframe;
    self->loss_rand = g_rand_new_with_seed(options->loss_seed);
    self->pipeline = gst_pipeline_new("facet-call");
    self->backend = g_strdup("(decoder not open)");

    if (!(self->rtpbin = add_new(self, "rtpbin", "rtpbin", error)))
        goto error;
    g_object_set(self->rtpbin, "latency", (guint)options->latency_ms, "do-lost", TRUE,
                 "do-retransmission", options->retransmission, NULL);
    /* AVPF: a PLI goes out at once, not with the next regular report. */
    gst_util_set_object_arg(G_OBJECT(self->rtpbin), "rtp-profile", "avpf");
    g_signal_connect(self->rtpbin, "pad-added", G_CALLBACK(on_rtpbin_pad), self);
    g_signal_connect(self->rtpbin, "request-pt-map", G_CALLBACK(on_request_pt_map), self);
    g_signal_connect(self->rtpbin, "on-ssrc-active", G_CALLBACK(on_ssrc_active), self);
    g_signal_connect(self->rtpbin, "new-jitterbuffer", G_CALLBACK(on_new_jitterbuffer), self);
    if (options->retransmission) {
        g_signal_connect(self->rtpbin, "request-aux-sender", G_CALLBACK(on_request_aux_sender),
                         self);
        g_signal_connect(self->rtpbin, "request-aux-receiver",
                         G_CALLBACK(on_request_aux_receiver), self);
    }
    if (!call_pipeline_add_fec(self, options, error))
        goto error;
    if (options->key && !add_encryption(self, options, error))
        goto error;

    if (!add_receivers(self, options, error) || !add_sockets(self, error) ||
        !add_video_sender(self, options, error) || !add_audio_sender(self, options, error))
        goto error;
    /* Only the latent tier has a rate to adapt; the keypoint tier's is set
     * by its keyframe interval and quality. */
    call_feedback_init(&self->feedback,
                       options->mode == CALL_MODE_LATENT || options->bitrate_kbps ? self->encoder
                                                                                 : NULL,
                       options->bitrate_kbps, self->fec_encoder, options->fec_percent);
    self->feedback_ready = TRUE;
    if (options->bitrate_kbps && !self->feedback.adapting) {
        g_set_error(error, CALL_PIPELINE_ERROR, 1,
                    "--bitrate: this build's facetenc takes no bit rate (no 'bitrate' property)");
        goto error;
    }
    tune_sessions(self);
    return self;

error:
    call_pipeline_free(self);
    return NULL;
}

GstElement *call_pipeline_element(CallPipeline *self)
{
    return self->pipeline;
}

static void send_eos_to_pad(GstPad *pad)
{
    if (pad)
        gst_pad_send_event(pad, gst_event_new_eos());
}

/* The second step of the end: EOS into the receiving branches, behind the
 * packets already in the jitter buffers, which drains them into the window
 * or file. It waits for the first step's BYEs because rtpsession also ends
 * its RTCP output when its receiving side ends, and a BYE scheduled after
 * that would never leave. A branch that never got a stream is ended
 * directly. */
gboolean call_pipeline_end_receiving_in_main(gpointer data)
{
    CallPipeline *self = data;
    GstElement *depays[] = { self->video_depay, self->audio_depay };

    if (self->end_receiving_source) {
        g_source_remove(self->end_receiving_source);
        self->end_receiving_source = 0;
    }
    if (self->receiving_ended)
        return G_SOURCE_REMOVE;
    self->receiving_ended = TRUE;
    gst_element_send_event(self->udpsrc[CALL_VIDEO_RTP], gst_event_new_eos());
    gst_element_send_event(self->udpsrc[CALL_AUDIO_RTP], gst_event_new_eos());
    for (guint i = 0; i < G_N_ELEMENTS(depays); i++) {
        GstPad *sink = gst_element_get_static_pad(depays[i], "sink");
        if (!gst_pad_is_linked(sink))
            send_eos_to_pad(sink);
        gst_object_unref(sink);
    }
    return G_SOURCE_REMOVE;
}

static gboolean end_receiving_late(gpointer data)
{
    CallPipeline *self = data;
    self->end_receiving_source = 0;
    return call_pipeline_end_receiving_in_main(self);
}

void call_pipeline_end(CallPipeline *self)
{
    /* First the sending side: the media stop, and rtpbin sends RTCP BYE in
     * both sessions and passes EOS to the sockets. */
    send_eos_to_pad(self->video_source_entry);
    send_eos_to_pad(self->audio_source_entry);
    /* Should a BYE never go out (a session that never sent), the receiving
     * side ends anyway. */
    if (!self->receiving_ended && !self->end_receiving_source)
        self->end_receiving_source = g_timeout_add(END_RECEIVING_AFTER_MS, end_receiving_late,
                                                   self);
}

gint64 call_pipeline_video_packets_lost(CallPipeline *self)
{
    GObject *session = NULL;
    GValueArray *sources = NULL;
    gint64 lost = 0;
    gboolean found = FALSE;

    g_signal_emit_by_name(self->rtpbin, "get-internal-session", 0u, &session);
    if (!session)
        return self->video_packets_lost;
    g_object_get(session, "sources", &sources, NULL);
    /* rtpsession's API hands its sources out as a GValueArray. */
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    for (guint i = 0; sources && i < sources->n_values; i++) {
        GObject *source = g_value_get_object(g_value_array_get_nth(sources, i));
        GstStructure *stats = NULL;
        gboolean internal = TRUE;
        gint source_lost;

        g_object_get(source, "stats", &stats, NULL);
        if (stats && gst_structure_get_boolean(stats, "internal", &internal) && !internal &&
            gst_structure_get_int(stats, "packets-lost", &source_lost)) {
            /* Duplicates make RFC 3550's count negative; show them as none. */
            lost += MAX(source_lost, 0);
            found = TRUE;
        }
        if (stats)
            gst_structure_free(stats);
    }
    if (sources)
        g_value_array_free(sources);
    G_GNUC_END_IGNORE_DEPRECATIONS
    g_object_unref(session);
    /* The peer's source goes away after its BYE: keep the last count. */
    if (found)
        self->video_packets_lost = lost;
    return self->video_packets_lost;
}

void call_pipeline_live(CallPipeline *self, CallLive *live)
{
    live->video_packets_lost = call_pipeline_video_packets_lost(self);
    live->srtp_refused = call_srtp_decoder_dropped(self->srtpdec[0]) +
                         call_srtp_decoder_dropped(self->srtpdec[1]);
    live->lowest_target_kbps = 0;
    if (self->feedback_ready) {
        call_feedback_get(&self->feedback, &live->target_kbps, &live->loss, &live->rtt_ms);
        live->lowest_target_kbps = call_feedback_lowest(&self->feedback);
    } else {
        live->target_kbps = live->loss = 0.0;
        live->rtt_ms = -1.0;
    }
    live->backend = call_pipeline_decoder_backend(self);
    call_jitter_stats_read(&self->jitter_stats, &live->rtx_asked, &live->rtx_recovered,
                           &live->jitter_lost);
    call_pipeline_fec_live(self, live);
}

const gchar *call_pipeline_decoder_backend(CallPipeline *self)
{
    gchar *active = NULL;

    /* facetdec says what it renders on once its decoder is open (and after
     * a fallback from a lost GPU); until then the last answer stands. */
    if (self->decoder)
        g_object_get(self->decoder, "active-backend", &active, NULL);
    if (active && *active) {
        g_free(self->backend);
        self->backend = active;
    } else {
        g_free(active);
    }
    return self->backend;
}

void call_pipeline_free(CallPipeline *self)
{
    if (!self)
        return;
    if (self->end_receiving_source)
        g_source_remove(self->end_receiving_source);
    if (self->pipeline) {
        gst_element_set_state(self->pipeline, GST_STATE_NULL);
        gst_object_unref(self->pipeline);
    }
    if (self->video_source_entry)
        gst_object_unref(self->video_source_entry);
    if (self->audio_source_entry)
        gst_object_unref(self->audio_source_entry);
    for (guint i = 0; i < 2; i++) {
        if (self->srtpenc[i])
            gst_object_unref(self->srtpenc[i]);
        if (self->srtpdec[i])
            gst_object_unref(self->srtpdec[i]);
    }
    call_srtp_clear(&self->srtp);
    call_jitter_stats_clear(&self->jitter_stats);
    call_pipeline_fec_clear(self);
    if (self->feedback_ready)
        call_feedback_clear(&self->feedback);
    g_rand_free(self->loss_rand);
    g_free(self->backend);
    g_free(self);
}
