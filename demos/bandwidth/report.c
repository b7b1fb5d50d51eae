/* report.html and the notes; see report.h. */
#include "report.h"

#include "bd_table.h"
#include "mosaic.h"
#include "plots.h"
#include "progress.h"
#include "summary_md.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void report_init(Report *report, const Options *options, int argc, char **argv)
{
    memset(report, 0, sizeof(*report));
    report->options = options;
    size_t used = 0;
    for (int i = 0; i < argc && used < sizeof(report->command) - 1; i++) {
        int n = snprintf(report->command + used, sizeof(report->command) - used, "%s%s",
                         i ? " " : "", argv[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

void report_note(Report *report, const char *format, ...)
{
    char text[320];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof(text), format, args);
    va_end(args);
    progress_break();
    fprintf(stderr, "note: %s\n", text);
    if (report->note_count < REPORT_MAX_NOTES)
        memcpy(report->notes[report->note_count++], text, sizeof(text));
}

void report_set_clip(Report *report, int frames, int fps)
{
    report->frames = frames;
    report->fps = fps;
}

void report_make_mosaic(Report *report, const SourceClip *clip, const RunResult *results,
                        int count)
{
    const Options *o = report->options;
    char error[320] = "";
    if (mosaic_make(o->out_dir, clip, results, count, o->mosaic_kbps, o->model_path, o->threads,
                    report->mosaic_caption, sizeof(report->mosaic_caption), error,
                    sizeof(error)) < 0) {
        report_note(report, "no side-by-side video: %s", error);
        return;
    }
    report->have_mosaic = 1;
}

/* Writes text with HTML's special characters escaped. */
static void put_html(FILE *file, const char *text)
{
    for (const char *c = text; *c; c++) {
        switch (*c) {
        case '<': fputs("&lt;", file); break;
        case '>': fputs("&gt;", file); break;
        case '&': fputs("&amp;", file); break;
        case '"': fputs("&quot;", file); break;
        default: fputc(*c, file);
        }
    }
}

static void write_runs_table(FILE *file, const RunResult *results, int count, int size)
{
    fprintf(file, "<table>\n<tr><th>codec</th><th>encoder</th><th>setting</th><th>kbit/s</th>"
                  "<th>PSNR dB</th><th>SSIM</th><th>MS-SSIM</th><th>encode ms/frame</th>"
                  "<th>decode ms/frame</th></tr>\n");
    for (int codec = 0; codec < CODEC_COUNT; codec++)
        for (int i = 0; i < count; i++) {
            const RunResult *r = &results[i];
            if (r->config.size != size || (int)r->config.codec != codec)
                continue;
            fprintf(file, "<tr class=\"%s\"><td>%s</td><td>%s</td><td>", codec_kind_name(codec),
                    codec_kind_name(codec), r->encoder);
            put_html(file, r->setting);
            fprintf(file, "</td><td>%.2f</td><td>%.2f</td><td>%.4f</td><td>%.4f</td>"
                          "<td>%.2f</td><td>%.2f</td></tr>\n",
                    r->kbps, r->mean.psnr, r->mean.ssim, r->mean.ms_ssim, r->encode_ms,
                    r->decode_ms);
        }
    fprintf(file, "</table>\n");
}

static void write_bd_table(FILE *file, const BdRow *rows, int count)
{
    fprintf(file, "<table>\n<tr><th>size</th><th>Facet against</th><th>metric</th>"
                  "<th>BD-rate of Facet</th></tr>\n");
    for (int i = 0; i < count; i++) {
        char text[512];
        bd_row_describe(&rows[i], text, sizeof(text));
        fprintf(file, "<tr><td>%dx%d</td><td>%s</td><td>%s</td><td>", rows[i].size, rows[i].size,
                codec_kind_name(rows[i].codec), bd_metric_name(rows[i].metric));
        put_html(file, text);
        fprintf(file, "</td></tr>\n");
    }
    fprintf(file, "</table>\n");
}

static const char style[] =
    "body{font-family:'DejaVu Sans',sans-serif;max-width:1100px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 8px;"
    "text-align:right}td:nth-child(-n+3),th{text-align:left}tr.Facet td{background:#fdecea}"
    "img{width:100%;max-width:900px;display:block;margin:1em 0}code{background:#f3f3f3}"
    "video{max-width:100%}";

int report_write(Report *report, const RunResult *results, int count)
{
    const Options *o = report->options;
    int have_plots = plots_write(o->out_dir, results, count) == 0;
    if (!have_plots)
        report_note(report, "plots missing: gnuplot failed or is not installed");
    BdRow rows[256];
    int row_count = bd_table_compute(results, count, rows, 256);
    if (row_count < 0 || bd_table_write_csv(o->out_dir, rows, row_count < 0 ? 0 : row_count) < 0)
        report_note(report, "BD-rate table not written");
    if (summary_md_write(o->out_dir, report->command, o->input, results, count, rows,
                         row_count < 0 ? 0 : row_count) < 0)
        report_note(report, "summary.md not written");

    char path[4096];
    snprintf(path, sizeof(path), "%s/report.html", o->out_dir);
    FILE *file = fopen(path, "w");
    if (!file) {
        perror(path);
        return -1;
    }
    char when[64];
    time_t now = time(NULL);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
    fprintf(file, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                  "<title>Facet bandwidth comparison</title>\n<style>%s</style></head><body>\n"
                  "<h1>Facet bandwidth comparison</h1>\n<p>Input <code>", style);
    put_html(file, o->input);
    fprintf(file, "</code>");
    if (o->crop.width > 0)
        fprintf(file, ", crop %d:%d:%d:%d (W:H:X:Y)", o->crop.width, o->crop.height, o->crop.x,
                o->crop.y);
    else
        fprintf(file, ", centred square crop");
    fprintf(file, "; %d frames at %d fps (%.2f s). Model <code>", report->frames, report->fps,
            report->fps ? (double)report->frames / report->fps : 0.0);
    put_html(file, o->model_path);
    fprintf(file, "</code>. Made %s by <code>", when);
    put_html(file, report->command);
    fprintf(file, "</code>.</p>\n<p>Rates are the bytes each encoder wrote, divided by the clip's "
                  "duration. Qualities are means over all frames against the cropped, scaled "
                  "source: PSNR over Y, U and V, SSIM and MS-SSIM on luma. x264, VP8 and AV1 "
                  "run 1-pass at real-time settings with a keyframe at most every 10 s; Facet "
                  "runs at its operating points (keyframe interval x keyframe quality).</p>\n");
    if (report->note_count > 0) {
        fprintf(file, "<h2>Notes</h2>\n<ul>\n");
        for (int i = 0; i < report->note_count; i++) {
            fprintf(file, "<li>");
            put_html(file, report->notes[i]);
            fprintf(file, "</li>\n");
        }
        fprintf(file, "</ul>\n");
    }
    if (report->have_mosaic) {
        fprintf(file, "<h2>Side by side</h2>\n<p>");
        put_html(file, report->mosaic_caption);
        fprintf(file, "</p>\n<video src=\"mosaic.webm\" controls autoplay muted loop></video>\n");
    }
    for (int s = 0; s < o->size_count; s++) {
        int size = o->sizes[s], any = 0;
        for (int i = 0; i < count; i++)
            any |= results[i].config.size == size;
        if (!any)
            continue;
        fprintf(file, "<h2>%dx%d</h2>\n", size, size);
        if (have_plots)
            for (int m = 0; m < 2; m++) {
                char name[64];
                plots_file_name(name, sizeof(name), size, m == 0 ? "ssim" : "psnr", "svg");
                fprintf(file, "<img src=\"%s\" alt=\"rate against %s at %dx%d\">\n", name,
                        m == 0 ? "SSIM" : "PSNR", size, size);
            }
        write_runs_table(file, results, count, size);
    }
    fprintf(file, "<h2>BD-rate</h2>\n<p>Bj&oslash;ntegaard delta rate of Facet against each "
                  "codec: the mean rate difference for the same quality over the range both "
                  "curves cover (piecewise cubic interpolation of log rate over the Pareto "
                  "points). Negative: Facet needs less. Where the curves do not overlap, the "
                  "quality each reaches at its lowest rate.</p>\n");
    if (row_count > 0)
        write_bd_table(file, rows, row_count);
    else
        fprintf(file, "<p>No BD-rate: Facet or every other codec has no result.</p>\n");
    fprintf(file, "<h2>Data</h2>\n<ul><li><a href=\"results.csv\">results.csv</a>: every run"
                  "</li><li><a href=\"frames.csv\">frames.csv</a>: every frame of every run</li>"
                  "<li><a href=\"bd-rate.csv\">bd-rate.csv</a></li><li><a href=\"summary.md\">"
                  "summary.md</a>: the headline numbers in Markdown</li><li><a href=\"plots.gp\">"
                  "plots.gp</a>: the gnuplot script</li></ul>\n</body></html>\n");
    int failed = ferror(file);
    failed |= fclose(file) != 0;
    if (failed) {
        fprintf(stderr, "%s: write failed\n", path);
        return -1;
    }
    return 0;
}
