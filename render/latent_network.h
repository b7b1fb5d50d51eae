/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's network as loaded from a model file (internal to
 * libfacet): the weights of train/latent_model.py's LatentUpsampler
 * (ReferenceEncoder, motion U-Net, heads, fusion) from a safetensors file
 * written by train/latent_export.py. Opening checks the metadata
 * (architecture facet-latent-v1, format version, model id, config, scales,
 * the sampling conventions) and loads every convolution with the exact
 * shape the config implies, so a file of another architecture or config
 * fails with the key or tensor named. Read-only once open: any number of
 * latent renderers (render/latent_renderer.h, the Vulkan one) may share it.
 * docs/latent-network.md maps the C code onto latent_model.py.
 */
#ifndef FACET_RENDER_LATENT_NETWORK_H
#define FACET_RENDER_LATENT_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "render/hourglass.h"
#include "render/layers.h"
#include "render/ops.h"
#include "render/safetensors.h"

#define FACET_LATENT_ARCHITECTURE "facet-latent-v1"
#define FACET_LATENT_FORMAT_VERSION "1"

/* Bounds on the config, checked at open (keep every size far from
 * overflow), and on the frame: sides up to FACET_LATENT_MAX_SIDE. */
#define FACET_LATENT_MAX_CHANNELS 1024
#define FACET_LATENT_MAX_RES_BLOCKS 16
#define FACET_LATENT_MAX_SIDE 4096

/* LatentUpsampler's constructor arguments (the `config` metadata, JSON). */
typedef struct FacetLatentConfig {
    int feat_ch;                                     /* reference detail features */
    int motion_levels, motion_chs[FACET_HOURGLASS_MAX_LEVELS];
    int ctx_ch;                                      /* motion context at S/2 */
    int width;                                       /* fusion width */
    int num_res;                                     /* fusion residual blocks */
    int highpass;  /* 0, or h: what the network adds loses its average over
                    * h*r x h*r blocks (optional key; 0 in the first model) */
} FacetLatentConfig;

typedef struct FacetLatentNetwork {
    char *path;                 /* as opened, for messages */
    FacetLatentConfig config;
    uint32_t model_id;          /* `model_id`, 8 hex digits */
    unsigned scales;            /* bit r set for each scale r of `scales` (2, 4) */
    int size_multiple;          /* frame sides must be multiples of it (32 by default) */

    struct {                    /* ReferenceEncoder */
        FacetConv2d c0, c1, c2; /* 3x3 s2 ReLU, 3x3 ReLU, 1x1 */
    } encoder;
    FacetHourglass motion;      /* UNet(6, motion_chs) at S/4 */
    FacetConv2d motion_head;    /* flow (2) and confidence logit (1) */
    FacetConv2d context;        /* 1x1, ctx_ch */
    FacetConv2d fuse_in;        /* 3x3 ReLU, 3 + feat_ch + 1 + ctx_ch -> width */
    FacetConv2d res_a[FACET_LATENT_MAX_RES_BLOCKS], res_b[FACET_LATENT_MAX_RES_BLOCKS];
    FacetConv2d head;           /* 3x3, width -> 16: 12 residual + 4 gate, at S/2 */
} FacetLatentNetwork;

/* Opens the model file at `path` and loads the network. 0 and *out set, or
 * a negative errno and *out = NULL: the model file loader's codes (-ENOENT,
 * -EBADMSG for a corrupt file...) and -EBADMSG for a valid safetensors file
 * that is not a usable facet-latent-v1 model (wrong architecture or
 * format_version, missing or malformed metadata, config out of bounds, a
 * missing tensor, a tensor of the wrong shape or dtype, a tensor the
 * architecture does not have). The message (file and key or tensor named)
 * goes into error[0..error_size), NUL-terminated; error may be NULL. */
int facet_latent_network_open(FacetLatentNetwork **out, const char *path, char *error,
                              size_t error_size);
/* As above, on a model file in memory (copied); `name` stands for the path. */
int facet_latent_network_open_memory(FacetLatentNetwork **out, const void *bytes, size_t size,
                                     const char *name, char *error, size_t error_size);
/* As above, on an opened model file (not closed). */
int facet_latent_network_load(FacetLatentNetwork **out, const FacetModelFile *file, char *error,
                              size_t error_size);
/* NULL-safe; sets *net = NULL. */
void facet_latent_network_close(FacetLatentNetwork **net);

/* 1 when the network runs on width x height frames at scale r: r one of
 * the file's scales, both sides positive multiples of size_multiple (the
 * U-Net at S/4 halves levels - 1 times) and at most FACET_LATENT_MAX_SIDE. */
int facet_latent_network_supports(const FacetLatentNetwork *net, int width, int height, int r);

/* Multiply-adds of one frame (per-frame phase) at width x height, x 2 =
 * FLOP (convolutions only; the rest is < 3 %). */
double facet_latent_network_frame_macs(const FacetLatentNetwork *net, int width, int height);

#endif /* FACET_RENDER_LATENT_NETWORK_H */
