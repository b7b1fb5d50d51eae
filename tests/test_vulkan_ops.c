/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Vulkan back end's shaders (render/vulkan/vk_ops.h) against the C
 * reference kernels (render/ops_c.c), ggml-vulkan style: every op on random
 * inputs of small, odd shapes (lavapipe runs these in CI and it is slow),
 * in both precisions the device offers, compared by the normalised error
 *
 *   max |vulkan - c| / max(max |c|, 1e-3)
 *
 * against a threshold per precision: TOL_FP32 (the shaders sum in another
 * order and use the GPU's exp) and TOL_FP16 (every stored value is rounded
 * to half precision, 2^-11 relative, and a conv adds up hundreds of them).
 * Also: the embedded SPIR-V is complete and well formed, a device selector
 * that matches nothing is a clear -ENODEV, and bad shapes are -EINVAL that
 * keep the graph from running.
 *
 * Exits 77 (skip) with a message only when no Vulkan device exists at all.
 */
#define _POSIX_C_SOURCE 200809L /* setenv */

#include "render/ops.h"
#include "render/vulkan/vk_device.h"
#include "vulkan_test_device.h"
#include "render/vulkan/vk_graph.h"
#include "render/vulkan/vk_memory.h"
#include "render/picture_out.h"
#include "render/vulkan/vk_ops.h"
#include "render/vulkan/vk_shaders.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOL_FP32 2e-5
#define TOL_FP16 4e-3
/* softmax_spatial divides its logits by the temperature (0.1 here, as in
 * the detector): the inputs' half-precision rounding grows tenfold. */
#define TOL_FP16_SOFTMAX_SPATIAL 1.6e-2
#define MAX_INPUTS 4

/* splitmix64: deterministic, so a failure reproduces. */
static uint64_t rng_state;
static float rng_float(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)((double)(z >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static FacetTensor random_tensor(int c, int h, int w, float scale)
{
    FacetTensor t;
    ck_assert_int_eq(facet_tensor_alloc(&t, c, h, w), 0);
    for (size_t i = 0; i < facet_tensor_size(&t); i++)
        t.data[i] = rng_float() * scale;
    return t;
}

/* ---- a device per precision ------------------------------------------- */

static const Precision precisions[] = {
    {"fp32", FACET_VK_FORCE_FP32, TOL_FP32},
    {"fp16", 0, TOL_FP16},
};

/* ---- running one op on the device -------------------------------------- */

/* Inputs go up through the host buffer (load shader), the op runs, the
 * output comes back (store shader): one graph, one submission. */
typedef struct Rig {
    FacetVkDevice *dev;
    FacetVkLayout layout;
    FacetVkMemory *mem;
    FacetVkGraph *graph;
    struct {
        FacetVkTensor t;
        FacetVkSpace space;
        uint32_t host;
        const FacetTensor *cpu;
    } in[MAX_INPUTS];
    int inputs;
    FacetVkTensor out;
    uint32_t out_host;
} Rig;

static void rig_init(Rig *rig, FacetVkDevice *dev)
{
    memset(rig, 0, sizeof(*rig));
    rig->dev = dev;
}

static FacetVkTensor rig_input(Rig *rig, const FacetTensor *cpu, FacetVkSpace space)
{
    ck_assert_int_lt(rig->inputs, MAX_INPUTS);
    int i = rig->inputs++;
    rig->in[i].t = facet_vk_tensor_take(&rig->layout, space, cpu->c, cpu->h, cpu->w);
    rig->in[i].space = space;
    rig->in[i].host = facet_vk_take(&rig->layout, FACET_VK_HOST, facet_tensor_size(cpu));
    rig->in[i].cpu = cpu;
    return rig->in[i].t;
}

/* The output: a new tensor, or (alias) an input's for ops in place. */
static FacetVkTensor rig_output(Rig *rig, int c, int h, int w, const FacetVkTensor *alias)
{
    rig->out = alias ? *alias : facet_vk_tensor_take(&rig->layout, FACET_VK_DATA, c, h, w);
    rig->out_host = facet_vk_take(&rig->layout, FACET_VK_HOST, facet_vk_tensor_size(rig->out));
    return rig->out;
}

/* Creates memory and graph and records the loads; the caller records the op. */
static FacetVkGraph *rig_begin(Rig *rig)
{
    ck_assert_int_eq(facet_vk_memory_create(&rig->mem, rig->dev, &rig->layout), 0);
    ck_assert_int_eq(facet_vk_graph_create(&rig->graph, rig->mem, 16), 0);
    ck_assert_int_eq(facet_vk_graph_begin(rig->graph), 0);
    float *host = facet_vk_memory_host(rig->mem);
    for (int i = 0; i < rig->inputs; i++) {
        size_t n = facet_tensor_size(rig->in[i].cpu);
        memcpy(host + rig->in[i].host, rig->in[i].cpu->data, sizeof(float) * n);
        ck_assert_int_eq(facet_vk_op_load(rig->graph, rig->in[i].host, rig->in[i].space,
                                          rig->in[i].t.offset, n), 0);
    }
    return rig->graph;
}

/* Stores the output, runs, copies it into `result` and frees the rig. */
static void rig_finish(Rig *rig, float *result)
{
    size_t n = facet_vk_tensor_size(rig->out);
    ck_assert_int_eq(facet_vk_op_store(rig->graph, FACET_VK_DATA, rig->out.offset,
                                       rig->out_host, n), 0);
    ck_assert_int_eq(facet_vk_graph_end(rig->graph), 0);
    int ret = facet_vk_graph_run(rig->graph);
    ck_assert_msg(ret == 0, "graph run: %d %s", ret, facet_vk_device_error(rig->dev));
    memcpy(result, facet_vk_memory_host(rig->mem) + rig->out_host, sizeof(float) * n);
    facet_vk_graph_destroy(&rig->graph);
    facet_vk_memory_destroy(&rig->mem);
}

static double normalised_error(const float *got, const float *ref, size_t n)
{
    double diff = 0, scale = 1e-3;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)ref[i]);
        diff = d <= diff ? diff : isnan(d) ? INFINITY : d;
        scale = fmax(scale, fabs((double)ref[i]));
    }
    return diff / scale;
}

