/* The renderer: ReferenceEncoder, DenseMotion and Decoder of model.py; see
 * renderer.h and docs/renderer.md. */
#include "render/renderer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render/hourglass.h"

_Static_assert(FACET_MAX_KEYPOINTS == FACET_NETWORK_MAX_KEYPOINTS,
               "keypoint set and network disagree on the most keypoints");

/* An identity sampling grid of model.py: pixel centres (2 i + 1) / n - 1. */
typedef struct IdentityGrid {
    float *x, *y; /* w and h values */
} IdentityGrid;

struct FacetRenderer {
    const FacetNetwork *net;
    FacetRenderOps ops;
    FacetWorkspace ws;
    int size, k;           /* S and K */
    int s2, s4;            /* S/2, S/4 */
    float *memory;

    int has_keyframe;
    FacetKeypointSet kp_ref;

    /* Kept: keyframe features, the last motion, identity grids. */
    FacetTensor f0, f1, f2, small;
    FacetTensor flow;      /* 2 x S/4 */
    FacetTensor heads;     /* K+2 x S/4: masks (softmax in place), occlusion (sigmoid in place) */
    FacetTensor masks, occlusion; /* views of heads */
    IdentityGrid grid4, grid2, grid1; /* at S/4, S/2, S */
    FacetTensor image;     /* 3 x S x S: the frame before it becomes a picture */
    float *gauss_x, *gauss_y;         /* per keypoint: S/4 factors of one Gaussian */

    /* Keyframe phase (shares memory with the frame phases). */
    FacetTensor x0, x1, x2a, x2, half;

    /* DenseMotion phase. */
    FacetTensor motions;   /* 2(K+1) x S/4: motion k is planes 2k (x), 2k+1 (y) */
    FacetTensor feat;      /* dm_chs[0] + 4(K+1) x S/4: [hourglass out | input] */
    FacetTensor motion_in; /* view of feat: per motion [heat, warped RGB] */
    FacetTensor hg_out;    /* view of feat */
    FacetHourglassBuffers hourglass;

    /* Decoder phase: S/2 level, kept across the two sub-phases. */
    FacetTensor y2, w2, flow1, occ1;
    /* Decoder sub-phase A (S/4 level, and the upsample feeding up1). */
    FacetTensor x4, t4, u4, up2;
    /* Decoder sub-phase B (S level), laid over A. */
    FacetTensor up1, y1, w1, flow0, occ0;
};

static void take_grid(FacetArena *arena, IdentityGrid *g, int n)
{
    FacetTensor t;
    facet_arena_take(arena, &t, 1, 2, n);
    g->x = t.data;
    g->y = t.data ? t.data + n : NULL;
}

