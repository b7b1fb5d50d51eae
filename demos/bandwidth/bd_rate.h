/* SPDX-License-Identifier: BSD-2-Clause */
/* Bjøntegaard delta rate: the mean difference in bitrate between two
 * rate-quality curves over the quality range both cover (VCEG-M33, with the
 * piecewise cubic (PCHIP) interpolation of log rate that JVET uses in place
 * of the original cubic fit, which overshoots on irregular points). */
#ifndef FACET_BANDWIDTH_BD_RATE_H
#define FACET_BANDWIDTH_BD_RATE_H

typedef struct RdPoint {
    double kbps;
    double quality; /* PSNR, SSIM, ... : higher is better */
} RdPoint;

/* Sorts the points by rate and keeps the ones no other point beats: each
 * kept point has a higher quality than every cheaper one. The result has
 * strictly increasing rates and qualities. Returns the new count. */
int rd_pareto(RdPoint *points, int count);

/* BD-rate of `test` against `anchor` in percent (negative: test needs less
 * rate for the same quality), over [*low, *high], the quality range both
 * curves cover. Both curves must be rd_pareto() output. Returns 0, or -1
 * when either has fewer than two points or the ranges do not overlap
 * (then *low and *high are untouched). */
int bd_rate(const RdPoint *test, int test_count, const RdPoint *anchor, int anchor_count,
            double *percent, double *low, double *high);

/* The PCHIP interpolant through (x[i], y[i]) (x strictly increasing,
 * count >= 2) at `at`, which must lie in [x[0], x[count-1]]. */
double pchip_eval(const double *x, const double *y, int count, double at);

#endif
