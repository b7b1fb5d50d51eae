/* SPDX-License-Identifier: BSD-2-Clause */
/* The VideoRoom conversation: session, publisher handle, one subscriber
 * handle per remote feed. */
#include "room_call.h"

#include <string.h>

#include "room_janus.h"
#include "room_publisher.h"
#include "room_subscriber.h"

#define VIDEOROOM "janus.plugin.videoroom"
/* How long leaving may wait for Janus. */
#define LEAVE_TIMEOUT_SECONDS 3

typedef struct Feed {
    RoomCall *call;
    guint64 id;           /* the publisher's id in the room */
    gchar *display;
    guint64 handle;       /* 0 until attached */
    RoomSubscriber *subscriber;
    gboolean gone;        /* left while we were attaching */
} Feed;

struct RoomCall {
    RoomOptions options;  /* shallow copy: the strings are the caller's */
    RoomCallDisplay display;
    RoomCallEnded ended;
    gpointer data;
    RoomJanus *janus;
    RoomPublisher *publisher;
    guint64 publisher_handle;
    guint64 own_id, private_id;
    gboolean joined, leaving, over;
    GHashTable *feeds;          /* id -> Feed */
    GPtrArray *departed;        /* JsonNode: the counters of feeds that left */
    guint leave_timeout;
    gint64 start_us;
};

static void end_call(RoomCall *call, gboolean failed, const gchar *reason)
{
    if (call->over)
        return;
    call->over = TRUE;
    g_clear_handle_id(&call->leave_timeout, g_source_remove);
    call->ended(call, failed, reason, call->data);
}

static void fail(RoomCall *call, const gchar *what, const GError *error)
{
    gchar *reason = g_strdup_printf("%s: %s", what, error ? error->message : "failed");
    end_call(call, TRUE, reason);
    g_free(reason);
}

/* ---- counters ---------------------------------------------------------- */

static JsonNode *feed_stats(Feed *feed, gboolean active)
{
    RoomFeedCounters c = { 0 };
    guint64 plis = 0, audio = 0;
    if (feed->subscriber) {
        room_subscriber_counters(feed->subscriber, &c);
        plis = room_subscriber_plis(feed->subscriber);
        audio = room_subscriber_audio_packets(feed->subscriber);
    }
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
#define MEMBER(name, value) \
    do { \
        json_builder_set_member_name(b, name); \
        json_builder_add_int_value(b, (gint64)(value)); \
    } while (0)
    MEMBER("feed_id", feed->id);
    json_builder_set_member_name(b, "display");
    json_builder_add_string_value(b, feed->display);
    json_builder_set_member_name(b, "active");
    json_builder_add_boolean_value(b, active);
    MEMBER("frames_received", c.frames_received);
    MEMBER("frames_lost", c.frames_lost);
    MEMBER("frames_expected", c.frames_expected);
    MEMBER("frames_shown", c.frames_shown);
    MEMBER("frames_facet", c.frames_facet);
    MEMBER("frames_with_reference", c.frames_with_reference);
    MEMBER("frames_upscaled", c.frames_upscaled);
    MEMBER("messages_received", c.messages_received);
    MEMBER("messages_rejected", c.messages_rejected);
    MEMBER("fragments_used", c.fragments_used);
    MEMBER("references_whole", c.references_whole);
    MEMBER("keyframe_requests", c.keyframe_requests);
    MEMBER("plis_sent", plis);
    MEMBER("decode_errors", c.decode_errors);
    MEMBER("vp8_bytes", c.vp8_bytes);
    MEMBER("audio_packets", audio);
    json_builder_end_object(b);
    JsonNode *node = json_builder_get_root(b);
    g_object_unref(b);
    return node;
}

