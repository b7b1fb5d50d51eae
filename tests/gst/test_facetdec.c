/* SPDX-License-Identifier: BSD-2-Clause */
/* facetdec through GstHarness: intra-only round trips from facetenc (I420
 * and RGB out) with a PSNR floor, bad packets dropped without output, and a
 * keypoint-mode stream decoded whole and joined late. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#define MODEL_PATH FACET_SOURCE_DIR "/models/facet-256.safetensors"
#define WIDTH 66
#define HEIGHT 50
#define FRAMES 3
#define FRAME_DURATION (GST_SECOND / 25)
#define PSNR_FLOOR 30.0

static GstCaps *raw_caps(GstVideoFormat format, GstVideoInfo *info)
{
    gst_video_info_set_format(info, format, WIDTH, HEIGHT);
    GST_VIDEO_INFO_FPS_N(info) = 25;
    GST_VIDEO_INFO_FPS_D(info) = 1;
    return gst_video_info_to_caps(info);
}

/* A smooth picture: what a keyframe codec at quality 90 keeps well. */
static GstBuffer *make_frame(const GstVideoInfo *info, int index)
{
    GstBuffer *buffer = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(info), NULL);
    GstVideoFrame frame;

    fail_unless(gst_video_frame_map(&frame, info, buffer, GST_MAP_WRITE));
    for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame); p++) {
        gint comp[GST_VIDEO_MAX_COMPONENTS];
        gst_video_format_info_component(frame.info.finfo, p, comp);
        gint rows = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, comp[0]);
        gint stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p);
        gint pstride = GST_VIDEO_FRAME_COMP_PSTRIDE(&frame, comp[0]);
        guint8 *data = GST_VIDEO_FRAME_PLANE_DATA(&frame, p);
        /* Interleaved channels differ by 40 levels, so a swap shows. */
        for (gint y = 0; y < rows; y++)
            for (gint x = 0; x < stride; x++)
                data[y * stride + x] = (guint8)(30 + (x % pstride) * 40 + x * 80 / stride +
                                                y * 30 / rows + 2 * index);
    }
    gst_video_frame_unmap(&frame);
    GST_BUFFER_PTS(buffer) = index * FRAME_DURATION;
    GST_BUFFER_DURATION(buffer) = FRAME_DURATION;
    return buffer;
}

