/* SPDX-License-Identifier: BSD-2-Clause */
/* Video input for the facet tool through libavformat/libavcodec. */
#include "video_reader.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

struct VideoReader {
    AVFormatContext *format;
    AVCodecContext *codec;
    AVPacket *packet;
    AVFrame *frame;
    struct SwsContext *scaler;
    int stream_index;
    int width, height;
    int fps_num, fps_den;
    int draining;
    int has_crop; /* crop_* set by video_reader_set_crop() */
    int crop_x, crop_y, crop_width, crop_height;
};

void video_reader_close(VideoReader **reader)
{
    if (!reader || !*reader)
        return;
    VideoReader *r = *reader;
    sws_freeContext(r->scaler);
    av_frame_free(&r->frame);
    av_packet_free(&r->packet);
    avcodec_free_context(&r->codec);
    avformat_close_input(&r->format);
    free(r);
    *reader = NULL;
}

VideoReader *video_reader_open(const char *path, int width, int height)
{
    VideoReader *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    char message[256];
    int ret = avformat_open_input(&r->format, path, NULL, NULL);
    if (ret < 0)
        goto av_error;
    ret = avformat_find_stream_info(r->format, NULL);
    if (ret < 0)
        goto av_error;
    const AVCodec *decoder = NULL;
    ret = av_find_best_stream(r->format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
    if (ret < 0)
        goto av_error;
    r->stream_index = ret;
    AVStream *stream = r->format->streams[r->stream_index];
    r->codec = avcodec_alloc_context3(decoder);
    if (!r->codec) {
        ret = AVERROR(ENOMEM);
        goto av_error;
    }
    ret = avcodec_parameters_to_context(r->codec, stream->codecpar);
    if (ret < 0)
        goto av_error;
    ret = avcodec_open2(r->codec, decoder, NULL);
    if (ret < 0)
        goto av_error;
    r->packet = av_packet_alloc();
    r->frame = av_frame_alloc();
    if (!r->packet || !r->frame) {
        ret = AVERROR(ENOMEM);
        goto av_error;
    }
    if (r->codec->width < 1 || r->codec->height < 1) {
        fprintf(stderr, "%s: video stream has no picture size\n", path);
        goto error;
    }
    r->width = width > 0 ? width : r->codec->width;
    r->height = height > 0 ? height : r->codec->height;
    AVRational rate = stream->avg_frame_rate.num > 0 ? stream->avg_frame_rate
                                                     : stream->r_frame_rate;
    if (rate.num <= 0 || rate.den <= 0)
        rate = (AVRational){ 25, 1 };
    av_reduce(&r->fps_num, &r->fps_den, rate.num, rate.den, 1000000);
    return r;

av_error:
    av_strerror(ret, message, sizeof(message));
    fprintf(stderr, "%s: %s\n", path, message);
error:
    video_reader_close(&r);
    return NULL;
}

void video_reader_format(const VideoReader *reader, int *width, int *height, int *fps_num,
                         int *fps_den)
{
    *width = reader->width;
    *height = reader->height;
    *fps_num = reader->fps_num;
    *fps_den = reader->fps_den;
}

int video_reader_set_crop(VideoReader *reader, int x, int y, int width, int height)
{
    int source_width = reader->codec->width, source_height = reader->codec->height;
    if (x < 0 || y < 0 || width < 1 || height < 1 || x > source_width - width ||
        y > source_height - height) {
        fprintf(stderr, "crop %d:%d:%d:%d (W:H:X:Y) does not fit in the %dx%d source\n", width,
                height, x, y, source_width, source_height);
        return -1;
    }
    reader->has_crop = 1;
    reader->crop_x = x;
    reader->crop_y = y;
    reader->crop_width = width;
    reader->crop_height = height;
    return 0;
}

void video_reader_source_size(const VideoReader *reader, int *width, int *height)
{
    *width = reader->codec->width;
    *height = reader->codec->height;
}

double video_reader_seconds(const VideoReader *reader, int64_t pts)
{
    if (pts == AV_NOPTS_VALUE)
        return NAN;
    AVRational time_base = reader->format->streams[reader->stream_index]->time_base;
    return (double)pts * av_q2d(time_base);
}

/* The part of the source to scale: the rectangle of video_reader_set_crop(),
 * else the centred part with the output's aspect ratio, so scaling never
 * stretches a face. Offsets stay multiples of the chroma subsampling so
 * every plane can be cropped by moving its pointer. */
static void crop_to_aspect(const VideoReader *r, const AVFrame *frame, uint8_t *planes[4],
                           int *crop_width, int *crop_height)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(frame->format);
    int align_x = 1 << desc->log2_chroma_w, align_y = 1 << desc->log2_chroma_h;
    int cw = frame->width, ch = frame->height, x0, y0;
    if (r->has_crop && r->crop_x + r->crop_width <= frame->width &&
        r->crop_y + r->crop_height <= frame->height) {
        cw = r->crop_width;
        ch = r->crop_height;
        x0 = r->crop_x / align_x * align_x;
        y0 = r->crop_y / align_y * align_y;
    } else {
        /* No crop asked for, or the stream changed size under it. */
        if ((int64_t)cw * r->height > (int64_t)ch * r->width)
            cw = (int)((int64_t)ch * r->width / r->height);
        else
            ch = (int)((int64_t)cw * r->height / r->width);
        x0 = (frame->width - cw) / 2 / align_x * align_x;
        y0 = (frame->height - ch) / 2 / align_y * align_y;
    }
    for (int i = 0; i < 4; i++)
        planes[i] = frame->data[i];
    /* Each component knows its plane and its byte step within a row. */
    for (int c = 0; c < desc->nb_components; c++) {
        int plane = desc->comp[c].plane;
        if (planes[plane] != frame->data[plane])
            continue; /* this plane was already moved */
        int chroma = desc->nb_components >= 3 && (c == 1 || c == 2);
        int sx = chroma ? x0 >> desc->log2_chroma_w : x0;
        int sy = chroma ? y0 >> desc->log2_chroma_h : y0;
        planes[plane] += (ptrdiff_t)sy * frame->linesize[plane] + (ptrdiff_t)sx * desc->comp[c].step;
    }
    *crop_width = cw;
    *crop_height = ch;
}

