/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What facet-room sends: frames from a file or a test source through the
 * Facet latent encoder (libfacet, VP8 base); each frame's VP8 unit goes out
 * as ordinary VP8 WebRTC video (appsrc -> rtpvp8pay picture-id-mode=15-bit
 * -> webrtcbin), each reference fragment as a binary data-channel message
 * (room_message.h) naming the picture id of the frame it came with; Opus
 * audio from a test tone. The current reference is sent again, whole, when
 * a subscriber's PLI reaches the encoder and every --reference-resend
 * seconds: the data channel keeps nothing for late joiners.
 *
 * Signalling is the caller's: the callbacks below run in the main context
 * the publisher was created in.
 */
#ifndef FACET_ROOM_PUBLISHER_H
#define FACET_ROOM_PUBLISHER_H

#include <gio/gio.h>

#include "room_options.h"

typedef struct RoomPublisher RoomPublisher;

typedef struct RoomPublisherCounters {
    guint64 frames_sent;        /* VP8 units pushed to the payloader */
    guint64 keyframes_sent;
    guint64 vp8_bytes_sent;
    guint64 references_begun;   /* references the encoder started */
    guint64 messages_sent;      /* data-channel messages (fragments and stream headers) */
    guint64 message_bytes_sent;
    guint64 messages_unsent;    /* fragments with no open channel to go on */
    guint64 reference_resends;  /* whole re-sends of the current reference (with the header) */
    guint64 keyframe_requests;  /* PLIs (force-key-unit events) that reached us */
    guint64 picture_id_mismatches; /* payloader's id other than ours (should stay 0) */
} RoomPublisherCounters;

typedef struct RoomPublisherCallbacks {
    /* The SDP offer to publish (webrtcbin's local description). */
    void (*offer)(RoomPublisher *publisher, const gchar *sdp, gpointer data);
    /* A local ICE candidate; candidate NULL: gathering is complete. */
    void (*candidate)(RoomPublisher *publisher, guint mline_index, const gchar *candidate,
                      gpointer data);
    /* Something failed for good (a message for the user). */
    void (*error)(RoomPublisher *publisher, const gchar *message, gpointer data);
} RoomPublisherCallbacks;

/* Opens the encoder and builds the pipeline (not started). */
RoomPublisher *room_publisher_new(const RoomOptions *options,
                                  const RoomPublisherCallbacks *callbacks, gpointer data,
                                  GError **error);

/* Starts the media; the offer comes through the callback. */
gboolean room_publisher_start(RoomPublisher *publisher, GError **error);

/* Janus's answer to our offer. */
void room_publisher_set_answer(RoomPublisher *publisher, const gchar *sdp);

void room_publisher_counters(RoomPublisher *publisher, RoomPublisherCounters *out);

/* Stops the pipeline and frees everything. */
void room_publisher_free(RoomPublisher *publisher);

#endif
