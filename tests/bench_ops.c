/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Speed of the render ops: milliseconds and GFLOP/s per op and size, for the
 * C reference and the optimised kernels. Not a test (prints numbers only).
 *
 *   bench_ops [--threads N] [--isa c|best|both] [--min-ms MS] [--filter TEXT]
 *
 * Each case runs until it has taken --min-ms milliseconds (default 300) and
 * at least 5 times, after one warm-up run; the time printed is the median of
 * the runs, so one run slowed by other work on the machine does not move it.
 * FLOPs count 2 per multiply-accumulate for convolutions (bias and
 * activation not counted) and the per-element counts of train/flops.py for
 * the others. "renderer convs" is every convolution of DenseMotion +
 * Decoder for one 256x256 frame (train/model.py defaults, 1.07 GFLOP);
 * "thread pool" is the fixed cost of one parallel-for (its ideal time is
 * 0.020 ms). docs/render-ops.md has measured figures.
 */
#define _POSIX_C_SOURCE 200809L
#include "render/ops.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static uint64_t rng_state = 0x1234567;

static float rng_float(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)((double)(z >> 11) / 9007199254740992.0) * 2.0f - 1.0f;
}

static void fill(FacetTensor *t)
{
    size_t n = facet_tensor_size(t);
    for (size_t i = 0; i < n; i++)
        t->data[i] = rng_float();
}

