/* SPDX-License-Identifier: BSD-2-Clause */
/* rtpfacetpay and rtpfacetdepay through GstHarness (docs/rtp-payload.md):
 * fragmentation and the payload header, byte-exact round trips, keyframe
 * requests after loss, malformed RTP, and random packet loss between a real
 * encoder and decoder. */
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

#define MODEL_PATH FACET_SOURCE_DIR "/models/facet-256.safetensors"
#define MTU 100
#define ROOM (MTU - 12 - 2) /* RTP header, payload header */
#define FRAME_DURATION (GST_SECOND / 25)
#define FACET_CAPS "video/x-facet, model-id = (uint) 1234, keypoints = (int) 10"

/* ------------------------------------------------------------------------ */
/* Synthetic Facet packets: only the headers the library reads for the
 * elements (facet_packet_peek(), docs/bitstream.md) are real; the payloads
 * are noise. */

static GstBuffer *make_packet(gboolean keyframe, guint keyframe_id, gsize size, GRand *rand)
{
    guint8 *data = g_malloc(size);
    gsize offset;

    for (gsize i = 0; i < size; i++)
        data[i] = (guint8)g_rand_int(rand);
    if (keyframe) {
        g_assert(size >= 31);
        data[0] = 1;
        memcpy(data + 1, "FCET", 4);
        data[5] = 1;
        data[6] = 0;
        data[7] = 0;
        data[8] = 19; /* header_size: the v1.0 sequence fields */
        /* A valid v1.0 sequence header: model 1234, 64x64, S = 64, K = 10,
         * 25/1 fps. */
        memcpy(data + 9, "\x00\x00\x04\xd2" "\x00\x40\x00\x40" "\x00\x40" "\x0a"
                         "\x00\x00\x00\x19" "\x00\x00\x00\x01", 19);
        offset = 28;
    } else {
        g_assert(size >= 4);
        data[0] = 2;
        offset = 1;
    }
    data[offset] = 7; /* frame_number, a one-byte varint */
    data[offset + 1] = (guint8)(keyframe_id >> 8);
    data[offset + 2] = (guint8)keyframe_id;
    return gst_buffer_new_wrapped(data, size);
}

static GstHarness *payloader_harness(guint mtu)
{
    GstHarness *h = gst_harness_new("rtpfacetpay");
    /* Sequence numbers from 1000 on: the garbage in test_malformed_rtp
     * stays far from them. */
    g_object_set(h->element, "mtu", mtu, "seqnum-offset", 1000, NULL);
    gst_harness_set_src_caps_str(h, FACET_CAPS);
    return h;
}

/* A depayloader fed with the payloader's caps. */
static GstHarness *depayloader_harness(GstHarness *pay)
{
    GstHarness *h = gst_harness_new("rtpfacetdepay");
    GstCaps *caps = gst_pad_get_current_caps(pay->sinkpad);
    fail_unless(caps != NULL);
    gst_harness_set_src_caps(h, caps);
    return h;
}

/* Pays one frame; returns its RTP packets. */
static GPtrArray *pay_frame(GstHarness *pay, GstBuffer *frame)
{
    GPtrArray *packets = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
    GstBuffer *packet;

    fail_unless_equals_int(gst_harness_push(pay, frame), GST_FLOW_OK);
    while ((packet = gst_harness_try_pull(pay)))
        g_ptr_array_add(packets, packet);
    return packets;
}

static guint8 payload_flags(GstBuffer *packet)
{
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    guint8 flags;

    fail_unless(gst_rtp_buffer_map(packet, GST_MAP_READ, &rtp));
    fail_unless(gst_rtp_buffer_get_payload_len(&rtp) > 2);
    flags = ((const guint8 *)gst_rtp_buffer_get_payload(&rtp))[0];
    gst_rtp_buffer_unmap(&rtp);
    return flags;
}

static guint count_force_key_unit(GstHarness *h)
{
    guint count = 0;
    GstEvent *event;

    while ((event = gst_harness_try_pull_upstream_event(h))) {
        if (gst_video_event_is_force_key_unit(event))
            count++;
        gst_event_unref(event);
    }
    return count;
}

