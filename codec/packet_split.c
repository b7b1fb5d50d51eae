/* SPDX-License-Identifier: BSD-2-Clause */
/* The latent tier over a transport that carries its base stream as
 * standard video (VP8 through a WebRTC SFU, docs/multiparty.md): the sender
 * takes the base codec's unit out of each latent keyframe or frame packet
 * and sends the sequence header apart; the receiver wraps each unit it gets
 * back into the packet the decoder takes. Every byte is read by the
 * decoder's own parser (codec/bitstream.c), so a unit or header it would
 * refuse is refused here too. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bitstream.h"
#include "codec/bytestream.h"
#include "facet/facet.h"

/* Magic (4), version (2) and header_size (2) precede the fields. */
#define SEQUENCE_HEADER_PREAMBLE 8

/* Bytes of the sequence header at data[1..]: the preamble and header_size
 * fields. Only called on a packet the parser accepted. */
static size_t sequence_header_bytes(const uint8_t *data)
{
    size_t fields = ((size_t)data[1 + 6] << 8) | data[1 + 7];
    return SEQUENCE_HEADER_PREAMBLE + fields;
}

int facet_packet_stream_header(const uint8_t *data, size_t size, uint8_t *header,
                               size_t *header_size)
{
    FacetPacketView view;

    if (!data || size == 0 || !header || !header_size)
        return FACET_ERR(EINVAL);
    *header_size = 0;
    int ret = facet_packet_parse_headers(data, size, &view);
    if (ret < 0)
        return ret;
    if (view.type != FACET_PACKET_TYPE_LATENT_KEYFRAME)
        return FACET_ERR(EINVAL);
    size_t bytes = sequence_header_bytes(data); /* <= FACET_STREAM_HEADER_MAX_SIZE */
    memcpy(header, data + 1, bytes);
    *header_size = bytes;
    return 0;
}

int facet_packet_base_unit(const uint8_t *data, size_t size, const uint8_t **unit,
                           size_t *unit_size)
{
    FacetPacketView view;

    if (!data || size == 0 || !unit || !unit_size)
        return FACET_ERR(EINVAL);
    *unit = NULL;
    *unit_size = 0;
    int ret = facet_packet_parse(data, size, &view);
    if (ret < 0)
        return ret;
    if (view.type != FACET_PACKET_TYPE_LATENT_KEYFRAME &&
        view.type != FACET_PACKET_TYPE_LATENT_FRAME &&
        view.type != FACET_PACKET_TYPE_LATENT_FRAME_SHORT)
        return FACET_ERR(EINVAL);
    *unit = view.base_data;
    *unit_size = view.base_size;
    return 0;
}

int facet_packet_wrap_base_unit(const uint8_t *stream_header, size_t header_size, int keyframe,
                                uint32_t frame_number, uint32_t keyframe_id,
                                const uint8_t *unit, size_t unit_size, FacetPacket *packet)
{
    if (!packet)
        return FACET_ERR(EINVAL);
    memset(packet, 0, sizeof(*packet));
    if (!unit || unit_size < 1 || unit_size > FACET_MAX_BASE_PAYLOAD || keyframe_id > 0xffffu)
        return FACET_ERR(EINVAL);
    if (keyframe && (!stream_header || header_size < SEQUENCE_HEADER_PREAMBLE ||
                     header_size > FACET_STREAM_HEADER_MAX_SIZE))
        return FACET_ERR(EINVAL);

    size_t capacity = 1 + (keyframe ? header_size : 0) + 2 * FACET_VARINT_MAX_BYTES + 2 +
                      unit_size;
    uint8_t *data = malloc(capacity);
    if (!data)
        return FACET_ERR(ENOMEM);
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, data, capacity);
    int written = 0;
    if (keyframe) {
        /* The header goes in as it came, bytes of a later minor version
         * included; the parse below is what validates it. */
        facet_write_u8(&writer, FACET_PACKET_TYPE_LATENT_KEYFRAME);
        facet_write_bytes(&writer, stream_header, header_size);
        facet_write_varint(&writer, frame_number);
        facet_write_u16(&writer, (uint16_t)keyframe_id);
        facet_write_varint(&writer, (uint32_t)unit_size);
        facet_write_bytes(&writer, unit, unit_size);
    } else {
        /* What the encoder sends (1.2): a short latent frame. */
        written = facet_latent_short_frame_packet_write(&writer, frame_number,
                                                        (uint16_t)keyframe_id, unit, unit_size);
    }
    if (written < 0 || writer.error) {
        free(data);
        return FACET_ERR(EINVAL);
    }

    FacetPacketView view;
    int ret = facet_packet_parse(data, writer.pos, &view);
    if (ret == 0 && keyframe &&
        (view.sequence.mode != FACET_MODE_ID_LATENT ||
         sequence_header_bytes(data) != header_size))
        ret = FACET_ERR(EBADMSG); /* not a latent stream's header, or not one header */
    if (ret < 0) {
        free(data);
        return ret == FACET_ERR(ENOTSUP) ? ret : FACET_ERR(EBADMSG);
    }
    packet->data = data;
    packet->size = writer.pos;
    packet->frame_number = frame_number;
    packet->flags = keyframe ? FACET_PACKET_FLAG_KEYFRAME : 0;
    return 0;
}
