/* summary.md; see summary_md.h. */
#include "summary_md.h"

#include <math.h>
#include <stdio.h>

static const double summary_rates[] = { 5.0, 10.0, 20.0, 40.0 };
#define SUMMARY_RATE_COUNT 4

/* The run of codec at size nearest to kbps on a log scale; *lowest tells
 * whether it is that codec's lowest-rate run. */
static const RunResult *nearest(const RunResult *results, int count, CodecKind codec, int size,
                                double kbps, int *lowest)
{
    const RunResult *best = NULL, *cheapest = NULL;
    for (int i = 0; i < count; i++) {
        const RunResult *r = &results[i];
        if (r->config.codec != codec || r->config.size != size || r->kbps <= 0)
            continue;
        if (!best || fabs(log(r->kbps / kbps)) < fabs(log(best->kbps / kbps)))
            best = r;
        if (!cheapest || r->kbps < cheapest->kbps)
            cheapest = r;
    }
    *lowest = best && best == cheapest;
    return best;
}

int summary_md_write(const char *dir, const char *command, const char *input,
                     const RunResult *results, int count, const BdRow *rows, int row_count)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/summary.md", dir);
    FILE *file = fopen(path, "w");
    if (!file) {
        perror(path);
        return -1;
    }
    fprintf(file, "Input `%s`; made by\n\n```sh\n%s\n```\n\n", input, command);
    fprintf(file, "Each cell: the run nearest the column's rate (actual kbit/s, SSIM, PSNR); "
                  "\"lowest\" marks a codec's lowest-rate run when it is well above the column's "
                  "rate.\n");
    int sizes_done[64], size_count = 0;
    for (int i = 0; i < count; i++) {
        int size = results[i].config.size, seen = 0;
        for (int s = 0; s < size_count; s++)
            seen |= sizes_done[s] == size;
        if (seen || size_count == 64)
            continue;
        sizes_done[size_count++] = size;
        fprintf(file, "\n**%dx%d**\n\n| codec |", size, size);
        for (int k = 0; k < SUMMARY_RATE_COUNT; k++)
            fprintf(file, " ~%g kbit/s |", summary_rates[k]);
        fprintf(file, "\n|---|");
        for (int k = 0; k < SUMMARY_RATE_COUNT; k++)
            fprintf(file, "---|");
        fprintf(file, "\n");
        for (int codec = 0; codec < CODEC_COUNT; codec++) {
            int lowest;
            if (!nearest(results, count, codec, size, summary_rates[0], &lowest))
                continue;
            fprintf(file, "| %s |", codec_kind_name(codec));
            for (int k = 0; k < SUMMARY_RATE_COUNT; k++) {
                double wanted = summary_rates[k];
                const RunResult *r = nearest(results, count, codec, size, wanted, &lowest);
                fprintf(file, " %.1f kbit/s, SSIM %.3f, %.2f dB%s |", r->kbps, r->mean.ssim,
                        r->mean.psnr, lowest && r->kbps > 1.5 * wanted ? " (lowest)" : "");
            }
            fprintf(file, "\n");
        }
    }
    if (row_count > 0) {
        fprintf(file, "\nBD-rate of Facet (negative: Facet needs less rate for the same "
                      "quality):\n\n| size | against | metric | BD-rate |\n|---|---|---|---|\n");
        for (int i = 0; i < row_count; i++) {
            char text[512];
            bd_row_describe(&rows[i], text, sizeof(text));
            fprintf(file, "| %dx%d | %s | %s | %s |\n", rows[i].size, rows[i].size,
                    codec_kind_name(rows[i].codec), bd_metric_name(rows[i].metric), text);
        }
    }
    int failed = ferror(file);
    failed |= fclose(file) != 0;
    if (failed)
        fprintf(stderr, "%s: write failed\n", path);
    return failed ? -1 : 0;
}
