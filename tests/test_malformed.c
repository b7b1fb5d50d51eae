/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every class of malformed packet the network can deliver: each must get a
 * negative error code (never a crash, a hang or a frame), and the decoder
 * must still decode the next valid keyframe afterwards.
 */
#include <check.h>
#include <libavutil/log.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bitstream.h"
#include "facet/facet.h"
#include "keypoints/keypoint_coding.h"
#include "test_pictures.h"

#define TEST_W 48
#define TEST_H 32
#define TEST_K 10

/* Offsets of keyframe fields, from docs/bitstream.md. */
#define OFFSET_MAGIC 1
#define OFFSET_VERSION_MAJOR 5
#define OFFSET_VERSION_MINOR 6
#define OFFSET_HEADER_SIZE 7
#define OFFSET_MODEL_ID 9
#define OFFSET_WIDTH 13
#define OFFSET_MODEL_SIZE 17
#define OFFSET_KEYPOINT_COUNT 19
#define OFFSET_FRAME_NUMBER 28

typedef struct Buffer {
    uint8_t *data;
    size_t size;
} Buffer;

static FacetDecoder *decoder;
static Buffer intra_packet; /* a valid intra-only keyframe packet */

static void setup(void)
{
    FacetDecoderSettings ds;
    facet_decoder_default_settings(&ds);
    ds.model_path = ""; /* intra-only, whatever is installed */
    ds.threads = 1;
    ck_assert_int_eq(facet_decoder_open(&decoder, &ds), 0);

    FacetEncoderSettings es;
    facet_encoder_default_settings(&es);
    es.model_path = ""; /* intra-only, whatever is installed */
    es.width = TEST_W;
    es.height = TEST_H;
    es.threads = 1;
    FacetEncoder *encoder = NULL;
    ck_assert_int_eq(facet_encoder_open(&encoder, &es), 0);
    FacetPicture picture = test_picture_make(FACET_PIXEL_FORMAT_I420, TEST_W, TEST_H, 0);
    ck_assert_int_eq(facet_encoder_send_frame(encoder, &picture), 0);
    FacetPacket packet;
    ck_assert_int_eq(facet_encoder_receive_packet(encoder, &packet), 0);
    intra_packet.data = packet.data;
    intra_packet.size = packet.size;
    facet_picture_unref(&picture);
    facet_encoder_close(&encoder);
}

static void teardown(void)
{
    free(intra_packet.data);
    intra_packet.data = NULL;
    facet_decoder_close(&decoder);
}

/* Sends bytes; on success drains the frame so the decoder stays ready. */
static int send_bytes(const uint8_t *data, size_t size)
{
    FacetPacket packet = { .data = (uint8_t *)data, .size = size, .pts = 0 };
    int ret = facet_decoder_send_packet(decoder, &packet);
    if (ret == 0) {
        FacetPicture picture;
        ck_assert_int_eq(facet_decoder_receive_frame(decoder, &picture), 0);
        ck_assert_int_eq(picture.width, TEST_W);
        ck_assert_int_eq(picture.height, TEST_H);
        facet_picture_unref(&picture);
    }
    return ret;
}

static Buffer copy_of(const Buffer *source)
{
    Buffer copy = { malloc(source->size), source->size };
    memcpy(copy.data, source->data, source->size);
    return copy;
}

static void expect_still_decodes(void)
{
    ck_assert_int_eq(send_bytes(intra_packet.data, intra_packet.size), 0);
}

/* Builds a keyframe packet of a stream with a model: the intra picture of
 * intra_packet plus coded keypoints. */
