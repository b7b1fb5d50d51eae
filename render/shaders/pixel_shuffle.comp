/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* Depth-to-space by 2 (F.pixel_shuffle(x, 2)): in 4C x h x w, out
 * C x 2h x 2w, out[c][2y + i][2x + j] = in[4c + 2i + j][y][x]. Dispatch:
 * x = ceil(4 h w / 256), y = C. */
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
    uint oy = pixel / ow, ox = pixel % ow;
    uint sub = (oy % 2u) * 2u + ox % 2u;
    data[p.out_off + c * 4u * p.h * p.w + pixel] =
        data[p.in_off + (4u * c + sub) * p.h * p.w + (oy / 2u) * p.w + ox / 2u];
}
