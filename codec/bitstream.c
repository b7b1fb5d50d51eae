/* SPDX-License-Identifier: BSD-2-Clause */
/* Packet parsing and writing; the layout is specified in docs/bitstream.md. */
#include "codec/bitstream.h"

#include <errno.h>
#include <string.h>

#include "facet/facet.h"
#include "keypoints/keypoint_coding.h"

int facet_sequence_header_validate(const FacetSequenceHeader *header)
{
    if (header->version_major != FACET_BITSTREAM_VERSION_MAJOR)
        return header->version_major > FACET_BITSTREAM_VERSION_MAJOR ? -ENOTSUP : -EBADMSG;
    if (header->width < 1 || header->width > FACET_MAX_DIMENSION ||
        header->height < 1 || header->height > FACET_MAX_DIMENSION)
        return -EBADMSG;
    if (header->fps_num < 1 || header->fps_num > FACET_MAX_FPS_TERM ||
        header->fps_den < 1 || header->fps_den > FACET_MAX_FPS_TERM)
        return -EBADMSG;
    if (header->mode == FACET_MODE_ID_LATENT) {
        /* The latent network sizes itself from the picture; a latent
         * stream names its model, scale and base codec, and no keypoints. */
        if (header->model_id == 0 || header->model_size != 0 || header->keypoint_count != 0)
            return -EBADMSG;
        if (header->scale != 2 && header->scale != 4)
            return -EBADMSG;
        if (header->base_codec != FACET_BASE_ID_AV1 && header->base_codec != FACET_BASE_ID_VP8)
            return -EBADMSG;
        if (header->width < FACET_LATENT_MIN_SIDE ||
            header->width > FACET_LATENT_MAX_SIDE_BITSTREAM ||
            header->height < FACET_LATENT_MIN_SIDE ||
            header->height > FACET_LATENT_MAX_SIDE_BITSTREAM)
            return -EBADMSG;
        return 0;
    }
    /* Other modes follow from model_id (the reader checks a coded mode
     * against it); they have no scale and no base codec. */
    if (header->scale != 0 || header->base_codec != 0)
        return -EBADMSG;
    if (header->model_id == 0) {
        /* Intra-only: no network, so no network size and no keypoints. */
        if (header->model_size != 0 || header->keypoint_count != 0)
            return -EBADMSG;
    } else {
        if (header->model_size < FACET_MIN_MODEL_SIZE ||
            header->model_size > FACET_MAX_MODEL_SIZE || header->model_size % 32)
            return -EBADMSG;
        if (header->keypoint_count < 1 || header->keypoint_count > FACET_MAX_KEYPOINTS)
            return -EBADMSG;
    }
    return 0;
}

static int read_sequence_header(FacetByteReader *reader, FacetSequenceHeader *header)
{
    const uint8_t *magic = facet_read_bytes(reader, 4);
    if (!magic || memcmp(magic, FACET_BITSTREAM_MAGIC, 4))
        return -EBADMSG;
    header->version_major = facet_read_u8(reader);
    header->version_minor = facet_read_u8(reader);
    if (reader->error)
        return -EBADMSG;
    /* A newer major version may lay out everything after this point
     * differently, so stop before reading any further. */
    if (header->version_major > FACET_BITSTREAM_VERSION_MAJOR)
        return -ENOTSUP;

    uint16_t header_size = facet_read_u16(reader);
    if (reader->error || header_size < FACET_SEQUENCE_HEADER_V1_0_SIZE ||
        header_size > FACET_SEQUENCE_HEADER_MAX_SIZE)
        return -EBADMSG;
    const uint8_t *fields = facet_read_bytes(reader, header_size);
    if (!fields)
        return -EBADMSG;

    /* Only the v1.0 fields are read; bytes a newer minor version appended
     * are skipped with the rest of header_size. */
    FacetByteReader field_reader;
    facet_byte_reader_init(&field_reader, fields, header_size);
    header->model_id = facet_read_u32(&field_reader);
    header->width = facet_read_u16(&field_reader);
    header->height = facet_read_u16(&field_reader);
    header->model_size = facet_read_u16(&field_reader);
    header->keypoint_count = facet_read_u8(&field_reader);
    header->fps_num = facet_read_u32(&field_reader);
    header->fps_den = facet_read_u32(&field_reader);
    if (header_size >= FACET_SEQUENCE_HEADER_V1_1_SIZE) {
        /* 1.1: the mode and the latent tier's fields. */
        header->mode = facet_read_u8(&field_reader);
        header->scale = facet_read_u8(&field_reader);
        header->base_codec = facet_read_u8(&field_reader);
        if (header->mode != FACET_MODE_ID_LATENT &&
            header->mode != (header->model_id ? FACET_MODE_ID_KEYPOINTS
                                              : FACET_MODE_ID_INTRA_ONLY))
            return -EBADMSG;
    } else {
        header->mode = header->model_id ? FACET_MODE_ID_KEYPOINTS : FACET_MODE_ID_INTRA_ONLY;
    }
    if (field_reader.error)
        return -EBADMSG;
    return facet_sequence_header_validate(header);
}

