/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `facet bench --mode latent`: how fast the latent tier decodes on this
 * machine.
 *
 *   facet bench --mode latent [--backend cpu|vulkan] [--device D]
 *               [--latent-model PATH] [--size S | --stream-size WxH]
 *               [--scale 2|4] [--bitrate KBIT] [--frames N] [--threads N]
 *               [--input CLIP]
 *
 * For each scale r (2 and 4 unless --scale names one), a real latent
 * encode of N frames of the clip at the stream size, then:
 *  - the stages, called directly: the base decoder (libdav1d) on each
 *    low-resolution AV1 unit, and the network on the back end asked for
 *    (render/latent_backend.h, the decoder's interface) from the decoded
 *    low-resolution frame to the I420 picture at the work size, and its
 *    reference phase;
 *  - the whole decoder through the public API, per packet: low-resolution
 *    frames (AV1 + conversion + network + picture), the keyframe and the
 *    reference fragments (the last one decodes the reference and runs the
 *    network's reference phase);
 *  - FLOPs of the network's frame phase (convolutions), and GFLOP/s at the
 *    median.
 * Timings as in `facet bench`: wall clock around one call, median, min and
 * max over the calls after WARMUP untimed ones.
 */
#define _GNU_SOURCE
#include "bench_latent.h"

#include <getopt.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"
#include "codec/base_codec.h"
#include "codec/bitstream.h"
#include "codec/latent.h"
#include "facet/facet.h"
#include "render/latent_backend.h"
#include "render/latent_network.h"
#include "render/thread_pool.h"

#define DEFAULT_SIDE 256
#define DEFAULT_BITRATE_KBIT 20
/* Reference phases timed after one untimed: a reference comes every 30 s
 * in use, and at 1280x720 on a CPU Vulkan device one takes seconds. */
#define REFERENCE_CALLS 5

typedef struct LatentOptions {
    FacetRenderBackendKind backend;  /* CPU or VULKAN */
    const char *device;
    const char *model_path;          /* NULL: as the decoder resolves it */
    int width, height;
    int scale;                       /* 0: 2 and 4 */
    int bitrate_kbit;
    int frames;
    int threads;                     /* 0: one per CPU */
    const char *input;               /* NULL: DEFAULT_INPUT if present, else synthetic */
} LatentOptions;

/* One encode of the clip at one scale, and what was timed on it. */
typedef struct Run {
    int r, work_w, work_h;
    FacetPacket *packets;
    int count, capacity;
    int frames, references, fragments;
    size_t bytes;
    double fps;
    FacetPicture first;              /* the first source frame, for the reference */
    Samples base, network, reference, frame, keyframe, fragment;
    char renderer[320];
    const char *base_name;
} Run;

static void run_free(Run *run)
{
    for (int i = 0; i < run->count; i++)
        facet_packet_unref(&run->packets[i]);
    free(run->packets);
    facet_picture_unref(&run->first);
    samples_free(&run->base);
    samples_free(&run->network);
    samples_free(&run->reference);
    samples_free(&run->frame);
    samples_free(&run->keyframe);
    samples_free(&run->fragment);
}

static int run_init(Run *run, int r, int frames)
{
    memset(run, 0, sizeof(*run));
    run->r = r;
    if (samples_init(&run->base, frames) < 0 || samples_init(&run->network, frames) < 0 ||
        samples_init(&run->reference, REFERENCE_CALLS) < 0 ||
        samples_init(&run->frame, frames) < 0 || samples_init(&run->keyframe, frames) < 0 ||
        samples_init(&run->fragment, 2 * frames) < 0)
        return -1;
    return 0;
}

static int keep_packet(Run *run, FacetPacket *packet)
{
    if (run->count == run->capacity) {
        int capacity = run->capacity ? 2 * run->capacity : 64;
        FacetPacket *grown = realloc(run->packets, sizeof(*grown) * (size_t)capacity);
        if (!grown)
            return -1;
        run->packets = grown;
        run->capacity = capacity;
    }
    run->packets[run->count++] = *packet;
    run->bytes += packet->size;
    return 0;
}

static void log_quiet(void *opaque, const char *message)
{
    (void)opaque;
    fprintf(stderr, "facet bench: %s\n", message);
}

/* The clip's frames through the latent encoder at scale r; every packet
 * kept. */
static int encode(const LatentOptions *o, const char *model_path, const char *input, Run *run)
{
    FrameSource src;
    if (frame_source_open(&src, input, o->width, o->height) < 0)
        return -1;
    FacetEncoderSettings s;
    facet_encoder_default_settings(&s);
    s.width = o->width;
    s.height = o->height;
    s.fps_num = src.fps_num;
    s.fps_den = src.fps_den;
    s.mode = FACET_STREAM_MODE_LATENT;
    s.references = FACET_LATENT_REFERENCES_ON; /* the reference phase is timed too */
    s.bitrate = o->bitrate_kbit * 1000;
    s.scale = run->r;
    s.latent_model_path = model_path;
    s.threads = o->threads;
    s.log_callback = log_quiet;
    run->fps = (double)src.fps_num / src.fps_den;
    FacetEncoder *enc = NULL;
    int ret = facet_encoder_open(&enc, &s);
    if (ret < 0) {
        fprintf(stderr, "facet bench: cannot open the latent encoder: %s\n", facet_strerror(ret));
        frame_source_close(&src);
        return -1;
    }
    int status = -1;
    for (int i = 0; i < o->frames; i++) {
        FacetPicture picture;
        if (frame_source_read(&src, &picture) < 0)
            goto done;
        picture.pts = i;
        ret = facet_encoder_send_frame(enc, &picture);
        if (i == 0)
            run->first = picture;
        else
            facet_picture_unref(&picture);
        FacetPacket packet;
        while (ret == 0 && (ret = facet_encoder_receive_packet(enc, &packet)) == 0) {
            if (keep_packet(run, &packet) < 0) {
                facet_packet_unref(&packet);
                fprintf(stderr, "facet bench: out of memory\n");
                goto done;
            }
            run->fragments += packet.data[0] == FACET_PACKET_TYPE_REFERENCE;
        }
        if (ret != FACET_ERR(EAGAIN)) {
            fprintf(stderr, "facet bench: encoding frame %d failed: %s\n", i,
                    facet_strerror(ret));
            goto done;
        }
        run->frames++;
    }
    status = 0;
done:
    facet_encoder_close(&enc);
    frame_source_close(&src);
    return status;
}

/* An I420 picture into the 3 x h x w RGB tensor in [0, 1] the network
 * reads, as the decoder converts it (codec/latent_decoder.c). */
static int to_tensor(struct SwsContext **ctx, FacetPicture *rgb, const FacetPicture *i420,
                     FacetTensor *t)
{
    if (rgb->width != t->w || rgb->height != t->h) {
        facet_picture_unref(rgb);
        if (facet_picture_alloc(rgb, FACET_PIXEL_FORMAT_RGB24, t->w, t->h) < 0)
            return -1;
    }
    *ctx = sws_getCachedContext(*ctx, i420->width, i420->height, AV_PIX_FMT_YUV420P, t->w, t->h,
                                AV_PIX_FMT_RGB24,
                                SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL,
                                NULL, NULL);
    if (!*ctx)
        return -1;
    const uint8_t *const s[4] = { i420->data[0], i420->data[1], i420->data[2], NULL };
    const int ss[4] = { (int)i420->stride[0], (int)i420->stride[1], (int)i420->stride[2], 0 };
    uint8_t *const d[4] = { rgb->data[0], NULL, NULL, NULL };
    const int ds[4] = { (int)rgb->stride[0], 0, 0, 0 };
    sws_scale(*ctx, s, ss, 0, i420->height, d, ds);
    size_t plane = (size_t)t->w * (size_t)t->h;
    for (int y = 0; y < t->h; y++) {
        const uint8_t *row = rgb->data[0] + (ptrdiff_t)y * rgb->stride[0];
        float *r = t->data + (size_t)y * t->w, *g = r + plane, *b = g + plane;
        for (int x = 0; x < t->w; x++) {
            r[x] = row[3 * x] / 255.0f;
            g[x] = row[3 * x + 1] / 255.0f;
            b[x] = row[3 * x + 2] / 255.0f;
        }
    }
    return 0;
}

/* The stages on the run's packets: each low-resolution unit through the
 * base decoder (timed), its picture into the network (timed), after the
 * reference phase on the first source frame padded to the work size
 * (timed REFERENCE_CALLS times). */
static int time_stages(const LatentOptions *o, const FacetLatentNetwork *net, Run *run)
{
    FacetLogger logger = { log_quiet, NULL };
    FacetThreadPool *pool = NULL;
    FacetBaseDecoder *base = NULL;
    FacetLatentBackend *backend = NULL;
    struct SwsContext *sws = NULL;
    FacetPicture rgb = { 0 }, work = { 0 }, out = { 0 };
    FacetTensor low = { 0 }, reference = { 0 };
    const char *stage = "setting up";
    int status = -1, ret;
    FacetRenderBackendSettings rs = { .kind = o->backend, .device = o->device, .log = log_quiet };
    if ((ret = facet_thread_pool_create(&pool, o->threads)) < 0 ||
        (ret = facet_base_decoder_open(&base, FACET_BASE_ID_AV1, o->threads, &logger)) < 0)
        goto failed;
    rs.pool = pool;
    if ((ret = facet_latent_backend_open(&backend, net, &rs)) < 0)
        goto failed;
    facet_latent_backend_describe(backend, run->renderer, sizeof(run->renderer));
    run->base_name = facet_base_decoder_name(base);
    int w = run->work_w, h = run->work_h, r = run->r;
    FacetRenderPicture shape = { .format = FACET_RENDER_PICTURE_I420, .width = w, .height = h };
    if ((ret = facet_picture_alloc(&work, FACET_PIXEL_FORMAT_I420, w, h)) < 0 ||
        (ret = facet_picture_alloc(&out, FACET_PIXEL_FORMAT_I420, w, h)) < 0 ||
        (ret = facet_tensor_alloc(&low, 3, h / r, w / r)) < 0 ||
        (ret = facet_tensor_alloc(&reference, 3, h, w)) < 0 ||
        (ret = facet_latent_pad_to_work(&run->first, &work)) < 0 ||
        (ret = facet_latent_backend_prepare(backend, w, h, r, &shape)) < 0)
        goto failed;
    if (to_tensor(&sws, &rgb, &work, &reference) < 0) {
        ret = FACET_ERR(ENOMEM);
        goto failed;
    }
    stage = "the network's reference phase";
    for (int i = 0; i <= REFERENCE_CALLS; i++) {
        double start = bench_now_ms();
        if ((ret = facet_latent_backend_set_reference(backend, &reference)) < 0)
            goto failed;
        if (i > 0)
            samples_add(&run->reference, bench_now_ms() - start);
    }
    FacetRenderPicture picture = shape;
    for (int p = 0; p < 3; p++) {
        picture.data[p] = out.data[p];
        picture.stride[p] = out.stride[p];
    }
    int frame = 0;
    for (int i = 0; i < run->count; i++) {
        FacetPacketView view;
        stage = "parsing a packet";
        if ((ret = facet_packet_parse(run->packets[i].data, run->packets[i].size, &view)) < 0)
            goto failed;
        if (view.type == FACET_PACKET_TYPE_REFERENCE)
            continue;
        stage = "the base decoder";
        FacetPicture decoded;
        double start = bench_now_ms();
        ret = facet_base_decode(base, view.base_data, view.base_size, w / r, h / r, &decoded);
        double base_ms = bench_now_ms() - start;
        if (ret < 0)
            goto failed;
        int converted = to_tensor(&sws, &rgb, &decoded, &low);
        facet_picture_unref(&decoded);
        if (converted < 0) {
            ret = FACET_ERR(ENOMEM);
            goto failed;
        }
        stage = "the network";
        start = bench_now_ms();
        ret = facet_latent_backend_render_picture(backend, &low, &picture);
        double network_ms = bench_now_ms() - start;
        if (ret < 0)
            goto failed;
        if (frame++ >= WARMUP) {
            samples_add(&run->base, base_ms);
            samples_add(&run->network, network_ms);
        }
    }
    status = 0;
    goto done;
failed:
    fprintf(stderr, "facet bench: %s failed: %s\n", stage, facet_strerror(ret));
done:
    sws_freeContext(sws);
    facet_picture_unref(&rgb);
    facet_picture_unref(&work);
    facet_picture_unref(&out);
    facet_tensor_free(&low);
    facet_tensor_free(&reference);
    facet_latent_backend_close(&backend);
    facet_base_decoder_close(&base);
    facet_thread_pool_destroy(&pool);
    return status;
}

/* The whole decoder through the public API, per packet: a first pass over
 * WARMUP packets untimed, then, after a flush, every packet. */
static int time_decoder(const LatentOptions *o, const char *model_path, Run *run)
{
    FacetDecoderSettings s;
    facet_decoder_default_settings(&s);
    s.threads = o->threads;
    s.latent_model_path = model_path;
    s.model_path = "";
    s.backend = (FacetBackend)o->backend;
    s.device = o->device;
    s.log_callback = log_quiet;
    FacetDecoder *dec = NULL;
    int ret = facet_decoder_open(&dec, &s);
    if (ret < 0) {
        fprintf(stderr, "facet bench: cannot open the decoder: %s\n", facet_strerror(ret));
        return -1;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < run->count && (pass == 1 || i < WARMUP); i++) {
            int type = run->packets[i].data[0];
            FacetPicture picture;
            double start = bench_now_ms();
            ret = facet_decoder_send_packet(dec, &run->packets[i]);
            if (ret == 0 && type != FACET_PACKET_TYPE_REFERENCE)
                ret = facet_decoder_receive_frame(dec, &picture);
            double elapsed = bench_now_ms() - start;
            if (ret < 0) {
                fprintf(stderr, "facet bench: decoding packet %d failed: %s\n", i,
                        facet_strerror(ret));
                facet_decoder_close(&dec);
                return -1;
            }
            if (type != FACET_PACKET_TYPE_REFERENCE)
                facet_picture_unref(&picture);
            if (pass == 0)
                continue;
            if (type == FACET_PACKET_TYPE_REFERENCE)
                samples_add(&run->fragment, elapsed);
            else if (type == FACET_PACKET_TYPE_LATENT_KEYFRAME)
                samples_add(&run->keyframe, elapsed);
            else
                samples_add(&run->frame, elapsed);
        }
        facet_decoder_flush(dec);
    }
    facet_decoder_close(&dec);
    return 0;
}

static void print_run(Run *run, const FacetLatentNetwork *net, const LatentOptions *o)
{
    double flops = 2.0 * facet_latent_network_frame_macs(net, run->work_w, run->work_h);
    double seconds = run->frames / run->fps;
    printf("r = %d: low-resolution frames %dx%d; %d frames, %.2f kbit/s (%d kbit/s asked), "
           "%d reference fragment(s)\n",
           run->r, run->work_w / run->r, run->work_h / run->r, run->frames,
           run->bytes * 8.0 / seconds * 1e-3, o->bitrate_kbit, run->fragments);
    printf("  network on %s\n", run->renderer);
    print_header(1);
    char label[96];
    snprintf(label, sizeof(label), "AV1 decode (%s), low-resolution frame",
             run->base_name ? run->base_name : "?");
    print_row(label, &run->base, 0.0);
    print_row("network, frame (to the I420 picture)", &run->network, flops);
    print_row("network, reference phase (per reference)", &run->reference, 0.0);
    print_row("whole decoder, low-resolution frame", &run->frame, flops);
    print_row("whole decoder, low-resolution keyframe", &run->keyframe, 0.0);
    print_row("whole decoder, reference fragment", &run->fragment, 0.0);
    Summary frame = samples_summary(&run->frame);
    if (frame.count > 0)
        printf("  whole decoder: %.1f frames/s at the median frame (%.1f at the mean)\n",
               1000.0 / frame.median, 1000.0 / frame.mean);
    printf("\n");
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: facet bench --mode latent [options]\n"
            "  Times the latent tier's decoder on this machine: the AV1 decoder, the\n"
            "  network and the whole decoder per frame, on a real latent encode.\n"
            "      --backend B          network back end: cpu (default) or vulkan (also\n"
            "                           the decoder's)\n"
            "      --device D           Vulkan device: index or piece of its name\n"
            "      --latent-model PATH  latent model (default: $FACET_LATENT_MODEL, else\n"
            "                           the installed model)\n"
            "      --size S             stream of S x S (default %d)\n"
            "      --stream-size WxH    stream of W x H (any size: padded to multiples of 32)\n"
            "      --scale R            2 or 4 (default: both, one after the other)\n"
            "      --bitrate KBIT       target of the encode in kbit/s (default %d)\n"
            "      --frames N           frames encoded, and decoded timed but for the\n"
            "                           first %d (default %d)\n"
            "      --threads N          threads, 0 = one per CPU (default 0)\n"
            "      --input CLIP         pictures to use (default %s\n"
            "                           when it exists, else a synthetic moving picture)\n",
            DEFAULT_SIDE, DEFAULT_BITRATE_KBIT, WARMUP, DEFAULT_FRAMES, DEFAULT_INPUT);
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

/* 0, 1 (help printed) or 2 (bad arguments, said). */
static int parse_options(int argc, char **argv, LatentOptions *o)
{
    static const struct option options[] = {
        { "mode", required_argument, NULL, 'M' },
        { "backend", required_argument, NULL, 'b' },
        { "device", required_argument, NULL, 'd' },
        { "latent-model", required_argument, NULL, 'm' },
        { "size", required_argument, NULL, 's' },
        { "stream-size", required_argument, NULL, 'S' },
        { "scale", required_argument, NULL, 'r' },
        { "bitrate", required_argument, NULL, 'B' },
        { "frames", required_argument, NULL, 'n' },
        { "threads", required_argument, NULL, 't' },
        { "input", required_argument, NULL, 'i' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof(*o));
    o->backend = FACET_RENDER_BACKEND_CPU;
    o->width = o->height = DEFAULT_SIDE;
    o->bitrate_kbit = DEFAULT_BITRATE_KBIT;
    o->frames = DEFAULT_FRAMES;
    int opt;
    char extra;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'M':
            if (strcmp(optarg, "latent") != 0) {
                fprintf(stderr, "facet bench: --mode latent expected, got '%s'\n", optarg);
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
            if (parse_int(optarg, FACET_LATENT_MIN_SIDE, FACET_LATENT_MAX_SIDE_BITSTREAM,
                          &o->width) < 0) {
                fprintf(stderr, "facet bench: --size wants %d..%d, got '%s'\n",
                        FACET_LATENT_MIN_SIDE, FACET_LATENT_MAX_SIDE_BITSTREAM, optarg);
                return 2;
            }
            o->height = o->width;
            break;
        case 'S':
            if (sscanf(optarg, "%dx%d%c", &o->width, &o->height, &extra) != 2 ||
                o->width < FACET_LATENT_MIN_SIDE || o->height < FACET_LATENT_MIN_SIDE ||
                o->width > FACET_LATENT_MAX_SIDE_BITSTREAM ||
                o->height > FACET_LATENT_MAX_SIDE_BITSTREAM) {
                fprintf(stderr, "facet bench: --stream-size wants WxH, sides %d..%d, got '%s'\n",
                        FACET_LATENT_MIN_SIDE, FACET_LATENT_MAX_SIDE_BITSTREAM, optarg);
                return 2;
            }
            break;
        case 'r':
            if (parse_int(optarg, 2, 4, &o->scale) < 0 || o->scale == 3) {
                fprintf(stderr, "facet bench: --scale wants 2 or 4, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'B':
            if (parse_int(optarg, 1, 100000, &o->bitrate_kbit) < 0) {
                fprintf(stderr, "facet bench: --bitrate wants 1..100000 kbit/s, got '%s'\n",
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

int facet_command_bench_latent(int argc, char **argv)
{
    LatentOptions o;
    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0)
        return parsed == 1 ? 0 : parsed;
    const char *input = o.input;
    if (!input && access(DEFAULT_INPUT, R_OK) == 0)
        input = DEFAULT_INPUT;
    char *model_path = NULL;
    if (facet_latent_model_path_resolve(o.model_path, &model_path) < 0 || !model_path) {
        fprintf(stderr, "facet bench: no latent model: give --latent-model PATH or set "
                "FACET_LATENT_MODEL\n");
        free(model_path);
        return 1;
    }
    char error[512];
    FacetLatentNetwork *net = NULL;
    if (facet_latent_network_open(&net, model_path, error, sizeof(error)) < 0) {
        fprintf(stderr, "facet bench: %s\n", error);
        free(model_path);
        return 1;
    }
    int work_w = facet_latent_work_side(o.width), work_h = facet_latent_work_side(o.height);
    printf("facet bench --mode latent: model %s (id %08x)\n", model_path,
           (unsigned)net->model_id);
    if (input)
        printf("input: %s, centre crop scaled to the picture size\n", input);
    else
        printf("input: a synthetic moving picture (no clip: %s is not there)\n", DEFAULT_INPUT);
    printf("stream %dx%d, network at %dx%d; threads %d%s\n", o.width, o.height, work_w, work_h,
           o.threads, o.threads == 0 ? " (one per CPU)" : "");
    printf("times in ms per call: median, min and max over the calls after %d warm-up calls\n"
           "(wall clock; on a shared machine quote the median)\n\n", WARMUP);
    fflush(stdout);
    int status = 0;
    for (int r = 2; r <= 4 && status == 0; r += 2) {
        if ((o.scale && r != o.scale) || !(net->scales & (1u << r)))
            continue;
        Run run;
        if (run_init(&run, r, o.frames) < 0) {
            fprintf(stderr, "facet bench: out of memory\n");
            status = 1;
        } else {
            run.work_w = work_w;
            run.work_h = work_h;
            if (encode(&o, model_path, input, &run) < 0 || time_stages(&o, net, &run) < 0 ||
                time_decoder(&o, model_path, &run) < 0)
                status = 1;
            else
                print_run(&run, net, &o);
            fflush(stdout);
        }
        run_free(&run);
    }
    facet_latent_network_close(&net);
    free(model_path);
    return status;
}
