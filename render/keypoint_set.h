/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The keypoints the networks exchange: K positions with 2x2 Jacobians, in
 * floating point. The detector (keypoints/) produces them, the renderer
 * consumes them and keypoints/keypoint_coding.h quantises them for the
 * bitstream; the type lives here, at the bottom of the layering, so that
 * render/ needs nothing from above it.
 */
#ifndef FACET_RENDER_KEYPOINT_SET_H
#define FACET_RENDER_KEYPOINT_SET_H

#define FACET_MAX_KEYPOINTS 64

typedef struct FacetKeypoint {
    float x, y;              /* normalised position in [-1, 1], x to the right, y down */
    float jacobian[2][2];    /* [row][column] */
} FacetKeypoint;

typedef struct FacetKeypointSet {
    int count;               /* 1..FACET_MAX_KEYPOINTS */
    FacetKeypoint points[FACET_MAX_KEYPOINTS];
} FacetKeypointSet;

/* 0 when `kp` holds `count` keypoints with finite values, else -EINVAL
 * (NULL, another count, a NaN or an infinity). */
int facet_keypoint_set_check(const FacetKeypointSet *kp, int count);

/* The local motion of one keypoint (FacetV1's sparse motion): a point z of
 * the frame maps to ref + J (z - cur) in the keyframe, with
 * J = J_ref inv(J_cur), the inverse's |det| floored at det_eps. */
void facet_keypoint_motion_jacobian(const FacetKeypoint *ref, const FacetKeypoint *cur,
                                    float det_eps, float j[2][2]);

#endif /* FACET_RENDER_KEYPOINT_SET_H */
