/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A network as a graph of ops over tensors (internal to libfacet): built
 * once per network, size and output by one builder (render/renderer_graph.c
 * for Facet v1's receiver, facet_hourglass_build() for the U-Net both
 * networks share), then run by either back end: the CPU executor
 * (graph_cpu.c) calls the op table of render/ops.h node by node on the
 * thread pool; the Vulkan executor (render/vulkan/vk_executor.c) records
 * the same nodes as dispatches into a command buffer once and re-submits
 * it. The model code never knows which back end runs it (ggml's
 * ggml_cgraph + ggml_backend_graph_compute, ncnn's Net + layers).
 *
 * Tensors are planar C x H x W float arrays addressed by an element offset
 * into one of three spaces, the three buffers of the Vulkan back end
 * (docs/vulkan.md): DATA (weights' users, activations; fp16 storage on
 * some devices), COORDS (sampling grids and flows, fp32 always) and HOST
 * (what the caller writes or reads: the reference picture, the keypoint
 * parameters, the frame). A view of channels is a tensor at a larger
 * offset, so concatenation is writing into views of one tensor. Memory is
 * planned like FacetArena: a builder lays its phases (reference encoder,
 * dense motion, decoder...) over the same offsets with
 * facet_graph_mark()/facet_graph_rewind(), and each space's peak is what
 * an executor allocates.
 *
 * Nodes are ops with up to three inputs and two outputs (tensor indices),
 * a conv layer for conv2d, an activation and a float or int parameters.
 * An op is one C kernel (FacetRenderOps) plus one shader plus a case in
 * each executor; the node list is in execution order. A builder marks the
 * ranges a caller runs (keyframe, frame...) by node index.
 *
 * Building never fails half-way silently: the first error (out of memory,
 * a negative size) is sticky in g->error and every later call does nothing.
 */
#ifndef FACET_RENDER_GRAPH_H
#define FACET_RENDER_GRAPH_H

#include <stddef.h>

#include "render/ops.h"

typedef enum FacetGraphSpace {
    FACET_GRAPH_DATA = 0,
    FACET_GRAPH_HOST,
    FACET_GRAPH_COORDS,
    FACET_GRAPH_SPACES
} FacetGraphSpace;

typedef enum FacetGraphOp {
    FACET_GRAPH_CONV2D = 0,       /* out[0] = act(conv(in[0])) */
    FACET_GRAPH_UPSAMPLE2X,       /* out[0] = nearest 2x of in[0] */
    FACET_GRAPH_AVGPOOL2X2,
    FACET_GRAPH_GRID_SAMPLE,      /* out[0] = sample in[0] at grid in[1] (COORDS) */
    FACET_GRAPH_SOFTMAX_CHANNELS,
    FACET_GRAPH_SOFTMAX_SPATIAL,  /* param: temperature */
    FACET_GRAPH_ACTIVATE,         /* out[0] = act(out[0]), in place */
    FACET_GRAPH_ADD,              /* out[0] = in[0] + in[1] */
    FACET_GRAPH_MUL,
    FACET_GRAPH_MUL_MAP,          /* out[0] = in[0] * in[1] (1 x H x W) */
    FACET_GRAPH_MOTION_INPUTS,    /* in[0] keypoint parameters (HOST) -> out[0] motions
                                   * (COORDS), out[1] the motion input's heat channels;
                                   * param: Gaussian variance */
    FACET_GRAPH_BLEND_FLOW,       /* out[0] (COORDS) = sum in[0] masks * in[1] motions */
    FACET_GRAPH_UPSAMPLE_GRID,    /* COORDS n -> 2n, model.py's upsample_grid2 */
    FACET_GRAPH_LOAD,             /* out[0] = in[0], from HOST */
    FACET_GRAPH_STORE,            /* out[0] (HOST) = in[0] */
    FACET_GRAPH_PICTURE_OUT,      /* the picture (render/picture_out.h) of in[0] into
                                   * out[0] (HOST, packed; the CPU writes the caller's
                                   * picture); iparam: format, width, height */
    FACET_GRAPH_SUB,              /* out[0] = in[0] - in[1] */
    FACET_GRAPH_FILL,             /* out[0] = param, every element */
    FACET_GRAPH_PIXEL_SHUFFLE,    /* out[0] = depth-to-space by 2 of in[0] */
    FACET_GRAPH_FLOW_GRID,        /* out[0] (COORDS) = identity + in[0] resized (in[0]
                                   * -1: the identity grid alone) */
    FACET_GRAPH_OP_COUNT
} FacetGraphOp;

typedef struct FacetGraphTensor {
    FacetGraphSpace space;
    size_t offset;        /* elements into its space */
    int c, h, w;
} FacetGraphTensor;

typedef struct FacetGraphNode {
    FacetGraphOp op;
    int in[3], out[2];    /* tensor indices, -1 when unused */
    const FacetConv2d *conv;
    FacetActivation act;
    float param;
    int iparam[3];
} FacetGraphNode;

typedef struct FacetGraph {
    FacetGraphTensor *tensors;
    int tensor_count, tensor_capacity;
    FacetGraphNode *nodes;
    int node_count, node_capacity;
    size_t used[FACET_GRAPH_SPACES], peak[FACET_GRAPH_SPACES];
    int fixed;            /* storage given by the caller: never grown */
    int error;            /* sticky: -ENOMEM, -EINVAL */
} FacetGraph;

/* Tensor and node blocks start at multiples of this many elements (64
 * bytes of fp32 for the CPU's aligned loads; the Vulkan layout's unit). */
#define FACET_GRAPH_ALIGN 64

/* An empty graph that grows on the heap; free with facet_graph_free(). */
void facet_graph_init(FacetGraph *g);
/* An empty graph in the caller's arrays (no allocation; running out of
 * room is -ENOMEM in g->error). */
void facet_graph_init_fixed(FacetGraph *g, FacetGraphTensor *tensors, int tensor_capacity,
                            FacetGraphNode *nodes, int node_capacity);
void facet_graph_free(FacetGraph *g);

/* A new c x h x w tensor in `space` at the space's current offset; its
 * index, or -1 after an error. */
int facet_graph_tensor(FacetGraph *g, FacetGraphSpace space, int c, int h, int w);
/* Channels [first, first + count) of tensor t: a tensor of its own. */
int facet_graph_view(FacetGraph *g, int t, int first, int count);

/* Phases: facet_graph_mark() saves where each space stands, and
 * facet_graph_rewind() lays the next tensors over the memory after it
 * (for tensors never alive at the same time as the ones rewound over). */
typedef struct FacetGraphMark {
    size_t used[FACET_GRAPH_SPACES];
} FacetGraphMark;
FacetGraphMark facet_graph_mark(const FacetGraph *g);
void facet_graph_rewind(FacetGraph *g, FacetGraphMark mark);

/* Appends a node; its index, or -1 after an error. The helpers below fill
 * the usual ones. */
int facet_graph_node(FacetGraph *g, const FacetGraphNode *node);
int facet_graph_conv2d(FacetGraph *g, const FacetConv2d *conv, int in, int out);
int facet_graph_unary(FacetGraph *g, FacetGraphOp op, int in, int out);
int facet_graph_binary(FacetGraph *g, FacetGraphOp op, int a, int b, int out);
int facet_graph_activate(FacetGraph *g, int t, FacetActivation act);

/* Elements of a tensor. */
static inline size_t facet_graph_tensor_size(const FacetGraphTensor *t)
{
    return (size_t)t->c * (size_t)t->h * (size_t)t->w;
}

/* Op names, as dispatch labels and in timings ("conv2d", ...). */
const char *facet_graph_op_name(FacetGraphOp op);

/* ---- the CPU executor ------------------------------------------------------ */

struct FacetRenderPicture;

/* The graph's tensors resolved to memory: one block per space (block[s]
 * holds g->peak[s] floats; NULL for an empty space) or a tensor bound to
 * the caller's memory. */
typedef struct FacetGraphCpu {
    const FacetGraph *graph;
    const FacetRenderOps *ops;
    FacetWorkspace *ws;
    FacetTensor *tensors;            /* graph->tensor_count, data resolved */
    struct FacetRenderPicture *picture; /* where PICTURE_OUT writes */
} FacetGraphCpu;

/* Resolves every tensor of `g` into tensors[0..g->tensor_count) (caller's
 * array) over the blocks. */
void facet_graph_cpu_init(FacetGraphCpu *x, const FacetGraph *g, const FacetRenderOps *ops,
                          FacetWorkspace *ws, float *const block[FACET_GRAPH_SPACES],
                          FacetTensor *tensors);
/* Tensor t reads and writes `data` from now on (a tensor without views:
 * an input or output). */
void facet_graph_cpu_bind(FacetGraphCpu *x, int t, float *data);
/* Runs nodes [first, last): 0 or the first op's error. LOAD and STORE
 * between the same memory do nothing. */
int facet_graph_cpu_run(FacetGraphCpu *x, int first, int last);

/* Largest conv workspace any conv node of `g` needs, max'ed into *floats. */
void facet_graph_need_scratch(const FacetGraph *g, size_t *floats);

#endif /* FACET_RENDER_GRAPH_H */