static void must(int ret, const char *what)
{
    if (ret < 0) {
        fprintf(stderr, "bench_ops: %s failed: %s\n", what, strerror(-ret));
        exit(1);
    }
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct Options {
    int threads;
    double min_ms;
    const char *filter;
} Options;

/* What one case runs; `arg` points at the case's own state. */
typedef void (*CaseFn)(const FacetRenderOps *ops, FacetWorkspace *ws, void *arg);

/* Busy for 10 microseconds. */
static void spin_job(void *ctx, int job, int thread)
{
    (void)ctx;
    (void)job;
    (void)thread;
    double start = now_ms();
    while (now_ms() - start < 0.010)
        ;
}

/* One parallel-for of 2 jobs of 10 us per thread: ideally 20 us; the rest
 * is what waking the workers and waiting for them costs each threaded op. */
static void run_pool(const FacetRenderOps *ops, FacetWorkspace *ws, void *arg)
{
    (void)ops;
    (void)arg;
    facet_thread_pool_run(ws->pool, spin_job, NULL, 2 * facet_thread_pool_threads(ws->pool));
}

static double median_ms(const Options *opt, const FacetRenderOps *ops, FacetWorkspace *ws,
                        CaseFn fn, void *arg)
{
    enum { MAX_RUNS = 2000 };
    static double times[MAX_RUNS];
    fn(ops, ws, arg); /* warm-up: scratch growth, caches */
    int runs = 0;
    double start = now_ms();
    while (runs < MAX_RUNS && (runs < 5 || now_ms() - start < opt->min_ms)) {
        double t0 = now_ms();
        fn(ops, ws, arg);
        times[runs++] = now_ms() - t0;
    }
    qsort(times, (size_t)runs, sizeof(double), compare_double);
    return runs % 2 ? times[runs / 2] : 0.5 * (times[runs / 2 - 1] + times[runs / 2]);
}

/* ------------------------------------------------------------------------ */

typedef struct ConvCase {
    FacetConv2d conv;
    FacetTensor in, out;
} ConvCase;

static void conv_case_init(ConvCase *cc, int in_c, int out_c, int k, int stride, int size,
                           FacetActivation act)
{
    size_t n = (size_t)out_c * (size_t)in_c * (size_t)(k * k);
    float *w = malloc(n * sizeof(float));
    float *b = malloc((size_t)out_c * sizeof(float));
    if (!w || !b)
        must(-ENOMEM, "malloc");
    float scale = 1.0f / sqrtf((float)(in_c * k * k));
    for (size_t i = 0; i < n; i++)
        w[i] = rng_float() * scale;
    for (int i = 0; i < out_c; i++)
        b[i] = rng_float() * 0.1f;
    must(facet_conv2d_init(&cc->conv, w, b, out_c, in_c, k, stride, act), "conv2d_init");
    free(w);
    free(b);
    must(facet_tensor_alloc(&cc->in, in_c, size, size), "tensor_alloc");
    int os = facet_conv2d_output_size(&cc->conv, size);
    must(facet_tensor_alloc(&cc->out, out_c, os, os), "tensor_alloc");
    fill(&cc->in);
}

static void conv_case_free(ConvCase *cc)
{
    facet_conv2d_free(&cc->conv);
    facet_tensor_free(&cc->in);
    facet_tensor_free(&cc->out);
}

static void run_conv(const FacetRenderOps *ops, FacetWorkspace *ws, void *arg)
{
    ConvCase *cc = arg;
    must(ops->conv2d(ws, &cc->conv, &cc->in, &cc->out), "conv2d");
}

static double conv_flops(const ConvCase *cc)
{
    return 2.0 * cc->conv.out_c * cc->conv.in_c * cc->conv.k * cc->conv.k * cc->out.h *
           cc->out.w;
}

/* Every conv of DenseMotion + Decoder at S = 256 (K = 10). */
typedef struct RendererConvs {
    ConvCase layers[16];
    int count;
} RendererConvs;

static void run_renderer(const FacetRenderOps *ops, FacetWorkspace *ws, void *arg)
{
    RendererConvs *r = arg;
    for (int i = 0; i < r->count; i++)
        run_conv(ops, ws, &r->layers[i]);
}

typedef struct OtherCase {
    const char *op;
    FacetTensor a, b, out;
    float temperature;
} OtherCase;

static void run_other(const FacetRenderOps *ops, FacetWorkspace *ws, void *arg)
{
    OtherCase *oc = arg;
    const char *op = oc->op;
    if (!strcmp(op, "upsample2x"))
        must(ops->upsample2x(ws, &oc->a, &oc->out), op);
    else if (!strcmp(op, "avgpool2x2"))
        must(ops->avgpool2x2(ws, &oc->a, &oc->out), op);
    else if (!strcmp(op, "grid_sample"))
        must(ops->grid_sample(ws, &oc->a, &oc->b, &oc->out), op);
    else if (!strcmp(op, "softmax_channels"))
        must(ops->softmax_channels(ws, &oc->a, &oc->out), op);
    else if (!strcmp(op, "softmax_spatial"))
        must(ops->softmax_spatial(ws, &oc->a, oc->temperature, &oc->out), op);
    else if (!strcmp(op, "sigmoid")) {
        memcpy(oc->out.data, oc->a.data, facet_tensor_size(&oc->a) * sizeof(float));
        must(ops->activate(ws, &oc->out, FACET_ACT_SIGMOID), op);
    } else if (!strcmp(op, "add"))
        must(ops->add(ws, &oc->a, &oc->b, &oc->out), op);
    else if (!strcmp(op, "mul_map"))
        must(ops->mul_map(ws, &oc->a, &oc->b, &oc->out), op);
}

/* ------------------------------------------------------------------------ */

static void print_row(const char *isa, const char *name, double ms, double flops)
{
    if (flops > 0)
        printf("%-5s %-40s %9.3f ms %8.2f GFLOP/s\n", isa, name, ms, flops / (ms * 1e6));
    else
        printf("%-5s %-40s %9.3f ms %8s GFLOP/s\n", isa, name, ms, "-");
    fflush(stdout);
}

static int wanted(const Options *opt, const char *name)
{
    return !opt->filter || strstr(name, opt->filter);
}

static void bench_isa(const Options *opt, const char *isa, const FacetRenderOps *ops,
                      FacetWorkspace *ws)
{
    static const struct {
        int in_c, out_c, k, stride, size;
        FacetActivation act;
    } convs[] = {
        {64, 64, 3, 1, 64, FACET_ACT_RELU},   {64, 64, 3, 1, 128, FACET_ACT_RELU},
        {32, 32, 3, 1, 64, FACET_ACT_RELU},   {128, 64, 3, 1, 16, FACET_ACT_RELU},
        {64, 64, 3, 1, 8, FACET_ACT_RELU},    {16, 8, 3, 1, 256, FACET_ACT_RELU},
        {8, 3, 3, 1, 256, FACET_ACT_SIGMOID}, {24, 48, 3, 2, 64, FACET_ACT_RELU},
        {32, 64, 3, 2, 128, FACET_ACT_RELU},  {3, 16, 7, 1, 256, FACET_ACT_RELU},
        {16, 10, 7, 1, 64, FACET_ACT_NONE},   {16, 8, 1, 1, 256, FACET_ACT_NONE},
        {64, 32, 1, 1, 64, FACET_ACT_NONE},
    };
    char name[96];
    if (wanted(opt, "thread pool: 2 jobs of 10 us per thread"))
        print_row(isa, "thread pool: 2 jobs of 10 us per thread",
                  median_ms(opt, ops, ws, run_pool, NULL), 0);
    for (size_t i = 0; i < sizeof(convs) / sizeof(convs[0]); i++) {
        snprintf(name, sizeof(name), "conv%dx%d s%d %3d->%-3d %dx%d", convs[i].k, convs[i].k,
                 convs[i].stride, convs[i].in_c, convs[i].out_c, convs[i].size, convs[i].size);
        if (!wanted(opt, name))
            continue;
        ConvCase cc;
        conv_case_init(&cc, convs[i].in_c, convs[i].out_c, convs[i].k, convs[i].stride,
                       convs[i].size, convs[i].act);
        print_row(isa, name, median_ms(opt, ops, ws, run_conv, &cc), conv_flops(&cc));
        conv_case_free(&cc);
    }

    if (wanted(opt, "renderer convs")) {
        /* DenseMotion hourglass (chs 24, 48, 64, 64) on (K+1)*4 = 44 channels
         * at 64x64, its heads, then the Decoder (feat chs 8, 16, 32). */
        static const int layers[][5] = {
            {44, 24, 1, 64, 0}, {24, 48, 2, 64, 0}, {48, 64, 2, 32, 0}, {64, 64, 2, 16, 0},
            {128, 64, 1, 16, 0}, {112, 48, 1, 32, 0}, {72, 24, 1, 64, 0}, {68, 12, 1, 64, 1},
            {32, 32, 1, 64, 0}, {32, 32, 1, 64, 1}, {32, 32, 1, 64, 0}, {32, 32, 1, 64, 1},
            {32, 16, 1, 128, 0}, {16, 8, 1, 256, 0}, {8, 3, 1, 256, 2},
        };
        RendererConvs r = {.count = (int)(sizeof(layers) / sizeof(layers[0]))};
        double flops = 0;
        for (int i = 0; i < r.count; i++) {
            FacetActivation act = layers[i][4] == 0 ? FACET_ACT_RELU
                                  : layers[i][4] == 1 ? FACET_ACT_NONE
                                                      : FACET_ACT_SIGMOID;
            conv_case_init(&r.layers[i], layers[i][0], layers[i][1], 3, layers[i][2],
                           layers[i][3], act);
            flops += conv_flops(&r.layers[i]);
        }
        print_row(isa, "renderer convs (15 layers, S=256)",
                  median_ms(opt, ops, ws, run_renderer, &r), flops);
        for (int i = 0; i < r.count; i++)
            conv_case_free(&r.layers[i]);
    }

    static const struct {
        const char *op;
        int c, size;
        double flops_per_out;
    } others[] = {
        {"upsample2x", 32, 64, 0},       {"avgpool2x2", 3, 256, 4},
        {"grid_sample", 32, 64, 8},      {"grid_sample", 8, 256, 8},
        {"softmax_channels", 11, 64, 3}, {"softmax_spatial", 10, 64, 3},
        {"sigmoid", 16, 128, 4},         {"add", 16, 128, 1},
        {"mul_map", 16, 128, 1},
    };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        snprintf(name, sizeof(name), "%s %dx%dx%d", others[i].op, others[i].c, others[i].size,
                 others[i].size);
        if (!wanted(opt, name))
            continue;
        OtherCase oc = {.op = others[i].op, .temperature = 0.1f};
        int c = others[i].c, s = others[i].size;
        must(facet_tensor_alloc(&oc.a, c, s, s), "tensor_alloc");
        fill(&oc.a);
        if (!strcmp(oc.op, "upsample2x"))
            must(facet_tensor_alloc(&oc.out, c, 2 * s, 2 * s), "tensor_alloc");
        else if (!strcmp(oc.op, "avgpool2x2"))
            must(facet_tensor_alloc(&oc.out, c, s / 2, s / 2), "tensor_alloc");
        else
            must(facet_tensor_alloc(&oc.out, c, s, s), "tensor_alloc");
        if (!strcmp(oc.op, "grid_sample")) {
            /* A smooth warp as DenseMotion makes (the identity grid plus a
             * displacement of a few pixels), not random points: the memory
             * access pattern decides the speed. */
            must(facet_tensor_alloc(&oc.b, 2, s, s), "tensor_alloc");
            for (int y = 0; y < s; y++)
                for (int x = 0; x < s; x++) {
                    float gx = (2.0f * (float)x + 1.0f) / (float)s - 1.0f;
                    float gy = (2.0f * (float)y + 1.0f) / (float)s - 1.0f;
                    oc.b.data[y * s + x] = gx + 0.05f * sinf(3.0f * gy);
                    oc.b.data[s * s + y * s + x] = gy + 0.05f * cosf(2.0f * gx);
                }
        } else if (!strcmp(oc.op, "add")) {
            must(facet_tensor_alloc(&oc.b, c, s, s), "tensor_alloc");
            fill(&oc.b);
        } else if (!strcmp(oc.op, "mul_map")) {
            must(facet_tensor_alloc(&oc.b, 1, s, s), "tensor_alloc");
            fill(&oc.b);
        }
        double ms = median_ms(opt, ops, ws, run_other, &oc);
        print_row(isa, name, ms, others[i].flops_per_out * (double)facet_tensor_size(&oc.out));
        facet_tensor_free(&oc.a);
        facet_tensor_free(&oc.b);
        facet_tensor_free(&oc.out);
    }
}

