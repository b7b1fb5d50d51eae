/* SPDX-License-Identifier: BSD-2-Clause */
/* Check suite of call_jitter_stats.c: a real rtpjitterbuffer that asks for
 * retransmissions, then gets EOS while a request timer is pending; what
 * the call reports is what the jitter buffer had asked for when EOS came,
 * not the requests its timers make while the stream ends. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/gstrtpbuffer.h>

#include "call_jitter_stats.h"

#define PACKET_SPACING_MS 20

/* An RTP packet of payload type 96, stamped as arriving `arrival` (running
 * time) so that the jitter buffer's clock-driven timers use it. */
static GstBuffer *rtp_packet(guint16 seq, GstClockTime arrival)
{
    GstBuffer *buffer = gst_rtp_buffer_new_allocate(20, 0, 0);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

    gst_rtp_buffer_map(buffer, GST_MAP_WRITE, &rtp);
    gst_rtp_buffer_set_payload_type(&rtp, 96);
    gst_rtp_buffer_set_seq(&rtp, seq);
    gst_rtp_buffer_set_timestamp(&rtp, seq * 90 * PACKET_SPACING_MS);
    gst_rtp_buffer_set_ssrc(&rtp, 0x1234);
    gst_rtp_buffer_unmap(&rtp);
    GST_BUFFER_DTS(buffer) = arrival;
    return buffer;
}

static GstClockTime running_time(GstHarness *h)
{
    GstClock *clock = gst_element_get_clock(h->element);
    GstClockTime now = gst_clock_get_time(clock) - gst_element_get_base_time(h->element);
    gst_object_unref(clock);
    return now;
}

/* Waits (on events, not on time) until the EOS came out of the element. */
static void pull_until_eos(GstHarness *h)
{
    for (;;) {
        GstEvent *event = gst_harness_pull_event(h);
        gboolean eos;
        fail_unless(event != NULL);
        eos = GST_EVENT_TYPE(event) == GST_EVENT_EOS;
        gst_event_unref(event);
        if (eos)
            return;
    }
}

static guint64 raw_rtx_count(GstElement *jitterbuffer)
{
    GstStructure *s = NULL;
    guint64 count = 0;
    g_object_get(jitterbuffer, "stats", &s, NULL);
    fail_unless(s != NULL);
    ck_assert(gst_structure_get_uint64(s, "rtx-count", &count));
    gst_structure_free(s);
    return count;
}

START_TEST(test_frozen_at_eos)
{
    GstHarness *h = gst_harness_new("rtpjitterbuffer");
    CallJitterStats stats;
    guint64 asked, recovered, lost, before_eos;
    GstEvent *request;
    guint requests = 0;

    call_jitter_stats_init(&stats);
    g_object_set(h->element, "do-retransmission", TRUE, "latency", 200, NULL);
    gst_harness_use_systemclock(h);
    gst_harness_set_src_caps_str(h, "application/x-rtp,media=video,clock-rate=90000,"
                                    "encoding-name=X-FACET,payload=96");
    ck_assert(call_jitter_stats_attach(&stats, h->element));
    /* A second jitter buffer is not taken. */
    ck_assert(!call_jitter_stats_attach(&stats, h->element));
    call_jitter_stats_read(&stats, &asked, &recovered, &lost);
    ck_assert_uint_eq(asked, 0);

    /* Packets 0-4, then 6: packet 5 is missing, and the jitter buffer asks
     * for it; wait for that request to come upstream. */
    for (guint16 seq = 0; seq < 5; seq++)
        ck_assert_int_eq(gst_harness_push(h, rtp_packet(seq, running_time(h))), GST_FLOW_OK);
    ck_assert_int_eq(gst_harness_push(h, rtp_packet(6, running_time(h))), GST_FLOW_OK);
    while (!requests) {
        request = gst_harness_pull_upstream_event(h);
        fail_unless(request != NULL);
        if (gst_event_has_name(request, "GstRTPRetransmissionRequest"))
            requests++;
        gst_event_unref(request);
    }
    call_jitter_stats_read(&stats, &asked, &recovered, &lost);
    ck_assert_uint_ge(asked, 1);

    /* The stream ends with request timers pending (packet 5's, and with
     * rtx-next-seqnum the one for packet 7). */
    before_eos = raw_rtx_count(h->element);
    ck_assert(gst_harness_push_event(h, gst_event_new_eos()));
    pull_until_eos(h);
    call_jitter_stats_read(&stats, &asked, &recovered, &lost);
    g_print("requests before EOS: %" G_GUINT64_FORMAT ", reported: %" G_GUINT64_FORMAT
            ", the element's count after EOS: %" G_GUINT64_FORMAT "\n",
            before_eos, asked, raw_rtx_count(h->element));
    /* Requests made before EOS reached the element may still have been
     * counted between the reading above and the push; none after. */
    ck_assert_uint_ge(asked, before_eos);
    ck_assert_uint_le(asked, raw_rtx_count(h->element));
    ck_assert(stats.frozen);
    {
        guint64 again;
        call_jitter_stats_read(&stats, &again, &recovered, &lost);
        ck_assert_uint_eq(again, asked);
    }
    call_jitter_stats_clear(&stats);
    gst_harness_teardown(h);
}
END_TEST

START_TEST(test_rejects_other_elements)
{
    CallJitterStats stats;
    GstElement *identity = gst_element_factory_make("identity", NULL);
    guint64 asked = 1, recovered = 1, lost = 1;

    call_jitter_stats_init(&stats);
    ck_assert(!call_jitter_stats_attach(&stats, NULL));
    ck_assert(!call_jitter_stats_attach(&stats, identity));
    call_jitter_stats_read(&stats, &asked, &recovered, &lost);
    ck_assert_uint_eq(asked + recovered + lost, 0);
    call_jitter_stats_clear(&stats);
    gst_object_unref(identity);
}
END_TEST

static Suite *call_jitter_stats_suite(void)
{
    Suite *s = suite_create("call_jitter_stats");
    TCase *tc = tcase_create("stats");
    tcase_add_test(tc, test_frozen_at_eos);
    tcase_add_test(tc, test_rejects_other_elements);
    suite_add_tcase(s, tc);
    return s;
}

GST_CHECK_MAIN(call_jitter_stats);
