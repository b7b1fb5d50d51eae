/* SPDX-License-Identifier: BSD-2-Clause */
/* Op recording: shape checks, push constants and workgroup counts for each
 * shader of render/shaders/; see vk_ops.h. */
#include "render/vulkan/vk_ops.h"

#include "render/picture_out.h"

#include <errno.h>
#include <math.h>
#include <string.h>

FacetVkTensor facet_vk_tensor_take(FacetVkLayout *layout, FacetVkSpace space, int c, int h, int w)
{
    FacetVkTensor t = {0, c, h, w};
    t.offset = facet_vk_take(layout, space, facet_vk_tensor_size(t));
    return t;
}

FacetVkTensor facet_vk_tensor_view(FacetVkTensor t, int first, int count)
{
    FacetVkTensor v = t;
    v.offset = t.offset + (uint32_t)((size_t)first * (size_t)t.h * (size_t)t.w);
    v.c = count;
    return v;
}

/* PIXELS of render/shaders/conv2d.comp. */
#define CONV_PIXELS 8

static size_t blocks(const FacetConv2d *conv)
{
    return ((size_t)conv->out_c + FACET_CONV_OC_BLOCK - 1) / FACET_CONV_OC_BLOCK;
}

size_t facet_vk_conv_weight_floats(const FacetConv2d *conv)
{
    return blocks(conv) * (size_t)conv->in_c * (size_t)(conv->k * conv->k) * FACET_CONV_OC_BLOCK;
}

size_t facet_vk_conv_bias_floats(const FacetConv2d *conv)
{
    return blocks(conv) * FACET_CONV_OC_BLOCK;
}

void facet_vk_conv_take(FacetVkConv *vc, const FacetConv2d *conv, FacetVkLayout *layout)
{
    vc->conv = conv;
    vc->weights = facet_vk_take(layout, FACET_VK_DATA, facet_vk_conv_weight_floats(conv));
    vc->bias = facet_vk_take(layout, FACET_VK_DATA, facet_vk_conv_bias_floats(conv));
}

void facet_vk_conv_stage(const FacetVkConv *vc, float *host, uint32_t base)
{
    const FacetConv2d *conv = vc->conv;
    memcpy(host + (vc->weights - base), conv->packed,
           sizeof(float) * facet_vk_conv_weight_floats(conv));
    float *bias = host + (vc->bias - base);
    memset(bias, 0, sizeof(float) * facet_vk_conv_bias_floats(conv));
    memcpy(bias, conv->bias, sizeof(float) * (size_t)conv->out_c);
}

static int fail(FacetVkGraph *g)
{
    facet_vk_graph_fail(g, -EINVAL);
    return -EINVAL;
}

static int valid(FacetVkTensor t)
{
    return t.c >= 1 && t.h >= 1 && t.w >= 1;
}

static int same_shape(FacetVkTensor a, FacetVkTensor b)
{
    return valid(a) && a.c == b.c && a.h == b.h && a.w == b.w;
}

/* Ranges [a, a + an) and [b, b + bn) overlap. */
static int overlap(FacetVkTensor a, FacetVkTensor b)
{
    size_t a0 = a.offset, a1 = a0 + facet_vk_tensor_size(a);
    size_t b0 = b.offset, b1 = b0 + facet_vk_tensor_size(b);
    return a0 < b1 && b0 < a1;
}

static uint32_t plane(FacetVkTensor t)
{
    return (uint32_t)t.h * (uint32_t)t.w;
}

static uint32_t groups_of(uint64_t n, uint32_t per_group)
{
    return (uint32_t)((n + per_group - 1) / per_group);
}

static void linear(FacetVkGraph *g, FacetVkShader shader, const void *push, uint32_t size,
                   uint64_t count, const char *label)
{
    uint32_t gx, gy;
    facet_vk_linear_groups(count, &gx, &gy);
    facet_vk_graph_dispatch(g, shader, push, size, gx, gy, label);
}

int facet_vk_op_load(FacetVkGraph *g, uint32_t host_offset, FacetVkSpace space, uint32_t dst,
                     size_t count)
{
    if (count == 0 || count > UINT32_MAX || (space != FACET_VK_DATA && space != FACET_VK_COORDS))
        return fail(g);
    uint32_t push[4] = {host_offset, dst, (uint32_t)count, space == FACET_VK_COORDS};
    linear(g, FACET_VK_SHADER_LOAD_HOST, push, sizeof(push), count, "load");
    return 0;
}

int facet_vk_op_store(FacetVkGraph *g, FacetVkSpace space, uint32_t src, uint32_t host_offset,
                      size_t count)
{
    if (count == 0 || count > UINT32_MAX || (space != FACET_VK_DATA && space != FACET_VK_COORDS))
        return fail(g);
    uint32_t push[4] = {src, host_offset, (uint32_t)count, space == FACET_VK_COORDS};
    linear(g, FACET_VK_SHADER_STORE_HOST, push, sizeof(push), count, "store");
    return 0;
}

