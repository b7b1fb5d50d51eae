/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `facet bench`: how fast Facet runs on this machine, and what it spends.
 *
 *   facet bench [--mode keypoints] [--backend cpu|vulkan] [--device D]
 *               [--model PATH] [--size S] [--frames N] [--threads N]
 *               [--stream-size WxH] [--input CLIP]
 *   facet bench --mode latent ...   the latent tier: bench_latent.c
 *
 * Three parts:
 *  - the network's stages at S x S, called directly (keypoint detector,
 *    reference encoder, renderer) through render/backend.h, the interface
 *    the decoder uses: the CPU kernels or the Vulkan renderer (the keypoint
 *    detector, a sender-side network, runs on the CPU kernels). The Vulkan
 *    back end also reports
 *    each op's GPU time per frame, from timestamp queries;
 *  - the codec through the public API: a real encode of N frames of the
 *    clip at the stream size, then a decode of that stream, timed per
 *    packet. A delta frame's decode is everything a receiver does per
 *    frame: keypoint decoding, the renderer and the conversion of its
 *    S x S RGB output to the stream's I420 picture. The packets' sizes
 *    give the bytes per delta frame and per keyframe;
 *  - FLOPs per frame, counted from the convolutions' shapes.
 *
 * Timings are wall-clock time around one call, in milliseconds, reported as
 * the median and the extremes over N calls, after WARMUP calls that are not
 * counted. The median is the figure to quote: on a shared machine single
 * calls are sometimes much slower (max).
 */
#define _GNU_SOURCE
#include "bench.h"
#include "bench_common.h"
#include "bench_latent.h"

#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec/frame_tensor.h"
#include "codec/model_path.h"
#include "facet/facet.h"
#include "keypoints/detector.h"
#include "keypoints/keypoint_coding.h"
#include "render/backend.h"
#include "render/network.h"
#include "render/thread_pool.h"
#include "video_reader.h"

typedef struct BenchOptions {
    FacetRenderBackendKind backend; /* CPU or VULKAN */
    const char *device;      /* Vulkan device selector; NULL: the default */
    const char *model_path;  /* NULL: as the codec resolves it */
    int size;                /* S of the stage timings; 0: the model's */
    int frames;              /* N */
    int threads;             /* 0: one per CPU */
    int stream_width, stream_height; /* 0: S x S */
    const char *input;       /* NULL: DEFAULT_INPUT if present, else synthetic */
} BenchOptions;

/* ---- per-op times ------------------------------------------------------- */

/* Time per op kind summed over the timed frames (labels are the back end's
 * string constants: "conv2d", "grid_sample", ...). */
#define MAX_OP_KINDS 32
typedef struct OpTimes {
    int kinds;
    const char *label[MAX_OP_KINDS];
    double ms[MAX_OP_KINDS];
    long calls[MAX_OP_KINDS];
    int frames;
} OpTimes;

static void op_times_add(OpTimes *t, const char *label, double ms)
{
    int i = 0;
    while (i < t->kinds && strcmp(t->label[i], label) != 0)
        i++;
    if (i == t->kinds) {
        if (t->kinds == MAX_OP_KINDS)
            return;
        t->label[t->kinds++] = label;
    }
    t->ms[i] += ms;
    t->calls[i]++;
}

/* ---- the stages ------------------------------------------------------------ */

/* The network's stages: the keypoint detector (a sender-side network, on
 * the CPU kernels) and the renderer on the back end asked for, through the
 * interface the decoder uses (render/backend.h). Every call returns when
 * its result is in the caller's tensor or keypoint set, so the time around
 * a call is the stage's latency; tensors are host memory, and moving them
 * is part of a back end's cost. */
typedef struct Stages {
    FacetThreadPool *pool;
    FacetKeypointDetector *detector;
    FacetRenderBackend *renderer;
} Stages;

static void stages_close(Stages *st)
{
    facet_render_backend_close(&st->renderer);
    facet_keypoint_detector_destroy(&st->detector);
    facet_thread_pool_destroy(&st->pool);
}

