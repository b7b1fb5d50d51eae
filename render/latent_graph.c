/* SPDX-License-Identifier: BSD-2-Clause */
/* The latent tier's network as a graph; see latent_graph.h and
 * docs/latent-network.md. */
#include "render/latent_graph.h"

#include <errno.h>
#include <string.h>

#include "render/hourglass.h"

/* Elements a tensor takes in its space (graph.c's rounding). */
static size_t span(int c, int h, int w)
{
    size_t n = (size_t)c * (size_t)h * (size_t)w;
    return (n + FACET_GRAPH_ALIGN - 1) / FACET_GRAPH_ALIGN * FACET_GRAPH_ALIGN;
}

static void node(FacetGraph *g, FacetGraphOp op, int in, int out, float param)
{
    FacetGraphNode n;
    memset(&n, 0, sizeof(n));
    n.op = op;
    n.in[0] = in;
    n.in[1] = n.in[2] = n.out[1] = -1;
    n.out[0] = out;
    n.param = param;
    facet_graph_node(g, &n);
}

int facet_latent_graph_build(FacetLatentGraph *lg, const FacetLatentNetwork *net, int width,
                             int height, int scale, const FacetRenderPicture *picture)
{
    memset(lg, 0, sizeof(*lg));
    if (!facet_latent_network_supports(net, width, height, scale) ||
        (picture && !facet_render_picture_shape_valid(picture)))
        return -EINVAL;
    FacetGraph *g = &lg->graph;
    facet_graph_init(g);
    const FacetLatentConfig *c = &net->config;
    const int W = width, H = height, W2 = W / 2, H2 = H / 2, W4 = W / 4, H4 = H / 4;
    const int F = c->feat_ch, r = scale;
    const FacetGraphSpace D = FACET_GRAPH_DATA, HO = FACET_GRAPH_HOST, C = FACET_GRAPH_COORDS;
    lg->width = W;
    lg->height = H;
    lg->scale = r;

    /* HOST: the low frame apart; the reference in, the frame out and the
     * picture share memory (never alive together). */
    lg->low_in = facet_graph_tensor(g, HO, 3, H / r, W / r);
    FacetGraphMark host = facet_graph_mark(g);
    lg->reference_in = facet_graph_tensor(g, HO, 3, H, W);
    facet_graph_rewind(g, host);
    lg->frame_out = facet_graph_tensor(g, HO, 3, H, W);
    lg->picture = -1;
    if (picture) {
        facet_graph_rewind(g, host);
        size_t words = (facet_render_picture_packed_size(picture) + 3) / 4;
        lg->picture = facet_graph_tensor(g, HO, 1, (int)((words + 1023) / 1024), 1024);
    }

    /* COORDS: identity grids (the bilinear resizes) and the flow grids. */
    int id_full = facet_graph_tensor(g, C, 2, H, W);
    int id_half = facet_graph_tensor(g, C, 2, H2, W2);
    int grid_half = facet_graph_tensor(g, C, 2, H2, W2);
    int grid_full = facet_graph_tensor(g, C, 2, H, W);

    /* DATA kept from the reference. The motion net's input is [low at S/4
     * | small]: the reference writes its half once, each frame the other. */
    lg->motion_in = facet_graph_tensor(g, D, 6, H4, W4);
    int low4 = facet_graph_view(g, lg->motion_in, 0, 3);
    lg->small = facet_graph_view(g, lg->motion_in, 3, 3);
    lg->detail = facet_graph_tensor(g, D, 3, H, W);
    lg->feat = facet_graph_tensor(g, D, F, H2, W2);
    FacetGraphMark phases = facet_graph_mark(g);

    /* ReferenceEncoder: detail = ref - up_r(avgpool_r(ref)), feat =
     * c2(c1(c0(detail))), small = avgpool_4(ref). */
    lg->rgb = facet_graph_tensor(g, D, 3, H, W);
    int half = facet_graph_tensor(g, D, 3, H2, W2);
    int up = facet_graph_tensor(g, D, 3, H, W);
    int e0 = facet_graph_tensor(g, D, F, H2, W2);
    int e1 = facet_graph_tensor(g, D, F, H2, W2);
    /* Once, at create: the identity grids never change (COORDS is never
     * laid over). Then the no-reference state, what latent_model.py's
     * no_reference() holds. */
    lg->init_begin = g->node_count;
    node(g, FACET_GRAPH_FLOW_GRID, -1, id_full, 0.0f);
    node(g, FACET_GRAPH_FLOW_GRID, -1, id_half, 0.0f);
    lg->init_end = lg->clear_begin = g->node_count;
    node(g, FACET_GRAPH_FILL, -1, lg->small, 0.0f);
    node(g, FACET_GRAPH_FILL, -1, lg->detail, 0.0f);
    node(g, FACET_GRAPH_FILL, -1, lg->feat, 0.0f);
    lg->clear_end = g->node_count;

    lg->reference_begin = g->node_count;
    facet_graph_unary(g, FACET_GRAPH_LOAD, lg->reference_in, lg->rgb);
    facet_graph_unary(g, FACET_GRAPH_AVGPOOL2X2, lg->rgb, half);
    facet_graph_unary(g, FACET_GRAPH_AVGPOOL2X2, half, lg->small);
    facet_graph_binary(g, FACET_GRAPH_GRID_SAMPLE, r == 2 ? half : lg->small, id_full, up);
    facet_graph_binary(g, FACET_GRAPH_SUB, lg->rgb, up, lg->detail);
    facet_graph_conv2d(g, &net->encoder.c0, lg->detail, e0);
    facet_graph_conv2d(g, &net->encoder.c1, e0, e1);
    facet_graph_conv2d(g, &net->encoder.c2, e1, lg->feat);
    lg->reference_end = g->node_count;

    /* The frame. Alive all frame: heads, context at S/4, image. Then the
     * fusion input `cat` = [low at S/2 | warped feat | confidence at S/2 |
     * context at S/2], written in place by its producers; the motion
     * net's buffers after it; later the fusion's x and u after cat, and t
     * and the head's output over cat once fuse_in has read it (when they
     * fit in it). */
    facet_graph_rewind(g, phases);
    const int cat_c = 3 + F + 1 + c->ctx_ch;
    lg->heads = facet_graph_tensor(g, D, 3, H4, W4);
    lg->flow = facet_graph_view(g, lg->heads, 0, 2);
    lg->confidence = facet_graph_view(g, lg->heads, 2, 1);
    int ctx4 = facet_graph_tensor(g, D, c->ctx_ch, H4, W4);
    lg->image = facet_graph_tensor(g, D, 3, H, W);
    FacetGraphMark m1 = facet_graph_mark(g);
    int cat = facet_graph_tensor(g, D, cat_c, H2, W2);
    int low2 = facet_graph_view(g, cat, 0, 3);
    int warped = facet_graph_view(g, cat, 3, F);
    int conf2 = facet_graph_view(g, cat, 3 + F, 1);
    int ctx2 = facet_graph_view(g, cat, 4 + F, c->ctx_ch);
    FacetGraphMark m2 = facet_graph_mark(g);
    int m = facet_graph_tensor(g, D, c->motion_chs[0], H4, W4);

    lg->frame_begin = g->node_count;
    if (r == 2) {
        lg->low = low2;
        facet_graph_unary(g, FACET_GRAPH_LOAD, lg->low_in, low2);
        facet_graph_unary(g, FACET_GRAPH_AVGPOOL2X2, low2, low4);
    } else {
        lg->low = low4;
        facet_graph_unary(g, FACET_GRAPH_LOAD, lg->low_in, low4);
        facet_graph_binary(g, FACET_GRAPH_GRID_SAMPLE, low4, id_half, low2);
    }
    /* base = up_r(low), the start of the sum. */
    facet_graph_binary(g, FACET_GRAPH_GRID_SAMPLE, lg->low, id_full, lg->image);

    /* Motion: flow and confidence at S/4, context. */
    facet_hourglass_build(g, &net->motion, lg->motion_in, m);
    facet_graph_conv2d(g, &net->motion_head, m, lg->heads);
    facet_graph_activate(g, lg->confidence, FACET_ACT_SIGMOID);
    facet_graph_conv2d(g, &net->context, m, ctx4);

    /* Fusion input at S/2. */
    facet_graph_unary(g, FACET_GRAPH_UPSAMPLE2X, ctx4, ctx2);
    facet_graph_binary(g, FACET_GRAPH_GRID_SAMPLE, lg->confidence, id_half, conf2);
    node(g, FACET_GRAPH_FLOW_GRID, lg->flow, grid_half, 0.0f);
    facet_graph_binary(g, FACET_GRAPH_GRID_SAMPLE, lg->feat, grid_half, warped);
    facet_graph_binary(g, FACET_GRAPH_MUL_MAP, warped, conf2, warped);

    /* Fusion: x = relu(fuse_in(cat)), residual blocks, head. */
    facet_graph_rewind(g, m2);
    int x = facet_graph_tensor(g, D, c->width, H2, W2);
    int u = facet_graph_tensor(g, D, c->width, H2, W2);
    FacetGraphMark after_u = facet_graph_mark(g);
    const size_t cat_span = span(cat_c, H2, W2);
    int fits_t = span(c->width, H2, W2) <= cat_span, fits_hx = span(16, H2, W2) <= cat_span;
    if (fits_t)
        facet_graph_rewind(g, m1);
    int t = facet_graph_tensor(g, D, c->width, H2, W2);
    facet_graph_rewind(g, fits_hx ? m1 : after_u);
    if (!fits_hx && !fits_t)
        facet_graph_tensor(g, D, c->width, H2, W2); /* past t */
    int hx = facet_graph_tensor(g, D, 16, H2, W2);
    int residual = facet_graph_tensor(g, D, 3, H, W);
    lg->gate = facet_graph_tensor(g, D, 1, H, W);
    int dw = facet_graph_tensor(g, D, 3, H, W);

    facet_graph_conv2d(g, &net->fuse_in, cat, x);
    for (int i = 0; i < c->num_res; i++) {
        facet_graph_conv2d(g, &net->res_a[i], x, t);
        facet_graph_conv2d(g, &net->res_b[i], t, u);
        facet_graph_binary(g, FACET_GRAPH_ADD, x, u, x);
    }
    facet_graph_conv2d(g, &net->head, x, hx);

    /* Output at S: residual and gate by depth-to-space, the reference
     * detail warped, image = (base + residual) + gate * detail. */
    int hx_gate = facet_graph_view(g, hx, 12, 4);
    facet_graph_unary(g, FACET_GRAPH_PIXEL_SHUFFLE, facet_graph_view(g, hx, 0, 12), residual);
    facet_graph_activate(g, hx_gate, FACET_ACT_SIGMOID);
    facet_graph_unary(g, FACET_GRAPH_PIXEL_SHUFFLE, hx_gate, lg->gate);
    node(g, FACET_GRAPH_FLOW_GRID, lg->flow, grid_full, 0.0f);
    facet_graph_binary(g, FACET_GRAPH_GRID_SAMPLE, lg->detail, grid_full, dw);
    if (!c->highpass) {
        facet_graph_binary(g, FACET_GRAPH_ADD, lg->image, residual, lg->image);
        facet_graph_binary(g, FACET_GRAPH_MUL_MAP, dw, lg->gate, dw);
        facet_graph_binary(g, FACET_GRAPH_ADD, lg->image, dw, lg->image);
    } else {
        /* added = residual + gate * detail, less its bilinear-upscaled
         * average over highpass*r blocks: the network cannot tint or
         * brighten an area (latent_model.py). */
        facet_graph_binary(g, FACET_GRAPH_MUL_MAP, dw, lg->gate, dw);
        facet_graph_binary(g, FACET_GRAPH_ADD, residual, dw, residual);
        int pooled = residual;
        for (int f = c->highpass * r, h = H, w = W; f > 1; f /= 2) {
            h /= 2;
            w /= 2;
            int next = facet_graph_tensor(g, D, 3, h, w);
            facet_graph_unary(g, FACET_GRAPH_AVGPOOL2X2, pooled, next);
            pooled = next;
        }
        facet_graph_binary(g, FACET_GRAPH_GRID_SAMPLE, pooled, id_full, dw);
        facet_graph_binary(g, FACET_GRAPH_SUB, residual, dw, residual);
        facet_graph_binary(g, FACET_GRAPH_ADD, lg->image, residual, lg->image);
    }
    lg->frame_end = g->node_count;

    lg->store_node = facet_graph_unary(g, FACET_GRAPH_STORE, lg->image, lg->frame_out);
    lg->picture_node = -1;
    if (picture) {
        FacetGraphNode pn;
        memset(&pn, 0, sizeof(pn));
        pn.op = FACET_GRAPH_PICTURE_OUT;
        pn.in[0] = lg->image;
        pn.in[1] = pn.in[2] = pn.out[1] = -1;
        pn.out[0] = lg->picture;
        pn.iparam[0] = (int)picture->format;
        pn.iparam[1] = picture->width;
        pn.iparam[2] = picture->height;
        lg->picture_node = facet_graph_node(g, &pn);
    }
    int ret = g->error;
    if (ret < 0)
        facet_latent_graph_free(lg);
    return ret;
}

void facet_latent_graph_free(FacetLatentGraph *lg)
{
    if (!lg)
        return;
    facet_graph_free(&lg->graph);
    memset(lg, 0, sizeof(*lg));
}
