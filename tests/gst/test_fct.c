/* SPDX-License-Identifier: BSD-2-Clause */
/* The .fct byte stream in GStreamer (stream-format=fct, docs/gstreamer.md):
 * facetenc writes the records the `facet` tool reads, facetdec parses them
 * from buffers of any size and times them by their pts, the typefinder
 * names the file, and hostile files end in an error or a dropped frame,
 * never a crash, hang or leak. FACET_TOOL is build/tools/facet, so the
 * files go both ways between the plugin and the tool. */
#include <string.h>

#include <glib/gstdio.h>
#include <gst/base/gsttypefindhelper.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#define MODEL_PATH FACET_SOURCE_DIR "/models/facet-256.safetensors"
#define WIDTH 64
#define HEIGHT 48
#define FRAMES 4
#define FRAME_DURATION (GST_SECOND / 25)
#define HEADER_SIZE 12
#define RECORD_HEADER_SIZE 12
#define MAX_PACKET_SIZE (16u * 1024u * 1024u)
#define FCT_CAPS "video/x-facet, stream-format = (string) fct"

static guint32 get_be32(const guint8 *p)
{
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

static gint64 get_be64(const guint8 *p)
{
    guint64 bits = 0;
    gint64 value;
    for (int i = 0; i < 8; i++)
        bits = (bits << 8) | p[i];
    memcpy(&value, &bits, sizeof(value));
    return value;
}

static void put_be32(guint8 *p, guint32 value)
{
    for (int i = 0; i < 4; i++)
        p[i] = (guint8)(value >> (24 - 8 * i));
}

/* A moving gradient: something for keypoints to follow. */
static GstBuffer *make_frame(const GstVideoInfo *info, int index)
{
    GstBuffer *buffer = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(info), NULL);
    GstMapInfo map;

    fail_unless(gst_buffer_map(buffer, &map, GST_MAP_WRITE));
    for (gsize i = 0; i < map.size; i++)
        map.data[i] = (guint8)(40 + (i % WIDTH) + (i / WIDTH) % HEIGHT + 3 * index);
    gst_buffer_unmap(buffer, &map);
    GST_BUFFER_PTS(buffer) = index * FRAME_DURATION;
    GST_BUFFER_DURATION(buffer) = FRAME_DURATION;
    return buffer;
}

/* Encodes n frames with facetenc behind a stream-format=fct capsfilter;
 * appends the output to *file and returns the output buffers' flags
 * (TRUE: delta unit) in deltas[]. */
static GstCaps *encode_fct(const gchar *model, int n, GByteArray *file, gboolean *deltas)
{
    GstHarness *enc = gst_harness_new("facetenc");
    GstVideoInfo info;
    GstCaps *caps;

    g_object_set(enc->element, "model", model, "keyframe-quality", 90, "threads", 1,
                 "keyframe-interval", 100.0, NULL);
    gst_harness_set_sink_caps_str(enc, FCT_CAPS);
    gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, WIDTH, HEIGHT);
    GST_VIDEO_INFO_FPS_N(&info) = 25;
    GST_VIDEO_INFO_FPS_D(&info) = 1;
    gst_harness_set_src_caps(enc, gst_video_info_to_caps(&info));
    for (int i = 0; i < n; i++) {
        GstBuffer *out;
        GstMapInfo map;

        fail_unless_equals_int(gst_harness_push(enc, make_frame(&info, i)), GST_FLOW_OK);
        out = gst_harness_pull(enc);
        fail_unless(out != NULL);
        fail_unless_equals_uint64(GST_BUFFER_PTS(out), i * FRAME_DURATION);
        fail_unless_equals_uint64(GST_BUFFER_DURATION(out), FRAME_DURATION);
        if (deltas)
            deltas[i] = GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DELTA_UNIT);
        fail_unless(gst_buffer_map(out, &map, GST_MAP_READ));
        g_byte_array_append(file, map.data, (guint)map.size);
        gst_buffer_unmap(out, &map);
        gst_buffer_unref(out);
    }
    caps = gst_pad_get_current_caps(enc->sinkpad);
    fail_unless(caps != NULL);
    gst_harness_teardown(enc);
    return caps;
}

