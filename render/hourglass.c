/* The Hourglass U-Net; see hourglass.h. */
#include "render/hourglass.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "render/network.h"

int facet_hourglass_load(FacetHourglass *hg, const FacetModelFile *file, const char *prefix,
                         int in_c, const int *chs, int levels, char *error, size_t error_size)
{
    memset(hg, 0, sizeof(*hg));
    if (levels < 1 || levels > FACET_HOURGLASS_MAX_LEVELS || in_c < 1)
        return -EINVAL;
    hg->in_c = in_c;
    hg->levels = levels;
    memcpy(hg->chs, chs, sizeof(int) * (size_t)levels);

    char name[256];
    int ret;
    for (int i = 0; i < levels; i++) {
        snprintf(name, sizeof(name), "%s.down.%d", prefix, i);
        ret = facet_network_load_conv(&hg->down[i], file, name, chs[i], i ? chs[i - 1] : in_c, 3,
                                      i ? 2 : 1, FACET_ACT_RELU, error, error_size);
        if (ret < 0)
            goto error;
    }
    for (int j = 0; j < levels - 1; j++) {
        int i = levels - 2 - j;
        snprintf(name, sizeof(name), "%s.up.%d", prefix, j);
        ret = facet_network_load_conv(&hg->up[j], file, name, chs[i], chs[i + 1] + chs[i], 3, 1,
                                      FACET_ACT_RELU, error, error_size);
        if (ret < 0)
            goto error;
    }
    return 0;

error:
    facet_hourglass_free(hg);
    return ret;
}

void facet_hourglass_free(FacetHourglass *hg)
{
    if (!hg)
        return;
    for (int i = 0; i < FACET_HOURGLASS_MAX_LEVELS; i++)
        facet_conv2d_free(&hg->down[i]);
    for (int j = 0; j < FACET_HOURGLASS_MAX_LEVELS - 1; j++)
        facet_conv2d_free(&hg->up[j]);
    memset(hg, 0, sizeof(*hg));
}

int facet_hourglass_size_multiple(const FacetHourglass *hg)
{
    return 1 << (hg->levels - 1);
}

void facet_hourglass_need_scratch(const FacetHourglass *hg, int h, int w, size_t *floats)
{
    for (int i = 0; i < hg->levels; i++) {
        /* down[i] reads level i-1 (i >= 1) or the input. */
        int shift = i ? i - 1 : 0;
        facet_network_need_scratch(floats, &hg->down[i], h >> shift, w >> shift);
    }
    for (int j = 0; j < hg->levels - 1; j++) {
        int i = hg->levels - 2 - j;
        facet_network_need_scratch(floats, &hg->up[j], h >> i, w >> i);
    }
}

void facet_hourglass_layout(const FacetHourglass *hg, int h, int w, FacetArena *arena,
                            FacetHourglassBuffers *b)
{
    memset(b, 0, sizeof(*b));
    b->h = h;
    b->w = w;
    int last = hg->levels - 1;
    for (int i = 0; i < last; i++)
        facet_arena_take(arena, &b->cat[i], hg->chs[i + 1] + hg->chs[i], h >> i, w >> i);
    if (last > 0)
        facet_arena_take(arena, &b->bottom, hg->chs[last], h >> last, w >> last);
    for (int i = 1; i < last; i++)
        facet_arena_take(arena, &b->up_out[i], hg->chs[i], h >> i, w >> i);
}

int facet_hourglass_run(const FacetHourglass *hg, const FacetRenderOps *ops, FacetWorkspace *ws,
                        FacetHourglassBuffers *b, const FacetTensor *in, FacetTensor *out)
{
    int last = hg->levels - 1;
    if (!in || !out || in->h != b->h || in->w != b->w)
        return -EINVAL;
    if (last == 0)
        return ops->conv2d(ws, &hg->down[0], in, out);

    /* Down: each level's output is the skip half of its concat buffer. */
    int ret;
    FacetTensor x = *in;
    for (int i = 0; i < last; i++) {
        FacetTensor skip = facet_tensor_view(&b->cat[i], hg->chs[i + 1], hg->chs[i]);
        if ((ret = ops->conv2d(ws, &hg->down[i], &x, &skip)) < 0)
            return ret;
        x = skip;
    }
    if ((ret = ops->conv2d(ws, &hg->down[last], &x, &b->bottom)) < 0)
        return ret;

    /* Up: upsample the deeper result into the front half, conv the whole. */
    x = b->bottom;
    for (int j = 0; j < last; j++) {
        int i = last - 1 - j;
        FacetTensor front = facet_tensor_view(&b->cat[i], 0, hg->chs[i + 1]);
        if ((ret = ops->upsample2x(ws, &x, &front)) < 0)
            return ret;
        FacetTensor *dst = i == 0 ? out : &b->up_out[i];
        if ((ret = ops->conv2d(ws, &hg->up[j], &b->cat[i], dst)) < 0)
            return ret;
        x = *dst;
    }
    return 0;
}
