/* SPDX-License-Identifier: BSD-2-Clause */
/* Compute pipelines, created on first use and cached per device: a graph
 * that never samples a grid never compiles grid_sample. */
#include "render/vulkan/vk_internal.h"

#include <errno.h>
#include <stdio.h>

VkPipeline facet_vk_pipeline(FacetVkDevice *dev, FacetVkShader shader, int *ret)
{
    *ret = 0;
    if ((int)shader < 0 || shader >= FACET_VK_SHADER_COUNT) {
        *ret = -EINVAL;
        return VK_NULL_HANDLE;
    }
    if (dev->pipelines[shader])
        return dev->pipelines[shader];
    if (dev->lost) {
        *ret = -EIO;
        return VK_NULL_HANDLE;
    }
    const uint32_t *code;
    size_t size;
    if ((*ret = facet_vk_shader_code(shader, dev->fp16, &code, &size)) < 0) {
        snprintf(dev->error, sizeof(dev->error), "shader %s (%s): no valid SPIR-V embedded",
                 facet_vk_shader_name(shader), dev->fp16 ? "fp16" : "fp32");
        return VK_NULL_HANDLE;
    }
    VkResult vr;
    if (!dev->modules[shader]) {
        VkShaderModuleCreateInfo info = {
            .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
            .codeSize = size,
            .pCode = code,
        };
        if ((vr = vkCreateShaderModule(dev->device, &info, NULL, &dev->modules[shader])) !=
            VK_SUCCESS) {
            dev->modules[shader] = VK_NULL_HANDLE;
            *ret = facet_vk_fail(dev, vr, facet_vk_shader_name(shader));
            return VK_NULL_HANDLE;
        }
    }
    VkComputePipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {
            .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
            .stage = VK_SHADER_STAGE_COMPUTE_BIT,
            .module = dev->modules[shader],
            .pName = "main",
        },
        .layout = dev->pipeline_layout,
    };
    vr = vkCreateComputePipelines(dev->device, VK_NULL_HANDLE, 1, &info, NULL,
                                  &dev->pipelines[shader]);
    if (vr != VK_SUCCESS) {
        dev->pipelines[shader] = VK_NULL_HANDLE;
        *ret = facet_vk_fail(dev, vr, facet_vk_shader_name(shader));
        return VK_NULL_HANDLE;
    }
    return dev->pipelines[shader];
}