JsonNode *room_call_stats(RoomCall *call)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, call->options.name);
    MEMBER("room", call->options.room);
    json_builder_set_member_name(b, "elapsed_s");
    json_builder_add_double_value(b, (g_get_monotonic_time() - call->start_us) / 1e6);
    json_builder_set_member_name(b, "joined");
    json_builder_add_boolean_value(b, call->joined);
    MEMBER("feed_id", call->own_id);
    json_builder_set_member_name(b, "receive_only");
    json_builder_add_boolean_value(b, call->options.receive_only);
    json_builder_set_member_name(b, "publisher");
    json_builder_begin_object(b);
    RoomPublisherCounters p = { 0 };
    if (call->publisher)
        room_publisher_counters(call->publisher, &p);
    MEMBER("frames_sent", p.frames_sent);
    MEMBER("keyframes_sent", p.keyframes_sent);
    MEMBER("vp8_bytes_sent", p.vp8_bytes_sent);
    MEMBER("references_begun", p.references_begun);
    MEMBER("messages_sent", p.messages_sent);
    MEMBER("message_bytes_sent", p.message_bytes_sent);
    MEMBER("messages_unsent", p.messages_unsent);
    MEMBER("reference_resends", p.reference_resends);
    MEMBER("keyframe_requests", p.keyframe_requests);
    MEMBER("picture_id_mismatches", p.picture_id_mismatches);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "feeds");
    json_builder_begin_array(b);
    for (guint i = 0; i < call->departed->len; i++)
        json_builder_add_value(b, json_node_copy(g_ptr_array_index(call->departed, i)));
    GHashTableIter iter;
    gpointer value;
    g_hash_table_iter_init(&iter, call->feeds);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        json_builder_add_value(b, feed_stats(value, TRUE));
    json_builder_end_array(b);
    json_builder_end_object(b);
#undef MEMBER
    JsonNode *node = json_builder_get_root(b);
    g_object_unref(b);
    return node;
}

gchar *room_call_summary(RoomCall *call)
{
    /* From the stats, so that feeds that left are in it too. */
    JsonNode *node = room_call_stats(call);
    JsonObject *stats = json_node_get_object(node);
    JsonObject *p = json_object_get_object_member(stats, "publisher");
    GString *line = g_string_new(NULL);
    if (call->options.receive_only)
        g_string_append(line, "receiving only");
    else
        g_string_append_printf(line, "sent %" G_GINT64_FORMAT " frames, %" G_GINT64_FORMAT
                               " reference messages (%" G_GINT64_FORMAT " re-sends)",
                               json_object_get_int_member(p, "frames_sent"),
                               json_object_get_int_member(p, "messages_sent"),
                               json_object_get_int_member(p, "reference_resends"));
    JsonArray *feeds = json_object_get_array_member(stats, "feeds");
    for (guint i = 0; i < json_array_get_length(feeds); i++) {
        JsonObject *f = json_array_get_object_element(feeds, i);
        g_string_append_printf(line, "; %s%s: %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
                               " shown, %" G_GINT64_FORMAT " with reference",
                               json_object_get_string_member(f, "display"),
                               json_object_get_boolean_member(f, "active") ? "" : " (left)",
                               json_object_get_int_member(f, "frames_shown"),
                               json_object_get_int_member(f, "frames_expected"),
                               json_object_get_int_member(f, "frames_with_reference"));
    }
    json_node_unref(node);
    return g_string_free(line, FALSE);
}

/* ---- subscriptions ------------------------------------------------------ */

static void feed_free(gpointer p)
{
    Feed *feed = p;
    /* The subscriber's threads stop before its tile goes. */
    gboolean shown = feed->subscriber != NULL;
    room_subscriber_free(feed->subscriber);
    if (shown && feed->call->display.remove)
        feed->call->display.remove(feed->id, feed->call->display.data);
    g_free(feed->display);
    g_free(feed);
}

static Feed *feed_of_subscriber(RoomCall *call, RoomSubscriber *subscriber)
{
    return g_hash_table_lookup(call->feeds, &(guint64){ room_subscriber_feed_id(subscriber) });
}

static void on_subscriber_answer(RoomSubscriber *subscriber, const gchar *sdp, gpointer data);
static void on_subscriber_candidate(RoomSubscriber *subscriber, guint mline_index,
                                    const gchar *candidate, gpointer data);
static void on_subscriber_error(RoomSubscriber *subscriber, const gchar *message,
                                gpointer data);

