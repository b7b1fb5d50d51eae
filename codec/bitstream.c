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
    if (type != FACET_PACKET_TYPE_KEYFRAME && type != FACET_PACKET_TYPE_DELTA)
        return -EBADMSG;
    view->type = (FacetPacketType)type;
    if (type == FACET_PACKET_TYPE_KEYFRAME) {
        int ret = read_sequence_header(reader, &view->sequence);
        if (ret < 0)
            return ret;
    }
    view->frame_number = facet_read_varint(reader);
    view->keyframe_id = facet_read_u16(reader);
    return reader->error ? -EBADMSG : 0;
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
    if (view->type == FACET_PACKET_TYPE_KEYFRAME)
        return parse_keyframe_payloads(&reader, view);
    return parse_delta_payloads(&reader, view);
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

    facet_write_u8(writer, FACET_PACKET_TYPE_KEYFRAME);
    facet_write_bytes(writer, FACET_BITSTREAM_MAGIC, 4);
    facet_write_u8(writer, header->version_major);
    facet_write_u8(writer, header->version_minor);
    facet_write_u16(writer, FACET_SEQUENCE_HEADER_V1_0_SIZE);
    facet_write_u32(writer, header->model_id);
    facet_write_u16(writer, header->width);
    facet_write_u16(writer, header->height);
    facet_write_u16(writer, header->model_size);
    facet_write_u8(writer, header->keypoint_count);
    facet_write_u32(writer, header->fps_num);
    facet_write_u32(writer, header->fps_den);
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
