/* SPDX-License-Identifier: BSD-2-Clause */
/* Hands decoded frames to a DecodedFrameFn in source order, one per source
 * frame: frames a codec skipped are filled with the previous decoded
 * picture (what a receiver keeps showing), frames before the first decoded
 * one with that first picture. */
#ifndef FACET_BANDWIDTH_FRAME_DELIVERY_H
#define FACET_BANDWIDTH_FRAME_DELIVERY_H

#include "run_result.h"

typedef struct FrameDelivery {
    DecodedFrameFn sink;
    void *opaque;
    int frames;        /* source frames */
    int next;          /* next source index to deliver */
    FacetPicture last; /* copy of the last decoded picture */
    int have_last;
} FrameDelivery;

void frame_delivery_init(FrameDelivery *delivery, DecodedFrameFn sink, void *opaque, int frames);

/* `picture` is the decoded picture of source frame `index`. Indices at or
 * before one already delivered are ignored. Returns 0 or -1 (sink failed,
 * out of memory). */
int frame_delivery_push(FrameDelivery *delivery, int index, const FacetPicture *picture);

/* Delivers the last picture for every source frame not delivered yet.
 * Returns 0, or -1 when nothing was ever decoded or the sink failed. */
int frame_delivery_finish(FrameDelivery *delivery);

void frame_delivery_free(FrameDelivery *delivery);

#endif
