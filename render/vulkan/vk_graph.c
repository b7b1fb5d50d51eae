/* SPDX-License-Identifier: BSD-2-Clause */
/* Recorded command buffers with per-op timestamps; see vk_graph.h. */
#include "render/vulkan/vk_graph.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/vulkan/vk_internal.h"

struct FacetVkGraph {
    FacetVkMemory *mem;
    FacetVkDevice *dev;
    VkCommandBuffer cmd;
    VkFence fence;
    VkQueryPool queries;        /* max_ops + 1 timestamps, or none */
    int max_ops, ops;
    const char **labels;
    uint64_t *stamps;
    int error;                  /* sticky recording error */
    int recorded;               /* ended without error */
    int timed;                  /* stamps hold the last run */
    int pending;                /* submitted, its fence not yet seen signalled */
};

void facet_vk_linear_groups(uint64_t count, uint32_t *groups_x, uint32_t *groups_y)
{
    uint64_t groups = (count + 255) / 256;
    if (groups == 0)
        groups = 1;
    uint64_t x = groups < 4096 ? groups : 4096;
    *groups_x = (uint32_t)x;
    *groups_y = (uint32_t)((groups + x - 1) / x);
}

int facet_vk_graph_create(FacetVkGraph **out, FacetVkMemory *mem, int max_ops)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!mem || max_ops < 1 || max_ops > 100000)
        return -EINVAL;
    FacetVkGraph *g = calloc(1, sizeof(*g));
    if (!g)
        return -ENOMEM;
    g->mem = mem;
    g->dev = facet_vk_memory_device(mem);
    g->max_ops = max_ops;
    g->labels = calloc((size_t)max_ops, sizeof(*g->labels));
    g->stamps = calloc((size_t)max_ops + 1, sizeof(*g->stamps));
    int ret = -ENOMEM;
    if (!g->labels || !g->stamps)
        goto error;
    FacetVkDevice *dev = g->dev;
    VkCommandBufferAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = dev->command_pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    VkResult vr = vkAllocateCommandBuffers(dev->device, &alloc, &g->cmd);
    if (vr != VK_SUCCESS) {
        g->cmd = VK_NULL_HANDLE;
        ret = facet_vk_fail(dev, vr, "vkAllocateCommandBuffers");
        goto error;
    }
    VkFenceCreateInfo fence = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if ((vr = vkCreateFence(dev->device, &fence, NULL, &g->fence)) != VK_SUCCESS) {
        g->fence = VK_NULL_HANDLE;
        ret = facet_vk_fail(dev, vr, "vkCreateFence");
        goto error;
    }
    if (dev->timestamp_bits > 0) {
        VkQueryPoolCreateInfo q = {
            .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
            .queryType = VK_QUERY_TYPE_TIMESTAMP,
            .queryCount = (uint32_t)max_ops + 1,
        };
        /* Timing is optional: without a pool the graph runs untimed. */
        if (vkCreateQueryPool(dev->device, &q, NULL, &g->queries) != VK_SUCCESS)
            g->queries = VK_NULL_HANDLE;
    }
    *out = g;
    return 0;

error:
    facet_vk_graph_destroy(&g);
    return ret;
}

void facet_vk_graph_destroy(FacetVkGraph **pg)
{
    if (!pg || !*pg)
        return;
    FacetVkGraph *g = *pg;
    VkDevice d = g->dev ? g->dev->device : VK_NULL_HANDLE;
    if (d) {
        if (g->fence) {
            /* Only a run whose wait failed can still be executing: give it
             * one more timeout before the objects it uses go away. */
            if (g->pending)
                vkWaitForFences(d, 1, &g->fence, VK_TRUE, FACET_VK_TIMEOUT_NS);
            vkDestroyFence(d, g->fence, NULL);
        }
        if (g->queries)
            vkDestroyQueryPool(d, g->queries, NULL);
        if (g->cmd)
            vkFreeCommandBuffers(d, g->dev->command_pool, 1, &g->cmd);
    }
    free(g->labels);
    free(g->stamps);
    free(g);
    *pg = NULL;
}

int facet_vk_graph_begin(FacetVkGraph *g)
{
    if (!g)
        return -EINVAL;
    g->ops = 0;
    g->error = 0;
    g->recorded = 0;
    g->timed = 0;
    if (g->dev->lost)
        return g->error = -EIO;
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    VkResult vr = vkBeginCommandBuffer(g->cmd, &begin);
    if (vr != VK_SUCCESS)
        return g->error = facet_vk_fail(g->dev, vr, "vkBeginCommandBuffer");
    VkDescriptorSet set = facet_vk_memory_set(g->mem);
    vkCmdBindDescriptorSets(g->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, g->dev->pipeline_layout, 0, 1,
                            &set, 0, NULL);
    if (g->queries) {
        vkCmdResetQueryPool(g->cmd, g->queries, 0, (uint32_t)g->max_ops + 1);
        vkCmdWriteTimestamp(g->cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, g->queries, 0);
    }
    return 0;
}

