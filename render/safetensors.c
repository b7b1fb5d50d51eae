/* SPDX-License-Identifier: BSD-2-Clause */
/* safetensors model files; see safetensors.h and docs/model-file.md. */
#define _POSIX_C_SOURCE 200809L /* open, fstat, strerror_r */

#include "render/safetensors.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longest tensor name or metadata key quoted in a message; longer ones are
 * cut (at a character boundary) and end in "...". */
#define NAME_DISPLAY_MAX 160
/* Room for a formatted shape: up to MAX_DIMS numbers of up to 20 digits. */
#define SHAPE_TEXT_MAX (FACET_MODEL_FILE_MAX_DIMS * 22 + 4)

typedef enum Dtype {
    DTYPE_OTHER, /* a known non-float type, or one this loader does not know */
    DTYPE_F32,
    DTYPE_F16,
    DTYPE_BF16,
} Dtype;

typedef struct TensorEntry {
    char *name;
    char *dtype_name;
    Dtype dtype;
    int dtype_size; /* bytes per element; 0 when the dtype is unknown */
    int ndim;
    int64_t shape[FACET_MODEL_FILE_MAX_DIMS];
    uint64_t begin, end; /* relative to the start of the data section */
} TensorEntry;

typedef struct MetadataEntry {
    char *key;
    char *value;
} MetadataEntry;

struct FacetModelFile {
    char *path;
    uint8_t *bytes; /* the whole file */
    size_t size;
    const uint8_t *data; /* data section: bytes + 8 + header size */
    uint64_t data_size;
    TensorEntry *tensors; /* sorted by name */
    int tensor_count;
    MetadataEntry *metadata; /* sorted by key */
    int metadata_count;
};

/* Every type the safetensors format defines with a whole number of bytes per
 * element. Sub-byte types (F4, F6_*) and future ones count as unknown: their
 * entries are kept (offsets checked, size not) and refuse to load. */
