/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the Vulkan back end's files share (render/vulkan/ only): the device
 * struct and small helpers. Everything else includes vk_device.h.
 */
#ifndef FACET_RENDER_VULKAN_VK_INTERNAL_H
#define FACET_RENDER_VULKAN_VK_INTERNAL_H

#include <vulkan/vulkan.h>

#include "render/vulkan/vk_device.h"
#include "render/vulkan/vk_memory.h"
#include "render/vulkan/vk_shaders.h"

/* Bytes of push constants every pipeline layout declares: the minimum every
 * Vulkan device guarantees (maxPushConstantsSize >= 128). */
#define FACET_VK_PUSH_BYTES 128
/* Storage buffers of the shared descriptor set layout (common.glsl). */
#define FACET_VK_BINDINGS 3

struct FacetVkDevice {
    VkInstance instance;
    VkPhysicalDevice physical;
    VkDevice device;
    VkQueue queue;
    uint32_t queue_family;
    VkCommandPool command_pool;
    VkPhysicalDeviceProperties properties;
    VkPhysicalDeviceMemoryProperties memory;
    FacetVkDeviceKind kind;
    int fp16;
    int lost;
    uint32_t timestamp_bits;      /* 0: the queue has no timestamps */
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout pipeline_layout;
    VkShaderModule modules[FACET_VK_SHADER_COUNT];
    VkPipeline pipelines[FACET_VK_SHADER_COUNT];
    char error[512];
};

/* Maps a failed VkResult onto an errno code, records `what` and the result
 * in dev->error (and marks the device lost on VK_ERROR_DEVICE_LOST). */
int facet_vk_fail(FacetVkDevice *dev, VkResult result, const char *what);

/* The cached pipeline of `shader`, created on first use; VK_NULL_HANDLE on
 * failure, with the code in *ret and the message in dev->error. */
VkPipeline facet_vk_pipeline(FacetVkDevice *dev, FacetVkShader shader, int *ret);

/* Index of a memory type allowed by `type_bits` that has all `required`
 * flags, preferring one that also has `preferred`; -1 if none. */
int facet_vk_memory_type(const FacetVkDevice *dev, uint32_t type_bits,
                         VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred);

/* The memory's descriptor set (bound by every graph) and buffers. */
VkDescriptorSet facet_vk_memory_set(const FacetVkMemory *mem);
VkBuffer facet_vk_memory_buffer(const FacetVkMemory *mem, FacetVkSpace space);

#endif /* FACET_RENDER_VULKAN_VK_INTERNAL_H */