static void layout(FacetRenderer *r, FacetArena *a)
{
    const FacetNetworkConfig *c = &r->net->config;
    int S = r->size, S2 = r->s2, S4 = r->s4, K = r->k;
    const int *fc = c->feat_chs, *ec = c->enc_chs;

    facet_arena_take(a, &r->f0, fc[0], S, S);
    facet_arena_take(a, &r->f1, fc[1], S2, S2);
    facet_arena_take(a, &r->f2, fc[2], S4, S4);
    facet_arena_take(a, &r->small, 3, S4, S4);
    facet_arena_take(a, &r->flow, 2, S4, S4);
    facet_arena_take(a, &r->heads, K + 2, S4, S4);
    r->masks = facet_tensor_view(&r->heads, 0, K + 1);
    r->occlusion = facet_tensor_view(&r->heads, K + 1, 1);
    take_grid(a, &r->grid4, S4);
    take_grid(a, &r->grid2, S2);
    take_grid(a, &r->grid1, S);
    facet_arena_take(a, &r->image, 3, S, S);
    FacetTensor g;
    facet_arena_take(a, &g, 2, K, S4);
    r->gauss_x = g.data;
    r->gauss_y = g.data ? g.data + (size_t)K * (size_t)S4 : NULL;
    size_t phases = a->used;

    /* Keyframe: ReferenceEncoder's trunk. */
    facet_arena_take(a, &r->x0, ec[0], S, S);
    facet_arena_take(a, &r->x1, ec[1], S2, S2);
    facet_arena_take(a, &r->x2a, ec[2], S4, S4);
    facet_arena_take(a, &r->x2, ec[2], S4, S4);
    facet_arena_take(a, &r->half, 3, S2, S2);

    /* DenseMotion. */
    a->used = phases;
    int motion_c = 4 * (K + 1);
    facet_arena_take(a, &r->motions, 2 * (K + 1), S4, S4);
    facet_arena_take(a, &r->feat, c->dm_chs[0] + motion_c, S4, S4);
    r->hg_out = facet_tensor_view(&r->feat, 0, c->dm_chs[0]);
    r->motion_in = facet_tensor_view(&r->feat, c->dm_chs[0], motion_c);
    facet_hourglass_layout(&r->net->dense_motion.hourglass, S4, S4, a, &r->hourglass);

    /* Decoder. */
    a->used = phases;
    facet_arena_take(a, &r->y2, fc[1], S2, S2);
    facet_arena_take(a, &r->w2, fc[1], S2, S2);
    facet_arena_take(a, &r->flow1, 2, S2, S2);
    facet_arena_take(a, &r->occ1, 1, S2, S2);
    size_t decoder_a = a->used;
    facet_arena_take(a, &r->x4, fc[2], S4, S4);
    facet_arena_take(a, &r->t4, fc[2], S4, S4);
    facet_arena_take(a, &r->u4, fc[2], S4, S4);
    facet_arena_take(a, &r->up2, fc[2], S2, S2);
    a->used = decoder_a;
    facet_arena_take(a, &r->up1, fc[1], S, S);
    facet_arena_take(a, &r->y1, fc[0], S, S);
    facet_arena_take(a, &r->w1, fc[0], S, S);
    facet_arena_take(a, &r->flow0, 2, S, S);
    facet_arena_take(a, &r->occ0, 1, S, S);
}

static void fill_grid(IdentityGrid *g, int n)
{
    for (int i = 0; i < n; i++)
        g->x[i] = g->y[i] = (float)(2 * i + 1) / (float)n - 1.0f;
}

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
    r->s2 = size / 2;
    r->s4 = size / 4;
    r->k = net->config.num_kp;
    facet_render_ops_init(&r->ops, ops_flags);
    facet_workspace_init(&r->ws, pool);

    FacetArena arena = {0};
    layout(r, &arena);
    r->memory = aligned_alloc(FACET_TENSOR_ALIGN, arena.peak * sizeof(float));
    if (!r->memory)
        goto nomem;
    memset(r->memory, 0, arena.peak * sizeof(float));
    arena = (FacetArena){r->memory, 0, 0};
    layout(r, &arena);
    fill_grid(&r->grid4, r->s4);
    fill_grid(&r->grid2, r->s2);
    fill_grid(&r->grid1, r->size);

    /* The largest conv scratch of any layer, so that no frame grows it. */
    const FacetNetwork *n = net;
    int S = size, S2 = r->s2, S4 = r->s4;
    size_t scratch = 0;
    facet_network_need_scratch(&scratch, &n->encoder.e0, S, S);
    facet_network_need_scratch(&scratch, &n->encoder.e1, S, S);
    facet_network_need_scratch(&scratch, &n->encoder.e2, S2, S2);
    facet_network_need_scratch(&scratch, &n->encoder.e3, S4, S4);
    facet_network_need_scratch(&scratch, &n->encoder.p0, S, S);
    facet_network_need_scratch(&scratch, &n->encoder.p1, S2, S2);
    facet_network_need_scratch(&scratch, &n->encoder.p2, S4, S4);
    facet_hourglass_need_scratch(&n->dense_motion.hourglass, S4, S4, &scratch);
    facet_network_need_scratch(&scratch, &n->dense_motion.heads, S4, S4);
    for (int i = 0; i < n->config.num_res; i++) {
        facet_network_need_scratch(&scratch, &n->decoder.res_a[i], S4, S4);
        facet_network_need_scratch(&scratch, &n->decoder.res_b[i], S4, S4);
    }
    facet_network_need_scratch(&scratch, &n->decoder.up1, S2, S2);
    facet_network_need_scratch(&scratch, &n->decoder.up0, S, S);
    facet_network_need_scratch(&scratch, &n->decoder.out, S, S);
    if (facet_workspace_reserve(&r->ws, scratch) < 0)
        goto nomem;
    *out = r;
    return 0;

