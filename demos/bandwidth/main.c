/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-bandwidth: how much bandwidth does Facet save on a clip? Codes it
 * with Facet and with the conventional codecs a video call would use over a
 * sweep of bitrates and writes a report (see --help and README.md). */
#include "av_run.h"
#include "clip.h"
#include "facet_run.h"
#include "options.h"
#include "progress.h"
#include "report.h"
#include "results_csv.h"
#include "run_result.h"

#include <errno.h>
#include <libavutil/log.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FPS 25

/* Creates `dir` and its missing parents. */
static int make_dirs(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
        fprintf(stderr, "%s: path too long\n", dir);
        return -1;
    }
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(path, 0777) < 0 && errno != EEXIST) {
            perror(path);
            return -1;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: not a folder\n", dir);
        return -1;
    }
    return 0;
}

/* The side the conventional codecs code at scale 1/`scale` of `size`:
 * even (4:2:0), 0 when too small to code. */
static int coded_side(int size, int scale)
{
    int side = size / scale / 2 * 2;
    return side >= 16 ? side : 0;
}

/* Every run planned for one picture size, in the order they run. Returns
 * the count, or -1 (out of memory); *plan is malloc'ed. */
static int plan_runs(const Options *o, const SourceClip *clip, Report *report, RunConfig **plan)
{
    int capacity = o->facet_point_count + o->latent_scale_count * o->latent_rate_count +
                   (CODEC_COUNT - 1) * o->scale_count * (o->rate_count + 1);
    int count = 0;
    double seconds = (double)clip->count / clip->fps;
    *plan = malloc((size_t)(capacity > 0 ? capacity : 1) * sizeof(**plan));
    if (!*plan)
        return -1;
    if (o->codecs[CODEC_FACET]) {
        for (int i = 0; i < o->facet_point_count; i++) {
            const FacetPoint *p = &o->facet_points[i];
            if (p->keyframe_interval > seconds + 1e-9) {
                report_note(report, "Facet keyframe every %g s skipped at %dx%d: the clip is only "
                                    "%.2f s long, shorter than one keyframe interval",
                            p->keyframe_interval, clip->size, clip->size, seconds);
                continue;
            }
            (*plan)[count++] = (RunConfig){ .codec = CODEC_FACET, .size = clip->size,
                                            .coded_size = clip->size, .crf = -1,
                                            .facet_mode = FACET_MODE_KEYPOINTS,
                                            .keyframe_interval = p->keyframe_interval,
                                            .keyframe_quality = p->keyframe_quality };
        }
        /* The latent tier: one curve per scale r, points from rate targets. */
        for (int s = 0; s < o->latent_scale_count && o->latent_rate_count > 0; s++) {
            int r = o->latent_scales[s];
            for (int i = 0; i < o->latent_rate_count; i++)
                (*plan)[count++] = (RunConfig){ .codec = CODEC_FACET, .size = clip->size,
                                                .coded_size = clip->size / r, .crf = -1,
                                                .facet_mode = FACET_MODE_LATENT,
                                                .target_kbps = o->latent_rates[i] };
        }
    }
    for (int codec = CODEC_X264; codec < CODEC_COUNT; codec++) {
        if (!o->codecs[codec] || !av_run_encoder_name(codec))
            continue;
        for (int s = 0; s < o->scale_count; s++) {
            int side = coded_side(clip->size, o->scales[s]);
            if (!side) {
                report_note(report, "%s at 1/%d of %dx%d skipped: too small to code",
                            codec_kind_name(codec), o->scales[s], clip->size, clip->size);
                continue;
            }
            RunConfig config = { .codec = codec, .size = clip->size, .coded_size = side,
                                 .crf = -1 };
            if (o->floor) {
                (*plan)[count] = config;
                (*plan)[count++].crf = av_run_floor_crf(codec);
            }
            for (int i = 0; i < o->rate_count; i++) {
                (*plan)[count] = config;
                (*plan)[count++].target_kbps = o->rates[i];
            }
        }
    }
    return count;
}

