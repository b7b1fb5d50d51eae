/* SPDX-License-Identifier: BSD-2-Clause */
/* Check suite of facet-room's data-channel message (room_message.c) and of
 * the VP8 RTP pieces it relies on (room_vp8.c), byte by byte. */
#include <check.h>
#include <string.h>

#include "room_message.h"
#include "room_vp8.h"

/* A Facet REFERENCE packet (docs/bitstream.md, type 5): fragment 1 of 3 of
 * reference `id`, 40 bytes of a 120-byte AV1 intra picture. */
static gsize reference_packet(guint8 *out, guint16 id)
{
    gsize n = 0;
    out[n++] = 5;            /* packet_type */
    out[n++] = 7;            /* frame_number (varint) */
    out[n++] = (guint8)(id >> 8);
    out[n++] = (guint8)id;   /* reference_id */
    out[n++] = 1;            /* fragment_index */
    out[n++] = 3;            /* fragment_count */
    out[n++] = 1;            /* intra_codec: AV1 */
    out[n++] = 120;          /* reference_size (varint) */
    out[n++] = 40;           /* fragment_size (varint) */
    for (int i = 0; i < 40; i++)
        out[n++] = (guint8)i;
    return n;
}

static const guint8 header[] = { 1, 1, 0, 0, 0, 42, 0, 1, 0, 1, 2, 3, 4, 5 };

static GBytes *good_message(guint16 reference_id, guint16 picture_id)
{
    guint8 packet[64];
    gsize size = reference_packet(packet, reference_id);
    RoomMessage m = {
        .kind = ROOM_MESSAGE_KIND_REFERENCE,
        .model_id = 0xa2d4ecd6u,
        .reference_id = reference_id,
        .picture_id = picture_id,
        .stream_header = header,
        .stream_header_size = sizeof(header),
        .packet = packet,
        .packet_size = size,
    };
    GBytes *bytes = room_message_pack(&m, NULL);
    ck_assert_ptr_nonnull(bytes);
    return bytes;
}

static int parse_code(const guint8 *data, gsize size)
{
    RoomMessage m;
    GError *error = NULL;
    if (room_message_parse(data, size, &m, &error))
        return -1;
    ck_assert_ptr_nonnull(error);
    ck_assert(error->domain == ROOM_MESSAGE_ERROR);
    ck_assert(strlen(error->message) > 0);
    int code = error->code;
    g_error_free(error);
    return code;
}

START_TEST(test_round_trip)
{
    GBytes *bytes = good_message(513, 0x7ffe);
    gsize size = 0;
    const guint8 *data = g_bytes_get_data(bytes, &size);
    ck_assert_mem_eq(data, "FCTR", 4);
    ck_assert_uint_eq(data[4], 1);
    ck_assert_uint_eq(data[5], 1);
    RoomMessage m;
    GError *error = NULL;
    ck_assert(room_message_parse(data, size, &m, &error));
    ck_assert_ptr_null(error);
    ck_assert_uint_eq(m.model_id, 0xa2d4ecd6u);
    ck_assert_uint_eq(m.reference_id, 513);
    ck_assert_uint_eq(m.picture_id, 0x7ffe);
    ck_assert_uint_eq(m.stream_header_size, sizeof(header));
    ck_assert_mem_eq(m.stream_header, header, sizeof(header));
    ck_assert_uint_eq(m.packet_size, 9 + 40);
    ck_assert_uint_eq(m.packet[0], 5);
    ck_assert_uint_eq(size, ROOM_MESSAGE_FIXED_SIZE + sizeof(header) + 49);
    g_bytes_unref(bytes);
}
END_TEST

START_TEST(test_truncated)
{
    GBytes *bytes = good_message(3, 100);
    gsize size = 0;
    const guint8 *data = g_bytes_get_data(bytes, &size);
    /* Every shorter prefix that still starts with the magic is malformed. */
    for (gsize n = 4; n < size; n++)
        ck_assert_int_eq(parse_code(data, n), ROOM_MESSAGE_ERROR_MALFORMED);
    /* One byte too many is as wrong as one too few. */
    guint8 *longer = g_malloc(size + 1);
    memcpy(longer, data, size);
    longer[size] = 0;
    ck_assert_int_eq(parse_code(longer, size + 1), ROOM_MESSAGE_ERROR_MALFORMED);
    g_free(longer);
    g_bytes_unref(bytes);
}
END_TEST