static gboolean buffers_equal(GstBuffer *a, GstBuffer *b)
{
    GstMapInfo ma, mb;
    gboolean equal;

    fail_unless(gst_buffer_map(a, &ma, GST_MAP_READ));
    fail_unless(gst_buffer_map(b, &mb, GST_MAP_READ));
    equal = ma.size == mb.size && memcmp(ma.data, mb.data, ma.size) == 0;
    gst_buffer_unmap(a, &ma);
    gst_buffer_unmap(b, &mb);
    return equal;
}

/* Pushes packets into the depayloader; returns the frame that came out, or
 * NULL. At most one may. */
static GstBuffer *depay_packets(GstHarness *depay, GPtrArray *packets, const guint *order, guint n)
{
    GstBuffer *out;

    for (guint i = 0; i < n; i++)
        fail_unless_equals_int(
            gst_harness_push(depay, gst_buffer_ref(g_ptr_array_index(packets, order ? order[i] : i))),
            GST_FLOW_OK);
    out = gst_harness_try_pull(depay);
    if (out)
        fail_unless(gst_harness_try_pull(depay) == NULL, "two frames out of one");
    return out;
}

/* ------------------------------------------------------------------------ */

GST_START_TEST(test_caps)
{
    GstHarness *pay = payloader_harness(1400);
    GRand *rand = g_rand_new_with_seed(1);
    GstHarness *depay;
    GPtrArray *packets;
    GstBuffer *out;
    GstCaps *caps;
    GstStructure *s;
    gint clock_rate = 0, pt = 0;
    guint model_id = 0;
    gint keypoints = 0;
    gboolean pli = FALSE;

    g_ptr_array_unref(pay_frame(pay, make_packet(TRUE, 1, 100, rand)));
    caps = gst_pad_get_current_caps(pay->sinkpad);
    s = gst_caps_get_structure(caps, 0);
    fail_unless(gst_structure_has_name(s, "application/x-rtp"));
    fail_unless_equals_string(gst_structure_get_string(s, "media"), "video");
    fail_unless_equals_string(gst_structure_get_string(s, "encoding-name"), "X-FACET");
    fail_unless(gst_structure_get_int(s, "clock-rate", &clock_rate));
    fail_unless_equals_int(clock_rate, 90000);
    fail_unless(gst_structure_get_int(s, "payload", &pt));
    fail_unless_equals_int(pt, 96);
    fail_unless_equals_string(gst_structure_get_string(s, "model-id"), "000004d2");
    fail_unless_equals_string(gst_structure_get_string(s, "keypoints"), "10");
    fail_unless(gst_structure_get_boolean(s, "rtcp-fb-nack-pli", &pli) && pli);
    gst_caps_unref(caps);

    /* The depayloader turns the SDP parameters back into video/x-facet. */
    depay = depayloader_harness(pay);
    packets = pay_frame(pay, make_packet(TRUE, 1, 100, rand));
    out = depay_packets(depay, packets, NULL, packets->len);
    fail_unless(out != NULL);
    gst_buffer_unref(out);
    g_ptr_array_unref(packets);
    caps = gst_pad_get_current_caps(depay->sinkpad);
    s = gst_caps_get_structure(caps, 0);
    fail_unless(gst_structure_has_name(s, "video/x-facet"));
    fail_unless(gst_structure_get_uint(s, "model-id", &model_id));
    fail_unless_equals_int(model_id, 1234);
    fail_unless(gst_structure_get_int(s, "keypoints", &keypoints));
    fail_unless_equals_int(keypoints, 10);
    gst_caps_unref(caps);
    gst_harness_teardown(depay);

    /* Caps of another encoding are refused. */
    depay = gst_harness_new("rtpfacetdepay");
    caps = gst_caps_from_string("application/x-rtp, media=video, clock-rate=90000, "
                                "encoding-name=VP8, payload=96");
    fail_if(gst_pad_query_accept_caps(GST_PAD_PEER(depay->srcpad), caps));
    gst_caps_unref(caps);
    gst_harness_teardown(depay);

    g_rand_free(rand);
    gst_harness_teardown(pay);
}
GST_END_TEST;

