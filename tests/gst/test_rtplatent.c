/* SPDX-License-Identifier: BSD-2-Clause */
/* The latent tier over RTP through GstHarness: facetenc mode=latent ->
 * rtpfacetpay -> rtpfacetdepay -> facetdec. Fragmentation of frames and
 * references over a small MTU, byte-identical reassembly, the K bit and
 * the caps; a lost frame (the chain breaks: dropped until a keyframe, a
 * PLI) and a lost reference fragment (the reference is dropped, a FIR),
 * both rate-limited and answered by the encoder; duplicated packets;
 * garbage among the stream; random loss with the requests fed back,
 * where every frame the depayloader passes on decodes; and the rules for
 * short latent frames (1.2, numbered modulo 256), a loss of 256 frames
 * seen through the RTP sequence numbers included. */
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

#include <facet/facet.h>

#include "rtpfacetlatent.h"

#define LATENT_MODEL FACET_SOURCE_DIR "/models/facet-latent.safetensors"
#define SIDE 128
#define BITRATE 10u /* kbit/s: references in several fragments */
#define MTU 100u    /* every reference fragment in several RTP packets */
#define FRAME_DURATION (GST_SECOND / 25)
#define FLAG_KEYFRAME 0x20

typedef struct {
    GstHarness *enc, *pay, *depay, *dec;
    GstVideoInfo info;
    int next_frame;
    gboolean caps_set;
} Session;

static GstBuffer *make_picture(const GstVideoInfo *info, int index)
{
    GstBuffer *buffer = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(info), NULL);
    GstVideoFrame frame;

    fail_unless(gst_video_frame_map(&frame, info, buffer, GST_MAP_WRITE));
    for (guint p = 0; p < 3; p++) {
        gint rows = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, p);
        gint cols = GST_VIDEO_FRAME_COMP_WIDTH(&frame, p);
        gint stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p);
        guint8 *data = GST_VIDEO_FRAME_PLANE_DATA(&frame, p);
        for (gint y = 0; y < rows; y++)
            for (gint x = 0; x < cols; x++)
                data[y * stride + x] = p ? (guint8)(110 + y % 40)
                                         : (guint8)(50 + (x * 3 + y * 2 + index * 4) % 160);
    }
    gst_video_frame_unmap(&frame);
    GST_BUFFER_PTS(buffer) = index * FRAME_DURATION;
    GST_BUFFER_DURATION(buffer) = FRAME_DURATION;
    return buffer;
}

static void session_init(Session *s)
{
    memset(s, 0, sizeof(*s));
    s->enc = gst_harness_new("facetenc");
    s->pay = gst_harness_new("rtpfacetpay");
    s->depay = gst_harness_new("rtpfacetdepay");
    s->dec = gst_harness_new("facetdec");
    gst_util_set_object_arg(G_OBJECT(s->enc->element), "mode", "latent");
    gst_util_set_object_arg(G_OBJECT(s->enc->element), "references", "on"); /* under test */
    g_object_set(s->enc->element, "latent-model", LATENT_MODEL, "bitrate", BITRATE, "threads", 1,
                 NULL);
    g_object_set(s->pay->element, "mtu", MTU, "seqnum-offset", 100, NULL);
    g_object_set(s->dec->element, "latent-model", LATENT_MODEL, "model", "", "threads", 1, NULL);
    gst_video_info_set_format(&s->info, GST_VIDEO_FORMAT_I420, SIDE, SIDE);
    GST_VIDEO_INFO_FPS_N(&s->info) = 25;
    gst_harness_set_src_caps(s->enc, gst_video_info_to_caps(&s->info));
}

static void session_clear(Session *s)
{
    gst_harness_teardown(s->dec);
    gst_harness_teardown(s->depay);
    gst_harness_teardown(s->pay);
    gst_harness_teardown(s->enc);
}

/* Encodes the next frame and pays its packets: returns the Facet packets
 * (one or two) and appends their RTP packets to `rtp`. */
