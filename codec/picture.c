/* SPDX-License-Identifier: BSD-2-Clause */
/* Picture and packet memory owned by the library. */
#include "facet/facet.h"

#include <stdlib.h>
#include <string.h>

/* Rows are padded to 32 bytes so SIMD loops in later stages can read whole
 * vectors without special tails, and planes start 64-byte aligned. */
#define PICTURE_STRIDE_ALIGN 32
#define PICTURE_PLANE_ALIGN 64

static size_t align_up(size_t value, size_t alignment)
{
    return (value + alignment - 1) / alignment * alignment;
}

int facet_picture_alloc(FacetPicture *picture, FacetPixelFormat format, int width, int height)
{
    if (!picture)
        return FACET_ERR(EINVAL);
    memset(picture, 0, sizeof(*picture));
    if (width < 1 || height < 1 || width > FACET_MAX_DIMENSION || height > FACET_MAX_DIMENSION)
        return FACET_ERR(EINVAL);

    size_t plane_size[3] = { 0 };
    ptrdiff_t stride[3] = { 0 };
    int planes;
    switch (format) {
    case FACET_PIXEL_FORMAT_I420: {
        size_t chroma_w = ((size_t)width + 1) / 2, chroma_h = ((size_t)height + 1) / 2;
        stride[0] = (ptrdiff_t)align_up((size_t)width, PICTURE_STRIDE_ALIGN);
        stride[1] = stride[2] = (ptrdiff_t)align_up(chroma_w, PICTURE_STRIDE_ALIGN);
        plane_size[0] = align_up((size_t)stride[0] * (size_t)height, PICTURE_PLANE_ALIGN);
        plane_size[1] = plane_size[2] = align_up((size_t)stride[1] * chroma_h, PICTURE_PLANE_ALIGN);
        planes = 3;
        break;
    }
    case FACET_PIXEL_FORMAT_RGB24:
        stride[0] = (ptrdiff_t)align_up((size_t)width * 3, PICTURE_STRIDE_ALIGN);
        plane_size[0] = align_up((size_t)stride[0] * (size_t)height, PICTURE_PLANE_ALIGN);
        planes = 1;
        break;
    default:
        return FACET_ERR(EINVAL);
    }

    uint8_t *buffer = aligned_alloc(PICTURE_PLANE_ALIGN,
                                    plane_size[0] + plane_size[1] + plane_size[2]);
    if (!buffer)
        return FACET_ERR(ENOMEM);
    size_t offset = 0;
    for (int i = 0; i < planes; i++) {
        picture->data[i] = buffer + offset;
        picture->stride[i] = stride[i];
        offset += plane_size[i];
    }
    picture->buffer = buffer;
    picture->format = format;
    picture->width = width;
    picture->height = height;
    return 0;
}

void facet_picture_unref(FacetPicture *picture)
{
    if (!picture)
        return;
    free(picture->buffer);
    memset(picture, 0, sizeof(*picture));
}

void facet_packet_unref(FacetPacket *packet)
{
    if (!packet)
        return;
    free(packet->data);
    memset(packet, 0, sizeof(*packet));
}
