/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The network in C (render/network.h, render/renderer.h,
 * keypoints/detector.h) against PyTorch.
 *
 * models/facet-256.safetensors is run at S = 64 on the inputs of
 * tests/golden/network.safetensors (written by train/export.py from the
 * same weights, F16-rounded as in the model file, so the only differences
 * are float rounding) and every output and intermediate there is compared,
 * as max absolute error, with both op tables (the C reference and the best
 * for this CPU):
 *
 *   TOL_SHORT  1e-4  sub-network outputs and intermediates where the chain
 *                    of ops is short: encoder features, detector hourglass,
 *                    keypoints, masks, occlusion, flow, and the decoder run
 *                    on PyTorch's own flow and occlusion;
 *   TOL_RENDER 2e-3  the whole renderer (keypoints -> image): flow errors of
 *                    ~1e-5 move bilinear samples of a sharp feature map, and
 *                    the decoder amplifies them.
 *
 * Values are of magnitude ~1 (images in [0, 1], positions in [-1, 1]), so
 * the tolerances are relative ones too. Model files that are broken or not
 * a Facet v1 model (missing, truncated, wrong architecture, wrong K, a
 * tensor of the wrong shape, missing or extra, bad metadata) must give an
 * error naming the file and the key or tensor, without a crash or a leak
 * (the sanitizer build runs this suite too).
 *
 * FACET_TEST_MODEL and FACET_TEST_GOLDEN override the two paths (another
 * export of the same pair).
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include "keypoints/detector.h"
#include "render/network.h"
#include "render/renderer.h"
#include "render/safetensors.h"
#include "render/thread_pool.h"

#include <cJSON.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "golden_vectors.h"
#include "test_temp_dir.h"

#define TOL_SHORT 1e-4
#define TOL_RENDER 2e-3
#define GOLDEN_SIZE 64

static const char *model_path(void)
{
    const char *env = getenv("FACET_TEST_MODEL");
    return env && *env ? env : FACET_SOURCE_DIR "/models/facet-256.safetensors";
}

/* Golden tensor names: docs/model.md, written by train/export.py. Images
 * are [1,C,H,W], keypoints [1,K,2] and [1,K,2,2], grids [1,H,W,2]. */
static const char *const detector_frames[] = {"keyframe", "current"};

/* ---- loading ------------------------------------------------------------- */

static FacetNetwork *open_model(void)
{
    char error[512];
    FacetNetwork *net = NULL;
    int ret = facet_network_open(&net, model_path(), error, sizeof(error));
    ck_assert_msg(ret == 0, "cannot load the model: %s", error);
    return net;
}

static void keypoint_errors(const FacetKeypointSet *a, const FacetKeypointSet *b, double *value,
                            double *jacobian)
{
    *value = *jacobian = 0;
    ck_assert_int_eq(a->count, b->count);
    for (int i = 0; i < a->count; i++) {
        *value = fmax(*value, fabs(a->points[i].x - b->points[i].x));
        *value = fmax(*value, fabs(a->points[i].y - b->points[i].y));
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 2; c++)
                *jacobian = fmax(*jacobian, fabs(a->points[i].jacobian[r][c] -
                                                 b->points[i].jacobian[r][c]));
    }
}

/* Max |a - b| over n floats; NaN anywhere counts as infinite. */
static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= worst))
            worst = isnan(d) ? INFINITY : d;
    }
    return worst;
}

static void expect_close(const char *what, const char *isa, double err, double tol)
{
    printf("  %-34s %-4s max abs error %.3g (tolerance %.0e)\n", what, isa, err, tol);
    ck_assert_msg(err <= tol, "%s (%s): max abs error %g > %g", what, isa, err, tol);
}

/* A tensor (or view) against golden [1, c, h, w]. */
static void compare_tensor(const FacetModelFile *g, const char *name, const FacetTensor *t,
                           const char *isa, double tol)
{
    FacetTensor ref = golden_tensor(g, name, t->c, t->h, t->w);
    expect_close(name, isa, max_abs_diff(t->data, ref.data, facet_tensor_size(t)), tol);
    facet_tensor_free(&ref);
}

/* `count` grids held as planes (x of grid i in plane 2i, y in 2i+1) against
 * PyTorch's [1, count, h, w, 2] (or [1, h, w, 2] when count is 1). */
static void compare_grids(const FacetModelFile *g, const char *name, const FacetTensor *planes,
                          int count, const char *isa, double tol)
{
    int h = planes->h, w = planes->w;
    ck_assert_int_eq(planes->c, 2 * count);
    const int64_t one[4] = {1, h, w, 2}, many[5] = {1, count, h, w, 2};
    float *ref = count == 1 ? golden_floats(g, name, 4, one) : golden_floats(g, name, 5, many);
    double err = 0;
    for (int i = 0; i < count; i++)
        for (int c = 0; c < 2; c++) {
            const float *p = facet_tensor_channel(planes, 2 * i + c);
            const float *q = ref + (size_t)i * (size_t)(h * w * 2);
            for (int j = 0; j < h * w; j++) {
                double d = fabs((double)p[j] - q[2 * j + c]);
                err = d <= err ? err : isnan(d) ? INFINITY : d;
            }
        }
    free(ref);
    expect_close(name, isa, err, tol);
}

