/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line parsing; see options.h. */
#include "options.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FACET_BANDWIDTH_DEFAULT_CLIP
#define FACET_BANDWIDTH_DEFAULT_CLIP \
    "/usr/share/forensics-samples/original-files/movie2/movie-hello.mp4"
#endif
/* The webcam picture in the top left corner of the default clip, a square
 * around the face (found by looking at its frames with ffmpeg). */
#define DEFAULT_CLIP_CROP "188:188:130:84"

static const char usage[] =
    "usage: facet-bandwidth [OPTIONS] [CLIP]\n"
    "\n"
    "Codes CLIP (any video FFmpeg reads) with Facet and with x264, VP8 and AV1\n"
    "over a sweep of bitrates and writes a report: results.csv, frames.csv,\n"
    "rate-distortion plots, BD-rates, a side-by-side video and report.html.\n"
    "Without CLIP: " FACET_BANDWIDTH_DEFAULT_CLIP "\n"
    "(package forensics-samples-files), cropped to its webcam picture.\n"
    "\n"
    "  -o, --out DIR          report folder (default bandwidth-report)\n"
    "      --crop W:H:X:Y     crop this rectangle of source pixels (default: the\n"
    "                         centred square; " DEFAULT_CLIP_CROP " for the default clip)\n"
    "      --seconds S        code at most S seconds of the clip, 0.04..60 (default 10)\n"
    "      --sizes LIST       square picture sides, even, 64..1024 (default 256,512)\n"
    "      --rates LIST       kbit/s targets of x264, VP8 and AV1\n"
    "                         (default 5,10,20,40,80,160,300)\n"
    "      --facet LIST       Facet points INTERVAL:QUALITY, keyframe interval in\n"
    "                         seconds and keyframe quality 0..100\n"
    "                         (default 5:20,5:40,2:40,2:60,1:60,0.5:80)\n"
    "      --latent LIST      kbit/s targets of Facet's latent tier (default\n"
    "                         5,10,20,40; --full: 5,7,10,14,20,28,40)\n"
    "      --latent-scales LIST  its scales r, 2 and/or 4: one curve each\n"
    "                         (default 2,4)\n"
    "      --no-latent        no latent-tier runs\n"
    "      --scales LIST      x264, VP8 and AV1 also code S/N for each N > 1 here\n"
    "                         (area downscale; Lanczos upscale to S for measuring;\n"
    "                         1..8, default 1,2,4)\n"
    "      --no-floor         no floor run (each codec at its coarsest quantiser,\n"
    "                         the lowest rate it reaches) per codec and scale\n"
    "      --full             denser sweep (13 rates, 9 Facet points)\n"
    "      --codecs LIST      any of facet,x264,vp8,av1 (default all)\n"
    "      --model PATH       Facet model (default $FACET_MODEL, else the source\n"
    "                         tree's or the installed facet-256.safetensors)\n"
    "      --latent-model PATH  the latent tier's model (default $FACET_LATENT_MODEL,\n"
    "                         else the source tree's or the installed\n"
    "                         facet-latent.safetensors)\n"
    "      --pictures LIST    side-by-side videos and stills SIZE:KBPS, every codec's\n"
    "                         run near KBPS at SIZE (default: 10 kbit/s at each size\n"
    "                         up to 512 and 20 kbit/s at 512)\n"
    "      --no-pictures      no side-by-side videos or stills\n"
    "      --threads N        threads per codec, 0 automatic (default 0)\n"
    "  -j, --jobs N           runs at a time, 1..16 (default: the number of CPUs)\n"
    "  -h, --help             this text\n";

static const char full_rates[] = "5,7,10,14,20,28,40,56,80,113,160,226,300";
static const char full_latent_rates[] = "5,7,10,14,20,28,40";
static const char full_points[] = "10:20,10:40,5:20,5:40,2:40,2:60,1:60,1:80,0.5:80";

static int parse_double(const char *text, double min, double max, double *value)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(v) || v < min || v > max)
        return -1;
    *value = v;
    return 0;
}

static int parse_int(const char *text, int min, int max, int *value)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < min || v > max)
        return -1;
    *value = (int)v;
    return 0;
}

