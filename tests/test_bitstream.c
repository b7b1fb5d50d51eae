/* SPDX-License-Identifier: BSD-2-Clause */
/* Byte-level field access and the packet layout of docs/bitstream.md. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bitstream.h"
#include "codec/bytestream.h"
#include "facet/facet.h"

START_TEST(test_varint_round_trip)
{
    static const uint32_t values[] = { 0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX - 1,
                                       UINT32_MAX };
    static const size_t sizes[] = { 1, 1, 1, 2, 2, 2, 3, 5, 5 };
    uint8_t buffer[64];
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, buffer, sizeof(buffer));
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        size_t before = writer.pos;
        facet_write_varint(&writer, values[i]);
        ck_assert_uint_eq(writer.pos - before, sizes[i]);
        ck_assert_uint_eq(facet_varint_size(values[i]), sizes[i]);
    }
    ck_assert_int_eq(writer.error, 0);
    FacetByteReader reader;
    facet_byte_reader_init(&reader, buffer, writer.pos);
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        ck_assert_uint_eq(facet_read_varint(&reader), values[i]);
    ck_assert_int_eq(reader.error, 0);
    ck_assert_uint_eq(facet_byte_reader_remaining(&reader), 0);
}
END_TEST

START_TEST(test_varint_rejects_overlong_and_wide)
{
    /* Six bytes with continuation bits: longer than any 32-bit value. */
    static const uint8_t overlong[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
    /* Five bytes whose value needs 35 bits. */
    static const uint8_t wide[] = { 0xff, 0xff, 0xff, 0xff, 0x7f };
    /* Ends while a continuation bit promises more. */
    static const uint8_t unterminated[] = { 0x81, 0x82 };
    FacetByteReader reader;
    facet_byte_reader_init(&reader, overlong, sizeof(overlong));
    facet_read_varint(&reader);
    ck_assert_int_eq(reader.error, 1);
    facet_byte_reader_init(&reader, wide, sizeof(wide));
    ck_assert_uint_eq(facet_read_varint(&reader), 0);
    ck_assert_int_eq(reader.error, 1);
    facet_byte_reader_init(&reader, unterminated, sizeof(unterminated));
    facet_read_varint(&reader);
    ck_assert_int_eq(reader.error, 1);
}
END_TEST

START_TEST(test_reader_and_writer_bounds)
{
    static const uint8_t bytes[] = { 0x12, 0x34, 0x56, 0x78, 0x9a };
    FacetByteReader reader;
    facet_byte_reader_init(&reader, bytes, sizeof(bytes));
    ck_assert_uint_eq(facet_read_u32(&reader), 0x12345678u);
    ck_assert_uint_eq(facet_read_u16(&reader), 0); /* only one byte left */
    ck_assert_int_eq(reader.error, 1);
    ck_assert_uint_eq(facet_read_u8(&reader), 0);  /* the error is sticky */
    ck_assert_ptr_null(facet_read_bytes(&reader, 0));

    facet_byte_reader_init(&reader, bytes, sizeof(bytes));
    ck_assert_ptr_null(facet_read_bytes(&reader, SIZE_MAX)); /* no overflow in the check */
    ck_assert_int_eq(reader.error, 1);

    uint8_t out[6];
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, out, sizeof(out));
    facet_write_u32(&writer, 0xdeadbeefu);
    facet_write_u16(&writer, 0xcafe);
    ck_assert_int_eq(writer.error, 0);
    facet_write_u8(&writer, 1);
    ck_assert_int_eq(writer.error, 1);
    ck_assert_uint_eq(writer.pos, 6);
    ck_assert_uint_eq(out[0], 0xde);
    ck_assert_uint_eq(out[5], 0xfe);

    int64_t values[] = { 0, -1, INT64_MIN, INT64_MAX, 1234567890123LL };
    uint8_t wide[8 * 5];
    facet_byte_writer_init(&writer, wide, sizeof(wide));
    for (int i = 0; i < 5; i++)
        facet_write_s64(&writer, values[i]);
    facet_byte_reader_init(&reader, wide, writer.pos);
    for (int i = 0; i < 5; i++)
        ck_assert(facet_read_s64(&reader) == values[i]);
}
END_TEST