/* PSNR over the visible bytes of every plane. */
static double psnr(const GstVideoInfo *info, GstBuffer *a, GstBuffer *b)
{
    GstVideoFrame fa, fb;
    double sse = 0.0;
    gsize count = 0;

    fail_unless(gst_video_frame_map(&fa, info, a, GST_MAP_READ));
    fail_unless(gst_video_frame_map(&fb, info, b, GST_MAP_READ));
    for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&fa); p++) {
        gint comp[GST_VIDEO_MAX_COMPONENTS];
        gst_video_format_info_component(fa.info.finfo, p, comp);
        gint rows = GST_VIDEO_FRAME_COMP_HEIGHT(&fa, comp[0]);
        gint bytes = GST_VIDEO_FRAME_COMP_WIDTH(&fa, comp[0]) * GST_VIDEO_FRAME_COMP_PSTRIDE(&fa, comp[0]);
        for (gint y = 0; y < rows; y++) {
            const guint8 *ra = (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA(&fa, p) + y * GST_VIDEO_FRAME_PLANE_STRIDE(&fa, p);
            const guint8 *rb = (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA(&fb, p) + y * GST_VIDEO_FRAME_PLANE_STRIDE(&fb, p);
            for (gint x = 0; x < bytes; x++) {
                double d = (double)ra[x] - rb[x];
                sse += d * d;
            }
            count += bytes;
        }
    }
    gst_video_frame_unmap(&fa);
    gst_video_frame_unmap(&fb);
    if (sse == 0.0)
        return 99.0;
    return 10.0 * log10(255.0 * 255.0 * count / sse);
}

/* Encodes FRAMES frames intra-only; returns the packets and their caps. */
static GstCaps *encode_frames(GstVideoFormat format, GstBuffer *input[FRAMES], GstBuffer *packets[FRAMES])
{
    GstHarness *enc = gst_harness_new("facetenc");
    GstVideoInfo info;
    GstCaps *caps;

    g_object_set(enc->element, "model", "", "keyframe-quality", 90, "threads", 1, NULL);
    gst_harness_set_src_caps(enc, raw_caps(format, &info));
    for (int i = 0; i < FRAMES; i++) {
        input[i] = make_frame(&info, i);
        fail_unless_equals_int(gst_harness_push(enc, gst_buffer_ref(input[i])), GST_FLOW_OK);
        packets[i] = gst_harness_pull(enc);
        fail_unless(packets[i] != NULL);
    }
    caps = gst_pad_get_current_caps(enc->sinkpad);
    fail_unless(caps != NULL);
    gst_harness_teardown(enc);
    return caps;
}

/* Whether the element sent a force-key-unit event upstream. */
static gboolean has_force_key_unit_event(GstHarness *h)
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

static GstHarness *decoder_harness(GstCaps *caps, const gchar *sink_caps)
{
    GstHarness *dec = gst_harness_new("facetdec");
    g_object_set(dec->element, "model", "", "threads", 1, NULL);
    if (sink_caps)
        gst_harness_set_sink_caps_str(dec, sink_caps);
    gst_harness_set_src_caps(dec, caps);
    return dec;
}

static void check_round_trip(GstVideoFormat format, const gchar *sink_caps)
{
    GstBuffer *input[FRAMES], *packets[FRAMES];
    GstCaps *caps = encode_frames(format, input, packets);
    GstHarness *dec = decoder_harness(caps, sink_caps);
    GstVideoInfo out_info;
    GstCaps *out_caps;

    for (int i = 0; i < FRAMES; i++) {
        GstBuffer *out;
        double quality;
        fail_unless_equals_int(gst_harness_push(dec, packets[i]), GST_FLOW_OK);
        out = gst_harness_pull(dec);
        fail_unless(out != NULL);
        out_caps = gst_pad_get_current_caps(dec->sinkpad);
        fail_unless(gst_video_info_from_caps(&out_info, out_caps));
        gst_caps_unref(out_caps);
        fail_unless_equals_int(GST_VIDEO_INFO_FORMAT(&out_info), format);
        fail_unless_equals_int(GST_VIDEO_INFO_WIDTH(&out_info), WIDTH);
        fail_unless_equals_int(GST_VIDEO_INFO_HEIGHT(&out_info), HEIGHT);
        fail_unless_equals_int(GST_VIDEO_INFO_FPS_N(&out_info), 25);
        fail_unless_equals_uint64(GST_BUFFER_PTS(out), i * FRAME_DURATION);
        quality = psnr(&out_info, input[i], out);
        fail_unless(quality >= PSNR_FLOOR, "frame %d: PSNR %.2f dB < %.1f", i, quality, PSNR_FLOOR);
        gst_buffer_unref(out);
        gst_buffer_unref(input[i]);
    }
    gst_harness_teardown(dec);
}

GST_START_TEST(test_round_trip_i420)
{
    check_round_trip(GST_VIDEO_FORMAT_I420, NULL);
}
GST_END_TEST;

GST_START_TEST(test_round_trip_rgb)
{
    check_round_trip(GST_VIDEO_FORMAT_RGB, "video/x-raw, format = (string) RGB");
}
GST_END_TEST;

/* Mean squared error between a converted input (NV12, BGRx) and the decoded
 * picture (I420, RGB), pixel by pixel through the component accessors. */
static double converted_psnr(const GstVideoInfo *in_info, GstBuffer *in,
                             const GstVideoInfo *out_info, GstBuffer *out)
{
    GstVideoFrame fi, fo;
    double sse = 0.0;
    gsize count = 0;

    fail_unless(gst_video_frame_map(&fi, in_info, in, GST_MAP_READ));
    fail_unless(gst_video_frame_map(&fo, out_info, out, GST_MAP_READ));
    for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS(&fo); c++) {
        for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT(&fo, c); y++) {
            for (gint x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH(&fo, c); x++) {
                const guint8 *a = (const guint8 *)GST_VIDEO_FRAME_COMP_DATA(&fi, c) +
                                  y * GST_VIDEO_FRAME_COMP_STRIDE(&fi, c) +
                                  x * GST_VIDEO_FRAME_COMP_PSTRIDE(&fi, c);
                const guint8 *b = (const guint8 *)GST_VIDEO_FRAME_COMP_DATA(&fo, c) +
                                  y * GST_VIDEO_FRAME_COMP_STRIDE(&fo, c) +
                                  x * GST_VIDEO_FRAME_COMP_PSTRIDE(&fo, c);
                double d = (double)*a - *b;
                sse += d * d;
                count++;
            }
        }
    }
    gst_video_frame_unmap(&fi);
    gst_video_frame_unmap(&fo);
    return sse == 0.0 ? 99.0 : 10.0 * log10(255.0 * 255.0 * count / sse);
}

