/* SPDX-License-Identifier: BSD-2-Clause */
/* Lookup and check of the embedded SPIR-V; see vk_shaders.h. */
#include "render/vulkan/vk_shaders.h"

#include <errno.h>
#include <string.h>

#define SPIRV_MAGIC 0x07230203u
#define SPIRV_HEADER_WORDS 5

static const char *const shader_names[FACET_VK_SHADER_COUNT] = {
    [FACET_VK_SHADER_LOAD_HOST] = "load_host",
    [FACET_VK_SHADER_STORE_HOST] = "store_host",
    [FACET_VK_SHADER_CONV2D] = "conv2d",
    [FACET_VK_SHADER_UPSAMPLE2X] = "upsample2x",
    [FACET_VK_SHADER_AVGPOOL2X2] = "avgpool2x2",
    [FACET_VK_SHADER_GRID_SAMPLE] = "grid_sample",
    [FACET_VK_SHADER_SOFTMAX_CHANNELS] = "softmax_channels",
    [FACET_VK_SHADER_SOFTMAX_SPATIAL] = "softmax_spatial",
    [FACET_VK_SHADER_ACTIVATE] = "activate",
    [FACET_VK_SHADER_ADD] = "add",
    [FACET_VK_SHADER_MUL] = "mul",
    [FACET_VK_SHADER_MUL_MAP] = "mul_map",
    [FACET_VK_SHADER_MOTION_INPUTS] = "motion_inputs",
    [FACET_VK_SHADER_BLEND_FLOW] = "blend_flow",
    [FACET_VK_SHADER_UPSAMPLE_GRID] = "upsample_grid",
    [FACET_VK_SHADER_PICTURE_OUT] = "picture_out",
    [FACET_VK_SHADER_SUB] = "sub",
    [FACET_VK_SHADER_FILL] = "fill",
    [FACET_VK_SHADER_PIXEL_SHUFFLE] = "pixel_shuffle",
    [FACET_VK_SHADER_FLOW_GRID] = "flow_grid",
};

const char *facet_vk_shader_name(FacetVkShader shader)
{
    if ((int)shader < 0 || shader >= FACET_VK_SHADER_COUNT)
        return NULL;
    return shader_names[shader];
}

int facet_vk_spirv_check(const uint32_t *code, size_t size)
{
    if (!code || size % 4 != 0 || size < SPIRV_HEADER_WORDS * 4 || code[0] != SPIRV_MAGIC)
        return -EBADMSG;
    return 0;
}

int facet_vk_shader_code(FacetVkShader shader, int fp16, const uint32_t **code, size_t *size)
{
    const char *name = facet_vk_shader_name(shader);
    if (!name || !code || !size)
        return -EINVAL;
    for (size_t i = 0; i < facet_vk_shader_binary_count; i++) {
        const FacetVkShaderBinary *b = &facet_vk_shader_binaries[i];
        if (strcmp(b->name, name) != 0)
            continue;
        *code = fp16 ? b->fp16 : b->fp32;
        *size = fp16 ? *b->fp16_size : *b->fp32_size;
        return facet_vk_spirv_check(*code, *size);
    }
    return -ENOENT;
}
