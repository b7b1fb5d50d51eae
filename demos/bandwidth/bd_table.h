/* SPDX-License-Identifier: BSD-2-Clause */
/* The BD-rate table of a report: each Facet mode against the best
 * conventional curve (the lower envelope of every conventional run: each
 * codec at each resolution) and against each conventional curve alone,
 * per picture size, quality metric and rate axis. */
#ifndef FACET_BANDWIDTH_BD_TABLE_H
#define FACET_BANDWIDTH_BD_TABLE_H

#include "bd_rate.h"
#include "run_result.h"

#include <stddef.h>

typedef enum BdMetric { BD_METRIC_SSIM = 0, BD_METRIC_PSNR, BD_METRIC_COUNT } BdMetric;

/* Which rate a curve is drawn against. The mean rate is the primary axis
 * (the codecs' own rate targets aim at it). A video call's link must carry
 * the busiest second, not the mean: conventional encoders burst to up to 3x
 * their mean around keyframes and scene changes, so at equal peak rate a
 * codec with a steady rate (Facet's latent tier) compares better than at
 * equal mean rate. */
typedef enum BdRateAxis {
    BD_RATE_MEAN = 0, /* RunResult.kbps */
    BD_RATE_PEAK,     /* RunResult.peak_kbps: the most bytes in any one second */
    BD_RATE_AXIS_COUNT
} BdRateAxis;

#define BD_ENVELOPE_NAME "best conventional"

typedef struct BdRow {
    int size;
    char test[64];          /* the Facet curve, e.g. "Facet keypoints" */
    char anchor[64];        /* "best conventional", "x264", "AV1 @128 + Lanczos" */
    int envelope;           /* 1: the anchor is the best conventional curve */
    BdMetric metric;
    BdRateAxis axis;        /* the rate of every kbps below */
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

const char *bd_rate_axis_name(BdRateAxis axis); /* "mean", "peak" */

/* The metric of a run. */
double bd_metric_value(const RunResult *run, BdMetric metric);

/* The rate of a run on `axis`; NAN for the peak of a clip shorter than a
 * second. */
double bd_rate_value(const RunResult *run, BdRateAxis axis);

/* The lower envelope of every conventional run at `size`: the runs no
 * run cheaper on `axis` beats on `metric`, by increasing rate on `axis`
 * (RdPoint.kbps is that rate). Runs without a rate on the axis are left
 * out. points needs room for count entries. Returns the number of points. */
int bd_envelope(const RunResult *results, int count, int size, BdRateAxis axis,
                BdMetric metric, EnvelopePoint *points);

/* Fills rows (at most capacity) for every size with Facet results: each
 * Facet curve against the best conventional curve, then against each
 * conventional curve; each pair at mean rate (SSIM, PSNR), then at peak
 * rate (SSIM, PSNR). A pair has no peak rows when the clip is shorter than
 * a second (no run has a peak). Returns the row count or -1 (out of
 * memory). */
int bd_table_compute(const RunResult *results, int count, BdRow *rows, int capacity);

/* The row of the same size and pair of curves as `row` on `axis` and
 * `metric`, or NULL. */
const BdRow *bd_table_find(const BdRow *rows, int count, const BdRow *row, BdRateAxis axis,
                           BdMetric metric);

/* One line describing a row, e.g. "-35.2% (over SSIM 0.8000 to 0.8500)"
 * or "curves do not overlap: ...". */
void bd_row_describe(const BdRow *row, char *text, size_t text_size);

/* A cell of the reports' BD-rate tables: the row of `row`'s pair on `axis`
 * and `metric` described, or, when there is none, "no peak: clip under a
 * second" on the peak axis (the only way a pair lacks a row) and "" on
 * the mean axis. */
void bd_table_describe_cell(const BdRow *rows, int count, const BdRow *row, BdRateAxis axis,
                            BdMetric metric, char *text, size_t text_size);

/* Writes bd-rate.csv into dir. Returns 0 or -1. */
int bd_table_write_csv(const char *dir, const BdRow *rows, int count);

#endif