/* The formats the encoder converts keep their channels in place. */
GST_START_TEST(test_round_trip_converted_formats)
{
    static const struct { GstVideoFormat in, out; } cases[] = {
        { GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_I420 },
        { GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_RGB },
        { GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_RGB },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        GstBuffer *input[FRAMES], *packets[FRAMES];
        GstCaps *caps = encode_frames(cases[i].in, input, packets);
        GstHarness *dec = decoder_harness(
            caps, cases[i].out == GST_VIDEO_FORMAT_RGB ? "video/x-raw, format = (string) RGB" : NULL);
        GstVideoInfo in_info, out_info;
        GstCaps *in_caps = raw_caps(cases[i].in, &in_info);
        GstCaps *out_caps = raw_caps(cases[i].out, &out_info);
        GstBuffer *out;
        double quality;

        fail_unless_equals_int(gst_harness_push(dec, gst_buffer_ref(packets[0])), GST_FLOW_OK);
        out = gst_harness_pull(dec);
        fail_unless(out != NULL);
        quality = converted_psnr(&in_info, input[0], &out_info, out);
        fail_unless(quality >= PSNR_FLOOR, "%s: PSNR %.2f dB", gst_video_format_to_string(cases[i].in),
                    quality);
        gst_buffer_unref(out);
        for (int f = 0; f < FRAMES; f++) {
            gst_buffer_unref(input[f]);
            gst_buffer_unref(packets[f]);
        }
        gst_caps_unref(in_caps);
        gst_caps_unref(out_caps);
        gst_harness_teardown(dec);
    }
}
GST_END_TEST;

GST_START_TEST(test_bad_packets_dropped)
{
    GstBuffer *input[FRAMES], *packets[FRAMES];
    GstCaps *caps = encode_frames(GST_VIDEO_FORMAT_I420, input, packets);
    GstHarness *dec = decoder_harness(caps, NULL);
    static const guint8 delta_without_keyframe[] = { 2, 5, 0, 9, 1, 0 };
    GstBuffer *bad[3];
    GstBuffer *out;
    GstMapInfo map;

    /* A delta whose keyframe never came, garbage, and a keyframe with a
     * truncated picture. */
    bad[0] = gst_buffer_new_memdup(delta_without_keyframe, sizeof(delta_without_keyframe));
    bad[1] = gst_buffer_new_memdup("not a facet packet", 18);
    fail_unless(gst_buffer_map(packets[0], &map, GST_MAP_READ));
    bad[2] = gst_buffer_new_memdup(map.data, map.size / 2);
    gst_buffer_unmap(packets[0], &map);
    for (int i = 0; i < 3; i++) {
        GST_BUFFER_PTS(bad[i]) = i * FRAME_DURATION;
        fail_unless_equals_int(gst_harness_push(dec, bad[i]), GST_FLOW_OK);
        fail_unless(gst_harness_try_pull(dec) == NULL, "bad packet %d gave a frame", i);
    }
    fail_unless(has_force_key_unit_event(dec));
    /* The next keyframe resynchronises. */
    fail_unless_equals_int(gst_harness_push(dec, gst_buffer_ref(packets[1])), GST_FLOW_OK);
    out = gst_harness_pull(dec);
    fail_unless(out != NULL);
    gst_buffer_unref(out);
    for (int i = 0; i < FRAMES; i++) {
        gst_buffer_unref(packets[i]);
        gst_buffer_unref(input[i]);
    }
    gst_harness_teardown(dec);
}
GST_END_TEST;

