/* The renderer's graph on the device; see vk_renderer.h. Mirrors
 * render/renderer.c step by step (docs/renderer.md), with the per-keypoint
 * loops as shaders (motion_inputs, blend_flow, upsample_grid). */
#include "render/vulkan/vk_renderer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/vulkan/vk_memory.h"
#include "render/vulkan/vk_ops.h"

/* Dispatches in a graph: the frame graph has 50 at K = 10. */
#define MAX_GRAPH_OPS 512
/* Floats per keypoint uploaded per frame (motion_inputs.comp). */
#define KEYPOINT_PARAMS 8

typedef struct VkHourglass {
    FacetVkConv down[FACET_HOURGLASS_MAX_LEVELS];
    FacetVkConv up[FACET_HOURGLASS_MAX_LEVELS - 1];
    FacetVkTensor cat[FACET_HOURGLASS_MAX_LEVELS];
    FacetVkTensor bottom;
    FacetVkTensor up_out[FACET_HOURGLASS_MAX_LEVELS];
} VkHourglass;

struct FacetVkRenderer {
    FacetVkDevice *dev;
    const FacetNetwork *net;
    int size, k, s2, s4;
    FacetVkMemory *mem;
    FacetVkGraph *keyframe_graph, *frame_graph;
    int has_keyframe;
    FacetKeypointSet kp_ref;

    /* Weights: one data region [weights_base, weights_end). */
    uint32_t weights_base, weights_end;
    struct {
        FacetVkConv e0, e1, e2, e3, p0, p1, p2;
    } enc;
    VkHourglass hg;
    FacetVkConv heads;
    FacetVkConv res_a[FACET_NETWORK_MAX_RES_BLOCKS], res_b[FACET_NETWORK_MAX_RES_BLOCKS];
    FacetVkConv conv_up1, conv_up0, conv_out;

    /* Host buffer: keypoint parameters and one image (in or out). */
    uint32_t host_params, host_image;

    /* Kept across frames. */
    FacetVkTensor f0, f1, f2, small, heads_t, masks, occlusion;
    /* Keyframe phase. */
    FacetVkTensor rgb, x0, x1, x2a, x2, half;
    /* DenseMotion phase. */
    FacetVkTensor feat, hg_out, motion_in;
    /* Decoder phase. */
    FacetVkTensor y2, w2, occ1, x4, t4, u4, up2, up1, y1, w1, occ0, image;
    /* Coords. */
    FacetVkTensor motions, flow, flow1, flow0;
    FacetTensor image_host;   /* the frame as it comes back, for the picture */
};

static void set_error(char *error, size_t size, const char *what, const FacetVkDevice *dev)
{
    if (error && size)
        snprintf(error, size, "%s: %s", what, facet_vk_device_error(dev));
}

/* ---- layout ---------------------------------------------------------------- */

static void take_weights(FacetVkRenderer *r, FacetVkLayout *l)
{
    const FacetNetwork *n = r->net;
    r->weights_base = (uint32_t)l->used[FACET_VK_DATA];
    facet_vk_conv_take(&r->enc.e0, &n->encoder.e0, l);
    facet_vk_conv_take(&r->enc.e1, &n->encoder.e1, l);
    facet_vk_conv_take(&r->enc.e2, &n->encoder.e2, l);
    facet_vk_conv_take(&r->enc.e3, &n->encoder.e3, l);
    facet_vk_conv_take(&r->enc.p0, &n->encoder.p0, l);
    facet_vk_conv_take(&r->enc.p1, &n->encoder.p1, l);
    facet_vk_conv_take(&r->enc.p2, &n->encoder.p2, l);
    const FacetHourglass *hg = &n->dense_motion.hourglass;
    for (int i = 0; i < hg->levels; i++)
        facet_vk_conv_take(&r->hg.down[i], &hg->down[i], l);
    for (int j = 0; j < hg->levels - 1; j++)
        facet_vk_conv_take(&r->hg.up[j], &hg->up[j], l);
    facet_vk_conv_take(&r->heads, &n->dense_motion.heads, l);
    for (int i = 0; i < n->config.num_res; i++) {
        facet_vk_conv_take(&r->res_a[i], &n->decoder.res_a[i], l);
        facet_vk_conv_take(&r->res_b[i], &n->decoder.res_b[i], l);
    }
    facet_vk_conv_take(&r->conv_up1, &n->decoder.up1, l);
    facet_vk_conv_take(&r->conv_up0, &n->decoder.up0, l);
    facet_vk_conv_take(&r->conv_out, &n->decoder.out, l);
    r->weights_end = (uint32_t)l->used[FACET_VK_DATA];
}

