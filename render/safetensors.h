/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Model files: the safetensors format (docs/model-file.md).
 *
 * facet_model_file_open() reads the whole file and validates all of it up
 * front (header, every tensor entry, the data layout), so the load functions
 * only look entries up and convert. Tensors are handed out as float32 whatever
 * their stored type (F32, F16 or BF16). A model file comes from outside the
 * library: every failure is a negative errno plus a message that names the
 * file and, where there is one, the tensor.
 */
#ifndef FACET_RENDER_SAFETENSORS_H
#define FACET_RENDER_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "render/tensor.h"

/* Largest JSON header accepted, bytes. A model with a few hundred tensors
 * needs a few tens of KiB; the bound caps what a hostile header can make the
 * JSON parser allocate. */
#define FACET_MODEL_FILE_MAX_HEADER (16u << 20)
/* Most JSON values (numbers, strings, arrays, objects) in a header: about a
 * dozen per tensor, so room for 80000 tensors; it bounds the parser's memory
 * to well under 100 MiB whatever the header holds. */
#define FACET_MODEL_FILE_MAX_JSON_VALUES (1u << 20)
/* Largest file accepted, bytes: the whole file is read into memory. */
#define FACET_MODEL_FILE_MAX_SIZE (1ull << 30)
/* Most dimensions a tensor entry may have, and the largest single dimension. */
#define FACET_MODEL_FILE_MAX_DIMS 8
#define FACET_MODEL_FILE_MAX_DIM INT32_MAX

typedef struct FacetModelFile FacetModelFile;

/* What the header says about one tensor. Pointers stay valid until the file
 * is closed. */
typedef struct FacetModelTensorInfo {
    const char *name;
    const char *dtype;          /* as written in the file, e.g. "F32" */
    int ndim;                   /* 0 (a scalar) .. FACET_MODEL_FILE_MAX_DIMS */
    int64_t shape[FACET_MODEL_FILE_MAX_DIMS];
    uint64_t size;              /* bytes of data */
} FacetModelTensorInfo;

/* Opens `path`, reads it into memory and validates it. Returns 0 and sets
 * *out, or a negative errno and sets *out = NULL: -ENOENT (no such file),
 * -EBADMSG (corrupt, truncated or not a safetensors file), -EFBIG (larger
 * than FACET_MODEL_FILE_MAX_SIZE), -ENOMEM, -EINVAL (bad argument or not a
 * regular file), or another -errno from open()/read(). On failure a message
 * naming the file and the problem goes into error[0..error_size), always
 * NUL-terminated; error may be NULL. */
int facet_model_file_open(FacetModelFile **out, const char *path, char *error,
                          size_t error_size);

/* As facet_model_file_open(), on a copy of bytes[0..size) (a fuzz target's
 * input, a model embedded in a program); `name` stands for the path in
 * messages. Returns the same codes, less the file-system ones. */
int facet_model_file_open_memory(FacetModelFile **out, const void *bytes, size_t size,
                                 const char *name, char *error, size_t error_size);

/* Frees the file; NULL-safe (file and *file), sets *file = NULL. */
void facet_model_file_close(FacetModelFile **file);

/* The path the file was opened with (the name, for open_memory). */
const char *facet_model_file_path(const FacetModelFile *file);

/* Value of `key` in the __metadata__ block, or NULL when absent. */
const char *facet_model_file_metadata(const FacetModelFile *file, const char *key);

/* Number of tensors, and the name of tensor i (0 <= i < count; NULL
 * otherwise). Tensors are listed in byte-wise ascending order of name. */
int facet_model_file_tensor_count(const FacetModelFile *file);
const char *facet_model_file_tensor_name(const FacetModelFile *file, int i);

/* Looks tensor `name` up. Returns 0 and fills *info, -ENOENT when there is
 * no such tensor, -EINVAL for a NULL argument. */
int facet_model_file_tensor_info(const FacetModelFile *file, const char *name,
                                 FacetModelTensorInfo *info);

/* Loads tensor `name` as float32 in C order. Its shape must be exactly
 * shape[0..ndim) (0 <= ndim <= FACET_MODEL_FILE_MAX_DIMS, every dim >= 1)
 * and its dtype F32, F16 or BF16. On success *data is a new array of *count
 * floats (64-byte aligned; release it with free()). Returns 0, -ENOENT (no
 * such tensor), -EBADMSG (wrong dtype or shape), -EINVAL (bad argument),
 * -ENOMEM; on failure *data = NULL, *count = 0 and the message names the
 * file and the tensor, e.g. "models/facet-256.safetensors: tensor
 * 'decoder.conv1.weight' has shape [64,32,3,3], expected [64,64,3,3]". */
int facet_model_file_load_raw(const FacetModelFile *file, const char *name, int ndim,
                              const int64_t *shape, float **data, size_t *count,
                              char *error, size_t error_size);

/* As facet_model_file_load_raw(), for 1 <= ndim <= 4, into a new owned
 * FacetTensor. The shape maps right-aligned onto (c, h, w), and dimensions
 * in front of the last three multiply into c:
 *   [w] -> (1, 1, w)      [h, w] -> (1, h, w)      [c, h, w] -> (c, h, w)
 *   [n, c, h, w] -> (n * c, h, w)
 * so the memory order is the file's C order in every case. Returns the same
 * codes as load_raw, plus -EINVAL when n * c does not fit in an int. On
 * failure *tensor is zeroed. */
int facet_model_file_load_tensor(const FacetModelFile *file, const char *name, int ndim,
                                 const int64_t *shape, FacetTensor *tensor, char *error,
                                 size_t error_size);

/* IEEE 754 binary16 and bfloat16 bit patterns to float, exactly (every half
 * value, subnormals, infinities and NaN payloads included; a signalling NaN
 * comes back quiet, as hardware converters do). */
float facet_half_to_float(uint16_t bits);
float facet_bfloat16_to_float(uint16_t bits);

#endif /* FACET_RENDER_SAFETENSORS_H */
