/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * SECTION:element-facetenc
 * @title: facetenc
 *
 * Encodes raw video into a Facet stream, in one of two tiers
 * (#GstFacetEnc:mode):
 *
 * - latent: every frame as a low-resolution picture (1/#GstFacetEnc:scale
 *   of the side) in one realtime AV1 stream held at #GstFacetEnc:bitrate
 *   kbit/s, references included, plus a full-size reference picture at the
 *   start, every 30 s, on request and when the picture drifts, sent in
 *   fragments along with the following frames. A frame gives one buffer,
 *   or two when a reference fragment rides along (pushed as subframes of
 *   the same frame, with its timestamps). The decoder upsamples with a
 *   network guided by the reference. The default once a latent model is
 *   installed (or named by $FACET_LATENT_MODEL or #GstFacetEnc:latent-model).
 * - keypoint: an intra-coded keyframe every #GstFacetEnc:keyframe-interval
 *   seconds and, in between, a few dozen bytes of keypoints per frame. With
 *   the shipped model at 256x256 and the defaults (a keyframe every 2 s at
 *   keyframe-quality 60) it runs at about 27-33 kbit/s;
 *   keyframe-interval=5 keyframe-quality=20 goes down to 8-15 kbit/s.
 *   Without a model every frame is a keyframe (intra-only, about 1 Mbit/s).
 *
 * #GstFacetEnc:bitrate may change at any time (a congestion controller sets
 * it): the next frame is coded for the new rate, with no keyframe and no new
 * reference, and the stream is at it within about a second. Changing
 * #GstFacetEnc:mode or #GstFacetEnc:scale while playing restarts the stream
 * at the next frame (a new keyframe and, in latent, a new reference).
 *
 * Force-key-unit events (from an application, or from rtpbin when a
 * receiver sends RTCP PLI or FIR) are answered: without all-headers (PLI),
 * with a keyframe (latent: a small low-resolution keyframe, which repairs a
 * broken chain); with all-headers (FIR), in latent with a new reference
 * (when #GstFacetEnc:references lets it send any).
 * Requests closer together than #GstFacetEnc:keyframe-request-interval and
 * #GstFacetEnc:reference-request-interval are held back until that interval
 * has passed since the last one answered, so that many receivers or heavy
 * loss do not flood the link with keyframes.
 *
 * The output is one packet per buffer (stream-format=packet, preferred:
 * what RTP and facetdec take) or, when downstream asks for
 * stream-format=fct, the .fct byte stream of the `facet` tool: each buffer
 * a record (header and packet), the first one led by the file header, so
 * that a filesink writes a file `facet decode` reads. The caps say the
 * stream's mode ("intra-only", "keypoint", "latent"), model-id, keypoints
 * and, in latent, scale.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 -v videotestsrc num-buffers=100 ! video/x-raw,width=256,height=256 ! \
 *     facetenc mode=latent bitrate=12 latent-model=models/facet-latent.safetensors ! \
 *     facetdec latent-model=models/facet-latent.safetensors ! videoconvert ! autovideosink
 * ]|
 * |[
 * gst-launch-1.0 -v videotestsrc num-buffers=100 ! video/x-raw,width=256,height=256 ! \
 *     facetenc mode=keypoint model=models/facet-256.safetensors ! \
 *     facetdec model=models/facet-256.safetensors ! videoconvert ! autovideosink
 * ]|
 */
#include "gstfacetenc.h"

#include <string.h>
#include <unistd.h>

#include <facet/facet.h>

#include "container/fct.h"
#include "gstfacetcaps.h"
#include "gstfacetmode.h"

GST_DEBUG_CATEGORY_STATIC(gst_facet_enc_debug);
#define GST_CAT_DEFAULT gst_facet_enc_debug

enum {
    PROP_0,
    PROP_KEYFRAME_INTERVAL,
    PROP_KEYFRAME_QUALITY,
    PROP_MODEL,
    PROP_THREADS,
    PROP_MODE,
    PROP_BITRATE,
    PROP_SCALE,
    PROP_LATENT_MODEL,
    PROP_KEYFRAME_REQUEST_INTERVAL,
    PROP_REFERENCE_REQUEST_INTERVAL,
    PROP_REFERENCES,
};

#define DEFAULT_KEYFRAME_INTERVAL 2.0
#define DEFAULT_KEYFRAME_QUALITY 60
#define DEFAULT_MODEL NULL
#define DEFAULT_THREADS 0
#define DEFAULT_MODE GST_FACET_ENC_MODE_AUTO
#define DEFAULT_BITRATE 20 /* kbit/s: libfacet's default */
#define DEFAULT_SCALE GST_FACET_SCALE_AUTO
#define DEFAULT_LATENT_MODEL NULL
#define DEFAULT_REFERENCES GST_FACET_REFERENCES_AUTO
/* A low-resolution keyframe costs a few times a frame: a handful a second
 * is harmless. A reference costs seconds of the rate: one per 2 s at most. */
#define DEFAULT_KEYFRAME_REQUEST_INTERVAL 200 /* ms */
#define DEFAULT_REFERENCE_REQUEST_INTERVAL 2000 /* ms */
/* The bitrate property in kbit/s, libfacet's bounds in bit/s. */
#define MIN_BITRATE (FACET_LATENT_MIN_BITRATE / 1000)
#define MAX_BITRATE (FACET_LATENT_MAX_BITRATE / 1000)
/* The picture sides the latent tier takes (FacetEncoderSettings.mode). */
#define LATENT_MIN_SIDE 32
#define LATENT_MAX_SIDE 4096

struct _GstFacetEnc {
    GstVideoEncoder parent;

    /* Properties, under the object lock. */
    gdouble keyframe_interval;
    gint keyframe_quality;
    gchar *model;
    gint threads;
    GstFacetEncMode mode;
    guint bitrate; /* kbit/s, MIN_BITRATE..MAX_BITRATE */
    GstFacetScale scale;
    GstFacetReferences references;
    gchar *latent_model;
    guint keyframe_request_interval; /* ms */
    guint reference_request_interval;
    /* Set by the properties while playing, taken by the streaming thread
     * before the next frame (one libfacet context is never used from two
     * threads). */
    gboolean bitrate_changed;
    gboolean reopen;
    /* Force-key-unit events from downstream (RTCP PLI, FIR), taken by the
     * streaming thread before the next frame. */
    gboolean keyframe_requested;
    gboolean reference_requested;

    FacetEncoder *encoder;
    /* The tier the open encoder codes. */
    FacetStreamMode open_mode;
    GstVideoCodecState *input_state;
    /* Picture the formats the library lacks are converted into. */
    FacetPicture converted;
    /* Messages of the library while opening, for the element error. */
    GString *log;
    /* Stream fields of the current output caps; -1: none set yet. */
    gint64 caps_model_id;
    gint caps_keypoints;
    gint caps_mode;
    gint caps_scale;
    /* Output as .fct records rather than bare packets; chosen when the
     * input caps are set, from what downstream allows. */
    gboolean fct;
    /* Whether the .fct file header went out (once per stream). */
    gboolean fct_header_sent;
    /* Keyframe and reference requests held back by the rate limit, and
     * the stream time of the last ones answered (NONE: none yet). */
    gboolean keyframe_pending;
    gboolean reference_pending;
    GstClockTime last_keyframe_request;
    GstClockTime last_reference_request;
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
                    "framerate = (fraction) [ 0/1, MAX ], keypoints = (int) [ 0, 64 ], "
                    "mode = (string) { intra-only, keypoint, latent }"));

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
    self->caps_mode = -1;
    self->caps_scale = -1;
}

