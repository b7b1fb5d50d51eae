/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* Nearest 2x upsampling: out[c][y][x] = in[c][y/2][x/2]. Dispatch:
 * x = ceil(4 h w / 256), y = channels. */
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint in_off, out_off, h, w;
} p;

void main()
{
    uint ow = 2u * p.w;
    uint pixel = gl_GlobalInvocationID.x;
    if (pixel >= 4u * p.h * p.w)
        return;
    uint c = gl_WorkGroupID.y;
    uint y = pixel / ow, x = pixel % ow;
    data[p.out_off + c * 4u * p.h * p.w + pixel] =
        data[p.in_off + c * p.h * p.w + (y / 2u) * p.w + x / 2u];
}