GST_START_TEST(test_fragmentation_and_round_trip)
{
    /* Keyframes (every third) and deltas: the smallest, one packet exactly,
     * one byte over, many packets. */
    static const gsize sizes[] = { 31, ROOM, ROOM + 1, 1000, 4, 5000, 87, 200 };
    GRand *rand = g_rand_new_with_seed(2);
    GstHarness *pay = payloader_harness(MTU);
    GstHarness *depay = NULL;

    for (gsize f = 0; f < G_N_ELEMENTS(sizes); f++) {
        gboolean key = f % 3 == 0;
        GstBuffer *frame = make_packet(key, 1, sizes[f], rand);
        GPtrArray *packets;
        guint expected = (guint)((sizes[f] + ROOM - 1) / ROOM);
        guint32 timestamp = 0;
        guint16 seq = 0;
        GstBuffer *out;

        GST_BUFFER_PTS(frame) = f * FRAME_DURATION;
        GST_BUFFER_DURATION(frame) = FRAME_DURATION;
        if (!key)
            GST_BUFFER_FLAG_SET(frame, GST_BUFFER_FLAG_DELTA_UNIT);
        packets = pay_frame(pay, gst_buffer_ref(frame));
        fail_unless_equals_int(packets->len, expected);
        if (!depay)
            depay = depayloader_harness(pay);

        for (guint i = 0; i < packets->len; i++) {
            GstBuffer *packet = g_ptr_array_index(packets, i);
            GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
            guint8 flags = payload_flags(packet);

            fail_unless(gst_buffer_get_size(packet) <= MTU);
            fail_unless(gst_rtp_buffer_map(packet, GST_MAP_READ, &rtp));
            /* Marker and E bit on the last packet only; S on the first;
             * K on every packet of a keyframe; indices count up. */
            fail_unless_equals_int(gst_rtp_buffer_get_marker(&rtp), i + 1 == packets->len);
            fail_unless_equals_int(!!(flags & 0x40), i + 1 == packets->len);
            fail_unless_equals_int(!!(flags & 0x80), i == 0);
            fail_unless_equals_int(!!(flags & 0x20), key);
            fail_unless_equals_int(flags & 0x10, 0);
            fail_unless_equals_int(((flags & 0x0f) << 8) |
                                       ((const guint8 *)gst_rtp_buffer_get_payload(&rtp))[1],
                                   i);
            if (i > 0) {
                fail_unless_equals_int(gst_rtp_buffer_get_timestamp(&rtp), timestamp);
                fail_unless_equals_int(gst_rtp_buffer_get_seq(&rtp), (guint16)(seq + 1));
            }
            timestamp = gst_rtp_buffer_get_timestamp(&rtp);
            seq = gst_rtp_buffer_get_seq(&rtp);
            gst_rtp_buffer_unmap(&rtp);
            fail_unless_equals_uint64(GST_BUFFER_PTS(packet), f * FRAME_DURATION);
            /* Nothing comes out before the last fragment. */
            fail_unless_equals_int(gst_harness_push(depay, gst_buffer_ref(packet)), GST_FLOW_OK);
            out = gst_harness_try_pull(depay);
            fail_unless((out != NULL) == (i + 1 == packets->len), "frame %zu, packet %u", f, i);
            if (out) {
                fail_unless(buffers_equal(out, frame), "frame %zu differs", f);
                fail_unless_equals_uint64(GST_BUFFER_PTS(out), f * FRAME_DURATION);
                fail_unless_equals_int(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DELTA_UNIT), !key);
                gst_buffer_unref(out);
            }
        }
        fail_unless_equals_int(count_force_key_unit(depay), 0);
        g_ptr_array_unref(packets);
        gst_buffer_unref(frame);
    }
    g_rand_free(rand);
    gst_harness_teardown(depay);
    gst_harness_teardown(pay);
}
GST_END_TEST;

/* Whole frames only, keyframe requests when a keyframe is missing, none for
 * a lost delta, and a rate limit while a request is outstanding. */
