/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The op table of the neural runtime (internal to libfacet).
 *
 * Every op the Facet v1 network needs (train/model.py), on FacetTensors
 * (render/tensor.h: batch 1, float32, planar C x H x W). As dav1d's DSP
 * contexts: facet_render_ops_init() fills a table of function pointers with
 * the best kernels this CPU runs (AVX2+FMA on x86-64 when the CPU has it,
 * portable C otherwise); the C kernels are the reference the optimised ones
 * are tested against (tests/test_ops.c), and are themselves tested against
 * PyTorch (tests/golden/ops.safetensors). docs/render-ops.md has the design
 * and the measured speed.
 *
 * Conventions, once for all ops:
 *  - Shapes are checked: every op returns 0, or -EINVAL when a tensor is
 *    missing, has no data, or has a shape that does not fit (nothing is
 *    written then). conv2d may also return -ENOMEM (its workspace grows).
 *  - Outputs may be views: a FacetTensor with owned = 0 whose data points
 *    at channel k of a larger tensor of the same H x W. Writing an op's
 *    output into a channel range of a bigger tensor is how concatenation
 *    along channels is done (it costs nothing). Inputs may be views too.
 *  - Aliasing: elementwise ops, activations and both softmaxes may write in
 *    place (output data == input data, same shape); conv2d, upsample,
 *    avgpool and grid_sample need an output that does not overlap an input
 *    (-EINVAL otherwise).
 *  - Threading: every op takes a FacetWorkspace (never NULL: -EINVAL),
 *    whose thread pool (may be NULL) spreads the work; results do not depend
 *    on the thread count (bit-exact), because each output element is
 *    computed by exactly one job, by the same instructions, in a fixed order.
 *    An op must not be called from inside a thread pool job.
 *  - NaN and infinities in the data are not errors: no op fails or reads
 *    out of bounds because of them (grid_sample puts a NaN coordinate on
 *    the first pixel, +-inf on the border); a NaN that takes part in
 *    arithmetic gives NaN. Beyond that, what they produce is unspecified.
 *  - Accuracy: the optimised kernels agree with the reference to 1e-4
 *    absolute on outputs of magnitude ~1 (measured: ~1e-6; FMA and a
 *    polynomial exp round differently), and exactly for upsample2x,
 *    avgpool2x2, relu, add, mul, mul_map and grid_sample.
 */
#ifndef FACET_RENDER_OPS_H
#define FACET_RENDER_OPS_H

#include <stddef.h>

#include "render/tensor.h"
#include "render/thread_pool.h"

typedef enum FacetActivation {
    FACET_ACT_NONE = 0,
    FACET_ACT_RELU,
    FACET_ACT_SIGMOID,
    FACET_ACT_TANH,
    FACET_ACT_COUNT
} FacetActivation;

/* Per-renderer state the ops need besides their tensors: the thread pool and
 * a scratch buffer that conv2d grows on demand (zero-padded copies of its
 * input). One workspace must not be used by two ops at once; ops on distinct
 * workspaces over distinct pools (or none) may run concurrently, sharing
 * FacetConv2d layers (they are only read). */
typedef struct FacetWorkspace {
    FacetThreadPool *pool;   /* not owned; NULL runs everything on the caller */
    float *scratch;          /* FACET_TENSOR_ALIGN aligned */
    size_t scratch_floats;
} FacetWorkspace;

/* Sets up an empty workspace over `pool` (may be NULL). Cannot fail. */
void facet_workspace_init(FacetWorkspace *ws, FacetThreadPool *pool);
/* Grows the scratch to at least `floats` floats (never shrinks); 0 or -ENOMEM.
 * Renderers may call it once with facet_conv2d_scratch_floats() of their
 * largest layer so that no frame allocates. */
int facet_workspace_reserve(FacetWorkspace *ws, size_t floats);
/* Frees the scratch (not the pool) and zeroes the struct. */
void facet_workspace_free(FacetWorkspace *ws);

/* Largest conv kernel side, and the supported ones: 1, 3, 5 or 7 (odd, so
 * that padding k/2 keeps the size at stride 1). */
#define FACET_CONV_MAX_KERNEL 7
/* Output channels a packed weight block holds (see FacetConv2d.packed). */
#define FACET_CONV_OC_BLOCK 4

