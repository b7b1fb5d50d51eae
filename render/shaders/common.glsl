/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared by every Facet compute shader (render/shaders/*.comp); see
 * docs/vulkan.md.
 *
 * One descriptor set layout serves all ops: three storage buffers that the
 * back end sub-allocates, and tensors addressed by element offsets passed as
 * push constants (so one descriptor set, bound once, covers a whole graph):
 *
 *   binding 0  data    weights and activations, planar C x H x W; fp32, or
 *                      fp16 when compiled with FACET_FP16 (storage only: all
 *                      arithmetic is fp32)
 *   binding 1  host    fp32, host-visible: what goes up (keyframe image,
 *                      weights at load, keypoint parameters) and comes back
 *   binding 2  coords  fp32 sampling grids and flows in every precision: a
 *                      half-precision coordinate in [-1, 1] is off by up to
 *                      2^-11, a quarter of a pixel at 512
 */
#ifdef FACET_FP16
#extension GL_EXT_shader_16bit_storage : require
#define ftype float16_t
#else
#define ftype float
#endif

layout(std430, set = 0, binding = 0) buffer DataBuffer { ftype data[]; };
layout(std430, set = 0, binding = 1) buffer HostBuffer { float host[]; };
layout(std430, set = 0, binding = 2) buffer CoordsBuffer { float coords[]; };

/* FacetActivation of render/ops.h. */
#define ACT_NONE 0u
#define ACT_RELU 1u
#define ACT_SIGMOID 2u
#define ACT_TANH 3u

float facet_activate(float v, uint act)
{
    if (act == ACT_RELU)
        return v < 0.0 ? 0.0 : v;
    if (act == ACT_SIGMOID)
        return 1.0 / (1.0 + exp(-v));
    if (act == ACT_TANH) {
        /* GLSL's tanh() may overflow exp() for |v| > ~44 on some drivers:
         * clamp, tanh(10) is 1 in float. */
        return tanh(clamp(v, -10.0, 10.0));
    }
    return v;
}

/* Pixel centre i of an identity grid of n pixels: (2 i + 1) / n - 1, the
 * same float expression as the C renderer. */
float facet_identity(uint i, uint n)
{
    return float(2u * i + 1u) / float(n) - 1.0;
}