/* Reads a varint length and the bytes it announces, within limits. */
static const uint8_t *read_sized_block(FacetByteReader *reader, size_t min_size,
                                       size_t max_size, size_t *size)
{
    uint32_t length = facet_read_varint(reader);
    if (reader->error || length < min_size || length > max_size) {
        reader->error = 1;
        return NULL;
    }
    *size = length;
    return facet_read_bytes(reader, length);
}

static int read_extensions(FacetByteReader *reader, FacetPacketView *view)
{
    view->extension_count = 0;
    while (facet_byte_reader_remaining(reader) > 0) {
        if (view->extension_count == FACET_MAX_EXTENSION_RECORDS)
            return -EBADMSG;
        FacetExtensionRecord *record = &view->extensions[view->extension_count];
        record->type = facet_read_varint(reader);
        record->data = read_sized_block(reader, 0, FACET_MAX_PACKET_SIZE, &record->size);
        if (reader->error)
            return -EBADMSG;
        view->extension_count++;
    }
    return 0;
}

/* The payloads of a keyframe, after its headers. */
static int parse_keyframe_payloads(FacetByteReader *reader, FacetPacketView *view)
{
    view->intra_codec = facet_read_u8(reader);
    if (reader->error)
        return -EBADMSG;
    if (view->intra_codec != FACET_INTRA_ID_AV1 && view->intra_codec != FACET_INTRA_ID_JPEG)
        return -EBADMSG;
    view->intra_data = read_sized_block(reader, 1, FACET_MAX_PACKET_SIZE, &view->intra_size);
    if (!view->intra_data)
        return -EBADMSG;
    if (view->sequence.keypoint_count > 0) {
        view->keypoint_data = read_sized_block(reader, 1, FACET_MAX_KEYPOINT_PAYLOAD,
                                               &view->keypoint_size);
        if (!view->keypoint_data)
            return -EBADMSG;
    }
    return read_extensions(reader, view);
}

/* A short latent frame's unit: every byte after its header, no length and
 * no extension records (the transport delimits the packet). */
static int parse_short_frame_payload(FacetByteReader *reader, FacetPacketView *view)
{
    size_t size = facet_byte_reader_remaining(reader);
    if (size < 1 || size > FACET_MAX_BASE_PAYLOAD)
        return -EBADMSG;
    view->base_data = facet_read_bytes(reader, size);
    view->base_size = size;
    return view->base_data ? 0 : -EBADMSG;
}

static int parse_latent_payloads(FacetByteReader *reader, FacetPacketView *view)
{
    view->base_data = read_sized_block(reader, 1, FACET_MAX_BASE_PAYLOAD, &view->base_size);
    if (!view->base_data)
        return -EBADMSG;
    return read_extensions(reader, view);
}

size_t facet_reference_fragment_size(uint32_t total, int count, int index)
{
    if (total < 1 || total > FACET_MAX_REFERENCE_SIZE || count < 1 ||
        count > FACET_MAX_REFERENCE_FRAGMENTS || index < 0 || index >= count)
        return 0;
    size_t chunk = (total + (size_t)count - 1) / (size_t)count;
    if (chunk > FACET_MAX_REFERENCE_FRAGMENT)
        return 0;
    size_t start = chunk * (size_t)index;
    if (start >= total)
        return 0; /* more fragments than bytes: an empty piece */
    size_t end = start + chunk < total ? start + chunk : total;
    return end - start;
}

/* A reference fragment's header after its frame header (the reference id
 * is in keyframe_id): index, count, intra codec, total size, the piece. */
static int parse_reference_fields(FacetByteReader *reader, FacetPacketView *view)
{
    view->fragment_index = facet_read_u8(reader);
    view->fragment_count = facet_read_u8(reader);
    view->intra_codec = facet_read_u8(reader);
    view->reference_size = facet_read_varint(reader);
    if (reader->error)
        return -EBADMSG;
    if (view->intra_codec != FACET_INTRA_ID_AV1 && view->intra_codec != FACET_INTRA_ID_JPEG)
        return -EBADMSG;
    size_t expected = facet_reference_fragment_size(view->reference_size, view->fragment_count,
                                                    view->fragment_index);
    if (expected == 0)
        return -EBADMSG;
    view->fragment_data = read_sized_block(reader, expected, expected, &view->fragment_size);
    return view->fragment_data ? 0 : -EBADMSG;
}

