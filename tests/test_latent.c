/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's network on the CPU (render/latent_*.h, docs/latent-network.md):
 *
 *  - its new ops (sub, fill, pixel_shuffle, flow_grid) against direct
 *    definitions, flow_grid's resize against grid_sample on the identity
 *    grid (what latent_model.py writes), and bit-exact across thread counts;
 *  - the whole network against PyTorch's golden vectors
 *    (tests/golden/latent.safetensors, written by train/latent_export.py
 *    with models/facet-latent.safetensors' fp16 weights in fp32
 *    arithmetic): the reference encoder's outputs, flow, confidence, gate
 *    and image for r = 2 and 4, and the no-reference image, with the C
 *    reference kernels and with the optimised ones; the golden file must
 *    have been made from the model file's model_id;
 *  - broken model files: wrong architecture, metadata, config, a missing,
 *    misshapen or extra tensor, each a clear -EBADMSG naming it.
 */
#include "render/latent_network.h"
#include "render/latent_renderer.h"
#include "render/ops.h"
#include "render/safetensors.h"
#include "render/thread_pool.h"
#include "golden_vectors.h"

#include <cJSON.h>
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whole network against PyTorch: float rounding through ~15 convs and
 * bilinear warps of sharp maps (as the v1 renderer's 2e-3), and the
 * intermediate tensors as v1's 1e-4. */
#define TOL_TENSOR 1e-4
#define TOL_IMAGE 2e-3

static const char *model_path(void)
{
    const char *env = getenv("FACET_TEST_LATENT_MODEL");
    return env && *env ? env : FACET_SOURCE_DIR "/models/facet-latent.safetensors";
}

static const char *latent_golden_path(void)
{
    const char *env = getenv("FACET_TEST_LATENT_GOLDEN");
    return env && *env ? env : FACET_SOURCE_DIR "/tests/golden/latent.safetensors";
}

static FacetLatentNetwork *open_model(void)
{
    char error[512];
    FacetLatentNetwork *net = NULL;
    int ret = facet_latent_network_open(&net, model_path(), error, sizeof(error));
    ck_assert_msg(ret == 0, "%s", error);
    return net;
}

/* splitmix64: deterministic inputs. */
static uint64_t rng_state = 0x1a7e57;
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

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        m = d <= m ? m : isnan(d) ? INFINITY : d;
    }
    return m;
}

/* ---- ops ------------------------------------------------------------------ */