/* Splits a comma-separated list into at most OPTIONS_MAX_LIST items and
 * calls parse_item for each. An empty list or item is an error. Returns the
 * count or -1. */
static int parse_list(const char *text, int (*parse_item)(const char *item, void *out, int index),
                      void *out)
{
    char item[256];
    int count = 0;
    for (const char *p = text;; p++) {
        size_t length = strcspn(p, ",");
        if (length == 0 || length >= sizeof(item) || count == OPTIONS_MAX_LIST)
            return -1;
        memcpy(item, p, length);
        item[length] = '\0';
        if (parse_item(item, out, count) < 0)
            return -1;
        count++;
        p += length;
        if (*p == '\0')
            return count;
    }
}

static int parse_size_item(const char *item, void *out, int index)
{
    /* Even sides keep 4:2:0 chroma whole; the clip is held in memory, so
     * 1024 (1.5 MB a frame) bounds it. */
    int *sizes = out;
    return parse_int(item, 64, 1024, &sizes[index]) < 0 || sizes[index] % 2 ? -1 : 0;
}

static int parse_rate_item(const char *item, void *out, int index)
{
    return parse_double(item, 1.0, 100000.0, &((double *)out)[index]);
}

static int parse_point_item(const char *item, void *out, int index)
{
    FacetPoint *points = out;
    char interval[64];
    const char *colon = strchr(item, ':');
    if (!colon || (size_t)(colon - item) >= sizeof(interval))
        return -1;
    memcpy(interval, item, (size_t)(colon - item));
    interval[colon - item] = '\0';
    if (parse_double(interval, 0.04, 3600.0, &points[index].keyframe_interval) < 0 ||
        parse_int(colon + 1, 0, 100, &points[index].keyframe_quality) < 0)
        return -1;
    return 0;
}

static int parse_scale_item(const char *item, void *out, int index)
{
    return parse_int(item, 1, 8, &((int *)out)[index]);
}

static int parse_latent_scale_item(const char *item, void *out, int index)
{
    int *scales = out;
    return parse_int(item, 2, 4, &scales[index]) < 0 || scales[index] == 3 ? -1 : 0;
}

static int parse_picture_item(const char *item, void *out, int index)
{
    PicturePoint *points = out;
    char size[64];
    const char *colon = strchr(item, ':');
    if (!colon || (size_t)(colon - item) >= sizeof(size))
        return -1;
    memcpy(size, item, (size_t)(colon - item));
    size[colon - item] = '\0';
    return parse_int(size, 64, 1024, &points[index].size) < 0 ||
                   parse_double(colon + 1, 0.1, 100000.0, &points[index].kbps) < 0
               ? -1
               : 0;
}

static int parse_codec_item(const char *item, void *out, int index)
{
    static const char *const names[CODEC_COUNT] = { "facet", "x264", "vp8", "av1" };
    int *codecs = out;
    (void)index;
    for (int c = 0; c < CODEC_COUNT; c++)
        if (strcmp(item, names[c]) == 0) {
            codecs[c] = 1;
            return 0;
        }
    return -1;
}

static int parse_codecs(const char *text, int codecs[CODEC_COUNT])
{
    memset(codecs, 0, CODEC_COUNT * sizeof(int));
    return parse_list(text, parse_codec_item, codecs) < 0 ? -1 : 0;
}

static const char *default_model_path(void)
{
    const char *env = getenv("FACET_MODEL");
    if (env && env[0])
        return env;
#ifdef FACET_SOURCE_MODEL
    if (access(FACET_SOURCE_MODEL, R_OK) == 0)
        return FACET_SOURCE_MODEL;
#endif
    return facet_default_model_path();
}

static const char *default_latent_model_path(void)
{
    const char *env = getenv("FACET_LATENT_MODEL");
    if (env && env[0])
        return env;
#ifdef FACET_SOURCE_LATENT_MODEL
    if (access(FACET_SOURCE_LATENT_MODEL, R_OK) == 0)
        return FACET_SOURCE_LATENT_MODEL;
#endif
    return facet_default_latent_model_path();
}

