/* SPDX-License-Identifier: BSD-2-Clause */
/* facetenc through GstHarness: caps, keyframe flags, timestamps,
 * force-key-unit, refused formats and the missing-model error. */
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#define MODEL_PATH FACET_SOURCE_DIR "/models/facet-256.safetensors"
#define MISSING_MODEL "/nonexistent/facet-gst-test/model.safetensors"
#define WIDTH 66 /* odd chroma size, not a multiple of 8 */
#define HEIGHT 50
#define FRAME_DURATION (GST_SECOND / 25)

static GstCaps *raw_caps_sized(GstVideoFormat format, gint width, gint height, GstVideoInfo *info)
{
    gst_video_info_set_format(info, format, width, height);
    GST_VIDEO_INFO_FPS_N(info) = 25;
    GST_VIDEO_INFO_FPS_D(info) = 1;
    return gst_video_info_to_caps(info);
}

static GstCaps *raw_caps(GstVideoFormat format, GstVideoInfo *info)
{
    return raw_caps_sized(format, WIDTH, HEIGHT, info);
}

/* A smooth picture that moves a little from frame to frame. */
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
        guint8 *data = GST_VIDEO_FRAME_PLANE_DATA(&frame, p);
        for (gint y = 0; y < rows; y++)
            for (gint x = 0; x < stride; x++)
                data[y * stride + x] = (guint8)(40 + x * 150 / stride + y * 40 / rows + 2 * index);
    }
    gst_video_frame_unmap(&frame);
    GST_BUFFER_PTS(buffer) = index * FRAME_DURATION;
    GST_BUFFER_DURATION(buffer) = FRAME_DURATION;
    return buffer;
}

static GstHarness *encoder_harness(const gchar *model, GstVideoFormat format, GstVideoInfo *info)
{
    GstHarness *h = gst_harness_new("facetenc");
    g_object_set(h->element, "model", model, "threads", 1, NULL);
    gst_harness_set_src_caps(h, raw_caps(format, info));
    return h;
}

/* Takes ownership of caps. */
static void push_caps_and_segment(GstHarness *h, GstCaps *caps)
{
    GstSegment segment;

    gst_pad_push_event(h->srcpad, gst_event_new_caps(caps));
    gst_caps_unref(caps);
    gst_segment_init(&segment, GST_FORMAT_TIME);
    gst_pad_push_event(h->srcpad, gst_event_new_segment(&segment));
}

static gboolean is_keyframe(GstBuffer *buffer)
{
    return !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
}

/* Every input format at an even size, odd sizes (odd chroma) and the
 * smallest. */
GST_START_TEST(test_caps_every_input_format)
{
    static const GstVideoFormat formats[] = {
        GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_NV12,
        GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRx,
    };
    static const gint sizes[][2] = { { WIDTH, HEIGHT }, { 33, 17 }, { 1, 1 } };
    for (gsize i = 0; i < G_N_ELEMENTS(formats); i++) {
        for (gsize z = 0; z < G_N_ELEMENTS(sizes); z++) {
            GstVideoInfo info;
            GstHarness *h = gst_harness_new("facetenc");
            GstBuffer *out;
            GstCaps *caps;
            GstStructure *s;
            gint width, height, fps_n, fps_d, keypoints;
            guint model_id;

            g_object_set(h->element, "model", "", "threads", 1, NULL);
            gst_harness_set_src_caps(h, raw_caps_sized(formats[i], sizes[z][0], sizes[z][1], &info));
            fail_unless_equals_int(gst_harness_push(h, make_frame(&info, 0)), GST_FLOW_OK);
            out = gst_harness_pull(h);
            fail_unless(out != NULL);
            fail_unless(gst_buffer_get_size(out) > 28);
            caps = gst_pad_get_current_caps(h->sinkpad);
            fail_unless(caps != NULL);
            s = gst_caps_get_structure(caps, 0);
            fail_unless(gst_structure_has_name(s, "video/x-facet"));
            fail_unless(gst_structure_get_int(s, "width", &width));
            fail_unless(gst_structure_get_int(s, "height", &height));
            fail_unless_equals_int(width, sizes[z][0]);
            fail_unless_equals_int(height, sizes[z][1]);
            fail_unless(gst_structure_get_fraction(s, "framerate", &fps_n, &fps_d));
            fail_unless_equals_int(fps_n, 25);
            fail_unless_equals_int(fps_d, 1);
            fail_unless(gst_structure_get_uint(s, "model-id", &model_id));
            fail_unless_equals_int(model_id, 0);
            fail_unless(gst_structure_get_int(s, "keypoints", &keypoints));
            fail_unless_equals_int(keypoints, 0);
            gst_caps_unref(caps);
            gst_buffer_unref(out);
            gst_harness_teardown(h);
        }
    }
}
GST_END_TEST;

