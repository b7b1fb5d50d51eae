/* SPDX-License-Identifier: BSD-2-Clause */
/* The latent tier's low-resolution stream decoder (libavcodec); see
 * base_codec.h. The encoders are in base_encoder*.c. */
#include "codec/base_codec.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>

#include "codec/bitstream.h"
#include "codec/intra_common.h"

struct FacetBaseDecoder {
    const AVCodec *codec;
    AVCodecContext *ctx;
    AVPacket *packet;
    AVFrame *frame;
    int threads;
    int codec_id;               /* FACET_BASE_ID_* */
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

int facet_base_decoder_open(FacetBaseDecoder **out, int codec_id, int threads,
                            const FacetLogger *logger)
{
    *out = NULL;
    /* AV1: libdav1d first (the fastest here), then what else this FFmpeg
     * has. VP8: FFmpeg's own decoder, always built, then libvpx's. */
    static const char *const av1_names[] = { "libdav1d", "av1", "libaom-av1", NULL };
    static const char *const vp8_names[] = { "vp8", "libvpx", NULL };
    const char *const *names = codec_id == FACET_BASE_ID_AV1   ? av1_names
                               : codec_id == FACET_BASE_ID_VP8 ? vp8_names
                                                               : NULL;
    if (!names) {
        facet_log(logger, "the latent tier has no base codec %d (1: AV1, 2: VP8)", codec_id);
        return FACET_ERR(EINVAL);
    }
    const AVCodec *codec = NULL;
    for (size_t i = 0; names[i] && !codec; i++)
        codec = avcodec_find_decoder_by_name(names[i]);
    if (!codec) {
        facet_log(logger, "this FFmpeg has no %s decoder for the latent tier",
                  codec_id == FACET_BASE_ID_AV1 ? "AV1" : "VP8");
        return FACET_ERR(ENOSYS);
    }
    if (codec_id == FACET_BASE_ID_AV1 && strcmp(codec->name, "libdav1d"))
        facet_log(logger, "no libdav1d in this FFmpeg: the latent tier's AV1 stream is decoded "
                  "by %s", codec->name);
    FacetBaseDecoder *dec = calloc(1, sizeof(*dec));
    if (!dec)
        return FACET_ERR(ENOMEM);
    dec->codec = codec;
    dec->codec_id = codec_id;
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
    if (!dec || !dec->ctx || size > INT_MAX)
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

int facet_base_decoder_codec(const FacetBaseDecoder *dec)
{
    return dec ? dec->codec_id : 0;
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