static const struct {
    const char *name;
    int size;
    Dtype dtype;
} known_dtypes[] = {
    {"BOOL", 1, DTYPE_OTHER},    {"U8", 1, DTYPE_OTHER},      {"I8", 1, DTYPE_OTHER},
    {"F8_E5M2", 1, DTYPE_OTHER}, {"F8_E4M3", 1, DTYPE_OTHER}, {"F8_E8M0", 1, DTYPE_OTHER},
    {"I16", 2, DTYPE_OTHER},     {"U16", 2, DTYPE_OTHER},     {"F16", 2, DTYPE_F16},
    {"BF16", 2, DTYPE_BF16},     {"I32", 4, DTYPE_OTHER},     {"U32", 4, DTYPE_OTHER},
    {"F32", 4, DTYPE_F32},       {"I64", 8, DTYPE_OTHER},     {"U64", 8, DTYPE_OTHER},
    {"F64", 8, DTYPE_OTHER},
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void set_error(char *error, size_t error_size, const char *format, ...)
{
    if (!error || error_size == 0)
        return;
    va_list args;
    va_start(args, format);
    int n = vsnprintf(error, error_size, format, args);
    va_end(args);
    if (n < 0)
        error[0] = '\0';
}

static void clear_error(char *error, size_t error_size)
{
    if (error && error_size > 0)
        error[0] = '\0';
}

/* A tensor name as it goes into a message: control characters become '?'
 * (a name must not be able to forge log lines) and long names are cut. */
static const char *display_name(const char *name, char out[NAME_DISPLAY_MAX + 4])
{
    size_t n = 0;
    for (; name[n] && n < NAME_DISPLAY_MAX; n++) {
        unsigned char c = (unsigned char)name[n];
        out[n] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (name[n]) {
        while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
            n--; /* drop the start of a character that was cut */
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

static void format_shape(char out[SHAPE_TEXT_MAX], int ndim, const int64_t *shape)
{
    size_t used = 0;
    out[used++] = '[';
    for (int i = 0; i < ndim; i++) {
        int n = snprintf(out + used, SHAPE_TEXT_MAX - used, i ? ",%lld" : "%lld",
                         (long long)shape[i]);
        if (n < 0 || (size_t)n >= SHAPE_TEXT_MAX - used - 1)
            break; /* cannot happen with in-range dims; keep the text bounded */
        used += (size_t)n;
    }
    out[used++] = ']';
    out[used] = '\0';
}

/* ---- half and bfloat16 -------------------------------------------------- */

static float float_from_bits(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof(f));
    return f;
}

float facet_half_to_float(uint16_t half)
{
    uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
    uint32_t exponent = (half >> 10) & 0x1fu;
    uint32_t mantissa = half & 0x3ffu;
    uint32_t bits;
    if (exponent == 0x1f) {
        /* Infinity keeps a zero mantissa; a NaN keeps its payload and is
         * made quiet. */
        bits = sign | 0x7f800000u | (mantissa << 13);
        if (mantissa)
            bits |= 0x00400000u;
    } else if (exponent != 0) {
        /* Normal: rebias 15 -> 127. */
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign; /* signed zero */
    } else {
        /* Subnormal: mantissa * 2^-24, normal in float32. Shift the leading
         * one up to the implicit-bit position (bit 10); each shift lowers
         * the exponent by one from that of 1.0 * 2^-14. */
        uint32_t biased = 127u - 14u;
        while (!(mantissa & 0x400u)) {
            mantissa <<= 1;
            biased--;
        }
        bits = sign | (biased << 23) | ((mantissa & 0x3ffu) << 13);
    }
    return float_from_bits(bits);
}

float facet_bfloat16_to_float(uint16_t value)
{
    uint32_t bits = (uint32_t)value << 16;
    if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu))
        bits |= 0x00400000u;
    return float_from_bits(bits);
}

static void convert_to_float(const TensorEntry *entry, const uint8_t *src, float *dst,
                             size_t count)
{
    switch (entry->dtype) {
    case DTYPE_F32:
        for (size_t i = 0; i < count; i++, src += 4)
            dst[i] = float_from_bits((uint32_t)src[0] | (uint32_t)src[1] << 8 |
                                     (uint32_t)src[2] << 16 | (uint32_t)src[3] << 24);
        break;
    case DTYPE_F16:
        for (size_t i = 0; i < count; i++, src += 2)
            dst[i] = facet_half_to_float((uint16_t)(src[0] | src[1] << 8));
        break;
    case DTYPE_BF16:
        for (size_t i = 0; i < count; i++, src += 2)
            dst[i] = facet_bfloat16_to_float((uint16_t)(src[0] | src[1] << 8));
        break;
    case DTYPE_OTHER:
        break; /* refused before we get here */
    }
}

/* ---- header checks before the JSON parser sees it ----------------------- */

/* Offset of the first byte that is not part of well-formed UTF-8 (no
 * overlong forms, surrogates or code points above U+10FFFF), or n. */
static size_t utf8_invalid_offset(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t len;
        uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0)
                lo = 0xa0; /* overlong */
            else if (c == 0xed)
                hi = 0x9f; /* UTF-16 surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0)
                lo = 0x90; /* overlong */
            else if (c == 0xf4)
                hi = 0x8f; /* above U+10FFFF */
        } else {
            return i;
        }
        if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k < len; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
        i += len;
    }
    return n;
}

/* One pass over the JSON text outside the parser. Returns whether a string
 * spells \u0000: cJSON would decode it into a C string cut at that point, so
 * "a\u0000x" would become "a". Counts in *values an upper bound on the
 * number of JSON values, which bounds what the parser allocates (a ~64-byte
 * node per value, and "0," is two bytes of header): every value but the
 * root follows a ':', a '[' or a ',' outside strings. */
static int scan_header(const uint8_t *s, size_t n, size_t *values)
{
    int in_string = 0;
    *values = 1;
    for (size_t i = 0; i < n; i++) {
        if (!in_string) {
            in_string = s[i] == '"';
            *values += s[i] == ',' || s[i] == ':' || s[i] == '[';
        } else if (s[i] == '"') {
            in_string = 0;
        } else if (s[i] == '\\') {
            if (n - i >= 6 && s[i + 1] == 'u' && !memcmp(s + i + 2, "0000", 4))
                return 1;
            i++; /* the escaped character cannot end the string */
        }
    }
    return 0;
}

/* ---- header parsing ----------------------------------------------------- */

typedef struct Parser {
    FacetModelFile *file;
    char *error;
    size_t error_size;
} Parser;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(Parser *p, int code, const char *format, ...)
{
    if (p->error && p->error_size > 0) {
        int n = snprintf(p->error, p->error_size, "%s: ", p->file->path);
        if (n >= 0 && (size_t)n < p->error_size) {
            va_list args;
            va_start(args, format);
            vsnprintf(p->error + n, p->error_size - (size_t)n, format, args);
            va_end(args);
        }
    }
    return code;
}