GST_START_TEST(test_loss_and_keyframe_requests)
{
    GRand *rand = g_rand_new_with_seed(3);
    GstHarness *pay = payloader_harness(MTU);
    GstHarness *depay;
    GPtrArray *packets;
    GstBuffer *frame, *out;
    guint pts = 0;
    static const guint middle_lost[] = { 0, 2 };
    static const guint reordered[] = { 0, 2, 1 };

#define NEXT_FRAME(key, id, size)                                                         \
    (frame = make_packet(key, id, size, rand), GST_BUFFER_PTS(frame) = pts++ * FRAME_DURATION, \
     frame)

    /* A delta before any keyframe: dropped, and a keyframe is asked for. */
    packets = pay_frame(pay, NEXT_FRAME(FALSE, 1, 50));
    depay = depayloader_harness(pay);
    fail_unless(depay_packets(depay, packets, NULL, packets->len) == NULL);
    fail_unless_equals_int(count_force_key_unit(depay), 1);
    g_ptr_array_unref(packets);

    /* A keyframe that lost its middle fragment: nothing out. It came after
     * the request, so it may have been the answer: ask again at once (not
     * after request-interval), and only once for all its fragments. */
    packets = pay_frame(pay, NEXT_FRAME(TRUE, 1, 3 * ROOM));
    fail_unless_equals_int(packets->len, 3);
    fail_unless(depay_packets(depay, packets, middle_lost, 2) == NULL);
    fail_unless_equals_int(count_force_key_unit(depay), 1);
    g_ptr_array_unref(packets);

    /* A whole keyframe. */
    frame = NEXT_FRAME(TRUE, 2, 3 * ROOM);
    packets = pay_frame(pay, gst_buffer_ref(frame));
    out = depay_packets(depay, packets, NULL, packets->len);
    fail_unless(out && buffers_equal(out, frame));
    gst_buffer_unref(out);
    gst_buffer_unref(frame);
    g_ptr_array_unref(packets);

    /* Its deltas pass; a delta of the lost keyframe 1 does not. A delta
     * with a lost fragment costs one frame and asks for nothing. */
    packets = pay_frame(pay, NEXT_FRAME(FALSE, 2, 60));
    out = depay_packets(depay, packets, NULL, packets->len);
    fail_unless(out != NULL);
    fail_if(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DISCONT));
    gst_buffer_unref(out);
    g_ptr_array_unref(packets);
    packets = pay_frame(pay, NEXT_FRAME(FALSE, 2, 3 * ROOM));
    fail_unless(depay_packets(depay, packets, middle_lost, 2) == NULL);
    fail_unless_equals_int(count_force_key_unit(depay), 0);
    g_ptr_array_unref(packets);
    packets = pay_frame(pay, NEXT_FRAME(FALSE, 2, 3 * ROOM));
    fail_unless(depay_packets(depay, packets, reordered, 3) == NULL);
    fail_unless_equals_int(count_force_key_unit(depay), 0);
    g_ptr_array_unref(packets);
    packets = pay_frame(pay, NEXT_FRAME(FALSE, 2, 60));
    out = depay_packets(depay, packets, NULL, packets->len);
    fail_unless(out != NULL);
    /* Downstream learns that frames are missing before this one. */
    fail_unless(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DISCONT));
    gst_buffer_unref(out);
    g_ptr_array_unref(packets);
    packets = pay_frame(pay, NEXT_FRAME(FALSE, 1, 60));
    fail_unless(depay_packets(depay, packets, NULL, packets->len) == NULL);
    fail_unless_equals_int(count_force_key_unit(depay), 1);
    g_ptr_array_unref(packets);

    /* Keyframe 3 vanishes whole. The request made at frame 7 is still
     * unanswered, so its deltas repeat it only once request-interval
     * (500 ms) of stream time has passed: at frame 20 (520 ms later). */
    g_ptr_array_unref(pay_frame(pay, NEXT_FRAME(TRUE, 3, 200)));
    for (int i = 0; i < 14; i++) {
        packets = pay_frame(pay, NEXT_FRAME(FALSE, 3, 40));
        fail_unless(depay_packets(depay, packets, NULL, packets->len) == NULL);
        fail_unless(count_force_key_unit(depay) == (i == 11 ? 1u : 0u), "delta %d", i);
        g_ptr_array_unref(packets);
    }

    /* Keyframe 4 resynchronises. */
    frame = NEXT_FRAME(TRUE, 4, 500);
    packets = pay_frame(pay, gst_buffer_ref(frame));
    out = depay_packets(depay, packets, NULL, packets->len);
    fail_unless(out && buffers_equal(out, frame));
    gst_buffer_unref(out);
    gst_buffer_unref(frame);
    g_ptr_array_unref(packets);
    packets = pay_frame(pay, NEXT_FRAME(FALSE, 4, 60));
    out = depay_packets(depay, packets, NULL, packets->len);
    fail_unless(out != NULL);
    gst_buffer_unref(out);
    g_ptr_array_unref(packets);
