/* SPDX-License-Identifier: BSD-2-Clause */
/* webrtcbin chores shared by the publisher and the subscribers. */
#ifndef FACET_ROOM_WEBRTC_H
#define FACET_ROOM_WEBRTC_H

#define GST_USE_UNSTABLE_API
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include "room_relay.h"

/* A local candidate (mline, candidate line), or candidate NULL when
 * gathering is complete; in the main context. */
typedef void (*RoomCandidateFunc)(gpointer owner, guint mline_index, const gchar *candidate);

/* Relays webrtcbin's local ICE candidates and the end of gathering. The
 * owner stops the element before it detaches the relay. */
void room_webrtc_watch_candidates(GstElement *webrtc, RoomRelay *relay, RoomCandidateFunc func);

/* Parses `sdp` and sets it as the remote description (offer or answer).
 * FALSE with *error when it is not SDP. */
gboolean room_webrtc_set_remote(GstElement *webrtc, GstWebRTCSDPType type, const gchar *sdp,
                                GError **error);

/* A local description from a create-offer/create-answer promise: set on
 * webrtcbin, returned as text (g_free), or NULL when the promise failed. */
gchar *room_webrtc_take_description(GstElement *webrtc, GstPromise *promise,
                                    const gchar *field);

/* The SSRC this webrtcbin's (bundled) RTP session sends its RTCP from;
 * FALSE before the session exists. */
gboolean room_webrtc_rtcp_ssrc(GstElement *webrtc, guint32 *ssrc);

/* `sdp` with "a=ssrc:SSRC cname:CNAME" added to its first m-line of
 * `media` ("video"); a new string, or NULL when `sdp` does not parse or
 * has no such m-line. */
gchar *room_webrtc_sdp_add_ssrc(const gchar *sdp, const gchar *media, guint32 ssrc,
                                const gchar *cname);

#endif
