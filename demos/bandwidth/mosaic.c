/* SPDX-License-Identifier: BSD-2-Clause */
/* Side-by-side video; see mosaic.h. */
#include "mosaic.h"

#include "av_run.h"
#include "facet_run.h"
#include "label_font.h"
#include "progress.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOSAIC_MAX_TILES (1 + CODEC_COUNT)
/* Bits per pixel per second of the side-by-side video: 3 Mbit/s for
 * 1024x280, plenty for it to show the codecs' artefacts, not its own. */
#define MOSAIC_BITS_PER_PIXEL 10

typedef struct Mosaic {
    FacetPicture *frames;
    int count;
    int tile_size, band_height, scale;
} Mosaic;

/* DecodedFrameFn copying each decoded picture into one tile column. */
typedef struct TileSink {
    Mosaic *mosaic;
    int tile;
} TileSink;

static void copy_into_tile(Mosaic *m, int index, int tile, const FacetPicture *picture)
{
    FacetPicture *dst = &m->frames[index];
    for (int plane = 0; plane < 3; plane++) {
        int shift = plane ? 1 : 0;
        int w = m->tile_size >> shift, h = m->tile_size >> shift;
        int x0 = (tile * m->tile_size) >> shift, y0 = m->band_height >> shift;
        for (int y = 0; y < h; y++)
            memcpy(dst->data[plane] + (y0 + y) * dst->stride[plane] + x0,
                   picture->data[plane] + y * picture->stride[plane], (size_t)w);
    }
}

static int tile_frame(void *opaque, int index, const FacetPicture *decoded)
{
    TileSink *sink = opaque;
    if (index < 0 || index >= sink->mosaic->count || decoded->width != sink->mosaic->tile_size ||
        decoded->height != sink->mosaic->tile_size)
        return -1;
    copy_into_tile(sink->mosaic, index, sink->tile, decoded);
    return 0;
}

static void label_tile(Mosaic *m, int tile, const char *first, const char *second)
{
    int width = m->frames[0].width;
    int line = LABEL_FONT_HEIGHT * m->scale + 4 * m->scale;
    int y = (m->band_height - 2 * line + 4 * m->scale) / 2;
    const char *lines[2] = { first, second };
    for (int l = 0; l < 2; l++) {
        int x = tile * m->tile_size + (m->tile_size - label_font_width(lines[l], m->scale)) / 2;
        for (int i = 0; i < m->count; i++)
            label_font_draw(m->frames[i].data[0], m->frames[i].stride[0], width, m->band_height,
                            x, y + l * line, m->scale, lines[l], 235);
    }
}

static void mosaic_free(Mosaic *m)
{
    for (int i = 0; i < m->count; i++)
        facet_picture_unref(&m->frames[i]);
    free(m->frames);
    memset(m, 0, sizeof(*m));
}

static int mosaic_alloc(Mosaic *m, const SourceClip *clip, int tiles)
{
    memset(m, 0, sizeof(*m));
    m->tile_size = clip->size;
    m->scale = clip->size >= 256 ? 2 : 1;
    /* Two lines: what ran, and its rate. */
    m->band_height = (2 * LABEL_FONT_HEIGHT * m->scale + 4 * m->scale + 10 + 1) / 2 * 2;
    m->frames = calloc((size_t)clip->count, sizeof(*m->frames));
    if (!m->frames)
        return -1;
    for (; m->count < clip->count; m->count++) {
        FacetPicture *f = &m->frames[m->count];
        if (facet_picture_alloc(f, FACET_PIXEL_FORMAT_I420, tiles * clip->size,
                                clip->size + m->band_height) < 0)
            return -1;
        /* Black band for the labels, neutral chroma everywhere. */
        memset(f->data[0], 16, (size_t)f->stride[0] * (size_t)f->height);
        memset(f->data[1], 128, (size_t)f->stride[1] * (size_t)((f->height + 1) / 2));
        memset(f->data[2], 128, (size_t)f->stride[2] * (size_t)((f->height + 1) / 2));
        copy_into_tile(m, m->count, 0, &clip->frames[m->count]);
    }
    return 0;
}

/* The run of `codec` (any of its curves: resolutions, Facet modes) at
 * `size` to show at about `kbps`: the best SSIM among those at most 25%
 * above it, else the cheapest one (its label then shows how far above it
 * is). */
static const RunResult *pick_run(const RunResult *results, int count, CodecKind codec, int size,
                                 double kbps)
{
    const RunResult *best = NULL, *cheapest = NULL;
    for (int i = 0; i < count; i++) {
        const RunResult *r = &results[i];
        if (r->config.codec != codec || r->config.size != size || r->kbps <= 0)
            continue;
        if (!cheapest || r->kbps < cheapest->kbps)
            cheapest = r;
        if (r->kbps <= 1.25 * kbps && (!best || r->mean.ssim > best->mean.ssim))
            best = r;
    }
    return best ? best : cheapest;
}

