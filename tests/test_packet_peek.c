/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * facet_packet_peek(): every bad argument and every malformed header class
 * gets its documented code (libopus style), the fields of valid packets come
 * back as written, and the decoder answers every malformed header with the
 * same code as the peek.
 */
#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bitstream.h"
#include "facet/facet.h"

/* Offsets of keyframe fields, from docs/bitstream.md. */
#define OFFSET_MAGIC 1
#define OFFSET_VERSION_MAJOR 5
#define OFFSET_VERSION_MINOR 6
#define OFFSET_HEADER_SIZE 7
#define OFFSET_MODEL_ID 9
#define OFFSET_WIDTH 13
#define OFFSET_HEIGHT 15
#define OFFSET_MODEL_SIZE 17
#define OFFSET_KEYPOINT_COUNT 19
#define OFFSET_FPS_NUM 20
#define OFFSET_FPS_DEN 24
#define OFFSET_FRAME_NUMBER 28

typedef struct Buffer {
    uint8_t data[512];
    size_t size;
} Buffer;

static const uint8_t intra_bytes[] = { 0x12, 0x00, 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x24 };
static const uint8_t keypoint_bytes[] = { 0x5a, 0x5a, 0x5a, 0x5a };

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

static FacetSequenceHeader intra_only_header(void)
{
    FacetSequenceHeader header = model_header();
    header.model_id = 0;
    header.model_size = 0;
    header.keypoint_count = 0;
    return header;
}

static Buffer keyframe(const FacetSequenceHeader *header, uint32_t frame_number,
                       uint16_t keyframe_id)
{
    Buffer packet = { .size = 0 };
    FacetByteWriter writer;
    int has_keypoints = header->keypoint_count > 0;
    facet_byte_writer_init(&writer, packet.data, sizeof(packet.data));
    ck_assert_int_eq(facet_keyframe_packet_write(&writer, header, frame_number, keyframe_id,
                                                 FACET_INTRA_ID_AV1, intra_bytes,
                                                 sizeof(intra_bytes),
                                                 has_keypoints ? keypoint_bytes : NULL,
                                                 has_keypoints ? sizeof(keypoint_bytes) : 0,
                                                 NULL, 0),
                     0);
    packet.size = writer.pos;
    return packet;
}

static Buffer model_keyframe(void)
{
    FacetSequenceHeader header = model_header();
    return keyframe(&header, 123456, 77);
}

static Buffer delta(uint32_t frame_number, uint16_t keyframe_id)
{
    Buffer packet = { .size = 0 };
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, packet.data, sizeof(packet.data));
    ck_assert_int_eq(facet_delta_packet_write(&writer, frame_number, keyframe_id, keypoint_bytes,
                                              sizeof(keypoint_bytes), NULL, 0),
                     0);
    packet.size = writer.pos;
    return packet;
}

static int peek(const uint8_t *data, size_t size, FacetPacketInfo *info)
{
    *info = (FacetPacketInfo){ .struct_size = sizeof(*info) };
    return facet_packet_peek(data, size, info);
}

/* Every member but struct_size is zero. */
static void assert_cleared(const FacetPacketInfo *info)
{
    FacetPacketInfo zero;
    memset(&zero, 0, sizeof(zero)); /* padding included, for the byte compare */
    zero.struct_size = sizeof(zero);
    ck_assert_mem_eq(info, &zero, sizeof(zero));
}

START_TEST(test_bad_arguments)
{
    Buffer packet = model_keyframe();
    FacetPacketInfo info;

    ck_assert_int_eq(facet_packet_peek(packet.data, packet.size, NULL), FACET_ERR(EINVAL));
    /* A struct_size of an older (smaller) struct, or none at all: nothing
     * is written. */
    static const size_t small_sizes[] = { 0, 1, sizeof(size_t),
                                          offsetof(FacetPacketInfo, scale) - 1 };
    for (size_t i = 0; i < sizeof(small_sizes) / sizeof(small_sizes[0]); i++) {
        memset(&info, 0xa5, sizeof(info));
        info.struct_size = small_sizes[i];
        ck_assert_int_eq(facet_packet_peek(packet.data, packet.size, &info), FACET_ERR(EINVAL));
        ck_assert_uint_eq(info.struct_size, small_sizes[i]);
        ck_assert_uint_eq(info.frame_number, 0xa5a5a5a5u);
    }
    ck_assert_int_eq(peek(NULL, packet.size, &info), FACET_ERR(EINVAL));
    assert_cleared(&info);
    ck_assert_int_eq(peek(NULL, 0, &info), FACET_ERR(EINVAL));
    ck_assert_int_eq(peek(packet.data, 0, &info), FACET_ERR(EINVAL));
    assert_cleared(&info);
    /* Still usable for a good packet afterwards. */
    ck_assert_int_eq(peek(packet.data, packet.size, &info), 0);
}
END_TEST

