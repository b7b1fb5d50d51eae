/* gnuplot plots; see plots.h. */
#include "plots.h"

#include "bd_rate.h"

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

/* Data file of one codec at one size, sorted by rate: kbps, PSNR, SSIM,
 * MS-SSIM. Facet's file also gets its Pareto front (the points no other
 * Facet point beats on both rate and SSIM) after a blank-line pair, as
 * gnuplot's index 1. Returns the number of points, or -1. */
static int write_data(const char *dir, int size, CodecKind codec, const RunResult *results,
                      int count)
{
    RdPoint *points = malloc((size_t)(count > 0 ? count : 1) * sizeof(*points));
    const RunResult **rows = malloc((size_t)(count > 0 ? count : 1) * sizeof(*rows));
    int n = 0, ret = -1;
    if (!points || !rows)
        goto done;
    for (int i = 0; i < count; i++)
        if (results[i].config.codec == codec && results[i].config.size == size)
            rows[n++] = &results[i];
    if (n == 0) {
        ret = 0;
        goto done;
    }
    for (int i = 1; i < n; i++) /* insertion sort by rate: a few dozen rows */
        for (int j = i; j > 0 && rows[j]->kbps < rows[j - 1]->kbps; j--) {
            const RunResult *t = rows[j];
            rows[j] = rows[j - 1];
            rows[j - 1] = t;
        }
    char path[4096];
    snprintf(path, sizeof(path), "%s/rd-%d-%s.dat", dir, size, codec_kind_name(codec));
    FILE *file = fopen(path, "w");
    if (!file) {
        perror(path);
        goto done;
    }
    fprintf(file, "# kbps psnr ssim ms_ssim\n");
    for (int i = 0; i < n; i++)
        fprintf(file, "%.4f %.4f %.5f %.5f\n", rows[i]->kbps, rows[i]->mean.psnr,
                rows[i]->mean.ssim, rows[i]->mean.ms_ssim);
    if (codec == CODEC_FACET) {
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

static void write_plot(FILE *gp, const char *dir, int size, const int have[CODEC_COUNT],
                       const char *metric, int column, const char *terminal,
                       const char *extension)
{
    char name[64], path[4096];
    plots_file_name(name, sizeof(name), size, metric, extension);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fprintf(gp, "set terminal %s\nset output ", terminal);
    put_quoted(gp, path);
    fprintf(gp, "\nset title '%dx%d, 25 fps: rate against %s'\n", size, size,
            column == 3 ? "SSIM" : "PSNR");
    fprintf(gp, "set ylabel '%s'\n", column == 3 ? "SSIM (luma)" : "PSNR (dB, Y+U+V)");
    const char *separator = "plot ";
    for (int codec = 0; codec < CODEC_COUNT; codec++) {
        if (!have[codec])
            continue;
        snprintf(path, sizeof(path), "%s/rd-%d-%s.dat", dir, size, codec_kind_name(codec));
        fputs(separator, gp);
        put_quoted(gp, path);
        if (codec == CODEC_FACET)
            fprintf(gp, " index 0 using 1:%d with points pt 7 ps 1.2 lc rgb '%s' title 'Facet "
                        "(keyframe interval x quality)'",
                    column, codec_colors[codec]);
        else
            fprintf(gp, " using 1:%d with linespoints pt 7 lw 2 lc rgb '%s' title '%s'", column,
                    codec_colors[codec], codec_kind_name(codec));
        separator = ", \\\n     ";
        if (codec == CODEC_FACET && column == 3) {
            fputs(separator, gp);
            put_quoted(gp, path);
            fprintf(gp, " index 1 using 1:2 with lines lw 2 dt 2 lc rgb '%s' title 'Facet, best "
                        "points'", codec_colors[codec]);
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
                "set grid\nset key bottom right\n");
    for (int s = 0; s < size_count; s++) {
        int have[CODEC_COUNT];
        for (int codec = 0; codec < CODEC_COUNT; codec++) {
            have[codec] = write_data(dir, sizes[s], codec, results, count);
            if (have[codec] < 0) {
                fclose(gp);
                return -1;
            }
        }
        for (int m = 0; m < 2; m++) {
            const char *metric = m == 0 ? "ssim" : "psnr";
            int column = m == 0 ? 3 : 2;
            write_plot(gp, dir, sizes[s], have, metric, column,
                       "pngcairo size 900,600 font 'DejaVu Sans,11'", "png");
            write_plot(gp, dir, sizes[s], have, metric, column,
                       "svg size 900,600 dynamic font 'DejaVu Sans,11'", "svg");
        }
    }
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