/* A JSON number for a message: as an integer when it is one. */
static void format_number(char out[32], double v)
{
    if (v > -9.2e18 && v < 9.2e18 && v == (double)(long long)v)
        snprintf(out, 32, "%lld", (long long)v);
    else
        snprintf(out, 32, "%g", v);
}

/* A JSON number that must be an integer in [0, max] (max < 2^53, so the
 * double holds it exactly). */
static int json_integer(const cJSON *item, uint64_t max, uint64_t *value)
{
    if (!cJSON_IsNumber(item))
        return 0;
    double v = item->valuedouble;
    if (!(v >= 0.0 && v <= (double)max))
        return 0;
    uint64_t u = (uint64_t)v;
    if ((double)u != v)
        return 0;
    *value = u;
    return 1;
}

static int parse_metadata(Parser *p, const cJSON *object)
{
    FacetModelFile *file = p->file;
    if (file->metadata)
        return fail(p, -EBADMSG, "header has two '__metadata__' entries");
    if (!cJSON_IsObject(object))
        return fail(p, -EBADMSG, "'__metadata__' is not a JSON object");
    int count = cJSON_GetArraySize(object);
    file->metadata = calloc(count > 0 ? (size_t)count : 1, sizeof(*file->metadata));
    if (!file->metadata)
        return fail(p, -ENOMEM, "out of memory");
    char shown[NAME_DISPLAY_MAX + 4];
    const cJSON *item;
    cJSON_ArrayForEach(item, object)
    {
        if (!item->string)
            return fail(p, -EBADMSG, "'__metadata__' holds a member without a key");
        if (!cJSON_IsString(item) || !item->valuestring)
            return fail(p, -EBADMSG, "metadata '%s' is not a string",
                        display_name(item->string, shown));
        MetadataEntry *m = &file->metadata[file->metadata_count];
        m->key = strdup(item->string);
        m->value = strdup(item->valuestring);
        file->metadata_count++;
        if (!m->key || !m->value)
            return fail(p, -ENOMEM, "out of memory");
    }
    return 0;
}