static GPtrArray *session_encode(Session *s, GPtrArray *rtp)
{
    GPtrArray *packets = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
    GstBuffer *buffer;

    fail_unless_equals_int(gst_harness_push(s->enc, make_picture(&s->info, s->next_frame++)),
                           GST_FLOW_OK);
    while ((buffer = gst_harness_try_pull(s->enc))) {
        if (!s->caps_set) {
            gst_harness_set_src_caps(s->pay, gst_pad_get_current_caps(s->enc->sinkpad));
            s->caps_set = TRUE;
        }
        g_ptr_array_add(packets, gst_buffer_ref(buffer));
        fail_unless_equals_int(gst_harness_push(s->pay, buffer), GST_FLOW_OK);
        if (!gst_pad_has_current_caps(s->depay->srcpad))
            gst_harness_set_src_caps(s->depay, gst_pad_get_current_caps(s->pay->sinkpad));
        while ((buffer = gst_harness_try_pull(s->pay)))
            g_ptr_array_add(rtp, buffer);
    }
    return packets;
}

static FacetPacketInfo peek(GstBuffer *buffer)
{
    FacetPacketInfo info = { .struct_size = sizeof(info) };
    GstMapInfo map;

    fail_unless(gst_buffer_map(buffer, &map, GST_MAP_READ));
    fail_unless_equals_int(facet_packet_peek(map.data, map.size, &info), 0);
    gst_buffer_unmap(buffer, &map);
    return info;
}

static guint8 payload_flags(GstBuffer *packet)
{
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    guint8 flags;

    fail_unless(gst_rtp_buffer_map(packet, GST_MAP_READ, &rtp));
    flags = ((const guint8 *)gst_rtp_buffer_get_payload(&rtp))[0];
    gst_rtp_buffer_unmap(&rtp);
    return flags;
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

/* Pushes RTP packets into the depayloader; returns what came out. */
static GPtrArray *depay(Session *s, GPtrArray *rtp)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
    GstBuffer *buffer;

    for (guint i = 0; i < rtp->len; i++)
        fail_unless_equals_int(gst_harness_push(s->depay, gst_buffer_ref(g_ptr_array_index(rtp, i))),
                               GST_FLOW_OK);
    while ((buffer = gst_harness_try_pull(s->depay)))
        g_ptr_array_add(out, buffer);
    return out;
}

/* Counts the depayloader's requests (PLI: all-headers false; FIR: true),
 * and hands them to the encoder as rtpbin would when `feed_back`. */
static void take_requests(Session *s, gboolean feed_back, guint *plis, guint *firs)
{
    GstEvent *event;

    while ((event = gst_harness_try_pull_upstream_event(s->depay))) {
        gboolean all_headers = FALSE;
        if (!gst_video_event_is_force_key_unit(event)) {
            gst_event_unref(event);
            continue;
        }
        fail_unless(gst_video_event_parse_upstream_force_key_unit(event, NULL, &all_headers, NULL));
        if (all_headers)
            (*firs)++;
        else
            (*plis)++;
        if (feed_back)
            fail_unless(gst_harness_push_upstream_event(s->enc, event));
        else
            gst_event_unref(event);
    }
}

/* Everything the encoder makes arrives byte for byte, in order, over a
 * 100-byte MTU; K on every RTP packet of a keyframe only; M on the last
 * packet of each Facet packet; the caps carry the mode and the feedback
 * the receiver may send. */
