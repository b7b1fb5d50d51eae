/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A client of Janus's JSON API over HTTP (libsoup + json-glib): one
 * session, requests matched to their answers by transaction, a long-poll
 * GET loop for the session's events and a keepalive every 25 s. Runs in
 * the thread-default main context it was created in; every callback comes
 * from there.
 */
#ifndef FACET_ROOM_JANUS_H
#define FACET_ROOM_JANUS_H

#include <gio/gio.h>
#include <json-glib/json-glib.h>

typedef struct RoomJanus RoomJanus;

/* The answer to one request: `reply` is Janus's message ("success", or the
 * plugin's "event" for an asynchronous plugin request: its plugindata.data
 * and jsep are in there), NULL when `error` says why there is none (HTTP,
 * a Janus error, or the plugin's "error_code"). Neither outlives the call. */
typedef void (*RoomJanusReply)(RoomJanus *janus, JsonObject *reply, const GError *error,
                               gpointer data);

/* An event that answers no request of ours (a plugin event, "webrtcup",
 * "media", "hangup", "detached"...), from handle `sender`. */
typedef void (*RoomJanusEvent)(RoomJanus *janus, guint64 sender, JsonObject *event,
                               gpointer data);

/* The session is gone (Janus unreachable for long, or it timed the session
 * out): nothing more will come. */
typedef void (*RoomJanusLost)(RoomJanus *janus, const GError *error, gpointer data);

/* Checks the URL (http or https, with a host) and prepares a client; no
 * request is made yet. NULL with *error when the URL is not usable. */
RoomJanus *room_janus_new(const gchar *url, RoomJanusEvent on_event, RoomJanusLost on_lost,
                          gpointer data, GError **error);

/* Creates the session; on success the long-poll loop and the keepalives
 * start. */
void room_janus_create_session(RoomJanus *janus, RoomJanusReply reply, gpointer data);

/* Attaches a plugin; the handle id is reply's data.id
 * (room_janus_reply_id()). destroy (may be NULL) frees data after the
 * reply, or when the client is freed first and no reply will come. */
void room_janus_attach(RoomJanus *janus, const gchar *plugin, RoomJanusReply reply,
                       gpointer data, GDestroyNotify destroy);

/* Sends a plugin message on a handle. `body` and `jsep` (may be NULL) are
 * taken. The reply is the plugin's event for this transaction; destroy as
 * for room_janus_attach(). */
void room_janus_message(RoomJanus *janus, guint64 handle, JsonObject *body, JsonObject *jsep,
                        RoomJanusReply reply, gpointer data, GDestroyNotify destroy);

/* Trickles one ICE candidate (mline index and candidate line), or with
 * candidate NULL the end of gathering ("completed"). */
void room_janus_trickle(RoomJanus *janus, guint64 handle, guint mline_index,
                        const gchar *candidate);

void room_janus_detach(RoomJanus *janus, guint64 handle, RoomJanusReply reply, gpointer data);

/* Destroys the session (stops the long poll and the keepalives); the reply
 * comes once Janus answered or the request failed. */
void room_janus_destroy(RoomJanus *janus, RoomJanusReply reply, gpointer data);

gboolean room_janus_has_session(const RoomJanus *janus);

/* Cancels everything pending (no callback runs afterwards) and frees. */
void room_janus_free(RoomJanus *janus);

/* reply's data.id (attach, create), 0 when absent. */
guint64 room_janus_reply_id(JsonObject *reply);

/* An event's plugindata.data object, or NULL. */
JsonObject *room_janus_plugin_data(JsonObject *event);

/* An event's jsep object, or NULL. */
JsonObject *room_janus_jsep(JsonObject *event);

/* A member as an unsigned id: a JSON integer > 0, else 0. */
guint64 room_janus_get_id(JsonObject *object, const gchar *member);

#define ROOM_JANUS_ERROR (room_janus_error_quark())
GQuark room_janus_error_quark(void);

typedef enum RoomJanusError {
    ROOM_JANUS_ERROR_HTTP,     /* no answer, or not HTTP 200 */
    ROOM_JANUS_ERROR_PROTOCOL, /* an answer that is not what Janus sends */
    ROOM_JANUS_ERROR_JANUS,    /* Janus's own "error" */
    ROOM_JANUS_ERROR_PLUGIN,   /* the plugin's error_code */
} RoomJanusError;

#endif
