/* SPDX-License-Identifier: BSD-2-Clause */
/* Model files (safetensors): round trips, half floats, and hostile files. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, ftruncate, dirent */

#include "render/safetensors.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_temp_dir.h"

/* ---- a small safetensors writer ----------------------------------------- */

static void setup_temp_dir(void)
{
    test_temp_dir_make("facet-safetensors");
}

/* Path of `name` inside the test's directory (a static buffer per call
 * site is enough: every test uses one or two at a time). */
static void temp_path(char out[PATH_MAX + 64], const char *name)
{
    snprintf(out, PATH_MAX + 64, "%s/%s", test_temp_dir, name);
}

static void write_bytes(const char *path, const void *bytes, size_t size)
{
    /* A new file each time: ext4 flushes a file that is truncated and
     * written again, which made this suite wait on the disk. */
    remove(path);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bytes, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
}

static void put_u64le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Builds header size + header + data in a new buffer. */
static uint8_t *build_file(const char *header, size_t header_len, const void *data,
                           size_t data_size, size_t *size)
{
    *size = 8 + header_len + data_size;
    uint8_t *bytes = malloc(*size ? *size : 1);
    ck_assert_ptr_nonnull(bytes);
    put_u64le(bytes, header_len);
    memcpy(bytes + 8, header, header_len);
    if (data_size) {
        if (data)
            memcpy(bytes + 8 + header_len, data, data_size);
        else
            memset(bytes + 8 + header_len, 0x3c, data_size);
    }
    return bytes;
}

/* Writes a file with `header` (a C string) and data_size bytes of data
 * (filler when data is NULL). */
static void write_model(const char *path, const char *header, const void *data,
                        size_t data_size)
{
    size_t size;
    uint8_t *bytes = build_file(header, strlen(header), data, data_size, &size);
    write_bytes(path, bytes, size);
    free(bytes);
}

static void put_f32le(uint8_t *p, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof(bits));
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(bits >> (8 * i));
}

static uint32_t float_bits(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof(bits));
    return bits;
}

/* ---- valid files -------------------------------------------------------- */

/* Values that must survive bit for bit: signed zero, a subnormal, extremes,
 * infinities and a NaN with a payload. */
static float f32_values(int i)
{
    static const uint32_t bits[] = {
        0x3f800000u, 0x80000000u, 0x00000001u, 0x7f7fffffu, 0xff800000u, 0x7fc01234u,
        0x40490fdbu, 0xc2f6e979u, 0x3e99999au, 0x00800000u, 0x7f800000u, 0xbf000000u,
    };
    float f;
    memcpy(&f, &bits[i % 12], sizeof(f));
    return f;
}

/* "w" F32 [2,3,2], "b" F32 [2], metadata with two keys. */
static void write_f32_model(const char *path)
{
    uint8_t data[14 * 4];
    for (int i = 0; i < 14; i++)
        put_f32le(data + 4 * i, f32_values(i));
    write_model(path,
                "{\"__metadata__\":{\"format\":\"pt\",\"facet.size\":\"256\"},"
                "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3,2],\"data_offsets\":[0,48]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[48,56]}}",
                data, sizeof(data));
}

START_TEST(test_f32_round_trip)
{
    char path[PATH_MAX + 64], error[512];
    temp_path(path, "f32.safetensors");
    write_f32_model(path);

    FacetModelFile *file = NULL;
    ck_assert_int_eq(facet_model_file_open(&file, path, error, sizeof(error)), 0);
    ck_assert_ptr_nonnull(file);
    ck_assert_str_eq(error, "");

    float *data = NULL;
    size_t count = 0;
    const int64_t w_shape[] = {2, 3, 2};
    ck_assert_int_eq(facet_model_file_load_raw(file, "w", 3, w_shape, &data, &count, error,
                                               sizeof(error)),
                     0);
    ck_assert_uint_eq(count, 12);
    ck_assert_uint_eq((uintptr_t)data % FACET_TENSOR_ALIGN, 0);
    for (int i = 0; i < 12; i++)
        ck_assert_uint_eq(float_bits(data[i]), float_bits(f32_values(i)));
    free(data);

    FacetTensor t;
    ck_assert_int_eq(facet_model_file_load_tensor(file, "w", 3, w_shape, &t, error,
                                                  sizeof(error)),
                     0);
    ck_assert_int_eq(t.c, 2);
    ck_assert_int_eq(t.h, 3);
    ck_assert_int_eq(t.w, 2);
    ck_assert_int_eq(t.owned, 1);
    for (int i = 0; i < 12; i++)
        ck_assert_uint_eq(float_bits(t.data[i]), float_bits(f32_values(i)));
    facet_tensor_free(&t);

    const int64_t b_shape[] = {2};
    ck_assert_int_eq(facet_model_file_load_tensor(file, "b", 1, b_shape, &t, error,
                                                  sizeof(error)),
                     0);
    ck_assert_int_eq(t.c, 1);
    ck_assert_int_eq(t.h, 1);
    ck_assert_int_eq(t.w, 2);
    ck_assert_uint_eq(float_bits(t.data[0]), float_bits(f32_values(12)));
    ck_assert_uint_eq(float_bits(t.data[1]), float_bits(f32_values(13)));
    facet_tensor_free(&t);

    facet_model_file_close(&file);
    ck_assert_ptr_null(file);
    facet_model_file_close(&file); /* NULL-safe */
    facet_model_file_close(NULL);
}
END_TEST

