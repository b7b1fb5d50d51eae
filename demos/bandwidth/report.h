/* The report folder: notes gathered while running, the mosaic video, and at
 * the end the CSVs, plots, BD-rate table and report.html. */
#ifndef FACET_BANDWIDTH_REPORT_H
#define FACET_BANDWIDTH_REPORT_H

#include "clip.h"
#include "options.h"
#include "run_result.h"

#define REPORT_MAX_NOTES 64

typedef struct Report {
    const Options *options;
    char command[2048];      /* the command line, for reproducing */
    char notes[REPORT_MAX_NOTES][320];
    int note_count;
    int frames, fps;         /* of the clip as coded */
    int have_mosaic;
    char mosaic_caption[512];
} Report;

void report_init(Report *report, const Options *options, int argc, char **argv);

/* Records something the reader of the report must know (a codec missing,
 * a run that failed or was skipped) and prints it to stderr. */
void report_note(Report *report, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

void report_set_clip(Report *report, int frames, int fps);

/* Codes the clip again at the runs nearest options->mosaic_kbps and writes
 * mosaic.webm (source | Facet | x264 | AV1); a failure becomes a note. */
void report_make_mosaic(Report *report, const SourceClip *clip, const RunResult *results,
                        int count);

/* Writes results.csv's companions: plots, bd-rate.csv and report.html.
 * Returns 0 or -1 (report.html could not be written). */
int report_write(Report *report, const RunResult *results, int count);

#endif