START_TEST(test_keyframe_with_model)
{
    Buffer packet = model_keyframe();
    FacetPacketInfo info;
    ck_assert_int_eq(peek(packet.data, packet.size, &info), 0);
    ck_assert_uint_eq(info.struct_size, sizeof(info));
    ck_assert_int_eq(info.type, FACET_PACKET_TYPE_KEYFRAME);
    ck_assert_uint_eq(info.flags, FACET_PACKET_FLAG_KEYFRAME);
    ck_assert_uint_eq(info.frame_number, 123456);
    ck_assert_uint_eq(info.keyframe_id, 77);
    ck_assert_int_eq(info.has_sequence_header, 1);
    ck_assert_int_eq(info.mode, FACET_STREAM_MODE_KEYPOINTS);
    ck_assert_uint_eq(info.model_id, 0xa1b2c3d4u);
    ck_assert_int_eq(info.width, 640);
    ck_assert_int_eq(info.height, 360);
    ck_assert_int_eq(info.fps_num, 30000);
    ck_assert_int_eq(info.fps_den, 1001);
    ck_assert_int_eq(info.model_size, 256);
    ck_assert_int_eq(info.keypoint_count, 10);
    ck_assert_int_eq(info.version_major, FACET_BITSTREAM_VERSION_MAJOR);
    ck_assert_int_eq(info.version_minor, FACET_BITSTREAM_VERSION_MINOR);
}
END_TEST

START_TEST(test_intra_only_keyframe)
{
    FacetSequenceHeader header = intra_only_header();
    header.width = 8192;
    header.height = 1;
    Buffer packet = keyframe(&header, UINT32_MAX, UINT16_MAX);
    FacetPacketInfo info;
    ck_assert_int_eq(peek(packet.data, packet.size, &info), 0);
    ck_assert_int_eq(info.type, FACET_PACKET_TYPE_KEYFRAME);
    ck_assert_uint_eq(info.frame_number, UINT32_MAX);
    ck_assert_uint_eq(info.keyframe_id, UINT16_MAX);
    ck_assert_int_eq(info.mode, FACET_STREAM_MODE_INTRA_ONLY);
    ck_assert_uint_eq(info.model_id, 0);
    ck_assert_int_eq(info.model_size, 0);
    ck_assert_int_eq(info.keypoint_count, 0);
    ck_assert_int_eq(info.width, 8192);
    ck_assert_int_eq(info.height, 1);
}
END_TEST

START_TEST(test_delta)
{
    Buffer packet = delta(300, 65535);
    FacetPacketInfo info;
    ck_assert_int_eq(peek(packet.data, packet.size, &info), 0);
    ck_assert_int_eq(info.type, FACET_PACKET_TYPE_DELTA);
    ck_assert_uint_eq(info.flags, 0);
    ck_assert_uint_eq(info.frame_number, 300);
    ck_assert_uint_eq(info.keyframe_id, 65535);
    /* No sequence header: every sequence member reads as zero. */
    ck_assert_int_eq(info.has_sequence_header, 0);
    FacetPacketInfo expected;
    memset(&expected, 0, sizeof(expected));
    expected.struct_size = sizeof(expected);
    expected.type = FACET_PACKET_TYPE_DELTA;
    expected.frame_number = 300;
    expected.keyframe_id = 65535;
    expected.frame_number_bits = 32; /* whole numbers (1.2 members) */
    expected.keyframe_id_bits = 16;
    ck_assert_mem_eq(&info, &expected, sizeof(info));
}
END_TEST

/* A caller built against a later header passes a larger struct: this
 * library fills what it knows and leaves the rest alone. */
START_TEST(test_larger_struct_from_a_later_header)
{
    struct {
        FacetPacketInfo info;
        uint32_t later_members[4];
    } later;
    Buffer packet = model_keyframe();
    memset(&later, 0x77, sizeof(later));
    later.info.struct_size = sizeof(later);
    ck_assert_int_eq(facet_packet_peek(packet.data, packet.size, &later.info), 0);
    ck_assert_uint_eq(later.info.struct_size, sizeof(later));
    ck_assert_uint_eq(later.info.keyframe_id, 77);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(later.later_members[i], 0x77777777u);
}
END_TEST

