/* SPDX-License-Identifier: BSD-2-Clause */
/* Loading the Facet v1 network; see network.h and docs/renderer.md. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "render/network.h"

#include "render/model_metadata.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int facet_network_size_supported(const FacetNetwork *net, int size)
{
    return net && size > 0 && size <= FACET_NETWORK_MAX_SIZE && size % net->size_multiple == 0;
}

/* ---- metadata ---------------------------------------------------------- */

typedef FacetModelLoader Loader;

/* A finite positive number, the whole string. */
static int parse_positive(const Loader *l, const char *key, float *out)
{
    const char *text = facet_model_require_metadata(l, key);
    if (!text)
        return -EBADMSG;
    char *end;
    float v = strtof(text, &end);
    if (end == text || *end || !isfinite(v) || !(v > 0.0f)) {
        char q[68];
        facet_model_quote_value(q, text);
        facet_model_error(l->error, l->error_size,
                          "%s: metadata '%s' is '%s', expected a positive number", l->path, key, q);
        return -EBADMSG;
    }
    *out = v;
    return 0;
}

static int parse_config(const Loader *l, FacetNetworkConfig *c)
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
    const int M = FACET_NETWORK_MAX_CHANNELS, L = FACET_HOURGLASS_MAX_LEVELS;
    int ret;
    memset(c, 0, sizeof(*c));
    if ((ret = facet_model_config_int(l, config, "num_kp", 1, FACET_NETWORK_MAX_KEYPOINTS,
                                      &c->num_kp)) < 0 ||
        (ret = facet_model_config_list(l, config, "kp_chs", 0, L, M, c->kp_chs,
                                       &c->kp_levels)) < 0 ||
        (ret = facet_model_config_list(l, config, "dm_chs", 0, L, M, c->dm_chs,
                                       &c->dm_levels)) < 0 ||
        (ret = facet_model_config_list(l, config, "enc_chs", 3, 3, M, c->enc_chs, NULL)) < 0 ||
        (ret = facet_model_config_list(l, config, "feat_chs", 3, 3, M, c->feat_chs, NULL)) < 0 ||
        (ret = facet_model_config_int(l, config, "num_res", 0, FACET_NETWORK_MAX_RES_BLOCKS,
                                      &c->num_res)) < 0) {
        cJSON_Delete(config);
        return ret;
    }
    cJSON_Delete(config);
    return 0;
}

/* ---- loading ------------------------------------------------------------ */

/* Tensor names the architecture has, to refuse files with others. */
static int expected_tensor(const FacetNetwork *net, const char *name)
{
    char buf[256];
    const FacetNetworkConfig *c = &net->config;
    static const char *const fixed[] = {
        "kp_detector.heatmap", "kp_detector.jacobian", "encoder.e0", "encoder.e1",
        "encoder.e2",          "encoder.e3",           "encoder.p0", "encoder.p1",
        "encoder.p2",          "dense_motion.heads",   "decoder.up1", "decoder.up0",
        "decoder.out",
    };
    for (int suffix = 0; suffix < 2; suffix++) {
        const char *s = suffix ? "bias" : "weight";
        for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
            snprintf(buf, sizeof(buf), "%s.%s", fixed[i], s);
            if (!strcmp(buf, name))
                return 1;
        }
        for (int h = 0; h < 2; h++) {
            const char *prefix = h ? "dense_motion.hourglass" : "kp_detector.hourglass";
            int levels = h ? c->dm_levels : c->kp_levels;
            for (int i = 0; i < levels; i++) {
                snprintf(buf, sizeof(buf), "%s.down.%d.%s", prefix, i, s);
                if (!strcmp(buf, name))
                    return 1;
                snprintf(buf, sizeof(buf), "%s.up.%d.%s", prefix, i, s);
                if (i < levels - 1 && !strcmp(buf, name))
                    return 1;
            }
        }
        for (int i = 0; i < c->num_res; i++) {
            snprintf(buf, sizeof(buf), "decoder.res.%d.a.%s", i, s);
            if (!strcmp(buf, name))
                return 1;
            snprintf(buf, sizeof(buf), "decoder.res.%d.b.%s", i, s);
            if (!strcmp(buf, name))
                return 1;
        }
    }
    return 0;
}