static void expect_close_tol(const char *what, const Precision *p, const float *got,
                             const FacetTensor *ref, double tolerance)
{
    double err = normalised_error(got, ref->data, facet_tensor_size(ref));
    printf("  %-40s %s normalised error %.2e (tolerance %.1e)\n", what, p->name, err,
           tolerance);
    ck_assert_msg(err <= tolerance, "%s (%s): normalised error %g > %g", what, p->name, err,
                  tolerance);
}

static void expect_close(const char *what, const Precision *p, const float *got,
                         const FacetTensor *ref)
{
    expect_close_tol(what, p, got, ref, p->tolerance);
}

static FacetRenderOps c_ops;
static FacetWorkspace c_ws;

static void setup(void)
{
    facet_render_ops_init(&c_ops, FACET_RENDER_OPS_FORCE_C);
    facet_workspace_init(&c_ws, NULL);
    rng_state = 0x5eed;
}

static void teardown(void)
{
    facet_workspace_free(&c_ws);
}

/* ---- the ops --------------------------------------------------------- */

START_TEST(test_conv2d)
{
    static const int kernels[] = {1, 3, 5, 7};
    for (size_t pi = 0; pi < 2; pi++) {
        FacetVkDevice *dev = vulkan_test_open_device(&precisions[pi]);
        if (!dev)
            continue;
        int act = 0;
        for (int ki = 0; ki < 4; ki++)
            for (int stride = 1; stride <= 2; stride++, act = (act + 1) % FACET_ACT_COUNT) {
                int k = kernels[ki], in_c = 5, out_c = 6, h = 13, w = 11;
                FacetTensor weights = random_tensor(out_c, in_c, k * k, 1.0f / sqrtf(in_c * k * k));
                FacetTensor bias = random_tensor(1, 1, out_c, 0.5f);
                FacetConv2d conv;
                ck_assert_int_eq(facet_conv2d_init(&conv, weights.data, bias.data, out_c, in_c,
                                                   k, stride, (FacetActivation)act), 0);
                FacetTensor in = random_tensor(in_c, h, w, 1.0f), ref;
                int oh = facet_conv2d_output_size(&conv, h), ow = facet_conv2d_output_size(&conv, w);
                ck_assert_int_eq(facet_tensor_alloc(&ref, out_c, oh, ow), 0);
                ck_assert_int_eq(c_ops.conv2d(&c_ws, &conv, &in, &ref), 0);

                Rig rig;
                rig_init(&rig, dev);
                FacetVkConv vc;
                facet_vk_conv_take(&vc, &conv, &rig.layout);
                FacetVkTensor vin = rig_input(&rig, &in, FACET_VK_DATA);
                FacetVkTensor vout = rig_output(&rig, out_c, oh, ow, NULL);
                /* Weights go up through the host buffer too: stage them
                 * after the inputs' slots. */
                uint32_t wbase = vc.weights;
                size_t wcount = vc.bias + facet_vk_conv_bias_floats(&conv) - wbase;
                uint32_t whost = facet_vk_take(&rig.layout, FACET_VK_HOST, wcount);
                FacetVkGraph *g = rig_begin(&rig);
                facet_vk_conv_stage(&vc, facet_vk_memory_host(rig.mem) + whost, wbase);
                ck_assert_int_eq(facet_vk_op_load(g, whost, FACET_VK_DATA, wbase, wcount), 0);
                ck_assert_int_eq(facet_vk_op_conv2d(g, &vc, vin, vout), 0);
                float *got = malloc(sizeof(float) * facet_tensor_size(&ref));
                ck_assert_ptr_nonnull(got);
                rig_finish(&rig, got);
                char what[64];
                snprintf(what, sizeof(what), "conv2d k%d s%d act %d", k, stride, act);
                expect_close(what, &precisions[pi], got, &ref);
                free(got);
                facet_tensor_free(&in);
                facet_tensor_free(&ref);
                facet_tensor_free(&weights);
                facet_tensor_free(&bias);
                facet_conv2d_free(&conv);
            }
        facet_vk_device_close(&dev);
    }
}
END_TEST

