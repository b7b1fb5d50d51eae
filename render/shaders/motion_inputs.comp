/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* DenseMotion's per-keypoint inputs at S/4 (model.py's sparse_motions and
 * keypoint_gaussians), from the parameters the host uploads per frame:
 * for keypoint i, 8 floats at host[params_off + 8 i]: the 2x2 matrix
 * J_ref inv(J_cur) (row major), ref x, ref y, cur x, cur y.
 *
 *   motion k (coords, planes 2k, 2k+1): identity for k = 0, else
 *       ref + J (z - cur)
 *   heat k (data, channel 4k of the motion input): 0 for k = 0, else
 *       gaussian(z - cur) - gaussian(z - ref), evaluated as the product of
 *       its x and y factors as the C renderer does.
 *
 * Dispatch: x = ceil(n n / 256), y = K + 1. */
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint params_off, motions_off, heat_off, n;
    float scale; /* -0.5 / variance */
} p;

void main()
{
    uint pixel = gl_GlobalInvocationID.x;
    uint plane = p.n * p.n;
    if (pixel >= plane)
        return;
    uint k = gl_WorkGroupID.y;
    float zx = facet_identity(pixel % p.n, p.n), zy = facet_identity(pixel / p.n, p.n);
    uint mx = p.motions_off + 2u * k * plane + pixel, my = mx + plane;
    uint heat = p.heat_off + 4u * k * plane + pixel;
    if (k == 0u) {
        coords[mx] = zx;
        coords[my] = zy;
        data[heat] = ftype(0.0);
        return;
    }
    uint q = p.params_off + 8u * (k - 1u);
    float j00 = host[q], j01 = host[q + 1u], j10 = host[q + 2u], j11 = host[q + 3u];
    float rx = host[q + 4u], ry = host[q + 5u], cx = host[q + 6u], cy = host[q + 7u];
    float dx = zx - cx, dy = zy - cy;
    coords[mx] = j00 * dx + j01 * dy + rx;
    coords[my] = j10 * dx + j11 * dy + ry;
    float ex = zx - rx, ey = zy - ry;
    float g_cur = exp(dy * dy * p.scale) * exp(dx * dx * p.scale);
    float g_ref = exp(ey * ey * p.scale) * exp(ex * ex * p.scale);
    data[heat] = ftype(g_cur - g_ref);
}