/* Every ndim maps right-aligned onto (c, h, w), leading dims folded into c,
 * and keeps the file's order. */
START_TEST(test_tensor_view_of_each_rank)
{
    char path[PATH_MAX + 64], error[512];
    temp_path(path, "ranks.safetensors");
    uint8_t data[24 * 4];
    for (int i = 0; i < 24; i++)
        put_f32le(data + 4 * i, (float)i);
    FacetModelFile *file;
    static const struct {
        int ndim;
        int64_t shape[4];
        int c, h, w;
    } views[] = {
        {1, {24}, 1, 1, 24},
        {2, {4, 6}, 1, 4, 6},
        {3, {2, 3, 4}, 2, 3, 4},
        {4, {2, 3, 2, 2}, 6, 2, 2},
    };
    for (size_t v = 0; v < sizeof(views) / sizeof(views[0]); v++) {
        char header[256], shape[64] = "";
        for (int i = 0; i < views[v].ndim; i++)
            snprintf(shape + strlen(shape), sizeof(shape) - strlen(shape), "%s%lld",
                     i ? "," : "", (long long)views[v].shape[i]);
        snprintf(header, sizeof(header),
                 "{\"t\":{\"dtype\":\"F32\",\"shape\":[%s],\"data_offsets\":[0,96]}}", shape);
        write_model(path, header, data, sizeof(data));
        ck_assert_int_eq(facet_model_file_open(&file, path, error, sizeof(error)), 0);
        FacetTensor t;
        ck_assert_int_eq(facet_model_file_load_tensor(file, "t", views[v].ndim,
                                                      views[v].shape, &t, error,
                                                      sizeof(error)),
                         0);
        ck_assert_int_eq(t.c, views[v].c);
        ck_assert_int_eq(t.h, views[v].h);
        ck_assert_int_eq(t.w, views[v].w);
        for (int i = 0; i < 24; i++)
            ck_assert_float_eq(t.data[i], (float)i);
        facet_tensor_free(&t);
        facet_model_file_close(&file);
    }
}
END_TEST

START_TEST(test_f16_and_bf16_round_trip)
{
    char path[PATH_MAX + 64], error[512];
    temp_path(path, "half.safetensors");
    static const uint16_t halves[] = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400,
                                      0x7c00, 0xfc00, 0x8000, 0x3555};
    static const float half_values[] = {1.0f, -2.0f, 65504.0f, 5.9604644775390625e-8f,
                                        6.0975551605224609375e-5f, 6.103515625e-5f,
                                        INFINITY, -INFINITY, -0.0f, 0.333251953125f};
    static const uint16_t bfloats[] = {0x3f80, 0xc0a0, 0x0001, 0xff80};
    static const float bfloat_values[] = {1.0f, -5.0f, 9.18354961579912e-41f, -INFINITY};
    uint8_t data[2 * 10 + 2 * 4 + 2 * 2];
    for (int i = 0; i < 10; i++) {
        data[2 * i] = (uint8_t)halves[i];
        data[2 * i + 1] = (uint8_t)(halves[i] >> 8);
    }
    for (int i = 0; i < 4; i++) {
        data[20 + 2 * i] = (uint8_t)bfloats[i];
        data[20 + 2 * i + 1] = (uint8_t)(bfloats[i] >> 8);
    }
    /* A half NaN with payload 0x155 (signalling: top mantissa bit clear)
     * and a negative quiet one. */
    data[28] = 0x55;
    data[29] = 0x7d;
    data[30] = 0x00;
    data[31] = 0xfe;
    write_model(path,
                "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,5],\"data_offsets\":[0,20]},"
                "\"g\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[20,28]},"
                "\"n\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[28,32]}}",
                data, sizeof(data));
    FacetModelFile *file;
    ck_assert_int_eq(facet_model_file_open(&file, path, error, sizeof(error)), 0);

    FacetTensor t;
    const int64_t h_shape[] = {2, 5};
    ck_assert_int_eq(facet_model_file_load_tensor(file, "h", 2, h_shape, &t, error,
                                                  sizeof(error)),
                     0);
    for (int i = 0; i < 10; i++)
        ck_assert_uint_eq(float_bits(t.data[i]), float_bits(half_values[i]));
    facet_tensor_free(&t);

    float *values;
    size_t count;
    const int64_t g_shape[] = {4};
    ck_assert_int_eq(
        facet_model_file_load_raw(file, "g", 1, g_shape, &values, &count, error, sizeof(error)),
        0);
    ck_assert_uint_eq(count, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(float_bits(values[i]), float_bits(bfloat_values[i]));
    free(values);

    const int64_t n_shape[] = {2};
    ck_assert_int_eq(
        facet_model_file_load_raw(file, "n", 1, n_shape, &values, &count, error, sizeof(error)),
        0);
    ck_assert(isnan(values[0]) && !signbit(values[0]));
    ck_assert_uint_eq(float_bits(values[0]), 0x7fc00000u | (0x155u << 13));
    ck_assert(isnan(values[1]) && signbit(values[1]));
    free(values);
    facet_model_file_close(&file);
}
END_TEST

