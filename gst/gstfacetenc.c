/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * SECTION:element-facetenc
 * @title: facetenc
 *
 * Encodes raw video into a Facet stream: an intra-coded keyframe every
 * #GstFacetEnc:keyframe-interval seconds (or when a force-key-unit event
 * asks for one) and, in between, a few dozen bytes of keypoints per frame.
 * Without a model every frame is a keyframe (intra-only).
 *
 * Modes: the keypoint tier is the default and the only mode of this element
 * (besides intra-only). With the shipped model at 256x256 and the defaults
 * (a keyframe every 2 s at keyframe-quality 60) it runs at about 27-33
 * kbit/s: the keyframes, about 4.4 KB each, dominate; the deltas take 26-37
 * bytes. keyframe-interval=5 keyframe-quality=20 goes down to 8-15 kbit/s.
 * Intra-only takes about 1 Mbit/s. README.md has the measurements. A
 * latent tier (a low-resolution AV1 stream that the decoder upsamples
 * guided by the reference) is in development: the library and `facet encode
 * --mode latent` have a first version; this element does not offer it yet.
 *
 * The output is one packet per buffer (stream-format=packet, preferred:
 * what RTP and facetdec take) or, when downstream asks for
 * stream-format=fct, the .fct byte stream of the `facet` tool: each buffer
 * a record (header and packet), the first one led by the file header, so
 * that a filesink writes a file `facet decode` reads.
 *
 * ## Example pipeline
 * |[
 * gst-launch-1.0 -v videotestsrc num-buffers=100 ! video/x-raw,width=256,height=256 ! \
 *     facetenc model=models/facet-256.safetensors ! facetdec model=models/facet-256.safetensors ! \
 *     videoconvert ! autovideosink
 * ]|
 */
#include "gstfacetenc.h"

#include <string.h>

#include <facet/facet.h>

#include "container/fct.h"
#include "gstfacetcaps.h"

GST_DEBUG_CATEGORY_STATIC(gst_facet_enc_debug);
#define GST_CAT_DEFAULT gst_facet_enc_debug

enum {
    PROP_0,
    PROP_KEYFRAME_INTERVAL,
    PROP_KEYFRAME_QUALITY,
    PROP_MODEL,
    PROP_THREADS,
};

#define DEFAULT_KEYFRAME_INTERVAL 2.0
#define DEFAULT_KEYFRAME_QUALITY 60
#define DEFAULT_MODEL NULL
#define DEFAULT_THREADS 0

struct _GstFacetEnc {
    GstVideoEncoder parent;

    /* Properties, under the object lock. */
    gdouble keyframe_interval;
    gint keyframe_quality;
    gchar *model;
    gint threads;

    FacetEncoder *encoder;
    GstVideoCodecState *input_state;
    /* Picture the formats the library lacks are converted into. */
    FacetPicture converted;
    /* Messages of the library while opening, for the element error. */
    GString *log;
    /* Stream fields of the current output caps; -1: none set yet. */
    gint64 caps_model_id;
    gint caps_keypoints;
    /* Output as .fct records rather than bare packets; chosen when the
     * input caps are set, from what downstream allows. */
    gboolean fct;
    /* Whether the .fct file header went out (once per stream). */
    gboolean fct_header_sent;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-raw, format = (string) { I420, NV12, RGB, RGBA, BGRx }, "
                    "width = (int) [ 1, 8192 ], height = (int) [ 1, 8192 ], "
                    "framerate = (fraction) [ 0/1, MAX ]"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-facet, stream-format = (string) { packet, fct }, "
                    "width = (int) [ 1, 8192 ], height = (int) [ 1, 8192 ], "
                    "framerate = (fraction) [ 0/1, MAX ], keypoints = (int) [ 0, 64 ]"));

#define gst_facet_enc_parent_class parent_class
G_DEFINE_TYPE(GstFacetEnc, gst_facet_enc, GST_TYPE_VIDEO_ENCODER);
GST_ELEMENT_REGISTER_DEFINE(facetenc, "facetenc", GST_RANK_PRIMARY, GST_TYPE_FACET_ENC);

