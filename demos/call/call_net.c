/* SPDX-License-Identifier: BSD-2-Clause */
/* The four UDP sockets of a call and the peer filter (call_net.h). */
#include "call_net.h"

#include <string.h>

#include <gst/rtp/gstrtcpbuffer.h>
#include <gst/rtp/gstrtpbuffer.h>

#define CALL_NET_ERROR (g_quark_from_static_string("facet-call-net"))

/* Where --listen 0 looks for four free consecutive ports: above the
 * registered range and below Linux's default ephemeral range. */
#define PICK_LOWEST 20000
#define PICK_HIGHEST 32764
#define PICK_TRIES 200

const gchar *call_channel_name(CallChannel channel)
{
    static const gchar *const names[CALL_CHANNELS] = { "video RTP", "video RTCP", "audio RTP",
                                                       "audio RTCP" };
    return channel < CALL_CHANNELS ? names[channel] : "?";
}

static GSocket *bind_udp(guint16 port, GError **error)
{
    GSocket *socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                   G_SOCKET_PROTOCOL_UDP, error);
    GInetAddress *any;
    GSocketAddress *address;
    gboolean ok;

    if (!socket)
        return NULL;
    any = g_inet_address_new_any(G_SOCKET_FAMILY_IPV4);
    address = g_inet_socket_address_new(any, port);
    /* No SO_REUSEADDR: on Linux it would let two calls share a UDP port. */
    ok = g_socket_bind(socket, address, FALSE, error);
    g_object_unref(address);
    g_object_unref(any);
    if (!ok) {
        g_object_unref(socket);
        return NULL;
    }
    return socket;
}

static void close_sockets(CallNet *net)
{
    for (int i = 0; i < CALL_CHANNELS; i++)
        g_clear_object(&net->socket[i]);
}

/* Binds first..first+3; on failure leaves no socket open. */
static gboolean bind_four(CallNet *net, guint16 first, GError **error)
{
    for (int i = 0; i < CALL_CHANNELS; i++) {
        net->socket[i] = bind_udp((guint16)(first + i), error);
        if (!net->socket[i]) {
            close_sockets(net);
            return FALSE;
        }
    }
    net->first_port = first;
    return TRUE;
}

void call_net_init(CallNet *net)
{
    memset(net, 0, sizeof(*net));
    g_mutex_init(&net->lock);
    /* Until call_net_set_peer() says who the peer is, it is learnt. */
    net->learning = TRUE;
}

gboolean call_net_bind(CallNet *net, guint16 first_port, GError **error)
{
    GError *local = NULL;

    if (first_port) {
        if (bind_four(net, first_port, &local))
            return TRUE;
        if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
            g_set_error(error, CALL_NET_ERROR, 1,
                        "UDP ports %u-%u: one is in use (another call or program); choose "
                        "other ports, or 0 to pick free ones", first_port, first_port + 3);
        else
            g_set_error(error, CALL_NET_ERROR, 1, "cannot bind UDP ports %u-%u: %s", first_port,
                        first_port + 3, local->message);
        g_error_free(local);
        return FALSE;
    }

    for (int attempt = 0; attempt < PICK_TRIES; attempt++) {
        guint16 first = (guint16)(g_random_int_range(PICK_LOWEST / 2, PICK_HIGHEST / 2 + 1) * 2);
        if (bind_four(net, first, &local))
            return TRUE;
        if (!g_error_matches(local, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)) {
            g_propagate_prefixed_error(error, local, "cannot bind UDP ports: ");
            return FALSE;
        }
        g_clear_error(&local);
    }
    g_set_error(error, CALL_NET_ERROR, 1, "found no four free consecutive UDP ports in %d-%d",
                PICK_LOWEST, PICK_HIGHEST + 3);
    return FALSE;
}