static void drop_feed(RoomCall *call, guint64 id, const gchar *why)
{
    Feed *feed = g_hash_table_lookup(call->feeds, &id);
    if (!feed)
        return;
    g_print("facet-room: %s (feed %" G_GUINT64_FORMAT ") %s\n", feed->display, id, why);
    if (feed->handle && room_janus_has_session(call->janus))
        room_janus_detach(call->janus, feed->handle, NULL, NULL);
    g_ptr_array_add(call->departed, feed_stats(feed, FALSE));
    g_hash_table_remove(call->feeds, &id);
}

static void on_subscribed(RoomJanus *janus, JsonObject *reply, const GError *error,
                          gpointer data)
{
    (void)janus;
    guint64 *key = data; /* freed by the Janus client */
    RoomCall *call = *(RoomCall **)(key + 1);
    Feed *feed = g_hash_table_lookup(call->feeds, key);
    guint64 id = key[0];
    if (!feed || !feed->subscriber)
        return;
    JsonObject *jsep = reply ? room_janus_jsep(reply) : NULL;
    const gchar *sdp = jsep ? json_object_get_string_member_with_default(jsep, "sdp", NULL) : NULL;
    if (!sdp) {
        g_printerr("facet-room: subscribing to %s failed: %s\n", feed->display,
                   error ? error->message : "Janus's answer has no offer");
        drop_feed(call, id, "could not be subscribed to");
        return;
    }
    GError *own = NULL;
    if (!room_subscriber_set_offer(feed->subscriber, sdp, &own)) {
        g_printerr("facet-room: %s\n", own->message);
        g_error_free(own);
        drop_feed(call, id, "could not be received");
    }
}

/* A key that finds the feed again later (it may be gone by then). */
static guint64 *feed_key(RoomCall *call, guint64 id)
{
    guint64 *key = g_malloc(sizeof(guint64) + sizeof(RoomCall *));
    key[0] = id;
    *(RoomCall **)(key + 1) = call;
    return key;
}

static void on_subscriber_attached(RoomJanus *janus, JsonObject *reply, const GError *error,
                                   gpointer data)
{
    guint64 *key = data;
    RoomCall *call = *(RoomCall **)(key + 1);
    Feed *feed = g_hash_table_lookup(call->feeds, key);
    guint64 handle = reply ? room_janus_reply_id(reply) : 0;
    if (!feed) {
        /* Left while we attached. */
        if (handle)
            room_janus_detach(janus, handle, NULL, NULL);
        return;
    }
    if (!handle) {
        g_printerr("facet-room: attaching for %s failed: %s\n", feed->display,
                   error ? error->message : "no handle id");
        drop_feed(call, key[0], "could not be subscribed to");
        return;
    }
    feed->handle = handle;
    JsonObject *body = json_object_new();
    json_object_set_string_member(body, "request", "join");
    json_object_set_string_member(body, "ptype", "subscriber");
    json_object_set_int_member(body, "room", (gint64)call->options.room);
    if (call->private_id)
        json_object_set_int_member(body, "private_id", (gint64)call->private_id);
    JsonArray *streams = json_array_new();
    JsonObject *stream = json_object_new();
    json_object_set_int_member(stream, "feed", (gint64)feed->id);
    json_array_add_object_element(streams, stream);
    json_object_set_array_member(body, "streams", streams);
    room_janus_message(janus, handle, body, NULL, on_subscribed, feed_key(call, feed->id),
                       g_free);
}