#undef NEXT_FRAME

    g_rand_free(rand);
    gst_harness_teardown(depay);
    gst_harness_teardown(pay);
}
GST_END_TEST;

/* Builds an RTP packet with the given payload bytes. */
static GstBuffer *make_rtp(guint16 seq, guint32 timestamp, gboolean marker, const guint8 *payload,
                           guint size)
{
    GstBuffer *buffer = gst_rtp_buffer_new_allocate(size, 0, 0);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

    fail_unless(gst_rtp_buffer_map(buffer, GST_MAP_WRITE, &rtp));
    gst_rtp_buffer_set_payload_type(&rtp, 96);
    gst_rtp_buffer_set_seq(&rtp, seq);
    gst_rtp_buffer_set_timestamp(&rtp, timestamp);
    gst_rtp_buffer_set_marker(&rtp, marker);
    if (size)
        memcpy(gst_rtp_buffer_get_payload(&rtp), payload, size);
    gst_rtp_buffer_unmap(&rtp);
    return buffer;
}

/* Truncated, malformed and garbage packets: dropped, never a crash; a good
 * keyframe afterwards still comes through whole. */
GST_START_TEST(test_malformed_rtp)
{
    GRand *rand = g_rand_new_with_seed(4);
    GstHarness *pay = payloader_harness(MTU);
    GstHarness *depay;
    GstBuffer *frame, *out;
    GPtrArray *packets;
    guint16 seq = 20000;
    static const guint8 short_payloads[][2] = { { 0xe0, 0x00 }, { 0xe0, 0x00 } };
    static const guint8 bad_first[][4] = {
        { 0xc0, 0x00, 1, 0 },    /* keyframe type without the K bit */
        { 0xe0, 0x00, 2, 0 },    /* K bit on a delta */
        { 0xe0, 0x00, 9, 0 },    /* unknown packet type */
        { 0xe0, 0x05, 1, 0 },    /* start fragment with index 5 */
        { 0x40, 0x01, 2, 0 },    /* a continuation with nothing before it */
    };

    frame = make_packet(TRUE, 1, 31, rand);
    g_ptr_array_unref(pay_frame(pay, frame));
    depay = depayloader_harness(pay);

    /* RTP headers cut short, and payloads of 0, 1 and 2 bytes. */
    for (guint cut = 1; cut < 12; cut++) {
        guint8 bytes[12] = { 0x80, 96, 0, 1 };
        fail_unless_equals_int(gst_harness_push(depay, gst_buffer_new_memdup(bytes, cut)),
                               GST_FLOW_OK);
    }
    fail_unless_equals_int(gst_harness_push(depay, make_rtp(seq++, 0, TRUE, NULL, 0)), GST_FLOW_OK);
    fail_unless_equals_int(gst_harness_push(depay, make_rtp(seq++, 0, TRUE, short_payloads[0], 1)),
                           GST_FLOW_OK);
    fail_unless_equals_int(gst_harness_push(depay, make_rtp(seq++, 0, TRUE, short_payloads[1], 2)),
                           GST_FLOW_OK);
    for (gsize i = 0; i < G_N_ELEMENTS(bad_first); i++)
        fail_unless_equals_int(gst_harness_push(depay, make_rtp(seq++, 0, TRUE, bad_first[i], 4)),
                               GST_FLOW_OK);
    fail_unless(gst_harness_try_pull(depay) == NULL);

    /* Garbage payloads. Anything that comes out must at least be a whole,
     * well-typed frame; the depayloader cannot judge the rest (the decoder
     * does). */
    for (int i = 0; i < 500; i++) {
        guint8 junk[64];
        guint size = g_rand_int_range(rand, 0, sizeof(junk) + 1);
        for (guint b = 0; b < size; b++)
            junk[b] = (guint8)g_rand_int(rand);
        fail_unless_equals_int(gst_harness_push(depay, make_rtp((guint16)g_rand_int_range(rand, 30000, 31000),
                                                                g_rand_int(rand),
                                                                g_rand_boolean(rand), junk, size)),
                               GST_FLOW_OK);
        while ((out = gst_harness_try_pull(depay))) {
            guint8 type = 0;
            fail_unless(gst_buffer_get_size(out) > 0);
            gst_buffer_extract(out, 0, &type, 1);
            fail_unless(type == 1 || type == 2);
            gst_buffer_unref(out);
        }
    }

    /* A good keyframe after all that. */
    frame = make_packet(TRUE, 9, 4 * ROOM, rand);
    GST_BUFFER_PTS(frame) = 10 * GST_SECOND;
    packets = pay_frame(pay, gst_buffer_ref(frame));
    out = depay_packets(depay, packets, NULL, packets->len);
    fail_unless(out && buffers_equal(out, frame));
    gst_buffer_unref(out);
    gst_buffer_unref(frame);
    g_ptr_array_unref(packets);

    g_rand_free(rand);
    gst_harness_teardown(depay);
    gst_harness_teardown(pay);
}
GST_END_TEST;

