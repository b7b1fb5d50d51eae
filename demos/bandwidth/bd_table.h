/* SPDX-License-Identifier: BSD-2-Clause */
/* The BD-rate table of a report: each Facet mode against the best
 * conventional curve (the lower envelope of every conventional run: each
 * codec at each resolution) and against each conventional curve alone,
 * per picture size and quality metric. */
#ifndef FACET_BANDWIDTH_BD_TABLE_H
#define FACET_BANDWIDTH_BD_TABLE_H

#include "bd_rate.h"
#include "run_result.h"

#include <stddef.h>

typedef enum BdMetric { BD_METRIC_SSIM = 0, BD_METRIC_PSNR, BD_METRIC_COUNT } BdMetric;

#define BD_ENVELOPE_NAME "best conventional"

typedef struct BdRow {
    int size;
    char test[64];          /* the Facet curve, e.g. "Facet keypoints" */
    char anchor[64];        /* "best conventional", "x264", "AV1 @128 + Lanczos" */
    int envelope;           /* 1: the anchor is the best conventional curve */
    BdMetric metric;
    int overlap;            /* 1: percent, low and high are set */
    double percent;         /* BD-rate of test against anchor */
    double low, high;       /* quality range of the comparison */
    RdPoint test_lowest;    /* lowest-rate point of each curve, for when */
    RdPoint anchor_lowest;  /* the curves do not overlap */
    RdPoint test_highest;   /* highest-quality point of each */
    RdPoint anchor_highest;
    int test_points;        /* Pareto points of each curve */
    int anchor_points;
} BdRow;

/* A point of the best conventional curve and the run it comes from. */
typedef struct EnvelopePoint {
    RdPoint point;
    const RunResult *run;
} EnvelopePoint;

const char *bd_metric_name(BdMetric metric); /* "SSIM", "PSNR" */

/* The metric of a run. */
double bd_metric_value(const RunResult *run, BdMetric metric);

/* The lower envelope of every conventional run at `size`: the runs no
 * cheaper conventional run beats on `metric`, by increasing rate. points
 * needs room for count entries. Returns the number of points. */
int bd_envelope(const RunResult *results, int count, int size, BdMetric metric,
                EnvelopePoint *points);

/* Fills rows (at most capacity) for every size with Facet results: each
 * Facet curve against the best conventional curve, then against each
 * conventional curve. Returns the row count or -1 (out of memory). */
int bd_table_compute(const RunResult *results, int count, BdRow *rows, int capacity);

/* One line describing a row, e.g. "-35.2% (over SSIM 0.8000 to 0.8500)"
 * or "curves do not overlap: ...". */
void bd_row_describe(const BdRow *row, char *text, size_t text_size);

/* Writes bd-rate.csv into dir. Returns 0 or -1. */
int bd_table_write_csv(const char *dir, const BdRow *rows, int count);

#endif
