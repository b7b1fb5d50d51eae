/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The U-Net "Hourglass" of train/model.py (internal to libfacet), shared by
 * the keypoint detector and DenseMotion.
 *
 *   down[0]: conv3x3 in_c -> chs[0] + ReLU at h x w
 *   down[i]: conv3x3 stride 2, chs[i-1] -> chs[i] + ReLU, at h / 2^i
 *   up, for level i = L-2 .. 0:
 *            conv3x3 (chs[i+1] + chs[i]) -> chs[i] + ReLU on
 *            cat([upsample2x(deeper), skip_i]) at h / 2^i
 *
 * Concatenation costs nothing: each down conv writes its output straight
 * into the skip half of its level's concat buffer, and the upsample of the
 * deeper level writes into the other half. The last up conv writes into the
 * caller's output tensor, which may be a view (DenseMotion puts it in front
 * of its input in one buffer).
 *
 * The hourglass is described once, as graph nodes (facet_hourglass_build(),
 * render/graph.h): the renderer's graph includes it and runs on either back
 * end; the keypoint detector runs the same nodes on the CPU through
 * facet_hourglass_layout() / facet_hourglass_run().
 */
#ifndef FACET_RENDER_HOURGLASS_H
#define FACET_RENDER_HOURGLASS_H

#include <stddef.h>

#include "render/graph.h"
#include "render/ops.h"
#include "render/safetensors.h"
#include "render/tensor.h"

#define FACET_HOURGLASS_MAX_LEVELS 6

/* The weights. */
typedef struct FacetHourglass {
    int in_c, levels;
    int chs[FACET_HOURGLASS_MAX_LEVELS];
    FacetConv2d down[FACET_HOURGLASS_MAX_LEVELS];
    /* up[j] is model.py's up.j: it works at level L-2-j. */
    FacetConv2d up[FACET_HOURGLASS_MAX_LEVELS - 1];
} FacetHourglass;

/* The intermediate buffers for one input size: one block of memory the
 * caller owns (see facet_hourglass_layout()). */
typedef struct FacetHourglassBuffers {
    int h, w;
    float *block;
} FacetHourglassBuffers;

/* Loads `prefix`.down.i and `prefix`.up.j for an input of in_c channels and
 * the given level widths (1 <= levels <= FACET_HOURGLASS_MAX_LEVELS). 0 or a
 * negative errno with a message naming the file and tensor; on failure
 * nothing stays allocated. */
int facet_hourglass_load(FacetHourglass *hg, const FacetModelFile *file, const char *prefix,
                         int in_c, const int *chs, int levels, char *error, size_t error_size);
void facet_hourglass_free(FacetHourglass *hg);

/* Input sides must be multiples of this (2^(L-1)). */
int facet_hourglass_size_multiple(const FacetHourglass *hg);

/* Largest conv scratch for an h x w input, max'ed into *floats. */
void facet_hourglass_need_scratch(const FacetHourglass *hg, int h, int w, size_t *floats);

/* Appends the hourglass to `g`: `in` (in_c x h x w) -> `out` (chs[0] x h
 * x w, may be a view), its buffers laid out in g's DATA space from where
 * it stands. */
void facet_hourglass_build(FacetGraph *g, const FacetHourglass *hg, int in, int out);

struct FacetArena;
/* Lays the buffers for an h x w input out in `arena` (see layers.h). */
void facet_hourglass_layout(const FacetHourglass *hg, int h, int w, struct FacetArena *arena,
                            FacetHourglassBuffers *buffers);

/* out = hourglass(in): in is in_c x h x w, out chs[0] x h x w, both may be
 * views, neither may overlap the buffers. 0 or the first op's error. */
int facet_hourglass_run(const FacetHourglass *hg, const FacetRenderOps *ops, FacetWorkspace *ws,
                        FacetHourglassBuffers *buffers, const FacetTensor *in, FacetTensor *out);

#endif /* FACET_RENDER_HOURGLASS_H */
