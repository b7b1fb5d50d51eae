/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The tensor type of the neural runtime.
 *
 * One picture at a time (batch 1), float32, planar channel-major layout
 * (C, H, W) with rows contiguous: kernels loop over channels outside and over
 * pixels inside, so the compiler vectorises the inner loops along a row.
 */
#ifndef FACET_RENDER_TENSOR_H
#define FACET_RENDER_TENSOR_H

#include <stddef.h>

/* Tensor buffers start on this alignment (bytes), for aligned vector loads. */
#define FACET_TENSOR_ALIGN 64

typedef struct FacetTensor {
    float *data;    /* channel c, row y, column x at data[(c * h + y) * w + x] */
    int c, h, w;
    int owned;      /* data was allocated by facet_tensor_alloc() */
} FacetTensor;

/* Allocates a zeroed c x h x w tensor. Returns 0, -EINVAL (a dimension < 1
 * or a size that overflows) or -ENOMEM. */
int facet_tensor_alloc(FacetTensor *tensor, int c, int h, int w);

/* Frees an owned tensor and zeroes the struct; safe on a zeroed struct. */
void facet_tensor_free(FacetTensor *tensor);

/* Number of elements. */
static inline size_t facet_tensor_size(const FacetTensor *tensor)
{
    return (size_t)tensor->c * (size_t)tensor->h * (size_t)tensor->w;
}

/* Pointer to the first element of channel c. */
static inline float *facet_tensor_channel(const FacetTensor *tensor, int c)
{
    return tensor->data + (size_t)c * (size_t)tensor->h * (size_t)tensor->w;
}

#endif /* FACET_RENDER_TENSOR_H */
