/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's network on a Vulkan device (lavapipe in CI), in both
 * precisions the device offers:
 *
 *  - its new shaders (sub, fill, pixel_shuffle, flow_grid) against their C
 *    kernels, by test_vulkan_ops.c's normalised error
 *    max |vulkan - c| / max(max |c|, 1e-3) and tolerances;
 *  - the whole network (render/vulkan/vk_latent_renderer.h) against
 *    PyTorch's golden vectors for r = 2 and 4, with and without a
 *    reference, by max absolute error with test_vulkan_renderer.c's
 *    tolerances (fp32 1e-4, fp16 1e-2);
 *  - against the CPU renderer on a non-square frame, and the picture step.
 *
 * Exits 77 (skip) with a message only when no Vulkan device exists at all.
 */
#include "render/latent_network.h"
#include "render/latent_renderer.h"
#include "render/ops.h"
#include "render/picture_out.h"
#include "render/safetensors.h"
#include "render/vulkan/vk_device.h"
#include "render/vulkan/vk_graph.h"
#include "render/vulkan/vk_latent_renderer.h"
#include "render/vulkan/vk_memory.h"
#include "render/vulkan/vk_ops.h"
#include "golden_vectors.h"
#include "vulkan_test_device.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OP_TOL_FP32 2e-5
#define OP_TOL_FP16 4e-3
#define NET_TOL_FP32 1e-4
#define NET_TOL_FP16 1e-2

static const Precision op_precisions[] = {
    {"fp32", FACET_VK_FORCE_FP32, OP_TOL_FP32},
    {"fp16", 0, OP_TOL_FP16},
};
static const Precision net_precisions[] = {
    {"fp32", FACET_VK_FORCE_FP32, NET_TOL_FP32},
    {"fp16", 0, NET_TOL_FP16},
};

