/* SPDX-License-Identifier: BSD-2-Clause */
/* The latent network on a Vulkan device: latent_graph.c's graph recorded by
 * the Vulkan executor; see vk_latent_renderer.h and docs/latent-network.md. */
#include "render/vulkan/vk_latent_renderer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/latent_graph.h"
#include "render/vulkan/vk_executor.h"
#include "render/vulkan/vk_memory.h"

/* Dispatches in one command buffer: a frame has about 40. */
#define MAX_GRAPH_OPS 256

struct FacetVkLatentRenderer {
    FacetVkDevice *dev;
    FacetLatentGraph lg;
    FacetVkExecutor exec;
    FacetVkMemory *mem;
    FacetVkGraph *init_graph, *reference_graph, *clear_graph, *frame_graph, *picture_graph;
    FacetRenderPicture picture;
};

/* Records nodes [a, b) and then node c (-1: none) as one command buffer. */
static int record(FacetVkLatentRenderer *r, FacetVkGraph **vg, int a, int b, int c)
{
    int ret = facet_vk_graph_create(vg, r->mem, MAX_GRAPH_OPS);
    if (ret < 0 || (ret = facet_vk_graph_begin(*vg)) < 0)
        return ret;
    facet_vk_executor_record(&r->exec, *vg, a, b);
    if (c >= 0)
        facet_vk_executor_record(&r->exec, *vg, c, c + 1);
    return facet_vk_graph_end(*vg);
}

int facet_vk_latent_renderer_create(FacetVkLatentRenderer **out, FacetVkDevice *dev,
                                    const FacetLatentNetwork *net, int width, int height,
                                    int scale, const FacetRenderPicture *picture, char *error,
                                    size_t error_size)
{
    if (error && error_size)
        error[0] = '\0';
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!dev || !facet_latent_network_supports(net, width, height, scale) ||
        (picture && !facet_render_picture_shape_valid(picture))) {
        if (error && error_size)
            snprintf(error, error_size, "Vulkan latent renderer: invalid argument (%dx%d, r %d)",
                     width, height, scale);
        return -EINVAL;
    }
    FacetVkLatentRenderer *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->dev = dev;
    if (picture)
        r->picture = *picture;
    const char *what = "building the graph";
    int ret = facet_latent_graph_build(&r->lg, net, width, height, scale, picture);
    FacetVkLayout l;
    memset(&l, 0, sizeof(l));
    if (ret == 0)
        ret = facet_vk_executor_layout(&r->exec, &r->lg.graph, &l);
    if (ret < 0) {
        if (error && error_size)
            snprintf(error, error_size, "Vulkan latent renderer: %s: %s", what,
                     ret == -ENOMEM ? "out of memory" : "invalid graph");
        goto fail;
    }
    what = "Vulkan memory";
    if ((ret = facet_vk_memory_create(&r->mem, dev, &l)) < 0)
        goto error;
    what = "uploading the weights";
    if ((ret = facet_vk_executor_upload_weights(&r->exec, r->mem)) < 0)
        goto error;
    what = "recording the graphs";
    const FacetLatentGraph *lg = &r->lg;
    if ((ret = record(r, &r->reference_graph, lg->reference_begin, lg->reference_end, -1)) < 0 ||
        (ret = record(r, &r->init_graph, lg->init_begin, lg->clear_end, -1)) < 0 ||
        (ret = record(r, &r->clear_graph, lg->clear_begin, lg->clear_end, -1)) < 0 ||
        (ret = record(r, &r->frame_graph, lg->frame_begin, lg->frame_end, lg->store_node)) < 0 ||
        (picture && (ret = record(r, &r->picture_graph, lg->frame_begin, lg->frame_end,
                                  lg->picture_node)) < 0))
        goto error;
    what = "the identity grids and the no-reference state";
    if ((ret = facet_vk_graph_run(r->init_graph)) < 0)
        goto error;
    *out = r;
    return 0;

error:
    if (error && error_size)
        snprintf(error, error_size, "%s: %s", what, facet_vk_device_error(dev));
fail:
    facet_vk_latent_renderer_destroy(&r);
    return ret;
}

void facet_vk_latent_renderer_destroy(FacetVkLatentRenderer **pr)
{
    if (!pr || !*pr)
        return;
    FacetVkLatentRenderer *r = *pr;
    facet_vk_graph_destroy(&r->init_graph);
    facet_vk_graph_destroy(&r->reference_graph);
    facet_vk_graph_destroy(&r->clear_graph);
    facet_vk_graph_destroy(&r->frame_graph);
    facet_vk_graph_destroy(&r->picture_graph);
    facet_vk_memory_destroy(&r->mem);
    facet_vk_executor_free(&r->exec);
    facet_latent_graph_free(&r->lg);
    free(r);
    *pr = NULL;
}

static int check(const FacetTensor *t, int c, int h, int w)
{
    return t && t->data && t->c == c && t->h == h && t->w == w ? 0 : -EINVAL;
}

/* Where host tensor t lives in the mapped host buffer. */
static float *host(FacetVkLatentRenderer *r, int t)
{
    return facet_vk_memory_host(r->mem) + facet_vk_executor_tensor(&r->exec, t).offset;
}

int facet_vk_latent_renderer_set_reference(FacetVkLatentRenderer *r, const FacetTensor *rgb)
{
    if (!r)
        return -EINVAL;
    int ret = check(rgb, 3, r->lg.height, r->lg.width);
    if (ret < 0)
        return ret;
    memcpy(host(r, r->lg.reference_in), rgb->data, sizeof(float) * facet_tensor_size(rgb));
    return facet_vk_graph_run(r->reference_graph);
}

int facet_vk_latent_renderer_clear_reference(FacetVkLatentRenderer *r)
{
    return r ? facet_vk_graph_run(r->clear_graph) : -EINVAL;
}

static int run_frame(FacetVkLatentRenderer *r, const FacetTensor *low, FacetVkGraph *vg)
{
    const FacetLatentGraph *lg = &r->lg;
    int ret = check(low, 3, lg->height / lg->scale, lg->width / lg->scale);
    if (ret < 0)
        return ret;
    memcpy(host(r, lg->low_in), low->data, sizeof(float) * facet_tensor_size(low));
    return facet_vk_graph_run(vg);
}

int facet_vk_latent_renderer_render(FacetVkLatentRenderer *r, const FacetTensor *low,
                                    FacetTensor *rgb_out)
{
    if (!r)
        return -EINVAL;
    int ret;
    if ((ret = check(rgb_out, 3, r->lg.height, r->lg.width)) < 0 ||
        (ret = run_frame(r, low, r->frame_graph)) < 0)
        return ret;
    memcpy(rgb_out->data, host(r, r->lg.frame_out), sizeof(float) * facet_tensor_size(rgb_out));
    return 0;
}

int facet_vk_latent_renderer_render_picture(FacetVkLatentRenderer *r, const FacetTensor *low,
                                            FacetRenderPicture *out)
{
    if (!r || !r->picture_graph || !facet_render_picture_valid(out) ||
        out->format != r->picture.format || out->width != r->picture.width ||
        out->height != r->picture.height)
        return -EINVAL;
    int ret = run_frame(r, low, r->picture_graph);
    if (ret < 0)
        return ret;
    facet_render_picture_unpack((const uint8_t *)host(r, r->lg.picture), out);
    return 0;
}

const FacetVkGraph *facet_vk_latent_renderer_frame_graph(const FacetVkLatentRenderer *r)
{
    return r ? r->frame_graph : NULL;
}
