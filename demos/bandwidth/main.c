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

/* Every run planned for one picture size, in the order they run. */
static int plan_runs(const Options *o, const SourceClip *clip, Report *report, RunConfig *plan,
                     int capacity)
{
    int count = 0;
    double seconds = (double)clip->count / clip->fps;
    if (o->codecs[CODEC_FACET]) {
        for (int i = 0; i < o->facet_point_count && count < capacity; i++) {
            const FacetPoint *p = &o->facet_points[i];
            if (p->keyframe_interval > seconds + 1e-9) {
                report_note(report, "Facet keyframe every %g s skipped at %dx%d: the clip is only "
                                    "%.2f s long, shorter than one keyframe interval",
                            p->keyframe_interval, clip->size, clip->size, seconds);
                continue;
            }
            plan[count++] = (RunConfig){ .codec = CODEC_FACET, .size = clip->size,
                                         .keyframe_interval = p->keyframe_interval,
                                         .keyframe_quality = p->keyframe_quality };
        }
    }
    for (int codec = CODEC_X264; codec < CODEC_COUNT; codec++) {
        if (!o->codecs[codec] || !av_run_encoder_name(codec))
            continue;
        for (int i = 0; i < o->rate_count && count < capacity; i++)
            plan[count++] = (RunConfig){ .codec = codec, .size = clip->size,
                                         .target_kbps = o->rates[i] };
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
    int ret = config->codec == CODEC_FACET
                  ? facet_run(clip, config, o->model_path, o->threads, result,
                              measure_decoded_frame, &sink)
                  : av_run(clip, config, o->threads, result, measure_decoded_frame, &sink);
    if (ret < 0) {
        run_result_free(result);
        return -1;
    }
    run_result_finish(result, clip->fps);
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

    /* The side-by-side video holds every frame of four tiles in memory:
     * made at the first size up to 512 (410 MB for 10 s at 512). */
    int mosaic_size = 0;
    for (int s = o.size_count - 1; s >= 0; s--)
        if (o.sizes[s] <= 512)
            mosaic_size = o.sizes[s];
    if (o.mosaic && !mosaic_size)
        report_note(&report, "no side-by-side video: it is made at sizes up to 512 only");

    int status = 1;
    RunResult *results = NULL;
    int result_count = 0;
    for (int s = 0; s < o.size_count; s++) {
        SourceClip clip;
        fprintf(stderr, "reading %s at %dx%d, %d fps\n", o.input, o.sizes[s], o.sizes[s], FPS);
        if (clip_load(&clip, o.input, &o.crop, o.sizes[s], FPS, o.seconds) < 0) {
            fprintf(stderr, "facet-bandwidth: cannot use %s as the source video (see the "
                            "message above)\n", o.input);
            goto done;
        }
        report_set_clip(&report, clip.count, clip.fps);
        RunConfig plan[3 * OPTIONS_MAX_LIST + OPTIONS_MAX_LIST];
        int planned = plan_runs(&o, &clip, &report, plan, (int)(sizeof(plan) / sizeof(plan[0])));
        RunResult *grown =
            realloc(results, (size_t)(result_count + planned + 1) * sizeof(*results));
        if (!grown) {
            clip_free(&clip);
            fprintf(stderr, "out of memory\n");
            goto done;
        }
        results = grown;
        for (int i = 0; i < planned; i++) {
            const RunConfig *config = &plan[i];
            char label[128];
            if (config->codec == CODEC_FACET)
                snprintf(label, sizeof(label), "Facet %dx%d keyframe %g s q%d", clip.size,
                         clip.size, config->keyframe_interval, config->keyframe_quality);
            else
                snprintf(label, sizeof(label), "%s %dx%d %g kbit/s", codec_kind_name(config->codec),
                         clip.size, clip.size, config->target_kbps);
            progress_start(i + 1, planned, label);
            RunResult *result = &results[result_count];
            if (run_one(&o, &clip, config, result) < 0) {
                progress_break();
                report_note(&report, "%s failed (see the messages on stderr)", label);
                continue;
            }
            char summary[128];
            snprintf(summary, sizeof(summary), "%.2f kbit/s, PSNR %.2f dB, SSIM %.4f", result->kbps,
                     result->mean.psnr, result->mean.ssim);
            progress_finish(summary);
            result_count++;
        }
        if (o.mosaic && o.sizes[s] == mosaic_size)
            report_make_mosaic(&report, &clip, results, result_count);
        clip_free(&clip);
    }
    if (result_count == 0) {
        fprintf(stderr, "facet-bandwidth: no run succeeded\n");
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