static void stage_weights(const FacetVkRenderer *r, float *host)
{
    const FacetVkConv *all[] = {&r->enc.e0, &r->enc.e1, &r->enc.e2, &r->enc.e3, &r->enc.p0,
                                &r->enc.p1, &r->enc.p2, &r->heads, &r->conv_up1, &r->conv_up0,
                                &r->conv_out};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        facet_vk_conv_stage(all[i], host, r->weights_base);
    const FacetHourglass *hg = &r->net->dense_motion.hourglass;
    for (int i = 0; i < hg->levels; i++)
        facet_vk_conv_stage(&r->hg.down[i], host, r->weights_base);
    for (int j = 0; j < hg->levels - 1; j++)
        facet_vk_conv_stage(&r->hg.up[j], host, r->weights_base);
    for (int i = 0; i < r->net->config.num_res; i++) {
        facet_vk_conv_stage(&r->res_a[i], host, r->weights_base);
        facet_vk_conv_stage(&r->res_b[i], host, r->weights_base);
    }
}

static void layout(FacetVkRenderer *r, FacetVkLayout *l)
{
    const FacetNetworkConfig *c = &r->net->config;
    int S = r->size, S2 = r->s2, S4 = r->s4, K = r->k;
    const int *fc = c->feat_chs, *ec = c->enc_chs;
    const FacetVkSpace D = FACET_VK_DATA, C = FACET_VK_COORDS;

    take_weights(r, l);
    r->f0 = facet_vk_tensor_take(l, D, fc[0], S, S);
    r->f1 = facet_vk_tensor_take(l, D, fc[1], S2, S2);
    r->f2 = facet_vk_tensor_take(l, D, fc[2], S4, S4);
    r->small = facet_vk_tensor_take(l, D, 3, S4, S4);
    r->heads_t = facet_vk_tensor_take(l, D, K + 2, S4, S4);
    r->masks = facet_vk_tensor_view(r->heads_t, 0, K + 1);
    r->occlusion = facet_vk_tensor_view(r->heads_t, K + 1, 1);
    size_t phases = l->used[D];

    /* Keyframe. */
    r->rgb = facet_vk_tensor_take(l, D, 3, S, S);
    r->x0 = facet_vk_tensor_take(l, D, ec[0], S, S);
    r->x1 = facet_vk_tensor_take(l, D, ec[1], S2, S2);
    r->x2a = facet_vk_tensor_take(l, D, ec[2], S4, S4);
    r->x2 = facet_vk_tensor_take(l, D, ec[2], S4, S4);
    r->half = facet_vk_tensor_take(l, D, 3, S2, S2);

    /* DenseMotion, then the decoder over the same memory (the decoder reads
     * only the kept heads). */
    l->used[D] = phases;
    int motion_c = 4 * (K + 1);
    r->feat = facet_vk_tensor_take(l, D, c->dm_chs[0] + motion_c, S4, S4);
    r->hg_out = facet_vk_tensor_view(r->feat, 0, c->dm_chs[0]);
    r->motion_in = facet_vk_tensor_view(r->feat, c->dm_chs[0], motion_c);
    const FacetHourglass *hg = &r->net->dense_motion.hourglass;
    int last = hg->levels - 1;
    for (int i = 0; i < last; i++)
        r->hg.cat[i] = facet_vk_tensor_take(l, D, hg->chs[i + 1] + hg->chs[i], S4 >> i, S4 >> i);
    if (last > 0)
        r->hg.bottom = facet_vk_tensor_take(l, D, hg->chs[last], S4 >> last, S4 >> last);
    for (int i = 1; i < last; i++)
        r->hg.up_out[i] = facet_vk_tensor_take(l, D, hg->chs[i], S4 >> i, S4 >> i);

    l->used[D] = phases;
    r->y2 = facet_vk_tensor_take(l, D, fc[1], S2, S2);
    r->w2 = facet_vk_tensor_take(l, D, fc[1], S2, S2);
    r->occ1 = facet_vk_tensor_take(l, D, 1, S2, S2);
    size_t decoder_a = l->used[D];
    r->x4 = facet_vk_tensor_take(l, D, fc[2], S4, S4);
    r->t4 = facet_vk_tensor_take(l, D, fc[2], S4, S4);
    r->u4 = facet_vk_tensor_take(l, D, fc[2], S4, S4);
    r->up2 = facet_vk_tensor_take(l, D, fc[2], S2, S2);
    l->used[D] = decoder_a;
    r->up1 = facet_vk_tensor_take(l, D, fc[1], S, S);
    r->y1 = facet_vk_tensor_take(l, D, fc[0], S, S);
    r->w1 = facet_vk_tensor_take(l, D, fc[0], S, S);
    r->occ0 = facet_vk_tensor_take(l, D, 1, S, S);
    r->image = facet_vk_tensor_take(l, D, 3, S, S);

    r->motions = facet_vk_tensor_take(l, C, 2 * (K + 1), S4, S4);
    r->flow = facet_vk_tensor_take(l, C, 2, S4, S4);
    r->flow1 = facet_vk_tensor_take(l, C, 2, S2, S2);
    r->flow0 = facet_vk_tensor_take(l, C, 2, S, S);

    /* Host: the weights' staging at create, then parameters and image. */
    facet_vk_take(l, FACET_VK_HOST, r->weights_end - r->weights_base);
    l->used[FACET_VK_HOST] = 0;
    r->host_params = facet_vk_take(l, FACET_VK_HOST, (size_t)KEYPOINT_PARAMS * (size_t)K);
    r->host_image = facet_vk_take(l, FACET_VK_HOST, (size_t)3 * (size_t)S * (size_t)S);
}