static int run_one(const Options *o, const SourceClip *clip, const RunConfig *config,
                   RunResult *result)
{
    if (run_result_init(result, config, clip->count) < 0) {
        fprintf(stderr, "out of memory\n");
        return -1;
    }
    MeasureSink sink = { .clip = clip, .result = result };
    const FacetModels models = { .keypoints = o->model_path, .latent = o->latent_model_path };
    int ret = config->codec == CODEC_FACET
                  ? facet_run(clip, config, &models, o->threads, result, measure_decoded_frame,
                              &sink)
                  : av_run(clip, config, o->threads, result, measure_decoded_frame, &sink);
    if (ret < 0) {
        run_result_free(result);
        return -1;
    }
    run_result_finish(result, clip->fps);
    return 0;
}

static void run_label(const RunConfig *config, char *label, size_t label_size)
{
    char series[64];
    run_series_name(config, series, sizeof(series));
    if (config->codec == CODEC_FACET && config->facet_mode == FACET_MODE_LATENT)
        snprintf(label, label_size, "%s %dx%d %g kbit/s", series, config->size, config->size,
                 config->target_kbps);
    else if (config->codec == CODEC_FACET)
        snprintf(label, label_size, "%s %dx%d keyframe %g s q%d", series, config->size,
                 config->size, config->keyframe_interval, config->keyframe_quality);
    else if (config->crf >= 0)
        snprintf(label, label_size, "%s %dx%d floor", series, config->size, config->size);
    else
        snprintf(label, label_size, "%s %dx%d %g kbit/s", series, config->size, config->size,
                 config->target_kbps);
}

/* The runs of one size, shared by the worker threads: each takes the next
 * planned run. Facet runs one at a time (it uses every CPU itself); the
 * conventional codecs, one thread each, run beside it and each other. */
typedef struct Sweep {
    const Options *options;
    const SourceClip *clip;
    Report *report;
    const RunConfig *plan;
    int planned;
    RunResult *results; /* planned entries */
    int *ok;            /* planned entries: 1 when results[i] holds a run */
    int next;
    pthread_mutex_t lock, facet_lock;
} Sweep;

static void *sweep_worker(void *opaque)
{
    Sweep *sweep = opaque;
    for (;;) {
        pthread_mutex_lock(&sweep->lock);
        int i = sweep->next < sweep->planned ? sweep->next++ : -1;
        pthread_mutex_unlock(&sweep->lock);
        if (i < 0)
            return NULL;
        const RunConfig *config = &sweep->plan[i];
        char label[128];
        run_label(config, label, sizeof(label));
        int facet = config->codec == CODEC_FACET;
        if (facet)
            pthread_mutex_lock(&sweep->facet_lock);
        progress_start(i + 1, sweep->planned, label);
        int ret = run_one(sweep->options, sweep->clip, config, &sweep->results[i]);
        if (facet)
            pthread_mutex_unlock(&sweep->facet_lock);
        if (ret < 0) {
            progress_break();
            report_note(sweep->report, "%s failed (see the messages on stderr)", label);
            continue;
        }
        const RunResult *r = &sweep->results[i];
        char summary[160], peak[48] = "";
        if (!isnan(r->peak_kbps))
            snprintf(peak, sizeof(peak), " (peak %.1f)", r->peak_kbps);
        snprintf(summary, sizeof(summary), "%.2f kbit/s%s, PSNR %.2f dB, SSIM %.4f", r->kbps, peak,
                 r->mean.psnr, r->mean.ssim);
        progress_finish(summary);
        sweep->ok[i] = 1;
    }
}

/* Runs the plan on o->jobs threads and appends the runs that succeeded to
 * *results in plan order. Returns 0 or -1 (out of memory). */
