/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The network's last step (internal to libfacet): its 3 x S x S float
 * output (RGB in [0, 1]) becomes the picture the caller asked for, I420 or
 * packed RGB24 at any size, in one pass. The Vulkan back end runs the same
 * step as a shader (render/shaders/picture_out.comp) so that only the
 * finished picture leaves the device.
 *
 * Scaling: bilinear, sampling the tensor at the output pixel's centre
 * ((x + 0.5) S / W - 0.5, clamped to the border: PyTorch's
 * F.interpolate(mode='bilinear', align_corners=False)). At W = S it is the
 * identity; it enlarges smoothly, and it is meant for outputs down to S/2
 * per side (smaller ones alias: the stream is normally at least the model's
 * size).
 *
 * Colour: values clamped to [0, 1] (NaN to 0), BT.601 limited range as the
 * intra codecs code pictures (Y 16..235, U and V 16..240), rounded to
 * nearest. Each chroma sample converts the mean RGB of the two by two luma
 * pixels it covers (one or two at an odd edge).
 */
#ifndef FACET_RENDER_PICTURE_OUT_H
#define FACET_RENDER_PICTURE_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "render/tensor.h"
#include "render/thread_pool.h"

typedef enum FacetRenderPictureFormat {
    FACET_RENDER_PICTURE_I420 = 0,   /* three planes, chroma (w+1)/2 x (h+1)/2 */
    FACET_RENDER_PICTURE_RGB24,      /* one plane, 3 bytes a pixel */
} FacetRenderPictureFormat;

/* Memory the caller owns (the codec's FacetPicture planes). */
typedef struct FacetRenderPicture {
    FacetRenderPictureFormat format;
    int width, height;
    uint8_t *data[3];
    ptrdiff_t stride[3];
} FacetRenderPicture;

/* 1 when `p` is a picture this step can write; _shape_valid() checks the
 * format and size only (no memory). */
int facet_render_picture_valid(const FacetRenderPicture *p);
int facet_render_picture_shape_valid(const FacetRenderPicture *p);

/* Bytes of the picture packed with rows padded to 4 bytes, plane after
 * plane: what the Vulkan shader writes. */
size_t facet_render_picture_packed_size(const FacetRenderPicture *p);

/* Writes `out` from `rgb` (3 x S x S, any S >= 1), rows spread over
 * `pool` (may be NULL). 0 or -EINVAL. */
int facet_picture_out(FacetThreadPool *pool, const FacetTensor *rgb, FacetRenderPicture *out);

/* Copies a packed picture (facet_render_picture_packed_size() bytes at
 * `packed`) into `out`'s strided planes. */
void facet_render_picture_unpack(const uint8_t *packed, FacetRenderPicture *out);

#endif /* FACET_RENDER_PICTURE_OUT_H */
