/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the tests reach inside a FacetDecoder (internal to libfacet: only
 * the static library's users see it).
 */
#ifndef FACET_CODEC_DECODER_INTERNAL_H
#define FACET_CODEC_DECODER_INTERNAL_H

#include "facet/facet.h"

typedef struct FacetVkDevice FacetVkDevice;

/* The Vulkan device the decoder renders on, or NULL when it renders on the
 * CPU (always, in a build without Vulkan): tests mark it lost
 * (facet_vk_fail()) to check the fallback. */
FacetVkDevice *facet_decoder_vulkan_device(FacetDecoder *decoder);

#endif /* FACET_CODEC_DECODER_INTERNAL_H */
