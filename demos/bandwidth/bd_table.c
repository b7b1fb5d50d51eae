/* SPDX-License-Identifier: BSD-2-Clause */
/* BD-rate table; see bd_table.h. */
#include "bd_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bd_metric_name(BdMetric metric)
{
    return metric == BD_METRIC_SSIM ? "SSIM" : "PSNR";
}

double bd_metric_value(const RunResult *run, BdMetric metric)
{
    return metric == BD_METRIC_SSIM ? run->mean.ssim : run->mean.psnr;
}

/* The rate-quality curve of the runs on `series`: its Pareto front. */
static int series_curve(const RunResult *results, int count, const RunConfig *series,
                        BdMetric metric, RdPoint *points)
{
    int n = 0;
    for (int i = 0; i < count; i++)
        if (run_same_series(&results[i].config, series))
            points[n++] = (RdPoint){ results[i].kbps, bd_metric_value(&results[i], metric) };
    return rd_pareto(points, n);
}

int bd_envelope(const RunResult *results, int count, int size, BdMetric metric,
                EnvelopePoint *points)
{
    int n = 0;
    for (int i = 0; i < count; i++) {
        const RunResult *r = &results[i];
        if (r->config.codec == CODEC_FACET || r->config.size != size || r->kbps <= 0)
            continue;
        /* Insertion by rate (then better quality first): a few hundred runs. */
        EnvelopePoint p = { { r->kbps, bd_metric_value(r, metric) }, r };
        int j = n++;
        for (; j > 0 && (points[j - 1].point.kbps > p.point.kbps ||
                         (points[j - 1].point.kbps == p.point.kbps &&
                          points[j - 1].point.quality < p.point.quality));
             j--)
            points[j] = points[j - 1];
        points[j] = p;
    }
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (kept == 0 || points[i].point.quality > points[kept - 1].point.quality)
            points[kept++] = points[i];
    return kept;
}

/* The distinct curves at `size` in run_series_compare() order; `facet`
 * selects Facet's (1) or the conventional ones (0). */
static int list_series(const RunResult *results, int count, int size, int facet,
                       const RunConfig **series)
{
    int n = 0;
    for (int i = 0; i < count; i++) {
        const RunConfig *c = &results[i].config;
        if (c->size != size || (c->codec == CODEC_FACET) != facet)
            continue;
        int known = 0;
        for (int k = 0; k < n; k++)
            known |= run_same_series(series[k], c);
        if (known)
            continue;
        int j = n++;
        for (; j > 0 && run_series_compare(series[j - 1], c) > 0; j--)
            series[j] = series[j - 1];
        series[j] = c;
    }
    return n;
}

static void fill_row(BdRow *row, const RdPoint *test, int test_n, const RdPoint *anchor,
                     int anchor_n)
{
    row->test_lowest = test[0];
    row->test_highest = test[test_n - 1];
    row->anchor_lowest = anchor[0];
    row->anchor_highest = anchor[anchor_n - 1];
    row->test_points = test_n;
    row->anchor_points = anchor_n;
    row->overlap = bd_rate(test, test_n, anchor, anchor_n, &row->percent, &row->low,
                           &row->high) == 0;
}

int bd_table_compute(const RunResult *results, int count, BdRow *rows, int capacity)
{
    size_t n = (size_t)(count > 0 ? count : 1);
    RdPoint *test = malloc(n * sizeof(*test));
    RdPoint *anchor = malloc(n * sizeof(*anchor));
    EnvelopePoint *envelope = malloc(n * sizeof(*envelope));
    const RunConfig **facet_series = malloc(n * sizeof(*facet_series));
    const RunConfig **anchor_series = malloc(n * sizeof(*anchor_series));
    int row_count = -1;
    if (!test || !anchor || !envelope || !facet_series || !anchor_series)
        goto done;
    row_count = 0;
    for (int i = 0; i < count; i++) {
        int size = results[i].config.size, first = 1;
        for (int j = 0; j < i; j++)
            first &= results[j].config.size != size;
        if (!first)
            continue;
        int facet_n = list_series(results, count, size, 1, facet_series);
        int anchor_n = list_series(results, count, size, 0, anchor_series);
        for (int f = 0; f < facet_n; f++)
            for (int a = -1; a < anchor_n; a++) /* -1: the best conventional curve */
                for (int metric = 0; metric < BD_METRIC_COUNT; metric++) {
                    int tn = series_curve(results, count, facet_series[f], metric, test);
                    int an;
                    if (a < 0) {
                        an = bd_envelope(results, count, size, metric, envelope);
                        for (int k = 0; k < an; k++)
                            anchor[k] = envelope[k].point;
                    } else {
                        an = series_curve(results, count, anchor_series[a], metric, anchor);
                    }
                    if (tn == 0 || an == 0 || row_count == capacity)
                        continue;
                    BdRow *row = &rows[row_count++];
                    memset(row, 0, sizeof(*row));
                    row->size = size;
                    row->metric = metric;
                    row->envelope = a < 0;
                    run_series_name(facet_series[f], row->test, sizeof(row->test));
                    if (a < 0)
                        snprintf(row->anchor, sizeof(row->anchor), "%s", BD_ENVELOPE_NAME);
                    else
                        run_series_name(anchor_series[a], row->anchor, sizeof(row->anchor));
                    fill_row(row, test, tn, anchor, an);
                }
    }
done:
    free(test);
    free(anchor);
    free(envelope);
    free(facet_series);
    free(anchor_series);
    return row_count;
}

