/* SPDX-License-Identifier: BSD-2-Clause */
/* The VP8 RTP payload descriptor (RFC 7741 4.2) and frame assembly. */
#include "room_vp8.h"

gboolean room_vp8_parse_descriptor(const guint8 *payload, gsize size,
                                   RoomVp8Descriptor *descriptor)
{
    *descriptor = (RoomVp8Descriptor){ 0 };
    if (size < 1)
        return FALSE;
    gsize at = 1;
    guint8 first = payload[0];
    descriptor->start = (first & 0x10) && (first & 0x07) == 0;
    if (first & 0x80) { /* X: the extension byte follows */
        if (size < at + 1)
            return FALSE;
        guint8 ext = payload[at++];
        if (ext & 0x80) { /* I: picture id, 7 or 15 bits (M) */
            if (size < at + 1)
                return FALSE;
            if (payload[at] & 0x80) {
                if (size < at + 2)
                    return FALSE;
                descriptor->picture_id = (guint16)(((payload[at] & 0x7f) << 8) | payload[at + 1]);
                at += 2;
            } else {
                descriptor->picture_id = payload[at] & 0x7f;
                at += 1;
            }
            descriptor->has_picture_id = TRUE;
        }
        if (ext & 0x40) /* L: TL0PICIDX */
            at += 1;
        if (ext & 0x30) /* T or K: TID/Y/KEYIDX */
            at += 1;
    }
    if (size <= at)
        return FALSE;
    descriptor->header_size = at;
    return TRUE;
}

gboolean room_vp8_is_keyframe(const guint8 *frame, gsize size)
{
    return size > 0 && (frame[0] & 0x01) == 0;
}

gint room_picture_id_distance(guint16 a, guint16 b)
{
    gint d = ((gint)b - (gint)a) & 0x7fff;
    return d >= 0x4000 ? d - 0x8000 : d;
}

gint64 room_picture_id_unwrap(RoomPictureIdUnwrap *unwrap, guint16 picture_id)
{
    picture_id &= 0x7fff;
    if (!unwrap->started) {
        unwrap->started = TRUE;
        unwrap->last = picture_id;
        return unwrap->last;
    }
    gint d = room_picture_id_distance((guint16)(unwrap->last & 0x7fff), picture_id);
    gint64 value = unwrap->last + d;
    if (value > unwrap->last)
        unwrap->last = value;
    return value;
}

void room_vp8_assembler_init(RoomVp8Assembler *assembler)
{
    *assembler = (RoomVp8Assembler){ 0 };
    assembler->frame = g_byte_array_new();
}

void room_vp8_assembler_clear(RoomVp8Assembler *assembler)
{
    if (assembler->frame)
        g_byte_array_unref(assembler->frame);
    *assembler = (RoomVp8Assembler){ 0 };
}

gboolean room_vp8_assembler_push(RoomVp8Assembler *assembler, guint16 seq, guint32 timestamp,
                                 gboolean marker, const guint8 *payload, gsize size,
                                 GBytes **frame, guint16 *picture_id, gboolean *lost)
{
    *frame = NULL;
    RoomVp8Descriptor d;
    if (!room_vp8_parse_descriptor(payload, size, &d)) {
        if (assembler->collecting)
            *lost = TRUE;
        assembler->collecting = FALSE;
        return FALSE;
    }
    if (d.start && !d.has_picture_id) {
        /* Not a stream of ours: its frames could not be numbered. */
        *lost = TRUE;
        assembler->collecting = FALSE;
        return FALSE;
    }
    if (d.start) {
        if (assembler->collecting)
            *lost = TRUE; /* the previous frame never saw its marker */
        g_byte_array_set_size(assembler->frame, 0);
        assembler->collecting = TRUE;
        assembler->timestamp = timestamp;
        assembler->picture_id = d.picture_id;
    } else if (!assembler->collecting) {
        return FALSE; /* the middle of a frame whose start we lost: already counted */
    } else if (seq != assembler->next_seq || timestamp != assembler->timestamp) {
        *lost = TRUE;
        assembler->collecting = FALSE;
        return FALSE;
    }
    if (assembler->frame->len + (size - d.header_size) > ROOM_VP8_MAX_FRAME_SIZE) {
        *lost = TRUE;
        assembler->collecting = FALSE;
        return FALSE;
    }
    g_byte_array_append(assembler->frame, payload + d.header_size, (guint)(size - d.header_size));
    assembler->next_seq = (guint16)(seq + 1);
    if (!marker)
        return FALSE;
    assembler->collecting = FALSE;
    *frame = g_bytes_new(assembler->frame->data, assembler->frame->len);
    *picture_id = assembler->picture_id;
    return TRUE;
}
