/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The .fct container (container/fct.h): every malformed file and record
 * class gets its code or message, in memory and on FILE streams, and what is
 * written reads back.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/fct.h"
#include "facet/facet.h"

static const uint8_t good_header[FCT_FILE_HEADER_SIZE] = { 'F', 'A', 'C', 'E', 'T', 'F',
                                                           'C', 'T', 1,   0,   0,   0 };

START_TEST(test_file_header)
{
    uint8_t header[FCT_FILE_HEADER_SIZE];
    unsigned version = 0;

    fct_file_header_write(header);
    ck_assert_mem_eq(header, good_header, sizeof(header));
    ck_assert_int_eq(fct_file_header_parse(header, sizeof(header), &version), 0);
    ck_assert_uint_eq(version, 1);
    /* The magic and version are enough (a typefinder's peek). */
    ck_assert_int_eq(fct_file_header_parse(header, FCT_FILE_HEADER_ID_SIZE, NULL), 0);
    /* The three bytes after the version are left to later versions. */
    header[11] = 0xff;
    ck_assert_int_eq(fct_file_header_parse(header, sizeof(header), NULL), 0);

    /* Too few bytes to tell. */
    ck_assert_int_eq(fct_file_header_parse(header, FCT_FILE_HEADER_ID_SIZE - 1, NULL), -EAGAIN);
    ck_assert_int_eq(fct_file_header_parse(NULL, sizeof(header), NULL), -EAGAIN);
    /* Every byte of the magic matters. */
    for (int i = 0; i < FCT_MAGIC_SIZE; i++) {
        memcpy(header, good_header, sizeof(header));
        header[i] ^= 0x20;
        ck_assert_int_eq(fct_file_header_parse(header, sizeof(header), NULL), -EBADMSG);
    }
    /* Another version: said, with its number. */
    static const uint8_t versions[] = { 0, 2, 255 };
    for (size_t i = 0; i < sizeof(versions); i++) {
        memcpy(header, good_header, sizeof(header));
        header[FCT_MAGIC_SIZE] = versions[i];
        ck_assert_int_eq(fct_file_header_parse(header, sizeof(header), &version), -ENOTSUP);
        ck_assert_uint_eq(version, versions[i]);
    }
}
END_TEST

START_TEST(test_record_header)
{
    static const int64_t pts_values[] = { 0, 1, -1, INT64_MIN, INT64_MAX };
    static const uint32_t bad_sizes[] = { 0, FACET_MAX_PACKET_SIZE + 1, UINT32_MAX };
    uint8_t record[FCT_RECORD_HEADER_SIZE];
    uint32_t size;
    int64_t pts;

    for (size_t i = 0; i < sizeof(pts_values) / sizeof(pts_values[0]); i++) {
        ck_assert_int_eq(fct_record_header_write(record, FACET_MAX_PACKET_SIZE, pts_values[i]), 0);
        ck_assert_int_eq(fct_record_header_parse(record, &size, &pts), 0);
        ck_assert_uint_eq(size, FACET_MAX_PACKET_SIZE);
        ck_assert(pts == pts_values[i]);
    }
    /* Big-endian on the wire. */
    ck_assert_int_eq(fct_record_header_write(record, 0x123, -2), 0);
    static const uint8_t expected[] = { 0, 0, 1, 0x23, 0xff, 0xff, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xfe };
    ck_assert_mem_eq(record, expected, sizeof(expected));

    /* No reader takes an empty or oversized packet, so none is written. */
    memset(record, 0xaa, sizeof(record));
    ck_assert_int_eq(fct_record_header_write(record, 0, 0), -EINVAL);
    ck_assert_int_eq(fct_record_header_write(record, (size_t)FACET_MAX_PACKET_SIZE + 1, 0),
                     -EINVAL);
    ck_assert_uint_eq(record[0], 0xaa);

    for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        for (int b = 0; b < 4; b++)
            record[b] = (uint8_t)(bad_sizes[i] >> (24 - 8 * b));
        ck_assert_int_eq(fct_record_header_parse(record, &size, &pts), -EBADMSG);
        /* The size found is reported, for the message. */
        ck_assert_uint_eq(size, bad_sizes[i]);
    }
}
END_TEST

/* A FILE over bytes in memory. */
static FILE *file_of(const uint8_t *data, size_t size)
{
    FILE *file = fmemopen((void *)data, size, "rb");
    ck_assert_ptr_nonnull(file);
    return file;
}

