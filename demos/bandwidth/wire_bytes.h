/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The bytes of a conventional encoder's packet that a call would send:
 * the packet less the framing RTP does not carry. An AV1 temporal unit
 * goes out without its temporal delimiter OBU (the AV1 RTP payload format
 * drops it, and so does Facet's latent tier, whose base stream is AV1); an
 * H.264 access unit in Annex B form goes out without its start codes (RTP
 * carries NAL units, RFC 6184). VP8 frames carry no framing. What RTP adds
 * (its headers, the payload descriptors) is counted for no codec, Facet
 * included.
 */
#ifndef FACET_BANDWIDTH_WIRE_BYTES_H
#define FACET_BANDWIDTH_WIRE_BYTES_H

#include <stddef.h>
#include <stdint.h>

typedef enum WireFraming {
    WIRE_FRAMING_NONE,     /* counted as it is: VP8 */
    WIRE_FRAMING_AV1,      /* a temporal unit of OBUs with size fields */
    WIRE_FRAMING_ANNEX_B,  /* H.264 NAL units after start codes */
} WireFraming;

/* The bytes of `data` (one packet) that go on the wire. */
size_t wire_bytes(WireFraming framing, const uint8_t *data, size_t size);

#endif
