/* SPDX-License-Identifier: BSD-2-Clause */
/* Check suite for facet-call's peer filter (call_net.c) and counters
 * (call_stats.c): which datagrams get in, how a listener learns its peer's
 * ports (and where it sends before it knows them), how frames and losses
 * are counted, and which RTCP messages are seen. */
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>
#include <gst/rtp/gstrtcpbuffer.h>
#include <gst/rtp/gstrtpbuffer.h>

#include "call_net.h"
#include "call_srtp.h"
#include "call_stats.h"

static GstBuffer *rtp_packet(guint8 payload_type, guint32 timestamp, gboolean marker)
{
    GstBuffer *buffer = gst_rtp_buffer_new_allocate(20, 0, 0);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

    ck_assert(gst_rtp_buffer_map(buffer, GST_MAP_WRITE, &rtp));
    gst_rtp_buffer_set_payload_type(&rtp, payload_type);
    gst_rtp_buffer_set_timestamp(&rtp, timestamp);
    gst_rtp_buffer_set_marker(&rtp, marker);
    gst_rtp_buffer_set_ssrc(&rtp, 0x12345678);
    gst_rtp_buffer_unmap(&rtp);
    return buffer;
}

/* A receiver report, plus a PLI and a BYE when asked. */
static GstBuffer *rtcp_packet(gboolean pli, gboolean bye)
{
    GstBuffer *buffer = gst_rtcp_buffer_new(1400);
    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    GstRTCPPacket packet;

    ck_assert(gst_rtcp_buffer_map(buffer, GST_MAP_READWRITE, &rtcp));
    ck_assert(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_RR, &packet));
    gst_rtcp_packet_rr_set_ssrc(&packet, 0x12345678);
    if (pli) {
        ck_assert(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_PSFB, &packet));
        gst_rtcp_packet_fb_set_type(&packet, GST_RTCP_PSFB_TYPE_PLI);
        gst_rtcp_packet_fb_set_sender_ssrc(&packet, 0x12345678);
        gst_rtcp_packet_fb_set_media_ssrc(&packet, 0x9abcdef0);
    }
    if (bye) {
        ck_assert(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_BYE, &packet));
        ck_assert(gst_rtcp_packet_bye_add_ssrc(&packet, 0x12345678));
    }
    gst_rtcp_buffer_unmap(&rtcp);
    return buffer;
}

static GstBuffer *bytes_packet(const char *text)
{
    return gst_buffer_new_memdup(text, strlen(text));
}

static GSocketAddress *address(const char *host, guint16 port)
{
    GSocketAddress *a = g_inet_socket_address_new_from_string(host, port);
    ck_assert_ptr_nonnull(a);
    return a;
}

/* Judges `packet` (consumed) from host:port on `channel`. */
static CallVerdict judge(CallNet *net, CallChannel channel, GstBuffer *packet, const char *host,
                         guint16 port)
{
    GSocketAddress *from = address(host, port);
    CallVerdict verdict = call_net_judge(net, channel, packet, from);
    g_object_unref(from);
    gst_buffer_unref(packet);
    return verdict;
}

/* The destinations a multiudpsink sends to, "host:port,..." */
static gchar *destinations(GstElement *sink)
{
    gchar *clients = NULL;
    g_object_get(sink, "clients", &clients, NULL);
    return clients;
}

START_TEST(test_ports_in_use)
{
    CallNet first, second;
    GError *error = NULL;

    call_net_init(&first);
    call_net_init(&second);
    ck_assert(call_net_bind(&first, 0, &error));
    ck_assert_uint_ge(first.first_port, 20000);
    for (int i = 0; i < CALL_CHANNELS; i++)
        ck_assert_ptr_nonnull(first.socket[i]);
    /* Overlapping ranges: the second one's first two ports are taken. */
    ck_assert(!call_net_bind(&second, first.first_port + 2, &error));
    ck_assert_ptr_nonnull(strstr(error->message, "in use"));
    for (int i = 0; i < CALL_CHANNELS; i++)
        ck_assert_ptr_null(second.socket[i]);
    g_clear_error(&error);
    call_net_clear(&second);
    call_net_clear(&first);
}
END_TEST