START_TEST(test_latent_ops)
{
    FacetRenderOps ops;
    facet_render_ops_init(&ops, 0);
    FacetThreadPool *pool = NULL;
    ck_assert_int_eq(facet_thread_pool_create(&pool, 2), 0);
    FacetWorkspace ws, ws_pool;
    facet_workspace_init(&ws, NULL);
    facet_workspace_init(&ws_pool, pool);

    /* sub, in place too. */
    FacetTensor a = random_tensor(5, 7, 9, 1), b = random_tensor(5, 7, 9, 1), o, o2;
    ck_assert_int_eq(facet_tensor_alloc(&o, 5, 7, 9), 0);
    ck_assert_int_eq(facet_tensor_alloc(&o2, 5, 7, 9), 0);
    ck_assert_int_eq(ops.sub(&ws, &a, &b, &o), 0);
    for (size_t i = 0; i < facet_tensor_size(&o); i++)
        ck_assert_float_eq(o.data[i], a.data[i] - b.data[i]);
    memcpy(o2.data, a.data, sizeof(float) * facet_tensor_size(&a));
    ck_assert_int_eq(ops.sub(&ws_pool, &o2, &b, &o2), 0);
    ck_assert_mem_eq(o.data, o2.data, sizeof(float) * facet_tensor_size(&o));
    ck_assert_int_eq(ops.sub(&ws, &a, &b, &(FacetTensor){o.data, 5, 9, 7, 0}), -EINVAL);

    /* fill */
    ck_assert_int_eq(ops.fill(&ws_pool, &o, 0.25f), 0);
    for (size_t i = 0; i < facet_tensor_size(&o); i++)
        ck_assert_float_eq(o.data[i], 0.25f);
    ck_assert_int_eq(ops.fill(&ws, NULL, 0.0f), -EINVAL);

    /* pixel_shuffle: PyTorch's definition, and bad shapes. */
    FacetTensor ps_in = random_tensor(8, 5, 6, 1), ps_out;
    ck_assert_int_eq(facet_tensor_alloc(&ps_out, 2, 10, 12), 0);
    ck_assert_int_eq(ops.pixel_shuffle(&ws_pool, &ps_in, &ps_out), 0);
    for (int c = 0; c < 2; c++)
        for (int y = 0; y < 10; y++)
            for (int x = 0; x < 12; x++)
                ck_assert_float_eq(ps_out.data[(c * 10 + y) * 12 + x],
                                   ps_in.data[((4 * c + 2 * (y % 2) + x % 2) * 5 + y / 2) * 6 + x / 2]);
    ck_assert_int_eq(ops.pixel_shuffle(&ws, &ps_in, &(FacetTensor){ps_out.data, 2, 10, 10, 0}),
                     -EINVAL);
    ck_assert_int_eq(ops.pixel_shuffle(&ws, &ps_in, &ps_in), -EINVAL);

    /* flow_grid: identity; same size = identity + disp; another size =
     * identity + grid_sample(disp, identity), PyTorch's resize_bilinear. */
    const int H = 12, W = 20;
    FacetTensor id, g1, g2, rs;
    ck_assert_int_eq(facet_tensor_alloc(&id, 2, H, W), 0);
    ck_assert_int_eq(facet_tensor_alloc(&g1, 2, H, W), 0);
    ck_assert_int_eq(facet_tensor_alloc(&g2, 2, H, W), 0);
    ck_assert_int_eq(facet_tensor_alloc(&rs, 2, H, W), 0);
    ck_assert_int_eq(ops.flow_grid(&ws, NULL, &id), 0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            ck_assert_float_eq(id.data[y * W + x], (float)(2 * x + 1) / (float)W - 1.0f);
            ck_assert_float_eq(id.data[H * W + y * W + x], (float)(2 * y + 1) / (float)H - 1.0f);
        }
    FacetTensor same = random_tensor(2, H, W, 0.1f);
    ck_assert_int_eq(ops.flow_grid(&ws, &same, &g1), 0);
    for (size_t i = 0; i < facet_tensor_size(&g1); i++)
        ck_assert_float_eq(g1.data[i], id.data[i] + same.data[i]);
    for (int sizes = 0; sizes < 2; sizes++) {
        /* smaller (the network's S/4 -> S/2, S) and larger */
        int h = sizes ? 17 : 3, w = sizes ? 29 : 5;
        FacetTensor d = random_tensor(2, h, w, 0.2f);
        ck_assert_int_eq(ops.flow_grid(&ws, &d, &g1), 0);
        ck_assert_int_eq(ops.flow_grid(&ws_pool, &d, &g2), 0);
        ck_assert_mem_eq(g1.data, g2.data, sizeof(float) * facet_tensor_size(&g1));
        ck_assert_int_eq(ops.grid_sample(&ws, &d, &id, &rs), 0);
        for (size_t i = 0; i < facet_tensor_size(&g1); i++)
            ck_assert_float_eq(g1.data[i], id.data[i] + rs.data[i]);
        facet_tensor_free(&d);
    }
    ck_assert_int_eq(ops.flow_grid(&ws, &a, &g1), -EINVAL);
    ck_assert_int_eq(ops.flow_grid(&ws, &g1, &g1), -EINVAL);

    FacetTensor *all[] = {&a, &b, &o, &o2, &ps_in, &ps_out, &id, &g1, &g2, &rs, &same};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        facet_tensor_free(all[i]);
    facet_workspace_free(&ws);
    facet_workspace_free(&ws_pool);
    facet_thread_pool_destroy(&pool);
}
END_TEST

