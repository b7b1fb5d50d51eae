/* SPDX-License-Identifier: BSD-2-Clause */
/* Conventional codecs through libavcodec; see av_run.h. */
#include "av_run.h"

#include "frame_delivery.h"
#include "progress.h"
#include "wire_bytes.h"

#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Encoders tried in order for each codec, with the options that make them
 * behave as in a video call: no lookahead, no B-frames, fast presets.
 * libvpx's cpu-used is negative: a fixed speed 8 (a positive value lets it
 * adapt its speed to the time encoding takes, so rates would change from
 * run to run). */
typedef struct EncoderChoice {
    CodecKind codec;
    const char *name;
    const char *options;       /* key=value pairs separated by ':' */
    int floor_crf;             /* its coarsest quantiser, for the floor run */
    const char *floor_options; /* what makes a run constant-quality at that quantiser */
    const char *floor_setting; /* the floor run's setting, for tables */
} EncoderChoice;

/* The floor runs show the lowest rate each codec reaches: libaom's
 * real-time rate control stays well above a low target (21.7 kbit/s
 * against 17.7 at crf 63 on a talking head at 512x512), so AV1 and x264
 * run in constant-quality mode at their coarsest quantiser. libvpx's VP8
 * in its constant-quality mode starts from a 256 kbit/s cap and lands
 * higher than at a 1 kbit/s target, where it already sits at quantiser
 * 63: its floor is that target with the quantiser pinned. */
static const EncoderChoice encoder_choices[] = {
    { CODEC_X264, "libx264", "preset=veryfast:tune=zerolatency", 51, "crf=51", "floor: crf 51" },
    { CODEC_VP8, "libvpx", "deadline=realtime:cpu-used=-8:lag-in-frames=0", 63,
      "qmin=63:qmax=63", "floor: quantiser 63 at 1 kbit/s" },
    { CODEC_AV1, "libaom-av1", "usage=realtime:cpu-used=8:lag-in-frames=0:row-mt=1", 63,
      "crf=63", "floor: crf 63" },
    { CODEC_AV1, "libsvtav1", "preset=10", 63, "crf=63", "floor: crf 63" },
};

/* FACET_BANDWIDTH_HIDE_ENCODERS=name,name... makes the program behave as
 * on an FFmpeg build without those encoders, so the tests can check that
 * path on a full build. */
static int hidden(const char *name)
{
    const char *list = getenv("FACET_BANDWIDTH_HIDE_ENCODERS");
    size_t length = strlen(name);
    for (const char *p = list; p && *p; p += strcspn(p, ","), p += *p == ',') {
        if (strncmp(p, name, length) == 0 && (p[length] == ',' || p[length] == '\0'))
            return 1;
    }
    return 0;
}

static const EncoderChoice *find_choice(CodecKind codec)
{
    for (size_t i = 0; i < sizeof(encoder_choices) / sizeof(encoder_choices[0]); i++)
        if (encoder_choices[i].codec == codec && !hidden(encoder_choices[i].name) &&
            avcodec_find_encoder_by_name(encoder_choices[i].name))
            return &encoder_choices[i];
    return NULL;
}

const char *av_run_encoder_name(CodecKind codec)
{
    const EncoderChoice *choice = find_choice(codec);
    return choice ? choice->name : NULL;
}

