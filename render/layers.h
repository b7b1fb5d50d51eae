/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the networks' loaders and buffers share (internal to libfacet): a
 * conv layer loaded from a model file with the shape its config implies,
 * views of channels, and the arena that lays tensors out in one
 * allocation. Below network.h and hourglass.h, which both use it.
 */
#ifndef FACET_RENDER_LAYERS_H
#define FACET_RENDER_LAYERS_H

#include <stddef.h>

#include "render/ops.h"
#include "render/safetensors.h"
#include "render/tensor.h"

/* Loads conv layer `prefix` (tensors `prefix.weight` [out_c, in_c, k, k] and
 * `prefix.bias` [out_c]) and packs it. 0 or a negative errno with a message
 * naming the file and tensor. */
int facet_network_load_conv(FacetConv2d *conv, const FacetModelFile *file, const char *prefix,
                            int out_c, int in_c, int k, int stride, FacetActivation act,
                            char *error, size_t error_size);

/* A view of channels [first, first + count) of t (owned = 0). A tensor
 * without data (an arena's sizing pass) gives a view without data: pointer
 * arithmetic on NULL is undefined. */
static inline FacetTensor facet_tensor_view(const FacetTensor *t, int first, int count)
{
    FacetTensor v;
    v.data = t->data ? t->data + (size_t)first * (size_t)t->h * (size_t)t->w : NULL;
    v.c = count;
    v.h = t->h;
    v.w = t->w;
    v.owned = 0;
    return v;
}

/* Largest workspace scratch `conv` needs on an h x w input, max'ed into
 * *floats. */
void facet_network_need_scratch(size_t *floats, const FacetConv2d *conv, int h, int w);

/* Tensors carved out of one allocation. A user lays out its buffers once
 * (facet_arena_take() per tensor, in a sizing pass with base == NULL, then
 * for real), so that buffers used in different phases can share memory by
 * being laid out from the same offset. */
typedef struct FacetArena {
    float *base;        /* NULL in the sizing pass */
    size_t used;        /* floats, a multiple of FACET_TENSOR_ALIGN / sizeof(float) */
    size_t peak;
} FacetArena;

/* Lays out a c x h x w tensor at the arena's current offset. */
void facet_arena_take(FacetArena *arena, FacetTensor *t, int c, int h, int w);

#endif /* FACET_RENDER_LAYERS_H */
