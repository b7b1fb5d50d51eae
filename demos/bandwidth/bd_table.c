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

const char *bd_rate_axis_name(BdRateAxis axis)
{
    return axis == BD_RATE_PEAK ? "peak" : "mean";
}

double bd_metric_value(const RunResult *run, BdMetric metric)
{
    return metric == BD_METRIC_SSIM ? run->mean.ssim : run->mean.psnr;
}

double bd_rate_value(const RunResult *run, BdRateAxis axis)
{
    return axis == BD_RATE_PEAK ? run->peak_kbps : run->kbps;
}

static RdPoint run_point(const RunResult *run, BdRateAxis axis, BdMetric metric)
{
    return (RdPoint){ bd_rate_value(run, axis), bd_metric_value(run, metric) };
}

/* The rate-quality curve of the runs on `series`: its Pareto front on
 * `axis` (rd_pareto drops runs without a rate on it). */
static int series_curve(const RunResult *results, int count, const RunConfig *series,
                        BdRateAxis axis, BdMetric metric, RdPoint *points)
{
    int n = 0;
    for (int i = 0; i < count; i++)
        if (run_same_series(&results[i].config, series))
            points[n++] = run_point(&results[i], axis, metric);
    return rd_pareto(points, n);
}

/* Inserts p into points[0..n) ordered by rate, the better quality first
 * at equal rate (a few hundred runs: insertion is enough). */
static void insert_by_rate(EnvelopePoint *points, int n, EnvelopePoint p)
{
    int j = n;
    for (; j > 0 && (points[j - 1].point.kbps > p.point.kbps ||
                     (points[j - 1].point.kbps == p.point.kbps &&
                      points[j - 1].point.quality < p.point.quality));
         j--)
        points[j] = points[j - 1];
    points[j] = p;
}

