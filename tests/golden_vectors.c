/* SPDX-License-Identifier: BSD-2-Clause */
#include "golden_vectors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

const char *golden_path(void)
{
    const char *env = getenv("FACET_TEST_GOLDEN");
    return env && *env ? env : FACET_SOURCE_DIR "/tests/golden/network.safetensors";
}

FacetModelFile *golden_open(void)
{
    char error[512];
    FacetModelFile *file = NULL;
    int ret = facet_model_file_open(&file, golden_path(), error, sizeof(error));
    ck_assert_msg(ret == 0, "cannot load the golden vectors: %s", error);
    return file;
}

float *golden_floats(const FacetModelFile *file, const char *name, int ndim, const int64_t *shape)
{
    char error[512];
    float *data = NULL;
    size_t count;
    int ret = facet_model_file_load_raw(file, name, ndim, shape, &data, &count, error,
                                        sizeof(error));
    ck_assert_msg(ret == 0, "%s", error);
    return data;
}

FacetTensor golden_tensor(const FacetModelFile *file, const char *name, int c, int h, int w)
{
    char error[512];
    FacetTensor t;
    const int64_t shape[4] = {1, c, h, w};
    int ret = facet_model_file_load_tensor(file, name, 4, shape, &t, error, sizeof(error));
    ck_assert_msg(ret == 0, "%s", error);
    return t;
}

FacetKeypointSet golden_keypoints(const FacetModelFile *file, const char *prefix, int k)
{
    char vname[128], jname[128];
    snprintf(vname, sizeof(vname), "%s.value", prefix);
    snprintf(jname, sizeof(jname), "%s.jacobian", prefix);
    const int64_t vshape[3] = {1, k, 2}, jshape[4] = {1, k, 2, 2};
    float *v = golden_floats(file, vname, 3, vshape);
    float *j = golden_floats(file, jname, 4, jshape);
    FacetKeypointSet set;
    memset(&set, 0, sizeof(set));
    set.count = k;
    for (int i = 0; i < k; i++) {
        set.points[i].x = v[2 * i];
        set.points[i].y = v[2 * i + 1];
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 2; c++)
                set.points[i].jacobian[r][c] = j[4 * i + 2 * r + c];
    }
    free(v);
    free(j);
    return set;
}
