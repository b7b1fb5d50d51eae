/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target over facet_packet_peek(): one input is one packet.
 *
 * Beyond "no crash": the peek must answer with one of its documented codes,
 * write nothing past struct_size, agree with the decoder's parser (what
 * facet_packet_parse() accepts, the peek accepts with the same fields; what
 * the peek refuses, the parser refuses with the same code), and report only
 * sequence headers within the limits of docs/bitstream.md. A broken promise
 * aborts, which libFuzzer reports like a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bitstream.h"
#include "facet/facet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CANARY 0x5au

static void check(int condition)
{
    if (!condition)
        abort();
}

static void check_sequence_limits(const FacetPacketInfo *info)
{
    check(info->width >= 1 && info->width <= FACET_MAX_DIMENSION);
    check(info->height >= 1 && info->height <= FACET_MAX_DIMENSION);
    check(info->fps_num >= 1 && info->fps_num <= 1000000);
    check(info->fps_den >= 1 && info->fps_den <= 1000000);
    if (info->mode == FACET_STREAM_MODE_LATENT) {
        check(info->type == FACET_PACKET_TYPE_LATENT_KEYFRAME && info->model_id != 0);
        check(info->model_size == 0 && info->keypoint_count == 0);
        check(info->scale == 2 || info->scale == 4);
        check(info->base_codec == FACET_BASE_CODEC_AV1 || info->base_codec == FACET_BASE_CODEC_VP8);
        check(info->width >= 32 && info->width <= 4096 && info->height >= 32 &&
              info->height <= 4096);
    } else if (info->mode == FACET_STREAM_MODE_INTRA_ONLY) {
        check(info->type == FACET_PACKET_TYPE_KEYFRAME && info->scale == 0);
        check(info->model_id == 0 && info->model_size == 0 && info->keypoint_count == 0);
    } else {
        check(info->type == FACET_PACKET_TYPE_KEYFRAME && info->scale == 0);
        check(info->mode == FACET_STREAM_MODE_KEYPOINTS && info->model_id != 0);
        check(info->model_size >= 32 && info->model_size <= 1024 && info->model_size % 32 == 0);
        check(info->keypoint_count >= 1 && info->keypoint_count <= 64);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A caller with a later, larger struct: the bytes this library does not
     * know must come back untouched. */
    struct {
        FacetPacketInfo info;
        uint8_t later[16];
    } caller;
    memset(&caller, CANARY, sizeof(caller));
    caller.info.struct_size = sizeof(caller);
    int ret = facet_packet_peek(data, size, &caller.info);
    for (size_t i = 0; i < sizeof(caller.later); i++)
        check(caller.later[i] == CANARY);
    check(caller.info.struct_size == sizeof(caller));

    const FacetPacketInfo *info = &caller.info;
    if (size == 0) {
        check(ret == FACET_ERR(EINVAL));
        return 0;
    }
    check(ret == 0 || ret == FACET_ERR(EBADMSG) || ret == FACET_ERR(ENOTSUP));

    FacetPacketView view;
    int parsed = facet_packet_parse(data, size, &view);
    if (ret < 0)
        check(parsed == ret);
    if (parsed == 0) {
        check(ret == 0);
        check(info->type == view.type && info->frame_number == view.frame_number &&
              info->keyframe_id == view.keyframe_id);
    }
    if (ret == 0) {
        check(info->type >= FACET_PACKET_TYPE_KEYFRAME &&
              info->type <= FACET_PACKET_TYPE_LATENT_FRAME_SHORT);
        check(info->keyframe_id <= UINT16_MAX);
        /* A short latent frame's numbers are 8 bits, every other's whole. */
        if (info->type == FACET_PACKET_TYPE_LATENT_FRAME_SHORT)
            check(info->frame_number_bits == 8 && info->keyframe_id_bits == 8 &&
                  info->frame_number <= 0xff && info->keyframe_id <= 0xff);
        else
            check(info->frame_number_bits == 32 && info->keyframe_id_bits == 16);
        check(info->has_sequence_header == (info->type == FACET_PACKET_TYPE_KEYFRAME ||
                                            info->type == FACET_PACKET_TYPE_LATENT_KEYFRAME));
        if (info->type == FACET_PACKET_TYPE_REFERENCE) {
            check(info->reference_id == info->keyframe_id);
            check(info->fragment_count >= 1 && info->fragment_count <= 255);
            check(info->fragment_index >= 0 && info->fragment_index < info->fragment_count);
            check(info->reference_size >= 1 &&
                  info->reference_size <= (uint32_t)info->fragment_count * 16384u);
        } else {
            check(info->fragment_count == 0 && info->reference_size == 0);
        }
        check((info->flags == FACET_PACKET_FLAG_KEYFRAME) == info->has_sequence_header);
        if (info->has_sequence_header)
            check_sequence_limits(info);
        else
            check(info->model_id == 0 && info->width == 0 && info->version_major == 0);
    } else if (ret == FACET_ERR(ENOTSUP)) {
        check(info->type == FACET_PACKET_TYPE_KEYFRAME ||
              info->type == FACET_PACKET_TYPE_LATENT_KEYFRAME);
        check(info->version_major > 1 && info->width == 0 && info->frame_number == 0);
    } else {
        check(info->type == 0 && info->frame_number == 0 && info->has_sequence_header == 0);
    }
    return 0;
}
