/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's forward error correction of the video (ULPFEC, RFC 5109),
 * through rtpbin (call_pipeline_private.h).
 *
 * Sending: rtpbin puts the element its request-fec-encoder signal returns,
 * rtpulpfecenc, first in the session's sending chain, before the
 * retransmission sender (rtprtxsend) and the session: rtpulpfecenc adds
 * its packets (payload type CALL_VIDEO_FEC_PT) on the video's own SSRC
 * and sequence numbers, shifting the numbers of the packets after them,
 * so rtprtxsend keeps the packets under the numbers they go out with and a
 * NACK asks for the right one. rtprtxsend keeps only the media's payload
 * type: a lost FEC packet is not resent. SRTP encrypts FEC packets like any
 * other. How much FEC goes out follows the loss the peer reports
 * (call_fec.h, set by call_feedback.c); --fec 0 adds no encoder at all.
 *
 * Receiving, whatever our --fec: rtpbin's rtpstorage (between the
 * retransmission receiver and the SSRC demuxer) keeps the peer's video
 * packets, FEC and retransmitted ones included, for the jitter buffer's
 * latency and a margin; the jitter buffer takes the FEC packets in their
 * place in the sequence (the payload type map marks them is-fec, so
 * rtpptdemux drops them after it and nothing asks for them as lost);
 * rtpulpfecdec, which rtpbin puts after the jitter buffer from
 * request-fec-decoder, rebuilds a packet from the storage when the jitter
 * buffer declares it lost (do-lost), i.e. when retransmission did not
 * bring it by its deadline. rtpulpfecdec renumbers what it passes on
 * consecutively; rtpfacetdepay learns of a loss from the lost event,
 * which it still gets, and the latent tier's chain from frame numbers. */
#include "call_pipeline_private.h"

#include "call_media.h"

/* What rtpbin's storage keeps beyond the jitter buffer's latency: a lost
 * packet is rebuilt at its deadline, from packets that came up to a
 * latency before. */
#define FEC_STORAGE_MARGIN_MS 100

static void on_new_storage(GstElement *rtpbin, GstElement *storage, guint session, gpointer data)
{
    CallPipeline *self = data;
    (void)rtpbin;
    if (session == 0)
        g_object_set(storage, "size-time",
                     (guint64)(self->latency_ms + FEC_STORAGE_MARGIN_MS) * GST_MSECOND, NULL);
}

static GstElement *on_request_fec_encoder(GstElement *rtpbin, guint session, gpointer data)
{
    CallPipeline *self = data;
    (void)rtpbin;
    return session == 0 && self->fec_encoder ? gst_object_ref(self->fec_encoder) : NULL;
}

/* One decoder per stream of the peer's video (a peer that restarts comes
 * with a new SSRC); the first is kept for the statistics. Called from a
 * streaming thread. */
static GstElement *on_request_fec_decoder(GstElement *rtpbin, guint session, gpointer data)
{
    CallPipeline *self = data;
    GstElement *decoder;
    GObject *storage = NULL;

    if (session != 0 || !(decoder = gst_element_factory_make("rtpulpfecdec", NULL)))
        return NULL;
    g_object_set(decoder, "pt", (guint)CALL_VIDEO_FEC_PT, NULL);
    g_signal_emit_by_name(rtpbin, "get-internal-storage", session, &storage);
    if (storage) {
        g_object_set(decoder, "storage", storage, NULL);
        g_object_unref(storage);
    }
    gst_object_ref(decoder);
    if (!g_atomic_pointer_compare_and_exchange(&self->fec_decoder, NULL, decoder))
        gst_object_unref(decoder);
    return decoder;
}

gboolean call_pipeline_add_fec(CallPipeline *self, const CallOptions *options, GError **error)
{
    GstElementFactory *decoder = gst_element_factory_find("rtpulpfecdec");

    /* Receiving needs rtpulpfecdec (gst-plugins-good); without it the
     * peer's FEC packets are dropped after the storage, as before. */
    if (decoder) {
        gst_object_unref(decoder);
        g_signal_connect(self->rtpbin, "new-storage", G_CALLBACK(on_new_storage), self);
        g_signal_connect(self->rtpbin, "request-fec-decoder", G_CALLBACK(on_request_fec_decoder),
                         self);
    } else {
        g_printerr("facet-call: rtpulpfecdec is missing (gst-plugins-good): the peer's FEC "
                   "repairs nothing\n");
    }
    if (!options->fec_percent)
        return TRUE;
    self->fec_encoder = call_media_make("rtpulpfecenc", "video-fec-encoder", error);
    if (!self->fec_encoder)
        return FALSE;
    gst_object_ref_sink(self->fec_encoder);
    /* multipacket: each FEC packet covers the packets of one frame (up to
     * its marker bit); the percentage starts at 0 and follows the loss. */
    g_object_set(self->fec_encoder, "pt", (guint)CALL_VIDEO_FEC_PT, "percentage", 0u,
                 "multipacket", TRUE, NULL);
    g_signal_connect(self->rtpbin, "request-fec-encoder", G_CALLBACK(on_request_fec_encoder),
                     self);
    return TRUE;
}

void call_pipeline_fec_live(CallPipeline *self, CallLive *live)
{
    GstElement *decoder = g_atomic_pointer_get(&self->fec_decoder);
    guint recovered = 0, unrecovered = 0;

    live->fec_percentage = self->feedback_ready ? call_feedback_fec_percentage(&self->feedback) : 0;
    if (decoder)
        g_object_get(decoder, "recovered", &recovered, "unrecovered", &unrecovered, NULL);
    live->fec_recovered = recovered;
    live->fec_unrecovered = unrecovered;
}

void call_pipeline_fec_clear(CallPipeline *self)
{
    GstElement *decoder = g_atomic_pointer_get(&self->fec_decoder);
    if (decoder)
        gst_object_unref(decoder);
    self->fec_decoder = NULL;
    if (self->fec_encoder)
        gst_object_unref(self->fec_encoder);
    self->fec_encoder = NULL;
}
