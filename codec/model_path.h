/* SPDX-License-Identifier: BSD-2-Clause */
/* Which model file an encoder or decoder uses (see model_path in facet.h). */
#ifndef FACET_CODEC_MODEL_PATH_H
#define FACET_CODEC_MODEL_PATH_H

/* Resolves the model_path setting. Sets *path to a malloc'd path the caller
 * frees, or to NULL for "no model". Returns 0 or -ENOMEM. */
int facet_model_path_resolve(const char *setting, char **path);

#include <stdint.h>

/* Most files facet_model_path_find() looks at, all folders together. */
#define FACET_MODEL_SEARCH_MAX_FILES 256

/* Finds the model file whose metadata model_id is `model_id`, for a decoder
 * left to its implicit default: looks, in order, in each folder of
 * $FACET_MODEL_PATH (colon-separated), the installed models folder (that of
 * facet_default_model_path()) and the source tree's models/, at the regular
 * files named *.safetensors, at most FACET_MODEL_SEARCH_MAX_FILES of them
 * and each within the loader's size limit. Sets *path to a malloc'd path the
 * caller frees, or to NULL when no file matched. Returns 0 or -ENOMEM. */
int facet_model_path_find(uint32_t model_id, char **path);

#endif /* FACET_CODEC_MODEL_PATH_H */
