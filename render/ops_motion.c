/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DenseMotion's per-keypoint ops and the grid upsampling of the decoder
 * (ops.h: motion_inputs, blend_flow, upsample_grid). About 1 % of a frame:
 * one C version, on the calling thread; the shaders motion_inputs.comp,
 * blend_flow.comp and upsample_grid.comp do the same float operations.
 */
#include "render/ops.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Pixel centre i of an identity grid of n pixels: (2 i + 1) / n - 1. */
static float identity(int i, int n)
{
    return (float)(2 * i + 1) / (float)n - 1.0f;
}

/* Largest n of motion_inputs (the S/4 of FACET_NETWORK_MAX_SIZE). */
#define MAX_SIDE 1024

static int motion_inputs_c(FacetWorkspace *ws, const FacetTensor *params, float variance,
                           FacetTensor *motions, FacetTensor *motion_in)
{
    (void)ws;
    if (!facet_ops_check_tensor(params) || !facet_ops_check_tensor(motions) ||
        !facet_ops_check_tensor(motion_in) || params->w != 8 || params->c != 1)
        return -EINVAL;
    int n = motions->w, k_count = params->h;
    if (n > MAX_SIDE || motions->h != n || motions->c != 2 * (k_count + 1) ||
        motion_in->c != 4 * (k_count + 1) || motion_in->h != n || motion_in->w != n ||
        !isfinite(variance) || !(variance > 0.0f))
        return -EINVAL;
    float grid[MAX_SIDE];
    for (int i = 0; i < n; i++)
        grid[i] = identity(i, n);
    size_t plane = (size_t)n * (size_t)n;
    float scale = -0.5f / variance;

    float *mx = facet_tensor_channel(motions, 0), *my = facet_tensor_channel(motions, 1);
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            mx[y * n + x] = grid[x];
            my[y * n + x] = grid[y];
        }
    memset(facet_tensor_channel(motion_in, 0), 0, sizeof(float) * plane);

    float cx[MAX_SIDE], cy[MAX_SIDE], rx[MAX_SIDE], ry[MAX_SIDE];
    for (int k = 1; k <= k_count; k++) {
        const float *p = params->data + 8 * (size_t)(k - 1);
        float j00 = p[0], j01 = p[1], j10 = p[2], j11 = p[3];
        float ref_x = p[4], ref_y = p[5], cur_x = p[6], cur_y = p[7];
        mx = facet_tensor_channel(motions, 2 * k);
        my = facet_tensor_channel(motions, 2 * k + 1);
        for (int y = 0; y < n; y++) {
            float zy = grid[y] - cur_y;
            for (int x = 0; x < n; x++) {
                float zx = grid[x] - cur_x;
                mx[y * n + x] = j00 * zx + j01 * zy + ref_x;
                my[y * n + x] = j10 * zx + j11 * zy + ref_y;
            }
        }
        /* The Gaussian as the product of its x and y factors: 2n exps per
         * keypoint instead of n^2, within a few float roundings (< 1e-6
         * absolute) of the direct form. */
        for (int i = 0; i < n; i++) {
            float d;
            d = grid[i] - cur_x;
            cx[i] = expf(d * d * scale);
            d = grid[i] - cur_y;
            cy[i] = expf(d * d * scale);
            d = grid[i] - ref_x;
            rx[i] = expf(d * d * scale);
            d = grid[i] - ref_y;
            ry[i] = expf(d * d * scale);
        }
        float *heat = facet_tensor_channel(motion_in, 4 * k);
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                heat[y * n + x] = cy[y] * cx[x] - ry[y] * rx[x];
    }
    return 0;
}

static int blend_flow_c(FacetWorkspace *ws, const FacetTensor *masks, const FacetTensor *motions,
                        FacetTensor *flow)
{
    (void)ws;
    if (!facet_ops_check_tensor(masks) || !facet_ops_check_tensor(motions) ||
        !facet_ops_check_tensor(flow) || motions->c != 2 * masks->c || flow->c != 2 ||
        motions->h != masks->h || motions->w != masks->w || flow->h != masks->h ||
        flow->w != masks->w)
        return -EINVAL;
    size_t count = (size_t)masks->h * (size_t)masks->w;
    float *fx = facet_tensor_channel(flow, 0), *fy = facet_tensor_channel(flow, 1);
    for (int k = 0; k < masks->c; k++) {
        const float *m = facet_tensor_channel(masks, k);
        const float *mx = facet_tensor_channel(motions, 2 * k);
        const float *my = facet_tensor_channel(motions, 2 * k + 1);
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
    return 0;
}

static int upsample_grid_c(FacetWorkspace *ws, const FacetTensor *grid, FacetTensor *out)
{
    (void)ws;
    if (!facet_ops_check_tensor(grid) || !facet_ops_check_tensor(out) || grid->c != 2 ||
        out->c != 2 || out->h != 2 * grid->h || out->w != 2 * grid->w)
        return -EINVAL;
    int h = grid->h, w = grid->w;
    const float *gx = facet_tensor_channel(grid, 0), *gy = facet_tensor_channel(grid, 1);
    float *ox = facet_tensor_channel(out, 0), *oy = facet_tensor_channel(out, 1);
    size_t ow = (size_t)(2 * w);
    for (int y = 0; y < 2 * h; y++) {
        const float *rx = gx + (size_t)(y / 2) * (size_t)w;
        const float *ry = gy + (size_t)(y / 2) * (size_t)w;
        float *px = ox + (size_t)y * ow, *py = oy + (size_t)y * ow;
        float cy = identity(y / 2, h), fy = identity(y, 2 * h);
        for (int x = 0; x < 2 * w; x++) {
            px[x] = identity(x, 2 * w) + (rx[x / 2] - identity(x / 2, w));
            py[x] = fy + (ry[x / 2] - cy);
        }
    }
    return 0;
}

void facet_render_ops_init_motion(FacetRenderOps *ops)
{
    ops->motion_inputs = motion_inputs_c;
    ops->blend_flow = blend_flow_c;
    ops->upsample_grid = upsample_grid_c;
}