/* The two op tables: the C reference, and the best for this CPU. */
static const struct {
    int flags;
    const char *name;
} tables[] = {{FACET_RENDER_OPS_FORCE_C, "c"}, {0, "best"}};
#define TABLE_COUNT (sizeof(tables) / sizeof(tables[0]))

/* ---- goldens ---------------------------------------------------------------- */

START_TEST(test_network_metadata)
{
    FacetNetwork *net = open_model();
    ck_assert_int_eq(facet_network_size(net), 256);
    int k = facet_network_num_keypoints(net);
    ck_assert_int_ge(k, 1);
    ck_assert_int_le(k, FACET_MAX_KEYPOINTS);
    ck_assert(facet_network_size_supported(net, 256));
    ck_assert(facet_network_size_supported(net, GOLDEN_SIZE));
    ck_assert(!facet_network_size_supported(net, 48));
    ck_assert(!facet_network_size_supported(net, 0));
    ck_assert(!facet_network_size_supported(net, -32));

    /* model_id is the metadata's hex string, and the goldens were made from
     * these very weights. */
    char hex[16];
    snprintf(hex, sizeof(hex), "%08x", facet_network_model_id(net));
    FacetModelFile *file;
    ck_assert_int_eq(facet_model_file_open(&file, model_path(), NULL, 0), 0);
    const char *meta = facet_model_file_metadata(file, "model_id");
    ck_assert_ptr_nonnull(meta);
    ck_assert_int_eq(strcasecmp(hex, meta), 0);
    facet_model_file_close(&file);
    FacetModelFile *g = golden_open();
    meta = facet_model_file_metadata(g, "model_id");
    ck_assert_msg(meta && !strcasecmp(hex, meta),
                  "%s was made from model %s, %s is model %s: run train/export.py --golden",
                  golden_path(), meta ? meta : "(none)", model_path(), hex);
    meta = facet_model_file_metadata(g, "size");
    ck_assert_ptr_nonnull(meta);
    ck_assert_int_eq(atoi(meta), GOLDEN_SIZE);
    facet_model_file_close(&g);

    facet_network_close(&net);
    ck_assert_ptr_null(net);
    facet_network_close(&net);
    facet_network_close(NULL);
}
END_TEST

/* Distance of v to the nearest rounding boundary of a quantiser of `step`. */
static double boundary_distance(double v, double step)
{
    double u = v / step;
    return fabs((u - floor(u)) - 0.5) * step;
}

