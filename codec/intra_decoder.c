/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Keyframe (intra) picture decoding through libavcodec: AV1 (libdav1d, else
 * libaom-av1) and JPEG (mjpeg), with the limits of docs/intra-coding.md.
 */
#include <limits.h>
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
/* Decoder                                                                  */

/* One libavcodec decoder per intra codec, opened on first use and reopened
 * when the picture size changes: the size bounds what it may allocate. */
typedef struct IntraDecoderSlot {
    AVCodecContext *ctx;
    int width;
    int height;
} IntraDecoderSlot;

struct FacetIntraDecoder {
    int threads;
    IntraDecoderSlot av1;
    IntraDecoderSlot jpeg;
    AVPacket *packet;
    AVFrame *frame;
};

#define DECODER_SIZE_ALIGN 128

static const char *const av1_decoder_names[] = { "libdav1d", "libaom-av1" };

static const AVCodec *find_decoder(FacetIntraCodec codec)
{
    if (codec == FACET_INTRA_CODEC_JPEG)
        return avcodec_find_decoder_by_name("mjpeg");
    for (size_t i = 0; i < sizeof(av1_decoder_names) / sizeof(av1_decoder_names[0]); i++) {
        const AVCodec *decoder = avcodec_find_decoder_by_name(av1_decoder_names[i]);
        if (decoder)
            return decoder;
    }
    return NULL;
}

const char *facet_intra_decoder_name(FacetIntraCodec codec)
{
    if (codec != FACET_INTRA_CODEC_AV1 && codec != FACET_INTRA_CODEC_JPEG)
        return NULL;
    const AVCodec *decoder = find_decoder(codec);
    return decoder ? decoder->name : NULL;
}

int facet_intra_decoder_open(FacetIntraDecoder **dec, int threads)
{
    if (!dec)
        return FACET_ERR(EINVAL);
    *dec = NULL;
    if (threads < 0 || threads > FACET_INTRA_MAX_THREADS)
        return FACET_ERR(EINVAL);
    FacetIntraDecoder *d = calloc(1, sizeof(*d));
    if (!d)
        return FACET_ERR(ENOMEM);
    d->threads = facet_intra_resolve_threads(threads);
    d->packet = av_packet_alloc();
    d->frame = av_frame_alloc();
    if (!d->packet || !d->frame) {
        facet_intra_decoder_close(&d);
        return FACET_ERR(ENOMEM);
    }
    *dec = d;
    return 0;
}

static int decoder_slot_prepare(FacetIntraDecoder *dec, IntraDecoderSlot *slot,
                                FacetIntraCodec codec, int width, int height)
{
    if (slot->ctx && slot->width == width && slot->height == height)
        return 0;
    avcodec_free_context(&slot->ctx);
    const AVCodec *decoder = find_decoder(codec);
    if (!decoder)
        return FACET_ERR(ENOSYS);
    AVCodecContext *ctx = avcodec_alloc_context3(decoder);
    if (!ctx)
        return FACET_ERR(ENOMEM);
    ctx->thread_count = dec->threads;
    ctx->thread_type = FF_THREAD_SLICE; /* frame threads would delay output */
    /* Refuse pictures larger than the one expected before allocating them
     * (libdav1d passes this on as dav1d's frame_size_limit). Some decoders
     * check their padded buffer size against it (mjpeg: width rounded up to
     * the SIMD stride alignment), hence the rounding; the exact size is
     * checked before and after decoding. */
    ctx->max_pixels = (int64_t)FFALIGN(width, DECODER_SIZE_ALIGN) * FFALIGN(height, DECODER_SIZE_ALIGN);
    ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
    ctx->flags &= ~AV_CODEC_FLAG_OUTPUT_CORRUPT;
    ctx->err_recognition = AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_BUFFER | AV_EF_EXPLODE;
    if (codec == FACET_INTRA_CODEC_AV1)
        ctx->strict_std_compliance = FF_COMPLIANCE_STRICT;
    int ret = avcodec_open2(ctx, decoder, NULL);
    if (ret < 0) {
        avcodec_free_context(&ctx);
        return facet_intra_error_from_av(ret, FACET_ERR(ENOSYS));
    }
    slot->ctx = ctx;
    slot->width = width;
    slot->height = height;
    return 0;
}

