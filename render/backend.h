/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The renderer behind one interface, whatever runs it (internal to
 * libfacet). The codec holds one FacetRenderBackend and never knows which
 * back end renders: the choice (auto / cpu / vulkan), the device, and the
 * fallback to the CPU kernels when a device fails all live here.
 *
 *   facet_render_backend_open()           chooses the back end and the
 *                                         device, logs the choice once
 *   facet_render_backend_set_reference()  the reference picture and its
 *                                         keypoints: the reference encoder
 *                                         runs once, its features are kept
 *                                         (on the device with Vulkan); the
 *                                         picture is kept too, for a
 *                                         fallback
 *   facet_render_backend_render()         one frame from its keypoints,
 *                                         as a float tensor or as the
 *                                         finished picture
 *
 * Policy (docs/vulkan.md): `auto` takes Vulkan on a GPU (a device named in
 * the settings or $FACET_VULKAN_DEVICE whatever its kind) and the CPU
 * kernels otherwise; a failure of the device later (no memory, lost, hung)
 * is logged and the CPU renderer takes over from the kept reference, so the
 * frame that hit it is still rendered. `vulkan` never falls back: a lost
 * or hung device fails every later call with -ENODEV. `cpu` is the CPU
 * kernels. The back end renders at one size at a time, made at the first
 * reference of that size.
 */
#ifndef FACET_RENDER_BACKEND_H
#define FACET_RENDER_BACKEND_H

#include <stddef.h>

#include "render/keypoint_set.h"
#include "render/network.h"
#include "render/picture_out.h"
#include "render/tensor.h"
#include "render/thread_pool.h"

typedef struct FacetRenderBackend FacetRenderBackend;
typedef struct FacetVkDevice FacetVkDevice;

/* The same values as FacetBackend of facet.h. */
typedef enum FacetRenderBackendKind {
    FACET_RENDER_BACKEND_AUTO = 0,
    FACET_RENDER_BACKEND_CPU,
    FACET_RENDER_BACKEND_VULKAN,
} FacetRenderBackendKind;

typedef struct FacetRenderBackendSettings {
    FacetRenderBackendKind kind;   /* what is asked for */
    const char *device;            /* Vulkan selector; NULL: $FACET_VULKAN_DEVICE, else the best */
    FacetThreadPool *pool;         /* for the CPU kernels; used, not owned; may be NULL */
    int ops_flags;                 /* facet_render_ops_init() flags of the CPU renderer */
    /* Where the choice, failures and the fallback are reported (one line
     * each, no trailing newline); NULL: stderr. */
    void (*log)(void *opaque, const char *message);
    void *log_opaque;
} FacetRenderBackendSettings;

/* Chooses and opens the back end for `net`. Without a network (NULL)
 * nothing will be rendered: auto and cpu stay on the CPU silently, vulkan
 * still checks that its device opens (and closes it). 0, or -ENODEV (vulkan
 * asked for and no device opens, or a build without Vulkan), -EINVAL,
 * -ENOMEM; the reason is logged. */
int facet_render_backend_open(FacetRenderBackend **out, const FacetNetwork *net,
                              const FacetRenderBackendSettings *settings);
/* NULL-safe; sets *b = NULL. */
void facet_render_backend_close(FacetRenderBackend **b);

/* The reference: `rgb` 3 x S x S in [0, 1] (S a size the network supports)
 * and its keypoints. Makes the renderer for S if it has another size (and
 * for the output picture's format and size when `out` is not NULL: see
 * facet_render_backend_render_picture()). 0, -EINVAL, -ENOMEM, -ENODEV
 * (vulkan only: the device failed); on failure there is no reference. */
int facet_render_backend_set_reference(FacetRenderBackend *b, const FacetTensor *rgb,
                                       const FacetKeypointSet *keypoints,
                                       const FacetRenderPicture *out);

/* Renders the frame of `keypoints` into `rgb_out` (3 x S x S). 0, -EINVAL,
 * -ENODATA (no reference), -ENODEV (vulkan only). */
int facet_render_backend_render(FacetRenderBackend *b, const FacetKeypointSet *keypoints,
                                FacetTensor *rgb_out);

/* Renders the frame of `keypoints` straight into `out` (I420 or RGB24 at
 * any size: the network's S x S output is scaled and converted by the
 * network's last step; render/picture_out.h). Same codes. */
int facet_render_backend_render_picture(FacetRenderBackend *b, const FacetKeypointSet *keypoints,
                                        FacetRenderPicture *out);

/* What renders now: FACET_RENDER_BACKEND_CPU or _VULKAN (after a fallback,
 * CPU), and a printable device name ("cpu (avx2)", or the Vulkan device's
 * name), valid until the next call on b. */
FacetRenderBackendKind facet_render_backend_kind(const FacetRenderBackend *b);
const char *facet_render_backend_device_name(const FacetRenderBackend *b);
/* One line for people: "cpu (avx2, 2 threads)", "vulkan on NAME (fp16 storage)". */
void facet_render_backend_describe(const FacetRenderBackend *b, char *text, size_t text_size);

/* The Vulkan device in use, or NULL (tests lose it on purpose). */
FacetVkDevice *facet_render_backend_vulkan_device(FacetRenderBackend *b);

/* Per-op device times of the last frame: count (0 when the back end does
 * not time its ops), each op's label and milliseconds. */
int facet_render_backend_op_count(const FacetRenderBackend *b);
const char *facet_render_backend_op_label(const FacetRenderBackend *b, int index);
double facet_render_backend_op_ms(const FacetRenderBackend *b, int index);

/* What the latent tier's back end (render/latent_backend.h) shares with
 * this one, so that both follow one policy. */

/* The device choice above: opens the Vulkan device the settings ask for
 * into *dev (NULL: the CPU renders), sets *kind, writes the printable name
 * ("cpu (avx2)" or the Vulkan device's) and logs the choice once.
 * `rendering` 0: nothing will be rendered (auto and cpu stay on the CPU
 * silently; vulkan checks that its device opens, then closes it). 0, or
 * -ENODEV (vulkan asked for and no device opens, or no Vulkan in this
 * build). */
int facet_render_choose_device(const FacetRenderBackendSettings *s, int rendering,
                               FacetRenderBackendKind *kind, FacetVkDevice **dev, char *name,
                               size_t name_size);
/* One line to the settings' log (stderr when it is NULL). */
void facet_render_log(const FacetRenderBackendSettings *s, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* "device lost", "timed out", "out of memory" or strerror() of a device
 * error code. */
const char *facet_render_device_error_text(int error);

#endif /* FACET_RENDER_BACKEND_H */