START_TEST(test_newer_minor_version_is_read)
{
    /* A v1.2 header: the 1.1 fields (mode keypoints, no scale, no base
     * codec) and 5 more bytes, skipped through header_size. */
    Buffer packet = model_keyframe();
    Buffer longer = { .size = packet.size + 8 };
    memcpy(longer.data, packet.data, OFFSET_FRAME_NUMBER);
    longer.data[OFFSET_FRAME_NUMBER] = 1;
    longer.data[OFFSET_FRAME_NUMBER + 1] = 0;
    longer.data[OFFSET_FRAME_NUMBER + 2] = 0;
    memset(longer.data + OFFSET_FRAME_NUMBER + 3, 0xee, 5);
    memcpy(longer.data + OFFSET_FRAME_NUMBER + 8, packet.data + OFFSET_FRAME_NUMBER,
           packet.size - OFFSET_FRAME_NUMBER);
    longer.data[OFFSET_VERSION_MINOR] = 2;
    longer.data[OFFSET_HEADER_SIZE + 1] += 8;
    FacetPacketInfo info;
    ck_assert_int_eq(peek(longer.data, longer.size, &info), 0);
    ck_assert_int_eq(info.version_minor, 2);
    ck_assert_int_eq(info.mode, FACET_STREAM_MODE_KEYPOINTS);
    ck_assert_uint_eq(info.frame_number, 123456);
    ck_assert_uint_eq(info.keyframe_id, 77);
    ck_assert_int_eq(info.width, 640);
}
END_TEST

START_TEST(test_newer_major_version)
{
    Buffer packet = model_keyframe();
    FacetPacketInfo info;
    packet.data[OFFSET_VERSION_MAJOR] = FACET_BITSTREAM_VERSION_MAJOR + 1;
    packet.data[OFFSET_VERSION_MINOR] = 3;
    /* Whatever follows the version is not read, however broken. */
    memset(packet.data + OFFSET_HEADER_SIZE, 0xff, packet.size - OFFSET_HEADER_SIZE);
    ck_assert_int_eq(peek(packet.data, packet.size, &info), FACET_ERR(ENOTSUP));
    FacetPacketInfo expected;
    memset(&expected, 0, sizeof(expected));
    expected.struct_size = sizeof(expected);
    expected.type = FACET_PACKET_TYPE_KEYFRAME;
    expected.version_major = FACET_BITSTREAM_VERSION_MAJOR + 1;
    expected.version_minor = 3;
    ck_assert_mem_eq(&info, &expected, sizeof(info));
    /* Cut right after the version: still a newer version, not a truncation. */
    ck_assert_int_eq(peek(packet.data, OFFSET_HEADER_SIZE, &info), FACET_ERR(ENOTSUP));
}
END_TEST

static void put_u16(uint8_t *p, unsigned value)
{
    p[0] = (uint8_t)(value >> 8);
    p[1] = (uint8_t)value;
}

static void put_u32(uint8_t *p, uint32_t value)
{
    put_u16(p, value >> 16);
    put_u16(p + 2, value & 0xffff);
}

/* One malformed class of keyframe header: a change to a valid packet. */
typedef struct BadKeyframe {
    const char *what;
    int model;          /* start from the keyframe with a model (else intra-only) */
    size_t offset;
    int width;          /* 1, 2 or 4 bytes */
    uint32_t value;
} BadKeyframe;

static const BadKeyframe bad_keyframes[] = {
    { "packet type 0", 1, 0, 1, 0 },
    { "packet type 3", 1, 0, 1, 3 },
    { "packet type 255", 1, 0, 1, 255 },
    { "wrong magic", 1, OFFSET_MAGIC, 1, 'f' },
    { "wrong magic, last byte", 1, OFFSET_MAGIC + 3, 1, 'X' },
    { "major version 0", 1, OFFSET_VERSION_MAJOR, 1, 0 },
    { "header_size 0", 1, OFFSET_HEADER_SIZE, 2, 0 },
    { "header_size 18", 1, OFFSET_HEADER_SIZE, 2, 18 },
    { "header_size 1025", 1, OFFSET_HEADER_SIZE, 2, 1025 },
    { "header_size 65535", 1, OFFSET_HEADER_SIZE, 2, 65535 },
    { "header_size past the end", 1, OFFSET_HEADER_SIZE, 2, 1000 },
    { "width 0", 1, OFFSET_WIDTH, 2, 0 },
    { "width 8193", 1, OFFSET_WIDTH, 2, 8193 },
    { "height 0", 1, OFFSET_HEIGHT, 2, 0 },
    { "height 65535", 1, OFFSET_HEIGHT, 2, 65535 },
    { "model_size 0 with a model", 1, OFFSET_MODEL_SIZE, 2, 0 },
    { "model_size 16", 1, OFFSET_MODEL_SIZE, 2, 16 },
    { "model_size 1056", 1, OFFSET_MODEL_SIZE, 2, 1056 },
    { "model_size not a multiple of 32", 1, OFFSET_MODEL_SIZE, 2, 240 },
    { "keypoint_count 0 with a model", 1, OFFSET_KEYPOINT_COUNT, 1, 0 },
    { "keypoint_count 65", 1, OFFSET_KEYPOINT_COUNT, 1, 65 },
    { "model_size without a model", 0, OFFSET_MODEL_SIZE, 2, 256 },
    { "keypoints without a model", 0, OFFSET_KEYPOINT_COUNT, 1, 10 },
    { "fps_num 0", 1, OFFSET_FPS_NUM, 4, 0 },
    { "fps_num 1000001", 1, OFFSET_FPS_NUM, 4, 1000001 },
    { "fps_den 0", 1, OFFSET_FPS_DEN, 4, 0 },
    { "fps_den 2^32-1", 1, OFFSET_FPS_DEN, 4, UINT32_MAX },
    /* frame_number: a varint of six bytes, one of 35 bits, one never ended. */
    { "frame_number overlong", 0, OFFSET_FRAME_NUMBER, 4, 0x80808080u },
};