/* The value of a half computed from its definition, not from bit layout. */
static double half_reference(uint16_t h)
{
    int negative = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    double magnitude;
    if (exponent == 0x1f)
        magnitude = mantissa ? NAN : INFINITY;
    else if (exponent == 0)
        magnitude = ldexp(mantissa, -24);
    else
        magnitude = ldexp(1024 + mantissa, exponent - 25);
    return negative ? -magnitude : magnitude;
}

START_TEST(test_every_half_value)
{
    for (uint32_t h = 0; h <= 0xffff; h++) {
        float got = facet_half_to_float((uint16_t)h);
        double want = half_reference((uint16_t)h);
        if (isnan(want)) {
            ck_assert_msg(isnan(got), "half 0x%04x: want NaN", h);
            ck_assert_int_eq(!!signbit(got), !!(h & 0x8000));
            /* The payload survives; the NaN comes back quiet. */
            ck_assert_uint_eq((float_bits(got) >> 13) & 0x3ff, (h & 0x3ff) | 0x200);
        } else {
            /* Every half is exactly representable as a float: compare bits,
             * which also tells -0 from +0. */
            ck_assert_msg(float_bits(got) == float_bits((float)want),
                          "half 0x%04x: got %a, want %a", h, (double)got, want);
        }
    }
}
END_TEST

START_TEST(test_metadata_and_listing)
{
    char path[PATH_MAX + 64], error[512];
    temp_path(path, "meta.safetensors");
    write_f32_model(path);
    FacetModelFile *file;
    ck_assert_int_eq(facet_model_file_open(&file, path, error, sizeof(error)), 0);
    ck_assert_str_eq(facet_model_file_metadata(file, "format"), "pt");
    ck_assert_str_eq(facet_model_file_metadata(file, "facet.size"), "256");
    ck_assert_ptr_null(facet_model_file_metadata(file, "facet.k"));
    ck_assert_ptr_null(facet_model_file_metadata(file, "w")); /* a tensor, not metadata */
    ck_assert_ptr_null(facet_model_file_metadata(file, NULL));
    ck_assert_ptr_null(facet_model_file_metadata(NULL, "format"));
    ck_assert_str_eq(facet_model_file_path(file), path);

    ck_assert_int_eq(facet_model_file_tensor_count(file), 2);
    ck_assert_str_eq(facet_model_file_tensor_name(file, 0), "b");
    ck_assert_str_eq(facet_model_file_tensor_name(file, 1), "w");
    ck_assert_ptr_null(facet_model_file_tensor_name(file, 2));
    ck_assert_ptr_null(facet_model_file_tensor_name(file, -1));
    ck_assert_int_eq(facet_model_file_tensor_count(NULL), 0);

    FacetModelTensorInfo info;
    ck_assert_int_eq(facet_model_file_tensor_info(file, "w", &info), 0);
    ck_assert_str_eq(info.name, "w");
    ck_assert_str_eq(info.dtype, "F32");
    ck_assert_int_eq(info.ndim, 3);
    ck_assert_int_eq(info.shape[0], 2);
    ck_assert_int_eq(info.shape[1], 3);
    ck_assert_int_eq(info.shape[2], 2);
    ck_assert_uint_eq(info.size, 48);
    ck_assert_int_eq(facet_model_file_tensor_info(file, "nope", &info), -ENOENT);
    ck_assert_int_eq(facet_model_file_tensor_info(file, NULL, &info), -EINVAL);
    facet_model_file_close(&file);

    /* No metadata block: every lookup is NULL. Trailing spaces pad the
     * header, as the format allows. */
    uint8_t data[4] = {0};
    write_model(path, "{\"x\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}   ", data,
                sizeof(data));
    ck_assert_int_eq(facet_model_file_open(&file, path, error, sizeof(error)), 0);
    ck_assert_ptr_null(facet_model_file_metadata(file, "format"));
    float *values;
    size_t count;
    ck_assert_int_eq(facet_model_file_load_raw(file, "x", 0, NULL, &values, &count, error,
                                               sizeof(error)),
                     0); /* a scalar */
    ck_assert_uint_eq(count, 1);
    ck_assert_float_eq(values[0], 0.0f);
    free(values);
    facet_model_file_close(&file);
}
END_TEST

/* Files the format allows and we accept: no tensors, empty tensors, other
 * dtypes, unknown dtypes (refused only when loaded), extra entry fields. */
START_TEST(test_unusual_but_valid)
{
    char path[PATH_MAX + 64], error[512];
    temp_path(path, "unusual.safetensors");
    FacetModelFile *file;

    write_model(path, "{}", NULL, 0);
    ck_assert_int_eq(facet_model_file_open(&file, path, error, sizeof(error)), 0);
    ck_assert_int_eq(facet_model_file_tensor_count(file), 0);
    facet_model_file_close(&file);

    write_model(path,
                "{\"__metadata__\":{},"
                "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]},"
                "\"ints\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"q\":{\"dtype\":\"Q4_K\",\"shape\":[7],\"data_offsets\":[8,13],\"x\":1}}",
                NULL, 13);
    ck_assert_int_eq(facet_model_file_open(&file, path, error, sizeof(error)), 0);
    ck_assert_int_eq(facet_model_file_tensor_count(file), 3);

    float *values = (float *)1;
    size_t count = 99;
    const int64_t two[] = {2}, seven[] = {7};
    ck_assert_int_eq(facet_model_file_load_raw(file, "ints", 1, two, &values, &count, error,
                                               sizeof(error)),
                     -EBADMSG);
    ck_assert_ptr_null(values);
    ck_assert_uint_eq(count, 0);
    ck_assert_ptr_nonnull(strstr(error, path));
    ck_assert_ptr_nonnull(strstr(error, "'ints' has dtype I32"));
    ck_assert_int_eq(facet_model_file_load_raw(file, "q", 1, seven, &values, &count, error,
                                               sizeof(error)),
                     -EBADMSG);
    ck_assert_ptr_nonnull(strstr(error, path));
    ck_assert_ptr_nonnull(strstr(error, "'q' has dtype Q4_K"));
    facet_model_file_close(&file);
}
END_TEST

