/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * SECTION:element-rtpfacetpay
 * @title: rtpfacetpay
 * @see_also: rtpfacetdepay, facetenc
 *
 * Puts Facet frames into RTP packets as docs/rtp-payload.md specifies: a
 * two-byte payload header (start, end and keyframe bits, fragment index),
 * frames larger than the #GstRTPBasePayload:mtu split over several packets,
 * the marker bit on each frame's last packet. Keyframe requests from the
 * receiver (force-key-unit events, which rtpbin makes of RTCP PLI) go
 * upstream to the encoder.
 *
 * ## Example pipeline
 * |[
 * gst-launch-1.0 videotestsrc ! video/x-raw,width=256,height=256 ! \
 *     facetenc model=models/facet-256.safetensors ! rtpfacetpay ! \
 *     udpsink host=127.0.0.1 port=5000
 * ]|
 */
#include "gstrtpfacetpay.h"

#include <facet/facet.h>

#include "rtpfacetheader.h"

GST_DEBUG_CATEGORY_STATIC(gst_rtp_facet_pay_debug);
#define GST_CAT_DEFAULT gst_rtp_facet_pay_debug

struct _GstRtpFacetPay {
    GstRTPBasePayload parent;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-facet, stream-format = (string) packet"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("application/x-rtp, media = (string) video, "
                    "payload = (int) " GST_RTP_PAYLOAD_DYNAMIC_STRING ", "
                    "clock-rate = (int) 90000, encoding-name = (string) \"X-FACET\""));

#define gst_rtp_facet_pay_parent_class parent_class
G_DEFINE_TYPE(GstRtpFacetPay, gst_rtp_facet_pay, GST_TYPE_RTP_BASE_PAYLOAD);
GST_ELEMENT_REGISTER_DEFINE(rtpfacetpay, "rtpfacetpay", GST_RANK_SECONDARY,
                            GST_TYPE_RTP_FACET_PAY);

/* The encoder's model id and keypoint count become the optional SDP
 * parameters; rtcp-fb-nack-pli tells rtpbin (and SDP) that the stream is
 * repaired with PLI. */
static gboolean gst_rtp_facet_pay_set_caps(GstRTPBasePayload *payload, GstCaps *caps)
{
    const GstStructure *s = gst_caps_get_structure(caps, 0);
    gchar *model_id = NULL, *keypoints = NULL;
    const gchar *mode = gst_structure_get_string(s, "mode");
    guint id;
    gint count;
    gboolean ret;

    gst_rtp_base_payload_set_options(payload, "video", TRUE, RTP_FACET_ENCODING_NAME,
                                     RTP_FACET_CLOCK_RATE);
    if (gst_structure_get_uint(s, "model-id", &id))
        model_id = g_strdup_printf("%08x", id);
    if (gst_structure_get_int(s, "keypoints", &count))
        keypoints = g_strdup_printf("%d", count);

    /* PLI asks for a keyframe, FIR (latent tier) for a reference, NACK
     * for retransmission (rtprtxsend): the feedback the receiver may send. */
    if (model_id && keypoints)
        ret = gst_rtp_base_payload_set_outcaps(payload, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
                                               "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE,
                                               "rtcp-fb-nack", G_TYPE_BOOLEAN, TRUE,
                                               "model-id", G_TYPE_STRING, model_id, "keypoints",
                                               G_TYPE_STRING, keypoints, mode ? "mode" : NULL,
                                               G_TYPE_STRING, mode, NULL);
    else
        ret = gst_rtp_base_payload_set_outcaps(payload, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
                                               "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE,
                                               "rtcp-fb-nack", G_TYPE_BOOLEAN, TRUE,
                                               mode ? "mode" : NULL, G_TYPE_STRING, mode, NULL);
    g_free(model_id);
    g_free(keypoints);
    return ret;
}

