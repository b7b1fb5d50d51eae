/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * SECTION:element-facetdec
 * @title: facetdec
 *
 * Decodes a Facet stream of either tier, whichever the stream is (the
 * read-only #GstFacetDec:mode says which, once a keyframe decoded):
 *
 * - keypoint tier: keyframes through the intra codec, delta frames by
 *   rendering the keyframe with the keypoints through the model's network
 *   (#GstFacetDec:model). The delta frames of a stream coded with a model
 *   the decoder has not loaded are dropped with one warning message naming
 *   the model id (its keyframes still show).
 * - latent tier: each low-resolution frame upsampled by the latent network
 *   (#GstFacetDec:latent-model) guided by the stream's reference; reference
 *   fragments are taken without output (their buffers are released, no
 *   frame is pushed for them), and frames before a whole reference are
 *   rendered without one. A frame after a gap in the chain (a packet was
 *   lost) is dropped and a keyframe asked for upstream (RTCP PLI inside
 *   rtpbin); a duplicated or late frame is dropped silently. A stream of a
 *   latent model this decoder lacks is dropped with one warning naming the
 *   model id, and no keyframe is asked for: it would not help.
 *
 * A packet that cannot be decoded (lost keyframe, corrupt data, unsupported
 * version) is dropped and a keyframe is asked for upstream; nothing is
 * pushed for it. Corrupt packets count against #GstVideoDecoder:max-errors.
 *
 * Input is one packet per buffer (stream-format=packet, or no such field)
 * or the .fct byte stream of the `facet` tool (stream-format=fct, what the
 * plugin's typefinder reports for a .fct file) in buffers of any size: the
 * records are cut out of it, and when the input has no timestamps (a
 * filesrc) each frame's are derived from its record's pts (in frames) and
 * the stream's frame rate. A bad file header or record size is an error; a
 * truncated last record is dropped with a warning.
 *
 * ## Playing a .fct file
 * |[
 * gst-launch-1.0 filesrc location=talk.fct ! typefind ! facetdec model=models/facet-256.safetensors ! \
 *     videoconvert ! autovideosink
 * ]|
 *
 * ## Example pipeline
 * |[
 * gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! videoscale ! \
 *     video/x-raw,format=I420,width=256,height=256 ! facetenc model=models/facet-256.safetensors ! \
 *     facetdec model=models/facet-256.safetensors ! videoconvert ! autovideosink
 * ]|
 */
#include "gstfacetdec.h"

#include <string.h>

#include <facet/facet.h>

#include "container/fct.h"
#include "gstfacetcaps.h"
#include "gstfacetmode.h"

GST_DEBUG_CATEGORY_STATIC(gst_facet_dec_debug);
#define GST_CAT_DEFAULT gst_facet_dec_debug

enum {
    PROP_0,
    PROP_MODEL,
    PROP_THREADS,
    PROP_BACKEND,
    PROP_DEVICE,
    PROP_ACTIVE_BACKEND,
    PROP_LATENT_MODEL,
    PROP_MODE,
};

#define DEFAULT_MODEL NULL
#define DEFAULT_THREADS 0
#define DEFAULT_BACKEND FACET_BACKEND_AUTO
#define DEFAULT_DEVICE NULL
#define DEFAULT_LATENT_MODEL NULL

/* The renderer back ends of libfacet (FacetBackend), as a GEnum so that
 * gst-launch and gst-inspect know their names. */
#define GST_TYPE_FACET_DEC_BACKEND (gst_facet_dec_backend_get_type())
static GType gst_facet_dec_backend_get_type(void)
{
    static GType type = 0;
    static const GEnumValue values[] = {
        { FACET_BACKEND_AUTO, "Vulkan on a GPU, else the CPU kernels", "auto" },
        { FACET_BACKEND_CPU, "The CPU kernels", "cpu" },
        { FACET_BACKEND_VULKAN, "Vulkan compute (fails where there is no device)", "vulkan" },
        { 0, NULL, NULL },
    };
    if (g_once_init_enter(&type)) {
        GType t = g_enum_register_static("GstFacetDecBackend", values);
        g_once_init_leave(&type, t);
    }
    return type;
}

struct _GstFacetDec {
    GstVideoDecoder parent;

    /* Properties, under the object lock. */
    gchar *model;
    gint threads;
    FacetBackend backend;
    gchar *device;
    /* What the open decoder runs on ("cpu (avx2)", a Vulkan device name),
     * for the active-backend property; NULL while closed. */
    gchar *active_backend;
    gchar *latent_model;
    /* The tier of the stream decoded (read-only property). */
    GstFacetStreamMode mode;

    FacetDecoder *decoder;
    FacetPixelFormat decoder_format;
    GstVideoCodecState *input_state;
    GString *log;
    /* Model id of the last stream warned about; -1: none. */
    gint64 warned_model_id;
    /* The last keyframe was refused for good (a latent model this decoder
     * lacks): frames waiting for a keyframe ask for none, it would not
     * help. */
    gboolean stream_refused;
    /* Input is the .fct byte stream (parsed) rather than whole packets. */
    gboolean fct;
    /* Whether the .fct file header was read and checked. */
    gboolean fct_header_seen;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-facet, stream-format = (string) { packet, fct }"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-raw, format = (string) { I420, RGB }, "
                    "width = (int) [ 1, 8192 ], height = (int) [ 1, 8192 ], "
                    "framerate = (fraction) [ 0/1, MAX ]"));

#define gst_facet_dec_parent_class parent_class
G_DEFINE_TYPE(GstFacetDec, gst_facet_dec, GST_TYPE_VIDEO_DECODER);
GST_ELEMENT_REGISTER_DEFINE(facetdec, "facetdec", GST_RANK_PRIMARY, GST_TYPE_FACET_DEC);

static void gst_facet_dec_log(void *opaque, const char *message)
{
    GstFacetDec *self = opaque;
    GST_WARNING_OBJECT(self, "libfacet: %s", message);
    if (self->log) {
        if (self->log->len)
            g_string_append(self->log, "; ");
        g_string_append(self->log, message);
    }
}

/* I420 unless downstream takes only RGB. */
static FacetPixelFormat gst_facet_dec_pick_format(GstFacetDec *self)
{
    GstPad *srcpad = GST_VIDEO_DECODER_SRC_PAD(self);
    GstCaps *i420 = gst_caps_from_string("video/x-raw, format = (string) I420");
    GstCaps *allowed = gst_pad_get_allowed_caps(srcpad);
    FacetPixelFormat format = FACET_PIXEL_FORMAT_I420;

    if (allowed && !gst_caps_is_any(allowed) && !gst_caps_can_intersect(allowed, i420))
        format = FACET_PIXEL_FORMAT_RGB24;
    if (allowed)
        gst_caps_unref(allowed);
    gst_caps_unref(i420);
    return format;
}

/* Records what the decoder runs on now; a GPU lost mid-stream makes libfacet
 * fall back to the CPU (in auto), so this is refreshed after each frame. */
static void gst_facet_dec_update_active_backend(GstFacetDec *self)
{
    const char *name = NULL;
    FacetBackend backend;
    gchar *text = NULL;

    if (self->decoder && facet_decoder_get_backend(self->decoder, &backend, &name) == 0)
        text = g_strdup_printf("%s: %s", backend == FACET_BACKEND_VULKAN ? "vulkan" : "cpu",
                               name ? name : "?");
    GST_OBJECT_LOCK(self);
    if (g_strcmp0(text, self->active_backend) != 0) {
        g_free(self->active_backend);
        self->active_backend = text;
        text = NULL;
    }
    GST_OBJECT_UNLOCK(self);
    g_free(text);
}

/* Sets the read-only mode property, and says so when it changed. */
static void gst_facet_dec_set_mode(GstFacetDec *self, GstFacetStreamMode mode)
{
    gboolean changed;

    GST_OBJECT_LOCK(self);
    changed = self->mode != mode;
    self->mode = mode;
    GST_OBJECT_UNLOCK(self);
    if (changed) {
        GST_INFO_OBJECT(self, "stream mode %d", mode);
        g_object_notify(G_OBJECT(self), "mode");
    }
}

static gboolean gst_facet_dec_open(GstFacetDec *self, FacetPixelFormat format)
{
    FacetDecoderSettings settings;
    gchar *model, *device, *latent_model;
    int ret;

    facet_decoder_close(&self->decoder);
    facet_decoder_default_settings(&settings);
    settings.output_format = format;
    GST_OBJECT_LOCK(self);
    settings.threads = self->threads;
    settings.backend = self->backend;
    model = g_strdup(self->model);
    device = g_strdup(self->device);
    latent_model = g_strdup(self->latent_model);
    GST_OBJECT_UNLOCK(self);
    settings.model_path = model;
    settings.device = device;
    settings.latent_model_path = latent_model;
    settings.log_callback = gst_facet_dec_log;
    settings.log_opaque = self;

    self->log = g_string_new(NULL);
    ret = facet_decoder_open(&self->decoder, &settings);
    if (ret < 0)
        GST_ELEMENT_ERROR(self, LIBRARY, INIT,
                          ("Could not open the Facet decoder with model '%s': %s",
                           model ? model : "(default)", facet_strerror(ret)),
                          ("%s", self->log->str));
    g_string_free(self->log, TRUE);
    self->log = NULL;
    g_free(model);
    g_free(device);
    g_free(latent_model);
    self->decoder_format = format;
    gst_facet_dec_update_active_backend(self);
    return ret >= 0;
}

static gboolean gst_facet_dec_stop(GstVideoDecoder *decoder)
{
    GstFacetDec *self = GST_FACET_DEC(decoder);
    facet_decoder_close(&self->decoder);
    gst_facet_dec_update_active_backend(self);
    g_clear_pointer(&self->input_state, gst_video_codec_state_unref);
    self->warned_model_id = -1;
    self->stream_refused = FALSE;
    self->fct_header_seen = FALSE;
    gst_facet_dec_set_mode(self, GST_FACET_STREAM_MODE_NONE);
    return TRUE;
}

static gboolean gst_facet_dec_set_format(GstVideoDecoder *decoder, GstVideoCodecState *state)
{
    GstFacetDec *self = GST_FACET_DEC(decoder);
    FacetPixelFormat format = gst_facet_dec_pick_format(self);
    const GstStructure *structure = gst_caps_get_structure(state->caps, 0);
    gboolean fct = g_strcmp0(gst_structure_get_string(structure, "stream-format"),
                             FACET_STREAM_FORMAT_FCT) == 0;

    g_clear_pointer(&self->input_state, gst_video_codec_state_unref);
    self->input_state = gst_video_codec_state_ref(state);
    /* A .fct stream comes in buffers of any size (a filesrc's): the base
     * class collects them and parse() cuts out the records. */
    if (fct != self->fct) {
        self->fct = fct;
        self->fct_header_seen = FALSE;
        gst_video_decoder_set_packetized(decoder, !fct);
    }
    if (!self->decoder || format != self->decoder_format)
        return gst_facet_dec_open(self, format);
    return TRUE;
}

static gboolean gst_facet_dec_flush(GstVideoDecoder *decoder)
{
    GstFacetDec *self = GST_FACET_DEC(decoder);
    if (self->decoder)
        facet_decoder_flush(self->decoder);
    return TRUE;
}

/* Makes the output caps follow the stream (its size may change at any
 * keyframe). */
static gboolean gst_facet_dec_update_output(GstFacetDec *self, const FacetPicture *picture)
{
    GstVideoDecoder *decoder = GST_VIDEO_DECODER(self);
    GstVideoFormat format = picture->format == FACET_PIXEL_FORMAT_RGB24 ? GST_VIDEO_FORMAT_RGB
                                                                         : GST_VIDEO_FORMAT_I420;
    GstVideoCodecState *output = gst_video_decoder_get_output_state(decoder);
    FacetStreamInfo info;

    if (output) {
        gboolean same = GST_VIDEO_INFO_FORMAT(&output->info) == format &&
                        GST_VIDEO_INFO_WIDTH(&output->info) == picture->width &&
                        GST_VIDEO_INFO_HEIGHT(&output->info) == picture->height;
        gst_video_codec_state_unref(output);
        if (same)
            return TRUE;
    }
    output = gst_video_decoder_set_output_state(decoder, format, picture->width, picture->height,
                                                self->input_state);
    if (!output)
        return FALSE;
    /* The library converts with BT.601 limited range (swscale's default)
     * whatever the encoder's input said. */
    gst_video_colorimetry_from_string(&output->info.colorimetry,
                                      format == GST_VIDEO_FORMAT_RGB ? GST_VIDEO_COLORIMETRY_SRGB
                                                                     : GST_VIDEO_COLORIMETRY_BT601);
    if (GST_VIDEO_INFO_FPS_N(&output->info) == 0 &&
        facet_decoder_get_stream_info(self->decoder, &info) == 0) {
        GST_VIDEO_INFO_FPS_N(&output->info) = info.fps_num;
        GST_VIDEO_INFO_FPS_D(&output->info) = info.fps_den;
    }
    gst_video_codec_state_unref(output);
    return gst_video_decoder_negotiate(decoder);
}

static void gst_facet_dec_copy_picture(const FacetPicture *picture, GstVideoFrame *vframe)
{
    gint planes = picture->format == FACET_PIXEL_FORMAT_RGB24 ? 1 : 3;

    for (gint p = 0; p < planes; p++) {
        gint rows = GST_VIDEO_FRAME_COMP_HEIGHT(vframe, p);
        gint bytes = GST_VIDEO_FRAME_COMP_WIDTH(vframe, p) * GST_VIDEO_FRAME_COMP_PSTRIDE(vframe, p);
        guint8 *dst = GST_VIDEO_FRAME_PLANE_DATA(vframe, p);
        gint dst_stride = GST_VIDEO_FRAME_PLANE_STRIDE(vframe, p);
        for (gint r = 0; r < rows; r++)
            memcpy(dst + r * dst_stride, picture->data[p] + r * picture->stride[p], bytes);
    }
}

/* Sends one packet and receives its picture; what the library logs on the
 * way (which model, which field) is collected in self->log. */
static int gst_facet_dec_decode(GstFacetDec *self, GstVideoCodecFrame *frame, FacetPicture *picture)
{
    FacetPacket packet = { 0 };
    GstMapInfo map;
    int ret;

    if (!gst_buffer_map(frame->input_buffer, &map, GST_MAP_READ))
        return FACET_ERR(ENOMEM);
    /* An empty buffer (a gap, a frame an upstream element emptied) is
     * a packet that cannot decode, not a misuse of the library. */
    if (map.size == 0) {
        gst_buffer_unmap(frame->input_buffer, &map);
        g_string_append(self->log, "empty packet");
        return FACET_ERR(EBADMSG);
    }
    packet.data = map.data;
    packet.size = map.size;
    packet.pts = frame->system_frame_number;
    ret = facet_decoder_send_packet(self->decoder, &packet);
    gst_buffer_unmap(frame->input_buffer, &map);
    if (ret >= 0)
        ret = facet_decoder_receive_frame(self->decoder, picture);
    return ret;
}

/* Checks the .fct file header at the start of the adapter and drops it.
 * Returns OK once checked, NEED_DATA while it is incomplete, or an error
 * (posted) for a file that is not .fct or of an unknown version. */
static GstFlowReturn gst_facet_dec_parse_file_header(GstFacetDec *self, GstAdapter *adapter,
                                                     gboolean at_eos)
{
    guint8 header[FCT_FILE_HEADER_SIZE];
    gsize available = gst_adapter_available(adapter);
    unsigned version = 0;
    int ret;

    if (available < FCT_FILE_HEADER_SIZE) {
        if (!at_eos)
            return GST_VIDEO_DECODER_FLOW_NEED_DATA;
        GST_ELEMENT_ERROR(self, STREAM, DECODE, ("Truncated .fct file: %" G_GSIZE_FORMAT
                          " bytes, less than the file header", available), (NULL));
        return GST_FLOW_ERROR;
    }
    gst_adapter_copy(adapter, header, 0, sizeof(header));
    ret = fct_file_header_parse(header, sizeof(header), &version);
    if (ret == -ENOTSUP) {
        GST_ELEMENT_ERROR(self, STREAM, CODEC_NOT_FOUND,
                          ("Unsupported .fct file version %u (this decoder reads version %u)",
                           version, FCT_VERSION), (NULL));
        return GST_FLOW_ERROR;
    }
    if (ret < 0) {
        GST_ELEMENT_ERROR(self, STREAM, WRONG_TYPE,
                          ("Not a .fct file: it does not start with \"" FCT_MAGIC "\""), (NULL));
        return GST_FLOW_ERROR;
    }
    gst_adapter_flush(adapter, FCT_FILE_HEADER_SIZE);
    self->fct_header_seen = TRUE;
    return GST_FLOW_OK;
}

/* Drops what is left of a record cut short by the end of the stream: the
 * frames before it are fine, so this is a warning, not an error. */
static GstFlowReturn gst_facet_dec_drop_truncated(GstFacetDec *self, GstAdapter *adapter)
{
    gsize available = gst_adapter_available(adapter);

    GST_ELEMENT_WARNING(self, STREAM, DECODE,
                        ("Truncated .fct file: dropping its last %" G_GSIZE_FORMAT
                         " bytes, an incomplete record", available), (NULL));
    gst_adapter_flush(adapter, available);
    return GST_VIDEO_DECODER_FLOW_NEED_DATA;
}

/* The parse vfunc, for stream-format=fct: cuts the next record out of the
 * input. The record header is dropped from the adapter, the packet becomes
 * the frame's input buffer and the record's pts rides along as the frame's
 * user data for handle_frame. Every byte is untrusted: a size the decoder
 * would refuse anyway is a corrupt file, and nothing is buffered beyond
 * the largest packet. */
static GstFlowReturn gst_facet_dec_parse(GstVideoDecoder *decoder, GstVideoCodecFrame *frame,
                                         GstAdapter *adapter, gboolean at_eos)
{
    GstFacetDec *self = GST_FACET_DEC(decoder);
    guint8 record[FCT_RECORD_HEADER_SIZE];
    gsize available;
    guint32 size;
    gint64 pts, *user_pts;

    if (!self->fct_header_seen) {
        GstFlowReturn flow = gst_facet_dec_parse_file_header(self, adapter, at_eos);
        if (flow != GST_FLOW_OK)
            return flow;
    }
    available = gst_adapter_available(adapter);
    if (available < FCT_RECORD_HEADER_SIZE)
        return at_eos && available ? gst_facet_dec_drop_truncated(self, adapter)
                                   : GST_VIDEO_DECODER_FLOW_NEED_DATA;
    gst_adapter_copy(adapter, record, 0, sizeof(record));
    if (fct_record_header_parse(record, &size, &pts) < 0) {
        GST_ELEMENT_ERROR(self, STREAM, DECODE,
                          ("Corrupt .fct file: a record of %u bytes (1 to %u allowed)", size,
                           FACET_MAX_PACKET_SIZE), (NULL));
        return GST_FLOW_ERROR;
    }
    if (available - FCT_RECORD_HEADER_SIZE < size)
        return at_eos ? gst_facet_dec_drop_truncated(self, adapter)
                      : GST_VIDEO_DECODER_FLOW_NEED_DATA;

    gst_adapter_flush(adapter, FCT_RECORD_HEADER_SIZE);
    gst_video_decoder_add_to_frame(decoder, (gint)size);
    user_pts = g_new(gint64, 1);
    *user_pts = pts;
    gst_video_codec_frame_set_user_data(frame, user_pts, g_free);
    return gst_video_decoder_have_frame(decoder);
}

/* Gives a frame of a .fct stream without input timestamps (a filesrc) the
 * time of its record's pts, in frames of the stream's rate: the caps' when
 * they have one, else the sequence header's (known once a keyframe
 * decoded). Negative or absurd record values leave the frame untimed; the
 * base class then interpolates. */
static void gst_facet_dec_timestamp_record(GstFacetDec *self, GstVideoCodecFrame *frame)
{
    const gint64 *pts = gst_video_codec_frame_get_user_data(frame);
    gint fps_n = 0, fps_d = 0;
    FacetStreamInfo info;

    if (!pts || *pts < 0 || GST_CLOCK_TIME_IS_VALID(frame->pts))
        return;
    if (self->input_state && GST_VIDEO_INFO_FPS_N(&self->input_state->info) > 0) {
        fps_n = GST_VIDEO_INFO_FPS_N(&self->input_state->info);
        fps_d = GST_VIDEO_INFO_FPS_D(&self->input_state->info);
    } else if (facet_decoder_get_stream_info(self->decoder, &info) == 0) {
        fps_n = info.fps_num;
        fps_d = info.fps_den;
    }
    if (fps_n <= 0 || fps_d <= 0)
        return;
    frame->pts = gst_util_uint64_scale((guint64)*pts, (guint64)fps_d * GST_SECOND, (guint64)fps_n);
    frame->duration = gst_util_uint64_scale(GST_SECOND, (guint64)fps_d, (guint64)fps_n);
}

/* A .fct file has no index, and a byte seek would land inside a record,
 * whose bytes would read as a corrupt file: seeks are refused in fct. */
static gboolean gst_facet_dec_src_event(GstVideoDecoder *decoder, GstEvent *event)
{
    GstFacetDec *self = GST_FACET_DEC(decoder);

    if (self->fct && GST_EVENT_TYPE(event) == GST_EVENT_SEEK) {
        GST_DEBUG_OBJECT(self, "refusing a seek in a .fct stream");
        gst_event_unref(event);
        return FALSE;
    }
    return GST_VIDEO_DECODER_CLASS(parent_class)->src_event(decoder, event);
}

/* The packet's headers as the library reads them; FALSE when it cannot. */
static gboolean gst_facet_dec_peek(GstVideoCodecFrame *frame, FacetPacketInfo *info)
{
    GstMapInfo map;
    gboolean ok;

    if (!gst_buffer_map(frame->input_buffer, &map, GST_MAP_READ))
        return FALSE;
    ok = facet_packet_peek(map.data, map.size, info) == 0;
    gst_buffer_unmap(frame->input_buffer, &map);
    return ok;
}

static gboolean gst_facet_dec_is_latent(FacetPacketType type)
{
    return type == FACET_PACKET_TYPE_LATENT_KEYFRAME || type == FACET_PACKET_TYPE_LATENT_FRAME ||
           type == FACET_PACKET_TYPE_LATENT_FRAME_SHORT || type == FACET_PACKET_TYPE_REFERENCE;
}

/* Handles the answers of the library that are not a picture. Returns TRUE
 * when it took care of the frame (*flow set), FALSE for a hard error. */
static gboolean gst_facet_dec_handle_no_picture(GstFacetDec *self, GstVideoCodecFrame *frame,
                                                int ret, GstFlowReturn *flow)
{
    GstVideoDecoder *decoder = GST_VIDEO_DECODER(self);
    FacetPacketInfo info = { .struct_size = sizeof(info) };
    gboolean peeked = gst_facet_dec_peek(frame, &info);
    FacetStreamInfo stream;

    *flow = GST_FLOW_OK;
    if (ret == FACET_ERR(EAGAIN)) {
        /* A latent reference fragment: taken, no picture of its own. */
        GST_LOG_OBJECT(self, "reference fragment taken");
        gst_video_decoder_release_frame(decoder, frame);
        return TRUE;
    }
    if (ret == FACET_ERR(EALREADY)) {
        /* A duplicated or late latent frame: the chain is intact. */
        GST_DEBUG_OBJECT(self, "dropping a duplicated or late frame");
        gst_video_decoder_release_frame(decoder, frame);
        return TRUE;
    }
    if (ret == FACET_ERR(ENOENT) || ret == FACET_ERR(EPIPE)) {
        /* A frame whose keyframe was lost (keypoint tier), or one after a
         * gap in the latent chain: expected on lossy links. The next
         * keyframe resynchronises; ask for it unless the stream's
         * keyframes are refused anyway. */
        GST_INFO_OBJECT(self, "dropping frame %u: %s", frame->system_frame_number,
                        ret == FACET_ERR(EPIPE) ? "the chain is broken" : "its keyframe is missing");
        if (!self->stream_refused)
            gst_video_decoder_request_sync_point(decoder, frame, 0);
        gst_video_decoder_drop_frame(decoder, frame);
        return TRUE;
    }
    if (ret == FACET_ERR(ENOTSUP) && peeked && gst_facet_dec_is_latent(info.type) &&
        info.has_sequence_header) {
        /* A latent keyframe of a model (or scale) this decoder lacks:
         * nothing of this stream can show, and asking again would not
         * help. Said once per model id. */
        if ((gint64)info.model_id != self->warned_model_id) {
            GST_ELEMENT_WARNING(self, STREAM, WRONG_TYPE,
                                ("Dropping a latent stream coded with latent model %08x, which "
                                 "this decoder cannot use (set latent-model)", info.model_id),
                                ("%s", self->log->str));
            self->warned_model_id = info.model_id;
        }
        self->stream_refused = TRUE;
        gst_video_decoder_drop_frame(decoder, frame);
        return TRUE;
    }
    if (ret == FACET_ERR(ENOTSUP) && peeked && info.type == FACET_PACKET_TYPE_DELTA &&
        facet_decoder_get_stream_info(self->decoder, &stream) == 0 && stream.model_id != 0) {
        /* A delta of a stream coded with a model this decoder does not
         * have: only its keyframes can be shown, so a keyframe request
         * would not help. Said once per stream model. */
        if ((gint64)stream.model_id != self->warned_model_id) {
            GST_ELEMENT_WARNING(self, STREAM, WRONG_TYPE,
                                ("Dropping the delta frames of a stream coded with model %08x, "
                                 "which this decoder has not loaded", stream.model_id),
                                ("%s", self->log->str));
            self->warned_model_id = stream.model_id;
        }
        gst_video_decoder_drop_frame(decoder, frame);
        return TRUE;
    }
    if (ret == FACET_ERR(EBADMSG) || ret == FACET_ERR(ENOTSUP) || ret == FACET_ERR(ENOSYS)) {
        /* Corrupt or undecodable data: dropped and counted against the
         * max-errors property (unlimited by default; beyond it, an element
         * error). */
        gst_video_decoder_request_sync_point(decoder, frame, 0);
        gst_video_decoder_drop_frame(decoder, frame);
        GST_VIDEO_DECODER_ERROR(self, 1, STREAM, DECODE, ("Dropping a frame that cannot be decoded"),
                                ("facet decoder: %s%s%s", facet_strerror(ret),
                                 self->log->len ? ": " : "", self->log->str),
                                *flow);
        return TRUE;
    }
    return FALSE;
}

/* The read-only mode follows the stream's sequence header. */
static void gst_facet_dec_update_mode(GstFacetDec *self)
{
    FacetStreamInfo info;

    if (facet_decoder_get_stream_info(self->decoder, &info) == 0 &&
        gst_facet_stream_mode_to_string(info.mode))
        gst_facet_dec_set_mode(self, (GstFacetStreamMode)info.mode);
}

static GstFlowReturn gst_facet_dec_handle_frame(GstVideoDecoder *decoder, GstVideoCodecFrame *frame)
{
    GstFacetDec *self = GST_FACET_DEC(decoder);
    FacetPicture picture = { 0 };
    GstVideoCodecState *output;
    GstVideoFrame vframe;
    GstFlowReturn flow = GST_FLOW_OK;
    int ret;

    if (!self->decoder) {
        gst_video_decoder_drop_frame(decoder, frame);
        return GST_FLOW_NOT_NEGOTIATED;
    }
    self->log = g_string_new(NULL);
    ret = gst_facet_dec_decode(self, frame, &picture);

    if (ret < 0 && !gst_facet_dec_handle_no_picture(self, frame, ret, &flow)) {
        gst_video_decoder_drop_frame(decoder, frame);
        GST_ELEMENT_ERROR(self, STREAM, DECODE, (NULL), ("facet decoder: %s%s%s",
                          facet_strerror(ret), self->log->len ? ": " : "", self->log->str));
        flow = GST_FLOW_ERROR;
    }
    g_string_free(self->log, TRUE);
    self->log = NULL;
    gst_facet_dec_update_active_backend(self);
    if (ret < 0)
        return flow;
    self->stream_refused = FALSE;
    gst_facet_dec_update_mode(self);

    gst_facet_dec_timestamp_record(self, frame);
    if (!gst_facet_dec_update_output(self, &picture)) {
        facet_picture_unref(&picture);
        gst_video_decoder_drop_frame(decoder, frame);
        return GST_FLOW_NOT_NEGOTIATED;
    }
    flow = gst_video_decoder_allocate_output_frame(decoder, frame);
    if (flow != GST_FLOW_OK) {
        facet_picture_unref(&picture);
        gst_video_decoder_drop_frame(decoder, frame);
        return flow;
    }
    output = gst_video_decoder_get_output_state(decoder);
    if (!gst_video_frame_map(&vframe, &output->info, frame->output_buffer, GST_MAP_WRITE)) {
        gst_video_codec_state_unref(output);
        facet_picture_unref(&picture);
        gst_video_decoder_drop_frame(decoder, frame);
        GST_ELEMENT_ERROR(self, STREAM, DECODE, (NULL), ("could not map the output buffer"));
        return GST_FLOW_ERROR;
    }
    gst_facet_dec_copy_picture(&picture, &vframe);
    gst_video_frame_unmap(&vframe);
    gst_video_codec_state_unref(output);
    facet_picture_unref(&picture);
    return gst_video_decoder_finish_frame(decoder, frame);
}

static void gst_facet_dec_set_property(GObject *object, guint prop_id, const GValue *value,
                                       GParamSpec *pspec)
{
    GstFacetDec *self = GST_FACET_DEC(object);

    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_MODEL:
        g_free(self->model);
        self->model = g_value_dup_string(value);
        break;
    case PROP_THREADS:
        self->threads = g_value_get_int(value);
        break;
    case PROP_BACKEND:
        self->backend = g_value_get_enum(value);
        break;
    case PROP_DEVICE:
        g_free(self->device);
        self->device = g_value_dup_string(value);
        break;
    case PROP_LATENT_MODEL:
        g_free(self->latent_model);
        self->latent_model = g_value_dup_string(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
        break;
    }
    GST_OBJECT_UNLOCK(self);
}

static void gst_facet_dec_get_property(GObject *object, guint prop_id, GValue *value,
                                       GParamSpec *pspec)
{
    GstFacetDec *self = GST_FACET_DEC(object);

    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_MODEL:
        g_value_set_string(value, self->model);
        break;
    case PROP_THREADS:
        g_value_set_int(value, self->threads);
        break;
    case PROP_BACKEND:
        g_value_set_enum(value, self->backend);
        break;
    case PROP_DEVICE:
        g_value_set_string(value, self->device);
        break;
    case PROP_ACTIVE_BACKEND:
        g_value_set_string(value, self->active_backend);
        break;
    case PROP_LATENT_MODEL:
        g_value_set_string(value, self->latent_model);
        break;
    case PROP_MODE:
        g_value_set_enum(value, self->mode);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
        break;
    }
    GST_OBJECT_UNLOCK(self);
}

static void gst_facet_dec_finalize(GObject *object)
{
    GstFacetDec *self = GST_FACET_DEC(object);
    g_free(self->model);
    g_free(self->device);
    g_free(self->active_backend);
    g_free(self->latent_model);
    G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_facet_dec_class_init(GstFacetDecClass *klass)
{
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstVideoDecoderClass *decoder_class = GST_VIDEO_DECODER_CLASS(klass);

    gobject_class->set_property = gst_facet_dec_set_property;
    gobject_class->get_property = gst_facet_dec_get_property;
    gobject_class->finalize = gst_facet_dec_finalize;

    g_object_class_install_property(gobject_class, PROP_MODEL,
        g_param_spec_string("model", "Model",
                            "Model file (safetensors) to render delta frames; NULL: $FACET_MODEL "
                            "or the installed model if any; empty: none (keyframes only)",
                            DEFAULT_MODEL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject_class, PROP_THREADS,
        g_param_spec_int("threads", "Threads", "Worker threads (0: one per CPU)",
                         0, 64, DEFAULT_THREADS,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject_class, PROP_BACKEND,
        g_param_spec_enum("backend", "Backend",
                          "Where the network runs: auto (Vulkan on a GPU, else the CPU; a "
                          "software Vulkan device counts as none), cpu, or vulkan (an error "
                          "where there is no Vulkan device). Read when the decoder opens",
                          GST_TYPE_FACET_DEC_BACKEND, DEFAULT_BACKEND,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject_class, PROP_DEVICE,
        g_param_spec_string("device", "Device",
                            "Vulkan device: an index into the device list or a piece of its "
                            "name; NULL: $FACET_VULKAN_DEVICE, else the best device",
                            DEFAULT_DEVICE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject_class, PROP_ACTIVE_BACKEND,
        g_param_spec_string("active-backend", "Active backend",
                            "What the open decoder renders on, e.g. 'cpu: cpu (avx2)' or "
                            "'vulkan: <device name>'; NULL while no decoder is open",
                            NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject_class, PROP_LATENT_MODEL,
        g_param_spec_string("latent-model", "Latent model",
                            "Model file (safetensors) of the latent network, for latent "
                            "streams; NULL: $FACET_LATENT_MODEL, else the installed one; empty: "
                            "none (latent streams are dropped with a warning). Read when the "
                            "decoder opens",
                            DEFAULT_LATENT_MODEL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject_class, PROP_MODE,
        g_param_spec_enum("mode", "Mode",
                          "The tier of the stream being decoded, from its last keyframe: "
                          "keypoint, latent or intra-only; none before the first (notified "
                          "when it changes)",
                          GST_TYPE_FACET_STREAM_MODE, GST_FACET_STREAM_MODE_NONE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

    gst_element_class_add_static_pad_template(element_class, &sink_template);
    gst_element_class_add_static_pad_template(element_class, &src_template);
    gst_element_class_set_static_metadata(element_class, "Facet video decoder",
        "Codec/Decoder/Video",
        "Neural talking-head video decoder of both tiers: latent (a low-resolution "
        "stream upsampled guided by a reference) and keypoint (frames rendered from "
        "keypoints and a keyframe); the read-only mode property says which",
        "The Facet authors");

    decoder_class->stop = GST_DEBUG_FUNCPTR(gst_facet_dec_stop);
    decoder_class->set_format = GST_DEBUG_FUNCPTR(gst_facet_dec_set_format);
    decoder_class->flush = GST_DEBUG_FUNCPTR(gst_facet_dec_flush);
    decoder_class->handle_frame = GST_DEBUG_FUNCPTR(gst_facet_dec_handle_frame);
    decoder_class->parse = GST_DEBUG_FUNCPTR(gst_facet_dec_parse);
    decoder_class->src_event = GST_DEBUG_FUNCPTR(gst_facet_dec_src_event);

    GST_DEBUG_CATEGORY_INIT(gst_facet_dec_debug, "facetdec", 0, "Facet video decoder");
}

static void gst_facet_dec_init(GstFacetDec *self)
{
    self->model = g_strdup(DEFAULT_MODEL);
    self->threads = DEFAULT_THREADS;
    self->backend = DEFAULT_BACKEND;
    self->device = g_strdup(DEFAULT_DEVICE);
    self->latent_model = g_strdup(DEFAULT_LATENT_MODEL);
    self->mode = GST_FACET_STREAM_MODE_NONE;
    self->warned_model_id = -1;
    /* Each buffer is one whole packet, unless the caps say fct. */
    gst_video_decoder_set_packetized(GST_VIDEO_DECODER(self), TRUE);
    /* Caps without a stream-format field are packets too (what facetenc
     * wrote before the field existed): accepted when they intersect the
     * template, not only when they are a subset of it. */
    gst_video_decoder_set_use_default_pad_acceptcaps(GST_VIDEO_DECODER(self), TRUE);
    GST_PAD_SET_ACCEPT_TEMPLATE(GST_VIDEO_DECODER_SINK_PAD(self));
    GST_PAD_SET_ACCEPT_INTERSECT(GST_VIDEO_DECODER_SINK_PAD(self));
}
