/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* Softmax over the positions of each channel of in / temperature (may run
 * in place). One workgroup per channel reduces max and sum in shared
 * memory. Dispatch: x = 1, y = channels. */
#include "common.glsl"

#define THREADS 256
layout(local_size_x = THREADS) in;

layout(push_constant) uniform Params {
    uint in_off, out_off, plane;
    float inv_temperature;
} p;

shared float partial[THREADS];

void main()
{
    uint t = gl_LocalInvocationID.x;
    uint src = p.in_off + gl_WorkGroupID.y * p.plane;
    uint dst = p.out_off + gl_WorkGroupID.y * p.plane;

    float mx = -1.0 / 0.0;
    for (uint i = t; i < p.plane; i += THREADS)
        mx = max(mx, float(data[src + i]));
    partial[t] = mx;
    barrier();
    for (uint s = THREADS / 2; s > 0u; s >>= 1) {
        if (t < s)
            partial[t] = max(partial[t], partial[t + s]);
        barrier();
    }
    mx = partial[0];
    barrier();

    float sum = 0.0;
    for (uint i = t; i < p.plane; i += THREADS)
        sum += exp((float(data[src + i]) - mx) * p.inv_temperature);
    partial[t] = sum;
    barrier();
    for (uint s = THREADS / 2; s > 0u; s >>= 1) {
        if (t < s)
            partial[t] += partial[t + s];
        barrier();
    }
    float scale = 1.0 / partial[0];
    for (uint i = t; i < p.plane; i += THREADS)
        data[dst + i] = ftype(exp((float(data[src + i]) - mx) * p.inv_temperature) * scale);
}