/* ---- the network against PyTorch ---------------------------------------------- */

static FacetModelFile *golden_open_latent(const FacetLatentNetwork *net)
{
    char error[512];
    FacetModelFile *g = NULL;
    int ret = facet_model_file_open(&g, latent_golden_path(), error, sizeof(error));
    ck_assert_msg(ret == 0, "cannot load the golden vectors: %s", error);
    const char *id = facet_model_file_metadata(g, "model_id");
    ck_assert_ptr_nonnull(id);
    char want[16];
    snprintf(want, sizeof(want), "%08x", (unsigned)net->model_id);
    ck_assert_msg(!strcmp(id, want),
                  "%s was made from model %s, %s is model %s: export both together "
                  "(train/latent_export.py --out ... --golden ...)",
                  latent_golden_path(), id, model_path(), want);
    return g;
}

static double compare(const FacetModelFile *g, const char *name, const FacetTensor *t,
                      const char *isa, double tol)
{
    FacetTensor want = golden_tensor(g, name, t->c, t->h, t->w);
    double err = max_abs_diff(t->data, want.data, facet_tensor_size(t));
    printf("  %-22s %-5s max |error| %.2e (tolerance %.0e)\n", name, isa, err, tol);
    ck_assert_msg(err <= tol, "%s (%s): max error %g > %g", name, isa, err, tol);
    facet_tensor_free(&want);
    return err;
}

START_TEST(test_golden)
{
    FacetLatentNetwork *net = open_model();
    FacetModelFile *g = golden_open_latent(net);
    const char *size_text = facet_model_file_metadata(g, "size");
    ck_assert_ptr_nonnull(size_text);
    const int S = atoi(size_text);
    static const int flags[2] = {FACET_RENDER_OPS_FORCE_C, 0};
    for (int r = 2; r <= 4; r += 2)
        for (int fi = 0; fi < 2; fi++) {
            const char *isa = fi ? facet_render_ops_isa() : "c";
            char name[64];
#define G(n) (snprintf(name, sizeof(name), "r%d.%s", r, n), name)
            FacetTensor ref = golden_tensor(g, G("reference"), 3, S, S);
            FacetTensor low = golden_tensor(g, G("low"), 3, S / r, S / r);
            FacetTensor img;
            ck_assert_int_eq(facet_tensor_alloc(&img, 3, S, S), 0);
            FacetLatentRenderer *lr = NULL;
            ck_assert_int_eq(facet_latent_renderer_create(&lr, net, S, S, r, NULL, flags[fi]), 0);
            printf("r = %d, %s kernels\n", r, isa);

            /* Before any reference: the no-reference image. */
            ck_assert_int_eq(facet_latent_renderer_has_reference(lr), 0);
            ck_assert_int_eq(facet_latent_renderer_render(lr, &low, &img), 0);
            compare(g, G("image_noref"), &img, isa, TOL_IMAGE);

            ck_assert_int_eq(facet_latent_renderer_set_reference(lr, &ref), 0);
            ck_assert_int_eq(facet_latent_renderer_has_reference(lr), 1);
            FacetLatentTensors t;
            facet_latent_renderer_tensors(lr, &t);
            compare(g, G("enc.small"), t.small, isa, TOL_TENSOR);
            compare(g, G("enc.detail"), t.detail, isa, TOL_TENSOR);
            compare(g, G("enc.feat"), t.feat, isa, TOL_TENSOR);
            ck_assert_int_eq(facet_latent_renderer_render(lr, &low, &img), 0);
            compare(g, G("flow"), t.flow, isa, TOL_TENSOR);
            compare(g, G("confidence"), t.confidence, isa, TOL_TENSOR);
            compare(g, G("gate"), t.gate, isa, TOL_TENSOR);
            compare(g, G("image"), &img, isa, TOL_IMAGE);

            /* A frame depends only on the reference state and its input. */
            FacetTensor again;
            ck_assert_int_eq(facet_tensor_alloc(&again, 3, S, S), 0);
            ck_assert_int_eq(facet_latent_renderer_clear_reference(lr), 0);
            ck_assert_int_eq(facet_latent_renderer_render(lr, &low, &again), 0);
            compare(g, G("image_noref"), &again, isa, TOL_IMAGE);
            ck_assert_int_eq(facet_latent_renderer_set_reference(lr, &ref), 0);
            ck_assert_int_eq(facet_latent_renderer_render(lr, &low, &again), 0);
            ck_assert_mem_eq(img.data, again.data, sizeof(float) * facet_tensor_size(&img));

            /* Bad shapes. */
            ck_assert_int_eq(facet_latent_renderer_render(lr, &ref, &again), -EINVAL);
            ck_assert_int_eq(facet_latent_renderer_render(lr, &low, &low), -EINVAL);
            ck_assert_int_eq(facet_latent_renderer_set_reference(lr, &low), -EINVAL);
#undef G
            facet_latent_renderer_destroy(&lr);
            facet_tensor_free(&ref);
            facet_tensor_free(&low);
            facet_tensor_free(&img);
            facet_tensor_free(&again);
        }
    facet_model_file_close(&g);
    facet_latent_network_close(&net);
}
END_TEST

