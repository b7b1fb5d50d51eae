/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The op table of render/ops.h as Vulkan dispatches recorded into a graph
 * (internal to libfacet), plus the renderer's per-keypoint steps and the
 * transfers to and from the host buffer. Same semantics as the C kernels
 * (render/ops_c.c), which the tests compare every shader against
 * (tests/test_vulkan_ops.c).
 *
 * Tensors are element offsets into the memory's data space (grids and
 * flows: its coords space) with a shape; a view of channels is an offset
 * further in, as on the CPU. Every function checks shapes and returns 0 or
 * -EINVAL (also recorded into the graph, which then cannot run); aliasing
 * rules are those of render/ops.h.
 */
#ifndef FACET_RENDER_VULKAN_VK_OPS_H
#define FACET_RENDER_VULKAN_VK_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "render/ops.h"
#include "render/vulkan/vk_graph.h"
#include "render/vulkan/vk_memory.h"

typedef struct FacetVkTensor {
    uint32_t offset;      /* elements into its space */
    int c, h, w;
} FacetVkTensor;

/* Lays out a c x h x w tensor in `space`. */
FacetVkTensor facet_vk_tensor_take(FacetVkLayout *layout, FacetVkSpace space, int c, int h,
                                   int w);
/* Channels [first, first + count) of t. */
FacetVkTensor facet_vk_tensor_view(FacetVkTensor t, int first, int count);
static inline size_t facet_vk_tensor_size(FacetVkTensor t)
{
    return (size_t)t.c * (size_t)t.h * (size_t)t.w;
}

/* A conv layer on the device: its packed weights (FacetConv2d.packed, zero
 * padded to whole blocks of 4 output channels) and bias (padded the same)
 * in the data space. */
typedef struct FacetVkConv {
    const FacetConv2d *conv;
    uint32_t weights, bias;
} FacetVkConv;

/* Lays the layer's weights out; the host must then copy them up with
 * facet_vk_conv_stage() and a load. */
void facet_vk_conv_take(FacetVkConv *vc, const FacetConv2d *conv, FacetVkLayout *layout);
/* Floats of weights and bias facet_vk_conv_stage() writes. */
size_t facet_vk_conv_weight_floats(const FacetConv2d *conv);
size_t facet_vk_conv_bias_floats(const FacetConv2d *conv);
/* Writes the weights and bias as they go on the device, at host + (offset
 * - base) for the offsets facet_vk_conv_take() chose: the data region
 * [base, ...) and the host region [0, ...) then hold the same layout. */
void facet_vk_conv_stage(const FacetVkConv *vc, float *host, uint32_t base);

/* count floats from host[host_offset] to `dst` (data or coords space), and
 * back. */
int facet_vk_op_load(FacetVkGraph *g, uint32_t host_offset, FacetVkSpace space, uint32_t dst,
                     size_t count);
int facet_vk_op_store(FacetVkGraph *g, FacetVkSpace space, uint32_t src, uint32_t host_offset,
                      size_t count);

int facet_vk_op_conv2d(FacetVkGraph *g, const FacetVkConv *conv, FacetVkTensor in,
                       FacetVkTensor out);
int facet_vk_op_upsample2x(FacetVkGraph *g, FacetVkTensor in, FacetVkTensor out);
int facet_vk_op_avgpool2x2(FacetVkGraph *g, FacetVkTensor in, FacetVkTensor out);
/* grid: 2 x Ho x Wo in the coords space. */
int facet_vk_op_grid_sample(FacetVkGraph *g, FacetVkTensor in, FacetVkTensor grid,
                            FacetVkTensor out);
int facet_vk_op_softmax_channels(FacetVkGraph *g, FacetVkTensor in, FacetVkTensor out);
int facet_vk_op_softmax_spatial(FacetVkGraph *g, FacetVkTensor in, float temperature,
                                FacetVkTensor out);
int facet_vk_op_activate(FacetVkGraph *g, FacetVkTensor t, FacetActivation act);
int facet_vk_op_add(FacetVkGraph *g, FacetVkTensor a, FacetVkTensor b, FacetVkTensor out);
int facet_vk_op_mul(FacetVkGraph *g, FacetVkTensor a, FacetVkTensor b, FacetVkTensor out);
int facet_vk_op_mul_map(FacetVkGraph *g, FacetVkTensor a, FacetVkTensor map, FacetVkTensor out);

/* The renderer's steps (docs/vulkan.md). motion_inputs: motions (coords,
 * 2(K+1) x n x n) and channel 4k of motion_in (data, 4(K+1) x n x n) from
 * the K keypoints' 8 parameters at host[params] (see
 * render/shaders/motion_inputs.comp). blend_flow: flow (coords, 2 x n x n)
 * = sum_k masks[k] (data, K+1 x n x n) * motion k. upsample_grid: model.py's
 * upsample_grid2, coords 2 x n x n -> 2 x 2n x 2n. */
int facet_vk_op_motion_inputs(FacetVkGraph *g, uint32_t params, FacetVkTensor motions,
                              FacetVkTensor motion_in, float gaussian_variance);
int facet_vk_op_blend_flow(FacetVkGraph *g, FacetVkTensor masks, FacetVkTensor motions,
                           FacetVkTensor flow);
int facet_vk_op_upsample_grid(FacetVkGraph *g, FacetVkTensor in, FacetVkTensor out);

/* The network's last step (render/picture_out.h): the 3 x h x w frame
 * `image` as a picture of `format` (FacetRenderPictureFormat) and width x
 * height, packed (facet_render_picture_packed_size()) into the host buffer
 * at word host_offset. */
int facet_vk_op_picture_out(FacetVkGraph *g, FacetVkTensor image, uint32_t host_offset,
                            int format, int width, int height);

/* The latent tier's ops (vk_ops_latent.c), as their C kernels in ops.h:
 * out = a - b; every element of t = value; depth-to-space by 2 (in 4C x h
 * x w, out C x 2h x 2w); flow_grid: out (coords, 2 x H x W) = the identity
 * grid plus `disp` (data, 2 x h x w) resampled to H x W, or the identity
 * grid alone when has_disp is 0 (disp is then ignored). */
int facet_vk_op_sub(FacetVkGraph *g, FacetVkTensor a, FacetVkTensor b, FacetVkTensor out);
int facet_vk_op_fill(FacetVkGraph *g, FacetVkTensor t, float value);
int facet_vk_op_pixel_shuffle(FacetVkGraph *g, FacetVkTensor in, FacetVkTensor out);
int facet_vk_op_flow_grid(FacetVkGraph *g, int has_disp, FacetVkTensor disp, FacetVkTensor out);

#endif /* FACET_RENDER_VULKAN_VK_OPS_H */