/* "AV1 @128 + Lanczos", "AV1 @512", "Facet keypoints @512". */
static void tile_name(const RunConfig *config, char *name, size_t name_size)
{
    char series[64];
    run_series_name(config, series, sizeof(series));
    if (config->coded_size != config->size)
        snprintf(name, name_size, "%s", series);
    else
        snprintf(name, name_size, "%s @%d", series, config->size);
}

/* Writes frame `index` of the mosaic as an RGB PNG. */
static int write_png(const char *path, const FacetPicture *picture, char *error,
                     size_t error_size)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
    AVCodecContext *encoder = codec ? avcodec_alloc_context3(codec) : NULL;
    AVFrame *frame = av_frame_alloc();
    AVPacket *packet = av_packet_alloc();
    struct SwsContext *convert = NULL;
    FILE *file = NULL;
    int ret = -1, err;
    if (!codec) {
        snprintf(error, error_size, "this FFmpeg build has no PNG encoder");
        goto done;
    }
    if (!encoder || !frame || !packet) {
        snprintf(error, error_size, "out of memory");
        goto done;
    }
    encoder->width = picture->width;
    encoder->height = picture->height;
    encoder->pix_fmt = AV_PIX_FMT_RGB24;
    encoder->time_base = (AVRational){ 1, 25 };
    frame->format = AV_PIX_FMT_RGB24;
    frame->width = picture->width;
    frame->height = picture->height;
    convert = sws_getContext(picture->width, picture->height, AV_PIX_FMT_YUV420P, picture->width,
                             picture->height, AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
    if (!convert) {
        snprintf(error, error_size, "cannot convert the still to RGB");
        goto done;
    }
    if ((err = avcodec_open2(encoder, codec, NULL)) < 0 ||
        (err = av_frame_get_buffer(frame, 0)) < 0)
        goto av_error;
    const int stride[3] = { (int)picture->stride[0], (int)picture->stride[1],
                            (int)picture->stride[2] };
    sws_scale(convert, (const uint8_t *const *)picture->data, stride, 0, picture->height,
              frame->data, frame->linesize);
    if ((err = avcodec_send_frame(encoder, frame)) < 0 ||
        (err = avcodec_receive_packet(encoder, packet)) < 0)
        goto av_error;
    file = fopen(path, "wb");
    if (!file || fwrite(packet->data, 1, (size_t)packet->size, file) != (size_t)packet->size) {
        snprintf(error, error_size, "%s: cannot write", path);
        goto done;
    }
    ret = 0;
    goto done;
av_error:;
    char message[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(err, message, sizeof(message));
    snprintf(error, error_size, "%s: %s", path, message);
done:
    if (file && fclose(file) != 0 && ret == 0) {
        snprintf(error, error_size, "%s: cannot write", path);
        ret = -1;
    }
    sws_freeContext(convert);
    avcodec_free_context(&encoder);
    av_frame_free(&frame);
    av_packet_free(&packet);
    return ret;
}

static int encode_webm(const char *path, Mosaic *m, int fps, char *error, size_t error_size)
{
    AVFormatContext *format = NULL;
    AVCodecContext *encoder = NULL;
    AVFrame *frame = av_frame_alloc();
    AVPacket *packet = av_packet_alloc();
    int ret = -1, err = 0;
    const AVCodec *codec = avcodec_find_encoder_by_name("libvpx");
    if (!codec) {
        snprintf(error, error_size, "this FFmpeg build has no VP8 encoder (libvpx)");
        goto done;
    }
    if (!frame || !packet)
        goto no_memory;
    err = avformat_alloc_output_context2(&format, NULL, "webm", path);
    if (err < 0)
        goto av_error;
    AVStream *stream = avformat_new_stream(format, NULL);
    encoder = avcodec_alloc_context3(codec);
    if (!stream || !encoder)
        goto no_memory;
    encoder->width = m->frames[0].width;
    encoder->height = m->frames[0].height;
    encoder->pix_fmt = AV_PIX_FMT_YUV420P;
    encoder->time_base = (AVRational){ 1, fps };
    encoder->framerate = (AVRational){ fps, 1 };
    encoder->bit_rate = (int64_t)MOSAIC_BITS_PER_PIXEL * encoder->width * encoder->height;
    encoder->gop_size = 2 * fps;
    if (format->oformat->flags & AVFMT_GLOBALHEADER)
        encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    av_opt_set(encoder->priv_data, "deadline", "realtime", 0);
    av_opt_set_int(encoder->priv_data, "cpu-used", 8, 0);
    if ((err = avcodec_open2(encoder, codec, NULL)) < 0 ||
        (err = avcodec_parameters_from_context(stream->codecpar, encoder)) < 0)
        goto av_error;
    stream->time_base = encoder->time_base;
    if ((err = avio_open(&format->pb, path, AVIO_FLAG_WRITE)) < 0 ||
        (err = avformat_write_header(format, NULL)) < 0)
        goto av_error;
    frame->format = AV_PIX_FMT_YUV420P;
    frame->width = encoder->width;
    frame->height = encoder->height;
    if ((err = av_frame_get_buffer(frame, 0)) < 0)
        goto av_error;
    for (int i = 0; i <= m->count; i++) {
        if (i < m->count) {
            if ((err = av_frame_make_writable(frame)) < 0)
                goto av_error;
            for (int plane = 0; plane < 3; plane++) {
                int w = plane ? (frame->width + 1) / 2 : frame->width;
                int h = plane ? (frame->height + 1) / 2 : frame->height;
                for (int y = 0; y < h; y++)
                    memcpy(frame->data[plane] + y * frame->linesize[plane],
                           m->frames[i].data[plane] + y * m->frames[i].stride[plane], (size_t)w);
            }
            frame->pts = i;
        }
        if ((err = avcodec_send_frame(encoder, i < m->count ? frame : NULL)) < 0)
            goto av_error;
        while ((err = avcodec_receive_packet(encoder, packet)) == 0) {
            av_packet_rescale_ts(packet, encoder->time_base, stream->time_base);
            packet->stream_index = stream->index;
            if ((err = av_interleaved_write_frame(format, packet)) < 0)
                goto av_error;
        }
        if (err != AVERROR(EAGAIN) && err != AVERROR_EOF)
            goto av_error;
    }
    if ((err = av_write_trailer(format)) < 0)
        goto av_error;
    ret = 0;
    goto done;
no_memory:
    snprintf(error, error_size, "out of memory");
    goto done;
av_error:;
    char message[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(err, message, sizeof(message));
    snprintf(error, error_size, "%s: %s", path, message);
done:
    if (format && format->pb)
        avio_closep(&format->pb);
    avformat_free_context(format);
    avcodec_free_context(&encoder);
    av_frame_free(&frame);
    av_packet_free(&packet);
    return ret;
}

int mosaic_make(const char *dir, const SourceClip *clip, const RunResult *results, int count,
                double near_kbps, const FacetModels *models, int threads, MosaicFiles *files,
                char *error, size_t error_size)
{
    const RunResult *picks[MOSAIC_MAX_TILES] = { NULL };
    int tiles = 1; /* tile 0: the source */
    for (int codec = 0; codec < CODEC_COUNT; codec++) {
        const RunResult *r = pick_run(results, count, codec, clip->size, near_kbps);
        if (r)
            picks[tiles++] = r;
    }
    if (tiles < 2) {
        snprintf(error, error_size, "no run at %dx%d", clip->size, clip->size);
        return -1;
    }
    Mosaic m;
    if (mosaic_alloc(&m, clip, tiles) < 0) {
        mosaic_free(&m);
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    char text[192];
    snprintf(text, sizeof(text), "SOURCE @%d", clip->size);
    label_tile(&m, 0, text, "");
    int used = snprintf(files->caption, sizeof(files->caption), "%dx%d, about %g kbit/s: source",
                        clip->size, clip->size, near_kbps);
    for (int t = 1; t < tiles; t++) {
        RunResult rerun;
        const RunConfig *config = &picks[t]->config;
        if (run_result_init(&rerun, config, clip->count) < 0) {
            snprintf(error, error_size, "out of memory");
            mosaic_free(&m);
            return -1;
        }
        char name[96];
        tile_name(config, name, sizeof(name));
        snprintf(text, sizeof(text), "pictures at %dx%d, %g kbit/s: %s again", clip->size,
                 clip->size, near_kbps, name);
        progress_start(t, tiles - 1, text);
        TileSink sink = { .mosaic = &m, .tile = t };
        int ret = config->codec == CODEC_FACET
                      ? facet_run(clip, config, models, threads, &rerun, tile_frame, &sink)
                      : av_run(clip, config, threads, &rerun, tile_frame, &sink);
        if (ret < 0) {
            run_result_free(&rerun);
            mosaic_free(&m);
            snprintf(error, error_size, "%s could not be coded again", name);
            return -1;
        }
        run_result_finish(&rerun, clip->fps);
        snprintf(text, sizeof(text), "%.1f KBIT/S", rerun.kbps);
        label_tile(&m, t, name, text);
        snprintf(text, sizeof(text), "%.1f kbit/s", rerun.kbps);
        progress_finish(text);
        char peak[48] = "";
        if (!isnan(rerun.peak_kbps))
            snprintf(peak, sizeof(peak), ", peak %.1f", rerun.peak_kbps);
        if (used >= 0 && (size_t)used < sizeof(files->caption))
            used += snprintf(files->caption + used, sizeof(files->caption) - (size_t)used,
                             " | %s, %s (%.1f kbit/s%s, SSIM %.3f)", name, rerun.setting,
                             rerun.kbps, peak, picks[t]->mean.ssim);
        run_result_free(&rerun);
    }
    snprintf(files->video, sizeof(files->video), "mosaic-%d-%g.webm", clip->size, near_kbps);
    snprintf(files->still, sizeof(files->still), "still-%d-%g.png", clip->size, near_kbps);
    files->still_frame = m.count / 2;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, files->still);
    int ret = write_png(path, &m.frames[files->still_frame], error, error_size);
    snprintf(path, sizeof(path), "%s/%s", dir, files->video);
    if (ret == 0)
        ret = encode_webm(path, &m, clip->fps, error, error_size);
    mosaic_free(&m);
    return ret;
}