static void gst_facet_enc_log(void *opaque, const char *message)
{
    GstFacetEnc *self = opaque;
    GST_WARNING_OBJECT(self, "libfacet: %s", message);
    if (self->log) {
        if (self->log->len)
            g_string_append(self->log, "; ");
        g_string_append(self->log, message);
    }
}

static void gst_facet_enc_close(GstFacetEnc *self)
{
    facet_encoder_close(&self->encoder);
    facet_picture_unref(&self->converted);
    self->caps_model_id = -1;
    self->caps_keypoints = -1;
}

static gboolean gst_facet_enc_start(GstVideoEncoder *encoder)
{
    GstFacetEnc *self = GST_FACET_ENC(encoder);
    self->caps_model_id = -1;
    self->caps_keypoints = -1;
    self->fct_header_sent = FALSE;
    return TRUE;
}

/* Packet unless downstream takes only .fct (a capsfilter saying
 * stream-format=fct): bare packets are what RTP and facetdec want, and a
 * peer that accepts anything (filesink) cannot say which it would like. */
static gboolean gst_facet_enc_wants_fct(GstFacetEnc *self)
{
    GstCaps *allowed = gst_pad_get_allowed_caps(GST_VIDEO_ENCODER_SRC_PAD(self));
    GstCaps *packet, *fct;
    gboolean wants_fct = FALSE;

    if (!allowed)
        return FALSE;
    packet = gst_caps_from_string("video/x-facet, stream-format = (string) " FACET_STREAM_FORMAT_PACKET);
    fct = gst_caps_from_string("video/x-facet, stream-format = (string) " FACET_STREAM_FORMAT_FCT);
    if (!gst_caps_can_intersect(allowed, packet) && gst_caps_can_intersect(allowed, fct))
        wants_fct = TRUE;
    gst_caps_unref(packet);
    gst_caps_unref(fct);
    gst_caps_unref(allowed);
    return wants_fct;
}

static gboolean gst_facet_enc_stop(GstVideoEncoder *encoder)
{
    GstFacetEnc *self = GST_FACET_ENC(encoder);
    gst_facet_enc_close(self);
    g_clear_pointer(&self->input_state, gst_video_codec_state_unref);
    return TRUE;
}

static gboolean gst_facet_enc_set_format(GstVideoEncoder *encoder, GstVideoCodecState *state)
{
    GstFacetEnc *self = GST_FACET_ENC(encoder);
    const GstVideoInfo *info = &state->info;
    FacetEncoderSettings settings;
    gchar *model;
    int ret;

    gst_facet_enc_close(self);
    g_clear_pointer(&self->input_state, gst_video_codec_state_unref);
    self->input_state = gst_video_codec_state_ref(state);
    self->fct = gst_facet_enc_wants_fct(self);
    GST_DEBUG_OBJECT(self, "stream-format %s", self->fct ? "fct" : "packet");

    facet_encoder_default_settings(&settings);
    settings.width = GST_VIDEO_INFO_WIDTH(info);
    settings.height = GST_VIDEO_INFO_HEIGHT(info);
    /* The stream needs a rate: variable-rate input is written as the
     * library's default, and rates beyond its range are reduced. */
    if (GST_VIDEO_INFO_FPS_N(info) > 0 && GST_VIDEO_INFO_FPS_D(info) > 0) {
        gint n = GST_VIDEO_INFO_FPS_N(info), d = GST_VIDEO_INFO_FPS_D(info);
        while (n > 1000000 || d > 1000000) {
            n = MAX(n / 2, 1);
            d = MAX(d / 2, 1);
        }
        settings.fps_num = n;
        settings.fps_den = d;
    }
    GST_OBJECT_LOCK(self);
    settings.keyframe_interval = self->keyframe_interval;
    settings.keyframe_quality = self->keyframe_quality;
    settings.threads = self->threads;
    model = g_strdup(self->model);
    GST_OBJECT_UNLOCK(self);
    settings.model_path = model;
    settings.log_callback = gst_facet_enc_log;
    settings.log_opaque = self;

    self->log = g_string_new(NULL);
    ret = facet_encoder_open(&self->encoder, &settings);
    if (ret < 0) {
        GST_ELEMENT_ERROR(self, LIBRARY, INIT,
                          ("Could not open the Facet encoder with model '%s': %s",
                           model ? model : "(default)", facet_strerror(ret)),
                          ("%s", self->log->str));
        g_string_free(self->log, TRUE);
        self->log = NULL;
        g_free(model);
        return FALSE;
    }
    g_string_free(self->log, TRUE);
    self->log = NULL;
    g_free(model);

    switch (GST_VIDEO_INFO_FORMAT(info)) {
    case GST_VIDEO_FORMAT_NV12:
        ret = facet_picture_alloc(&self->converted, FACET_PIXEL_FORMAT_I420,
                                  settings.width, settings.height);
        break;
    case GST_VIDEO_FORMAT_RGBA:
    case GST_VIDEO_FORMAT_BGRx:
        ret = facet_picture_alloc(&self->converted, FACET_PIXEL_FORMAT_RGB24,
                                  settings.width, settings.height);
        break;
    default:
        ret = 0;
        break;
    }
    if (ret < 0) {
        GST_ELEMENT_ERROR(self, RESOURCE, NO_SPACE_LEFT, (NULL),
                          ("conversion picture: %s", facet_strerror(ret)));
        return FALSE;
    }

    /* One frame in, one packet out. */
    gst_video_encoder_set_latency(encoder, 0, 0);
    return TRUE;
}