START_TEST(test_listener_learns_its_peer)
{
    CallNet net;
    GstElement *sender[CALL_CHANNELS];
    gchar *clients;

    call_net_init(&net);
    for (int i = 0; i < CALL_CHANNELS; i++) {
        sender[i] = gst_element_factory_make("multiudpsink", NULL);
        ck_assert_ptr_nonnull(sender[i]);
        gst_object_ref_sink(sender[i]);
        call_net_attach_sender(&net, i, sender[i]);
    }

    /* Before anyone calls: what is not RTP/RTCP of this call teaches nothing. */
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTP, bytes_packet("garbage"), "127.0.0.1", 4000),
                     CALL_PACKET_MALFORMED);
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTP, rtp_packet(33, 0, TRUE), "127.0.0.1", 4000),
                     CALL_PACKET_MALFORMED);
    ck_assert_int_eq(judge(&net, CALL_AUDIO_RTP, rtp_packet(CALL_VIDEO_PT, 0, TRUE), "127.0.0.1",
                           4002), CALL_PACKET_MALFORMED);
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTCP, bytes_packet("\x80\xc9\x00\x07"), "127.0.0.1",
                           4001), CALL_PACKET_MALFORMED);
    ck_assert_ptr_null(net.peer_address);
    ck_assert_int_eq(call_net_last_heard(&net), 0);

    /* The first valid video packet: its sender is the peer, its port the
     * video port, and RTCP goes to the next port until the peer's own RTCP
     * says otherwise. */
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTP, rtp_packet(CALL_VIDEO_PT, 0, TRUE), "127.0.0.1",
                           5000), CALL_PACKET_ACCEPTED);
    ck_assert_int_gt(call_net_last_heard(&net), 0);
    ck_assert(call_net_peer_known(&net, CALL_VIDEO_RTP));
    ck_assert(call_net_peer_known(&net, CALL_VIDEO_RTCP));
    ck_assert(!call_net_peer_known(&net, CALL_AUDIO_RTP));
    clients = destinations(sender[CALL_VIDEO_RTP]);
    ck_assert_str_eq(clients, "127.0.0.1:5000");
    g_free(clients);
    clients = destinations(sender[CALL_VIDEO_RTCP]);
    ck_assert_str_eq(clients, "127.0.0.1:5001");
    g_free(clients);

    /* Others, even well-formed: strangers. */
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTP, rtp_packet(CALL_VIDEO_PT, 0, TRUE), "127.0.0.1",
                           6000), CALL_PACKET_STRANGER);
    ck_assert_int_eq(judge(&net, CALL_AUDIO_RTP, rtp_packet(CALL_AUDIO_PT, 0, TRUE), "127.0.0.2",
                           5002), CALL_PACKET_STRANGER);

    /* The peer's RTCP comes from elsewhere than guessed: that port wins,
     * and the guess is dropped. */
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTCP, rtcp_packet(FALSE, FALSE), "127.0.0.1", 7001),
                     CALL_PACKET_ACCEPTED);
    clients = destinations(sender[CALL_VIDEO_RTCP]);
    ck_assert_str_eq(clients, "127.0.0.1:7001");
    g_free(clients);
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTCP, rtcp_packet(FALSE, FALSE), "127.0.0.1", 5001),
                     CALL_PACKET_STRANGER);

    /* Audio is learnt on its own socket; its RTCP guess is confirmed. */
    ck_assert_int_eq(judge(&net, CALL_AUDIO_RTP, rtp_packet(CALL_AUDIO_PT, 0, TRUE), "127.0.0.1",
                           5002), CALL_PACKET_ACCEPTED);
    ck_assert_int_eq(judge(&net, CALL_AUDIO_RTCP, rtcp_packet(FALSE, TRUE), "127.0.0.1", 5003),
                     CALL_PACKET_ACCEPTED);
    ck_assert_int_eq(judge(&net, CALL_AUDIO_RTCP, rtcp_packet(FALSE, FALSE), "127.0.0.1", 5099),
                     CALL_PACKET_STRANGER);
    clients = destinations(sender[CALL_AUDIO_RTCP]);
    ck_assert_str_eq(clients, "127.0.0.1:5003");
    g_free(clients);

    for (int i = 0; i < CALL_CHANNELS; i++)
        gst_object_unref(sender[i]);
    call_net_clear(&net);
}
END_TEST

