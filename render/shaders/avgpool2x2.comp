/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* 2x2 average pooling, stride 2 (odd last row/column dropped), summed in
 * PyTorch's order. Dispatch: x = ceil(out_h out_w / 256), y = channels. */
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint in_off, out_off, in_h, in_w, out_h, out_w;
} p;

void main()
{
    uint pixel = gl_GlobalInvocationID.x;
    if (pixel >= p.out_h * p.out_w)
        return;
    uint c = gl_WorkGroupID.y;
    uint y = pixel / p.out_w, x = pixel % p.out_w;
    uint s0 = p.in_off + c * p.in_h * p.in_w + 2u * y * p.in_w + 2u * x;
    uint s1 = s0 + p.in_w;
    float v = (float(data[s0]) + float(data[s0 + 1u]) + float(data[s1]) + float(data[s1 + 1u])) * 0.25;
    data[p.out_off + c * p.out_h * p.out_w + pixel] = ftype(v);
}