static int parse_delta_payloads(FacetByteReader *reader, FacetPacketView *view)
{
    view->keypoint_data = read_sized_block(reader, 1, FACET_MAX_KEYPOINT_PAYLOAD,
                                           &view->keypoint_size);
    if (!view->keypoint_data)
        return -EBADMSG;
    return read_extensions(reader, view);
}

/* Reads the type, a keyframe's sequence header and the frame header, which
 * both packet types put first; leaves the reader at the payloads. */
static int parse_headers(FacetByteReader *reader, const uint8_t *data, size_t size,
                         FacetPacketView *view)
{
    memset(view, 0, sizeof(*view));
    if (!data || size < 1 || size > FACET_MAX_PACKET_SIZE)
        return -EBADMSG;
    facet_byte_reader_init(reader, data, size);
    uint8_t type = facet_read_u8(reader);
    if (type < FACET_PACKET_TYPE_KEYFRAME || type > FACET_PACKET_TYPE_LATENT_FRAME_SHORT)
        return -EBADMSG;
    view->type = (FacetPacketType)type;
    if (type == FACET_PACKET_TYPE_LATENT_FRAME_SHORT) {
        /* 1.2: the numbers modulo 256, one byte each. */
        view->frame_number = facet_read_u8(reader);
        view->keyframe_id = facet_read_u8(reader);
        view->short_numbers = 1;
        return reader->error ? -EBADMSG : 0;
    }
    if (type == FACET_PACKET_TYPE_KEYFRAME || type == FACET_PACKET_TYPE_LATENT_KEYFRAME) {
        int ret = read_sequence_header(reader, &view->sequence);
        if (ret < 0)
            return ret;
        /* A latent keyframe starts a latent stream, a keyframe any other. */
        if ((view->sequence.mode == FACET_MODE_ID_LATENT) !=
            (type == FACET_PACKET_TYPE_LATENT_KEYFRAME))
            return -EBADMSG;
    }
    view->frame_number = facet_read_varint(reader);
    view->keyframe_id = facet_read_u16(reader);
    if (reader->error)
        return -EBADMSG;
    /* A reference's fragment fields are part of its header (peek reports
     * them); its piece of picture is read with them, bounds checked. */
    if (type == FACET_PACKET_TYPE_REFERENCE)
        return parse_reference_fields(reader, view);
    return 0;
}

int facet_packet_parse_headers(const uint8_t *data, size_t size, FacetPacketView *view)
{
    FacetByteReader reader;
    return parse_headers(&reader, data, size, view);
}

int facet_packet_parse(const uint8_t *data, size_t size, FacetPacketView *view)
{
    FacetByteReader reader;
    int ret = parse_headers(&reader, data, size, view);
    if (ret < 0)
        return ret;
    switch (view->type) {
    case FACET_PACKET_TYPE_KEYFRAME:
        return parse_keyframe_payloads(&reader, view);
    case FACET_PACKET_TYPE_DELTA:
        return parse_delta_payloads(&reader, view);
    case FACET_PACKET_TYPE_LATENT_KEYFRAME:
    case FACET_PACKET_TYPE_LATENT_FRAME:
        return parse_latent_payloads(&reader, view);
    case FACET_PACKET_TYPE_LATENT_FRAME_SHORT:
        return parse_short_frame_payload(&reader, view);
    case FACET_PACKET_TYPE_REFERENCE:
    default:
        return read_extensions(&reader, view);
    }
}

static size_t extensions_size(const FacetExtensionRecord *extensions, int count)
{
    size_t size = 0;
    for (int i = 0; i < count; i++)
        size += FACET_VARINT_MAX_BYTES * 2 + extensions[i].size;
    return size;
}

size_t facet_keyframe_packet_size_bound(size_t intra_size, size_t keypoint_size,
                                        const FacetExtensionRecord *extensions,
                                        int extension_count)
{
    /* type, magic, versions, header_size, v1.0 fields, frame number,
     * keyframe id, intra codec, two lengths. */
    size_t fixed = 1 + 4 + 2 + 2 + FACET_SEQUENCE_HEADER_V1_0_SIZE + FACET_VARINT_MAX_BYTES + 2 +
                   1 + 2 * FACET_VARINT_MAX_BYTES;
    return fixed + intra_size + keypoint_size + extensions_size(extensions, extension_count);
}

