/* SPDX-License-Identifier: BSD-2-Clause */
/* Version queries and error messages. */
#include "facet/facet.h"

#ifndef FACET_VERSION_STRING
#error "the build must define FACET_VERSION_STRING"
#endif

const char *facet_version(void)
{
    return FACET_VERSION_STRING;
}

unsigned facet_version_int(void)
{
    return FACET_VERSION;
}

const char *facet_strerror(int error)
{
    /* Messages say what the caller can do about it, in the codec's terms,
     * rather than repeating the C library's generic wording. */
    switch (error) {
    case 0:
        return "success";
    case FACET_ERR(EINVAL):
        return "invalid argument";
    case FACET_ERR(EAGAIN):
        return "resource temporarily unavailable: receive the pending output first, "
               "or send more input";
    case FACET_ERR(ENOMEM):
        return "out of memory";
    case FACET_ERR(EBADMSG):
        return "malformed packet or model file";
    case FACET_ERR(ENOTSUP):
        return "stream uses a version or feature this build does not support";
    case FACET_ERR(ENOENT):
        /* Two cases share the code; the log message says which. */
        return "not found: a model file that does not exist, or the keyframe a delta "
               "packet refers to (request a keyframe)";
    case FACET_ERR(ENODEV):
        return "no usable Vulkan device for the vulkan back end";
    case FACET_ERR(ENOSYS):
        return "codec not available in this build of FFmpeg";
    case FACET_ERR(ENOSPC):
        return "output buffer too small";
    case FACET_ERR(ERANGE):
        return "value out of range";
    case FACET_ERR(EIO):
        return "the intra codec failed";
    case FACET_ERR(EPIPE):
        return "a low-resolution packet was lost: the chain of inter frames is broken until "
               "the next low-resolution keyframe (request a keyframe)";
    case FACET_ERR(EALREADY):
        return "a duplicated or late packet, older than the last frame decoded: dropped";
    default:
        return "unknown error";
    }
}
