/* SPDX-License-Identifier: BSD-2-Clause */
/* webrtcbin: candidates to the main context, descriptions in and out. */
#include "room_webrtc.h"

#include <gio/gio.h>
#include <gst/sdp/sdp.h>

typedef struct CandidateWatch {
    RoomRelay *relay;
    RoomCandidateFunc func;
} CandidateWatch;

typedef struct Candidate {
    CandidateWatch *watch;
    guint mline_index;
    gchar *candidate;
} Candidate;

static void candidate_free(gpointer p)
{
    Candidate *c = p;
    g_free(c->candidate);
    g_free(c);
}

static void deliver_candidate(gpointer owner, gpointer data)
{
    Candidate *c = data;
    c->watch->func(owner, c->mline_index, c->candidate);
}

static void on_ice_candidate(GstElement *webrtc, guint mline_index, gchar *candidate,
                             gpointer data)
{
    (void)webrtc;
    CandidateWatch *watch = data;
    Candidate *c = g_new0(Candidate, 1);
    c->watch = watch;
    c->mline_index = mline_index;
    c->candidate = g_strdup(candidate);
    room_relay_call(watch->relay, deliver_candidate, c, candidate_free);
}

static void on_gathering_state(GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    CandidateWatch *watch = data;
    GstWebRTCICEGatheringState state;
    g_object_get(webrtc, "ice-gathering-state", &state, NULL);
    if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
        return;
    Candidate *c = g_new0(Candidate, 1);
    c->watch = watch;
    room_relay_call(watch->relay, deliver_candidate, c, candidate_free);
}

void room_webrtc_watch_candidates(GstElement *webrtc, RoomRelay *relay, RoomCandidateFunc func)
{
    CandidateWatch *watch = g_new0(CandidateWatch, 1);
    watch->relay = relay;
    watch->func = func;
    g_signal_connect(webrtc, "on-ice-candidate", G_CALLBACK(on_ice_candidate), watch);
    /* The watch lives as long as the element. */
    g_signal_connect_data(webrtc, "notify::ice-gathering-state", G_CALLBACK(on_gathering_state),
                          watch, (GClosureNotify)(void (*)(void))g_free, 0);
}

gboolean room_webrtc_set_remote(GstElement *webrtc, GstWebRTCSDPType type, const gchar *sdp,
                                GError **error)
{
    GstSDPMessage *message = NULL;
    if (gst_sdp_message_new_from_text(sdp, &message) != GST_SDP_OK || !message ||
        gst_sdp_message_medias_len(message) == 0) {
        if (message)
            gst_sdp_message_free(message);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "Janus's %s is not an SDP with media", type == GST_WEBRTC_SDP_TYPE_OFFER
                                                             ? "offer" : "answer");
        return FALSE;
    }
    GstWebRTCSessionDescription *description = gst_webrtc_session_description_new(type, message);
    g_signal_emit_by_name(webrtc, "set-remote-description", description, NULL);
    gst_webrtc_session_description_free(description);
    return TRUE;
}

gchar *room_webrtc_take_description(GstElement *webrtc, GstPromise *promise,
                                    const gchar *field)
{
    gchar *text = NULL;
    if (gst_promise_wait(promise) == GST_PROMISE_RESULT_REPLIED) {
        const GstStructure *reply = gst_promise_get_reply(promise);
        GstWebRTCSessionDescription *description = NULL;
        if (reply && gst_structure_get(reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                                       &description, NULL) && description) {
            g_signal_emit_by_name(webrtc, "set-local-description", description, NULL);
            text = gst_sdp_message_as_text(description->sdp);
            gst_webrtc_session_description_free(description);
        }
    }
    gst_promise_unref(promise);
    return text;
}

gboolean room_webrtc_rtcp_ssrc(GstElement *webrtc, guint32 *ssrc)
{
    /* webrtcbin's own rtpbin, named so in GStreamer 1.22; with
     * bundle-policy=max-bundle everything is session 0. */
    GstElement *rtpbin = gst_bin_get_by_name(GST_BIN(webrtc), "rtpbin");
    if (!rtpbin)
        return FALSE;
    GObject *session = NULL;
    g_signal_emit_by_name(rtpbin, "get-internal-session", 0u, &session);
    gst_object_unref(rtpbin);
    if (!session)
        return FALSE;
    guint value = 0;
    g_object_get(session, "internal-ssrc", &value, NULL);
    g_object_unref(session);
    *ssrc = value;
    return value != 0;
}

gchar *room_webrtc_sdp_add_ssrc(const gchar *sdp, const gchar *media, guint32 ssrc,
                                const gchar *cname)
{
    GstSDPMessage *message = NULL;
    if (gst_sdp_message_new_from_text(sdp, &message) != GST_SDP_OK)
        return NULL;
    gchar *text = NULL;
    for (guint i = 0; i < gst_sdp_message_medias_len(message); i++) {
        GstSDPMedia *m = (GstSDPMedia *)gst_sdp_message_get_media(message, i);
        if (g_strcmp0(gst_sdp_media_get_media(m), media) != 0)
            continue;
        gchar *value = g_strdup_printf("%u cname:%s", ssrc, cname);
        gst_sdp_media_add_attribute(m, "ssrc", value);
        g_free(value);
        text = gst_sdp_message_as_text(message);
        break;
    }
    gst_sdp_message_free(message);
    return text;
}
