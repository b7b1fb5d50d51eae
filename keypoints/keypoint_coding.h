/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Keypoint quantisation and entropy coding (internal to libfacet).
 *
 * A frame's motion is K keypoints, each a position in the normalised
 * coordinates of grid_sample ([-1, 1], -1 the left/top edge of the first
 * pixel, +1 the right/bottom edge of the last) and a 2x2 Jacobian of the local
 * affine motion. They are quantised uniformly, predicted from the keyframe's
 * keypoints (or from the neutral pose on a keyframe) and range-coded.
 * docs/entropy-coding.md specifies the coded form exactly.
 */
#ifndef FACET_KEYPOINTS_KEYPOINT_CODING_H
#define FACET_KEYPOINTS_KEYPOINT_CODING_H

#include <stddef.h>
#include <stdint.h>

#include "render/keypoint_set.h"

/* Positions are clamped to [-1, 1] and quantised with a step of 1/256: half a
 * pixel at the default model size S = 256 (a pixel spans 2/S), finer than the
 * detector's own jitter. Quantised positions lie in [-256, 256]. */
#define FACET_KEYPOINT_POSITION_LIMIT 1.0f
#define FACET_KEYPOINT_POSITION_SCALE 256 /* quantisation steps per unit */
#define FACET_KEYPOINT_POSITION_STEP (1.0f / FACET_KEYPOINT_POSITION_SCALE)
#define FACET_KEYPOINT_POSITION_QMAX 256

/* Jacobian entries are clamped to [-4, 4] and quantised with a step of 1/64:
 * over a keypoint's region (a few tens of pixels) an error of 1/128 moves
 * the warped samples by well under a pixel. Quantised entries lie in
 * [-256, 256]; the identity is (64, 0, 0, 64). */
#define FACET_KEYPOINT_JACOBIAN_LIMIT 4.0f
#define FACET_KEYPOINT_JACOBIAN_SCALE 64
#define FACET_KEYPOINT_JACOBIAN_STEP (1.0f / FACET_KEYPOINT_JACOBIAN_SCALE)
#define FACET_KEYPOINT_JACOBIAN_QMAX 256

typedef struct FacetQuantKeypoints {
    int count;               /* 1..FACET_MAX_KEYPOINTS */
    int32_t x[FACET_MAX_KEYPOINTS];   /* position / FACET_KEYPOINT_POSITION_STEP */
    int32_t y[FACET_MAX_KEYPOINTS];
    /* jacobian[i][2 * row + column] / FACET_KEYPOINT_JACOBIAN_STEP */
    int32_t jacobian[FACET_MAX_KEYPOINTS][4];
} FacetQuantKeypoints;

/* Clamps each value to its range (infinities included) and rounds it to the
 * nearest step, halves away from zero. Returns 0, or -EINVAL for NULL
 * arguments, a count outside 1..FACET_MAX_KEYPOINTS or a NaN anywhere (then
 * *out is left zeroed). */
int facet_keypoints_quantize(const FacetKeypointSet *in, FacetQuantKeypoints *out);

/* Multiplies back by the steps. Values outside the quantised ranges are
 * clamped and a count outside 1..FACET_MAX_KEYPOINTS gives an empty set, so
 * the result is always usable. */
void facet_keypoints_dequantize(const FacetQuantKeypoints *in, FacetKeypointSet *out);

/* Range-codes kp, predicted from ref (the keyframe's keypoints), or from the
 * neutral pose (position 0, identity Jacobian) when ref is NULL, as for a
 * keyframe's own keypoints. Every call starts from fresh models, so a packet
 * decodes from its keyframe alone. Returns the number of bytes written to
 * buf (at least 1), -ENOSPC when capacity is too small (nothing is written
 * past it), or -EINVAL for a bad argument: a count outside
 * 1..FACET_MAX_KEYPOINTS, counts of kp and ref that differ, or a value
 * outside its quantised range. */
int facet_keypoints_encode(const FacetQuantKeypoints *kp, const FacetQuantKeypoints *ref,
                           uint8_t *buf, size_t capacity);

/* Decodes `count` keypoints from buf[0..size), predicted as in
 * facet_keypoints_encode(); `size` must be the payload's exact length.
 * Returns 0, -EBADMSG when the data is corrupt (it needed bytes beyond
 * `size`, left bytes unused, or gave a value outside its quantised range) or
 * when ref->count differs from count, and -EINVAL for a bad argument (count
 * outside 1..FACET_MAX_KEYPOINTS, ref values out of range, NULL out). On
 * error *out is zeroed. Without redundancy in the payload, some corrupt data
 * decodes to valid-looking keypoints; the checks catch most of it. */
int facet_keypoints_decode(const uint8_t *buf, size_t size, int count,
                           const FacetQuantKeypoints *ref, FacetQuantKeypoints *out);

/* Largest number of bytes facet_keypoints_encode() can produce for `count`
 * keypoints: a buffer this size never gives -ENOSPC. */
size_t facet_keypoints_max_coded_size(int count);

#endif /* FACET_KEYPOINTS_KEYPOINT_CODING_H */
