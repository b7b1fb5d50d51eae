/* SPDX-License-Identifier: BSD-2-Clause */
/* Facet v1's receiver as a graph; see renderer_graph.h and docs/renderer.md. */
#include "render/renderer_graph.h"

#include <errno.h>
#include <string.h>

#include "render/hourglass.h"

_Static_assert(FACET_MAX_KEYPOINTS == FACET_NETWORK_MAX_KEYPOINTS,
               "keypoint set and network disagree on the most keypoints");

/* x += warp(features, grid) * occlusion, with `tmp` for the warp. */
static void add_warped(FacetGraph *g, int x, int features, int grid, int occlusion, int tmp)
{
    facet_graph_binary(g, FACET_GRAPH_GRID_SAMPLE, features, grid, tmp);
    facet_graph_binary(g, FACET_GRAPH_MUL_MAP, tmp, occlusion, tmp);
    facet_graph_binary(g, FACET_GRAPH_ADD, x, tmp, x);
}

int facet_renderer_graph_build(FacetRendererGraph *rg, const FacetNetwork *net, int size,
                               const FacetRenderPicture *picture)
{
    memset(rg, 0, sizeof(*rg));
    if (!net || !facet_network_size_supported(net, size) ||
        (picture && !facet_render_picture_shape_valid(picture)))
        return -EINVAL;
    FacetGraph *g = &rg->graph;
    facet_graph_init(g);
    const FacetNetworkConfig *c = &net->config;
    const int *fc = c->feat_chs, *ec = c->enc_chs;
    int S = size, S2 = size / 2, S4 = size / 4, K = c->num_kp;
    const FacetGraphSpace D = FACET_GRAPH_DATA, H = FACET_GRAPH_HOST, C = FACET_GRAPH_COORDS;
    rg->size = size;
    rg->k = K;

    /* HOST: the parameters; the reference in and the frame out share memory. */
    rg->params = facet_graph_tensor(g, H, 1, K, FACET_RENDERER_KEYPOINT_PARAMS);
    FacetGraphMark host = facet_graph_mark(g);
    rg->keyframe_in = facet_graph_tensor(g, H, 3, S, S);
    facet_graph_rewind(g, host);
    rg->frame_out = facet_graph_tensor(g, H, 3, S, S);
    rg->picture = -1;
    if (picture) {
        facet_graph_rewind(g, host);
        size_t words = (facet_render_picture_packed_size(picture) + 3) / 4;
        rg->picture = facet_graph_tensor(g, H, 1, (int)((words + 1023) / 1024), 1024);
    }

    /* COORDS: motions, the flow at three levels. */
    rg->motions = facet_graph_tensor(g, C, 2 * (K + 1), S4, S4);
    rg->flow = facet_graph_tensor(g, C, 2, S4, S4);
    rg->flow1 = facet_graph_tensor(g, C, 2, S2, S2);
    rg->flow0 = facet_graph_tensor(g, C, 2, S, S);

    /* DATA, kept: the reference's features and the last motion's heads. */
    rg->f0 = facet_graph_tensor(g, D, fc[0], S, S);
    rg->f1 = facet_graph_tensor(g, D, fc[1], S2, S2);
    rg->f2 = facet_graph_tensor(g, D, fc[2], S4, S4);
    rg->small = facet_graph_tensor(g, D, 3, S4, S4);
    rg->heads = facet_graph_tensor(g, D, K + 2, S4, S4);
    rg->masks = facet_graph_view(g, rg->heads, 0, K + 1);
    rg->occlusion = facet_graph_view(g, rg->heads, K + 1, 1);
    FacetGraphMark phases = facet_graph_mark(g);

    /* ReferenceEncoder. */
    const FacetNetwork *n = net;
    rg->rgb = facet_graph_tensor(g, D, 3, S, S);
    int x0 = facet_graph_tensor(g, D, ec[0], S, S);
    int x1 = facet_graph_tensor(g, D, ec[1], S2, S2);
    int x2a = facet_graph_tensor(g, D, ec[2], S4, S4);
    int x2 = facet_graph_tensor(g, D, ec[2], S4, S4);
    int half = facet_graph_tensor(g, D, 3, S2, S2);
    rg->keyframe_begin = g->node_count;
    facet_graph_unary(g, FACET_GRAPH_LOAD, rg->keyframe_in, rg->rgb);
    facet_graph_conv2d(g, &n->encoder.e0, rg->rgb, x0);
    facet_graph_conv2d(g, &n->encoder.e1, x0, x1);
    facet_graph_conv2d(g, &n->encoder.e2, x1, x2a);
    facet_graph_conv2d(g, &n->encoder.e3, x2a, x2);
    facet_graph_conv2d(g, &n->encoder.p0, x0, rg->f0);
    facet_graph_conv2d(g, &n->encoder.p1, x1, rg->f1);
    facet_graph_conv2d(g, &n->encoder.p2, x2, rg->f2);
    facet_graph_unary(g, FACET_GRAPH_AVGPOOL2X2, rg->rgb, half);
    facet_graph_unary(g, FACET_GRAPH_AVGPOOL2X2, half, rg->small);
    rg->keyframe_end = g->node_count;

    /* DenseMotion: one tensor holds [hourglass output | input] (model.py's
     * feat), so the hourglass writes into its front and heads reads the
     * whole. */
    facet_graph_rewind(g, phases);
    int motion_c = 4 * (K + 1);
    int feat = facet_graph_tensor(g, D, c->dm_chs[0] + motion_c, S4, S4);
    rg->hg_out = facet_graph_view(g, feat, 0, c->dm_chs[0]);
    rg->motion_in = facet_graph_view(g, feat, c->dm_chs[0], motion_c);
    rg->motion_begin = g->node_count;
    FacetGraphNode mi;
    memset(&mi, 0, sizeof(mi));
    mi.op = FACET_GRAPH_MOTION_INPUTS;
    mi.in[0] = rg->params;
    mi.in[1] = mi.in[2] = -1;
    mi.out[0] = rg->motions;
    mi.out[1] = rg->motion_in;
    mi.param = net->gaussian_variance;
    facet_graph_node(g, &mi);
    for (int k = 0; k <= K; k++)
        facet_graph_binary(g, FACET_GRAPH_GRID_SAMPLE, rg->small,
                           facet_graph_view(g, rg->motions, 2 * k, 2),
                           facet_graph_view(g, rg->motion_in, 4 * k + 1, 3));
    facet_hourglass_build(g, &n->dense_motion.hourglass, rg->motion_in, rg->hg_out);
    facet_graph_conv2d(g, &n->dense_motion.heads, feat, rg->heads);
    facet_graph_unary(g, FACET_GRAPH_SOFTMAX_CHANNELS, rg->masks, rg->masks);
    facet_graph_activate(g, rg->occlusion, FACET_ACT_SIGMOID);
    facet_graph_binary(g, FACET_GRAPH_BLEND_FLOW, rg->masks, rg->motions, rg->flow);
    rg->motion_end = g->node_count;

    /* Decoder: the S/2 level stays across its two sub-phases. */
    facet_graph_rewind(g, phases);
    rg->x1 = facet_graph_tensor(g, D, fc[1], S2, S2);
    int w2 = facet_graph_tensor(g, D, fc[1], S2, S2);
    int occ1 = facet_graph_tensor(g, D, 1, S2, S2);
    FacetGraphMark decoder_a = facet_graph_mark(g);
    int x4 = facet_graph_tensor(g, D, fc[2], S4, S4);
    int t4 = facet_graph_tensor(g, D, fc[2], S4, S4);
    int u4 = facet_graph_tensor(g, D, fc[2], S4, S4);
    int up2 = facet_graph_tensor(g, D, fc[2], S2, S2);
    facet_graph_rewind(g, decoder_a);
    int up1 = facet_graph_tensor(g, D, fc[1], S, S);
    rg->x0 = facet_graph_tensor(g, D, fc[0], S, S);
    int w1 = facet_graph_tensor(g, D, fc[0], S, S);
    int occ0 = facet_graph_tensor(g, D, 1, S, S);
    rg->image = facet_graph_tensor(g, D, 3, S, S);

    rg->decode_begin = g->node_count;
    /* S/4: x = warp(f2, flow) * occlusion, then the residual blocks. */
    facet_graph_binary(g, FACET_GRAPH_GRID_SAMPLE, rg->f2, rg->flow, x4);
    facet_graph_binary(g, FACET_GRAPH_MUL_MAP, x4, rg->occlusion, x4);
    for (int i = 0; i < c->num_res; i++) {
        facet_graph_conv2d(g, &n->decoder.res_a[i], x4, t4);
        facet_graph_conv2d(g, &n->decoder.res_b[i], t4, u4);
        facet_graph_binary(g, FACET_GRAPH_ADD, x4, u4, x4);
    }
    /* S/2: x = up1(upsample(x)) + warp(f1, flow1) * occ1. */
    facet_graph_unary(g, FACET_GRAPH_UPSAMPLE_GRID, rg->flow, rg->flow1);
    facet_graph_unary(g, FACET_GRAPH_UPSAMPLE2X, rg->occlusion, occ1);
    facet_graph_unary(g, FACET_GRAPH_UPSAMPLE2X, x4, up2);
    facet_graph_conv2d(g, &n->decoder.up1, up2, rg->x1);
    add_warped(g, rg->x1, rg->f1, rg->flow1, occ1, w2);
    /* S: x = up0(upsample(x)) + warp(f0, flow0) * occ0; out = sigmoid(conv(x)). */
    facet_graph_unary(g, FACET_GRAPH_UPSAMPLE_GRID, rg->flow1, rg->flow0);
    facet_graph_unary(g, FACET_GRAPH_UPSAMPLE2X, occ1, occ0);
    facet_graph_unary(g, FACET_GRAPH_UPSAMPLE2X, rg->x1, up1);
    facet_graph_conv2d(g, &n->decoder.up0, up1, rg->x0);
    add_warped(g, rg->x0, rg->f0, rg->flow0, occ0, w1);
    facet_graph_conv2d(g, &n->decoder.out, rg->x0, rg->image);
    rg->decode_end = g->node_count;

    /* The frame leaves as floats, or as the caller's picture. */
    rg->store_node = facet_graph_unary(g, FACET_GRAPH_STORE, rg->image, rg->frame_out);
    rg->picture_node = -1;
    if (picture) {
        FacetGraphNode pn;
        memset(&pn, 0, sizeof(pn));
        pn.op = FACET_GRAPH_PICTURE_OUT;
        pn.in[0] = rg->image;
        pn.in[1] = pn.in[2] = pn.out[1] = -1;
        pn.out[0] = rg->picture;
        pn.iparam[0] = (int)picture->format;
        pn.iparam[1] = picture->width;
        pn.iparam[2] = picture->height;
        rg->picture_node = facet_graph_node(g, &pn);
    }
    int ret = g->error;
    if (ret < 0)
        facet_renderer_graph_free(rg);
    return ret;
}

void facet_renderer_graph_free(FacetRendererGraph *rg)
{
    if (!rg)
        return;
    facet_graph_free(&rg->graph);
    memset(rg, 0, sizeof(*rg));
}

void facet_renderer_graph_params(const FacetNetwork *net, const FacetKeypointSet *ref,
                                 const FacetKeypointSet *cur, float *p)
{
    for (int i = 0; i < net->config.num_kp; i++, p += FACET_RENDERER_KEYPOINT_PARAMS) {
        const FacetKeypoint *r = &ref->points[i], *c = &cur->points[i];
        float j[2][2];
        facet_keypoint_motion_jacobian(r, c, net->jacobian_det_eps, j);
        p[0] = j[0][0];
        p[1] = j[0][1];
        p[2] = j[1][0];
        p[3] = j[1][1];
        p[4] = r->x;
        p[5] = r->y;
        p[6] = c->x;
        p[7] = c->y;
    }
}
