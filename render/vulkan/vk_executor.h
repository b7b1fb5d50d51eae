/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Vulkan executor of a graph (render/graph.h; internal to libfacet):
 * lays the graph's three spaces and its conv weights out in a
 * FacetVkMemory, and records a range of its nodes as dispatches into a
 * FacetVkGraph (a command buffer recorded once and re-submitted). Each node
 * is one op of vk_ops.h, so a new op is one case here beside its shader.
 */
#ifndef FACET_RENDER_VULKAN_VK_EXECUTOR_H
#define FACET_RENDER_VULKAN_VK_EXECUTOR_H

#include "render/graph.h"
#include "render/vulkan/vk_graph.h"
#include "render/vulkan/vk_memory.h"
#include "render/vulkan/vk_ops.h"

typedef struct FacetVkExecutor {
    const FacetGraph *graph;
    uint32_t base[FACET_VK_SPACES];   /* where each graph space starts in its buffer */
    int conv_count;
    FacetVkConv *convs;               /* one per distinct conv layer of the graph */
    uint32_t weights_base, weights_end;
} FacetVkExecutor;

/* Lays out the weights of every conv node (data space, first) and the
 * graph's spaces in `layout`. 0 or -ENOMEM. */
int facet_vk_executor_layout(FacetVkExecutor *x, const FacetGraph *g, FacetVkLayout *layout);
void facet_vk_executor_free(FacetVkExecutor *x);

/* Copies the weights up: stages them in the host buffer and runs one load
 * (at create, before anything else uses the host buffer). */
int facet_vk_executor_upload_weights(FacetVkExecutor *x, FacetVkMemory *mem);

/* The device tensor of graph tensor t. */
FacetVkTensor facet_vk_executor_tensor(const FacetVkExecutor *x, int t);

/* Records nodes [first, last) into vg (between facet_vk_graph_begin() and
 * _end()); errors are sticky in vg. */
void facet_vk_executor_record(const FacetVkExecutor *x, FacetVkGraph *vg, int first, int last);

#endif /* FACET_RENDER_VULKAN_VK_EXECUTOR_H */