/* Checks the layout of docs/bitstream.md ("The .fct file") as the facet
 * tool reads it: the file header, then n records of pts 0..n-1 whose sizes
 * add up to the file; the first packet a keyframe (type 1). */
static void check_fct_layout(const GByteArray *file, int n)
{
    static const guint8 header[HEADER_SIZE] = { 'F', 'A', 'C', 'E', 'T', 'F', 'C', 'T', 1, 0, 0, 0 };
    gsize offset = HEADER_SIZE;

    fail_unless(file->len > HEADER_SIZE);
    fail_unless(memcmp(file->data, header, HEADER_SIZE) == 0, "bad file header");
    for (int i = 0; i < n; i++) {
        guint32 size;

        fail_unless(offset + RECORD_HEADER_SIZE <= file->len, "record %d is missing", i);
        size = get_be32(file->data + offset);
        fail_unless(size > 0 && size <= MAX_PACKET_SIZE, "record %d: size %u", i, size);
        fail_unless_equals_int64(get_be64(file->data + offset + 4), i);
        offset += RECORD_HEADER_SIZE;
        fail_unless(offset + size <= file->len, "record %d overruns the file", i);
        fail_unless_equals_int(file->data[offset], i == 0 ? 1 : file->data[offset]);
        offset += size;
    }
    fail_unless_equals_uint64(offset, file->len);
}

/* A decoder for a .fct stream; caps_extra adds caps fields. */
static GstHarness *fct_decoder(const gchar *model, const gchar *caps_extra)
{
    GstHarness *dec = gst_harness_new("facetdec");
    gchar *caps = g_strdup_printf(FCT_CAPS "%s", caps_extra ? caps_extra : "");

    g_object_set(dec->element, "model", model, "threads", 1, NULL);
    gst_harness_set_sink_caps_str(dec, "video/x-raw, format = (string) I420");
    gst_harness_set_src_caps_str(dec, caps);
    g_free(caps);
    return dec;
}

/* Pushes data in untimed buffers of chunk bytes, then EOS. Returns the
 * first flow that was not OK (pushing stops there), else OK. */
static GstFlowReturn push_chunks(GstHarness *dec, const guint8 *data, gsize size, gsize chunk)
{
    GstFlowReturn flow = GST_FLOW_OK;

    for (gsize offset = 0; offset < size && flow == GST_FLOW_OK; offset += chunk)
        flow = gst_harness_push(dec, gst_buffer_new_memdup(data + offset, MIN(chunk, size - offset)));
    gst_harness_push_event(dec, gst_event_new_eos());
    return flow;
}

/* Rewrites the pts of the records to first, first + step, ...: a stream
 * that starts late and has gaps, whose times only the records tell. */
static void renumber_pts(GByteArray *file, gint64 first, gint64 step)
{
    for (gsize offset = HEADER_SIZE; offset < file->len;
         offset += RECORD_HEADER_SIZE + get_be32(file->data + offset)) {
        put_be32(file->data + offset + 4, (guint32)((guint64)first >> 32));
        put_be32(file->data + offset + 8, (guint32)first);
        first += step;
    }
}

/* Pulls what the decoder made; with fps_n > 0 checks that frame i is at
 * record pts first_pts + step * i in frames of fps_n/1. Returns the count. */
static guint pull_timed_frames(GstHarness *dec, gint fps_n, guint64 first_pts, guint64 step)
{
    GstBuffer *out;
    guint count = 0;

    while ((out = gst_harness_try_pull(dec))) {
        if (fps_n > 0) {
            fail_unless_equals_uint64(GST_BUFFER_PTS(out), (first_pts + step * count) * GST_SECOND / fps_n);
            fail_unless_equals_uint64(GST_BUFFER_DURATION(out), GST_SECOND / fps_n);
        }
        fail_unless_equals_uint64(gst_buffer_get_size(out), WIDTH * HEIGHT * 3 / 2);
        gst_buffer_unref(out);
        count++;
    }
    return count;
}

