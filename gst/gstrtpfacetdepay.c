/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * SECTION:element-rtpfacetdepay
 * @title: rtpfacetdepay
 * @see_also: rtpfacetpay, facetdec
 *
 * Reassembles Facet frames from RTP packets (docs/rtp-payload.md). Only whole
 * frames that can be decoded leave the element: a frame with a missing,
 * reordered or malformed fragment is dropped, and so is a delta frame whose
 * keyframe this receiver lacks. When a keyframe is missing (a keyframe
 * fragment was lost, or a delta names a keyframe that never came) it asks
 * upstream for one with a force-key-unit event, which rtpbin turns into an
 * RTCP PLI to the sender (the receiving caps need rtcp-fb-nack-pli=true for
 * that); while one is outstanding it asks again only after
 * #GstRtpFacetDepay:request-interval.
 *
 * ## Example pipeline
 * |[
 * gst-launch-1.0 udpsrc port=5000 \
 *     caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=X-FACET,payload=96" ! \
 *     rtpjitterbuffer ! rtpfacetdepay ! facetdec model=models/facet-256.safetensors ! \
 *     videoconvert ! autovideosink
 * ]|
 */
#include "gstrtpfacetdepay.h"

#include <gst/video/video.h>

#include <facet/facet.h>

#include "rtpfacetheader.h"
#include "rtpfacetlatent.h"

GST_DEBUG_CATEGORY_STATIC(gst_rtp_facet_depay_debug);
#define GST_CAT_DEFAULT gst_rtp_facet_depay_debug

enum {
    PROP_0,
    PROP_REQUEST_KEYFRAME,
    PROP_REQUEST_INTERVAL,
    PROP_REFERENCE_REQUEST_INTERVAL,
};

#define DEFAULT_REQUEST_KEYFRAME TRUE
#define DEFAULT_REQUEST_INTERVAL 500 /* ms */
/* A reference costs the sender seconds of its rate, and one asked for
 * restarts any in flight: asked at most every 2 s. */
#define DEFAULT_REFERENCE_REQUEST_INTERVAL 2000 /* ms */

struct _GstRtpFacetDepay {
    GstRTPBaseDepayload parent;

    /* Properties, under the object lock. */
    gboolean request_keyframe;
    guint request_interval;
    guint reference_request_interval;

    /* The frame being reassembled. */
    GstAdapter *adapter;
    gboolean collecting;
    gboolean frame_is_key;
    guint32 frame_timestamp;
    guint16 next_seq;
    guint next_index;
    guint16 frame_first_seq;
    /* The last RTP packet of the last latent keyframe or frame passed on,
     * and the packets received since: the packets missing between two
     * latent frames tell a loss of 256 frames, which short latent frames
     * (numbered modulo 256) cannot. */
    gboolean have_passed_seq;
    guint16 passed_end_seq;
    guint32 received_since_passed;

    /* A complete keyframe went out since start or flush, and its id (-1:
     * not readable). */
    gboolean have_keyframe;
    gint keyframe_id;
    /* Something was dropped since the last frame pushed. */
    gboolean discont;

    /* Keyframe requests, timed in (extended) RTP timestamp units so that
     * the rate limit follows the stream rather than the wall clock. */
    guint64 ext_timestamp_state;
    guint64 now;
    gboolean request_pending;
    guint64 last_request;
    /* Reference requests (FIR), and the latent stream's state. */
    gboolean reference_requested;
    guint64 last_reference_request;
    RtpFacetLatent latent;

    /* Extended RTP timestamp of the first packet, for input without
     * buffer timestamps (a stored RTP stream). */
    guint64 first_timestamp;
    gboolean have_first_timestamp;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("application/x-rtp, media = (string) video, "
                    "clock-rate = (int) 90000, encoding-name = (string) \"X-FACET\""));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-facet, stream-format = (string) packet"));

#define gst_rtp_facet_depay_parent_class parent_class
G_DEFINE_TYPE(GstRtpFacetDepay, gst_rtp_facet_depay, GST_TYPE_RTP_BASE_DEPAYLOAD);
GST_ELEMENT_REGISTER_DEFINE(rtpfacetdepay, "rtpfacetdepay", GST_RANK_SECONDARY,
                            GST_TYPE_RTP_FACET_DEPAY);

