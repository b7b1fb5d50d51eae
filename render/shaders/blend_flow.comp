/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* flow = sum over the K+1 motions of mask_k * motion_k: masks in the data
 * buffer, motions and flow in coords. Dispatch: x = ceil(plane / 256). */
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint masks_off, motions_off, flow_off, plane, motions;
} p;

void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (i >= p.plane)
        return;
    float fx = 0.0, fy = 0.0;
    for (uint k = 0u; k < p.motions; k++) {
        float m = float(data[p.masks_off + k * p.plane + i]);
        fx += m * coords[p.motions_off + 2u * k * p.plane + i];
        fy += m * coords[p.motions_off + (2u * k + 1u) * p.plane + i];
    }
    coords[p.flow_off + i] = fx;
    coords[p.flow_off + p.plane + i] = fy;
}