int facet_vk_op_conv2d(FacetVkGraph *g, const FacetVkConv *vc, FacetVkTensor in,
                       FacetVkTensor out)
{
    const FacetConv2d *conv = vc ? vc->conv : NULL;
    if (!conv || !valid(in) || !valid(out) || in.c != conv->in_c || out.c != conv->out_c ||
        out.h != facet_conv2d_output_size(conv, in.h) ||
        out.w != facet_conv2d_output_size(conv, in.w) || overlap(in, out))
        return fail(g);
    uint32_t push[13] = {
        in.offset, out.offset, vc->weights, vc->bias,
        (uint32_t)in.c, (uint32_t)in.h, (uint32_t)in.w,
        (uint32_t)out.c, (uint32_t)out.h, (uint32_t)out.w,
        (uint32_t)conv->k, (uint32_t)conv->stride, (uint32_t)conv->act,
    };
    /* conv2d.comp: 64 invocations a group, each CONV_PIXELS pixels of a row. */
    uint64_t tiles = (uint64_t)out.h * (((uint64_t)out.w + CONV_PIXELS - 1) / CONV_PIXELS);
    facet_vk_graph_dispatch(g, FACET_VK_SHADER_CONV2D, push, sizeof(push), groups_of(tiles, 64),
                            (uint32_t)blocks(conv), "conv2d");
    return 0;
}

int facet_vk_op_upsample2x(FacetVkGraph *g, FacetVkTensor in, FacetVkTensor out)
{
    if (!valid(in) || out.c != in.c || out.h != 2 * in.h || out.w != 2 * in.w || overlap(in, out))
        return fail(g);
    uint32_t push[4] = {in.offset, out.offset, (uint32_t)in.h, (uint32_t)in.w};
    facet_vk_graph_dispatch(g, FACET_VK_SHADER_UPSAMPLE2X, push, sizeof(push),
                            groups_of(plane(out), 256), (uint32_t)in.c, "upsample2x");
    return 0;
}

int facet_vk_op_avgpool2x2(FacetVkGraph *g, FacetVkTensor in, FacetVkTensor out)
{
    if (!valid(in) || in.h < 2 || in.w < 2 || out.c != in.c || out.h != in.h / 2 ||
        out.w != in.w / 2 || overlap(in, out))
        return fail(g);
    uint32_t push[6] = {in.offset, out.offset, (uint32_t)in.h, (uint32_t)in.w, (uint32_t)out.h,
                        (uint32_t)out.w};
    facet_vk_graph_dispatch(g, FACET_VK_SHADER_AVGPOOL2X2, push, sizeof(push),
                            groups_of(plane(out), 256), (uint32_t)in.c, "avgpool2x2");
    return 0;
}

int facet_vk_op_grid_sample(FacetVkGraph *g, FacetVkTensor in, FacetVkTensor grid,
                            FacetVkTensor out)
{
    if (!valid(in) || !valid(out) || grid.c != 2 || grid.h != out.h || grid.w != out.w ||
        out.c != in.c || overlap(in, out))
        return fail(g);
    uint32_t push[8] = {in.offset, grid.offset, out.offset, (uint32_t)in.c,
                        (uint32_t)in.h, (uint32_t)in.w, (uint32_t)out.h, (uint32_t)out.w};
    facet_vk_graph_dispatch(g, FACET_VK_SHADER_GRID_SAMPLE, push, sizeof(push),
                            groups_of(plane(out), 256), 1, "grid_sample");
    return 0;
}

/* In place, or on distinct memory. */
static int in_place_or_apart(FacetVkTensor in, FacetVkTensor out)
{
    return in.offset == out.offset || !overlap(in, out);
}

int facet_vk_op_softmax_channels(FacetVkGraph *g, FacetVkTensor in, FacetVkTensor out)
{
    if (!same_shape(in, out) || !in_place_or_apart(in, out))
        return fail(g);
    uint32_t push[4] = {in.offset, out.offset, (uint32_t)in.c, plane(in)};
    facet_vk_graph_dispatch(g, FACET_VK_SHADER_SOFTMAX_CHANNELS, push, sizeof(push),
                            groups_of(plane(in), 256), 1, "softmax_channels");
    return 0;
}

int facet_vk_op_softmax_spatial(FacetVkGraph *g, FacetVkTensor in, float temperature,
                                FacetVkTensor out)
{
    if (!same_shape(in, out) || !in_place_or_apart(in, out) || !isfinite(temperature) ||
        !(temperature > 0.0f))
        return fail(g);
    struct {
        uint32_t in, out, plane;
        float inv_temperature;
    } push = {in.offset, out.offset, plane(in), 1.0f / temperature};
    facet_vk_graph_dispatch(g, FACET_VK_SHADER_SOFTMAX_SPATIAL, &push, sizeof(push), 1,
                            (uint32_t)in.c, "softmax_spatial");
    return 0;
}

int facet_vk_op_activate(FacetVkGraph *g, FacetVkTensor t, FacetActivation act)
{
    if (!valid(t) || (int)act < 0 || act >= FACET_ACT_COUNT)
        return fail(g);
    if (act == FACET_ACT_NONE)
        return 0;
    uint32_t push[3] = {t.offset, (uint32_t)facet_vk_tensor_size(t), (uint32_t)act};
    linear(g, FACET_VK_SHADER_ACTIVATE, push, sizeof(push), facet_vk_tensor_size(t), "activate");
    return 0;
}