static Buffer model_keyframe(uint16_t keyframe_id, FacetQuantKeypoints *keypoints_out)
{
    FacetPacketView view;
    ck_assert_int_eq(facet_packet_parse(intra_packet.data, intra_packet.size, &view), 0);
    FacetSequenceHeader header = view.sequence;
    header.model_id = 0x1234;
    header.model_size = 256;
    header.keypoint_count = TEST_K;

    FacetKeypointSet set = { .count = TEST_K };
    for (int i = 0; i < TEST_K; i++)
        set.points[i] = (FacetKeypoint){ .x = -0.5f + 0.1f * i, .y = 0.3f - 0.05f * i,
                                         .jacobian = { { 1.0f, 0.1f }, { -0.05f, 0.9f } } };
    FacetQuantKeypoints quant;
    ck_assert_int_eq(facet_keypoints_quantize(&set, &quant), 0);
    uint8_t coded[FACET_MAX_KEYPOINT_PAYLOAD];
    int coded_size = facet_keypoints_encode(&quant, NULL, coded, sizeof(coded));
    ck_assert_int_gt(coded_size, 0);
    if (keypoints_out)
        *keypoints_out = quant;

    size_t capacity = facet_keyframe_packet_size_bound(view.intra_size, (size_t)coded_size,
                                                       NULL, 0);
    Buffer packet = { malloc(capacity), 0 };
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, packet.data, capacity);
    ck_assert_int_eq(facet_keyframe_packet_write(&writer, &header, 0, keyframe_id,
                                                 view.intra_codec, view.intra_data,
                                                 view.intra_size, coded, (size_t)coded_size,
                                                 NULL, 0),
                     0);
    packet.size = writer.pos;
    return packet;
}

static Buffer delta_packet(uint16_t keyframe_id, const FacetQuantKeypoints *reference)
{
    FacetQuantKeypoints moved = *reference;
    for (int i = 0; i < moved.count; i++)
        moved.x[i] += 3;
    uint8_t coded[FACET_MAX_KEYPOINT_PAYLOAD];
    int coded_size = facet_keypoints_encode(&moved, reference, coded, sizeof(coded));
    ck_assert_int_gt(coded_size, 0);
    Buffer packet = { malloc(64 + (size_t)coded_size), 0 };
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, packet.data, 64 + (size_t)coded_size);
    ck_assert_int_eq(facet_delta_packet_write(&writer, 1, keyframe_id, coded,
                                              (size_t)coded_size, NULL, 0),
                     0);
    packet.size = writer.pos;
    return packet;
}

START_TEST(test_valid_packet_decodes)
{
    expect_still_decodes();
    FacetQuantKeypoints kp;
    Buffer keyframe = model_keyframe(3, &kp);
    ck_assert_int_eq(send_bytes(keyframe.data, keyframe.size), 0);
    FacetStreamInfo info;
    ck_assert_int_eq(facet_decoder_get_stream_info(decoder, &info), 0);
    ck_assert_int_eq(info.keypoint_count, TEST_K);
    ck_assert_uint_eq(info.model_id, 0x1234);
    free(keyframe.data);
}
END_TEST

START_TEST(test_truncated)
{
    /* Every prefix of a valid keyframe, from one byte to all but one. */
    for (size_t size = 1; size < intra_packet.size; size++) {
        Buffer copy = copy_of(&intra_packet);
        int ret = send_bytes(copy.data, size);
        ck_assert_msg(ret < 0, "prefix of %zu bytes was accepted", size);
        free(copy.data);
    }
    expect_still_decodes();
}
END_TEST

START_TEST(test_wrong_magic)
{
    for (int i = 0; i < 4; i++) {
        Buffer copy = copy_of(&intra_packet);
        copy.data[OFFSET_MAGIC + i] ^= 0x20;
        ck_assert_int_eq(send_bytes(copy.data, copy.size), FACET_ERR(EBADMSG));
        free(copy.data);
    }
    expect_still_decodes();
}
END_TEST

START_TEST(test_newer_major_version)
{
    Buffer copy = copy_of(&intra_packet);
    copy.data[OFFSET_VERSION_MAJOR] = FACET_BITSTREAM_VERSION_MAJOR + 1;
    ck_assert_int_eq(send_bytes(copy.data, copy.size), FACET_ERR(ENOTSUP));
    copy.data[OFFSET_VERSION_MAJOR] = 0;
    ck_assert_int_eq(send_bytes(copy.data, copy.size), FACET_ERR(EBADMSG));
    free(copy.data);
    expect_still_decodes();
}
END_TEST

