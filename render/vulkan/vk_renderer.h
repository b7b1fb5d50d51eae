/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The renderer of render/renderer.h on a Vulkan device (internal to
 * libfacet): the same graph (render/renderer_graph.h), the same results
 * within the precision's rounding, all of it on the GPU.
 *
 *   facet_vk_renderer_set_keyframe()  the keyframe goes up (3 x S x S floats),
 *                                     the ReferenceEncoder runs, its features
 *                                     stay on the device
 *   facet_vk_renderer_render()        8 floats per keypoint go up (the
 *                                     motion parameters, computed on the
 *                                     host), DenseMotion and Decoder run,
 *                                     the RGB frame comes back: one
 *                                     submission, recorded once at create
 *
 * Weights are copied to the device once, at create. Errors are those of
 * vk_device.h plus -EINVAL / -ENODATA as in renderer.h; after -EIO (device
 * lost) every call fails and the caller falls back to the CPU renderer.
 */
#ifndef FACET_RENDER_VULKAN_VK_RENDERER_H
#define FACET_RENDER_VULKAN_VK_RENDERER_H

#include <stddef.h>

#include "render/keypoint_set.h"
#include "render/network.h"
#include "render/picture_out.h"
#include "render/tensor.h"
#include "render/vulkan/vk_device.h"
#include "render/vulkan/vk_graph.h"

typedef struct FacetVkRenderer FacetVkRenderer;

/* A renderer for size x size frames on `dev`; `net` and `dev` must outlive
 * it. 0, or -EINVAL (NULL argument, unsupported size) or a device error,
 * with a message in error[0..error_size) (may be NULL). */
int facet_vk_renderer_create(FacetVkRenderer **out, FacetVkDevice *dev, const FacetNetwork *net,
                             int size, char *error, size_t error_size);
/* As facet_vk_renderer_create(), and also for rendering straight into
 * pictures of `picture`'s format and size (no memory needed in it): the
 * network's last step runs as a shader and only the finished picture comes
 * back (facet_vk_renderer_render_picture()). */
int facet_vk_renderer_create_for_picture(FacetVkRenderer **out, FacetVkDevice *dev,
                                         const FacetNetwork *net, int size,
                                         const FacetRenderPicture *picture, char *error,
                                         size_t error_size);
/* NULL-safe; sets *r = NULL. */
void facet_vk_renderer_destroy(FacetVkRenderer **r);

/* As facet_renderer_set_keyframe() / facet_renderer_render(). */
int facet_vk_renderer_set_keyframe(FacetVkRenderer *r, const FacetTensor *rgb,
                                   const FacetKeypointSet *kp_ref);
int facet_vk_renderer_render(FacetVkRenderer *r, const FacetKeypointSet *kp_cur,
                             FacetTensor *rgb_out);

/* Renders the frame into `out`, which must have the format and size the
 * renderer was made for (else -EINVAL). */
int facet_vk_renderer_render_picture(FacetVkRenderer *r, const FacetKeypointSet *kp_cur,
                                     FacetRenderPicture *out);

/* The recorded graphs, for per-op timings of their last run (bench). */
const FacetVkGraph *facet_vk_renderer_keyframe_graph(const FacetVkRenderer *r);
const FacetVkGraph *facet_vk_renderer_frame_graph(const FacetVkRenderer *r);

#endif /* FACET_RENDER_VULKAN_VK_RENDERER_H */