/* Threads, other sizes: a pool gives the same bits; a non-square frame
 * and a larger one run. */
START_TEST(test_threads_and_sizes)
{
    FacetLatentNetwork *net = open_model();
    FacetThreadPool *pool = NULL;
    ck_assert_int_eq(facet_thread_pool_create(&pool, 2), 0);
    static const int sizes[][2] = {{96, 64}, {128, 160}};
    for (size_t si = 0; si < 2; si++)
        for (int r = 2; r <= 4; r += 2) {
            int W = sizes[si][0], H = sizes[si][1];
            FacetTensor ref = random_tensor(3, H, W, 0.5f), low = random_tensor(3, H / r, W / r, 0.5f);
            for (size_t i = 0; i < facet_tensor_size(&ref); i++)
                ref.data[i] += 0.5f;
            for (size_t i = 0; i < facet_tensor_size(&low); i++)
                low.data[i] += 0.5f;
            FacetTensor a, b;
            ck_assert_int_eq(facet_tensor_alloc(&a, 3, H, W), 0);
            ck_assert_int_eq(facet_tensor_alloc(&b, 3, H, W), 0);
            FacetLatentRenderer *one = NULL, *two = NULL;
            ck_assert_int_eq(facet_latent_renderer_create(&one, net, W, H, r, NULL, 0), 0);
            ck_assert_int_eq(facet_latent_renderer_create(&two, net, W, H, r, pool, 0), 0);
            ck_assert_int_eq(facet_latent_renderer_set_reference(one, &ref), 0);
            ck_assert_int_eq(facet_latent_renderer_set_reference(two, &ref), 0);
            ck_assert_int_eq(facet_latent_renderer_render(one, &low, &a), 0);
            ck_assert_int_eq(facet_latent_renderer_render(two, &low, &b), 0);
            ck_assert_mem_eq(a.data, b.data, sizeof(float) * facet_tensor_size(&a));
            for (size_t i = 0; i < facet_tensor_size(&a); i++)
                ck_assert(isfinite(a.data[i]));
            facet_latent_renderer_destroy(&one);
            facet_latent_renderer_destroy(&two);
            facet_tensor_free(&ref);
            facet_tensor_free(&low);
            facet_tensor_free(&a);
            facet_tensor_free(&b);
        }
    FacetLatentRenderer *lr = (FacetLatentRenderer *)&lr;
    ck_assert_int_eq(facet_latent_renderer_create(&lr, net, 80, 64, 2, NULL, 0), -EINVAL);
    ck_assert_ptr_null(lr);
    ck_assert_int_eq(facet_latent_renderer_create(&lr, net, 64, 64, 3, NULL, 0), -EINVAL);
    ck_assert_int_eq(facet_latent_renderer_create(&lr, NULL, 64, 64, 2, NULL, 0), -EINVAL);
    ck_assert_int_eq(facet_latent_renderer_create(&lr, net, 0, 64, 2, NULL, 0), -EINVAL);
    ck_assert_int_eq(facet_latent_renderer_render(NULL, NULL, NULL), -EINVAL);
    facet_thread_pool_destroy(&pool);
    facet_latent_network_close(&net);
}
END_TEST