START_TEST(test_newer_minor_version_is_read)
{
    /* A v1.1 header with two extra bytes that this decoder must skip. */
    Buffer packet = { malloc(intra_packet.size + 2), intra_packet.size + 2 };
    size_t fields_end = OFFSET_HEADER_SIZE + 2 + FACET_SEQUENCE_HEADER_V1_0_SIZE;
    memcpy(packet.data, intra_packet.data, fields_end);
    packet.data[fields_end] = 0xee;
    packet.data[fields_end + 1] = 0xff;
    memcpy(packet.data + fields_end + 2, intra_packet.data + fields_end,
           intra_packet.size - fields_end);
    packet.data[OFFSET_VERSION_MINOR] = 1;
    packet.data[OFFSET_HEADER_SIZE + 1] += 2;
    ck_assert_int_eq(send_bytes(packet.data, packet.size), 0);
    FacetStreamInfo info;
    ck_assert_int_eq(facet_decoder_get_stream_info(decoder, &info), 0);
    ck_assert_int_eq(info.version_minor, 1);
    free(packet.data);
}
END_TEST

START_TEST(test_bad_header_fields)
{
    struct {
        size_t offset;
        uint8_t value;
    } cases[] = {
        { OFFSET_HEADER_SIZE, 0x00 },     /* header_size < 19 (high byte 0, low byte kept) */
        { OFFSET_HEADER_SIZE, 0x10 },     /* header_size > 1024 */
        { OFFSET_WIDTH, 0x00 },           /* width 0 when the low byte is also cleared below */
        { OFFSET_WIDTH, 0x21 },           /* width > 8192 */
        { OFFSET_MODEL_SIZE + 1, 0x40 },  /* model size without a model */
        { OFFSET_KEYPOINT_COUNT, 65 },    /* oversized keypoint count */
        { 0, 0x07 },                      /* unknown packet type */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Buffer copy = copy_of(&intra_packet);
        copy.data[cases[i].offset] = cases[i].value;
        if (cases[i].offset == OFFSET_HEADER_SIZE && cases[i].value == 0)
            copy.data[OFFSET_HEADER_SIZE + 1] = 18;
        if (cases[i].offset == OFFSET_WIDTH && cases[i].value == 0)
            copy.data[OFFSET_WIDTH + 1] = 0;
        ck_assert_msg(send_bytes(copy.data, copy.size) == FACET_ERR(EBADMSG), "case %zu", i);
        free(copy.data);
    }
    /* Oversized keypoint count in a stream that has a model. */
    Buffer keyframe = model_keyframe(1, NULL);
    keyframe.data[OFFSET_KEYPOINT_COUNT] = 200;
    ck_assert_int_eq(send_bytes(keyframe.data, keyframe.size), FACET_ERR(EBADMSG));
    free(keyframe.data);
    expect_still_decodes();
}
END_TEST

START_TEST(test_bad_lengths)
{
    FacetPacketView view;
    ck_assert_int_eq(facet_packet_parse(intra_packet.data, intra_packet.size, &view), 0);
    size_t length_offset = (size_t)(view.intra_data - intra_packet.data) -
                           facet_varint_size((uint32_t)view.intra_size);
    /* The intra length claims more bytes than the packet has. */
    Buffer copy = copy_of(&intra_packet);
    copy.size = length_offset + 5;
    copy.data[length_offset] = 0xff;
    copy.data[length_offset + 1] = 0xff;
    copy.data[length_offset + 2] = 0xff;
    copy.data[length_offset + 3] = 0x7f;
    ck_assert_int_eq(send_bytes(copy.data, copy.size), FACET_ERR(EBADMSG));
    /* A zero-length intra picture. */
    copy.data[length_offset] = 0;
    ck_assert_int_eq(send_bytes(copy.data, copy.size), FACET_ERR(EBADMSG));
    /* An overlong varint. */
    memset(copy.data + length_offset, 0x80, 5);
    ck_assert_int_eq(send_bytes(copy.data, copy.size), FACET_ERR(EBADMSG));
    free(copy.data);

    /* An extension record running past the end of the packet. */
    Buffer longer = { malloc(intra_packet.size + 3), intra_packet.size + 3 };
    memcpy(longer.data, intra_packet.data, intra_packet.size);
    longer.data[intra_packet.size] = 9;      /* record type */
    longer.data[intra_packet.size + 1] = 50; /* record length */
    longer.data[intra_packet.size + 2] = 0;
    ck_assert_int_eq(send_bytes(longer.data, longer.size), FACET_ERR(EBADMSG));
    free(longer.data);
    expect_still_decodes();
}
END_TEST

