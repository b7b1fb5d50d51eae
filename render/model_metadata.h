/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reading and checking a model file's metadata (internal to libfacet): the
 * checks both networks' loaders share (render/network.c for the keypoint
 * tier, render/latent_network.c for the latent tier), so a bad model file
 * gets the same kind of message whichever network it claims to be. Every
 * failure writes "PATH: what is wrong" into the loader's error buffer and
 * returns -EBADMSG; values from the file are quoted short and printable.
 */
#ifndef FACET_RENDER_MODEL_METADATA_H
#define FACET_RENDER_MODEL_METADATA_H

#include <stddef.h>
#include <stdint.h>

#include "render/safetensors.h"

struct cJSON;

typedef struct FacetModelLoader {
    const FacetModelFile *file;
    const char *path;     /* as opened, for messages */
    char *error;          /* may be NULL */
    size_t error_size;
} FacetModelLoader;

/* printf into error[error_size] (nothing when error is NULL or empty). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void facet_model_error(char *error, size_t error_size, const char *format, ...);

/* `value` as it may appear in a message: at most 64 characters, control
 * characters as '?', "..." when cut. */
void facet_model_quote_value(char out[68], const char *value);

/* The value of metadata `key`, or NULL with "no metadata 'key'". */
const char *facet_model_require_metadata(const FacetModelLoader *l, const char *key);
/* Metadata `key` must be exactly `expected` (what this runtime implements). */
int facet_model_require_value(const FacetModelLoader *l, const char *key, const char *expected);
/* Metadata `key` as a decimal integer in [lo, hi], the whole string. */
int facet_model_metadata_int(const FacetModelLoader *l, const char *key, int lo, int hi,
                             int *out);
/* Metadata `model_id`: exactly 8 hex digits. */
int facet_model_parse_id(const FacetModelLoader *l, uint32_t *out);

/* config[key], an integer in [lo, hi]. */
int facet_model_config_int(const FacetModelLoader *l, const struct cJSON *config,
                           const char *key, int lo, int hi, int *out);
/* config[key], a list of channel counts in 1..max_channels: exactly
 * exact_len of them when exact_len > 0, else 1..max_len; *len (when not
 * NULL) gets the count. */
int facet_model_config_list(const FacetModelLoader *l, const struct cJSON *config,
                            const char *key, int exact_len, int max_len, int max_channels,
                            int *out, int *len);

#endif /* FACET_RENDER_MODEL_METADATA_H */
