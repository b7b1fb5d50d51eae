/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* Upload: count floats of the host buffer into the data buffer (converted
 * to its precision) or into the coords buffer. Dispatch as activate.comp. */
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint host_off, dst_off, count, to_coords;
} p;

void main()
{
    uint i = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 256u + gl_GlobalInvocationID.x;
    if (i >= p.count)
        return;
    float v = host[p.host_off + i];
    if (p.to_coords != 0u)
        coords[p.dst_off + i] = v;
    else
        data[p.dst_off + i] = ftype(v);
}