static int parse_tensor(Parser *p, const cJSON *object)
{
    FacetModelFile *file = p->file;
    char shown[NAME_DISPLAY_MAX + 4];
    const char *name = display_name(object->string, shown);
    if (!cJSON_IsObject(object))
        return fail(p, -EBADMSG, "tensor '%s': entry is not a JSON object", name);

    const cJSON *dtype = NULL, *shape = NULL, *offsets = NULL;
    const cJSON *field;
    cJSON_ArrayForEach(field, object)
    {
        const cJSON **slot = NULL;
        if (!field->string)
            continue;
        if (!strcmp(field->string, "dtype"))
            slot = &dtype;
        else if (!strcmp(field->string, "shape"))
            slot = &shape;
        else if (!strcmp(field->string, "data_offsets"))
            slot = &offsets;
        else
            continue; /* other fields are allowed and ignored */
        if (*slot)
            return fail(p, -EBADMSG, "tensor '%s' has two '%s' fields", name, field->string);
        *slot = field;
    }
    if (!dtype || !shape || !offsets)
        return fail(p, -EBADMSG, "tensor '%s' has no '%s'", name,
                    !dtype ? "dtype" : !shape ? "shape" : "data_offsets");
    if (!cJSON_IsString(dtype) || !dtype->valuestring)
        return fail(p, -EBADMSG, "tensor '%s': 'dtype' is not a string", name);
    if (!cJSON_IsArray(shape))
        return fail(p, -EBADMSG, "tensor '%s': 'shape' is not an array", name);
    if (!cJSON_IsArray(offsets))
        return fail(p, -EBADMSG, "tensor '%s': 'data_offsets' is not an array", name);

    TensorEntry *entry = &file->tensors[file->tensor_count];
    entry->dtype = DTYPE_OTHER;
    for (size_t i = 0; i < sizeof(known_dtypes) / sizeof(known_dtypes[0]); i++) {
        if (!strcmp(dtype->valuestring, known_dtypes[i].name)) {
            entry->dtype = known_dtypes[i].dtype;
            entry->dtype_size = known_dtypes[i].size;
            break;
        }
    }

    int ndim = cJSON_GetArraySize(shape);
    if (ndim > FACET_MODEL_FILE_MAX_DIMS)
        return fail(p, -EBADMSG, "tensor '%s' has %d dimensions, more than %d", name, ndim,
                    FACET_MODEL_FILE_MAX_DIMS);
    entry->ndim = ndim;
    int index = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, shape)
    {
        uint64_t dim;
        if (!json_integer(item, FACET_MODEL_FILE_MAX_DIM, &dim)) {
            char number[32] = "a non-number";
            if (cJSON_IsNumber(item))
                format_number(number, item->valuedouble);
            return fail(p, -EBADMSG,
                        "tensor '%s': shape dimension %d is %s, not an integer in 0..%d", name,
                        index, number, FACET_MODEL_FILE_MAX_DIM);
        }
        entry->shape[index++] = (int64_t)dim;
    }

    uint64_t range[2];
    index = 0;
    if (cJSON_GetArraySize(offsets) != 2)
        return fail(p, -EBADMSG, "tensor '%s': 'data_offsets' does not hold two numbers",
                    name);
    cJSON_ArrayForEach(item, offsets)
    {
        if (!json_integer(item, file->data_size, &range[index])) {
            double v = cJSON_IsNumber(item) ? item->valuedouble : -1.0;
            if (v > (double)file->data_size) {
                char number[32];
                format_number(number, item->valuedouble);
                return fail(p, -EBADMSG,
                            "tensor '%s': data offset %s runs past the data section "
                            "(%llu bytes)",
                            name, number, (unsigned long long)file->data_size);
            }
            return fail(p, -EBADMSG,
                        "tensor '%s': 'data_offsets' holds something other than a "
                        "non-negative integer",
                        name);
        }
        index++;
    }
    entry->begin = range[0];
    entry->end = range[1];
    if (entry->begin > entry->end)
        return fail(p, -EBADMSG, "tensor '%s': data_offsets [%llu,%llu] run backwards", name,
                    (unsigned long long)entry->begin, (unsigned long long)entry->end);

    if (entry->dtype_size) {
        /* Element count, saturated: a product past the data size cannot
         * match anyway, and a zero dimension makes the tensor empty. */
        uint64_t count = 1;
        for (int i = 0; i < ndim; i++) {
            uint64_t dim = (uint64_t)entry->shape[i];
            if (dim == 0) {
                count = 0;
                break;
            }
            count = count > UINT64_MAX / dim ? UINT64_MAX : count * dim;
        }
        uint64_t bytes = entry->end - entry->begin;
        if (count > UINT64_MAX / (uint64_t)entry->dtype_size ||
            count * (uint64_t)entry->dtype_size != bytes) {
            char text[SHAPE_TEXT_MAX];
            format_shape(text, ndim, entry->shape);
            return fail(p, -EBADMSG,
                        "tensor '%s': shape %s of %s does not fit data_offsets "
                        "[%llu,%llu] (%llu bytes)",
                        name, text, dtype->valuestring, (unsigned long long)entry->begin,
                        (unsigned long long)entry->end, (unsigned long long)bytes);
        }
    }

    entry->name = strdup(object->string);
    entry->dtype_name = strdup(dtype->valuestring);
    file->tensor_count++;
    if (!entry->name || !entry->dtype_name)
        return fail(p, -ENOMEM, "out of memory");
    return 0;
}

static int compare_tensor_names(const void *a, const void *b)
{
    return strcmp(((const TensorEntry *)a)->name, ((const TensorEntry *)b)->name);
}

static int compare_metadata_keys(const void *a, const void *b)
{
    return strcmp(((const MetadataEntry *)a)->key, ((const MetadataEntry *)b)->key);
}

static int compare_tensor_offsets(const void *a, const void *b)
{
    const TensorEntry *x = *(const TensorEntry *const *)a;
    const TensorEntry *y = *(const TensorEntry *const *)b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return 0;
}

/* The tensors must tile the data section exactly, as the format requires:
 * no two share a byte, no byte belongs to none (a hole could hide a second
 * file inside this one). */
