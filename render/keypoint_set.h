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

#endif /* FACET_RENDER_KEYPOINT_SET_H */
