/* SPDX-License-Identifier: BSD-2-Clause */
/* The CSV files of a report: results.csv (one row per run) and frames.csv
 * (one row per frame of every run). */
#ifndef FACET_BANDWIDTH_RESULTS_CSV_H
#define FACET_BANDWIDTH_RESULTS_CSV_H

#include "run_result.h"

/* Writes both files into `dir`. Returns 0 or -1 (printed). */
int results_csv_write(const char *dir, const RunResult *results, int count, int fps);

#endif
