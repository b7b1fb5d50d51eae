/* SPDX-License-Identifier: BSD-2-Clause */
/* In-order delivery of decoded frames; see frame_delivery.h. */
#include "frame_delivery.h"

#include <string.h>

void frame_delivery_init(FrameDelivery *delivery, DecodedFrameFn sink, void *opaque, int frames)
{
    memset(delivery, 0, sizeof(*delivery));
    delivery->sink = sink;
    delivery->opaque = opaque;
    delivery->frames = frames;
}

static int keep_copy(FrameDelivery *delivery, const FacetPicture *picture)
{
    if (delivery->have_last && (delivery->last.width != picture->width ||
                                delivery->last.height != picture->height)) {
        facet_picture_unref(&delivery->last);
        delivery->have_last = 0;
    }
    if (!delivery->have_last) {
        if (facet_picture_alloc(&delivery->last, FACET_PIXEL_FORMAT_I420, picture->width,
                                picture->height) < 0)
            return -1;
        delivery->have_last = 1;
    }
    for (int plane = 0; plane < 3; plane++) {
        int w = plane ? (picture->width + 1) / 2 : picture->width;
        int h = plane ? (picture->height + 1) / 2 : picture->height;
        for (int y = 0; y < h; y++)
            memcpy(delivery->last.data[plane] + y * delivery->last.stride[plane],
                   picture->data[plane] + y * picture->stride[plane], (size_t)w);
    }
    return 0;
}

int frame_delivery_push(FrameDelivery *delivery, int index, const FacetPicture *picture)
{
    if (index < delivery->next || index >= delivery->frames)
        return 0;
    /* Frames skipped before this one show the previous picture (or, before
     * the first decoded picture, this one). */
    const FacetPicture *fill = delivery->have_last ? &delivery->last : picture;
    while (delivery->next < index)
        if (delivery->sink(delivery->opaque, delivery->next++, fill) < 0)
            return -1;
    if (delivery->sink(delivery->opaque, delivery->next++, picture) < 0)
        return -1;
    return keep_copy(delivery, picture);
}

int frame_delivery_finish(FrameDelivery *delivery)
{
    if (!delivery->have_last)
        return -1;
    while (delivery->next < delivery->frames)
        if (delivery->sink(delivery->opaque, delivery->next++, &delivery->last) < 0)
            return -1;
    return 0;
}

void frame_delivery_free(FrameDelivery *delivery)
{
    facet_picture_unref(&delivery->last);
    delivery->have_last = 0;
}