/* A 2-D convolution layer, PyTorch's nn.Conv2d(in_c, out_c, k, stride,
 * padding=k/2) with bias, followed by an activation. */
typedef struct FacetConv2d {
    int out_c, in_c, k, stride;
    FacetActivation act;
    /* PyTorch's layout, out_c x in_c x k x k; what the C reference reads. */
    float *weights;
    /* out_c floats (zeros when the layer has no bias). */
    float *bias;
    /* The optimised kernels' layout: ceil(out_c / 4) blocks of in_c x k*k x 4
     * floats, packed[((b * in_c + i) * k*k + ky*k + kx) * 4 + j] = weight of
     * output channel 4b + j (0 past out_c), input channel i, tap (ky, kx).
     * A micro-kernel walking one block reads it strictly in order. */
    float *packed;
} FacetConv2d;

/* Copies and packs a layer: `weights` is PyTorch's out_c x in_c x k x k float
 * array, `bias` out_c floats or NULL. Returns 0, -EINVAL (NULL conv or
 * weights, a count < 1 or too large, k not in {1, 3, 5, 7}, stride not 1 or
 * 2, unknown activation) or -ENOMEM; on failure *conv is zeroed. */
int facet_conv2d_init(FacetConv2d *conv, const float *weights, const float *bias, int out_c,
                      int in_c, int k, int stride, FacetActivation act);
/* Frees what init allocated and zeroes the struct; safe on a zeroed struct. */
void facet_conv2d_free(FacetConv2d *conv);
/* Output size of the layer for an input side of `in`: (in - 1) / stride + 1. */
int facet_conv2d_output_size(const FacetConv2d *conv, int in);
/* Workspace floats the optimised conv2d needs for an in_h x in_w input (the
 * C reference needs none), or SIZE_MAX for a size out of range. */
size_t facet_conv2d_scratch_floats(const FacetConv2d *conv, int in_h, int in_w);