START_TEST(test_caller_knows_its_peer)
{
    CallNet net;
    GstElement *sender = gst_element_factory_make("multiudpsink", NULL);
    GError *error = NULL;
    gchar *clients;

    ck_assert_ptr_nonnull(sender);
    gst_object_ref_sink(sender);
    call_net_init(&net);
    ck_assert(call_net_set_peer(&net, "127.0.0.1", 9000, &error));
    for (int i = 0; i < CALL_CHANNELS; i++)
        ck_assert(call_net_peer_known(&net, i));
    call_net_attach_sender(&net, CALL_AUDIO_RTCP, sender);
    clients = destinations(sender);
    ck_assert_str_eq(clients, "127.0.0.1:9003");
    g_free(clients);

    /* Only the listener's own ports get in; nothing is learnt. */
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTP, rtp_packet(CALL_VIDEO_PT, 0, TRUE), "127.0.0.1",
                           9002), CALL_PACKET_STRANGER);
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTP, rtp_packet(CALL_VIDEO_PT, 0, TRUE), "127.0.0.1",
                           9000), CALL_PACKET_ACCEPTED);
    ck_assert_int_eq(judge(&net, CALL_AUDIO_RTCP, rtcp_packet(TRUE, FALSE), "127.0.0.1", 9003),
                     CALL_PACKET_ACCEPTED);
    ck_assert_int_eq(judge(&net, CALL_AUDIO_RTCP, rtcp_packet(TRUE, FALSE), "127.0.0.1", 9004),
                     CALL_PACKET_STRANGER);

    /* No host, no call. */
    ck_assert(!call_net_set_peer(&net, "no-such-host.invalid", 9000, &error));
    ck_assert_ptr_nonnull(strstr(error->message, "no-such-host.invalid"));
    g_clear_error(&error);

    gst_object_unref(sender);
    call_net_clear(&net);
}
END_TEST

START_TEST(test_frames_and_losses_counted)
{
    CallStats stats;
    CallCounters c;

    call_stats_init(&stats);
    /* Frame 1, a keyframe: three packets, the middle one dropped. */
    call_stats_video_packet_out(&stats, 1000, FALSE, TRUE, 1200, FALSE);
    call_stats_video_packet_out(&stats, 1000, FALSE, TRUE, 1200, TRUE);
    call_stats_video_packet_out(&stats, 1000, TRUE, TRUE, 400, FALSE);
    /* Frame 2: one packet. Frame 3: its last packet (with the marker)
     * dropped, which the next timestamp closes. Both deltas of the lost
     * keyframe: not decodable. */
    call_stats_video_packet_out(&stats, 4600, TRUE, FALSE, 40, FALSE);
    call_stats_video_packet_out(&stats, 8200, FALSE, FALSE, 1200, FALSE);
    call_stats_video_packet_out(&stats, 8200, TRUE, FALSE, 100, TRUE);
    call_stats_video_packet_out(&stats, 11800, TRUE, FALSE, 30, FALSE);
    call_stats_snapshot(&stats, &c);
    ck_assert_uint_eq(c.video_frames_sent, 4);
    ck_assert_uint_eq(c.video_frames_lost, 2);
    ck_assert_uint_eq(c.video_frames_decodable, 0);
    ck_assert_uint_eq(c.video_packets_dropped, 2);
    ck_assert_uint_eq(c.video_packets_sent, 5);
    ck_assert_uint_eq(c.video_bytes_sent, 1200 + 400 + 40 + 1200 + 30);
    /* A keyframe sent whole (its one packet) makes it and the deltas after
     * it decodable, except a delta that lost a packet. */
    call_stats_video_packet_out(&stats, 15400, TRUE, TRUE, 900, FALSE);
    call_stats_video_packet_out(&stats, 19000, TRUE, FALSE, 30, FALSE);
    call_stats_video_packet_out(&stats, 22600, TRUE, FALSE, 30, TRUE);
    call_stats_video_packet_out(&stats, 26200, TRUE, FALSE, 30, FALSE);
    call_stats_snapshot(&stats, &c);
    ck_assert_uint_eq(c.video_frames_sent, 8);
    ck_assert_uint_eq(c.video_frames_lost, 3);
    ck_assert_uint_eq(c.video_frames_decodable, 3);
    ck_assert_uint_eq(c.video_pictures_sent, 8);
    /* A latent frame and the reference fragment sent after it, each with
     * its marker bit: two frames (Facet packets), one picture. */
    call_stats_video_packet_out(&stats, 29800, TRUE, FALSE, 30, FALSE);
    call_stats_video_packet_out(&stats, 29800, TRUE, FALSE, 1200, FALSE);
    call_stats_snapshot(&stats, &c);
    ck_assert_uint_eq(c.video_frames_sent, 10);
    ck_assert_uint_eq(c.video_pictures_sent, 9);

    /* Two requests before one keyframe are answered once; a keyframe nobody
     * asked for answers nothing. */
    call_stats_frame_encoded(&stats, TRUE, FALSE);
    call_stats_keyframe_requested(&stats);
    call_stats_keyframe_requested(&stats);
    call_stats_frame_encoded(&stats, FALSE, FALSE);
    call_stats_frame_encoded(&stats, TRUE, FALSE);
    call_stats_frame_encoded(&stats, TRUE, FALSE);
    call_stats_snapshot(&stats, &c);
    ck_assert_uint_eq(c.keyframe_requests, 2);
    ck_assert_uint_eq(c.keyframe_requests_answered, 1);
    ck_assert_uint_eq(c.keyframes_encoded, 3);
    /* A latent-tier reference is counted apart, and answers a request. */
    call_stats_keyframe_requested(&stats);
    call_stats_frame_encoded(&stats, FALSE, TRUE);
    call_stats_snapshot(&stats, &c);
    ck_assert_uint_eq(c.keyframes_encoded, 3);
    ck_assert_uint_eq(c.references_encoded, 1);
    ck_assert_uint_eq(c.keyframe_requests_answered, 2);

    CALL_STATS_ADD(&stats, packets_stranger, 3);
    call_stats_snapshot(&stats, &c);
    ck_assert_uint_eq(c.packets_stranger, 3);
    call_stats_clear(&stats);
}
END_TEST