GST_START_TEST(test_keypoint_stream_and_lost_keyframe)
{
    GstHarness *enc, *dec, *late;
    GstVideoInfo info;
    GstBuffer *packets[4];
    GstCaps *caps;

    /* The model ships in the repository: its absence is a failure. */
    fail_unless(g_file_test(MODEL_PATH, G_FILE_TEST_EXISTS), "%s is missing", MODEL_PATH);
    enc = gst_harness_new("facetenc");
    g_object_set(enc->element, "model", MODEL_PATH, "threads", 1, NULL);
    gst_harness_set_src_caps(enc, raw_caps(GST_VIDEO_FORMAT_I420, &info));
    for (int i = 0; i < 4; i++) {
        fail_unless_equals_int(gst_harness_push(enc, make_frame(&info, i)), GST_FLOW_OK);
        packets[i] = gst_harness_pull(enc);
        fail_unless(packets[i] != NULL);
        fail_unless(GST_BUFFER_FLAG_IS_SET(packets[i], GST_BUFFER_FLAG_DELTA_UNIT) == (i > 0));
    }
    caps = gst_pad_get_current_caps(enc->sinkpad);
    gst_harness_teardown(enc);

    /* Every frame decodes with the model. */
    dec = gst_harness_new("facetdec");
    g_object_set(dec->element, "model", MODEL_PATH, "threads", 1, NULL);
    gst_harness_set_src_caps(dec, gst_caps_ref(caps));
    for (int i = 0; i < 4; i++) {
        GstBuffer *out;
        fail_unless_equals_int(gst_harness_push(dec, gst_buffer_ref(packets[i])), GST_FLOW_OK);
        out = gst_harness_pull(dec);
        fail_unless(out != NULL);
        fail_unless_equals_uint64(GST_BUFFER_PTS(out), i * FRAME_DURATION);
        gst_buffer_unref(out);
    }
    gst_harness_teardown(dec);

    /* A receiver that joins after the keyframe outputs nothing until one
     * comes, and asks upstream for it. */
    late = gst_harness_new("facetdec");
    g_object_set(late->element, "model", MODEL_PATH, "threads", 1, NULL);
    gst_harness_set_src_caps(late, caps);
    for (int i = 1; i < 4; i++) {
        fail_unless_equals_int(gst_harness_push(late, gst_buffer_ref(packets[i])), GST_FLOW_OK);
        fail_unless(gst_harness_try_pull(late) == NULL, "delta %d decoded without its keyframe", i);
    }
    fail_unless(has_force_key_unit_event(late));
    gst_harness_teardown(late);
    for (int i = 0; i < 4; i++)
        gst_buffer_unref(packets[i]);
}
GST_END_TEST;

/* Encodes n frames of a w x h picture; returns the packets and their caps. */
static GstCaps *encode_stream(const gchar *model, gint width, gint height, int n, GstBuffer **packets)
{
    GstHarness *enc = gst_harness_new("facetenc");
    GstVideoInfo info;
    GstCaps *caps;

    g_object_set(enc->element, "model", model, "threads", 1, NULL);
    gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, width, height);
    GST_VIDEO_INFO_FPS_N(&info) = 25;
    gst_harness_set_src_caps(enc, gst_video_info_to_caps(&info));
    for (int i = 0; i < n; i++) {
        fail_unless_equals_int(gst_harness_push(enc, make_frame(&info, i)), GST_FLOW_OK);
        packets[i] = gst_harness_pull(enc);
        fail_unless(packets[i] != NULL);
    }
    caps = gst_pad_get_current_caps(enc->sinkpad);
    fail_unless(caps != NULL);
    gst_harness_teardown(enc);
    return caps;
}

static void check_output_size(GstHarness *dec, gint width, gint height)
{
    GstCaps *caps = gst_pad_get_current_caps(dec->sinkpad);
    GstVideoInfo info;

    fail_unless(gst_video_info_from_caps(&info, caps));
    fail_unless_equals_int(GST_VIDEO_INFO_WIDTH(&info), width);
    fail_unless_equals_int(GST_VIDEO_INFO_HEIGHT(&info), height);
    gst_caps_unref(caps);
}