/* The single-input ops that keep or halve/double the shape. */
typedef enum UnaryOp {
    UNARY_UPSAMPLE,
    UNARY_AVGPOOL,
    UNARY_SOFTMAX_CHANNELS,
    UNARY_SOFTMAX_SPATIAL,
    UNARY_RELU,
    UNARY_SIGMOID,
    UNARY_TANH,
    UNARY_COUNT
} UnaryOp;

static const char *const unary_names[] = {"upsample2x", "avgpool2x2", "softmax_channels",
                                          "softmax_spatial", "activate relu", "activate sigmoid",
                                          "activate tanh"};

START_TEST(test_unary_ops)
{
    for (size_t pi = 0; pi < 2; pi++) {
        FacetVkDevice *dev = vulkan_test_open_device(&precisions[pi]);
        if (!dev)
            continue;
        for (int op = 0; op < UNARY_COUNT; op++) {
            int c = 7, h = 9, w = 13;
            /* Logits of a few units, as the network's softmaxes see. */
            float scale = op == UNARY_SOFTMAX_CHANNELS || op == UNARY_SOFTMAX_SPATIAL ? 4.0f
                          : op >= UNARY_RELU ? 6.0f : 1.0f;
            FacetTensor in = random_tensor(c, h, w, scale), ref;
            int oh = op == UNARY_UPSAMPLE ? 2 * h : op == UNARY_AVGPOOL ? h / 2 : h;
            int ow = op == UNARY_UPSAMPLE ? 2 * w : op == UNARY_AVGPOOL ? w / 2 : w;
            ck_assert_int_eq(facet_tensor_alloc(&ref, c, oh, ow), 0);
            Rig rig;
            rig_init(&rig, dev);
            FacetVkTensor vin = rig_input(&rig, &in, FACET_VK_DATA);
            int in_place = op >= UNARY_RELU;
            FacetVkTensor vout = rig_output(&rig, c, oh, ow, in_place ? &vin : NULL);
            FacetVkGraph *g = rig_begin(&rig);
            int ret = -1;
            switch ((UnaryOp)op) {
            case UNARY_UPSAMPLE:
                ck_assert_int_eq(c_ops.upsample2x(&c_ws, &in, &ref), 0);
                ret = facet_vk_op_upsample2x(g, vin, vout);
                break;
            case UNARY_AVGPOOL:
                ck_assert_int_eq(c_ops.avgpool2x2(&c_ws, &in, &ref), 0);
                ret = facet_vk_op_avgpool2x2(g, vin, vout);
                break;
            case UNARY_SOFTMAX_CHANNELS:
                ck_assert_int_eq(c_ops.softmax_channels(&c_ws, &in, &ref), 0);
                ret = facet_vk_op_softmax_channels(g, vin, vout);
                break;
            case UNARY_SOFTMAX_SPATIAL:
                ck_assert_int_eq(c_ops.softmax_spatial(&c_ws, &in, 0.1f, &ref), 0);
                ret = facet_vk_op_softmax_spatial(g, vin, 0.1f, vout);
                break;
            default: {
                FacetActivation act = op == UNARY_RELU      ? FACET_ACT_RELU
                                      : op == UNARY_SIGMOID ? FACET_ACT_SIGMOID
                                                            : FACET_ACT_TANH;
                memcpy(ref.data, in.data, sizeof(float) * facet_tensor_size(&in));
                ck_assert_int_eq(c_ops.activate(&c_ws, &ref, act), 0);
                ret = facet_vk_op_activate(g, vin, act);
                break;
            }
            case UNARY_COUNT:
                break;
            }
            ck_assert_int_eq(ret, 0);
            float *got = malloc(sizeof(float) * facet_tensor_size(&ref));
            ck_assert_ptr_nonnull(got);
            rig_finish(&rig, got);
            double tol = precisions[pi].tolerance;
            if (op == UNARY_SOFTMAX_SPATIAL && precisions[pi].flags == 0)
                tol = TOL_FP16_SOFTMAX_SPATIAL;
            expect_close_tol(unary_names[op], &precisions[pi], got, &ref, tol);
            free(got);
            facet_tensor_free(&in);
            facet_tensor_free(&ref);
        }
        facet_vk_device_close(&dev);
    }
}
END_TEST