GST_START_TEST(test_round_trip_fragmented)
{
    Session s;
    guint fragments = 0, max_count = 0, split = 0, frames_out = 0;
    GstCaps *caps;
    const GstStructure *st;
    gboolean fir = FALSE, nack = FALSE;

    session_init(&s);
    for (int i = 0; i < 40; i++) {
        GPtrArray *rtp = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
        GPtrArray *packets = session_encode(&s, rtp);
        GPtrArray *out = depay(&s, rtp);
        guint r = 0;

        fail_unless_equals_int(out->len, packets->len);
        for (guint p = 0; p < packets->len; p++) {
            GstBuffer *packet = g_ptr_array_index(packets, p);
            FacetPacketInfo info = peek(packet);
            gsize size = gst_buffer_get_size(packet), sent = 0;
            fail_unless(buffers_equal(packet, g_ptr_array_index(out, p)));
            if (info.type == FACET_PACKET_TYPE_REFERENCE) {
                fragments++;
                max_count = MAX(max_count, (guint)info.fragment_count);
                if (size > MTU - 14)
                    split++;
            } else {
                frames_out++;
            }
            /* This packet's RTP packets. */
            while (sent < size) {
                GstBuffer *packet_rtp = g_ptr_array_index(rtp, r++);
                GstRTPBuffer map = GST_RTP_BUFFER_INIT;
                guint len;
                fail_unless(gst_rtp_buffer_map(packet_rtp, GST_MAP_READ, &map));
                len = gst_rtp_buffer_get_payload_len(&map) - 2;
                sent += len;
                fail_unless(gst_rtp_buffer_get_marker(&map) == (sent == size));
                gst_rtp_buffer_unmap(&map);
                fail_unless(((payload_flags(packet_rtp) & FLAG_KEYFRAME) != 0) ==
                            (info.type == FACET_PACKET_TYPE_LATENT_KEYFRAME));
            }
        }
        fail_unless_equals_int(r, rtp->len);
        g_ptr_array_unref(out);
        g_ptr_array_unref(packets);
        g_ptr_array_unref(rtp);
    }
    GST_INFO("%u reference fragments (count up to %u, %u split)", fragments, max_count, split);
    fail_unless_equals_int(frames_out, 40);
    fail_unless(max_count >= 3, "the reference came in %u fragments", max_count);
    fail_unless(split > 0);

    caps = gst_pad_get_current_caps(s.pay->sinkpad);
    st = gst_caps_get_structure(caps, 0);
    fail_unless_equals_string(gst_structure_get_string(st, "mode"), "latent");
    fail_unless(gst_structure_get_boolean(st, "rtcp-fb-ccm-fir", &fir) && fir);
    fail_unless(gst_structure_get_boolean(st, "rtcp-fb-nack", &nack) && nack);
    gst_caps_unref(caps);
    caps = gst_pad_get_current_caps(s.depay->sinkpad);
    fail_unless_equals_string(gst_structure_get_string(gst_caps_get_structure(caps, 0), "mode"),
                              "latent");
    gst_caps_unref(caps);
    session_clear(&s);
}
GST_END_TEST;

/* Index of the RTP packets of packet `which` (0: the frame, 1: the
 * fragment) of a frame's `packets`, in `rtp`: [*first, *end). */
static void packet_span(GPtrArray *packets, guint which, guint *first, guint *end)
{
    guint room = MTU - 14, start = 0;

    for (guint p = 0; p <= which; p++) {
        gsize size = gst_buffer_get_size(g_ptr_array_index(packets, p));
        guint n = (guint)((size + room - 1) / room);
        if (p == which) {
            *first = start;
            *end = start + n;
        }
        start += n;
    }
}

/* A lost latent frame breaks the chain: the depayloader drops every later
 * frame and asks for a keyframe (PLI) once per request-interval; the
 * encoder's keyframe mends it. Duplicated packets change nothing. */
GST_START_TEST(test_lost_frame_and_duplicates)
{
    Session s;
    guint plis = 0, firs = 0, passed_after_loss = 0, dropped = 0;
    gboolean keyframe_after = FALSE;

    session_init(&s);
    for (int i = 0; i < 40; i++) {
        GPtrArray *rtp = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
        GPtrArray *packets = session_encode(&s, rtp);
        GPtrArray *sent = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
        GPtrArray *out;
        guint first = 0, end = 0;

        packet_span(packets, 0, &first, &end);
        for (guint r = 0; r < rtp->len; r++) {
            if (i == 10 && r == first)
                continue; /* frame 10 loses its first RTP packet */
            g_ptr_array_add(sent, gst_buffer_ref(g_ptr_array_index(rtp, r)));
            if (i % 3 == 0) /* and every third frame comes twice */
                g_ptr_array_add(sent, gst_buffer_ref(g_ptr_array_index(rtp, r)));
        }
        out = depay(&s, sent);
        for (guint o = 0; o < out->len; o++) {
            FacetPacketInfo info = peek(g_ptr_array_index(out, o));
            if (i > 10 && info.type == FACET_PACKET_TYPE_LATENT_KEYFRAME)
                keyframe_after = TRUE;
            fail_if(info.type == FACET_PACKET_TYPE_LATENT_FRAME); /* 1.2: short ones */
            if (i > 10 && info.type == FACET_PACKET_TYPE_LATENT_FRAME_SHORT && !keyframe_after)
                fail("frame %d passed on after the chain broke", i);
            if (i > 10 && info.type != FACET_PACKET_TYPE_REFERENCE)
                passed_after_loss++;
        }
        if (i <= 10) {
            /* Nothing twice, nothing lost but frame 10. */
            fail_unless_equals_int(out->len, i == 10 ? packets->len - 1 : packets->len);
        } else if (out->len < packets->len) {
            dropped++;
        }
        /* The PLIs reach the encoder only from frame 20: until then the
         * depayloader repeats them once per 500 ms (12.5 frames). */
        take_requests(&s, i >= 20, &plis, &firs);
        if (i == 19)
            fail_unless_equals_int(plis, 1);
        g_ptr_array_unref(out);
        g_ptr_array_unref(sent);
        g_ptr_array_unref(packets);
        g_ptr_array_unref(rtp);
    }
    fail_unless(keyframe_after, "no keyframe answered the PLI");
    fail_unless(dropped >= 9);
    fail_unless(passed_after_loss >= 10, "%u frames passed after the keyframe", passed_after_loss);
    fail_unless(plis >= 2 && plis <= 3, "%u PLIs", plis);
    fail_unless_equals_int(firs, 0);
    session_clear(&s);
}
GST_END_TEST;