nomem:
    facet_renderer_destroy(&r);
    return -ENOMEM;
}

void facet_renderer_destroy(FacetRenderer **pr)
{
    if (!pr || !*pr)
        return;
    FacetRenderer *r = *pr;
    facet_workspace_free(&r->ws);
    free(r->memory);
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
    t->f0 = &r->f0;
    t->f1 = &r->f1;
    t->f2 = &r->f2;
    t->small = &r->small;
    t->flow = &r->flow;
    t->occlusion = &r->occlusion;
    t->masks = &r->masks;
    t->sparse_motions = &r->motions;
    t->motion_input = &r->motion_in;
    t->motion_hourglass = &r->hg_out;
    t->x1 = &r->y2;
    t->flow1 = &r->flow1;
    t->x0 = &r->y1;
    t->flow0 = &r->flow0;
}

static int check_keypoints(const FacetRenderer *r, const FacetKeypointSet *kp)
{
    return facet_keypoint_set_check(kp, r->k);
}

static int check_image(const FacetRenderer *r, const FacetTensor *t)
{
    return t && t->data && t->c == 3 && t->h == r->size && t->w == r->size ? 0 : -EINVAL;
}

/* ---- ReferenceEncoder ---------------------------------------------------- */

int facet_renderer_set_keyframe(FacetRenderer *r, const FacetTensor *rgb,
                                const FacetKeypointSet *kp_ref)
{
    if (!r)
        return -EINVAL;
    r->has_keyframe = 0;
    int ret;
    if ((ret = check_image(r, rgb)) < 0 || (ret = check_keypoints(r, kp_ref)) < 0)
        return ret;
    const FacetRenderOps *ops = &r->ops;
    FacetWorkspace *ws = &r->ws;
    const FacetNetwork *n = r->net;
    if ((ret = ops->conv2d(ws, &n->encoder.e0, rgb, &r->x0)) < 0 ||
        (ret = ops->conv2d(ws, &n->encoder.e1, &r->x0, &r->x1)) < 0 ||
        (ret = ops->conv2d(ws, &n->encoder.e2, &r->x1, &r->x2a)) < 0 ||
        (ret = ops->conv2d(ws, &n->encoder.e3, &r->x2a, &r->x2)) < 0 ||
        (ret = ops->conv2d(ws, &n->encoder.p0, &r->x0, &r->f0)) < 0 ||
        (ret = ops->conv2d(ws, &n->encoder.p1, &r->x1, &r->f1)) < 0 ||
        (ret = ops->conv2d(ws, &n->encoder.p2, &r->x2, &r->f2)) < 0 ||
        (ret = ops->avgpool2x2(ws, rgb, &r->half)) < 0 ||
        (ret = ops->avgpool2x2(ws, &r->half, &r->small)) < 0)
        return ret;
    r->kp_ref = *kp_ref;
    r->has_keyframe = 1;
    return 0;
}

/* ---- DenseMotion ----------------------------------------------------------- */

/* sparse_motions: motion 0 is the identity; motion k (keypoint i = k - 1)
 * maps z to ref_i + J_ref_i inv(J_cur_i) (z - cur_i). */
static void sparse_motions(FacetRenderer *r, const FacetKeypointSet *kp_cur)
{
    int n = r->s4;
    const IdentityGrid *g = &r->grid4;
    for (int k = 0; k <= r->k; k++) {
        float *mx = facet_tensor_channel(&r->motions, 2 * k);
        float *my = facet_tensor_channel(&r->motions, 2 * k + 1);
        if (k == 0) {
            for (int y = 0; y < n; y++)
                for (int x = 0; x < n; x++) {
                    mx[y * n + x] = g->x[x];
                    my[y * n + x] = g->y[y];
                }
            continue;
        }
        const FacetKeypoint *ref = &r->kp_ref.points[k - 1];
        const FacetKeypoint *cur = &kp_cur->points[k - 1];
        float j[2][2];
        facet_keypoint_motion_jacobian(ref, cur, r->net->jacobian_det_eps, j);
        for (int y = 0; y < n; y++) {
            float zy = g->y[y] - cur->y;
            for (int x = 0; x < n; x++) {
                float zx = g->x[x] - cur->x;
                mx[y * n + x] = j[0][0] * zx + j[0][1] * zy + ref->x;
                my[y * n + x] = j[1][0] * zx + j[1][1] * zy + ref->y;
            }
        }
    }
}