static Buffer make_bad_keyframe(const BadKeyframe *bad)
{
    FacetSequenceHeader header = bad->model ? model_header() : intra_only_header();
    Buffer packet = keyframe(&header, 0xfffffff, 1);
    uint8_t *p = packet.data + bad->offset;
    if (bad->width == 1)
        p[0] = (uint8_t)bad->value;
    else if (bad->width == 2)
        put_u16(p, bad->value);
    else
        put_u32(p, bad->value);
    if (bad->offset == OFFSET_FRAME_NUMBER) {
        /* 0xfffffff codes as ff ff ff 7f; with four continuation bytes
         * written over it, the fifth (the id's first byte, 0) ends it: a
         * valid 5-byte varint. Make the fifth continue too. */
        packet.data[OFFSET_FRAME_NUMBER + 4] = 0x80;
    }
    return packet;
}

/* The decoder, with no model: every header the peek refuses it refuses
 * with the same code, before it looks at a payload. */
static int decode(const uint8_t *data, size_t size)
{
    FacetDecoder *decoder = NULL;
    FacetDecoderSettings settings;
    facet_decoder_default_settings(&settings);
    settings.model_path = "";
    settings.threads = 1;
    settings.backend = FACET_BACKEND_CPU;
    ck_assert_int_eq(facet_decoder_open(&decoder, &settings), 0);
    FacetPacket packet = { .data = (uint8_t *)data, .size = size };
    int ret = facet_decoder_send_packet(decoder, &packet);
    facet_decoder_close(&decoder);
    return ret;
}

START_TEST(test_malformed_keyframe_headers)
{
    for (size_t i = 0; i < sizeof(bad_keyframes) / sizeof(bad_keyframes[0]); i++) {
        Buffer packet = make_bad_keyframe(&bad_keyframes[i]);
        FacetPacketInfo info;
        ck_assert_msg(peek(packet.data, packet.size, &info) == FACET_ERR(EBADMSG), "%s",
                      bad_keyframes[i].what);
        assert_cleared(&info);
        ck_assert_msg(decode(packet.data, packet.size) == FACET_ERR(EBADMSG), "%s: decoder",
                      bad_keyframes[i].what);
    }
}
END_TEST

START_TEST(test_malformed_varints)
{
    static const uint8_t delta_overlong[] = { 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 1, 1, 0 };
    static const uint8_t delta_wide[] = { 2, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 1, 1, 0 };
    static const uint8_t delta_unended[] = { 2, 0x81, 0x82 };
    static const uint8_t delta_no_id[] = { 2, 0x05, 0x00 };
    static const uint8_t type_only[] = { 2 };
    static const struct {
        const char *what;
        const uint8_t *data;
        size_t size;
    } cases[] = {
        { "overlong frame_number", delta_overlong, sizeof(delta_overlong) },
        { "frame_number of 35 bits", delta_wide, sizeof(delta_wide) },
        { "frame_number cut off", delta_unended, sizeof(delta_unended) },
        { "keyframe_id cut off", delta_no_id, sizeof(delta_no_id) },
        { "type byte only", type_only, sizeof(type_only) },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        FacetPacketInfo info;
        ck_assert_msg(peek(cases[i].data, cases[i].size, &info) == FACET_ERR(EBADMSG), "%s",
                      cases[i].what);
        assert_cleared(&info);
        ck_assert_msg(decode(cases[i].data, cases[i].size) == FACET_ERR(EBADMSG), "%s: decoder",
                      cases[i].what);
    }
}
END_TEST

/* Every cut inside the headers is malformed; every cut after them leaves the
 * headers readable (the payloads are the decoder's to judge), and the decoder
 * refuses it. */
