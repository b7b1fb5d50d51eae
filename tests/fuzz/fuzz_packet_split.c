/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target over the split and wrap of latent packets
 * (facet_packet_stream_header, _base_unit, _wrap_base_unit): one input is
 * one packet, so it shares fuzz_packet_peek's corpus.
 *
 * Beyond "no crash": a latent packet split into its stream header and base
 * unit wraps back into the same bytes (a 1.1 latent frame, type 4, into
 * the short latent frame of 1.2 with the same unit and low numbers); and the input taken whole as a
 * stream header (what a receiver gets from the network) is refused or
 * wraps into a packet whose stream header is exactly the input. A broken
 * promise aborts, which libFuzzer reports like a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "facet/facet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int condition)
{
    if (!condition)
        abort();
}

static void check_split_wraps_back(const uint8_t *data, size_t size)
{
    FacetPacketInfo info = { .struct_size = sizeof(info) };
    const uint8_t *unit = NULL;
    size_t unit_size = 0;
    if (facet_packet_peek(data, size, &info) < 0 ||
        facet_packet_base_unit(data, size, &unit, &unit_size) < 0)
        return;
    check(info.type == FACET_PACKET_TYPE_LATENT_KEYFRAME ||
          info.type == FACET_PACKET_TYPE_LATENT_FRAME ||
          info.type == FACET_PACKET_TYPE_LATENT_FRAME_SHORT);
    check(unit >= data && unit + unit_size <= data + size && unit_size > 0);
    uint8_t header[FACET_STREAM_HEADER_MAX_SIZE];
    size_t header_size = 0;
    int keyframe = info.type == FACET_PACKET_TYPE_LATENT_KEYFRAME;
    check((facet_packet_stream_header(data, size, header, &header_size) == 0) == keyframe);
    FacetPacket wrapped;
    check(facet_packet_wrap_base_unit(header, header_size, keyframe, info.frame_number,
                                      info.keyframe_id, unit, unit_size, &wrapped) == 0);
    if (info.type == FACET_PACKET_TYPE_LATENT_FRAME) {
        /* Wrapped short: the numbers modulo 256, then the unit. */
        check(wrapped.size == 3 + unit_size &&
              wrapped.data[0] == FACET_PACKET_TYPE_LATENT_FRAME_SHORT &&
              wrapped.data[1] == (uint8_t)info.frame_number &&
              wrapped.data[2] == (uint8_t)info.keyframe_id &&
              memcmp(wrapped.data + 3, unit, unit_size) == 0);
    } else {
        /* Extension records after the unit are the only bytes not carried. */
        check(wrapped.size <= size && memcmp(wrapped.data, data, wrapped.size) == 0);
    }
    check(wrapped.frame_number == info.frame_number);
    facet_packet_unref(&wrapped);
}

static void check_hostile_header(const uint8_t *data, size_t size)
{
    static const uint8_t unit[] = { 0x10, 0x02, 0x00 };
    FacetPacket wrapped;
    int ret = facet_packet_wrap_base_unit(data, size, 1, 5, 9, unit, sizeof(unit), &wrapped);
    check(ret == 0 || ret == FACET_ERR(EINVAL) || ret == FACET_ERR(EBADMSG) ||
          ret == FACET_ERR(ENOTSUP));
    if (ret < 0) {
        check(wrapped.data == NULL);
        return;
    }
    uint8_t header[FACET_STREAM_HEADER_MAX_SIZE];
    size_t header_size = 0;
    check(facet_packet_stream_header(wrapped.data, wrapped.size, header, &header_size) == 0);
    check(header_size == size && memcmp(header, data, size) == 0);
    const uint8_t *back = NULL;
    size_t back_size = 0;
    check(facet_packet_base_unit(wrapped.data, wrapped.size, &back, &back_size) == 0);
    check(back_size == sizeof(unit) && memcmp(back, unit, sizeof(unit)) == 0);
    facet_packet_unref(&wrapped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    check_split_wraps_back(data, size);
    check_hostile_header(data, size);
    /* A latent keyframe's header starts after its type byte. */
    if (data[0] == FACET_PACKET_TYPE_LATENT_KEYFRAME)
        check_hostile_header(data + 1, size - 1);
    return 0;
}