/* keypoint_gaussians(cur) - keypoint_gaussians(ref) into channel 0 of each
 * motion's input block (block 0, the identity motion, gets zeros). The
 * Gaussian exp(-0.5 (dx^2 + dy^2) / v) is evaluated as the product of its
 * x and y factors: 2n exps per keypoint instead of n^2, and within a few
 * float roundings (< 1e-6 absolute) of the direct form. */
static void heatmap_differences(FacetRenderer *r, const FacetKeypointSet *kp_cur)
{
    int n = r->s4;
    const IdentityGrid *g = &r->grid4;
    float scale = -0.5f / r->net->gaussian_variance;
    memset(facet_tensor_channel(&r->motion_in, 0), 0, sizeof(float) * (size_t)n * (size_t)n);
    for (int k = 1; k <= r->k; k++) {
        const FacetKeypoint *ref = &r->kp_ref.points[k - 1];
        const FacetKeypoint *cur = &kp_cur->points[k - 1];
        float *cx = r->gauss_x, *cy = r->gauss_y;                 /* current */
        float *rx = r->gauss_x + n, *ry = r->gauss_y + n;         /* reference */
        for (int i = 0; i < n; i++) {
            float d;
            d = g->x[i] - cur->x;
            cx[i] = expf(d * d * scale);
            d = g->y[i] - cur->y;
            cy[i] = expf(d * d * scale);
            d = g->x[i] - ref->x;
            rx[i] = expf(d * d * scale);
            d = g->y[i] - ref->y;
            ry[i] = expf(d * d * scale);
        }
        float *heat = facet_tensor_channel(&r->motion_in, 4 * k);
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                heat[y * n + x] = cy[y] * cx[x] - ry[y] * rx[x];
    }
}

/* flow = sum over motions of mask * motion. */
static void blend_flow(FacetRenderer *r)
{
    size_t count = (size_t)r->s4 * (size_t)r->s4;
    float *fx = facet_tensor_channel(&r->flow, 0), *fy = facet_tensor_channel(&r->flow, 1);
    for (int k = 0; k <= r->k; k++) {
        const float *m = facet_tensor_channel(&r->masks, k);
        const float *mx = facet_tensor_channel(&r->motions, 2 * k);
        const float *my = facet_tensor_channel(&r->motions, 2 * k + 1);
        if (k == 0) {
            for (size_t i = 0; i < count; i++) {
                fx[i] = m[i] * mx[i];
                fy[i] = m[i] * my[i];
            }
        } else {
            for (size_t i = 0; i < count; i++) {
                fx[i] += m[i] * mx[i];
                fy[i] += m[i] * my[i];
            }
        }
    }
}

int facet_renderer_dense_motion(FacetRenderer *r, const FacetKeypointSet *kp_cur)
{
    if (!r)
        return -EINVAL;
    int ret;
    if ((ret = check_keypoints(r, kp_cur)) < 0)
        return ret;
    if (!r->has_keyframe)
        return -ENODATA;
    const FacetRenderOps *ops = &r->ops;
    FacetWorkspace *ws = &r->ws;
    const FacetNetwork *n = r->net;

    sparse_motions(r, kp_cur);
    heatmap_differences(r, kp_cur);
    for (int k = 0; k <= r->k; k++) {
        FacetTensor grid = facet_tensor_view(&r->motions, 2 * k, 2);
        FacetTensor warped = facet_tensor_view(&r->motion_in, 4 * k + 1, 3);
        if ((ret = ops->grid_sample(ws, &r->small, &grid, &warped)) < 0)
            return ret;
    }
    if ((ret = facet_hourglass_run(&n->dense_motion.hourglass, ops, ws, &r->hourglass,
                                   &r->motion_in, &r->hg_out)) < 0 ||
        (ret = ops->conv2d(ws, &n->dense_motion.heads, &r->feat, &r->heads)) < 0 ||
        (ret = ops->softmax_channels(ws, &r->masks, &r->masks)) < 0 ||
        (ret = ops->activate(ws, &r->occlusion, FACET_ACT_SIGMOID)) < 0)
        return ret;
    blend_flow(r);
    return 0;
}

/* ---- Decoder --------------------------------------------------------------- */