int bd_envelope(const RunResult *results, int count, int size, BdRateAxis axis,
                BdMetric metric, EnvelopePoint *points)
{
    int n = 0;
    for (int i = 0; i < count; i++) {
        const RunResult *r = &results[i];
        /* !(rate > 0) also drops a NAN peak. */
        if (r->config.codec == CODEC_FACET || r->config.size != size ||
            !(bd_rate_value(r, axis) > 0))
            continue;
        insert_by_rate(points, n++, (EnvelopePoint){ run_point(r, axis, metric), r });
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

/* Scratch space for one size's rows: room for every run. */
typedef struct BdScratch {
    RdPoint *test, *anchor;
    EnvelopePoint *envelope;
    const RunConfig **facet_series, **anchor_series;
} BdScratch;

static int scratch_alloc(BdScratch *s, int count)
{
    size_t n = (size_t)(count > 0 ? count : 1);
    s->test = malloc(n * sizeof(*s->test));
    s->anchor = malloc(n * sizeof(*s->anchor));
    s->envelope = malloc(n * sizeof(*s->envelope));
    s->facet_series = malloc(n * sizeof(*s->facet_series));
    s->anchor_series = malloc(n * sizeof(*s->anchor_series));
    return s->test && s->anchor && s->envelope && s->facet_series && s->anchor_series ? 0 : -1;
}

static void scratch_free(BdScratch *s)
{
    free(s->test);
    free(s->anchor);
    free(s->envelope);
    free(s->facet_series);
    free(s->anchor_series);
}

/* The anchor curve into s->anchor: the best conventional curve at `size`
 * when anchor is NULL, else that conventional curve. Returns its points. */
static int anchor_curve(const RunResult *results, int count, int size, const RunConfig *anchor,
                        BdRateAxis axis, BdMetric metric, BdScratch *s)
{
    if (anchor)
        return series_curve(results, count, anchor, axis, metric, s->anchor);
    int n = bd_envelope(results, count, size, axis, metric, s->envelope);
    for (int k = 0; k < n; k++)
        s->anchor[k] = s->envelope[k].point;
    return n;
}

/* Appends the rows of one Facet curve against one anchor (NULL: the best
 * conventional curve): mean rate then peak rate, SSIM then PSNR on each.
 * A curve with no point on an axis (no peak: a clip under a second) gives
 * no row. Returns the new row count. */
static int add_pair_rows(const RunResult *results, int count, int size, const RunConfig *facet,
                         const RunConfig *anchor, BdScratch *s, BdRow *rows, int row_count,
                         int capacity)
{
    for (int axis = 0; axis < BD_RATE_AXIS_COUNT; axis++)
        for (int metric = 0; metric < BD_METRIC_COUNT; metric++) {
            int tn = series_curve(results, count, facet, axis, metric, s->test);
            int an = anchor_curve(results, count, size, anchor, axis, metric, s);
            if (tn == 0 || an == 0 || row_count == capacity)
                continue;
            BdRow *row = &rows[row_count++];
            memset(row, 0, sizeof(*row));
            row->size = size;
            row->metric = metric;
            row->axis = axis;
            row->envelope = anchor == NULL;
            run_series_name(facet, row->test, sizeof(row->test));
            if (anchor)
                run_series_name(anchor, row->anchor, sizeof(row->anchor));
            else
                snprintf(row->anchor, sizeof(row->anchor), "%s", BD_ENVELOPE_NAME);
            fill_row(row, s->test, tn, s->anchor, an);
        }
    return row_count;
}

/* 1 when no run before results[i] has its size. */
static int first_of_size(const RunResult *results, int i)
{
    for (int j = 0; j < i; j++)
        if (results[j].config.size == results[i].config.size)
            return 0;
    return 1;
}

int bd_table_compute(const RunResult *results, int count, BdRow *rows, int capacity)
{
    BdScratch s;
    int row_count = -1;
    if (scratch_alloc(&s, count) < 0)
        goto done;
    row_count = 0;
    for (int i = 0; i < count; i++) {
        if (!first_of_size(results, i))
            continue;
        int size = results[i].config.size;
        int facet_n = list_series(results, count, size, 1, s.facet_series);
        int anchor_n = list_series(results, count, size, 0, s.anchor_series);
        for (int f = 0; f < facet_n; f++)
            for (int a = -1; a < anchor_n; a++) /* -1: the best conventional curve */
                row_count = add_pair_rows(results, count, size, s.facet_series[f],
                                          a < 0 ? NULL : s.anchor_series[a], &s, rows,
                                          row_count, capacity);
    }
done:
    scratch_free(&s);
    return row_count;
}

const BdRow *bd_table_find(const BdRow *rows, int count, const BdRow *row, BdRateAxis axis,
                           BdMetric metric)
{
    for (int i = 0; i < count; i++)
        if (rows[i].axis == axis && rows[i].metric == metric && rows[i].size == row->size &&
            strcmp(rows[i].test, row->test) == 0 && strcmp(rows[i].anchor, row->anchor) == 0)
            return &rows[i];
    return NULL;
}

static void format_quality(char *text, size_t size, BdMetric metric, double quality)
{
    snprintf(text, size, metric == BD_METRIC_SSIM ? "%.4f" : "%.2f dB", quality);
}

/* "SSIM 0.7000 to 0.8000 at 5.0 to 20.0 kbit/s", or one point's; "kbit/s
 * peak" on the peak axis. */
static void describe_reach(char *text, size_t size, const BdRow *row, RdPoint low, RdPoint high)
{
    char q_low[32], q_high[32];
    const char *unit = row->axis == BD_RATE_PEAK ? "kbit/s peak" : "kbit/s";
    format_quality(q_low, sizeof(q_low), row->metric, low.quality);
    format_quality(q_high, sizeof(q_high), row->metric, high.quality);
    if (low.kbps == high.kbps)
        snprintf(text, size, "%s %s at %.1f %s", bd_metric_name(row->metric), q_low, low.kbps,
                 unit);
    else
        snprintf(text, size, "%s %s to %s at %.1f to %.1f %s", bd_metric_name(row->metric), q_low,
                 q_high, low.kbps, high.kbps, unit);
}

void bd_row_describe(const BdRow *row, char *text, size_t text_size)
{
    char low[32], high[32], test[128], anchor[128];
    format_quality(low, sizeof(low), row->metric, row->low);
    format_quality(high, sizeof(high), row->metric, row->high);
    describe_reach(test, sizeof(test), row, row->test_lowest, row->test_highest);
    describe_reach(anchor, sizeof(anchor), row, row->anchor_lowest, row->anchor_highest);
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

void bd_table_describe_cell(const BdRow *rows, int count, const BdRow *row, BdRateAxis axis,
                            BdMetric metric, char *text, size_t text_size)
{
    const BdRow *found = bd_table_find(rows, count, row, axis, metric);
    if (found)
        bd_row_describe(found, text, text_size);
    else
        snprintf(text, text_size, "%s",
                 axis == BD_RATE_PEAK ? "no peak: clip under a second" : "");
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
    /* rate: the axis (mean or peak) of the BD-rate and of every kbps. It
     * follows metric so that the columns before it keep their places. */
    fprintf(file, "size,test,anchor,metric,rate,bd_rate_percent,quality_low,quality_high,"
                  "test_lowest_kbps,test_lowest_quality,anchor_lowest_kbps,"
                  "anchor_lowest_quality\n");
    for (int i = 0; i < count; i++) {
        const BdRow *r = &rows[i];
        fprintf(file, "%d,%s,%s,%s,%s,", r->size, r->test, r->anchor, bd_metric_name(r->metric),
                bd_rate_axis_name(r->axis));
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
