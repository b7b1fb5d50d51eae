/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The `facet` command line: encode, decode and evaluate Facet streams.
 *
 *   facet encode [options] INPUT OUTPUT.fct
 *   facet decode [--model PATH] [--backend B] [--device D] [--upscale U] INPUT.fct OUTPUT.y4m
 *   facet eval [--per-frame] REFERENCE DECODED
 *   facet bench [options]
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <libavutil/log.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "container/fct.h"
#include "facet/facet.h"
#include "metrics.h"
#include "video_reader.h"
#include "y4m_writer.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
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

static int parse_size(const char *text, int *width, int *height)
{
    char extra;
    if (sscanf(text, "%dx%d%c", width, height, &extra) != 2 || *width < 1 || *height < 1 ||
        *width > FACET_MAX_DIMENSION || *height > FACET_MAX_DIMENSION)
        return -1;
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: facet COMMAND ...\n"
            "  facet encode [options] INPUT OUTPUT.fct   code any video FFmpeg reads\n"
            "      --quality Q          keyframe quality 0..100 (default 60)\n"
            "      --codec auto|av1|jpeg  keyframe intra codec (default auto)\n"
            "      --frames N           stop after N frames\n"
            "      --size WxH           scale the input to WxH first\n"
            "      --keyframe-interval S  seconds between keyframes (default 2)\n"
            "      --model PATH         model file (default: $FACET_MODEL, else the\n"
            "                           installed model, else intra-only)\n"
            "      --intra-only         every frame a keyframe, no model\n"
            "      --mode keypoints|latent  the tier (default keypoints)\n"
            "      --bitrate K          latent: target kbit/s, references included\n"
            "                           (default 20)\n"
            "      --scale 0|2|4        latent: low-resolution scale, 0 = auto (default)\n"
            "      --references auto|on|off  latent: send references (default auto:\n"
            "                           where they pay, which is nowhere measured yet)\n"
            "      --reference-interval S  latent: seconds between references (30)\n"
            "      --reference-quality Q  latent: reference quality 0..100 (default:\n"
            "                           33 or 49 from the rate, see facet.h)\n"
            "      --base av1|vp8       latent: the low-resolution codec (default av1)\n"
            "      --latent-model PATH  latent model (default: $FACET_LATENT_MODEL, else\n"
            "                           the installed one)\n"
            "  facet decode [--model PATH] [--latent-model PATH] [--backend auto|cpu|vulkan]\n"
            "               [--device D] [--upscale network|lanczos] INPUT.fct OUTPUT.y4m\n"
            "      --model PATH         model file (default: $FACET_MODEL, else the\n"
            "                           installed model, else the stream's model found\n"
            "                           by its id in $FACET_MODEL_PATH's folders, the\n"
            "                           installed models and the source tree's models/)\n"
            "      --backend B          where the renderer runs: auto (default: Vulkan\n"
            "                           on a GPU, else the CPU), cpu or vulkan\n"
            "      --device D           Vulkan device: index or piece of its name\n"
            "                           (default: $FACET_VULKAN_DEVICE, else the best)\n"
            "      --upscale U          latent: network (default), or lanczos: the\n"
            "                           low-resolution frames scaled with Lanczos, no\n"
            "                           model (the baseline on the same stream)\n"
            "  facet eval [--per-frame] [--frames N] REFERENCE DECODED\n"
            "      PSNR, SSIM and MS-SSIM of DECODED against REFERENCE (any video\n"
            "      FFmpeg reads; REFERENCE is scaled to DECODED's size)\n"
            "  facet bench [--backend cpu|vulkan] [--device D] [--model PATH] [--size S]\n"
            "              [--frames N] [--threads N] [--stream-size WxH] [--input CLIP]\n"
            "      speed of the network, encoder and decoder on this machine,\n"
            "      bytes per frame and FLOPs per frame (facet bench --help)\n"
            "  facet bench --mode latent [--backend cpu|vulkan] [--size S] [--scale R] ...\n"
            "      speed of the latent tier's decoder: AV1, network, whole decoder\n"
            "      (facet bench --mode latent --help)\n"
            "  facet --version\n");
}

static int report_error(const char *what, int error)
{
    fprintf(stderr, "facet: %s: %s\n", what, facet_strerror(error));
    return 1;
}