static void gst_rtp_facet_depay_reset(GstRtpFacetDepay *self)
{
    gst_adapter_clear(self->adapter);
    self->collecting = FALSE;
    self->have_keyframe = FALSE;
    self->keyframe_id = -1;
    self->discont = FALSE;
    self->ext_timestamp_state = G_MAXUINT64; /* gst_rtp_buffer_ext_timestamp(): none yet */
    self->now = 0;
    self->request_pending = FALSE;
    self->last_request = 0;
    self->reference_requested = FALSE;
    self->last_reference_request = 0;
    rtp_facet_latent_reset(&self->latent);
    self->have_passed_seq = FALSE;
    self->received_since_passed = 0;
    self->have_first_timestamp = FALSE;
}

/* Asks upstream for a keyframe unless a request is already outstanding and
 * younger than request-interval. */
static void gst_rtp_facet_depay_request_keyframe(GstRtpFacetDepay *self, const gchar *why)
{
    GstRTPBaseDepayload *depayload = GST_RTP_BASE_DEPAYLOAD(self);
    gboolean enabled;
    guint64 interval;

    GST_OBJECT_LOCK(self);
    enabled = self->request_keyframe;
    interval = (guint64)self->request_interval * RTP_FACET_CLOCK_RATE / 1000;
    GST_OBJECT_UNLOCK(self);
    if (!enabled)
        return;
    if (self->request_pending && self->now >= self->last_request &&
        self->now - self->last_request < interval) {
        GST_DEBUG_OBJECT(self, "%s; a keyframe request is already outstanding", why);
        return;
    }
    GST_INFO_OBJECT(self, "%s: asking upstream for a keyframe", why);
    self->request_pending = TRUE;
    self->last_request = self->now;
    /* Without all-headers: rtpsession sends an RTCP PLI. */
    gst_pad_push_event(GST_RTP_BASE_DEPAYLOAD_SINKPAD(depayload),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0));
}

/* Asks upstream for a new reference (latent tier) at most once per
 * reference-request-interval. */
