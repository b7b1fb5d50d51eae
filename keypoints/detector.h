/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The keypoint detector (internal to libfacet): train/model.py's
 * KeypointDetector on the CPU ops of render/ops.h.
 *
 *   image (3 x S x S, RGB in [0, 1])
 *     -> avgpool2x2 twice                         3 x S/4
 *     -> Hourglass                                kp_chs[0] x S/4
 *     -> heatmap conv7x7 -> softmax over the positions of each map (logits / T)
 *     -> soft-argmax: x, y = sum heat * identity grid (pixel centres
 *        (2 i + 1) / W - 1)
 *     -> Jacobian conv3x3 (4K maps) -> jacobian = sum heat * map
 *
 * A detector holds the buffers for one size, allocated at create: running it
 * allocates nothing. One detector runs one frame at a time; several may
 * share a FacetNetwork and run concurrently (on distinct thread pools).
 */
#ifndef FACET_KEYPOINTS_DETECTOR_H
#define FACET_KEYPOINTS_DETECTOR_H

#include "keypoints/keypoint_coding.h"
#include "render/network.h"
#include "render/ops.h"
#include "render/tensor.h"
#include "render/thread_pool.h"

typedef struct FacetKeypointDetector FacetKeypointDetector;

/* Makes a detector for size x size images (facet_network_size_supported();
 * usually facet_network_size(net)). `net` must outlive the detector. `pool`
 * (may be NULL: single-threaded) is used, not owned, and must not run other
 * work while the detector does. `ops_flags` go to facet_render_ops_init()
 * (0, or FACET_RENDER_OPS_FORCE_C for the reference kernels). Returns 0,
 * -EINVAL (NULL argument, unsupported size) or -ENOMEM; *out is NULL on
 * failure. */
int facet_keypoint_detector_create(FacetKeypointDetector **out, const FacetNetwork *net,
                                   int size, FacetThreadPool *pool, int ops_flags);

/* Frees the detector; NULL-safe, sets *det = NULL. */
void facet_keypoint_detector_destroy(FacetKeypointDetector **det);

/* Detects the keypoints of `rgb`, a 3 x size x size tensor (may be a view)
 * with values in [0, 1]. On success out->count is K and every point holds
 * the position (x, y) and Jacobian of model.py's output. Returns 0, -EINVAL
 * (NULL argument, wrong shape) or an op's error. */
int facet_keypoint_detector_run(FacetKeypointDetector *det, const FacetTensor *rgb,
                                FacetKeypointSet *out);

/* The last run's intermediate tensors (model.py's names), valid until the
 * next run; for tests and visualisation. */
typedef struct FacetKeypointDetectorTensors {
    const FacetTensor *pooled;         /* 3 x S/4: the image pooled twice */
    const FacetTensor *hourglass;      /* kp_chs[0] x S/4 */
    const FacetTensor *heatmaps;       /* K x S/4, after the softmax: each sums to 1 */
    const FacetTensor *jacobian_maps;  /* 4K x S/4: map 4k + 2 row + column */
} FacetKeypointDetectorTensors;

void facet_keypoint_detector_tensors(const FacetKeypointDetector *det,
                                     FacetKeypointDetectorTensors *t);

#endif /* FACET_KEYPOINTS_DETECTOR_H */