static int copy_frame(const AVFrame *frame, int width, int height, FacetPicture *out)
{
    if ((frame->format != AV_PIX_FMT_YUV420P && frame->format != AV_PIX_FMT_YUVJ420P) ||
        frame->width != width || frame->height != height ||
        (frame->flags & AV_FRAME_FLAG_CORRUPT) || frame->decode_error_flags)
        return FACET_ERR(EBADMSG);
    int ret = facet_picture_alloc(out, FACET_PIXEL_FORMAT_I420, width, height);
    if (ret < 0)
        return ret;
    int chroma_width = (width + 1) / 2, chroma_height = (height + 1) / 2;
    av_image_copy_plane(out->data[0], (int)out->stride[0], frame->data[0], frame->linesize[0],
                        width, height);
    for (int plane = 1; plane < 3; plane++)
        av_image_copy_plane(out->data[plane], (int)out->stride[plane], frame->data[plane],
                            frame->linesize[plane], chroma_width, chroma_height);
    return 0;
}

static int decode_payload(FacetIntraDecoder *dec, AVCodecContext *ctx, const uint8_t *data,
                          size_t size, int width, int height, FacetPicture *out)
{
    int ret = av_new_packet(dec->packet, (int)size);
    if (ret < 0)
        return FACET_ERR(ENOMEM);
    memcpy(dec->packet->data, data, size);
    ret = avcodec_send_packet(ctx, dec->packet);
    av_packet_unref(dec->packet);
    if (ret < 0)
        return facet_intra_error_from_av(ret, FACET_ERR(EBADMSG));
    /* Drain at once: the payload is all there is of this picture. */
    ret = avcodec_send_packet(ctx, NULL);
    if (ret < 0)
        return facet_intra_error_from_av(ret, FACET_ERR(EBADMSG));
    ret = avcodec_receive_frame(ctx, dec->frame);
    if (ret < 0)
        return facet_intra_error_from_av(ret, FACET_ERR(EBADMSG)); /* EOF: no picture */
    ret = copy_frame(dec->frame, width, height, out);
    av_frame_unref(dec->frame);
    if (ret < 0)
        return ret;
    /* A payload holds one picture. */
    ret = avcodec_receive_frame(ctx, dec->frame);
    av_frame_unref(dec->frame);
    if (ret != AVERROR_EOF) {
        facet_picture_unref(out);
        return facet_intra_error_from_av(ret, FACET_ERR(EBADMSG));
    }
    return 0;
}

int facet_intra_decode(FacetIntraDecoder *dec, FacetIntraCodec codec, const uint8_t *data,
                       size_t size, int width, int height, FacetPicture *out)
{
    if (out)
        memset(out, 0, sizeof(*out));
    if (!dec || !data || !out || (codec != FACET_INTRA_CODEC_AV1 &&
                                  codec != FACET_INTRA_CODEC_JPEG) ||
        width < FACET_INTRA_MIN_DIMENSION || width > FACET_MAX_DIMENSION ||
        height < FACET_INTRA_MIN_DIMENSION || height > FACET_MAX_DIMENSION)
        return FACET_ERR(EINVAL);
    if (!size || size > FACET_MAX_PACKET_SIZE)
        return FACET_ERR(EBADMSG);

    int declared_width, declared_height;
    int ret = facet_intra_payload_size(codec, data, size, &declared_width, &declared_height);
    if (ret < 0)
        return ret;
    if (declared_width != width || declared_height != height)
        return FACET_ERR(EBADMSG);

    IntraDecoderSlot *slot = codec == FACET_INTRA_CODEC_AV1 ? &dec->av1 : &dec->jpeg;
    ret = decoder_slot_prepare(dec, slot, codec, width, height);
    if (ret < 0)
        return ret;
    ret = decode_payload(dec, slot->ctx, data, size, width, height, out);
    /* Leaves the decoder clean for the next payload, whatever happened. */
    avcodec_flush_buffers(slot->ctx);
    return ret;
}

void facet_intra_decoder_close(FacetIntraDecoder **dec)
{
    if (!dec || !*dec)
        return;
    FacetIntraDecoder *d = *dec;
    avcodec_free_context(&d->av1.ctx);
    avcodec_free_context(&d->jpeg.ctx);
    av_packet_free(&d->packet);
    av_frame_free(&d->frame);
    free(d);
    *dec = NULL;
}