START_TEST(test_stream_round_trip)
{
    static const int64_t pts_values[] = { 0, 1, -5 };
    uint8_t payload[300];
    char *buffer = NULL;
    size_t buffer_size = 0;
    FILE *out = open_memstream(&buffer, &buffer_size);
    ck_assert_ptr_nonnull(out);
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 31);

    ck_assert_int_eq(fct_write_header(out), 0);
    for (size_t i = 0; i < 3; i++) {
        FacetPacket packet = { .data = payload, .size = 100 * (i + 1), .pts = pts_values[i] };
        ck_assert_int_eq(fct_write_packet(out, &packet), 0);
    }
    /* A packet no reader would take is refused. */
    FacetPacket empty = { .data = payload, .size = 0 };
    ck_assert_int_eq(fct_write_packet(out, &empty), -1);
    FacetPacket no_data = { .data = NULL, .size = 10 };
    ck_assert_int_eq(fct_write_packet(out, &no_data), -1);
    ck_assert_int_eq(fclose(out), 0);
    ck_assert_uint_eq(buffer_size, FCT_FILE_HEADER_SIZE + 3 * FCT_RECORD_HEADER_SIZE + 600);

    FILE *in = file_of((const uint8_t *)buffer, buffer_size);
    const char *why = NULL;
    FacetPacket packet;
    ck_assert_int_eq(fct_read_header(in, &why), 0);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(fct_read_packet(in, &packet, &why), 1);
        ck_assert_uint_eq(packet.size, 100 * (i + 1));
        ck_assert(packet.pts == pts_values[i]);
        ck_assert_mem_eq(packet.data, payload, packet.size);
        facet_packet_unref(&packet);
    }
    ck_assert_int_eq(fct_read_packet(in, &packet, &why), 0); /* a clean end */
    ck_assert_ptr_null(packet.data);
    fclose(in);
    free(buffer);
}
END_TEST

/* Every way a file can be bad, and the message each gets. */
START_TEST(test_stream_malformed)
{
    uint8_t file[FCT_FILE_HEADER_SIZE + FCT_RECORD_HEADER_SIZE + 8];
    const char *why;
    FacetPacket packet;
    FILE *in;

    memcpy(file, good_header, FCT_FILE_HEADER_SIZE);
    ck_assert_int_eq(fct_record_header_write(file + FCT_FILE_HEADER_SIZE, 8, 3), 0);
    memset(file + FCT_FILE_HEADER_SIZE + FCT_RECORD_HEADER_SIZE, 2, 8);

    /* Shorter than the file header, a wrong magic, another version. */
    static const struct {
        size_t size;
        size_t offset;
        uint8_t value;
        const char *why;
    } header_cases[] = {
        { 5, 0, 'F', "not a .fct file (no FACETFCT header)" },
        { FCT_FILE_HEADER_SIZE - 1, 0, 'F', "not a .fct file (no FACETFCT header)" },
        { sizeof(file), 0, 'X', "not a .fct file (no FACETFCT header)" },
        { sizeof(file), FCT_MAGIC_SIZE, 2, "unsupported .fct file version" },
    };
    for (size_t i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]); i++) {
        uint8_t copy[sizeof(file)];
        memcpy(copy, file, sizeof(file));
        copy[header_cases[i].offset] = header_cases[i].value;
        in = file_of(copy, header_cases[i].size);
        why = NULL;
        ck_assert_int_eq(fct_read_header(in, &why), -1);
        ck_assert_str_eq(why, header_cases[i].why);
        fclose(in);
    }

    /* A record header cut short, a packet cut short, impossible sizes. */
    static const struct {
        size_t size;
        uint32_t record_size;
        const char *why;
    } record_cases[] = {
        { FCT_FILE_HEADER_SIZE + 1, 8, "truncated packet record" },
        { FCT_FILE_HEADER_SIZE + FCT_RECORD_HEADER_SIZE - 1, 8, "truncated packet record" },
        { sizeof(file) - 1, 8, "truncated packet" },
        { sizeof(file), 9, "truncated packet" },
        { sizeof(file), 0, "packet record with an impossible size" },
        { sizeof(file), FACET_MAX_PACKET_SIZE + 1, "packet record with an impossible size" },
        { sizeof(file), UINT32_MAX, "packet record with an impossible size" },
    };
    for (size_t i = 0; i < sizeof(record_cases) / sizeof(record_cases[0]); i++) {
        uint8_t copy[sizeof(file)];
        memcpy(copy, file, sizeof(file));
        for (int b = 0; b < 4; b++)
            copy[FCT_FILE_HEADER_SIZE + b] = (uint8_t)(record_cases[i].record_size >> (24 - 8 * b));
        in = file_of(copy, record_cases[i].size);
        why = NULL;
        ck_assert_int_eq(fct_read_header(in, &why), 0);
        ck_assert_int_eq(fct_read_packet(in, &packet, &why), -1);
        ck_assert_ptr_null(packet.data);
        ck_assert_str_eq(why, record_cases[i].why);
        fclose(in);
    }
}
END_TEST

static Suite *fct_container_suite(void)
{
    Suite *s = suite_create("fct_container");
    TCase *tc = tcase_create("fct");
    tcase_add_test(tc, test_file_header);
    tcase_add_test(tc, test_record_header);
    tcase_add_test(tc, test_stream_round_trip);
    tcase_add_test(tc, test_stream_malformed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(fct_container_suite());
    srunner_run_all(runner, CK_VERBOSE);
    int failures = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