static int run_plan(const Options *o, const SourceClip *clip, Report *report,
                    const RunConfig *plan, int planned, RunResult **results, int *result_count)
{
    Sweep sweep = { .options = o, .clip = clip, .report = report, .plan = plan,
                    .planned = planned };
    sweep.results = calloc((size_t)(planned > 0 ? planned : 1), sizeof(*sweep.results));
    sweep.ok = calloc((size_t)(planned > 0 ? planned : 1), sizeof(*sweep.ok));
    RunResult *grown = realloc(*results, (size_t)(*result_count + planned + 1) * sizeof(**results));
    if (grown)
        *results = grown;
    if (!sweep.results || !sweep.ok || !grown) {
        free(sweep.results);
        free(sweep.ok);
        fprintf(stderr, "out of memory\n");
        return -1;
    }
    pthread_mutex_init(&sweep.lock, NULL);
    pthread_mutex_init(&sweep.facet_lock, NULL);
    pthread_t threads[16];
    int started = 0;
    for (; started < o->jobs - 1 && started < planned - 1; started++)
        if (pthread_create(&threads[started], NULL, sweep_worker, &sweep) != 0)
            break;
    sweep_worker(&sweep); /* this thread works too */
    for (int t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    pthread_mutex_destroy(&sweep.lock);
    pthread_mutex_destroy(&sweep.facet_lock);
    for (int i = 0; i < planned; i++)
        if (sweep.ok[i])
            (*results)[(*result_count)++] = sweep.results[i];
    free(sweep.results);
    free(sweep.ok);
    return 0;
}

int main(int argc, char **argv)
{
    Options o;
    int parsed = options_parse(&o, argc, argv);
    if (parsed != 0)
        return parsed > 0 ? 0 : 2;
    if (make_dirs(o.out_dir) < 0)
        return 1;
    /* The encoders' own statistics would drown the progress line. */
    av_log_set_level(AV_LOG_ERROR);

    Report report;
    report_init(&report, &o, argc, argv);
    for (int codec = CODEC_X264; codec < CODEC_COUNT; codec++)
        if (o.codecs[codec] && !av_run_encoder_name(codec))
            report_note(&report, "%s not measured: this FFmpeg build has no %s encoder",
                        codec_kind_name(codec), codec_kind_name(codec));

    progress_set_jobs(o.jobs);

    int status = 1;
    RunResult *results = NULL;
    int result_count = 0;
    for (int s = 0; s < o.size_count; s++) {
        SourceClip clip;
        fprintf(stderr, "reading %s at %dx%d, %d fps\n", o.input, o.sizes[s], o.sizes[s], FPS);
        if (clip_load(&clip, o.input, &o.crop, o.sizes[s], FPS, o.seconds) < 0) {
            fprintf(stderr, "facet-bandwidth: cannot use %s as the source video (see the "
                            "message above)\n", o.input);
            report_note(&report, "cannot use %s as the source video at %dx%d (FFmpeg's reason "
                                 "is on stderr)", o.input, o.sizes[s], o.sizes[s]);
            break;
        }
        report_set_clip(&report, clip.count, clip.fps);
        if (clip.count < clip.fps)
            report_note(&report, "the clip is %.2f s long, shorter than one second: no peak "
                                 "rates (the most bytes in any one-second window) at %dx%d",
                        (double)clip.count / clip.fps, clip.size, clip.size);
        RunConfig *plan = NULL;
        int planned = plan_runs(&o, &clip, &report, &plan);
        if (planned < 0 || run_plan(&o, &clip, &report, plan, planned, &results,
                                    &result_count) < 0) {
            free(plan);
            clip_free(&clip);
            fprintf(stderr, "out of memory\n");
            goto done;
        }
        free(plan);
        for (int p = 0; p < o.picture_count; p++)
            if (o.pictures[p].size == clip.size)
                report_make_pictures(&report, &clip, results, result_count, o.pictures[p].kbps);
        clip_free(&clip);
    }
    if (result_count == 0) {
        /* Still a report: the notes say what went wrong. */
        fprintf(stderr, "facet-bandwidth: nothing could be measured\n");
        if (report_write(&report, results, 0) == 0)
            printf("report (notes only): %s/report.html\n", o.out_dir);
        goto done;
    }
    if (results_csv_write(o.out_dir, results, result_count, FPS) < 0)
        goto done;
    if (report_write(&report, results, result_count) < 0)
        goto done;
    printf("report: %s/report.html\n", o.out_dir);
    status = 0;
done:
    for (int i = 0; i < result_count; i++)
        run_result_free(&results[i]);
    free(results);
    return status;
}
