/* SPDX-License-Identifier: BSD-2-Clause */
/* See log.h. */
#include "codec/log.h"

#include <stdarg.h>
#include <stdio.h>

void facet_log(const FacetLogger *logger, const char *format, ...)
{
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof(message), format, args);
    va_end(args);
    if (logger && logger->callback)
        logger->callback(logger->opaque, message);
    else
        fprintf(stderr, "facet: %s\n", message);
}
