/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A participant of a Janus VideoRoom: joins as a publisher and publishes
 * (room_publisher.h), subscribes to every other publisher on the join
 * answer's list and on later "publishers" events, one handle per feed
 * (room_subscriber.h), drops feeds on "unpublished"/"leaving", and leaves
 * and destroys its session at the end. With --receive-only it joins as a
 * publisher that never publishes: it subscribes all the same. All in the
 * main context.
 */
#ifndef FACET_ROOM_CALL_H
#define FACET_ROOM_CALL_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "room_feed.h"
#include "room_options.h"

typedef struct RoomCall RoomCall;

/* The call is over: after room_call_leave() (failed FALSE) or because
 * something failed for good (failed TRUE, reason says what). */
typedef void (*RoomCallEnded)(RoomCall *call, gboolean failed, const gchar *reason,
                              gpointer data);

/* Optional: a new feed to show (returns its show callback and data), and a
 * feed gone. */
typedef struct RoomCallDisplay {
    RoomFeedShow (*add)(guint64 feed_id, const gchar *display, gpointer data, gpointer *show_data);
    void (*remove)(guint64 feed_id, gpointer data);
    gpointer data;
} RoomCallDisplay;

RoomCall *room_call_new(const RoomOptions *options, const RoomCallDisplay *display,
                        RoomCallEnded ended, gpointer data, GError **error);

/* Creates the session, joins, publishes (unless receive-only), subscribes. */
void room_call_start(RoomCall *call);

/* Leaves the room and destroys the session; `ended` follows (within a few
 * seconds even when Janus does not answer). */
void room_call_leave(RoomCall *call);

/* Counters so far, as a JSON object (docs/multiparty.md lists them). */
JsonNode *room_call_stats(RoomCall *call);

/* One line for the terminal. */
gchar *room_call_summary(RoomCall *call);

void room_call_free(RoomCall *call);

#endif
