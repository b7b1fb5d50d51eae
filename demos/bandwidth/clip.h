/* SPDX-License-Identifier: BSD-2-Clause */
/* The source picture every codec codes: a clip read once, cropped, scaled to
 * a square and resampled to a constant frame rate, kept in memory. */
#ifndef FACET_BANDWIDTH_CLIP_H
#define FACET_BANDWIDTH_CLIP_H

#include "facet/facet.h"

/* A crop rectangle in source pixels; width 0 means "centred square". */
typedef struct ClipCrop {
    int width, height, x, y;
} ClipCrop;

typedef struct SourceClip {
    FacetPicture *frames; /* I420, size x size, frame i shown at i / fps s */
    int count;
    int size;
    int fps;
} SourceClip;

/* Parses "W:H:X:Y" (all integers, W and H > 0, X and Y >= 0). Returns 0 or
 * -1 for a malformed string. */
int clip_parse_crop(const char *text, ClipCrop *crop);

/* Reads at most max_seconds of `path`, crops it (crop->width 0: the centred
 * square), scales it to size x size and resamples it to `fps` frames per
 * second, each output frame taking the source frame nearest in time.
 * On failure prints why to stderr and returns -1. */
int clip_load(SourceClip *clip, const char *path, const ClipCrop *crop, int size, int fps,
              double max_seconds);

void clip_free(SourceClip *clip);

#endif