/* A new stream mid-way (new caps, a keyframe of another size): the output
 * follows it. */
GST_START_TEST(test_caps_change_mid_stream)
{
    GstBuffer *a[2], *b[2];
    GstCaps *caps_a = encode_stream("", WIDTH, HEIGHT, 2, a);
    GstCaps *caps_b = encode_stream("", 80, 60, 2, b);
    GstHarness *dec = decoder_harness(caps_a, NULL);
    GstBuffer *out;

    fail_unless_equals_int(gst_harness_push(dec, a[0]), GST_FLOW_OK);
    out = gst_harness_pull(dec);
    fail_unless(out != NULL);
    gst_buffer_unref(out);
    check_output_size(dec, WIDTH, HEIGHT);

    gst_harness_set_src_caps(dec, caps_b);
    for (int i = 0; i < 2; i++) {
        fail_unless_equals_int(gst_harness_push(dec, b[i]), GST_FLOW_OK);
        out = gst_harness_pull(dec);
        fail_unless(out != NULL);
        gst_buffer_unref(out);
        check_output_size(dec, 80, 60);
    }
    /* The first stream's packets after the switch still decode, at their
     * own size (every keyframe carries the sequence header). */
    fail_unless_equals_int(gst_harness_push(dec, a[1]), GST_FLOW_OK);
    out = gst_harness_pull(dec);
    fail_unless(out != NULL);
    gst_buffer_unref(out);
    check_output_size(dec, WIDTH, HEIGHT);
    gst_harness_teardown(dec);
}
GST_END_TEST;

/* An empty buffer is a decode error: dropped within the decoder's error
 * tolerance (max-errors, unlimited by default) while the stream goes on, an
 * element error beyond it. */
GST_START_TEST(test_empty_buffer_dropped)
{
    GstBuffer *packets[1];
    GstCaps *caps = encode_stream("", WIDTH, HEIGHT, 1, packets);
    GstBus *bus = gst_bus_new();

    for (int strict = 0; strict < 2; strict++) {
        GstHarness *dec = decoder_harness(gst_caps_ref(caps), NULL);
        GstMessage *message;
        GstBuffer *out;

        gst_element_set_bus(dec->element, bus);
        if (strict)
            g_object_set(dec->element, "max-errors", 0, NULL);
        fail_unless_equals_int(gst_harness_push(dec, gst_buffer_new()),
                               strict ? GST_FLOW_ERROR : GST_FLOW_OK);
        fail_unless(gst_harness_try_pull(dec) == NULL);
        message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
        fail_unless((message != NULL) == strict);
        if (message) {
            GError *error = NULL;
            gchar *debug = NULL;
            gst_message_parse_error(message, &error, &debug);
            fail_unless(debug && strstr(debug, "empty packet"), "%s", debug);
            g_error_free(error);
            g_free(debug);
            gst_message_unref(message);
        } else {
            fail_unless_equals_int(gst_harness_push(dec, gst_buffer_ref(packets[0])), GST_FLOW_OK);
            out = gst_harness_pull(dec);
            fail_unless(out != NULL);
            gst_buffer_unref(out);
        }
        gst_element_set_bus(dec->element, NULL);
        gst_harness_teardown(dec);
    }
    gst_object_unref(bus);
    gst_buffer_unref(packets[0]);
    gst_caps_unref(caps);
}
GST_END_TEST;

/* Counts the warnings on the bus and checks each names the model id. */
static guint count_model_warnings(GstBus *bus, const gchar *model_hex)
{
    GstMessage *message;
    guint count = 0;

    while ((message = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING))) {
        GError *error = NULL;
        gchar *debug = NULL;
        gst_message_parse_warning(message, &error, &debug);
        fail_unless(strstr(error->message, model_hex) != NULL, "%s", error->message);
        g_error_free(error);
        g_free(debug);
        gst_message_unref(message);
        count++;
    }
    return count;
}

/* Packets of a stream coded with another model (here: the keyframe's model
 * id rewritten) or with a model the decoder lacks: the keyframes show, the
 * deltas are dropped with one warning naming the model, and no keyframe is
 * asked for (it would not help). */