START_TEST(test_wrong_magic_version_kind)
{
    GBytes *bytes = good_message(3, 100);
    gsize size = 0;
    guint8 *data = g_memdup2(g_bytes_get_data(bytes, &size), g_bytes_get_size(bytes));
    data[0] = 'X';
    ck_assert_int_eq(parse_code(data, size), ROOM_MESSAGE_ERROR_NOT_OURS);
    data[0] = 'F';
    data[4] = 2;
    ck_assert_int_eq(parse_code(data, size), ROOM_MESSAGE_ERROR_UNSUPPORTED);
    data[4] = 1;
    data[5] = 9;
    ck_assert_int_eq(parse_code(data, size), ROOM_MESSAGE_ERROR_UNSUPPORTED);
    data[5] = 1;
    /* A picture id over 15 bits. */
    data[12] |= 0x80;
    ck_assert_int_eq(parse_code(data, size), ROOM_MESSAGE_ERROR_MALFORMED);
    data[12] &= 0x7f;
    /* A header length of 0, and one past the message. */
    data[14] = 0;
    data[15] = 0;
    ck_assert_int_eq(parse_code(data, size), ROOM_MESSAGE_ERROR_MALFORMED);
    data[14] = (guint8)((ROOM_MESSAGE_MAX_HEADER_SIZE + 1) >> 8);
    data[15] = (guint8)(ROOM_MESSAGE_MAX_HEADER_SIZE + 1);
    ck_assert_int_eq(parse_code(data, size), ROOM_MESSAGE_ERROR_MALFORMED);
    data[14] = 0;
    data[15] = sizeof(header);
    /* The message's reference id disagrees with its packet's. */
    data[11] ^= 1;
    ck_assert_int_eq(parse_code(data, size), ROOM_MESSAGE_ERROR_MALFORMED);
    data[11] ^= 1;
    /* The packet is not a reference fragment (a latent frame's type). */
    data[ROOM_MESSAGE_FIXED_SIZE + sizeof(header)] = 4;
    ck_assert_int_eq(parse_code(data, size), ROOM_MESSAGE_ERROR_MALFORMED);
    data[ROOM_MESSAGE_FIXED_SIZE + sizeof(header)] = 6; /* a short latent frame's (1.2) */
    ck_assert_int_eq(parse_code(data, size), ROOM_MESSAGE_ERROR_MALFORMED);
    data[ROOM_MESSAGE_FIXED_SIZE + sizeof(header)] = 5;
    /* A fragment size that disagrees with the bytes there. */
    data[ROOM_MESSAGE_FIXED_SIZE + sizeof(header) + 8] = 41;
    ck_assert_int_eq(parse_code(data, size), ROOM_MESSAGE_ERROR_MALFORMED);
    data[ROOM_MESSAGE_FIXED_SIZE + sizeof(header) + 8] = 40;
    RoomMessage m;
    ck_assert(room_message_parse(data, size, &m, NULL));
    g_free(data);
    g_bytes_unref(bytes);
}
END_TEST

START_TEST(test_not_ours)
{
    const char *text = "{\"textroom\":\"message\"}";
    ck_assert_int_eq(parse_code((const guint8 *)text, strlen(text)), ROOM_MESSAGE_ERROR_NOT_OURS);
    ck_assert_int_eq(parse_code((const guint8 *)"FCT", 3), ROOM_MESSAGE_ERROR_NOT_OURS);
    ck_assert_int_eq(parse_code(NULL, 0), ROOM_MESSAGE_ERROR_NOT_OURS);
    static const guint8 empty[1] = { 0 };
    ck_assert_int_eq(parse_code(empty, 0), ROOM_MESSAGE_ERROR_NOT_OURS);
}
END_TEST

