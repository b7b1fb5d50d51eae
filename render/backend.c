/* SPDX-License-Identifier: BSD-2-Clause */
/* The back-end choice, the device and the fallback; see backend.h and
 * docs/vulkan.md. With render/latent_backend.c, the only files outside
 * render/vulkan/ that know whether this build has Vulkan. */
#include "render/backend.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/renderer.h"
#ifdef FACET_WITH_VULKAN
#include "render/vulkan/vk_device.h"
#include "render/vulkan/vk_graph.h"
#include "render/vulkan/vk_renderer.h"
#endif

struct FacetRenderBackend {
    const FacetNetwork *net;
    FacetRenderBackendSettings settings;  /* device: not kept (NULL) */
    FacetRenderBackendKind kind;          /* CPU or VULKAN: what runs now */
    char device_name[256];

    int size;                             /* S of the renderer; 0: none yet */
    FacetRenderPicture picture;           /* the output the renderer was made for (no memory) */
    int has_picture;
    FacetRenderer *cpu;
    FacetTensor reference;                /* kept for a fallback */
    FacetKeypointSet reference_keypoints;
    int has_reference;
#ifdef FACET_WITH_VULKAN
    FacetVkDevice *vk_device;             /* set while Vulkan is in use */
    FacetVkRenderer *vk;
#endif
};

void facet_render_log(const FacetRenderBackendSettings *s, const char *format, ...)
{
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof(message), format, args);
    va_end(args);
    if (s->log)
        s->log(s->log_opaque, message);
    else
        fprintf(stderr, "facet: %s\n", message);
}

#define say(b, ...) facet_render_log(&(b)->settings, __VA_ARGS__)

static void use_cpu(FacetRenderBackend *b)
{
    b->kind = FACET_RENDER_BACKEND_CPU;
    snprintf(b->device_name, sizeof(b->device_name), "cpu (%s)", facet_render_ops_isa());
}

int facet_render_choose_device(const FacetRenderBackendSettings *s, int rendering,
                               FacetRenderBackendKind *kind, FacetVkDevice **dev, char *name,
                               size_t name_size)
{
    *kind = FACET_RENDER_BACKEND_CPU;
    *dev = NULL;
    snprintf(name, name_size, "cpu (%s)", facet_render_ops_isa());
    if (s->kind == FACET_RENDER_BACKEND_CPU || (s->kind == FACET_RENDER_BACKEND_AUTO && !rendering)) {
        if (rendering)
            facet_render_log(s, "renderer: %s", name);
        return 0;
    }
#ifndef FACET_WITH_VULKAN
    if (s->kind == FACET_RENDER_BACKEND_VULKAN) {
        facet_render_log(s, "backend vulkan: this libfacet was built without Vulkan");
        return -ENODEV;
    }
    facet_render_log(s, "renderer: %s (built without Vulkan)", name);
    return 0;
#else
    char error[512];
    FacetVkDevice *opened = NULL;
    int ret = facet_vk_device_open(&opened, s->device,
                                   s->kind == FACET_RENDER_BACKEND_AUTO ? FACET_VK_REQUIRE_GPU : 0,
                                   error, sizeof(error));
    if (ret < 0) {
        if (s->kind == FACET_RENDER_BACKEND_VULKAN) {
            facet_render_log(s, "backend vulkan: %s", error);
            return ret;
        }
        facet_render_log(s, "renderer: %s (%s)", name, error);
        return 0;
    }
    *kind = FACET_RENDER_BACKEND_VULKAN;
    snprintf(name, name_size, "%s", facet_vk_device_name(opened));
    facet_render_log(s, "renderer: vulkan on %s (%s storage)", name,
                     facet_vk_device_fp16(opened) ? "fp16" : "fp32");
    if (rendering)
        *dev = opened;
    else
        facet_vk_device_close(&opened);
    return 0;
#endif
}

const char *facet_render_device_error_text(int error)
{
    switch (error) {
    case -EIO:
        return "device lost";
    case -ETIMEDOUT:
        return "timed out";
    case -ENOMEM:
        return "out of memory";
    default:
        return strerror(-error);
    }
}

/* Opens the device the settings ask for; 0 when Vulkan is in use after it. */
static int choose(FacetRenderBackend *b, const FacetRenderBackendSettings *s)
{
    FacetVkDevice *dev = NULL;
    int ret = facet_render_choose_device(s, b->net != NULL, &b->kind, &dev, b->device_name,
                                         sizeof(b->device_name));
#ifdef FACET_WITH_VULKAN
    b->vk_device = dev;
#endif
    return ret;
}