size_t facet_delta_packet_size_bound(size_t keypoint_size,
                                     const FacetExtensionRecord *extensions,
                                     int extension_count)
{
    size_t fixed = 1 + FACET_VARINT_MAX_BYTES + 2 + FACET_VARINT_MAX_BYTES;
    return fixed + keypoint_size + extensions_size(extensions, extension_count);
}

static int write_extensions(FacetByteWriter *writer, const FacetExtensionRecord *extensions,
                            int extension_count)
{
    if (extension_count < 0 || extension_count > FACET_MAX_EXTENSION_RECORDS ||
        (extension_count > 0 && !extensions))
        return -EINVAL;
    for (int i = 0; i < extension_count; i++) {
        if (extensions[i].size > FACET_MAX_PACKET_SIZE || (extensions[i].size && !extensions[i].data))
            return -EINVAL;
        facet_write_varint(writer, extensions[i].type);
        facet_write_varint(writer, (uint32_t)extensions[i].size);
        facet_write_bytes(writer, extensions[i].data, extensions[i].size);
    }
    return 0;
}

/* Keypoint and intra-only streams keep the v1.0 layout (19 bytes) so that
 * 1.0 decoders read them; latent streams need the 1.1 fields. */
static void write_sequence_header(FacetByteWriter *writer, const FacetSequenceHeader *header)
{
    int latent = header->mode == FACET_MODE_ID_LATENT;
    facet_write_bytes(writer, FACET_BITSTREAM_MAGIC, 4);
    facet_write_u8(writer, header->version_major);
    facet_write_u8(writer, header->version_minor);
    facet_write_u16(writer, latent ? FACET_SEQUENCE_HEADER_V1_1_SIZE
                                   : FACET_SEQUENCE_HEADER_V1_0_SIZE);
    facet_write_u32(writer, header->model_id);
    facet_write_u16(writer, header->width);
    facet_write_u16(writer, header->height);
    facet_write_u16(writer, header->model_size);
    facet_write_u8(writer, header->keypoint_count);
    facet_write_u32(writer, header->fps_num);
    facet_write_u32(writer, header->fps_den);
    if (latent) {
        facet_write_u8(writer, header->mode);
        facet_write_u8(writer, header->scale);
        facet_write_u8(writer, header->base_codec);
    }
}

static int finish_packet(FacetByteWriter *writer)
{
    if (writer->error)
        return -ENOSPC;
    if (writer->pos > FACET_MAX_PACKET_SIZE)
        return -EINVAL;
    return 0;
}

int facet_keyframe_packet_write(FacetByteWriter *writer, const FacetSequenceHeader *header,
                                uint32_t frame_number, uint16_t keyframe_id,
                                uint8_t intra_codec, const uint8_t *intra_data,
                                size_t intra_size, const uint8_t *keypoint_data,
                                size_t keypoint_size, const FacetExtensionRecord *extensions,
                                int extension_count)
{
    if (facet_sequence_header_validate(header) < 0)
        return -EINVAL;
    if ((intra_codec != FACET_INTRA_ID_AV1 && intra_codec != FACET_INTRA_ID_JPEG) ||
        !intra_data || intra_size < 1 || intra_size > FACET_MAX_PACKET_SIZE)
        return -EINVAL;
    int has_keypoints = header->keypoint_count > 0;
    if (has_keypoints != (keypoint_data != NULL) ||
        (has_keypoints && (keypoint_size < 1 || keypoint_size > FACET_MAX_KEYPOINT_PAYLOAD)))
        return -EINVAL;

    if (header->mode == FACET_MODE_ID_LATENT)
        return -EINVAL;

    facet_write_u8(writer, FACET_PACKET_TYPE_KEYFRAME);
    write_sequence_header(writer, header);
    facet_write_varint(writer, frame_number);
    facet_write_u16(writer, keyframe_id);
    facet_write_u8(writer, intra_codec);
    facet_write_varint(writer, (uint32_t)intra_size);
    facet_write_bytes(writer, intra_data, intra_size);
    if (has_keypoints) {
        facet_write_varint(writer, (uint32_t)keypoint_size);
        facet_write_bytes(writer, keypoint_data, keypoint_size);
    }
    int ret = write_extensions(writer, extensions, extension_count);
    return ret < 0 ? ret : finish_packet(writer);
}

