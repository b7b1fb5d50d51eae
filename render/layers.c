/* SPDX-License-Identifier: BSD-2-Clause */
/* Conv layers from a model file, and the arena; see layers.h. */
#include "render/layers.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int facet_network_load_conv(FacetConv2d *conv, const FacetModelFile *file, const char *prefix,
                            int out_c, int in_c, int k, int stride, FacetActivation act,
                            char *error, size_t error_size)
{
    char name[256];
    float *weights = NULL, *bias = NULL;
    size_t count;
    memset(conv, 0, sizeof(*conv));

    snprintf(name, sizeof(name), "%s.weight", prefix);
    const int64_t wshape[4] = {out_c, in_c, k, k};
    /* A tensor the file lacks is a model that does not fit (-EBADMSG), not a
     * missing file (-ENOENT). */
    int ret = facet_model_file_load_raw(file, name, 4, wshape, &weights, &count, error,
                                        error_size);
    if (ret < 0)
        return ret == -ENOENT ? -EBADMSG : ret;
    snprintf(name, sizeof(name), "%s.bias", prefix);
    const int64_t bshape[1] = {out_c};
    ret = facet_model_file_load_raw(file, name, 1, bshape, &bias, &count, error, error_size);
    if (ret < 0) {
        ret = ret == -ENOENT ? -EBADMSG : ret;
        goto done;
    }
    ret = facet_conv2d_init(conv, weights, bias, out_c, in_c, k, stride, act);
    if (ret < 0 && error && error_size)
        snprintf(error, error_size, "%s: layer '%s': %s", facet_model_file_path(file), prefix,
                 ret == -ENOMEM ? "out of memory" : "unsupported shape");
done:
    free(weights);
    free(bias);
    return ret;
}

void facet_network_need_scratch(size_t *floats, const FacetConv2d *conv, int h, int w)
{
    size_t need = facet_conv2d_scratch_floats(conv, h, w);
    if (need != SIZE_MAX && need > *floats)
        *floats = need;
}

void facet_arena_take(FacetArena *arena, FacetTensor *t, int c, int h, int w)
{
    const size_t align = FACET_TENSOR_ALIGN / sizeof(float);
    size_t count = (size_t)c * (size_t)h * (size_t)w;
    t->data = arena->base ? arena->base + arena->used : NULL;
    t->c = c;
    t->h = h;
    t->w = w;
    t->owned = 0;
    arena->used += (count + align - 1) / align * align;
    if (arena->used > arena->peak)
        arena->peak = arena->used;
}