int facet_render_backend_open(FacetRenderBackend **out, const FacetNetwork *net,
                              const FacetRenderBackendSettings *settings)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!settings || (settings->kind != FACET_RENDER_BACKEND_AUTO &&
                      settings->kind != FACET_RENDER_BACKEND_CPU &&
                      settings->kind != FACET_RENDER_BACKEND_VULKAN))
        return -EINVAL;
    FacetRenderBackend *b = calloc(1, sizeof(*b));
    if (!b)
        return -ENOMEM;
    b->net = net;
    b->settings = *settings;
    b->settings.device = NULL;
    int ret = choose(b, settings);
    if (ret < 0) {
        facet_render_backend_close(&b);
        return ret;
    }
    *out = b;
    return 0;
}

static void drop_renderers(FacetRenderBackend *b)
{
    facet_renderer_destroy(&b->cpu);
#ifdef FACET_WITH_VULKAN
    facet_vk_renderer_destroy(&b->vk);
#endif
    b->size = 0;
    b->has_reference = 0;
}

void facet_render_backend_close(FacetRenderBackend **pb)
{
    if (!pb || !*pb)
        return;
    FacetRenderBackend *b = *pb;
    drop_renderers(b);
#ifdef FACET_WITH_VULKAN
    facet_vk_device_close(&b->vk_device);
#endif
    facet_tensor_free(&b->reference);
    free(b);
    *pb = NULL;
}

#ifdef FACET_WITH_VULKAN
/* A failure of the Vulkan renderer: in auto mode, logged, and the CPU
 * renderer takes over for good (returns 0: the caller goes on on the CPU);
 * in vulkan mode the error is returned. Bad input (-EINVAL) is not the
 * device's fault and is returned as it is. */
static int vulkan_failed(FacetRenderBackend *b, int error, const char *what)
{
    if (error == -EINVAL || b->settings.kind == FACET_RENDER_BACKEND_VULKAN) {
        say(b, "vulkan renderer: %s: %s", what, facet_vk_device_error(b->vk_device));
        /* A device that was lost or hangs is gone for this renderer: say so
         * with ENODEV (EIO is the intra codec's failure to the codec). */
        return error == -EIO || error == -ETIMEDOUT ? -ENODEV : error;
    }
    say(b, "vulkan renderer on %s: %s: %s (%s); falling back to the CPU", b->device_name, what,
        facet_render_device_error_text(error), facet_vk_device_error(b->vk_device));
    facet_vk_renderer_destroy(&b->vk);
    facet_vk_device_close(&b->vk_device);
    use_cpu(b);
    say(b, "renderer: %s", b->device_name);
    return 0;
}
#endif

/* The CPU renderer for the current size, holding the kept reference when
 * there is one. */
static int cpu_renderer(FacetRenderBackend *b)
{
    facet_renderer_destroy(&b->cpu);
    int ret = facet_renderer_create(&b->cpu, b->net, b->size, b->settings.pool,
                                    b->settings.ops_flags);
    if (ret == 0 && b->has_reference)
        ret = facet_renderer_set_keyframe(b->cpu, &b->reference, &b->reference_keypoints);
    return ret;
}

static int same_output(const FacetRenderBackend *b, const FacetRenderPicture *out)
{
    if (!out)
        return 1; /* any renderer renders tensors */
    return b->has_picture && b->picture.format == out->format &&
           b->picture.width == out->width && b->picture.height == out->height;
}

/* Makes the renderer for size x size frames (and the output `out`). */
static int prepare(FacetRenderBackend *b, int size, const FacetRenderPicture *out)
{
    if (b->size == size && same_output(b, out))
        return 0;
    drop_renderers(b);
    int ret;
    if (b->reference.c != 3 || b->reference.h != size) {
        facet_tensor_free(&b->reference);
        if ((ret = facet_tensor_alloc(&b->reference, 3, size, size)) < 0)
            return ret;
    }
    if (out) {
        b->picture = *out;
        memset(b->picture.data, 0, sizeof(b->picture.data));
        b->has_picture = 1;
    }
#ifdef FACET_WITH_VULKAN
    if (b->vk_device) {
        char error[512];
        ret = facet_vk_renderer_create_for_picture(&b->vk, b->vk_device, b->net, size,
                                                   b->has_picture ? &b->picture : NULL, error,
                                                   sizeof(error));
        if (ret == 0) {
            b->size = size;
            return 0;
        }
        say(b, "%s", error);
        if ((ret = vulkan_failed(b, ret, "creating the renderer")) < 0)
            return ret;
    }
#endif
    b->size = size;
    if ((ret = cpu_renderer(b)) < 0)
        b->size = 0;
    return ret;
}

