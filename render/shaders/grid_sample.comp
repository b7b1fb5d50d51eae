/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* F.grid_sample(in, grid, bilinear, padding_mode=border, align_corners=False).
 * The grid (2 planes, x then y) is in the fp32 coords buffer. Dispatch:
 * x = ceil(out_h out_w / 256), y = 1; each invocation does every channel. */
#include "common.glsl"

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint in_off, grid_off, out_off;
    uint channels, in_h, in_w, out_h, out_w;
} p;

/* Source index of a normalised coordinate, clamped onto the border; NaN
 * lands on 0 (the comparison is false), as in the C kernel. */
float source_index(float g, uint size)
{
    float v = ((g + 1.0) * float(size) - 1.0) * 0.5;
    v = v > 0.0 ? v : 0.0;
    return v < float(size - 1u) ? v : float(size - 1u);
}

void main()
{
    uint pixel = gl_GlobalInvocationID.x;
    uint out_plane = p.out_h * p.out_w;
    if (pixel >= out_plane)
        return;
    float ix = source_index(coords[p.grid_off + pixel], p.in_w);
    float iy = source_index(coords[p.grid_off + out_plane + pixel], p.in_h);
    uint x0 = uint(floor(ix)), y0 = uint(floor(iy));
    uint x1 = x0 + 1u < p.in_w ? x0 + 1u : x0;
    uint y1 = y0 + 1u < p.in_h ? y0 + 1u : y0;
    float wx1 = ix - float(x0), wy1 = iy - float(y0);
    float wx0 = float(x0 + 1u) - ix, wy0 = float(y0 + 1u) - iy;
    float w00 = wx0 * wy0, w01 = wx1 * wy0, w10 = wx0 * wy1, w11 = wx1 * wy1;
    uint i00 = y0 * p.in_w + x0, i01 = y0 * p.in_w + x1;
    uint i10 = y1 * p.in_w + x0, i11 = y1 * p.in_w + x1;
    uint in_plane = p.in_h * p.in_w;
    for (uint c = 0u; c < p.channels; c++) {
        uint src = p.in_off + c * in_plane;
        float v = float(data[src + i00]) * w00 + float(data[src + i01]) * w01 +
                  float(data[src + i10]) * w10 + float(data[src + i11]) * w11;
        data[p.out_off + c * out_plane + pixel] = ftype(v);
    }
}
