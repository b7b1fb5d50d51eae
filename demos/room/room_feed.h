/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One remote participant's video as a subscriber receives it: VP8 frames
 * (numbered by their RTP picture id) and reference messages (from the data
 * channel) become Facet latent packets for a Facet decoder
 * (facet_packet_wrap_base_unit()); each reference is held until the frame
 * it names has arrived. Until the stream header and a keyframe are there,
 * and whenever the chain is broken, the frame is shown as the plain
 * upscale of the VP8 picture (room_fallback.h). Frames and messages come
 * from different streaming threads: every call locks.
 */
#ifndef FACET_ROOM_FEED_H
#define FACET_ROOM_FEED_H

#include <gio/gio.h>

#include <facet/facet.h>

typedef struct RoomFeedCounters {
    guint64 frames_received;       /* whole VP8 frames */
    guint64 frames_lost;           /* frames given up for a missing packet */
    guint64 frames_expected;       /* picture ids from the first to the newest frame */
    guint64 frames_shown;          /* every frame shown, either way */
    guint64 frames_facet;          /* ... rendered by the Facet decoder */
    guint64 frames_with_reference; /* ... with a whole reference */
    guint64 frames_upscaled;       /* ... shown as the plain upscale */
    guint64 messages_received;     /* reference messages of ours */
    guint64 messages_rejected;     /* data-channel messages that failed validation */
    guint64 fragments_used;        /* reference fragments the decoder took */
    guint64 references_whole;      /* references the decoder got whole */
    guint64 keyframe_requests;     /* times this feed asked for a keyframe */
    guint64 decode_errors;
    guint64 vp8_bytes;
} RoomFeedCounters;

typedef struct RoomFeed RoomFeed;

/* A picture to show (borrowed for the call). */
typedef void (*RoomFeedShow)(const FacetPicture *picture, gpointer data);

/* model: the latent model file (NULL: the library's default). The plain
 * upscale is made at width x height when `show` is given. */
RoomFeed *room_feed_new(const gchar *name, const gchar *model, int width, int height,
                        RoomFeedShow show, gpointer show_data, GError **error);

/* One whole VP8 frame with its picture id; lost_before: frames were lost
 * just before it. Returns TRUE when the sender should be asked for a
 * keyframe (the caller limits how often it asks). */
gboolean room_feed_frame(RoomFeed *feed, const guint8 *frame, gsize size, guint16 picture_id,
                         gboolean lost_before);

/* One data-channel message (validated here; others are counted and
 * dropped). */
void room_feed_message(RoomFeed *feed, const guint8 *data, gsize size);

void room_feed_counters(RoomFeed *feed, RoomFeedCounters *out);

/* Whether a stream header has arrived (the feed can use the network). */
gboolean room_feed_has_header(RoomFeed *feed);

void room_feed_free(RoomFeed *feed);

#endif
