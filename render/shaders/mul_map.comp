/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* out[c] = a[c] * map for every channel c (may run in place). Dispatch:
 * x = ceil(plane / 256), y = channels. */
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint a_off, map_off, out_off, plane;
} p;

void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (i >= p.plane)
        return;
    uint c = gl_WorkGroupID.y;
    data[p.out_off + c * p.plane + i] =
        ftype(float(data[p.a_off + c * p.plane + i]) * float(data[p.map_off + i]));
}