START_TEST(test_truncated)
{
    Buffer packets[2] = { model_keyframe(), delta(9, 4) };
    /* type, [sequence header,] frame_number (123456: 3 bytes; 9: 1), keyframe_id */
    const size_t header_end[2] = { OFFSET_FRAME_NUMBER + 3 + 2, 1 + 1 + 2 };
    for (int p = 0; p < 2; p++) {
        for (size_t size = 1; size < packets[p].size; size++) {
            FacetPacketInfo info;
            int expected = size < header_end[p] ? FACET_ERR(EBADMSG) : 0;
            ck_assert_msg(peek(packets[p].data, size, &info) == expected, "packet %d cut at %zu",
                          p, size);
            /* Without its keyframe a delta is refused either way (ENOENT
             * when only its payload is cut): never a frame. */
            ck_assert_msg(decode(packets[p].data, size) < 0, "packet %d cut at %zu: decoder", p,
                          size);
        }
    }
}
END_TEST

START_TEST(test_oversized_packet)
{
    size_t size = FACET_MAX_PACKET_SIZE + 1;
    uint8_t *data = calloc(size, 1);
    Buffer packet = delta(1, 1);
    FacetPacketInfo info;
    ck_assert_ptr_nonnull(data);
    memcpy(data, packet.data, packet.size);
    ck_assert_int_eq(peek(data, size, &info), FACET_ERR(EBADMSG));
    ck_assert_int_eq(peek(data, size - 1, &info), 0);
    free(data);
}
END_TEST

/* Every single-byte change of the headers of a valid keyframe: the peek
 * never crashes; what the decoder's parser accepts, the peek accepts with
 * the same fields; what the peek refuses, the parser refuses with the same
 * code. */
START_TEST(test_every_header_byte_mutated)
{
    Buffer original = model_keyframe();
    for (size_t offset = 0; offset < OFFSET_FRAME_NUMBER + 5; offset++) {
        for (int value = 0; value < 256; value++) {
            Buffer packet = original;
            FacetPacketInfo info;
            FacetPacketView view;
            packet.data[offset] = (uint8_t)value;
            int ret = peek(packet.data, packet.size, &info);
            int parsed = facet_packet_parse(packet.data, packet.size, &view);
            ck_assert(ret == 0 || ret == FACET_ERR(EBADMSG) || ret == FACET_ERR(ENOTSUP));
            ck_assert_msg(ret == 0 ? parsed <= 0 : parsed == ret,
                          "byte %zu = %d: peek %d, parser %d", offset, value, ret, parsed);
            if (parsed == 0) {
                ck_assert_int_eq(ret, 0);
                ck_assert_uint_eq(info.frame_number, view.frame_number);
                ck_assert_uint_eq(info.keyframe_id, view.keyframe_id);
                ck_assert_int_eq(info.width, view.sequence.width);
            }
        }
    }
}
END_TEST

/* Whatever facet_packet_parse() accepts, the peek accepts with the same
 * fields: the elements never refuse a packet the decoder would decode. */
START_TEST(test_agrees_with_the_parser)
{
    FacetSequenceHeader intra_only = intra_only_header();
    Buffer packets[] = { model_keyframe(), keyframe(&intra_only, 0, 0), delta(0, 0),
                         delta(UINT32_MAX, 12345) };
    for (size_t i = 0; i < sizeof(packets) / sizeof(packets[0]); i++) {
        FacetPacketView view;
        FacetPacketInfo info;
        ck_assert_int_eq(facet_packet_parse(packets[i].data, packets[i].size, &view), 0);
        ck_assert_int_eq(peek(packets[i].data, packets[i].size, &info), 0);
        ck_assert_int_eq(info.type, view.type);
        ck_assert_uint_eq(info.frame_number, view.frame_number);
        ck_assert_uint_eq(info.keyframe_id, view.keyframe_id);
        ck_assert_uint_eq(info.model_id, view.sequence.model_id);
        ck_assert_int_eq(info.keypoint_count, view.sequence.keypoint_count);
    }
}
END_TEST

/* ---- The latent tier (bitstream 1.1) ---------------------------------- */

static const uint8_t base_bytes[] = { 0x12, 0x00, 0x32, 0x05, 0x10, 0x00, 0x00, 0x00, 0x01 };

static FacetSequenceHeader latent_header(void)
{
    FacetSequenceHeader header = model_header();
    header.model_size = 0;
    header.keypoint_count = 0;
    header.mode = FACET_MODE_ID_LATENT;
    header.scale = 4;
    header.base_codec = FACET_BASE_ID_AV1;
    return header;
}

static Buffer latent_keyframe(const FacetSequenceHeader *header)
{
    Buffer packet = { .size = 0 };
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, packet.data, sizeof(packet.data));
    ck_assert_int_eq(facet_latent_keyframe_packet_write(&writer, header, 1000, 9, base_bytes,
                                                        sizeof(base_bytes)),
                     0);
    packet.size = writer.pos;
    return packet;
}