static void log_stage(void *opaque, const char *message)
{
    (void)opaque;
    fprintf(stderr, "facet bench: %s\n", message);
}

static int stages_open(Stages *st, const BenchOptions *o, const FacetNetwork *net, int size)
{
    memset(st, 0, sizeof(*st));
    int ret = facet_thread_pool_create(&st->pool, o->threads);
    if (ret == 0)
        ret = facet_keypoint_detector_create(&st->detector, net, size, st->pool, 0);
    FacetRenderBackendSettings rs = {
        .kind = o->backend,
        .device = o->device,
        .pool = st->pool,
        .log = log_stage,
    };
    if (ret == 0)
        ret = facet_render_backend_open(&st->renderer, net, &rs);
    if (ret < 0)
        stages_close(st);
    return ret;
}

/* One line saying what runs: kernels, threads, device. */
static void stages_describe(const Stages *st, char *text, size_t text_size)
{
    char renderer[256];
    facet_render_backend_describe(st->renderer, renderer, sizeof(renderer));
    int threads = facet_thread_pool_threads(st->pool);
    snprintf(text, text_size, "renderer %s; detector on %s kernels, %d thread%s", renderer,
             facet_render_ops_isa(), threads, threads == 1 ? "" : "s");
}

/* Adds each op's device time in the last frame to `ops` (nothing when the
 * back end does not time its ops). */
static void stages_add_op_times(const Stages *st, OpTimes *ops)
{
    int n = facet_render_backend_op_count(st->renderer);
    if (n == 0)
        return;
    for (int i = 0; i < n; i++)
        op_times_add(ops, facet_render_backend_op_label(st->renderer, i),
                     facet_render_backend_op_ms(st->renderer, i));
    ops->frames++;
}

/* ---- FLOPs ----------------------------------------------------------------- */

/* 2 k^2 in out Ho Wo: a multiply and an add per weight and output pixel (the
 * bias and the activation are not counted). Square inputs of side `in`. */
static double conv_flops(const FacetConv2d *conv, int in)
{
    double out = (double)facet_conv2d_output_size(conv, in);
    return 2.0 * conv->k * conv->k * (double)conv->in_c * (double)conv->out_c * out * out;
}

static double hourglass_flops(const FacetHourglass *hg, int size)
{
    double flops = conv_flops(&hg->down[0], size);
    for (int i = 1; i < hg->levels; i++)
        flops += conv_flops(&hg->down[i], size >> (i - 1));
    for (int j = 0; j + 1 < hg->levels; j++)
        flops += conv_flops(&hg->up[j], size >> (hg->levels - 2 - j));
    return flops;
}

typedef struct NetworkFlops {
    double detector, encoder, dense_motion, decoder;
} NetworkFlops;

/* The convolutions of each sub-network at S, laid out as docs/model.md's
 * layer table (detector and dense motion at S/4). */
static NetworkFlops count_flops(const FacetNetwork *net, int s)
{
    NetworkFlops f;
    f.detector = hourglass_flops(&net->detector.hourglass, s / 4) +
                 conv_flops(&net->detector.heatmap, s / 4) +
                 conv_flops(&net->detector.jacobian, s / 4);
    f.encoder = conv_flops(&net->encoder.e0, s) + conv_flops(&net->encoder.e1, s) +
                conv_flops(&net->encoder.e2, s / 2) + conv_flops(&net->encoder.e3, s / 4) +
                conv_flops(&net->encoder.p0, s) + conv_flops(&net->encoder.p1, s / 2) +
                conv_flops(&net->encoder.p2, s / 4);
    f.dense_motion = hourglass_flops(&net->dense_motion.hourglass, s / 4) +
                     conv_flops(&net->dense_motion.heads, s / 4);
    f.decoder = 0.0;
    for (int i = 0; i < net->config.num_res; i++)
        f.decoder += conv_flops(&net->decoder.res_a[i], s / 4) +
                     conv_flops(&net->decoder.res_b[i], s / 4);
    f.decoder += conv_flops(&net->decoder.up1, s / 2) + conv_flops(&net->decoder.up0, s) +
                 conv_flops(&net->decoder.out, s);
    return f;
}

