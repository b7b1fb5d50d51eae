/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* t = value, every element (the latent network's no-reference state).
 * Dispatch as activate.comp. */
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint off, count;
    float value;
} p;

void main()
{
    uint i = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 256u + gl_GlobalInvocationID.x;
    if (i < p.count)
        data[p.off + i] = ftype(p.value);
}