START_TEST(test_detector_golden)
{
    FacetNetwork *net = open_model();
    FacetModelFile *g = golden_open();
    int k = facet_network_num_keypoints(net);
    char name[128];
    int flipped = 0;
    for (size_t t = 0; t < TABLE_COUNT; t++) {
        FacetKeypointDetector *det;
        ck_assert_int_eq(
            facet_keypoint_detector_create(&det, net, GOLDEN_SIZE, NULL, tables[t].flags), 0);
        for (int f = 0; f < 3; f++) {
            const char *frame = f < 2 ? detector_frames[f] : "current2";
            snprintf(name, sizeof(name), "image.%s", frame);
            FacetTensor image = golden_tensor(g, name, 3, GOLDEN_SIZE, GOLDEN_SIZE);
            FacetKeypointSet kp;
            ck_assert_int_eq(facet_keypoint_detector_run(det, &image, &kp), 0);
            ck_assert_int_eq(kp.count, k);
            facet_tensor_free(&image);

            if (f < 2) {
                FacetKeypointDetectorTensors dt;
                facet_keypoint_detector_tensors(det, &dt);
                static const char *const parts[] = {"pooled", "hourglass", "heatmap",
                                                    "jacobian_maps"};
                const FacetTensor *mine[] = {dt.pooled, dt.hourglass, dt.heatmaps,
                                             dt.jacobian_maps};
                for (int i = 0; i < 4; i++) {
                    snprintf(name, sizeof(name), "detector.%s.%s", frame, parts[i]);
                    compare_tensor(g, name, mine[i], tables[t].name, TOL_SHORT);
                }
            }
            snprintf(name, sizeof(name), "detector.%s", frame);
            FacetKeypointSet expected = golden_keypoints(g, name, k);
            double ev, ej;
            keypoint_errors(&kp, &expected, &ev, &ej);
            snprintf(name, sizeof(name), "detector.%s.value", frame);
            expect_close(name, tables[t].name, ev, TOL_SHORT);
            snprintf(name, sizeof(name), "detector.%s.jacobian", frame);
            expect_close(name, tables[t].name, ej, TOL_SHORT);

            /* Through the bitstream quantiser, the C keypoints are PyTorch's
             * quantised ones, except where PyTorch's raw value lies within
             * the detectors' disagreement of a rounding boundary. */
            FacetQuantKeypoints q;
            FacetKeypointSet deq;
            ck_assert_int_eq(facet_keypoints_quantize(&kp, &q), 0);
            facet_keypoints_dequantize(&q, &deq);
            snprintf(name, sizeof(name), "keypoints.%s", frame);
            FacetKeypointSet quantised = golden_keypoints(g, name, k);
            for (int i = 0; i < k; i++) {
                const FacetKeypoint *a = &deq.points[i], *b = &quantised.points[i],
                                    *raw = &expected.points[i];
                float av[6] = {a->x, a->y, a->jacobian[0][0], a->jacobian[0][1],
                               a->jacobian[1][0], a->jacobian[1][1]};
                float bv[6] = {b->x, b->y, b->jacobian[0][0], b->jacobian[0][1],
                               b->jacobian[1][0], b->jacobian[1][1]};
                float rv[6] = {raw->x, raw->y, raw->jacobian[0][0], raw->jacobian[0][1],
                               raw->jacobian[1][0], raw->jacobian[1][1]};
                for (int j = 0; j < 6; j++) {
                    if (av[j] == bv[j])
                        continue;
                    double step = j < 2 ? FACET_KEYPOINT_POSITION_STEP
                                        : FACET_KEYPOINT_JACOBIAN_STEP;
                    ck_assert_msg(boundary_distance(rv[j], step) < 4 * fmax(ev, ej),
                                  "%s point %d entry %d quantises to %g, PyTorch %g", name, i, j,
                                  av[j], bv[j]);
                    flipped++;
                }
            }
        }
        facet_keypoint_detector_destroy(&det);
        ck_assert_ptr_null(det);
    }
    printf("  quantised keypoint entries that differ from PyTorch's (at a rounding "
           "boundary): %d\n", flipped);
    facet_model_file_close(&g);
    facet_network_close(&net);
}
END_TEST

/* A renderer with the golden keyframe and its quantised keypoints. */
static FacetRenderer *golden_renderer(const FacetNetwork *net, const FacetModelFile *g,
                                      int flags, FacetThreadPool *pool)
{
    int k = facet_network_num_keypoints(net);
    FacetRenderer *r;
    ck_assert_int_eq(facet_renderer_create(&r, net, GOLDEN_SIZE, pool, flags), 0);
    FacetTensor image = golden_tensor(g, "image.keyframe", 3, GOLDEN_SIZE, GOLDEN_SIZE);
    FacetKeypointSet kp_ref = golden_keypoints(g, "keypoints.keyframe", k);
    ck_assert_int_eq(facet_renderer_set_keyframe(r, &image, &kp_ref), 0);
    facet_tensor_free(&image);
    return r;
}

START_TEST(test_encoder_golden)
{
    FacetNetwork *net = open_model();
    FacetModelFile *g = golden_open();
    for (size_t t = 0; t < TABLE_COUNT; t++) {
        FacetRenderer *r = golden_renderer(net, g, tables[t].flags, NULL);
        FacetRendererTensors rt;
        facet_renderer_tensors(r, &rt);
        compare_tensor(g, "encoder.f0", rt.f0, tables[t].name, TOL_SHORT);
        compare_tensor(g, "encoder.f1", rt.f1, tables[t].name, TOL_SHORT);
        compare_tensor(g, "encoder.f2", rt.f2, tables[t].name, TOL_SHORT);
        compare_tensor(g, "encoder.small", rt.small, tables[t].name, TOL_SHORT);
        facet_renderer_destroy(&r);
        ck_assert_ptr_null(r);
    }
    facet_model_file_close(&g);
    facet_network_close(&net);
}
END_TEST

START_TEST(test_dense_motion_golden)
{
    FacetNetwork *net = open_model();
    FacetModelFile *g = golden_open();
    int k = facet_network_num_keypoints(net);
    FacetKeypointSet kp_cur = golden_keypoints(g, "keypoints.current", k);
    for (size_t t = 0; t < TABLE_COUNT; t++) {
        FacetRenderer *r = golden_renderer(net, g, tables[t].flags, NULL);
        ck_assert_int_eq(facet_renderer_dense_motion(r, &kp_cur), 0);
        FacetRendererTensors rt;
        facet_renderer_tensors(r, &rt);
        const char *isa = tables[t].name;
        compare_grids(g, "dense_motion.sparse_motions", rt.sparse_motions, k + 1, isa, TOL_SHORT);
        /* [heatmap difference, warped keyframe] per motion: the heatmaps and
         * warped tensors of the goldens, interleaved as model.py does. */
        compare_tensor(g, "dense_motion.input", rt.motion_input, isa, TOL_SHORT);
        compare_tensor(g, "dense_motion.hourglass", rt.motion_hourglass, isa, TOL_SHORT);
        compare_tensor(g, "dense_motion.masks", rt.masks, isa, TOL_SHORT);
        compare_tensor(g, "dense_motion.occlusion", rt.occlusion, isa, TOL_SHORT);
        compare_grids(g, "dense_motion.flow", rt.flow, 1, isa, TOL_SHORT);
        facet_renderer_destroy(&r);
    }
    facet_model_file_close(&g);
    facet_network_close(&net);
}
END_TEST