static int fail(const char *option, const char *value)
{
    fprintf(stderr, "facet-bandwidth: invalid %s '%s' (see --help)\n", option, value);
    return -1;
}

int options_parse(Options *o, int argc, char **argv)
{
    enum { OPT_CROP = 256, OPT_SECONDS, OPT_SIZES, OPT_RATES, OPT_FACET, OPT_FULL, OPT_CODECS,
           OPT_MODEL, OPT_PICTURES, OPT_NO_PICTURES, OPT_THREADS, OPT_SCALES, OPT_NO_FLOOR,
           OPT_LATENT, OPT_LATENT_SCALES, OPT_NO_LATENT, OPT_LATENT_MODEL };
    static const struct option long_options[] = {
        { "out", required_argument, NULL, 'o' },
        { "crop", required_argument, NULL, OPT_CROP },
        { "seconds", required_argument, NULL, OPT_SECONDS },
        { "sizes", required_argument, NULL, OPT_SIZES },
        { "rates", required_argument, NULL, OPT_RATES },
        { "facet", required_argument, NULL, OPT_FACET },
        { "full", no_argument, NULL, OPT_FULL },
        { "codecs", required_argument, NULL, OPT_CODECS },
        { "model", required_argument, NULL, OPT_MODEL },
        { "pictures", required_argument, NULL, OPT_PICTURES },
        { "no-pictures", no_argument, NULL, OPT_NO_PICTURES },
        { "threads", required_argument, NULL, OPT_THREADS },
        { "jobs", required_argument, NULL, 'j' },
        { "scales", required_argument, NULL, OPT_SCALES },
        { "no-floor", no_argument, NULL, OPT_NO_FLOOR },
        { "latent", required_argument, NULL, OPT_LATENT },
        { "latent-scales", required_argument, NULL, OPT_LATENT_SCALES },
        { "no-latent", no_argument, NULL, OPT_NO_LATENT },
        { "latent-model", required_argument, NULL, OPT_LATENT_MODEL },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof(*o));
    o->out_dir = "bandwidth-report";
    o->seconds = 10.0;
    o->floor = 1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->jobs = cpus < 1 ? 1 : cpus > 16 ? 16 : (int)cpus;
    const char *sizes = "256,512", *rates = "5,10,20,40,80,160,300";
    const char *points = "5:20,5:40,2:40,2:60,1:60,0.5:80", *crop = NULL;
    const char *scales = "1,2,4", *pictures = NULL;
    const char *latent_rates = "5,10,20,40", *latent_scales = "2,4";
    int full = 0, rates_given = 0, points_given = 0, no_pictures = 0;
    int latent_given = 0, no_latent = 0;
    for (int c = 0; c < CODEC_COUNT; c++)
        o->codecs[c] = 1;

    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "o:j:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'o':
            if (!optarg[0])
                return fail("--out", optarg);
            o->out_dir = optarg;
            break;
        case OPT_CROP: crop = optarg; break;
        case OPT_SECONDS:
            /* The clip is held in memory: 60 s at 1024x1024 is 2.3 GB. */
            if (parse_double(optarg, 0.04, 60.0, &o->seconds) < 0)
                return fail("--seconds", optarg);
            break;
        case OPT_SIZES: sizes = optarg; break;
        case OPT_RATES: rates = optarg; rates_given = 1; break;
        case OPT_FACET: points = optarg; points_given = 1; break;
        case OPT_FULL: full = 1; break;
        case OPT_CODECS:
            if (parse_codecs(optarg, o->codecs) < 0)
                return fail("--codecs", optarg);
            break;
        case OPT_MODEL:
            if (!optarg[0])
                return fail("--model", optarg);
            o->model_path = optarg;
            break;
        case OPT_PICTURES: pictures = optarg; break;
        case OPT_NO_PICTURES: no_pictures = 1; break;
        case OPT_THREADS:
            if (parse_int(optarg, 0, 64, &o->threads) < 0)
                return fail("--threads", optarg);
            break;
        case 'j':
            if (parse_int(optarg, 1, 16, &o->jobs) < 0)
                return fail("--jobs", optarg);
            break;
        case OPT_SCALES: scales = optarg; break;
        case OPT_NO_FLOOR: o->floor = 0; break;
        case OPT_LATENT: latent_rates = optarg; latent_given = 1; break;
        case OPT_LATENT_SCALES: latent_scales = optarg; break;
        case OPT_NO_LATENT: no_latent = 1; break;
        case OPT_LATENT_MODEL:
            if (!optarg[0])
                return fail("--latent-model", optarg);
            o->latent_model_path = optarg;
            break;
        case 'h': fputs(usage, stdout); return 1;
        default: fputs(usage, stderr); return -1;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "facet-bandwidth: one clip at most (see --help)\n");
        return -1;
    }
    if (full) {
        if (!rates_given)
            rates = full_rates;
        if (!points_given)
            points = full_points;
        if (!latent_given)
            latent_rates = full_latent_rates;
    }
    o->default_input = optind == argc;
    o->input = o->default_input ? FACET_BANDWIDTH_DEFAULT_CLIP : argv[optind];
    if (!crop && o->default_input)
        crop = DEFAULT_CLIP_CROP;
    if (crop && clip_parse_crop(crop, &o->crop) < 0)
        return fail("--crop", crop);
    if ((o->size_count = parse_list(sizes, parse_size_item, o->sizes)) < 0)
        return fail("--sizes (even sides 64..1024)", sizes);
    for (int i = 0; i < o->size_count; i++)
        for (int j = 0; j < i; j++)
            if (o->sizes[i] == o->sizes[j])
                return fail("--sizes (a size twice)", sizes);
    if ((o->rate_count = parse_list(rates, parse_rate_item, o->rates)) < 0)
        return fail("--rates", rates);
    if ((o->facet_point_count = parse_list(points, parse_point_item, o->facet_points)) < 0)
        return fail("--facet", points);
    if (!no_latent) {
        if ((o->latent_rate_count = parse_list(latent_rates, parse_rate_item, o->latent_rates)) < 0)
            return fail("--latent", latent_rates);
        if ((o->latent_scale_count = parse_list(latent_scales, parse_latent_scale_item,
                                                o->latent_scales)) < 0)
            return fail("--latent-scales (2 or 4)", latent_scales);
        for (int i = 0; i < o->latent_scale_count; i++)
            for (int j = 0; j < i; j++)
                if (o->latent_scales[i] == o->latent_scales[j])
                    return fail("--latent-scales (a scale twice)", latent_scales);
    }
    if ((o->scale_count = parse_list(scales, parse_scale_item, o->scales)) < 0)
        return fail("--scales (1..8)", scales);
    for (int i = 0; i < o->scale_count; i++)
        for (int j = 0; j < i; j++)
            if (o->scales[i] == o->scales[j])
                return fail("--scales (a scale twice)", scales);
    if (pictures) {
        if ((o->picture_count = parse_list(pictures, parse_picture_item, o->pictures)) < 0)
            return fail("--pictures (SIZE:KBPS,...)", pictures);
        for (int i = 0; i < o->picture_count; i++) {
            int swept = 0;
            for (int s = 0; s < o->size_count; s++)
                swept |= o->sizes[s] == o->pictures[i].size;
            if (!swept)
                return fail("--pictures (a size not in --sizes)", pictures);
        }
    } else if (!no_pictures) {
        /* About 10 kbit/s, where a call whose bandwidth drops lives, at every
         * size up to 512 (a 512 mosaic of 5 tiles holds 0.5 GB for 10 s),
         * and 20 kbit/s at 512 too. */
        for (int s = 0; s < o->size_count && o->picture_count + 2 <= OPTIONS_MAX_LIST; s++) {
            if (o->sizes[s] > 512)
                continue;
            o->pictures[o->picture_count++] = (PicturePoint){ o->sizes[s], 10.0 };
            if (o->sizes[s] == 512)
                o->pictures[o->picture_count++] = (PicturePoint){ 512, 20.0 };
        }
    }
    if (no_pictures)
        o->picture_count = 0;
    if (!o->model_path)
        o->model_path = default_model_path();
    if (!o->latent_model_path)
        o->latent_model_path = default_latent_model_path();
    return 0;
}
