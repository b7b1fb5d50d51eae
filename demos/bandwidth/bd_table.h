/* The BD-rate table of a report: Facet against each conventional codec, per
 * picture size and quality metric. */
#ifndef FACET_BANDWIDTH_BD_TABLE_H
#define FACET_BANDWIDTH_BD_TABLE_H

#include "bd_rate.h"
#include "run_result.h"

typedef enum BdMetric { BD_METRIC_SSIM = 0, BD_METRIC_PSNR, BD_METRIC_COUNT } BdMetric;

typedef struct BdRow {
    int size;
    CodecKind codec;        /* the anchor Facet is measured against */
    BdMetric metric;
    int overlap;            /* 1: percent, low and high are set */
    double percent;         /* BD-rate of Facet against codec */
    double low, high;       /* quality range of the comparison */
    RdPoint facet_lowest;   /* lowest-rate point of each curve, for when */
    RdPoint codec_lowest;   /* the curves do not overlap */
} BdRow;

const char *bd_metric_name(BdMetric metric); /* "SSIM", "PSNR" */

/* Fills rows (at most capacity) for every size with Facet results and every
 * conventional codec measured at that size. Returns the row count or -1
 * (out of memory). */
int bd_table_compute(const RunResult *results, int count, BdRow *rows, int capacity);

/* One line describing a row, e.g. "-35.2% (SSIM 0.80-0.85)" or "no overlap:
 * ...". */
void bd_row_describe(const BdRow *row, char *text, size_t text_size);

/* Writes bd-rate.csv into dir. Returns 0 or -1. */
int bd_table_write_csv(const char *dir, const BdRow *rows, int count);

#endif
