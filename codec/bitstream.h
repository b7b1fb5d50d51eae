/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet layout of the Facet bitstream, as written down in docs/bitstream.md.
 *
 * Parsing is separate from decoding: facet_packet_parse() checks every
 * length and field of a packet and returns views into it, so the decoder
 * only ever sees validated sizes and never indexes the raw bytes itself.
 */
#ifndef FACET_CODEC_BITSTREAM_H
#define FACET_CODEC_BITSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "codec/bytestream.h"
#include "facet/facet.h" /* FacetPacketType */

#define FACET_BITSTREAM_MAGIC "FCET"
#define FACET_BITSTREAM_VERSION_MAJOR 1
/* 1.1 adds the latent tier: mode, scale and base codec in the sequence
 * header, and the packet types latent keyframe, latent frame, reference.
 * 1.2 adds the short latent frame (type 6), which latent streams use for
 * every latent frame; their sequence header says 1.2. */
#define FACET_BITSTREAM_VERSION_MINOR 2
/* Keypoint and intra-only streams use nothing of 1.1 or 1.2 but keep the
 * version they were written with since 1.1, byte for byte (v1.0 layout). */
#define FACET_KEYPOINT_STREAM_VERSION_MINOR 1
/* Bytes before a short latent frame's unit: type, frame_low, keyframe_low. */
#define FACET_SHORT_FRAME_HEADER_SIZE 3

/* Bytes of the v1.0 sequence header fields that follow header_size. Newer
 * minor versions append fields; older decoders skip them via header_size. */
#define FACET_SEQUENCE_HEADER_V1_0_SIZE 19
/* 1.1: u8 mode, u8 scale, u8 base_codec after the v1.0 fields. */
#define FACET_SEQUENCE_HEADER_V1_1_SIZE 22
#define FACET_SEQUENCE_HEADER_MAX_SIZE 1024

#define FACET_MIN_MODEL_SIZE 32
#define FACET_MAX_MODEL_SIZE 1024
#define FACET_MAX_FPS_TERM 1000000u
/* A K=64 keyframe's keypoints need well under 1 KiB; anything larger is not
 * a keypoint payload this version can produce. */
#define FACET_MAX_KEYPOINT_PAYLOAD 4096
/* Records after the coded data; bounded so a packet of tiny records cannot
 * make the parser loop long. */
#define FACET_MAX_EXTENSION_RECORDS 32

/* Intra codec ids as coded in keyframe packets (same values as the public
 * FacetIntraCodec, without AUTO). */
#define FACET_INTRA_ID_AV1 1
#define FACET_INTRA_ID_JPEG 2

/* Stream modes as coded in a v1.1 sequence header (the public
 * FacetStreamMode values). */
#define FACET_MODE_ID_INTRA_ONLY 0
#define FACET_MODE_ID_KEYPOINTS 1
#define FACET_MODE_ID_LATENT 2

/* Base codecs of the latent tier's low-resolution stream. */
#define FACET_BASE_ID_AV1 1
#define FACET_BASE_ID_VP8 2

/* Latent streams: picture sides 32..4096 (the network's own limit), the
 * low-resolution payload of one frame, a reference's pieces. */
#define FACET_LATENT_MIN_SIDE 32
#define FACET_LATENT_MAX_SIDE_BITSTREAM 4096
#define FACET_MAX_BASE_PAYLOAD (4u * 1024u * 1024u)
#define FACET_MAX_REFERENCE_FRAGMENTS 255
#define FACET_MAX_REFERENCE_FRAGMENT 16384
#define FACET_MAX_REFERENCE_SIZE (FACET_MAX_REFERENCE_FRAGMENTS * FACET_MAX_REFERENCE_FRAGMENT)

typedef struct FacetSequenceHeader {
    uint8_t version_major;
    uint8_t version_minor;
    uint32_t model_id;      /* 0: intra-only stream */
    uint16_t width;
    uint16_t height;
    uint16_t model_size;    /* S; 0 when model_id == 0 */
    uint8_t keypoint_count; /* K; 0 when model_id == 0 */
    uint32_t fps_num;
    uint32_t fps_den;
    /* v1.1 (header_size >= 22); derived from model_id in a shorter header. */
    uint8_t mode;           /* FACET_MODE_ID_* */
    uint8_t scale;          /* r: 2 or 4 in latent mode, else 0 */
    uint8_t base_codec;     /* FACET_BASE_ID_* in latent mode, else 0 */
} FacetSequenceHeader;

/* An extension record: skippable data that older decoders ignore. */
typedef struct FacetExtensionRecord {
    uint32_t type;
    const uint8_t *data;
    size_t size;
} FacetExtensionRecord;