/* A lost reference fragment: the rest of that reference is dropped and a
 * new one asked for (FIR, all-headers), which the encoder sends; it comes
 * through whole. */
GST_START_TEST(test_lost_reference_fragment)
{
    Session s;
    guint plis = 0, firs = 0;
    gint lost_id = -1, new_id = -1, new_count = 0, new_seen = 0;

    session_init(&s);
    for (int i = 0; i < 150 && (new_id < 0 || new_seen < new_count); i++) {
        GPtrArray *rtp = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
        GPtrArray *packets = session_encode(&s, rtp);
        GPtrArray *sent = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
        GPtrArray *out;
        guint first = G_MAXUINT, end = 0;

        if (packets->len == 2) {
            FacetPacketInfo info = peek(g_ptr_array_index(packets, 1));
            /* The first reference loses its fragment 1. */
            if (lost_id < 0 && info.fragment_index == 1) {
                lost_id = (gint)info.reference_id;
                packet_span(packets, 1, &first, &end);
            }
        }
        for (guint r = 0; r < rtp->len; r++)
            if (r != first)
                g_ptr_array_add(sent, gst_buffer_ref(g_ptr_array_index(rtp, r)));
        out = depay(&s, sent);
        for (guint o = 0; o < out->len; o++) {
            FacetPacketInfo info = peek(g_ptr_array_index(out, o));
            if (info.type != FACET_PACKET_TYPE_REFERENCE)
                continue;
            fail_if((gint)info.reference_id == lost_id && info.fragment_index > 0,
                    "fragment %d of the broken reference passed on", info.fragment_index);
            if ((gint)info.reference_id != lost_id && lost_id >= 0) {
                new_id = (gint)info.reference_id;
                new_count = info.fragment_count;
                new_seen++;
            }
        }
        take_requests(&s, TRUE, &plis, &firs);
        g_ptr_array_unref(out);
        g_ptr_array_unref(sent);
        g_ptr_array_unref(packets);
        g_ptr_array_unref(rtp);
    }
    fail_unless(lost_id >= 0, "no reference had a fragment 1");
    fail_unless(firs >= 1, "no FIR");
    fail_unless_equals_int(plis, 0);
    fail_unless(new_id >= 0 && new_seen == new_count, "the new reference did not come whole");
    session_clear(&s);
}
GST_END_TEST;

/* Garbage RTP on the port among a latent stream (another sender's
 * packets, random bytes): never a crash; whatever the depayloader passes
 * on reads as a Facet packet, and facetdec takes it without an error. */