START_TEST(test_oversized)
{
    /* Received: more than a message of ours can be, whatever it says. */
    gsize size = ROOM_MESSAGE_MAX_SIZE + 1;
    guint8 *data = g_malloc0(size);
    memcpy(data, "FCTR", 4);
    data[4] = 1;
    data[5] = 1;
    ck_assert_int_eq(parse_code(data, size), ROOM_MESSAGE_ERROR_MALFORMED);
    g_free(data);
    /* Sent: a packet or header too large for one message is refused. */
    guint8 packet[64];
    gsize packet_size = reference_packet(packet, 1);
    RoomMessage m = {
        .kind = ROOM_MESSAGE_KIND_REFERENCE,
        .reference_id = 1,
        .stream_header = header,
        .stream_header_size = sizeof(header),
        .packet = packet,
        .packet_size = ROOM_MESSAGE_MAX_SIZE,
    };
    GError *error = NULL;
    ck_assert_ptr_null(room_message_pack(&m, &error));
    ck_assert_int_eq(error->code, ROOM_MESSAGE_ERROR_MALFORMED);
    g_clear_error(&error);
    m.packet_size = packet_size;
    m.stream_header_size = ROOM_MESSAGE_MAX_HEADER_SIZE + 1;
    ck_assert_ptr_null(room_message_pack(&m, &error));
    g_clear_error(&error);
    m.stream_header_size = sizeof(header);
    m.picture_id = 0x8000;
    ck_assert_ptr_null(room_message_pack(&m, &error));
    g_clear_error(&error);
}
END_TEST

START_TEST(test_stream_header_message)
{
    RoomMessage m = {
        .kind = ROOM_MESSAGE_KIND_STREAM_HEADER,
        .model_id = 7,
        .picture_id = 12,
        .stream_header = header,
        .stream_header_size = sizeof(header),
    };
    GBytes *bytes = room_message_pack(&m, NULL);
    ck_assert_ptr_nonnull(bytes);
    gsize size = 0;
    guint8 *data = g_memdup2(g_bytes_get_data(bytes, &size), g_bytes_get_size(bytes));
    ck_assert_uint_eq(size, ROOM_MESSAGE_FIXED_SIZE + sizeof(header));
    RoomMessage parsed;
    ck_assert(room_message_parse(data, size, &parsed, NULL));
    ck_assert_uint_eq(parsed.kind, ROOM_MESSAGE_KIND_STREAM_HEADER);
    ck_assert_uint_eq(parsed.model_id, 7);
    ck_assert_uint_eq(parsed.picture_id, 12);
    ck_assert_ptr_null(parsed.packet);
    ck_assert_uint_eq(parsed.packet_size, 0);
    ck_assert_mem_eq(parsed.stream_header, header, sizeof(header));
    /* It names no reference. */
    data[11] = 1;
    ck_assert_int_eq(parse_code(data, size), ROOM_MESSAGE_ERROR_MALFORMED);
    data[11] = 0;
    /* A reference message without its packet. */
    data[5] = ROOM_MESSAGE_KIND_REFERENCE;
    ck_assert_int_eq(parse_code(data, size), ROOM_MESSAGE_ERROR_MALFORMED);
    g_free(data);
    g_bytes_unref(bytes);
    /* A stream header message with a packet, or a packet-less reference,
     * is refused when written too. */
    guint8 packet[64];
    m.packet = packet;
    m.packet_size = reference_packet(packet, 1);
    GError *error = NULL;
    ck_assert_ptr_null(room_message_pack(&m, &error));
    g_clear_error(&error);
    m.kind = ROOM_MESSAGE_KIND_REFERENCE;
    m.packet_size = 0;
    ck_assert_ptr_null(room_message_pack(&m, &error));
    g_clear_error(&error);
}
END_TEST