/* ---- graphs ---------------------------------------------------------------- */

static void record_keyframe(FacetVkRenderer *r, FacetVkGraph *g)
{
    facet_vk_op_load(g, r->host_image, FACET_VK_DATA, r->rgb.offset, facet_vk_tensor_size(r->rgb));
    facet_vk_op_conv2d(g, &r->enc.e0, r->rgb, r->x0);
    facet_vk_op_conv2d(g, &r->enc.e1, r->x0, r->x1);
    facet_vk_op_conv2d(g, &r->enc.e2, r->x1, r->x2a);
    facet_vk_op_conv2d(g, &r->enc.e3, r->x2a, r->x2);
    facet_vk_op_conv2d(g, &r->enc.p0, r->x0, r->f0);
    facet_vk_op_conv2d(g, &r->enc.p1, r->x1, r->f1);
    facet_vk_op_conv2d(g, &r->enc.p2, r->x2, r->f2);
    facet_vk_op_avgpool2x2(g, r->rgb, r->half);
    facet_vk_op_avgpool2x2(g, r->half, r->small);
}

/* facet_hourglass_run() on the device. */
static void record_hourglass(FacetVkRenderer *r, FacetVkGraph *g, FacetVkTensor in,
                             FacetVkTensor out)
{
    const FacetHourglass *hg = &r->net->dense_motion.hourglass;
    VkHourglass *h = &r->hg;
    int last = hg->levels - 1;
    if (last == 0) {
        facet_vk_op_conv2d(g, &h->down[0], in, out);
        return;
    }
    FacetVkTensor x = in;
    for (int i = 0; i < last; i++) {
        FacetVkTensor skip = facet_vk_tensor_view(h->cat[i], hg->chs[i + 1], hg->chs[i]);
        facet_vk_op_conv2d(g, &h->down[i], x, skip);
        x = skip;
    }
    facet_vk_op_conv2d(g, &h->down[last], x, h->bottom);
    x = h->bottom;
    for (int j = 0; j < last; j++) {
        int i = last - 1 - j;
        facet_vk_op_upsample2x(g, x, facet_vk_tensor_view(h->cat[i], 0, hg->chs[i + 1]));
        FacetVkTensor dst = i == 0 ? out : h->up_out[i];
        facet_vk_op_conv2d(g, &h->up[j], h->cat[i], dst);
        x = dst;
    }
}

static void add_warped(FacetVkGraph *g, FacetVkTensor x, FacetVkTensor features,
                       FacetVkTensor grid, FacetVkTensor occlusion, FacetVkTensor tmp)
{
    facet_vk_op_grid_sample(g, features, grid, tmp);
    facet_vk_op_mul_map(g, tmp, occlusion, tmp);
    facet_vk_op_add(g, x, tmp, x);
}

