/* SPDX-License-Identifier: BSD-2-Clause */
/* A feed's VP8 frames and reference messages into a Facet decoder. */
#include "room_feed.h"

#include <string.h>

#include "room_fallback.h"
#include "room_message.h"
#include "room_vp8.h"

/* References waiting for their frame: a reference is a few dozen
 * fragments; more than this waiting means they will never apply. */
#define MAX_PENDING_FRAGMENTS 512
/* How often a feed without a stream header asks for one. */
#define HEADER_REQUEST_INTERVAL_US (5 * G_USEC_PER_SEC)

typedef struct PendingFragment {
    guint16 picture_id;
    GBytes *packet;
} PendingFragment;

struct RoomFeed {
    GMutex lock;
    gchar *name;
    FacetDecoder *decoder;
    RoomFallback *fallback;
    RoomFeedShow show;
    gpointer show_data;
    int width, height;

    RoomPictureIdUnwrap unwrap;
    gint64 first_picture;
    gboolean has_frames;
    guint16 last_picture_id;

    guint8 header[ROOM_MESSAGE_MAX_HEADER_SIZE];
    gsize header_size;          /* 0: no stream header yet */
    gint64 header_asked_us;     /* when we last asked for it (a keyframe request) */
    gboolean stream_ready;      /* the decoder took a keyframe: it has a stream */
    gboolean chain;             /* the next frame may follow the last one */
    guint32 keyframes;          /* keyframe ids of our own numbering */

    GQueue pending;             /* PendingFragment, oldest first */
    gboolean has_reference;
    gboolean assembling;
    guint16 assembling_id;
    int assembling_count;
    guint8 received[256];
    int received_count;
    guint16 reference_id;

    RoomFeedCounters counters;
    /* A copy for readers, under a lock of its own: the main loop reads the
     * counters every second and must not wait for a frame to decode. */
    GMutex published_lock;
    RoomFeedCounters published;
    gboolean said_error;        /* one message per kind of trouble is enough */
    gboolean said_rejected;
};

static void log_to_stderr(void *opaque, const char *message)
{
    RoomFeed *feed = opaque;
    g_printerr("facet-room: feed %s: %s\n", feed->name, message);
}

RoomFeed *room_feed_new(const gchar *name, const gchar *model, int width, int height,
                        RoomFeedShow show, gpointer show_data, GError **error)
{
    RoomFeed *feed = g_new0(RoomFeed, 1);
    g_mutex_init(&feed->lock);
    g_mutex_init(&feed->published_lock);
    g_queue_init(&feed->pending);
    feed->name = g_strdup(name);
    feed->show = show;
    feed->show_data = show_data;
    feed->width = width;
    feed->height = height;
    FacetDecoderSettings settings;
    facet_decoder_default_settings(&settings);
    settings.latent_model_path = model;
    /* Several feeds share the machine: one thread each. */
    settings.threads = 1;
    settings.log_callback = log_to_stderr;
    settings.log_opaque = feed;
    int ret = facet_decoder_open(&feed->decoder, &settings);
    if (ret < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "feed %s: the Facet decoder did not "
                    "open: %s", name, facet_strerror(ret));
        room_feed_free(feed);
        return NULL;
    }
    feed->fallback = room_fallback_new(error);
    if (!feed->fallback) {
        room_feed_free(feed);
        return NULL;
    }
    return feed;
}

static void pending_fragment_free(gpointer p)
{
    PendingFragment *fragment = p;
    g_bytes_unref(fragment->packet);
    g_free(fragment);
}

void room_feed_free(RoomFeed *feed)
{
    if (!feed)
        return;
    facet_decoder_close(&feed->decoder);
    room_fallback_free(feed->fallback);
    g_queue_clear_full(&feed->pending, pending_fragment_free);
    g_mutex_clear(&feed->lock);
    g_mutex_clear(&feed->published_lock);
    g_free(feed->name);
    g_free(feed);
}

/* Copies the counters for readers (feed->lock held). */
static void publish_counters(RoomFeed *feed)
{
    g_mutex_lock(&feed->published_lock);
    feed->published = feed->counters;
    g_mutex_unlock(&feed->published_lock);
}