static int convert_frame(VideoReader *r, FacetPicture *picture)
{
    uint8_t *source[4];
    int crop_width, crop_height;
    crop_to_aspect(r, r->frame, source, &crop_width, &crop_height);
    r->scaler = sws_getCachedContext(r->scaler, crop_width, crop_height,
                                     r->frame->format, r->width, r->height, AV_PIX_FMT_YUV420P,
                                     SWS_BICUBIC | SWS_ACCURATE_RND, NULL, NULL, NULL);
    if (!r->scaler) {
        fprintf(stderr, "cannot convert %dx%d %s pictures\n", r->frame->width,
                r->frame->height, av_get_pix_fmt_name(r->frame->format));
        return -1;
    }
    if (facet_picture_alloc(picture, FACET_PIXEL_FORMAT_I420, r->width, r->height) < 0) {
        fprintf(stderr, "out of memory\n");
        return -1;
    }
    int strides[4] = { (int)picture->stride[0], (int)picture->stride[1],
                       (int)picture->stride[2], 0 };
    uint8_t *planes[4] = { picture->data[0], picture->data[1], picture->data[2], NULL };
    sws_scale(r->scaler, (const uint8_t *const *)source, r->frame->linesize, 0, crop_height,
              planes, strides);
    picture->pts = r->frame->best_effort_timestamp;
    return 1;
}

int video_reader_read(VideoReader *r, FacetPicture *picture)
{
    int ret;
    for (;;) {
        ret = avcodec_receive_frame(r->codec, r->frame);
        if (ret == 0) {
            ret = convert_frame(r, picture);
            av_frame_unref(r->frame);
            return ret;
        }
        if (ret == AVERROR_EOF)
            return 0;
        if (ret != AVERROR(EAGAIN))
            goto av_error;
        if (r->draining)
            return 0;
        ret = av_read_frame(r->format, r->packet);
        if (ret == AVERROR_EOF) {
            r->draining = 1;
            ret = avcodec_send_packet(r->codec, NULL);
        } else if (ret >= 0) {
            if (r->packet->stream_index == r->stream_index)
                ret = avcodec_send_packet(r->codec, r->packet);
            av_packet_unref(r->packet);
        }
        if (ret < 0)
            goto av_error;
    }

av_error:;
    char message[256];
    av_strerror(ret, message, sizeof(message));
    fprintf(stderr, "video input: %s\n", message);
    return -1;
}
