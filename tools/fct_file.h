/*
 * The .fct file: a Facet stream stored as a sequence of packets.
 * Layout (docs/bitstream.md, "The .fct file"): the 12-byte file header
 * "FACETFCT" + u8 version (1) + 3 zero bytes, then per packet a u32
 * big-endian size, an s64 big-endian pts and the packet bytes.
 */
#ifndef FACET_TOOLS_FCT_FILE_H
#define FACET_TOOLS_FCT_FILE_H

#include <stdio.h>

#include "facet/facet.h"

/* Writes the file header. Returns 0 or -1 (errno set). */
int fct_write_header(FILE *file);
/* Appends one packet. Returns 0 or -1. */
int fct_write_packet(FILE *file, const FacetPacket *packet);

/* Checks the file header. Returns 0, or -1 with a message in *why. */
int fct_read_header(FILE *file, const char **why);
/* Reads the next packet into *packet (data malloc'd; free with
 * facet_packet_unref()). Returns 1, 0 at a clean end of file, or -1 with a
 * message in *why for a truncated or oversized record. */
int fct_read_packet(FILE *file, FacetPacket *packet, const char **why);

#endif
