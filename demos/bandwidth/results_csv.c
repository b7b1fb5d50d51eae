/* SPDX-License-Identifier: BSD-2-Clause */
/* CSV output; see results_csv.h. Every field is a number or a text without
 * commas or quotes, so no field needs quoting. */
#include "results_csv.h"

#include <math.h>
#include <stdio.h>

static FILE *open_in(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *file = fopen(path, "w");
    if (!file)
        perror(path);
    return file;
}

static int close_checked(FILE *file, const char *name)
{
    int failed = ferror(file);
    failed |= fclose(file) != 0;
    if (failed)
        fprintf(stderr, "%s: write failed\n", name);
    return failed ? -1 : 0;
}

int results_csv_write(const char *dir, const RunResult *results, int count, int fps)
{
    FILE *file = open_in(dir, "results.csv");
    if (!file)
        return -1;
    /* target_kbps is the rate asked for, kbps the rate got (bytes written
     * over the duration); crf marks a conventional floor run; the keyframe
     * columns are the settings of a Facet keypoint-tier point. Empty: does
     * not apply. */
    fprintf(file, "codec,series,encoder,size,coded_size,setting,target_kbps,crf,"
                  "keyframe_interval_s,keyframe_quality,frames,seconds,bytes,kbps,peak_kbps,psnr,"
                  "psnr_y,ssim,ms_ssim,ssim_8x8,encode_ms_per_frame,decode_ms_per_frame\n");
    for (int i = 0; i < count; i++) {
        const RunResult *r = &results[i];
        char series[64];
        run_series_name(&r->config, series, sizeof(series));
        fprintf(file, "%s,%s,%s,%d,%d,%s,", codec_kind_name(r->config.codec), series, r->encoder,
                r->config.size, r->config.coded_size, r->setting);
        if (r->config.target_kbps > 0)
            fprintf(file, "%g", r->config.target_kbps);
        fputc(',', file);
        if (r->config.crf >= 0)
            fprintf(file, "%d", r->config.crf);
        fputc(',', file);
        if (r->config.codec == CODEC_FACET && r->config.facet_mode == FACET_MODE_KEYPOINTS)
            fprintf(file, "%g,%d,", r->config.keyframe_interval, r->config.keyframe_quality);
        else
            fprintf(file, ",,");
        fprintf(file, "%d,%.3f,%llu,%.3f,", r->frames, (double)r->frames / fps,
                (unsigned long long)r->bytes, r->kbps);
        if (!isnan(r->peak_kbps))
            fprintf(file, "%.3f", r->peak_kbps);
        fprintf(file, ",%.4f,%.4f,%.5f,%.5f,%.5f,%.3f,%.3f\n", r->mean.psnr, r->mean.psnr_y,
                r->mean.ssim, r->mean.ms_ssim, r->mean.ssim_8x8, r->encode_ms, r->decode_ms);
    }
    if (close_checked(file, "results.csv") < 0)
        return -1;

    file = open_in(dir, "frames.csv");
    if (!file)
        return -1;
    fprintf(file, "codec,series,size,setting,frame,bytes,psnr,psnr_y,ssim,ms_ssim,ssim_8x8\n");
    for (int i = 0; i < count; i++) {
        const RunResult *r = &results[i];
        char series[64];
        run_series_name(&r->config, series, sizeof(series));
        for (int f = 0; f < r->frames; f++) {
            const FrameMetrics *m = &r->per_frame[f];
            fprintf(file, "%s,%s,%d,%s,%d,%u,%.4f,%.4f,%.5f,%.5f,%.5f\n",
                    codec_kind_name(r->config.codec), series, r->config.size, r->setting, f,
                    r->frame_bytes[f], m->psnr, m->psnr_y, m->ssim, m->ms_ssim, m->ssim_8x8);
        }
    }
    return close_checked(file, "frames.csv");
}