static void record_frame(FacetVkRenderer *r, FacetVkGraph *g)
{
    const FacetNetwork *n = r->net;
    int K = r->k;

    /* DenseMotion. */
    facet_vk_op_motion_inputs(g, r->host_params, r->motions, r->motion_in, n->gaussian_variance);
    for (int k = 0; k <= K; k++)
        facet_vk_op_grid_sample(g, r->small, facet_vk_tensor_view(r->motions, 2 * k, 2),
                                facet_vk_tensor_view(r->motion_in, 4 * k + 1, 3));
    record_hourglass(r, g, r->motion_in, r->hg_out);
    facet_vk_op_conv2d(g, &r->heads, r->feat, r->heads_t);
    facet_vk_op_softmax_channels(g, r->masks, r->masks);
    facet_vk_op_activate(g, r->occlusion, FACET_ACT_SIGMOID);
    facet_vk_op_blend_flow(g, r->masks, r->motions, r->flow);

    /* Decoder at S/4. */
    facet_vk_op_grid_sample(g, r->f2, r->flow, r->x4);
    facet_vk_op_mul_map(g, r->x4, r->occlusion, r->x4);
    for (int i = 0; i < n->config.num_res; i++) {
        facet_vk_op_conv2d(g, &r->res_a[i], r->x4, r->t4);
        facet_vk_op_conv2d(g, &r->res_b[i], r->t4, r->u4);
        facet_vk_op_add(g, r->x4, r->u4, r->x4);
    }
    /* S/2. */
    facet_vk_op_upsample_grid(g, r->flow, r->flow1);
    facet_vk_op_upsample2x(g, r->occlusion, r->occ1);
    facet_vk_op_upsample2x(g, r->x4, r->up2);
    facet_vk_op_conv2d(g, &r->conv_up1, r->up2, r->y2);
    add_warped(g, r->y2, r->f1, r->flow1, r->occ1, r->w2);
    /* S. */
    facet_vk_op_upsample_grid(g, r->flow1, r->flow0);
    facet_vk_op_upsample2x(g, r->occ1, r->occ0);
    facet_vk_op_upsample2x(g, r->y2, r->up1);
    facet_vk_op_conv2d(g, &r->conv_up0, r->up1, r->y1);
    add_warped(g, r->y1, r->f0, r->flow0, r->occ0, r->w1);
    facet_vk_op_conv2d(g, &r->conv_out, r->y1, r->image);
    facet_vk_op_store(g, FACET_VK_DATA, r->image.offset, r->host_image,
                      facet_vk_tensor_size(r->image));
}

static int upload_weights(FacetVkRenderer *r)
{
    FacetVkGraph *g = NULL;
    int ret = facet_vk_graph_create(&g, r->mem, 1);
    if (ret < 0)
        return ret;
    stage_weights(r, facet_vk_memory_host(r->mem));
    if ((ret = facet_vk_graph_begin(g)) == 0 &&
        (ret = facet_vk_op_load(g, 0, FACET_VK_DATA, r->weights_base,
                                r->weights_end - r->weights_base)) == 0 &&
        (ret = facet_vk_graph_end(g)) == 0)
        ret = facet_vk_graph_run(g);
    facet_vk_graph_destroy(&g);
    return ret;
}

int facet_vk_renderer_create(FacetVkRenderer **out, FacetVkDevice *dev, const FacetNetwork *net,
                             int size, char *error, size_t error_size)
{
    if (error && error_size)
        error[0] = '\0';
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!dev || !net || !facet_network_size_supported(net, size)) {
        if (error && error_size)
            snprintf(error, error_size, "Vulkan renderer: invalid argument (size %d)", size);
        return -EINVAL;
    }
    FacetVkRenderer *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->dev = dev;
    r->net = net;
    r->size = size;
    r->s2 = size / 2;
    r->s4 = size / 4;
    r->k = net->config.num_kp;

    FacetVkLayout l;
    memset(&l, 0, sizeof(l));
    layout(r, &l);
    int ret;
    const char *what = "Vulkan memory";
    if ((ret = facet_vk_memory_create(&r->mem, dev, &l)) < 0)
        goto error;
    what = "uploading the weights";
    if ((ret = upload_weights(r)) < 0)
        goto error;
    what = "recording the graphs";
    if ((ret = facet_vk_graph_create(&r->keyframe_graph, r->mem, MAX_GRAPH_OPS)) < 0 ||
        (ret = facet_vk_graph_create(&r->frame_graph, r->mem, MAX_GRAPH_OPS)) < 0 ||
        (ret = facet_vk_graph_begin(r->keyframe_graph)) < 0)
        goto error;
    record_keyframe(r, r->keyframe_graph);
    if ((ret = facet_vk_graph_end(r->keyframe_graph)) < 0 ||
        (ret = facet_vk_graph_begin(r->frame_graph)) < 0)
        goto error;
    record_frame(r, r->frame_graph);
    if ((ret = facet_vk_graph_end(r->frame_graph)) < 0)
        goto error;
    *out = r;
    return 0;

