/* SPDX-License-Identifier: BSD-2-Clause */
/* Prints the metrics of tools/metrics.c for every frame of DECODED against
 * REFERENCE (two videos of the same size), one line per frame:
 *   psnr_y psnr_u psnr_v psnr ssim_8x8 ssim ms_ssim
 * test_metrics_ffmpeg.sh compares these with ffmpeg's psnr and ssim
 * filters. */
#include "metrics.h"
#include "video_reader.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s REFERENCE DECODED\n", argv[0]);
        return 2;
    }
    VideoReader *reference = video_reader_open(argv[1], 0, 0);
    VideoReader *decoded = reference ? video_reader_open(argv[2], 0, 0) : NULL;
    int status = 1;
    if (!decoded)
        goto done;
    for (;;) {
        FacetPicture a = { 0 }, b = { 0 };
        int got_a = video_reader_read(reference, &a);
        int got_b = video_reader_read(decoded, &b);
        FrameMetrics m;
        int compared = got_a == 1 && got_b == 1 && metrics_compare(&a, &b, &m) == 0;
        facet_picture_unref(&a);
        facet_picture_unref(&b);
        if (got_a == 0 && got_b == 0)
            break;
        if (!compared) {
            fprintf(stderr, "%s: the videos differ in length or size, or could not be read\n",
                    argv[0]);
            goto done;
        }
        printf("%.6f %.6f %.6f %.6f %.6f %.6f %.6f\n", m.psnr_y, m.psnr_u, m.psnr_v, m.psnr,
               m.ssim_8x8, m.ssim, m.ms_ssim);
    }
    status = 0;
done:
    video_reader_close(&reference);
    video_reader_close(&decoded);
    return status;
}