static void format_quality(char *text, size_t size, BdMetric metric, double quality)
{
    snprintf(text, size, metric == BD_METRIC_SSIM ? "%.4f" : "%.2f dB", quality);
}

/* "SSIM 0.7000 to 0.8000 at 5.0 to 20.0 kbit/s", or one point's. */
static void describe_reach(char *text, size_t size, BdMetric metric, RdPoint low, RdPoint high)
{
    char q_low[32], q_high[32];
    format_quality(q_low, sizeof(q_low), metric, low.quality);
    format_quality(q_high, sizeof(q_high), metric, high.quality);
    if (low.kbps == high.kbps)
        snprintf(text, size, "%s %s at %.1f kbit/s", bd_metric_name(metric), q_low, low.kbps);
    else
        snprintf(text, size, "%s %s to %s at %.1f to %.1f kbit/s", bd_metric_name(metric), q_low,
                 q_high, low.kbps, high.kbps);
}

void bd_row_describe(const BdRow *row, char *text, size_t text_size)
{
    char low[32], high[32], test[96], anchor[96];
    format_quality(low, sizeof(low), row->metric, row->low);
    format_quality(high, sizeof(high), row->metric, row->high);
    describe_reach(test, sizeof(test), row->metric, row->test_lowest, row->test_highest);
    describe_reach(anchor, sizeof(anchor), row->metric, row->anchor_lowest, row->anchor_highest);
    if (row->overlap)
        snprintf(text, text_size, "%+.1f%% (over %s %s to %s)", row->percent,
                 bd_metric_name(row->metric), low, high);
    else if (row->test_points < 2 || row->anchor_points < 2)
        snprintf(text, text_size, "too few points for a BD-rate (%s has %d on its Pareto front): "
                 "%s %s; %s %s", row->test_points < 2 ? row->test : row->anchor,
                 row->test_points < 2 ? row->test_points : row->anchor_points, row->test, test,
                 row->anchor, anchor);
    else
        snprintf(text, text_size, "curves do not overlap: %s %s; %s %s", row->test, test,
                 row->anchor, anchor);
}

int bd_table_write_csv(const char *dir, const BdRow *rows, int count)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/bd-rate.csv", dir);
    FILE *file = fopen(path, "w");
    if (!file) {
        perror(path);
        return -1;
    }
    fprintf(file, "size,test,anchor,metric,bd_rate_percent,quality_low,quality_high,"
                  "test_lowest_kbps,test_lowest_quality,anchor_lowest_kbps,"
                  "anchor_lowest_quality\n");
    for (int i = 0; i < count; i++) {
        const BdRow *r = &rows[i];
        fprintf(file, "%d,%s,%s,%s,", r->size, r->test, r->anchor, bd_metric_name(r->metric));
        if (r->overlap)
            fprintf(file, "%.2f,%.5f,%.5f,", r->percent, r->low, r->high);
        else
            fprintf(file, ",,,");
        fprintf(file, "%.3f,%.5f,%.3f,%.5f\n", r->test_lowest.kbps, r->test_lowest.quality,
                r->anchor_lowest.kbps, r->anchor_lowest.quality);
    }
    int failed = ferror(file);
    failed |= fclose(file) != 0;
    if (failed)
        fprintf(stderr, "%s: write failed\n", path);
    return failed ? -1 : 0;
}