/* The op table. Every pointer is set by facet_render_ops_init(). */
typedef struct FacetRenderOps {
    /* out = act(conv(in) + bias). in: in_c x H x W; out: out_c x Ho x Wo with
     * Ho, Wo = facet_conv2d_output_size() of H, W. Zero padding k/2. */
    int (*conv2d)(FacetWorkspace *ws, const FacetConv2d *conv, const FacetTensor *in,
                  FacetTensor *out);

    /* Nearest-neighbour 2x upsampling (F.interpolate(scale_factor=2)):
     * out is C x 2H x 2W, out[c][y][x] = in[c][y/2][x/2]. */
    int (*upsample2x)(FacetWorkspace *ws, const FacetTensor *in, FacetTensor *out);

    /* 2x2 average pooling, stride 2 (F.avg_pool2d(x, 2)): out is
     * C x H/2 x W/2 (rounded down: an odd last row or column is dropped). */
    int (*avgpool2x2)(FacetWorkspace *ws, const FacetTensor *in, FacetTensor *out);

    /* Bilinear sampling, F.grid_sample(in, grid, mode='bilinear',
     * padding_mode='border', align_corners=False). grid is a 2 x Ho x Wo
     * tensor, planar: channel 0 holds x, channel 1 holds y, both in [-1, 1]
     * where -1 and 1 are the outer edges of the first and last pixels
     * (PyTorch's N,Ho,Wo,2 grid transposed to planes). Points outside are
     * clamped onto the border. out is C x Ho x Wo for a C x H x W input. */
    int (*grid_sample)(FacetWorkspace *ws, const FacetTensor *in, const FacetTensor *grid,
                       FacetTensor *out);

    /* Softmax over channels at each pixel (F.softmax(x, dim=1)). */
    int (*softmax_channels)(FacetWorkspace *ws, const FacetTensor *in, FacetTensor *out);

    /* Softmax over the H x W positions of each channel of in / temperature
     * (F.softmax(x.view(C, H*W) / T, dim=1)); temperature > 0 and finite. */
    int (*softmax_spatial)(FacetWorkspace *ws, const FacetTensor *in, float temperature,
                           FacetTensor *out);

    /* t = act(t), in place (relu, sigmoid, tanh; NONE does nothing). */
    int (*activate)(FacetWorkspace *ws, FacetTensor *t, FacetActivation act);

    /* out = a + b and out = a * b, elementwise; all three of one shape. */
    int (*add)(FacetWorkspace *ws, const FacetTensor *a, const FacetTensor *b, FacetTensor *out);
    int (*mul)(FacetWorkspace *ws, const FacetTensor *a, const FacetTensor *b, FacetTensor *out);

    /* out[c] = a[c] * map[0] for every channel c: map is 1 x H x W. */
    int (*mul_map)(FacetWorkspace *ws, const FacetTensor *a, const FacetTensor *map,
                   FacetTensor *out);

    /* DenseMotion's per-keypoint inputs (model.py's sparse_motions and
     * keypoint_gaussians) at n x n: params is 1 x K x 8, per keypoint the
     * 2x2 matrix J_ref inv(J_cur) (row major), ref x, ref y, cur x, cur y
     * (facet_keypoint_motion_params()). motions (2(K+1) x n x n): motion 0
     * is the identity grid, motion k = ref + J (z - cur). motion_in (4(K+1)
     * x n x n): channel 4k gets gaussian(z - cur) - gaussian(z - ref) (0 for
     * k = 0), exp(-0.5 d^2 / variance) evaluated as the product of its x
     * and y factors; the other channels are left alone. */
    int (*motion_inputs)(FacetWorkspace *ws, const FacetTensor *params, float variance,
                         FacetTensor *motions, FacetTensor *motion_in);

    /* flow (2 x H x W) = sum over k of masks[k] * motion k (motions:
     * 2 masks.c planes). */
    int (*blend_flow)(FacetWorkspace *ws, const FacetTensor *masks, const FacetTensor *motions,
                      FacetTensor *flow);

    /* model.py's upsample_grid2: the displacement of an n x n grid from the
     * identity, upsampled nearest, added to the 2n x 2n identity grid (not
     * upsample2x: the identity grids of the two levels differ). */
    int (*upsample_grid)(FacetWorkspace *ws, const FacetTensor *in, FacetTensor *out);

    /* The latent tier's ops (render/ops_latent.c, train/latent_model.py). */
    /* out = a - b, elementwise; in place allowed. */
    int (*sub)(FacetWorkspace *ws, const FacetTensor *a, const FacetTensor *b, FacetTensor *out);
    /* Every element of t = value. */
    int (*fill)(FacetWorkspace *ws, FacetTensor *t, float value);
    /* Depth-to-space by 2 (F.pixel_shuffle(x, 2)): in is 4C x H x W, out
     * C x 2H x 2W, out[c][2y + i][2x + j] = in[4c + 2i + j][y][x]. */
    int (*pixel_shuffle)(FacetWorkspace *ws, const FacetTensor *in, FacetTensor *out);
    /* latent_model.py's flow_grid: out (2 x H x W, planar x then y) = the
     * identity grid of H x W (pixel centres, align_corners=False) plus the
     * displacement `disp` (2 x h x w), resampled to H x W as grid_sample on
     * the identity grid does when h x w differs (bilinear, border), taken
     * as it is when it does not. disp NULL: the identity grid alone. */
    int (*flow_grid)(FacetWorkspace *ws, const FacetTensor *disp, FacetTensor *out);
} FacetRenderOps;

/* facet_render_ops_init() flags. */
enum {
    /* Only the portable C reference kernels, whatever the CPU. */
    FACET_RENDER_OPS_FORCE_C = 1 << 0,
};

/* Fills `ops` with the best kernels for this CPU, limited by `flags`. */
void facet_render_ops_init(FacetRenderOps *ops, int flags);

/* Which kernels facet_render_ops_init(ops, 0) picks: "avx2" or "c". */
const char *facet_render_ops_isa(void);

/* ------------------------------------------------------------------------
 * Shared by the kernel files (ops_c.c, ops_avx2.c); not for op callers. */

/* Argument checks of each op: 0 or -EINVAL. */
int facet_ops_check_conv2d(const FacetConv2d *conv, const FacetTensor *in,
                           const FacetTensor *out);
int facet_ops_check_upsample2x(const FacetTensor *in, const FacetTensor *out);
int facet_ops_check_avgpool2x2(const FacetTensor *in, const FacetTensor *out);
int facet_ops_check_grid_sample(const FacetTensor *in, const FacetTensor *grid,
                                const FacetTensor *out);
