/* SPDX-License-Identifier: BSD-2-Clause */
/* The .fct file, in memory and on FILE streams; see fct.h. */
#include "container/fct.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void fct_file_header_write(uint8_t *out)
{
    memset(out, 0, FCT_FILE_HEADER_SIZE);
    memcpy(out, FCT_MAGIC, FCT_MAGIC_SIZE);
    out[FCT_MAGIC_SIZE] = FCT_VERSION;
}

int fct_file_header_parse(const uint8_t *data, size_t size, unsigned *version)
{
    if (!data || size < FCT_FILE_HEADER_ID_SIZE)
        return -EAGAIN;
    if (memcmp(data, FCT_MAGIC, FCT_MAGIC_SIZE) != 0)
        return -EBADMSG;
    if (version)
        *version = data[FCT_MAGIC_SIZE];
    return data[FCT_MAGIC_SIZE] == FCT_VERSION ? 0 : -ENOTSUP;
}

int fct_record_header_write(uint8_t *out, size_t packet_size, int64_t pts)
{
    uint64_t bits;

    if (packet_size == 0 || packet_size > FACET_MAX_PACKET_SIZE)
        return -EINVAL;
    /* memcpy: the pts goes out as two's complement whatever its sign. */
    memcpy(&bits, &pts, sizeof(bits));
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)(packet_size >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        out[4 + i] = (uint8_t)(bits >> (56 - 8 * i));
    return 0;
}

int fct_record_header_parse(const uint8_t *data, uint32_t *packet_size, int64_t *pts)
{
    uint32_t size = 0;
    uint64_t bits = 0;

    for (int i = 0; i < 4; i++)
        size = (size << 8) | data[i];
    for (int i = 0; i < 8; i++)
        bits = (bits << 8) | data[4 + i];
    /* memcpy rather than a cast: converting an out-of-range unsigned value
     * to a signed type is implementation-defined. */
    memcpy(pts, &bits, sizeof(*pts));
    *packet_size = size;
    /* A size the decoder would refuse is a corrupt file, and refusing it
     * here keeps a reader from allocating or waiting for up to 4 GiB. */
    return size == 0 || size > FACET_MAX_PACKET_SIZE ? -EBADMSG : 0;
}

int fct_write_header(FILE *file)
{
    uint8_t header[FCT_FILE_HEADER_SIZE];
    fct_file_header_write(header);
    return fwrite(header, 1, sizeof(header), file) == sizeof(header) ? 0 : -1;
}

int fct_write_packet(FILE *file, const FacetPacket *packet)
{
    uint8_t record[FCT_RECORD_HEADER_SIZE];
    if (!packet->data || fct_record_header_write(record, packet->size, packet->pts) < 0) {
        errno = EINVAL;
        return -1;
    }
    if (fwrite(record, 1, sizeof(record), file) != sizeof(record) ||
        fwrite(packet->data, 1, packet->size, file) != packet->size)
        return -1;
    return 0;
}

int fct_read_header(FILE *file, const char **why)
{
    uint8_t header[FCT_FILE_HEADER_SIZE];
    size_t got = fread(header, 1, sizeof(header), file);
    int ret = fct_file_header_parse(header, got == sizeof(header) ? got : 0, NULL);
    if (ret == -ENOTSUP) {
        *why = "unsupported .fct file version";
        return -1;
    }
    if (ret < 0) {
        *why = "not a .fct file (no FACETFCT header)";
        return -1;
    }
    return 0;
}

int fct_read_packet(FILE *file, FacetPacket *packet, const char **why)
{
    uint8_t record[FCT_RECORD_HEADER_SIZE];
    uint32_t size;
    int64_t pts;
    uint8_t *data;

    memset(packet, 0, sizeof(*packet));
    size_t got = fread(record, 1, sizeof(record), file);
    if (got == 0 && feof(file))
        return 0;
    if (got != sizeof(record)) {
        *why = "truncated packet record";
        return -1;
    }
    if (fct_record_header_parse(record, &size, &pts) < 0) {
        *why = "packet record with an impossible size";
        return -1;
    }
    data = malloc(size);
    if (!data) {
        *why = "out of memory";
        return -1;
    }
    if (fread(data, 1, size, file) != size) {
        free(data);
        *why = "truncated packet";
        return -1;
    }
    packet->data = data;
    packet->size = size;
    packet->pts = pts;
    return 1;
}