static FacetSequenceHeader model_header(void)
{
    return (FacetSequenceHeader){
        .version_major = FACET_BITSTREAM_VERSION_MAJOR,
        .version_minor = FACET_BITSTREAM_VERSION_MINOR,
        .model_id = 0xa1b2c3d4u,
        .width = 640,
        .height = 360,
        .model_size = 256,
        .keypoint_count = 10,
        .fps_num = 30000,
        .fps_den = 1001,
    };
}

START_TEST(test_keyframe_round_trip)
{
    FacetSequenceHeader header = model_header();
    uint8_t intra[300], keypoints[40], ext_data[3] = { 7, 8, 9 };
    for (size_t i = 0; i < sizeof(intra); i++)
        intra[i] = (uint8_t)(i * 7);
    memset(keypoints, 0x5a, sizeof(keypoints));
    FacetExtensionRecord extensions[2] = { { 5, ext_data, 3 }, { 1000, NULL, 0 } };
    size_t capacity = facet_keyframe_packet_size_bound(sizeof(intra), sizeof(keypoints),
                                                       extensions, 2);
    uint8_t *buffer = malloc(capacity);
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, buffer, capacity);
    ck_assert_int_eq(facet_keyframe_packet_write(&writer, &header, 123456, 77,
                                                 FACET_INTRA_ID_AV1, intra, sizeof(intra),
                                                 keypoints, sizeof(keypoints), extensions, 2),
                     0);
    ck_assert_uint_le(writer.pos, capacity);

    FacetPacketView view;
    ck_assert_int_eq(facet_packet_parse(buffer, writer.pos, &view), 0);
    ck_assert_int_eq(view.type, FACET_PACKET_TYPE_KEYFRAME);
    /* Field by field: the structs' padding bytes are undefined. */
    ck_assert_uint_eq(view.sequence.version_major, header.version_major);
    ck_assert_uint_eq(view.sequence.version_minor, header.version_minor);
    ck_assert_uint_eq(view.sequence.model_id, header.model_id);
    ck_assert_uint_eq(view.sequence.width, header.width);
    ck_assert_uint_eq(view.sequence.height, header.height);
    ck_assert_uint_eq(view.sequence.model_size, header.model_size);
    ck_assert_uint_eq(view.sequence.keypoint_count, header.keypoint_count);
    ck_assert_uint_eq(view.sequence.fps_num, header.fps_num);
    ck_assert_uint_eq(view.sequence.fps_den, header.fps_den);
    ck_assert_uint_eq(view.frame_number, 123456);
    ck_assert_uint_eq(view.keyframe_id, 77);
    ck_assert_uint_eq(view.intra_codec, FACET_INTRA_ID_AV1);
    ck_assert_uint_eq(view.intra_size, sizeof(intra));
    ck_assert_mem_eq(view.intra_data, intra, sizeof(intra));
    ck_assert_uint_eq(view.keypoint_size, sizeof(keypoints));
    ck_assert_mem_eq(view.keypoint_data, keypoints, sizeof(keypoints));
    ck_assert_int_eq(view.extension_count, 2);
    ck_assert_uint_eq(view.extensions[0].type, 5);
    ck_assert_uint_eq(view.extensions[0].size, 3);
    ck_assert_mem_eq(view.extensions[0].data, ext_data, 3);
    ck_assert_uint_eq(view.extensions[1].type, 1000);
    ck_assert_uint_eq(view.extensions[1].size, 0);

    /* The documented byte offsets of the fixed fields. */
    ck_assert_uint_eq(buffer[0], FACET_PACKET_TYPE_KEYFRAME);
    ck_assert_mem_eq(buffer + 1, "FCET", 4);
    ck_assert_uint_eq(buffer[5], 1);
    ck_assert_uint_eq(buffer[6], header.version_minor);
    /* Keypoint streams keep the v1.0 layout of the sequence fields. */
    ck_assert_uint_eq((buffer[7] << 8) | buffer[8], FACET_SEQUENCE_HEADER_V1_0_SIZE);
    ck_assert_uint_eq(buffer[9], 0xa1);
    ck_assert_uint_eq((buffer[13] << 8) | buffer[14], 640);

    /* Too small a writer fails cleanly. */
    facet_byte_writer_init(&writer, buffer, 20);
    ck_assert_int_eq(facet_keyframe_packet_write(&writer, &header, 1, 1, FACET_INTRA_ID_AV1,
                                                 intra, sizeof(intra), keypoints,
                                                 sizeof(keypoints), NULL, 0),
                     -ENOSPC);
    free(buffer);
}
END_TEST

