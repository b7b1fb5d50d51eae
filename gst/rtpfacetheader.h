/* SPDX-License-Identifier: BSD-2-Clause */
/* The two-byte payload header of the Facet RTP payload format
 * (docs/rtp-payload.md), shared by rtpfacetpay and rtpfacetdepay. */
#ifndef GST_RTP_FACET_HEADER_H
#define GST_RTP_FACET_HEADER_H

#include <glib.h>

#define RTP_FACET_HEADER_SIZE 2
#define RTP_FACET_FLAG_START 0x80u
#define RTP_FACET_FLAG_END 0x40u
#define RTP_FACET_FLAG_KEYFRAME 0x20u
#define RTP_FACET_INDEX_MASK 0x0fffu

#define RTP_FACET_ENCODING_NAME "X-FACET"
#define RTP_FACET_CLOCK_RATE 90000

static inline void rtp_facet_header_write(guint8 *out, guint flags, guint index)
{
    index &= RTP_FACET_INDEX_MASK;
    out[0] = (guint8)(flags | (index >> 8));
    out[1] = (guint8)(index & 0xff);
}

static inline guint rtp_facet_header_index(const guint8 *in)
{
    return ((guint)(in[0] & 0x0f) << 8) | in[1];
}

#endif /* GST_RTP_FACET_HEADER_H */
