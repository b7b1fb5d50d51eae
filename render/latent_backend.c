/* SPDX-License-Identifier: BSD-2-Clause */
/* The latent renderer's back end: the choice (render/backend.c's), the
 * renderer on it, and the fallback to the CPU; see latent_backend.h. */
#include "render/latent_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/latent_renderer.h"
#include "render/ops.h"
#ifdef FACET_WITH_VULKAN
#include "render/vulkan/vk_device.h"
#include "render/vulkan/vk_latent_renderer.h"
#endif

struct FacetLatentBackend {
    const FacetLatentNetwork *net;
    FacetRenderBackendSettings settings;  /* device: not kept (NULL) */
    FacetRenderBackendKind kind;          /* CPU or VULKAN: what runs now */
    char device_name[256];

    int width, height, r;                 /* 0: not prepared */
    FacetRenderPicture picture;           /* the output shape (no memory) */
    FacetLatentRenderer *cpu;
    FacetTensor reference;                /* kept for a fallback */
    int has_reference;
#ifdef FACET_WITH_VULKAN
    FacetVkDevice *vk_device;             /* set while Vulkan is in use */
    FacetVkLatentRenderer *vk;
#endif
};

int facet_latent_backend_open(FacetLatentBackend **out, const FacetLatentNetwork *net,
                              const FacetRenderBackendSettings *settings)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!net || !settings || (settings->kind != FACET_RENDER_BACKEND_AUTO &&
                              settings->kind != FACET_RENDER_BACKEND_CPU &&
                              settings->kind != FACET_RENDER_BACKEND_VULKAN))
        return -EINVAL;
    FacetLatentBackend *b = calloc(1, sizeof(*b));
    if (!b)
        return -ENOMEM;
    b->net = net;
    b->settings = *settings;
    b->settings.device = NULL;
    FacetVkDevice *dev = NULL;
    int ret = facet_render_choose_device(settings, 1, &b->kind, &dev, b->device_name,
                                         sizeof(b->device_name));
#ifdef FACET_WITH_VULKAN
    b->vk_device = dev;
#else
    (void)dev;
#endif
    if (ret < 0) {
        facet_latent_backend_close(&b);
        return ret;
    }
    *out = b;
    return 0;
}

static void drop_renderers(FacetLatentBackend *b)
{
    facet_latent_renderer_destroy(&b->cpu);
#ifdef FACET_WITH_VULKAN
    facet_vk_latent_renderer_destroy(&b->vk);
#endif
    b->width = b->height = b->r = 0;
    b->has_reference = 0;
}

void facet_latent_backend_close(FacetLatentBackend **pb)
{
    if (!pb || !*pb)
        return;
    FacetLatentBackend *b = *pb;
    drop_renderers(b);
#ifdef FACET_WITH_VULKAN
    facet_vk_device_close(&b->vk_device);
#endif
    facet_tensor_free(&b->reference);
    free(b);
    *pb = NULL;
}

/* The CPU renderer for the prepared size, holding the kept reference when
 * there is one. */
static int cpu_renderer(FacetLatentBackend *b)
{
    facet_latent_renderer_destroy(&b->cpu);
    int ret = facet_latent_renderer_create(&b->cpu, b->net, b->width, b->height, b->r,
                                           b->settings.pool, b->settings.ops_flags);
    if (ret == 0 && b->has_reference)
        ret = facet_latent_renderer_set_reference(b->cpu, &b->reference);
    if (ret < 0)
        b->has_reference = 0;
    return ret;
}

#ifdef FACET_WITH_VULKAN
/* A failure of the Vulkan renderer: in auto mode, logged, and the CPU
 * renderer takes over for good (0: the caller goes on with b->cpu); in
 * vulkan mode the error is returned, a lost or hung device as -ENODEV.
 * Bad input (-EINVAL) is not the device's fault and is returned as is. */
static int vulkan_failed(FacetLatentBackend *b, int error, const char *what)
{
    if (error == -EINVAL || b->settings.kind == FACET_RENDER_BACKEND_VULKAN) {
        facet_render_log(&b->settings, "vulkan latent renderer: %s: %s", what,
                         facet_vk_device_error(b->vk_device));
        return error == -EIO || error == -ETIMEDOUT ? -ENODEV : error;
    }
    facet_render_log(&b->settings,
                     "vulkan latent renderer on %s: %s: %s (%s); falling back to the CPU",
                     b->device_name, what, facet_render_device_error_text(error),
                     facet_vk_device_error(b->vk_device));
    facet_vk_latent_renderer_destroy(&b->vk);
    facet_vk_device_close(&b->vk_device);
    b->kind = FACET_RENDER_BACKEND_CPU;
    snprintf(b->device_name, sizeof(b->device_name), "cpu (%s)", facet_render_ops_isa());
    facet_render_log(&b->settings, "renderer: %s", b->device_name);
    return cpu_renderer(b);
}
#endif

