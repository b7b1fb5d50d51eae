/* SPDX-License-Identifier: BSD-2-Clause */
/* Colour conversion through libswscale; see convert.h. */
#include "codec/convert.h"

#include <libswscale/swscale.h>
#include <string.h>

static enum AVPixelFormat av_format(FacetPixelFormat format)
{
    return format == FACET_PIXEL_FORMAT_RGB24 ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_YUV420P;
}

void facet_copy_i420(const FacetPicture *src, FacetPicture *dst)
{
    for (int plane = 0; plane < 3; plane++) {
        int w = plane ? (src->width + 1) / 2 : src->width;
        int h = plane ? (src->height + 1) / 2 : src->height;
        for (int y = 0; y < h; y++)
            memcpy(dst->data[plane] + y * dst->stride[plane],
                   src->data[plane] + y * src->stride[plane], (size_t)w);
    }
}

int facet_convert_picture(struct SwsContext **cache, const FacetPicture *src, FacetPicture *dst)
{
    if (!cache || !src || !dst || src->width != dst->width || src->height != dst->height)
        return -EINVAL;
    if (src->format == dst->format && src->format == FACET_PIXEL_FORMAT_I420) {
        facet_copy_i420(src, dst);
        return 0;
    }
    /* Accurate rounding and full chroma interpolation keep a same-size
     * conversion close to lossless; speed matters less here than avoiding
     * a systematic colour shift on every frame. */
    *cache = sws_getCachedContext(*cache, src->width, src->height, av_format(src->format),
                                  dst->width, dst->height, av_format(dst->format),
                                  SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT |
                                      SWS_FULL_CHR_H_INP,
                                  NULL, NULL, NULL);
    if (!*cache)
        return -ENOMEM;
    const uint8_t *const src_planes[4] = { src->data[0], src->data[1], src->data[2], NULL };
    const int src_strides[4] = { (int)src->stride[0], (int)src->stride[1], (int)src->stride[2], 0 };
    uint8_t *const dst_planes[4] = { dst->data[0], dst->data[1], dst->data[2], NULL };
    const int dst_strides[4] = { (int)dst->stride[0], (int)dst->stride[1], (int)dst->stride[2], 0 };
    int rows = sws_scale(*cache, src_planes, src_strides, 0, src->height, dst_planes, dst_strides);
    return rows == dst->height ? 0 : -EINVAL;
}

void facet_convert_cache_free(struct SwsContext **cache)
{
    if (cache && *cache) {
        sws_freeContext(*cache);
        *cache = NULL;
    }
}
