/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The back end's memory (internal to libfacet): three large storage
 * buffers, one per "space" of render/shaders/common.glsl, that a user
 * sub-allocates with a FacetVkLayout (element offsets, no per-tensor Vulkan
 * objects), and the one descriptor set that binds them for every op.
 *
 *   FACET_VK_DATA    device-local; weights and activations, in the device's
 *                    precision (2 or 4 bytes an element)
 *   FACET_VK_HOST    host-visible fp32, mapped: uploads and downloads
 *   FACET_VK_COORDS  device-local fp32: sampling grids and flows
 */
#ifndef FACET_RENDER_VULKAN_VK_MEMORY_H
#define FACET_RENDER_VULKAN_VK_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "render/vulkan/vk_device.h"

typedef enum FacetVkSpace {
    FACET_VK_DATA = 0,
    FACET_VK_HOST,
    FACET_VK_COORDS,
    FACET_VK_SPACES
} FacetVkSpace;

/* Sub-allocation: elements handed out per space, each block aligned to
 * FACET_VK_ALIGN elements. Offsets are uint32_t because the shaders index
 * with 32-bit integers; memory creation fails for larger buffers. As with
 * the CPU's FacetArena, buffers of phases that never overlap in time share
 * memory: save used[] before a phase, restore it for the next; the buffers
 * are created with the peak. */
#define FACET_VK_ALIGN 64
typedef struct FacetVkLayout {
    size_t used[FACET_VK_SPACES];
    size_t peak[FACET_VK_SPACES];
} FacetVkLayout;

/* Takes `count` elements of `space` and returns their offset. */
uint32_t facet_vk_take(FacetVkLayout *layout, FacetVkSpace space, size_t count);

typedef struct FacetVkMemory FacetVkMemory;

/* Creates the three buffers with max(used, peak) elements each (at least
 * one) on `dev` (not owned; must outlive the memory). 0, or -ENOMEM (out of
 * memory, or a buffer larger than the device's maxStorageBufferRange) /
 * -EIO with the message in facet_vk_device_error(dev). */
int facet_vk_memory_create(FacetVkMemory **out, FacetVkDevice *dev, const FacetVkLayout *layout);
/* NULL-safe; sets *mem = NULL. */
void facet_vk_memory_destroy(FacetVkMemory **mem);

/* The host buffer, mapped: layout->used[FACET_VK_HOST] floats. */
float *facet_vk_memory_host(FacetVkMemory *mem);
FacetVkDevice *facet_vk_memory_device(FacetVkMemory *mem);

#endif /* FACET_RENDER_VULKAN_VK_MEMORY_H */