static void subscribe(RoomCall *call, guint64 id, const gchar *display)
{
    if (id == 0 || id == call->own_id || g_hash_table_contains(call->feeds, &id) ||
        call->leaving)
        return;
    Feed *feed = g_new0(Feed, 1);
    feed->call = call;
    feed->id = id;
    feed->display = g_strdup(display && *display ? display : "(unnamed)");
    RoomSubscriberCallbacks callbacks = {
        .answer = on_subscriber_answer,
        .candidate = on_subscriber_candidate,
        .error = on_subscriber_error,
    };
    RoomFeedShow show = NULL;
    gpointer show_data = NULL;
    if (call->display.add)
        show = call->display.add(id, feed->display, call->display.data, &show_data);
    GError *error = NULL;
    feed->subscriber = room_subscriber_new(id, feed->display, &call->options, &callbacks, call,
                                           show, show_data, &error);
    guint64 *key = g_memdup2(&id, sizeof(id));
    g_hash_table_insert(call->feeds, key, feed);
    if (!feed->subscriber) {
        g_printerr("facet-room: %s\n", error->message);
        g_error_free(error);
        drop_feed(call, id, "could not be received");
        return;
    }
    g_print("facet-room: subscribing to %s (feed %" G_GUINT64_FORMAT ")\n", feed->display, id);
    room_janus_attach(call->janus, VIDEOROOM, on_subscriber_attached, feed_key(call, id),
                      g_free);
}

/* A "publishers" list: subscribe to each we do not have. */
static void subscribe_all(RoomCall *call, JsonObject *data)
{
    if (!data || !json_object_has_member(data, "publishers"))
        return;
    JsonNode *node = json_object_get_member(data, "publishers");
    if (!JSON_NODE_HOLDS_ARRAY(node))
        return;
    JsonArray *publishers = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(publishers); i++) {
        JsonNode *item = json_array_get_element(publishers, i);
        if (!JSON_NODE_HOLDS_OBJECT(item))
            continue;
        JsonObject *publisher = json_node_get_object(item);
        subscribe(call, room_janus_get_id(publisher, "id"),
                  json_object_get_string_member_with_default(publisher, "display", NULL));
    }
}

static void on_started(RoomJanus *janus, JsonObject *reply, const GError *error,
                       gpointer data)
{
    (void)janus;
    (void)reply;
    guint64 *key = data;
    RoomCall *call = *(RoomCall **)(key + 1);
    if (error && g_hash_table_contains(call->feeds, key)) {
        g_printerr("facet-room: starting feed %" G_GUINT64_FORMAT " failed: %s\n", key[0],
                   error->message);
        drop_feed(call, key[0], "could not be started");
    }
}

static void on_subscriber_answer(RoomSubscriber *subscriber, const gchar *sdp, gpointer data)
{
    RoomCall *call = data;
    Feed *feed = feed_of_subscriber(call, subscriber);
    if (!feed || !feed->handle)
        return;
    JsonObject *body = json_object_new();
    json_object_set_string_member(body, "request", "start");
    json_object_set_int_member(body, "room", (gint64)call->options.room);
    JsonObject *jsep = json_object_new();
    json_object_set_string_member(jsep, "type", "answer");
    json_object_set_string_member(jsep, "sdp", sdp);
    room_janus_message(call->janus, feed->handle, body, jsep, on_started,
                       feed_key(call, feed->id), g_free);
}

static void on_subscriber_candidate(RoomSubscriber *subscriber, guint mline_index,
                                    const gchar *candidate, gpointer data)
{
    RoomCall *call = data;
    Feed *feed = feed_of_subscriber(call, subscriber);
    if (feed && feed->handle && !call->leaving)
        room_janus_trickle(call->janus, feed->handle, mline_index, candidate);
}

static void on_subscriber_error(RoomSubscriber *subscriber, const gchar *message, gpointer data)
{
    RoomCall *call = data;
    Feed *feed = feed_of_subscriber(call, subscriber);
    g_printerr("facet-room: receiving %s: %s\n", feed ? feed->display : "?", message);
    if (feed)
        drop_feed(call, feed->id, "failed");
}

/* ---- publishing ------------------------------------------------------------ */

static void on_published(RoomJanus *janus, JsonObject *reply, const GError *error,
                         gpointer data)
{
    (void)janus;
    RoomCall *call = data;
    JsonObject *jsep = reply ? room_janus_jsep(reply) : NULL;
    const gchar *sdp = jsep ? json_object_get_string_member_with_default(jsep, "sdp", NULL) : NULL;
    if (!sdp) {
        GError *own = error ? NULL : g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED,
                                                         "Janus's answer has no SDP");
        fail(call, "publishing failed", error ? error : own);
        g_clear_error(&own);
        return;
    }
    room_publisher_set_answer(call->publisher, sdp);
    g_print("facet-room: publishing as %s (feed %" G_GUINT64_FORMAT ")\n", call->options.name,
            call->own_id);
}

