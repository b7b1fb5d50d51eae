/* The .fct byte stream (docs/bitstream.md, "The .fct file"), shared by
 * facetenc (which writes it), facetdec (which parses it) and the plugin's
 * typefinder. Layout: a 12-byte file header ("FACETFCT", u8 version 1,
 * three zero bytes), then per packet a 12-byte record header (u32
 * big-endian packet size, s64 big-endian pts in frames) and the packet. */
#ifndef GST_FACET_FCT_FORMAT_H
#define GST_FACET_FCT_FORMAT_H

#include <string.h>

#include <glib.h>

#define FCT_MAGIC "FACETFCT"
#define FCT_MAGIC_SIZE 8
#define FCT_VERSION 1
#define FCT_HEADER_SIZE 12
#define FCT_RECORD_HEADER_SIZE 12

/* The values of the stream-format field of video/x-facet caps. */
#define FACET_STREAM_FORMAT_PACKET "packet"
#define FACET_STREAM_FORMAT_FCT "fct"

static inline void fct_header_write(guint8 *out)
{
    memset(out, 0, FCT_HEADER_SIZE);
    memcpy(out, FCT_MAGIC, FCT_MAGIC_SIZE);
    out[FCT_MAGIC_SIZE] = FCT_VERSION;
}

static inline void fct_record_header_write(guint8 *out, guint32 size, gint64 pts)
{
    guint64 bits = (guint64)pts; /* two's complement on the wire */

    for (int i = 0; i < 4; i++)
        out[i] = (guint8)(size >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        out[4 + i] = (guint8)(bits >> (56 - 8 * i));
}

static inline void fct_record_header_read(const guint8 *in, guint32 *size, gint64 *pts)
{
    guint64 bits = 0;

    *size = ((guint32)in[0] << 24) | ((guint32)in[1] << 16) | ((guint32)in[2] << 8) | in[3];
    for (int i = 0; i < 8; i++)
        bits = (bits << 8) | in[4 + i];
    /* memcpy rather than a cast: converting an out-of-range unsigned
     * value to a signed type is implementation-defined. */
    memcpy(pts, &bits, sizeof(*pts));
}

#endif /* GST_FACET_FCT_FORMAT_H */