/* The payloader passes on only Facet packets. */
GST_START_TEST(test_payloader_bad_input)
{
    GstHarness *pay = payloader_harness(MTU);
    GstBus *bus = gst_bus_new();
    GstMessage *message;

    gst_element_set_bus(pay->element, bus);
    fail_unless_equals_int(gst_harness_push(pay, gst_buffer_new()), GST_FLOW_OK);
    fail_unless_equals_int(gst_harness_push(pay, gst_buffer_new_memdup("\x07junk", 5)), GST_FLOW_OK);
    fail_unless(gst_harness_try_pull(pay) == NULL);
    message = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING);
    fail_unless(message != NULL);
    gst_message_unref(message);

    gst_element_set_bus(pay->element, NULL);
    gst_object_unref(bus);
    gst_harness_teardown(pay);
}
GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* facetenc -> rtpfacetpay -> random loss -> rtpfacetdepay -> facetdec, with
 * the depayloader's keyframe requests fed back to the encoder as rtpbin
 * would through RTCP PLI. */

#define LOSS_WIDTH 64
#define LOSS_HEIGHT 64
#define LOSS_FRAMES 60
#define LOSS_TAIL 15 /* frames at the end sent without loss */

static GstBuffer *make_picture(const GstVideoInfo *info, int index)
{
    GstBuffer *buffer = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(info), NULL);
    GstVideoFrame frame;

    fail_unless(gst_video_frame_map(&frame, info, buffer, GST_MAP_WRITE));
    for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame); p++) {
        gint rows = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, p);
        gint stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p);
        guint8 *data = GST_VIDEO_FRAME_PLANE_DATA(&frame, p);
        for (gint y = 0; y < rows; y++)
            for (gint x = 0; x < stride; x++)
                data[y * stride + x] = (guint8)(60 + (x + index) * 120 / stride + y * 50 / rows);
    }
    gst_video_frame_unmap(&frame);
    GST_BUFFER_PTS(buffer) = index * FRAME_DURATION;
    GST_BUFFER_DURATION(buffer) = FRAME_DURATION;
    return buffer;
}