START_TEST(test_binary_ops)
{
    for (size_t pi = 0; pi < 2; pi++) {
        FacetVkDevice *dev = vulkan_test_open_device(&precisions[pi]);
        if (!dev)
            continue;
        for (int op = 0; op < 3; op++) {
            int c = 5, h = 7, w = 19;
            FacetTensor a = random_tensor(c, h, w, 1.0f);
            FacetTensor b = random_tensor(op == 2 ? 1 : c, h, w, 1.0f), ref;
            ck_assert_int_eq(facet_tensor_alloc(&ref, c, h, w), 0);
            Rig rig;
            rig_init(&rig, dev);
            FacetVkTensor va = rig_input(&rig, &a, FACET_VK_DATA);
            FacetVkTensor vb = rig_input(&rig, &b, FACET_VK_DATA);
            /* add writes in place into a, as the renderer's residuals do. */
            FacetVkTensor vout = rig_output(&rig, c, h, w, op == 0 ? &va : NULL);
            FacetVkGraph *g = rig_begin(&rig);
            static const char *const names[] = {"add (in place)", "mul", "mul_map"};
            if (op == 0) {
                ck_assert_int_eq(c_ops.add(&c_ws, &a, &b, &ref), 0);
                ck_assert_int_eq(facet_vk_op_add(g, va, vb, vout), 0);
            } else if (op == 1) {
                ck_assert_int_eq(c_ops.mul(&c_ws, &a, &b, &ref), 0);
                ck_assert_int_eq(facet_vk_op_mul(g, va, vb, vout), 0);
            } else {
                ck_assert_int_eq(c_ops.mul_map(&c_ws, &a, &b, &ref), 0);
                ck_assert_int_eq(facet_vk_op_mul_map(g, va, vb, vout), 0);
            }
            float *got = malloc(sizeof(float) * facet_tensor_size(&ref));
            ck_assert_ptr_nonnull(got);
            rig_finish(&rig, got);
            expect_close(names[op], &precisions[pi], got, &ref);
            free(got);
            facet_tensor_free(&a);
            facet_tensor_free(&b);
            facet_tensor_free(&ref);
        }
        facet_vk_device_close(&dev);
    }
}
END_TEST

