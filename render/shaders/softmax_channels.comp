/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* Softmax over channels at each pixel (may run in place). Dispatch:
 * x = ceil(h w / 256). */
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint in_off, out_off, channels, plane;
} p;

void main()
{
    uint pixel = gl_GlobalInvocationID.x;
    if (pixel >= p.plane)
        return;
    float mx = -1.0 / 0.0;
    for (uint c = 0u; c < p.channels; c++)
        mx = max(mx, float(data[p.in_off + c * p.plane + pixel]));
    float sum = 0.0;
    for (uint c = 0u; c < p.channels; c++)
        sum += exp(float(data[p.in_off + c * p.plane + pixel]) - mx);
    for (uint c = 0u; c < p.channels; c++) {
        float e = exp(float(data[p.in_off + c * p.plane + pixel]) - mx);
        data[p.out_off + c * p.plane + pixel] = ftype(e / sum);
    }
}
