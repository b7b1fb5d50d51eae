/* SPDX-License-Identifier: BSD-2-Clause */
/* Loading the latent tier's network; see latent_network.h and
 * docs/latent-network.md. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "render/latent_network.h"

#include "render/model_metadata.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef FacetModelLoader Loader;

/* `scales`: a comma-separated list of 2 and 4, each at most once. */
static int parse_scales(const Loader *l, unsigned *out)
{
    const char *text = facet_model_require_metadata(l, "scales");
    if (!text)
        return -EBADMSG;
    unsigned mask = 0;
    const char *p = text;
    for (;;) {
        if ((*p != '2' && *p != '4') || (mask & (1u << (*p - '0'))))
            goto bad;
        mask |= 1u << (*p - '0');
        p++;
        if (!*p)
            break;
        if (*p++ != ',')
            goto bad;
    }
    *out = mask;
    return 0;
bad:;
    char q[68];
    facet_model_quote_value(q, text);
    facet_model_error(l->error, l->error_size,
                      "%s: metadata 'scales' is '%s', expected '2', '4' or '2,4'", l->path, q);
    return -EBADMSG;
}

/* The high-pass of what the network adds (latent_model.py): absent in
 * the first model's config (0, none), else the pool factor per unit of r,
 * a power of two so 2x2 average pools make it. */
static int config_highpass(const Loader *l, const cJSON *config, int *out)
{
    *out = 0;
    if (!cJSON_GetObjectItemCaseSensitive(config, "highpass"))
        return 0;
    int ret = facet_model_config_int(l, config, "highpass", 0, 4, out);
    if (ret == 0 && *out == 3) {
        facet_model_error(l->error, l->error_size,
                          "%s: config 'highpass' must be 0, 1, 2 or 4", l->path);
        return -EBADMSG;
    }
    return ret;
}

static int parse_config(const Loader *l, FacetLatentConfig *c)
{
    const char *text = facet_model_require_metadata(l, "config");
    if (!text)
        return -EBADMSG;
    cJSON *config = cJSON_Parse(text);
    if (!config || !cJSON_IsObject(config)) {
        cJSON_Delete(config);
        facet_model_error(l->error, l->error_size,
                          "%s: metadata 'config' is not a JSON object", l->path);
        return -EBADMSG;
    }
    const int M = FACET_LATENT_MAX_CHANNELS;
    int ret;
    memset(c, 0, sizeof(*c));
    (void)((ret = facet_model_config_int(l, config, "feat_ch", 1, M, &c->feat_ch)) < 0 ||
           (ret = facet_model_config_list(l, config, "motion_chs", 0,
                                          FACET_HOURGLASS_MAX_LEVELS, M, c->motion_chs,
                                          &c->motion_levels)) < 0 ||
           (ret = facet_model_config_int(l, config, "ctx_ch", 1, M, &c->ctx_ch)) < 0 ||
           (ret = facet_model_config_int(l, config, "width", 1, M, &c->width)) < 0 ||
           (ret = facet_model_config_int(l, config, "num_res", 0, FACET_LATENT_MAX_RES_BLOCKS,
                                         &c->num_res)) < 0 ||
           (ret = config_highpass(l, config, &c->highpass)) < 0);
    cJSON_Delete(config);
    return ret;
}

/* Tensor names the architecture has with this config. */
static int expected_tensor(const FacetLatentNetwork *net, const char *name)
{
    static const char *const fixed[] = {"encoder.c0", "encoder.c1", "encoder.c2", "motion_head",
                                        "context",    "fuse_in",    "head"};
    const FacetLatentConfig *c = &net->config;
    char buf[256];
    for (int suffix = 0; suffix < 2; suffix++) {
        const char *s = suffix ? "bias" : "weight";
        for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
            snprintf(buf, sizeof(buf), "%s.%s", fixed[i], s);
            if (!strcmp(buf, name))
                return 1;
        }
        for (int i = 0; i < c->motion_levels; i++) {
            snprintf(buf, sizeof(buf), "motion.down.%d.%s", i, s);
            if (!strcmp(buf, name))
                return 1;
            snprintf(buf, sizeof(buf), "motion.up.%d.%s", i, s);
            if (i < c->motion_levels - 1 && !strcmp(buf, name))
                return 1;
        }
        for (int i = 0; i < c->num_res; i++) {
            snprintf(buf, sizeof(buf), "res.%d.a.%s", i, s);
            if (!strcmp(buf, name))
                return 1;
            snprintf(buf, sizeof(buf), "res.%d.b.%s", i, s);
            if (!strcmp(buf, name))
                return 1;
        }
    }
    return 0;
}