START_TEST(test_decoder_golden)
{
    FacetNetwork *net = open_model();
    FacetModelFile *g = golden_open();
    int s4 = GOLDEN_SIZE / 4;
    const int64_t fshape[4] = {1, s4, s4, 2};
    float *flow = golden_floats(g, "dense_motion.flow", 4, fshape);
    FacetTensor occlusion = golden_tensor(g, "dense_motion.occlusion", 1, s4, s4);
    FacetTensor out;
    ck_assert_int_eq(facet_tensor_alloc(&out, 3, GOLDEN_SIZE, GOLDEN_SIZE), 0);
    for (size_t t = 0; t < TABLE_COUNT; t++) {
        FacetRenderer *r = golden_renderer(net, g, tables[t].flags, NULL);
        FacetRendererTensors rt;
        facet_renderer_tensors(r, &rt);
        /* PyTorch's flow and occlusion in, so that only the decoder is measured. */
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < s4 * s4; i++)
                facet_tensor_channel(rt.flow, c)[i] = flow[2 * i + c];
        memcpy(rt.occlusion->data, occlusion.data, sizeof(float) * (size_t)(s4 * s4));
        ck_assert_int_eq(facet_renderer_decode(r, &out), 0);
        const char *isa = tables[t].name;
        compare_grids(g, "decoder.flow1", rt.flow1, 1, isa, TOL_SHORT);
        compare_grids(g, "decoder.flow0", rt.flow0, 1, isa, TOL_SHORT);
        compare_tensor(g, "decoder.x1", rt.x1, isa, TOL_SHORT);
        compare_tensor(g, "decoder.x0", rt.x0, isa, TOL_SHORT);
        compare_tensor(g, "decoder.image", &out, isa, TOL_SHORT);
        facet_renderer_destroy(&r);
    }
    facet_tensor_free(&out);
    facet_tensor_free(&occlusion);
    free(flow);
    facet_model_file_close(&g);
    facet_network_close(&net);
}
END_TEST

START_TEST(test_render_golden)
{
    FacetNetwork *net = open_model();
    FacetModelFile *g = golden_open();
    int k = facet_network_num_keypoints(net);
    FacetKeypointSet kp_cur = golden_keypoints(g, "keypoints.current2", k);
    FacetTensor out, again;
    ck_assert_int_eq(facet_tensor_alloc(&out, 3, GOLDEN_SIZE, GOLDEN_SIZE), 0);
    ck_assert_int_eq(facet_tensor_alloc(&again, 3, GOLDEN_SIZE, GOLDEN_SIZE), 0);
    size_t bytes = facet_tensor_size(&out) * sizeof(float);
    FacetThreadPool *pool;
    ck_assert_int_eq(facet_thread_pool_create(&pool, 3), 0);
    for (size_t t = 0; t < TABLE_COUNT; t++) {
        FacetRenderer *r = golden_renderer(net, g, tables[t].flags, NULL);
        ck_assert_int_eq(facet_renderer_render(r, &kp_cur, &out), 0);
        FacetRendererTensors rt;
        facet_renderer_tensors(r, &rt);
        compare_grids(g, "render.flow", rt.flow, 1, tables[t].name, TOL_SHORT);
        compare_tensor(g, "render.occlusion", rt.occlusion, tables[t].name, TOL_SHORT);
        compare_tensor(g, "render.image", &out, tables[t].name, TOL_RENDER);

        /* Every frame depends only on the keyframe and its own keypoints. */
        FacetKeypointSet other = golden_keypoints(g, "keypoints.current", k);
        ck_assert_int_eq(facet_renderer_render(r, &other, &again), 0);
        ck_assert_int_eq(facet_renderer_render(r, &kp_cur, &again), 0);
        ck_assert_mem_eq(out.data, again.data, bytes);
        facet_renderer_destroy(&r);

        /* Threads change nothing (the ops are bit-exact across thread counts). */
        r = golden_renderer(net, g, tables[t].flags, pool);
        memset(again.data, 0, bytes);
        ck_assert_int_eq(facet_renderer_render(r, &kp_cur, &again), 0);
        ck_assert_mem_eq(out.data, again.data, bytes);
        facet_renderer_destroy(&r);
    }
    facet_thread_pool_destroy(&pool);
    facet_tensor_free(&out);
    facet_tensor_free(&again);
    facet_model_file_close(&g);
    facet_network_close(&net);
}
END_TEST

