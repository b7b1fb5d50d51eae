/* SPDX-License-Identifier: BSD-2-Clause */
/* gnuplot plots; see plots.h. */
#include "plots.h"

#include "bd_table.h"

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

static const char *const codec_colors[CODEC_COUNT] = { "#d62728", "#1f77b4", "#2ca02c",
                                                        "#9467bd" };

void plots_file_name(char *name, size_t name_size, int size, const char *metric,
                     const char *extension)
{
    snprintf(name, name_size, "rd-%d-%s.%s", size, metric, extension);
}

/* Writes `text` as a gnuplot single-quoted string ('' stands for '). */
static void put_quoted(FILE *file, const char *text)
{
    fputc('\'', file);
    for (const char *c = text; *c; c++) {
        if (*c == '\'')
            fputc('\'', file);
        fputc(*c, file);
    }
    fputc('\'', file);
}

/* File-name form of a curve's name: "AV1 @128 + Lanczos" -> "AV1-at128". */
static void series_slug(const RunConfig *series, char *slug, size_t slug_size)
{
    if (series->codec == CODEC_FACET && series->facet_mode == FACET_MODE_LATENT)
        snprintf(slug, slug_size, "Facet-latent-at%d", series->coded_size);
    else if (series->codec == CODEC_FACET)
        snprintf(slug, slug_size, "Facet-keypoints");
    else if (series->coded_size != series->size)
        snprintf(slug, slug_size, "%s-at%d", codec_kind_name(series->codec), series->coded_size);
    else
        snprintf(slug, slug_size, "%s", codec_kind_name(series->codec));
}

/* A curve of points from settings, not rate targets: Facet's keypoint tier. */
static int settings_series(const RunConfig *series)
{
    return series->codec == CODEC_FACET && series->facet_mode == FACET_MODE_KEYPOINTS;
}

/* Data file of one curve, sorted by rate: kbps, PSNR, SSIM, MS-SSIM. A
 * settings curve also gets its Pareto front (the points no other point of it
 * beats on both rate and SSIM) after a blank-line pair, as gnuplot's
 * index 1. Returns the number of points, or -1. */
static int write_data(const char *dir, const RunConfig *series, const RunResult *results,
                      int count)
{
    RdPoint *points = malloc((size_t)(count > 0 ? count : 1) * sizeof(*points));
    const RunResult **rows = malloc((size_t)(count > 0 ? count : 1) * sizeof(*rows));
    int n = 0, ret = -1;
    if (!points || !rows)
        goto done;
    for (int i = 0; i < count; i++)
        if (run_same_series(&results[i].config, series))
            rows[n++] = &results[i];
    for (int i = 1; i < n; i++) /* insertion sort by rate: a few dozen rows */
        for (int j = i; j > 0 && rows[j]->kbps < rows[j - 1]->kbps; j--) {
            const RunResult *t = rows[j];
            rows[j] = rows[j - 1];
            rows[j - 1] = t;
        }
    char path[4096], slug[64];
    series_slug(series, slug, sizeof(slug));
    snprintf(path, sizeof(path), "%s/rd-%d-%s.dat", dir, series->size, slug);
    FILE *file = fopen(path, "w");
    if (!file) {
        perror(path);
        goto done;
    }
    fprintf(file, "# kbps psnr ssim ms_ssim\n");
    for (int i = 0; i < n; i++)
        fprintf(file, "%.4f %.4f %.5f %.5f\n", rows[i]->kbps, rows[i]->mean.psnr,
                rows[i]->mean.ssim, rows[i]->mean.ms_ssim);
    if (settings_series(series)) {
        fprintf(file, "\n\n# Pareto front on SSIM: kbps ssim\n");
        for (int i = 0; i < n; i++)
            points[i] = (RdPoint){ rows[i]->kbps, rows[i]->mean.ssim };
        int front = rd_pareto(points, n);
        for (int i = 0; i < front; i++)
            fprintf(file, "%.4f %.5f\n", points[i].kbps, points[i].quality);
    }
    ret = fclose(file) == 0 ? n : -1;
done:
    free(points);
    free(rows);
    return ret;
}

/* The best conventional curve on one metric: kbps, quality. */
static int write_envelope(const char *dir, int size, BdMetric metric, const RunResult *results,
                          int count)
{
    EnvelopePoint *points = malloc((size_t)(count > 0 ? count : 1) * sizeof(*points));
    if (!points)
        return -1;
    int n = bd_envelope(results, count, size, BD_RATE_MEAN, metric, points);
    char path[4096];
    snprintf(path, sizeof(path), "%s/rd-%d-best-%s.dat", dir, size,
             metric == BD_METRIC_SSIM ? "ssim" : "psnr");
    FILE *file = fopen(path, "w");
    if (!file) {
        perror(path);
        free(points);
        return -1;
    }
    fprintf(file, "# best conventional curve: kbps %s\n", bd_metric_name(metric));
    for (int i = 0; i < n; i++)
        fprintf(file, "%.4f %.5f\n", points[i].point.kbps, points[i].point.quality);
    free(points);
    return fclose(file) == 0 ? n : -1;
}

