/* Which model file an encoder or decoder uses (see model_path in facet.h). */
#ifndef FACET_CODEC_MODEL_PATH_H
#define FACET_CODEC_MODEL_PATH_H

/* Resolves the model_path setting. Sets *path to a malloc'd path the caller
 * frees, or to NULL for "no model". Returns 0 or -ENOMEM. */
int facet_model_path_resolve(const char *setting, char **path);

#endif /* FACET_CODEC_MODEL_PATH_H */