GST_START_TEST(test_garbage_among_the_stream)
{
    Session s;
    GRand *rand = g_rand_new_with_seed(7);
    GstBus *bus = gst_bus_new();
    gboolean dec_caps = FALSE;

    session_init(&s);
    gst_element_set_bus(s.dec->element, bus);
    for (int i = 0; i < 30; i++) {
        GPtrArray *rtp = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
        GPtrArray *packets = session_encode(&s, rtp);
        GPtrArray *out;
        GstBuffer *buffer;

        for (int g = 0; g < 3; g++) {
            guint size = g_rand_int_range(rand, 0, 60);
            GstBuffer *junk = gst_rtp_buffer_new_allocate(size, 0, 0);
            GstRTPBuffer map = GST_RTP_BUFFER_INIT;
            fail_unless(gst_rtp_buffer_map(junk, GST_MAP_WRITE, &map));
            gst_rtp_buffer_set_seq(&map, (guint16)g_rand_int(rand));
            gst_rtp_buffer_set_timestamp(&map, g_rand_int(rand));
            gst_rtp_buffer_set_payload_type(&map, 96);
            for (guint b = 0; b < size; b++)
                ((guint8 *)gst_rtp_buffer_get_payload(&map))[b] = (guint8)g_rand_int(rand);
            gst_rtp_buffer_unmap(&map);
            g_ptr_array_insert(rtp, (gint)g_rand_int_range(rand, 0, (gint32)rtp->len + 1), junk);
        }
        out = depay(&s, rtp);
        for (guint o = 0; o < out->len; o++) {
            buffer = g_ptr_array_index(out, o);
            peek(buffer);
            if (!dec_caps) {
                gst_harness_set_src_caps(s.dec, gst_pad_get_current_caps(s.depay->sinkpad));
                dec_caps = TRUE;
            }
            fail_unless_equals_int(gst_harness_push(s.dec, gst_buffer_ref(buffer)), GST_FLOW_OK);
        }
        while ((buffer = gst_harness_try_pull(s.dec)))
            gst_buffer_unref(buffer);
        take_requests(&s, TRUE, &(guint){ 0 }, &(guint){ 0 });
        g_ptr_array_unref(out);
        g_ptr_array_unref(packets);
        g_ptr_array_unref(rtp);
    }
    fail_unless(gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR) == NULL);
    gst_element_set_bus(s.dec->element, NULL);
    gst_object_unref(bus);
    g_rand_free(rand);
    session_clear(&s);
}
GST_END_TEST;

/* Random loss with the requests fed back to the encoder (as rtpbin does):
 * every frame the depayloader passes on decodes into a picture, and after
 * the loss stops the stream recovers to the last frame. */
static void run_lossy_session(double loss, guint32 seed)
{
    Session s;
    GRand *rand = g_rand_new_with_seed(seed);
    guint lost = 0, plis = 0, firs = 0, decoded = 0;
    gint last_decoded = -1;
    const int frames = 100, tail = 20;
    gboolean dec_caps = FALSE;

    session_init(&s);
    g_object_set(s.depay->element, "request-interval", 200, NULL);
    for (int i = 0; i < frames; i++) {
        GPtrArray *rtp = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
        GPtrArray *packets = session_encode(&s, rtp);
        GPtrArray *sent = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
        GPtrArray *out;

        for (guint r = 0; r < rtp->len; r++) {
            if (i < frames - tail && g_rand_double(rand) < loss) {
                lost++;
                continue;
            }
            g_ptr_array_add(sent, gst_buffer_ref(g_ptr_array_index(rtp, r)));
        }
        out = depay(&s, sent);
        for (guint o = 0; o < out->len; o++) {
            GstBuffer *frame = g_ptr_array_index(out, o), *picture;
            FacetPacketType type = peek(frame).type;
            if (!dec_caps) {
                gst_harness_set_src_caps(s.dec, gst_pad_get_current_caps(s.depay->sinkpad));
                dec_caps = TRUE;
            }
            fail_unless_equals_int(gst_harness_push(s.dec, gst_buffer_ref(frame)), GST_FLOW_OK);
            picture = gst_harness_try_pull(s.dec);
            if (type == FACET_PACKET_TYPE_REFERENCE) {
                fail_unless(picture == NULL);
                continue;
            }
            fail_unless(picture != NULL, "frame %d passed on but did not decode", i);
            fail_unless_equals_uint64(GST_BUFFER_PTS(picture), i * FRAME_DURATION);
            last_decoded = i;
            decoded++;
            gst_buffer_unref(picture);
        }
        take_requests(&s, TRUE, &plis, &firs);
        g_ptr_array_unref(out);
        g_ptr_array_unref(sent);
        g_ptr_array_unref(packets);
        g_ptr_array_unref(rtp);
    }
    GST_INFO("loss %.0f%%: %u RTP packets lost, %u PLI, %u FIR, %u of %d frames decoded",
             loss * 100, lost, plis, firs, decoded, frames);
    fail_unless(lost > 0);
    fail_unless(plis > 0);
    fail_unless(plis + firs <= lost);
    fail_unless_equals_int(last_decoded, frames - 1);
    fail_unless(decoded >= (guint)tail);
    g_rand_free(rand);
    session_clear(&s);
}