static int binary(FacetVkGraph *g, FacetVkShader shader, FacetVkTensor a, FacetVkTensor b,
                  FacetVkTensor out, const char *label)
{
    if (!same_shape(a, b) || !same_shape(a, out) || !in_place_or_apart(a, out) ||
        !in_place_or_apart(b, out))
        return fail(g);
    uint32_t push[4] = {a.offset, b.offset, out.offset, (uint32_t)facet_vk_tensor_size(a)};
    linear(g, shader, push, sizeof(push), facet_vk_tensor_size(a), label);
    return 0;
}

int facet_vk_op_add(FacetVkGraph *g, FacetVkTensor a, FacetVkTensor b, FacetVkTensor out)
{
    return binary(g, FACET_VK_SHADER_ADD, a, b, out, "add");
}

int facet_vk_op_mul(FacetVkGraph *g, FacetVkTensor a, FacetVkTensor b, FacetVkTensor out)
{
    return binary(g, FACET_VK_SHADER_MUL, a, b, out, "mul");
}

int facet_vk_op_mul_map(FacetVkGraph *g, FacetVkTensor a, FacetVkTensor map, FacetVkTensor out)
{
    if (!same_shape(a, out) || map.c != 1 || map.h != a.h || map.w != a.w ||
        !in_place_or_apart(a, out) || overlap(map, out))
        return fail(g);
    uint32_t push[4] = {a.offset, map.offset, out.offset, plane(a)};
    facet_vk_graph_dispatch(g, FACET_VK_SHADER_MUL_MAP, push, sizeof(push),
                            groups_of(plane(a), 256), (uint32_t)a.c, "mul_map");
    return 0;
}

int facet_vk_op_motion_inputs(FacetVkGraph *g, uint32_t params, FacetVkTensor motions,
                              FacetVkTensor motion_in, float gaussian_variance)
{
    int motions_n = motions.c / 2;
    if (!valid(motions) || motions.c % 2 || motions.h != motions.w || motion_in.c != 4 * motions_n ||
        motion_in.h != motions.h || motion_in.w != motions.w || !isfinite(gaussian_variance) ||
        !(gaussian_variance > 0.0f))
        return fail(g);
    struct {
        uint32_t params, motions, heat, n;
        float scale;
    } push = {params, motions.offset, motion_in.offset, (uint32_t)motions.w,
              -0.5f / gaussian_variance};
    facet_vk_graph_dispatch(g, FACET_VK_SHADER_MOTION_INPUTS, &push, sizeof(push),
                            groups_of(plane(motions), 256), (uint32_t)motions_n, "motion_inputs");
    return 0;
}

int facet_vk_op_blend_flow(FacetVkGraph *g, FacetVkTensor masks, FacetVkTensor motions,
                           FacetVkTensor flow)
{
    if (!valid(masks) || motions.c != 2 * masks.c || flow.c != 2 || motions.h != masks.h ||
        motions.w != masks.w || flow.h != masks.h || flow.w != masks.w || overlap(motions, flow))
        return fail(g);
    uint32_t push[5] = {masks.offset, motions.offset, flow.offset, plane(masks),
                        (uint32_t)masks.c};
    facet_vk_graph_dispatch(g, FACET_VK_SHADER_BLEND_FLOW, push, sizeof(push),
                            groups_of(plane(masks), 256), 1, "blend_flow");
    return 0;
}

int facet_vk_op_upsample_grid(FacetVkGraph *g, FacetVkTensor in, FacetVkTensor out)
{
    if (!valid(in) || in.c != 2 || in.h != in.w || out.c != 2 || out.h != 2 * in.h ||
        out.w != 2 * in.w || overlap(in, out))
        return fail(g);
    uint32_t push[3] = {in.offset, out.offset, (uint32_t)in.w};
    facet_vk_graph_dispatch(g, FACET_VK_SHADER_UPSAMPLE_GRID, push, sizeof(push),
                            groups_of(plane(out), 256), 1, "upsample_grid");
    return 0;
}

int facet_vk_op_picture_out(FacetVkGraph *g, FacetVkTensor image, uint32_t host_offset,
                            int format, int width, int height)
{
    FacetRenderPicture shape = { (FacetRenderPictureFormat)format, width, height, { 0 }, { 0 } };
    if (!valid(image) || image.c != 3 || !facet_render_picture_shape_valid(&shape))
        return fail(g);
    size_t words = (facet_render_picture_packed_size(&shape) + 3) / 4;
    uint32_t push[8] = {image.offset, (uint32_t)image.h, (uint32_t)image.w, host_offset,
                        (uint32_t)format, (uint32_t)width, (uint32_t)height, (uint32_t)words};
    linear(g, FACET_VK_SHADER_PICTURE_OUT, push, sizeof(push), words, "picture_out");
    return 0;
}
