/* SPDX-License-Identifier: BSD-2-Clause */
/* The latent tier in facetenc and facetdec through GstHarness: the mode,
 * bitrate and scale properties (defaults, auto, changes while playing,
 * bad values), reference fragments as subframes, keyframe (PLI) and
 * reference (FIR) requests with their rate limits, facetdec's mode and the
 * round trip, a broken chain, duplicates and a stream of a model the
 * decoder lacks. */
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <facet/facet.h>

#define LATENT_MODEL FACET_SOURCE_DIR "/models/facet-latent.safetensors"
#define MISSING_MODEL "/nonexistent/facet-gst-test/latent.safetensors"
#define SIDE 64
#define FRAME_DURATION (GST_SECOND / 25)

static GstCaps *raw_caps(gint side, GstVideoInfo *info)
{
    gst_video_info_set_format(info, GST_VIDEO_FORMAT_I420, side, side);
    GST_VIDEO_INFO_FPS_N(info) = 25;
    GST_VIDEO_INFO_FPS_D(info) = 1;
    return gst_video_info_to_caps(info);
}

/* A picture with an edge that moves a pixel a frame. */
static GstBuffer *make_frame(const GstVideoInfo *info, int index)
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
                data[y * stride + x] = p ? 128 : (guint8)((x + index) % cols < cols / 2 ? 60 : 190);
    }
    gst_video_frame_unmap(&frame);
    GST_BUFFER_PTS(buffer) = index * FRAME_DURATION;
    GST_BUFFER_DURATION(buffer) = FRAME_DURATION;
    return buffer;
}

static GstHarness *latent_encoder(const gchar *mode, const gchar *latent_model, gint side,
                                  GstVideoInfo *info)
{
    GstHarness *h = gst_harness_new("facetenc");
    gst_util_set_object_arg(G_OBJECT(h->element), "mode", mode);
    gst_util_set_object_arg(G_OBJECT(h->element), "references", "on"); /* under test */
    g_object_set(h->element, "latent-model", latent_model, "model", "", "threads", 1, NULL);
    gst_harness_set_src_caps(h, raw_caps(side, info));
    return h;
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

/* Pushes frame `index` and pulls what it gave: its packet, and the
 * reference fragment that may follow (NULL when none). */
static GstBuffer *encode(GstHarness *h, const GstVideoInfo *info, int index, GstBuffer **fragment)
{
    GstBuffer *packet;

    fail_unless_equals_int(gst_harness_push(h, make_frame(info, index)), GST_FLOW_OK);
    packet = gst_harness_pull(h);
    fail_unless(packet != NULL);
    *fragment = gst_harness_try_pull(h);
    fail_unless(gst_harness_try_pull(h) == NULL, "more than two buffers for frame %d", index);
    return packet;
}

static const gchar *caps_mode(GstHarness *h)
{
    GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
    static gchar mode[32];

    fail_unless(caps != NULL);
    g_strlcpy(mode, gst_structure_get_string(gst_caps_get_structure(caps, 0), "mode"), sizeof(mode));
    gst_caps_unref(caps);
    return mode;
}

GST_START_TEST(test_property_defaults_and_blurbs)
{
    GstElement *enc = gst_element_factory_make("facetenc", NULL);
    GstElement *dec = gst_element_factory_make("facetdec", NULL);
    const gchar *names[] = { "mode", "bitrate", "scale", "latent-model",
                             "keyframe-request-interval", "reference-request-interval",
                             "references" };
    gint mode = -1, scale = -1, references = -1;
    guint bitrate = 0;

    g_object_get(enc, "mode", &mode, "bitrate", &bitrate, "scale", &scale, "references",
                 &references, NULL);
    fail_unless_equals_int(mode, 0); /* auto */
    fail_unless_equals_int(references, FACET_LATENT_REFERENCES_AUTO);
    fail_unless_equals_int(bitrate, 20);
    fail_unless_equals_int(scale, 0); /* auto */
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        GParamSpec *pspec = g_object_class_find_property(G_OBJECT_GET_CLASS(enc), names[i]);
        fail_unless(pspec != NULL, "no property %s", names[i]);
        fail_unless(strlen(g_param_spec_get_blurb(pspec)) > 40, "%s has no useful blurb", names[i]);
    }
    /* The nicks gst-launch takes. */
    gst_util_set_object_arg(G_OBJECT(enc), "mode", "latent");
    gst_util_set_object_arg(G_OBJECT(enc), "scale", "4");
    g_object_get(enc, "mode", &mode, "scale", &scale, NULL);
    fail_unless_equals_int(mode, FACET_STREAM_MODE_LATENT);
    fail_unless_equals_int(scale, 4);
    gst_util_set_object_arg(G_OBJECT(enc), "references", "off");
    g_object_get(enc, "references", &references, NULL);
    fail_unless_equals_int(references, FACET_LATENT_REFERENCES_OFF);
    gst_util_set_object_arg(G_OBJECT(enc), "mode", "keypoint");
    g_object_get(enc, "mode", &mode, NULL);
    fail_unless_equals_int(mode, FACET_STREAM_MODE_KEYPOINTS);

    g_object_get(dec, "mode", &mode, NULL);
    fail_unless_equals_int(mode, 100); /* none */
    gst_object_unref(enc);
    gst_object_unref(dec);
}
GST_END_TEST;

