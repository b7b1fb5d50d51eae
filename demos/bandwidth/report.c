/* SPDX-License-Identifier: BSD-2-Clause */
/* report.html and the notes; see report.h. */
#include "report.h"

#include "bd_table.h"
#include "mosaic.h"
#include "plots.h"
#include "progress.h"
#include "summary_md.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    progress_break();
    fprintf(stderr, "note: %s\n", text);
    if (report->note_count < REPORT_MAX_NOTES)
        memcpy(report->notes[report->note_count++], text, sizeof(text));
    pthread_mutex_unlock(&lock);
}

void report_set_clip(Report *report, int frames, int fps)
{
    report->frames = frames;
    report->fps = fps;
}

void report_make_pictures(Report *report, const SourceClip *clip, const RunResult *results,
                          int count, double kbps)
{
    const Options *o = report->options;
    char error[320] = "";
    if (report->picture_count == OPTIONS_MAX_LIST)
        return;
    MosaicFiles *files = &report->pictures[report->picture_count];
    memset(files, 0, sizeof(*files));
    const FacetModels models = { .keypoints = o->model_path, .latent = o->latent_model_path };
    if (mosaic_make(o->out_dir, clip, results, count, kbps, &models, o->threads, files, error,
                    sizeof(error)) < 0) {
        report_note(report, "no side-by-side pictures at %dx%d, %g kbit/s: %s", clip->size,
                    clip->size, kbps, error);
        return;
    }
    report->picture_points[report->picture_count++] = (PicturePoint){ clip->size, kbps };
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

static void put_kbps(FILE *file, double kbps)
{
    if (isnan(kbps))
        fprintf(file, "<td>-</td>");
    else
        fprintf(file, "<td>%.1f</td>", kbps);
}

/* The curves at `size`, in table order; series needs room for count. */
static int size_series(const RunResult *results, int count, int size, const RunConfig **series)
{
    int n = 0;
    for (int i = 0; i < count; i++) {
        const RunConfig *c = &results[i].config;
        int known = c->size != size;
        for (int k = 0; k < n && !known; k++)
            known = run_same_series(series[k], c);
        if (known)
            continue;
        int j = n++;
        for (; j > 0 && run_series_compare(series[j - 1], c) > 0; j--)
            series[j] = series[j - 1];
        series[j] = c;
    }
    return n;
}

static void write_runs_table(FILE *file, const RunResult *results, int count, int size,
                             const RunConfig **series)
{
    fprintf(file, "<table class=\"runs\">\n<tr><th>curve</th><th>encoder</th><th>setting</th>"
                  "<th>kbit/s asked</th><th>kbit/s got (mean)</th><th>peak kbit/s (1 s)</th>"
                  "<th>PSNR dB</th><th>SSIM</th><th>MS-SSIM</th><th>encode ms/frame</th>"
                  "<th>decode ms/frame</th></tr>\n");
    int n = size_series(results, count, size, series);
    for (int k = 0; k < n; k++) {
        char name[64];
        run_series_name(series[k], name, sizeof(name));
        /* By rate got within a curve. */
        double last = -1.0;
        for (;;) {
            const RunResult *next = NULL;
            for (int i = 0; i < count; i++) {
                const RunResult *r = &results[i];
                if (run_same_series(&r->config, series[k]) && r->kbps > last &&
                    (!next || r->kbps < next->kbps))
                    next = r;
            }
            if (!next)
                break;
            last = next->kbps;
            fprintf(file, "<tr class=\"%s\"><td>", codec_kind_name(next->config.codec));
            put_html(file, name);
            fprintf(file, "</td><td>%s</td><td>", next->encoder);
            put_html(file, next->setting);
            fprintf(file, "</td>");
            if (next->config.target_kbps > 0)
                fprintf(file, "<td>%g</td>", next->config.target_kbps);
            else
                fprintf(file, "<td>-</td>");
            put_kbps(file, next->kbps);
            put_kbps(file, next->peak_kbps);
            fprintf(file, "<td>%.2f</td><td>%.4f</td><td>%.4f</td><td>%.2f</td><td>%.2f</td></tr>\n",
                    next->mean.psnr, next->mean.ssim, next->mean.ms_ssim, next->encode_ms,
                    next->decode_ms);
        }
    }
    fprintf(file, "</table>\n");
}

static void write_envelope_table(FILE *file, const RunResult *results, int count, int size,
                                 EnvelopePoint *points)
{
    int n = bd_envelope(results, count, size, BD_RATE_MEAN, BD_METRIC_SSIM, points);
    if (n == 0)
        return;
    fprintf(file, "<p>The best conventional curve at %dx%d (on SSIM): the runs of every codec at "
                  "every resolution that no cheaper conventional run beats.</p>\n"
                  "<table class=\"envelope\">\n<tr><th>kbit/s (mean)</th><th>peak kbit/s</th>"
                  "<th>SSIM</th><th>PSNR dB</th><th>from</th></tr>\n", size, size);
    for (int i = 0; i < n; i++) {
        const RunResult *r = points[i].run;
        char name[64];
        run_series_name(&r->config, name, sizeof(name));
        fprintf(file, "<tr>");
        put_kbps(file, r->kbps);
        put_kbps(file, r->peak_kbps);
        fprintf(file, "<td>%.4f</td><td>%.2f</td><td>", r->mean.ssim, r->mean.psnr);
        put_html(file, name);
        fprintf(file, ", ");
        put_html(file, r->setting);
        fprintf(file, "</td></tr>\n");
    }
    fprintf(file, "</table>\n");
}

/* One cell of the BD-rate table: the row of `like`'s pair on `axis`, or a
 * note that the clip has no peak. */
static void put_bd_cell(FILE *file, const BdRow *rows, int count, const BdRow *like,
                        BdRateAxis axis)
{
    char text[512];
    bd_table_describe_cell(rows, count, like, axis, like->metric, text, sizeof(text));
    fprintf(file, "<td>");
    put_html(file, text);
    fprintf(file, "</td>");
}

/* A row per pair of curves and metric: the BD-rate at equal mean rate (the
 * primary one), then at equal peak rate, which is what a call's link must
 * carry. */
static void write_bd_table(FILE *file, const BdRow *rows, int count)
{
    fprintf(file, "<table class=\"bd\">\n<tr><th>size</th><th>Facet</th><th>against</th>"
                  "<th>metric</th><th>BD-rate of Facet at equal mean rate</th>"
                  "<th>at equal peak rate</th></tr>\n");
    for (int i = 0; i < count; i++) {
        const BdRow *r = &rows[i];
        if (r->axis != BD_RATE_MEAN)
            continue;
        fprintf(file, "<tr%s><td>%dx%d</td><td>", r->envelope ? " class=\"best\"" : "", r->size,
                r->size);
        put_html(file, r->test);
        fprintf(file, "</td><td>");
        put_html(file, r->anchor);
        fprintf(file, "</td><td>%s</td>", bd_metric_name(r->metric));
        put_bd_cell(file, rows, count, r, BD_RATE_MEAN);
        put_bd_cell(file, rows, count, r, BD_RATE_PEAK);
        fprintf(file, "</tr>\n");
    }
    fprintf(file, "</table>\n<p>At equal peak rate: the same comparison on the rate of the "
                  "busiest second (peak kbit/s) in place of the mean, since a call's link must "
                  "carry that second, and a codec that bursts around keyframes pays for its "
                  "bursts there.</p>\n");
}

/* Checks, once the page has loaded, that every picture decoded and every
 * video can play, and says so in #self-check (the headless-Chromium test
 * reads it; nothing here needs the network). */
static const char self_check[] =
    "<p id=\"self-check\"></p>\n<script>\n"
    "(function () {\n"
    "  function update() {\n"
    "    var images = document.images, loaded = 0, videos = document.querySelectorAll('video'),\n"
    "        playable = 0;\n"
    "    for (var i = 0; i < images.length; i++)\n"
    "      if (images[i].complete && images[i].naturalWidth > 0) loaded++;\n"
    "    for (var j = 0; j < videos.length; j++)\n"
    "      if (videos[j].readyState >= 1 && videos[j].videoWidth > 0) playable++;\n"
    "    var p = document.getElementById('self-check');\n"
    "    p.textContent = 'Self-check: ' + loaded + ' of ' + images.length +\n"
    "        ' pictures shown, ' + playable + ' of ' + videos.length + ' videos playable.';\n"
    "    p.setAttribute('data-images', loaded + '/' + images.length);\n"
    "    p.setAttribute('data-videos', playable + '/' + videos.length);\n"
    "  }\n"
    "  window.addEventListener('load', update);\n"
    "  var videos = document.querySelectorAll('video');\n"
    "  for (var k = 0; k < videos.length; k++) videos[k].addEventListener('loadedmetadata', update);\n"
    "})();\n</script>\n";

static const char style[] =
    "body{font-family:'DejaVu Sans',sans-serif;max-width:1200px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 8px;"
    "text-align:right}td:nth-child(-n+3),th{text-align:left}tr.Facet td{background:#fdecea}"
    "tr.best td{background:#eef3fb;font-weight:bold}"
    "img.plot{width:100%;max-width:1000px;display:block;margin:1em 0}code{background:#f3f3f3}"
    ".wide{overflow-x:auto;margin:1em 0}.wide video,.wide img{display:block;max-width:none}"
    "#self-check{color:#777;font-size:small}";

static void write_pictures(FILE *file, const Report *report)
{
    if (report->picture_count == 0)
        return;
    fprintf(file, "<h2>Pictures</h2>\n<p>Each codec's run at about the rate named (the best "
                  "SSIM at most 25%% above it, at whichever resolution; else its cheapest run), "
                  "coded again to keep its pictures, beside the source. Each tile is labelled "
                  "with the codec, the resolution it coded and its mean rate. The still is the "
                  "middle frame.</p>\n");
    for (int i = 0; i < report->picture_count; i++) {
        const MosaicFiles *f = &report->pictures[i];
        const PicturePoint *p = &report->picture_points[i];
        fprintf(file, "<h3 id=\"pictures-%d-%g\">%dx%d at about %g kbit/s</h3>\n<p>", p->size,
                p->kbps, p->size, p->size, p->kbps);
        put_html(file, f->caption);
        fprintf(file, "</p>\n<div class=\"wide\"><video src=\"%s\" controls autoplay muted loop>"
                      "</video></div>\n<div class=\"wide\"><img class=\"still\" src=\"%s\" "
                      "alt=\"frame %d of each codec at %dx%d, about %g kbit/s\"></div>\n",
                f->video, f->still, f->still_frame, p->size, p->size, p->kbps);
    }
}

int report_write(Report *report, const RunResult *results, int count)
{
    const Options *o = report->options;
    int have_plots = count > 0 && plots_write(o->out_dir, results, count) == 0;
    if (count > 0 && !have_plots)
        report_note(report, "plots missing: gnuplot failed or is not installed");
    enum { MAX_BD_ROWS = 1024 };
    BdRow *rows = calloc(MAX_BD_ROWS, sizeof(*rows));
    int row_count = !rows ? -1 : count > 0 ? bd_table_compute(results, count, rows, MAX_BD_ROWS) : 0;
    if (row_count < 0 || bd_table_write_csv(o->out_dir, rows, row_count < 0 ? 0 : row_count) < 0)
        report_note(report, "BD-rate table not written");
    if (row_count < 0)
        row_count = 0;
    if (count > 0 && summary_md_write(o->out_dir, report->command, o->input, results, count,
                                      rows, row_count) < 0)
        report_note(report, "summary.md not written");
    const RunConfig **series = malloc((size_t)(count > 0 ? count : 1) * sizeof(*series));
    EnvelopePoint *envelope = malloc((size_t)(count > 0 ? count : 1) * sizeof(*envelope));
    if (!series || !envelope || !rows) {
        free(series);
        free(envelope);
        free(rows);
        fprintf(stderr, "out of memory\n");
        return -1;
    }

    char path[4096];
    snprintf(path, sizeof(path), "%s/report.html", o->out_dir);
    FILE *file = fopen(path, "w");
    if (!file) {
        perror(path);
        free(series);
        free(envelope);
        free(rows);
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
    fprintf(file, "; %d frames at %d fps (%.2f s). Models <code>", report->frames, report->fps,
            report->fps ? (double)report->frames / report->fps : 0.0);
    put_html(file, o->model_path);
    fprintf(file, "</code> (keypoint tier) and <code>");
    put_html(file, o->latent_model_path);
    fprintf(file, "</code> (latent tier). Made %s by <code>", when);
    put_html(file, report->command);
    fprintf(file, "</code>.</p>\n<p>Rates are the bytes each encoder wrote, divided by the clip's "
                  "duration (the mean), and the most bytes in any one-second window (the peak: "
                  "what the link must carry; a keyframe shows here). Qualities are means over "
                  "all frames against the cropped, scaled source: PSNR over Y, U and V, SSIM and "
                  "MS-SSIM on luma. x264, VP8 and AV1 run 1-pass at real-time settings with a "
                  "keyframe at most every 10 s, at every rate target and once at their floor "
                  "(coarsest quantiser: the lowest rate each reaches), at full resolution and, "
                  "as a call does when its bandwidth drops, at reduced resolution: "
                  "&quot;AV1 @128 + Lanczos&quot; is AV1 coding a 128x128 area downscale, "
                  "upscaled back with Lanczos for display and measurement. The best "
                  "conventional curve is the lower envelope of all of them. Facet's keypoint "
                  "tier runs at its operating points (keyframe interval x keyframe quality). "
                  "Facet's latent tier runs at its own rate targets (its rate control, "
                  "references included), one curve per scale: &quot;Facet latent @128&quot; "
                  "sends a 128x128 AV1 stream and rare references at full size, and its "
                  "network upsamples the stream with the reference's detail; compare it with "
                  "&quot;AV1 @128 + Lanczos&quot;, the same kind of stream without the "
                  "network. The table gives the rate asked for beside the rate got.</p>\n");
    if (report->note_count > 0) {
        fprintf(file, "<h2>Notes</h2>\n<ul class=\"notes\">\n");
        for (int i = 0; i < report->note_count; i++) {
            fprintf(file, "<li>");
            put_html(file, report->notes[i]);
            fprintf(file, "</li>\n");
        }
        fprintf(file, "</ul>\n");
    }
    if (count == 0)
        fprintf(file, "<p>Nothing could be measured.</p>\n");
    write_pictures(file, report);
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
                fprintf(file, "<img class=\"plot\" src=\"%s\" alt=\"rate against %s at %dx%d\">\n",
                        name, m == 0 ? "SSIM" : "PSNR", size, size);
            }
        write_envelope_table(file, results, count, size, envelope);
        write_runs_table(file, results, count, size, series);
    }
    fprintf(file, "<h2>BD-rate</h2>\n<p>Bj&oslash;ntegaard delta rate of each Facet curve against "
                  "the best conventional curve (highlighted) and against each conventional curve "
                  "alone: the mean rate difference for the same quality over the range both "
                  "curves cover (piecewise cubic interpolation of log rate over the Pareto "
                  "points). Negative: Facet needs less. Where the curves do not overlap, the "
                  "range of quality and rate each reaches.</p>\n");
    if (row_count > 0)
        write_bd_table(file, rows, row_count);
    else
        fprintf(file, "<p>No BD-rate: Facet or every other codec has no result.</p>\n");
    if (count > 0)
        fprintf(file, "<h2>Data</h2>\n<ul><li><a href=\"results.csv\">results.csv</a>: every run"
                      "</li><li><a href=\"frames.csv\">frames.csv</a>: every frame of every run</li>"
                      "<li><a href=\"bd-rate.csv\">bd-rate.csv</a></li><li><a href=\"summary.md\">"
                      "summary.md</a>: the headline numbers in Markdown</li><li><a href=\"plots.gp\">"
                      "plots.gp</a>: the gnuplot script</li></ul>\n");
    fprintf(file, "%s</body></html>\n", self_check);
    free(series);
    free(envelope);
    free(rows);
    int failed = ferror(file);
    failed |= fclose(file) != 0;
    if (failed) {
        fprintf(stderr, "%s: write failed\n", path);
        return -1;
    }
    return 0;
}
