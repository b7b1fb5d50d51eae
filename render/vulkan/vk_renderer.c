/* SPDX-License-Identifier: BSD-2-Clause */
/* The renderer on a Vulkan device: the graph of render/renderer_graph.c
 * (the same one the CPU runs) recorded by the Vulkan executor; see
 * vk_renderer.h and docs/vulkan.md. */
#include "render/vulkan/vk_renderer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/renderer_graph.h"
#include "render/vulkan/vk_executor.h"
#include "render/vulkan/vk_memory.h"

/* Dispatches in a command buffer: the frame has 50 at K = 10. */
#define MAX_GRAPH_OPS 512

struct FacetVkRenderer {
    FacetVkDevice *dev;
    const FacetNetwork *net;
    int size, k;
    FacetRendererGraph rg;
    FacetVkExecutor exec;
    FacetVkMemory *mem;
    /* Recorded once: the reference encoder; a frame to floats; a frame to
     * the picture (when made for one). */
    FacetVkGraph *keyframe_graph, *frame_graph, *picture_graph;
    FacetRenderPicture picture;    /* its format and size */
    int has_keyframe;
    FacetKeypointSet kp_ref;
};

static void set_error(char *error, size_t size, const char *what, const FacetVkDevice *dev)
{
    if (error && size)
        snprintf(error, size, "%s: %s", what, facet_vk_device_error(dev));
}

/* Records nodes [a, b) and then node c (-1: none) as one command buffer. */
static int record(FacetVkRenderer *r, FacetVkGraph **vg, int a, int b, int c)
{
    int ret = facet_vk_graph_create(vg, r->mem, MAX_GRAPH_OPS);
    if (ret < 0 || (ret = facet_vk_graph_begin(*vg)) < 0)
        return ret;
    facet_vk_executor_record(&r->exec, *vg, a, b);
    if (c >= 0)
        facet_vk_executor_record(&r->exec, *vg, c, c + 1);
    return facet_vk_graph_end(*vg);
}

int facet_vk_renderer_create_for_picture(FacetVkRenderer **out, FacetVkDevice *dev,
                                         const FacetNetwork *net, int size,
                                         const FacetRenderPicture *picture, char *error,
                                         size_t error_size)
{
    if (error && error_size)
        error[0] = '\0';
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!dev || !net || !facet_network_size_supported(net, size) ||
        (picture && !facet_render_picture_shape_valid(picture))) {
        if (error && error_size)
            snprintf(error, error_size, "Vulkan renderer: invalid argument (size %d)", size);
        return -EINVAL;
    }
    FacetVkRenderer *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->dev = dev;
    r->net = net;
    r->size = size;
    r->k = net->config.num_kp;
    if (picture)
        r->picture = *picture;

    const char *what = "building the graph";
    int ret = facet_renderer_graph_build(&r->rg, net, size, picture);
    FacetVkLayout l;
    memset(&l, 0, sizeof(l));
    if (ret == 0)
        ret = facet_vk_executor_layout(&r->exec, &r->rg.graph, &l);
    if (ret < 0) {
        if (error && error_size)
            snprintf(error, error_size, "Vulkan renderer: %s: out of memory", what);
        goto fail;
    }
    what = "Vulkan memory";
    if ((ret = facet_vk_memory_create(&r->mem, dev, &l)) < 0)
        goto error;
    what = "uploading the weights";
    if ((ret = facet_vk_executor_upload_weights(&r->exec, r->mem)) < 0)
        goto error;
    what = "recording the graphs";
    const FacetRendererGraph *rg = &r->rg;
    if ((ret = record(r, &r->keyframe_graph, rg->keyframe_begin, rg->keyframe_end, -1)) < 0 ||
        (ret = record(r, &r->frame_graph, rg->motion_begin, rg->decode_end, rg->store_node)) < 0)
        goto error;
    if (picture &&
        (ret = record(r, &r->picture_graph, rg->motion_begin, rg->decode_end, rg->picture_node)) < 0)
        goto error;
    *out = r;
    return 0;

error:
    set_error(error, error_size, what, dev);
