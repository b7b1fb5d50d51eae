/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* Download: count values of the data (or coords) buffer into the host
 * buffer as fp32. Dispatch as activate.comp. */
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint src_off, host_off, count, from_coords;
} p;

void main()
{
    uint i = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 256u + gl_GlobalInvocationID.x;
    if (i >= p.count)
        return;
    host[p.host_off + i] = p.from_coords != 0u ? coords[p.src_off + i] : float(data[p.src_off + i]);
}