static guint pull_frames(GstHarness *dec, gint fps_n)
{
    return pull_timed_frames(dec, fps_n, 0, 1);
}

/* Pops the messages of a type; fails unless one of them says text. */
static void expect_message(GstBus *bus, GstMessageType type, const gchar *text)
{
    GstMessage *message;
    gboolean found = FALSE;

    while ((message = gst_bus_pop_filtered(bus, type))) {
        GError *error = NULL;
        gchar *debug = NULL;
        if (type == GST_MESSAGE_ERROR)
            gst_message_parse_error(message, &error, &debug);
        else
            gst_message_parse_warning(message, &error, &debug);
        if (strstr(error->message, text))
            found = TRUE;
        g_error_free(error);
        g_free(debug);
        gst_message_unref(message);
    }
    fail_unless(found, "no %s message saying '%s'", gst_message_type_get_name(type), text);
}

/* Decodes a hostile byte stream: returns the frames made, and checks that
 * the decoder posted an error (want_error) or did not. */
static guint decode_hostile(const guint8 *data, gsize size, gsize chunk, gboolean want_error,
                            const gchar *text)
{
    GstHarness *dec = fct_decoder("", NULL);
    GstBus *bus = gst_bus_new();
    GstMessage *message;
    guint frames;

    gst_element_set_bus(dec->element, bus);
    push_chunks(dec, data, size, chunk);
    frames = pull_frames(dec, 0);
    if (want_error) {
        expect_message(bus, GST_MESSAGE_ERROR, text);
    } else {
        message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
        fail_unless(message == NULL, "unexpected error");
    }
    gst_element_set_bus(dec->element, NULL);
    gst_object_unref(bus);
    gst_harness_teardown(dec);
    return frames;
}

/* facetenc behind a stream-format=fct capsfilter writes the file header
 * and one record per buffer, keyframes and deltas flagged as in packet
 * mode. */
GST_START_TEST(test_encoder_writes_fct)
{
    GByteArray *file = g_byte_array_new();
    gboolean deltas[FRAMES];
    GstCaps *caps;
    const GstStructure *s;

    fail_unless(g_file_test(MODEL_PATH, G_FILE_TEST_EXISTS), "%s is missing", MODEL_PATH);
    caps = encode_fct(MODEL_PATH, FRAMES, file, deltas);
    s = gst_caps_get_structure(caps, 0);
    fail_unless_equals_string(gst_structure_get_string(s, "stream-format"), "fct");
    check_fct_layout(file, FRAMES);
    fail_if(deltas[0]);
    for (int i = 1; i < FRAMES; i++)
        fail_unless(deltas[i], "frame %d is not a delta", i);
    gst_caps_unref(caps);
    g_byte_array_unref(file);
}
GST_END_TEST;

/* Without a capsfilter facetenc emits bare packets (stream-format=packet),
 * which is also all rtpfacetpay takes; caps without the field are packets. */