static void on_offer(RoomPublisher *publisher, const gchar *sdp, gpointer data)
{
    (void)publisher;
    RoomCall *call = data;
    if (call->leaving)
        return;
    JsonObject *body = json_object_new();
    json_object_set_string_member(body, "request", "publish");
    json_object_set_string_member(body, "display", call->options.name);
    JsonObject *jsep = json_object_new();
    json_object_set_string_member(jsep, "type", "offer");
    json_object_set_string_member(jsep, "sdp", sdp);
    room_janus_message(call->janus, call->publisher_handle, body, jsep, on_published, call,
                       NULL);
}

static void on_publisher_candidate(RoomPublisher *publisher, guint mline_index,
                                   const gchar *candidate, gpointer data)
{
    (void)publisher;
    RoomCall *call = data;
    if (!call->leaving)
        room_janus_trickle(call->janus, call->publisher_handle, mline_index, candidate);
}

static void on_publisher_error(RoomPublisher *publisher, const gchar *message, gpointer data)
{
    (void)publisher;
    RoomCall *call = data;
    GError *error = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, message);
    fail(call, "sending", error);
    g_error_free(error);
}

static void on_joined(RoomJanus *janus, JsonObject *reply, const GError *error, gpointer data)
{
    (void)janus;
    RoomCall *call = data;
    JsonObject *d = reply ? room_janus_plugin_data(reply) : NULL;
    if (!d || g_strcmp0(json_object_get_string_member_with_default(d, "videoroom", ""),
                        "joined") != 0) {
        GError *own = error ? NULL : g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED,
                                                         "Janus did not say \"joined\"");
        fail(call, "joining the room", error ? error : own);
        g_clear_error(&own);
        return;
    }
    call->joined = TRUE;
    call->own_id = room_janus_get_id(d, "id");
    call->private_id = room_janus_get_id(d, "private_id");
    g_print("facet-room: joined room %" G_GUINT64_FORMAT " as %s\n", call->options.room,
            call->options.name);
    subscribe_all(call, d);
    /* --receive-only: a participant that never publishes. Janus lists it
     * to no one as a feed (only notify_joining tells of it) and sends the
     * same "publishers" events to its handle as to a publisher's. */
    if (call->options.receive_only) {
        g_print("facet-room: receiving only, publishing nothing\n");
        return;
    }
    RoomPublisherCallbacks callbacks = {
        .offer = on_offer,
        .candidate = on_publisher_candidate,
        .error = on_publisher_error,
    };
    GError *own = NULL;
    call->publisher = room_publisher_new(&call->options, &callbacks, call, &own);
    if (!call->publisher || !room_publisher_start(call->publisher, &own)) {
        fail(call, "starting to send", own);
        g_clear_error(&own);
    }
}

static void on_publisher_attached(RoomJanus *janus, JsonObject *reply, const GError *error,
                                  gpointer data)
{
    RoomCall *call = data;
    call->publisher_handle = reply ? room_janus_reply_id(reply) : 0;
    if (!call->publisher_handle) {
        fail(call, "attaching to the VideoRoom plugin", error);
        return;
    }
    JsonObject *body = json_object_new();
    json_object_set_string_member(body, "request", "join");
    json_object_set_string_member(body, "ptype", "publisher");
    json_object_set_int_member(body, "room", (gint64)call->options.room);
    json_object_set_string_member(body, "display", call->options.name);
    room_janus_message(janus, call->publisher_handle, body, NULL, on_joined, call, NULL);
}

static void on_session(RoomJanus *janus, JsonObject *reply, const GError *error, gpointer data)
{
    RoomCall *call = data;
    if (!reply) {
        fail(call, "creating a Janus session", error);
        return;
    }
    room_janus_attach(janus, VIDEOROOM, on_publisher_attached, call, NULL);
}

/* ---- Janus's own events --------------------------------------------------- */