/* Counts the warnings on the bus that mention `text`. */
static guint count_warnings(GstBus *bus, const gchar *text)
{
    GstMessage *message;
    guint count = 0;

    while ((message = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING))) {
        GError *error = NULL;
        gchar *debug = NULL;
        gst_message_parse_warning(message, &error, &debug);
        if (strstr(error->message, text))
            count++;
        g_error_free(error);
        g_free(debug);
        gst_message_unref(message);
    }
    return count;
}

GST_START_TEST(test_bitrate_out_of_range_is_clamped)
{
    GstElement *enc = gst_element_factory_make("facetenc", NULL);
    GstBus *bus = gst_bus_new();
    guint bitrate = 0;

    gst_element_set_bus(enc, bus);
    g_object_set(enc, "bitrate", 0u, NULL);
    g_object_get(enc, "bitrate", &bitrate, NULL);
    fail_unless_equals_int(bitrate, FACET_LATENT_MIN_BITRATE / 1000);
    g_object_set(enc, "bitrate", G_MAXUINT, NULL);
    g_object_get(enc, "bitrate", &bitrate, NULL);
    fail_unless_equals_int(bitrate, FACET_LATENT_MAX_BITRATE / 1000);
    fail_unless_equals_int(count_warnings(bus, "out of range"), 2);
    g_object_set(enc, "bitrate", 12u, NULL);
    fail_unless_equals_int(count_warnings(bus, "out of range"), 0);
    gst_element_set_bus(enc, NULL);
    gst_object_unref(bus);
    gst_object_unref(enc);
}
GST_END_TEST;

GST_START_TEST(test_auto_mode)
{
    GstVideoInfo info;
    GstBuffer *packet, *fragment;
    GstHarness *h;

    /* A latent model: latent. */
    h = latent_encoder("auto", LATENT_MODEL, SIDE, &info);
    packet = encode(h, &info, 0, &fragment);
    fail_unless_equals_int(peek(packet).type, FACET_PACKET_TYPE_LATENT_KEYFRAME);
    fail_unless_equals_string(caps_mode(h), "latent");
    gst_buffer_unref(packet);
    g_clear_pointer(&fragment, gst_buffer_unref);
    gst_harness_teardown(h);

    /* None (empty: no search): keypoint, here intra-only without a model. */
    h = latent_encoder("auto", "", SIDE, &info);
    packet = encode(h, &info, 0, &fragment);
    fail_unless_equals_int(peek(packet).type, FACET_PACKET_TYPE_KEYFRAME);
    fail_unless_equals_string(caps_mode(h), "intra-only");
    gst_buffer_unref(packet);
    fail_unless(fragment == NULL);
    gst_harness_teardown(h);

    /* A size the latent tier does not take: keypoint. */
    h = latent_encoder("auto", LATENT_MODEL, 16, &info);
    packet = encode(h, &info, 0, &fragment);
    fail_unless_equals_int(peek(packet).type, FACET_PACKET_TYPE_KEYFRAME);
    gst_buffer_unref(packet);
    fail_unless(fragment == NULL);
    gst_harness_teardown(h);
}
GST_END_TEST;

/* The latent stream: a keyframe first, then latent frames with their
 * frame numbers in sequence, reference fragments after the frame's packet
 * with its timestamps, DELTA_UNIT on all but the keyframe. */