/* Describes (or converts) a mapped frame as a picture the library takes. */
static void gst_facet_enc_fill_picture(GstFacetEnc *self, GstVideoFrame *vframe,
                                       FacetPicture *picture)
{
    gint width = GST_VIDEO_FRAME_WIDTH(vframe);
    gint height = GST_VIDEO_FRAME_HEIGHT(vframe);

    memset(picture, 0, sizeof(*picture));
    picture->width = width;
    picture->height = height;
    switch (GST_VIDEO_FRAME_FORMAT(vframe)) {
    case GST_VIDEO_FORMAT_I420:
        picture->format = FACET_PIXEL_FORMAT_I420;
        for (int p = 0; p < 3; p++) {
            picture->data[p] = GST_VIDEO_FRAME_PLANE_DATA(vframe, p);
            picture->stride[p] = GST_VIDEO_FRAME_PLANE_STRIDE(vframe, p);
        }
        return;
    case GST_VIDEO_FORMAT_RGB:
        picture->format = FACET_PIXEL_FORMAT_RGB24;
        picture->data[0] = GST_VIDEO_FRAME_PLANE_DATA(vframe, 0);
        picture->stride[0] = GST_VIDEO_FRAME_PLANE_STRIDE(vframe, 0);
        return;
    case GST_VIDEO_FORMAT_NV12: {
        FacetPicture *out = &self->converted;
        const guint8 *y = GST_VIDEO_FRAME_PLANE_DATA(vframe, 0);
        const guint8 *uv = GST_VIDEO_FRAME_PLANE_DATA(vframe, 1);
        gint ys = GST_VIDEO_FRAME_PLANE_STRIDE(vframe, 0);
        gint uvs = GST_VIDEO_FRAME_PLANE_STRIDE(vframe, 1);
        gint cw = (width + 1) / 2, ch = (height + 1) / 2;
        for (gint r = 0; r < height; r++)
            memcpy(out->data[0] + r * out->stride[0], y + r * ys, width);
        for (gint r = 0; r < ch; r++) {
            const guint8 *src = uv + r * uvs;
            guint8 *u = out->data[1] + r * out->stride[1];
            guint8 *v = out->data[2] + r * out->stride[2];
            for (gint c = 0; c < cw; c++) {
                u[c] = src[2 * c];
                v[c] = src[2 * c + 1];
            }
        }
        break;
    }
    default: { /* RGBA, BGRx: four bytes a pixel */
        FacetPicture *out = &self->converted;
        const guint8 *in = GST_VIDEO_FRAME_PLANE_DATA(vframe, 0);
        gint stride = GST_VIDEO_FRAME_PLANE_STRIDE(vframe, 0);
        gboolean bgr = GST_VIDEO_FRAME_FORMAT(vframe) == GST_VIDEO_FORMAT_BGRx;
        for (gint r = 0; r < height; r++) {
            const guint8 *src = in + r * stride;
            guint8 *dst = out->data[0] + r * out->stride[0];
            for (gint c = 0; c < width; c++) {
                dst[3 * c + 0] = src[4 * c + (bgr ? 2 : 0)];
                dst[3 * c + 1] = src[4 * c + 1];
                dst[3 * c + 2] = src[4 * c + (bgr ? 0 : 2)];
            }
        }
        break;
    }
    }
    *picture = self->converted;
    picture->buffer = NULL; /* described, not handed over */
}