/* The keyframe rendered with its own keypoints comes back close to itself
 * (a sanity check of the trained model, loose on purpose). */
START_TEST(test_render_identity)
{
    FacetNetwork *net = open_model();
    FacetModelFile *g = golden_open();
    int k = facet_network_num_keypoints(net);
    FacetRenderer *r = golden_renderer(net, g, 0, NULL);
    FacetKeypointSet kp_ref = golden_keypoints(g, "keypoints.keyframe", k);
    FacetTensor image = golden_tensor(g, "image.keyframe", 3, GOLDEN_SIZE, GOLDEN_SIZE);
    FacetTensor out;
    ck_assert_int_eq(facet_tensor_alloc(&out, 3, GOLDEN_SIZE, GOLDEN_SIZE), 0);
    ck_assert_int_eq(facet_renderer_render(r, &kp_ref, &out), 0);
    double sum = 0;
    for (size_t i = 0; i < facet_tensor_size(&out); i++) {
        ck_assert(out.data[i] >= 0.0f && out.data[i] <= 1.0f);
        sum += fabs(out.data[i] - image.data[i]);
    }
    double mean = sum / (double)facet_tensor_size(&out);
    printf("  keyframe rendered from its own keypoints: mean abs error %.4f\n", mean);
    ck_assert_double_lt(mean, 0.2);
    facet_tensor_free(&out);
    facet_tensor_free(&image);
    facet_renderer_destroy(&r);
    facet_model_file_close(&g);
    facet_network_close(&net);
}
END_TEST

/* ---- argument errors ---------------------------------------------------------- */