START_TEST(test_delta_round_trip)
{
    uint8_t keypoints[25];
    memset(keypoints, 0x33, sizeof(keypoints));
    uint8_t buffer[128];
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, buffer, sizeof(buffer));
    ck_assert_int_eq(facet_delta_packet_write(&writer, 99, 65535, keypoints, sizeof(keypoints),
                                              NULL, 0),
                     0);
    ck_assert_uint_le(writer.pos, facet_delta_packet_size_bound(sizeof(keypoints), NULL, 0));
    /* type + 1-byte frame number + id + 1-byte length + payload */
    ck_assert_uint_eq(writer.pos, 1 + 1 + 2 + 1 + sizeof(keypoints));
    FacetPacketView view;
    ck_assert_int_eq(facet_packet_parse(buffer, writer.pos, &view), 0);
    ck_assert_int_eq(view.type, FACET_PACKET_TYPE_DELTA);
    ck_assert_uint_eq(view.frame_number, 99);
    ck_assert_uint_eq(view.keyframe_id, 65535);
    ck_assert_uint_eq(view.keypoint_size, sizeof(keypoints));
    ck_assert_int_eq(view.extension_count, 0);
}
END_TEST

START_TEST(test_writer_rejects_invalid_fields)
{
    FacetSequenceHeader header = model_header();
    uint8_t intra[4] = { 1, 2, 3, 4 }, kp[4] = { 0 }, buffer[256];
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, buffer, sizeof(buffer));
    header.width = 0;
    ck_assert_int_eq(facet_keyframe_packet_write(&writer, &header, 0, 0, FACET_INTRA_ID_AV1,
                                                 intra, 4, kp, 4, NULL, 0),
                     -EINVAL);
    header = model_header();
    ck_assert_int_eq(facet_keyframe_packet_write(&writer, &header, 0, 0, 9, intra, 4, kp, 4,
                                                 NULL, 0),
                     -EINVAL);
    /* A stream with keypoints needs them in every keyframe. */
    ck_assert_int_eq(facet_keyframe_packet_write(&writer, &header, 0, 0, FACET_INTRA_ID_AV1,
                                                 intra, 4, NULL, 0, NULL, 0),
                     -EINVAL);
    ck_assert_int_eq(facet_delta_packet_write(&writer, 0, 0, NULL, 0, NULL, 0), -EINVAL);
    ck_assert_int_eq(facet_delta_packet_write(&writer, 0, 0, kp, 4, NULL, 1), -EINVAL);
}
END_TEST