static void on_event(RoomJanus *janus, guint64 sender, JsonObject *event, gpointer data)
{
    (void)janus;
    RoomCall *call = data;
    const gchar *kind = json_object_get_string_member_with_default(event, "janus", "");
    if (sender == call->publisher_handle && strcmp(kind, "event") == 0) {
        JsonObject *d = room_janus_plugin_data(event);
        if (!d)
            return;
        subscribe_all(call, d);
        guint64 gone = room_janus_get_id(d, "unpublished");
        if (gone)
            drop_feed(call, gone, "stopped publishing");
        gone = room_janus_get_id(d, "leaving");
        if (gone)
            drop_feed(call, gone, "left");
    } else if (strcmp(kind, "webrtcup") == 0 && sender == call->publisher_handle) {
        g_print("facet-room: our media reach Janus\n");
    } else if (strcmp(kind, "hangup") == 0) {
        const gchar *reason = json_object_get_string_member_with_default(event, "reason", "?");
        if (sender == call->publisher_handle && !call->leaving) {
            GError *error = g_error_new(G_IO_ERROR, G_IO_ERROR_FAILED, "Janus hung up: %s",
                                        reason);
            fail(call, "sending", error);
            g_error_free(error);
        }
    }
}

static void on_lost(RoomJanus *janus, const GError *error, gpointer data)
{
    (void)janus;
    RoomCall *call = data;
    fail(call, "the Janus session was lost", error);
}

/* ---- life ------------------------------------------------------------------ */

RoomCall *room_call_new(const RoomOptions *options, const RoomCallDisplay *display,
                        RoomCallEnded ended, gpointer data, GError **error)
{
    RoomCall *call = g_new0(RoomCall, 1);
    call->options = *options;
    if (display)
        call->display = *display;
    call->ended = ended;
    call->data = data;
    call->start_us = g_get_monotonic_time();
    call->feeds = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, feed_free);
    call->departed = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
    call->janus = room_janus_new(options->janus_url, on_event, on_lost, call, error);
    if (!call->janus) {
        room_call_free(call);
        return NULL;
    }
    return call;
}

void room_call_start(RoomCall *call)
{
    room_janus_create_session(call->janus, on_session, call);
}

static void on_destroyed(RoomJanus *janus, JsonObject *reply, const GError *error,
                         gpointer data)
{
    (void)janus;
    (void)reply;
    RoomCall *call = data;
    if (error)
        g_printerr("facet-room: Janus did not destroy the session: %s\n", error->message);
    end_call(call, FALSE, "left the room");
}

static void on_left(RoomJanus *janus, JsonObject *reply, const GError *error, gpointer data)
{
    (void)reply;
    (void)error;
    room_janus_destroy(janus, on_destroyed, data);
}

static gboolean on_leave_timeout(gpointer data)
{
    RoomCall *call = data;
    call->leave_timeout = 0;
    g_printerr("facet-room: Janus did not answer within %d s; leaving anyway\n",
               LEAVE_TIMEOUT_SECONDS);
    end_call(call, FALSE, "left the room (Janus did not answer)");
    return G_SOURCE_REMOVE;
}

void room_call_leave(RoomCall *call)
{
    if (call->leaving || call->over)
        return;
    call->leaving = TRUE;
    call->leave_timeout = g_timeout_add_seconds(LEAVE_TIMEOUT_SECONDS, on_leave_timeout, call);
    if (!room_janus_has_session(call->janus)) {
        end_call(call, FALSE, "left before joining");
        return;
    }
    if (call->publisher_handle && call->joined) {
        JsonObject *body = json_object_new();
        json_object_set_string_member(body, "request", "leave");
        room_janus_message(call->janus, call->publisher_handle, body, NULL, on_left, call, NULL);
    } else {
        room_janus_destroy(call->janus, on_destroyed, call);
    }
}

void room_call_free(RoomCall *call)
{
    if (!call)
        return;
    g_clear_handle_id(&call->leave_timeout, g_source_remove);
    /* Janus first: no reply may reach a half-freed call. */
    room_janus_free(call->janus);
    g_hash_table_unref(call->feeds);
    room_publisher_free(call->publisher);
    g_ptr_array_unref(call->departed);
    g_free(call);
}