START_TEST(test_vp8_descriptor)
{
    /* X=1 S=1 PID=0; I=1; M=1 15-bit id 0x1234; then VP8 bytes. */
    const guint8 start[] = { 0x90, 0x80, 0x80 | 0x12, 0x34, 0x10, 0x02 };
    RoomVp8Descriptor d;
    ck_assert(room_vp8_parse_descriptor(start, sizeof(start), &d));
    ck_assert(d.start);
    ck_assert(d.has_picture_id);
    ck_assert_uint_eq(d.picture_id, 0x1234);
    ck_assert_uint_eq(d.header_size, 4);
    ck_assert(room_vp8_is_keyframe(start + 4, 2));
    /* 7-bit id, L and T/K bytes, not a start. */
    const guint8 middle[] = { 0x80, 0xe0, 0x05, 0x07, 0x40, 0xaa };
    ck_assert(room_vp8_parse_descriptor(middle, sizeof(middle), &d));
    ck_assert(!d.start);
    ck_assert_uint_eq(d.picture_id, 5);
    ck_assert_uint_eq(d.header_size, 5);
    /* Truncated inside the descriptor, or nothing after it. */
    for (gsize n = 0; n < 5; n++)
        ck_assert(!room_vp8_parse_descriptor(start, n, &d));
    ck_assert(!room_vp8_parse_descriptor(start, 4, &d));
}
END_TEST

START_TEST(test_vp8_assembler)
{
    RoomVp8Assembler a;
    room_vp8_assembler_init(&a);
    const guint8 first[] = { 0x90, 0x80, 0x80, 0x09, 0x10, 0x11 };
    const guint8 last[] = { 0x80, 0x80, 0x80, 0x09, 0x12 };
    GBytes *frame = NULL;
    guint16 id = 0;
    gboolean lost = FALSE;
    ck_assert(!room_vp8_assembler_push(&a, 100, 9000, FALSE, first, sizeof(first), &frame, &id,
                                       &lost));
    ck_assert(room_vp8_assembler_push(&a, 101, 9000, TRUE, last, sizeof(last), &frame, &id,
                                      &lost));
    ck_assert(!lost);
    ck_assert_uint_eq(id, 9);
    ck_assert_uint_eq(g_bytes_get_size(frame), 3);
    ck_assert_mem_eq(g_bytes_get_data(frame, NULL), "\x10\x11\x12", 3);
    g_bytes_unref(frame);
    /* A gap drops the frame and says so. */
    ck_assert(!room_vp8_assembler_push(&a, 102, 12000, FALSE, first, sizeof(first), &frame, &id,
                                       &lost));
    ck_assert(!room_vp8_assembler_push(&a, 104, 12000, TRUE, last, sizeof(last), &frame, &id,
                                       &lost));
    ck_assert(lost);
    ck_assert_ptr_null(frame);
    room_vp8_assembler_clear(&a);
}
END_TEST

START_TEST(test_picture_id_unwrap)
{
    RoomPictureIdUnwrap u = { 0 };
    ck_assert_int_eq(room_picture_id_unwrap(&u, 0x7ffe), 0x7ffe);
    ck_assert_int_eq(room_picture_id_unwrap(&u, 0x7fff), 0x7fff);
    ck_assert_int_eq(room_picture_id_unwrap(&u, 0), 0x8000);
    ck_assert_int_eq(room_picture_id_unwrap(&u, 1), 0x8001);
    /* A late frame counts back, and does not move the newest. */
    ck_assert_int_eq(room_picture_id_unwrap(&u, 0x7fff), 0x7fff);
    ck_assert_int_eq(room_picture_id_unwrap(&u, 2), 0x8002);
    ck_assert_int_eq(room_picture_id_distance(0x7fff, 1), 2);
    ck_assert_int_eq(room_picture_id_distance(1, 0x7fff), -2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("room_message");
    TCase *tc = tcase_create("message");
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_truncated);
    tcase_add_test(tc, test_wrong_magic_version_kind);
    tcase_add_test(tc, test_not_ours);
    tcase_add_test(tc, test_oversized);
    tcase_add_test(tc, test_stream_header_message);
    tcase_add_test(tc, test_vp8_descriptor);
    tcase_add_test(tc, test_vp8_assembler);
    tcase_add_test(tc, test_picture_id_unwrap);
    suite_add_tcase(s, tc);
    SRunner *runner = srunner_create(s);
    srunner_run_all(runner, CK_ENV);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? 1 : 0;
}