START_TEST(test_rtcp_scanned)
{
    GstBuffer *buffer;
    CallRtcpScan scan;

    buffer = rtcp_packet(FALSE, FALSE);
    scan = call_stats_scan_rtcp(buffer);
    ck_assert_uint_eq(scan.pli, 0);
    ck_assert_uint_eq(scan.bye, 0);
    gst_buffer_unref(buffer);

    buffer = rtcp_packet(TRUE, TRUE);
    scan = call_stats_scan_rtcp(buffer);
    ck_assert_uint_eq(scan.pli, 1);
    ck_assert_uint_eq(scan.bye, 1);
    gst_buffer_unref(buffer);

    /* Not RTCP: nothing, and no read past the bytes. */
    buffer = bytes_packet("\x81\xce\x00\x09 short");
    scan = call_stats_scan_rtcp(buffer);
    ck_assert_uint_eq(scan.pli + scan.bye, 0);
    gst_buffer_unref(buffer);
}
END_TEST

/* An RR with report blocks about our video (0x1111, 10 % lost) and our
 * retransmission SSRC (0x2222, none lost), in that order, as a peer sends
 * them; then an SR whose block about the video says 20 %. */
START_TEST(test_report_block_found)
{
    GstBuffer *buffer = gst_rtcp_buffer_new(1400);
    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    GstRTCPPacket packet;
    CallReportBlock block = { 0, 0, 0 };

    ck_assert(gst_rtcp_buffer_map(buffer, GST_MAP_READWRITE, &rtcp));
    ck_assert(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_RR, &packet));
    gst_rtcp_packet_rr_set_ssrc(&packet, 0x12345678);
    ck_assert(gst_rtcp_packet_add_rb(&packet, 0x1111, 26, 3, 1000, 0, 0xabcd, 0));
    ck_assert(gst_rtcp_packet_add_rb(&packet, 0x2222, 0, 0, 40, 0, 0xabcd, 0));
    gst_rtcp_buffer_unmap(&rtcp);

    ck_assert(call_stats_find_report_block(buffer, 0x1111, &block));
    ck_assert_uint_eq(block.fraction_lost, 26);
    ck_assert_uint_eq(block.exthighest, 1000);
    ck_assert_uint_eq(block.lsr, 0xabcd);
    ck_assert(call_stats_find_report_block(buffer, 0x2222, &block));
    ck_assert_uint_eq(block.fraction_lost, 0);
    ck_assert_uint_eq(block.exthighest, 40);
    ck_assert(!call_stats_find_report_block(buffer, 0x3333, &block));
    gst_buffer_unref(buffer);

    buffer = gst_rtcp_buffer_new(1400);
    ck_assert(gst_rtcp_buffer_map(buffer, GST_MAP_READWRITE, &rtcp));
    ck_assert(gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_SR, &packet));
    gst_rtcp_packet_sr_set_sender_info(&packet, 0x12345678, 0, 0, 10, 1000);
    ck_assert(gst_rtcp_packet_add_rb(&packet, 0x1111, 51, 9, 1100, 0, 0, 0));
    gst_rtcp_buffer_unmap(&rtcp);
    ck_assert(call_stats_find_report_block(buffer, 0x1111, &block));
    ck_assert_uint_eq(block.fraction_lost, 51);
    ck_assert_uint_eq(block.exthighest, 1100);
    gst_buffer_unref(buffer);

    /* Not RTCP, or a claimed block past the packet's end: none. */
    buffer = bytes_packet("\x81\xce\x00\x09 short");
    ck_assert(!call_stats_find_report_block(buffer, 0x1111, &block));
    gst_buffer_unref(buffer);
    {
        /* An RR that claims 31 blocks in a packet of 8 bytes. */
        static const guint8 claims_too_many[] = { 0x9f, 0xc9, 0x00, 0x01,
                                                  0x12, 0x34, 0x56, 0x78 };
        buffer = gst_buffer_new_memdup(claims_too_many, sizeof(claims_too_many));
        ck_assert(!call_stats_find_report_block(buffer, 0, &block));
        gst_buffer_unref(buffer);
    }
}
END_TEST

