/* SPDX-License-Identifier: BSD-2-Clause */
/* summary.md: the report's headline numbers as Markdown, for a README: per
 * picture size, each curve's runs nearest 5, 10, 20 and 40 kbit/s (mean and
 * peak rate, SSIM, PSNR), the best conventional curve's, and the BD-rates. */
#ifndef FACET_BANDWIDTH_SUMMARY_MD_H
#define FACET_BANDWIDTH_SUMMARY_MD_H

#include "bd_table.h"
#include "run_result.h"

/* Writes DIR/summary.md. `command` is printed as the way to reproduce it.
 * Returns 0 or -1 (printed). */
int summary_md_write(const char *dir, const char *command, const char *input,
                     const RunResult *results, int count, const BdRow *rows, int row_count);

#endif
