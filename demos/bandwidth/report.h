/* SPDX-License-Identifier: BSD-2-Clause */
/* The report folder: notes gathered while running, the mosaic video, and at
 * the end the CSVs, plots, BD-rate table and report.html. */
#ifndef FACET_BANDWIDTH_REPORT_H
#define FACET_BANDWIDTH_REPORT_H

#include "clip.h"
#include "mosaic.h"
#include "options.h"
#include "run_result.h"

#define REPORT_MAX_NOTES 64

typedef struct Report {
    const Options *options;
    char command[2048];      /* the command line, for reproducing */
    char notes[REPORT_MAX_NOTES][320];
    int note_count;
    int frames, fps;         /* of the clip as coded */
    PicturePoint picture_points[OPTIONS_MAX_LIST]; /* side-by-side videos and stills made */
    MosaicFiles pictures[OPTIONS_MAX_LIST];
    int picture_count;
} Report;

void report_init(Report *report, const Options *options, int argc, char **argv);

/* Records something the reader of the report must know (a codec missing,
 * a run that failed or was skipped) and prints it to stderr. Safe to call
 * from several threads. */
void report_note(Report *report, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

void report_set_clip(Report *report, int frames, int fps);

/* Codes the clip again with each codec's run to show at about `kbps` and
 * writes the side-by-side video and still (mosaic.h); a failure becomes a
 * note. */
void report_make_pictures(Report *report, const SourceClip *clip, const RunResult *results,
                          int count, double kbps);

/* Writes results.csv's companions: plots, bd-rate.csv, summary.md and
 * report.html; with count 0, a report.html of the notes alone. Returns 0
 * or -1 (report.html could not be written). */
int report_write(Report *report, const RunResult *results, int count);

#endif