static int load_weights(FacetLatentNetwork *net, const Loader *l)
{
    const FacetModelFile *f = l->file;
    const FacetLatentConfig *c = &net->config;
    char *e = l->error;
    size_t es = l->error_size;
    int ret, F = c->feat_ch, m0 = c->motion_chs[0];

#define CONV(dst, name, o, i, k, s, act)                                                      \
    do {                                                                                      \
        if ((ret = facet_network_load_conv(dst, f, name, o, i, k, s, act, e, es)) < 0)        \
            return ret;                                                                       \
    } while (0)

    CONV(&net->encoder.c0, "encoder.c0", F, 3, 3, 2, FACET_ACT_RELU);
    CONV(&net->encoder.c1, "encoder.c1", F, F, 3, 1, FACET_ACT_RELU);
    CONV(&net->encoder.c2, "encoder.c2", F, F, 1, 1, FACET_ACT_NONE);
    /* The motion net's input: the low-resolution frame and the reference,
     * both at S/4. */
    if ((ret = facet_hourglass_load(&net->motion, f, "motion", 6, c->motion_chs, c->motion_levels,
                                    e, es)) < 0)
        return ret;
    CONV(&net->motion_head, "motion_head", 3, m0, 3, 1, FACET_ACT_NONE);
    CONV(&net->context, "context", c->ctx_ch, m0, 1, 1, FACET_ACT_NONE);
    CONV(&net->fuse_in, "fuse_in", c->width, 3 + F + 1 + c->ctx_ch, 3, 1, FACET_ACT_RELU);
    char name[64];
    for (int i = 0; i < c->num_res; i++) {
        snprintf(name, sizeof(name), "res.%d.a", i);
        CONV(&net->res_a[i], name, c->width, c->width, 3, 1, FACET_ACT_RELU);
        snprintf(name, sizeof(name), "res.%d.b", i);
        CONV(&net->res_b[i], name, c->width, c->width, 3, 1, FACET_ACT_NONE);
    }
    CONV(&net->head, "head", 16, c->width, 3, 1, FACET_ACT_NONE);
#undef CONV

    int count = facet_model_file_tensor_count(f);
    for (int i = 0; i < count; i++) {
        const char *name_i = facet_model_file_tensor_name(f, i);
        if (!expected_tensor(net, name_i)) {
            char q[68];
            facet_model_quote_value(q, name_i);
            facet_model_error(e, es,
                              "%s: tensor '%s' is not part of the %s architecture with this config",
                              l->path, q, FACET_LATENT_ARCHITECTURE);
            return -EBADMSG;
        }
    }
    return 0;
}

int facet_latent_network_load(FacetLatentNetwork **out, const FacetModelFile *file, char *error,
                              size_t error_size)
{
    if (error && error_size)
        error[0] = '\0';
    if (!out || !file) {
        facet_model_error(error, error_size, "facet_latent_network_load: %s is NULL",
                          out ? "file" : "out");
        return -EINVAL;
    }
    *out = NULL;
    const char *path = facet_model_file_path(file);
    Loader l = {file, path, error, error_size};
    FacetLatentNetwork *net = calloc(1, sizeof(*net));
    if (!net || !(net->path = strdup(path))) {
        free(net);
        facet_model_error(error, error_size, "%s: out of memory", path);
        return -ENOMEM;
    }
    int ret = -EBADMSG;
    const char *arch = facet_model_require_metadata(&l, "architecture");
    if (!arch)
        goto error;
    if (strcmp(arch, FACET_LATENT_ARCHITECTURE)) {
        char q[68];
        facet_model_quote_value(q, arch);
        facet_model_error(error, error_size, "%s: architecture '%s' is not %s", path, q,
                          FACET_LATENT_ARCHITECTURE);
        goto error;
    }
    /* The sampling conventions are part of the contract: a model trained
     * with others would run here and give wrong pictures. */
    if ((ret = facet_model_require_value(&l, "format_version", FACET_LATENT_FORMAT_VERSION)) < 0 ||
        (ret = facet_model_parse_id(&l, &net->model_id)) < 0 ||
        (ret = parse_config(&l, &net->config)) < 0 || (ret = parse_scales(&l, &net->scales)) < 0 ||
        (ret = facet_model_require_value(&l, "grid_sample_mode", "bilinear")) < 0 ||
        (ret = facet_model_require_value(&l, "grid_sample_padding", "border")) < 0 ||
        (ret = facet_model_require_value(&l, "align_corners", "false")) < 0)
        goto error;
    net->size_multiple = 4 << (net->config.motion_levels - 1);
    /* the high-pass pools by up to highpass * 4 (r = 4); powers of two */
    if (net->config.highpass * 4 > net->size_multiple)
        net->size_multiple = net->config.highpass * 4;
    if ((ret = load_weights(net, &l)) < 0)
        goto error;
    *out = net;
    return 0;

error:
    facet_latent_network_close(&net);
    return ret;
}

