/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers shared by the intra encoder and decoder (internal). */
#ifndef FACET_CODEC_INTRA_COMMON_H
#define FACET_CODEC_INTRA_COMMON_H

#include <libavutil/cpu.h>
#include <libavutil/error.h>

#include "codec/intra.h"

static inline int facet_intra_resolve_threads(int threads)
{
    if (threads > 0)
        return threads;
    int cpus = av_cpu_count();
    return cpus < 1 ? 1 : cpus > FACET_INTRA_MAX_THREADS ? FACET_INTRA_MAX_THREADS : cpus;
}

/* libavcodec failures become EBADMSG/ENOSYS/EIO as the caller sees fit;
 * only running out of memory keeps its own meaning. */
static inline int facet_intra_error_from_av(int averror, int otherwise)
{
    return averror == AVERROR(ENOMEM) ? FACET_ERR(ENOMEM) : otherwise;
}

#endif /* FACET_CODEC_INTRA_COMMON_H */