START_TEST(test_grid_sample)
{
    for (size_t pi = 0; pi < 2; pi++) {
        FacetVkDevice *dev = vulkan_test_open_device(&precisions[pi]);
        if (!dev)
            continue;
        /* Up- and down-sampling, points past the border (|g| up to 1.3). */
        static const int shapes[][4] = {{9, 11, 5, 7}, {6, 5, 13, 17}};
        for (int s = 0; s < 2; s++) {
            int c = 3, h = shapes[s][0], w = shapes[s][1], oh = shapes[s][2], ow = shapes[s][3];
            FacetTensor in = random_tensor(c, h, w, 1.0f);
            FacetTensor grid = random_tensor(2, oh, ow, 1.3f), ref;
            ck_assert_int_eq(facet_tensor_alloc(&ref, c, oh, ow), 0);
            ck_assert_int_eq(c_ops.grid_sample(&c_ws, &in, &grid, &ref), 0);
            Rig rig;
            rig_init(&rig, dev);
            FacetVkTensor vin = rig_input(&rig, &in, FACET_VK_DATA);
            FacetVkTensor vgrid = rig_input(&rig, &grid, FACET_VK_COORDS);
            FacetVkTensor vout = rig_output(&rig, c, oh, ow, NULL);
            ck_assert_int_eq(facet_vk_op_grid_sample(rig_begin(&rig), vin, vgrid, vout), 0);
            float *got = malloc(sizeof(float) * facet_tensor_size(&ref));
            ck_assert_ptr_nonnull(got);
            rig_finish(&rig, got);
            expect_close(s ? "grid_sample (upsampling)" : "grid_sample (downsampling)",
                         &precisions[pi], got, &ref);
            free(got);
            facet_tensor_free(&in);
            facet_tensor_free(&grid);
            facet_tensor_free(&ref);
        }
        facet_vk_device_close(&dev);
    }
}
END_TEST


/* The picture step (render/picture_out.h) against its C kernel: I420 of
 * odd sizes (chroma edges of one pixel), enlarging and shrinking, and
 * RGB24; values past [0, 1] are clamped. Bytes may differ by one where a
 * value lands on a rounding boundary (fp32) or by fp16 storage's rounding. */