/* Keeps track of which fragments of which reference the decoder took, to
 * know when it has a whole one (it says nothing itself). */
static void note_fragment(RoomFeed *feed, const guint8 *packet, gsize size)
{
    FacetPacketInfo info = { .struct_size = sizeof(info) };
    if (facet_packet_peek(packet, size, &info) < 0 || info.fragment_count <= 0)
        return;
    guint16 id = (guint16)info.reference_id;
    if (feed->has_reference && id == feed->reference_id)
        return;
    if (!feed->assembling || id != feed->assembling_id ||
        info.fragment_count != feed->assembling_count) {
        feed->assembling = TRUE;
        feed->assembling_id = id;
        feed->assembling_count = info.fragment_count;
        feed->received_count = 0;
        memset(feed->received, 0, sizeof(feed->received));
    }
    if (feed->received[info.fragment_index])
        return;
    feed->received[info.fragment_index] = 1;
    if (++feed->received_count == feed->assembling_count) {
        feed->assembling = FALSE;
        feed->has_reference = TRUE;
        feed->reference_id = id;
        feed->counters.references_whole++;
    }
}

/* Hands the decoder every held fragment whose frame has arrived. */
static void hand_references(RoomFeed *feed)
{
    if (!feed->stream_ready || !feed->has_frames)
        return;
    GList *link = feed->pending.head;
    while (link) {
        GList *next = link->next;
        PendingFragment *fragment = link->data;
        if (room_picture_id_distance(fragment->picture_id, feed->last_picture_id) >= 0) {
            gsize size = 0;
            const guint8 *data = g_bytes_get_data(fragment->packet, &size);
            FacetPacket packet = { .data = (uint8_t *)data, .size = size };
            int ret = facet_decoder_send_packet(feed->decoder, &packet);
            if (ret == 0) {
                feed->counters.fragments_used++;
                note_fragment(feed, data, size);
            } else {
                feed->counters.decode_errors++;
                g_printerr("facet-room: feed %s: a reference fragment was refused: %s\n",
                           feed->name, facet_strerror(ret));
            }
            g_queue_delete_link(&feed->pending, link);
            pending_fragment_free(fragment);
        }
        link = next;
    }
}

/* Sends one wrapped VP8 frame to the decoder; TRUE when it showed one. */
static gboolean decode_facet(RoomFeed *feed, const guint8 *frame, gsize size, gint64 number,
                             gboolean keyframe, gboolean *want_keyframe)
{
    if (!keyframe && !feed->chain) {
        *want_keyframe = TRUE;
        return FALSE;
    }
    FacetPacket packet = { 0 };
    /* Counted here (the sender's count is not sent), 16 bits as coded. */
    if (keyframe)
        feed->keyframes = (feed->keyframes + 1) & 0xffff;
    guint32 keyframe_id = feed->keyframes;
    int ret = facet_packet_wrap_base_unit(feed->header, feed->header_size, keyframe,
                                          (guint32)number, keyframe_id, frame, size, &packet);
    if (ret == 0) {
        ret = facet_decoder_send_packet(feed->decoder, &packet);
        facet_packet_unref(&packet);
    }
    if (ret == FACET_ERR(EALREADY))
        return FALSE; /* a late duplicate: the chain is intact */
    if (ret < 0) {
        feed->chain = FALSE;
        *want_keyframe = TRUE;
        if (ret != FACET_ERR(EPIPE)) {
            feed->counters.decode_errors++;
            if (!feed->said_error)
                g_printerr("facet-room: feed %s: frame %" G_GINT64_FORMAT " did not decode: %s\n",
                           feed->name, number, facet_strerror(ret));
            feed->said_error = TRUE;
        }
        return FALSE;
    }
    feed->chain = TRUE;
    if (keyframe)
        feed->stream_ready = TRUE;
    FacetPicture picture = { 0 };
    if (facet_decoder_receive_frame(feed->decoder, &picture) < 0)
        return FALSE;
    feed->counters.frames_facet++;
    if (feed->has_reference)
        feed->counters.frames_with_reference++;
    if (feed->show)
        feed->show(&picture, feed->show_data);
    facet_picture_unref(&picture);
    return TRUE;
}

