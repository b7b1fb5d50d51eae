/* SPDX-License-Identifier: BSD-2-Clause */
/* Keypoint-set checks and the per-keypoint motion both renderers (CPU and
 * Vulkan) derive from a keyframe's and a frame's keypoints. */
#include "render/keypoint_set.h"

#include <errno.h>
#include <math.h>

int facet_keypoint_set_check(const FacetKeypointSet *kp, int count)
{
    if (!kp || kp->count != count)
        return -EINVAL;
    for (int i = 0; i < kp->count; i++) {
        const FacetKeypoint *p = &kp->points[i];
        if (!isfinite(p->x) || !isfinite(p->y) || !isfinite(p->jacobian[0][0]) ||
            !isfinite(p->jacobian[0][1]) || !isfinite(p->jacobian[1][0]) ||
            !isfinite(p->jacobian[1][1]))
            return -EINVAL;
    }
    return 0;
}

/* model.py's inverse_2x2: analytic inverse with |det| floored at eps, so
 * that a degenerate Jacobian from the network (or the wire) gives a large
 * but finite motion instead of infinities. */
static void inverse_2x2(const float m[2][2], float eps, float inv[2][2])
{
    float a = m[0][0], b = m[0][1], c = m[1][0], d = m[1][1];
    float det = a * d - b * c;
    if (det >= 0.0f)
        det = det < eps ? eps : det;
    else
        det = det > -eps ? -eps : det;
    inv[0][0] = d / det;
    inv[0][1] = -b / det;
    inv[1][0] = -c / det;
    inv[1][1] = a / det;
}

void facet_keypoint_motion_jacobian(const FacetKeypoint *ref, const FacetKeypoint *cur,
                                    float det_eps, float j[2][2])
{
    float inv[2][2];
    inverse_2x2(cur->jacobian, det_eps, inv);
    for (int row = 0; row < 2; row++)
        for (int col = 0; col < 2; col++)
            j[row][col] = ref->jacobian[row][0] * inv[0][col] + ref->jacobian[row][1] * inv[1][col];
}
