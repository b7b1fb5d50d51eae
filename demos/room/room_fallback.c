/* SPDX-License-Identifier: BSD-2-Clause */
/* The plain upscale of a feed's VP8 pictures: libavcodec + libswscale. */
#include "room_fallback.h"

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>

struct RoomFallback {
    AVCodecContext *codec;
    AVPacket *packet;
    AVFrame *frame;
    gboolean has_picture;
    struct SwsContext *scaler;
};

RoomFallback *room_fallback_new(GError **error)
{
    const AVCodec *vp8 = avcodec_find_decoder(AV_CODEC_ID_VP8);
    if (!vp8) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "this FFmpeg has no VP8 decoder for the plain upscale");
        return NULL;
    }
    RoomFallback *f = g_new0(RoomFallback, 1);
    f->codec = avcodec_alloc_context3(vp8);
    f->packet = av_packet_alloc();
    f->frame = av_frame_alloc();
    if (f->codec)
        f->codec->thread_count = 1;
    if (!f->codec || !f->packet || !f->frame || avcodec_open2(f->codec, vp8, NULL) < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "could not open libavcodec's VP8 decoder");
        room_fallback_free(f);
        return NULL;
    }
    return f;
}

gboolean room_fallback_decode(RoomFallback *f, const guint8 *data, gsize size)
{
    if (size == 0 || size > G_MAXINT)
        return FALSE;
    /* The packet only borrows the bytes; send_packet copies what it keeps. */
    f->packet->data = (uint8_t *)data;
    f->packet->size = (int)size;
    int ret = avcodec_send_packet(f->codec, f->packet);
    f->packet->data = NULL;
    f->packet->size = 0;
    if (ret < 0)
        return FALSE;
    ret = avcodec_receive_frame(f->codec, f->frame);
    if (ret < 0)
        return FALSE;
    f->has_picture = f->frame->format == AV_PIX_FMT_YUV420P && f->frame->width > 0 &&
                     f->frame->height > 0;
    return f->has_picture;
}

gboolean room_fallback_size(const RoomFallback *f, int *width, int *height)
{
    if (!f->has_picture)
        return FALSE;
    *width = f->frame->width;
    *height = f->frame->height;
    return TRUE;
}

gboolean room_fallback_upscale(RoomFallback *f, int width, int height, FacetPicture *out)
{
    if (!f->has_picture)
        return FALSE;
    f->scaler = sws_getCachedContext(f->scaler, f->frame->width, f->frame->height,
                                     AV_PIX_FMT_YUV420P, width, height, AV_PIX_FMT_YUV420P,
                                     SWS_BICUBIC, NULL, NULL, NULL);
    if (!f->scaler || facet_picture_alloc(out, FACET_PIXEL_FORMAT_I420, width, height) < 0)
        return FALSE;
    int strides[3] = { (int)out->stride[0], (int)out->stride[1], (int)out->stride[2] };
    sws_scale(f->scaler, (const uint8_t *const *)f->frame->data, f->frame->linesize, 0,
              f->frame->height, out->data, strides);
    return TRUE;
}

void room_fallback_free(RoomFallback *f)
{
    if (!f)
        return;
    avcodec_free_context(&f->codec);
    av_packet_free(&f->packet);
    av_frame_free(&f->frame);
    sws_freeContext(f->scaler);
    g_free(f);
}