void facet_vk_graph_fail(FacetVkGraph *g, int error)
{
    if (g && !g->error)
        g->error = error;
}

void facet_vk_graph_dispatch(FacetVkGraph *g, FacetVkShader shader, const void *push,
                             uint32_t push_size, uint32_t groups_x, uint32_t groups_y,
                             const char *label)
{
    if (!g || g->error)
        return;
    const uint32_t *limit = g->dev->properties.limits.maxComputeWorkGroupCount;
    if (g->ops >= g->max_ops || push_size > FACET_VK_PUSH_BYTES || groups_x == 0 ||
        groups_y == 0 || groups_x > limit[0] || groups_y > limit[1]) {
        snprintf(g->dev->error, sizeof(g->dev->error),
                 "%s: %u x %u workgroups (device limit %u x %u), op %d of at most %d",
                 facet_vk_shader_name(shader) ? facet_vk_shader_name(shader) : "?", groups_x,
                 groups_y, limit[0], limit[1], g->ops + 1, g->max_ops);
        g->error = -EINVAL;
        return;
    }
    int ret;
    VkPipeline pipeline = facet_vk_pipeline(g->dev, shader, &ret);
    if (!pipeline) {
        g->error = ret;
        return;
    }
    /* The previous dispatch's writes are visible to this one. */
    if (g->ops > 0) {
        VkMemoryBarrier barrier = {
            .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
            .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
            .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
        };
        vkCmdPipelineBarrier(g->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                             VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &barrier, 0, NULL, 0,
                             NULL);
    }
    vkCmdBindPipeline(g->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    if (push_size > 0)
        vkCmdPushConstants(g->cmd, g->dev->pipeline_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                           push_size, push);
    vkCmdDispatch(g->cmd, groups_x, groups_y, 1);
    g->labels[g->ops] = label;
    g->ops++;
    if (g->queries)
        vkCmdWriteTimestamp(g->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, g->queries,
                            (uint32_t)g->ops);
}

int facet_vk_graph_end(FacetVkGraph *g)
{
    if (!g)
        return -EINVAL;
    if (g->error)
        return g->error;
    VkMemoryBarrier barrier = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
    };
    vkCmdPipelineBarrier(g->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT,
                         0, 1, &barrier, 0, NULL, 0, NULL);
    VkResult vr = vkEndCommandBuffer(g->cmd);
    if (vr != VK_SUCCESS)
        return g->error = facet_vk_fail(g->dev, vr, "vkEndCommandBuffer");
    g->recorded = 1;
    return 0;
}

int facet_vk_graph_run(FacetVkGraph *g)
{
    if (!g || !g->recorded)
        return -EINVAL;
    FacetVkDevice *dev = g->dev;
    if (dev->lost)
        return -EIO;
    g->timed = 0;
    VkResult vr = vkResetFences(dev->device, 1, &g->fence);
    if (vr != VK_SUCCESS)
        return facet_vk_fail(dev, vr, "vkResetFences");
    /* Host writes to the coherent host buffer are made visible to the
     * device by the submission itself. */
    VkSubmitInfo submit = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &g->cmd,
    };
    if ((vr = vkQueueSubmit(dev->queue, 1, &submit, g->fence)) != VK_SUCCESS)
        return facet_vk_fail(dev, vr, "vkQueueSubmit");
    g->pending = 1;
    vr = vkWaitForFences(dev->device, 1, &g->fence, VK_TRUE, FACET_VK_TIMEOUT_NS);
    if (vr != VK_SUCCESS)
        return facet_vk_fail(dev, vr, "waiting for the GPU");
    g->pending = 0;
    if (g->queries && g->ops > 0) {
        vr = vkGetQueryPoolResults(dev->device, g->queries, 0, (uint32_t)g->ops + 1,
                                   sizeof(uint64_t) * ((size_t)g->ops + 1), g->stamps,
                                   sizeof(uint64_t), VK_QUERY_RESULT_64_BIT);
        g->timed = vr == VK_SUCCESS;
    }
    return 0;
}

int facet_vk_graph_op_count(const FacetVkGraph *g)
{
    return g ? g->ops : 0;
}

const char *facet_vk_graph_op_label(const FacetVkGraph *g, int index)
{
    return g && index >= 0 && index < g->ops && g->labels[index] ? g->labels[index] : "";
}

double facet_vk_graph_op_ms(const FacetVkGraph *g, int index)
{
    if (!g || !g->timed || index < 0 || index >= g->ops)
        return -1.0;
    uint64_t mask = g->dev->timestamp_bits >= 64 ? UINT64_MAX
                                                 : (1ull << g->dev->timestamp_bits) - 1;
    uint64_t ticks = (g->stamps[index + 1] - g->stamps[index]) & mask;
    return (double)ticks * (double)g->dev->properties.limits.timestampPeriod * 1e-6;
}