/* What an SRTCP packet of `size` bytes looks like from outside: an RR
 * header in the clear, the rest opaque. */
static GstBuffer *srtcp_like(gsize size, guint8 type)
{
    GstBuffer *buffer = gst_buffer_new_allocate(NULL, size, NULL);
    guint8 header[4] = { 0x80, type, 0x00, 0x01 };
    gst_buffer_memset(buffer, 0, 0xa5, size);
    gst_buffer_fill(buffer, 0, header, sizeof(header));
    return buffer;
}

/* An encrypted call's listener learns nothing before authentication: what
 * would have taught it is UNVERIFIED (let on to srtpdec), and the first
 * authenticated packet (call_net_confirm) fixes the peer. */
START_TEST(test_encrypted_listener_learns_after_authentication)
{
    CallNet net;
    GSocketAddress *peer = address("127.0.0.1", 5000), *other = address("127.0.0.1", 6000);

    call_net_init(&net);
    call_net_set_encrypted(&net);
    /* SRTCP: only the first header is checked, and a minimum size. */
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTCP, srtcp_like(40, GST_RTCP_TYPE_RR), "127.0.0.1",
                           5001), CALL_PACKET_UNVERIFIED);
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTCP, srtcp_like(21, GST_RTCP_TYPE_RR), "127.0.0.1",
                           5001), CALL_PACKET_MALFORMED);
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTCP, srtcp_like(40, GST_RTCP_TYPE_PSFB), "127.0.0.1",
                           5001), CALL_PACKET_UNVERIFIED);
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTCP, srtcp_like(40, 207), "127.0.0.1", 5001),
                     CALL_PACKET_MALFORMED);
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTCP, srtcp_like(40, 72), "127.0.0.1", 5001),
                     CALL_PACKET_MALFORMED);
    /* A stranger's plain RTP first: not learnt. */
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTP, rtp_packet(CALL_VIDEO_PT, 0, TRUE), "127.0.0.1",
                           6000), CALL_PACKET_UNVERIFIED);
    ck_assert(!call_net_peer_known(&net, CALL_VIDEO_RTP));
    ck_assert_int_eq(call_net_last_heard(&net), 0);
    /* The real peer's packet authenticates: it is the peer. */
    ck_assert_int_eq(call_net_confirm(&net, CALL_VIDEO_RTP, peer), CALL_PACKET_ACCEPTED);
    ck_assert(call_net_peer_known(&net, CALL_VIDEO_RTP));
    ck_assert_int_gt(call_net_last_heard(&net), 0);
    /* From now on the stranger is one at the socket already, and even
     * authenticated (another key holder) it is not the peer. */
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTP, rtp_packet(CALL_VIDEO_PT, 0, TRUE), "127.0.0.1",
                           6000), CALL_PACKET_STRANGER);
    ck_assert_int_eq(call_net_confirm(&net, CALL_VIDEO_RTP, other), CALL_PACKET_STRANGER);
    /* The peer's retransmissions (RTX payload type) and FEC packets are
     * its video too. */
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTP, rtp_packet(CALL_VIDEO_RTX_PT, 0, TRUE),
                           "127.0.0.1", 5000), CALL_PACKET_ACCEPTED);
    ck_assert_int_eq(judge(&net, CALL_VIDEO_RTP, rtp_packet(CALL_VIDEO_FEC_PT, 0, TRUE),
                           "127.0.0.1", 5000), CALL_PACKET_ACCEPTED);
    ck_assert_int_eq(call_net_confirm(&net, CALL_VIDEO_RTP, NULL), CALL_PACKET_STRANGER);
    g_object_unref(peer);
    g_object_unref(other);
    call_net_clear(&net);
}
END_TEST

