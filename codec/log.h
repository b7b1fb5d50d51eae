/* SPDX-License-Identifier: BSD-2-Clause */
/* Error messages with details, sent to the application's log callback. */
#ifndef FACET_CODEC_LOG_H
#define FACET_CODEC_LOG_H

typedef struct FacetLogger {
    void (*callback)(void *opaque, const char *message);
    void *opaque;
} FacetLogger;

/* Formats a message and hands it to the callback, or to stderr when there
 * is none. */
void facet_log(const FacetLogger *logger, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* FACET_CODEC_LOG_H */
