/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a subscriber shows before Facet can render a feed (no stream header
 * or reference yet, or a broken chain): the VP8 picture itself, decoded
 * with libavcodec and scaled up, never a frozen or black tile. It decodes
 * every frame of the feed so that its own chain is whole whenever it is
 * needed.
 */
#ifndef FACET_ROOM_FALLBACK_H
#define FACET_ROOM_FALLBACK_H

#include <gio/gio.h>

#include <facet/facet.h>

typedef struct RoomFallback RoomFallback;

RoomFallback *room_fallback_new(GError **error);

/* Decodes one VP8 frame. TRUE when it gave a picture (FALSE: a frame
 * before the first keyframe, or a broken one: nothing to show). */
gboolean room_fallback_decode(RoomFallback *fallback, const guint8 *frame, gsize size);

/* The size of the last picture decoded; FALSE before the first. */
gboolean room_fallback_size(const RoomFallback *fallback, int *width, int *height);

/* The last picture decoded, scaled to width x height (bicubic) into a new
 * I420 picture (release with facet_picture_unref()). */
gboolean room_fallback_upscale(RoomFallback *fallback, int width, int height,
                               FacetPicture *out);

void room_fallback_free(RoomFallback *fallback);

#endif
