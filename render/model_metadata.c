/* SPDX-License-Identifier: BSD-2-Clause */
/* Model metadata checks both networks' loaders share; see model_metadata.h. */
#include "render/model_metadata.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void facet_model_error(char *error, size_t error_size, const char *format, ...)
{
    if (!error || error_size == 0)
        return;
    va_list args;
    va_start(args, format);
    vsnprintf(error, error_size, format, args);
    va_end(args);
}

void facet_model_quote_value(char out[68], const char *value)
{
    size_t n = 0;
    for (; value[n] && n < 64; n++) {
        unsigned char ch = (unsigned char)value[n];
        out[n] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    if (value[n]) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

const char *facet_model_require_metadata(const FacetModelLoader *l, const char *key)
{
    const char *value = facet_model_file_metadata(l->file, key);
    if (!value)
        facet_model_error(l->error, l->error_size, "%s: no metadata '%s' (not a Facet model file?)",
                          l->path, key);
    return value;
}

int facet_model_require_value(const FacetModelLoader *l, const char *key, const char *expected)
{
    const char *value = facet_model_require_metadata(l, key);
    if (!value)
        return -EBADMSG;
    if (strcmp(value, expected)) {
        char q[68];
        facet_model_quote_value(q, value);
        facet_model_error(l->error, l->error_size,
                          "%s: metadata '%s' is '%s', this runtime implements '%s'", l->path, key,
                          q, expected);
        return -EBADMSG;
    }
    return 0;
}

int facet_model_metadata_int(const FacetModelLoader *l, const char *key, int lo, int hi,
                             int *out)
{
    const char *text = facet_model_require_metadata(l, key);
    if (!text)
        return -EBADMSG;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end || errno || v < lo || v > hi) {
        char q[68];
        facet_model_quote_value(q, text);
        facet_model_error(l->error, l->error_size,
                          "%s: metadata '%s' is '%s', expected an integer in %d..%d", l->path,
                          key, q, lo, hi);
        return -EBADMSG;
    }
    *out = (int)v;
    return 0;
}

int facet_model_parse_id(const FacetModelLoader *l, uint32_t *out)
{
    const char *text = facet_model_require_metadata(l, "model_id");
    if (!text)
        return -EBADMSG;
    uint32_t v = 0;
    size_t n = 0;
    for (; text[n]; n++) {
        char ch = text[n];
        int digit = ch >= '0' && ch <= '9'   ? ch - '0'
                    : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                    : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                             : -1;
        if (digit < 0 || n >= 8)
            break;
        v = v << 4 | (uint32_t)digit;
    }
    if (n != 8 || text[n]) {
        char q[68];
        facet_model_quote_value(q, text);
        facet_model_error(l->error, l->error_size,
                          "%s: metadata 'model_id' is '%s', expected 8 hex digits", l->path, q);
        return -EBADMSG;
    }
    *out = v;
    return 0;
}

/* A JSON number that is an integer in [lo, hi]. */
static int json_int_in(const cJSON *v, double lo, double hi)
{
    return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && v->valuedouble >= lo &&
           v->valuedouble <= hi;
}

int facet_model_config_int(const FacetModelLoader *l, const cJSON *config, const char *key,
                           int lo, int hi, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, key);
    if (!json_int_in(v, lo, hi)) {
        facet_model_error(l->error, l->error_size, "%s: config '%s' must be an integer in %d..%d",
                          l->path, key, lo, hi);
        return -EBADMSG;
    }
    *out = (int)v->valuedouble;
    return 0;
}

int facet_model_config_list(const FacetModelLoader *l, const cJSON *config, const char *key,
                            int exact_len, int max_len, int max_channels, int *out, int *len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(config, key);
    int n = cJSON_IsArray(item) ? cJSON_GetArraySize(item) : -1;
    if (n < 1 || n > max_len || (exact_len > 0 && n != exact_len))
        goto bad;
    for (int i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetArrayItem(item, i);
        if (!json_int_in(v, 1, max_channels))
            goto bad;
        out[i] = (int)v->valuedouble;
    }
    if (len)
        *len = n;
    return 0;
bad:
    if (exact_len > 0)
        facet_model_error(l->error, l->error_size,
                          "%s: config '%s' must be a list of %d channel counts in 1..%d", l->path,
                          key, exact_len, max_channels);
    else
        facet_model_error(l->error, l->error_size,
                          "%s: config '%s' must be a list of 1..%d channel counts in 1..%d",
                          l->path, key, max_len, max_channels);
    return -EBADMSG;
}