static Buffer reference_fragment(int index, int count, uint32_t total)
{
    static uint8_t whole[4096];
    Buffer packet = { .size = 0 };
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, packet.data, sizeof(packet.data));
    ck_assert_int_eq(facet_reference_packet_write(&writer, 1001, 3, FACET_INTRA_ID_AV1, index,
                                                  count, total, whole),
                     0);
    packet.size = writer.pos;
    return packet;
}

START_TEST(test_latent_packets)
{
    FacetSequenceHeader header = latent_header();
    Buffer packet = latent_keyframe(&header);
    FacetPacketInfo info;
    ck_assert_int_eq(peek(packet.data, packet.size, &info), 0);
    ck_assert_int_eq(info.type, FACET_PACKET_TYPE_LATENT_KEYFRAME);
    ck_assert_uint_eq(info.flags, FACET_PACKET_FLAG_KEYFRAME);
    ck_assert_int_eq(info.has_sequence_header, 1);
    ck_assert_int_eq(info.mode, FACET_STREAM_MODE_LATENT);
    ck_assert_int_eq(info.scale, 4);
    ck_assert_int_eq(info.base_codec, FACET_BASE_CODEC_AV1);
    ck_assert_uint_eq(info.model_id, 0xa1b2c3d4u);
    ck_assert_int_eq(info.version_minor, FACET_BITSTREAM_VERSION_MINOR);
    ck_assert_uint_eq(info.frame_number, 1000);
    ck_assert_uint_eq(info.keyframe_id, 9);

    Buffer frame = { .size = 0 };
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, frame.data, sizeof(frame.data));
    ck_assert_int_eq(facet_latent_frame_packet_write(&writer, 1001, 9, base_bytes,
                                                     sizeof(base_bytes)), 0);
    frame.size = writer.pos;
    ck_assert_int_eq(peek(frame.data, frame.size, &info), 0);
    ck_assert_int_eq(info.type, FACET_PACKET_TYPE_LATENT_FRAME);
    ck_assert_uint_eq(info.flags, 0);
    ck_assert_int_eq(info.has_sequence_header, 0);
    ck_assert_uint_eq(info.frame_number, 1001);
    ck_assert_uint_eq(info.keyframe_id, 9);

    Buffer fragment = reference_fragment(2, 3, 700);
    ck_assert_int_eq(peek(fragment.data, fragment.size, &info), 0);
    ck_assert_int_eq(info.type, FACET_PACKET_TYPE_REFERENCE);
    ck_assert_uint_eq(info.reference_id, 3);
    ck_assert_uint_eq(info.keyframe_id, 3);
    ck_assert_int_eq(info.fragment_index, 2);
    ck_assert_int_eq(info.fragment_count, 3);
    ck_assert_uint_eq(info.reference_size, 700);
    ck_assert_uint_eq(info.frame_number, 1001);
}
END_TEST

START_TEST(test_v1_0_struct_size)
{
    /* A program built against the 1.0 header: its members are filled, not
     * one byte past them. */
    FacetSequenceHeader header = latent_header();
    Buffer packet = latent_keyframe(&header);
    FacetPacketInfo info;
    memset(&info, 0xa5, sizeof(info));
    info.struct_size = offsetof(FacetPacketInfo, scale);
    ck_assert_int_eq(facet_packet_peek(packet.data, packet.size, &info), 0);
    ck_assert_int_eq(info.mode, FACET_STREAM_MODE_LATENT);
    ck_assert_int_eq(info.scale, (int)0xa5a5a5a5);
    ck_assert_uint_eq(info.reference_size, 0xa5a5a5a5u);
}
END_TEST