gboolean call_net_set_peer(CallNet *net, const gchar *host, guint16 first_port, GError **error)
{
    GResolver *resolver = g_resolver_get_default();
    GError *local = NULL;
    GList *addresses = g_resolver_lookup_by_name(resolver, host, NULL, &local);
    GInetAddress *chosen = NULL;

    g_object_unref(resolver);
    if (!addresses) {
        g_set_error(error, CALL_NET_ERROR, 1, "cannot resolve '%s': %s", host, local->message);
        g_error_free(local);
        return FALSE;
    }
    for (GList *l = addresses; l && !chosen; l = l->next) {
        if (g_inet_address_get_family(l->data) == G_SOCKET_FAMILY_IPV4)
            chosen = g_object_ref(l->data);
    }
    g_resolver_free_addresses(addresses);
    if (!chosen) {
        g_set_error(error, CALL_NET_ERROR, 1, "'%s' has no IPv4 address (facet-call speaks IPv4)",
                    host);
        return FALSE;
    }
    g_mutex_lock(&net->lock);
    net->learning = FALSE;
    net->peer_address = chosen;
    for (int i = 0; i < CALL_CHANNELS; i++)
        net->peer_port[i] = (guint16)(first_port + i);
    g_mutex_unlock(&net->lock);
    return TRUE;
}

static void add_destination(GstElement *sender, GInetAddress *address, guint16 port)
{
    gchar *host = g_inet_address_to_string(address);
    g_signal_emit_by_name(sender, "add", host, (gint)port);
    g_free(host);
}

void call_net_attach_sender(CallNet *net, CallChannel channel, GstElement *multiudpsink)
{
    GInetAddress *address = NULL;
    guint16 port;

    g_mutex_lock(&net->lock);
    net->sender[channel] = multiudpsink;
    port = net->peer_port[channel];
    if (net->peer_address && port)
        address = g_object_ref(net->peer_address);
    g_mutex_unlock(&net->lock);
    if (address) {
        add_destination(multiudpsink, address, port);
        g_object_unref(address);
    }
}

/* What an SRTCP packet shows in the clear (RFC 3711 section 3.4): the
 * first RTCP header and sender SSRC (or media SSRC), then (encrypted) the rest, then the
 * E flag and index (4 bytes) and at least a 10-byte tag. */
#define SRTCP_MIN_SIZE (8 + 4 + 10)

static gboolean is_srtcp_shaped(GstBuffer *packet)
{
    guint8 header[2];

    if (gst_buffer_get_size(packet) < SRTCP_MIN_SIZE ||
        gst_buffer_extract(packet, 0, header, 2) != 2)
        return FALSE;
    /* Version 2, and a known type: a compound packet starts with SR or RR,
     * a reduced-size one (RFC 5506) with its feedback. */
    return (header[0] >> 6) == 2 && header[1] >= GST_RTCP_TYPE_SR &&
           header[1] <= GST_RTCP_TYPE_PSFB;
}

static gboolean is_expected_packet(CallNet *net, CallChannel channel, GstBuffer *packet)
{
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    guint8 pt;

    if (channel == CALL_VIDEO_RTCP || channel == CALL_AUDIO_RTCP)
        return net->encrypted ? is_srtcp_shaped(packet) : gst_rtcp_buffer_validate_reduced(packet);
    /* Checks the version, the header, CSRC and extension lengths and the
     * padding against the datagram's size (SRTP leaves the header clear). */
    if (!gst_rtp_buffer_map(packet, GST_MAP_READ, &rtp))
        return FALSE;
    pt = gst_rtp_buffer_get_payload_type(&rtp);
    gst_rtp_buffer_unmap(&rtp);
    if (channel == CALL_VIDEO_RTP)
        return pt == CALL_VIDEO_PT || pt == CALL_VIDEO_RTX_PT || pt == CALL_VIDEO_FEC_PT;
    return pt == CALL_AUDIO_PT;
}

void call_net_set_encrypted(CallNet *net)
{
    g_mutex_lock(&net->lock);
    net->encrypted = TRUE;
    g_mutex_unlock(&net->lock);
}

/* A destination to change on a sender, decided under the lock and applied
 * after it. */
typedef struct PortChange {
    GstElement *sender; /* a reference, or NULL */
    guint16 old_port;   /* 0: none to remove */
    guint16 new_port;
} PortChange;

/* Learns `port` as the peer's on `channel` (lock held). */
static void learn_port(CallNet *net, CallChannel channel, guint16 port, gboolean guessed,
                       PortChange *change)
{
    change->sender = net->sender[channel] ? g_object_ref(net->sender[channel]) : NULL;
    change->old_port = net->peer_port[channel];
    change->new_port = port;
    net->peer_port[channel] = port;
    net->port_guessed[channel] = guessed;
}