fail:
    facet_vk_renderer_destroy(&r);
    return ret;
}

int facet_vk_renderer_create(FacetVkRenderer **out, FacetVkDevice *dev, const FacetNetwork *net,
                             int size, char *error, size_t error_size)
{
    return facet_vk_renderer_create_for_picture(out, dev, net, size, NULL, error, error_size);
}

void facet_vk_renderer_destroy(FacetVkRenderer **pr)
{
    if (!pr || !*pr)
        return;
    FacetVkRenderer *r = *pr;
    facet_vk_graph_destroy(&r->keyframe_graph);
    facet_vk_graph_destroy(&r->frame_graph);
    facet_vk_graph_destroy(&r->picture_graph);
    facet_vk_memory_destroy(&r->mem);
    facet_vk_executor_free(&r->exec);
    facet_renderer_graph_free(&r->rg);
    free(r);
    *pr = NULL;
}

static int check_image(const FacetVkRenderer *r, const FacetTensor *t)
{
    return t && t->data && t->c == 3 && t->h == r->size && t->w == r->size ? 0 : -EINVAL;
}

/* Where host tensor t lives in the mapped host buffer. */
static float *host(FacetVkRenderer *r, int t)
{
    return facet_vk_memory_host(r->mem) + facet_vk_executor_tensor(&r->exec, t).offset;
}

int facet_vk_renderer_set_keyframe(FacetVkRenderer *r, const FacetTensor *rgb,
                                   const FacetKeypointSet *kp_ref)
{
    if (!r)
        return -EINVAL;
    r->has_keyframe = 0;
    int ret;
    if ((ret = check_image(r, rgb)) < 0 || (ret = facet_keypoint_set_check(kp_ref, r->k)) < 0)
        return ret;
    memcpy(host(r, r->rg.keyframe_in), rgb->data, sizeof(float) * facet_tensor_size(rgb));
    if ((ret = facet_vk_graph_run(r->keyframe_graph)) < 0)
        return ret;
    r->kp_ref = *kp_ref;
    r->has_keyframe = 1;
    return 0;
}

/* The per-frame upload (8 floats per keypoint) and one submission. */
static int run_frame(FacetVkRenderer *r, const FacetKeypointSet *kp_cur, FacetVkGraph *vg)
{
    int ret;
    if ((ret = facet_keypoint_set_check(kp_cur, r->k)) < 0)
        return ret;
    if (!r->has_keyframe)
        return -ENODATA;
    facet_renderer_graph_params(r->net, &r->kp_ref, kp_cur, host(r, r->rg.params));
    return facet_vk_graph_run(vg);
}

int facet_vk_renderer_render(FacetVkRenderer *r, const FacetKeypointSet *kp_cur,
                             FacetTensor *rgb_out)
{
    if (!r)
        return -EINVAL;
    int ret;
    if ((ret = check_image(r, rgb_out)) < 0 || (ret = run_frame(r, kp_cur, r->frame_graph)) < 0)
        return ret;
    memcpy(rgb_out->data, host(r, r->rg.frame_out), sizeof(float) * facet_tensor_size(rgb_out));
    return 0;
}

int facet_vk_renderer_render_picture(FacetVkRenderer *r, const FacetKeypointSet *kp_cur,
                                     FacetRenderPicture *out)
{
    if (!r)
        return -EINVAL;
    if (!r->picture_graph || !facet_render_picture_valid(out) ||
        out->format != r->picture.format || out->width != r->picture.width ||
        out->height != r->picture.height)
        return -EINVAL;
    int ret = run_frame(r, kp_cur, r->picture_graph);
    if (ret < 0)
        return ret;
    facet_render_picture_unpack((const uint8_t *)host(r, r->rg.picture), out);
    return 0;
}

const FacetVkGraph *facet_vk_renderer_keyframe_graph(const FacetVkRenderer *r)
{
    return r ? r->keyframe_graph : NULL;
}

const FacetVkGraph *facet_vk_renderer_frame_graph(const FacetVkRenderer *r)
{
    return r ? r->frame_graph : NULL;
}