START_TEST(test_sequence_header_limits)
{
    FacetSequenceHeader h = model_header();
    ck_assert_int_eq(facet_sequence_header_validate(&h), 0);
    h.version_major = 2;
    ck_assert_int_eq(facet_sequence_header_validate(&h), -ENOTSUP);
    h = model_header();
    h.height = FACET_MAX_DIMENSION + 1;
    ck_assert_int_eq(facet_sequence_header_validate(&h), -EBADMSG);
    h = model_header();
    h.model_size = 250; /* not a multiple of 32 */
    ck_assert_int_eq(facet_sequence_header_validate(&h), -EBADMSG);
    h = model_header();
    h.keypoint_count = 65;
    ck_assert_int_eq(facet_sequence_header_validate(&h), -EBADMSG);
    h = model_header();
    h.fps_den = 0;
    ck_assert_int_eq(facet_sequence_header_validate(&h), -EBADMSG);
    h = model_header();
    h.model_id = 0; /* intra-only streams carry no keypoints */
    ck_assert_int_eq(facet_sequence_header_validate(&h), -EBADMSG);
    h.model_size = 0;
    h.keypoint_count = 0;
    ck_assert_int_eq(facet_sequence_header_validate(&h), 0);
}
END_TEST

START_TEST(test_latent_round_trip)
{
    uint8_t buffer[1024];
    static const uint8_t unit[] = { 0x12, 0x00, 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x24, 0x99 };
    FacetSequenceHeader header = {
        .version_major = FACET_BITSTREAM_VERSION_MAJOR,
        .version_minor = FACET_BITSTREAM_VERSION_MINOR,
        .model_id = 0x1234abcdu,
        .width = 512,
        .height = 288,
        .fps_num = 30,
        .fps_den = 1,
        .mode = FACET_MODE_ID_LATENT,
        .scale = 2,
        .base_codec = FACET_BASE_ID_AV1,
    };
    FacetByteWriter writer;
    FacetPacketView view;
    facet_byte_writer_init(&writer, buffer, sizeof(buffer));
    ck_assert_int_eq(facet_latent_keyframe_packet_write(&writer, &header, 70000, 5, unit,
                                                        sizeof(unit)), 0);
    ck_assert_uint_le(writer.pos, facet_latent_packet_size_bound(sizeof(unit)));
    ck_assert_int_eq(facet_packet_parse(buffer, writer.pos, &view), 0);
    ck_assert_int_eq(view.type, FACET_PACKET_TYPE_LATENT_KEYFRAME);
    ck_assert_uint_eq(view.sequence.mode, FACET_MODE_ID_LATENT);
    ck_assert_uint_eq(view.sequence.scale, 2);
    ck_assert_uint_eq(view.sequence.base_codec, FACET_BASE_ID_AV1);
    ck_assert_uint_eq(view.sequence.model_id, 0x1234abcdu);
    ck_assert_uint_eq(view.frame_number, 70000);
    ck_assert_uint_eq(view.keyframe_id, 5);
    ck_assert_uint_eq(view.base_size, sizeof(unit));
    ck_assert_mem_eq(view.base_data, unit, sizeof(unit));
    /* The documented offsets of a 1.1 latent header (written as 1.2). */
    ck_assert_uint_eq(buffer[6], 2);
    ck_assert_uint_eq((buffer[7] << 8) | buffer[8], FACET_SEQUENCE_HEADER_V1_1_SIZE);
    ck_assert_uint_eq(buffer[28], FACET_MODE_ID_LATENT);
    ck_assert_uint_eq(buffer[29], 2);
    ck_assert_uint_eq(buffer[30], FACET_BASE_ID_AV1);
    /* A latent header cannot go into a keypoint keyframe. */
    facet_byte_writer_init(&writer, buffer, sizeof(buffer));
    ck_assert_int_eq(facet_keyframe_packet_write(&writer, &header, 1, 1, FACET_INTRA_ID_AV1, unit,
                                                 sizeof(unit), NULL, 0, NULL, 0),
                     FACET_ERR(EINVAL));

    facet_byte_writer_init(&writer, buffer, sizeof(buffer));
    ck_assert_int_eq(facet_latent_frame_packet_write(&writer, 70001, 5, unit, sizeof(unit)), 0);
    ck_assert_int_eq(facet_packet_parse(buffer, writer.pos, &view), 0);
    ck_assert_int_eq(view.type, FACET_PACKET_TYPE_LATENT_FRAME);
    ck_assert_uint_eq(view.frame_number, 70001);
    ck_assert_mem_eq(view.base_data, unit, sizeof(unit));

    /* A reference of 1000 bytes in 3 pieces: 334, 334, 332. */
    static uint8_t whole[1000];
    for (int i = 0; i < 1000; i++)
        whole[i] = (uint8_t)(i * 7);
    size_t got = 0;
    for (int index = 0; index < 3; index++) {
        size_t piece = facet_reference_fragment_size(1000, 3, index);
        ck_assert_uint_eq(piece, index < 2 ? 334 : 332);
        facet_byte_writer_init(&writer, buffer, sizeof(buffer));
        ck_assert_int_eq(facet_reference_packet_write(&writer, 9, 2, FACET_INTRA_ID_JPEG, index, 3,
                                                      1000, whole + 334 * index), 0);
        ck_assert_uint_le(writer.pos, facet_reference_packet_size_bound(piece));
        ck_assert_int_eq(facet_packet_parse(buffer, writer.pos, &view), 0);
        ck_assert_int_eq(view.type, FACET_PACKET_TYPE_REFERENCE);
        ck_assert_uint_eq(view.keyframe_id, 2);
        ck_assert_uint_eq(view.fragment_index, index);
        ck_assert_uint_eq(view.fragment_count, 3);
        ck_assert_uint_eq(view.reference_size, 1000);
        ck_assert_uint_eq(view.intra_codec, FACET_INTRA_ID_JPEG);
        ck_assert_uint_eq(view.fragment_size, piece);
        ck_assert_mem_eq(view.fragment_data, whole + 334 * index, piece);
        got += piece;
    }
    ck_assert_uint_eq(got, 1000);
}
END_TEST

