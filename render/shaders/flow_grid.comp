/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* latent_model.py's flow_grid: out (coords, 2 x H x W) = the identity grid
 * plus the displacement (data, 2 x h x w; none when has_disp is 0),
 * resampled bilinearly at the identity grid's points (grid_sample.comp's
 * float operations) when h x w differs from H x W, taken as it is when it
 * does not. Dispatch: x = ceil(H W / 256), y = 1. */
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint in_off, out_off, in_h, in_w, out_h, out_w, has_disp;
} p;

float source_index(float g, uint size)
{
    float v = ((g + 1.0) * float(size) - 1.0) * 0.5;
    v = v > 0.0 ? v : 0.0;
    return v < float(size - 1u) ? v : float(size - 1u);
}

void main()
{
    uint pixel = gl_GlobalInvocationID.x;
    uint plane = p.out_h * p.out_w;
    if (pixel >= plane)
        return;
    uint y = pixel / p.out_w, x = pixel % p.out_w;
    float gx = facet_identity(x, p.out_w), gy = facet_identity(y, p.out_h);
    float vx = 0.0, vy = 0.0;
    if (p.has_disp != 0u) {
        uint in_plane = p.in_h * p.in_w;
        if (p.in_h == p.out_h && p.in_w == p.out_w) {
            vx = float(data[p.in_off + pixel]);
            vy = float(data[p.in_off + in_plane + pixel]);
        } else {
            float ix = source_index(gx, p.in_w), iy = source_index(gy, p.in_h);
            uint x0 = uint(floor(ix)), y0 = uint(floor(iy));
            uint x1 = x0 + 1u < p.in_w ? x0 + 1u : x0;
            uint y1 = y0 + 1u < p.in_h ? y0 + 1u : y0;
            float wx1 = ix - float(x0), wy1 = iy - float(y0);
            float wx0 = float(x0 + 1u) - ix, wy0 = float(y0 + 1u) - iy;
            float w00 = wx0 * wy0, w01 = wx1 * wy0, w10 = wx0 * wy1, w11 = wx1 * wy1;
            uint i00 = p.in_off + y0 * p.in_w + x0, i01 = p.in_off + y0 * p.in_w + x1;
            uint i10 = p.in_off + y1 * p.in_w + x0, i11 = p.in_off + y1 * p.in_w + x1;
            vx = float(data[i00]) * w00 + float(data[i01]) * w01 + float(data[i10]) * w10 +
                 float(data[i11]) * w11;
            vy = float(data[i00 + in_plane]) * w00 + float(data[i01 + in_plane]) * w01 +
                 float(data[i10 + in_plane]) * w10 + float(data[i11 + in_plane]) * w11;
        }
    }
    coords[p.out_off + pixel] = gx + vx;
    coords[p.out_off + plane + pixel] = gy + vy;
}