START_TEST(test_malformed_latent_headers)
{
    FacetPacketInfo info;
    FacetSequenceHeader good = latent_header();
    /* Fields a latent header must not hold, each refused by the writer and,
     * patched into a packet, by the parser. */
    FacetSequenceHeader bad[6];
    for (int i = 0; i < 6; i++)
        bad[i] = good;
    bad[0].scale = 3;
    bad[1].base_codec = 7;
    bad[2].keypoint_count = 10;
    bad[3].width = 16;
    bad[4].model_id = 0;
    bad[5].height = 5000;
    for (int i = 0; i < 6; i++) {
        Buffer packet = { .size = 0 };
        FacetByteWriter writer;
        facet_byte_writer_init(&writer, packet.data, sizeof(packet.data));
        ck_assert_int_eq(facet_latent_keyframe_packet_write(&writer, &bad[i], 1, 1, base_bytes,
                                                            sizeof(base_bytes)),
                         FACET_ERR(EINVAL));
    }
    Buffer packet = latent_keyframe(&good);
    size_t mode = 1 + 4 + 2 + 2 + FACET_SEQUENCE_HEADER_V1_0_SIZE;
    static const struct { size_t offset; uint8_t value; } patches[] = {
        { 0, 1 },          /* a latent header in a keypoint keyframe */
        { 0, 7 },          /* unknown packet type */
        { 0, 0 },
        { 0, 255 },
        { 1 + 4 + 2 + 2 + FACET_SEQUENCE_HEADER_V1_0_SIZE, 1 }, /* mode keypoints, scale 4 */
        { 1 + 4 + 2 + 2 + FACET_SEQUENCE_HEADER_V1_0_SIZE, 3 }, /* unknown mode */
        { 1 + 4 + 2 + 2 + FACET_SEQUENCE_HEADER_V1_0_SIZE + 1, 0 }, /* scale 0 */
        { 1 + 4 + 2 + 2 + FACET_SEQUENCE_HEADER_V1_0_SIZE + 1, 8 },
        { 1 + 4 + 2 + 2 + FACET_SEQUENCE_HEADER_V1_0_SIZE + 2, 0 }, /* no base codec */
        { 1 + 4 + 2 + 2 + FACET_SEQUENCE_HEADER_V1_0_SIZE + 2, 3 },
    };
    (void)mode;
    for (size_t i = 0; i < sizeof(patches) / sizeof(patches[0]); i++) {
        Buffer bad_packet = packet;
        bad_packet.data[patches[i].offset] = patches[i].value;
        ck_assert_msg(peek(bad_packet.data, bad_packet.size, &info) == FACET_ERR(EBADMSG),
                      "patch %zu", i);
    }
    /* A 1.1 keypoint keyframe cannot be cut to 21 bytes of fields and call
     * itself latent: a latent keyframe with a v1.0-sized header. */
    Buffer shortened = packet;
    shortened.data[8] = FACET_SEQUENCE_HEADER_V1_0_SIZE;
    ck_assert_int_eq(peek(shortened.data, shortened.size, &info), FACET_ERR(EBADMSG));
    /* Every cut of each latent packet is refused by peek (headers) and the
     * parser (payloads). */
    Buffer fragment = reference_fragment(0, 2, 300);
    const Buffer *all[] = { &packet, &fragment };
    for (int p = 0; p < 2; p++) {
        for (size_t cut = 1; cut < all[p]->size; cut++) {
            FacetPacketView view;
            ck_assert_int_eq(facet_packet_parse(all[p]->data, cut, &view), FACET_ERR(EBADMSG));
        }
    }
}
END_TEST

/* ---- Short latent frames (bitstream 1.2) ------------------------------ */

static Buffer short_frame(uint32_t frame_number, uint16_t keyframe_id)
{
    Buffer packet = { .size = 0 };
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, packet.data, sizeof(packet.data));
    ck_assert_int_eq(facet_latent_short_frame_packet_write(&writer, frame_number, keyframe_id,
                                                           base_bytes, sizeof(base_bytes)),
                     0);
    packet.size = writer.pos;
    return packet;
}

START_TEST(test_short_latent_frame)
{
    /* Numbers as coded, modulo 256, and said to be 8 bits. */
    Buffer packet = short_frame(0x12345, 0x1f9);
    ck_assert_uint_eq(packet.size, 3 + sizeof(base_bytes));
    FacetPacketInfo info;
    ck_assert_int_eq(peek(packet.data, packet.size, &info), 0);
    FacetPacketInfo expected;
    memset(&expected, 0, sizeof(expected));
    expected.struct_size = sizeof(expected);
    expected.type = FACET_PACKET_TYPE_LATENT_FRAME_SHORT;
    expected.frame_number = 0x45;
    expected.keyframe_id = 0xf9;
    expected.frame_number_bits = 8;
    expected.keyframe_id_bits = 8;
    ck_assert_mem_eq(&info, &expected, sizeof(info));
    /* Every other packet's numbers are whole. */
    FacetSequenceHeader header = latent_header();
    Buffer keyframe_packet = latent_keyframe(&header);
    ck_assert_int_eq(peek(keyframe_packet.data, keyframe_packet.size, &info), 0);
    ck_assert_int_eq(info.frame_number_bits, 32);
    ck_assert_int_eq(info.keyframe_id_bits, 16);
    Buffer fragment = reference_fragment(0, 2, 300);
    ck_assert_int_eq(peek(fragment.data, fragment.size, &info), 0);
    ck_assert_int_eq(info.frame_number_bits, 32);

    /* A program built against the 1.1 header: nothing past its members. */
    memset(&info, 0xa5, sizeof(info));
    info.struct_size = offsetof(FacetPacketInfo, frame_number_bits);
    ck_assert_int_eq(facet_packet_peek(packet.data, packet.size, &info), 0);
    ck_assert_int_eq(info.type, FACET_PACKET_TYPE_LATENT_FRAME_SHORT);
    ck_assert_uint_eq(info.frame_number, 0x45);
    ck_assert_int_eq(info.frame_number_bits, (int)0xa5a5a5a5);
    ck_assert_int_eq(info.keyframe_id_bits, (int)0xa5a5a5a5);

    /* Peek reads the 3 bytes of header: shorter is refused; the unit is
     * payload (the parser checks it is there). */
    for (size_t cut = 1; cut < 3; cut++)
        ck_assert_int_eq(peek(packet.data, cut, &info), FACET_ERR(EBADMSG));
    ck_assert_int_eq(peek(packet.data, 3, &info), 0);
    FacetPacketView view;
    ck_assert_int_eq(facet_packet_parse(packet.data, 3, &view), FACET_ERR(EBADMSG));
    ck_assert_int_eq(facet_packet_parse(packet.data, 4, &view), 0);
    ck_assert_uint_eq(view.base_size, 1);
}
END_TEST