static int check_layout(Parser *p)
{
    FacetModelFile *file = p->file;
    char shown_a[NAME_DISPLAY_MAX + 4], shown_b[NAME_DISPLAY_MAX + 4];
    int count = file->tensor_count;
    const TensorEntry **order = malloc((count > 0 ? (size_t)count : 1) * sizeof(*order));
    if (!order)
        return fail(p, -ENOMEM, "out of memory");
    for (int i = 0; i < count; i++)
        order[i] = &file->tensors[i];
    qsort(order, (size_t)count, sizeof(*order), compare_tensor_offsets);

    int ret = 0;
    uint64_t covered = 0;
    for (int i = 0; i < count && !ret; i++) {
        const TensorEntry *t = order[i];
        if (t->begin < covered)
            ret = fail(p, -EBADMSG, "tensors '%s' and '%s' overlap in the data section",
                       display_name(order[i - 1]->name, shown_a),
                       display_name(t->name, shown_b));
        else if (t->begin > covered)
            ret = fail(p, -EBADMSG,
                       "bytes %llu..%llu of the data section belong to no tensor",
                       (unsigned long long)covered, (unsigned long long)t->begin - 1);
        covered = t->end;
    }
    if (!ret && covered != file->data_size)
        ret = fail(p, -EBADMSG,
                   "data section has %llu bytes after the end of the last tensor",
                   (unsigned long long)(file->data_size - covered));
    free(order);
    return ret;
}

static int parse_file(Parser *p)
{
    FacetModelFile *file = p->file;
    if (file->size < 8)
        return fail(p, -EBADMSG, "file is %zu bytes, too short for a safetensors header",
                    file->size);
    uint64_t header_size = 0;
    for (int i = 7; i >= 0; i--)
        header_size = header_size << 8 | file->bytes[i];
    if (header_size > file->size - 8)
        return fail(p, -EBADMSG, "header size %llu runs past the end of the file (%zu bytes)",
                    (unsigned long long)header_size, file->size);
    if (header_size > FACET_MODEL_FILE_MAX_HEADER)
        return fail(p, -EBADMSG, "header size %llu is over the limit of %u bytes",
                    (unsigned long long)header_size, FACET_MODEL_FILE_MAX_HEADER);
    const uint8_t *header = file->bytes + 8;
    size_t header_len = (size_t)header_size;
    file->data = header + header_len;
    file->data_size = file->size - 8 - header_len;

    const uint8_t *nul = memchr(header, 0, header_len);
    if (nul)
        return fail(p, -EBADMSG, "header holds a NUL byte at offset %zu",
                    (size_t)(nul - header));
    size_t bad = utf8_invalid_offset(header, header_len);
    if (bad != header_len)
        return fail(p, -EBADMSG, "header is not valid UTF-8 (byte %zu)", bad);
    size_t values;
    if (scan_header(header, header_len, &values))
        return fail(p, -EBADMSG, "header holds a string with an escaped NUL (\\u0000)");
    if (values > FACET_MODEL_FILE_MAX_JSON_VALUES)
        return fail(p, -EBADMSG, "header holds more than %u JSON values",
                    FACET_MODEL_FILE_MAX_JSON_VALUES);

    /* The parser wants a C string; trailing whitespace (padding the format
     * allows) is accepted, anything else after the object is not. */
    char *text = malloc(header_len + 1);
    if (!text)
        return fail(p, -ENOMEM, "out of memory");
    memcpy(text, header, header_len);
    text[header_len] = '\0';
    cJSON *root = cJSON_ParseWithOpts(text, NULL, 1);
    free(text);
    if (!root)
        return fail(p, -EBADMSG, "header is not valid JSON");

    int ret = 0;
    if (!cJSON_IsObject(root)) {
        ret = fail(p, -EBADMSG, "header is not a JSON object");
        goto done;
    }
    int members = cJSON_GetArraySize(root);
    file->tensors = calloc(members > 0 ? (size_t)members : 1, sizeof(*file->tensors));
    if (!file->tensors) {
        ret = fail(p, -ENOMEM, "out of memory");
        goto done;
    }
    const cJSON *member;
    cJSON_ArrayForEach(member, root)
    {
        if (!member->string)
            ret = fail(p, -EBADMSG, "header holds a member without a key");
        else if (!strcmp(member->string, "__metadata__"))
            ret = parse_metadata(p, member);
        else
            ret = parse_tensor(p, member);
        if (ret)
            goto done;
    }

    char shown[NAME_DISPLAY_MAX + 4];
    qsort(file->tensors, (size_t)file->tensor_count, sizeof(*file->tensors),
          compare_tensor_names);
    for (int i = 1; i < file->tensor_count; i++) {
        if (!strcmp(file->tensors[i - 1].name, file->tensors[i].name)) {
            ret = fail(p, -EBADMSG, "tensor '%s' appears twice",
                       display_name(file->tensors[i].name, shown));
            goto done;
        }
    }
    if (file->metadata_count > 0)
        qsort(file->metadata, (size_t)file->metadata_count, sizeof(*file->metadata),
              compare_metadata_keys);
    for (int i = 1; i < file->metadata_count; i++) {
        if (!strcmp(file->metadata[i - 1].key, file->metadata[i].key)) {
            ret = fail(p, -EBADMSG, "metadata key '%s' appears twice",
                       display_name(file->metadata[i].key, shown));
            goto done;
        }
    }
    ret = check_layout(p);
done:
    cJSON_Delete(root);
    return ret;
}

