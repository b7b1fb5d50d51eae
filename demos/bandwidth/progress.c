/* SPDX-License-Identifier: BSD-2-Clause */
/* Progress line; see progress.h. */
#include "progress.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Each worker thread runs one run at a time and keeps its own state; the
 * lines they print are serialised. */
static _Thread_local struct {
    int run, runs;
    char label[128];
    int last_percent;
} state;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int on_line; /* something was drawn without a newline */
static int parallel;

static int on_terminal(void)
{
    return isatty(STDERR_FILENO);
}

void progress_set_jobs(int jobs)
{
    parallel = jobs > 1;
}

void progress_start(int run, int runs, const char *label)
{
    state.run = run;
    state.runs = runs;
    snprintf(state.label, sizeof(state.label), "%s", label);
    state.last_percent = -1;
    progress_frame(0, 1);
}

void progress_frame(int done, int total)
{
    /* Runs side by side would fight over one line: then only the finished
     * runs are printed. */
    if (parallel || !on_terminal() || total <= 0)
        return;
    int percent = (int)(100LL * done / total);
    if (percent == state.last_percent)
        return;
    state.last_percent = percent;
    pthread_mutex_lock(&lock);
    fprintf(stderr, "\r\033[K[%d/%d] %s: %3d%%", state.run, state.runs, state.label, percent);
    fflush(stderr);
    on_line = 1;
    pthread_mutex_unlock(&lock);
}

void progress_finish(const char *summary)
{
    pthread_mutex_lock(&lock);
    fprintf(stderr, "%s[%d/%d] %s: %s\n", on_line && on_terminal() ? "\r\033[K" : "", state.run,
            state.runs, state.label, summary);
    on_line = 0;
    fflush(stderr);
    pthread_mutex_unlock(&lock);
}

void progress_break(void)
{
    pthread_mutex_lock(&lock);
    if (on_line)
        fputc('\n', stderr);
    on_line = 0;
    pthread_mutex_unlock(&lock);
}