/* 1.2: the short latent frame, type 6: u8 type, u8 frame_low, u8
 * keyframe_low, then the unit to the end of the packet. */
START_TEST(test_short_latent_frame_round_trip)
{
    uint8_t buffer[64];
    static const uint8_t unit[] = { 0x12, 0x00, 0x32, 0x07, 0x10, 0x00, 0x00, 0x24, 0x99 };
    FacetByteWriter writer;
    FacetPacketView view;
    facet_byte_writer_init(&writer, buffer, sizeof(buffer));
    ck_assert_int_eq(facet_latent_short_frame_packet_write(&writer, 70001, 0x1305, unit,
                                                           sizeof(unit)), 0);
    ck_assert_uint_eq(writer.pos, FACET_SHORT_FRAME_HEADER_SIZE + sizeof(unit));
    ck_assert_uint_le(writer.pos, facet_latent_packet_size_bound(sizeof(unit)));
    ck_assert_uint_eq(buffer[0], FACET_PACKET_TYPE_LATENT_FRAME_SHORT);
    ck_assert_uint_eq(buffer[1], 70001 & 0xff);
    ck_assert_uint_eq(buffer[2], 0x05);
    ck_assert_mem_eq(buffer + 3, unit, sizeof(unit));
    ck_assert_int_eq(facet_packet_parse(buffer, writer.pos, &view), 0);
    ck_assert_int_eq(view.type, FACET_PACKET_TYPE_LATENT_FRAME_SHORT);
    ck_assert_int_eq(view.short_numbers, 1);
    ck_assert_uint_eq(view.frame_number, 70001 & 0xff);
    ck_assert_uint_eq(view.keyframe_id, 0x05);
    ck_assert_uint_eq(view.base_size, sizeof(unit));
    ck_assert_ptr_eq(view.base_data, buffer + 3);
    ck_assert_int_eq(view.extension_count, 0);
    /* The unit runs to the end: bytes that would be extension records in a
     * type 4 packet are part of it. */
    ck_assert_int_eq(facet_packet_parse(buffer, 4, &view), 0);
    ck_assert_uint_eq(view.base_size, 1);
    /* The headers alone (what peek reads). */
    ck_assert_int_eq(facet_packet_parse_headers(buffer, 3, &view), 0);
    ck_assert_uint_eq(view.frame_number, 70001 & 0xff);
    /* A type 4 packet's numbers are whole. */
    facet_byte_writer_init(&writer, buffer, sizeof(buffer));
    ck_assert_int_eq(facet_latent_frame_packet_write(&writer, 70001, 0x1305, unit, sizeof(unit)),
                     0);
    ck_assert_int_eq(facet_packet_parse(buffer, writer.pos, &view), 0);
    ck_assert_int_eq(view.short_numbers, 0);
    ck_assert_uint_eq(view.keyframe_id, 0x1305);

    /* The writer refuses an empty, missing or oversized unit, and a buffer
     * too small. */
    facet_byte_writer_init(&writer, buffer, sizeof(buffer));
    ck_assert_int_eq(facet_latent_short_frame_packet_write(&writer, 1, 1, unit, 0),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_latent_short_frame_packet_write(&writer, 1, 1, NULL, 4),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_latent_short_frame_packet_write(&writer, 1, 1, unit,
                                                           FACET_MAX_BASE_PAYLOAD + 1),
                     FACET_ERR(EINVAL));
    facet_byte_writer_init(&writer, buffer, 5);
    ck_assert_int_eq(facet_latent_short_frame_packet_write(&writer, 1, 1, unit, sizeof(unit)),
                     FACET_ERR(ENOSPC));
}
END_TEST