START_TEST(test_bad_arguments)
{
    FacetNetwork *net = open_model();
    int k = facet_network_num_keypoints(net);
    FacetRenderer *r = (FacetRenderer *)&r;
    ck_assert_int_eq(facet_renderer_create(&r, net, 48, NULL, 0), -EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(facet_renderer_create(&r, net, 0, NULL, 0), -EINVAL);
    ck_assert_int_eq(facet_renderer_create(&r, NULL, 64, NULL, 0), -EINVAL);
    ck_assert_int_eq(facet_renderer_create(NULL, net, 64, NULL, 0), -EINVAL);
    FacetKeypointDetector *det = (FacetKeypointDetector *)&det;
    ck_assert_int_eq(facet_keypoint_detector_create(&det, net, 40, NULL, 0), -EINVAL);
    ck_assert_ptr_null(det);

    ck_assert_int_eq(facet_renderer_create(&r, net, 32, NULL, 0), 0);
    ck_assert_int_eq(facet_keypoint_detector_create(&det, net, 32, NULL, 0), 0);
    FacetTensor image, wrong;
    ck_assert_int_eq(facet_tensor_alloc(&image, 3, 32, 32), 0);
    ck_assert_int_eq(facet_tensor_alloc(&wrong, 3, 32, 64), 0);
    FacetKeypointSet kp;
    memset(&kp, 0, sizeof(kp));
    kp.count = k;
    for (int i = 0; i < k; i++)
        kp.points[i].jacobian[0][0] = kp.points[i].jacobian[1][1] = 1.0f;

    /* No keyframe yet. */
    ck_assert_int_eq(facet_renderer_render(r, &kp, &image), -ENODATA);
    ck_assert_int_eq(facet_renderer_decode(r, &image), -ENODATA);
    ck_assert_int_eq(facet_renderer_set_keyframe(r, &wrong, &kp), -EINVAL);
    ck_assert_int_eq(facet_renderer_set_keyframe(r, NULL, &kp), -EINVAL);
    ck_assert_int_eq(facet_renderer_set_keyframe(NULL, &image, &kp), -EINVAL);
    ck_assert_int_eq(facet_renderer_set_keyframe(r, &image, &kp), 0);
    ck_assert_int_eq(facet_renderer_render(r, &kp, &wrong), -EINVAL);
    ck_assert_int_eq(facet_renderer_render(r, NULL, &image), -EINVAL);
    ck_assert_int_eq(facet_renderer_render(NULL, &kp, &image), -EINVAL);
    FacetKeypointSet bad = kp;
    bad.count = k + 1;
    ck_assert_int_eq(facet_renderer_render(r, &bad, &image), -EINVAL);
    bad = kp;
    bad.points[k - 1].jacobian[1][0] = NAN;
    ck_assert_int_eq(facet_renderer_render(r, &bad, &image), -EINVAL);
    bad = kp;
    bad.points[0].x = INFINITY;
    ck_assert_int_eq(facet_renderer_set_keyframe(r, &image, &bad), -EINVAL);
    /* A refused keyframe leaves none. */
    ck_assert_int_eq(facet_renderer_render(r, &kp, &image), -ENODATA);
    ck_assert_int_eq(facet_renderer_set_keyframe(r, &image, &kp), 0);
    /* Singular Jacobians are floored, not a failure. */
    bad = kp;
    memset(bad.points[0].jacobian, 0, sizeof(bad.points[0].jacobian));
    ck_assert_int_eq(facet_renderer_render(r, &bad, &image), 0);
    for (size_t i = 0; i < facet_tensor_size(&image); i++)
        ck_assert(image.data[i] >= 0.0f && image.data[i] <= 1.0f);

    ck_assert_int_eq(facet_keypoint_detector_run(det, &wrong, &kp), -EINVAL);
    ck_assert_int_eq(facet_keypoint_detector_run(det, NULL, &kp), -EINVAL);
    ck_assert_int_eq(facet_keypoint_detector_run(det, &image, NULL), -EINVAL);
    ck_assert_int_eq(facet_keypoint_detector_run(NULL, &image, &kp), -EINVAL);
    ck_assert_int_eq(facet_keypoint_detector_run(det, &image, &kp), 0);
    ck_assert_int_eq(kp.count, k);
    for (int i = 0; i < k; i++) {
        ck_assert(kp.points[i].x >= -1.0f && kp.points[i].x <= 1.0f);
        ck_assert(kp.points[i].y >= -1.0f && kp.points[i].y <= 1.0f);
    }

    facet_tensor_free(&image);
    facet_tensor_free(&wrong);
    facet_keypoint_detector_destroy(&det);
    facet_keypoint_detector_destroy(&det);
    facet_keypoint_detector_destroy(NULL);
    facet_renderer_destroy(&r);
    facet_renderer_destroy(&r);
    facet_renderer_destroy(NULL);
    facet_network_close(&net);
}
END_TEST

/* ---- broken model files ------------------------------------------------------ */

static void setup_temp_dir(void)
{
    test_temp_dir_make("facet-network");
}

/* The real model file, split into its header (parsed) and data section. */
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

static void free_model(ModelBytes *m)
{
    cJSON_Delete(m->header);
    free(m->bytes);
}

/* Writes `header` + the data section (+ `extra` bytes) to test_temp_dir/name. */
static void write_model(char *path, size_t path_size, const char *name, const cJSON *header,
                        const uint8_t *data, size_t data_size, const void *extra,
                        size_t extra_size)
{
    snprintf(path, path_size, "%s/%s", test_temp_dir, name);
    char *text = cJSON_PrintUnformatted(header);
    ck_assert_ptr_nonnull(text);
    size_t n = strlen(text);
    uint8_t size_le[8];
    for (int i = 0; i < 8; i++)
        size_le[i] = (uint8_t)((uint64_t)n >> (8 * i));
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(size_le, 1, 8, f), 8);
    ck_assert_uint_eq(fwrite(text, 1, n, f), n);
    if (data_size)
        ck_assert_uint_eq(fwrite(data, 1, data_size, f), data_size);
    if (extra_size)
        ck_assert_uint_eq(fwrite(extra, 1, extra_size, f), extra_size);
    ck_assert_int_eq(fclose(f), 0);
    free(text);
}

/* Opening `path` fails with `code` and a message that starts with the path
 * and contains each of the `needles` (NULL-terminated). */
static void expect_open_error(const char *path, int code, const char *const *needles)
{
    char error[512];
    memset(error, 'x', sizeof(error));
    FacetNetwork *net = (FacetNetwork *)&net;
    int ret = facet_network_open(&net, path, error, sizeof(error));
    printf("  %s\n", error);
    ck_assert_int_eq(ret, code);
    ck_assert_ptr_null(net);
    ck_assert_msg(!strncmp(error, path, strlen(path)), "message '%s' does not start with '%s'",
                  error, path);
    for (const char *const *n = needles; *n; n++)
        ck_assert_msg(strstr(error, *n), "message '%s' does not mention '%s'", error, *n);
}

static void set_metadata(cJSON *header, const char *key, const char *value)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(header, "__metadata__");
    ck_assert_ptr_nonnull(meta);
    if (value)
        cJSON_ReplaceItemInObjectCaseSensitive(meta, key, cJSON_CreateString(value));
    else
        cJSON_DeleteItemFromObjectCaseSensitive(meta, key);
}

