/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's network on the CPU kernels (internal to libfacet): the
 * graph of render/latent_graph.h run by the CPU executor (graph.h) on the
 * op table and the caller's thread pool. The Vulkan twin is
 * render/vulkan/vk_latent_renderer.h.
 *
 *   facet_latent_renderer_set_reference()    the reference picture (3 x H x W
 *                                            in [0, 1]): the reference encoder
 *                                            runs once, its outputs are kept
 *   facet_latent_renderer_clear_reference()  no reference (the state at
 *                                            create): frames are rendered by
 *                                            the same graph on zeroed
 *                                            reference tensors
 *   facet_latent_renderer_render()           one low-resolution frame (3 x H/r
 *                                            x W/r in [0, 1]) -> 3 x H x W
 *
 * Everything is allocated at create; a frame allocates nothing. One
 * renderer must not be used from two threads at once; renderers may share
 * a network.
 */
#ifndef FACET_RENDER_LATENT_RENDERER_H
#define FACET_RENDER_LATENT_RENDERER_H

#include "render/latent_network.h"
#include "render/picture_out.h"
#include "render/tensor.h"
#include "render/thread_pool.h"

typedef struct FacetLatentRenderer FacetLatentRenderer;

/* A renderer for width x height frames at scale r
 * (facet_latent_network_supports()); `pool` (may be NULL) is used, not
 * owned; ops_flags go to facet_render_ops_init(). 0, -EINVAL, -ENOMEM. */
int facet_latent_renderer_create(FacetLatentRenderer **out, const FacetLatentNetwork *net,
                                 int width, int height, int r, FacetThreadPool *pool,
                                 int ops_flags);
/* NULL-safe; sets *r = NULL. */
void facet_latent_renderer_destroy(FacetLatentRenderer **r);

int facet_latent_renderer_set_reference(FacetLatentRenderer *r, const FacetTensor *rgb);
int facet_latent_renderer_clear_reference(FacetLatentRenderer *r);
/* 1 after set_reference, 0 before and after clear_reference. */
int facet_latent_renderer_has_reference(const FacetLatentRenderer *r);

/* Renders `low` into `rgb_out`. 0 or -EINVAL (shapes). */
int facet_latent_renderer_render(FacetLatentRenderer *r, const FacetTensor *low,
                                 FacetTensor *rgb_out);
/* Renders `low` straight into `out` (I420 or RGB24 at any size,
 * render/picture_out.h). */
int facet_latent_renderer_render_picture(FacetLatentRenderer *r, const FacetTensor *low,
                                         FacetRenderPicture *out);

/* The intermediate tensors (views of the renderer's memory, valid until the
 * next call): the kept reference outputs, and the last frame's. */
typedef struct FacetLatentTensors {
    const FacetTensor *small, *detail, *feat;          /* S/4, S, S/2 */
    const FacetTensor *flow, *confidence, *gate;       /* S/4, S/4, S */
} FacetLatentTensors;
void facet_latent_renderer_tensors(FacetLatentRenderer *r, FacetLatentTensors *t);

#endif /* FACET_RENDER_LATENT_RENDERER_H */
