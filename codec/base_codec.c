/* SPDX-License-Identifier: BSD-2-Clause */
/* The latent tier's low-resolution AV1 stream; see base_codec.h. */
#include "codec/base_codec.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>

#include "codec/intra_common.h"

struct FacetBaseEncoder {
    AVCodecContext *ctx;
    AVFrame *frame;
    AVPacket *packet;
    int64_t next_pts;
};

int facet_base_encoder_open(FacetBaseEncoder **out, int width, int height, int fps_num,
                            int fps_den, int bitrate, int threads, const FacetLogger *logger)
{
    *out = NULL;
    if (width < 16 || height < 16 || bitrate < 1000 || fps_num < 1 || fps_den < 1)
        return FACET_ERR(EINVAL);
    const AVCodec *codec = avcodec_find_encoder_by_name("libaom-av1");
    if (!codec) {
        facet_log(logger, "this FFmpeg has no libaom-av1 encoder for the latent tier");
        return FACET_ERR(ENOSYS);
    }
    FacetBaseEncoder *enc = calloc(1, sizeof(*enc));
    if (!enc)
        return FACET_ERR(ENOMEM);
    enc->frame = av_frame_alloc();
    enc->packet = av_packet_alloc();
    enc->ctx = avcodec_alloc_context3(codec);
    int ret = FACET_ERR(ENOMEM);
    if (!enc->frame || !enc->packet || !enc->ctx)
        goto error;
    AVCodecContext *ctx = enc->ctx;
    ctx->width = width;
    ctx->height = height;
    ctx->pix_fmt = AV_PIX_FMT_YUV420P;
    ctx->time_base = (AVRational){ fps_den, fps_num };
    ctx->framerate = (AVRational){ fps_num, fps_den };
    ctx->color_range = AVCOL_RANGE_MPEG;
    ctx->colorspace = AVCOL_SPC_SMPTE170M;
    ctx->color_primaries = AVCOL_PRI_SMPTE170M;
    ctx->color_trc = AVCOL_TRC_SMPTE170M;
    ctx->thread_count = facet_intra_resolve_threads(threads);
    ctx->max_b_frames = 0;
    /* Keyframes only at the start and on request. */
    ctx->gop_size = INT_MAX / 2;
    ctx->keyint_min = INT_MAX / 2;
    /* rc_min_rate == rc_max_rate == bit_rate: libaomenc's CBR. */
    ctx->bit_rate = bitrate;
    ctx->rc_min_rate = bitrate;
    ctx->rc_max_rate = bitrate;
    ctx->rc_buffer_size = bitrate; /* one second */
    AVDictionary *options = NULL;
    av_dict_set(&options, "usage", "realtime", 0);
    av_dict_set_int(&options, "cpu-used", 8, 0);
    av_dict_set_int(&options, "lag-in-frames", 0, 0);
    av_dict_set_int(&options, "row-mt", 1, 0);
    av_dict_set_int(&options, "aq-mode", 0, 0);
    ret = avcodec_open2(ctx, codec, &options);
    av_dict_free(&options);
    if (ret < 0) {
        facet_log(logger, "libaom-av1 refused the latent tier's settings (%dx%d, %d bit/s)",
                  width, height, bitrate);
        ret = facet_intra_error_from_av(ret, FACET_ERR(ENOSYS));
        goto error;
    }
    enc->frame->format = AV_PIX_FMT_YUV420P;
    enc->frame->width = width;
    enc->frame->height = height;
    *out = enc;
    return 0;
error:
    facet_base_encoder_close(&enc);
    return ret;
}

int facet_base_encode(FacetBaseEncoder *enc, const FacetPicture *i420, int keyframe,
                      uint8_t **data, size_t *size, int *is_keyframe)
{
    *data = NULL;
    *size = 0;
    AVFrame *frame = enc->frame;
    for (int i = 0; i < 3; i++) {
        frame->data[i] = i420->data[i];
        frame->linesize[i] = (int)i420->stride[i];
    }
    frame->pts = enc->next_pts++;
    frame->pict_type = keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    int ret = avcodec_send_frame(enc->ctx, frame);
    if (ret < 0)
        return facet_intra_error_from_av(ret, FACET_ERR(EIO));
    /* lag-in-frames 0: the temporal unit comes out of this call. Several
     * packets are joined (there is normally one). */
    uint8_t *out = NULL;
    size_t out_size = 0;
    int key = 0;
    for (;;) {
        ret = avcodec_receive_packet(enc->ctx, enc->packet);
        if (ret == AVERROR(EAGAIN))
            break;
        if (ret < 0) {
            free(out);
            return facet_intra_error_from_av(ret, FACET_ERR(EIO));
        }
        uint8_t *grown = realloc(out, out_size + (size_t)enc->packet->size);
        if (!grown) {
            free(out);
            av_packet_unref(enc->packet);
            return FACET_ERR(ENOMEM);
        }
        out = grown;
        memcpy(out + out_size, enc->packet->data, (size_t)enc->packet->size);
        out_size += (size_t)enc->packet->size;
        key |= (enc->packet->flags & AV_PKT_FLAG_KEY) != 0;
        av_packet_unref(enc->packet);
    }
    if (out_size == 0) {
        free(out);
        return FACET_ERR(EIO);
    }
    *data = out;
    *size = out_size;
    *is_keyframe = key;
    return 0;
}