static gboolean gst_facet_enc_start(GstVideoEncoder *encoder)
{
    GstFacetEnc *self = GST_FACET_ENC(encoder);
    self->caps_model_id = -1;
    self->caps_keypoints = -1;
    self->caps_mode = -1;
    self->caps_scale = -1;
    self->fct_header_sent = FALSE;
    self->keyframe_pending = FALSE;
    self->reference_pending = FALSE;
    self->last_keyframe_request = GST_CLOCK_TIME_NONE;
    self->last_reference_request = GST_CLOCK_TIME_NONE;
    GST_OBJECT_LOCK(self);
    self->keyframe_requested = FALSE;
    self->reference_requested = FALSE;
    GST_OBJECT_UNLOCK(self);
    return TRUE;
}

/* Whether the latent tier would find a model: the property, else what
 * libfacet itself looks at ($FACET_LATENT_MODEL, else the installed file). */
static gboolean gst_facet_enc_latent_model_found(const gchar *property)
{
    const gchar *environment = g_getenv("FACET_LATENT_MODEL");

    if (property)
        return *property != '\0';
    if (environment && *environment)
        return TRUE;
    return access(facet_default_latent_model_path(), R_OK) == 0;
}

/* The tier to open: the property, or in auto the latent tier where it can
 * run (a model, a size it takes), else the keypoint tier. */