GST_START_TEST(test_packet_is_the_default)
{
    GstHarness *enc = gst_harness_new("facetenc");
    GstElement *pay = gst_element_factory_make("rtpfacetpay", NULL);
    GstElement *dec = gst_element_factory_make("facetdec", NULL);
    GstPad *pay_sink = gst_element_get_static_pad(pay, "sink");
    GstPad *dec_sink = gst_element_get_static_pad(dec, "sink");
    GstCaps *packet = gst_caps_from_string("video/x-facet, stream-format = (string) packet");
    GstCaps *fct = gst_caps_from_string(FCT_CAPS);
    GstCaps *bare = gst_caps_from_string("video/x-facet");
    GstVideoInfo info;
    GstBuffer *out;
    GstCaps *caps;
    GstMapInfo map;

    g_object_set(enc->element, "model", "", "threads", 1, NULL);
    gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, WIDTH, HEIGHT);
    gst_harness_set_src_caps(enc, gst_video_info_to_caps(&info));
    fail_unless_equals_int(gst_harness_push(enc, make_frame(&info, 0)), GST_FLOW_OK);
    out = gst_harness_pull(enc);
    caps = gst_pad_get_current_caps(enc->sinkpad);
    fail_unless_equals_string(gst_structure_get_string(gst_caps_get_structure(caps, 0),
                                                       "stream-format"), "packet");
    fail_unless(gst_buffer_map(out, &map, GST_MAP_READ));
    fail_unless_equals_int(map.data[0], 1); /* a keyframe packet, no file header */
    gst_buffer_unmap(out, &map);

    fail_unless(gst_pad_query_accept_caps(pay_sink, packet));
    fail_unless(gst_pad_query_accept_caps(pay_sink, bare));
    fail_if(gst_pad_query_accept_caps(pay_sink, fct));
    fail_unless(gst_pad_query_accept_caps(dec_sink, packet));
    fail_unless(gst_pad_query_accept_caps(dec_sink, bare));
    fail_unless(gst_pad_query_accept_caps(dec_sink, fct));

    gst_buffer_unref(out);
    gst_caps_unref(caps);
    gst_caps_unref(packet);
    gst_caps_unref(fct);
    gst_caps_unref(bare);
    gst_object_unref(pay_sink);
    gst_object_unref(dec_sink);
    gst_object_unref(pay);
    gst_object_unref(dec);
    gst_harness_teardown(enc);
}
GST_END_TEST;

/* A keypoint stream pushed 1, 7 and all bytes at a time: every frame
 * decodes, timed from the record pts (here 10, 12, 14, ...: not what the
 * base class would make up) at the sequence header's 25 fps, or at the
 * caps' rate when they have one. */
GST_START_TEST(test_decoder_parses_any_chunking)
{
    static const gsize chunks[] = { 1, 7, G_MAXSIZE };
    GByteArray *file = g_byte_array_new();
    GstCaps *caps;

    fail_unless(g_file_test(MODEL_PATH, G_FILE_TEST_EXISTS), "%s is missing", MODEL_PATH);
    caps = encode_fct(MODEL_PATH, FRAMES, file, NULL);
    gst_caps_unref(caps);
    renumber_pts(file, 10, 2);
    for (guint c = 0; c < G_N_ELEMENTS(chunks); c++) {
        GstHarness *dec = fct_decoder(MODEL_PATH, NULL);
        fail_unless_equals_int(push_chunks(dec, file->data, file->len, chunks[c]), GST_FLOW_OK);
        fail_unless_equals_int(pull_timed_frames(dec, 25, 10, 2), FRAMES);
        gst_harness_teardown(dec);
    }
    {
        GstHarness *dec = fct_decoder(MODEL_PATH, ", framerate = (fraction) 50/1");
        fail_unless_equals_int(push_chunks(dec, file->data, file->len, 7), GST_FLOW_OK);
        fail_unless_equals_int(pull_timed_frames(dec, 50, 10, 2), FRAMES);
        gst_harness_teardown(dec);
    }
    g_byte_array_unref(file);
}
GST_END_TEST;

/* Runs the facet tool; fails on a non-zero exit. */
static void run_tool(const gchar *const *argv)
{
    gchar *out = NULL, *err = NULL;
    gint status = 0;
    GError *error = NULL;

    fail_unless(g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                             &status, &error), "%s", error ? error->message : "");
    fail_unless(g_spawn_check_wait_status(status, NULL), "%s failed: %s%s", argv[1], out, err);
    g_free(out);
    g_free(err);
}

