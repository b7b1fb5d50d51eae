/* SPDX-License-Identifier: BSD-2-Clause */
/* Tensor memory; see tensor.h. */
#include "render/tensor.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int facet_tensor_alloc(FacetTensor *tensor, int c, int h, int w)
{
    if (!tensor)
        return -EINVAL;
    memset(tensor, 0, sizeof(*tensor));
    if (c < 1 || h < 1 || w < 1)
        return -EINVAL;
    size_t count = (size_t)c;
    if (count > SIZE_MAX / (size_t)h || count * (size_t)h > SIZE_MAX / (size_t)w)
        return -EINVAL;
    count *= (size_t)h * (size_t)w;
    if (count > (SIZE_MAX - FACET_TENSOR_ALIGN) / sizeof(float))
        return -EINVAL;
    size_t bytes = (count * sizeof(float) + FACET_TENSOR_ALIGN - 1) / FACET_TENSOR_ALIGN *
                   FACET_TENSOR_ALIGN;
    float *data = aligned_alloc(FACET_TENSOR_ALIGN, bytes);
    if (!data)
        return -ENOMEM;
    memset(data, 0, bytes);
    tensor->data = data;
    tensor->c = c;
    tensor->h = h;
    tensor->w = w;
    tensor->owned = 1;
    return 0;
}

void facet_tensor_free(FacetTensor *tensor)
{
    if (!tensor)
        return;
    if (tensor->owned)
        free(tensor->data);
    memset(tensor, 0, sizeof(*tensor));
}