static void write_plot(FILE *gp, const char *dir, int size, const RunConfig *const *series,
                       int series_count, int have_envelope, const char *metric, int column,
                       const char *terminal, const char *extension)
{
    char name[64], path[4096];
    plots_file_name(name, sizeof(name), size, metric, extension);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    /* noenhanced: "@" in "AV1 @128" is markup in enhanced text. */
    fprintf(gp, "set terminal %s noenhanced\nset output ", terminal);
    put_quoted(gp, path);
    fprintf(gp, "\nset title '%dx%d, 25 fps: rate against %s'\n", size, size,
            column == 3 ? "SSIM" : "PSNR");
    fprintf(gp, "set ylabel '%s'\n", column == 3 ? "SSIM (luma)" : "PSNR (dB, Y+U+V)");
    const char *separator = "plot ";
    if (have_envelope) {
        snprintf(path, sizeof(path), "%s/rd-%d-best-%s.dat", dir, size, metric);
        fputs(separator, gp);
        put_quoted(gp, path);
        fprintf(gp, " using 1:2 with lines lw 9 lc rgb '#d8d8d8' title 'best conventional'");
        separator = ", \\\n     ";
    }
    for (int k = 0; k < series_count; k++) {
        const RunConfig *c = series[k];
        char slug[64], title[64];
        series_slug(c, slug, sizeof(slug));
        run_series_name(c, title, sizeof(title));
        snprintf(path, sizeof(path), "%s/rd-%d-%s.dat", dir, size, slug);
        fputs(separator, gp);
        put_quoted(gp, path);
        if (settings_series(c)) {
            fprintf(gp, " index 0 using 1:%d with points pt 7 ps 1.2 lc rgb '%s' title ",
                    column, codec_colors[c->codec]);
            strncat(title, " (settings)", sizeof(title) - strlen(title) - 1);
            put_quoted(gp, title);
        } else {
            /* Full resolution solid, S/2 dashed, S/4 dotted. */
            int scale = c->coded_size > 0 ? (c->size + c->coded_size / 2) / c->coded_size : 1;
            int dash = scale <= 1 ? 1 : scale == 2 ? 2 : 3;
            int point = scale <= 1 ? 7 : scale == 2 ? 5 : 9;
            fprintf(gp, " using 1:%d with linespoints pt %d ps 0.8 lw 2 dt %d lc rgb '%s' title ",
                    column, point, dash, codec_colors[c->codec]);
            put_quoted(gp, title);
        }
        separator = ", \\\n     ";
        if (settings_series(c) && column == 3) {
            fputs(separator, gp);
            put_quoted(gp, path);
            fprintf(gp, " index 1 using 1:2 with lines lw 2 dt 2 lc rgb '%s' title 'Facet, best "
                        "points'", codec_colors[c->codec]);
        }
    }
    fputs("\nunset output\n", gp);
}

int plots_write(const char *dir, const RunResult *results, int count)
{
    int sizes[64], size_count = 0;
    for (int i = 0; i < count; i++) {
        int known = 0;
        for (int s = 0; s < size_count; s++)
            known |= sizes[s] == results[i].config.size;
        if (!known && size_count < 64)
            sizes[size_count++] = results[i].config.size;
    }
    char script[4096];
    snprintf(script, sizeof(script), "%s/plots.gp", dir);
    FILE *gp = fopen(script, "w");
    if (!gp) {
        perror(script);
        return -1;
    }
    fprintf(gp, "# Rate-distortion plots of facet-bandwidth; run: gnuplot plots.gp\n"
                "set logscale x 2\nset xlabel 'kbit/s (bytes written, log scale)'\n"
                "set grid\nset key outside right top\n");
    const RunConfig **series = malloc((size_t)(count > 0 ? count : 1) * sizeof(*series));
    if (!series) {
        fclose(gp);
        return -1;
    }
    for (int s = 0; s < size_count; s++) {
        /* The curves at this size, in table order. */
        int n = 0;
        for (int i = 0; i < count; i++) {
            const RunConfig *c = &results[i].config;
            int known = c->size != sizes[s];
            for (int k = 0; k < n && !known; k++)
                known = run_same_series(series[k], c);
            if (known)
                continue;
            int j = n++;
            for (; j > 0 && run_series_compare(series[j - 1], c) > 0; j--)
                series[j] = series[j - 1];
            series[j] = c;
        }
        int have_envelope = 0;
        for (int k = 0; k < n; k++)
            have_envelope |= series[k]->codec != CODEC_FACET;
        int failed = 0;
        for (int k = 0; k < n; k++)
            failed |= write_data(dir, series[k], results, count) < 0;
        for (int m = 0; m < BD_METRIC_COUNT && have_envelope; m++)
            failed |= write_envelope(dir, sizes[s], m, results, count) < 0;
        if (failed) {
            free(series);
            fclose(gp);
            return -1;
        }
        for (int m = 0; m < 2; m++) {
            const char *metric = m == 0 ? "ssim" : "psnr";
            int column = m == 0 ? 3 : 2;
            write_plot(gp, dir, sizes[s], series, n, have_envelope, metric, column,
                       "pngcairo size 1000,650 font 'DejaVu Sans,11'", "png");
            write_plot(gp, dir, sizes[s], series, n, have_envelope, metric, column,
                       "svg size 1000,650 dynamic font 'DejaVu Sans,11'", "svg");
        }
    }
    free(series);
    if (fclose(gp) != 0) {
        fprintf(stderr, "%s: write failed\n", script);
        return -1;
    }
    char *argv[] = { "gnuplot", script, NULL };
    pid_t pid;
    int err = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
    if (err != 0) {
        fprintf(stderr, "cannot run gnuplot (%s): no plots; install gnuplot-nox "
                        "(scripts/setup) and run gnuplot %s\n", strerror(err), script);
        return -1;
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "gnuplot failed on %s: the plots may be missing\n", script);
        return -1;
    }
    return 0;
}