/* Keyframes carry the sequence header: its model id and keypoint count
 * become caps fields so that receivers can check them before decoding. */
static gboolean gst_facet_enc_update_caps(GstFacetEnc *self, const FacetPacket *packet)
{
    FacetPacketInfo info = { .struct_size = sizeof(info) };
    GstVideoCodecState *output;
    GstCaps *caps;
    guint32 model_id;
    gint keypoints;

    if (facet_packet_peek(packet->data, packet->size, &info) < 0 || !info.has_sequence_header)
        return TRUE;
    model_id = info.model_id;
    keypoints = info.keypoint_count;
    if ((gint64)model_id == self->caps_model_id && keypoints == self->caps_keypoints)
        return TRUE;

    caps = gst_caps_new_simple("video/x-facet", "stream-format", G_TYPE_STRING,
                               self->fct ? FACET_STREAM_FORMAT_FCT : FACET_STREAM_FORMAT_PACKET,
                               "model-id", G_TYPE_UINT, model_id,
                               "keypoints", G_TYPE_INT, keypoints, NULL);
    output = gst_video_encoder_set_output_state(GST_VIDEO_ENCODER(self), caps, self->input_state);
    if (!output)
        return FALSE;
    gst_video_codec_state_unref(output);
    self->caps_model_id = model_id;
    self->caps_keypoints = keypoints;
    return TRUE;
}

/* The output buffer of one packet: the packet itself, or in .fct its record
 * (pts: the frame's index, as `facet encode` writes it), led by the file
 * header in the stream's first buffer. */
static GstBuffer *gst_facet_enc_wrap_packet(GstFacetEnc *self, const FacetPacket *packet,
                                            gint64 index)
{
    GstBuffer *buffer;
    GstMapInfo map;
    gsize header;

    if (!self->fct)
        return gst_buffer_new_memdup(packet->data, packet->size);
    header = self->fct_header_sent ? 0 : FCT_FILE_HEADER_SIZE;
    buffer = gst_buffer_new_allocate(NULL, header + FCT_RECORD_HEADER_SIZE + packet->size, NULL);
    if (!buffer || !gst_buffer_map(buffer, &map, GST_MAP_WRITE)) {
        g_clear_pointer(&buffer, gst_buffer_unref);
        return NULL;
    }
    if (header)
        fct_file_header_write(map.data);
    /* The library's packets are never empty nor over the limit. */
    if (fct_record_header_write(map.data + header, packet->size, index) < 0) {
        gst_buffer_unmap(buffer, &map);
        gst_buffer_unref(buffer);
        return NULL;
    }
    memcpy(map.data + header + FCT_RECORD_HEADER_SIZE, packet->data, packet->size);
    gst_buffer_unmap(buffer, &map);
    self->fct_header_sent = TRUE;
    return buffer;
}

