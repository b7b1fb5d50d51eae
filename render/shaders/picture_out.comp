/* SPDX-License-Identifier: BSD-2-Clause */
#version 450
/* The network's last step (render/picture_out.h, the same float operations
 * as render/picture_out.c): the 3 x in_h x in_w frame in the data buffer
 * becomes the caller's picture, I420 (format 0) or RGB24 (format 1) at
 * width x height, scaled bilinearly (pixel centres, border clamp) and
 * converted with BT.601 limited range. Written packed into the host buffer
 * as 32-bit words, rows padded to 4 bytes, plane after plane, so that only
 * the finished picture goes back to the host. One invocation per word.
 * Dispatch as activate.comp over `words`. */
#include "common.glsl"

/* The host buffer seen as words (the same binding as common.glsl's host). */
layout(std430, set = 0, binding = 1) buffer HostWords { uint host_words[]; };

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint image_off, in_h, in_w, host_off, format, width, height, words;
} p;

void tap(uint i, uint out_n, uint in_n, out uint i0, out uint i1, out float w)
{
    float s = (float(i) + 0.5) * float(in_n) / float(out_n) - 0.5;
    s = max(s, 0.0);
    i0 = min(uint(s), in_n - 1u);
    i1 = min(i0 + 1u, in_n - 1u);
    w = min(s - float(i0), 1.0);
}

float clamp01(float v)
{
    return v > 0.0 ? min(v, 1.0) : 0.0; /* NaN to 0 */
}

vec3 sample_rgb(uint x, uint y)
{
    uint x0, x1, y0, y1;
    float wx, wy;
    tap(x, p.width, p.in_w, x0, x1, wx);
    tap(y, p.height, p.in_h, y0, y1, wy);
    uint plane = p.in_h * p.in_w;
    vec3 rgb;
    for (uint c = 0u; c < 3u; c++) {
        uint base = p.image_off + c * plane;
        float a = float(data[base + y0 * p.in_w + x0]), b = float(data[base + y0 * p.in_w + x1]);
        float d = float(data[base + y1 * p.in_w + x0]), e = float(data[base + y1 * p.in_w + x1]);
        float top = a + (b - a) * wx;
        float bottom = d + (e - d) * wx;
        rgb[c] = clamp01(top + (bottom - top) * wy);
    }
    return rgb;
}

uint byte_of(float v)
{
    return uint(v + 0.5);
}

float luma(vec3 c)
{
    return 16.0 + 219.0 * (0.299 * c.r + 0.587 * c.g + 0.114 * c.b);
}

uint chroma_byte(uint cx, uint cy, uint plane)
{
    uint rows = 2u * cy + 1u < p.height ? 2u : 1u;
    uint cols = 2u * cx + 1u < p.width ? 2u : 1u;
    vec3 sum = vec3(0.0);
    for (uint k = 0u; k < rows; k++)
        for (uint j = 0u; j < cols; j++)
            sum += sample_rgb(2u * cx + j, 2u * cy + k);
    float n = 1.0 / float(rows * cols);
    vec3 m = vec3(sum.r * n, sum.g * n, sum.b * n);
    if (plane == 1u)
        return byte_of(128.0 + 224.0 * (-0.168736 * m.r - 0.331264 * m.g + 0.5 * m.b));
    return byte_of(128.0 + 224.0 * (0.5 * m.r - 0.418688 * m.g - 0.081312 * m.b));
}

void main()
{
    uint i = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 256u + gl_GlobalInvocationID.x;
    if (i >= p.words)
        return;
    uint word = 0u;
    if (p.format == 1u) {
        uint row_bytes = 3u * p.width, row_words = (row_bytes + 3u) / 4u;
        uint y = i / row_words, first = (i % row_words) * 4u;
        for (uint b = 0u; b < 4u; b++) {
            uint col = first + b;
            if (col < row_bytes)
                word |= byte_of(sample_rgb(col / 3u, y)[col % 3u] * 255.0) << (8u * b);
        }
    } else {
        uint rw0 = (p.width + 3u) / 4u, n0 = rw0 * p.height;
        uint cw = (p.width + 1u) / 2u, ch = (p.height + 1u) / 2u;
        uint rw1 = (cw + 3u) / 4u, n1 = rw1 * ch;
        if (i < n0) {
            uint y = i / rw0, first = (i % rw0) * 4u;
            for (uint b = 0u; b < 4u; b++)
                if (first + b < p.width)
                    word |= byte_of(luma(sample_rgb(first + b, y))) << (8u * b);
        } else {
            uint j = i - n0;
            uint plane = j < n1 ? 1u : 2u;
            j = j < n1 ? j : j - n1;
            uint cy = j / rw1, first = (j % rw1) * 4u;
            for (uint b = 0u; b < 4u; b++)
                if (first + b < cw)
                    word |= chroma_byte(first + b, cy, plane) << (8u * b);
        }
    }
    host_words[p.host_off + i] = word;
}