static int load_weights(FacetNetwork *net, const Loader *l)
{
    const FacetModelFile *f = l->file;
    const FacetNetworkConfig *c = &net->config;
    char *e = l->error;
    size_t es = l->error_size;
    int K = c->num_kp, ret;

#define CONV(dst, name, o, i, k, s, act)                                                      \
    do {                                                                                      \
        if ((ret = facet_network_load_conv(dst, f, name, o, i, k, s, act, e, es)) < 0)        \
            return ret;                                                                       \
    } while (0)

    if ((ret = facet_hourglass_load(&net->detector.hourglass, f, "kp_detector.hourglass", 3,
                                    c->kp_chs, c->kp_levels, e, es)) < 0)
        return ret;
    CONV(&net->detector.heatmap, "kp_detector.heatmap", K, c->kp_chs[0], 7, 1, FACET_ACT_NONE);
    CONV(&net->detector.jacobian, "kp_detector.jacobian", 4 * K, c->kp_chs[0], 3, 1,
         FACET_ACT_NONE);

    const int *ec = c->enc_chs, *fc = c->feat_chs;
    CONV(&net->encoder.e0, "encoder.e0", ec[0], 3, 7, 1, FACET_ACT_RELU);
    CONV(&net->encoder.e1, "encoder.e1", ec[1], ec[0], 3, 2, FACET_ACT_RELU);
    CONV(&net->encoder.e2, "encoder.e2", ec[2], ec[1], 3, 2, FACET_ACT_RELU);
    CONV(&net->encoder.e3, "encoder.e3", ec[2], ec[2], 3, 1, FACET_ACT_RELU);
    CONV(&net->encoder.p0, "encoder.p0", fc[0], ec[0], 1, 1, FACET_ACT_NONE);
    CONV(&net->encoder.p1, "encoder.p1", fc[1], ec[1], 1, 1, FACET_ACT_NONE);
    CONV(&net->encoder.p2, "encoder.p2", fc[2], ec[2], 1, 1, FACET_ACT_NONE);

    int motion_in = (K + 1) * 4; /* per motion: heatmap difference + warped RGB */
    if ((ret = facet_hourglass_load(&net->dense_motion.hourglass, f, "dense_motion.hourglass",
                                    motion_in, c->dm_chs, c->dm_levels, e, es)) < 0)
        return ret;
    CONV(&net->dense_motion.heads, "dense_motion.heads", K + 2, c->dm_chs[0] + motion_in, 3, 1,
         FACET_ACT_NONE);

    char name[64];
    for (int i = 0; i < c->num_res; i++) {
        snprintf(name, sizeof(name), "decoder.res.%d.a", i);
        CONV(&net->decoder.res_a[i], name, fc[2], fc[2], 3, 1, FACET_ACT_RELU);
        snprintf(name, sizeof(name), "decoder.res.%d.b", i);
        CONV(&net->decoder.res_b[i], name, fc[2], fc[2], 3, 1, FACET_ACT_NONE);
    }
    CONV(&net->decoder.up1, "decoder.up1", fc[1], fc[2], 3, 1, FACET_ACT_RELU);
    CONV(&net->decoder.up0, "decoder.up0", fc[0], fc[1], 3, 1, FACET_ACT_RELU);
    CONV(&net->decoder.out, "decoder.out", 3, fc[0], 3, 1, FACET_ACT_SIGMOID);
#undef CONV

    int count = facet_model_file_tensor_count(f);
    for (int i = 0; i < count; i++) {
        const char *name_i = facet_model_file_tensor_name(f, i);
        if (!expected_tensor(net, name_i)) {
            char q[68];
            facet_model_quote_value(q, name_i);
            facet_model_error(e, es,
                              "%s: tensor '%s' is not part of the %s architecture with this config",
                              l->path, q, FACET_NETWORK_ARCHITECTURE);
            return -EBADMSG;
        }
    }
    return 0;
}