int facet_ops_check_same_shape(const FacetTensor *a, const FacetTensor *b);
int facet_ops_check_softmax_spatial(const FacetTensor *in, float temperature,
                                    const FacetTensor *out);
int facet_ops_check_binary(const FacetTensor *a, const FacetTensor *b, const FacetTensor *out);
int facet_ops_check_mul_map(const FacetTensor *a, const FacetTensor *map,
                            const FacetTensor *out);

/* Splits `count` items into `parts` near-equal contiguous ranges; part
 * `index` is [*begin, *end). */
void facet_ops_split(int count, int parts, int index, int *begin, int *end);
/* A job count for `items` independent items of about `ns` nanoseconds each
 * (a rough estimate of the kernel's speed): up to 4 jobs per thread, so that
 * a core slowed by other work takes fewer, but none shorter than about 10
 * microseconds, below which handing a job to another thread (waking it, or
 * waiting for it when another process has its core) costs more than it
 * saves. Always in 1 .. items; 1 without a pool. */
int facet_ops_job_count(const FacetWorkspace *ws, int items, double ns);

/* The optimised convolutions run on a zero-padded copy of the input in the
 * workspace, laid out so that every output pixel of every tap is a fixed
 * offset away: output pixel (y, x) is "position" y * vw + x, and tap t of
 * input channel i reads scratch[i * channel + position + tap_offset[t]]. At
 * stride 1 a channel is one plane, the input padded by k/2 on each side with
 * rows of vw = W + 2 (k/2) floats. At stride 2 it is four planes, the
 * even/odd rows x even/odd columns of the padded input (a polyphase split),
 * each with rows of vw = ceil((W + 2 (k/2)) / 2) floats, so that stride-2
 * taps become unit-stride reads. Positions with x >= out_w (the right
 * padding) are computed and thrown away; that costs (vw - out_w) / vw, and
 * lets a tile of pixels run across row ends, which keeps narrow layers
 * (8 or 16 wide) as fast as wide ones. Planes end with zeroed slack, so a
 * tile of up to FACET_CONV_MAX_TILE positions starting anywhere below
 * out_h * vw reads only inside the scratch. */
#define FACET_CONV_MAX_TILE 32
typedef struct FacetConvLayout {
    int in_h, in_w, out_h, out_w;
    int pad, phases, vw;
    int taps;
    int tap_offset[FACET_CONV_MAX_KERNEL * FACET_CONV_MAX_KERNEL];
    size_t positions;      /* out_h * vw */
    size_t plane;          /* floats per phase plane, slack included */
    size_t channel;        /* phases * plane */
} FacetConvLayout;

/* Fills the layout of `conv` on an in_h x in_w input; 0 or -EINVAL (sizes
 * that overflow). */
int facet_ops_conv_layout(FacetConvLayout *layout, const FacetConv2d *conv, int in_h, int in_w);
/* Grows the workspace and writes the padded copy of `in` there (threaded).
 * Returns the copy or NULL (out of memory). */
const float *facet_ops_conv_pad_input(FacetWorkspace *ws, const FacetConvLayout *layout,
                                      const FacetTensor *in);

/* 1 for a tensor with data and every dimension >= 1. */
int facet_ops_check_tensor(const FacetTensor *t);

/* The tables: ops.c's facet_render_ops_init() fills the C reference
 * (ops_c.c, with DenseMotion's per-keypoint ops of ops_motion.c) and lets
 * the AVX2 file replace what the CPU supports; neither kernel file uses the
 * other. */
void facet_render_ops_init_c(FacetRenderOps *ops);
void facet_render_ops_init_motion(FacetRenderOps *ops);
/* The latent tier's ops (ops_latent.c): one C version each, memory-bound. */
void facet_render_ops_init_latent(FacetRenderOps *ops);

/* The x86-64 AVX2+FMA kernels (ops_avx2.c): fills in the ops it has and
 * returns 1 when this CPU runs them; touches nothing and returns 0 when it
 * does not (or on other CPUs). */
int facet_render_ops_init_avx2(FacetRenderOps *ops);

#endif /* FACET_RENDER_OPS_H */
