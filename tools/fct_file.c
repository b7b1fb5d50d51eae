/* .fct file reading and writing; see fct_file.h. */
#include "fct_file.h"

#include <stdlib.h>
#include <string.h>


#define FCT_MAGIC "FACETFCT"
#define FCT_VERSION 1
#define FCT_HEADER_SIZE 12
#define FCT_RECORD_HEADER_SIZE 12

/* Record fields are big-endian: u32 size, then s64 pts. */
static void put_record_header(uint8_t *record, uint32_t size, int64_t pts)
{
    uint64_t pts_bits = (uint64_t)pts;
    for (int i = 0; i < 4; i++)
        record[i] = (uint8_t)(size >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        record[4 + i] = (uint8_t)(pts_bits >> (56 - 8 * i));
}

static void get_record_header(const uint8_t *record, uint32_t *size, int64_t *pts)
{
    uint64_t pts_bits = 0;
    *size = 0;
    for (int i = 0; i < 4; i++)
        *size = (*size << 8) | record[i];
    for (int i = 0; i < 8; i++)
        pts_bits = (pts_bits << 8) | record[4 + i];
    memcpy(pts, &pts_bits, sizeof(*pts));
}

int fct_write_header(FILE *file)
{
    uint8_t header[FCT_HEADER_SIZE] = { 0 };
    memcpy(header, FCT_MAGIC, 8);
    header[8] = FCT_VERSION;
    return fwrite(header, 1, sizeof(header), file) == sizeof(header) ? 0 : -1;
}

int fct_write_packet(FILE *file, const FacetPacket *packet)
{
    uint8_t record[FCT_RECORD_HEADER_SIZE];
    put_record_header(record, (uint32_t)packet->size, packet->pts);
    if (fwrite(record, 1, sizeof(record), file) != sizeof(record) ||
        fwrite(packet->data, 1, packet->size, file) != packet->size)
        return -1;
    return 0;
}

int fct_read_header(FILE *file, const char **why)
{
    uint8_t header[FCT_HEADER_SIZE];
    if (fread(header, 1, sizeof(header), file) != sizeof(header) ||
        memcmp(header, FCT_MAGIC, 8) != 0) {
        *why = "not a .fct file (no FACETFCT header)";
        return -1;
    }
    if (header[8] != FCT_VERSION) {
        *why = "unsupported .fct file version";
        return -1;
    }
    return 0;
}

int fct_read_packet(FILE *file, FacetPacket *packet, const char **why)
{
    memset(packet, 0, sizeof(*packet));
    uint8_t record[FCT_RECORD_HEADER_SIZE];
    size_t got = fread(record, 1, sizeof(record), file);
    if (got == 0 && feof(file))
        return 0;
    if (got != sizeof(record)) {
        *why = "truncated packet record";
        return -1;
    }
    uint32_t size;
    int64_t pts;
    get_record_header(record, &size, &pts);
    if (size == 0 || size > FACET_MAX_PACKET_SIZE) {
        *why = "packet record with an impossible size";
        return -1;
    }
    uint8_t *data = malloc(size);
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
