/* SPDX-License-Identifier: BSD-2-Clause */
/* The video/x-facet caps the elements and the plugin's typefinder share. */
#ifndef GST_FACET_CAPS_H
#define GST_FACET_CAPS_H

/* The values of the stream-format field: one whole packet per buffer, or
 * the .fct byte stream (container/fct.h) in buffers of any size. */
#define FACET_STREAM_FORMAT_PACKET "packet"
#define FACET_STREAM_FORMAT_FCT "fct"

#endif /* GST_FACET_CAPS_H */
