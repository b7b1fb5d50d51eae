/* SPDX-License-Identifier: BSD-2-Clause */
/* The latent network on the CPU: the graph of latent_graph.c run by the CPU
 * executor; see latent_renderer.h and docs/latent-network.md. */
#include "render/latent_renderer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render/graph.h"
#include "render/latent_graph.h"

struct FacetLatentRenderer {
    const FacetLatentNetwork *net;
    FacetRenderOps ops;
    FacetWorkspace ws;
    FacetLatentGraph lg;
    FacetGraphCpu exec;
    FacetTensor *tensors;  /* the graph's, resolved */
    float *memory[FACET_GRAPH_SPACES];
    int has_reference;
};

int facet_latent_renderer_create(FacetLatentRenderer **out, const FacetLatentNetwork *net,
                                 int width, int height, int scale, FacetThreadPool *pool,
                                 int ops_flags)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!facet_latent_network_supports(net, width, height, scale))
        return -EINVAL;
    FacetLatentRenderer *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->net = net;
    facet_render_ops_init(&r->ops, ops_flags);
    facet_workspace_init(&r->ws, pool);
    int ret = facet_latent_graph_build(&r->lg, net, width, height, scale, NULL);
    if (ret < 0)
        goto error;
    const FacetGraph *g = &r->lg.graph;
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
    /* The identity grids, and the zeroed reference state that frames
     * before the first reference use. */
    if ((ret = facet_graph_cpu_run(&r->exec, r->lg.init_begin, r->lg.clear_end)) < 0)
        goto error;
    *out = r;
    return 0;

error:
    facet_latent_renderer_destroy(&r);
    return ret;
}

void facet_latent_renderer_destroy(FacetLatentRenderer **pr)
{
    if (!pr || !*pr)
        return;
    FacetLatentRenderer *r = *pr;
    facet_workspace_free(&r->ws);
    facet_latent_graph_free(&r->lg);
    for (int s = 0; s < FACET_GRAPH_SPACES; s++)
        free(r->memory[s]);
    free(r->tensors);
    free(r);
    *pr = NULL;
}

static int check(const FacetTensor *t, int c, int h, int w)
{
    return t && t->data && t->c == c && t->h == h && t->w == w ? 0 : -EINVAL;
}

int facet_latent_renderer_set_reference(FacetLatentRenderer *r, const FacetTensor *rgb)
{
    if (!r)
        return -EINVAL;
    int ret = check(rgb, 3, r->lg.height, r->lg.width);
    if (ret < 0)
        return ret;
    r->has_reference = 0;
    /* The picture is read where it is: LOAD between the same memory is
     * nothing on the CPU. */
    FacetTensor *t = r->tensors;
    float *own = t[r->lg.rgb].data;
    facet_graph_cpu_bind(&r->exec, r->lg.reference_in, rgb->data);
    facet_graph_cpu_bind(&r->exec, r->lg.rgb, rgb->data);
    ret = facet_graph_cpu_run(&r->exec, r->lg.reference_begin, r->lg.reference_end);
    facet_graph_cpu_bind(&r->exec, r->lg.rgb, own);
    if (ret < 0) {
        /* Half-written reference tensors: fall back to none. */
        facet_latent_renderer_clear_reference(r);
        return ret;
    }
    r->has_reference = 1;
    return 0;
}

int facet_latent_renderer_clear_reference(FacetLatentRenderer *r)
{
    if (!r)
        return -EINVAL;
    r->has_reference = 0;
    return facet_graph_cpu_run(&r->exec, r->lg.clear_begin, r->lg.clear_end);
}

int facet_latent_renderer_has_reference(const FacetLatentRenderer *r)
{
    return r ? r->has_reference : 0;
}

static int run_frame(FacetLatentRenderer *r, const FacetTensor *low)
{
    const FacetLatentGraph *lg = &r->lg;
    int ret = check(low, 3, lg->height / lg->scale, lg->width / lg->scale);
    if (ret < 0)
        return ret;
    facet_graph_cpu_bind(&r->exec, lg->low_in, low->data);
    return facet_graph_cpu_run(&r->exec, lg->frame_begin, lg->frame_end);
}

int facet_latent_renderer_render(FacetLatentRenderer *r, const FacetTensor *low,
                                 FacetTensor *rgb_out)
{
    if (!r)
        return -EINVAL;
    int ret = check(rgb_out, 3, r->lg.height, r->lg.width);
    if (ret < 0)
        return ret;
    /* The sum is written into the caller's tensor; STORE is then nothing. */
    float *own = r->tensors[r->lg.image].data;
    facet_graph_cpu_bind(&r->exec, r->lg.image, rgb_out->data);
    facet_graph_cpu_bind(&r->exec, r->lg.frame_out, rgb_out->data);
    ret = run_frame(r, low);
    facet_graph_cpu_bind(&r->exec, r->lg.image, own);
    return ret;
}

int facet_latent_renderer_render_picture(FacetLatentRenderer *r, const FacetTensor *low,
                                         FacetRenderPicture *out)
{
    if (!r || !facet_render_picture_valid(out))
        return -EINVAL;
    int ret = run_frame(r, low);
    if (ret < 0)
        return ret;
    return facet_picture_out(r->ws.pool, &r->tensors[r->lg.image], out);
}

void facet_latent_renderer_tensors(FacetLatentRenderer *r, FacetLatentTensors *t)
{
    if (!t)
        return;
    memset(t, 0, sizeof(*t));
    if (!r)
        return;
    const FacetLatentGraph *lg = &r->lg;
    t->small = &r->tensors[lg->small];
    t->detail = &r->tensors[lg->detail];
    t->feat = &r->tensors[lg->feat];
    t->flow = &r->tensors[lg->flow];
    t->confidence = &r->tensors[lg->confidence];
    t->gate = &r->tensors[lg->gate];
}