START_TEST(test_extension_records)
{
    /* Unknown records are skipped, up to the documented count. */
    size_t records = FACET_MAX_EXTENSION_RECORDS + 1;
    Buffer packet = { malloc(intra_packet.size + records * 3), 0 };
    memcpy(packet.data, intra_packet.data, intra_packet.size);
    for (size_t i = 0; i < records; i++) {
        uint8_t *record = packet.data + intra_packet.size + i * 3;
        record[0] = (uint8_t)(1 + i); /* one-byte varints */
        record[1] = 1;
        record[2] = 0xab;
    }
    packet.size = intra_packet.size + FACET_MAX_EXTENSION_RECORDS * 3;
    ck_assert_int_eq(send_bytes(packet.data, packet.size), 0);
    packet.size += 3;
    ck_assert_int_eq(send_bytes(packet.data, packet.size), FACET_ERR(EBADMSG));
    free(packet.data);
}
END_TEST

START_TEST(test_oversized_packet)
{
    size_t size = (size_t)FACET_MAX_PACKET_SIZE + 1;
    uint8_t *big = calloc(1, size);
    ck_assert_ptr_nonnull(big);
    memcpy(big, intra_packet.data, intra_packet.size);
    ck_assert_int_eq(send_bytes(big, size), FACET_ERR(EBADMSG));
    free(big);
}
END_TEST

START_TEST(test_delta_without_keyframe)
{
    FacetQuantKeypoints kp;
    Buffer keyframe = model_keyframe(5, &kp);
    Buffer delta = delta_packet(5, &kp);
    /* Nothing decoded yet. */
    ck_assert_int_eq(send_bytes(delta.data, delta.size), FACET_ERR(ENOENT));
    ck_assert_int_eq(send_bytes(keyframe.data, keyframe.size), 0);
    /* A delta of another keyframe (one that got lost). */
    Buffer other = delta_packet(6, &kp);
    ck_assert_int_eq(send_bytes(other.data, other.size), FACET_ERR(ENOENT));
    /* After a flush the reference is gone. */
    ck_assert_int_eq(facet_decoder_flush(decoder), 0);
    ck_assert_int_eq(send_bytes(delta.data, delta.size), FACET_ERR(ENOENT));
    /* The deltas of a keyframe that arrived corrupt have no reference. */
    ck_assert_int_eq(send_bytes(keyframe.data, keyframe.size), 0);
    Buffer broken = model_keyframe(6, NULL);
    broken.size -= 1;
    ck_assert_int_eq(send_bytes(broken.data, broken.size), FACET_ERR(EBADMSG));
    ck_assert_int_eq(send_bytes(other.data, other.size), FACET_ERR(ENOENT));
    /* An intra-only stream has no deltas at all. */
    expect_still_decodes();
    FacetPacketView view;
    ck_assert_int_eq(facet_packet_parse(intra_packet.data, intra_packet.size, &view), 0);
    Buffer intra_delta = delta_packet(view.keyframe_id, &kp);
    ck_assert_int_eq(send_bytes(intra_delta.data, intra_delta.size), FACET_ERR(EBADMSG));
    free(intra_delta.data);
    free(broken.data);
    free(other.data);
    free(delta.data);
    free(keyframe.data);
}
END_TEST

/* Latent frames (1.1's type 4, 1.2's short type 6) in a keypoint or
 * intra-only stream: nothing to belong to. */
START_TEST(test_latent_frame_in_keypoint_stream)
{
    static const uint8_t unit[] = { 0x12, 0x00, 0x32, 0x05, 0x10, 0x00, 0x00, 0x00, 0x01 };
    uint8_t frames[2][64];
    size_t sizes[2];
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, frames[0], sizeof(frames[0]));
    ck_assert_int_eq(facet_latent_frame_packet_write(&writer, 1, 3, unit, sizeof(unit)), 0);
    sizes[0] = writer.pos;
    facet_byte_writer_init(&writer, frames[1], sizeof(frames[1]));
    ck_assert_int_eq(facet_latent_short_frame_packet_write(&writer, 1, 3, unit, sizeof(unit)), 0);
    sizes[1] = writer.pos;
    FacetQuantKeypoints kp;
    Buffer keyframe = model_keyframe(3, &kp);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(send_bytes(frames[i], sizes[i]), FACET_ERR(ENOENT));
        ck_assert_int_eq(send_bytes(keyframe.data, keyframe.size), 0);
        ck_assert_int_eq(send_bytes(frames[i], sizes[i]), FACET_ERR(ENOENT));
        expect_still_decodes();
        ck_assert_int_eq(send_bytes(frames[i], sizes[i]), FACET_ERR(ENOENT));
        /* Without a unit a short frame is malformed before anything else. */
        ck_assert_int_eq(send_bytes(frames[i], i ? 3 : 4), FACET_ERR(EBADMSG));
    }
    free(keyframe.data);
}
END_TEST

