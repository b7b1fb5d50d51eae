/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Speed of the latent tier's network per frame (not a test):
 *
 *   bench_latent [--model PATH] [--frames N] [--threads T] [--no-vulkan]
 *
 * For 256x256, 512x512 and 1280x736 (1280x720 padded to multiples of 32)
 * at r = 2 and 4: the per-frame phase (low-resolution frame -> picture
 * floats) on the CPU kernels with a pool of T threads (default 2) and, in
 * a build with Vulkan, on the default Vulkan device (lavapipe when there is
 * no GPU); median ms of N frames (default 21; fewer on big frames when a
 * frame takes long), GFLOP per frame (convolutions) and GFLOP/s. The
 * reference phase is timed once per size.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "render/latent_network.h"
#include "render/latent_renderer.h"
#include "render/ops.h"
#include "render/thread_pool.h"
#ifdef FACET_WITH_VULKAN
#include "render/vulkan/vk_device.h"
#include "render/vulkan/vk_latent_renderer.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void fill(FacetTensor *t, unsigned seed)
{
    for (size_t i = 0; i < facet_tensor_size(t); i++) {
        seed = seed * 1103515245u + 12345u;
        t->data[i] = (float)((seed >> 16) & 0x7fff) / 32767.0f;
    }
}

typedef int (*FrameFn)(void *r, const FacetTensor *low, FacetTensor *out);

static int cpu_frame(void *r, const FacetTensor *low, FacetTensor *out)
{
    return facet_latent_renderer_render(r, low, out);
}

#ifdef FACET_WITH_VULKAN
static int vk_frame(void *r, const FacetTensor *low, FacetTensor *out)
{
    return facet_vk_latent_renderer_render(r, low, out);
}
#endif

/* Median ms of up to `frames` frames, stopping early after ~20 s. */
static double time_frames(FrameFn fn, void *r, const FacetTensor *low, FacetTensor *out,
                          int frames)
{
    double t[256];
    if (frames > 256)
        frames = 256;
    if (fn(r, low, out) < 0) /* warm-up */
        return -1;
    int n = 0;
    double start = now_ms();
    for (; n < frames; n++) {
        double t0 = now_ms();
        if (fn(r, low, out) < 0)
            return -1;
        t[n] = now_ms() - t0;
        if (n >= 2 && now_ms() - start > 20000)
            break;
    }
    if (n < frames)
        n++;
    qsort(t, (size_t)n, sizeof(double), cmp_double);
    return t[n / 2];
}

int main(int argc, char **argv)
{
    const char *model = FACET_SOURCE_DIR "/models/facet-latent.safetensors";
    int frames = 21, threads = 2, vulkan = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc)
            model = argv[++i];
        else if (!strcmp(argv[i], "--frames") && i + 1 < argc)
            frames = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-vulkan"))
            vulkan = 0;
        else {
            fprintf(stderr, "usage: %s [--model PATH] [--frames N] [--threads T] [--no-vulkan]\n",
                    argv[0]);
            return 2;
        }
    }
    if (frames < 1 || threads < 1)
        return 2;
    char error[512];
    FacetLatentNetwork *net = NULL;
    if (facet_latent_network_open(&net, model, error, sizeof(error)) < 0) {
        fprintf(stderr, "%s\n", error);
        return 1;
    }
    FacetThreadPool *pool = NULL;
    if (threads > 1 && facet_thread_pool_create(&pool, threads) < 0)
        return 1;
#ifdef FACET_WITH_VULKAN
    FacetVkDevice *dev = NULL;
    if (vulkan && facet_vk_device_open(&dev, NULL, 0, error, sizeof(error)) < 0) {
        fprintf(stderr, "no Vulkan device (%s): CPU only\n", error);
        dev = NULL;
    }
    if (dev)
        printf("vulkan device: %s\n", facet_vk_device_name(dev));
#else
    (void)vulkan;
#endif
    printf("model %08x, cpu kernels %s, %d thread(s)\n", (unsigned)net->model_id,
           facet_render_ops_isa(), threads);
    printf("%-10s %2s  %-8s %10s %10s %9s %8s\n", "size", "r", "backend", "frame ms",
           "ref ms", "GFLOP", "GFLOP/s");
    static const int sizes[][2] = {{256, 256}, {512, 512}, {1280, 736}};
    int status = 0;
    for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
        for (int r = 2; r <= 4; r += 2) {
            int W = sizes[si][0], H = sizes[si][1];
            double gflop = 2e-9 * facet_latent_network_frame_macs(net, W, H);
            FacetTensor ref, low, out;
            if (facet_tensor_alloc(&ref, 3, H, W) < 0 || facet_tensor_alloc(&low, 3, H / r, W / r) < 0 ||
                facet_tensor_alloc(&out, 3, H, W) < 0)
                return 1;
            fill(&ref, 1);
            fill(&low, 2);
            char size[32];
            snprintf(size, sizeof(size), "%dx%d", W, H);

            FacetLatentRenderer *cr = NULL;
            if (facet_latent_renderer_create(&cr, net, W, H, r, pool, 0) == 0) {
                double t0 = now_ms();
                facet_latent_renderer_set_reference(cr, &ref);
                double ref_ms = now_ms() - t0;
                double ms = time_frames(cpu_frame, cr, &low, &out, frames);
                printf("%-10s %2d  %-8s %10.2f %10.2f %9.3f %8.1f\n", size, r, "cpu", ms, ref_ms,
                       gflop, gflop / ms * 1e3);
                facet_latent_renderer_destroy(&cr);
            } else {
                status = 1;
            }
#ifdef FACET_WITH_VULKAN
            if (dev) {
                FacetVkLatentRenderer *vr = NULL;
                if (facet_vk_latent_renderer_create(&vr, dev, net, W, H, r, NULL, error,
                                                    sizeof(error)) == 0) {
                    double t0 = now_ms();
                    facet_vk_latent_renderer_set_reference(vr, &ref);
                    double ref_ms = now_ms() - t0;
                    double ms = time_frames(vk_frame, vr, &low, &out,
                                            W * H > 300000 ? 5 : frames);
                    printf("%-10s %2d  %-8s %10.2f %10.2f %9.3f %8.1f\n", size, r, "vulkan", ms,
                           ref_ms, gflop, gflop / ms * 1e3);
                    facet_vk_latent_renderer_destroy(&vr);
                } else {
                    fprintf(stderr, "vulkan %s: %s\n", size, error);
                    status = 1;
                }
            }
#endif
            fflush(stdout);
            facet_tensor_free(&ref);
            facet_tensor_free(&low);
            facet_tensor_free(&out);
        }
#ifdef FACET_WITH_VULKAN
    facet_vk_device_close(&dev);
#endif
    facet_thread_pool_destroy(&pool);
    facet_latent_network_close(&net);
    return status;
}
