/* SPDX-License-Identifier: BSD-2-Clause */
/* BD-rate; see bd_rate.h. */
#include "bd_rate.h"

#include <math.h>
#include <stdlib.h>

/* Samples of the trapezoid rule over the overlap: the interpolants are
 * smooth, so 1000 intervals leave an error far below the 0.1% printed. */
#define BD_SAMPLES 1000

static int by_rate(const void *a, const void *b)
{
    const RdPoint *p = a, *q = b;
    if (p->kbps != q->kbps)
        return p->kbps < q->kbps ? -1 : 1;
    return p->quality > q->quality ? -1 : p->quality < q->quality;
}

int rd_pareto(RdPoint *points, int count)
{
    qsort(points, (size_t)count, sizeof(*points), by_rate);
    int kept = 0;
    for (int i = 0; i < count; i++) {
        if (!(points[i].kbps > 0.0) || !isfinite(points[i].quality))
            continue;
        if (kept > 0 && (points[i].quality <= points[kept - 1].quality ||
                         points[i].kbps <= points[kept - 1].kbps))
            continue;
        points[kept++] = points[i];
    }
    return kept;
}

/* One-sided three-point slope at an end of the curve, clipped so the
 * interpolant stays monotone (SciPy's PchipInterpolator._edge_case).
 * h0, d0: width and secant slope of the end interval; h1, d1: its
 * neighbour's. */
static double pchip_end_slope(double h0, double h1, double d0, double d1)
{
    double m = ((2.0 * h0 + h1) * d0 - h0 * d1) / (h0 + h1);
    if (m * d0 <= 0.0)
        return 0.0;
    if (d0 * d1 <= 0.0 && fabs(m) > fabs(3.0 * d0))
        return 3.0 * d0;
    return m;
}

/* Fritsch-Carlson slope at point i: the weighted harmonic mean of the
 * secants on either side, zero at a local extremum. */
static double pchip_slope(const double *x, const double *y, int count, int i)
{
    if (count == 2)
        return (y[1] - y[0]) / (x[1] - x[0]);
    if (i == 0)
        return pchip_end_slope(x[1] - x[0], x[2] - x[1], (y[1] - y[0]) / (x[1] - x[0]),
                               (y[2] - y[1]) / (x[2] - x[1]));
    if (i == count - 1) {
        int n = count;
        return pchip_end_slope(x[n - 1] - x[n - 2], x[n - 2] - x[n - 3],
                               (y[n - 1] - y[n - 2]) / (x[n - 1] - x[n - 2]),
                               (y[n - 2] - y[n - 3]) / (x[n - 2] - x[n - 3]));
    }
    double h0 = x[i] - x[i - 1], h1 = x[i + 1] - x[i];
    double d0 = (y[i] - y[i - 1]) / h0, d1 = (y[i + 1] - y[i]) / h1;
    if (d0 * d1 <= 0.0)
        return 0.0;
    double w0 = 2.0 * h1 + h0, w1 = h1 + 2.0 * h0;
    return (w0 + w1) / (w0 / d0 + w1 / d1);
}

double pchip_eval(const double *x, const double *y, int count, double at)
{
    int i = 0;
    while (i < count - 2 && at > x[i + 1])
        i++;
    double h = x[i + 1] - x[i], t = (at - x[i]) / h;
    double m0 = pchip_slope(x, y, count, i), m1 = pchip_slope(x, y, count, i + 1);
    double t2 = t * t, t3 = t2 * t;
    return (2 * t3 - 3 * t2 + 1) * y[i] + (t3 - 2 * t2 + t) * h * m0 +
           (-2 * t3 + 3 * t2) * y[i + 1] + (t3 - t2) * h * m1;
}

/* Mean of log(rate) over [low, high] for one curve; NAN when out of
 * memory. */
static double mean_log_rate(const RdPoint *points, int count, double low, double high)
{
    double *x = malloc(2 * (size_t)count * sizeof(*x));
    if (!x)
        return NAN;
    double *y = x + count;
    for (int i = 0; i < count; i++) {
        x[i] = points[i].quality;
        y[i] = log(points[i].kbps);
    }
    double sum = 0.0, step = (high - low) / BD_SAMPLES;
    for (int s = 0; s <= BD_SAMPLES; s++) {
        double at = s == BD_SAMPLES ? high : low + s * step;
        double weight = s == 0 || s == BD_SAMPLES ? 0.5 : 1.0;
        sum += weight * pchip_eval(x, y, count, at);
    }
    free(x);
    return sum / BD_SAMPLES;
}

int bd_rate(const RdPoint *test, int test_count, const RdPoint *anchor, int anchor_count,
            double *percent, double *low, double *high)
{
    if (test_count < 2 || anchor_count < 2)
        return -1;
    double lo = fmax(test[0].quality, anchor[0].quality);
    double hi = fmin(test[test_count - 1].quality, anchor[anchor_count - 1].quality);
    if (!(hi > lo))
        return -1;
    double difference = mean_log_rate(test, test_count, lo, hi) -
                        mean_log_rate(anchor, anchor_count, lo, hi);
    if (isnan(difference))
        return -1;
    *percent = (exp(difference) - 1.0) * 100.0;
    *low = lo;
    *high = hi;
    return 0;
}