START_TEST(test_delta_with_corrupt_keypoints)
{
    FacetQuantKeypoints kp;
    Buffer keyframe = model_keyframe(8, &kp);
    ck_assert_int_eq(send_bytes(keyframe.data, keyframe.size), 0);
    Buffer delta = delta_packet(8, &kp);
    FacetPacketView view;
    ck_assert_int_eq(facet_packet_parse(delta.data, delta.size, &view), 0);
    size_t payload = (size_t)(view.keypoint_data - delta.data);
    uint32_t state = 12345;
    for (int trial = 0; trial < 500; trial++) {
        Buffer copy = copy_of(&delta);
        for (size_t i = payload; i < copy.size; i++) {
            state = state * 1664525u + 1013904223u;
            copy.data[i] = (uint8_t)(state >> 24);
        }
        /* Keypoints that decode are still not a picture without the
         * renderer; either way no frame may come out. */
        ck_assert_int_lt(send_bytes(copy.data, copy.size), 0);
        FacetPicture picture;
        ck_assert_int_eq(facet_decoder_receive_frame(decoder, &picture), FACET_ERR(EAGAIN));
        free(copy.data);
    }
    free(delta.data);
    free(keyframe.data);
}
END_TEST

START_TEST(test_random_bytes)
{
    uint32_t state = 0xfacefeed;
    uint8_t data[512];
    for (int trial = 0; trial < 3000; trial++) {
        size_t size = 1 + (state >> 8) % sizeof(data);
        for (size_t i = 0; i < size; i++) {
            state = state * 1664525u + 1013904223u;
            data[i] = (uint8_t)(state >> 24);
        }
        /* Half the trials start like a real keyframe so parsing gets deep. */
        if (trial % 2 && size > OFFSET_FRAME_NUMBER) {
            size_t keep = (state >> 4) % OFFSET_FRAME_NUMBER;
            memcpy(data, intra_packet.data, keep < intra_packet.size ? keep : intra_packet.size);
        }
        int ret = send_bytes(data, size);
        ck_assert_int_le(ret, 0);
    }
    expect_still_decodes();
}
END_TEST

START_TEST(test_mutated_keyframes)
{
    /* Single-byte corruption anywhere in a valid keyframe: an error or a
     * frame of the declared size, never anything else. */
    uint32_t state = 99;
    for (size_t i = 0; i < intra_packet.size; i++) {
        Buffer copy = copy_of(&intra_packet);
        state = state * 1664525u + 1013904223u;
        copy.data[i] ^= (uint8_t)(1 + (state >> 24) % 255);
        int ret = send_bytes(copy.data, copy.size);
        ck_assert_int_le(ret, 0);
        free(copy.data);
    }
    expect_still_decodes();
}
END_TEST

/* ---- The latent tier: every class of bad latent packet ---------------- */

#define LATENT_MODEL FACET_SOURCE_DIR "/models/facet-latent.safetensors"

typedef struct LatentStream {
    FacetPacket packets[64];
    int count;
} LatentStream;

/* A latent stream of `frames` frames of a synthetic picture at side x side,
 * at a rate that sends its reference within them. */
static void latent_stream(LatentStream *stream, int side, int frames)
{
    memset(stream, 0, sizeof(*stream));
    FacetEncoderSettings es;
    facet_encoder_default_settings(&es);
    es.width = side;
    es.height = side;
    es.mode = FACET_STREAM_MODE_LATENT;
    es.references = FACET_LATENT_REFERENCES_ON; /* the reference path is under test */
    es.bitrate = 400000;
    es.scale = 4;
    es.keyframe_quality = 20;
    es.threads = 1;
    es.latent_model_path = LATENT_MODEL;
    FacetEncoder *encoder = NULL;
    ck_assert_int_eq(facet_encoder_open(&encoder, &es), 0);
    for (int i = 0; i < frames; i++) {
        FacetPicture picture = test_picture_make(FACET_PIXEL_FORMAT_I420, side, side, i);
        ck_assert_int_eq(facet_encoder_send_frame(encoder, &picture), 0);
        facet_picture_unref(&picture);
        while (stream->count < 64 &&
               facet_encoder_receive_packet(encoder, &stream->packets[stream->count]) == 0)
            stream->count++;
    }
    facet_encoder_close(&encoder);
}