static void run_lossy_session(double loss, guint32 seed)
{
    GstHarness *enc = gst_harness_new("facetenc");
    GstHarness *pay = gst_harness_new("rtpfacetpay");
    GstHarness *depay = gst_harness_new("rtpfacetdepay");
    GstHarness *dec = gst_harness_new("facetdec");
    GRand *rand = g_rand_new_with_seed(seed);
    GstVideoInfo info;
    guint lost = 0, lost_key = 0, requests = 0, pushed = 0, keyframes_sent = 0;
    gint last_decoded = -1;

    fail_unless(g_file_test(MODEL_PATH, G_FILE_TEST_EXISTS), "%s is missing", MODEL_PATH);
    g_object_set(enc->element, "model", MODEL_PATH, "threads", 1, "keyframe-interval", 0.4, NULL);
    g_object_set(pay->element, "mtu", 100, NULL); /* keyframes in several packets */
    g_object_set(depay->element, "request-interval", 200, NULL);
    g_object_set(dec->element, "model", MODEL_PATH, "threads", 1, NULL);
    gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, LOSS_WIDTH, LOSS_HEIGHT);
    GST_VIDEO_INFO_FPS_N(&info) = 25;
    gst_harness_set_src_caps(enc, gst_video_info_to_caps(&info));

    for (int i = 0; i < LOSS_FRAMES; i++) {
        GstBuffer *packet, *rtp, *frame;
        GstEvent *event;

        fail_unless_equals_int(gst_harness_push(enc, make_picture(&info, i)), GST_FLOW_OK);
        packet = gst_harness_pull(enc);
        if (!GST_BUFFER_FLAG_IS_SET(packet, GST_BUFFER_FLAG_DELTA_UNIT))
            keyframes_sent++;
        if (i == 0)
            gst_harness_set_src_caps(pay, gst_pad_get_current_caps(enc->sinkpad));
        fail_unless_equals_int(gst_harness_push(pay, packet), GST_FLOW_OK);
        if (i == 0)
            gst_harness_set_src_caps(depay, gst_pad_get_current_caps(pay->sinkpad));

        while ((rtp = gst_harness_try_pull(pay))) {
            if (i < LOSS_FRAMES - LOSS_TAIL && g_rand_double(rand) < loss) {
                lost++;
                if (payload_flags(rtp) & 0x20)
                    lost_key++;
                gst_buffer_unref(rtp);
                continue;
            }
            fail_unless_equals_int(gst_harness_push(depay, rtp), GST_FLOW_OK);
        }
        while ((frame = gst_harness_try_pull(depay))) {
            GstBuffer *picture;
            GstClockTime pts = GST_BUFFER_PTS(frame);
            if (pushed == 0)
                gst_harness_set_src_caps(dec, gst_pad_get_current_caps(depay->sinkpad));
            pushed++;
            fail_unless_equals_int(gst_harness_push(dec, frame), GST_FLOW_OK);
            /* Every frame the depayloader lets through decodes. */
            picture = gst_harness_try_pull(dec);
            fail_unless(picture != NULL, "frame %d (%" GST_TIME_FORMAT ") did not decode", i,
                        GST_TIME_ARGS(pts));
            fail_unless_equals_uint64(GST_BUFFER_PTS(picture), pts);
            last_decoded = (gint)(pts / FRAME_DURATION);
            gst_buffer_unref(picture);
        }
        /* Keyframe requests go back to the encoder, as a PLI would. */
        while ((event = gst_harness_try_pull_upstream_event(depay))) {
            if (gst_video_event_is_force_key_unit(event)) {
                requests++;
                fail_unless(gst_harness_push_upstream_event(enc, event));
            } else {
                gst_event_unref(event);
            }
        }
    }
    GST_INFO("loss %.0f%%: %u packets lost (%u of keyframes), %u requests, %u keyframes sent, "
             "%u of %d frames decoded", loss * 100, lost, lost_key, requests, keyframes_sent,
             pushed, LOSS_FRAMES);
    fail_unless(lost > 0);
    /* The seed makes a keyframe lose a packet, so a request must follow. */
    fail_unless(lost_key > 0, "no keyframe was hit: pick another seed");
    fail_unless(requests > 0, "no keyframe request went upstream");
    /* Requests are rate-limited: fewer than the packets lost. */
    fail_unless(requests <= lost);
    /* Decoding resumed after the loss: the last frame came out. */
    fail_unless_equals_int(last_decoded, LOSS_FRAMES - 1);
    fail_unless(pushed >= LOSS_TAIL);

    g_rand_free(rand);
    gst_harness_teardown(dec);
    gst_harness_teardown(depay);
    gst_harness_teardown(pay);
    gst_harness_teardown(enc);
}

GST_START_TEST(test_codec_with_5_percent_loss)
{
    run_lossy_session(0.05, 11);
}
GST_END_TEST;

GST_START_TEST(test_codec_with_20_percent_loss)
{
    run_lossy_session(0.20, 12);
}
GST_END_TEST;

static Suite *rtpfacet_suite(void)
{
    Suite *s = suite_create("rtpfacet");
    TCase *tc = tcase_create("general");

    suite_add_tcase(s, tc);
    tcase_add_test(tc, test_caps);
    tcase_add_test(tc, test_fragmentation_and_round_trip);
    tcase_add_test(tc, test_loss_and_keyframe_requests);
    tcase_add_test(tc, test_malformed_rtp);
    tcase_add_test(tc, test_payloader_bad_input);
    tcase_add_test(tc, test_codec_with_5_percent_loss);
    tcase_add_test(tc, test_codec_with_20_percent_loss);
    return s;
}

GST_CHECK_MAIN(rtpfacet);