GST_START_TEST(test_stream_of_another_model)
{
    GstBuffer *packets[4];
    GstCaps *caps;
    static const gchar *decoder_models[] = { MODEL_PATH, "" };

    fail_unless(g_file_test(MODEL_PATH, G_FILE_TEST_EXISTS), "%s is missing", MODEL_PATH);
    caps = encode_stream(MODEL_PATH, WIDTH, HEIGHT, 4, packets);
    /* model_id: bytes 9-12 of a keyframe (docs/bitstream.md). */
    packets[0] = gst_buffer_make_writable(packets[0]);
    fail_unless_equals_int(gst_buffer_fill(packets[0], 9, "\x12\x34\x56\x78", 4), 4);

    for (gsize m = 0; m < G_N_ELEMENTS(decoder_models); m++) {
        GstHarness *dec = gst_harness_new("facetdec");
        GstBus *bus = gst_bus_new();
        GstBuffer *out;

        g_object_set(dec->element, "model", decoder_models[m], "threads", 1, NULL);
        gst_element_set_bus(dec->element, bus);
        gst_harness_set_src_caps(dec, gst_caps_ref(caps));
        fail_unless_equals_int(gst_harness_push(dec, gst_buffer_ref(packets[0])), GST_FLOW_OK);
        out = gst_harness_pull(dec);
        fail_unless(out != NULL, "the keyframe of another model did not show");
        gst_buffer_unref(out);
        for (int i = 1; i < 4; i++) {
            fail_unless_equals_int(gst_harness_push(dec, gst_buffer_ref(packets[i])), GST_FLOW_OK);
            fail_unless(gst_harness_try_pull(dec) == NULL, "delta %d of another model decoded", i);
        }
        fail_unless_equals_int(count_model_warnings(bus, "12345678"), 1);
        fail_unless(gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR) == NULL);
        fail_if(has_force_key_unit_event(dec));
        gst_element_set_bus(dec->element, NULL);
        gst_object_unref(bus);
        gst_harness_teardown(dec);
    }
    for (int i = 0; i < 4; i++)
        gst_buffer_unref(packets[i]);
    gst_caps_unref(caps);
}
GST_END_TEST;

/* A model file that is missing or corrupt: an element error naming it, and
 * no frame. */
GST_START_TEST(test_bad_model_is_an_error_naming_it)
{
    gchar *corrupt = NULL;
    gint fd = g_file_open_tmp("facet-gst-corrupt-XXXXXX.safetensors", &corrupt, NULL);
    static const char junk[] = "not a safetensors file";
    const gchar *models[] = { "/nonexistent/facet-gst-test/model.safetensors", corrupt };
    GstBuffer *packets[1];
    GstCaps *caps = encode_stream("", WIDTH, HEIGHT, 1, packets);

    fail_unless(fd >= 0);
    close(fd);
    fail_unless(g_file_set_contents(corrupt, junk, sizeof(junk) - 1, NULL));
    for (gsize m = 0; m < G_N_ELEMENTS(models); m++) {
        GstHarness *dec = gst_harness_new("facetdec");
        GstBus *bus = gst_bus_new();
        GstMessage *message;
        GError *error = NULL;
        gchar *debug = NULL;
        GstSegment segment;

        gst_element_set_bus(dec->element, bus);
        g_object_set(dec->element, "model", models[m], NULL);
        gst_harness_play(dec);
        gst_pad_push_event(dec->srcpad, gst_event_new_stream_start("bad-model"));
        gst_pad_push_event(dec->srcpad, gst_event_new_caps(caps));
        gst_segment_init(&segment, GST_FORMAT_TIME);
        gst_pad_push_event(dec->srcpad, gst_event_new_segment(&segment));
        fail_if(gst_harness_push(dec, gst_buffer_ref(packets[0])) == GST_FLOW_OK);
        fail_unless(gst_harness_try_pull(dec) == NULL);
        message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
        fail_unless(message != NULL);
        gst_message_parse_error(message, &error, &debug);
        fail_unless(strstr(error->message, models[m]) != NULL, "%s", error->message);
        g_error_free(error);
        g_free(debug);
        gst_message_unref(message);
        gst_element_set_bus(dec->element, NULL);
        gst_object_unref(bus);
        gst_harness_teardown(dec);
    }
    g_unlink(corrupt);
    g_free(corrupt);
    gst_buffer_unref(packets[0]);
    gst_caps_unref(caps);
}
GST_END_TEST;