int main(int argc, char **argv)
{
    Options opt = {.threads = 0, .min_ms = 300.0};
    const char *isa = "both";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            opt.threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--isa") && i + 1 < argc)
            isa = argv[++i];
        else if (!strcmp(argv[i], "--min-ms") && i + 1 < argc)
            opt.min_ms = atof(argv[++i]);
        else if (!strcmp(argv[i], "--filter") && i + 1 < argc)
            opt.filter = argv[++i];
        else {
            fprintf(stderr,
                    "usage: %s [--threads N] [--isa c|best|both] [--min-ms MS] [--filter TEXT]\n",
                    argv[0]);
            return 2;
        }
    }

    FacetThreadPool *pool;
    must(facet_thread_pool_create(&pool, opt.threads), "thread_pool_create");
    FacetWorkspace ws;
    facet_workspace_init(&ws, pool);
    printf("# threads %d, best kernels: %s, median of runs over >= %.0f ms per case\n",
           facet_thread_pool_threads(pool), facet_render_ops_isa(), opt.min_ms);

    FacetRenderOps ops;
    if (!strcmp(isa, "best") || !strcmp(isa, "both")) {
        facet_render_ops_init(&ops, 0);
        bench_isa(&opt, facet_render_ops_isa(), &ops, &ws);
    }
    if (!strcmp(isa, "c") || !strcmp(isa, "both")) {
        facet_render_ops_init(&ops, FACET_RENDER_OPS_FORCE_C);
        bench_isa(&opt, "c", &ops, &ws);
    }

    facet_workspace_free(&ws);
    facet_thread_pool_destroy(&pool);
    return 0;
}