int av_run_floor_crf(CodecKind codec)
{
    const EncoderChoice *choice = find_choice(codec);
    return choice ? choice->floor_crf : -1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void print_av_error(const char *what, int error)
{
    char message[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(error, message, sizeof(message));
    progress_break();
    fprintf(stderr, "%s: %s\n", what, message);
}

typedef struct AvRun {
    const SourceClip *clip;
    RunResult *result;
    AVCodecContext *encoder, *decoder;
    AVFrame *input, *decoded;
    AVPacket *packet;
    FrameDelivery delivery;
    int frames_sent;
    /* Downscaled anchors: the sender scales S to the coded size by area
     * averaging, the receiver scales the decoded picture back with Lanczos
     * (what a WebRTC call does when its bandwidth drops). */
    struct SwsContext *downscale, *upscale;
    FacetPicture upscaled;
    WireFraming framing; /* what of a packet a call would not send */
} AvRun;

/* Decodes one packet (NULL: drain) and delivers what comes out. */
static int decode_packet(AvRun *run, const AVPacket *packet)
{
    double start = now_ms();
    int ret = avcodec_send_packet(run->decoder, packet);
    if (ret < 0 && ret != AVERROR_EOF) {
        /* A receiver would show the previous picture; so does the delivery. */
        print_av_error("decoder rejected a packet", ret);
        return 0;
    }
    for (;;) {
        ret = avcodec_receive_frame(run->decoder, run->decoded);
        run->result->decode_ms += now_ms() - start;
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0) {
            print_av_error("decoder", ret);
            return 0;
        }
        if (run->decoded->format != AV_PIX_FMT_YUV420P) {
            progress_break();
            fprintf(stderr, "decoder gave %s pictures, not yuv420p\n",
                    av_get_pix_fmt_name(run->decoded->format));
            av_frame_unref(run->decoded);
            return -1;
        }
        int64_t pts = run->decoded->best_effort_timestamp;
        if (pts == AV_NOPTS_VALUE)
            pts = run->delivery.next;
        FacetPicture picture = {
            .format = FACET_PIXEL_FORMAT_I420,
            .width = run->decoded->width,
            .height = run->decoded->height,
            .data = { run->decoded->data[0], run->decoded->data[1], run->decoded->data[2] },
            .stride = { run->decoded->linesize[0], run->decoded->linesize[1],
                        run->decoded->linesize[2] },
        };
        if (run->upscale) {
            if (picture.width != run->result->config.coded_size ||
                picture.height != run->result->config.coded_size) {
                progress_break();
                fprintf(stderr, "decoder gave %dx%d pictures, not %dx%d\n", picture.width,
                        picture.height, run->result->config.coded_size,
                        run->result->config.coded_size);
                av_frame_unref(run->decoded);
                return -1;
            }
            const int source_stride[3] = { (int)picture.stride[0], (int)picture.stride[1],
                                           (int)picture.stride[2] };
            const int target_stride[3] = { (int)run->upscaled.stride[0],
                                           (int)run->upscaled.stride[1],
                                           (int)run->upscaled.stride[2] };
            sws_scale(run->upscale, (const uint8_t *const *)picture.data, source_stride, 0,
                      picture.height, run->upscaled.data, target_stride);
            picture = run->upscaled;
        }
        ret = frame_delivery_push(&run->delivery, pts < 0 || pts > INT32_MAX ? -1 : (int)pts,
                                  &picture);
        av_frame_unref(run->decoded);
        if (ret < 0)
            return -1;
        start = now_ms();
    }
}

/* Sends one source frame (NULL: flush) and moves every packet out to the
 * decoder, counting its bytes against the frame it codes. */
static int encode_frame(AvRun *run, const AVFrame *frame)
{
    double start = now_ms();
    int ret = avcodec_send_frame(run->encoder, frame);
    if (ret < 0) {
        print_av_error("encoder", ret);
        return -1;
    }
    for (;;) {
        ret = avcodec_receive_packet(run->encoder, run->packet);
        run->result->encode_ms += now_ms() - start;
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0) {
            print_av_error("encoder", ret);
            return -1;
        }
        int64_t index = run->packet->pts;
        if (index < 0 || index >= run->result->frames)
            index = run->frames_sent > 0 ? run->frames_sent - 1 : 0;
        run->result->frame_bytes[index] +=
            (uint32_t)wire_bytes(run->framing, run->packet->data, (size_t)run->packet->size);
        ret = decode_packet(run, run->packet);
        av_packet_unref(run->packet);
        if (ret < 0)
            return -1;
        start = now_ms();
    }
}

static int fill_input(AvRun *run, const FacetPicture *source, int index)
{
    int ret = av_frame_make_writable(run->input);
    if (ret < 0) {
        print_av_error("frame", ret);
        return -1;
    }
    run->input->pts = index;
    if (run->downscale) {
        const int stride[3] = { (int)source->stride[0], (int)source->stride[1],
                                (int)source->stride[2] };
        sws_scale(run->downscale, (const uint8_t *const *)source->data, stride, 0,
                  source->height, run->input->data, run->input->linesize);
        return 0;
    }
    for (int plane = 0; plane < 3; plane++) {
        int w = plane ? (source->width + 1) / 2 : source->width;
        int h = plane ? (source->height + 1) / 2 : source->height;
        for (int y = 0; y < h; y++)
            memcpy(run->input->data[plane] + y * run->input->linesize[plane],
                   source->data[plane] + y * source->stride[plane], (size_t)w);
    }
    return 0;
}

static AVCodecContext *open_encoder(const EncoderChoice *choice, const SourceClip *clip,
                                    const RunConfig *config, int threads)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(choice->name);
    AVCodecContext *context = codec ? avcodec_alloc_context3(codec) : NULL;
    AVDictionary *options = NULL;
    if (!context)
        return NULL;
    context->width = config->coded_size;
    context->height = config->coded_size;
    context->pix_fmt = AV_PIX_FMT_YUV420P;
    context->time_base = (AVRational){ 1, clip->fps };
    context->framerate = (AVRational){ clip->fps, 1 };
    /* A floor run of VP8 keeps a 1 kbit/s target under its pinned
     * quantiser; the others are constant-quality without one. */
    if (config->crf < 0)
        context->bit_rate = (int64_t)(config->target_kbps * 1000.0 + 0.5);
    else if (config->codec == CODEC_VP8)
        context->bit_rate = 1000;
    context->gop_size = AV_RUN_KEYFRAME_SECONDS * clip->fps;
    context->max_b_frames = 0;
    /* One thread unless asked: as fast as needed at these sizes, and the
     * rates do not depend on the machine's core count. */
    context->thread_count = threads > 0 ? threads : 1;
    int ret = av_dict_parse_string(&options, choice->options, "=", ":", 0);
    if (ret >= 0 && config->crf >= 0)
        ret = av_dict_parse_string(&options, choice->floor_options, "=", ":", 0);
    if (ret >= 0)
        ret = avcodec_open2(context, codec, &options);
    av_dict_free(&options);
    if (ret < 0) {
        print_av_error(choice->name, ret);
        avcodec_free_context(&context);
    }
    return context;
}

