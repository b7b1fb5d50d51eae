/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Keyframe (intra) picture encoding through libavcodec: AV1 (libaom-av1,
 * else libsvtav1) and JPEG (mjpeg). docs/intra-coding.md describes the
 * payloads and settings.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/common.h>
#include <libavutil/cpu.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixfmt.h>

#include "codec/intra.h"
#include "codec/intra_common.h"

/* ------------------------------------------------------------------------ */
/* Quality mapping                                                          */

/* Both maps are linear in log(quantiser step): AV1's quantiser index and the
 * CRF scale built on it are roughly logarithmic already, while JPEG's qscale
 * multiplies the quantisation tables, so it gets an exponential map. */
static int av1_crf_from_quality(int quality)
{
    return (63 * (100 - quality) + 50) / 100; /* 100 -> 0 (lossless), 0 -> 63 */
}

static int jpeg_qscale_from_quality(int quality)
{
    /* 100 -> 1, 80 -> 2, 60 -> 4, 40 -> 8, 20 -> 16, 0 -> 31 */
    long qscale = lround(pow(31.0, (100 - quality) / 100.0));
    return qscale < 1 ? 1 : qscale > 31 ? 31 : (int)qscale;
}


/* ------------------------------------------------------------------------ */
/* Encoder                                                                  */

typedef struct IntraEncoderKind {
    const char *name; /* libavcodec encoder */
    FacetIntraCodec codec;
    /* The wrapper hands a packet out only when the next picture arrives or
     * at the end of the stream (libsvtav1 in FFmpeg 5.x), so each picture
     * gets a context of its own that is drained at once. */
    int one_shot;
    void (*configure)(AVCodecContext *ctx, AVDictionary **options, int quality);
} IntraEncoderKind;

/* Every picture a key frame: kf_max_dist 0. libaom puts a sequence header
 * OBU in front of every key frame, and with no lag each picture comes out
 * of the call that took it in. */
static void configure_libaom_common(AVCodecContext *ctx, AVDictionary **options, int quality)
{
    ctx->gop_size = 0;
    ctx->keyint_min = 0;
    ctx->max_b_frames = 0;
    av_dict_set_int(options, "lag-in-frames", 0, 0);
    av_dict_set_int(options, "crf", av1_crf_from_quality(quality), 0);
    av_dict_set_int(options, "row-mt", 1, 0);
}

/* The all-intra usage at speed 9 codes a 1280x720 key frame 3-4 times
 * faster than realtime usage at its top speed, and smaller at equal PSNR.
 * Speed 9 is past the range of FFmpeg's cpu-used option, hence aom-params,
 * which libaomenc applies after its own controls. */
static void configure_libaom_allintra(AVCodecContext *ctx, AVDictionary **options, int quality)
{
    configure_libaom_common(ctx, options, quality);
    av_dict_set(options, "usage", "allintra", 0);
    av_dict_set(options, "aom-params", "cpu-used=9", 0);
}

/* For a libaom (or FFmpeg) without the all-intra usage. */
static void configure_libaom_realtime(AVCodecContext *ctx, AVDictionary **options, int quality)
{
    configure_libaom_common(ctx, options, quality);
    av_dict_set(options, "usage", "realtime", 0);
    av_dict_set_int(options, "cpu-used", 8, 0);
    av_dict_set_int(options, "aq-mode", 0, 0);
}

static void configure_svtav1(AVCodecContext *ctx, AVDictionary **options, int quality)
{
    ctx->gop_size = 1;
    ctx->max_b_frames = 0;
    int crf = av1_crf_from_quality(quality);
    av_dict_set_int(options, "preset", 12, 0);
    /* crf 0 means "unset" to FFmpeg's libsvtav1 wrapper */
    av_dict_set_int(options, "crf", crf < 1 ? 1 : crf, 0);
    av_dict_set(options, "svtav1-params", "lookahead=0", 0);
}

static void configure_mjpeg(AVCodecContext *ctx, AVDictionary **options, int quality)
{
    (void)options;
    /* Plain yuv420p (not yuvj420p) marked limited range: the encoder codes the
     * samples as they are and writes a "CS=ITU601" comment that FFmpeg's
     * decoder reads back as limited range. Non-JFIF levels need this
     * strictness. */
    ctx->strict_std_compliance = FF_COMPLIANCE_UNOFFICIAL;
    ctx->flags |= AV_CODEC_FLAG_QSCALE;
    /* Leaves out the "Lavc..." version comment (18 bytes); same pixels. */
    ctx->flags |= AV_CODEC_FLAG_BITEXACT;
    ctx->global_quality = jpeg_qscale_from_quality(quality) * FF_QP2LAMBDA;
    ctx->qmin = 1;
    ctx->qmax = 31;
    /* Slices cost ~10% in size (restart markers, per-slice Huffman state)
     * and gain nothing: a 1280x720 picture takes 3-5 ms on one thread. */
    ctx->thread_count = 1;
}

/* In order of preference; a kind whose encoder is missing or refuses the
 * settings passes to the next one of the same codec. */
