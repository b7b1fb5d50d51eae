/* SPDX-License-Identifier: BSD-2-Clause */
/* Picture quality metrics for `facet eval` and the bandwidth demo: PSNR, SSIM and MS-SSIM. */
#ifndef FACET_MEDIA_METRICS_H
#define FACET_MEDIA_METRICS_H

#include "facet/facet.h"

typedef struct FrameMetrics {
    double psnr_y, psnr_u, psnr_v;
    double psnr;    /* over all samples of the three planes */
    double ssim;    /* luma, 11x11 Gaussian window, sigma 1.5 (Wang et al. 2004) */
    double ms_ssim; /* luma, 5 scales with the weights of Wang et al. 2003;
                       fewer scales when the picture is too small */
    double ssim_8x8; /* luma, the variant of FFmpeg's ssim filter (x264's):
                        8x8 box windows on a 4-pixel grid; 1 when the
                        picture has fewer than 8x8 pixels */
} FrameMetrics;

/* PSNR is capped at this value for identical planes, so means stay finite. */
#define METRICS_PSNR_MAX 100.0

/* Compares two I420 pictures of the same size. Returns 0 or -1 (size or
 * format mismatch, out of memory). */
int metrics_compare(const FacetPicture *reference, const FacetPicture *distorted,
                    FrameMetrics *metrics);

#endif
