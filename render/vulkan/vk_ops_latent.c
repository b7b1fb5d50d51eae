/* SPDX-License-Identifier: BSD-2-Clause */
/* Recording the latent tier's ops (sub, fill, pixel_shuffle, flow_grid):
 * shape checks, push constants and workgroup counts of their shaders; see
 * vk_ops.h. The checks are those of the C kernels (render/ops_latent.c). */
#include "render/vulkan/vk_ops.h"

#include <errno.h>

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

static int overlap(FacetVkTensor a, FacetVkTensor b)
{
    size_t a0 = a.offset, a1 = a0 + facet_vk_tensor_size(a);
    size_t b0 = b.offset, b1 = b0 + facet_vk_tensor_size(b);
    return a0 < b1 && b0 < a1;
}

static int in_place_or_apart(FacetVkTensor in, FacetVkTensor out)
{
    return in.offset == out.offset || !overlap(in, out);
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

int facet_vk_op_sub(FacetVkGraph *g, FacetVkTensor a, FacetVkTensor b, FacetVkTensor out)
{
    if (!same_shape(a, b) || !same_shape(a, out) || !in_place_or_apart(a, out) ||
        !in_place_or_apart(b, out) || facet_vk_tensor_size(a) > UINT32_MAX)
        return fail(g);
    uint32_t push[4] = {a.offset, b.offset, out.offset, (uint32_t)facet_vk_tensor_size(a)};
    linear(g, FACET_VK_SHADER_SUB, push, sizeof(push), facet_vk_tensor_size(a), "sub");
    return 0;
}

int facet_vk_op_fill(FacetVkGraph *g, FacetVkTensor t, float value)
{
    if (!valid(t) || facet_vk_tensor_size(t) > UINT32_MAX)
        return fail(g);
    struct {
        uint32_t off, count;
        float value;
    } push = {t.offset, (uint32_t)facet_vk_tensor_size(t), value};
    linear(g, FACET_VK_SHADER_FILL, &push, sizeof(push), facet_vk_tensor_size(t), "fill");
    return 0;
}

int facet_vk_op_pixel_shuffle(FacetVkGraph *g, FacetVkTensor in, FacetVkTensor out)
{
    if (!valid(in) || in.c % 4 || out.c != in.c / 4 || out.h != 2 * in.h ||
        out.w != 2 * in.w || overlap(in, out))
        return fail(g);
    uint32_t push[4] = {in.offset, out.offset, (uint32_t)in.h, (uint32_t)in.w};
    facet_vk_graph_dispatch(g, FACET_VK_SHADER_PIXEL_SHUFFLE, push, sizeof(push),
                            groups_of((uint64_t)out.h * (uint64_t)out.w, 256), (uint32_t)out.c,
                            "pixel_shuffle");
    return 0;
}

int facet_vk_op_flow_grid(FacetVkGraph *g, int has_disp, FacetVkTensor disp, FacetVkTensor out)
{
    if (!valid(out) || out.c != 2 || (has_disp && (!valid(disp) || disp.c != 2)))
        return fail(g);
    uint32_t push[7] = {has_disp ? disp.offset : 0u, out.offset,
                        has_disp ? (uint32_t)disp.h : 1u, has_disp ? (uint32_t)disp.w : 1u,
                        (uint32_t)out.h, (uint32_t)out.w, has_disp ? 1u : 0u};
    facet_vk_graph_dispatch(g, FACET_VK_SHADER_FLOW_GRID, push, sizeof(push),
                            groups_of((uint64_t)out.h * (uint64_t)out.w, 256), 1, "flow_grid");
    return 0;
}