static void gst_rtp_facet_depay_request_reference(GstRtpFacetDepay *self, const gchar *why)
{
    GstRTPBaseDepayload *depayload = GST_RTP_BASE_DEPAYLOAD(self);
    gboolean enabled;
    guint64 interval;

    GST_OBJECT_LOCK(self);
    enabled = self->request_keyframe;
    interval = (guint64)self->reference_request_interval * RTP_FACET_CLOCK_RATE / 1000;
    GST_OBJECT_UNLOCK(self);
    if (!enabled)
        return;
    if (self->reference_requested && self->now >= self->last_reference_request &&
        self->now - self->last_reference_request < interval)
        return;
    GST_INFO_OBJECT(self, "%s: asking upstream for a reference", why);
    self->reference_requested = TRUE;
    self->last_reference_request = self->now;
    /* With all-headers: rtpsession sends an RTCP FIR (the caps need
     * rtcp-fb-ccm-fir), facetenc answers with a reference. */
    gst_pad_push_event(GST_RTP_BASE_DEPAYLOAD_SINKPAD(depayload),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

/* Forgets the frame being collected (and the packet in hand, which the
 * caller simply does not add). A lost delta costs one frame and needs no
 * repair; a lost keyframe does, so only a drop that touched a keyframe asks
 * for one at once. When a whole keyframe vanishes unseen, the first delta
 * that names it asks (gst_rtp_facet_depay_process). */
static void gst_rtp_facet_depay_drop(GstRtpFacetDepay *self, const gchar *why, gboolean keyframe)
{
    GST_DEBUG_OBJECT(self, "dropping: %s", why);
    gst_adapter_clear(self->adapter);
    self->collecting = FALSE;
    self->discont = TRUE;
    if (keyframe) {
        /* A keyframe that arrives while a request is outstanding is its
         * answer; when that answer is lost too, waiting out
         * request-interval would only lengthen the outage, so ask again at
         * once, once per lost keyframe (its fragments share a timestamp). */
        if (self->request_pending && self->now != self->last_request)
            self->request_pending = FALSE;
        gst_rtp_facet_depay_request_keyframe(self, why);
    }
}

static gboolean gst_rtp_facet_depay_set_caps(GstRTPBaseDepayload *depayload, GstCaps *caps)
{
    const GstStructure *s = gst_caps_get_structure(caps, 0);
    const gchar *model_id = gst_structure_get_string(s, "model-id");
    const gchar *keypoints = gst_structure_get_string(s, "keypoints");
    const gchar *mode = gst_structure_get_string(s, "mode");
    GstCaps *srccaps = gst_caps_new_simple("video/x-facet", "stream-format", G_TYPE_STRING,
                                           "packet", NULL);
    gboolean ret;

    /* The optional SDP parameters are copied when they parse; a bad one is
     * ignored (each keyframe carries the real values). */
    if (model_id) {
        gchar *end = NULL;
        guint64 id = g_ascii_strtoull(model_id, &end, 16);
        if (end && *end == '\0' && end != model_id && id <= G_MAXUINT32)
            gst_caps_set_simple(srccaps, "model-id", G_TYPE_UINT, (guint)id, NULL);
        else
            GST_WARNING_OBJECT(depayload, "ignoring model-id '%s'", model_id);
    }
    if (keypoints) {
        gchar *end = NULL;
        guint64 count = g_ascii_strtoull(keypoints, &end, 10);
        if (end && *end == '\0' && end != keypoints && count <= 64)
            gst_caps_set_simple(srccaps, "keypoints", G_TYPE_INT, (gint)count, NULL);
        else
            GST_WARNING_OBJECT(depayload, "ignoring keypoints '%s'", keypoints);
    }
    if (mode) {
        if (!g_strcmp0(mode, "keypoint") || !g_strcmp0(mode, "latent") ||
            !g_strcmp0(mode, "intra-only"))
            gst_caps_set_simple(srccaps, "mode", G_TYPE_STRING, mode, NULL);
        else
            GST_WARNING_OBJECT(depayload, "ignoring mode '%s'", mode);
    }
    depayload->clock_rate = RTP_FACET_CLOCK_RATE;
    ret = gst_pad_set_caps(GST_RTP_BASE_DEPAYLOAD_SRCPAD(depayload), srccaps);
    gst_caps_unref(srccaps);
    return ret;
}

/* Moves the clock of the requests' rate limits (extended RTP time) to a
 * packet's timestamp. Garbage or another sender's packets on the port
 * carry any timestamp: one more than TIMESTAMP_WINDOW from the stream's
 * leaves the clock alone (the packet is still judged), so that they
 * cannot defeat the rate limits, unless `trusted`: a whole frame that
 * reads as a Facet packet (a sender that restarted) re-anchors it. */
#define TIMESTAMP_WINDOW (10 * RTP_FACET_CLOCK_RATE)
static void gst_rtp_facet_depay_update_time(GstRtpFacetDepay *self, guint32 timestamp,
                                            gboolean trusted)
{
    gint32 step = (gint32)(timestamp - (guint32)self->now);

    if (self->have_first_timestamp && (step > TIMESTAMP_WINDOW || step < -TIMESTAMP_WINDOW)) {
        if (!trusted)
            return;
        GST_INFO_OBJECT(self, "the stream's timestamps jumped: re-anchoring");
        self->ext_timestamp_state = G_MAXUINT64;
        self->have_first_timestamp = FALSE;
    }
    self->now = gst_rtp_buffer_ext_timestamp(&self->ext_timestamp_state, timestamp);
    if (!self->have_first_timestamp) {
        self->first_timestamp = self->now;
        self->have_first_timestamp = TRUE;
    }
}

/* Whether a packet type is a keyframe, which the K bit announces. */
static gboolean gst_rtp_facet_depay_is_key_type(FacetPacketType type)
{
    return type == FACET_PACKET_TYPE_KEYFRAME || type == FACET_PACKET_TYPE_LATENT_KEYFRAME;
}

/* Tells the latent rules how many RTP packets are missing between the last
 * latent keyframe or frame passed on and the frame that ends with `seq`:
 * those between them, less those received (fragments in between). */
static void gst_rtp_facet_depay_count_missing(GstRtpFacetDepay *self, guint16 seq)
{
    guint32 missing = 0;

    if (self->have_passed_seq) {
        guint16 between = (guint16)(self->frame_first_seq - self->passed_end_seq - 1);
        guint32 frame_packets = (guint16)(seq - self->frame_first_seq) + 1u;
        guint32 others = self->received_since_passed > frame_packets
                             ? self->received_since_passed - frame_packets
                             : 0;
        /* A frame from before the last one passed (reordered) misses nothing. */
        if (between < 0x8000 && between > others)
            missing = between - others;
    }
    rtp_facet_latent_set_packets_missing(&self->latent, missing);
}

/* The latent tier's rules (rtpfacetlatent.c): a chain of frames that a
 * loss breaks until the next keyframe, and references in fragments. */
static gboolean gst_rtp_facet_depay_check_latent(GstRtpFacetDepay *self, const FacetPacketInfo *info)
{
    RtpFacetLatentVerdict verdict = rtp_facet_latent_check(&self->latent, info, self->now);

    if (verdict.pass && info->type != FACET_PACKET_TYPE_REFERENCE) {
        self->have_passed_seq = TRUE;
        self->passed_end_seq = (guint16)(self->next_seq - 1);
        self->received_since_passed = 0;
    }

    if (info->type == FACET_PACKET_TYPE_LATENT_KEYFRAME && verdict.pass)
        self->request_pending = FALSE;
    if (info->type == FACET_PACKET_TYPE_REFERENCE && verdict.pass && info->fragment_index == 0)
        self->reference_requested = FALSE;
    if (!verdict.pass) {
        GST_DEBUG_OBJECT(self, "dropping: %s", verdict.why);
        self->discont = TRUE;
    }
    if (verdict.want_keyframe)
        gst_rtp_facet_depay_request_keyframe(self, verdict.why);
    if (verdict.want_reference)
        gst_rtp_facet_depay_request_reference(self, verdict.why);
    return verdict.pass;
}

/* Whether a whole frame may go downstream: a Facet packet whose type the K
 * bit announced, and a delta only when this receiver has the keyframe it
 * names, so that every frame pushed decodes. The library reads the
 * packet's headers (facet_packet_peek()). */
static gboolean gst_rtp_facet_depay_check_frame(GstRtpFacetDepay *self, GstBuffer *frame)
{
    FacetPacketInfo info = { .struct_size = sizeof(info) };
    GstMapInfo map;
    gint peeked, id;

    if (!gst_buffer_map(frame, &map, GST_MAP_READ))
        return FALSE;
    peeked = facet_packet_peek(map.data, map.size, &info);
    gst_buffer_unmap(frame, &map);
    if (peeked == 0)
        gst_rtp_facet_depay_update_time(self, self->frame_timestamp, TRUE);

    /* A packet of a newer bitstream version is the decoder's to judge, and
     * its keyframe id cannot be read (-1); any other bad header cannot
     * decode, so the frame is lost like one with a missing fragment. */
    if ((peeked < 0 && peeked != FACET_ERR(ENOTSUP)) ||
        self->frame_is_key != gst_rtp_facet_depay_is_key_type(info.type)) {
        gst_rtp_facet_depay_drop(self, "malformed frame", self->frame_is_key);
        return FALSE;
    }
    if (peeked == 0 && rtp_facet_latent_is_latent(info.type))
        return gst_rtp_facet_depay_check_latent(self, &info);
    id = peeked == 0 ? (gint)info.keyframe_id : -1;

    if (self->frame_is_key) {
        self->have_keyframe = TRUE;
        self->keyframe_id = id;
        self->request_pending = FALSE;
        /* A keypoint (or newer) stream replaces a latent one. */
        rtp_facet_latent_reset(&self->latent);
        return TRUE;
    }
    if (!self->have_keyframe) {
        self->discont = TRUE;
        gst_rtp_facet_depay_request_keyframe(self, "delta frame before any keyframe");
        return FALSE;
    }
    if (id >= 0 && self->keyframe_id >= 0 && id != self->keyframe_id) {
        self->discont = TRUE;
        gst_rtp_facet_depay_request_keyframe(self, "delta frame of a keyframe that was lost");
        return FALSE;
    }
    return TRUE;
}

static GstBuffer *gst_rtp_facet_depay_process(GstRTPBaseDepayload *depayload, GstRTPBuffer *rtp)
{
    GstRtpFacetDepay *self = GST_RTP_FACET_DEPAY(depayload);
    guint size = gst_rtp_buffer_get_payload_len(rtp);
    const guint8 *payload = gst_rtp_buffer_get_payload(rtp);
    guint16 seq = gst_rtp_buffer_get_seq(rtp);
    guint32 timestamp = gst_rtp_buffer_get_timestamp(rtp);
    gboolean start, end, key;
    guint index;
    GstBuffer *frame;

    gst_rtp_facet_depay_update_time(self, timestamp, FALSE);
    if (self->received_since_passed < G_MAXUINT32)
        self->received_since_passed++;
    {
        const gchar *why = NULL;
        if (rtp_facet_latent_wants_reference(&self->latent, self->now, &why))
            gst_rtp_facet_depay_request_reference(self, why);
    }
    if (size <= RTP_FACET_HEADER_SIZE) {
        gst_rtp_facet_depay_drop(self, "payload too short",
                                 self->collecting ? self->frame_is_key
                                                  : size > 0 && (payload[0] & RTP_FACET_FLAG_KEYFRAME));
        return NULL;
    }
    start = (payload[0] & RTP_FACET_FLAG_START) != 0;
    end = (payload[0] & RTP_FACET_FLAG_END) != 0;
    key = (payload[0] & RTP_FACET_FLAG_KEYFRAME) != 0;
    index = rtp_facet_header_index(payload);

    if (start) {
        /* The packet's type is checked against the K bit once the frame is
         * whole: a first fragment may end inside the packet's headers. */
        if (self->collecting)
            gst_rtp_facet_depay_drop(self, "frame without its last fragment", self->frame_is_key);
        if (index != 0) {
            gst_rtp_facet_depay_drop(self, "malformed first fragment", key);
            return NULL;
        }
        self->collecting = TRUE;
        self->frame_is_key = key;
        self->frame_timestamp = timestamp;
        self->frame_first_seq = seq;
    } else if (!self->collecting) {
        gst_rtp_facet_depay_drop(self, "fragment of a frame whose start is missing", key);
        return NULL;
    } else if (seq != self->next_seq || timestamp != self->frame_timestamp ||
               index != self->next_index || key != self->frame_is_key) {
        gst_rtp_facet_depay_drop(self, "missing or reordered fragment", key || self->frame_is_key);
        return NULL;
    }
    gst_adapter_push(self->adapter, gst_rtp_buffer_get_payload_subbuffer(
                                        rtp, RTP_FACET_HEADER_SIZE, size - RTP_FACET_HEADER_SIZE));
    self->next_seq = seq + 1;
    self->next_index = (index + 1) & RTP_FACET_INDEX_MASK;
    if (gst_adapter_available(self->adapter) > FACET_MAX_PACKET_SIZE) {
        gst_rtp_facet_depay_drop(self, "frame larger than a Facet packet can be", self->frame_is_key);
        return NULL;
    }
    if (!end)
        return NULL;

    self->collecting = FALSE;
    frame = gst_adapter_take_buffer(self->adapter, gst_adapter_available(self->adapter));
    gst_rtp_facet_depay_count_missing(self, seq);
    if (!gst_rtp_facet_depay_check_frame(self, frame)) {
        gst_buffer_unref(frame);
        return NULL;
    }
    if (!self->frame_is_key)
        GST_BUFFER_FLAG_SET(frame, GST_BUFFER_FLAG_DELTA_UNIT);
    /* Packets from a network source or a jitter buffer carry timestamps
     * (the base class copies them); a stored RTP stream read from a file
     * has only the RTP timestamps, counted from its first packet. */
    if (!GST_BUFFER_PTS_IS_VALID(rtp->buffer) && self->now >= self->first_timestamp)
        GST_BUFFER_PTS(frame) = gst_util_uint64_scale_int(self->now - self->first_timestamp,
                                                          GST_SECOND, RTP_FACET_CLOCK_RATE);
    if (self->discont) {
        GST_BUFFER_FLAG_SET(frame, GST_BUFFER_FLAG_DISCONT);
        self->discont = FALSE;
    }
    return frame;
}

/* A jitter buffer that gave up on a packet says so with this event; the
 * base class then tells downstream about the gap. */
static gboolean gst_rtp_facet_depay_packet_lost(GstRTPBaseDepayload *depayload, GstEvent *event)
{
    GstRtpFacetDepay *self = GST_RTP_FACET_DEPAY(depayload);
    gst_rtp_facet_depay_drop(self, "packet lost", self->collecting && self->frame_is_key);
    return GST_RTP_BASE_DEPAYLOAD_CLASS(parent_class)->packet_lost(depayload, event);
}

static gboolean gst_rtp_facet_depay_handle_event(GstRTPBaseDepayload *depayload, GstEvent *event)
{
    GstRtpFacetDepay *self = GST_RTP_FACET_DEPAY(depayload);

    if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP)
        gst_rtp_facet_depay_reset(self);
    return GST_RTP_BASE_DEPAYLOAD_CLASS(parent_class)->handle_event(depayload, event);
}

static GstStateChangeReturn gst_rtp_facet_depay_change_state(GstElement *element,
                                                             GstStateChange transition)
{
    GstRtpFacetDepay *self = GST_RTP_FACET_DEPAY(element);

    if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
        gst_rtp_facet_depay_reset(self);
    return GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
}

static void gst_rtp_facet_depay_set_property(GObject *object, guint prop_id, const GValue *value,
                                             GParamSpec *pspec)
{
    GstRtpFacetDepay *self = GST_RTP_FACET_DEPAY(object);

    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_REQUEST_KEYFRAME:
        self->request_keyframe = g_value_get_boolean(value);
        break;
    case PROP_REQUEST_INTERVAL:
        self->request_interval = g_value_get_uint(value);
        break;
    case PROP_REFERENCE_REQUEST_INTERVAL:
        self->reference_request_interval = g_value_get_uint(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
        break;
    }
    GST_OBJECT_UNLOCK(self);
}

static void gst_rtp_facet_depay_get_property(GObject *object, guint prop_id, GValue *value,
                                             GParamSpec *pspec)
{
    GstRtpFacetDepay *self = GST_RTP_FACET_DEPAY(object);

    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_REQUEST_KEYFRAME:
        g_value_set_boolean(value, self->request_keyframe);
        break;
    case PROP_REQUEST_INTERVAL:
        g_value_set_uint(value, self->request_interval);
        break;
    case PROP_REFERENCE_REQUEST_INTERVAL:
        g_value_set_uint(value, self->reference_request_interval);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
        break;
    }
    GST_OBJECT_UNLOCK(self);
}

