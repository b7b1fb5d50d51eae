/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-run bookkeeping and the metrics sink; see run_result.h. */
#include "run_result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *codec_kind_name(CodecKind codec)
{
    static const char *const names[CODEC_COUNT] = { "Facet", "x264", "VP8", "AV1" };
    return codec >= 0 && codec < CODEC_COUNT ? names[codec] : "?";
}

void run_series_name(const RunConfig *config, char *name, size_t name_size)
{
    if (config->codec == CODEC_FACET && config->facet_mode == FACET_MODE_LATENT)
        snprintf(name, name_size, "Facet latent @%d", config->coded_size);
    else if (config->codec == CODEC_FACET)
        snprintf(name, name_size, "Facet keypoints");
    else if (config->coded_size != config->size)
        snprintf(name, name_size, "%s @%d + Lanczos", codec_kind_name(config->codec),
                 config->coded_size);
    else
        snprintf(name, name_size, "%s", codec_kind_name(config->codec));
}

int run_same_series(const RunConfig *a, const RunConfig *b)
{
    return a->codec == b->codec && a->size == b->size && a->coded_size == b->coded_size &&
           (a->codec != CODEC_FACET || a->facet_mode == b->facet_mode);
}

int run_series_compare(const RunConfig *a, const RunConfig *b)
{
    if (a->codec != b->codec)
        return a->codec < b->codec ? -1 : 1;
    if (a->codec == CODEC_FACET && a->facet_mode != b->facet_mode)
        return a->facet_mode < b->facet_mode ? -1 : 1;
    if (a->coded_size != b->coded_size)
        return a->coded_size > b->coded_size ? -1 : 1;
    return 0;
}

int run_result_init(RunResult *result, const RunConfig *config, int frames)
{
    memset(result, 0, sizeof(*result));
    result->config = *config;
    result->frames = frames;
    result->per_frame = calloc((size_t)frames, sizeof(*result->per_frame));
    result->frame_bytes = calloc((size_t)frames, sizeof(*result->frame_bytes));
    if (!result->per_frame || !result->frame_bytes) {
        run_result_free(result);
        return -1;
    }
    return 0;
}

void run_result_finish(RunResult *result, int fps)
{
    FrameMetrics sum = { 0 };
    uint64_t bytes = 0;
    for (int i = 0; i < result->frames; i++) {
        const FrameMetrics *m = &result->per_frame[i];
        sum.psnr += m->psnr;
        sum.psnr_y += m->psnr_y;
        sum.psnr_u += m->psnr_u;
        sum.psnr_v += m->psnr_v;
        sum.ssim += m->ssim;
        sum.ms_ssim += m->ms_ssim;
        sum.ssim_8x8 += m->ssim_8x8;
        bytes += result->frame_bytes[i];
    }
    double n = result->frames > 0 ? result->frames : 1;
    result->mean.psnr = sum.psnr / n;
    result->mean.psnr_y = sum.psnr_y / n;
    result->mean.psnr_u = sum.psnr_u / n;
    result->mean.psnr_v = sum.psnr_v / n;
    result->mean.ssim = sum.ssim / n;
    result->mean.ms_ssim = sum.ms_ssim / n;
    result->mean.ssim_8x8 = sum.ssim_8x8 / n;
    result->bytes = bytes;
    double seconds = (double)result->frames / fps;
    result->kbps = seconds > 0 ? (double)bytes * 8.0 / seconds / 1000.0 : 0.0;
    /* The link has to carry the busiest second, not the mean: slide a
     * window of fps frames over the clip. */
    result->peak_kbps = NAN;
    if (fps > 0 && result->frames >= fps) {
        uint64_t window = 0, most = 0;
        for (int i = 0; i < result->frames; i++) {
            window += result->frame_bytes[i];
            if (i >= fps)
                window -= result->frame_bytes[i - fps];
            if (i >= fps - 1 && window > most)
                most = window;
        }
        result->peak_kbps = (double)most * 8.0 / 1000.0;
    }
}

void run_result_free(RunResult *result)
{
    free(result->per_frame);
    free(result->frame_bytes);
    result->per_frame = NULL;
    result->frame_bytes = NULL;
}

int measure_decoded_frame(void *opaque, int index, const FacetPicture *decoded)
{
    MeasureSink *sink = opaque;
    if (index < 0 || index >= sink->result->frames || index >= sink->clip->count)
        return -1;
    if (metrics_compare(&sink->clip->frames[index], decoded, &sink->result->per_frame[index]) < 0) {
        fprintf(stderr, "cannot compare frame %d (%dx%d decoded, %dx%d source)\n", index,
                decoded->width, decoded->height, sink->clip->frames[index].width,
                sink->clip->frames[index].height);
        return -1;
    }
    return 0;
}
