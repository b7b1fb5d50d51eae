/* facetdec through GstHarness: intra-only round trips from facetenc (I420
 * and RGB out) with a PSNR floor, bad packets dropped without output, and a
 * keypoint-mode stream decoded whole and joined late. */
#include <math.h>
#include <string.h>

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
    return s;
}

GST_CHECK_MAIN(facetdec);
