/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's network on a Vulkan device (internal to libfacet): the
 * graph of render/latent_graph.h (the one the CPU runs,
 * render/latent_renderer.h) recorded once by the Vulkan executor into command
 * buffers (init + clear, reference, clear, frame to floats, frame to a
 * picture)
 * and re-submitted. The reference's outputs (small, detail, feat) stay on
 * the device; a frame sends 3 x H/r x W/r floats up and brings the frame
 * (or only the finished picture) back.
 */
#ifndef FACET_RENDER_VULKAN_VK_LATENT_RENDERER_H
#define FACET_RENDER_VULKAN_VK_LATENT_RENDERER_H

#include <stddef.h>

#include "render/latent_network.h"
#include "render/picture_out.h"
#include "render/tensor.h"
#include "render/vulkan/vk_device.h"
#include "render/vulkan/vk_graph.h"

typedef struct FacetVkLatentRenderer FacetVkLatentRenderer;

/* A renderer for width x height frames at scale r on `dev` (and, when
 * `picture` is not NULL, for pictures of its format and size); `net` and
 * `dev` must outlive it. Starts without a reference. 0, -EINVAL or a
 * device error, with a message in error[0..error_size) (may be NULL). */
int facet_vk_latent_renderer_create(FacetVkLatentRenderer **out, FacetVkDevice *dev,
                                    const FacetLatentNetwork *net, int width, int height, int r,
                                    const FacetRenderPicture *picture, char *error,
                                    size_t error_size);
void facet_vk_latent_renderer_destroy(FacetVkLatentRenderer **r);

/* As the CPU renderer's functions of the same names. */
int facet_vk_latent_renderer_set_reference(FacetVkLatentRenderer *r, const FacetTensor *rgb);
int facet_vk_latent_renderer_clear_reference(FacetVkLatentRenderer *r);
int facet_vk_latent_renderer_render(FacetVkLatentRenderer *r, const FacetTensor *low,
                                    FacetTensor *rgb_out);
/* `out` must have the format and size the renderer was made for. */
int facet_vk_latent_renderer_render_picture(FacetVkLatentRenderer *r, const FacetTensor *low,
                                            FacetRenderPicture *out);

/* The frame's command buffer, for per-op timings of its last run (bench). */
const FacetVkGraph *facet_vk_latent_renderer_frame_graph(const FacetVkLatentRenderer *r);

#endif /* FACET_RENDER_VULKAN_VK_LATENT_RENDERER_H */