static const IntraEncoderKind encoder_kinds[] = {
    { "libaom-av1", FACET_INTRA_CODEC_AV1, 0, configure_libaom_allintra },
    { "libaom-av1", FACET_INTRA_CODEC_AV1, 0, configure_libaom_realtime },
    { "libsvtav1", FACET_INTRA_CODEC_AV1, 1, configure_svtav1 },
    { "mjpeg", FACET_INTRA_CODEC_JPEG, 0, configure_mjpeg },
};
#define ENCODER_KIND_COUNT (sizeof(encoder_kinds) / sizeof(encoder_kinds[0]))

struct FacetIntraEncoder {
    const IntraEncoderKind *kind;
    const AVCodec *codec;
    AVCodecContext *ctx; /* NULL between pictures for one-shot kinds */
    AVFrame *frame;
    AVPacket *packet;
    int width;
    int height;
    int quality;
    int threads;
    int64_t next_pts;
};

static int valid_quality_size_threads(int width, int height, int quality, int threads)
{
    return width >= FACET_INTRA_MIN_DIMENSION && width <= FACET_MAX_DIMENSION &&
           height >= FACET_INTRA_MIN_DIMENSION && height <= FACET_MAX_DIMENSION &&
           quality >= 0 && quality <= 100 && threads >= 0 &&
           threads <= FACET_INTRA_MAX_THREADS;
}

static int encoder_context_open(FacetIntraEncoder *enc)
{
    AVCodecContext *ctx = avcodec_alloc_context3(enc->codec);
    if (!ctx)
        return FACET_ERR(ENOMEM);
    ctx->width = enc->width;
    ctx->height = enc->height;
    ctx->pix_fmt = AV_PIX_FMT_YUV420P;
    ctx->time_base = (AVRational){ 1, 30 };
    ctx->framerate = (AVRational){ 30, 1 };
    ctx->sample_aspect_ratio = (AVRational){ 1, 1 };
    ctx->color_range = AVCOL_RANGE_MPEG;
    ctx->colorspace = AVCOL_SPC_SMPTE170M;
    ctx->color_primaries = AVCOL_PRI_SMPTE170M;
    ctx->color_trc = AVCOL_TRC_SMPTE170M;
    ctx->chroma_sample_location = AVCHROMA_LOC_LEFT;
    ctx->thread_count = facet_intra_resolve_threads(enc->threads);
    ctx->thread_type = FF_THREAD_SLICE; /* frame threads would delay output */

    AVDictionary *options = NULL;
    enc->kind->configure(ctx, &options, enc->quality);
    int ret = avcodec_open2(ctx, enc->codec, &options);
    av_dict_free(&options);
    if (ret < 0) {
        avcodec_free_context(&ctx);
        return facet_intra_error_from_av(ret, FACET_ERR(ENOSYS));
    }
    enc->ctx = ctx;
    return 0;
}

static int encoder_open_kind(FacetIntraEncoder **out, const IntraEncoderKind *kind, int width,
                             int height, int quality, int threads)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(kind->name);
    if (!codec)
        return FACET_ERR(ENOSYS);

    int ret;
    FacetIntraEncoder *enc = calloc(1, sizeof(*enc));
    if (!enc)
        return FACET_ERR(ENOMEM);
    enc->kind = kind;
    enc->codec = codec;
    enc->width = width;
    enc->height = height;
    enc->quality = quality;
    enc->threads = threads;
    enc->frame = av_frame_alloc();
    enc->packet = av_packet_alloc();
    if (!enc->frame || !enc->packet) {
        ret = FACET_ERR(ENOMEM);
        goto error;
    }
    enc->frame->format = AV_PIX_FMT_YUV420P;
    enc->frame->width = width;
    enc->frame->height = height;
    if (av_frame_get_buffer(enc->frame, 0) < 0) {
        ret = FACET_ERR(ENOMEM);
        goto error;
    }
    /* Opened now even for one-shot kinds: settings the encoder refuses
     * show up here, not at the first picture. */
    ret = encoder_context_open(enc);
    if (ret < 0)
        goto error;
    *out = enc;
    return 0;

error:
    facet_intra_encoder_close(&enc);
    return ret;
}

static int encoder_open_first(FacetIntraEncoder **enc, FacetIntraCodec codec,
                              const char *encoder_name, int width, int height, int quality,
                              int threads)
{
    int ret = encoder_name ? FACET_ERR(EINVAL) : FACET_ERR(ENOSYS);
    for (size_t i = 0; i < ENCODER_KIND_COUNT; i++) {
        const IntraEncoderKind *kind = &encoder_kinds[i];
        if (codec != FACET_INTRA_CODEC_AUTO && kind->codec != codec)
            continue;
        if (encoder_name && strcmp(kind->name, encoder_name))
            continue;
        ret = encoder_open_kind(enc, kind, width, height, quality, threads);
        if (ret != FACET_ERR(ENOSYS))
            return ret;
    }
    return ret;
}