/* FRAMES frames of 64x48 I420 at 25 fps as YUV4MPEG2, for `facet encode`. */
static void write_y4m(const gchar *path)
{
    GString *y4m = g_string_new("YUV4MPEG2 W64 H48 F25:1 Ip A1:1 C420jpeg\n");
    GstVideoInfo info;

    gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, WIDTH, HEIGHT);
    for (int i = 0; i < FRAMES; i++) {
        GstBuffer *frame = make_frame(&info, i);
        GstMapInfo map;
        fail_unless(gst_buffer_map(frame, &map, GST_MAP_READ));
        g_string_append(y4m, "FRAME\n");
        g_string_append_len(y4m, (const gchar *)map.data, (gssize)map.size);
        gst_buffer_unmap(frame, &map);
        gst_buffer_unref(frame);
    }
    fail_unless(g_file_set_contents(path, y4m->str, (gssize)y4m->len, NULL));
    g_string_free(y4m, TRUE);
}

/* Frames of a 64x48 YUV4MPEG2 file `facet decode` wrote. */
static guint y4m_frames(const gchar *path)
{
    gchar *data = NULL;
    gsize size = 0;
    const gchar *header_end;
    guint frames;

    fail_unless(g_file_get_contents(path, &data, &size, NULL));
    header_end = memchr(data, '\n', size);
    fail_unless(header_end != NULL);
    frames = (guint)((size - (gsize)(header_end + 1 - data)) / (6 + WIDTH * HEIGHT * 3 / 2));
    g_free(data);
    return frames;
}

/* A file of `facet encode` plays in facetdec; a file of facetenc decodes
 * with `facet decode`, every frame both ways. */
GST_START_TEST(test_files_shared_with_the_facet_tool)
{
    gchar *dir = g_dir_make_tmp("facet-fct-XXXXXX", NULL);
    gchar *y4m = g_build_filename(dir, "in.y4m", NULL);
    gchar *tool_fct = g_build_filename(dir, "tool.fct", NULL);
    gchar *gst_fct = g_build_filename(dir, "gst.fct", NULL);
    gchar *decoded = g_build_filename(dir, "decoded.y4m", NULL);
    GByteArray *file = g_byte_array_new();
    gchar *data = NULL;
    gsize size = 0;
    GstHarness *dec;
    GstCaps *caps;

    fail_unless(dir != NULL);
    fail_unless(g_file_test(FACET_TOOL, G_FILE_TEST_IS_EXECUTABLE), "%s is missing", FACET_TOOL);
    write_y4m(y4m);
    {
        const gchar *argv[] = { FACET_TOOL, "encode", "--model", MODEL_PATH, y4m, tool_fct, NULL };
        run_tool(argv);
    }
    fail_unless(g_file_get_contents(tool_fct, &data, &size, NULL));
    dec = fct_decoder(MODEL_PATH, NULL);
    fail_unless_equals_int(push_chunks(dec, (const guint8 *)data, size, 4096), GST_FLOW_OK);
    fail_unless_equals_int(pull_frames(dec, 25), FRAMES);
    gst_harness_teardown(dec);

    caps = encode_fct(MODEL_PATH, FRAMES, file, NULL);
    gst_caps_unref(caps);
    fail_unless(g_file_set_contents(gst_fct, (const gchar *)file->data, file->len, NULL));
    {
        const gchar *argv[] = { FACET_TOOL, "decode", "--model", MODEL_PATH, gst_fct, decoded, NULL };
        run_tool(argv);
    }
    fail_unless_equals_int(y4m_frames(decoded), FRAMES);

    g_unlink(y4m);
    g_unlink(tool_fct);
    g_unlink(gst_fct);
    g_unlink(decoded);
    g_rmdir(dir);
    g_free(data);
    g_free(y4m);
    g_free(tool_fct);
    g_free(gst_fct);
    g_free(decoded);
    g_free(dir);
    g_byte_array_unref(file);
}
GST_END_TEST;

/* An intra-only .fct stream of FRAMES frames, for the damage tests. */
static GByteArray *intra_file(void)
{
    GByteArray *file = g_byte_array_new();
    GstCaps *caps = encode_fct("", FRAMES, file, NULL);
    gst_caps_unref(caps);
    check_fct_layout(file, FRAMES);
    return file;
}