void facet_base_encoder_close(FacetBaseEncoder **enc)
{
    if (!enc || !*enc)
        return;
    avcodec_free_context(&(*enc)->ctx);
    av_frame_free(&(*enc)->frame);
    av_packet_free(&(*enc)->packet);
    free(*enc);
    *enc = NULL;
}

struct FacetBaseDecoder {
    const AVCodec *codec;
    AVCodecContext *ctx;
    AVPacket *packet;
    AVFrame *frame;
    int threads;
};

static int base_decoder_context_open(FacetBaseDecoder *dec)
{
    avcodec_free_context(&dec->ctx);
    AVCodecContext *ctx = avcodec_alloc_context3(dec->codec);
    if (!ctx)
        return FACET_ERR(ENOMEM);
    ctx->thread_count = dec->threads;
    ctx->thread_type = FF_THREAD_SLICE; /* frame threads would delay output */
    ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
    ctx->flags &= ~AV_CODEC_FLAG_OUTPUT_CORRUPT;
    /* The latent tier's pictures are at most 2048 x 2048. */
    ctx->max_pixels = 2048 * 2048;
    int ret = avcodec_open2(ctx, dec->codec, NULL);
    if (ret < 0) {
        avcodec_free_context(&ctx);
        return facet_intra_error_from_av(ret, FACET_ERR(ENOSYS));
    }
    dec->ctx = ctx;
    return 0;
}

int facet_base_decoder_open(FacetBaseDecoder **out, int threads, const FacetLogger *logger)
{
    *out = NULL;
    static const char *const names[] = { "libdav1d", "av1", "libaom-av1" };
    const AVCodec *codec = NULL;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !codec; i++)
        codec = avcodec_find_decoder_by_name(names[i]);
    if (!codec) {
        facet_log(logger, "this FFmpeg has no AV1 decoder for the latent tier");
        return FACET_ERR(ENOSYS);
    }
    if (strcmp(codec->name, "libdav1d"))
        facet_log(logger, "no libdav1d in this FFmpeg: the latent tier's AV1 stream is decoded "
                  "by %s", codec->name);
    FacetBaseDecoder *dec = calloc(1, sizeof(*dec));
    if (!dec)
        return FACET_ERR(ENOMEM);
    dec->codec = codec;
    dec->threads = facet_intra_resolve_threads(threads);
    dec->packet = av_packet_alloc();
    dec->frame = av_frame_alloc();
    int ret = dec->packet && dec->frame ? base_decoder_context_open(dec) : FACET_ERR(ENOMEM);
    if (ret < 0) {
        facet_base_decoder_close(&dec);
        return ret;
    }
    *out = dec;
    return 0;
}

int facet_base_decode(FacetBaseDecoder *dec, const uint8_t *data, size_t size, int width,
                      int height, FacetPicture *out)
{
    memset(out, 0, sizeof(*out));
    if (!dec->ctx || size > INT_MAX)
        return FACET_ERR(EBADMSG);
    int ret = av_new_packet(dec->packet, (int)size);
    if (ret < 0)
        return FACET_ERR(ENOMEM);
    memcpy(dec->packet->data, data, size);
    ret = avcodec_send_packet(dec->ctx, dec->packet);
    av_packet_unref(dec->packet);
    if (ret < 0)
        return facet_intra_error_from_av(ret, FACET_ERR(EBADMSG));
    ret = avcodec_receive_frame(dec->ctx, dec->frame);
    if (ret < 0)
        return facet_intra_error_from_av(ret, FACET_ERR(EBADMSG));
    /* Whatever else a hostile unit held stays behind: drop it. */
    int result = 0;
    AVFrame *f = dec->frame;
    if (f->width != width || f->height != height || f->format != AV_PIX_FMT_YUV420P)
        result = FACET_ERR(EBADMSG);
    if (result == 0)
        result = facet_picture_alloc(out, FACET_PIXEL_FORMAT_I420, width, height);
    if (result == 0) {
        for (int p = 0; p < 3; p++) {
            int w = p ? (width + 1) / 2 : width, h = p ? (height + 1) / 2 : height;
            for (int y = 0; y < h; y++)
                memcpy(out->data[p] + (ptrdiff_t)y * out->stride[p],
                       f->data[p] + (ptrdiff_t)y * f->linesize[p], (size_t)w);
        }
    }
    av_frame_unref(f);
    while (avcodec_receive_frame(dec->ctx, f) == 0)
        av_frame_unref(f);
    return result;
}

void facet_base_decoder_reset(FacetBaseDecoder *dec)
{
    if (dec && dec->ctx)
        avcodec_flush_buffers(dec->ctx);
}

const char *facet_base_decoder_name(const FacetBaseDecoder *dec)
{
    return dec && dec->codec ? dec->codec->name : "";
}

void facet_base_decoder_close(FacetBaseDecoder **dec)
{
    if (!dec || !*dec)
        return;
    avcodec_free_context(&(*dec)->ctx);
    av_packet_free(&(*dec)->packet);
    av_frame_free(&(*dec)->frame);
    free(*dec);
    *dec = NULL;
}