static void free_latent_stream(LatentStream *stream)
{
    for (int i = 0; i < stream->count; i++)
        facet_packet_unref(&stream->packets[i]);
}

static FacetDecoder *latent_decoder(void)
{
    FacetDecoderSettings ds;
    facet_decoder_default_settings(&ds);
    ds.model_path = "";
    ds.latent_model_path = LATENT_MODEL;
    ds.threads = 1;
    FacetDecoder *dec = NULL;
    ck_assert_int_eq(facet_decoder_open(&dec, &ds), 0);
    return dec;
}

static int send_latent(FacetDecoder *dec, const uint8_t *data, size_t size)
{
    FacetPacket packet = { .data = (uint8_t *)data, .size = size };
    int ret = facet_decoder_send_packet(dec, &packet);
    FacetPicture picture;
    if (ret == 0 && facet_decoder_receive_frame(dec, &picture) == 0)
        facet_picture_unref(&picture);
    return ret;
}

static int find_type(const LatentStream *stream, int type, int nth)
{
    for (int i = 0; i < stream->count; i++)
        if (stream->packets[i].data[0] == type && nth-- == 0)
            return i;
    return -1;
}

START_TEST(test_latent_packets)
{
    LatentStream small, large;
    latent_stream(&small, 64, 4);
    latent_stream(&large, 128, 4);
    int key = find_type(&small, FACET_PACKET_TYPE_LATENT_KEYFRAME, 0);
    /* The encoder writes every latent frame short (1.2, type 6). */
    ck_assert_int_lt(find_type(&small, FACET_PACKET_TYPE_LATENT_FRAME, 0), 0);
    int frame = find_type(&small, FACET_PACKET_TYPE_LATENT_FRAME_SHORT, 0);
    int fragment = find_type(&small, FACET_PACKET_TYPE_REFERENCE, 0);
    int large_frame = find_type(&large, FACET_PACKET_TYPE_LATENT_FRAME_SHORT, 0);
    int large_fragment = find_type(&large, FACET_PACKET_TYPE_REFERENCE, 0);
    ck_assert(key == 0 && frame > 0 && fragment > 0 && large_frame > 0 && large_fragment > 0);
    const FacetPacket *k = &small.packets[key], *f = &small.packets[frame];
    FacetDecoder *dec = latent_decoder();

    /* Before any latent keyframe: a frame or a fragment has nothing to
     * belong to. */
    ck_assert_int_eq(send_latent(dec, f->data, f->size), FACET_ERR(ENOENT));
    ck_assert_int_eq(send_latent(dec, small.packets[fragment].data,
                                 small.packets[fragment].size), FACET_ERR(ENOENT));
    /* Every cut of each class: malformed (the payload's own length runs
     * past the end, a short frame's unit is empty) or, cut inside the AV1
     * unit, refused (no keyframe yet). */
    const FacetPacket *classes[] = { k, f, &small.packets[fragment] };
    for (int c = 0; c < 3; c++)
        for (size_t cut = 1; cut < classes[c]->size; cut++) {
            int ret = send_latent(dec, classes[c]->data, cut);
            ck_assert_msg(ret == FACET_ERR(EBADMSG) || ret == FACET_ERR(ENOENT),
                          "class %d cut %zu: %d", c, cut, ret);
        }
    /* A keyframe whose AV1 unit is garbage from its first OBU on. (Damage
     * inside a tile's entropy-coded data decodes to a damaged picture:
     * AV1 carries no checksum.) */
    uint8_t copy[65536];
    ck_assert_uint_lt(k->size, sizeof(copy));
    memcpy(copy, k->data, k->size);
    FacetPacketView view;
    ck_assert_int_eq(facet_packet_parse(copy, k->size, &view), 0);
    memset((uint8_t *)view.base_data, 0xff, view.base_size);
    ck_assert_int_eq(send_latent(dec, copy, k->size), FACET_ERR(EBADMSG));

    /* The real stream decodes. */
    ck_assert_int_eq(send_latent(dec, k->data, k->size), 0);
    /* A low-resolution keyframe of the wrong size: this stream's header,
     * the AV1 keyframe of a stream twice as large. Refused; the chain is
     * broken after it. */
    FacetPacketView small_view, large_view;
    ck_assert_int_eq(facet_packet_parse(k->data, k->size, &small_view), 0);
    ck_assert_int_eq(facet_packet_parse(large.packets[0].data, large.packets[0].size,
                                        &large_view), 0);
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, copy, sizeof(copy));
    ck_assert_int_eq(facet_latent_keyframe_packet_write(&writer, &small_view.sequence, 1, 1,
                                                        large_view.base_data,
                                                        large_view.base_size), 0);
    ck_assert_int_eq(send_latent(dec, copy, writer.pos), FACET_ERR(EBADMSG));
    ck_assert_int_eq(send_latent(dec, f->data, f->size), FACET_ERR(EPIPE));
    ck_assert_int_eq(send_latent(dec, k->data, k->size), 0);
    ck_assert_int_eq(send_latent(dec, f->data, f->size), 0);
    /* A reference of the wrong size (another stream's, whole): refused
     * when complete, the stream goes on. */
    int n = 0;
    for (int i = 0; i < large.count; i++) {
        if (large.packets[i].data[0] != FACET_PACKET_TYPE_REFERENCE)
            continue;
        int ret = send_latent(dec, large.packets[i].data, large.packets[i].size);
        ck_assert(ret == 0 || ret == FACET_ERR(EBADMSG));
        n += ret == FACET_ERR(EBADMSG);
    }
    ck_assert_int_eq(n, 1);
    /* A reference whose payload is garbage: refused when complete. */
    const FacetPacket *g = &small.packets[fragment];
    memcpy(copy, g->data, g->size);
    FacetPacketInfo info = { .struct_size = sizeof(info) };
    ck_assert_int_eq(facet_packet_peek(copy, g->size, &info), 0);
    if (info.fragment_count == 1) {
        copy[3] ^= 0x40; /* another reference id */
        FacetPacketView fragment_view;
        ck_assert_int_eq(facet_packet_parse(copy, g->size, &fragment_view), 0);
        memset((uint8_t *)fragment_view.fragment_data, 0xff, fragment_view.fragment_size);
        ck_assert_int_eq(send_latent(dec, copy, g->size), FACET_ERR(EBADMSG));
    }
    /* Random bytes behind each latent type byte. */
    uint32_t state = 12345;
    for (int trial = 0; trial < 300; trial++) {
        size_t size = 1 + trial % 200;
        for (size_t i = 0; i < size; i++) {
            state = state * 1664525u + 1013904223u;
            copy[i] = (uint8_t)(state >> 24);
        }
        copy[0] = (uint8_t)(3 + trial % 4);
        int ret = send_latent(dec, copy, size);
        ck_assert_int_lt(ret, 1);
    }
    /* Still usable. */
    ck_assert_int_eq(send_latent(dec, k->data, k->size), 0);
    facet_decoder_close(&dec);
    free_latent_stream(&small);
    free_latent_stream(&large);
}
END_TEST

static Suite *malformed_suite(void)
{
    Suite *suite = suite_create("malformed");
    TCase *tc = tcase_create("malformed");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_valid_packet_decodes);
    tcase_add_test(tc, test_truncated);
    tcase_add_test(tc, test_wrong_magic);
    tcase_add_test(tc, test_newer_major_version);
    tcase_add_test(tc, test_newer_minor_version_is_read);
    tcase_add_test(tc, test_bad_header_fields);
    tcase_add_test(tc, test_bad_lengths);
    tcase_add_test(tc, test_extension_records);
    tcase_add_test(tc, test_oversized_packet);
    tcase_add_test(tc, test_delta_without_keyframe);
    tcase_add_test(tc, test_latent_frame_in_keypoint_stream);
    tcase_add_test(tc, test_delta_with_corrupt_keypoints);
    tcase_add_test(tc, test_random_bytes);
    tcase_add_test(tc, test_mutated_keyframes);
    tcase_add_test(tc, test_latent_packets);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    av_log_set_level(AV_LOG_QUIET); /* corrupt payloads make FFmpeg chatty */
    SRunner *runner = srunner_create(malformed_suite());
    srunner_run_all(runner, CK_VERBOSE);
    int failures = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
