/* SPDX-License-Identifier: BSD-2-Clause */
/* A graph on the device; see vk_executor.h. */
#include "render/vulkan/vk_executor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

_Static_assert((int)FACET_GRAPH_DATA == (int)FACET_VK_DATA &&
                   (int)FACET_GRAPH_HOST == (int)FACET_VK_HOST &&
                   (int)FACET_GRAPH_COORDS == (int)FACET_VK_COORDS,
               "graph spaces are the Vulkan buffers");

static const FacetVkConv *find_conv(const FacetVkExecutor *x, const FacetConv2d *conv)
{
    for (int i = 0; i < x->conv_count; i++)
        if (x->convs[i].conv == conv)
            return &x->convs[i];
    return NULL;
}

int facet_vk_executor_layout(FacetVkExecutor *x, const FacetGraph *g, FacetVkLayout *l)
{
    memset(x, 0, sizeof(*x));
    x->graph = g;
    x->convs = calloc((size_t)(g->node_count ? g->node_count : 1), sizeof(*x->convs));
    if (!x->convs)
        return -ENOMEM;
    x->weights_base = (uint32_t)l->used[FACET_VK_DATA];
    for (int i = 0; i < g->node_count; i++) {
        const FacetGraphNode *n = &g->nodes[i];
        if (n->op == FACET_GRAPH_CONV2D && n->conv && !find_conv(x, n->conv))
            facet_vk_conv_take(&x->convs[x->conv_count++], n->conv, l);
    }
    x->weights_end = (uint32_t)l->used[FACET_VK_DATA];
    for (int s = 0; s < FACET_VK_SPACES; s++) {
        size_t start = s == FACET_VK_HOST ? 0 : l->used[s];
        size_t need = g->peak[s];
        /* The host buffer stages the weights at create, before the graph
         * uses it. */
        if (s == FACET_VK_HOST && need < x->weights_end - x->weights_base)
            need = x->weights_end - x->weights_base;
        x->base[s] = (uint32_t)start;
        l->used[s] = start;
        facet_vk_take(l, (FacetVkSpace)s, need ? need : 1);
    }
    return 0;
}

void facet_vk_executor_free(FacetVkExecutor *x)
{
    if (!x)
        return;
    free(x->convs);
    memset(x, 0, sizeof(*x));
}

int facet_vk_executor_upload_weights(FacetVkExecutor *x, FacetVkMemory *mem)
{
    if (x->weights_end == x->weights_base)
        return 0;
    FacetVkGraph *g = NULL;
    int ret = facet_vk_graph_create(&g, mem, 1);
    if (ret < 0)
        return ret;
    float *host = facet_vk_memory_host(mem);
    for (int i = 0; i < x->conv_count; i++)
        facet_vk_conv_stage(&x->convs[i], host, x->weights_base);
    if ((ret = facet_vk_graph_begin(g)) == 0 &&
        (ret = facet_vk_op_load(g, 0, FACET_VK_DATA, x->weights_base,
                                x->weights_end - x->weights_base)) == 0 &&
        (ret = facet_vk_graph_end(g)) == 0)
        ret = facet_vk_graph_run(g);
    facet_vk_graph_destroy(&g);
    return ret;
}

FacetVkTensor facet_vk_executor_tensor(const FacetVkExecutor *x, int t)
{
    FacetVkTensor v = { 0, 0, 0, 0 };
    if (t < 0 || t >= x->graph->tensor_count)
        return v;
    const FacetGraphTensor *gt = &x->graph->tensors[t];
    v.offset = x->base[gt->space] + (uint32_t)gt->offset;
    v.c = gt->c;
    v.h = gt->h;
    v.w = gt->w;
    return v;
}

static void record_node(const FacetVkExecutor *x, FacetVkGraph *vg, const FacetGraphNode *n)
{
    FacetVkTensor a = facet_vk_executor_tensor(x, n->in[0]);
    FacetVkTensor b = facet_vk_executor_tensor(x, n->in[1]);
    FacetVkTensor out = facet_vk_executor_tensor(x, n->out[0]);
    FacetVkTensor out2 = facet_vk_executor_tensor(x, n->out[1]);
    const FacetGraphTensor *t = x->graph->tensors;
    switch (n->op) {
    case FACET_GRAPH_CONV2D:
        facet_vk_op_conv2d(vg, find_conv(x, n->conv), a, out);
        return;
    case FACET_GRAPH_UPSAMPLE2X:
        facet_vk_op_upsample2x(vg, a, out);
        return;
    case FACET_GRAPH_AVGPOOL2X2:
        facet_vk_op_avgpool2x2(vg, a, out);
        return;
    case FACET_GRAPH_GRID_SAMPLE:
        facet_vk_op_grid_sample(vg, a, b, out);
        return;
    case FACET_GRAPH_SOFTMAX_CHANNELS:
        facet_vk_op_softmax_channels(vg, a, out);
        return;
    case FACET_GRAPH_SOFTMAX_SPATIAL:
        facet_vk_op_softmax_spatial(vg, a, n->param, out);
        return;
    case FACET_GRAPH_ACTIVATE:
        facet_vk_op_activate(vg, out, n->act);
        return;
    case FACET_GRAPH_ADD:
        facet_vk_op_add(vg, a, b, out);
        return;
    case FACET_GRAPH_MUL:
        facet_vk_op_mul(vg, a, b, out);
        return;
    case FACET_GRAPH_MUL_MAP:
        facet_vk_op_mul_map(vg, a, b, out);
        return;
    case FACET_GRAPH_MOTION_INPUTS:
        facet_vk_op_motion_inputs(vg, a.offset, out, out2, n->param);
        return;
    case FACET_GRAPH_BLEND_FLOW:
        facet_vk_op_blend_flow(vg, a, b, out);
        return;
    case FACET_GRAPH_UPSAMPLE_GRID:
        facet_vk_op_upsample_grid(vg, a, out);
        return;
    case FACET_GRAPH_LOAD:
        facet_vk_op_load(vg, a.offset, (FacetVkSpace)t[n->out[0]].space, out.offset,
                         facet_vk_tensor_size(out));
        return;
    case FACET_GRAPH_STORE:
        facet_vk_op_store(vg, (FacetVkSpace)t[n->in[0]].space, a.offset, out.offset,
                          facet_vk_tensor_size(a));
        return;
    case FACET_GRAPH_PICTURE_OUT:
        facet_vk_op_picture_out(vg, a, out.offset, n->iparam[0], n->iparam[1], n->iparam[2]);
        return;
    case FACET_GRAPH_SUB:
        facet_vk_op_sub(vg, a, b, out);
        return;
    case FACET_GRAPH_FILL:
        facet_vk_op_fill(vg, out, n->param);
        return;
    case FACET_GRAPH_PIXEL_SHUFFLE:
        facet_vk_op_pixel_shuffle(vg, a, out);
        return;
    case FACET_GRAPH_FLOW_GRID:
        facet_vk_op_flow_grid(vg, n->in[0] >= 0, a, out);
        return;
    default:
        facet_vk_graph_fail(vg, -EINVAL);
        return;
    }
}

void facet_vk_executor_record(const FacetVkExecutor *x, FacetVkGraph *vg, int first, int last)
{
    if (first < 0 || last > x->graph->node_count) {
        facet_vk_graph_fail(vg, -EINVAL);
        return;
    }
    for (int i = first; i < last; i++)
        record_node(x, vg, &x->graph->nodes[i]);
}
