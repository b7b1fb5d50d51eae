/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bounds-checked byte readers and writers for the bitstream's fixed fields.
 *
 * Both keep a sticky error flag instead of returning a status from every
 * call: a parser reads a whole header and checks once, and a read past the
 * end yields zeros and sets the flag, so no caller can read out of bounds
 * by forgetting a check.
 */
#ifndef FACET_CODEC_BYTESTREAM_H
#define FACET_CODEC_BYTESTREAM_H

#include <stddef.h>
#include <stdint.h>

/* Unsigned LEB128 integers are limited to 32 bits: at most 5 bytes. */
#define FACET_VARINT_MAX_BYTES 5

typedef struct FacetByteReader {
    const uint8_t *data;
    size_t size;
    size_t pos;
    int error; /* set on the first read past the end or malformed varint */
} FacetByteReader;

void facet_byte_reader_init(FacetByteReader *reader, const uint8_t *data, size_t size);
size_t facet_byte_reader_remaining(const FacetByteReader *reader);
uint8_t facet_read_u8(FacetByteReader *reader);
uint16_t facet_read_u16(FacetByteReader *reader);
uint32_t facet_read_u32(FacetByteReader *reader);
int64_t facet_read_s64(FacetByteReader *reader);
uint32_t facet_read_varint(FacetByteReader *reader);
/* Returns a pointer to the next `size` bytes and skips them, or NULL (and
 * sets the error flag) when fewer remain. */
const uint8_t *facet_read_bytes(FacetByteReader *reader, size_t size);

typedef struct FacetByteWriter {
    uint8_t *data;
    size_t capacity;
    size_t pos;
    int error; /* set on the first write that did not fit */
} FacetByteWriter;

void facet_byte_writer_init(FacetByteWriter *writer, uint8_t *data, size_t capacity);
void facet_write_u8(FacetByteWriter *writer, uint8_t value);
void facet_write_u16(FacetByteWriter *writer, uint16_t value);
void facet_write_u32(FacetByteWriter *writer, uint32_t value);
void facet_write_s64(FacetByteWriter *writer, int64_t value);
void facet_write_varint(FacetByteWriter *writer, uint32_t value);
void facet_write_bytes(FacetByteWriter *writer, const void *bytes, size_t size);
/* Number of bytes facet_write_varint() takes for `value`. */
size_t facet_varint_size(uint32_t value);

#endif /* FACET_CODEC_BYTESTREAM_H */
