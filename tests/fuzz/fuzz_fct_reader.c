/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target over the .fct reader (container/fct.h): one input is a
 * whole file.
 *
 * It is read twice, the two ways the programs read it: as a FILE stream
 * (the facet command: fct_read_header(), fct_read_packet()) and from
 * memory (facetdec: fct_file_header_parse(), fct_record_header_parse() on
 * bytes it gathered), and each packet goes through facet_packet_peek() as
 * the elements do. Beyond "no crash": both ways must find the same records
 * (sizes and pts), never one over FACET_MAX_PACKET_SIZE, and the FILE
 * reader must stop with an error exactly where the memory reader finds a
 * bad or cut record. A broken promise aborts.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/fct.h"
#include "facet/facet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int condition)
{
    if (!condition)
        abort();
}

/* Reads like facetdec. Returns the number of whole records; *clean is 1
 * when the file ended exactly after the last one. */
static int read_from_memory(const uint8_t *data, size_t size, size_t *offsets, uint32_t *sizes,
                            int64_t *pts, int max_records, int *clean)
{
    size_t offset = FCT_FILE_HEADER_SIZE;
    int count = 0;

    *clean = 0;
    if (size < FCT_FILE_HEADER_SIZE || fct_file_header_parse(data, size, NULL) < 0)
        return -1;
    while (count < max_records) {
        uint32_t packet_size;
        int64_t record_pts;
        if (offset == size) {
            *clean = 1;
            break;
        }
        if (size - offset < FCT_RECORD_HEADER_SIZE)
            break;
        if (fct_record_header_parse(data + offset, &packet_size, &record_pts) < 0) {
            check(packet_size == 0 || packet_size > FACET_MAX_PACKET_SIZE);
            break;
        }
        check(packet_size >= 1 && packet_size <= FACET_MAX_PACKET_SIZE);
        if (size - offset - FCT_RECORD_HEADER_SIZE < packet_size)
            break;
        offset += FCT_RECORD_HEADER_SIZE;
        FacetPacketInfo info = { .struct_size = sizeof(info) };
        int ret = facet_packet_peek(data + offset, packet_size, &info);
        check(ret == 0 || ret == FACET_ERR(EBADMSG) || ret == FACET_ERR(ENOTSUP));
        offsets[count] = offset;
        sizes[count] = packet_size;
        pts[count] = record_pts;
        count++;
        offset += packet_size;
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { MAX_RECORDS = 4096 };
    static size_t offsets[MAX_RECORDS];
    static uint32_t sizes[MAX_RECORDS];
    static int64_t pts[MAX_RECORDS];
    int clean;
    int records = read_from_memory(data, size, offsets, sizes, pts, MAX_RECORDS, &clean);

    /* fmemopen() refuses an empty buffer; an empty file is not .fct anyway. */
    if (size == 0) {
        check(records < 0);
        return 0;
    }
    FILE *file = fmemopen((void *)data, size, "rb");
    if (!file)
        return 0;
    const char *why = NULL;
    int header = fct_read_header(file, &why);
    check((header == 0) == (records >= 0));
    if (header == 0) {
        int read = 0, ret;
        FacetPacket packet;
        while (read < MAX_RECORDS && (ret = fct_read_packet(file, &packet, &why)) == 1) {
            check(read < records);
            check(packet.size == sizes[read] && packet.pts == pts[read]);
            /* Every byte compared: a wrongly sized buffer trips ASan. */
            check(memcmp(packet.data, data + offsets[read], packet.size) == 0);
            facet_packet_unref(&packet);
            read++;
        }
        if (read < MAX_RECORDS) {
            check(read == records);
            /* A clean end for the memory reader is a clean end here. */
            check((ret == 0) == clean);
            if (ret < 0)
                check(why != NULL);
        }
    } else {
        check(why != NULL);
    }
    fclose(file);
    return 0;
}