/* New caps mid-stream: the encoder starts over at the new size and format,
 * with a keyframe, and says so in its caps. */
GST_START_TEST(test_caps_change_mid_stream)
{
    GstVideoInfo info;
    GstHarness *h = encoder_harness(MODEL_PATH, GST_VIDEO_FORMAT_I420, &info);
    gint width = 0, height = 0;
    GstCaps *caps;

    for (int i = 0; i < 5; i++) {
        GstBuffer *out;
        if (i == 2)
            gst_harness_set_src_caps(h, raw_caps_sized(GST_VIDEO_FORMAT_NV12, 80, 60, &info));
        fail_unless_equals_int(gst_harness_push(h, make_frame(&info, i)), GST_FLOW_OK);
        out = gst_harness_pull(h);
        fail_unless(out != NULL);
        fail_unless_equals_uint64(GST_BUFFER_PTS(out), i * FRAME_DURATION);
        fail_unless(is_keyframe(out) == (i == 0 || i == 2), "frame %d", i);
        gst_buffer_unref(out);
        caps = gst_pad_get_current_caps(h->sinkpad);
        fail_unless(gst_structure_get_int(gst_caps_get_structure(caps, 0), "width", &width));
        fail_unless(gst_structure_get_int(gst_caps_get_structure(caps, 0), "height", &height));
        fail_unless_equals_int(width, i < 2 ? WIDTH : 80);
        fail_unless_equals_int(height, i < 2 ? HEIGHT : 60);
        gst_caps_unref(caps);
    }
    gst_harness_teardown(h);
}
GST_END_TEST;

/* A buffer smaller than its caps say (here empty) is an error message, not
 * a crash or a read past the buffer. */
GST_START_TEST(test_short_buffer_is_an_error)
{
    GstVideoInfo info;
    GstHarness *h = encoder_harness("", GST_VIDEO_FORMAT_I420, &info);
    GstBus *bus = gst_bus_new();
    GstMessage *message;
    GstBuffer *empty = gst_buffer_new();

    gst_element_set_bus(h->element, bus);
    GST_BUFFER_PTS(empty) = 0;
    fail_unless_equals_int(gst_harness_push(h, empty), GST_FLOW_ERROR);
    fail_unless(gst_harness_try_pull(h) == NULL);
    message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    fail_unless(message != NULL);
    gst_message_unref(message);
    gst_element_set_bus(h->element, NULL);
    gst_object_unref(bus);
    gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_first_keyframe_and_timestamps)
{
    GstVideoInfo info;
    GstHarness *h = encoder_harness("", GST_VIDEO_FORMAT_I420, &info);

    for (int i = 0; i < 3; i++)
        fail_unless_equals_int(gst_harness_push(h, make_frame(&info, i)), GST_FLOW_OK);
    for (int i = 0; i < 3; i++) {
        GstBuffer *out = gst_harness_pull(h);
        fail_unless(out != NULL);
        fail_unless_equals_uint64(GST_BUFFER_PTS(out), i * FRAME_DURATION);
        fail_unless_equals_uint64(GST_BUFFER_DURATION(out), FRAME_DURATION);
        /* Intra-only: every frame is a keyframe, the first above all. */
        fail_unless(is_keyframe(out));
        gst_buffer_unref(out);
    }
    fail_unless_equals_uint64(gst_harness_query_latency(h), 0);
    gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_keypoint_mode_deltas_and_force_key_unit)
{
    GstVideoInfo info;
    GstHarness *h;
    GstCaps *caps;
    gint keypoints = 0;
    guint model_id = 0;
    /* Frame 3 follows a force-key-unit event; the interval (2 s) would
     * make no other keyframe in these five frames. */
    static const gboolean expect_key[] = { TRUE, FALSE, FALSE, TRUE, FALSE };

    /* The model ships in the repository: its absence is a failure. */
    fail_unless(g_file_test(MODEL_PATH, G_FILE_TEST_EXISTS), "%s is missing", MODEL_PATH);
    h = encoder_harness(MODEL_PATH, GST_VIDEO_FORMAT_I420, &info);
    for (int i = 0; i < 5; i++) {
        GstBuffer *out;
        if (i == 3)
            fail_unless(gst_harness_push_upstream_event(
                h, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 1)));
        fail_unless_equals_int(gst_harness_push(h, make_frame(&info, i)), GST_FLOW_OK);
        out = gst_harness_pull(h);
        fail_unless(out != NULL);
        fail_unless_equals_uint64(GST_BUFFER_PTS(out), i * FRAME_DURATION);
        fail_unless_equals_uint64(GST_BUFFER_DURATION(out), FRAME_DURATION);
        fail_unless(is_keyframe(out) == expect_key[i], "frame %d keyframe=%d", i, is_keyframe(out));
        if (!expect_key[i])
            fail_unless(gst_buffer_get_size(out) < 200); /* keypoints only */
        gst_buffer_unref(out);
    }
    caps = gst_pad_get_current_caps(h->sinkpad);
    fail_unless(gst_structure_get_uint(gst_caps_get_structure(caps, 0), "model-id", &model_id));
    fail_unless(gst_structure_get_int(gst_caps_get_structure(caps, 0), "keypoints", &keypoints));
    fail_unless(model_id != 0);
    fail_unless(keypoints >= 1 && keypoints <= 64);
    gst_caps_unref(caps);
    gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_unsupported_caps_refused)
{
    GstHarness *h = gst_harness_new("facetenc");
    GstPad *sinkpad = gst_element_get_static_pad(h->element, "sink");
    GstVideoInfo info;
    GstCaps *gray = raw_caps(GST_VIDEO_FORMAT_GRAY8, &info);
    GstCaps *i420 = raw_caps(GST_VIDEO_FORMAT_I420, &info);

    fail_if(gst_pad_query_accept_caps(sinkpad, gray));
    fail_unless(gst_pad_query_accept_caps(sinkpad, i420));
    /* A sticky caps event is stored whatever the element says: the refusal
     * shows on the first buffer. */
    push_caps_and_segment(h, gray);
    fail_unless_equals_int(gst_harness_push(h, make_frame(&info, 0)), GST_FLOW_NOT_NEGOTIATED);
    gst_caps_unref(i420);
    gst_object_unref(sinkpad);
    gst_harness_teardown(h);
}
GST_END_TEST;

