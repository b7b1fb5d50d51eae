/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The compute shaders' SPIR-V, embedded at build time (internal to
 * libfacet). cmake/FacetShaders.cmake compiles each render/shaders/NAME.comp
 * twice, fp32 and fp16 storage, and writes the table below; this file maps
 * the ops onto it and checks a binary before Vulkan sees it.
 */
#ifndef FACET_RENDER_VULKAN_VK_SHADERS_H
#define FACET_RENDER_VULKAN_VK_SHADERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct FacetVkShaderBinary {
    const char *name;                 /* the .comp file's base name */
    const uint32_t *fp32;
    const size_t *fp32_size;          /* bytes */
    const uint32_t *fp16;
    const size_t *fp16_size;
} FacetVkShaderBinary;

/* Generated (shader_table.c in the build tree). */
extern const FacetVkShaderBinary facet_vk_shader_binaries[];
extern const size_t facet_vk_shader_binary_count;

/* Every shader the back end dispatches. */
typedef enum FacetVkShader {
    FACET_VK_SHADER_LOAD_HOST = 0,
    FACET_VK_SHADER_STORE_HOST,
    FACET_VK_SHADER_CONV2D,
    FACET_VK_SHADER_UPSAMPLE2X,
    FACET_VK_SHADER_AVGPOOL2X2,
    FACET_VK_SHADER_GRID_SAMPLE,
    FACET_VK_SHADER_SOFTMAX_CHANNELS,
    FACET_VK_SHADER_SOFTMAX_SPATIAL,
    FACET_VK_SHADER_ACTIVATE,
    FACET_VK_SHADER_ADD,
    FACET_VK_SHADER_MUL,
    FACET_VK_SHADER_MUL_MAP,
    FACET_VK_SHADER_MOTION_INPUTS,
    FACET_VK_SHADER_BLEND_FLOW,
    FACET_VK_SHADER_UPSAMPLE_GRID,
    FACET_VK_SHADER_PICTURE_OUT,
    FACET_VK_SHADER_SUB,
    FACET_VK_SHADER_FILL,
    FACET_VK_SHADER_PIXEL_SHUFFLE,
    FACET_VK_SHADER_FLOW_GRID,
    FACET_VK_SHADER_COUNT
} FacetVkShader;

/* The .comp base name of a shader ("conv2d"), or NULL out of range. */
const char *facet_vk_shader_name(FacetVkShader shader);

/* 0 when `code` (size bytes) can be SPIR-V: a whole number of 32-bit words,
 * at least the 5-word header, and the magic number 0x07230203 first;
 * -EBADMSG otherwise. */
int facet_vk_spirv_check(const uint32_t *code, size_t size);

/* The checked SPIR-V of `shader` in fp16-storage (fp16 != 0) or fp32
 * precision. 0, -EINVAL (no such shader), -ENOENT (not in the table) or
 * -EBADMSG (fails facet_vk_spirv_check()). */
int facet_vk_shader_code(FacetVkShader shader, int fp16, const uint32_t **code, size_t *size);

#endif /* FACET_RENDER_VULKAN_VK_SHADERS_H */