/* ---- the network's stages -------------------------------------------------- */

typedef struct StageResults {
    Samples detect, keyframe, render;
    OpTimes ops;                 /* the renderer's, when the back end times them */
    char backend[320];
} StageResults;

/* Times detector, reference encoder and renderer on WARMUP + N frames of
 * `src` (at S x S). The renderer gets the detector's keypoints after the
 * bitstream's quantisation, against the first frame as keyframe. */
static int run_stages(const BenchOptions *o, const FacetNetwork *net, int size, int frames,
                      FrameSource *src, StageResults *out)
{
    int total = WARMUP + frames;
    Stages st = { 0 };
    FacetPicture *pictures = calloc((size_t)total, sizeof(*pictures));
    FacetKeypointSet *keypoints = calloc((size_t)total, sizeof(*keypoints));
    FacetFrameTensorConverter converter = { 0 };
    FacetTensor rgb = { 0 }, rendered = { 0 };
    const char *stage = "keypoint detector";
    int status = -1, ret;
    if (!pictures || !keypoints || facet_tensor_alloc(&rgb, 3, size, size) < 0 ||
        facet_tensor_alloc(&rendered, 3, size, size) < 0) {
        fprintf(stderr, "facet bench: out of memory\n");
        goto done;
    }
    for (int i = 0; i < total; i++)
        if (frame_source_read(src, &pictures[i]) < 0)
            goto done;

    ret = stages_open(&st, o, net, size);
    if (ret < 0) {
        fprintf(stderr, "facet bench: cannot set up the %s back end at %d: %s\n",
                o->backend == FACET_RENDER_BACKEND_VULKAN ? "vulkan" : "cpu", size,
                facet_strerror(ret));
        goto done;
    }
    stages_describe(&st, out->backend, sizeof(out->backend));

    for (int i = 0; i < total; i++) {
        ret = facet_frame_to_tensor(&converter, &pictures[i], &rgb);
        if (ret < 0)
            goto failed;
        FacetKeypointSet detected;
        double start = bench_now_ms();
        ret = facet_keypoint_detector_run(st.detector, &rgb, &detected);
        double elapsed = bench_now_ms() - start;
        if (ret < 0)
            goto failed;
        if (i >= WARMUP)
            samples_add(&out->detect, elapsed);
        FacetQuantKeypoints quantized;
        ret = facet_keypoints_quantize(&detected, &quantized);
        if (ret < 0)
            goto failed;
        facet_keypoints_dequantize(&quantized, &keypoints[i]);
    }

    stage = "reference encoder";
    for (int i = 0; i < total; i++) {
        ret = facet_frame_to_tensor(&converter, &pictures[i], &rgb);
        if (ret < 0)
            goto failed;
        double start = bench_now_ms();
        ret = facet_render_backend_set_reference(st.renderer, &rgb, &keypoints[i], NULL);
        double elapsed = bench_now_ms() - start;
        if (ret < 0)
            goto failed;
        if (i >= WARMUP)
            samples_add(&out->keyframe, elapsed);
    }

    stage = "renderer";
    ret = facet_frame_to_tensor(&converter, &pictures[0], &rgb);
    if (ret == 0)
        ret = facet_render_backend_set_reference(st.renderer, &rgb, &keypoints[0], NULL);
    if (ret < 0)
        goto failed;
    for (int i = 0; i < total; i++) {
        double start = bench_now_ms();
        ret = facet_render_backend_render(st.renderer, &keypoints[i], &rendered);
        double elapsed = bench_now_ms() - start;
        if (ret < 0)
            goto failed;
        if (i >= WARMUP) {
            samples_add(&out->render, elapsed);
            stages_add_op_times(&st, &out->ops);
        }
    }
    status = 0;
    goto done;

failed:
    fprintf(stderr, "facet bench: %s failed: %s\n", stage, facet_strerror(ret));
done:
    stages_close(&st);
    if (pictures)
        for (int i = 0; i < total; i++)
            facet_picture_unref(&pictures[i]);
    free(pictures);
    free(keypoints);
    facet_frame_tensor_converter_free(&converter);
    facet_tensor_free(&rgb);
    facet_tensor_free(&rendered);
    return status;
}