error:
    set_error(error, error_size, what, dev);
    facet_vk_renderer_destroy(&r);
    return ret;
}

void facet_vk_renderer_destroy(FacetVkRenderer **pr)
{
    if (!pr || !*pr)
        return;
    FacetVkRenderer *r = *pr;
    facet_tensor_free(&r->image_host);
    facet_vk_graph_destroy(&r->keyframe_graph);
    facet_vk_graph_destroy(&r->frame_graph);
    facet_vk_memory_destroy(&r->mem);
    free(r);
    *pr = NULL;
}

static int check_keypoints(const FacetVkRenderer *r, const FacetKeypointSet *kp)
{
    return facet_keypoint_set_check(kp, r->k);
}

static int check_image(const FacetVkRenderer *r, const FacetTensor *t)
{
    return t && t->data && t->c == 3 && t->h == r->size && t->w == r->size ? 0 : -EINVAL;
}

int facet_vk_renderer_set_keyframe(FacetVkRenderer *r, const FacetTensor *rgb,
                                   const FacetKeypointSet *kp_ref)
{
    if (!r)
        return -EINVAL;
    r->has_keyframe = 0;
    int ret;
    if ((ret = check_image(r, rgb)) < 0 || (ret = check_keypoints(r, kp_ref)) < 0)
        return ret;
    memcpy(facet_vk_memory_host(r->mem) + r->host_image, rgb->data,
           sizeof(float) * facet_tensor_size(rgb));
    if ((ret = facet_vk_graph_run(r->keyframe_graph)) < 0)
        return ret;
    r->kp_ref = *kp_ref;
    r->has_keyframe = 1;
    return 0;
}

/* The per-frame upload: for each keypoint J_ref inv(J_cur), ref, cur. */
static void write_params(const FacetVkRenderer *r, const FacetKeypointSet *kp_cur, float *p)
{
    for (int i = 0; i < r->k; i++, p += KEYPOINT_PARAMS) {
        const FacetKeypoint *ref = &r->kp_ref.points[i], *cur = &kp_cur->points[i];
        float j[2][2];
        facet_keypoint_motion_jacobian(ref, cur, r->net->jacobian_det_eps, j);
        for (int row = 0; row < 2; row++)
            for (int col = 0; col < 2; col++)
                p[2 * row + col] = j[row][col];
        p[4] = ref->x;
        p[5] = ref->y;
        p[6] = cur->x;
        p[7] = cur->y;
    }
}

int facet_vk_renderer_render(FacetVkRenderer *r, const FacetKeypointSet *kp_cur,
                             FacetTensor *rgb_out)
{
    if (!r)
        return -EINVAL;
    int ret;
    if ((ret = check_image(r, rgb_out)) < 0 || (ret = check_keypoints(r, kp_cur)) < 0)
        return ret;
    if (!r->has_keyframe)
        return -ENODATA;
    float *host = facet_vk_memory_host(r->mem);
    write_params(r, kp_cur, host + r->host_params);
    if ((ret = facet_vk_graph_run(r->frame_graph)) < 0)
        return ret;
    memcpy(rgb_out->data, host + r->host_image, sizeof(float) * facet_tensor_size(rgb_out));
    return 0;
}

const FacetVkGraph *facet_vk_renderer_keyframe_graph(const FacetVkRenderer *r)
{
    return r ? r->keyframe_graph : NULL;
}

const FacetVkGraph *facet_vk_renderer_frame_graph(const FacetVkRenderer *r)
{
    return r ? r->frame_graph : NULL;
}

int facet_vk_renderer_render_picture(FacetVkRenderer *r, const FacetKeypointSet *kp_cur,
                                     FacetRenderPicture *out)
{
    if (!r)
        return -EINVAL;
    int ret;
    if (!r->image_host.data && (ret = facet_tensor_alloc(&r->image_host, 3, r->size, r->size)) < 0)
        return ret;
    if ((ret = facet_vk_renderer_render(r, kp_cur, &r->image_host)) < 0)
        return ret;
    return facet_picture_out(NULL, &r->image_host, out);
}