/* ---- broken model files ----------------------------------------------------------- */

typedef struct ModelBytes {
    uint8_t *bytes;
    size_t size;
    cJSON *header;
    const uint8_t *data;
    size_t data_size;
} ModelBytes;

static ModelBytes read_model(void)
{
    ModelBytes m;
    memset(&m, 0, sizeof(m));
    FILE *f = fopen(model_path(), "rb");
    ck_assert_msg(f != NULL, "cannot open %s", model_path());
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    ck_assert_int_gt(size, 8);
    rewind(f);
    m.size = (size_t)size;
    m.bytes = malloc(m.size);
    ck_assert_ptr_nonnull(m.bytes);
    ck_assert_uint_eq(fread(m.bytes, 1, m.size, f), m.size);
    fclose(f);
    uint64_t n = 0;
    for (int i = 0; i < 8; i++)
        n |= (uint64_t)m.bytes[i] << (8 * i);
    ck_assert_uint_le(n, m.size - 8);
    m.header = cJSON_ParseWithLength((const char *)m.bytes + 8, (size_t)n);
    ck_assert_ptr_nonnull(m.header);
    m.data = m.bytes + 8 + n;
    m.data_size = m.size - 8 - (size_t)n;
    return m;
}

/* Opens `header` + the model's data (+ extra bytes) from memory; expects
 * `code` and a message naming the file that contains `needle`. */
static void expect_error(const ModelBytes *m, const cJSON *header, const void *extra,
                         size_t extra_size, int code, const char *needle)
{
    char *text = cJSON_PrintUnformatted(header);
    ck_assert_ptr_nonnull(text);
    size_t n = strlen(text), size = 8 + n + m->data_size + extra_size;
    uint8_t *bytes = malloc(size);
    ck_assert_ptr_nonnull(bytes);
    for (int i = 0; i < 8; i++)
        bytes[i] = (uint8_t)((uint64_t)n >> (8 * i));
    memcpy(bytes + 8, text, n);
    memcpy(bytes + 8 + n, m->data, m->data_size);
    if (extra_size)
        memcpy(bytes + 8 + n + m->data_size, extra, extra_size);
    char error[512];
    FacetLatentNetwork *net = (FacetLatentNetwork *)&net;
    int ret = facet_latent_network_open_memory(&net, bytes, size, "broken.safetensors", error,
                                               sizeof(error));
    printf("  %s\n", ret < 0 ? error : "(opened)");
    ck_assert_int_eq(ret, code);
    ck_assert_ptr_null(net);
    ck_assert_msg(!strncmp(error, "broken.safetensors: ", 20), "'%s' does not name the file", error);
    ck_assert_msg(strstr(error, needle), "'%s' does not mention '%s'", error, needle);
    free(bytes);
    free(text);
}

