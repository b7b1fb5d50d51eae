/* SPDX-License-Identifier: BSD-2-Clause */
/* Building a graph; see graph.h. */
#include "render/graph.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void facet_graph_init(FacetGraph *g)
{
    memset(g, 0, sizeof(*g));
}

void facet_graph_init_fixed(FacetGraph *g, FacetGraphTensor *tensors, int tensor_capacity,
                            FacetGraphNode *nodes, int node_capacity)
{
    memset(g, 0, sizeof(*g));
    g->tensors = tensors;
    g->tensor_capacity = tensor_capacity;
    g->nodes = nodes;
    g->node_capacity = node_capacity;
    g->fixed = 1;
}

void facet_graph_free(FacetGraph *g)
{
    if (!g)
        return;
    if (!g->fixed) {
        free(g->tensors);
        free(g->nodes);
    }
    memset(g, 0, sizeof(*g));
}

/* Room for one more item of `size` bytes in *array (count, capacity). */
static int grow(FacetGraph *g, void **array, int count, int *capacity, size_t size)
{
    if (count < *capacity)
        return 0;
    if (g->fixed || *capacity > (1 << 20)) {
        g->error = -ENOMEM;
        return -ENOMEM;
    }
    int cap = *capacity ? 2 * *capacity : 64;
    void *p = realloc(*array, size * (size_t)cap);
    if (!p) {
        g->error = -ENOMEM;
        return -ENOMEM;
    }
    *array = p;
    *capacity = cap;
    return 0;
}

static int add_tensor(FacetGraph *g, FacetGraphTensor t)
{
    if (g->error || grow(g, (void **)&g->tensors, g->tensor_count, &g->tensor_capacity,
                         sizeof(*g->tensors)) < 0)
        return -1;
    g->tensors[g->tensor_count] = t;
    return g->tensor_count++;
}

int facet_graph_tensor(FacetGraph *g, FacetGraphSpace space, int c, int h, int w)
{
    if (g->error)
        return -1;
    if ((unsigned)space >= FACET_GRAPH_SPACES || c < 1 || h < 1 || w < 1) {
        g->error = -EINVAL;
        return -1;
    }
    FacetGraphTensor t = { space, g->used[space], c, h, w };
    size_t n = facet_graph_tensor_size(&t);
    g->used[space] += (n + FACET_GRAPH_ALIGN - 1) / FACET_GRAPH_ALIGN * FACET_GRAPH_ALIGN;
    if (g->used[space] > g->peak[space])
        g->peak[space] = g->used[space];
    return add_tensor(g, t);
}

int facet_graph_view(FacetGraph *g, int t, int first, int count)
{
    if (g->error)
        return -1;
    if (t < 0 || t >= g->tensor_count || first < 0 || count < 1 ||
        first + count > g->tensors[t].c) {
        g->error = -EINVAL;
        return -1;
    }
    FacetGraphTensor v = g->tensors[t];
    v.offset += (size_t)first * (size_t)v.h * (size_t)v.w;
    v.c = count;
    return add_tensor(g, v);
}

FacetGraphMark facet_graph_mark(const FacetGraph *g)
{
    FacetGraphMark m;
    memcpy(m.used, g->used, sizeof(m.used));
    return m;
}

void facet_graph_rewind(FacetGraph *g, FacetGraphMark mark)
{
    memcpy(g->used, mark.used, sizeof(g->used));
}

int facet_graph_node(FacetGraph *g, const FacetGraphNode *node)
{
    if (g->error || grow(g, (void **)&g->nodes, g->node_count, &g->node_capacity,
                         sizeof(*g->nodes)) < 0)
        return -1;
    for (int i = 0; i < 3; i++)
        if (node->in[i] < -1 || node->in[i] >= g->tensor_count)
            g->error = -EINVAL;
    for (int i = 0; i < 2; i++)
        if (node->out[i] < -1 || node->out[i] >= g->tensor_count)
            g->error = -EINVAL;
    if ((unsigned)node->op >= FACET_GRAPH_OP_COUNT)
        g->error = -EINVAL;
    if (g->error)
        return -1;
    g->nodes[g->node_count] = *node;
    return g->node_count++;
}

static FacetGraphNode plain(FacetGraphOp op)
{
    FacetGraphNode n;
    memset(&n, 0, sizeof(n));
    n.op = op;
    n.in[0] = n.in[1] = n.in[2] = -1;
    n.out[0] = n.out[1] = -1;
    return n;
}

int facet_graph_conv2d(FacetGraph *g, const FacetConv2d *conv, int in, int out)
{
    FacetGraphNode n = plain(FACET_GRAPH_CONV2D);
    n.conv = conv;
    n.in[0] = in;
    n.out[0] = out;
    return facet_graph_node(g, &n);
}

int facet_graph_unary(FacetGraph *g, FacetGraphOp op, int in, int out)
{
    FacetGraphNode n = plain(op);
    n.in[0] = in;
    n.out[0] = out;
    return facet_graph_node(g, &n);
}

int facet_graph_binary(FacetGraph *g, FacetGraphOp op, int a, int b, int out)
{
    FacetGraphNode n = plain(op);
    n.in[0] = a;
    n.in[1] = b;
    n.out[0] = out;
    return facet_graph_node(g, &n);
}

int facet_graph_activate(FacetGraph *g, int t, FacetActivation act)
{
    FacetGraphNode n = plain(FACET_GRAPH_ACTIVATE);
    n.out[0] = t;
    n.act = act;
    return facet_graph_node(g, &n);
}

const char *facet_graph_op_name(FacetGraphOp op)
{
    static const char *const names[FACET_GRAPH_OP_COUNT] = {
        [FACET_GRAPH_CONV2D] = "conv2d",
        [FACET_GRAPH_UPSAMPLE2X] = "upsample2x",
        [FACET_GRAPH_AVGPOOL2X2] = "avgpool2x2",
        [FACET_GRAPH_GRID_SAMPLE] = "grid_sample",
        [FACET_GRAPH_SOFTMAX_CHANNELS] = "softmax_channels",
        [FACET_GRAPH_SOFTMAX_SPATIAL] = "softmax_spatial",
        [FACET_GRAPH_ACTIVATE] = "activate",
        [FACET_GRAPH_ADD] = "add",
        [FACET_GRAPH_MUL] = "mul",
        [FACET_GRAPH_MUL_MAP] = "mul_map",
        [FACET_GRAPH_MOTION_INPUTS] = "motion_inputs",
        [FACET_GRAPH_BLEND_FLOW] = "blend_flow",
        [FACET_GRAPH_UPSAMPLE_GRID] = "upsample_grid",
        [FACET_GRAPH_LOAD] = "load",
        [FACET_GRAPH_STORE] = "store",
        [FACET_GRAPH_PICTURE_OUT] = "picture_out",
        [FACET_GRAPH_SUB] = "sub",
        [FACET_GRAPH_FILL] = "fill",
        [FACET_GRAPH_PIXEL_SHUFFLE] = "pixel_shuffle",
        [FACET_GRAPH_FLOW_GRID] = "flow_grid",
    };
    return (unsigned)op < FACET_GRAPH_OP_COUNT ? names[op] : "?";
}
