/* SPDX-License-Identifier: BSD-2-Clause */
/* The latent tier's drift criterion; see latent_drift.h. */
#include "codec/latent_drift.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int facet_latent_drift_init(FacetLatentDrift *drift, int width, int height)
{
    memset(drift, 0, sizeof(*drift));
    if (width < 4 || height < 4)
        return FACET_ERR(EINVAL);
    drift->width = width / 4;
    drift->height = height / 4;
    size_t size = (size_t)drift->width * (size_t)drift->height;
    drift->reference = malloc(size);
    drift->current = malloc(size);
    if (!drift->reference || !drift->current) {
        facet_latent_drift_free(drift);
        return FACET_ERR(ENOMEM);
    }
    return 0;
}

/* Mean of each 4 x 4 block of luma: cheap (one pass over a quarter of the
 * samples of the low-resolution picture's work), and blind to the noise
 * and fine motion the base stream carries anyway. */
static void thumbnail(const FacetLatentDrift *drift, const FacetPicture *picture, uint8_t *out)
{
    for (int y = 0; y < drift->height; y++) {
        for (int x = 0; x < drift->width; x++) {
            unsigned sum = 0;
            for (int dy = 0; dy < 4; dy++) {
                const uint8_t *row = picture->data[0] + (ptrdiff_t)(4 * y + dy) * picture->stride[0];
                sum += row[4 * x] + row[4 * x + 1] + row[4 * x + 2] + row[4 * x + 3];
            }
            out[(size_t)y * drift->width + x] = (uint8_t)((sum + 8) / 16);
        }
    }
}

void facet_latent_drift_set_reference(FacetLatentDrift *drift, const FacetPicture *picture)
{
    thumbnail(drift, picture, drift->reference);
    drift->has_reference = 1;
}

void facet_latent_drift_measure(FacetLatentDrift *drift, const FacetPicture *picture,
                                double *psnr, double *mean_shift)
{
    *psnr = 99.0;
    *mean_shift = 0.0;
    if (!drift->has_reference)
        return;
    thumbnail(drift, picture, drift->current);
    size_t n = (size_t)drift->width * (size_t)drift->height;
    double se = 0.0, shift = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)drift->current[i] - (double)drift->reference[i];
        se += d * d;
        shift += d;
    }
    *mean_shift = fabs(shift) / (double)n;
    if (se > 0.0)
        *psnr = 10.0 * log10(255.0 * 255.0 * (double)n / se);
}

int facet_latent_drifted(FacetLatentDrift *drift, const FacetPicture *picture)
{
    double psnr, shift;
    facet_latent_drift_measure(drift, picture, &psnr, &shift);
    return psnr < FACET_LATENT_DRIFT_PSNR || shift > FACET_LATENT_DRIFT_MEAN;
}

void facet_latent_drift_free(FacetLatentDrift *drift)
{
    free(drift->reference);
    free(drift->current);
    drift->reference = drift->current = NULL;
    drift->has_reference = 0;
}