/* ---- opening ------------------------------------------------------------ */

static int read_file(Parser *p, const char *path)
{
    FacetModelFile *file = p->file;
    char reason[128];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        if (strerror_r(err, reason, sizeof(reason)))
            snprintf(reason, sizeof(reason), "error %d", err);
        return fail(p, -err, "cannot open: %s", reason);
    }
    int ret = 0;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int err = errno;
        ret = fail(p, -err, "cannot stat (error %d)", err);
        goto done;
    }
    if (S_ISDIR(st.st_mode)) {
        ret = fail(p, -EISDIR, "is a directory, not a model file");
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        ret = fail(p, -EINVAL, "is not a regular file");
        goto done;
    }
    if (st.st_size < 0 || (unsigned long long)st.st_size > FACET_MODEL_FILE_MAX_SIZE) {
        ret = fail(p, -EFBIG, "file is %lld bytes, over the limit of %llu",
                   (long long)st.st_size, (unsigned long long)FACET_MODEL_FILE_MAX_SIZE);
        goto done;
    }
    size_t capacity = (size_t)st.st_size;
    file->bytes = malloc(capacity ? capacity : 1);
    if (!file->bytes) {
        ret = fail(p, -ENOMEM, "out of memory reading %zu bytes", capacity);
        goto done;
    }
    /* A file that shrinks while we read is taken as it ends up; one that
     * grows is read up to its size at fstat(). */
    while (file->size < capacity) {
        ssize_t n = read(fd, file->bytes + file->size, capacity - file->size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            if (strerror_r(err, reason, sizeof(reason)))
                snprintf(reason, sizeof(reason), "error %d", err);
            ret = fail(p, -err, "read failed: %s", reason);
            goto done;
        }
        if (n == 0)
            break;
        file->size += (size_t)n;
    }
done:
    close(fd);
    return ret;
}

/* Opens from the file system when bytes is NULL, else from a copy of
 * bytes[0..size); `path` names the file in messages either way. */
static int open_model_file(FacetModelFile **out, const char *path, const void *bytes,
                           size_t size, char *error, size_t error_size)
{
    FacetModelFile *file = calloc(1, sizeof(*file));
    if (!file) {
        set_error(error, error_size, "%s: out of memory", path);
        return -ENOMEM;
    }
    file->path = strdup(path);
    if (!file->path) {
        free(file);
        set_error(error, error_size, "%s: out of memory", path);
        return -ENOMEM;
    }
    Parser p = {file, error, error_size};
    int ret = 0;
    if (!bytes) {
        ret = read_file(&p, path);
    } else if (size > FACET_MODEL_FILE_MAX_SIZE) {
        ret = fail(&p, -EFBIG, "model is %zu bytes, over the limit of %llu", size,
                   (unsigned long long)FACET_MODEL_FILE_MAX_SIZE);
    } else if (!(file->bytes = malloc(size ? size : 1))) {
        ret = fail(&p, -ENOMEM, "out of memory copying %zu bytes", size);
    } else {
        memcpy(file->bytes, bytes, size);
        file->size = size;
    }
    if (!ret)
        ret = parse_file(&p);
    if (ret) {
        facet_model_file_close(&file);
        return ret;
    }
    *out = file;
    return 0;
}

int facet_model_file_open(FacetModelFile **out, const char *path, char *error,
                          size_t error_size)
{
    clear_error(error, error_size);
    if (out)
        *out = NULL;
    if (!out || !path) {
        set_error(error, error_size, "facet_model_file_open: %s is NULL",
                  !out ? "out" : "path");
        return -EINVAL;
    }
    return open_model_file(out, path, NULL, 0, error, error_size);
}