GST_START_TEST(test_latent_stream_and_subframes)
{
    GstVideoInfo info;
    GstHarness *h = latent_encoder("latent", LATENT_MODEL, SIDE, &info);
    guint fragments = 0;
    gint scale = 0;
    GstCaps *caps;

    g_object_set(h->element, "bitrate", 30u, NULL);
    for (int i = 0; i < 20; i++) {
        GstBuffer *fragment, *packet = encode(h, &info, i, &fragment);
        FacetPacketInfo pi = peek(packet);
        /* 1.2: every latent frame short, its numbers modulo 256. */
        fail_unless_equals_int(pi.type, i == 0 ? FACET_PACKET_TYPE_LATENT_KEYFRAME
                                               : FACET_PACKET_TYPE_LATENT_FRAME_SHORT);
        fail_unless_equals_int(pi.frame_number, i);
        fail_unless_equals_int(pi.frame_number_bits, i == 0 ? 32 : 8);
        fail_unless(GST_BUFFER_FLAG_IS_SET(packet, GST_BUFFER_FLAG_DELTA_UNIT) == (i != 0));
        fail_unless_equals_uint64(GST_BUFFER_PTS(packet), i * FRAME_DURATION);
        if (fragment) {
            FacetPacketInfo fi = peek(fragment);
            fail_unless_equals_int(fi.type, FACET_PACKET_TYPE_REFERENCE);
            fail_unless(GST_BUFFER_FLAG_IS_SET(fragment, GST_BUFFER_FLAG_DELTA_UNIT));
            fail_unless_equals_uint64(GST_BUFFER_PTS(fragment), i * FRAME_DURATION);
            fragments++;
            gst_buffer_unref(fragment);
        }
        gst_buffer_unref(packet);
    }
    /* The first reference went out, in fragments. */
    fail_unless(fragments >= 1);
    caps = gst_pad_get_current_caps(h->sinkpad);
    fail_unless(gst_structure_get_int(gst_caps_get_structure(caps, 0), "scale", &scale));
    fail_unless(scale == 2 || scale == 4);
    fail_unless_equals_string(gst_structure_get_string(gst_caps_get_structure(caps, 0), "mode"),
                              "latent");
    gst_caps_unref(caps);
    gst_harness_teardown(h);
}
GST_END_TEST;

/* Pulls frame `index`'s packets; returns its packet's type and sets
 * *reference_id to the id of a fragment of index 0 (a new reference), or
 * -1. */
static FacetPacketType encode_type(GstHarness *h, const GstVideoInfo *info, int index,
                                   gint *new_reference)
{
    GstBuffer *fragment, *packet = encode(h, info, index, &fragment);
    FacetPacketType type = peek(packet).type;

    *new_reference = -1;
    if (fragment) {
        FacetPacketInfo fi = peek(fragment);
        if (fi.fragment_index == 0)
            *new_reference = (gint)fi.reference_id;
        gst_buffer_unref(fragment);
    }
    gst_buffer_unref(packet);
    return type;
}

/* A bitrate change while playing gives no keyframe and no new reference;
 * a PLI gives a keyframe, a FIR a new reference, each rate-limited. */
GST_START_TEST(test_bitrate_change_and_requests)
{
    GstVideoInfo info;
    GstHarness *h = latent_encoder("latent", LATENT_MODEL, SIDE, &info);
    gint new_reference, first_reference = -1;
    int i = 0, keyframes[8], nkeys = 0, references[8], nrefs = 0;

    g_object_set(h->element, "bitrate", 40u, NULL);
    /* The first reference: wait until it is whole (its fragments flow). */
    for (; i < 10; i++) {
        encode_type(h, &info, i, &new_reference);
        if (new_reference >= 0 && first_reference < 0)
            first_reference = new_reference;
    }
    fail_unless(first_reference >= 0);
    for (guint rate = 5; rate <= 60; rate += 11) {
        g_object_set(h->element, "bitrate", rate, NULL);
        fail_unless_equals_int(encode_type(h, &info, i++, &new_reference),
                               FACET_PACKET_TYPE_LATENT_FRAME_SHORT);
        fail_unless_equals_int(new_reference, -1);
    }

    /* Two PLIs a frame apart, then a FIR twice: one keyframe at once, the
     * second 200 ms (5 frames) after; one reference at once, the second
     * held back 2 s (50 frames). */
    int start = i;
    for (; i < start + 60; i++) {
        FacetPacketType type;
        if (i == start || i == start + 1)
            fail_unless(gst_harness_push_upstream_event(
                h, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0)));
        if (i == start + 2 || i == start + 3)
            fail_unless(gst_harness_push_upstream_event(
                h, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0)));
        type = encode_type(h, &info, i, &new_reference);
        if (type == FACET_PACKET_TYPE_LATENT_KEYFRAME && nkeys < 8)
            keyframes[nkeys++] = i - start;
        if (new_reference >= 0 && nrefs < 8)
            references[nrefs++] = i - start;
    }
    fail_unless_equals_int(nkeys, 2);
    fail_unless_equals_int(keyframes[0], 0);
    fail_unless_equals_int(keyframes[1], 5);
    fail_unless(nrefs >= 1);
    fail_unless_equals_int(references[0], 2);
    if (nrefs > 1)
        fail_unless(references[1] >= 2 + 50, "second reference at frame %d", references[1]);
    gst_harness_teardown(h);
}
GST_END_TEST;