int facet_delta_packet_write(FacetByteWriter *writer, uint32_t frame_number,
                             uint16_t keyframe_id, const uint8_t *keypoint_data,
                             size_t keypoint_size, const FacetExtensionRecord *extensions,
                             int extension_count)
{
    if (!keypoint_data || keypoint_size < 1 || keypoint_size > FACET_MAX_KEYPOINT_PAYLOAD)
        return -EINVAL;
    facet_write_u8(writer, FACET_PACKET_TYPE_DELTA);
    facet_write_varint(writer, frame_number);
    facet_write_u16(writer, keyframe_id);
    facet_write_varint(writer, (uint32_t)keypoint_size);
    facet_write_bytes(writer, keypoint_data, keypoint_size);
    int ret = write_extensions(writer, extensions, extension_count);
    return ret < 0 ? ret : finish_packet(writer);
}

size_t facet_latent_packet_size_bound(size_t base_size)
{
    /* type, sequence header (1.1), frame number, keyframe id, length. */
    return 1 + 4 + 2 + 2 + FACET_SEQUENCE_HEADER_V1_1_SIZE + FACET_VARINT_MAX_BYTES + 2 +
           FACET_VARINT_MAX_BYTES + base_size;
}

size_t facet_reference_packet_size_bound(size_t fragment_size)
{
    return 1 + FACET_VARINT_MAX_BYTES + 2 + 3 + FACET_VARINT_MAX_BYTES + fragment_size;
}

static int write_latent_packet(FacetByteWriter *writer, const FacetSequenceHeader *header,
                               uint32_t frame_number, uint16_t keyframe_id,
                               const uint8_t *base_data, size_t base_size)
{
    if (!base_data || base_size < 1 || base_size > FACET_MAX_BASE_PAYLOAD)
        return -EINVAL;
    if (header) {
        if (header->mode != FACET_MODE_ID_LATENT || header->version_minor < 1 ||
            facet_sequence_header_validate(header) < 0)
            return -EINVAL;
        facet_write_u8(writer, FACET_PACKET_TYPE_LATENT_KEYFRAME);
        write_sequence_header(writer, header);
    } else {
        facet_write_u8(writer, FACET_PACKET_TYPE_LATENT_FRAME);
    }
    facet_write_varint(writer, frame_number);
    facet_write_u16(writer, keyframe_id);
    facet_write_varint(writer, (uint32_t)base_size);
    facet_write_bytes(writer, base_data, base_size);
    return finish_packet(writer);
}

int facet_latent_keyframe_packet_write(FacetByteWriter *writer,
                                       const FacetSequenceHeader *header,
                                       uint32_t frame_number, uint16_t keyframe_id,
                                       const uint8_t *base_data, size_t base_size)
{
    if (!header)
        return -EINVAL;
    return write_latent_packet(writer, header, frame_number, keyframe_id, base_data, base_size);
}

int facet_latent_frame_packet_write(FacetByteWriter *writer, uint32_t frame_number,
                                    uint16_t keyframe_id, const uint8_t *base_data,
                                    size_t base_size)
{
    return write_latent_packet(writer, NULL, frame_number, keyframe_id, base_data, base_size);
}

int facet_latent_short_frame_packet_write(FacetByteWriter *writer, uint32_t frame_number,
                                          uint16_t keyframe_id, const uint8_t *base_data,
                                          size_t base_size)
{
    if (!base_data || base_size < 1 || base_size > FACET_MAX_BASE_PAYLOAD)
        return -EINVAL;
    facet_write_u8(writer, FACET_PACKET_TYPE_LATENT_FRAME_SHORT);
    facet_write_u8(writer, (uint8_t)frame_number);
    facet_write_u8(writer, (uint8_t)keyframe_id);
    facet_write_bytes(writer, base_data, base_size);
    return finish_packet(writer);
}

int facet_reference_packet_write(FacetByteWriter *writer, uint32_t frame_number,
                                 uint16_t reference_id, uint8_t intra_codec, int index,
                                 int count, uint32_t total, const uint8_t *fragment)
{
    size_t size = facet_reference_fragment_size(total, count, index);
    if (size == 0 || !fragment ||
        (intra_codec != FACET_INTRA_ID_AV1 && intra_codec != FACET_INTRA_ID_JPEG))
        return -EINVAL;
    facet_write_u8(writer, FACET_PACKET_TYPE_REFERENCE);
    facet_write_varint(writer, frame_number);
    facet_write_u16(writer, reference_id);
    facet_write_u8(writer, (uint8_t)index);
    facet_write_u8(writer, (uint8_t)count);
    facet_write_u8(writer, intra_codec);
    facet_write_varint(writer, total);
    facet_write_varint(writer, (uint32_t)size);
    facet_write_bytes(writer, fragment, size);
    return finish_packet(writer);
}