START_TEST(test_picture_out)
{
    for (size_t pi = 0; pi < 2; pi++) {
        FacetVkDevice *dev = vulkan_test_open_device(&precisions[pi]);
        if (!dev)
            continue;
        static const int shapes[][3] = {
            {FACET_RENDER_PICTURE_I420, 16, 16}, {FACET_RENDER_PICTURE_I420, 37, 23},
            {FACET_RENDER_PICTURE_I420, 11, 9}, {FACET_RENDER_PICTURE_RGB24, 29, 18}};
        for (int s = 0; s < 4; s++) {
            FacetTensor in = random_tensor(3, 16, 16, 1.2f);
            FacetRenderPicture shape = { (FacetRenderPictureFormat)shapes[s][0], shapes[s][1],
                                         shapes[s][2], { 0 }, { 0 } };
            size_t bytes = facet_render_picture_packed_size(&shape);
            uint8_t *ref = calloc(bytes, 1), *got = calloc(bytes + 4, 1);
            ck_assert(ref && got);
            /* The C kernel writes straight into the same packed layout. */
            FacetRenderPicture cpu = shape;
            size_t row = shape.format == FACET_RENDER_PICTURE_RGB24 ? 3 * (size_t)shape.width
                                                                    : (size_t)shape.width;
            row = (row + 3) & ~(size_t)3;
            size_t crow = (((size_t)shape.width + 1) / 2 + 3) & ~(size_t)3;
            cpu.data[0] = ref;
            cpu.stride[0] = (ptrdiff_t)row;
            if (shape.format == FACET_RENDER_PICTURE_I420) {
                cpu.data[1] = ref + row * (size_t)shape.height;
                cpu.data[2] = cpu.data[1] + crow * (size_t)((shape.height + 1) / 2);
                cpu.stride[1] = cpu.stride[2] = (ptrdiff_t)crow;
            }
            ck_assert_int_eq(facet_picture_out(NULL, &in, &cpu), 0);

            Rig rig;
            rig_init(&rig, dev);
            FacetVkTensor vin = rig_input(&rig, &in, FACET_VK_DATA);
            uint32_t host = facet_vk_take(&rig.layout, FACET_VK_HOST, bytes / 4 + 1);
            FacetVkGraph *g = rig_begin(&rig);
            ck_assert_int_eq(facet_vk_op_picture_out(g, vin, host, shape.format, shape.width,
                                                     shape.height), 0);
            ck_assert_int_eq(facet_vk_graph_end(g), 0);
            ck_assert_int_eq(facet_vk_graph_run(g), 0);
            memcpy(got, facet_vk_memory_host(rig.mem) + host, bytes);
            facet_vk_graph_destroy(&rig.graph);
            facet_vk_memory_destroy(&rig.mem);
            int worst = 0;
            for (size_t i = 0; i < bytes; i++) {
                int d = abs((int)got[i] - (int)ref[i]);
                worst = d > worst ? d : worst;
            }
            int allowed = pi == 0 ? 1 : 2;
            printf("  picture_out %s %dx%d %s: max byte difference %d (allowed %d)\n",
                   shape.format == FACET_RENDER_PICTURE_RGB24 ? "rgb24" : "i420", shape.width,
                   shape.height, precisions[pi].name, worst, allowed);
            ck_assert_int_le(worst, allowed);
            free(ref);
            free(got);
            facet_tensor_free(&in);
        }
        facet_vk_device_close(&dev);
    }
}
END_TEST

/* ---- contracts -------------------------------------------------------- */

START_TEST(test_embedded_spirv)
{
    for (int s = 0; s < FACET_VK_SHADER_COUNT; s++)
        for (int fp16 = 0; fp16 <= 1; fp16++) {
            const uint32_t *code = NULL;
            size_t size = 0;
            int ret = facet_vk_shader_code((FacetVkShader)s, fp16, &code, &size);
            ck_assert_msg(ret == 0, "shader %s (fp16 %d): %d", facet_vk_shader_name(s), fp16, ret);
            ck_assert_uint_eq(size % 4, 0);
            ck_assert_uint_eq(code[0], 0x07230203u);
        }
    ck_assert_int_eq(facet_vk_shader_code(FACET_VK_SHADER_COUNT, 0, NULL, NULL), -EINVAL);
    static const uint32_t good[5] = {0x07230203u, 0x00010300u, 0, 1, 0};
    static const uint32_t swapped[5] = {0x03022307u, 0x00030100u, 0, 1, 0};
    ck_assert_int_eq(facet_vk_spirv_check(good, sizeof(good)), 0);
    ck_assert_int_eq(facet_vk_spirv_check(good, sizeof(good) - 1), -EBADMSG);
    ck_assert_int_eq(facet_vk_spirv_check(good, 8), -EBADMSG);
    ck_assert_int_eq(facet_vk_spirv_check(swapped, sizeof(swapped)), -EBADMSG);
    ck_assert_int_eq(facet_vk_spirv_check(NULL, 20), -EBADMSG);
}
END_TEST