/* ---- the codec through the public API ------------------------------------ */

typedef struct CodecResults {
    int fps_num, fps_den;
    int keyframe_quality;
    double keyframe_interval;
    int model_size;
    long frames, keyframes;
    FacetPacket *packets;        /* the stream, in order */
    Samples delta_bytes, keyframe_bytes;
    Samples encode_delta, encode_keyframe, decode_delta, decode_keyframe;
} CodecResults;

static void codec_results_free(CodecResults *r)
{
    if (r->packets)
        for (long i = 0; i < r->frames; i++)
            facet_packet_unref(&r->packets[i]);
    free(r->packets);
    samples_free(&r->delta_bytes);
    samples_free(&r->keyframe_bytes);
    samples_free(&r->encode_delta);
    samples_free(&r->encode_keyframe);
    samples_free(&r->decode_delta);
    samples_free(&r->decode_keyframe);
}

static int codec_results_init(CodecResults *r, int frames)
{
    memset(r, 0, sizeof(*r));
    r->packets = calloc((size_t)frames, sizeof(*r->packets));
    if (!r->packets || samples_init(&r->delta_bytes, frames) < 0 ||
        samples_init(&r->keyframe_bytes, frames) < 0 ||
        samples_init(&r->encode_delta, frames) < 0 ||
        samples_init(&r->encode_keyframe, frames) < 0 ||
        samples_init(&r->decode_delta, frames) < 0 ||
        samples_init(&r->decode_keyframe, frames) < 0) {
        codec_results_free(r);
        return -1;
    }
    return 0;
}

/* Encodes `frames` frames of `src` with the encoder's default settings
 * (keyframe interval and quality) and keeps every packet. The first WARMUP
 * packets are not timed. */
static int encode_stream(const BenchOptions *o, const char *model_path, FrameSource *src,
                         int frames, CodecResults *r)
{
    FacetEncoderSettings settings;
    facet_encoder_default_settings(&settings);
    settings.width = src->width;
    settings.height = src->height;
    settings.fps_num = src->fps_num;
    settings.fps_den = src->fps_den;
    settings.threads = o->threads;
    settings.model_path = model_path;
    r->fps_num = settings.fps_num;
    r->fps_den = settings.fps_den;
    r->keyframe_quality = settings.keyframe_quality;
    r->keyframe_interval = settings.keyframe_interval;

    FacetEncoder *encoder = NULL;
    int ret = facet_encoder_open(&encoder, &settings);
    if (ret < 0) {
        fprintf(stderr, "facet bench: cannot open the encoder: %s\n", facet_strerror(ret));
        return -1;
    }
    int status = -1;
    for (long i = 0; i < frames; i++) {
        FacetPicture picture;
        if (frame_source_read(src, &picture) < 0)
            goto done;
        picture.pts = i;
        FacetPacket *packet = &r->packets[i];
        double start = bench_now_ms();
        ret = facet_encoder_send_frame(encoder, &picture);
        if (ret == 0)
            ret = facet_encoder_receive_packet(encoder, packet);
        double elapsed = bench_now_ms() - start;
        facet_picture_unref(&picture);
        if (ret < 0) {
            fprintf(stderr, "facet bench: encoding frame %ld failed: %s\n", i,
                    facet_strerror(ret));
            goto done;
        }
        r->frames = i + 1;
        int keyframe = (packet->flags & FACET_PACKET_FLAG_KEYFRAME) != 0;
        r->keyframes += keyframe;
        samples_add(keyframe ? &r->keyframe_bytes : &r->delta_bytes, (double)packet->size);
        if (i >= WARMUP)
            samples_add(keyframe ? &r->encode_keyframe : &r->encode_delta, elapsed);
    }
    status = 0;
done:
    facet_encoder_close(&encoder);
    return status;
}

