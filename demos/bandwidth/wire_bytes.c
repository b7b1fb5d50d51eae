/* SPDX-License-Identifier: BSD-2-Clause */
/* Packet bytes as a call sends them; see wire_bytes.h. */
#include "wire_bytes.h"

/* OBU header (AV1 spec 5.3.1): type in bits 6..3, extension flag bit 2,
 * size field flag bit 1. */
#define OBU_TEMPORAL_DELIMITER 2

/* The size of the temporal delimiter OBU at the start of a unit, 0 if the
 * unit starts with anything else. */
static size_t temporal_delimiter_size(const uint8_t *data, size_t size)
{
    if (size < 2 || ((data[0] >> 3) & 0xf) != OBU_TEMPORAL_DELIMITER || !(data[0] & 0x02))
        return 0;
    size_t header = (data[0] & 0x04) ? 2 : 1;
    /* A delimiter has no payload: its size field is the single byte 0. */
    return header < size && data[header] == 0 ? header + 1 : 0;
}

/* The start codes of an Annex B stream: every 00 00 01 with the zero
 * bytes before it (emulation prevention keeps 00 00 01 out of NAL units,
 * and a NAL unit never ends in 00). */
static size_t start_code_bytes(const uint8_t *data, size_t size)
{
    size_t total = 0;
    for (size_t i = 0; i + 2 < size; i++) {
        if (data[i] != 0 || data[i + 1] != 0 || data[i + 2] != 1)
            continue;
        size_t zeros = 2;
        while (zeros < i + 2 && data[i + 2 - zeros - 1] == 0)
            zeros++;
        total += zeros + 1;
        i += 2;
    }
    return total;
}

size_t wire_bytes(WireFraming framing, const uint8_t *data, size_t size)
{
    switch (framing) {
    case WIRE_FRAMING_AV1:
        return size - temporal_delimiter_size(data, size);
    case WIRE_FRAMING_ANNEX_B:
        return size - start_code_bytes(data, size);
    case WIRE_FRAMING_NONE:
    default:
        return size;
    }
}