static GstFlowReturn gst_facet_enc_handle_frame(GstVideoEncoder *encoder, GstVideoCodecFrame *frame)
{
    GstFacetEnc *self = GST_FACET_ENC(encoder);
    GstVideoFrame vframe;
    FacetPicture picture;
    FacetPacket packet = { 0 };
    int ret;

    if (!self->encoder) {
        gst_video_codec_frame_unref(frame);
        return GST_FLOW_NOT_NEGOTIATED;
    }
    if (GST_VIDEO_CODEC_FRAME_IS_FORCE_KEYFRAME(frame))
        facet_encoder_request_keyframe(self->encoder);

    if (!gst_video_frame_map(&vframe, &self->input_state->info, frame->input_buffer, GST_MAP_READ)) {
        GST_ELEMENT_ERROR(self, STREAM, FORMAT, (NULL), ("could not map the input frame"));
        gst_video_encoder_finish_frame(encoder, frame);
        return GST_FLOW_ERROR;
    }
    gst_facet_enc_fill_picture(self, &vframe, &picture);
    picture.pts = frame->system_frame_number;
    ret = facet_encoder_send_frame(self->encoder, &picture);
    gst_video_frame_unmap(&vframe);
    if (ret >= 0)
        ret = facet_encoder_receive_packet(self->encoder, &packet);
    if (ret < 0) {
        GST_ELEMENT_ERROR(self, STREAM, ENCODE, (NULL), ("facet encoder: %s", facet_strerror(ret)));
        gst_video_encoder_finish_frame(encoder, frame);
        return GST_FLOW_ERROR;
    }

    if (packet.flags & FACET_PACKET_FLAG_KEYFRAME) {
        GST_VIDEO_CODEC_FRAME_SET_SYNC_POINT(frame);
        if (!gst_facet_enc_update_caps(self, &packet)) {
            facet_packet_unref(&packet);
            gst_video_encoder_finish_frame(encoder, frame);
            return GST_FLOW_NOT_NEGOTIATED;
        }
    } else {
        GST_VIDEO_CODEC_FRAME_UNSET_SYNC_POINT(frame);
    }
    frame->output_buffer = gst_facet_enc_wrap_packet(self, &packet, frame->system_frame_number);
    if (!frame->output_buffer) {
        facet_packet_unref(&packet);
        GST_ELEMENT_ERROR(self, RESOURCE, NO_SPACE_LEFT, (NULL), ("could not allocate a buffer"));
        gst_video_encoder_finish_frame(encoder, frame);
        return GST_FLOW_ERROR;
    }
    if (!(packet.flags & FACET_PACKET_FLAG_KEYFRAME))
        GST_BUFFER_FLAG_SET(frame->output_buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    facet_packet_unref(&packet);
    return gst_video_encoder_finish_frame(encoder, frame);
}

/* After a seek or flush the receiver may have lost its reference. */
static gboolean gst_facet_enc_flush(GstVideoEncoder *encoder)
{
    GstFacetEnc *self = GST_FACET_ENC(encoder);
    if (self->encoder)
        facet_encoder_request_keyframe(self->encoder);
    return TRUE;
}

/* Strided and offset input planes are fine: frames are mapped through
 * GstVideoMeta. */
static gboolean gst_facet_enc_propose_allocation(GstVideoEncoder *encoder, GstQuery *query)
{
    gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE, NULL);
    return GST_VIDEO_ENCODER_CLASS(parent_class)->propose_allocation(encoder, query);
}

static void gst_facet_enc_set_property(GObject *object, guint prop_id, const GValue *value,
                                       GParamSpec *pspec)
{
    GstFacetEnc *self = GST_FACET_ENC(object);

    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_KEYFRAME_INTERVAL:
        self->keyframe_interval = g_value_get_double(value);
        break;
    case PROP_KEYFRAME_QUALITY:
        self->keyframe_quality = g_value_get_int(value);
        break;
    case PROP_MODEL:
        g_free(self->model);
        self->model = g_value_dup_string(value);
        break;
    case PROP_THREADS:
        self->threads = g_value_get_int(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
        break;
    }
    GST_OBJECT_UNLOCK(self);
}