static cJSON *with_metadata(const ModelBytes *m, const char *key, const char *value)
{
    cJSON *h = cJSON_Duplicate(m->header, 1);
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(h, "__metadata__");
    ck_assert_ptr_nonnull(meta);
    if (value && cJSON_GetObjectItemCaseSensitive(meta, key))
        cJSON_ReplaceItemInObjectCaseSensitive(meta, key, cJSON_CreateString(value));
    else if (value)
        cJSON_AddStringToObject(meta, key, value);
    else
        cJSON_DeleteItemFromObjectCaseSensitive(meta, key);
    return h;
}

START_TEST(test_bad_model)
{
    ModelBytes m = read_model();
    static const struct {
        const char *key, *value, *needle;
    } meta[] = {
        {"architecture", "facet-fomm-v1", "architecture 'facet-fomm-v1' is not facet-latent-v1"},
        {"architecture", NULL, "no metadata 'architecture'"},
        {"format_version", "2", "'format_version' is '2'"},
        {"model_id", "12345", "'model_id' is '12345'"},
        {"scales", "3", "'scales' is '3'"},
        {"scales", "2,2", "'scales' is '2,2'"},
        {"align_corners", "true", "'align_corners' is 'true'"},
        {"grid_sample_padding", "zeros", "'grid_sample_padding' is 'zeros'"},
        {"config", "[1]", "'config' is not a JSON object"},
        {"config", "{\"feat_ch\": 16}", "config 'motion_chs'"},
        {"config", "{\"ctx_ch\": 8, \"feat_ch\": 0, \"motion_chs\": [24, 32, 48, 64], \"num_res\": 1, \"width\": 24}",
         "config 'feat_ch' must be an integer"},
        /* A config that disagrees with the tensors: the first conv named. */
        {"config", "{\"ctx_ch\": 8, \"feat_ch\": 12, \"motion_chs\": [24, 32, 48, 64], \"num_res\": 1, \"width\": 24}",
         "'encoder.c0.weight' has shape"},
        {"config", "{\"ctx_ch\": 8, \"feat_ch\": 16, \"highpass\": 3, \"motion_chs\": [24, 32, 48, 64], \"num_res\": 1, \"width\": 24}",
         "config 'highpass' must be 0, 1, 2 or 4"},
        {"config", "{\"ctx_ch\": 8, \"feat_ch\": 16, \"highpass\": 8, \"motion_chs\": [24, 32, 48, 64], \"num_res\": 1, \"width\": 24}",
         "config 'highpass' must be an integer in 0..4"},
        {"config", "{\"ctx_ch\": 8, \"feat_ch\": 16, \"highpass\": \"2\", \"motion_chs\": [24, 32, 48, 64], \"num_res\": 1, \"width\": 24}",
         "config 'highpass' must be an integer in 0..4"},
    };
    for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++) {
        cJSON *h = with_metadata(&m, meta[i].key, meta[i].value);
        expect_error(&m, h, NULL, 0, -EBADMSG, meta[i].needle);
        cJSON_Delete(h);
    }

    /* A config with one residual block more or fewer than the model's own
     * (whatever depth the shipped model has): the first tensor that is
     * missing or left over is named. */
    const cJSON *meta_in = cJSON_GetObjectItemCaseSensitive(m.header, "__metadata__");
    cJSON *config = cJSON_Parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta_in, "config")));
    ck_assert_ptr_nonnull(config);
    const cJSON *num_res = cJSON_GetObjectItemCaseSensitive(config, "num_res");
    ck_assert(cJSON_IsNumber(num_res) && num_res->valueint >= 1);
    const int blocks = num_res->valueint;
    for (int delta = -1; delta <= 1; delta += 2) {
        cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(config, "num_res"), blocks + delta);
        char *text = cJSON_PrintUnformatted(config), needle[64];
        ck_assert_ptr_nonnull(text);
        if (delta > 0)
            snprintf(needle, sizeof(needle), "no tensor 'res.%d.a.weight'", blocks);
        else
            snprintf(needle, sizeof(needle), "tensor 'res.%d.a.bias' is not part of", blocks - 1);
        cJSON *hc = with_metadata(&m, "config", text);
        expect_error(&m, hc, NULL, 0, -EBADMSG, needle);
        cJSON_Delete(hc);
        free(text);
    }
    cJSON_Delete(config);

    /* A misshapen tensor: fuse_in.weight's dimensions swapped. */
    cJSON *h = cJSON_Duplicate(m.header, 1);
    cJSON *shape = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(h, "fuse_in.weight"), "shape");
    ck_assert_ptr_nonnull(shape);
    double o = cJSON_GetArrayItem(shape, 0)->valuedouble, in = cJSON_GetArrayItem(shape, 1)->valuedouble;
    cJSON_SetNumberValue(cJSON_GetArrayItem(shape, 0), in);
    cJSON_SetNumberValue(cJSON_GetArrayItem(shape, 1), o);
    expect_error(&m, h, NULL, 0, -EBADMSG, "'fuse_in.weight' has shape");
    cJSON_Delete(h);

    /* A missing tensor (renamed: the new name is not expected either). */
    h = cJSON_Duplicate(m.header, 1);
    cJSON *entry = cJSON_DetachItemFromObjectCaseSensitive(h, "motion.up.1.bias");
    ck_assert_ptr_nonnull(entry);
    cJSON_AddItemToObject(h, "motion.up.9.bias", entry);
    expect_error(&m, h, NULL, 0, -EBADMSG, "no tensor 'motion.up.1.bias'");
    cJSON_Delete(h);

    /* An extra tensor. */
    h = cJSON_Duplicate(m.header, 1);
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddStringToObject(extra, "dtype", "F32");
    cJSON_AddItemToObject(extra, "shape", cJSON_CreateIntArray((const int[]){1}, 1));
    const double offsets[2] = {(double)m.data_size, (double)m.data_size + 4};
    cJSON_AddItemToObject(extra, "data_offsets", cJSON_CreateDoubleArray(offsets, 2));
    cJSON_AddItemToObject(h, "head.extra", extra);
    const float one = 1.0f;
    expect_error(&m, h, &one, sizeof(one), -EBADMSG, "tensor 'head.extra' is not part of");
    cJSON_Delete(h);

    /* Not a model file at all, and NULL arguments. */
    char error[256];
    FacetLatentNetwork *net = NULL;
    ck_assert_int_eq(facet_latent_network_open(&net, "/nonexistent/latent.safetensors", error,
                                               sizeof(error)), -ENOENT);
    ck_assert_int_eq(facet_latent_network_open(NULL, model_path(), error, sizeof(error)), -EINVAL);
    ck_assert_int_eq(facet_latent_network_open(&net, NULL, error, sizeof(error)), -EINVAL);
    ck_assert_int_eq(facet_latent_network_open_memory(&net, m.bytes, 7, "short", error,
                                                      sizeof(error)) < 0, 1);
    ck_assert_ptr_null(net);

    /* The real file opens, and says what it is. */
    net = open_model();
    ck_assert_int_eq(net->size_multiple, 32);
    ck_assert_uint_eq(net->scales, (1u << 2) | (1u << 4));
    ck_assert(facet_latent_network_supports(net, 1280, 704, 4));
    ck_assert(!facet_latent_network_supports(net, 1280, 720, 4)); /* 720 = 22.5 x 32 */
    printf("  model %08x: %.3f GFLOP per 256x256 frame\n", (unsigned)net->model_id,
           2e-9 * facet_latent_network_frame_macs(net, 256, 256));
    facet_latent_network_close(&net);
    cJSON_Delete(m.header);
    free(m.bytes);
}
END_TEST

static Suite *latent_suite(void)
{
    Suite *s = suite_create("latent");
    TCase *tc = tcase_create("latent");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_latent_ops);
    tcase_add_test(tc, test_golden);
    tcase_add_test(tc, test_threads_and_sizes);
    tcase_add_test(tc, test_bad_model);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(latent_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
