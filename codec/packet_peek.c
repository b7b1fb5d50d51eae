/* SPDX-License-Identifier: BSD-2-Clause */
/* facet_packet_peek(): a packet's headers for programs that route packets
 * (the GStreamer elements, a depayloader) without decoding them. The bytes
 * are read by the decoder's own parser (codec/bitstream.c), so the two
 * cannot disagree about what a valid header is. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "codec/bitstream.h"
#include "facet/facet.h"

/* Zeroes the members the caller's struct and this library's have in
 * common, keeping struct_size; members of a later header are the caller's. */
static void clear_info(FacetPacketInfo *info)
{
    size_t struct_size = info->struct_size;
    size_t known = struct_size < sizeof(*info) ? struct_size : sizeof(*info);
    memset(info, 0, known);
    info->struct_size = struct_size;
}

static FacetStreamMode stream_mode(const FacetSequenceHeader *sequence)
{
    /* The parser derives the mode of a v1.0 header (a model means keypoint
     * mode) and reads a v1.1 header's; the values are the public ones. */
    return (FacetStreamMode)sequence->mode;
}

/* The size of a v1.0 FacetPacketInfo: a program built against that header
 * gets the members it knows, and nothing is written past them. */
#define PACKET_INFO_V1_0_SIZE offsetof(FacetPacketInfo, scale)
#define HAS_MEMBER(info, member) \
    ((info)->struct_size >= offsetof(FacetPacketInfo, member) + sizeof((info)->member))

int facet_packet_peek(const uint8_t *data, size_t size, FacetPacketInfo *info)
{
    FacetPacketView view;
    int ret;

    /* A struct from an older header would be written past its end. */
    if (!info || info->struct_size < PACKET_INFO_V1_0_SIZE)
        return FACET_ERR(EINVAL);
    clear_info(info);
    if (!data || size == 0)
        return FACET_ERR(EINVAL);

    ret = facet_packet_parse_headers(data, size, &view);
    if (ret == -ENOTSUP) {
        /* Only the version is known: a newer major version may lay out
         * everything after it differently. */
        info->type = view.type;
        info->version_major = view.sequence.version_major;
        info->version_minor = view.sequence.version_minor;
        return FACET_ERR(ENOTSUP);
    }
    if (ret < 0)
        return ret;

    info->type = view.type;
    /* A short latent frame's numbers as coded, modulo 256: the caller
     * expands them against its own state (no state here). */
    info->frame_number = view.frame_number;
    info->keyframe_id = view.keyframe_id;
    if (HAS_MEMBER(info, keyframe_id_bits)) {
        info->frame_number_bits = view.short_numbers ? 8 : 32;
        info->keyframe_id_bits = view.short_numbers ? 8 : 16;
    }
    if (view.type == FACET_PACKET_TYPE_REFERENCE && HAS_MEMBER(info, reference_size)) {
        info->reference_id = view.keyframe_id;
        info->fragment_index = view.fragment_index;
        info->fragment_count = view.fragment_count;
        info->reference_size = view.reference_size;
    }
    if (view.type == FACET_PACKET_TYPE_KEYFRAME || view.type == FACET_PACKET_TYPE_LATENT_KEYFRAME) {
        const FacetSequenceHeader *sequence = &view.sequence;
        if (HAS_MEMBER(info, base_codec)) {
            info->scale = sequence->scale;
            info->base_codec = sequence->base_codec;
        }
        info->flags = FACET_PACKET_FLAG_KEYFRAME;
        info->has_sequence_header = 1;
        info->mode = stream_mode(sequence);
        info->model_id = sequence->model_id;
        info->width = sequence->width;
        info->height = sequence->height;
        info->fps_num = (int)sequence->fps_num;
        info->fps_den = (int)sequence->fps_den;
        info->model_size = sequence->model_size;
        info->keypoint_count = sequence->keypoint_count;
        info->version_major = sequence->version_major;
        info->version_minor = sequence->version_minor;
    }
    return 0;
}