/* model.py's upsample_grid2: the displacement from the coarse identity grid
 * is upsampled (nearest) and added to the fine identity grid. */
static void upsample_grid2(const FacetTensor *grid, const IdentityGrid *coarse,
                           const IdentityGrid *fine, FacetTensor *out)
{
    int h = grid->h, w = grid->w;
    const float *gx = facet_tensor_channel(grid, 0), *gy = facet_tensor_channel(grid, 1);
    float *ox = facet_tensor_channel(out, 0), *oy = facet_tensor_channel(out, 1);
    size_t ow = (size_t)(2 * w);
    for (int y = 0; y < 2 * h; y++) {
        const float *rx = gx + (size_t)(y / 2) * (size_t)w;
        const float *ry = gy + (size_t)(y / 2) * (size_t)w;
        float *px = ox + (size_t)y * ow, *py = oy + (size_t)y * ow;
        float cy = coarse->y[y / 2], fy = fine->y[y];
        for (int x = 0; x < 2 * w; x++) {
            px[x] = fine->x[x] + (rx[x / 2] - coarse->x[x / 2]);
            py[x] = fy + (ry[x / 2] - cy);
        }
    }
}

/* x += warp(features, grid) * occlusion, with `tmp` for the warp. */
static int add_warped(FacetRenderer *r, FacetTensor *x, const FacetTensor *features,
                      const FacetTensor *grid, const FacetTensor *occlusion, FacetTensor *tmp)
{
    int ret;
    if ((ret = r->ops.grid_sample(&r->ws, features, grid, tmp)) < 0 ||
        (ret = r->ops.mul_map(&r->ws, tmp, occlusion, tmp)) < 0)
        return ret;
    return r->ops.add(&r->ws, x, tmp, x);
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
    const FacetRenderOps *ops = &r->ops;
    FacetWorkspace *ws = &r->ws;
    const FacetNetwork *n = r->net;

    /* S/4: x = warp(f2, flow) * occlusion, then the residual blocks. */
    if ((ret = ops->grid_sample(ws, &r->f2, &r->flow, &r->x4)) < 0 ||
        (ret = ops->mul_map(ws, &r->x4, &r->occlusion, &r->x4)) < 0)
        return ret;
    for (int i = 0; i < n->config.num_res; i++) {
        if ((ret = ops->conv2d(ws, &n->decoder.res_a[i], &r->x4, &r->t4)) < 0 ||
            (ret = ops->conv2d(ws, &n->decoder.res_b[i], &r->t4, &r->u4)) < 0 ||
            (ret = ops->add(ws, &r->x4, &r->u4, &r->x4)) < 0)
            return ret;
    }

    /* S/2: x = up1(upsample(x)) + warp(f1, flow1) * occ1. */
    upsample_grid2(&r->flow, &r->grid4, &r->grid2, &r->flow1);
    if ((ret = ops->upsample2x(ws, &r->occlusion, &r->occ1)) < 0 ||
        (ret = ops->upsample2x(ws, &r->x4, &r->up2)) < 0 ||
        (ret = ops->conv2d(ws, &n->decoder.up1, &r->up2, &r->y2)) < 0 ||
        (ret = add_warped(r, &r->y2, &r->f1, &r->flow1, &r->occ1, &r->w2)) < 0)
        return ret;

    /* S: x = up0(upsample(x)) + warp(f0, flow0) * occ0; out = sigmoid(conv(x)). */
    upsample_grid2(&r->flow1, &r->grid2, &r->grid1, &r->flow0);
    if ((ret = ops->upsample2x(ws, &r->occ1, &r->occ0)) < 0 ||
        (ret = ops->upsample2x(ws, &r->y2, &r->up1)) < 0 ||
        (ret = ops->conv2d(ws, &n->decoder.up0, &r->up1, &r->y1)) < 0 ||
        (ret = add_warped(r, &r->y1, &r->f0, &r->flow0, &r->occ0, &r->w1)) < 0 ||
        (ret = ops->conv2d(ws, &n->decoder.out, &r->y1, rgb_out)) < 0)
        return ret;
    return 0;
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
    int ret = facet_renderer_render(r, kp_cur, &r->image);
    if (ret < 0)
        return ret;
    return facet_picture_out(r->ws.pool, &r->image, out);
}