START_TEST(test_keys)
{
    GError *error = NULL;
    GBytes *key, *again;
    CallSrtp listener, caller;
    CallCipher cipher;
    gchar *dir = g_dir_make_tmp("facet-call-key-XXXXXX", NULL);
    gchar *path = g_build_filename(dir, "call.key", NULL);
    const gchar *hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    key = call_srtp_key_from_hex(hex, "--key", &error);
    ck_assert_ptr_nonnull(key);
    ck_assert_uint_eq(g_bytes_get_size(key), 32);
    /* Whitespace (a file's newline, grouped digits) does not matter. */
    ck_assert(g_file_set_contents(path, "00112233445566778899aabbccddeeff\n"
                                        "00112233 445566778899aabbccddeeff\n", -1, NULL));
    g_chmod(path, 0600);
    again = call_srtp_key_from_file(path, &error);
    ck_assert_ptr_nonnull(again);
    ck_assert(g_bytes_equal(key, again));
    g_bytes_unref(again);

    /* Bad keys: named, never accepted. */
    ck_assert_ptr_null(call_srtp_key_from_hex("0011zz", "--key", &error));
    ck_assert_ptr_nonnull(strstr(error->message, "not hexadecimal"));
    g_clear_error(&error);
    ck_assert_ptr_null(call_srtp_key_from_hex("001122", "--key", &error));
    ck_assert_ptr_nonnull(strstr(error->message, "16 to 64 bytes"));
    g_clear_error(&error);
    ck_assert_ptr_null(call_srtp_key_from_hex("00112233445566778899aabbccddeeff0", "--key",
                                              &error));
    g_clear_error(&error);
    ck_assert_ptr_null(call_srtp_key_from_file("/nonexistent/call.key", &error));
    ck_assert_ptr_nonnull(strstr(error->message, "not a readable file"));
    g_clear_error(&error);

    ck_assert(call_srtp_cipher_from_name("aes-128-gcm", &cipher));
    ck_assert_int_eq(cipher, CALL_CIPHER_AES_128_GCM);
    ck_assert(call_srtp_cipher_from_name("aes-128-cm-hmac-sha1-80", &cipher));
    ck_assert(!call_srtp_cipher_from_name("rot13", &cipher));

    /* Each direction its own key, the two sides agreeing on each; the
     * sizes libsrtp wants (key + salt). */
    call_srtp_init(&listener, key, CALL_CIPHER_AES_128_GCM, TRUE);
    call_srtp_init(&caller, key, CALL_CIPHER_AES_128_GCM, FALSE);
    ck_assert(g_bytes_equal(listener.send_key, caller.receive_key));
    ck_assert(g_bytes_equal(caller.send_key, listener.receive_key));
    ck_assert(!g_bytes_equal(listener.send_key, listener.receive_key));
    ck_assert_uint_eq(g_bytes_get_size(listener.send_key), 28);
    call_srtp_clear(&listener);
    call_srtp_clear(&caller);
    call_srtp_init(&listener, key, CALL_CIPHER_AES_128_CM_HMAC_SHA1_80, TRUE);
    ck_assert_uint_eq(g_bytes_get_size(listener.send_key), 30);
    call_srtp_clear(&listener);

    g_bytes_unref(key);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}
END_TEST

static Suite *call_net_suite(void)
{
    Suite *s = suite_create("call_net");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_ports_in_use);
    tcase_add_test(tc, test_listener_learns_its_peer);
    tcase_add_test(tc, test_caller_knows_its_peer);
    tcase_add_test(tc, test_frames_and_losses_counted);
    tcase_add_test(tc, test_rtcp_scanned);
    tcase_add_test(tc, test_report_block_found);
    tcase_add_test(tc, test_encrypted_listener_learns_after_authentication);
    tcase_add_test(tc, test_keys);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner;
    int failed;

    gst_init(NULL, NULL);
    runner = srunner_create(call_net_suite());
    /* No fork: GStreamer's state does not survive one. */
    srunner_set_fork_status(runner, CK_NOFORK);
    srunner_run_all(runner, CK_ENV);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    gst_deinit();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
