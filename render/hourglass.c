/* SPDX-License-Identifier: BSD-2-Clause */
/* The Hourglass U-Net; see hourglass.h. */
#include "render/hourglass.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "render/layers.h"

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

void facet_hourglass_build(FacetGraph *g, const FacetHourglass *hg, int in, int out)
{
    int last = hg->levels - 1;
    if (last == 0) {
        facet_graph_conv2d(g, &hg->down[0], in, out);
        return;
    }
    const FacetGraphTensor *t = in >= 0 ? &g->tensors[in] : NULL;
    int h = t ? t->h : 1, w = t ? t->w : 1;
    int cat[FACET_HOURGLASS_MAX_LEVELS], up_out[FACET_HOURGLASS_MAX_LEVELS];
    for (int i = 0; i < last; i++)
        cat[i] = facet_graph_tensor(g, FACET_GRAPH_DATA, hg->chs[i + 1] + hg->chs[i], h >> i,
                                    w >> i);
    int bottom = facet_graph_tensor(g, FACET_GRAPH_DATA, hg->chs[last], h >> last, w >> last);
    for (int i = 1; i < last; i++)
        up_out[i] = facet_graph_tensor(g, FACET_GRAPH_DATA, hg->chs[i], h >> i, w >> i);

    /* Down: each level's output is the skip half of its concat buffer. */
    int x = in;
    for (int i = 0; i < last; i++) {
        int skip = facet_graph_view(g, cat[i], hg->chs[i + 1], hg->chs[i]);
        facet_graph_conv2d(g, &hg->down[i], x, skip);
        x = skip;
    }
    facet_graph_conv2d(g, &hg->down[last], x, bottom);

    /* Up: upsample the deeper result into the front half, conv the whole. */
    x = bottom;
    for (int j = 0; j < last; j++) {
        int i = last - 1 - j;
        int front = facet_graph_view(g, cat[i], 0, hg->chs[i + 1]);
        facet_graph_unary(g, FACET_GRAPH_UPSAMPLE2X, x, front);
        int dst = i == 0 ? out : up_out[i];
        facet_graph_conv2d(g, &hg->up[j], cat[i], dst);
        x = dst;
    }
}

/* The detector's hourglass as a small graph on the stack: in and out are
 * HOST tensors bound to the caller's, the buffers DATA over `block`. */
#define SMALL_TENSORS 64
#define SMALL_NODES 32

typedef struct SmallGraph {
    FacetGraph g;
    FacetGraphTensor tensors[SMALL_TENSORS];
    FacetGraphNode nodes[SMALL_NODES];
    int in, out;
} SmallGraph;

static int build_small(SmallGraph *s, const FacetHourglass *hg, int h, int w)
{
    facet_graph_init_fixed(&s->g, s->tensors, SMALL_TENSORS, s->nodes, SMALL_NODES);
    s->in = facet_graph_tensor(&s->g, FACET_GRAPH_HOST, hg->in_c, h, w);
    s->out = facet_graph_tensor(&s->g, FACET_GRAPH_HOST, hg->chs[0], h, w);
    facet_hourglass_build(&s->g, hg, s->in, s->out);
    return s->g.error;
}

void facet_hourglass_layout(const FacetHourglass *hg, int h, int w, FacetArena *arena,
                            FacetHourglassBuffers *b)
{
    memset(b, 0, sizeof(*b));
    b->h = h;
    b->w = w;
    SmallGraph s;
    if (build_small(&s, hg, h, w) < 0 || s.g.peak[FACET_GRAPH_DATA] == 0)
        return;
    size_t floats = s.g.peak[FACET_GRAPH_DATA];
    FacetTensor t;
    facet_arena_take(arena, &t, 1, (int)((floats + 1023) / 1024), 1024);
    b->block = t.data;
}

int facet_hourglass_run(const FacetHourglass *hg, const FacetRenderOps *ops, FacetWorkspace *ws,
                        FacetHourglassBuffers *b, const FacetTensor *in, FacetTensor *out)
{
    if (!in || !out || in->h != b->h || in->w != b->w)
        return -EINVAL;
    SmallGraph s;
    int ret = build_small(&s, hg, b->h, b->w);
    if (ret < 0)
        return ret;
    float *block[FACET_GRAPH_SPACES] = { b->block, NULL, NULL };
    FacetTensor tensors[SMALL_TENSORS];
    FacetGraphCpu x;
    facet_graph_cpu_init(&x, &s.g, ops, ws, block, tensors);
    facet_graph_cpu_bind(&x, s.in, in->data);
    facet_graph_cpu_bind(&x, s.out, out->data);
    /* The caller's shapes are checked by the ops (a view of another shape
     * fails there). */
    tensors[s.in].c = in->c;
    tensors[s.out].c = out->c;
    return facet_graph_cpu_run(&x, 0, s.g.node_count);
}
