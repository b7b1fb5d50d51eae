/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's drift criterion (internal to libfacet): how far the
 * picture has moved from the last reference, on the luma of both
 * downscaled by 4 per side (box average): their PSNR (the picture changed:
 * a cut, the camera or the person moved a lot) and the difference of their
 * means (the light changed, which PSNR confuses with motion). A reference
 * far from the frame helps the network little and misleads it after a cut
 * or a change of light; docs/latent-tier.md ("References") gives the
 * thresholds and the measurements behind them.
 */
#ifndef FACET_CODEC_LATENT_DRIFT_H
#define FACET_CODEC_LATENT_DRIFT_H

#include <stdint.h>

#include "facet/facet.h"

/* Below this PSNR (dB) of the two thumbnails the picture has drifted. */
#define FACET_LATENT_DRIFT_PSNR 14.0
/* Or when their mean luma differs by more than this (of 255). */
#define FACET_LATENT_DRIFT_MEAN 10.0
/* No drift reference sooner than this after the last reference started
 * (seconds), nor while one is in flight. */
#define FACET_LATENT_DRIFT_MIN_SECONDS 3.0

typedef struct FacetLatentDrift {
    int width, height;        /* thumbnail: picture side / 4, rounded down */
    uint8_t *reference;       /* the last reference's thumbnail */
    uint8_t *current;
    int has_reference;
} FacetLatentDrift;

/* For pictures of width x height (at least 4 x 4). 0 or FACET_ERR(ENOMEM). */
int facet_latent_drift_init(FacetLatentDrift *drift, int width, int height);
/* The picture (I420 of the size given) becomes the reference's. */
void facet_latent_drift_set_reference(FacetLatentDrift *drift, const FacetPicture *picture);
/* The picture's thumbnail against the reference's: *psnr in dB (99 for
 * equal ones, and with no reference yet) and *mean_shift, the absolute
 * difference of their mean luma (0 with no reference). */
void facet_latent_drift_measure(FacetLatentDrift *drift, const FacetPicture *picture,
                                double *psnr, double *mean_shift);
/* Whether the picture has drifted: PSNR below FACET_LATENT_DRIFT_PSNR or
 * mean shift above FACET_LATENT_DRIFT_MEAN. */
int facet_latent_drifted(FacetLatentDrift *drift, const FacetPicture *picture);
void facet_latent_drift_free(FacetLatentDrift *drift);

#endif /* FACET_CODEC_LATENT_DRIFT_H */