int facet_model_file_open_memory(FacetModelFile **out, const void *bytes, size_t size,
                                 const char *name, char *error, size_t error_size)
{
    clear_error(error, error_size);
    if (out)
        *out = NULL;
    if (!out || !bytes || !name) {
        set_error(error, error_size, "facet_model_file_open_memory: %s is NULL",
                  !out ? "out" : !bytes ? "bytes" : "name");
        return -EINVAL;
    }
    return open_model_file(out, name, bytes, size, error, error_size);
}

void facet_model_file_close(FacetModelFile **pfile)
{
    if (!pfile || !*pfile)
        return;
    FacetModelFile *file = *pfile;
    /* The counts include an entry whose strdup() failed (its other string
     * is then NULL or owned), and no entry that was never reached. */
    for (int i = 0; i < file->tensor_count; i++) {
        free(file->tensors[i].name);
        free(file->tensors[i].dtype_name);
    }
    for (int i = 0; i < file->metadata_count; i++) {
        free(file->metadata[i].key);
        free(file->metadata[i].value);
    }
    free(file->tensors);
    free(file->metadata);
    free(file->bytes);
    free(file->path);
    free(file);
    *pfile = NULL;
}

/* ---- queries ------------------------------------------------------------ */

const char *facet_model_file_path(const FacetModelFile *file)
{
    return file ? file->path : NULL;
}

const char *facet_model_file_metadata(const FacetModelFile *file, const char *key)
{
    if (!file || !key || file->metadata_count == 0)
        return NULL;
    MetadataEntry probe = {(char *)key, NULL};
    const MetadataEntry *m = bsearch(&probe, file->metadata, (size_t)file->metadata_count,
                                     sizeof(*file->metadata), compare_metadata_keys);
    return m ? m->value : NULL;
}

int facet_model_file_tensor_count(const FacetModelFile *file)
{
    return file ? file->tensor_count : 0;
}

const char *facet_model_file_tensor_name(const FacetModelFile *file, int i)
{
    if (!file || i < 0 || i >= file->tensor_count)
        return NULL;
    return file->tensors[i].name;
}

static const TensorEntry *find_tensor(const FacetModelFile *file, const char *name)
{
    if (file->tensor_count == 0)
        return NULL;
    TensorEntry probe = {.name = (char *)name};
    return bsearch(&probe, file->tensors, (size_t)file->tensor_count, sizeof(*file->tensors),
                   compare_tensor_names);
}

int facet_model_file_tensor_info(const FacetModelFile *file, const char *name,
                                 FacetModelTensorInfo *info)
{
    if (!file || !name || !info)
        return -EINVAL;
    const TensorEntry *t = find_tensor(file, name);
    if (!t)
        return -ENOENT;
    memset(info, 0, sizeof(*info));
    info->name = t->name;
    info->dtype = t->dtype_name;
    info->ndim = t->ndim;
    memcpy(info->shape, t->shape, sizeof(t->shape));
    info->size = t->end - t->begin;
    return 0;
}

/* ---- loading ------------------------------------------------------------ */

/* Finds `name` and checks it against the caller's expectation. On success
 * *count is the element count (>= 1). */
static int check_tensor(const FacetModelFile *file, const char *name, int ndim,
                        const int64_t *shape, const TensorEntry **found, size_t *count,
                        char *error, size_t error_size)
{
    char shown[NAME_DISPLAY_MAX + 4];
    if (ndim < 0 || ndim > FACET_MODEL_FILE_MAX_DIMS || (ndim > 0 && !shape)) {
        set_error(error, error_size, "%s: tensor '%s': bad expected shape (%d dimensions)",
                  file->path, display_name(name, shown), ndim);
        return -EINVAL;
    }
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 1 || shape[i] > FACET_MODEL_FILE_MAX_DIM) {
            set_error(error, error_size,
                      "%s: tensor '%s': expected dimension %d is %lld, not in 1..%d",
                      file->path, display_name(name, shown), i, (long long)shape[i],
                      FACET_MODEL_FILE_MAX_DIM);
            return -EINVAL;
        }
    }
    const TensorEntry *t = find_tensor(file, name);
    if (!t) {
        set_error(error, error_size, "%s: no tensor '%s'", file->path,
                  display_name(name, shown));
        return -ENOENT;
    }
    if (t->dtype == DTYPE_OTHER) {
        char dtype[NAME_DISPLAY_MAX + 4];
        set_error(error, error_size,
                  "%s: tensor '%s' has dtype %s%s, expected F32, F16 or BF16", file->path,
                  display_name(name, shown), display_name(t->dtype_name, dtype),
                  t->dtype_size ? "" : " (unknown to this loader)");
        return -EBADMSG;
    }
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = t->shape[i] == shape[i];
    if (!same) {
        char have[SHAPE_TEXT_MAX], want[SHAPE_TEXT_MAX];
        format_shape(have, t->ndim, t->shape);
        format_shape(want, ndim, shape);
        set_error(error, error_size, "%s: tensor '%s' has shape %s, expected %s", file->path,
                  display_name(name, shown), have, want);
        return -EBADMSG;
    }
    /* open() checked count * dtype_size against the offsets, which bound it
     * by the file size; check again rather than index on faith. */
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n = n > UINT64_MAX / (uint64_t)shape[i] ? UINT64_MAX : n * (uint64_t)shape[i];
    if (n > SIZE_MAX / sizeof(float) - FACET_TENSOR_ALIGN ||
        n * (uint64_t)t->dtype_size != t->end - t->begin || t->end > file->data_size) {
        set_error(error, error_size, "%s: tensor '%s' has a data size that does not match",
                  file->path, display_name(name, shown));
        return -EBADMSG;
    }
    *found = t;
    *count = (size_t)n;
    return 0;
}

