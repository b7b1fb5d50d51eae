/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The .fct file (docs/bitstream.md, "The .fct file"): a Facet stream stored
 * as a 12-byte file header ("FACETFCT", u8 version 1, three zero bytes)
 * and, per packet, a 12-byte record header (u32 big-endian packet size, s64
 * big-endian pts in frames) followed by the packet.
 *
 * The one implementation, used by the facet command (FILE streams), the
 * GStreamer elements (which get the file in buffers of any size: they call
 * the in-memory functions on bytes they gathered) and the plugin's
 * typefinder. Every byte read is untrusted: a header that is not .fct, of
 * another version, or a record size the decoder would refuse anyway is an
 * error, never a large allocation or a read past the bytes given.
 * Errors are negative errno values, like libfacet's.
 */
#ifndef FACET_CONTAINER_FCT_H
#define FACET_CONTAINER_FCT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "facet/facet.h"

#define FCT_MAGIC "FACETFCT"
#define FCT_MAGIC_SIZE 8
#define FCT_VERSION 1
#define FCT_FILE_HEADER_SIZE 12
#define FCT_RECORD_HEADER_SIZE 12
/* Bytes of the file header that say what it is: the magic and the version
 * (the three zero bytes after them are not checked, so a later version may
 * use them). Enough for a typefinder. */
#define FCT_FILE_HEADER_ID_SIZE (FCT_MAGIC_SIZE + 1)

/* ---- in memory ---- */

/* Writes the file header into out[FCT_FILE_HEADER_SIZE]. */
void fct_file_header_write(uint8_t *out);

/* Checks the start of a file: `size` bytes at `data`, of which the first
 * FCT_FILE_HEADER_ID_SIZE are read. Returns 0 for a version-1 .fct file;
 * -EAGAIN when fewer bytes are given; -EBADMSG when the magic is not there
 * (not a .fct file); -ENOTSUP for a .fct file of another version, which
 * goes to *version when version is not NULL. */
int fct_file_header_parse(const uint8_t *data, size_t size, unsigned *version);

/* Writes a record header into out[FCT_RECORD_HEADER_SIZE]. Returns 0, or
 * -EINVAL for a packet size of 0 or over FACET_MAX_PACKET_SIZE (nothing
 * written: no reader would take it). */
int fct_record_header_write(uint8_t *out, size_t packet_size, int64_t pts);

/* Reads the record header in data[FCT_RECORD_HEADER_SIZE]. Returns 0, or
 * -EBADMSG for a packet size of 0 or over FACET_MAX_PACKET_SIZE (a corrupt
 * file). *packet_size and *pts are set either way, so the caller can say
 * what it found. */
int fct_record_header_parse(const uint8_t *data, uint32_t *packet_size, int64_t *pts);

/* ---- FILE streams ---- */

/* Writes the file header. Returns 0 or -1 (errno set). */
int fct_write_header(FILE *file);
/* Appends one packet as a record (its pts as the record's). Returns 0, or
 * -1 with errno set (EINVAL for a packet no reader would take). */
int fct_write_packet(FILE *file, const FacetPacket *packet);

/* Reads and checks the file header. Returns 0, or -1 with a message in
 * *why. */
int fct_read_header(FILE *file, const char **why);
/* Reads the next record into *packet (data malloc'd; free with
 * facet_packet_unref()). Returns 1, 0 at a clean end of file, or -1 with a
 * message in *why for a truncated or corrupt record. */
int fct_read_packet(FILE *file, FacetPacket *packet, const char **why);

#endif /* FACET_CONTAINER_FCT_H */
