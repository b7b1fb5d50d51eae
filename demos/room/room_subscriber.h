/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One subscription: Janus's offer for one remote publisher's streams, a
 * webrtcbin that answers it, and what comes out: VP8 RTP put back into
 * frames with their picture ids (room_vp8.h) and data-channel messages,
 * both handed to the feed's decoder (room_feed.h). The subscriber opens
 * its own data channel at once after the answer: Janus relays nothing to
 * a subscriber whose SCTP association has not spoken. Callbacks run in
 * the main context the subscriber was created in.
 */
#ifndef FACET_ROOM_SUBSCRIBER_H
#define FACET_ROOM_SUBSCRIBER_H

#include <gio/gio.h>

#include "room_feed.h"
#include "room_options.h"

typedef struct RoomSubscriber RoomSubscriber;

typedef struct RoomSubscriberCallbacks {
    void (*answer)(RoomSubscriber *subscriber, const gchar *sdp, gpointer data);
    void (*candidate)(RoomSubscriber *subscriber, guint mline_index, const gchar *candidate,
                      gpointer data);
    void (*error)(RoomSubscriber *subscriber, const gchar *message, gpointer data);
} RoomSubscriberCallbacks;

RoomSubscriber *room_subscriber_new(guint64 feed_id, const gchar *display,
                                    const RoomOptions *options,
                                    const RoomSubscriberCallbacks *callbacks, gpointer data,
                                    RoomFeedShow show, gpointer show_data, GError **error);

/* Janus's offer: starts the pipeline and answers through the callback. */
gboolean room_subscriber_set_offer(RoomSubscriber *subscriber, const gchar *sdp,
                                   GError **error);

guint64 room_subscriber_feed_id(const RoomSubscriber *subscriber);
const gchar *room_subscriber_display(const RoomSubscriber *subscriber);
void room_subscriber_counters(RoomSubscriber *subscriber, RoomFeedCounters *out);
/* Keyframe requests (RTCP PLI) sent for this feed. */
guint64 room_subscriber_plis(RoomSubscriber *subscriber);
/* Opus RTP packets received (played nowhere: counted). */
guint64 room_subscriber_audio_packets(RoomSubscriber *subscriber);

void room_subscriber_free(RoomSubscriber *subscriber);

#endif