/* Pushes a frame into an encoder opened with `model`; the element error
 * must name the file. */
static void check_model_error_names(const gchar *model)
{
    GstHarness *h = gst_harness_new("facetenc");
    GstBus *bus = gst_bus_new();
    GstVideoInfo info;
    GstMessage *message;
    GError *error = NULL;
    gchar *debug = NULL;

    gst_element_set_bus(h->element, bus);
    g_object_set(h->element, "model", model, NULL);
    push_caps_and_segment(h, raw_caps(GST_VIDEO_FORMAT_I420, &info));
    fail_if(gst_harness_push(h, make_frame(&info, 0)) == GST_FLOW_OK);
    fail_unless(gst_harness_try_pull(h) == NULL);
    message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    fail_unless(message != NULL);
    gst_message_parse_error(message, &error, &debug);
    fail_unless(strstr(error->message, model) != NULL, "%s", error->message);
    g_error_free(error);
    g_free(debug);
    gst_message_unref(message);
    gst_element_set_bus(h->element, NULL);
    gst_object_unref(bus);
    gst_harness_teardown(h);
}

GST_START_TEST(test_missing_model_is_an_error_naming_it)
{
    check_model_error_names(MISSING_MODEL);
}
GST_END_TEST;

GST_START_TEST(test_corrupt_model_is_an_error_naming_it)
{
    gchar *path = NULL;
    gint fd = g_file_open_tmp("facet-gst-corrupt-XXXXXX.safetensors", &path, NULL);
    static const char junk[] = "\x10\x00\x00\x00\x00\x00\x00\x00{\"not\": \"a model\"}";

    fail_unless(fd >= 0);
    close(fd);
    fail_unless(g_file_set_contents(path, junk, sizeof(junk) - 1, NULL));
    check_model_error_names(path);
    g_unlink(path);
    g_free(path);
}
GST_END_TEST;

static Suite *facetenc_suite(void)
{
    Suite *s = suite_create("facetenc");
    TCase *tc = tcase_create("general");

    suite_add_tcase(s, tc);
    tcase_add_test(tc, test_caps_every_input_format);
    tcase_add_test(tc, test_caps_change_mid_stream);
    tcase_add_test(tc, test_short_buffer_is_an_error);
    tcase_add_test(tc, test_first_keyframe_and_timestamps);
    tcase_add_test(tc, test_keypoint_mode_deltas_and_force_key_unit);
    tcase_add_test(tc, test_unsupported_caps_refused);
    tcase_add_test(tc, test_missing_model_is_an_error_naming_it);
    tcase_add_test(tc, test_corrupt_model_is_an_error_naming_it);
    return s;
}

GST_CHECK_MAIN(facetenc);
