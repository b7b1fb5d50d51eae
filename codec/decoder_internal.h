/*
 * What the tests reach inside a FacetDecoder (internal to libfacet: only
 * the static library's users see it).
 */
#ifndef FACET_CODEC_DECODER_INTERNAL_H
#define FACET_CODEC_DECODER_INTERNAL_H

#include "facet/facet.h"

#ifdef FACET_WITH_VULKAN
#include "render/vulkan/vk_device.h"

/* The Vulkan device the decoder renders on, or NULL when it renders on the
 * CPU: tests mark it lost (facet_vk_fail()) to check the fallback. */
FacetVkDevice *facet_decoder_vulkan_device(FacetDecoder *decoder);
#endif

#endif /* FACET_CODEC_DECODER_INTERNAL_H */