int facet_render_backend_set_reference(FacetRenderBackend *b, const FacetTensor *rgb,
                                       const FacetKeypointSet *keypoints,
                                       const FacetRenderPicture *out)
{
    if (!b || !b->net || !rgb || !rgb->data || rgb->c != 3 || rgb->h != rgb->w ||
        !facet_network_size_supported(b->net, rgb->h) ||
        (out && !facet_render_picture_shape_valid(out)))
        return -EINVAL;
    int ret = prepare(b, rgb->h, out);
    if (ret < 0)
        return ret;
    b->has_reference = 0;
    if ((ret = facet_keypoint_set_check(keypoints, facet_network_num_keypoints(b->net))) < 0)
        return ret;
    memcpy(b->reference.data, rgb->data, sizeof(float) * facet_tensor_size(rgb));
    b->reference_keypoints = *keypoints;
#ifdef FACET_WITH_VULKAN
    if (b->vk) {
        ret = facet_vk_renderer_set_keyframe(b->vk, &b->reference, keypoints);
        if (ret == 0 || (ret = vulkan_failed(b, ret, "keyframe")) < 0) {
            b->has_reference = ret == 0;
            return ret;
        }
        b->has_reference = 1;
        if ((ret = cpu_renderer(b)) < 0)
            b->has_reference = 0;
        return ret;
    }
#endif
    ret = facet_renderer_set_keyframe(b->cpu, &b->reference, keypoints);
    b->has_reference = ret == 0;
    return ret;
}

int facet_render_backend_render(FacetRenderBackend *b, const FacetKeypointSet *keypoints,
                                FacetTensor *rgb_out)
{
    if (!b || !b->net)
        return -EINVAL;
    if (!b->size)
        return -ENODATA;
#ifdef FACET_WITH_VULKAN
    if (b->vk) {
        int ret = facet_vk_renderer_render(b->vk, keypoints, rgb_out);
        if (ret == 0 || (ret = vulkan_failed(b, ret, "frame")) < 0)
            return ret;
        if ((ret = cpu_renderer(b)) < 0)
            return ret;
    }
#endif
    return facet_renderer_render(b->cpu, keypoints, rgb_out);
}

int facet_render_backend_render_picture(FacetRenderBackend *b, const FacetKeypointSet *keypoints,
                                        FacetRenderPicture *out)
{
    if (!b || !b->net || !facet_render_picture_valid(out))
        return -EINVAL;
    if (!b->size)
        return -ENODATA;
    if (!same_output(b, out))
        return -EINVAL;
#ifdef FACET_WITH_VULKAN
    if (b->vk) {
        int ret = facet_vk_renderer_render_picture(b->vk, keypoints, out);
        if (ret == 0 || (ret = vulkan_failed(b, ret, "frame")) < 0)
            return ret;
        if ((ret = cpu_renderer(b)) < 0)
            return ret;
    }
#endif
    return facet_renderer_render_picture(b->cpu, keypoints, out);
}

FacetRenderBackendKind facet_render_backend_kind(const FacetRenderBackend *b)
{
    return b ? b->kind : FACET_RENDER_BACKEND_CPU;
}

const char *facet_render_backend_device_name(const FacetRenderBackend *b)
{
    return b ? b->device_name : "";
}

void facet_render_backend_describe(const FacetRenderBackend *b, char *text, size_t text_size)
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

FacetVkDevice *facet_render_backend_vulkan_device(FacetRenderBackend *b)
{
#ifdef FACET_WITH_VULKAN
    return b ? b->vk_device : NULL;
#else
    (void)b;
    return NULL;
#endif
}

int facet_render_backend_op_count(const FacetRenderBackend *b)
{
#ifdef FACET_WITH_VULKAN
    if (b && b->vk) {
        const FacetVkGraph *g = facet_vk_renderer_frame_graph(b->vk);
        if (facet_vk_graph_op_count(g) > 0 && facet_vk_graph_op_ms(g, 0) >= 0.0)
            return facet_vk_graph_op_count(g);
    }
#else
    (void)b;
#endif
    return 0;
}

const char *facet_render_backend_op_label(const FacetRenderBackend *b, int index)
{
#ifdef FACET_WITH_VULKAN
    if (b && b->vk)
        return facet_vk_graph_op_label(facet_vk_renderer_frame_graph(b->vk), index);
#else
    (void)b;
    (void)index;
#endif
    return "";
}

double facet_render_backend_op_ms(const FacetRenderBackend *b, int index)
{
#ifdef FACET_WITH_VULKAN
    if (b && b->vk)
        return facet_vk_graph_op_ms(facet_vk_renderer_frame_graph(b->vk), index);
#else
    (void)b;
    (void)index;
#endif
    return -1.0;
}