static GstFlowReturn gst_rtp_facet_pay_handle_buffer(GstRTPBasePayload *payload, GstBuffer *buffer)
{
    GstRtpFacetPay *self = GST_RTP_FACET_PAY(payload);
    gsize size = gst_buffer_get_size(buffer);
    guint mtu = GST_RTP_BASE_PAYLOAD_MTU(payload);
    guint room = gst_rtp_buffer_calc_payload_len(mtu, 0, 0);
    FacetPacketInfo info = { .struct_size = sizeof(info) };
    int peeked = FACET_ERR(ENOMEM);
    GstMapInfo map;
    GstBufferList *list;
    guint flags, index = 0;
    gsize offset = 0;

    if (room <= RTP_FACET_HEADER_SIZE) {
        GST_ELEMENT_ERROR(self, STREAM, ENCODE, ("MTU %u is too small for a Facet RTP packet", mtu),
                          (NULL));
        gst_buffer_unref(buffer);
        return GST_FLOW_ERROR;
    }
    room -= RTP_FACET_HEADER_SIZE;

    /* Anything but a Facet packet is dropped rather than sent on: the
     * receiver could not make sense of it. A packet of a newer bitstream
     * version goes on: a newer receiver may. */
    if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
        peeked = facet_packet_peek(map.data, map.size, &info);
        gst_buffer_unmap(buffer, &map);
    }
    if (peeked < 0 && peeked != FACET_ERR(ENOTSUP)) {
        GST_ELEMENT_WARNING(self, STREAM, FORMAT, ("Dropping a buffer that is not a Facet packet"),
                            ("%" G_GSIZE_FORMAT " bytes: %s", size, facet_strerror(peeked)));
        gst_buffer_unref(buffer);
        return GST_FLOW_OK;
    }
    flags = info.type == FACET_PACKET_TYPE_KEYFRAME || info.type == FACET_PACKET_TYPE_LATENT_KEYFRAME
                ? RTP_FACET_FLAG_KEYFRAME : 0;

    list = gst_buffer_list_new_sized((guint)((size + room - 1) / room));
    while (offset < size) {
        gsize chunk = MIN(room, size - offset);
        gboolean last = offset + chunk == size;
        GstBuffer *packet = gst_rtp_base_payload_allocate_output_buffer(payload,
                                                                        RTP_FACET_HEADER_SIZE, 0, 0);
        GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
        guint packet_flags = flags | (offset == 0 ? RTP_FACET_FLAG_START : 0) |
                             (last ? RTP_FACET_FLAG_END : 0);

        if (!packet || !gst_rtp_buffer_map(packet, GST_MAP_WRITE, &rtp)) {
            if (packet)
                gst_buffer_unref(packet);
            gst_buffer_list_unref(list);
            gst_buffer_unref(buffer);
            GST_ELEMENT_ERROR(self, RESOURCE, NO_SPACE_LEFT, (NULL), ("no RTP output buffer"));
            return GST_FLOW_ERROR;
        }
        rtp_facet_header_write(gst_rtp_buffer_get_payload(&rtp), packet_flags, index);
        gst_rtp_buffer_set_marker(&rtp, last);
        gst_rtp_buffer_unmap(&rtp);

        /* The fragment's bytes are shared with the input, not copied. */
        packet = gst_buffer_append(packet, gst_buffer_copy_region(buffer, GST_BUFFER_COPY_MEMORY,
                                                                  offset, chunk));
        GST_BUFFER_PTS(packet) = GST_BUFFER_PTS(buffer);
        GST_BUFFER_DTS(packet) = GST_BUFFER_DTS(buffer);
        GST_BUFFER_DURATION(packet) = GST_BUFFER_DURATION(buffer);
        gst_buffer_list_add(list, packet);
        offset += chunk;
        index++;
    }
    GST_LOG_OBJECT(self, "%s frame of %" G_GSIZE_FORMAT " bytes in %u packets",
                   flags ? "key" : "delta", size, index);
    gst_buffer_unref(buffer);
    return gst_rtp_base_payload_push_list(payload, list);
}

static void gst_rtp_facet_pay_class_init(GstRtpFacetPayClass *klass)
{
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstRTPBasePayloadClass *payload_class = GST_RTP_BASE_PAYLOAD_CLASS(klass);

    gst_element_class_add_static_pad_template(element_class, &sink_template);
    gst_element_class_add_static_pad_template(element_class, &src_template);
    gst_element_class_set_static_metadata(element_class, "RTP Facet payloader",
        "Codec/Payloader/Network/RTP",
        "Payloads Facet video into RTP packets (docs/rtp-payload.md)",
        "The Facet authors");

    payload_class->set_caps = GST_DEBUG_FUNCPTR(gst_rtp_facet_pay_set_caps);
    payload_class->handle_buffer = GST_DEBUG_FUNCPTR(gst_rtp_facet_pay_handle_buffer);

    GST_DEBUG_CATEGORY_INIT(gst_rtp_facet_pay_debug, "rtpfacetpay", 0, "Facet RTP payloader");
}

static void gst_rtp_facet_pay_init(GstRtpFacetPay *self)
{
    /* Caps without a stream-format field are packets too (what facetenc
     * wrote before the field existed): accepted when they intersect the
     * template, not only when they are a subset of it. */
    GST_PAD_SET_ACCEPT_INTERSECT(GST_RTP_BASE_PAYLOAD_SINKPAD(self));
}
