/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A graph: a sequence of compute dispatches over one FacetVkMemory,
 * recorded once into a command buffer and submitted as often as needed
 * (internal to libfacet). The renderer records one graph for the keyframe
 * and one for a frame; each run is one vkQueueSubmit and one fence wait.
 * Dispatches are separated by a full compute-to-compute memory barrier and
 * the graph ends with one that makes the host buffer readable.
 *
 * Per-op timing: when the queue has timestamps, one is written after every
 * dispatch; facet_vk_graph_op_ms() gives each op's share of the last run.
 *
 * Recording errors are sticky: the first one (a pipeline that cannot be
 * created, too many ops) is returned by facet_vk_graph_end(), and the graph
 * cannot run.
 */
#ifndef FACET_RENDER_VULKAN_VK_GRAPH_H
#define FACET_RENDER_VULKAN_VK_GRAPH_H

#include <stdint.h>

#include "render/vulkan/vk_memory.h"
#include "render/vulkan/vk_shaders.h"

typedef struct FacetVkGraph FacetVkGraph;

/* A graph of at most `max_ops` dispatches on `mem` (not owned). 0, -EINVAL,
 * -ENOMEM or a device error (message in facet_vk_device_error()). */
int facet_vk_graph_create(FacetVkGraph **out, FacetVkMemory *mem, int max_ops);
/* NULL-safe; sets *g = NULL. */
void facet_vk_graph_destroy(FacetVkGraph **g);

/* Starts (re)recording: what was recorded before is dropped. */
int facet_vk_graph_begin(FacetVkGraph *g);
/* Records one dispatch of `shader` with `push` (push_size bytes, at most
 * 128) over groups_x x groups_y workgroups; `label` (a string constant)
 * names it in timings. */
void facet_vk_graph_dispatch(FacetVkGraph *g, FacetVkShader shader, const void *push,
                             uint32_t push_size, uint32_t groups_x, uint32_t groups_y,
                             const char *label);
/* Records a failure of the caller's own (bad shapes) into the graph. */
void facet_vk_graph_fail(FacetVkGraph *g, int error);
/* Ends recording; 0 or the first recording error. */
int facet_vk_graph_end(FacetVkGraph *g);

/* Submits the recorded graph and waits for it. 0, -EINVAL (not recorded),
 * -EIO (device lost), -ETIMEDOUT, -ENOMEM. */
int facet_vk_graph_run(FacetVkGraph *g);

/* Dispatches recorded, their labels, and each one's time in the last run in
 * milliseconds (-1 when the device has no timestamps or nothing ran). */
int facet_vk_graph_op_count(const FacetVkGraph *g);
const char *facet_vk_graph_op_label(const FacetVkGraph *g, int index);
double facet_vk_graph_op_ms(const FacetVkGraph *g, int index);

/* Workgroups for `count` elements at 256 a group, as (x, y) with x at most
 * 4096, for the shaders that compute i = y * groups_x * 256 + x. */
void facet_vk_linear_groups(uint64_t count, uint32_t *groups_x, uint32_t *groups_y);

#endif /* FACET_RENDER_VULKAN_VK_GRAPH_H */
