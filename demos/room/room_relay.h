/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hands work from GStreamer's streaming threads (webrtcbin's signals and
 * promises) to the main context, where signalling and GLib's HTTP client
 * live, without ever calling into an owner that was freed in between: the
 * owner detaches the relay when it goes, and queued calls then do nothing.
 */
#ifndef FACET_ROOM_RELAY_H
#define FACET_ROOM_RELAY_H

#include <glib.h>

typedef struct RoomRelay RoomRelay;

typedef void (*RoomRelayFunc)(gpointer owner, gpointer data);

/* A relay to the thread-default main context of the caller. */
RoomRelay *room_relay_new(gpointer owner);

/* Calls func(owner, data) in the main context, unless the owner detached
 * first; free_data(data) runs either way (may be NULL). Any thread. */
void room_relay_call(RoomRelay *relay, RoomRelayFunc func, gpointer data,
                     GDestroyNotify free_data);

/* The owner is going: queued and later calls do nothing. Drops the
 * owner's reference. Main context only. */
void room_relay_detach(RoomRelay *relay);

#endif