/* The backend properties: the CPU back end is reported through
 * active-backend once the decoder is open, and forcing Vulkan onto a device
 * that does not exist is an element error naming it, never a silent
 * fallback (on any machine: no device has that name). */
GST_START_TEST(test_backend_properties)
{
    GstBuffer *packets[1];
    GstCaps *caps = encode_stream("", WIDTH, HEIGHT, 1, packets);
    GstHarness *dec = decoder_harness(gst_caps_ref(caps), NULL);
    gchar *active = NULL;
    gint backend = -1;

    g_object_get(dec->element, "backend", &backend, "active-backend", &active, NULL);
    fail_unless_equals_int(backend, 0); /* auto */
    g_free(active);
    gst_harness_teardown(dec);

    dec = gst_harness_new("facetdec");
    gst_util_set_object_arg(G_OBJECT(dec->element), "backend", "cpu");
    g_object_set(dec->element, "model", "", "threads", 1, NULL);
    gst_harness_set_src_caps(dec, gst_caps_ref(caps));
    fail_unless_equals_int(gst_harness_push(dec, gst_buffer_ref(packets[0])), GST_FLOW_OK);
    gst_buffer_unref(gst_harness_pull(dec));
    g_object_get(dec->element, "active-backend", &active, NULL);
    fail_unless(active != NULL && g_str_has_prefix(active, "cpu: "), "%s", active);
    g_free(active);
    gst_harness_teardown(dec);

    {
        const gchar *device = "no-such-facet-test-device";
        GstBus *bus = gst_bus_new();
        GstMessage *message;
        GError *error = NULL;
        gchar *debug = NULL;
        GstSegment segment;

        dec = gst_harness_new("facetdec");
        gst_element_set_bus(dec->element, bus);
        gst_util_set_object_arg(G_OBJECT(dec->element), "backend", "vulkan");
        g_object_set(dec->element, "model", MODEL_PATH, "device", device, NULL);
        gst_harness_play(dec);
        gst_pad_push_event(dec->srcpad, gst_event_new_stream_start("no-device"));
        gst_pad_push_event(dec->srcpad, gst_event_new_caps(caps));
        gst_segment_init(&segment, GST_FORMAT_TIME);
        gst_pad_push_event(dec->srcpad, gst_event_new_segment(&segment));
        fail_if(gst_harness_push(dec, gst_buffer_ref(packets[0])) == GST_FLOW_OK);
        fail_unless(gst_harness_try_pull(dec) == NULL);
        message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
        fail_unless(message != NULL);
        gst_message_parse_error(message, &error, &debug);
        fail_unless(debug != NULL && strstr(debug, "Vulkan") != NULL, "%s", debug);
        g_error_free(error);
        g_free(debug);
        gst_message_unref(message);
        gst_element_set_bus(dec->element, NULL);
        gst_object_unref(bus);
        gst_harness_teardown(dec);
    }
    gst_buffer_unref(packets[0]);
    gst_caps_unref(caps);
}
GST_END_TEST;

static Suite *facetdec_suite(void)
{
    Suite *s = suite_create("facetdec");
    TCase *tc = tcase_create("general");

    suite_add_tcase(s, tc);
    tcase_add_test(tc, test_round_trip_i420);
    tcase_add_test(tc, test_round_trip_rgb);
    tcase_add_test(tc, test_round_trip_converted_formats);
    tcase_add_test(tc, test_bad_packets_dropped);
    tcase_add_test(tc, test_keypoint_stream_and_lost_keyframe);
    tcase_add_test(tc, test_caps_change_mid_stream);
    tcase_add_test(tc, test_empty_buffer_dropped);
    tcase_add_test(tc, test_stream_of_another_model);
    tcase_add_test(tc, test_bad_model_is_an_error_naming_it);
    tcase_add_test(tc, test_backend_properties);
    return s;
}

GST_CHECK_MAIN(facetdec);
