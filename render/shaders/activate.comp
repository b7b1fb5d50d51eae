/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* t = act(t) in place. Dispatch: x = ceil(count / 256), y = ceil of the
 * rest (count = x_groups * 256 * y). */
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint off, count, act;
} p;

void main()
{
    uint i = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 256u + gl_GlobalInvocationID.x;
    if (i < p.count)
        data[p.off + i] = ftype(facet_activate(float(data[p.off + i]), p.act));
}
