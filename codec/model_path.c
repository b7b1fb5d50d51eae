/* Model file selection; see model_path.h and the settings in facet.h. */
#define _POSIX_C_SOURCE 200809L
#include "codec/model_path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "facet/facet.h"

#ifndef FACET_DEFAULT_MODEL_FILE
#error "the build must define FACET_DEFAULT_MODEL_FILE"
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
