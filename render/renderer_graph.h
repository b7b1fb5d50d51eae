/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Facet v1's receiver network as one graph (internal to libfacet): the
 * builder of train/model.py's ReferenceEncoder, DenseMotion and Decoder
 * (docs/renderer.md maps it onto model.py). Both back ends run this graph:
 * render/renderer.c on the CPU kernels, render/vulkan/vk_renderer.c on a
 * Vulkan device. A second network is a second builder like this one.
 *
 * Node ranges (run in this order):
 *   keyframe   LOAD of the reference picture, the encoder convs and pools;
 *              f0, f1, f2, small stay (on the device with Vulkan)
 *   motion     DenseMotion: motion_inputs from the per-frame keypoint
 *              parameters, K+1 warps, the hourglass, heads, softmax,
 *              sigmoid, blend_flow
 *   decode     the Decoder, ending in the out conv writing `image`
 *   store      image -> frame (HOST): the float frame for the caller
 *   picture    image -> the caller's picture (when built with one)
 *
 * Inputs that change per frame: the keypoints, as 8 floats per keypoint
 * (facet_renderer_graph_params()) in the HOST tensor `params`.
 */
#ifndef FACET_RENDER_RENDERER_GRAPH_H
#define FACET_RENDER_RENDERER_GRAPH_H

#include "render/graph.h"
#include "render/keypoint_set.h"
#include "render/network.h"
#include "render/picture_out.h"

/* Floats per keypoint in `params`. */
#define FACET_RENDERER_KEYPOINT_PARAMS 8

typedef struct FacetRendererGraph {
    FacetGraph graph;
    int size, k;
    int keyframe_begin, keyframe_end, motion_begin, motion_end, decode_begin, decode_end;
    int store_node, picture_node;  /* picture_node -1 without a picture */
    /* HOST */
    int params, keyframe_in, frame_out, picture;
    /* DATA / COORDS */
    int rgb, image;
    int f0, f1, f2, small, heads, masks, occlusion;
    int motions, motion_in, hg_out, flow;
    int x1, flow1, x0, flow0;
} FacetRendererGraph;

/* Builds the graph for size x size frames (facet_network_size_supported())
 * and, when `picture` is not NULL, for pictures of its format and size (no
 * memory needed in it). 0, -EINVAL or -ENOMEM. */
int facet_renderer_graph_build(FacetRendererGraph *rg, const FacetNetwork *net, int size,
                               const FacetRenderPicture *picture);
void facet_renderer_graph_free(FacetRendererGraph *rg);

/* The per-frame parameters of `params`: for each keypoint J_ref inv(J_cur)
 * (row major), ref x, ref y, cur x, cur y. */
void facet_renderer_graph_params(const FacetNetwork *net, const FacetKeypointSet *ref,
                                 const FacetKeypointSet *cur, float *params);

#endif /* FACET_RENDER_RENDERER_GRAPH_H */
