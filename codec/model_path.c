/* SPDX-License-Identifier: BSD-2-Clause */
/* Model file selection; see model_path.h and the settings in facet.h. */
#define _GNU_SOURCE /* asprintf */
#include "codec/model_path.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "facet/facet.h"
#include "render/safetensors.h"

#ifndef FACET_DEFAULT_MODEL_FILE
#error "the build must define FACET_DEFAULT_MODEL_FILE"
#endif
#ifndef FACET_SOURCE_MODELS_DIR
#error "the build must define FACET_SOURCE_MODELS_DIR"
#endif

const char *facet_default_model_path(void)
{
    return FACET_DEFAULT_MODEL_FILE;
}

int facet_model_path_resolve(const char *setting, char **path)
{
    *path = NULL;
    const char *chosen = setting;
    if (!chosen) {
        /* Only the implicit default may be absent: an explicit path that
         * does not open is the caller's error, reported when loading. */
        const char *from_environment = getenv("FACET_MODEL");
        if (from_environment && *from_environment)
            chosen = from_environment;
        else if (access(FACET_DEFAULT_MODEL_FILE, R_OK) == 0)
            chosen = FACET_DEFAULT_MODEL_FILE;
    }
    if (!chosen || !*chosen)
        return 0;
    *path = strdup(chosen);
    return *path ? 0 : -ENOMEM;
}

/* The folder part of `file` ("." when it has none), malloc'd; NULL on ENOMEM. */
static char *folder_of(const char *file)
{
    const char *slash = strrchr(file, '/');
    if (!slash)
        return strdup(".");
    if (slash == file)
        return strdup("/");
    return strndup(file, (size_t)(slash - file));
}

static int has_model_suffix(const char *name)
{
    static const char suffix[] = ".safetensors";
    size_t n = strlen(name), k = sizeof(suffix) - 1;
    return n > k && !strcmp(name + n - k, suffix);
}

/* Whether `file` is a model file whose model_id is `model_id`. */
static int file_has_model_id(const char *file, uint32_t model_id)
{
    struct stat st;
    if (stat(file, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        (unsigned long long)st.st_size > FACET_MODEL_FILE_MAX_SIZE)
        return 0;
    FacetModelFile *model = NULL;
    if (facet_model_file_open(&model, file, NULL, 0) < 0)
        return 0;
    const char *text = facet_model_file_metadata(model, "model_id");
    int match = 0;
    if (text && strlen(text) == 8 && strspn(text, "0123456789abcdefABCDEF") == 8)
        match = (uint32_t)strtoul(text, NULL, 16) == model_id;
    facet_model_file_close(&model);
    return match;
}

static int is_model_entry(const struct dirent *entry)
{
    return has_model_suffix(entry->d_name);
}

/* Looks at the *.safetensors files of `folder`, in name order (a stable
 * choice). Returns 1 and sets *path on a match, 0 when none, -ENOMEM. */
static int find_in_folder(const char *folder, uint32_t model_id, int *budget, char **path)
{
    if (!*folder || *budget <= 0)
        return 0;
    struct dirent **names = NULL;
    int count = scandir(folder, &names, is_model_entry, alphasort);
    if (count < 0)
        return 0;
    int ret = 0;
    for (int i = 0; i < count; i++) {
        const char *name = names[i]->d_name;
        if (ret == 0 && *budget > 0) {
            char *file = NULL;
            if (asprintf(&file, "%s/%s", folder, name) < 0) {
                ret = -ENOMEM;
            } else {
                (*budget)--;
                if (file_has_model_id(file, model_id)) {
                    *path = file;
                    file = NULL;
                    ret = 1;
                }
                free(file);
            }
        }
        free(names[i]);
    }
    free(names);
    return ret;
}

int facet_model_path_find(uint32_t model_id, char **path)
{
    *path = NULL;
    int budget = FACET_MODEL_SEARCH_MAX_FILES;
    int ret = 0;
    const char *search_path = getenv("FACET_MODEL_PATH");
    if (search_path && *search_path) {
        char *copy = strdup(search_path);
        if (!copy)
            return -ENOMEM;
        char *save = NULL;
        for (char *folder = strtok_r(copy, ":", &save); folder && ret == 0;
             folder = strtok_r(NULL, ":", &save))
            ret = find_in_folder(folder, model_id, &budget, path);
        free(copy);
    }
    static const char *const built_in[] = { NULL, FACET_SOURCE_MODELS_DIR };
    for (size_t i = 0; i < sizeof(built_in) / sizeof(built_in[0]) && ret == 0; i++) {
        char *folder = built_in[i] ? strdup(built_in[i]) : folder_of(FACET_DEFAULT_MODEL_FILE);
        if (!folder)
            return -ENOMEM;
        ret = find_in_folder(folder, model_id, &budget, path);
        free(folder);
    }
    return ret < 0 ? ret : 0;
}
