/* BD-rate table; see bd_table.h. */
#include "bd_table.h"

#include <stdio.h>
#include <stdlib.h>

const char *bd_metric_name(BdMetric metric)
{
    return metric == BD_METRIC_SSIM ? "SSIM" : "PSNR";
}

/* The rate-quality curve of one codec at one size: its Pareto front. */
static int curve(const RunResult *results, int count, int size, CodecKind codec,
                 BdMetric metric, RdPoint *points)
{
    int n = 0;
    for (int i = 0; i < count; i++)
        if (results[i].config.codec == codec && results[i].config.size == size)
            points[n++] = (RdPoint){ results[i].kbps, metric == BD_METRIC_SSIM
                                                          ? results[i].mean.ssim
                                                          : results[i].mean.psnr };
    return rd_pareto(points, n);
}

int bd_table_compute(const RunResult *results, int count, BdRow *rows, int capacity)
{
    RdPoint *facet = malloc((size_t)(count > 0 ? count : 1) * sizeof(*facet));
    RdPoint *anchor = malloc((size_t)(count > 0 ? count : 1) * sizeof(*anchor));
    if (!facet || !anchor) {
        free(facet);
        free(anchor);
        return -1;
    }
    int row_count = 0;
    for (int i = 0; i < count; i++) {
        int size = results[i].config.size, first = 1;
        for (int j = 0; j < i; j++)
            first &= results[j].config.size != size;
        if (!first)
            continue;
        for (int codec = CODEC_X264; codec < CODEC_COUNT; codec++)
            for (int metric = 0; metric < BD_METRIC_COUNT; metric++) {
                int facet_n = curve(results, count, size, CODEC_FACET, metric, facet);
                int anchor_n = curve(results, count, size, codec, metric, anchor);
                if (facet_n == 0 || anchor_n == 0 || row_count == capacity)
                    continue;
                BdRow *row = &rows[row_count++];
                *row = (BdRow){ .size = size, .codec = codec, .metric = metric,
                                .facet_lowest = facet[0], .codec_lowest = anchor[0] };
                row->overlap = bd_rate(facet, facet_n, anchor, anchor_n, &row->percent,
                                       &row->low, &row->high) == 0;
            }
    }
    free(facet);
    free(anchor);
    return row_count;
}

void bd_row_describe(const BdRow *row, char *text, size_t text_size)
{
    const char *metric = bd_metric_name(row->metric);
    const char *format = row->metric == BD_METRIC_SSIM ? "%.4f" : "%.2f dB";
    char low[32], high[32], facet_q[32], codec_q[32];
    snprintf(low, sizeof(low), format, row->low);
    snprintf(high, sizeof(high), format, row->high);
    snprintf(facet_q, sizeof(facet_q), format, row->facet_lowest.quality);
    snprintf(codec_q, sizeof(codec_q), format, row->codec_lowest.quality);
    if (row->overlap)
        snprintf(text, text_size, "%+.1f%% (over %s %s to %s)", row->percent, metric, low, high);
    else
        snprintf(text, text_size,
                 "curves do not overlap; at the lowest rate each reaches: Facet %.1f kbit/s, "
                 "%s %s; %s %.1f kbit/s, %s %s",
                 row->facet_lowest.kbps, metric, facet_q, codec_kind_name(row->codec),
                 row->codec_lowest.kbps, metric, codec_q);
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
    fprintf(file, "size,anchor,metric,bd_rate_percent,quality_low,quality_high,"
                  "facet_lowest_kbps,facet_lowest_quality,anchor_lowest_kbps,"
                  "anchor_lowest_quality\n");
    for (int i = 0; i < count; i++) {
        const BdRow *r = &rows[i];
        fprintf(file, "%d,%s,%s,", r->size, codec_kind_name(r->codec), bd_metric_name(r->metric));
        if (r->overlap)
            fprintf(file, "%.2f,%.5f,%.5f,", r->percent, r->low, r->high);
        else
            fprintf(file, ",,,");
        fprintf(file, "%.3f,%.5f,%.3f,%.5f\n", r->facet_lowest.kbps, r->facet_lowest.quality,
                r->codec_lowest.kbps, r->codec_lowest.quality);
    }
    int failed = ferror(file);
    failed |= fclose(file) != 0;
    if (failed)
        fprintf(stderr, "%s: write failed\n", path);
    return failed ? -1 : 0;
}