int facet_intra_encoder_open(FacetIntraEncoder **enc, FacetIntraCodec codec, int width,
                             int height, int quality, int threads)
{
    if (!enc)
        return FACET_ERR(EINVAL);
    *enc = NULL;
    if (!valid_quality_size_threads(width, height, quality, threads) ||
        (codec != FACET_INTRA_CODEC_AUTO && codec != FACET_INTRA_CODEC_AV1 &&
         codec != FACET_INTRA_CODEC_JPEG))
        return FACET_ERR(EINVAL);
    /* AUTO: the kinds list AV1 first. */
    return encoder_open_first(enc, codec, NULL, width, height, quality, threads);
}

int facet_intra_encoder_open_named(FacetIntraEncoder **enc, const char *encoder_name,
                                   int width, int height, int quality, int threads)
{
    if (!enc)
        return FACET_ERR(EINVAL);
    *enc = NULL;
    if (!encoder_name || !valid_quality_size_threads(width, height, quality, threads))
        return FACET_ERR(EINVAL);
    return encoder_open_first(enc, FACET_INTRA_CODEC_AUTO, encoder_name, width, height,
                              quality, threads);
}

FacetIntraCodec facet_intra_encoder_codec(const FacetIntraEncoder *enc)
{
    return enc ? enc->kind->codec : FACET_INTRA_CODEC_AUTO;
}

const char *facet_intra_encoder_name(const FacetIntraEncoder *enc)
{
    return enc ? enc->kind->name : "";
}

/* Copies the encoder's packet into a malloc'd payload after checking that it
 * is what docs/intra-coding.md promises: for AV1 a temporal unit with a
 * sequence header ahead of its frame, for JPEG one image; both declaring
 * our size. */
static int finish_payload(FacetIntraEncoder *enc, uint8_t **data, size_t *size)
{
    const uint8_t *bytes = enc->packet->data;
    size_t length = (size_t)enc->packet->size;
    int width, height;
    if (!bytes || !length ||
        facet_intra_payload_size(enc->kind->codec, bytes, length, &width, &height) < 0 ||
        width != enc->width || height != enc->height)
        return FACET_ERR(EIO);
    if (!(*data = malloc(length)))
        return FACET_ERR(ENOMEM);
    memcpy(*data, bytes, length);
    *size = length;
    return 0;
}

int facet_intra_encode(FacetIntraEncoder *enc, const FacetPicture *i420, uint8_t **data,
                       size_t *size)
{
    if (data)
        *data = NULL;
    if (size)
        *size = 0;
    if (!enc || !i420 || !data || !size)
        return FACET_ERR(EINVAL);
    int chroma_width = (enc->width + 1) / 2, chroma_height = (enc->height + 1) / 2;
    if (i420->format != FACET_PIXEL_FORMAT_I420 || i420->width != enc->width ||
        i420->height != enc->height || !i420->data[0] || !i420->data[1] || !i420->data[2] ||
        i420->stride[0] < enc->width || i420->stride[1] < chroma_width ||
        i420->stride[2] < chroma_width || i420->stride[0] > INT_MAX ||
        i420->stride[1] > INT_MAX || i420->stride[2] > INT_MAX)
        return FACET_ERR(EINVAL);

    int ret;
    if (!enc->ctx && (ret = encoder_context_open(enc)) < 0)
        return ret == FACET_ERR(ENOMEM) ? ret : FACET_ERR(EIO);

    AVFrame *frame = enc->frame;
    if (av_frame_make_writable(frame) < 0)
        return FACET_ERR(ENOMEM);
    av_image_copy_plane(frame->data[0], frame->linesize[0], i420->data[0],
                        (int)i420->stride[0], enc->width, enc->height);
    for (int plane = 1; plane < 3; plane++)
        av_image_copy_plane(frame->data[plane], frame->linesize[plane], i420->data[plane],
                            (int)i420->stride[plane], chroma_width, chroma_height);
    frame->pts = enc->next_pts++;
    frame->pict_type = AV_PICTURE_TYPE_I; /* forces a key frame */
    frame->quality = enc->ctx->global_quality;
    frame->color_range = AVCOL_RANGE_MPEG;
    frame->colorspace = AVCOL_SPC_SMPTE170M;
    frame->color_primaries = AVCOL_PRI_SMPTE170M;
    frame->color_trc = AVCOL_TRC_SMPTE170M;

    ret = avcodec_send_frame(enc->ctx, frame);
    if (ret >= 0 && enc->kind->one_shot)
        ret = avcodec_send_frame(enc->ctx, NULL);
    if (ret >= 0)
        ret = avcodec_receive_packet(enc->ctx, enc->packet);
    /* AVERROR(EAGAIN) here: the encoder held the picture back. */
    ret = ret < 0 ? facet_intra_error_from_av(ret, FACET_ERR(EIO)) : finish_payload(enc, data, size);
    av_packet_unref(enc->packet);
    if (enc->kind->one_shot)
        avcodec_free_context(&enc->ctx);
    return ret;
}

void facet_intra_encoder_close(FacetIntraEncoder **enc)
{
    if (!enc || !*enc)
        return;
    FacetIntraEncoder *e = *enc;
    avcodec_free_context(&e->ctx);
    av_frame_free(&e->frame);
    av_packet_free(&e->packet);
    free(e);
    *enc = NULL;
}