START_TEST(test_missing_and_truncated_file)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/no-such-model.safetensors", test_temp_dir);
    expect_open_error(path, -ENOENT, (const char *const[]){NULL});

    ModelBytes m = read_model();
    snprintf(path, sizeof(path), "%s/truncated.safetensors", test_temp_dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(m.bytes, 1, m.size - 1000, f), m.size - 1000);
    fclose(f);
    expect_open_error(path, -EBADMSG, (const char *const[]){NULL});

    /* Not even a header. */
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(m.bytes, 1, 5, f), 5);
    fclose(f);
    expect_open_error(path, -EBADMSG, (const char *const[]){NULL});
    free_model(&m);

    char error[64];
    FacetNetwork *net;
    ck_assert_int_eq(facet_network_open(&net, NULL, error, sizeof(error)), -EINVAL);
    ck_assert_int_eq(facet_network_open(NULL, path, error, sizeof(error)), -EINVAL);
}
END_TEST

/* The untouched bytes, rewritten, load: the mangling below is the only
 * difference in the other cases. */
START_TEST(test_rewritten_model_loads)
{
    ModelBytes m = read_model();
    char path[PATH_MAX + 64], error[512];
    write_model(path, sizeof(path), "same.safetensors", m.header, m.data, m.data_size, NULL, 0);
    FacetNetwork *net;
    ck_assert_msg(facet_network_open(&net, path, error, sizeof(error)) == 0, "%s", error);
    facet_network_close(&net);
    ck_assert_int_eq(facet_network_open_memory(&net, m.bytes, m.size, "mem", error,
                                               sizeof(error)),
                     0);
    facet_network_close(&net);
    free_model(&m);
}
END_TEST

START_TEST(test_wrong_metadata)
{
    static const struct {
        const char *key, *value; /* value NULL: key removed */
        const char *needle;
    } cases[] = {
        {"architecture", "facet-fomm-v2", "architecture 'facet-fomm-v2' is not facet-fomm-v1"},
        {"architecture", NULL, "architecture"},
        {"format_version", "2", "format_version '2'"},
        {"num_keypoints", "12", "num_keypoints"},
        {"num_keypoints", "zero", "num_keypoints"},
        {"model_id", "12345", "model_id"},
        {"model_id", "1234567g", "model_id"},
        {"model_id", NULL, "model_id"},
        {"model_size", "100", "model_size"},
        {"model_size", "-256", "model_size"},
        {"heatmap_temperature", "0", "heatmap_temperature"},
        {"gaussian_variance", "nan", "gaussian_variance"},
        {"jacobian_det_eps", NULL, "jacobian_det_eps"},
        {"config", "{\"num_kp\": 10", "config"},
        {"config", "[1, 2]", "config"},
        {"config", NULL, "config"},
    };
    ModelBytes m = read_model();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *header = cJSON_Duplicate(m.header, 1);
        set_metadata(header, cases[i].key, cases[i].value);
        char path[PATH_MAX + 64];
        write_model(path, sizeof(path), "meta.safetensors", header, m.data, m.data_size, NULL,
                    0);
        expect_open_error(path, -EBADMSG, (const char *const[]){cases[i].needle, NULL});
        cJSON_Delete(header);
    }
    free_model(&m);
}
END_TEST

/* A config whose K, channel counts or block count disagree with the tensors:
 * the first tensor whose shape then differs is named. */
START_TEST(test_wrong_config)
{
    ModelBytes m = read_model();
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(m.header, "__metadata__");
    const char *config_text =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "config"));
    ck_assert_ptr_nonnull(config_text);
    static const struct {
        const char *key;
        int delta;                       /* added to the value (or each list entry 0) */
        const char *meta_k;              /* num_keypoints to write with it, or NULL */
        const char *needle;
    } cases[] = {
        {"num_kp", 2, "+", "'kp_detector.heatmap.weight' has shape"},
        {"kp_chs", 8, NULL, "'kp_detector.hourglass.down.0.weight' has shape"},
        {"dm_chs", 8, NULL, "'dense_motion.hourglass.down.0.weight' has shape"},
        {"enc_chs", 8, NULL, "'encoder.e0.weight' has shape"},
        {"feat_chs", 8, NULL, "'encoder.p0.weight' has shape"},
        {"num_res", 1, NULL, "no tensor 'decoder.res."},
        {"num_res", -1, NULL, "decoder.res."},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *config = cJSON_Parse(config_text);
        ck_assert_ptr_nonnull(config);
        cJSON *item = cJSON_GetObjectItemCaseSensitive(config, cases[i].key);
        ck_assert_ptr_nonnull(item);
        if (cJSON_IsArray(item))
            item = cJSON_GetArrayItem(item, 0);
        cJSON_SetNumberValue(item, item->valuedouble + cases[i].delta);
        char *text = cJSON_PrintUnformatted(config);
        cJSON *header = cJSON_Duplicate(m.header, 1);
        set_metadata(header, "config", text);
        if (cases[i].meta_k) {
            char k[16];
            snprintf(k, sizeof(k), "%d", (int)item->valuedouble);
            set_metadata(header, "num_keypoints", k);
        }
        char path[PATH_MAX + 64];
        write_model(path, sizeof(path), "config.safetensors", header, m.data, m.data_size,
                    NULL, 0);
        expect_open_error(path, -EBADMSG, (const char *const[]){cases[i].needle, NULL});
        free(text);
        cJSON_Delete(header);
        cJSON_Delete(config);
    }
    free_model(&m);
}
END_TEST