/* ---- load errors -------------------------------------------------------- */

START_TEST(test_load_errors)
{
    char path[PATH_MAX + 64], error[512], expected[PATH_MAX + 256];
    temp_path(path, "facet-256.safetensors");
    write_model(path,
                "{\"decoder.conv1.weight\":{\"dtype\":\"F16\",\"shape\":[2,1,3,3],"
                "\"data_offsets\":[0,36]}}",
                NULL, 36);
    FacetModelFile *file;
    ck_assert_int_eq(facet_model_file_open(&file, path, error, sizeof(error)), 0);

    float *values;
    size_t count;
    const int64_t wrong[] = {2, 2, 3, 3}, right[] = {2, 1, 3, 3}, flat[] = {18};
    ck_assert_int_eq(facet_model_file_load_raw(file, "decoder.conv1.weight", 4, wrong, &values,
                                               &count, error, sizeof(error)),
                     -EBADMSG);
    snprintf(expected, sizeof(expected),
             "%s: tensor 'decoder.conv1.weight' has shape [2,1,3,3], expected [2,2,3,3]", path);
    ck_assert_str_eq(error, expected);

    FacetTensor t;
    ck_assert_int_eq(facet_model_file_load_tensor(file, "decoder.conv1.weight", 1, flat, &t,
                                                  error, sizeof(error)),
                     -EBADMSG);
    snprintf(expected, sizeof(expected),
             "%s: tensor 'decoder.conv1.weight' has shape [2,1,3,3], expected [18]", path);
    ck_assert_str_eq(error, expected);
    ck_assert_ptr_null(t.data);

    ck_assert_int_eq(facet_model_file_load_raw(file, "decoder.conv2.weight", 4, right, &values,
                                               &count, error, sizeof(error)),
                     -ENOENT);
    snprintf(expected, sizeof(expected), "%s: no tensor 'decoder.conv2.weight'", path);
    ck_assert_str_eq(error, expected);

    /* Bad arguments. */
    const int64_t zero[] = {2, 0, 3, 3}, five[] = {1, 1, 2, 1, 3};
    ck_assert_int_eq(facet_model_file_load_raw(file, "decoder.conv1.weight", 4, zero, &values,
                                               &count, error, sizeof(error)),
                     -EINVAL);
    ck_assert_int_eq(facet_model_file_load_raw(file, "decoder.conv1.weight", 9, right, &values,
                                               &count, error, sizeof(error)),
                     -EINVAL);
    ck_assert_int_eq(facet_model_file_load_raw(file, "decoder.conv1.weight", 4, NULL, &values,
                                               &count, error, sizeof(error)),
                     -EINVAL);
    ck_assert_int_eq(facet_model_file_load_raw(NULL, "x", 4, right, &values, &count, error,
                                               sizeof(error)),
                     -EINVAL);
    ck_assert_int_eq(facet_model_file_load_raw(file, NULL, 4, right, &values, &count, error,
                                               sizeof(error)),
                     -EINVAL);
    ck_assert_int_eq(facet_model_file_load_raw(file, "decoder.conv1.weight", 4, right, NULL,
                                               &count, error, sizeof(error)),
                     -EINVAL);
    ck_assert_int_eq(facet_model_file_load_tensor(file, "decoder.conv1.weight", 5, five, &t,
                                                  error, sizeof(error)),
                     -EINVAL);
    ck_assert_int_eq(facet_model_file_load_tensor(file, "decoder.conv1.weight", 0, right, &t,
                                                  error, sizeof(error)),
                     -EINVAL);
    ck_assert_int_eq(facet_model_file_load_tensor(file, "decoder.conv1.weight", 4, right, NULL,
                                                  error, sizeof(error)),
                     -EINVAL);

    /* The right shape loads (0x3c3c is the filler: 1.05859375), with or
     * without an error buffer. */
    ck_assert_int_eq(facet_model_file_load_tensor(file, "decoder.conv1.weight", 4, right, &t,
                                                  NULL, 0),
                     0);
    ck_assert_int_eq(t.c, 2);
    ck_assert_int_eq(t.h, 3);
    ck_assert_int_eq(t.w, 3);
    for (int i = 0; i < 18; i++)
        ck_assert_float_eq(t.data[i], 1.05859375f);
    facet_tensor_free(&t);
    facet_model_file_close(&file);
}
END_TEST

/* ---- malformed files ---------------------------------------------------- */

typedef struct BadHeader {
    const char *header;
    size_t data_size;   /* filler bytes after the header */
    const char *tensor; /* the name the message must quote, or NULL */
    const char *phrase; /* and words it must contain */
} BadHeader;

#define ENTRY(name, body) "\"" name "\":{" body "}"
#define F32_4 "\"dtype\":\"F32\",\"shape\":[4]"

