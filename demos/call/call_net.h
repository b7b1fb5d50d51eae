/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's network side: four UDP sockets and who the peer is.
 *
 * Each side binds four consecutive ports, FIRST..FIRST+3: video RTP, video
 * RTCP, audio RTP, audio RTCP. Every socket both receives and sends
 * (symmetric RTP), so the port a packet comes from is the port replies go
 * to. The caller knows the listener's address and ports up front; the
 * listener learns the caller's address from the first valid RTP or RTCP
 * packet, each socket's peer port from the first valid packet on it, and
 * from then on accepts packets from that address and port only. Until the
 * peer's first RTCP packet shows its RTCP port, the listener sends RTCP to
 * the port after the peer's RTP port (RFC 3550's convention), so that an
 * early keyframe request is not lost. */
#ifndef FACET_CALL_NET_H
#define FACET_CALL_NET_H

#include <gio/gio.h>
#include <gst/gst.h>

typedef enum CallChannel {
    CALL_VIDEO_RTP,
    CALL_VIDEO_RTCP,
    CALL_AUDIO_RTP,
    CALL_AUDIO_RTCP,
    CALL_CHANNELS,
} CallChannel;

/* RTP payload types of the two media (dynamic range, fixed by this app),
 * of the video's retransmissions (RFC 4588, on their own SSRC) and of its
 * forward error correction (ULPFEC, RFC 5109, on the video's own SSRC and
 * sequence numbers, as rtpulpfecenc sends it). */
#define CALL_VIDEO_PT 96
#define CALL_AUDIO_PT 97
#define CALL_VIDEO_RTX_PT 99
#define CALL_VIDEO_FEC_PT 100

typedef enum CallVerdict {
    CALL_PACKET_ACCEPTED,
    CALL_PACKET_MALFORMED, /* not RTP/RTCP of this call */
    CALL_PACKET_STRANGER,  /* well formed, but not from the peer */
    CALL_PACKET_UNVERIFIED, /* encrypted call: would teach the peer; let it on to
                             * authentication, then call_net_confirm() */
} CallVerdict;

typedef struct CallNet {
    GSocket *socket[CALL_CHANNELS];
    guint16 first_port;

    /* multiudpsink of each channel (call_net_attach_sender()). */
    GstElement *sender[CALL_CHANNELS];

    GMutex lock;
    gboolean learning;                 /* listener: peer not fixed up front */
    gboolean encrypted;                /* learn only from authenticated packets */
    GInetAddress *peer_address;        /* NULL until known */
    guint16 peer_port[CALL_CHANNELS];  /* 0 until known */
    gboolean port_guessed[CALL_CHANNELS]; /* RTCP port presumed, not yet seen */
    gint64 last_heard_us;              /* monotonic; 0: never */
    gboolean peer_announced;           /* the user was told about the peer */
} CallNet;

const gchar *call_channel_name(CallChannel channel);

/* Zeroes *net and prepares its lock; call_net_clear() undoes it. */
void call_net_init(CallNet *net);

/* Binds the four sockets on all IPv4 addresses at first_port..first_port+3;
 * first_port 0 picks four free consecutive ports. A port in use is an error
 * that names it. */
gboolean call_net_bind(CallNet *net, guint16 first_port, GError **error);

/* Fixes the peer (the caller's side): resolves `host` to an IPv4 address. */
gboolean call_net_set_peer(CallNet *net, const gchar *host, guint16 first_port, GError **error);

/* Sends `channel`'s packets through `multiudpsink` (which must use the
 * channel's socket) to the peer's port once it is known. */
void call_net_attach_sender(CallNet *net, CallChannel channel, GstElement *multiudpsink);

/* Judges one received datagram on `channel` from `from`: is it an RTP packet
 * of the expected payload type (RTP channels) or a valid RTCP packet (RTCP
 * channels), and does it come from the peer? A listener that does not know
 * its peer yet learns it from the first valid packet. Thread-safe. */
CallVerdict call_net_judge(CallNet *net, CallChannel channel, GstBuffer *packet,
                           GSocketAddress *from);

/* An encrypted call (SRTP): RTCP channels take SRTCP (only its first header
 * is in the clear), and the listener learns its peer only from packets that
 * passed authentication: call_net_judge() answers CALL_PACKET_UNVERIFIED
 * where it would have learnt, and call_net_confirm() learns once the packet
 * is authenticated. Otherwise anyone could become the peer with one plain
 * packet before the real caller's first. Call before the first packet. */
void call_net_set_encrypted(CallNet *net);

/* An authenticated packet on `channel` from `from` (encrypted calls): the
 * first fixes the peer's address and that channel's port, as
 * call_net_judge() does for a plain call. Returns CALL_PACKET_ACCEPTED, or
 * CALL_PACKET_STRANGER when another authenticated sender got there first.
 * Thread-safe. */
CallVerdict call_net_confirm(CallNet *net, CallChannel channel, GSocketAddress *from);

/* Whether the peer's port on `channel` is known (packets sent there arrive). */
gboolean call_net_peer_known(CallNet *net, CallChannel channel);

/* The peer's address as text (NULL when unknown); free with g_free(). */
gchar *call_net_peer_string(CallNet *net);

/* Microseconds of the monotonic clock when the last accepted packet came;
 * 0 when none has. */
gint64 call_net_last_heard(CallNet *net);

void call_net_clear(CallNet *net);

#endif
