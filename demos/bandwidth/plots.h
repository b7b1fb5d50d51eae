/* SPDX-License-Identifier: BSD-2-Clause */
/* Rate-distortion plots through gnuplot: for each picture size, kbit/s (log
 * scale) against SSIM and against PSNR, as PNG and SVG. */
#ifndef FACET_BANDWIDTH_PLOTS_H
#define FACET_BANDWIDTH_PLOTS_H

#include "run_result.h"

/* Writes a data file per curve (rd-SIZE-AV1.dat, rd-SIZE-AV1-at128.dat,
 * rd-SIZE-Facet-keypoints.dat), the best conventional curves
 * (rd-SIZE-best-{ssim,psnr}.dat), plots.gp and
 * rd-SIZE-{ssim,psnr}.{png,svg} into `dir`. Returns 0, or -1 when gnuplot is missing or failed (printed;
 * the data files and script stay for a later try). */
int plots_write(const char *dir, const RunResult *results, int count);

/* File name of a plot, "rd-256-ssim.svg". */
void plots_file_name(char *name, size_t name_size, int size, const char *metric,
                     const char *extension);

#endif