static const BadHeader bad_headers[] = {
    /* Not JSON, not an object, not only an object. */
    {"{\"a\":", 0, NULL, "not valid JSON"},
    {"", 0, NULL, "not valid JSON"},
    {"[1,2]", 0, NULL, "not a JSON object"},
    {"\"text\"", 0, NULL, "not a JSON object"},
    {"{} {}", 0, NULL, "not valid JSON"},
    {"{}x", 0, NULL, "not valid JSON"},
    /* Entries of the wrong kind or missing fields. */
    {"{\"a\":5}", 0, "a", "not a JSON object"},
    {"{" ENTRY("a", "\"shape\":[1],\"data_offsets\":[0,4]") "}", 4, "a", "no 'dtype'"},
    {"{" ENTRY("a", "\"dtype\":\"F32\",\"data_offsets\":[0,4]") "}", 4, "a", "no 'shape'"},
    {"{" ENTRY("a", F32_4) "}", 16, "a", "no 'data_offsets'"},
    {"{" ENTRY("a", "\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]") "}", 4, "a",
     "'dtype' is not a string"},
    {"{" ENTRY("a", "\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]") "}", 16, "a",
     "'shape' is not an array"},
    {"{" ENTRY("a", F32_4 ",\"data_offsets\":{\"0\":16}") "}", 16, "a",
     "'data_offsets' is not an array"},
    {"{" ENTRY("a", F32_4 ",\"data_offsets\":[0,16,16]") "}", 16, "a", "two numbers"},
    {"{" ENTRY("a", F32_4 ",\"data_offsets\":[0]") "}", 16, "a", "two numbers"},
    {"{" ENTRY("a", F32_4 ",\"data_offsets\":[\"0\",\"16\"]") "}", 16, "a",
     "non-negative integer"},
    {"{" ENTRY("a", F32_4 ",\"data_offsets\":[-4,16]") "}", 16, "a", "non-negative integer"},
    {"{" ENTRY("a", F32_4 ",\"data_offsets\":[0.5,16]") "}", 16, "a", "non-negative integer"},
    {"{" ENTRY("a", F32_4 ",\"dtype\":\"F16\",\"data_offsets\":[0,16]") "}", 16, "a",
     "two 'dtype' fields"},
    /* Bad dimensions. */
    {"{" ENTRY("a", "\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]") "}", 4, "a",
     "dimension 0 is -1"},
    {"{" ENTRY("a", "\"dtype\":\"F32\",\"shape\":[2,1.5],\"data_offsets\":[0,12]") "}", 12, "a",
     "dimension 1 is 1.5"},
    {"{" ENTRY("a", "\"dtype\":\"F32\",\"shape\":[1e12],\"data_offsets\":[0,4]") "}", 4, "a",
     "dimension 0 is 1000000000000"},
    {"{" ENTRY("a", "\"dtype\":\"F32\",\"shape\":[1e999],\"data_offsets\":[0,4]") "}", 4, "a",
     "dimension 0 is inf"},
    {"{" ENTRY("a", "\"dtype\":\"F32\",\"shape\":[\"4\"],\"data_offsets\":[0,16]") "}", 16, "a",
     "not an integer"},
    {"{" ENTRY("a", "\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,16]") "}", 16, "a",
     "not an integer"},
    {"{" ENTRY("a", "\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,4],\"data_offsets\":[0,16]") "}",
     16, "a", "9 dimensions"},
    /* Sizes and offsets. */
    {"{" ENTRY("a", F32_4 ",\"data_offsets\":[0,12]") "}", 12, "a", "does not fit"},
    {"{" ENTRY("a", "\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,16]") "}", 16, "a",
     "does not fit"},
    {"{" ENTRY("a", "\"dtype\":\"F32\",\"shape\":[65536,65536,65536,65536,65536],"
                    "\"data_offsets\":[0,16]") "}",
     16, "a", "does not fit"},
    {"{" ENTRY("a", F32_4 ",\"data_offsets\":[16,0]") "}", 16, "a", "run backwards"},
    {"{" ENTRY("a", F32_4 ",\"data_offsets\":[0,16]") "}", 12, "a", "past the data section"},
    {"{" ENTRY("a", F32_4 ",\"data_offsets\":[0,18446744073709551616]") "}", 16, "a",
     "past the data section"},
    /* Layout: overlap, holes, trailing bytes. */
    {"{" ENTRY("a", F32_4 ",\"data_offsets\":[0,16]") "," ENTRY(
         "b", F32_4 ",\"data_offsets\":[8,24]") "}",
     24, "b", "overlap"},
    {"{" ENTRY("a", F32_4 ",\"data_offsets\":[0,16]") "," ENTRY(
         "b", F32_4 ",\"data_offsets\":[0,16]") "}",
     16, "a", "overlap"},
    {"{" ENTRY("a", F32_4 ",\"data_offsets\":[0,16]") "," ENTRY(
         "b", F32_4 ",\"data_offsets\":[20,36]") "}",
     36, NULL, "bytes 16..19 of the data section belong to no tensor"},
    {"{" ENTRY("a", F32_4 ",\"data_offsets\":[4,20]") "}", 20, NULL, "belong to no tensor"},
    {"{" ENTRY("a", F32_4 ",\"data_offsets\":[0,16]") "}", 17, NULL,
     "1 bytes after the end of the last tensor"},
    {"{}", 3, NULL, "3 bytes after the end"},
    /* Names. */
    {"{" ENTRY("dup.weight", F32_4 ",\"data_offsets\":[0,16]") "," ENTRY(
         "dup.weight", F32_4 ",\"data_offsets\":[16,32]") "}",
     32, "dup.weight", "appears twice"},
    {"{" ENTRY("a\\u0000b", F32_4 ",\"data_offsets\":[0,16]") "}", 16, NULL, "escaped NUL"},
    /* Metadata. */
    {"{\"__metadata__\":[\"a\"]}", 0, NULL, "'__metadata__' is not a JSON object"},
    {"{\"__metadata__\":\"a\"}", 0, NULL, "'__metadata__' is not a JSON object"},
    {"{\"__metadata__\":{\"version\":1}}", 0, NULL, "metadata 'version' is not a string"},
    {"{\"__metadata__\":{\"k\":null}}", 0, NULL, "metadata 'k' is not a string"},
    {"{\"__metadata__\":{},\"__metadata__\":{}}", 0, NULL, "two '__metadata__'"},
    {"{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, NULL, "metadata key 'k' appears twice"},
};

/* One test over the whole table, not a loop test: under the sanitizers
 * every forked test pays a leak check at exit, and the table is long. */
START_TEST(test_malformed_header)
{
    for (size_t i = 0; i < sizeof(bad_headers) / sizeof(bad_headers[0]); i++) {
        const BadHeader *bad = &bad_headers[i];
        char path[PATH_MAX + 64], error[1024];
        temp_path(path, "bad.safetensors");
        write_model(path, bad->header, NULL, bad->data_size);

        FacetModelFile *file = (FacetModelFile *)&file; /* must come back NULL */
        int ret = facet_model_file_open(&file, path, error, sizeof(error));
        ck_assert_msg(ret == -EBADMSG, "header %s: got %d (%s)", bad->header, ret, error);
        ck_assert_ptr_null(file);
        ck_assert_msg(!strncmp(error, path, strlen(path)),
                      "message '%s' does not start with the path", error);
        ck_assert_msg(strstr(error, bad->phrase), "header %s: message '%s' lacks '%s'",
                      bad->header, error, bad->phrase);
        if (bad->tensor) {
            char quoted[128];
            snprintf(quoted, sizeof(quoted), "'%s'", bad->tensor);
            ck_assert_msg(strstr(error, quoted), "message '%s' does not name %s", error, quoted);
        }
    }
}
END_TEST

/* Byte-level damage the JSON text cannot express. */
START_TEST(test_malformed_bytes)
{
    char path[PATH_MAX + 64], error[512];
    temp_path(path, "bytes.safetensors");
    FacetModelFile *file;
    size_t size;
    static const struct {
        const char *header;
        size_t len;
        const char *phrase;
    } cases[] = {
        {"{\"a\0\":1}", 8, "NUL byte at offset 3"},
        {"{}\0   ", 6, "NUL byte at offset 2"},
        {"{\"\xff\":1}", 7, "not valid UTF-8 (byte 2)"},
        {"{\"\xc0\xaf\":1}", 8, "not valid UTF-8"},         /* overlong '/' */
        {"{\"\xed\xa0\x80\":1}", 9, "not valid UTF-8"},     /* a surrogate */
        {"{\"\xf4\x90\x80\x80\":1}", 10, "not valid UTF-8"}, /* above U+10FFFF */
        {"{\"\xe2\x82\":1}", 8, "not valid UTF-8"},         /* cut short */
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        uint8_t *bytes = build_file(cases[c].header, cases[c].len, NULL, 0, &size);
        write_bytes(path, bytes, size);
        free(bytes);
        ck_assert_int_eq(facet_model_file_open(&file, path, error, sizeof(error)), -EBADMSG);
        ck_assert_ptr_nonnull(strstr(error, path));
        ck_assert_msg(strstr(error, cases[c].phrase), "case %zu: '%s'", c, error);
    }

    /* Deep nesting stops at the parser's depth limit, and a header of many
     * tiny values at the value limit, before the parser allocates for them. */
    size_t big = 3u << 20;
    char *text = malloc(big);
    ck_assert_ptr_nonnull(text);
    memset(text, '[', 100000);
    uint8_t *bytes = build_file(text, 100000, NULL, 0, &size);
    ck_assert_int_eq(facet_model_file_open_memory(&file, bytes, size, "deep", error,
                                                  sizeof(error)),
                     -EBADMSG);
    ck_assert_str_eq(error, "deep: header is not valid JSON");
    free(bytes);
    text[0] = '[';
    for (size_t i = 1; i + 2 < big; i += 2)
        memcpy(text + i, "0,", 2);
    text[big - 2] = '0';
    text[big - 1] = ']';
    bytes = build_file(text, big, NULL, 0, &size);
    ck_assert_int_eq(facet_model_file_open_memory(&file, bytes, size, "wide", error,
                                                  sizeof(error)),
                     -EBADMSG);
    ck_assert_ptr_nonnull(strstr(error, "more than 1048576 JSON values"));
    free(bytes);
    free(text);

    /* Valid UTF-8 in names is fine and comes back as written. */
    write_model(path,
                "{\"caf\xc3\xa9.\xf0\x9f\x98\x80\":{\"dtype\":\"F32\",\"shape\":[1],"
                "\"data_offsets\":[0,4]}}",
                NULL, 4);
    ck_assert_int_eq(facet_model_file_open(&file, path, error, sizeof(error)), 0);
    ck_assert_str_eq(facet_model_file_tensor_name(file, 0), "caf\xc3\xa9.\xf0\x9f\x98\x80");
    facet_model_file_close(&file);
}
END_TEST

START_TEST(test_header_size_field)
{
    char path[PATH_MAX + 64], error[512];
    temp_path(path, "size.safetensors");
    FacetModelFile *file;

    /* Shorter than the size field itself, including empty. */
    uint8_t bytes[16] = {2, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    for (size_t n = 0; n < 8; n++) {
        write_bytes(path, bytes, n);
        ck_assert_int_eq(facet_model_file_open(&file, path, error, sizeof(error)), -EBADMSG);
        ck_assert_ptr_null(file);
        ck_assert_ptr_nonnull(strstr(error, path));
        ck_assert_ptr_nonnull(strstr(error, "too short"));
    }

    /* A size past the end, by one byte and by nearly 2^64. */
    put_u64le(bytes, 3);
    write_bytes(path, bytes, 10);
    ck_assert_int_eq(facet_model_file_open(&file, path, error, sizeof(error)), -EBADMSG);
    ck_assert_ptr_nonnull(strstr(error, "header size 3 runs past the end of the file (10 bytes)"));
    put_u64le(bytes, UINT64_MAX);
    write_bytes(path, bytes, 10);
    ck_assert_int_eq(facet_model_file_open(&file, path, error, sizeof(error)), -EBADMSG);
    ck_assert_ptr_nonnull(strstr(error, "runs past the end"));

    /* A size the file really has but over the limit: refused before the
     * JSON parser sees it (the file is sparse, so this is cheap). */
    put_u64le(bytes, FACET_MODEL_FILE_MAX_HEADER + 1ull);
    write_bytes(path, bytes, 8);
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(ftruncate(fileno(f), 8 + FACET_MODEL_FILE_MAX_HEADER + 1), 0);
    fclose(f);
    ck_assert_int_eq(facet_model_file_open(&file, path, error, sizeof(error)), -EBADMSG);
    ck_assert_ptr_nonnull(strstr(error, "over the limit"));
}
END_TEST

START_TEST(test_missing_file_and_bad_arguments)
{
    char path[PATH_MAX + 64], error[512];
    temp_path(path, "does-not-exist.safetensors");
    FacetModelFile *file = (FacetModelFile *)&file;
    ck_assert_int_eq(facet_model_file_open(&file, path, error, sizeof(error)), -ENOENT);
    ck_assert_ptr_null(file);
    ck_assert_ptr_nonnull(strstr(error, path));
    ck_assert_int_eq(facet_model_file_open(&file, path, NULL, 0), -ENOENT);

    ck_assert_int_eq(facet_model_file_open(&file, test_temp_dir, error, sizeof(error)), -EISDIR);
    ck_assert_ptr_nonnull(strstr(error, test_temp_dir));

    ck_assert_int_eq(facet_model_file_open(NULL, path, error, sizeof(error)), -EINVAL);
    ck_assert_int_eq(facet_model_file_open(&file, NULL, error, sizeof(error)), -EINVAL);
    ck_assert_ptr_null(file);

    /* Every buffer size, down to one byte, gets a NUL-terminated prefix. */
    char full[512];
    facet_model_file_open(&file, path, full, sizeof(full));
    for (size_t n = 1; n <= strlen(full) + 1; n++) {
        char small[512];
        memset(small, 'x', sizeof(small));
        ck_assert_int_eq(facet_model_file_open(&file, path, small, n), -ENOENT);
        ck_assert_uint_eq(strlen(small), n - 1);
        ck_assert(!strncmp(small, full, n - 1));
        ck_assert_int_eq(small[n], 'x');
    }
}
END_TEST

/* The in-memory entry point reads the same format and names the model by
 * the name it is given. */
START_TEST(test_open_memory)
{
    char path[PATH_MAX + 64], error[512];
    temp_path(path, "memory.safetensors");
    write_f32_model(path);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    uint8_t whole[1024];
    size_t size = fread(whole, 1, sizeof(whole), f);
    fclose(f);

    FacetModelFile *file;
    ck_assert_int_eq(
        facet_model_file_open_memory(&file, whole, size, "embedded", error, sizeof(error)), 0);
    memset(whole, 0, sizeof(whole)); /* the file keeps its own copy */
    ck_assert_str_eq(facet_model_file_path(file), "embedded");
    ck_assert_str_eq(facet_model_file_metadata(file, "format"), "pt");
    float *values;
    size_t count;
    const int64_t b_shape[] = {2};
    ck_assert_int_eq(facet_model_file_load_raw(file, "b", 1, b_shape, &values, &count, error,
                                               sizeof(error)),
                     0);
    ck_assert_uint_eq(float_bits(values[1]), float_bits(f32_values(13)));
    free(values);
    facet_model_file_close(&file);

    ck_assert_int_eq(facet_model_file_open_memory(&file, whole, 7, "short", error, sizeof(error)),
                     -EBADMSG);
    ck_assert_ptr_nonnull(strstr(error, "short: "));
    ck_assert_int_eq(facet_model_file_open_memory(&file, NULL, 7, "x", error, sizeof(error)),
                     -EINVAL);
    ck_assert_int_eq(facet_model_file_open_memory(&file, whole, 7, NULL, error, sizeof(error)),
                     -EINVAL);
    ck_assert_int_eq(facet_model_file_open_memory(NULL, whole, 7, "x", error, sizeof(error)),
                     -EINVAL);
}
END_TEST

/* Every proper prefix of a valid file is refused, without a crash. */
START_TEST(test_truncated_at_every_length)
{
    char path[PATH_MAX + 64], cut_path[PATH_MAX + 64], error[512];
    temp_path(path, "whole.safetensors");
    temp_path(cut_path, "cut.safetensors");
    write_f32_model(path);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    uint8_t whole[1024];
    size_t size = fread(whole, 1, sizeof(whole), f);
    fclose(f);
    ck_assert_uint_gt(size, 100);
    ck_assert_uint_lt(size, sizeof(whole));

    for (size_t n = 0; n < size; n++) {
        write_bytes(cut_path, whole, n);
        FacetModelFile *file;
        int ret = facet_model_file_open(&file, cut_path, error, sizeof(error));
        ck_assert_msg(ret == -EBADMSG, "prefix of %zu bytes: %d", n, ret);
        ck_assert_ptr_null(file);
        ck_assert_ptr_nonnull(strstr(error, cut_path));
    }
}
END_TEST

/* splitmix64: deterministic, so a failure reproduces. */
static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

START_TEST(test_random_bytes)
{
    char path[PATH_MAX + 64], error[512];
    temp_path(path, "random.safetensors");
    uint64_t rng = 0x5afe7e25;
    uint8_t bytes[600];
    for (int round = 0; round < 200; round++) {
        size_t size = (size_t)(rng_next(&rng) % sizeof(bytes));
        for (size_t i = 0; i < size; i++)
            bytes[i] = (uint8_t)rng_next(&rng);
        /* Half the rounds get a plausible header size so that the random
         * bytes reach the UTF-8 check and the JSON parser. */
        if (round % 2 && size >= 8) {
            put_u64le(bytes, rng_next(&rng) % (size - 7));
            bytes[8] = '{';
        }
        write_bytes(path, bytes, size);
        FacetModelFile *file;
        int ret = facet_model_file_open(&file, path, error, sizeof(error));
        ck_assert_msg(ret == -EBADMSG, "round %d: %d (%s)", round, ret, error);
        ck_assert_ptr_null(file);
        ck_assert_ptr_nonnull(strstr(error, path));
    }
}
END_TEST

/* Single-byte changes to a valid file either still open (and then load or
 * refuse cleanly) or are refused with a message; never a crash or a leak.
 * In memory, so that the many variants cost no file-system traffic. */
START_TEST(test_single_byte_mutations)
{
    char path[PATH_MAX + 64], error[512];
    temp_path(path, "mutated.safetensors");
    write_f32_model(path);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    uint8_t whole[1024];
    size_t size = fread(whole, 1, sizeof(whole), f);
    fclose(f);

    uint64_t rng = 42;
    static const uint8_t interesting[] = {'0', '9', '-', '"', '{', '}',
                                          '[', ']', ',', 0,   0x80, 'e'};
    const int64_t w_shape[] = {2, 3, 2};
    for (size_t at = 0; at < size; at++) {
        for (int k = 0; k < 3; k++) {
            uint8_t mutated[1024];
            memcpy(mutated, whole, size);
            mutated[at] = k == 0 ? (uint8_t)rng_next(&rng)
                                 : interesting[rng_next(&rng) % sizeof(interesting)];
            FacetModelFile *file;
            int ret = facet_model_file_open_memory(&file, mutated, size, "mutated", error,
                                                   sizeof(error));
            if (ret < 0) {
                ck_assert_int_eq(ret, -EBADMSG);
                ck_assert(!strncmp(error, "mutated: ", 9));
                continue;
            }
            float *values;
            size_t count;
            ret = facet_model_file_load_raw(file, "w", 3, w_shape, &values, &count, error,
                                            sizeof(error));
            ck_assert(ret == 0 || ret == -EBADMSG || ret == -ENOENT);
            if (ret == 0)
                free(values);
            facet_model_file_close(&file);
        }
    }
}
END_TEST

static Suite *safetensors_suite(void)
{
    Suite *s = suite_create("safetensors");
    TCase *tc = tcase_create("valid");
    tcase_add_unchecked_fixture(tc, setup_temp_dir, test_temp_dir_remove);
    tcase_add_test(tc, test_f32_round_trip);
    tcase_add_test(tc, test_tensor_view_of_each_rank);
    tcase_add_test(tc, test_f16_and_bf16_round_trip);
    tcase_add_test(tc, test_every_half_value);
    tcase_add_test(tc, test_metadata_and_listing);
    tcase_add_test(tc, test_unusual_but_valid);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_unchecked_fixture(tc, setup_temp_dir, test_temp_dir_remove);
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_malformed_header);
    tcase_add_test(tc, test_malformed_bytes);
    tcase_add_test(tc, test_header_size_field);
    tcase_add_test(tc, test_missing_file_and_bad_arguments);
    tcase_add_test(tc, test_open_memory);
    tcase_add_test(tc, test_truncated_at_every_length);
    tcase_add_test(tc, test_random_bytes);
    tcase_add_test(tc, test_single_byte_mutations);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(safetensors_suite());
    srunner_run_all(sr, CK_VERBOSE);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures != 0;
}