/* mode and scale changed while playing restart the stream at the next
 * frame: a keyframe with the new caps. */
GST_START_TEST(test_mode_and_scale_change_while_playing)
{
    GstVideoInfo info;
    GstHarness *h = latent_encoder("latent", LATENT_MODEL, SIDE, &info);
    gint new_reference, scale = 0;
    GstCaps *caps;

    gst_util_set_object_arg(G_OBJECT(h->element), "scale", "2");
    for (int i = 0; i < 3; i++)
        encode_type(h, &info, i, &new_reference);
    gst_util_set_object_arg(G_OBJECT(h->element), "scale", "4");
    fail_unless_equals_int(encode_type(h, &info, 3, &new_reference),
                           FACET_PACKET_TYPE_LATENT_KEYFRAME);
    caps = gst_pad_get_current_caps(h->sinkpad);
    fail_unless(gst_structure_get_int(gst_caps_get_structure(caps, 0), "scale", &scale));
    fail_unless_equals_int(scale, 4);
    gst_caps_unref(caps);

    gst_util_set_object_arg(G_OBJECT(h->element), "mode", "keypoint");
    fail_unless_equals_int(encode_type(h, &info, 4, &new_reference), FACET_PACKET_TYPE_KEYFRAME);
    fail_unless_equals_string(caps_mode(h), "intra-only");
    gst_harness_teardown(h);
}
GST_END_TEST;

/* Latent mode without its model: an element error naming the file. */
GST_START_TEST(test_missing_latent_model_is_an_error)
{
    GstVideoInfo info;
    GstHarness *h = gst_harness_new("facetenc");
    GstBus *bus = gst_bus_new();
    GstMessage *message;
    GError *error = NULL;
    gchar *debug = NULL;

    gst_element_set_bus(h->element, bus);
    gst_util_set_object_arg(G_OBJECT(h->element), "mode", "latent");
    g_object_set(h->element, "latent-model", MISSING_MODEL, "threads", 1, NULL);
    gst_harness_set_src_caps(h, raw_caps(SIDE, &info));
    fail_if(gst_harness_push(h, make_frame(&info, 0)) == GST_FLOW_OK);
    message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    fail_unless(message != NULL);
    gst_message_parse_error(message, &error, &debug);
    fail_unless(strstr(error->message, "latent") != NULL, "%s", error->message);
    fail_unless(strstr(error->message, MISSING_MODEL) != NULL, "%s", error->message);
    g_error_free(error);
    g_free(debug);
    gst_message_unref(message);
    gst_element_set_bus(h->element, NULL);
    gst_object_unref(bus);
    gst_harness_teardown(h);
}
GST_END_TEST;

/* Encodes `n` frames; returns every buffer in order and the caps. */
static GstCaps *encode_latent(int n, GPtrArray *buffers)
{
    GstVideoInfo info;
    GstHarness *h = latent_encoder("latent", LATENT_MODEL, SIDE, &info);
    GstBuffer *buffer;
    GstCaps *caps;

    g_object_set(h->element, "bitrate", 40u, NULL);
    for (int i = 0; i < n; i++) {
        fail_unless_equals_int(gst_harness_push(h, make_frame(&info, i)), GST_FLOW_OK);
        while ((buffer = gst_harness_try_pull(h)))
            g_ptr_array_add(buffers, buffer);
    }
    caps = gst_pad_get_current_caps(h->sinkpad);
    gst_harness_teardown(h);
    return caps;
}

static GstHarness *latent_decoder(GstCaps *caps, const gchar *latent_model)
{
    GstHarness *h = gst_harness_new("facetdec");
    g_object_set(h->element, "latent-model", latent_model, "model", "", "threads", 1, NULL);
    gst_harness_set_src_caps(h, caps);
    return h;
}

static gboolean has_force_key_unit(GstHarness *h)
{
    gboolean found = FALSE;
    GstEvent *event;

    while ((event = gst_harness_try_pull_upstream_event(h))) {
        if (gst_video_event_is_force_key_unit(event))
            found = TRUE;
        gst_event_unref(event);
    }
    return found;
}

