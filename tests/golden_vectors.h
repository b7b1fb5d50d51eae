/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading tests/golden/network.safetensors (train/export.py's PyTorch
 * outputs) in the suites that compare a renderer with it: test_network (the
 * CPU sub-networks) and test_vulkan_renderer. Every failure fails the
 * running Check test with the loader's message. */
#ifndef FACET_TESTS_GOLDEN_VECTORS_H
#define FACET_TESTS_GOLDEN_VECTORS_H

#include <stdint.h>

#include "render/keypoint_set.h"
#include "render/safetensors.h"
#include "render/tensor.h"

/* $FACET_TEST_GOLDEN (to check a re-exported model's vectors), else the
 * source tree's file. */
const char *golden_path(void);
/* The golden file, opened. */
FacetModelFile *golden_open(void);

/* A golden tensor of exactly `shape` as a new float array (free()). */
float *golden_floats(const FacetModelFile *file, const char *name, int ndim, const int64_t *shape);

/* A golden image-like tensor [1, c, h, w] as an owned FacetTensor. */
FacetTensor golden_tensor(const FacetModelFile *file, const char *name, int c, int h, int w);

/* `prefix`.value [1,K,2] and `prefix`.jacobian [1,K,2,2] as a keypoint set. */
FacetKeypointSet golden_keypoints(const FacetModelFile *file, const char *prefix, int k);

#endif /* FACET_TESTS_GOLDEN_VECTORS_H */