int facet_model_file_load_raw(const FacetModelFile *file, const char *name, int ndim,
                              const int64_t *shape, float **data, size_t *count,
                              char *error, size_t error_size)
{
    clear_error(error, error_size);
    if (data)
        *data = NULL;
    if (count)
        *count = 0;
    if (!file || !name || !data || !count) {
        set_error(error, error_size, "facet_model_file_load_raw: NULL argument");
        return -EINVAL;
    }
    const TensorEntry *t;
    size_t n;
    int ret = check_tensor(file, name, ndim, shape, &t, &n, error, error_size);
    if (ret)
        return ret;
    size_t bytes = (n * sizeof(float) + FACET_TENSOR_ALIGN - 1) / FACET_TENSOR_ALIGN *
                   FACET_TENSOR_ALIGN;
    float *out = aligned_alloc(FACET_TENSOR_ALIGN, bytes);
    if (!out) {
        char shown[NAME_DISPLAY_MAX + 4];
        set_error(error, error_size, "%s: tensor '%s': out of memory", file->path,
                  display_name(name, shown));
        return -ENOMEM;
    }
    memset(out + n, 0, bytes - n * sizeof(float));
    convert_to_float(t, file->data + t->begin, out, n);
    *data = out;
    *count = n;
    return 0;
}

int facet_model_file_load_tensor(const FacetModelFile *file, const char *name, int ndim,
                                 const int64_t *shape, FacetTensor *tensor, char *error,
                                 size_t error_size)
{
    clear_error(error, error_size);
    if (tensor)
        memset(tensor, 0, sizeof(*tensor));
    if (!file || !name || !tensor) {
        set_error(error, error_size, "facet_model_file_load_tensor: NULL argument");
        return -EINVAL;
    }
    char shown[NAME_DISPLAY_MAX + 4];
    if (ndim < 1 || ndim > 4 || !shape) {
        set_error(error, error_size,
                  "%s: tensor '%s': a FacetTensor takes 1 to 4 dimensions, not %d",
                  file->path, display_name(name, shown), ndim);
        return -EINVAL;
    }
    const TensorEntry *t;
    size_t n;
    int ret = check_tensor(file, name, ndim, shape, &t, &n, error, error_size);
    if (ret)
        return ret;
    /* Right-aligned onto (c, h, w); leading dimensions fold into c. */
    int64_t dims[3] = {1, 1, 1};
    for (int i = 0; i < ndim; i++) {
        int slot = 3 - ndim + i;
        if (slot < 0)
            slot = 0;
        dims[slot] *= shape[i];
    }
    if (dims[0] > INT_MAX) {
        set_error(error, error_size,
                  "%s: tensor '%s': %lld channels do not fit a FacetTensor", file->path,
                  display_name(name, shown), (long long)dims[0]);
        return -EINVAL;
    }
    ret = facet_tensor_alloc(tensor, (int)dims[0], (int)dims[1], (int)dims[2]);
    if (ret) {
        set_error(error, error_size, "%s: tensor '%s': %s", file->path,
                  display_name(name, shown), ret == -ENOMEM ? "out of memory" : "too large");
        return ret;
    }
    convert_to_float(t, file->data + t->begin, tensor->data, n);
    return 0;
}
