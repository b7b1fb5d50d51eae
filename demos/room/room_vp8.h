/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VP8 over RTP as a receiver of facet-room needs it (RFC 7741): the payload
 * descriptor's 15-bit picture id, which names a frame across Janus (that
 * rebases RTP timestamps and sequence numbers per subscriber but keeps the
 * picture id), and frames put back together from their packets, each with
 * its picture id. Pure C on GLib, no GStreamer: tested packet by packet.
 */
#ifndef FACET_ROOM_VP8_H
#define FACET_ROOM_VP8_H

#include <glib.h>

typedef struct RoomVp8Descriptor {
    gboolean start;         /* S bit with partition index 0: a frame starts here */
    gboolean has_picture_id;
    guint16 picture_id;     /* 7 or 15 bits as sent */
    gsize header_size;      /* bytes before the VP8 data */
} RoomVp8Descriptor;

/* Reads the payload descriptor at the start of an RTP payload. FALSE for a
 * payload too short for the descriptor it announces, or with no VP8 byte
 * after it. */
gboolean room_vp8_parse_descriptor(const guint8 *payload, gsize size,
                                   RoomVp8Descriptor *descriptor);

/* A VP8 keyframe: bit 0 of the frame's first byte is 0 (RFC 6386 9.1). */
gboolean room_vp8_is_keyframe(const guint8 *frame, gsize size);

/* Extends 15-bit picture ids into a count that only goes up by the
 * distance from the previous id (a step back of under half the range is a
 * late frame: a smaller count). */
typedef struct RoomPictureIdUnwrap {
    gboolean started;
    gint64 last;            /* the unwrapped id of the newest frame */
} RoomPictureIdUnwrap;

gint64 room_picture_id_unwrap(RoomPictureIdUnwrap *unwrap, guint16 picture_id);

/* The signed distance from picture id a to b, modulo 2^15. */
gint room_picture_id_distance(guint16 a, guint16 b);

/* Collects the packets of one frame: a start packet (S=1, partition 0),
 * then consecutive sequence numbers of the same RTP timestamp, up to the
 * marker bit. A gap or a frame without its start drops what was collected
 * (and says so through `lost`). */
typedef struct RoomVp8Assembler {
    GByteArray *frame;
    gboolean collecting;
    guint32 timestamp;
    guint16 next_seq;
    guint16 picture_id;
} RoomVp8Assembler;

#define ROOM_VP8_MAX_FRAME_SIZE (4u * 1024u * 1024u)

void room_vp8_assembler_init(RoomVp8Assembler *assembler);
void room_vp8_assembler_clear(RoomVp8Assembler *assembler);

/* Adds one RTP packet's payload. Returns TRUE when it completed a frame:
 * then *frame (owned by the caller, g_bytes_unref) and *picture_id are
 * set. *lost becomes TRUE when a frame was abandoned (a packet missing). */
gboolean room_vp8_assembler_push(RoomVp8Assembler *assembler, guint16 seq, guint32 timestamp,
                                 gboolean marker, const guint8 *payload, gsize size,
                                 GBytes **frame, guint16 *picture_id, gboolean *lost);

#endif
