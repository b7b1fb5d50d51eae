/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's network as one graph (internal to libfacet): the
 * builder of train/latent_model.py's LatentUpsampler for width x height
 * frames (both multiples of the network's size_multiple, 32 by default;
 * the network is fully convolutional, square is not required) at scale r
 * (2 or 4). Both back ends run it: render/latent_renderer.c on the CPU
 * kernels, render/vulkan/vk_latent_renderer.c on a Vulkan device.
 * docs/latent-network.md maps it onto latent_model.py.
 *
 * Node ranges:
 *   init       the identity grids of the bilinear resizes (once, at create;
 *              directly followed by clear, so [init_begin, clear_end) is
 *              one range)
 *   reference  LOAD of the reference picture, avg-pool, the bilinear
 *              upscale of the pooled picture (grid_sample on the identity
 *              grid), detail = reference - upscale, the encoder convs;
 *              small, detail and feat stay (on the device with Vulkan)
 *   clear      the no-reference state: small, detail and feat zeroed (the
 *              same as latent_model.py's no_reference()); the frame range
 *              then runs unchanged and acts as a reference-free upsampler
 *   frame      LOAD of the low-resolution frame, motion U-Net at S/4,
 *              heads, fusion at S/2, depth-to-space, the warp of the
 *              reference detail and the sum base + residual + gate * detail
 *              into `image` (with config highpass h: base + added -
 *              up(avgpool_{h r}(added)), added = residual + gate * detail)
 *   store      image -> frame_out (HOST)
 *   picture    image -> the caller's picture (when built with one)
 */
#ifndef FACET_RENDER_LATENT_GRAPH_H
#define FACET_RENDER_LATENT_GRAPH_H

#include "render/graph.h"
#include "render/latent_network.h"
#include "render/picture_out.h"

typedef struct FacetLatentGraph {
    FacetGraph graph;
    int width, height, scale;
    int init_begin, init_end, clear_begin, clear_end, reference_begin, reference_end;
    int frame_begin, frame_end;
    int store_node, picture_node;  /* picture_node -1 without a picture */
    /* HOST: the reference picture (3 x H x W), the low-resolution frame
     * (3 x H/r x W/r), the frame (3 x H x W), the packed picture. */
    int reference_in, low_in, frame_out, picture;
    /* DATA, kept from the reference: motion_in = [low at S/4 | small] */
    int rgb, motion_in, small, detail, feat;
    /* DATA, the frame's (valid until the next frame): the motion heads
     * (flow, then the confidence after its sigmoid), the gate at S, the
     * low-resolution frame as loaded, the output image. */
    int low, heads, flow, confidence, gate, image;
} FacetLatentGraph;

/* Builds the graph (facet_latent_network_supports(net, width, height,
 * scale)) and, when `picture` is not NULL, its picture step. 0, -EINVAL
 * or -ENOMEM. */
int facet_latent_graph_build(FacetLatentGraph *lg, const FacetLatentNetwork *net, int width,
                             int height, int scale, const FacetRenderPicture *picture);
void facet_latent_graph_free(FacetLatentGraph *lg);

#endif /* FACET_RENDER_LATENT_GRAPH_H */