/* A parsed packet. Pointers point into the parsed buffer. */
typedef struct FacetPacketView {
    FacetPacketType type;
    FacetSequenceHeader sequence; /* keyframes only */
    /* As coded: in a short latent frame (type 6) only the low 8 bits of
     * each (short_numbers = 1); the decoder expands them against its state. */
    uint32_t frame_number;
    uint16_t keyframe_id;
    int short_numbers;
    uint8_t intra_codec;          /* keyframes only */
    const uint8_t *intra_data;    /* keyframes only */
    size_t intra_size;
    const uint8_t *keypoint_data; /* NULL when the stream has no keypoints */
    size_t keypoint_size;
    /* Latent keyframes and frames: one temporal unit of the base codec. */
    const uint8_t *base_data;
    size_t base_size;
    /* References (keyframe_id holds the reference id): this piece of an
     * intra picture of total_size bytes cut into fragment_count pieces of
     * ceil(total_size / fragment_count) bytes (the last one shorter). */
    uint8_t fragment_index;
    uint8_t fragment_count;
    uint32_t reference_size;
    const uint8_t *fragment_data;
    size_t fragment_size;
    int extension_count;
    FacetExtensionRecord extensions[FACET_MAX_EXTENSION_RECORDS];
} FacetPacketView;

/* Checks a sequence header's fields against the limits of docs/bitstream.md.
 * Returns 0, -EBADMSG, or -ENOTSUP for a newer major version. */
int facet_sequence_header_validate(const FacetSequenceHeader *header);

/* Parses and validates the headers of one packet: its type, a keyframe's
 * sequence header, the frame number and the keyframe id; the fields after
 * them (intra picture, keypoints, extension records) stay unread and zero in
 * *view. The checks are facet_packet_parse()'s own, so both return the same
 * code for a bad header. facet_packet_peek() is built on it. */
int facet_packet_parse_headers(const uint8_t *data, size_t size, FacetPacketView *view);

/* Parses and validates one packet. Returns 0, -EBADMSG for any malformed
 * field or length, -ENOTSUP for a sequence header of a newer major version.
 * A delta packet is parsed without its keyframe: the caller checks that its
 * keyframe_id matches and that the stream has keypoints. */
int facet_packet_parse(const uint8_t *data, size_t size, FacetPacketView *view);

/* Upper bound of a keyframe packet's size for the given payload sizes. */
size_t facet_keyframe_packet_size_bound(size_t intra_size, size_t keypoint_size,
                                        const FacetExtensionRecord *extensions,
                                        int extension_count);
size_t facet_delta_packet_size_bound(size_t keypoint_size,
                                     const FacetExtensionRecord *extensions,
                                     int extension_count);

/* Writes a keyframe packet. keypoint_data may be NULL (intra-only stream,
 * keypoint_count 0). Returns 0, -EINVAL for fields a valid stream cannot
 * hold, -ENOSPC when the writer is too small. */
int facet_keyframe_packet_write(FacetByteWriter *writer, const FacetSequenceHeader *header,
                                uint32_t frame_number, uint16_t keyframe_id,
                                uint8_t intra_codec, const uint8_t *intra_data,
                                size_t intra_size, const uint8_t *keypoint_data,
                                size_t keypoint_size, const FacetExtensionRecord *extensions,
                                int extension_count);

/* Writes a delta packet (keypoints coded against keyframe `keyframe_id`). */
int facet_delta_packet_write(FacetByteWriter *writer, uint32_t frame_number,
                             uint16_t keyframe_id, const uint8_t *keypoint_data,
                             size_t keypoint_size, const FacetExtensionRecord *extensions,
                             int extension_count);

/* The latent tier's packets (docs/bitstream.md, versions 1.1 and 1.2). */
size_t facet_latent_packet_size_bound(size_t base_size);
size_t facet_reference_packet_size_bound(size_t fragment_size);

/* A low-resolution keyframe (header->mode must be latent; carries the
 * sequence header) or frame. Returns 0, -EINVAL, -ENOSPC. */
int facet_latent_keyframe_packet_write(FacetByteWriter *writer,
                                       const FacetSequenceHeader *header,
                                       uint32_t frame_number, uint16_t keyframe_id,
                                       const uint8_t *base_data, size_t base_size);
int facet_latent_frame_packet_write(FacetByteWriter *writer, uint32_t frame_number,
                                    uint16_t keyframe_id, const uint8_t *base_data,
                                    size_t base_size);
/* A short latent frame (1.2, type 6): only frame_number and keyframe_id
 * modulo 256 are written, then the unit to the end of the packet. What the
 * encoder writes for every latent frame. Returns 0, -EINVAL, -ENOSPC. */
int facet_latent_short_frame_packet_write(FacetByteWriter *writer, uint32_t frame_number,
                                          uint16_t keyframe_id, const uint8_t *base_data,
                                          size_t base_size);

/* The size of fragment `index` of a reference of `total` bytes cut into
 * `count` pieces; 0 when the arguments are out of range. */
size_t facet_reference_fragment_size(uint32_t total, int count, int index);

/* Fragment `index` of reference `reference_id`: `fragment` must be the
 * facet_reference_fragment_size() bytes of the whole at that place. */
int facet_reference_packet_write(FacetByteWriter *writer, uint32_t frame_number,
                                 uint16_t reference_id, uint8_t intra_codec, int index,
                                 int count, uint32_t total, const uint8_t *fragment);

#endif /* FACET_CODEC_BITSTREAM_H */