/* A wrong magic or version, or a file shorter than its header, is an
 * error saying so; nothing is decoded. */
GST_START_TEST(test_bad_file_header)
{
    GByteArray *file = intra_file();
    guint8 *copy = g_memdup2(file->data, file->len);

    copy[0] = 'X';
    fail_unless_equals_int(decode_hostile(copy, file->len, 7, TRUE, "Not a .fct file"), 0);
    copy[0] = 'F';
    copy[8] = 2;
    fail_unless_equals_int(decode_hostile(copy, file->len, 1, TRUE, "version 2"), 0);
    fail_unless_equals_int(decode_hostile(file->data, 5, 1, TRUE, "Truncated"), 0);
    g_free(copy);
    g_byte_array_unref(file);
}
GST_END_TEST;

/* A record size of 0 or over the largest packet is a corrupt file: an
 * error, and nothing waits for 4 GiB that will never come. */
GST_START_TEST(test_bad_record_size)
{
    static const guint32 sizes[] = { 0, MAX_PACKET_SIZE + 1, G_MAXUINT32 };
    GByteArray *file = intra_file();
    guint8 *copy = g_memdup2(file->data, file->len);
    gsize second = HEADER_SIZE + RECORD_HEADER_SIZE + get_be32(file->data + HEADER_SIZE);

    for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
        memcpy(copy, file->data, file->len);
        put_be32(copy + HEADER_SIZE, sizes[i]);
        fail_unless_equals_int(decode_hostile(copy, file->len, 7, TRUE, "Corrupt .fct file"), 0);
        /* In the second record: the first frame still decodes. */
        memcpy(copy, file->data, file->len);
        put_be32(copy + second, sizes[i]);
        fail_unless_equals_int(decode_hostile(copy, file->len, file->len, TRUE, "Corrupt .fct file"), 1);
    }
    g_free(copy);
    g_byte_array_unref(file);
}
GST_END_TEST;

/* A file cut inside its last record (packet or record header) decodes all
 * but that record, which is dropped with a warning. */
GST_START_TEST(test_truncated_file)
{
    GByteArray *file = intra_file();
    gsize cuts[] = { 1, 0 };
    gsize last = HEADER_SIZE;

    /* The offset of the last record. */
    for (int i = 0; i < FRAMES - 1; i++)
        last += RECORD_HEADER_SIZE + get_be32(file->data + last);
    cuts[1] = file->len - last - 5; /* leaves 5 bytes of its record header */
    for (guint c = 0; c < G_N_ELEMENTS(cuts); c++) {
        GstHarness *dec = fct_decoder("", NULL);
        GstBus *bus = gst_bus_new();

        gst_element_set_bus(dec->element, bus);
        push_chunks(dec, file->data, file->len - cuts[c], 7);
        fail_unless_equals_int(pull_frames(dec, 25), FRAMES - 1);
        expect_message(bus, GST_MESSAGE_WARNING, "Truncated .fct file");
        fail_unless(gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR) == NULL);
        gst_element_set_bus(dec->element, NULL);
        gst_object_unref(bus);
        gst_harness_teardown(dec);
    }
    g_byte_array_unref(file);
}
GST_END_TEST;

/* Random garbage, alone or after a good file header, and a good file with
 * random bytes overwritten: whatever comes out, the decoder returns. */
