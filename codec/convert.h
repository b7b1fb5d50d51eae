/* SPDX-License-Identifier: BSD-2-Clause */
/* Pixel format conversion between the public formats (I420 <-> RGB24). */
#ifndef FACET_CODEC_CONVERT_H
#define FACET_CODEC_CONVERT_H

#include "facet/facet.h"

struct SwsContext;

/* Converts src into dst, which must be allocated with the same size.
 * *cache holds a libswscale context reused across calls (NULL at first;
 * free with facet_convert_cache_free()). Colours follow BT.601 with
 * limited-range YUV, as the intra codecs code them. Returns 0, -EINVAL or
 * -ENOMEM. */
int facet_convert_picture(struct SwsContext **cache, const FacetPicture *src, FacetPicture *dst);

void facet_convert_cache_free(struct SwsContext **cache);

/* Copies an I420 picture plane by plane into dst (same size). */
void facet_copy_i420(const FacetPicture *src, FacetPicture *dst);

#endif /* FACET_CODEC_CONVERT_H */
