/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * facet-room's window: one tile per remote participant, side by side
 * (appsrc per feed -> compositor -> autovideosink). Pictures come from the
 * feeds' streaming threads; tiles come and go in the main context.
 */
#ifndef FACET_ROOM_DISPLAY_H
#define FACET_ROOM_DISPLAY_H

#include <gio/gio.h>

#include "room_call.h"

typedef struct RoomDisplay RoomDisplay;

/* sink: a gst-launch description of the sink (NULL: autovideosink). */
RoomDisplay *room_display_new(int tile_width, int tile_height, const gchar *sink,
                              GError **error);

/* Fills the hooks room_call_new() takes to add and remove tiles. */
void room_display_call_hooks(RoomDisplay *display, RoomCallDisplay *hooks);

void room_display_free(RoomDisplay *display);

#endif