int facet_latent_backend_prepare(FacetLatentBackend *b, int width, int height, int r,
                                 const FacetRenderPicture *picture)
{
    if (!b || !picture || !facet_render_picture_shape_valid(picture) ||
        !facet_latent_network_supports(b->net, width, height, r))
        return -EINVAL;
    if (b->width == width && b->height == height && b->r == r &&
        b->picture.format == picture->format && b->picture.width == picture->width &&
        b->picture.height == picture->height)
        return 0;
    /* Another output shape for the same frames keeps the reference. */
    int keep = b->has_reference && b->width == width && b->height == height && b->r == r;
    drop_renderers(b);
    int ret;
    if (b->reference.h != height || b->reference.w != width) {
        facet_tensor_free(&b->reference);
        if ((ret = facet_tensor_alloc(&b->reference, 3, height, width)) < 0)
            return ret;
    }
    b->picture = *picture;
    memset(b->picture.data, 0, sizeof(b->picture.data));
    memset(b->picture.stride, 0, sizeof(b->picture.stride));
    b->width = width;
    b->height = height;
    b->r = r;
    b->has_reference = keep;
#ifdef FACET_WITH_VULKAN
    if (b->vk_device) {
        char error[512];
        ret = facet_vk_latent_renderer_create(&b->vk, b->vk_device, b->net, width, height, r,
                                              &b->picture, error, sizeof(error));
        if (ret < 0)
            facet_render_log(&b->settings, "%s", error);
        else if (keep)
            ret = facet_vk_latent_renderer_set_reference(b->vk, &b->reference);
        if (ret == 0)
            return 0;
        if ((ret = vulkan_failed(b, ret, "creating the renderer")) < 0)
            drop_renderers(b);
        return ret;
    }
#endif
    if ((ret = cpu_renderer(b)) < 0)
        drop_renderers(b);
    return ret;
}

static int check(const FacetTensor *t, int h, int w)
{
    return t && t->data && t->c == 3 && t->h == h && t->w == w ? 0 : -EINVAL;
}

int facet_latent_backend_set_reference(FacetLatentBackend *b, const FacetTensor *rgb)
{
    if (!b)
        return -EINVAL;
    if (!b->width)
        return -ENODATA;
    int ret = check(rgb, b->height, b->width);
    if (ret < 0)
        return ret;
    b->has_reference = 0;
    memcpy(b->reference.data, rgb->data, sizeof(float) * facet_tensor_size(rgb));
#ifdef FACET_WITH_VULKAN
    if (b->vk) {
        ret = facet_vk_latent_renderer_set_reference(b->vk, &b->reference);
        if (ret == 0) {
            b->has_reference = 1;
            return 0;
        }
        /* A device that fails here leaves the CPU renderer with this
         * reference (cpu_renderer() reads the kept copy). */
        b->has_reference = 1;
        if ((ret = vulkan_failed(b, ret, "reference")) < 0)
            b->has_reference = 0;
        return ret;
    }
#endif
    ret = facet_latent_renderer_set_reference(b->cpu, &b->reference);
    b->has_reference = ret == 0;
    return ret;
}

int facet_latent_backend_render_picture(FacetLatentBackend *b, const FacetTensor *low,
                                        FacetRenderPicture *out)
{
    if (!b || !facet_render_picture_valid(out))
        return -EINVAL;
    if (!b->width)
        return -ENODATA;
    if (out->format != b->picture.format || out->width != b->picture.width ||
        out->height != b->picture.height || check(low, b->height / b->r, b->width / b->r) < 0)
        return -EINVAL;
#ifdef FACET_WITH_VULKAN
    if (b->vk) {
        int ret = facet_vk_latent_renderer_render_picture(b->vk, low, out);
        if (ret == 0 || (ret = vulkan_failed(b, ret, "frame")) < 0)
            return ret;
    }
#endif
    return facet_latent_renderer_render_picture(b->cpu, low, out);
}

FacetRenderBackendKind facet_latent_backend_kind(const FacetLatentBackend *b)
{
    return b ? b->kind : FACET_RENDER_BACKEND_CPU;
}

const char *facet_latent_backend_device_name(const FacetLatentBackend *b)
{
    return b ? b->device_name : "";
}

void facet_latent_backend_describe(const FacetLatentBackend *b, char *text, size_t text_size)
{
    if (!text || !text_size)
        return;
    if (!b) {
        text[0] = '\0';
        return;
    }
#ifdef FACET_WITH_VULKAN
    if (b->vk_device) {
        snprintf(text, text_size, "vulkan on %s (%s storage)", b->device_name,
                 facet_vk_device_fp16(b->vk_device) ? "fp16" : "fp32");
        return;
    }
#endif
    int threads = facet_thread_pool_threads(b->settings.pool);
    snprintf(text, text_size, "cpu (%s kernels, %d thread%s)", facet_render_ops_isa(), threads,
             threads == 1 ? "" : "s");
}

FacetVkDevice *facet_latent_backend_vulkan_device(FacetLatentBackend *b)
{
#ifdef FACET_WITH_VULKAN
    return b ? b->vk_device : NULL;
#else
    (void)b;
    return NULL;
#endif
}
