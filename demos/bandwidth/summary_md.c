/* SPDX-License-Identifier: BSD-2-Clause */
/* summary.md; see summary_md.h. */
#include "summary_md.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const double summary_rates[] = { 5.0, 10.0, 20.0, 40.0 };
#define SUMMARY_RATE_COUNT 4

/* The run on `series` nearest to kbps on a log scale; *lowest tells
 * whether it is that curve's lowest-rate run. */
static const RunResult *nearest(const RunResult *results, int count, const RunConfig *series,
                                double kbps, int *lowest)
{
    const RunResult *best = NULL, *cheapest = NULL;
    for (int i = 0; i < count; i++) {
        const RunResult *r = &results[i];
        if (!run_same_series(&r->config, series) || r->kbps <= 0)
            continue;
        if (!best || fabs(log(r->kbps / kbps)) < fabs(log(best->kbps / kbps)))
            best = r;
        if (!cheapest || r->kbps < cheapest->kbps)
            cheapest = r;
    }
    *lowest = best && best == cheapest;
    return best;
}

static void put_peak(FILE *file, const RunResult *r)
{
    if (!isnan(r->peak_kbps))
        fprintf(file, " (peak %.1f)", r->peak_kbps);
}

/* One table: a row per curve at `size`, then the best conventional curve. */
static void write_size_table(FILE *file, const RunResult *results, int count, int size)
{
    fprintf(file, "\n**%dx%d**\n\n| curve |", size, size);
    for (int k = 0; k < SUMMARY_RATE_COUNT; k++)
        fprintf(file, " ~%g kbit/s |", summary_rates[k]);
    fprintf(file, "\n|---|");
    for (int k = 0; k < SUMMARY_RATE_COUNT; k++)
        fprintf(file, "---|");
    fprintf(file, "\n");
    const RunConfig **series = malloc((size_t)count * sizeof(*series));
    EnvelopePoint *envelope = malloc((size_t)count * sizeof(*envelope));
    if (!series || !envelope) {
        free(series);
        free(envelope);
        return;
    }
    int n = 0;
    for (int i = 0; i < count; i++) {
        const RunConfig *c = &results[i].config;
        int known = c->size != size;
        for (int k = 0; k < n && !known; k++)
            known = run_same_series(series[k], c);
        if (known)
            continue;
        int j = n++;
        for (; j > 0 && run_series_compare(series[j - 1], c) > 0; j--)
            series[j] = series[j - 1];
        series[j] = c;
    }
    for (int k = 0; k < n; k++) {
        char name[64];
        run_series_name(series[k], name, sizeof(name));
        fprintf(file, "| %s |", name);
        for (int c = 0; c < SUMMARY_RATE_COUNT; c++) {
            int lowest;
            const RunResult *r = nearest(results, count, series[k], summary_rates[c], &lowest);
            fprintf(file, " %.1f", r->kbps);
            put_peak(file, r);
            fprintf(file, ", %.3f, %.2f dB%s |", r->mean.ssim, r->mean.psnr,
                    lowest && r->kbps > 1.5 * summary_rates[c] ? " (lowest)" : "");
        }
        fprintf(file, "\n");
    }
    /* The best conventional curve on SSIM: its point nearest each rate and
     * where that point comes from. */
    int e = bd_envelope(results, count, size, BD_RATE_MEAN, BD_METRIC_SSIM, envelope);
    if (e > 0) {
        fprintf(file, "| **best conventional** (SSIM) |");
        for (int c = 0; c < SUMMARY_RATE_COUNT; c++) {
            const EnvelopePoint *best = &envelope[0];
            for (int k = 1; k < e; k++)
                if (fabs(log(envelope[k].point.kbps / summary_rates[c])) <
                    fabs(log(best->point.kbps / summary_rates[c])))
                    best = &envelope[k];
            char name[64];
            run_series_name(&best->run->config, name, sizeof(name));
            fprintf(file, " %.1f", best->run->kbps);
            put_peak(file, best->run);
            fprintf(file, ", %.3f, %.2f dB: %s%s |", best->run->mean.ssim, best->run->mean.psnr,
                    name, best == &envelope[0] && best->point.kbps > 1.5 * summary_rates[c]
                              ? " (lowest)" : "");
        }
        fprintf(file, "\n");
    }
    free(series);
    free(envelope);
}

/* One cell of the BD-rate table: the row of `like`'s pair on `axis` and
 * `metric`, described. */
static void put_bd_cell(FILE *file, const BdRow *rows, int count, const BdRow *like,
                        BdRateAxis axis, BdMetric metric)
{
    char text[512];
    bd_table_describe_cell(rows, count, like, axis, metric, text, sizeof(text));
    fprintf(file, " %s |", text);
}

/* A row per pair of curves: BD-rates at equal mean rate (the primary
 * ones), then at equal peak rate, which is what a call's link must carry. */
static void write_bd_table(FILE *file, const BdRow *rows, int count)
{
    fprintf(file, "\nBD-rate of Facet (negative: Facet needs less rate for the same "
                  "quality):\n\n| size | Facet | against | SSIM | PSNR | SSIM at equal peak | "
                  "PSNR at equal peak |\n|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < count; i++) {
        const BdRow *r = &rows[i];
        if (r->axis != BD_RATE_MEAN || r->metric != BD_METRIC_SSIM)
            continue;
        fprintf(file, "| %dx%d | %s | %s%s%s |", r->size, r->size, r->test,
                r->envelope ? "**" : "", r->anchor, r->envelope ? "**" : "");
        put_bd_cell(file, rows, count, r, BD_RATE_MEAN, BD_METRIC_SSIM);
        put_bd_cell(file, rows, count, r, BD_RATE_MEAN, BD_METRIC_PSNR);
        put_bd_cell(file, rows, count, r, BD_RATE_PEAK, BD_METRIC_SSIM);
        put_bd_cell(file, rows, count, r, BD_RATE_PEAK, BD_METRIC_PSNR);
        fprintf(file, "\n");
    }
    fprintf(file, "\nSSIM and PSNR: at equal mean rate. At equal peak: the same on the rate "
                  "of the busiest second (peak kbit/s), what a call's link must carry, where a "
                  "codec that bursts around keyframes pays for its bursts.\n");
}

int summary_md_write(const char *dir, const char *command, const char *input,
                     const RunResult *results, int count, const BdRow *rows, int row_count)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/summary.md", dir);
    FILE *file = fopen(path, "w");
    if (!file) {
        perror(path);
        return -1;
    }
    fprintf(file, "Input `%s`; made by\n\n```sh\n%s\n```\n\n", input, command);
    fprintf(file, "Each cell: the run nearest the column's rate: mean kbit/s (peak kbit/s: the "
                  "most bytes in any one second), SSIM, PSNR; \"lowest\" marks a curve's "
                  "lowest-rate run when it is well above the column's rate. \"@N + Lanczos\": "
                  "coded at NxN (area downscale) and upscaled with Lanczos for display and "
                  "measurement.\n");
    int sizes_done[64], size_count = 0;
    for (int i = 0; i < count; i++) {
        int size = results[i].config.size, seen = 0;
        for (int s = 0; s < size_count; s++)
            seen |= sizes_done[s] == size;
        if (seen || size_count == 64)
            continue;
        sizes_done[size_count++] = size;
        write_size_table(file, results, count, size);
    }
    if (row_count > 0)
        write_bd_table(file, rows, row_count);
    int failed = ferror(file);
    failed |= fclose(file) != 0;
    if (failed)
        fprintf(stderr, "%s: write failed\n", path);
    return failed ? -1 : 0;
}