START_TEST(test_device_selection)
{
    char error[512];
    FacetVkDevice *dev = NULL;
    ck_assert_int_eq(facet_vk_device_open(&dev, "no-such-gpu-anywhere", 0, error, sizeof(error)),
                     -ENODEV);
    ck_assert_ptr_null(dev);
    ck_assert_msg(strstr(error, "no-such-gpu-anywhere") != NULL, "message: %s", error);
    ck_assert_int_eq(facet_vk_device_open(&dev, "999", 0, error, sizeof(error)), -ENODEV);
    ck_assert_ptr_null(dev);
    ck_assert_int_eq(facet_vk_device_open(NULL, NULL, 0, error, sizeof(error)), -EINVAL);

    /* Index 0 and a piece of its own name pick the same device. */
    ck_assert_int_eq(facet_vk_device_open(&dev, "0", 0, error, sizeof(error)), 0);
    char name[256], piece[8];
    snprintf(name, sizeof(name), "%s", facet_vk_device_name(dev));
    facet_vk_device_close(&dev);
    ck_assert_ptr_null(dev);
    snprintf(piece, sizeof(piece), "%.4s", name);
    ck_assert_int_eq(facet_vk_device_open(&dev, piece, FACET_VK_FORCE_FP32, error, sizeof(error)),
                     0);
    ck_assert_str_eq(facet_vk_device_name(dev), name);
    ck_assert_int_eq(facet_vk_device_fp16(dev), 0);
    facet_vk_device_close(&dev);
    facet_vk_device_close(NULL);

    /* The environment: FACET_VULKAN_DEVICE when no selector is given, and
     * FACET_VULKAN_FP32=1 (this test runs in its own process). */
    setenv("FACET_VULKAN_DEVICE", "no-such-gpu-anywhere", 1);
    ck_assert_int_eq(facet_vk_device_open(&dev, NULL, 0, error, sizeof(error)), -ENODEV);
    ck_assert_int_eq(facet_vk_device_open(&dev, piece, 0, error, sizeof(error)), 0);
    facet_vk_device_close(&dev);
    unsetenv("FACET_VULKAN_DEVICE");
    setenv("FACET_VULKAN_FP32", "1", 1);
    ck_assert_int_eq(facet_vk_device_open(&dev, NULL, 0, error, sizeof(error)), 0);
    ck_assert_int_eq(facet_vk_device_fp16(dev), 0);
    facet_vk_device_close(&dev);
    unsetenv("FACET_VULKAN_FP32");

    /* A CPU implementation is refused when a GPU is required and the device
     * was picked as the best one, but taken when it was named. */
    ck_assert_int_eq(facet_vk_device_open(&dev, NULL, 0, error, sizeof(error)), 0);
    FacetVkDeviceKind kind = facet_vk_device_kind(dev);
    facet_vk_device_close(&dev);
    ck_assert_int_eq(facet_vk_device_open(&dev, piece, FACET_VK_REQUIRE_GPU, error, sizeof(error)),
                     0);
    facet_vk_device_close(&dev);
    int ret = facet_vk_device_open(&dev, NULL, FACET_VK_REQUIRE_GPU, error, sizeof(error));
    if (kind == FACET_VK_DEVICE_CPU) {
        ck_assert_int_eq(ret, -ENODEV);
        ck_assert_ptr_null(dev);
        ck_assert_msg(strstr(error, "CPU implementation") != NULL, "message: %s", error);
    } else {
        ck_assert_int_eq(ret, 0);
        facet_vk_device_close(&dev);
    }
}
END_TEST