GST_START_TEST(test_5_percent_loss)
{
    run_lossy_session(0.05, 21);
}
GST_END_TEST;

GST_START_TEST(test_20_percent_loss)
{
    run_lossy_session(0.20, 22);
}
GST_END_TEST;

/* rtpfacetlatent.c's chain rules for short latent frames, directly. */
static FacetPacketInfo latent_info(FacetPacketType type, guint32 frame, guint32 keyframe_id)
{
    FacetPacketInfo info = { .struct_size = sizeof(info) };
    gboolean short_numbers = type == FACET_PACKET_TYPE_LATENT_FRAME_SHORT;
    info.type = type;
    info.frame_number = short_numbers ? frame & 0xff : frame;
    info.keyframe_id = short_numbers ? keyframe_id & 0xff : keyframe_id & 0xffff;
    info.frame_number_bits = short_numbers ? 8 : 32;
    info.keyframe_id_bits = short_numbers ? 8 : 16;
    return info;
}

static RtpFacetLatentVerdict judge(RtpFacetLatent *state, FacetPacketType type, guint32 frame,
                                   guint32 keyframe_id)
{
    FacetPacketInfo info = latent_info(type, frame, keyframe_id);
    return rtp_facet_latent_check(state, &info, 0);
}

#define SHORT FACET_PACKET_TYPE_LATENT_FRAME_SHORT
#define KEY FACET_PACKET_TYPE_LATENT_KEYFRAME

GST_START_TEST(test_short_frame_rules)
{
    RtpFacetLatent state;
    RtpFacetLatentVerdict v;

    rtp_facet_latent_reset(&state);
    v = judge(&state, SHORT, 1, 0);
    fail_unless(!v.pass && v.want_keyframe); /* before any keyframe */
    fail_unless(judge(&state, KEY, 250, 0x1ff).pass);
    /* Across 255 -> 256: compared modulo 256, kept whole. */
    for (guint32 f = 251; f <= 260; f++)
        fail_unless(judge(&state, SHORT, f, 0x1ff).pass, "frame %u", f);
    fail_unless_equals_int(state.last_frame, 260);
    /* The same frame again: a duplicate, nothing asked. */
    v = judge(&state, SHORT, 260, 0x1ff);
    fail_unless(!v.pass && !v.want_keyframe);
    /* A frame of an older chain: late, nothing asked, the chain intact. */
    v = judge(&state, SHORT, 261, 0x1fe);
    fail_unless(!v.pass && !v.want_keyframe);
    fail_unless(judge(&state, SHORT, 261, 0x1ff).pass);
    /* Frame 262 lost: 263 is a gap (a PLI), and so is every frame until a
     * keyframe, 262 arriving late included. */
    v = judge(&state, SHORT, 263, 0x1ff);
    fail_unless(!v.pass && v.want_keyframe);
    fail_unless(!judge(&state, SHORT, 264, 0x1ff).pass);
    fail_unless(!judge(&state, SHORT, 262, 0x1ff).pass);
    /* An older frame of this chain cannot be told from one 255 on: a gap. */
    fail_unless(judge(&state, KEY, 300, 0x200).pass);
    fail_unless(judge(&state, SHORT, 301, 0x200).pass);
    v = judge(&state, SHORT, 300, 0x200);
    fail_unless(!v.pass && v.want_keyframe);
    /* The next frame of a chain whose keyframe was lost (0x201). */
    fail_unless(judge(&state, KEY, 400, 0x200).pass);
    v = judge(&state, SHORT, 401, 0x201);
    fail_unless(!v.pass && v.want_keyframe);

    /* A loss of exactly 256 frames looks like the next frame; the RTP
     * packets missing (at least one a frame) tell it. */
    fail_unless(judge(&state, KEY, 500, 7).pass);
    rtp_facet_latent_set_packets_missing(&state, RTP_FACET_SHORT_FRAME_ALIAS - 1);
    fail_unless(judge(&state, SHORT, 501, 7).pass); /* fewer: not 256 frames */
    rtp_facet_latent_set_packets_missing(&state, RTP_FACET_SHORT_FRAME_ALIAS);
    v = judge(&state, SHORT, 502 + 256, 7);
    fail_unless(!v.pass && v.want_keyframe);
    /* Whole numbers (1.1, type 4) still work as before. */
    rtp_facet_latent_set_packets_missing(&state, 0);
    fail_unless(judge(&state, KEY, 70000, 300).pass);
    fail_unless(judge(&state, FACET_PACKET_TYPE_LATENT_FRAME, 70001, 300).pass);
    v = judge(&state, FACET_PACKET_TYPE_LATENT_FRAME, 70000, 300);
    fail_unless(!v.pass && !v.want_keyframe);
    v = judge(&state, FACET_PACKET_TYPE_LATENT_FRAME, 70001 + 256, 300);
    fail_unless(!v.pass && v.want_keyframe);
}
GST_END_TEST;