/* Every frame decodes, the fragments give nothing, the mode says latent;
 * a frame lost breaks the chain (dropped, a keyframe asked for) and a
 * duplicate is dropped without a request. */
GST_START_TEST(test_decoder_round_trip_and_loss)
{
    GPtrArray *buffers = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
    GstCaps *caps = encode_latent(12, buffers);
    GstHarness *h = latent_decoder(gst_caps_ref(caps), LATENT_MODEL);
    guint frames = 0, pushed_frames = 0;
    gint mode = -1;
    GstBuffer *out;

    for (guint i = 0; i < buffers->len; i++) {
        GstBuffer *packet = g_ptr_array_index(buffers, i);
        FacetPacketType type = peek(packet).type;
        if (type != FACET_PACKET_TYPE_REFERENCE)
            pushed_frames++;
        fail_unless_equals_int(gst_harness_push(h, gst_buffer_ref(packet)), GST_FLOW_OK);
        /* The duplicate of a frame: dropped, no request. */
        if (pushed_frames == 4 && type == FACET_PACKET_TYPE_LATENT_FRAME_SHORT)
            fail_unless_equals_int(gst_harness_push(h, gst_buffer_ref(packet)), GST_FLOW_OK);
    }
    fail_if(has_force_key_unit(h));
    while ((out = gst_harness_try_pull(h))) {
        fail_unless_equals_int(gst_buffer_get_size(out), SIDE * SIDE * 3 / 2);
        frames++;
        gst_buffer_unref(out);
    }
    fail_unless_equals_int(frames, pushed_frames);
    g_object_get(h->element, "mode", &mode, NULL);
    fail_unless_equals_int(mode, FACET_STREAM_MODE_LATENT);
    gst_harness_teardown(h);

    /* The third frame lost: every later frame is dropped and asks. */
    h = latent_decoder(gst_caps_ref(caps), LATENT_MODEL);
    frames = 0;
    pushed_frames = 0;
    for (guint i = 0; i < buffers->len; i++) {
        GstBuffer *packet = g_ptr_array_index(buffers, i);
        if (peek(packet).type != FACET_PACKET_TYPE_REFERENCE && pushed_frames++ == 2)
            continue;
        fail_unless_equals_int(gst_harness_push(h, gst_buffer_ref(packet)), GST_FLOW_OK);
    }
    fail_unless(has_force_key_unit(h));
    while ((out = gst_harness_try_pull(h))) {
        frames++;
        gst_buffer_unref(out);
    }
    fail_unless_equals_int(frames, 2);
    gst_harness_teardown(h);
    gst_caps_unref(caps);
    g_ptr_array_unref(buffers);
}
GST_END_TEST;

/* A latent stream and no latent model: one warning naming the model id,
 * nothing shown, no keyframe requests, no error. */
GST_START_TEST(test_decoder_without_the_latent_model)
{
    GPtrArray *buffers = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
    GstCaps *caps = encode_latent(6, buffers);
    GstHarness *h = latent_decoder(caps, "");
    GstBus *bus = gst_bus_new();

    gst_element_set_bus(h->element, bus);
    for (guint i = 0; i < buffers->len; i++)
        fail_unless_equals_int(gst_harness_push(h, gst_buffer_ref(g_ptr_array_index(buffers, i))),
                               GST_FLOW_OK);
    fail_unless(gst_harness_try_pull(h) == NULL);
    fail_unless_equals_int(count_warnings(bus, "latent model"), 1);
    fail_unless(gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR) == NULL);
    fail_if(has_force_key_unit(h));
    gst_element_set_bus(h->element, NULL);
    gst_object_unref(bus);
    gst_harness_teardown(h);
    g_ptr_array_unref(buffers);
}
GST_END_TEST;

static Suite *latent_suite(void)
{
    Suite *s = suite_create("latent");
    TCase *tc = tcase_create("general");

    suite_add_tcase(s, tc);
    tcase_add_test(tc, test_property_defaults_and_blurbs);
    tcase_add_test(tc, test_bitrate_out_of_range_is_clamped);
    tcase_add_test(tc, test_auto_mode);
    tcase_add_test(tc, test_latent_stream_and_subframes);
    tcase_add_test(tc, test_bitrate_change_and_requests);
    tcase_add_test(tc, test_mode_and_scale_change_while_playing);
    tcase_add_test(tc, test_missing_latent_model_is_an_error);
    tcase_add_test(tc, test_decoder_round_trip_and_loss);
    tcase_add_test(tc, test_decoder_without_the_latent_model);
    return s;
}

GST_CHECK_MAIN(latent);
