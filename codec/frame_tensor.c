/* SPDX-License-Identifier: BSD-2-Clause */
/* Conversion between stream pictures and network tensors; see frame_tensor.h. */
#include "codec/frame_tensor.h"

#include <libswscale/swscale.h>
#include <string.h>

/* Area averaging when shrinking keeps small faces free of aliasing. */
#define SCALE_DOWN_FLAGS (SWS_AREA | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT)

static int ensure_rgb(FacetFrameTensorConverter *conv, int size)
{
    if (conv->rgb.buffer && conv->rgb.width == size && conv->rgb.height == size)
        return 0;
    facet_picture_unref(&conv->rgb);
    return facet_picture_alloc(&conv->rgb, FACET_PIXEL_FORMAT_RGB24, size, size);
}

static int valid_tensor(const FacetTensor *tensor)
{
    return tensor && tensor->data && tensor->c == 3 && tensor->h == tensor->w && tensor->h >= 1 &&
           tensor->h <= FACET_MAX_DIMENSION;
}

static int valid_i420(const FacetPicture *picture)
{
    return picture && picture->format == FACET_PIXEL_FORMAT_I420 && picture->data[0] &&
           picture->data[1] && picture->data[2];
}

int facet_frame_to_tensor(FacetFrameTensorConverter *conv, const FacetPicture *i420,
                          FacetTensor *tensor)
{
    if (!conv || !valid_i420(i420) || !valid_tensor(tensor))
        return -EINVAL;
    int size = tensor->w;
    int ret = ensure_rgb(conv, size);
    if (ret < 0)
        return ret;
    conv->to_tensor = sws_getCachedContext(conv->to_tensor, i420->width, i420->height,
                                           AV_PIX_FMT_YUV420P, size, size, AV_PIX_FMT_RGB24,
                                           SCALE_DOWN_FLAGS, NULL, NULL, NULL);
    if (!conv->to_tensor)
        return -ENOMEM;
    const uint8_t *const src[4] = { i420->data[0], i420->data[1], i420->data[2], NULL };
    const int src_stride[4] = { (int)i420->stride[0], (int)i420->stride[1],
                                (int)i420->stride[2], 0 };
    uint8_t *const dst[4] = { conv->rgb.data[0], NULL, NULL, NULL };
    const int dst_stride[4] = { (int)conv->rgb.stride[0], 0, 0, 0 };
    sws_scale(conv->to_tensor, src, src_stride, 0, i420->height, dst, dst_stride);

    /* Packed bytes to planar floats: the layout the network's kernels want. */
    const float scale = 1.0f / 255.0f;
    size_t plane = (size_t)size * (size_t)size;
    for (int y = 0; y < size; y++) {
        const uint8_t *row = conv->rgb.data[0] + (ptrdiff_t)y * conv->rgb.stride[0];
        float *r = tensor->data + (size_t)y * size, *g = r + plane, *b = g + plane;
        for (int x = 0; x < size; x++) {
            r[x] = row[3 * x] * scale;
            g[x] = row[3 * x + 1] * scale;
            b[x] = row[3 * x + 2] * scale;
        }
    }
    return 0;
}

void facet_frame_tensor_converter_free(FacetFrameTensorConverter *conv)
{
    if (!conv)
        return;
    sws_freeContext(conv->to_tensor);
    facet_picture_unref(&conv->rgb);
    memset(conv, 0, sizeof(*conv));
}
