/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* out = a * b elementwise (may run in place). Dispatch as activate.comp. */
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint a_off, b_off, out_off, count;
} p;

void main()
{
    uint i = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 256u + gl_GlobalInvocationID.x;
    if (i < p.count)
        data[p.out_off + i] = ftype(float(data[p.a_off + i]) * float(data[p.b_off + i]));
}
