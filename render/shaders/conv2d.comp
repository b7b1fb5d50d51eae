/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* out = act(conv(in) + bias): PyTorch's Conv2d(k, stride, padding k/2).
 *
 * One invocation computes PIXELS neighbouring output pixels of one row for
 * 4 output channels: the weights come in FacetConv2d.packed's blocks
 * ([block][in_c][k*k][4], zero past out_c), so each tap loads one vec4 of
 * weights for PIXELS x 4 multiply-adds, and every invocation of a workgroup
 * reads the same weights. Each output sums its taps in the order of the C
 * reference (input channel, then row, then column).
 *
 * Dispatch: x = ceil(out_h * ceil(out_w / PIXELS) / 64), y = ceil(out_c / 4). */
#include "common.glsl"

#define PIXELS 8
layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    uint in_off, out_off, weights_off, bias_off;
    uint in_c, in_h, in_w;
    uint out_c, out_h, out_w;
    uint k, stride, act;
} p;

void main()
{
    uint tiles_per_row = (p.out_w + PIXELS - 1u) / PIXELS;
    uint tile = gl_GlobalInvocationID.x;
    if (tile >= p.out_h * tiles_per_row)
        return;
    uint oy = tile / tiles_per_row;
    uint ox0 = (tile % tiles_per_row) * PIXELS;
    uint block = gl_WorkGroupID.y;
    int pad = int(p.k / 2u);
    int iy0 = int(oy * p.stride) - pad, ix0 = int(ox0 * p.stride) - pad;
    uint taps = p.k * p.k;
    uint plane = p.in_h * p.in_w;

    vec4 acc[PIXELS];
    for (uint i = 0u; i < PIXELS; i++)
        acc[i] = vec4(0.0);
    for (uint ic = 0u; ic < p.in_c; ic++) {
        uint w = p.weights_off + ((block * p.in_c + ic) * taps) * 4u;
        uint src = p.in_off + ic * plane;
        for (uint ky = 0u; ky < p.k; ky++) {
            int iy = iy0 + int(ky);
            if (iy < 0 || iy >= int(p.in_h)) {
                w += 4u * p.k;
                continue;
            }
            uint row = src + uint(iy) * p.in_w;
            for (uint kx = 0u; kx < p.k; kx++, w += 4u) {
                vec4 weights = vec4(float(data[w]), float(data[w + 1u]), float(data[w + 2u]),
                                    float(data[w + 3u]));
                for (uint i = 0u; i < PIXELS; i++) {
                    int ix = ix0 + int(i * p.stride + kx);
                    if (ix >= 0 && ix < int(p.in_w))
                        acc[i] += float(data[row + uint(ix)]) * weights;
                }
            }
        }
    }
    uint plane_out = p.out_h * p.out_w;
    for (uint j = 0u; j < 4u; j++) {
        uint oc = block * 4u + j;
        if (oc >= p.out_c)
            break;
        float bias = float(data[p.bias_off + oc]);
        uint dst = p.out_off + oc * plane_out + oy * p.out_w;
        for (uint i = 0u; i < PIXELS; i++)
            if (ox0 + i < p.out_w)
                data[dst + ox0 + i] = ftype(facet_activate(acc[i][j] + bias, p.act));
    }
}
