/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The renderer (internal to libfacet): the receiver side of train/model.py's
 * FacetV1 on the CPU ops of render/ops.h: the graph of renderer_graph.h run
 * by the CPU executor (render/vulkan/vk_renderer.h runs the same graph on a
 * Vulkan device; render/backend.h chooses between them).
 *
 *   facet_renderer_set_keyframe()  ReferenceEncoder, once per keyframe: the
 *                                  features f0 (S), f1 (S/2), f2 (S/4) and
 *                                  the keyframe at S/4 ("small") are kept.
 *   facet_renderer_render()        per frame, FacetV1.render(): DenseMotion
 *                                  (keypoints -> flow and occlusion at S/4)
 *                                  then Decoder (warp the cached features,
 *                                  residual blocks, two up stages) -> RGB.
 *
 * Every tensor is allocated at create for the renderer's size: rendering a
 * frame allocates nothing. Buffers used only while encoding a keyframe share
 * memory with those used only while rendering (docs/renderer.md has the
 * memory plan). A renderer renders one frame at a time; several may share a
 * FacetNetwork and run concurrently (on distinct thread pools).
 *
 * Keypoints are those of render/keypoint_set.h (positions in [-1, 1],
 * pixel centres at (2 i + 1) / S - 1, and 2x2 Jacobians), as the bitstream
 * delivers them.
 */
#ifndef FACET_RENDER_RENDERER_H
#define FACET_RENDER_RENDERER_H

#include "render/keypoint_set.h"
#include "render/network.h"
#include "render/ops.h"
#include "render/picture_out.h"
#include "render/tensor.h"
#include "render/thread_pool.h"

typedef struct FacetRenderer FacetRenderer;

/* Makes a renderer for size x size frames (facet_network_size_supported();
 * usually facet_network_size(net)). `net` must outlive the renderer. `pool`
 * (may be NULL: single-threaded) is used, not owned, and must not run other
 * work while the renderer does. `ops_flags` go to facet_render_ops_init()
 * (0, or FACET_RENDER_OPS_FORCE_C for the reference kernels). Returns 0,
 * -EINVAL (NULL argument, unsupported size) or -ENOMEM; *out is NULL on
 * failure. */
int facet_renderer_create(FacetRenderer **out, const FacetNetwork *net, int size,
                          FacetThreadPool *pool, int ops_flags);

/* Frees the renderer; NULL-safe, sets *r = NULL. */
void facet_renderer_destroy(FacetRenderer **r);

/* Encodes the keyframe `rgb` (3 x size x size, values in [0, 1], may be a
 * view) and keeps its features and keypoints `kp_ref` (count K, finite
 * values) for the frames that follow. Returns 0, -EINVAL (NULL argument,
 * wrong shape or count, a non-finite keypoint) or an op's error; on failure
 * the renderer has no keyframe. */
int facet_renderer_set_keyframe(FacetRenderer *r, const FacetTensor *rgb,
                                const FacetKeypointSet *kp_ref);

/* Renders the frame whose keypoints are `kp_cur` into `rgb_out` (3 x size x
 * size, may be a view; values in (0, 1)). Returns 0, -EINVAL (NULL
 * argument, wrong shape or count, a non-finite keypoint), -ENODATA (no
 * keyframe yet) or an op's error. Equal to facet_renderer_dense_motion()
 * followed by facet_renderer_decode(). */
int facet_renderer_render(FacetRenderer *r, const FacetKeypointSet *kp_cur,
                          FacetTensor *rgb_out);

/* As facet_renderer_render(), then the network's last step writes the
 * picture `out` asks for (render/picture_out.h). */
int facet_renderer_render_picture(FacetRenderer *r, const FacetKeypointSet *kp_cur,
                                  FacetRenderPicture *out);

/* ---- the two halves of a frame, and the tensors between them (tests,
 * debugging views of flow and occlusion) ----------------------------------- */

/* DenseMotion: fills the tensors' flow, occlusion and masks from kp_cur and
 * the keyframe. Same codes as facet_renderer_render(). */
int facet_renderer_dense_motion(FacetRenderer *r, const FacetKeypointSet *kp_cur);

/* Decoder: renders from the cached features and the current flow and
 * occlusion (as left by facet_renderer_dense_motion(), or written by the
 * caller into the tensors below). -ENODATA without a keyframe. */
int facet_renderer_decode(FacetRenderer *r, FacetTensor *rgb_out);

typedef struct FacetRendererTensors {
    /* ReferenceEncoder outputs, set by facet_renderer_set_keyframe(). */
    FacetTensor *f0;          /* feat_chs[0] x S   x S   */
    FacetTensor *f1;          /* feat_chs[1] x S/2 x S/2 */
    FacetTensor *f2;          /* feat_chs[2] x S/4 x S/4 */
    FacetTensor *small;       /* 3 x S/4 x S/4: the keyframe pooled twice */
    /* DenseMotion outputs at S/4 (model.py's N,H,W,2 flow as two planes). */
    FacetTensor *flow;        /* 2 x S/4 x S/4: plane 0 x, plane 1 y */
    FacetTensor *occlusion;   /* 1 x S/4 x S/4 */
    FacetTensor *masks;       /* K+1 x S/4 x S/4, softmax over channels */
    /* DenseMotion intermediates at S/4, valid from facet_renderer_dense_motion()
     * until the next facet_renderer_decode() or set_keyframe() (their memory
     * is reused). */
    FacetTensor *sparse_motions; /* 2(K+1): motion k is planes 2k (x) and 2k+1 (y) */
    FacetTensor *motion_input;   /* 4(K+1): per motion [heatmap difference, warped RGB] */
    FacetTensor *motion_hourglass; /* dm_chs[0]: the hourglass output */
    /* Decoder intermediates, valid after facet_renderer_decode() until the
     * next facet_renderer_dense_motion() or set_keyframe(). */
    FacetTensor *x1;          /* feat_chs[1] x S/2: up1 stage output (warped f1 added) */
    FacetTensor *flow1;       /* 2 x S/2 */
    FacetTensor *x0;          /* feat_chs[0] x S: up0 stage output (warped f0 added) */
    FacetTensor *flow0;       /* 2 x S */
} FacetRendererTensors;

/* Pointers to the renderer's tensors (valid as long as the renderer). */
void facet_renderer_tensors(FacetRenderer *r, FacetRendererTensors *t);

#endif /* FACET_RENDER_RENDERER_H */