static void gst_facet_enc_get_property(GObject *object, guint prop_id, GValue *value,
                                       GParamSpec *pspec)
{
    GstFacetEnc *self = GST_FACET_ENC(object);

    GST_OBJECT_LOCK(self);
    switch (prop_id) {
    case PROP_KEYFRAME_INTERVAL:
        g_value_set_double(value, self->keyframe_interval);
        break;
    case PROP_KEYFRAME_QUALITY:
        g_value_set_int(value, self->keyframe_quality);
        break;
    case PROP_MODEL:
        g_value_set_string(value, self->model);
        break;
    case PROP_THREADS:
        g_value_set_int(value, self->threads);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
        break;
    }
    GST_OBJECT_UNLOCK(self);
}

static void gst_facet_enc_finalize(GObject *object)
{
    GstFacetEnc *self = GST_FACET_ENC(object);
    g_free(self->model);
    G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_facet_enc_class_init(GstFacetEncClass *klass)
{
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstVideoEncoderClass *encoder_class = GST_VIDEO_ENCODER_CLASS(klass);

    gobject_class->set_property = gst_facet_enc_set_property;
    gobject_class->get_property = gst_facet_enc_get_property;
    gobject_class->finalize = gst_facet_enc_finalize;

    g_object_class_install_property(gobject_class, PROP_KEYFRAME_INTERVAL,
        g_param_spec_double("keyframe-interval", "Keyframe interval",
                            "Seconds between keyframes in keypoint mode; the keyframes "
                            "dominate the rate (256x256 at quality 60: 2 s about 30 kbit/s)",
                            0.001, 3600.0, DEFAULT_KEYFRAME_INTERVAL,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject_class, PROP_KEYFRAME_QUALITY,
        g_param_spec_int("keyframe-quality", "Keyframe quality",
                         "Quality of the intra-coded keyframe pictures (0 smallest, 100 best)",
                         0, 100, DEFAULT_KEYFRAME_QUALITY,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject_class, PROP_MODEL,
        g_param_spec_string("model", "Model",
                            "Model file (safetensors) for keypoint mode; NULL: $FACET_MODEL or "
                            "the installed model if any; empty: intra-only",
                            DEFAULT_MODEL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject_class, PROP_THREADS,
        g_param_spec_int("threads", "Threads", "Worker threads (0: one per CPU)",
                         0, 64, DEFAULT_THREADS,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

    gst_element_class_add_static_pad_template(element_class, &sink_template);
    gst_element_class_add_static_pad_template(element_class, &src_template);
    gst_element_class_set_static_metadata(element_class, "Facet video encoder",
        "Codec/Encoder/Video",
        "Neural talking-head video encoder. Keypoint tier (the default, and the only "
        "mode of this element besides intra-only): an intra keyframe every "
        "keyframe-interval seconds "
        "plus 26-37 bytes of keypoints per frame: about 30 kbit/s at 256x256 with the "
        "defaults, 8-15 kbit/s with keyframe-interval=5 keyframe-quality=20; intra-only "
        "without a model (about 1 Mbit/s). A latent tier (low-resolution AV1 with "
        "reference-guided upsampling) is in development, not yet in this element",
        "The Facet authors");

    encoder_class->start = GST_DEBUG_FUNCPTR(gst_facet_enc_start);
    encoder_class->stop = GST_DEBUG_FUNCPTR(gst_facet_enc_stop);
    encoder_class->set_format = GST_DEBUG_FUNCPTR(gst_facet_enc_set_format);
    encoder_class->handle_frame = GST_DEBUG_FUNCPTR(gst_facet_enc_handle_frame);
    encoder_class->flush = GST_DEBUG_FUNCPTR(gst_facet_enc_flush);
    encoder_class->propose_allocation = GST_DEBUG_FUNCPTR(gst_facet_enc_propose_allocation);

    GST_DEBUG_CATEGORY_INIT(gst_facet_enc_debug, "facetenc", 0, "Facet video encoder");
}

static void gst_facet_enc_init(GstFacetEnc *self)
{
    self->keyframe_interval = DEFAULT_KEYFRAME_INTERVAL;
    self->keyframe_quality = DEFAULT_KEYFRAME_QUALITY;
    self->model = g_strdup(DEFAULT_MODEL);
    self->threads = DEFAULT_THREADS;
    self->caps_model_id = -1;
    self->caps_keypoints = -1;
}
