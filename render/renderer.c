/* SPDX-License-Identifier: BSD-2-Clause */
/* The renderer on the CPU: the graph of renderer_graph.c run by the CPU
 * executor (graph.h) on the op table; see renderer.h and docs/renderer.md. */
#include "render/renderer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render/renderer_graph.h"

struct FacetRenderer {
    const FacetNetwork *net;
    FacetRenderOps ops;
    FacetWorkspace ws;
    int size, k;
    FacetRendererGraph rg;
    FacetGraphCpu exec;
    FacetTensor *tensors;  /* the graph's, resolved */
    float *memory[FACET_GRAPH_SPACES];

    int has_keyframe;
    FacetKeypointSet kp_ref;
};

int facet_renderer_create(FacetRenderer **out, const FacetNetwork *net, int size,
                          FacetThreadPool *pool, int ops_flags)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!net || !facet_network_size_supported(net, size))
        return -EINVAL;
    FacetRenderer *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->net = net;
    r->size = size;
    r->k = net->config.num_kp;
    facet_render_ops_init(&r->ops, ops_flags);
    facet_workspace_init(&r->ws, pool);
    int ret = facet_renderer_graph_build(&r->rg, net, size, NULL);
    if (ret < 0)
        goto error;
    const FacetGraph *g = &r->rg.graph;
    ret = -ENOMEM;
    for (int s = 0; s < FACET_GRAPH_SPACES; s++) {
        if (!g->peak[s])
            continue;
        r->memory[s] = aligned_alloc(FACET_TENSOR_ALIGN, g->peak[s] * sizeof(float));
        if (!r->memory[s])
            goto error;
        memset(r->memory[s], 0, g->peak[s] * sizeof(float));
    }
    r->tensors = calloc((size_t)g->tensor_count, sizeof(*r->tensors));
    if (!r->tensors)
        goto error;
    facet_graph_cpu_init(&r->exec, g, &r->ops, &r->ws, r->memory, r->tensors);

    /* The largest conv scratch of any layer, so that no frame grows it. */
    size_t scratch = 0;
    facet_graph_need_scratch(g, &scratch);
    if (facet_workspace_reserve(&r->ws, scratch) < 0)
        goto error;
    *out = r;
    return 0;

error:
    facet_renderer_destroy(&r);
    return ret;
}

void facet_renderer_destroy(FacetRenderer **pr)
{
    if (!pr || !*pr)
        return;
    FacetRenderer *r = *pr;
    facet_workspace_free(&r->ws);
    facet_renderer_graph_free(&r->rg);
    for (int s = 0; s < FACET_GRAPH_SPACES; s++)
        free(r->memory[s]);
    free(r->tensors);
    free(r);
    *pr = NULL;
}

void facet_renderer_tensors(FacetRenderer *r, FacetRendererTensors *t)
{
    if (!t)
        return;
    memset(t, 0, sizeof(*t));
    if (!r)
        return;
    const FacetRendererGraph *rg = &r->rg;
    t->f0 = &r->tensors[rg->f0];
    t->f1 = &r->tensors[rg->f1];
    t->f2 = &r->tensors[rg->f2];
    t->small = &r->tensors[rg->small];
    t->flow = &r->tensors[rg->flow];
    t->occlusion = &r->tensors[rg->occlusion];
    t->masks = &r->tensors[rg->masks];
    t->sparse_motions = &r->tensors[rg->motions];
    t->motion_input = &r->tensors[rg->motion_in];
    t->motion_hourglass = &r->tensors[rg->hg_out];
    t->x1 = &r->tensors[rg->x1];
    t->flow1 = &r->tensors[rg->flow1];
    t->x0 = &r->tensors[rg->x0];
    t->flow0 = &r->tensors[rg->flow0];
}

static int check_image(const FacetRenderer *r, const FacetTensor *t)
{
    return t && t->data && t->c == 3 && t->h == r->size && t->w == r->size ? 0 : -EINVAL;
}

int facet_renderer_set_keyframe(FacetRenderer *r, const FacetTensor *rgb,
                                const FacetKeypointSet *kp_ref)
{
    if (!r)
        return -EINVAL;
    r->has_keyframe = 0;
    int ret;
    if ((ret = check_image(r, rgb)) < 0 || (ret = facet_keypoint_set_check(kp_ref, r->k)) < 0)
        return ret;
    /* The picture is read where it is: LOAD between the same memory is
     * nothing on the CPU. */
    facet_graph_cpu_bind(&r->exec, r->rg.keyframe_in, rgb->data);
    facet_graph_cpu_bind(&r->exec, r->rg.rgb, rgb->data);
    ret = facet_graph_cpu_run(&r->exec, r->rg.keyframe_begin, r->rg.keyframe_end);
    if (ret < 0)
        return ret;
    r->kp_ref = *kp_ref;
    r->has_keyframe = 1;
    return 0;
}

int facet_renderer_dense_motion(FacetRenderer *r, const FacetKeypointSet *kp_cur)
{
    if (!r)
        return -EINVAL;
    int ret;
    if ((ret = facet_keypoint_set_check(kp_cur, r->k)) < 0)
        return ret;
    if (!r->has_keyframe)
        return -ENODATA;
    facet_renderer_graph_params(r->net, &r->kp_ref, kp_cur, r->tensors[r->rg.params].data);
    return facet_graph_cpu_run(&r->exec, r->rg.motion_begin, r->rg.motion_end);
}

int facet_renderer_decode(FacetRenderer *r, FacetTensor *rgb_out)
{
    if (!r)
        return -EINVAL;
    int ret;
    if ((ret = check_image(r, rgb_out)) < 0)
        return ret;
    if (!r->has_keyframe)
        return -ENODATA;
    /* The out conv writes the caller's tensor; STORE is then nothing. */
    FacetTensor *image = &r->tensors[r->rg.image];
    float *own = image->data;
    facet_graph_cpu_bind(&r->exec, r->rg.image, rgb_out->data);
    facet_graph_cpu_bind(&r->exec, r->rg.frame_out, rgb_out->data);
    ret = facet_graph_cpu_run(&r->exec, r->rg.decode_begin, r->rg.decode_end);
    facet_graph_cpu_bind(&r->exec, r->rg.image, own);
    return ret;
}

int facet_renderer_render(FacetRenderer *r, const FacetKeypointSet *kp_cur, FacetTensor *rgb_out)
{
    if (!r)
        return -EINVAL;
    int ret;
    if ((ret = check_image(r, rgb_out)) < 0)
        return ret;
    if ((ret = facet_renderer_dense_motion(r, kp_cur)) < 0)
        return ret;
    return facet_renderer_decode(r, rgb_out);
}

int facet_renderer_render_picture(FacetRenderer *r, const FacetKeypointSet *kp_cur,
                                  FacetRenderPicture *out)
{
    if (!r)
        return -EINVAL;
    if (!facet_render_picture_valid(out))
        return -EINVAL;
    int ret;
    if ((ret = facet_renderer_dense_motion(r, kp_cur)) < 0 ||
        (ret = facet_graph_cpu_run(&r->exec, r->rg.decode_begin, r->rg.decode_end)) < 0)
        return ret;
    /* The last step, PICTURE_OUT, on the frame in the graph's own memory. */
    return facet_picture_out(r->ws.pool, &r->tensors[r->rg.image], out);
}