static uint64_t rng_state = 0x1a7e;
static float rng_float(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)((double)(z >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static FacetTensor random_tensor(int c, int h, int w, float scale, float offset)
{
    FacetTensor t;
    ck_assert_int_eq(facet_tensor_alloc(&t, c, h, w), 0);
    for (size_t i = 0; i < facet_tensor_size(&t); i++)
        t.data[i] = rng_float() * scale + offset;
    return t;
}

/* ---- one op on the device ------------------------------------------------- */

/* Up to two inputs go up through the host buffer, the op runs, the output
 * (in its space) comes back: one submission. */
typedef struct Rig {
    FacetVkDevice *dev;
    FacetVkLayout layout;
    FacetVkMemory *mem;
    FacetVkGraph *graph;
    FacetVkTensor in[2];
    uint32_t in_host[2];
    const FacetTensor *cpu[2];
    int inputs;
    FacetVkTensor out;
    FacetVkSpace out_space;
    uint32_t out_host;
} Rig;

static FacetVkTensor rig_input(Rig *rig, const FacetTensor *cpu)
{
    int i = rig->inputs++;
    rig->in[i] = facet_vk_tensor_take(&rig->layout, FACET_VK_DATA, cpu->c, cpu->h, cpu->w);
    rig->in_host[i] = facet_vk_take(&rig->layout, FACET_VK_HOST, facet_tensor_size(cpu));
    rig->cpu[i] = cpu;
    return rig->in[i];
}

static FacetVkTensor rig_output(Rig *rig, FacetVkSpace space, int c, int h, int w)
{
    rig->out_space = space;
    rig->out = facet_vk_tensor_take(&rig->layout, space, c, h, w);
    rig->out_host = facet_vk_take(&rig->layout, FACET_VK_HOST, facet_vk_tensor_size(rig->out));
    return rig->out;
}

static FacetVkGraph *rig_begin(Rig *rig)
{
    ck_assert_int_eq(facet_vk_memory_create(&rig->mem, rig->dev, &rig->layout), 0);
    ck_assert_int_eq(facet_vk_graph_create(&rig->graph, rig->mem, 8), 0);
    ck_assert_int_eq(facet_vk_graph_begin(rig->graph), 0);
    float *host = facet_vk_memory_host(rig->mem);
    for (int i = 0; i < rig->inputs; i++) {
        size_t n = facet_tensor_size(rig->cpu[i]);
        memcpy(host + rig->in_host[i], rig->cpu[i]->data, sizeof(float) * n);
        ck_assert_int_eq(facet_vk_op_load(rig->graph, rig->in_host[i], FACET_VK_DATA,
                                          rig->in[i].offset, n), 0);
    }
    return rig->graph;
}

static void rig_finish(Rig *rig, float *result)
{
    size_t n = facet_vk_tensor_size(rig->out);
    ck_assert_int_eq(facet_vk_op_store(rig->graph, rig->out_space, rig->out.offset, rig->out_host,
                                       n), 0);
    ck_assert_int_eq(facet_vk_graph_end(rig->graph), 0);
    int ret = facet_vk_graph_run(rig->graph);
    ck_assert_msg(ret == 0, "graph run: %d %s", ret, facet_vk_device_error(rig->dev));
    memcpy(result, facet_vk_memory_host(rig->mem) + rig->out_host, sizeof(float) * n);
    facet_vk_graph_destroy(&rig->graph);
    facet_vk_memory_destroy(&rig->mem);
}

static void expect_close(const char *what, const Precision *p, const float *got,
                         const FacetTensor *ref)
{
    double diff = 0, scale = 1e-3;
    for (size_t i = 0; i < facet_tensor_size(ref); i++) {
        double d = fabs((double)got[i] - (double)ref->data[i]);
        diff = d <= diff ? diff : isnan(d) ? INFINITY : d;
        scale = fmax(scale, fabs((double)ref->data[i]));
    }
    double err = diff / scale;
    printf("  %-36s %s normalised error %.2e (tolerance %.1e)\n", what, p->name, err,
           p->tolerance);
    ck_assert_msg(err <= p->tolerance, "%s (%s): %g > %g", what, p->name, err, p->tolerance);
}

enum { OP_SUB, OP_FILL, OP_PIXEL_SHUFFLE, OP_IDENTITY, OP_FLOW_SAME, OP_FLOW_RESIZE, OP_COUNT };
static const char *const op_names[] = {"sub",       "fill",           "pixel_shuffle",
                                       "flow_grid identity", "flow_grid same size",
                                       "flow_grid resized"};

START_TEST(test_ops)
{
    FacetRenderOps c_ops;
    FacetWorkspace ws;
    facet_render_ops_init(&c_ops, FACET_RENDER_OPS_FORCE_C);
    facet_workspace_init(&ws, NULL);
    for (size_t pi = 0; pi < 2; pi++) {
        const Precision *p = &op_precisions[pi];
        FacetVkDevice *dev = vulkan_test_open_device(p);
        if (!dev)
            continue;
        for (int op = 0; op < OP_COUNT; op++) {
            /* Odd shapes; the flow resize goes 5x7 -> 13x22 (not square). */
            FacetTensor a = random_tensor(op == OP_PIXEL_SHUFFLE ? 8 : op >= OP_IDENTITY ? 2 : 5,
                                          op == OP_FLOW_RESIZE ? 5 : 13,
                                          op == OP_FLOW_RESIZE ? 7 : 11, 1.0f, 0.0f);
            FacetTensor b = random_tensor(5, 13, 11, 1.0f, 0.0f), ref;
            int oc = op == OP_PIXEL_SHUFFLE ? 2 : op >= OP_IDENTITY ? 2 : 5;
            int oh = op == OP_PIXEL_SHUFFLE ? 26 : 13, ow = op == OP_PIXEL_SHUFFLE ? 22 : 11;
            if (op == OP_FLOW_RESIZE || op == OP_IDENTITY)
                oh = 13, ow = 22;
            ck_assert_int_eq(facet_tensor_alloc(&ref, oc, oh, ow), 0);
            Rig rig;
            memset(&rig, 0, sizeof(rig));
            rig.dev = dev;
            FacetVkTensor va = rig_input(&rig, &a), vb = {0, 0, 0, 0};
            if (op == OP_SUB)
                vb = rig_input(&rig, &b);
            FacetVkTensor vo = rig_output(&rig, op >= OP_IDENTITY ? FACET_VK_COORDS : FACET_VK_DATA,
                                          oc, oh, ow);
            FacetVkGraph *g = rig_begin(&rig);
            int ret = -1;
            switch (op) {
            case OP_SUB:
                ck_assert_int_eq(c_ops.sub(&ws, &a, &b, &ref), 0);
                ret = facet_vk_op_sub(g, va, vb, vo);
                break;
            case OP_FILL:
                ck_assert_int_eq(c_ops.fill(&ws, &ref, -0.75f), 0);
                ret = facet_vk_op_fill(g, vo, -0.75f);
                break;
            case OP_PIXEL_SHUFFLE:
                ck_assert_int_eq(c_ops.pixel_shuffle(&ws, &a, &ref), 0);
                ret = facet_vk_op_pixel_shuffle(g, va, vo);
                break;
            case OP_IDENTITY:
                ck_assert_int_eq(c_ops.flow_grid(&ws, NULL, &ref), 0);
                ret = facet_vk_op_flow_grid(g, 0, va, vo);
                break;
            default:
                ck_assert_int_eq(c_ops.flow_grid(&ws, &a, &ref), 0);
                ret = facet_vk_op_flow_grid(g, 1, va, vo);
                break;
            }
            ck_assert_int_eq(ret, 0);
            float *got = malloc(sizeof(float) * facet_tensor_size(&ref));
            ck_assert_ptr_nonnull(got);
            rig_finish(&rig, got);
            expect_close(op_names[op], p, got, &ref);
            free(got);
            facet_tensor_free(&a);
            facet_tensor_free(&b);
            facet_tensor_free(&ref);
        }

        /* Bad shapes are -EINVAL and keep the graph from running. */
        FacetVkLayout l;
        memset(&l, 0, sizeof(l));
        FacetVkTensor t8 = facet_vk_tensor_take(&l, FACET_VK_DATA, 8, 4, 4);
        FacetVkTensor t2 = facet_vk_tensor_take(&l, FACET_VK_DATA, 2, 8, 6);
        FacetVkTensor t3 = facet_vk_tensor_take(&l, FACET_VK_DATA, 3, 4, 4);
        FacetVkMemory *mem = NULL;
        FacetVkGraph *g = NULL;
        ck_assert_int_eq(facet_vk_memory_create(&mem, dev, &l), 0);
        ck_assert_int_eq(facet_vk_graph_create(&g, mem, 4), 0);
        ck_assert_int_eq(facet_vk_graph_begin(g), 0);
        ck_assert_int_eq(facet_vk_op_pixel_shuffle(g, t8, t2), -EINVAL);
        ck_assert_int_eq(facet_vk_op_sub(g, t8, t3, t8), -EINVAL);
        ck_assert_int_eq(facet_vk_op_flow_grid(g, 1, t3, t2), -EINVAL);
        ck_assert_int_eq(facet_vk_op_flow_grid(g, 0, t3, t3), -EINVAL);
        ck_assert_int_eq(facet_vk_graph_end(g), -EINVAL);
        facet_vk_graph_destroy(&g);
        facet_vk_memory_destroy(&mem);
        facet_vk_device_close(&dev);
    }
    facet_workspace_free(&ws);
}
END_TEST

/* ---- the network ------------------------------------------------------------- */

static const char *model_path(void)
{
    const char *env = getenv("FACET_TEST_LATENT_MODEL");
    return env && *env ? env : FACET_SOURCE_DIR "/models/facet-latent.safetensors";
}

static FacetLatentNetwork *open_model(void)
{
    char error[512];
    FacetLatentNetwork *net = NULL;
    ck_assert_msg(facet_latent_network_open(&net, model_path(), error, sizeof(error)) == 0, "%s",
                  error);
    return net;
}

static double max_abs(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        m = d <= m ? m : isnan(d) ? INFINITY : d;
    }
    return m;
}

static void expect_abs(const char *what, const Precision *p, const FacetTensor *got,
                       const FacetTensor *want)
{
    double err = max_abs(got->data, want->data, facet_tensor_size(want));
    printf("  %-36s %s max abs error %.2e (tolerance %.0e)\n", what, p->name, err, p->tolerance);
    ck_assert_msg(err <= p->tolerance, "%s (%s): %g > %g", what, p->name, err, p->tolerance);
}

START_TEST(test_golden)
{
    const char *env = getenv("FACET_TEST_LATENT_GOLDEN");
    const char *path = env && *env ? env : FACET_SOURCE_DIR "/tests/golden/latent.safetensors";
    FacetLatentNetwork *net = open_model();
    char error[512];
    FacetModelFile *g = NULL;
    ck_assert_msg(facet_model_file_open(&g, path, error, sizeof(error)) == 0, "%s", error);
    const char *id = facet_model_file_metadata(g, "model_id");
    char want_id[16];
    snprintf(want_id, sizeof(want_id), "%08x", (unsigned)net->model_id);
    ck_assert_msg(id && !strcmp(id, want_id), "%s is not from model %s", path, want_id);
    const char *size_text = facet_model_file_metadata(g, "size");
    ck_assert_ptr_nonnull(size_text);
    const int S = atoi(size_text);
    for (size_t pi = 0; pi < 2; pi++) {
        const Precision *p = &net_precisions[pi];
        FacetVkDevice *dev = vulkan_test_open_device(p);
        if (!dev)
            continue;
        for (int r = 2; r <= 4; r += 2) {
            char name[64], what[64];
#define G(n) (snprintf(name, sizeof(name), "r%d.%s", r, n), name)
            FacetTensor ref = golden_tensor(g, G("reference"), 3, S, S);
            FacetTensor low = golden_tensor(g, G("low"), 3, S / r, S / r);
            FacetTensor image = golden_tensor(g, G("image"), 3, S, S);
            FacetTensor noref = golden_tensor(g, G("image_noref"), 3, S, S);
            FacetTensor out;
            ck_assert_int_eq(facet_tensor_alloc(&out, 3, S, S), 0);
            FacetVkLatentRenderer *vr = NULL;
            int ret = facet_vk_latent_renderer_create(&vr, dev, net, S, S, r, NULL, error,
                                                      sizeof(error));
            ck_assert_msg(ret == 0, "%s", error);
            ck_assert_int_eq(facet_vk_latent_renderer_render(vr, &low, &out), 0);
            snprintf(what, sizeof(what), "r%d image, no reference", r);
            expect_abs(what, p, &out, &noref);
            ck_assert_int_eq(facet_vk_latent_renderer_set_reference(vr, &ref), 0);
            ck_assert_int_eq(facet_vk_latent_renderer_render(vr, &low, &out), 0);
            snprintf(what, sizeof(what), "r%d image", r);
            expect_abs(what, p, &out, &image);
            ck_assert_int_eq(facet_vk_latent_renderer_clear_reference(vr), 0);
            ck_assert_int_eq(facet_vk_latent_renderer_render(vr, &low, &out), 0);
            snprintf(what, sizeof(what), "r%d image, reference cleared", r);
            expect_abs(what, p, &out, &noref);
            ck_assert_int_eq(facet_vk_latent_renderer_render(vr, &ref, &out), -EINVAL);
#undef G
            facet_vk_latent_renderer_destroy(&vr);
            facet_tensor_free(&ref);
            facet_tensor_free(&low);
            facet_tensor_free(&image);
            facet_tensor_free(&noref);
            facet_tensor_free(&out);
        }
        facet_vk_device_close(&dev);
    }
    facet_model_file_close(&g);
    facet_latent_network_close(&net);
}
END_TEST

/* A non-square frame against the CPU renderer, and the picture step. */
START_TEST(test_against_cpu)
{
    FacetLatentNetwork *net = open_model();
    const int W = 96, H = 64, r = 2;
    FacetTensor ref = random_tensor(3, H, W, 0.5f, 0.5f);
    FacetTensor low = random_tensor(3, H / r, W / r, 0.5f, 0.5f);
    FacetTensor want, got;
    ck_assert_int_eq(facet_tensor_alloc(&want, 3, H, W), 0);
    ck_assert_int_eq(facet_tensor_alloc(&got, 3, H, W), 0);
    FacetLatentRenderer *cpu = NULL;
    ck_assert_int_eq(facet_latent_renderer_create(&cpu, net, W, H, r, NULL,
                                                  FACET_RENDER_OPS_FORCE_C), 0);
    ck_assert_int_eq(facet_latent_renderer_set_reference(cpu, &ref), 0);
    ck_assert_int_eq(facet_latent_renderer_render(cpu, &low, &want), 0);
    FacetRenderPicture shape = {FACET_RENDER_PICTURE_RGB24, 50, 30, {0}, {0}};
    for (size_t pi = 0; pi < 2; pi++) {
        const Precision *p = &net_precisions[pi];
        FacetVkDevice *dev = vulkan_test_open_device(p);
        if (!dev)
            continue;
        char error[512];
        FacetVkLatentRenderer *vr = NULL;
        ck_assert_msg(facet_vk_latent_renderer_create(&vr, dev, net, W, H, r, &shape, error,
                                                      sizeof(error)) == 0, "%s", error);
        ck_assert_int_eq(facet_vk_latent_renderer_set_reference(vr, &ref), 0);
        ck_assert_int_eq(facet_vk_latent_renderer_render(vr, &low, &got), 0);
        expect_abs("96x64 r2 image against the CPU", p, &got, &want);

        /* The picture: what picture_out makes of the CPU's frame, within 1
         * (fp32) or 2 (fp16) levels. */
        uint8_t a[50 * 30 * 3], b[50 * 30 * 3];
        FacetRenderPicture pa = shape, pb = shape;
        pa.data[0] = a;
        pa.stride[0] = 150;
        pb.data[0] = b;
        pb.stride[0] = 150;
        ck_assert_int_eq(facet_picture_out(NULL, &want, &pa), 0);
        ck_assert_int_eq(facet_vk_latent_renderer_render_picture(vr, &low, &pb), 0);
        int worst = 0;
        for (size_t i = 0; i < sizeof(a); i++)
            worst = abs(a[i] - b[i]) > worst ? abs(a[i] - b[i]) : worst;
        printf("  picture RGB24 50x30 %s: max difference %d\n", p->name, worst);
        ck_assert_int_le(worst, pi ? 2 : 1);
        facet_vk_latent_renderer_destroy(&vr);
        facet_vk_device_close(&dev);
    }
    facet_latent_renderer_destroy(&cpu);
    facet_tensor_free(&ref);
    facet_tensor_free(&low);
    facet_tensor_free(&want);
    facet_tensor_free(&got);
    facet_latent_network_close(&net);
}
END_TEST

static Suite *vulkan_latent_suite(void)
{
    Suite *s = suite_create("vulkan_latent");
    TCase *tc = tcase_create("vulkan_latent");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_ops);
    tcase_add_test(tc, test_golden);
    tcase_add_test(tc, test_against_cpu);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int status = vulkan_test_check_device();
    if (status >= 0)
        return status;
    SRunner *sr = srunner_create(vulkan_latent_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
