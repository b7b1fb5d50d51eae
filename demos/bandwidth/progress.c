/* Progress line; see progress.h. */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct {
    int run, runs;
    char label[128];
    int on_line; /* something was drawn without a newline */
    int last_percent;
} state;

static int on_terminal(void)
{
    return isatty(STDERR_FILENO);
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
    if (!on_terminal() || total <= 0)
        return;
    int percent = (int)(100LL * done / total);
    if (percent == state.last_percent)
        return;
    state.last_percent = percent;
    fprintf(stderr, "\r\033[K[%d/%d] %s: %3d%%", state.run, state.runs, state.label, percent);
    fflush(stderr);
    state.on_line = 1;
}

void progress_finish(const char *summary)
{
    fprintf(stderr, "%s[%d/%d] %s: %s\n", on_terminal() ? "\r\033[K" : "", state.run,
            state.runs, state.label, summary);
    state.on_line = 0;
    fflush(stderr);
}

void progress_break(void)
{
    if (state.on_line)
        fputc('\n', stderr);
    state.on_line = 0;
}