static FacetStreamMode gst_facet_enc_pick_mode(GstFacetEncMode mode, const gchar *latent_model,
                                               gint width, gint height)
{
    if (mode == GST_FACET_ENC_MODE_LATENT)
        return FACET_STREAM_MODE_LATENT;
    if (mode == GST_FACET_ENC_MODE_KEYPOINT)
        return FACET_STREAM_MODE_KEYPOINTS;
    if (width >= LATENT_MIN_SIDE && width <= LATENT_MAX_SIDE && height >= LATENT_MIN_SIDE &&
        height <= LATENT_MAX_SIDE && gst_facet_enc_latent_model_found(latent_model))
        return FACET_STREAM_MODE_LATENT;
    return FACET_STREAM_MODE_KEYPOINTS;
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

/* Opens the encoder for the current input caps and properties: at the
 * first caps, at each caps change, and when mode or scale changed while
 * playing. Posts an element error and returns FALSE when it cannot. */
static gboolean gst_facet_enc_open(GstFacetEnc *self)
{
    const GstVideoInfo *info = &self->input_state->info;
    FacetEncoderSettings settings;
    GstFacetEncMode mode;
    gchar *model, *latent_model;
    int ret;

    gst_facet_enc_close(self);
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
    settings.bitrate = (int)self->bitrate * 1000;
    settings.scale = self->scale;
    settings.references = (FacetLatentReferences)self->references;
    mode = self->mode;
    model = g_strdup(self->model);
    latent_model = g_strdup(self->latent_model);
    /* The rate opened with is the one asked for now. */
    self->bitrate_changed = FALSE;
    self->reopen = FALSE;
    GST_OBJECT_UNLOCK(self);
    settings.mode = gst_facet_enc_pick_mode(mode, latent_model, settings.width, settings.height);
    settings.model_path = model;
    settings.latent_model_path = latent_model;
    settings.log_callback = gst_facet_enc_log;
    settings.log_opaque = self;
    GST_INFO_OBJECT(self, "opening the %s tier at %dx%d",
                    settings.mode == FACET_STREAM_MODE_LATENT ? "latent" : "keypoint",
                    settings.width, settings.height);

    self->log = g_string_new(NULL);
    ret = facet_encoder_open(&self->encoder, &settings);
    if (ret < 0 && settings.mode == FACET_STREAM_MODE_LATENT) {
        GST_ELEMENT_ERROR(self, LIBRARY, INIT,
                          ("Could not open the Facet encoder in latent mode with latent model "
                           "'%s' at %d kbit/s: %s", latent_model ? latent_model : "(default)",
                           settings.bitrate / 1000, facet_strerror(ret)),
                          ("%s", self->log->str));
    } else if (ret < 0) {
        GST_ELEMENT_ERROR(self, LIBRARY, INIT,
                          ("Could not open the Facet encoder with model '%s': %s",
                           model ? model : "(default)", facet_strerror(ret)),
                          ("%s", self->log->str));
    }
    g_string_free(self->log, TRUE);
    self->log = NULL;
    g_free(model);
    g_free(latent_model);
    if (ret < 0)
        return FALSE;
    self->open_mode = settings.mode;

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
    return TRUE;
}

static gboolean gst_facet_enc_set_format(GstVideoEncoder *encoder, GstVideoCodecState *state)
{
    GstFacetEnc *self = GST_FACET_ENC(encoder);

    g_clear_pointer(&self->input_state, gst_video_codec_state_unref);
    self->input_state = gst_video_codec_state_ref(state);
    self->fct = gst_facet_enc_wants_fct(self);
    GST_DEBUG_OBJECT(self, "stream-format %s", self->fct ? "fct" : "packet");
    if (!gst_facet_enc_open(self))
        return FALSE;
    /* Every frame's packets go out before the next frame comes in. */
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

/* Keyframes carry the sequence header: its mode, model id, keypoint count
 * and (latent) scale become caps fields so that receivers can check them
 * before decoding. */
static gboolean gst_facet_enc_update_caps(GstFacetEnc *self, const FacetPacket *packet)
{
    FacetPacketInfo info = { .struct_size = sizeof(info) };
    GstVideoCodecState *output;
    const gchar *mode;
    GstCaps *caps;

    if (facet_packet_peek(packet->data, packet->size, &info) < 0 || !info.has_sequence_header)
        return TRUE;
    if ((gint64)info.model_id == self->caps_model_id && info.keypoint_count == self->caps_keypoints &&
        (gint)info.mode == self->caps_mode && info.scale == self->caps_scale)
        return TRUE;

    caps = gst_caps_new_simple("video/x-facet", "stream-format", G_TYPE_STRING,
                               self->fct ? FACET_STREAM_FORMAT_FCT : FACET_STREAM_FORMAT_PACKET,
                               "model-id", G_TYPE_UINT, info.model_id,
                               "keypoints", G_TYPE_INT, info.keypoint_count, NULL);
    mode = gst_facet_stream_mode_to_string(info.mode);
    if (mode)
        gst_caps_set_simple(caps, "mode", G_TYPE_STRING, mode, NULL);
    if (info.mode == FACET_STREAM_MODE_LATENT)
        gst_caps_set_simple(caps, "scale", G_TYPE_INT, info.scale, NULL);
    output = gst_video_encoder_set_output_state(GST_VIDEO_ENCODER(self), caps, self->input_state);
    if (!output)
        return FALSE;
    gst_video_codec_state_unref(output);
    self->caps_model_id = info.model_id;
    self->caps_keypoints = info.keypoint_count;
    self->caps_mode = info.mode;
    self->caps_scale = info.scale;
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

/* Whether a request may be answered at `now`: none answered yet, no
 * timestamps to judge by, or `interval` ms passed since the last one. */
static gboolean gst_facet_enc_request_due(GstClockTime now, GstClockTime last, guint interval)
{
    if (!GST_CLOCK_TIME_IS_VALID(now) || !GST_CLOCK_TIME_IS_VALID(last) || now < last)
        return TRUE;
    return now - last >= (GstClockTime)interval * GST_MSECOND;
}

/* Turns the frame's force-key-unit flags (PLI: a keyframe; FIR,
 * all-headers: a reference) into requests to the library, each held back
 * until its interval has passed since the last one answered. Outside the
 * latent tier a reference request is a keyframe request. */
static void gst_facet_enc_handle_requests(GstFacetEnc *self, GstVideoCodecFrame *frame)
{
    gboolean latent = self->open_mode == FACET_STREAM_MODE_LATENT;
    guint keyframe_interval, reference_interval;

    /* Downstream force-key-unit events (an application's) come as frame
     * flags; upstream ones (rtpbin's) as the flags src_event set. */
    if (GST_VIDEO_CODEC_FRAME_IS_FORCE_KEYFRAME(frame)) {
        if (GST_VIDEO_CODEC_FRAME_IS_FORCE_KEYFRAME_HEADERS(frame) && latent)
            self->reference_pending = TRUE;
        else
            self->keyframe_pending = TRUE;
    }
    GST_OBJECT_LOCK(self);
    keyframe_interval = self->keyframe_request_interval;
    reference_interval = self->reference_request_interval;
    if (self->keyframe_requested || (self->reference_requested && !latent))
        self->keyframe_pending = TRUE;
    if (self->reference_requested && latent)
        self->reference_pending = TRUE;
    self->keyframe_requested = FALSE;
    self->reference_requested = FALSE;
    GST_OBJECT_UNLOCK(self);

    if (self->keyframe_pending &&
        gst_facet_enc_request_due(frame->pts, self->last_keyframe_request, keyframe_interval)) {
        GST_INFO_OBJECT(self, "keyframe requested: frame %u", frame->system_frame_number);
        facet_encoder_request_keyframe(self->encoder);
        self->keyframe_pending = FALSE;
        self->last_keyframe_request = frame->pts;
    }
    if (self->reference_pending &&
        gst_facet_enc_request_due(frame->pts, self->last_reference_request, reference_interval)) {
        GST_INFO_OBJECT(self, "reference requested: frame %u", frame->system_frame_number);
        facet_encoder_request_reference(self->encoder);
        self->reference_pending = FALSE;
        self->last_reference_request = frame->pts;
    }
}

/* Applies what the properties changed while playing: a new mode or scale
 * reopens the encoder (a new stream), a new bitrate goes to the rate
 * control. Returns FALSE when the encoder could not reopen (posted). */
static gboolean gst_facet_enc_apply_changes(GstFacetEnc *self)
{
    gboolean reopen, bitrate_changed;
    guint bitrate;
    int ret;

    GST_OBJECT_LOCK(self);
    reopen = self->reopen;
    bitrate_changed = self->bitrate_changed;
    bitrate = self->bitrate;
    self->bitrate_changed = FALSE;
    GST_OBJECT_UNLOCK(self);

    if (reopen) {
        GST_INFO_OBJECT(self, "mode or scale changed: restarting the stream");
        return gst_facet_enc_open(self);
    }
    if (!bitrate_changed || self->open_mode != FACET_STREAM_MODE_LATENT)
        return TRUE;
    ret = facet_encoder_set_bitrate(self->encoder, (int)bitrate * 1000);
    if (ret < 0)
        GST_WARNING_OBJECT(self, "bitrate %u kbit/s refused: %s", bitrate, facet_strerror(ret));
    else
        GST_INFO_OBJECT(self, "bitrate now %u kbit/s", bitrate);
    return TRUE;
}

/* Gives the frame's packet its buffer: a sync point when it is a keyframe
 * (with the caps updated from its sequence header). */
static GstFlowReturn gst_facet_enc_attach_packet(GstFacetEnc *self, GstVideoCodecFrame *frame,
                                                 const FacetPacket *packet)
{
    if (packet->flags & FACET_PACKET_FLAG_KEYFRAME) {
        GST_VIDEO_CODEC_FRAME_SET_SYNC_POINT(frame);
        if (!gst_facet_enc_update_caps(self, packet))
            return GST_FLOW_NOT_NEGOTIATED;
    }
    frame->output_buffer = gst_facet_enc_wrap_packet(self, packet, frame->system_frame_number);
    if (!frame->output_buffer) {
        GST_ELEMENT_ERROR(self, RESOURCE, NO_SPACE_LEFT, (NULL), ("could not allocate a buffer"));
        return GST_FLOW_ERROR;
    }
    if (!(packet->flags & FACET_PACKET_FLAG_KEYFRAME))
        GST_BUFFER_FLAG_SET(frame->output_buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    return GST_FLOW_OK;
}

static GstFlowReturn gst_facet_enc_handle_frame(GstVideoEncoder *encoder, GstVideoCodecFrame *frame)
{
    GstFacetEnc *self = GST_FACET_ENC(encoder);
    GstVideoFrame vframe;
    FacetPicture picture;
    FacetPacket packet = { 0 }, next = { 0 };
    GstFlowReturn flow;
    int ret;

    if (!self->encoder) {
        gst_video_codec_frame_unref(frame);
        return GST_FLOW_NOT_NEGOTIATED;
    }
    if (!gst_facet_enc_apply_changes(self)) {
        gst_video_encoder_finish_frame(encoder, frame);
        return GST_FLOW_NOT_NEGOTIATED;
    }
    gst_facet_enc_handle_requests(self, frame);
    GST_VIDEO_CODEC_FRAME_UNSET_SYNC_POINT(frame);

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

    /* The latent tier may give a reference fragment after the frame's
     * packet: every packet but the last goes out as a subframe, in order,
     * with the frame's timestamps. */
    for (;;) {
        flow = gst_facet_enc_attach_packet(self, frame, &packet);
        facet_packet_unref(&packet);
        if (flow != GST_FLOW_OK)
            break;
        ret = facet_encoder_receive_packet(self->encoder, &next);
        if (ret < 0)
            return gst_video_encoder_finish_frame(encoder, frame);
        flow = gst_video_encoder_finish_subframe(encoder, frame);
        packet = next;
        memset(&next, 0, sizeof(next));
        if (flow != GST_FLOW_OK)
            break;
    }
    /* Not pushed: an error, or downstream stopped taking buffers. Packets
     * left in the encoder would make its next send answer EAGAIN: they
     * are dropped with the frame. */
    facet_packet_unref(&packet);
    while (facet_encoder_receive_packet(self->encoder, &next) == 0)
        facet_packet_unref(&next);
    g_clear_pointer(&frame->output_buffer, gst_buffer_unref);
    gst_video_encoder_finish_frame(encoder, frame);
    return flow;
}

/* Upstream force-key-unit events (what rtpbin makes of RTCP PLI and, with
 * all-headers, FIR) are taken here rather than by the base class: it
 * holds every further request while one is outstanding and counts them
 * all answered by the next keyframe, which would lose a reference request
 * (a reference is not a keyframe). They apply from the next frame, as
 * soon as their rate limit allows. */
static gboolean gst_facet_enc_src_event(GstVideoEncoder *encoder, GstEvent *event)
{
    GstFacetEnc *self = GST_FACET_ENC(encoder);
    gboolean all_headers = FALSE;

    if (gst_video_event_is_force_key_unit(event) &&
        gst_video_event_parse_upstream_force_key_unit(event, NULL, &all_headers, NULL)) {
        GST_DEBUG_OBJECT(self, "force-key-unit, all-headers %d", all_headers);
        GST_OBJECT_LOCK(self);
        if (all_headers)
            self->reference_requested = TRUE;
        else
            self->keyframe_requested = TRUE;
        GST_OBJECT_UNLOCK(self);
        gst_event_unref(event);
        return TRUE;
    }
    return GST_VIDEO_ENCODER_CLASS(parent_class)->src_event(encoder, event);
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

/* A bitrate outside what libfacet takes (0, or an absurd value from a
 * congestion controller) is clamped rather than refused, and said: a call
 * should go on at the nearest rate it can. Returns the rate to use. */
static guint gst_facet_enc_clamp_bitrate(GstFacetEnc *self, guint bitrate)
{
    guint clamped = CLAMP(bitrate, MIN_BITRATE, MAX_BITRATE);

    if (clamped != bitrate)
        GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                            ("bitrate %u kbit/s is out of range (%u to %u): using %u kbit/s",
                             bitrate, MIN_BITRATE, MAX_BITRATE, clamped), (NULL));
    return clamped;
}

static void gst_facet_enc_set_property(GObject *object, guint prop_id, const GValue *value,
                                       GParamSpec *pspec)
{
    GstFacetEnc *self = GST_FACET_ENC(object);
    guint bitrate = 0;

    /* Posts a message, which takes the object lock: before taking it. */
    if (prop_id == PROP_BITRATE)
        bitrate = gst_facet_enc_clamp_bitrate(self, g_value_get_uint(value));

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
    case PROP_MODE:
        if (self->mode != (GstFacetEncMode)g_value_get_enum(value))
            self->reopen = TRUE;
        self->mode = g_value_get_enum(value);
        break;
    case PROP_BITRATE:
        if (self->bitrate != bitrate)
            self->bitrate_changed = TRUE;
        self->bitrate = bitrate;
        break;
    case PROP_SCALE:
        if (self->scale != (GstFacetScale)g_value_get_enum(value))
            self->reopen = TRUE;
        self->scale = g_value_get_enum(value);
        break;
    case PROP_REFERENCES:
        if (self->references != (GstFacetReferences)g_value_get_enum(value))
            self->reopen = TRUE;
        self->references = g_value_get_enum(value);
        break;
    case PROP_LATENT_MODEL:
        g_free(self->latent_model);
        self->latent_model = g_value_dup_string(value);
        break;
    case PROP_KEYFRAME_REQUEST_INTERVAL:
        self->keyframe_request_interval = g_value_get_uint(value);
        break;
    case PROP_REFERENCE_REQUEST_INTERVAL:
        self->reference_request_interval = g_value_get_uint(value);
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
    case PROP_MODE:
        g_value_set_enum(value, self->mode);
        break;
    case PROP_BITRATE:
        g_value_set_uint(value, self->bitrate);
        break;
    case PROP_SCALE:
        g_value_set_enum(value, self->scale);
        break;
    case PROP_REFERENCES:
        g_value_set_enum(value, self->references);
        break;
    case PROP_LATENT_MODEL:
        g_value_set_string(value, self->latent_model);
        break;
    case PROP_KEYFRAME_REQUEST_INTERVAL:
        g_value_set_uint(value, self->keyframe_request_interval);
        break;
    case PROP_REFERENCE_REQUEST_INTERVAL:
        g_value_set_uint(value, self->reference_request_interval);
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
    g_free(self->latent_model);
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

    g_object_class_install_property(gobject_class, PROP_MODE,
        g_param_spec_enum("mode", "Mode",
                          "Which tier codes the stream. auto: latent when a latent model is "
                          "found (latent-model, $FACET_LATENT_MODEL or the installed one) and "
                          "the picture is 32..4096 pixels a side, else keypoint. latent: a "
                          "low-resolution AV1 stream at bitrate plus rare references. "
                          "keypoint: intra keyframes plus keypoints (the model property). "
                          "Changing it while playing restarts the stream at the next frame",
                          GST_TYPE_FACET_ENC_MODE, DEFAULT_MODE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(gobject_class, PROP_BITRATE,
        g_param_spec_uint("bitrate", "Bitrate",
                          "Latent tier: target rate in kbit/s, references included (1 to "
                          "100000; other values are clamped, with a warning). May change at "
                          "any time: the next frame is coded for it, with no keyframe and no "
                          "new reference, and the stream is at it within about a second. The "
                          "keypoint tier has no rate control and ignores it",
                          0, G_MAXUINT, DEFAULT_BITRATE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(gobject_class, PROP_SCALE,
        g_param_spec_enum("scale", "Scale",
                          "Latent tier: the low-resolution stream's side as a fraction of the "
                          "picture's: 2 (half), 4 (a quarter) or auto (2 from about 10 kbit/s "
                          "at 256x256 to 512x512, scaled with the pixel count, else 4; chosen "
                          "when the stream starts). Changing it while playing restarts the "
                          "stream at the next frame (a new keyframe and a new reference)",
                          GST_TYPE_FACET_SCALE, DEFAULT_SCALE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(gobject_class, PROP_REFERENCES,
        g_param_spec_enum("references", "References",
                          "Latent tier: whether high-resolution references are sent. auto: "
                          "where they pay for their bits with the model in use, which with the "
                          "shipped model is nowhere measured (docs/latent-tier.md), so none; "
                          "on: at the start, on request (FIR), on drift and every 30 s; off: "
                          "none, and FIRs are answered with nothing. Changing it while playing "
                          "restarts the stream at the next frame",
                          GST_TYPE_FACET_REFERENCES, DEFAULT_REFERENCES,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(gobject_class, PROP_LATENT_MODEL,
        g_param_spec_string("latent-model", "Latent model",
                            "Model file (safetensors) of the latent tier; NULL: "
                            "$FACET_LATENT_MODEL, else the installed one; empty: none (mode=auto "
                            "then picks keypoint)",
                            DEFAULT_LATENT_MODEL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject_class, PROP_KEYFRAME_REQUEST_INTERVAL,
        g_param_spec_uint("keyframe-request-interval", "Keyframe request interval",
                          "Milliseconds (of stream time) after a keyframe request was answered "
                          "before another is: force-key-unit events (RTCP PLI) arriving sooner "
                          "are held back until then, not lost. 0: answer every one",
                          0, 60000, DEFAULT_KEYFRAME_REQUEST_INTERVAL,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(gobject_class, PROP_REFERENCE_REQUEST_INTERVAL,
        g_param_spec_uint("reference-request-interval", "Reference request interval",
                          "Latent tier: milliseconds (of stream time) after a reference "
                          "request was answered before another is: force-key-unit events "
                          "with all-headers (RTCP FIR) arriving sooner are held back until "
                          "then. A reference costs seconds of the rate. 0: answer every one",
                          0, 600000, DEFAULT_REFERENCE_REQUEST_INTERVAL,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
    g_object_class_install_property(gobject_class, PROP_KEYFRAME_INTERVAL,
        g_param_spec_double("keyframe-interval", "Keyframe interval",
                            "Keypoint tier: seconds between keyframes; the keyframes dominate "
                            "the rate (256x256 at quality 60: 2 s about 30 kbit/s)",
                            0.001, 3600.0, DEFAULT_KEYFRAME_INTERVAL,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject_class, PROP_KEYFRAME_QUALITY,
        g_param_spec_int("keyframe-quality", "Keyframe quality",
                         "Keypoint tier: quality of the intra-coded keyframe pictures (0 "
                         "smallest, 100 best)",
                         0, 100, DEFAULT_KEYFRAME_QUALITY,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
    g_object_class_install_property(gobject_class, PROP_MODEL,
        g_param_spec_string("model", "Model",
                            "Model file (safetensors) of the keypoint tier; NULL: $FACET_MODEL or "
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
        "Neural talking-head video encoder, two tiers (mode). Latent tier (the default "
        "once a latent model is installed): a low-resolution AV1 stream held at bitrate "
        "kbit/s, references included, that the decoder upsamples guided by a reference "
        "picture. Keypoint tier (the default otherwise): an intra keyframe every "
        "keyframe-interval seconds plus 26-37 bytes of keypoints per frame: about 30 "
        "kbit/s at 256x256 with the defaults, 8-15 kbit/s with keyframe-interval=5 "
        "keyframe-quality=20; intra-only without a model (about 1 Mbit/s)",
        "The Facet authors");

    encoder_class->start = GST_DEBUG_FUNCPTR(gst_facet_enc_start);
    encoder_class->stop = GST_DEBUG_FUNCPTR(gst_facet_enc_stop);
    encoder_class->set_format = GST_DEBUG_FUNCPTR(gst_facet_enc_set_format);
    encoder_class->handle_frame = GST_DEBUG_FUNCPTR(gst_facet_enc_handle_frame);
    encoder_class->flush = GST_DEBUG_FUNCPTR(gst_facet_enc_flush);
    encoder_class->src_event = GST_DEBUG_FUNCPTR(gst_facet_enc_src_event);
    encoder_class->propose_allocation = GST_DEBUG_FUNCPTR(gst_facet_enc_propose_allocation);

    GST_DEBUG_CATEGORY_INIT(gst_facet_enc_debug, "facetenc", 0, "Facet video encoder");
}

static void gst_facet_enc_init(GstFacetEnc *self)
{
    self->keyframe_interval = DEFAULT_KEYFRAME_INTERVAL;
    self->keyframe_quality = DEFAULT_KEYFRAME_QUALITY;
    self->model = g_strdup(DEFAULT_MODEL);
    self->threads = DEFAULT_THREADS;
    self->mode = DEFAULT_MODE;
    self->bitrate = DEFAULT_BITRATE;
    self->scale = DEFAULT_SCALE;
    self->references = DEFAULT_REFERENCES;
    self->latent_model = g_strdup(DEFAULT_LATENT_MODEL);
    self->keyframe_request_interval = DEFAULT_KEYFRAME_REQUEST_INTERVAL;
    self->reference_request_interval = DEFAULT_REFERENCE_REQUEST_INTERVAL;
    self->caps_model_id = -1;
    self->caps_keypoints = -1;
    self->caps_mode = -1;
    self->caps_scale = -1;
    self->last_keyframe_request = GST_CLOCK_TIME_NONE;
    self->last_reference_request = GST_CLOCK_TIME_NONE;
}