START_TEST(test_bad_shapes)
{
    FacetVkDevice *dev = vulkan_test_open_device(&precisions[0]);
    FacetVkLayout layout = {{0}, {0}};
    FacetVkTensor a = facet_vk_tensor_take(&layout, FACET_VK_DATA, 3, 8, 8);
    FacetVkTensor b = facet_vk_tensor_take(&layout, FACET_VK_DATA, 3, 8, 9);
    FacetVkTensor grid = facet_vk_tensor_take(&layout, FACET_VK_COORDS, 2, 8, 8);
    FacetVkMemory *mem = NULL;
    FacetVkGraph *g = NULL;
    ck_assert_int_eq(facet_vk_memory_create(&mem, dev, &layout), 0);
    ck_assert_int_eq(facet_vk_graph_create(&g, mem, 4), 0);
    ck_assert_int_eq(facet_vk_graph_create(NULL, mem, 4), -EINVAL);
    FacetVkGraph *none = NULL;
    ck_assert_int_eq(facet_vk_graph_create(&none, mem, 0), -EINVAL);
    ck_assert_int_eq(facet_vk_graph_run(g), -EINVAL); /* nothing recorded */

    ck_assert_int_eq(facet_vk_graph_begin(g), 0);
    ck_assert_int_eq(facet_vk_op_add(g, a, b, a), -EINVAL);
    ck_assert_int_eq(facet_vk_op_upsample2x(g, a, a), -EINVAL);
    ck_assert_int_eq(facet_vk_op_grid_sample(g, a, a, b), -EINVAL);
    ck_assert_int_eq(facet_vk_op_softmax_spatial(g, a, 0.0f, a), -EINVAL);
    ck_assert_int_eq(facet_vk_op_activate(g, a, FACET_ACT_COUNT), -EINVAL);
    ck_assert_int_eq(facet_vk_op_conv2d(g, NULL, a, a), -EINVAL);
    ck_assert_int_eq(facet_vk_op_load(g, 0, FACET_VK_HOST, 0, 4), -EINVAL);
    ck_assert_int_eq(facet_vk_graph_end(g), -EINVAL);
    ck_assert_int_eq(facet_vk_graph_run(g), -EINVAL);

    /* A good graph after a bad one: the error does not stick across begin. */
    ck_assert_int_eq(facet_vk_graph_begin(g), 0);
    ck_assert_int_eq(facet_vk_op_grid_sample(g, a, grid, facet_vk_tensor_view(b, 0, 3)), -EINVAL);
    ck_assert_int_eq(facet_vk_graph_begin(g), 0);
    ck_assert_int_eq(facet_vk_op_mul(g, a, a, a), 0);
    ck_assert_int_eq(facet_vk_graph_end(g), 0);
    ck_assert_int_eq(facet_vk_graph_run(g), 0);
    ck_assert_int_eq(facet_vk_graph_op_count(g), 1);
    ck_assert_str_eq(facet_vk_graph_op_label(g, 0), "mul");

    /* Too many ops for the graph. */
    ck_assert_int_eq(facet_vk_graph_begin(g), 0);
    for (int i = 0; i < 5; i++)
        facet_vk_op_mul(g, a, a, a);
    ck_assert_int_eq(facet_vk_graph_end(g), -EINVAL);

    /* A buffer larger than the device allows is refused with a message. */
    FacetVkLayout huge = {{0}, {0}};
    huge.used[FACET_VK_DATA] = (size_t)1 << 31;
    FacetVkMemory *big = NULL;
    ck_assert_int_eq(facet_vk_memory_create(&big, dev, &huge), -ENOMEM);
    ck_assert_ptr_null(big);
    ck_assert_msg(strstr(facet_vk_device_error(dev), "storage buffer range") != NULL, "%s",
                  facet_vk_device_error(dev));

    facet_vk_graph_destroy(&g);
    facet_vk_memory_destroy(&mem);
    facet_vk_device_close(&dev);
}
END_TEST

static Suite *vulkan_ops_suite(void)
{
    Suite *s = suite_create("vulkan_ops");
    TCase *tc = tcase_create("ops");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_conv2d);
    tcase_add_test(tc, test_unary_ops);
    tcase_add_test(tc, test_binary_ops);
    tcase_add_test(tc, test_grid_sample);
    tcase_add_test(tc, test_picture_out);
    tcase_add_test(tc, test_embedded_spirv);
    tcase_add_test(tc, test_device_selection);
    tcase_add_test(tc, test_bad_shapes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int status = vulkan_test_check_device();
    if (status >= 0)
        return status;

    SRunner *sr = srunner_create(vulkan_ops_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
