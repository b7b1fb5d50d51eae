/* SPDX-License-Identifier: BSD-2-Clause */
/* See fuzz_session.h. */
#include "fuzz_session.h"

void fuzz_decode_session(FacetDecoder *decoder, const uint8_t *data, size_t size)
{
    size_t pos = 0;
    while (pos < size) {
        size_t length = size - pos;
        if (length >= 2) {
            size_t framed = ((size_t)data[pos] << 8) | data[pos + 1];
            pos += 2;
            length = framed < size - pos ? framed : size - pos;
        }
        if (length == 0)
            continue;
        FacetPacket packet = { .data = (uint8_t *)(data + pos), .size = length };
        pos += length;
        if (facet_decoder_send_packet(decoder, &packet) != 0)
            continue;
        FacetPicture picture;
        if (facet_decoder_receive_frame(decoder, &picture) == 0) {
            volatile uint8_t sink = picture.data[0][0];
            sink = picture.data[0][(picture.height - 1) * picture.stride[0]];
            (void)sink;
            facet_picture_unref(&picture);
        }
    }
}