static void gst_rtp_facet_depay_finalize(GObject *object)
{
    GstRtpFacetDepay *self = GST_RTP_FACET_DEPAY(object);
    g_object_unref(self->adapter);
    G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_rtp_facet_depay_class_init(GstRtpFacetDepayClass *klass)
{
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstRTPBaseDepayloadClass *depayload_class = GST_RTP_BASE_DEPAYLOAD_CLASS(klass);

    gobject_class->set_property = gst_rtp_facet_depay_set_property;
    gobject_class->get_property = gst_rtp_facet_depay_get_property;
    gobject_class->finalize = gst_rtp_facet_depay_finalize;

    g_object_class_install_property(gobject_class, PROP_REQUEST_KEYFRAME,
        g_param_spec_boolean("request-keyframe", "Request keyframe",
                             "Ask upstream for a keyframe (RTCP PLI inside rtpbin) when one is "
                             "lost or missing or a latent chain broke, and for a reference "
                             "(RTCP FIR) when a latent reference is lost or missing",
                             DEFAULT_REQUEST_KEYFRAME, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject_class, PROP_REQUEST_INTERVAL,
        g_param_spec_uint("request-interval", "Request interval",
                          "Milliseconds of stream time before an unanswered keyframe request "
                          "is repeated",
                          1, 60000, DEFAULT_REQUEST_INTERVAL,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject_class, PROP_REFERENCE_REQUEST_INTERVAL,
        g_param_spec_uint("reference-request-interval", "Reference request interval",
                          "Latent tier: milliseconds of stream time between two requests for a "
                          "reference (RTCP FIR) while one is lost or missing (a reference "
                          "costs the sender seconds of its rate)",
                          1, 600000, DEFAULT_REFERENCE_REQUEST_INTERVAL,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

    gst_element_class_add_static_pad_template(element_class, &sink_template);
    gst_element_class_add_static_pad_template(element_class, &src_template);
    gst_element_class_set_static_metadata(element_class, "RTP Facet depayloader",
        "Codec/Depayloader/Network/RTP",
        "Extracts whole Facet video frames from RTP packets (docs/rtp-payload.md)",
        "The Facet authors");

    element_class->change_state = GST_DEBUG_FUNCPTR(gst_rtp_facet_depay_change_state);
    depayload_class->set_caps = GST_DEBUG_FUNCPTR(gst_rtp_facet_depay_set_caps);
    depayload_class->process_rtp_packet = GST_DEBUG_FUNCPTR(gst_rtp_facet_depay_process);
    depayload_class->packet_lost = GST_DEBUG_FUNCPTR(gst_rtp_facet_depay_packet_lost);
    depayload_class->handle_event = GST_DEBUG_FUNCPTR(gst_rtp_facet_depay_handle_event);

    GST_DEBUG_CATEGORY_INIT(gst_rtp_facet_depay_debug, "rtpfacetdepay", 0,
                            "Facet RTP depayloader");
}

static void gst_rtp_facet_depay_init(GstRtpFacetDepay *self)
{
    self->request_keyframe = DEFAULT_REQUEST_KEYFRAME;
    self->request_interval = DEFAULT_REQUEST_INTERVAL;
    self->reference_request_interval = DEFAULT_REFERENCE_REQUEST_INTERVAL;
    self->adapter = gst_adapter_new();
    gst_rtp_facet_depay_reset(self);
}
