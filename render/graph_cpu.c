/* SPDX-License-Identifier: BSD-2-Clause */
/* The CPU executor of a graph: each node is one call of the op table
 * (ops.h), whose kernels spread their work over the workspace's thread
 * pool; see graph.h. */
#include "render/graph.h"

#include <errno.h>
#include <string.h>

#include "render/picture_out.h"

static FacetTensor resolve(const FacetGraphTensor *t, float *const block[FACET_GRAPH_SPACES])
{
    FacetTensor r = { NULL, t->c, t->h, t->w, 0 };
    float *base = block[t->space];
    r.data = base ? base + t->offset : NULL;
    return r;
}

void facet_graph_cpu_init(FacetGraphCpu *x, const FacetGraph *g, const FacetRenderOps *ops,
                          FacetWorkspace *ws, float *const block[FACET_GRAPH_SPACES],
                          FacetTensor *tensors)
{
    x->graph = g;
    x->ops = ops;
    x->ws = ws;
    x->tensors = tensors;
    x->picture = NULL;
    for (int i = 0; i < g->tensor_count; i++)
        tensors[i] = resolve(&g->tensors[i], block);
}

void facet_graph_cpu_bind(FacetGraphCpu *x, int t, float *data)
{
    if (t >= 0 && t < x->graph->tensor_count)
        x->tensors[t].data = data;
}

void facet_graph_need_scratch(const FacetGraph *g, size_t *floats)
{
    for (int i = 0; i < g->node_count; i++) {
        const FacetGraphNode *n = &g->nodes[i];
        if (n->op != FACET_GRAPH_CONV2D || n->in[0] < 0)
            continue;
        const FacetGraphTensor *in = &g->tensors[n->in[0]];
        size_t need = facet_conv2d_scratch_floats(n->conv, in->h, in->w);
        if (need > *floats)
            *floats = need;
    }
}

static int copy(const FacetTensor *src, FacetTensor *dst)
{
    if (!src->data || !dst->data || facet_tensor_size(src) != facet_tensor_size(dst))
        return -EINVAL;
    if (src->data != dst->data)
        memcpy(dst->data, src->data, sizeof(float) * facet_tensor_size(src));
    return 0;
}

static int run_node(FacetGraphCpu *x, const FacetGraphNode *n)
{
    const FacetRenderOps *ops = x->ops;
    FacetWorkspace *ws = x->ws;
    FacetTensor *t = x->tensors;
    const FacetTensor *a = n->in[0] >= 0 ? &t[n->in[0]] : NULL;
    const FacetTensor *b = n->in[1] >= 0 ? &t[n->in[1]] : NULL;
    FacetTensor *out = n->out[0] >= 0 ? &t[n->out[0]] : NULL;
    FacetTensor *out2 = n->out[1] >= 0 ? &t[n->out[1]] : NULL;
    switch (n->op) {
    case FACET_GRAPH_CONV2D:
        return ops->conv2d(ws, n->conv, a, out);
    case FACET_GRAPH_UPSAMPLE2X:
        return ops->upsample2x(ws, a, out);
    case FACET_GRAPH_AVGPOOL2X2:
        return ops->avgpool2x2(ws, a, out);
    case FACET_GRAPH_GRID_SAMPLE:
        return ops->grid_sample(ws, a, b, out);
    case FACET_GRAPH_SOFTMAX_CHANNELS:
        return ops->softmax_channels(ws, a, out);
    case FACET_GRAPH_SOFTMAX_SPATIAL:
        return ops->softmax_spatial(ws, a, n->param, out);
    case FACET_GRAPH_ACTIVATE:
        return ops->activate(ws, out, n->act);
    case FACET_GRAPH_ADD:
        return ops->add(ws, a, b, out);
    case FACET_GRAPH_MUL:
        return ops->mul(ws, a, b, out);
    case FACET_GRAPH_MUL_MAP:
        return ops->mul_map(ws, a, b, out);
    case FACET_GRAPH_MOTION_INPUTS:
        return ops->motion_inputs(ws, a, n->param, out, out2);
    case FACET_GRAPH_BLEND_FLOW:
        return ops->blend_flow(ws, a, b, out);
    case FACET_GRAPH_UPSAMPLE_GRID:
        return ops->upsample_grid(ws, a, out);
    case FACET_GRAPH_LOAD:
    case FACET_GRAPH_STORE:
        return copy(a, out);
    case FACET_GRAPH_PICTURE_OUT:
        if (!x->picture || (int)x->picture->format != n->iparam[0] ||
            x->picture->width != n->iparam[1] || x->picture->height != n->iparam[2])
            return -EINVAL;
        return facet_picture_out(ws->pool, a, x->picture);
    case FACET_GRAPH_SUB:
        return ops->sub(ws, a, b, out);
    case FACET_GRAPH_FILL:
        return ops->fill(ws, out, n->param);
    case FACET_GRAPH_PIXEL_SHUFFLE:
        return ops->pixel_shuffle(ws, a, out);
    case FACET_GRAPH_FLOW_GRID:
        return ops->flow_grid(ws, a, out);
    default:
        return -EINVAL;
    }
}

int facet_graph_cpu_run(FacetGraphCpu *x, int first, int last)
{
    if (!x || !x->graph || first < 0 || last > x->graph->node_count)
        return -EINVAL;
    for (int i = first; i < last; i++) {
        int ret = run_node(x, &x->graph->nodes[i]);
        if (ret < 0)
            return ret;
    }
    return 0;
}
