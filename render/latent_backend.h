/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's renderer behind one interface, whatever runs it
 * (internal to libfacet): the CPU latent renderer
 * (render/latent_renderer.h) or its Vulkan twin
 * (render/vulkan/vk_latent_renderer.h), chosen by the policy of the
 * keypoint tier's back end (render/backend.h, docs/vulkan.md):
 *
 *   auto    Vulkan on a GPU (or on the device the settings or
 *           $FACET_VULKAN_DEVICE name, whatever its kind), else the CPU;
 *           a device that fails later (lost, hung, out of memory) is
 *           logged and the CPU renderer takes over from the kept
 *           reference, so the frame that hit the failure still comes out
 *   vulkan  never falls back: a lost or hung device fails every later
 *           call with -ENODEV
 *   cpu     the CPU kernels
 *
 * The renderer is made by facet_latent_backend_prepare() for one frame
 * size, scale and output picture shape at a time.
 */
#ifndef FACET_RENDER_LATENT_BACKEND_H
#define FACET_RENDER_LATENT_BACKEND_H

#include <stddef.h>

#include "render/backend.h"
#include "render/latent_network.h"
#include "render/picture_out.h"
#include "render/tensor.h"

typedef struct FacetLatentBackend FacetLatentBackend;

/* Chooses and opens the back end for `net` (which must outlive it); the
 * settings' pool is used by the CPU renderer, not owned. 0, -EINVAL,
 * -ENOMEM, or -ENODEV (vulkan asked for and no device opens); the choice
 * and any failure are logged. */
int facet_latent_backend_open(FacetLatentBackend **out, const FacetLatentNetwork *net,
                              const FacetRenderBackendSettings *settings);
/* NULL-safe; sets *b = NULL. */
void facet_latent_backend_close(FacetLatentBackend **b);

/* Makes the renderer for width x height frames at scale r
 * (facet_latent_network_supports()) that writes pictures of `picture`'s
 * format and size (its memory is not used). Nothing happens when the
 * renderer is already made for these; otherwise it starts without a
 * reference. 0, -EINVAL, -ENOMEM, -ENODEV (vulkan only). */
int facet_latent_backend_prepare(FacetLatentBackend *b, int width, int height, int r,
                                 const FacetRenderPicture *picture);

/* The reference picture, 3 x height x width in [0, 1]: its features are
 * computed once and kept (on the device with Vulkan); the tensor is copied
 * too, for a fallback. 0, -EINVAL, -ENODATA (not prepared), -ENODEV; on
 * failure there is no reference. */
int facet_latent_backend_set_reference(FacetLatentBackend *b, const FacetTensor *rgb);

/* One low-resolution frame (3 x height/r x width/r in [0, 1]) rendered
 * into `out`, of the prepared format and size. 0, -EINVAL, -ENODATA (not
 * prepared), -ENODEV (vulkan only). */
int facet_latent_backend_render_picture(FacetLatentBackend *b, const FacetTensor *low,
                                        FacetRenderPicture *out);

/* What renders now (after a fallback, CPU) and its printable name. */
FacetRenderBackendKind facet_latent_backend_kind(const FacetLatentBackend *b);
const char *facet_latent_backend_device_name(const FacetLatentBackend *b);
/* One line for people: "cpu (avx2 kernels, 2 threads)", "vulkan on NAME
 * (fp16 storage)". */
void facet_latent_backend_describe(const FacetLatentBackend *b, char *text, size_t text_size);
/* The Vulkan device in use, or NULL (tests lose it on purpose). */
FacetVkDevice *facet_latent_backend_vulkan_device(FacetLatentBackend *b);

#endif /* FACET_RENDER_LATENT_BACKEND_H */
