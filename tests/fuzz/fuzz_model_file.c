/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target over the model-file parser: any bytes handed to
 * facet_model_file_open_memory() get an error or a file whose every tensor
 * can be listed and loaded (or refused) without a crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "render/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FacetModelFile *file = NULL;
    char error[256];
    if (facet_model_file_open_memory(&file, data, size, "fuzz", error, sizeof(error)) < 0)
        return 0;
    int count = facet_model_file_tensor_count(file);
    for (int i = 0; i < count; i++) {
        const char *name = facet_model_file_tensor_name(file, i);
        FacetModelTensorInfo info;
        if (!name || facet_model_file_tensor_info(file, name, &info) < 0)
            continue;
        /* Load with the shape the file declares, so valid data is read. */
        int ndim = info.ndim;
        int64_t shape[FACET_MODEL_FILE_MAX_DIMS];
        int usable = 1;
        for (int d = 0; d < ndim; d++) {
            shape[d] = info.shape[d];
            usable &= shape[d] >= 1;
        }
        if (!usable || info.size > (1u << 20))
            continue;
        float *values = NULL;
        size_t n = 0;
        if (facet_model_file_load_raw(file, name, ndim, shape, &values, &n, error,
                                      sizeof(error)) == 0)
            free(values);
    }
    facet_model_file_metadata(file, "architecture");
    facet_model_file_close(&file);
    return 0;
}