/* One tensor's entry rewritten: a different shape with the same byte count,
 * another name, an integer dtype. */
START_TEST(test_wrong_tensor)
{
    ModelBytes m = read_model();
    char path[PATH_MAX + 64];

    /* decoder.up1.weight [16,32,3,3] stored as [32,16,3,3]. */
    cJSON *header = cJSON_Duplicate(m.header, 1);
    cJSON *entry = cJSON_GetObjectItemCaseSensitive(header, "decoder.up1.weight");
    ck_assert_ptr_nonnull(entry);
    cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
    double o = cJSON_GetArrayItem(shape, 0)->valuedouble;
    double in = cJSON_GetArrayItem(shape, 1)->valuedouble;
    cJSON_SetNumberValue(cJSON_GetArrayItem(shape, 0), in);
    cJSON_SetNumberValue(cJSON_GetArrayItem(shape, 1), o);
    write_model(path, sizeof(path), "shape.safetensors", header, m.data, m.data_size, NULL, 0);
    expect_open_error(path, -EBADMSG,
                      (const char *const[]){"'decoder.up1.weight' has shape", NULL});
    cJSON_Delete(header);

    /* decoder.out.weight renamed: missing, and the new name is not expected. */
    header = cJSON_Duplicate(m.header, 1);
    entry = cJSON_DetachItemFromObjectCaseSensitive(header, "decoder.out.weight");
    ck_assert_ptr_nonnull(entry);
    cJSON_AddItemToObject(header, "decoder.output.weight", entry);
    write_model(path, sizeof(path), "renamed.safetensors", header, m.data, m.data_size, NULL, 0);
    expect_open_error(path, -EBADMSG, (const char *const[]){"no tensor 'decoder.out.weight'", NULL});
    cJSON_Delete(header);

    /* An extra tensor the architecture does not have. */
    header = cJSON_Duplicate(m.header, 1);
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddStringToObject(extra, "dtype", "F32");
    cJSON_AddItemToObject(extra, "shape", cJSON_CreateIntArray((const int[]){1}, 1));
    const double offsets[2] = {(double)m.data_size, (double)m.data_size + 4};
    cJSON_AddItemToObject(extra, "data_offsets", cJSON_CreateDoubleArray(offsets, 2));
    cJSON_AddItemToObject(header, "decoder.extra.weight", extra);
    const float one = 1.0f;
    write_model(path, sizeof(path), "extra.safetensors", header, m.data, m.data_size, &one,
                sizeof(one));
    expect_open_error(path, -EBADMSG, (const char *const[]){"'decoder.extra.weight'", NULL});
    cJSON_Delete(header);

    /* A bias stored as I16 (same byte count as F16). */
    header = cJSON_Duplicate(m.header, 1);
    entry = cJSON_GetObjectItemCaseSensitive(header, "encoder.p1.bias");
    ck_assert_ptr_nonnull(entry);
    const char *dtype = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "dtype"));
    ck_assert_ptr_nonnull(dtype);
    if (!strcmp(dtype, "F16") || !strcmp(dtype, "BF16")) {
        cJSON_ReplaceItemInObjectCaseSensitive(entry, "dtype", cJSON_CreateString("I16"));
        write_model(path, sizeof(path), "dtype.safetensors", header, m.data, m.data_size, NULL,
                    0);
        expect_open_error(path, -EBADMSG,
                          (const char *const[]){"'encoder.p1.bias' has dtype I16", NULL});
    }
    cJSON_Delete(header);
    free_model(&m);
}
END_TEST

static Suite *network_suite(void)
{
    Suite *s = suite_create("network");
    TCase *tc = tcase_create("golden");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_network_metadata);
    tcase_add_test(tc, test_detector_golden);
    tcase_add_test(tc, test_encoder_golden);
    tcase_add_test(tc, test_dense_motion_golden);
    tcase_add_test(tc, test_decoder_golden);
    tcase_add_test(tc, test_render_golden);
    tcase_add_test(tc, test_render_identity);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, setup_temp_dir, test_temp_dir_remove);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_missing_and_truncated_file);
    tcase_add_test(tc, test_rewritten_model_loads);
    tcase_add_test(tc, test_wrong_metadata);
    tcase_add_test(tc, test_wrong_config);
    tcase_add_test(tc, test_wrong_tensor);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(network_suite());
    srunner_run_all(sr, CK_VERBOSE);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures != 0;
}
