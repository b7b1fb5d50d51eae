/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Facet v1 network as loaded from a model file (internal to libfacet).
 *
 * A FacetNetwork is the weights of train/model.py's FacetV1 (keypoint
 * detector, reference encoder, dense motion, decoder) read from a
 * safetensors file written by train/export.py, with BatchNorm already folded
 * into the convolutions. Opening checks the metadata (architecture, format
 * version, K, S, config) and loads every convolution with the exact shape
 * the config implies, so a file of another architecture or size fails with
 * the offending key or tensor named. A network is read-only once open: any
 * number of detectors and renderers (render/renderer.h,
 * keypoints/detector.h) may share it, on any threads. docs/renderer.md maps
 * the C code onto model.py.
 */
#ifndef FACET_RENDER_NETWORK_H
#define FACET_RENDER_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "render/hourglass.h"
#include "render/layers.h"
#include "render/ops.h"
#include "render/safetensors.h"
#include "render/tensor.h"

/* The `architecture` metadata value this code implements, and the
 * `format_version` it reads. */
#define FACET_NETWORK_ARCHITECTURE "facet-fomm-v1"
#define FACET_NETWORK_FORMAT_VERSION "1"

/* Bounds on the config, checked at open: they keep every buffer size far
 * from overflow whatever a file says. */
#define FACET_NETWORK_MAX_CHANNELS 1024
#define FACET_NETWORK_MAX_RES_BLOCKS 16
#define FACET_NETWORK_MAX_SIZE 4096
/* Most keypoints (K): FACET_MAX_KEYPOINTS of render/keypoint_set.h (the
 * renderer and detector check at compile time that the two agree). */
#define FACET_NETWORK_MAX_KEYPOINTS 64

/* FacetV1's constructor arguments (the `config` metadata, JSON). */
typedef struct FacetNetworkConfig {
    int num_kp;                                  /* K */
    int kp_levels, kp_chs[FACET_HOURGLASS_MAX_LEVELS];   /* detector hourglass */
    int dm_levels, dm_chs[FACET_HOURGLASS_MAX_LEVELS];   /* dense motion hourglass */
    int enc_chs[3];                              /* reference encoder e0, e1, e2/e3 */
    int feat_chs[3];                             /* f0, f1, f2 (and decoder widths) */
    int num_res;                                 /* decoder residual blocks */
} FacetNetworkConfig;

typedef struct FacetNetwork {
    char *path;                  /* as opened, for messages */
    FacetNetworkConfig config;
    uint32_t model_id;           /* `model_id`, 8 hex digits */
    int size;                    /* `model_size`: S the model was trained/exported for */
    int size_multiple;           /* sizes a detector or renderer accepts are multiples of it */
    float heatmap_temperature;   /* soft-argmax softmax temperature */
    float gaussian_variance;     /* keypoint heatmaps of DenseMotion */
    float jacobian_det_eps;      /* |det| floor of the 2x2 inverse */

    struct {                     /* KeypointDetector */
        FacetHourglass hourglass;
        FacetConv2d heatmap;     /* k7, K outputs */
        FacetConv2d jacobian;    /* k3, 4K outputs */
    } detector;
    struct {                     /* ReferenceEncoder */
        FacetConv2d e0, e1, e2, e3, p0, p1, p2;
    } encoder;
    struct {                     /* DenseMotion */
        FacetHourglass hourglass;
        FacetConv2d heads;       /* K+1 mask logits, then the occlusion logit */
    } dense_motion;
    struct {                     /* Decoder */
        FacetConv2d res_a[FACET_NETWORK_MAX_RES_BLOCKS];
        FacetConv2d res_b[FACET_NETWORK_MAX_RES_BLOCKS];
        FacetConv2d up1, up0;
        FacetConv2d out;         /* sigmoid fused */
    } decoder;
} FacetNetwork;

/* Opens the model file at `path` and loads the network. Returns 0 and sets
 * *out, or a negative errno and sets *out = NULL: the model file loader's
 * codes (-ENOENT no such file, -EBADMSG corrupt/truncated, ...) and, for a
 * valid safetensors file that is not a usable Facet v1 model, -EBADMSG
 * (wrong architecture, unsupported format_version, missing or malformed
 * metadata, a config out of bounds, a missing tensor, a tensor of the wrong
 * shape or dtype, a tensor the architecture does not have). A message naming
 * the file and the key or tensor goes into error[0..error_size), always
 * NUL-terminated; error may be NULL. */
int facet_network_open(FacetNetwork **out, const char *path, char *error, size_t error_size);

/* As facet_network_open() on a model file held in memory (copied); `name`
 * stands for the path in messages. */
int facet_network_open_memory(FacetNetwork **out, const void *bytes, size_t size,
                              const char *name, char *error, size_t error_size);

/* As facet_network_open() on an already opened model file (not closed). */
int facet_network_load(FacetNetwork **out, const FacetModelFile *file, char *error,
                       size_t error_size);

/* Frees the network; NULL-safe, sets *net = NULL. */
void facet_network_close(FacetNetwork **net);

static inline uint32_t facet_network_model_id(const FacetNetwork *net) { return net->model_id; }
static inline int facet_network_size(const FacetNetwork *net) { return net->size; }
static inline int facet_network_num_keypoints(const FacetNetwork *net)
{
    return net->config.num_kp;
}

/* 1 when a detector or renderer can run at `size` x `size`: a positive
 * multiple of net->size_multiple, at most FACET_NETWORK_MAX_SIZE. */
int facet_network_size_supported(const FacetNetwork *net, int size);

/* The helpers its users share (conv loading, views, the arena) are in
 * render/layers.h. */

#endif /* FACET_RENDER_NETWORK_H */