gboolean room_feed_frame(RoomFeed *feed, const guint8 *frame, gsize size, guint16 picture_id,
                         gboolean lost_before)
{
    gboolean want_keyframe = FALSE;
    g_mutex_lock(&feed->lock);
    RoomFeedCounters *c = &feed->counters;
    c->frames_received++;
    c->vp8_bytes += size;
    if (lost_before) {
        c->frames_lost++;
        feed->chain = FALSE;
    }
    gint64 number = room_picture_id_unwrap(&feed->unwrap, picture_id);
    if (!feed->has_frames) {
        feed->has_frames = TRUE;
        feed->first_picture = number;
    }
    if (number >= feed->unwrap.last) {
        feed->last_picture_id = picture_id & 0x7fff;
        c->frames_expected = (guint64)(feed->unwrap.last - feed->first_picture + 1);
    }
    gboolean keyframe = room_vp8_is_keyframe(frame, size);
    gboolean upscale_ready = room_fallback_decode(feed->fallback, frame, size);
    gboolean shown = FALSE;
    if (feed->header_size > 0) {
        shown = decode_facet(feed, frame, size, number, keyframe, &want_keyframe);
    } else {
        /* A keyframe request makes the sender re-send its reference (and
         * the header with it), but costs a keyframe of everyone's budget,
         * and a sender with no reference yet has nothing to re-send: ask
         * now and then, not once a second. */
        gint64 now = g_get_monotonic_time();
        if (!feed->header_asked_us || now - feed->header_asked_us >= HEADER_REQUEST_INTERVAL_US) {
            feed->header_asked_us = now;
            want_keyframe = TRUE;
        }
    }
    hand_references(feed);
    if (!shown && upscale_ready) {
        shown = TRUE;
        c->frames_upscaled++;
        FacetPicture picture = { 0 };
        if (feed->show && room_fallback_upscale(feed->fallback, feed->width, feed->height,
                                                &picture)) {
            feed->show(&picture, feed->show_data);
            facet_picture_unref(&picture);
        }
    }
    if (shown)
        c->frames_shown++;
    if (want_keyframe)
        c->keyframe_requests++;
    publish_counters(feed);
    g_mutex_unlock(&feed->lock);
    return want_keyframe;
}

void room_feed_message(RoomFeed *feed, const guint8 *data, gsize size)
{
    RoomMessage message;
    GError *error = NULL;
    g_mutex_lock(&feed->lock);
    if (!room_message_parse(data, size, &message, &error)) {
        feed->counters.messages_rejected++;
        if (!feed->said_rejected)
            g_printerr("facet-room: feed %s: a data-channel message was dropped: %s\n",
                       feed->name, error->message);
        feed->said_rejected = TRUE;
        g_error_free(error);
        publish_counters(feed);
        g_mutex_unlock(&feed->lock);
        return;
    }
    feed->counters.messages_received++;
    /* The header of the sender's latest stream: a keyframe after it is
     * wrapped with it. */
    memcpy(feed->header, message.stream_header, message.stream_header_size);
    feed->header_size = message.stream_header_size;
    if (message.kind != ROOM_MESSAGE_KIND_REFERENCE) {
        publish_counters(feed);
        g_mutex_unlock(&feed->lock);
        return;
    }
    if (g_queue_get_length(&feed->pending) >= MAX_PENDING_FRAGMENTS)
        pending_fragment_free(g_queue_pop_head(&feed->pending));
    PendingFragment *fragment = g_new0(PendingFragment, 1);
    fragment->picture_id = message.picture_id;
    fragment->packet = g_bytes_new(message.packet, message.packet_size);
    g_queue_push_tail(&feed->pending, fragment);
    hand_references(feed);
    publish_counters(feed);
    g_mutex_unlock(&feed->lock);
}

gboolean room_feed_has_header(RoomFeed *feed)
{
    g_mutex_lock(&feed->lock);
    gboolean has = feed->header_size > 0;
    g_mutex_unlock(&feed->lock);
    return has;
}

void room_feed_counters(RoomFeed *feed, RoomFeedCounters *out)
{
    g_mutex_lock(&feed->published_lock);
    *out = feed->published;
    g_mutex_unlock(&feed->published_lock);
}
