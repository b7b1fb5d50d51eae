/* SPDX-License-Identifier: BSD-2-Clause */
/* Bounds-checked big-endian and LEB128 field access; see bytestream.h. */
#include "codec/bytestream.h"

#include <string.h>

void facet_byte_reader_init(FacetByteReader *reader, const uint8_t *data, size_t size)
{
    reader->data = data;
    reader->size = data ? size : 0;
    reader->pos = 0;
    reader->error = 0;
}

size_t facet_byte_reader_remaining(const FacetByteReader *reader)
{
    return reader->size - reader->pos;
}

const uint8_t *facet_read_bytes(FacetByteReader *reader, size_t size)
{
    if (reader->error || size > reader->size - reader->pos) {
        reader->error = 1;
        return NULL;
    }
    const uint8_t *bytes = reader->data + reader->pos;
    reader->pos += size;
    return bytes;
}

/* Big-endian unsigned read of `size` bytes; zero after an error. */
static uint64_t read_be(FacetByteReader *reader, size_t size)
{
    const uint8_t *bytes = facet_read_bytes(reader, size);
    uint64_t value = 0;
    if (!bytes)
        return 0;
    for (size_t i = 0; i < size; i++)
        value = (value << 8) | bytes[i];
    return value;
}

uint8_t facet_read_u8(FacetByteReader *reader)
{
    return (uint8_t)read_be(reader, 1);
}

uint16_t facet_read_u16(FacetByteReader *reader)
{
    return (uint16_t)read_be(reader, 2);
}

uint32_t facet_read_u32(FacetByteReader *reader)
{
    return (uint32_t)read_be(reader, 4);
}

int64_t facet_read_s64(FacetByteReader *reader)
{
    uint64_t value = read_be(reader, 8);
    int64_t result;
    memcpy(&result, &value, sizeof(result)); /* two's complement, no UB */
    return result;
}

uint32_t facet_read_varint(FacetByteReader *reader)
{
    uint64_t value = 0;
    for (int i = 0; i < FACET_VARINT_MAX_BYTES; i++) {
        uint8_t byte = facet_read_u8(reader);
        if (reader->error)
            return 0;
        value |= (uint64_t)(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) {
            if (value > UINT32_MAX)
                break;
            return (uint32_t)value;
        }
    }
    /* Longer than 5 bytes or wider than 32 bits: not a valid field. */
    reader->error = 1;
    return 0;
}

void facet_byte_writer_init(FacetByteWriter *writer, uint8_t *data, size_t capacity)
{
    writer->data = data;
    writer->capacity = data ? capacity : 0;
    writer->pos = 0;
    writer->error = 0;
}

void facet_write_bytes(FacetByteWriter *writer, const void *bytes, size_t size)
{
    if (writer->error || size > writer->capacity - writer->pos) {
        writer->error = 1;
        return;
    }
    if (size)
        memcpy(writer->data + writer->pos, bytes, size);
    writer->pos += size;
}

static void write_be(FacetByteWriter *writer, uint64_t value, size_t size)
{
    uint8_t bytes[8];
    for (size_t i = 0; i < size; i++)
        bytes[i] = (uint8_t)(value >> (8 * (size - 1 - i)));
    facet_write_bytes(writer, bytes, size);
}

void facet_write_u8(FacetByteWriter *writer, uint8_t value)
{
    write_be(writer, value, 1);
}

void facet_write_u16(FacetByteWriter *writer, uint16_t value)
{
    write_be(writer, value, 2);
}

void facet_write_u32(FacetByteWriter *writer, uint32_t value)
{
    write_be(writer, value, 4);
}

void facet_write_s64(FacetByteWriter *writer, int64_t value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof(bits));
    write_be(writer, bits, 8);
}

void facet_write_varint(FacetByteWriter *writer, uint32_t value)
{
    uint8_t bytes[FACET_VARINT_MAX_BYTES];
    size_t size = 0;
    do {
        uint8_t byte = value & 0x7f;
        value >>= 7;
        bytes[size++] = byte | (value ? 0x80 : 0);
    } while (value);
    facet_write_bytes(writer, bytes, size);
}

size_t facet_varint_size(uint32_t value)
{
    size_t size = 1;
    while (value >>= 7)
        size++;
    return size;
}