/* Through the elements: the RTP sequence numbers jump by 1000 between two
 * consecutive latent frames, as if 1000 packets (the frames of 8.5 s and
 * more) had been lost, while the short frame numbers say "the next one":
 * the depayloader takes it as a gap and asks for a keyframe. */
GST_START_TEST(test_rtp_gap_behind_short_numbers)
{
    Session s;
    guint plis = 0, firs = 0;
    gint first_dropped = -1;

    session_init(&s);
    gst_util_set_object_arg(G_OBJECT(s.enc->element), "references", "off");
    for (int i = 0; i < 12; i++) {
        GPtrArray *rtp = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
        GPtrArray *packets = session_encode(&s, rtp);
        GPtrArray *out;

        if (i >= 6) {
            for (guint r = 0; r < rtp->len; r++) {
                GstBuffer *buffer = gst_buffer_make_writable(g_ptr_array_index(rtp, r));
                GstRTPBuffer map = GST_RTP_BUFFER_INIT;
                fail_unless(gst_rtp_buffer_map(buffer, GST_MAP_WRITE, &map));
                gst_rtp_buffer_set_seq(&map, (guint16)(gst_rtp_buffer_get_seq(&map) + 1000));
                gst_rtp_buffer_unmap(&map);
                g_ptr_array_index(rtp, r) = buffer;
            }
        }
        out = depay(&s, rtp);
        for (guint o = 0; o < out->len; o++)
            fail_unless(peek(g_ptr_array_index(out, o)).type != FACET_PACKET_TYPE_LATENT_FRAME);
        if (out->len == 0 && first_dropped < 0)
            first_dropped = i;
        fail_unless_equals_int(out->len, i < 6 ? packets->len : 0);
        take_requests(&s, FALSE, &plis, &firs);
        g_ptr_array_unref(out);
        g_ptr_array_unref(packets);
        g_ptr_array_unref(rtp);
    }
    fail_unless_equals_int(first_dropped, 6);
    fail_unless(plis >= 1);
    session_clear(&s);
}
GST_END_TEST;

static Suite *rtplatent_suite(void)
{
    Suite *s = suite_create("rtplatent");
    TCase *tc = tcase_create("general");

    suite_add_tcase(s, tc);
    tcase_add_test(tc, test_round_trip_fragmented);
    tcase_add_test(tc, test_lost_frame_and_duplicates);
    tcase_add_test(tc, test_lost_reference_fragment);
    tcase_add_test(tc, test_garbage_among_the_stream);
    tcase_add_test(tc, test_5_percent_loss);
    tcase_add_test(tc, test_20_percent_loss);
    tcase_add_test(tc, test_short_frame_rules);
    tcase_add_test(tc, test_rtp_gap_behind_short_numbers);
    return s;
}

GST_CHECK_MAIN(rtplatent);