static int decode_packet(FacetDecoder *decoder, const FacetPacket *packet, double *elapsed)
{
    FacetPicture picture;
    double start = bench_now_ms();
    int ret = facet_decoder_send_packet(decoder, packet);
    if (ret == 0)
        ret = facet_decoder_receive_frame(decoder, &picture);
    *elapsed = bench_now_ms() - start;
    if (ret == 0)
        facet_picture_unref(&picture);
    return ret;
}

/* Decodes the stream once: the first WARMUP packets untimed, then, after a
 * flush, every packet timed. */
static int decode_stream(const BenchOptions *o, const char *model_path, CodecResults *r)
{
    FacetDecoderSettings settings;
    facet_decoder_default_settings(&settings);
    settings.threads = o->threads;
    settings.model_path = model_path;
    settings.backend = (FacetBackend)o->backend;
    settings.device = o->device;
    FacetDecoder *decoder = NULL;
    int ret = facet_decoder_open(&decoder, &settings);
    if (ret < 0) {
        fprintf(stderr, "facet bench: cannot open the decoder: %s\n", facet_strerror(ret));
        return -1;
    }
    int status = -1;
    double elapsed;
    for (long i = 0; i < r->frames && i < WARMUP; i++) {
        ret = decode_packet(decoder, &r->packets[i], &elapsed);
        if (ret < 0)
            goto failed;
    }
    FacetStreamInfo info;
    if (facet_decoder_get_stream_info(decoder, &info) == 0)
        r->model_size = info.model_size;
    facet_decoder_flush(decoder);
    for (long i = 0; i < r->frames; i++) {
        ret = decode_packet(decoder, &r->packets[i], &elapsed);
        if (ret < 0)
            goto failed;
        int keyframe = (r->packets[i].flags & FACET_PACKET_FLAG_KEYFRAME) != 0;
        samples_add(keyframe ? &r->decode_keyframe : &r->decode_delta, elapsed);
    }
    status = 0;
    goto done;
failed:
    fprintf(stderr, "facet bench: decoding failed: %s\n", facet_strerror(ret));
done:
    facet_decoder_close(&decoder);
    return status;
}

/* ---- report --------------------------------------------------------------- */

static void print_bytes(const char *label, Samples *samples)
{
    Summary s = samples_summary(samples);
    if (s.count == 0) {
        printf("  %-14s none\n", label);
        return;
    }
    printf("  %-14s %5d packets: mean %.1f, median %.1f, min %.0f, max %.0f bytes\n", label,
           s.count, s.mean, s.median, s.min, s.max);
}