int facet_network_load(FacetNetwork **out, const FacetModelFile *file, char *error,
                       size_t error_size)
{
    if (error && error_size)
        error[0] = '\0';
    if (!out) {
        facet_model_error(error, error_size, "facet_network_load: out is NULL");
        return -EINVAL;
    }
    *out = NULL;
    if (!file) {
        facet_model_error(error, error_size, "facet_network_load: file is NULL");
        return -EINVAL;
    }
    const char *path = facet_model_file_path(file);
    Loader l = {file, path, error, error_size};
    FacetNetwork *net = calloc(1, sizeof(*net));
    if (!net || !(net->path = strdup(path))) {
        free(net);
        facet_model_error(error, error_size, "%s: out of memory", path);
        return -ENOMEM;
    }
    int ret = -EBADMSG;
    char q[68];

    const char *arch = facet_model_require_metadata(&l, "architecture");
    if (!arch)
        goto error;
    if (strcmp(arch, FACET_NETWORK_ARCHITECTURE)) {
        facet_model_quote_value(q, arch);
        facet_model_error(error, error_size, "%s: architecture '%s' is not %s", path, q,
                          FACET_NETWORK_ARCHITECTURE);
        goto error;
    }
    const char *version = facet_model_require_metadata(&l, "format_version");
    if (!version)
        goto error;
    if (strcmp(version, FACET_NETWORK_FORMAT_VERSION)) {
        facet_model_quote_value(q, version);
        facet_model_error(error, error_size,
                          "%s: format_version '%s' is not supported (this build reads %s)",
                          path, q, FACET_NETWORK_FORMAT_VERSION);
        goto error;
    }
    if ((ret = parse_config(&l, &net->config)) < 0)
        goto error;
    ret = -EBADMSG;
    int k;
    if (facet_model_metadata_int(&l, "num_keypoints", 1, FACET_NETWORK_MAX_KEYPOINTS, &k) < 0)
        goto error;
    if (k != net->config.num_kp) {
        facet_model_error(error, error_size,
                          "%s: metadata 'num_keypoints' is %d but config num_kp is %d",
                          path, k, net->config.num_kp);
        goto error;
    }
    if (facet_model_parse_id(&l, &net->model_id) < 0 ||
        parse_positive(&l, "heatmap_temperature", &net->heatmap_temperature) < 0 ||
        parse_positive(&l, "gaussian_variance", &net->gaussian_variance) < 0 ||
        parse_positive(&l, "jacobian_det_eps", &net->jacobian_det_eps) < 0)
        goto error;

    /* Both hourglasses run at S/4; the decoder needs S/4 whole. */
    int deepest = net->config.kp_levels > net->config.dm_levels ? net->config.kp_levels
                                                                : net->config.dm_levels;
    net->size_multiple = 4 << (deepest - 1);
    if (facet_model_metadata_int(&l, "model_size", 1, FACET_NETWORK_MAX_SIZE, &net->size) < 0)
        goto error;
    if (net->size % net->size_multiple) {
        facet_model_error(error, error_size,
                          "%s: model_size %d is not a multiple of %d",
                          path, net->size, net->size_multiple);
        goto error;
    }

    if ((ret = load_weights(net, &l)) < 0)
        goto error;
    *out = net;
    return 0;

error:
    facet_network_close(&net);
    return ret;
}

int facet_network_open(FacetNetwork **out, const char *path, char *error, size_t error_size)
{
    if (out)
        *out = NULL;
    if (!out || !path) {
        facet_model_error(error, error_size,
                          "facet_network_open: %s is NULL", out ? "path" : "out");
        return -EINVAL;
    }
    FacetModelFile *file;
    int ret = facet_model_file_open(&file, path, error, error_size);
    if (ret < 0)
        return ret;
    ret = facet_network_load(out, file, error, error_size);
    facet_model_file_close(&file);
    return ret;
}

int facet_network_open_memory(FacetNetwork **out, const void *bytes, size_t size,
                              const char *name, char *error, size_t error_size)
{
    if (out)
        *out = NULL;
    if (!out) {
        facet_model_error(error, error_size, "facet_network_open_memory: out is NULL");
        return -EINVAL;
    }
    FacetModelFile *file;
    int ret = facet_model_file_open_memory(&file, bytes, size, name, error, error_size);
    if (ret < 0)
        return ret;
    ret = facet_network_load(out, file, error, error_size);
    facet_model_file_close(&file);
    return ret;
}

void facet_network_close(FacetNetwork **pnet)
{
    if (!pnet || !*pnet)
        return;
    FacetNetwork *net = *pnet;
    facet_hourglass_free(&net->detector.hourglass);
    facet_conv2d_free(&net->detector.heatmap);
    facet_conv2d_free(&net->detector.jacobian);
    facet_conv2d_free(&net->encoder.e0);
    facet_conv2d_free(&net->encoder.e1);
    facet_conv2d_free(&net->encoder.e2);
    facet_conv2d_free(&net->encoder.e3);
    facet_conv2d_free(&net->encoder.p0);
    facet_conv2d_free(&net->encoder.p1);
    facet_conv2d_free(&net->encoder.p2);
    facet_hourglass_free(&net->dense_motion.hourglass);
    facet_conv2d_free(&net->dense_motion.heads);
    for (int i = 0; i < FACET_NETWORK_MAX_RES_BLOCKS; i++) {
        facet_conv2d_free(&net->decoder.res_a[i]);
        facet_conv2d_free(&net->decoder.res_b[i]);
    }
    facet_conv2d_free(&net->decoder.up1);
    facet_conv2d_free(&net->decoder.up0);
    facet_conv2d_free(&net->decoder.out);
    free(net->path);
    free(net);
    *pnet = NULL;
}