int av_run(const SourceClip *clip, const RunConfig *config, int threads, RunResult *result,
           DecodedFrameFn sink, void *opaque)
{
    const EncoderChoice *choice = find_choice(config->codec);
    if (!choice) {
        progress_break();
        fprintf(stderr, "this FFmpeg build has no %s encoder\n", codec_kind_name(config->codec));
        return -1;
    }
    snprintf(result->encoder, sizeof(result->encoder), "%s", choice->name);
    if (config->crf >= 0)
        snprintf(result->setting, sizeof(result->setting), "%s", choice->floor_setting);
    else
        snprintf(result->setting, sizeof(result->setting), "target %g kbit/s",
                 config->target_kbps);

    AvRun run = { .clip = clip, .result = result,
                  .framing = config->codec == CODEC_AV1    ? WIRE_FRAMING_AV1
                             : config->codec == CODEC_X264 ? WIRE_FRAMING_ANNEX_B
                                                           : WIRE_FRAMING_NONE };
    frame_delivery_init(&run.delivery, sink, opaque, clip->count);
    int ret = -1;
    run.encoder = open_encoder(choice, clip, config, threads);
    if (!run.encoder)
        goto done;
    const AVCodec *decoder = avcodec_find_decoder(run.encoder->codec_id);
    if (!decoder) {
        fprintf(stderr, "this FFmpeg build has no %s decoder\n", codec_kind_name(config->codec));
        goto done;
    }
    run.decoder = avcodec_alloc_context3(decoder);
    run.input = av_frame_alloc();
    run.decoded = av_frame_alloc();
    run.packet = av_packet_alloc();
    if (!run.decoder || !run.input || !run.decoded || !run.packet) {
        fprintf(stderr, "out of memory\n");
        goto done;
    }
    run.decoder->thread_count = 1; /* frame threads would only add delay here */
    int err = avcodec_open2(run.decoder, decoder, NULL);
    if (err < 0) {
        print_av_error(decoder->name, err);
        goto done;
    }
    if (config->coded_size != clip->size) {
        run.downscale = sws_getContext(clip->size, clip->size, AV_PIX_FMT_YUV420P,
                                       config->coded_size, config->coded_size,
                                       AV_PIX_FMT_YUV420P, SWS_AREA, NULL, NULL, NULL);
        run.upscale = sws_getContext(config->coded_size, config->coded_size, AV_PIX_FMT_YUV420P,
                                     clip->size, clip->size, AV_PIX_FMT_YUV420P, SWS_LANCZOS,
                                     NULL, NULL, NULL);
        if (!run.downscale || !run.upscale ||
            facet_picture_alloc(&run.upscaled, FACET_PIXEL_FORMAT_I420, clip->size,
                                clip->size) < 0) {
            fprintf(stderr, "cannot scale %dx%d to %dx%d\n", clip->size, clip->size,
                    config->coded_size, config->coded_size);
            goto done;
        }
    }
    run.input->format = AV_PIX_FMT_YUV420P;
    run.input->width = config->coded_size;
    run.input->height = config->coded_size;
    err = av_frame_get_buffer(run.input, 0);
    if (err < 0) {
        print_av_error("frame", err);
        goto done;
    }
    for (int i = 0; i < clip->count; i++) {
        if (fill_input(&run, &clip->frames[i], i) < 0)
            goto done;
        run.frames_sent = i + 1;
        if (encode_frame(&run, run.input) < 0)
            goto done;
        progress_frame(i + 1, clip->count);
    }
    if (encode_frame(&run, NULL) < 0 || decode_packet(&run, NULL) < 0)
        goto done;
    if (frame_delivery_finish(&run.delivery) < 0) {
        progress_break();
        fprintf(stderr, "%s: no frame could be decoded\n", choice->name);
        goto done;
    }
    result->encode_ms /= clip->count;
    result->decode_ms /= clip->count;
    ret = 0;
done:
    sws_freeContext(run.downscale);
    sws_freeContext(run.upscale);
    facet_picture_unref(&run.upscaled);
    frame_delivery_free(&run.delivery);
    av_packet_free(&run.packet);
    av_frame_free(&run.decoded);
    av_frame_free(&run.input);
    avcodec_free_context(&run.decoder);
    avcodec_free_context(&run.encoder);
    return ret;
}
