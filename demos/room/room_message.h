/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * facet-room's data-channel message: one fragment of a Facet reference
 * picture, with what a receiver that joined late needs to use it (the
 * stream header) and the VP8 picture id of the base-stream frame it
 * belongs after. docs/multiparty.md, "Data channel messages", is the
 * layout; this file is its only writer and reader.
 */
#ifndef FACET_ROOM_MESSAGE_H
#define FACET_ROOM_MESSAGE_H

#include <glib.h>

#include <facet/facet.h>

#define ROOM_MESSAGE_MAGIC "FCTR"
#define ROOM_MESSAGE_VERSION 1
#define ROOM_MESSAGE_KIND_REFERENCE 1     /* a reference fragment, with the stream header */
#define ROOM_MESSAGE_KIND_STREAM_HEADER 2 /* the stream header alone (no references sent) */

/* magic, version, kind, model id, reference id, picture id, header size,
 * packet size */
#define ROOM_MESSAGE_FIXED_SIZE (4 + 1 + 1 + 4 + 2 + 2 + 2 + 4)
/* The sequence header of a latent keyframe, as libfacet bounds it. */
#define ROOM_MESSAGE_MAX_HEADER_SIZE FACET_STREAM_HEADER_MAX_SIZE
/* Janus refuses data-channel messages of 64 KiB and more; a Facet
 * fragment is at most 16 KiB plus a few header bytes: anything over this
 * is not a message we wrote. */
#define ROOM_MESSAGE_MAX_SIZE (32u * 1024u)

typedef enum RoomMessageError {
    ROOM_MESSAGE_ERROR_NOT_OURS,    /* another magic: some other application's message */
    ROOM_MESSAGE_ERROR_UNSUPPORTED, /* ours, of a later version or an unknown kind */
    ROOM_MESSAGE_ERROR_MALFORMED,   /* ours, but truncated, oversized or inconsistent */
} RoomMessageError;

#define ROOM_MESSAGE_ERROR (room_message_error_quark())
GQuark room_message_error_quark(void);

/* A parsed message: the pointers point into the bytes it was parsed from. */
typedef struct RoomMessage {
    guint8 kind;                 /* ROOM_MESSAGE_KIND_* */
    guint32 model_id;
    guint16 reference_id;        /* 0 in a stream header message */
    guint16 picture_id;          /* 15 bits: the VP8 frame it applies from */
    const guint8 *stream_header; /* opaque latent sequence header */
    gsize stream_header_size;    /* 1..ROOM_MESSAGE_MAX_HEADER_SIZE */
    const guint8 *packet;        /* one Facet REFERENCE packet (type 5); NULL, 0 in a */
    gsize packet_size;           /* stream header message */
} RoomMessage;

/* Serialises `message` into a new GBytes; NULL with *error set when a
 * field is out of range (picture id over 15 bits, a header or packet too
 * large for one message, a packet in a stream header message or none in
 * a reference message). */
GBytes *room_message_pack(const RoomMessage *message, GError **error);

/* Parses and validates `size` bytes: magic, version, kind, every length,
 * and the packet's own header (a REFERENCE packet of this reference id,
 * read with facet_packet_peek(); none in a stream header message).
 * Returns FALSE with *error in ROOM_MESSAGE_ERROR on anything else. */
gboolean room_message_parse(const guint8 *data, gsize size, RoomMessage *message,
                            GError **error);

#endif
