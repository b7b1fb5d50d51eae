/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-room's data-channel message, written and read field by field. */
#include "room_message.h"

#include <string.h>

#include <facet/facet.h>

G_DEFINE_QUARK(facet-room-message-error-quark, room_message_error)

static void put_u16(guint8 *p, guint16 v)
{
    p[0] = (guint8)(v >> 8);
    p[1] = (guint8)v;
}

static void put_u32(guint8 *p, guint32 v)
{
    p[0] = (guint8)(v >> 24);
    p[1] = (guint8)(v >> 16);
    p[2] = (guint8)(v >> 8);
    p[3] = (guint8)v;
}

static guint16 get_u16(const guint8 *p)
{
    return (guint16)((p[0] << 8) | p[1]);
}

static guint32 get_u32(const guint8 *p)
{
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

GBytes *room_message_pack(const RoomMessage *message, GError **error)
{
    if (message->picture_id > 0x7fff) {
        g_set_error(error, ROOM_MESSAGE_ERROR, ROOM_MESSAGE_ERROR_MALFORMED,
                    "picture id %u does not fit in 15 bits", message->picture_id);
        return NULL;
    }
    if (message->stream_header_size == 0 ||
        message->stream_header_size > ROOM_MESSAGE_MAX_HEADER_SIZE) {
        g_set_error(error, ROOM_MESSAGE_ERROR, ROOM_MESSAGE_ERROR_MALFORMED,
                    "a stream header of %" G_GSIZE_FORMAT " bytes (1..%d)",
                    message->stream_header_size, ROOM_MESSAGE_MAX_HEADER_SIZE);
        return NULL;
    }
    gboolean reference = message->kind == ROOM_MESSAGE_KIND_REFERENCE;
    if (!reference && message->kind != ROOM_MESSAGE_KIND_STREAM_HEADER) {
        g_set_error(error, ROOM_MESSAGE_ERROR, ROOM_MESSAGE_ERROR_UNSUPPORTED,
                    "no message kind %u", message->kind);
        return NULL;
    }
    if (reference != (message->packet_size > 0)) {
        g_set_error(error, ROOM_MESSAGE_ERROR, ROOM_MESSAGE_ERROR_MALFORMED,
                    "a %s message %s a packet", reference ? "reference" : "stream header",
                    reference ? "needs" : "has no room for");
        return NULL;
    }
    gsize total = ROOM_MESSAGE_FIXED_SIZE + message->stream_header_size + message->packet_size;
    if (total > ROOM_MESSAGE_MAX_SIZE) {
        g_set_error(error, ROOM_MESSAGE_ERROR, ROOM_MESSAGE_ERROR_MALFORMED,
                    "a reference packet of %" G_GSIZE_FORMAT " bytes does not fit in one "
                    "message (%u bytes at most)", message->packet_size, ROOM_MESSAGE_MAX_SIZE);
        return NULL;
    }
    guint8 *out = g_malloc(total);
    guint8 *p = out;
    memcpy(p, ROOM_MESSAGE_MAGIC, 4);
    p[4] = ROOM_MESSAGE_VERSION;
    p[5] = message->kind;
    put_u32(p + 6, message->model_id);
    put_u16(p + 10, message->reference_id);
    put_u16(p + 12, message->picture_id);
    put_u16(p + 14, (guint16)message->stream_header_size);
    put_u32(p + 16, (guint32)message->packet_size);
    p += ROOM_MESSAGE_FIXED_SIZE;
    memcpy(p, message->stream_header, message->stream_header_size);
    p += message->stream_header_size;
    if (message->packet_size)
        memcpy(p, message->packet, message->packet_size);
    return g_bytes_new_take(out, total);
}

gboolean room_message_parse(const guint8 *data, gsize size, RoomMessage *message,
                            GError **error)
{
    memset(message, 0, sizeof(*message));
    if (!data || size < 4 || memcmp(data, ROOM_MESSAGE_MAGIC, 4) != 0) {
        g_set_error(error, ROOM_MESSAGE_ERROR, ROOM_MESSAGE_ERROR_NOT_OURS,
                    "not a Facet room message (no \"%s\" magic)", ROOM_MESSAGE_MAGIC);
        return FALSE;
    }
    if (size > ROOM_MESSAGE_MAX_SIZE) {
        g_set_error(error, ROOM_MESSAGE_ERROR, ROOM_MESSAGE_ERROR_MALFORMED,
                    "a message of %" G_GSIZE_FORMAT " bytes (%u at most)", size,
                    ROOM_MESSAGE_MAX_SIZE);
        return FALSE;
    }
    if (size < ROOM_MESSAGE_FIXED_SIZE) {
        g_set_error(error, ROOM_MESSAGE_ERROR, ROOM_MESSAGE_ERROR_MALFORMED,
                    "a truncated message: %" G_GSIZE_FORMAT " bytes, its fixed part is %d",
                    size, ROOM_MESSAGE_FIXED_SIZE);
        return FALSE;
    }
    guint8 kind = data[5];
    if (data[4] != ROOM_MESSAGE_VERSION ||
        (kind != ROOM_MESSAGE_KIND_REFERENCE && kind != ROOM_MESSAGE_KIND_STREAM_HEADER)) {
        g_set_error(error, ROOM_MESSAGE_ERROR, ROOM_MESSAGE_ERROR_UNSUPPORTED,
                    "message version %u kind %u (this program reads version %d kinds %d, %d)",
                    data[4], kind, ROOM_MESSAGE_VERSION, ROOM_MESSAGE_KIND_REFERENCE,
                    ROOM_MESSAGE_KIND_STREAM_HEADER);
        return FALSE;
    }
    gboolean reference = kind == ROOM_MESSAGE_KIND_REFERENCE;
    guint16 picture_id = get_u16(data + 12);
    gsize header_size = get_u16(data + 14);
    gsize packet_size = get_u32(data + 16);
    if (picture_id > 0x7fff) {
        g_set_error(error, ROOM_MESSAGE_ERROR, ROOM_MESSAGE_ERROR_MALFORMED,
                    "picture id %u is over 15 bits", picture_id);
        return FALSE;
    }
    if (header_size == 0 || header_size > ROOM_MESSAGE_MAX_HEADER_SIZE) {
        g_set_error(error, ROOM_MESSAGE_ERROR, ROOM_MESSAGE_ERROR_MALFORMED,
                    "a stream header of %" G_GSIZE_FORMAT " bytes (1..%d)", header_size,
                    ROOM_MESSAGE_MAX_HEADER_SIZE);
        return FALSE;
    }
    /* Both sizes are bounded above, so the sum cannot wrap. */
    if (reference != (packet_size > 0) ||
        ROOM_MESSAGE_FIXED_SIZE + header_size + packet_size != size) {
        g_set_error(error, ROOM_MESSAGE_ERROR, ROOM_MESSAGE_ERROR_MALFORMED,
                    "the message says %" G_GSIZE_FORMAT " header and %" G_GSIZE_FORMAT
                    " packet bytes but has %" G_GSIZE_FORMAT " after its fixed part",
                    header_size, packet_size, size - ROOM_MESSAGE_FIXED_SIZE);
        return FALSE;
    }
    guint16 reference_id = get_u16(data + 10);
    message->kind = kind;
    message->model_id = get_u32(data + 6);
    message->picture_id = picture_id;
    message->stream_header = data + ROOM_MESSAGE_FIXED_SIZE;
    message->stream_header_size = header_size;
    if (!reference) {
        if (reference_id != 0) {
            g_set_error(error, ROOM_MESSAGE_ERROR, ROOM_MESSAGE_ERROR_MALFORMED,
                        "a stream header message names reference %u", reference_id);
            memset(message, 0, sizeof(*message));
            return FALSE;
        }
        return TRUE;
    }
    const guint8 *packet = data + ROOM_MESSAGE_FIXED_SIZE + header_size;
    FacetPacketInfo info = { .struct_size = sizeof(info) };
    int ret = facet_packet_peek(packet, packet_size, &info);
    if (ret < 0 || info.type != FACET_PACKET_TYPE_REFERENCE) {
        memset(message, 0, sizeof(*message));
        g_set_error(error, ROOM_MESSAGE_ERROR, ROOM_MESSAGE_ERROR_MALFORMED,
                    "the message's packet is not a Facet reference fragment (%s)",
                    ret < 0 ? facet_strerror(ret) : "another packet type");
        return FALSE;
    }
    if (info.reference_id != reference_id) {
        memset(message, 0, sizeof(*message));
        g_set_error(error, ROOM_MESSAGE_ERROR, ROOM_MESSAGE_ERROR_MALFORMED,
                    "the message names reference %u, its packet reference %u", reference_id,
                    (unsigned)info.reference_id);
        return FALSE;
    }
    message->reference_id = reference_id;
    message->packet = packet;
    message->packet_size = packet_size;
    return TRUE;
}