/* ---- the command ---------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: facet bench [options]\n"
            "  Times the network's stages and the whole encoder and decoder on this\n"
            "  machine, counts bytes per frame of a real encode and FLOPs per frame.\n"
            "      --mode M             keypoints (default), or latent: the latent tier\n"
            "                           (facet bench --mode latent --help)\n"
            "      --backend B          renderer back end: cpu (default) or vulkan (also\n"
            "                           the decoder's; prints per-op GPU times)\n"
            "      --device D           Vulkan device: index or piece of its name\n"
            "                           (default: $FACET_VULKAN_DEVICE, else the best)\n"
            "      --model PATH         model file (default: $FACET_MODEL, else the\n"
            "                           installed model)\n"
            "      --size S             network size of the stage timings (default: the\n"
            "                           model's own; the codec always runs the model's)\n"
            "      --frames N           frames timed per stage after %d warm-up frames,\n"
            "                           and frames encoded (default %d)\n"
            "      --threads N          threads, 0 = one per CPU (default 0)\n"
            "      --stream-size WxH    picture size of the encoded stream (default SxS)\n"
            "      --input CLIP         pictures to use (default %s\n"
            "                           when it exists, else a synthetic moving picture)\n",
            WARMUP, DEFAULT_FRAMES, DEFAULT_INPUT);
}

static int parse_int(const char *text, int min, int max, int *value)
{
    char *end;
    long parsed = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || parsed < min || parsed > max)
        return -1;
    *value = (int)parsed;
    return 0;
}

static int parse_options(int argc, char **argv, BenchOptions *o)
{
    static const struct option options[] = {
        { "mode", required_argument, NULL, 'M' },
        { "backend", required_argument, NULL, 'b' },
        { "device", required_argument, NULL, 'd' },
        { "model", required_argument, NULL, 'm' },
        { "size", required_argument, NULL, 's' },
        { "frames", required_argument, NULL, 'n' },
        { "threads", required_argument, NULL, 't' },
        { "stream-size", required_argument, NULL, 'S' },
        { "input", required_argument, NULL, 'i' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof(*o));
    o->backend = FACET_RENDER_BACKEND_CPU;
    o->frames = DEFAULT_FRAMES;
    int opt;
    while ((opt = getopt_long(argc, argv, "b:d:m:s:n:t:S:i:h", options, NULL)) != -1) {
        switch (opt) {
        case 'M':
            /* --mode latent went to bench_latent.c before this parse. */
            if (strcmp(optarg, "keypoints") != 0) {
                fprintf(stderr, "facet bench: --mode wants keypoints or latent, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'b':
            if (bench_parse_backend(optarg, &o->backend) < 0)
                return 2;
            break;
        case 'd':
            if (bench_parse_device(optarg, &o->device) < 0)
                return 2;
            break;
        case 'm':
            o->model_path = optarg;
            break;
        case 's':
            if (parse_int(optarg, 1, FACET_NETWORK_MAX_SIZE, &o->size) < 0) {
                fprintf(stderr, "facet bench: --size wants a side in pixels, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'n':
            if (parse_int(optarg, 1, 100000, &o->frames) < 0) {
                fprintf(stderr, "facet bench: --frames wants 1..100000, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 't':
            if (parse_int(optarg, 0, FACET_THREAD_POOL_MAX_THREADS, &o->threads) < 0) {
                fprintf(stderr, "facet bench: --threads wants 0..%d, got '%s'\n",
                        FACET_THREAD_POOL_MAX_THREADS, optarg);
                return 2;
            }
            break;
        case 'S': {
            char extra;
            if (sscanf(optarg, "%dx%d%c", &o->stream_width, &o->stream_height, &extra) != 2 ||
                o->stream_width < 1 || o->stream_height < 1 ||
                o->stream_width > FACET_MAX_DIMENSION || o->stream_height > FACET_MAX_DIMENSION) {
                fprintf(stderr, "facet bench: --stream-size wants WxH, got '%s'\n", optarg);
                return 2;
            }
            break;
        }
        case 'i':
            o->input = optarg;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    return 0;
}

/* Everything one run measures. */
typedef struct Bench {
    const BenchOptions *options;
    const char *model_path;
    const char *input;            /* NULL: synthetic */
    FacetNetwork *net;
    int size;                     /* S of the stage timings */
    int stream_width, stream_height;
    FrameSource stage_source, stream_source;
    StageResults stages;
    CodecResults codec;
} Bench;

static void print_report(Bench *b)
{
    NetworkFlops flops = count_flops(b->net, b->size);
    printf("network stages at S = %d, back end %s (%s)\n", b->size,
           b->options->backend == FACET_RENDER_BACKEND_VULKAN ? "vulkan" : "cpu",
           b->stages.backend);
    print_header(1);
    print_row("keypoint detector (sender, every frame)", &b->stages.detect, flops.detector);
    print_row("reference encoder (receiver, per keyframe)", &b->stages.keyframe, flops.encoder);
    print_row("renderer (receiver, every frame)", &b->stages.render,
              flops.dense_motion + flops.decoder);
    Summary render = samples_summary(&b->stages.render);
    if (render.count > 0)
        printf("  renderer: %.1f frames/s at the median\n", 1000.0 / render.median);
    printf("\n");
    OpTimes *ops = &b->stages.ops;
    if (ops->frames > 0) {
        double total = 0.0;
        for (int i = 0; i < ops->kinds; i++)
            total += ops->ms[i];
        printf("renderer ops on the device (timestamp queries), mean per frame over %d frames:\n",
               ops->frames);
        printf("  %-20s %8s %10s %8s\n", "op", "calls", "ms", "share");
        for (int i = 0; i < ops->kinds; i++)
            printf("  %-20s %8ld %10.3f %7.1f%%\n", ops->label[i], ops->calls[i] / ops->frames,
                   ops->ms[i] / ops->frames, total > 0.0 ? 100.0 * ops->ms[i] / total : 0.0);
        printf("  %-20s %8s %10.3f (the rest of the frame's time is submission, waiting\n"
               "  %-20s %8s %10s  and the copies to and from the host buffer)\n\n", "total", "",
               total / ops->frames, "", "", "");
    }

    CodecResults *c = &b->codec;
    double fps = (double)c->fps_num / c->fps_den;
    int threads = b->options->threads;
    printf("codec through the public API: %dx%d stream at %.3g fps, network at %d, "
           "threads %d%s\n",
           b->stream_width, b->stream_height, fps, c->model_size, threads,
           threads == 0 ? " (one per CPU)" : "");
    if (c->model_size != b->size)
        printf("  (the codec runs the network at the model's size %d, not at --size %d)\n",
               c->model_size, b->size);
    if (b->stream_source.clip_frames > 0)
        printf("  (the clip has %ld frames; it was looped to make %ld)\n",
               b->stream_source.clip_frames, c->frames);
    print_header(0);
    print_row("encoder, delta frame", &c->encode_delta, 0.0);
    print_row("encoder, keyframe", &c->encode_keyframe, 0.0);
    print_row("whole decoder, delta frame (to I420 picture)", &c->decode_delta, 0.0);
    print_row("whole decoder, keyframe", &c->decode_keyframe, 0.0);
    Summary decode = samples_summary(&c->decode_delta);
    if (decode.count > 0)
        printf("  whole decoder: %.1f frames/s at the median delta frame (%.1f at the mean)\n",
               1000.0 / decode.median, 1000.0 / decode.mean);
    printf("\n");

    uint64_t total_bytes = 0;
    for (long i = 0; i < c->frames; i++)
        total_bytes += c->packets[i].size;
    double seconds = (double)c->frames / fps;
    printf("bytes of that encode: %ld frames, %ld keyframe(s) (every %.3g s, keyframe quality %d:\n"
           "the encoder's defaults)\n",
           c->frames, c->keyframes, c->keyframe_interval, c->keyframe_quality);
    print_bytes("delta frame", &c->delta_bytes);
    print_bytes("keyframe", &c->keyframe_bytes);
    Summary delta_bytes = samples_summary(&c->delta_bytes);
    printf("  total %llu bytes in %.2f s: %.2f kbit/s (the delta frames alone: %.2f kbit/s)\n\n",
           (unsigned long long)total_bytes, seconds, total_bytes * 8.0 / seconds * 1e-3,
           delta_bytes.count ? delta_bytes.mean * 8.0 * fps * 1e-3 : 0.0);

    printf("FLOPs per frame at S = %d (convolutions, 2*k*k*in*out*Hout*Wout):\n", b->size);
    printf("  keypoint detector %.3f G, renderer %.3f G (dense motion %.3f G + decoder "
           "%.3f G),\n  reference encoder %.3f G per keyframe\n",
           flops.detector * 1e-9, (flops.dense_motion + flops.decoder) * 1e-9,
           flops.dense_motion * 1e-9, flops.decoder * 1e-9, flops.encoder * 1e-9);
    printf("  not counted: biases, activations, grid_sample, softmax, pooling, upsampling,\n"
           "  elementwise ops and picture conversions (a few %% of the arithmetic; being\n"
           "  memory-bound, they take a larger share of the time)\n");
}

/* Measures everything; 0 or -1 (printed). */
static int run_bench(Bench *b)
{
    const BenchOptions *o = b->options;
    printf("facet bench: model %s (id %08x, K = %d, model size %d)\n", b->model_path,
           (unsigned)facet_network_model_id(b->net), facet_network_num_keypoints(b->net),
           facet_network_size(b->net));
    if (b->input)
        printf("input: %s, centre crop scaled to the picture size\n", b->input);
    else
        printf("input: a synthetic moving picture (no clip: %s is not there)\n", DEFAULT_INPUT);
    printf("times in ms per call: median, min and max over %d calls after %d warm-up calls\n"
           "(wall clock; on a shared machine quote the median)\n\n",
           o->frames, WARMUP);
    fflush(stdout);

    if (samples_init(&b->stages.detect, o->frames) < 0 ||
        samples_init(&b->stages.keyframe, o->frames) < 0 ||
        samples_init(&b->stages.render, o->frames) < 0 ||
        codec_results_init(&b->codec, o->frames) < 0) {
        fprintf(stderr, "facet bench: out of memory\n");
        return -1;
    }
    if (frame_source_open(&b->stage_source, b->input, b->size, b->size) < 0 ||
        run_stages(o, b->net, b->size, o->frames, &b->stage_source, &b->stages) < 0)
        return -1;
    if (frame_source_open(&b->stream_source, b->input, b->stream_width, b->stream_height) < 0 ||
        encode_stream(o, b->model_path, &b->stream_source, o->frames, &b->codec) < 0 ||
        decode_stream(o, b->model_path, &b->codec) < 0)
        return -1;
    print_report(b);
    return 0;
}

/* 1 when the arguments ask for --mode latent. */
static int latent_mode(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if ((strcmp(argv[i], "--mode") == 0 && i + 1 < argc &&
             strcmp(argv[i + 1], "latent") == 0) ||
            strcmp(argv[i], "--mode=latent") == 0)
            return 1;
    return 0;
}

int facet_command_bench(int argc, char **argv)
{
    if (latent_mode(argc, argv))
        return facet_command_bench_latent(argc, argv);
    BenchOptions o;
    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0)
        return parsed == 1 ? 0 : parsed;

    Bench b;
    memset(&b, 0, sizeof(b));
    b.options = &o;
    b.input = o.input;
    if (!b.input && access(DEFAULT_INPUT, R_OK) == 0)
        b.input = DEFAULT_INPUT;

    char *model_path = NULL;
    if (facet_model_path_resolve(o.model_path, &model_path) < 0 || !model_path) {
        fprintf(stderr, "facet bench: no model file: give --model PATH or set FACET_MODEL\n");
        free(model_path);
        return 1;
    }
    b.model_path = model_path;
    char error[512];
    int status = 1;
    int ret = facet_network_open(&b.net, model_path, error, sizeof(error));
    if (ret < 0) {
        fprintf(stderr, "facet bench: %s\n", error);
    } else {
        b.size = o.size ? o.size : facet_network_size(b.net);
        b.stream_width = o.stream_width ? o.stream_width : b.size;
        b.stream_height = o.stream_height ? o.stream_height : b.size;
        if (!facet_network_size_supported(b.net, b.size))
            fprintf(stderr, "facet bench: the model does not run at %d (it wants a multiple "
                    "of %d, up to %d)\n", b.size, b.net->size_multiple, FACET_NETWORK_MAX_SIZE);
        else if (run_bench(&b) == 0)
            status = 0;
    }

    frame_source_close(&b.stage_source);
    frame_source_close(&b.stream_source);
    samples_free(&b.stages.detect);
    samples_free(&b.stages.keyframe);
    samples_free(&b.stages.render);
    codec_results_free(&b.codec);
    facet_network_close(&b.net);
    free(model_path);
    return status;
}
