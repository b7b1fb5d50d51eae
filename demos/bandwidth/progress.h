/* SPDX-License-Identifier: BSD-2-Clause */
/* The progress line on stderr: the running run's percentage redrawn in
 * place (\r) on a terminal, and one line per finished run (also in logs).
 * Safe to call from several threads. */
#ifndef FACET_BANDWIDTH_PROGRESS_H
#define FACET_BANDWIDTH_PROGRESS_H

/* Several runs at a time: then only finished runs are printed. */
void progress_set_jobs(int jobs);

/* Starts run `run` of `runs` (1-based) described by `label`. */
void progress_start(int run, int runs, const char *label);

/* Frame `done` of `total` of the current run is coded. */
void progress_frame(int done, int total);

/* The current run ended with `summary` (e.g. "12.3 kbit/s, SSIM 0.91"). */
void progress_finish(const char *summary);

/* Ends the line before other messages are printed. */
void progress_break(void);

#endif