START_TEST(test_malformed_short_latent_frame)
{
    static const uint8_t packets[][4] = {
        { 6 },          /* type alone */
        { 6, 1 },       /* no keyframe_low */
        { 6, 1, 2 },    /* empty unit */
    };
    FacetPacketView view;
    for (size_t i = 0; i < 3; i++)
        ck_assert_msg(facet_packet_parse(packets[i], i + 1, &view) == FACET_ERR(EBADMSG),
                      "case %zu", i);
    /* A unit one byte over FACET_MAX_BASE_PAYLOAD, and one exactly at it. */
    size_t size = FACET_SHORT_FRAME_HEADER_SIZE + FACET_MAX_BASE_PAYLOAD + 1;
    uint8_t *big = calloc(1, size);
    ck_assert_ptr_nonnull(big);
    big[0] = FACET_PACKET_TYPE_LATENT_FRAME_SHORT;
    ck_assert_int_eq(facet_packet_parse(big, size, &view), FACET_ERR(EBADMSG));
    ck_assert_int_eq(facet_packet_parse(big, size - 1, &view), 0);
    ck_assert_uint_eq(view.base_size, FACET_MAX_BASE_PAYLOAD);
    free(big);
    /* Type 7 is still unknown. */
    static const uint8_t unknown[] = { 7, 1, 2, 3 };
    ck_assert_int_eq(facet_packet_parse(unknown, sizeof(unknown), &view), FACET_ERR(EBADMSG));
}
END_TEST

static Suite *bitstream_suite(void)
{
    Suite *suite = suite_create("bitstream");
    TCase *tc = tcase_create("bitstream");
    tcase_add_test(tc, test_varint_round_trip);
    tcase_add_test(tc, test_varint_rejects_overlong_and_wide);
    tcase_add_test(tc, test_reader_and_writer_bounds);
    tcase_add_test(tc, test_keyframe_round_trip);
    tcase_add_test(tc, test_delta_round_trip);
    tcase_add_test(tc, test_writer_rejects_invalid_fields);
    tcase_add_test(tc, test_sequence_header_limits);
    tcase_add_test(tc, test_latent_round_trip);
    tcase_add_test(tc, test_short_latent_frame_round_trip);
    tcase_add_test(tc, test_malformed_short_latent_frame);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(bitstream_suite());
    srunner_run_all(runner, CK_VERBOSE);
    int failures = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