GST_START_TEST(test_random_garbage)
{
    GByteArray *file = intra_file();
    GRand *rand = g_rand_new_with_seed(4571);
    guint8 *garbage = g_malloc(file->len);

    for (int round = 0; round < 12; round++) {
        for (guint i = 0; i < file->len; i++)
            garbage[i] = (guint8)g_rand_int_range(rand, 0, 256);
        /* No header: always refused. */
        decode_hostile(garbage, file->len, 1 + round * 13, TRUE, "Not a .fct file");
        /* A good header, then garbage: records of random sizes. Small
         * sizes make small packets the decoder must refuse. */
        memcpy(garbage, file->data, HEADER_SIZE);
        if (round % 2)
            put_be32(garbage + HEADER_SIZE, (guint32)g_rand_int_range(rand, 1, 64));
        {
            GstHarness *dec = fct_decoder("", NULL);
            push_chunks(dec, garbage, file->len, 1 + round * 13);
            pull_frames(dec, 0);
            gst_harness_teardown(dec);
        }
        /* A good file with a few random bytes changed anywhere. */
        memcpy(garbage, file->data, file->len);
        for (int k = 0; k < 4; k++)
            garbage[g_rand_int_range(rand, 0, (gint32)file->len)] = (guint8)g_rand_int(rand);
        {
            GstHarness *dec = fct_decoder("", NULL);
            push_chunks(dec, garbage, file->len, file->len);
            fail_unless(pull_frames(dec, 0) <= FRAMES);
            gst_harness_teardown(dec);
        }
    }
    g_free(garbage);
    g_rand_free(rand);
    g_byte_array_unref(file);
}
GST_END_TEST;

/* The typefinder names a .fct file by its magic: certain for version 1,
 * likely for another version (so facetdec can say what is wrong), and not
 * at all for other data. */
GST_START_TEST(test_typefinder)
{
    GByteArray *file = intra_file();
    GstTypeFindProbability probability = GST_TYPE_FIND_NONE;
    GstCaps *caps;
    GstCaps *expected = gst_caps_from_string(FCT_CAPS);
    static const guint8 not_fct[32] = "FACETFC? and then something else";
    GstTypeFindFactory *factory;
    const gchar *const *extensions;

    caps = gst_type_find_helper_for_data(NULL, file->data, file->len, &probability);
    fail_unless(caps != NULL);
    fail_unless(gst_caps_is_equal(caps, expected));
    fail_unless_equals_int(probability, GST_TYPE_FIND_MAXIMUM);
    gst_caps_unref(caps);

    file->data[8] = 2;
    caps = gst_type_find_helper_for_data(NULL, file->data, file->len, &probability);
    fail_unless(caps != NULL);
    fail_unless(gst_caps_is_equal(caps, expected));
    fail_unless_equals_int(probability, GST_TYPE_FIND_LIKELY);
    gst_caps_unref(caps);

    caps = gst_type_find_helper_for_data(NULL, not_fct, sizeof(not_fct), NULL);
    fail_unless(caps == NULL || !gst_caps_can_intersect(caps, expected));
    g_clear_pointer(&caps, gst_caps_unref);

    factory = GST_TYPE_FIND_FACTORY(gst_registry_lookup_feature(gst_registry_get(), "video/x-facet-fct"));
    fail_unless(factory != NULL);
    extensions = gst_type_find_factory_get_extensions(factory);
    fail_unless(extensions && g_strv_contains(extensions, "fct"));
    fail_unless(gst_caps_is_equal(gst_type_find_factory_get_caps(factory), expected));
    gst_object_unref(factory);
    gst_caps_unref(expected);
    g_byte_array_unref(file);
}
GST_END_TEST;

static Suite *fct_suite(void)
{
    Suite *s = suite_create("fct");
    TCase *tc = tcase_create("general");

    suite_add_tcase(s, tc);
    tcase_add_test(tc, test_encoder_writes_fct);
    tcase_add_test(tc, test_packet_is_the_default);
    tcase_add_test(tc, test_decoder_parses_any_chunking);
    tcase_add_test(tc, test_files_shared_with_the_facet_tool);
    tcase_add_test(tc, test_bad_file_header);
    tcase_add_test(tc, test_bad_record_size);
    tcase_add_test(tc, test_truncated_file);
    tcase_add_test(tc, test_random_garbage);
    tcase_add_test(tc, test_typefinder);
    return s;
}

GST_CHECK_MAIN(fct);
