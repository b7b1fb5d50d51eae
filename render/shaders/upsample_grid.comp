/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* model.py's upsample_grid2 on an n x n grid (coords): the displacement from
 * the coarse identity grid, upsampled (nearest), added to the 2n x 2n
 * identity grid. Dispatch: x = ceil(4 n n / 256). */
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint in_off, out_off, n;
} p;

void main()
{
    uint m = 2u * p.n;
    uint pixel = gl_GlobalInvocationID.x;
    if (pixel >= m * m)
        return;
    uint y = pixel / m, x = pixel % m;
    uint src = p.in_off + (y / 2u) * p.n + x / 2u;
    uint plane = p.n * p.n;
    coords[p.out_off + pixel] = facet_identity(x, m) + (coords[src] - facet_identity(x / 2u, p.n));
    coords[p.out_off + m * m + pixel] =
        facet_identity(y, m) + (coords[src + plane] - facet_identity(y / 2u, p.n));
}