START_TEST(test_malformed_reference_fields)
{
    FacetPacketInfo info;
    /* Writer: index past count, count 0 or over 255, too large a total,
     * pieces over 16 KiB, more pieces than bytes. */
    static const struct { int index, count; uint32_t total; } bad[] = {
        { 3, 3, 700 }, { 0, 0, 700 }, { 0, 256, 700 }, { -1, 3, 700 },
        { 0, 1, FACET_MAX_REFERENCE_FRAGMENT + 1 }, { 0, 3, 0 },
        { 4, 5, 4 }, { 0, 1, FACET_MAX_REFERENCE_SIZE + 1 },
    };
    static uint8_t whole[FACET_MAX_REFERENCE_FRAGMENT + 1];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t data[FACET_MAX_REFERENCE_FRAGMENT + 64];
        FacetByteWriter writer;
        facet_byte_writer_init(&writer, data, sizeof(data));
        ck_assert_msg(facet_reference_packet_write(&writer, 1, 1, FACET_INTRA_ID_AV1, bad[i].index,
                                                   bad[i].count, bad[i].total, whole) ==
                          FACET_ERR(EINVAL), "case %zu", i);
    }
    /* Parser: each header byte patched to values a valid fragment cannot
     * hold. Layout: type, frame_number (varint, 2 bytes for 1001),
     * reference id (2), index, count, intra codec, total (varint), size. */
    Buffer good = reference_fragment(1, 3, 700);
    size_t index = 1 + 2 + 2, count = index + 1, codec = count + 1, total = codec + 1;
    static const struct { size_t field; uint8_t value; } patches[] = {
        { 0, 3 },  /* count 3 -> index 3 */
        { 1, 0 },  /* count 0 */
        { 1, 1 },  /* count 1: the piece is the wrong size */
        { 2, 0 },  /* intra codec 0 */
        { 2, 9 },
    };
    const size_t offsets[] = { index, count, codec };
    for (size_t i = 0; i < sizeof(patches) / sizeof(patches[0]); i++) {
        Buffer bad_packet = good;
        bad_packet.data[offsets[patches[i].field]] = patches[i].value;
        ck_assert_msg(peek(bad_packet.data, bad_packet.size, &info) == FACET_ERR(EBADMSG),
                      "patch %zu", i);
    }
    /* A total whose pieces would pass 16 KiB: total 0x7f -> varint
     * continuation is a different packet; patch the size field instead. */
    Buffer bad_size = good;
    bad_size.data[total + 2] ^= 0x01; /* the piece's length */
    ck_assert_int_eq(peek(bad_size.data, bad_size.size, &info), FACET_ERR(EBADMSG));
}
END_TEST

static Suite *packet_peek_suite(void)
{
    Suite *s = suite_create("packet_peek");
    TCase *tc = tcase_create("peek");
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_keyframe_with_model);
    tcase_add_test(tc, test_intra_only_keyframe);
    tcase_add_test(tc, test_delta);
    tcase_add_test(tc, test_larger_struct_from_a_later_header);
    tcase_add_test(tc, test_newer_minor_version_is_read);
    tcase_add_test(tc, test_newer_major_version);
    tcase_add_test(tc, test_malformed_keyframe_headers);
    tcase_add_test(tc, test_malformed_varints);
    tcase_add_test(tc, test_truncated);
    tcase_add_test(tc, test_oversized_packet);
    tcase_add_test(tc, test_every_header_byte_mutated);
    tcase_add_test(tc, test_agrees_with_the_parser);
    tcase_add_test(tc, test_latent_packets);
    tcase_add_test(tc, test_v1_0_struct_size);
    tcase_add_test(tc, test_malformed_latent_headers);
    tcase_add_test(tc, test_malformed_reference_fields);
    tcase_add_test(tc, test_short_latent_frame);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(packet_peek_suite());
    srunner_run_all(runner, CK_VERBOSE);
    int failures = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