int facet_latent_network_open(FacetLatentNetwork **out, const char *path, char *error,
                              size_t error_size)
{
    if (out)
        *out = NULL;
    if (!out || !path) {
        facet_model_error(error, error_size, "facet_latent_network_open: %s is NULL",
                          out ? "path" : "out");
        return -EINVAL;
    }
    FacetModelFile *file;
    int ret = facet_model_file_open(&file, path, error, error_size);
    if (ret < 0)
        return ret;
    ret = facet_latent_network_load(out, file, error, error_size);
    facet_model_file_close(&file);
    return ret;
}

int facet_latent_network_open_memory(FacetLatentNetwork **out, const void *bytes, size_t size,
                                     const char *name, char *error, size_t error_size)
{
    if (out)
        *out = NULL;
    if (!out) {
        facet_model_error(error, error_size, "facet_latent_network_open_memory: out is NULL");
        return -EINVAL;
    }
    FacetModelFile *file;
    int ret = facet_model_file_open_memory(&file, bytes, size, name, error, error_size);
    if (ret < 0)
        return ret;
    ret = facet_latent_network_load(out, file, error, error_size);
    facet_model_file_close(&file);
    return ret;
}

void facet_latent_network_close(FacetLatentNetwork **pnet)
{
    if (!pnet || !*pnet)
        return;
    FacetLatentNetwork *net = *pnet;
    facet_conv2d_free(&net->encoder.c0);
    facet_conv2d_free(&net->encoder.c1);
    facet_conv2d_free(&net->encoder.c2);
    facet_hourglass_free(&net->motion);
    facet_conv2d_free(&net->motion_head);
    facet_conv2d_free(&net->context);
    facet_conv2d_free(&net->fuse_in);
    for (int i = 0; i < FACET_LATENT_MAX_RES_BLOCKS; i++) {
        facet_conv2d_free(&net->res_a[i]);
        facet_conv2d_free(&net->res_b[i]);
    }
    facet_conv2d_free(&net->head);
    free(net->path);
    free(net);
    *pnet = NULL;
}

int facet_latent_network_supports(const FacetLatentNetwork *net, int width, int height, int r)
{
    return net && (r == 2 || r == 4) && (net->scales & (1u << r)) && width > 0 && height > 0 &&
           width <= FACET_LATENT_MAX_SIDE && height <= FACET_LATENT_MAX_SIDE &&
           width % net->size_multiple == 0 && height % net->size_multiple == 0;
}

static double conv_macs(const FacetConv2d *c, double pixels_out)
{
    return pixels_out * c->out_c * c->in_c * c->k * c->k;
}

double facet_latent_network_frame_macs(const FacetLatentNetwork *net, int width, int height)
{
    if (!net)
        return 0;
    const FacetLatentConfig *c = &net->config;
    double p4 = (double)width * height / 16, p2 = (double)width * height / 4, macs = 0;
    for (int i = 0; i < c->motion_levels; i++) {
        double level = p4 / (double)(1 << (2 * i));
        macs += conv_macs(&net->motion.down[i], level);
        if (i < c->motion_levels - 1)
            macs += conv_macs(&net->motion.up[c->motion_levels - 2 - i], level);
    }
    macs += conv_macs(&net->motion_head, p4) + conv_macs(&net->context, p4);
    macs += conv_macs(&net->fuse_in, p2) + conv_macs(&net->head, p2);
    for (int i = 0; i < c->num_res; i++)
        macs += conv_macs(&net->res_a[i], p2) + conv_macs(&net->res_b[i], p2);
    return macs;
}