static void apply_change(PortChange *change, GInetAddress *address)
{
    gchar *host;

    if (!change->sender)
        return;
    host = g_inet_address_to_string(address);
    if (change->old_port)
        g_signal_emit_by_name(change->sender, "remove", host, (gint)change->old_port);
    g_signal_emit_by_name(change->sender, "add", host, (gint)change->new_port);
    g_free(host);
    g_object_unref(change->sender);
}

/* Whether `from` is the peer on `channel`, learning it when allowed
 * (`may_learn`); an encrypted call's listener answers UNVERIFIED where it
 * would learn from a packet not yet authenticated. Lock held. */
static CallVerdict decide(CallNet *net, CallChannel channel, GInetAddress *from_address,
                          guint16 from_port, gboolean may_learn, PortChange changes[2])
{
    gboolean would_learn_address = net->learning && !net->peer_address;

    if (!would_learn_address && !g_inet_address_equal(from_address, net->peer_address))
        return CALL_PACKET_STRANGER;
    if (!would_learn_address && net->peer_port[channel] == from_port) {
        net->port_guessed[channel] = FALSE;
        return CALL_PACKET_ACCEPTED;
    }
    if (!net->learning || (net->peer_port[channel] && !net->port_guessed[channel]))
        return CALL_PACKET_STRANGER;
    /* Here a listener learns the peer's address and (or) this port. */
    if (!may_learn)
        return CALL_PACKET_UNVERIFIED;
    if (would_learn_address)
        net->peer_address = g_object_ref(from_address);
    learn_port(net, channel, from_port, FALSE, &changes[0]);
    if ((channel == CALL_VIDEO_RTP || channel == CALL_AUDIO_RTP) &&
        !net->peer_port[channel + 1] && from_port < G_MAXUINT16)
        learn_port(net, channel + 1, from_port + 1, TRUE, &changes[1]);
    return CALL_PACKET_ACCEPTED;
}

static CallVerdict judge_address(CallNet *net, CallChannel channel, GSocketAddress *from,
                                 gboolean authenticated)
{
    GInetAddress *from_address;
    guint16 from_port;
    PortChange changes[2] = { { NULL, 0, 0 }, { NULL, 0, 0 } };
    CallVerdict verdict;

    from_address = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(from));
    from_port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(from));

    g_mutex_lock(&net->lock);
    verdict = decide(net, channel, from_address, from_port, authenticated || !net->encrypted,
                     changes);
    if (verdict == CALL_PACKET_ACCEPTED)
        net->last_heard_us = g_get_monotonic_time();
    g_mutex_unlock(&net->lock);

    for (int i = 0; i < 2; i++)
        apply_change(&changes[i], from_address);
    return verdict;
}

CallVerdict call_net_judge(CallNet *net, CallChannel channel, GstBuffer *packet,
                           GSocketAddress *from)
{
    if (!from || !G_IS_INET_SOCKET_ADDRESS(from) || channel >= CALL_CHANNELS)
        return CALL_PACKET_STRANGER;
    if (!is_expected_packet(net, channel, packet))
        return CALL_PACKET_MALFORMED;
    return judge_address(net, channel, from, FALSE);
}

CallVerdict call_net_confirm(CallNet *net, CallChannel channel, GSocketAddress *from)
{
    if (!from || !G_IS_INET_SOCKET_ADDRESS(from) || channel >= CALL_CHANNELS)
        return CALL_PACKET_STRANGER;
    return judge_address(net, channel, from, TRUE);
}

gboolean call_net_peer_known(CallNet *net, CallChannel channel)
{
    gboolean known;
    g_mutex_lock(&net->lock);
    known = net->peer_address && net->peer_port[channel];
    g_mutex_unlock(&net->lock);
    return known;
}

gchar *call_net_peer_string(CallNet *net)
{
    gchar *text = NULL;
    g_mutex_lock(&net->lock);
    if (net->peer_address)
        text = g_inet_address_to_string(net->peer_address);
    g_mutex_unlock(&net->lock);
    return text;
}

gint64 call_net_last_heard(CallNet *net)
{
    gint64 t;
    g_mutex_lock(&net->lock);
    t = net->last_heard_us;
    g_mutex_unlock(&net->lock);
    return t;
}

void call_net_clear(CallNet *net)
{
    close_sockets(net);
    g_clear_object(&net->peer_address);
    g_mutex_clear(&net->lock);
}
