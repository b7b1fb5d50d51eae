/* SPDX-License-Identifier: BSD-2-Clause */
/* The keypoint detector; see detector.h and docs/renderer.md. */
#include "keypoints/detector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render/hourglass.h"

_Static_assert(FACET_MAX_KEYPOINTS == FACET_NETWORK_MAX_KEYPOINTS,
               "keypoint set and network disagree on the most keypoints");

struct FacetKeypointDetector {
    const FacetNetwork *net;
    FacetRenderOps ops;
    FacetWorkspace ws;
    int size, h, w; /* image side; heatmap side h = w = size / 4 */
    float *memory;
    FacetTensor half, quarter;      /* the image pooled once and twice */
    FacetTensor features;           /* hourglass output */
    FacetHourglassBuffers hourglass;
    FacetTensor heat;               /* K maps: logits, then softmax in place */
    FacetTensor jacobian;           /* 4K maps, map 4k + 2 row + column */
    float *grid_x, *grid_y;         /* identity grid: w and h pixel centres */
};

static void layout(FacetKeypointDetector *d, FacetArena *arena)
{
    const FacetNetwork *net = d->net;
    int k = net->config.num_kp;
    facet_arena_take(arena, &d->half, 3, d->size / 2, d->size / 2);
    facet_arena_take(arena, &d->quarter, 3, d->h, d->w);
    facet_arena_take(arena, &d->features, net->config.kp_chs[0], d->h, d->w);
    facet_hourglass_layout(&net->detector.hourglass, d->h, d->w, arena, &d->hourglass);
    facet_arena_take(arena, &d->heat, k, d->h, d->w);
    facet_arena_take(arena, &d->jacobian, 4 * k, d->h, d->w);
    FacetTensor gx, gy;
    facet_arena_take(arena, &gx, 1, 1, d->w);
    facet_arena_take(arena, &gy, 1, 1, d->h);
    d->grid_x = gx.data;
    d->grid_y = gy.data;
}

int facet_keypoint_detector_create(FacetKeypointDetector **out, const FacetNetwork *net,
                                   int size, FacetThreadPool *pool, int ops_flags)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!net || !facet_network_size_supported(net, size))
        return -EINVAL;
    FacetKeypointDetector *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->net = net;
    d->size = size;
    d->h = d->w = size / 4;
    facet_render_ops_init(&d->ops, ops_flags);
    facet_workspace_init(&d->ws, pool);

    FacetArena arena = {0};
    layout(d, &arena);
    d->memory = aligned_alloc(FACET_TENSOR_ALIGN, arena.peak * sizeof(float));
    if (!d->memory)
        goto nomem;
    memset(d->memory, 0, arena.peak * sizeof(float));
    arena = (FacetArena){d->memory, 0, 0};
    layout(d, &arena);

    /* model.py's identity_grid: (2 i + 1) / W - 1, in float as torch does. */
    for (int x = 0; x < d->w; x++)
        d->grid_x[x] = (float)(2 * x + 1) / (float)d->w - 1.0f;
    for (int y = 0; y < d->h; y++)
        d->grid_y[y] = (float)(2 * y + 1) / (float)d->h - 1.0f;

    size_t scratch = 0;
    facet_hourglass_need_scratch(&net->detector.hourglass, d->h, d->w, &scratch);
    facet_network_need_scratch(&scratch, &net->detector.heatmap, d->h, d->w);
    facet_network_need_scratch(&scratch, &net->detector.jacobian, d->h, d->w);
    if (facet_workspace_reserve(&d->ws, scratch) < 0)
        goto nomem;
    *out = d;
    return 0;

nomem:
    facet_keypoint_detector_destroy(&d);
    return -ENOMEM;
}

void facet_keypoint_detector_destroy(FacetKeypointDetector **pdet)
{
    if (!pdet || !*pdet)
        return;
    FacetKeypointDetector *d = *pdet;
    facet_workspace_free(&d->ws);
    free(d->memory);
    free(d);
    *pdet = NULL;
}

int facet_keypoint_detector_run(FacetKeypointDetector *d, const FacetTensor *rgb,
                                FacetKeypointSet *out)
{
    if (!d || !rgb || !out || !rgb->data || rgb->c != 3 || rgb->h != d->size ||
        rgb->w != d->size)
        return -EINVAL;
    const FacetNetwork *net = d->net;
    const FacetRenderOps *ops = &d->ops;
    FacetWorkspace *ws = &d->ws;
    int ret;
    if ((ret = ops->avgpool2x2(ws, rgb, &d->half)) < 0 ||
        (ret = ops->avgpool2x2(ws, &d->half, &d->quarter)) < 0 ||
        (ret = facet_hourglass_run(&net->detector.hourglass, ops, ws, &d->hourglass,
                                   &d->quarter, &d->features)) < 0 ||
        (ret = ops->conv2d(ws, &net->detector.heatmap, &d->features, &d->heat)) < 0 ||
        (ret = ops->softmax_spatial(ws, &d->heat, net->heatmap_temperature, &d->heat)) < 0 ||
        (ret = ops->conv2d(ws, &net->detector.jacobian, &d->features, &d->jacobian)) < 0)
        return ret;

    /* Soft-argmax: expectations under each heatmap (in double: 4096 terms at
     * S = 256, and the sums are cheap next to the convs). */
    int k_count = net->config.num_kp;
    memset(out, 0, sizeof(*out));
    out->count = k_count;
    for (int k = 0; k < k_count; k++) {
        const float *heat = facet_tensor_channel(&d->heat, k);
        const float *jac[4];
        for (int j = 0; j < 4; j++)
            jac[j] = facet_tensor_channel(&d->jacobian, 4 * k + j);
        double sx = 0, sy = 0, sj[4] = {0, 0, 0, 0};
        for (int y = 0; y < d->h; y++) {
            double row = 0, row_x = 0, row_j[4] = {0, 0, 0, 0};
            size_t base = (size_t)y * (size_t)d->w;
            for (int x = 0; x < d->w; x++) {
                double p = heat[base + (size_t)x];
                row += p;
                row_x += p * d->grid_x[x];
                for (int j = 0; j < 4; j++)
                    row_j[j] += p * jac[j][base + (size_t)x];
            }
            sx += row_x;
            sy += row * d->grid_y[y];
            for (int j = 0; j < 4; j++)
                sj[j] += row_j[j];
        }
        FacetKeypoint *p = &out->points[k];
        p->x = (float)sx;
        p->y = (float)sy;
        p->jacobian[0][0] = (float)sj[0];
        p->jacobian[0][1] = (float)sj[1];
        p->jacobian[1][0] = (float)sj[2];
        p->jacobian[1][1] = (float)sj[3];
    }
    return 0;
}

void facet_keypoint_detector_tensors(const FacetKeypointDetector *det,
                                     FacetKeypointDetectorTensors *t)
{
    if (!t)
        return;
    memset(t, 0, sizeof(*t));
    if (!det)
        return;
    t->pooled = &det->quarter;
    t->hourglass = &det->features;
    t->heatmaps = &det->heat;
    t->jacobian_maps = &det->jacobian;
}