static int command_encode(int argc, char **argv)
{
    FacetEncoderSettings settings;
    facet_encoder_default_settings(&settings);
    int max_frames = -1, width = 0, height = 0;
    static const struct option options[] = {
        { "quality", required_argument, NULL, 'q' },
        { "codec", required_argument, NULL, 'c' },
        { "frames", required_argument, NULL, 'n' },
        { "size", required_argument, NULL, 's' },
        { "keyframe-interval", required_argument, NULL, 'k' },
        { "model", required_argument, NULL, 'm' },
        { "intra-only", no_argument, NULL, 'i' },
        { "mode", required_argument, NULL, 'M' },
        { "bitrate", required_argument, NULL, 'B' },
        { "scale", required_argument, NULL, 'S' },
        { "references", required_argument, NULL, 'F' },
        { "reference-interval", required_argument, NULL, 'R' },
        { "reference-quality", required_argument, NULL, 'Q' },
        { "latent-model", required_argument, NULL, 'L' },
        { "base", required_argument, NULL, 'A' },
        { NULL, 0, NULL, 0 },
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "q:c:n:s:k:m:i", options, NULL)) != -1) {
        switch (opt) {
        case 'A':
            if (!strcmp(optarg, "av1"))
                settings.base_codec = FACET_BASE_CODEC_AV1;
            else if (!strcmp(optarg, "vp8"))
                settings.base_codec = FACET_BASE_CODEC_VP8;
            else {
                fprintf(stderr, "facet encode: --base wants av1 or vp8, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'M':
            if (!strcmp(optarg, "keypoints"))
                settings.mode = FACET_STREAM_MODE_KEYPOINTS;
            else if (!strcmp(optarg, "latent"))
                settings.mode = FACET_STREAM_MODE_LATENT;
            else {
                fprintf(stderr, "facet encode: --mode wants keypoints or latent, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'B': {
            char *end;
            double kbits = strtod(optarg, &end);
            if (*end != '\0' || !(kbits >= 1.0 && kbits <= 100000.0)) {
                fprintf(stderr, "facet encode: --bitrate wants kbit/s, 1..100000\n");
                return 2;
            }
            settings.bitrate = (int)(kbits * 1000.0 + 0.5);
            break;
        }
        case 'S':
            if (parse_int(optarg, 0, 4, &settings.scale) < 0 || settings.scale == 1 ||
                settings.scale == 3) {
                fprintf(stderr, "facet encode: --scale wants 0, 2 or 4\n");
                return 2;
            }
            break;
        case 'F':
            if (!strcmp(optarg, "auto"))
                settings.references = FACET_LATENT_REFERENCES_AUTO;
            else if (!strcmp(optarg, "on"))
                settings.references = FACET_LATENT_REFERENCES_ON;
            else if (!strcmp(optarg, "off"))
                settings.references = FACET_LATENT_REFERENCES_OFF;
            else {
                fprintf(stderr, "facet encode: --references wants auto, on or off, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'R': {
            char *end;
            settings.reference_interval = strtod(optarg, &end);
            if (*end != '\0' || !(settings.reference_interval > 0.0)) {
                fprintf(stderr, "facet encode: --reference-interval wants seconds > 0\n");
                return 2;
            }
            break;
        }
        case 'Q':
            if (parse_int(optarg, 0, 100, &settings.reference_quality) < 0) {
                fprintf(stderr, "facet encode: --reference-quality wants 0..100\n");
                return 2;
            }
            break;
        case 'L':
            settings.latent_model_path = optarg;
            break;
        case 'm':
            settings.model_path = optarg;
            break;
        case 'i':
            settings.model_path = "";
            break;
        case 'q':
            if (parse_int(optarg, 0, 100, &settings.keyframe_quality) < 0) {
                fprintf(stderr, "facet encode: --quality wants 0..100, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'c':
            if (!strcmp(optarg, "auto"))
                settings.intra_codec = FACET_INTRA_CODEC_AUTO;
            else if (!strcmp(optarg, "av1"))
                settings.intra_codec = FACET_INTRA_CODEC_AV1;
            else if (!strcmp(optarg, "jpeg"))
                settings.intra_codec = FACET_INTRA_CODEC_JPEG;
            else {
                fprintf(stderr, "facet encode: --codec wants auto, av1 or jpeg, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'n':
            if (parse_int(optarg, 1, 1 << 30, &max_frames) < 0) {
                fprintf(stderr, "facet encode: --frames wants a positive count\n");
                return 2;
            }
            break;
        case 's':
            if (parse_size(optarg, &width, &height) < 0) {
                fprintf(stderr, "facet encode: --size wants WxH, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'k': {
            char *end;
            settings.keyframe_interval = strtod(optarg, &end);
            if (*end != '\0' || !(settings.keyframe_interval > 0.0)) {
                fprintf(stderr, "facet encode: --keyframe-interval wants seconds > 0\n");
                return 2;
            }
            break;
        }
        default:
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 2) {
        usage(stderr);
        return 2;
    }
    const char *input = argv[optind], *output = argv[optind + 1];

    VideoReader *reader = video_reader_open(input, width, height);
    if (!reader)
        return 1;
    video_reader_format(reader, &settings.width, &settings.height, &settings.fps_num,
                        &settings.fps_den);

    int status = 1;
    FacetEncoder *encoder = NULL;
    FILE *file = NULL;
    int ret = facet_encoder_open(&encoder, &settings);
    if (ret < 0) {
        report_error("cannot open the encoder", ret);
        goto done;
    }
    file = fopen(output, "wb");
    if (!file || fct_write_header(file) < 0) {
        perror(output);
        goto done;
    }

    long frames = 0, keyframes = 0;
    uint64_t bytes = 0;
    double coding_seconds = 0.0;
    FacetPicture picture;
    while (max_frames < 0 || frames < max_frames) {
        int got = video_reader_read(reader, &picture);
        if (got < 0)
            goto done;
        if (got == 0)
            break;
        picture.pts = frames;
        double start = now_seconds();
        ret = facet_encoder_send_frame(encoder, &picture);
        facet_picture_unref(&picture);
        if (ret < 0) {
            report_error("encoding failed", ret);
            goto done;
        }
        /* One packet a frame; two in the latent tier when a reference
         * fragment rides along. */
        for (int n = 0;; n++) {
            FacetPacket packet;
            ret = facet_encoder_receive_packet(encoder, &packet);
            if (ret == FACET_ERR(EAGAIN) && n > 0)
                break;
            if (ret < 0) {
                report_error("encoding failed", ret);
                goto done;
            }
            ret = fct_write_packet(file, &packet);
            bytes += packet.size;
            keyframes += (packet.flags & FACET_PACKET_FLAG_KEYFRAME) != 0;
            facet_packet_unref(&packet);
            if (ret < 0) {
                perror(output);
                goto done;
            }
        }
        coding_seconds += now_seconds() - start;
        frames++;
    }
    if (frames == 0) {
        fprintf(stderr, "facet encode: %s has no video frames\n", input);
        goto done;
    }
    double seconds = (double)frames * settings.fps_den / settings.fps_num;
    printf("encoded %ld frames (%ld keyframes) of %dx%d at %d/%d fps\n", frames, keyframes,
           settings.width, settings.height, settings.fps_num, settings.fps_den);
    if (settings.mode == FACET_STREAM_MODE_LATENT)
        printf("latent tier: target %.1f kbit/s\n", settings.bitrate / 1000.0);
    printf("size: %llu bytes, %.1f bytes/frame, %.1f kbit/s\n", (unsigned long long)bytes,
           (double)bytes / (double)frames, (double)bytes * 8.0 / seconds / 1000.0);
    printf("encoding: %.2f ms/frame\n", coding_seconds * 1000.0 / (double)frames);
    status = 0;

done:
    if (file && fclose(file) != 0 && status == 0) {
        perror(output);
        status = 1;
    }
    facet_encoder_close(&encoder);
    video_reader_close(&reader);
    return status;
}

static int command_decode(int argc, char **argv)
{
    const char *model_path = NULL, *device = NULL, *latent_model_path = NULL;
    FacetBackend backend = FACET_BACKEND_AUTO;
    FacetLatentUpscale upscale = FACET_LATENT_UPSCALE_NETWORK;
    static const struct option options[] = {
        { "model", required_argument, NULL, 'm' },
        { "latent-model", required_argument, NULL, 'L' },
        { "backend", required_argument, NULL, 'b' },
        { "device", required_argument, NULL, 'd' },
        { "upscale", required_argument, NULL, 'u' },
        { NULL, 0, NULL, 0 },
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "m:b:d:", options, NULL)) != -1) {
        switch (opt) {
        case 'm':
            model_path = optarg;
            break;
        case 'L':
            latent_model_path = optarg;
            break;
        case 'b':
            if (!strcmp(optarg, "auto")) {
                backend = FACET_BACKEND_AUTO;
            } else if (!strcmp(optarg, "cpu")) {
                backend = FACET_BACKEND_CPU;
            } else if (!strcmp(optarg, "vulkan")) {
                backend = FACET_BACKEND_VULKAN;
            } else {
                fprintf(stderr, "facet decode: --backend wants auto, cpu or vulkan, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'd':
            if (*optarg == '\0') {
                fprintf(stderr, "facet decode: --device wants an index or a name\n");
                return 2;
            }
            device = optarg;
            break;
        case 'u':
            if (!strcmp(optarg, "network")) {
                upscale = FACET_LATENT_UPSCALE_NETWORK;
            } else if (!strcmp(optarg, "lanczos")) {
                upscale = FACET_LATENT_UPSCALE_LANCZOS;
            } else {
                fprintf(stderr, "facet decode: --upscale wants network or lanczos, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 2) {
        usage(stderr);
        return 2;
    }
    const char *input = argv[optind], *output = argv[optind + 1];
    FILE *in = fopen(input, "rb");
    if (!in) {
        perror(input);
        return 1;
    }
    const char *why = NULL;
    if (fct_read_header(in, &why) < 0) {
        fprintf(stderr, "facet decode: %s: %s\n", input, why);
        fclose(in);
        return 1;
    }

    int status = 1;
    FILE *out = NULL;
    FacetDecoder *decoder = NULL;
    FacetDecoderSettings settings;
    facet_decoder_default_settings(&settings);
    settings.model_path = model_path;
    settings.latent_model_path = latent_model_path;
    settings.backend = backend;
    settings.device = device;
    settings.latent_upscale = upscale;
    int ret = facet_decoder_open(&decoder, &settings);
    if (ret < 0) {
        report_error("cannot open the decoder", ret);
        goto done;
    }
    out = fopen(output, "wb");
    if (!out) {
        perror(output);
        goto done;
    }

    long frames = 0, errors = 0, packets = 0;
    double decoding_seconds = 0.0;
    int header_written = 0;
    /* Each error is printed once, with its first packet; its repeats are
     * counted and reported at the end. */
    int seen_errors[8];
    long repeats[8] = { 0 };
    int seen_count = 0;
    for (;;) {
        FacetPacket packet;
        int got = fct_read_packet(in, &packet, &why);
        if (got < 0) {
            fprintf(stderr, "facet decode: %s: %s\n", input, why);
            goto done;
        }
        if (got == 0)
            break;
        packets++;
        double start = now_seconds();
        ret = facet_decoder_send_packet(decoder, &packet);
        facet_packet_unref(&packet);
        FacetPicture picture;
        if (ret == 0) {
            ret = facet_decoder_receive_frame(decoder, &picture);
            /* A latent reference fragment is taken without a frame. */
            if (ret == FACET_ERR(EAGAIN)) {
                decoding_seconds += now_seconds() - start;
                continue;
            }
        }
        decoding_seconds += now_seconds() - start;
        if (ret < 0) {
            /* A real receiver drops the frame and waits for the next
             * keyframe; do the same and report it. */
            errors++;
            int seen = 0;
            while (seen < seen_count && seen_errors[seen] != ret)
                seen++;
            if (seen < seen_count) {
                repeats[seen]++;
                continue;
            }
            if (seen_count < (int)(sizeof(seen_errors) / sizeof(seen_errors[0])))
                seen_errors[seen_count++] = ret;
            fprintf(stderr, "facet decode: packet %ld: %s\n", packets, facet_strerror(ret));
            FacetStreamInfo info;
            if (ret == FACET_ERR(ENOTSUP) && !model_path &&
                facet_decoder_get_stream_info(decoder, &info) == 0 &&
                info.mode == FACET_STREAM_MODE_KEYPOINTS && info.model_id != 0)
                fprintf(stderr,
                        "facet decode: decode with --model PATH (a model with id %08x), or set "
                        "FACET_MODEL_PATH to a folder that holds one\n",
                        (unsigned)info.model_id);
            continue;
        }
        if (!header_written) {
            FacetStreamInfo info;
            facet_decoder_get_stream_info(decoder, &info);
            if (y4m_write_header(out, info.width, info.height, info.fps_num, info.fps_den) < 0) {
                facet_picture_unref(&picture);
                perror(output);
                goto done;
            }
            header_written = 1;
        }
        ret = y4m_write_frame(out, &picture);
        facet_picture_unref(&picture);
        if (ret < 0) {
            perror(output);
            goto done;
        }
        frames++;
    }
    for (int i = 0; i < seen_count; i++)
        if (repeats[i] > 0)
            fprintf(stderr, "facet decode: %ld more packet%s failed the same way (%s)\n",
                    repeats[i], repeats[i] == 1 ? "" : "s", facet_strerror(seen_errors[i]));
    printf("decoded %ld of %ld packets", frames, packets);
    if (frames > 0)
        printf(", %.2f ms/frame", decoding_seconds * 1000.0 / (double)frames);
    printf("\n");
    if (frames == 0)
        fprintf(stderr, "facet decode: no frame could be decoded from %s\n", input);
    status = frames > 0 && errors == 0 ? 0 : 1;

done:
    if (out && fclose(out) != 0 && status == 0) {
        perror(output);
        status = 1;
    }
    fclose(in);
    facet_decoder_close(&decoder);
    return status;
}

static int command_eval(int argc, char **argv)
{
    int per_frame = 0, max_frames = -1;
    static const struct option options[] = {
        { "per-frame", no_argument, NULL, 'p' },
        { "frames", required_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 },
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "pn:", options, NULL)) != -1) {
        if (opt == 'p')
            per_frame = 1;
        else if (opt == 'n' && parse_int(optarg, 1, 1 << 30, &max_frames) == 0)
            continue;
        else {
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 2) {
        usage(stderr);
        return 2;
    }
    VideoReader *decoded = video_reader_open(argv[optind + 1], 0, 0);
    if (!decoded)
        return 1;
    int width, height, fps_num, fps_den;
    video_reader_format(decoded, &width, &height, &fps_num, &fps_den);
    VideoReader *reference = video_reader_open(argv[optind], width, height);
    if (!reference) {
        video_reader_close(&decoded);
        return 1;
    }

    int status = 1;
    long frames = 0;
    FrameMetrics sum = { 0 };
    if (per_frame)
        printf("frame  psnr_y  psnr_u  psnr_v    psnr    ssim  ms_ssim\n");
    while (max_frames < 0 || frames < max_frames) {
        FacetPicture a, b;
        int got_a = video_reader_read(reference, &a);
        if (got_a <= 0) {
            if (got_a < 0)
                goto done;
            break;
        }
        int got_b = video_reader_read(decoded, &b);
        if (got_b <= 0) {
            facet_picture_unref(&a);
            if (got_b < 0)
                goto done;
            break;
        }
        FrameMetrics m;
        int ret = metrics_compare(&a, &b, &m);
        facet_picture_unref(&a);
        facet_picture_unref(&b);
        if (ret < 0) {
            fprintf(stderr, "facet eval: cannot compare frame %ld\n", frames);
            goto done;
        }
        if (per_frame)
            printf("%5ld %7.3f %7.3f %7.3f %7.3f %7.5f %8.5f\n", frames, m.psnr_y, m.psnr_u,
                   m.psnr_v, m.psnr, m.ssim, m.ms_ssim);
        sum.psnr_y += m.psnr_y;
        sum.psnr_u += m.psnr_u;
        sum.psnr_v += m.psnr_v;
        sum.psnr += m.psnr;
        sum.ssim += m.ssim;
        sum.ms_ssim += m.ms_ssim;
        frames++;
    }
    if (frames == 0) {
        fprintf(stderr, "facet eval: no frames to compare\n");
        goto done;
    }
    printf("mean over %ld frames: PSNR-Y %.3f dB  PSNR-U %.3f dB  PSNR-V %.3f dB  "
           "PSNR %.3f dB  SSIM %.5f  MS-SSIM %.5f\n",
           frames, sum.psnr_y / frames, sum.psnr_u / frames, sum.psnr_v / frames,
           sum.psnr / frames, sum.ssim / frames, sum.ms_ssim / frames);
    status = 0;
done:
    video_reader_close(&reference);
    video_reader_close(&decoded);
    return status;
}

int main(int argc, char **argv)
{
    /* FFmpeg's informational chatter would drown the tool's own report. */
    av_log_set_level(AV_LOG_ERROR);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *command = argv[1];
    if (!strcmp(command, "--version")) {
        printf("facet %s\n", facet_version());
        return 0;
    }
    if (!strcmp(command, "--help") || !strcmp(command, "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(command, "encode"))
        return command_encode(argc - 1, argv + 1);
    if (!strcmp(command, "decode"))
        return command_decode(argc - 1, argv + 1);
    if (!strcmp(command, "eval"))
        return command_eval(argc - 1, argv + 1);
    if (!strcmp(command, "bench"))
        return facet_command_bench(argc - 1, argv + 1);
    fprintf(stderr, "facet: unknown command '%s'\n", command);
    usage(stderr);
    return 2;
}
