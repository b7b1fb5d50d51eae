/* SPDX-License-Identifier: BSD-2-Clause */
/* Janus's HTTP API: requests, transactions, the long poll, keepalives. */
#include "room_janus.h"

#include <string.h>

#include <libsoup/soup.h>

/* Janus ends a session after 60 s without a request (session_timeout);
 * its own demos send a keepalive every 25 s. */
#define KEEPALIVE_SECONDS 25
/* Janus holds a long poll for up to 30 s before answering "keepalive". */
#define HTTP_TIMEOUT_SECONDS 45
/* Consecutive failed polls before the session counts as lost. */
#define MAX_POLL_FAILURES 5
#define MAX_EVENTS_PER_POLL 10
/* An answer larger than this is not Janus's (SDP offers are a few KiB). */
#define MAX_ANSWER_BYTES (1024 * 1024)

G_DEFINE_QUARK(facet-room-janus-error-quark, room_janus_error)

typedef struct Pending {
    RoomJanusReply reply;
    gpointer data;
    GDestroyNotify destroy;   /* of data, after the reply or when none will come */
    /* A plugin message: Janus acks the POST and answers in an event. */
    gboolean answered_by_event;
} Pending;

struct RoomJanus {
    SoupSession *http;
    gchar *url;
    guint64 session_id;
    GHashTable *pending;      /* transaction -> Pending */
    GCancellable *cancellable; /* every request */
    GCancellable *poll_cancellable;
    guint keepalive_source;
    guint retry_source;
    guint poll_failures;
    guint in_flight;          /* requests whose callback has not run */
    gboolean polling;
    RoomJanusEvent on_event;
    RoomJanusLost on_lost;
    gpointer data;
};

typedef struct Call {
    RoomJanus *janus;
    SoupMessage *message;
    gchar *transaction;       /* NULL for the long poll */
} Call;

static void poll_once(RoomJanus *janus);

static void pending_free(gpointer p)
{
    Pending *pending = p;
    if (pending->destroy)
        pending->destroy(pending->data);
    g_free(pending);
}

RoomJanus *room_janus_new(const gchar *url, RoomJanusEvent on_event, RoomJanusLost on_lost,
                          gpointer data, GError **error)
{
    GUri *uri = g_uri_parse(url, SOUP_HTTP_URI_FLAGS, error);
    if (!uri)
        return NULL;
    const gchar *scheme = g_uri_get_scheme(uri);
    gboolean ok = (g_strcmp0(scheme, "http") == 0 || g_strcmp0(scheme, "https") == 0) &&
                  g_uri_get_host(uri) && *g_uri_get_host(uri) && !g_uri_get_query(uri);
    g_uri_unref(uri);
    if (!ok) {
        g_set_error(error, G_URI_ERROR, G_URI_ERROR_FAILED,
                    "'%s' is not an http:// or https:// URL of Janus's API "
                    "(e.g. http://10.77.0.1:8088/janus)", url);
        return NULL;
    }
    RoomJanus *janus = g_new0(RoomJanus, 1);
    janus->http = soup_session_new_with_options("timeout", HTTP_TIMEOUT_SECONDS,
                                                "user-agent", "facet-room", NULL);
    janus->url = g_strdup(url);
    /* Without a trailing slash: session and handle paths are appended. */
    while (g_str_has_suffix(janus->url, "/") && strlen(janus->url) > 1)
        janus->url[strlen(janus->url) - 1] = '\0';
    janus->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, pending_free);
    janus->cancellable = g_cancellable_new();
    janus->on_event = on_event;
    janus->on_lost = on_lost;
    janus->data = data;
    return janus;
}

gboolean room_janus_has_session(const RoomJanus *janus)
{
    return janus->session_id != 0;
}

guint64 room_janus_get_id(JsonObject *object, const gchar *member)
{
    if (!object || !json_object_has_member(object, member))
        return 0;
    JsonNode *node = json_object_get_member(object, member);
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
        return 0;
    gint64 value = json_node_get_int(node);
    return value > 0 ? (guint64)value : 0;
}

static JsonObject *get_object(JsonObject *object, const gchar *member)
{
    if (!object || !json_object_has_member(object, member))
        return NULL;
    JsonNode *node = json_object_get_member(object, member);
    return JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

guint64 room_janus_reply_id(JsonObject *reply)
{
    return room_janus_get_id(get_object(reply, "data"), "id");
}

JsonObject *room_janus_plugin_data(JsonObject *event)
{
    return get_object(get_object(event, "plugindata"), "data");
}

JsonObject *room_janus_jsep(JsonObject *event)
{
    return get_object(event, "jsep");
}

static gchar *new_transaction(void)
{
    return g_strdup_printf("%08x%08x", g_random_int(), g_random_int());
}

/* Janus's error, or the plugin's, in an answer; NULL when it has none. */
static GError *answer_error(JsonObject *answer)
{
    const gchar *kind = json_object_get_string_member_with_default(answer, "janus", "");
    if (strcmp(kind, "error") == 0) {
        JsonObject *error = get_object(answer, "error");
        gint64 code = error ? json_object_get_int_member_with_default(error, "code", 0) : 0;
        const gchar *reason = error ? json_object_get_string_member_with_default(error, "reason",
                                                                                 "?")
                                    : "(no reason given)";
        return g_error_new(ROOM_JANUS_ERROR, ROOM_JANUS_ERROR_JANUS,
                           "Janus error %" G_GINT64_FORMAT ": %s", code, reason);
    }
    JsonObject *data = room_janus_plugin_data(answer);
    if (data && json_object_has_member(data, "error_code")) {
        return g_error_new(ROOM_JANUS_ERROR, ROOM_JANUS_ERROR_PLUGIN,
                           "plugin error %" G_GINT64_FORMAT ": %s",
                           json_object_get_int_member_with_default(data, "error_code", 0),
                           json_object_get_string_member_with_default(data, "error", "?"));
    }
    return NULL;
}

/* Completes the request `transaction` with `answer` (or `error`). */
static void complete(RoomJanus *janus, const gchar *transaction, JsonObject *answer,
                     const GError *error)
{
    gpointer key = NULL, value = NULL;
    if (!g_hash_table_steal_extended(janus->pending, transaction, &key, &value))
        return;
    Pending *pending = value;
    GError *own = NULL;
    if (!error && answer)
        error = own = answer_error(answer);
    if (pending->reply)
        pending->reply(janus, error ? NULL : answer, error, pending->data);
    g_clear_error(&own);
    pending_free(pending);
    g_free(key);
}

/* Parses an answer body into a JSON node; NULL with *error. */
static JsonNode *parse_body(GBytes *body, GError **error)
{
    gsize size = 0;
    const gchar *text = g_bytes_get_data(body, &size);
    if (size == 0 || size > MAX_ANSWER_BYTES) {
        g_set_error(error, ROOM_JANUS_ERROR, ROOM_JANUS_ERROR_PROTOCOL,
                    "an answer of %" G_GSIZE_FORMAT " bytes", size);
        return NULL;
    }
    JsonParser *parser = json_parser_new_immutable();
    JsonNode *root = NULL;
    if (json_parser_load_from_data(parser, text, (gssize)size, error))
        root = json_node_copy(json_parser_get_root(parser));
    g_object_unref(parser);
    if (root && !JSON_NODE_HOLDS_OBJECT(root) && !JSON_NODE_HOLDS_ARRAY(root)) {
        g_set_error(error, ROOM_JANUS_ERROR, ROOM_JANUS_ERROR_PROTOCOL,
                    "an answer that is neither a JSON object nor an array");
        json_node_unref(root);
        root = NULL;
    }
    return root;
}

/* Finishes an HTTP exchange: the body, or NULL with *error. */
static JsonNode *finish_exchange(Call *call, GAsyncResult *result, GError **error)
{
    GBytes *body = soup_session_send_and_read_finish(SOUP_SESSION(call->janus->http), result,
                                                     error);
    if (!body)
        return NULL;
    guint status = soup_message_get_status(call->message);
    JsonNode *root = NULL;
    if (status != SOUP_STATUS_OK) {
        g_set_error(error, ROOM_JANUS_ERROR, ROOM_JANUS_ERROR_HTTP, "HTTP %u %s from %s", status,
                    soup_message_get_reason_phrase(call->message), call->janus->url);
    } else {
        root = parse_body(body, error);
    }
    g_bytes_unref(body);
    return root;
}

static void call_free(Call *call)
{
    call->janus->in_flight--;
    g_object_unref(call->message);
    g_free(call->transaction);
    g_free(call);
}

static void on_post_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    (void)source;
    Call *call = user_data;
    RoomJanus *janus = call->janus;
    GError *error = NULL;
    JsonNode *root = finish_exchange(call, result, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_error_free(error);
        call_free(call);
        return;
    }
    if (!root) {
        complete(janus, call->transaction, NULL, error);
    } else if (!JSON_NODE_HOLDS_OBJECT(root)) {
        GError *bad = g_error_new(ROOM_JANUS_ERROR, ROOM_JANUS_ERROR_PROTOCOL,
                                  "Janus answered a request with a JSON array");
        complete(janus, call->transaction, NULL, bad);
        g_error_free(bad);
    } else {
        JsonObject *answer = json_node_get_object(root);
        const gchar *kind = json_object_get_string_member_with_default(answer, "janus", "");
        Pending *pending = g_hash_table_lookup(janus->pending, call->transaction);
        /* An ack of a plugin message: its answer comes as an event. */
        if (!(pending && pending->answered_by_event && strcmp(kind, "ack") == 0))
            complete(janus, call->transaction, answer, NULL);
    }
    if (root)
        json_node_unref(root);
    g_clear_error(&error);
    call_free(call);
}

/* POSTs `request` (taken) to the session, or to a handle when handle != 0,
 * or to the server when there is no session yet. */
static void post(RoomJanus *janus, guint64 handle, JsonObject *request, gboolean by_event,
                 RoomJanusReply reply, gpointer data, GDestroyNotify destroy)
{
    gchar *transaction = new_transaction();
    json_object_set_string_member(request, "transaction", transaction);
    gchar *url;
    if (janus->session_id && handle)
        url = g_strdup_printf("%s/%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, janus->url,
                              janus->session_id, handle);
    else if (janus->session_id)
        url = g_strdup_printf("%s/%" G_GUINT64_FORMAT, janus->url, janus->session_id);
    else
        url = g_strdup(janus->url);
    JsonNode *node = json_node_init_object(json_node_alloc(), request);
    gsize length = 0;
    gchar *text = json_to_string(node, FALSE);
    length = strlen(text);
    json_node_unref(node);
    json_object_unref(request);

    Pending *pending = g_new0(Pending, 1);
    pending->reply = reply;
    pending->data = data;
    pending->destroy = destroy;
    pending->answered_by_event = by_event;
    g_hash_table_insert(janus->pending, g_strdup(transaction), pending);

    Call *call = g_new0(Call, 1);
    call->janus = janus;
    call->transaction = transaction;
    call->message = soup_message_new(SOUP_METHOD_POST, url);
    g_free(url);
    GBytes *body = g_bytes_new_take(text, length);
    soup_message_set_request_body_from_bytes(call->message, "application/json", body);
    g_bytes_unref(body);
    janus->in_flight++;
    soup_session_send_and_read_async(janus->http, call->message, G_PRIORITY_DEFAULT,
                                     janus->cancellable, on_post_done, call);
}

static JsonObject *new_request(const gchar *kind)
{
    JsonObject *request = json_object_new();
    json_object_set_string_member(request, "janus", kind);
    return request;
}

/* ---- events -------------------------------------------------------- */

static void dispatch_event(RoomJanus *janus, JsonObject *event)
{
    const gchar *kind = json_object_get_string_member_with_default(event, "janus", "");
    if (strcmp(kind, "keepalive") == 0 || strcmp(kind, "ack") == 0)
        return;
    const gchar *transaction = json_object_get_string_member_with_default(event, "transaction",
                                                                            NULL);
    if (transaction && g_hash_table_contains(janus->pending, transaction) &&
        (strcmp(kind, "event") == 0 || strcmp(kind, "success") == 0 ||
         strcmp(kind, "error") == 0)) {
        complete(janus, transaction, event, NULL);
        return;
    }
    if (janus->on_event)
        janus->on_event(janus, room_janus_get_id(event, "sender"), event, janus->data);
}

static void session_lost(RoomJanus *janus, const GError *error)
{
    janus->polling = FALSE;
    janus->session_id = 0;
    g_clear_handle_id(&janus->keepalive_source, g_source_remove);
    if (janus->on_lost)
        janus->on_lost(janus, error, janus->data);
}

static gboolean on_retry(gpointer data)
{
    RoomJanus *janus = data;
    janus->retry_source = 0;
    poll_once(janus);
    return G_SOURCE_REMOVE;
}

static void on_poll_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    (void)source;
    Call *call = user_data;
    RoomJanus *janus = call->janus;
    GError *error = NULL;
    JsonNode *root = finish_exchange(call, result, &error);
    call_free(call);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !janus->polling) {
        g_clear_error(&error);
        if (root)
            json_node_unref(root);
        return;
    }
    if (!root) {
        if (++janus->poll_failures >= MAX_POLL_FAILURES) {
            session_lost(janus, error);
        } else {
            g_printerr("facet-room: Janus's event poll failed (%s); trying again\n",
                       error->message);
            janus->retry_source = g_timeout_add_seconds(1, on_retry, janus);
        }
        g_error_free(error);
        return;
    }
    janus->poll_failures = 0;
    if (JSON_NODE_HOLDS_OBJECT(root)) {
        JsonObject *event = json_node_get_object(root);
        GError *janus_error = NULL;
        if (strcmp(json_object_get_string_member_with_default(event, "janus", ""), "error") == 0 &&
            !json_object_has_member(event, "transaction")) {
            /* "No such session": Janus timed it out or restarted. */
            janus_error = answer_error(event);
            json_node_unref(root);
            session_lost(janus, janus_error);
            g_error_free(janus_error);
            return;
        }
        dispatch_event(janus, event);
    } else {
        JsonArray *events = json_node_get_array(root);
        for (guint i = 0; i < json_array_get_length(events) && janus->polling; i++) {
            JsonNode *node = json_array_get_element(events, i);
            if (JSON_NODE_HOLDS_OBJECT(node))
                dispatch_event(janus, json_node_get_object(node));
        }
    }
    json_node_unref(root);
    if (janus->polling)
        poll_once(janus);
}

static void poll_once(RoomJanus *janus)
{
    if (!janus->polling || !janus->session_id)
        return;
    Call *call = g_new0(Call, 1);
    call->janus = janus;
    gchar *url = g_strdup_printf("%s/%" G_GUINT64_FORMAT "?maxev=%d&rid=%" G_GINT64_FORMAT,
                                 janus->url, janus->session_id, MAX_EVENTS_PER_POLL,
                                 g_get_real_time() / 1000);
    call->message = soup_message_new(SOUP_METHOD_GET, url);
    g_free(url);
    janus->in_flight++;
    soup_session_send_and_read_async(janus->http, call->message, G_PRIORITY_DEFAULT,
                                     janus->poll_cancellable, on_poll_done, call);
}

static gboolean on_keepalive(gpointer data)
{
    RoomJanus *janus = data;
    post(janus, 0, new_request("keepalive"), FALSE, NULL, NULL, NULL);
    return G_SOURCE_CONTINUE;
}

/* ---- requests ------------------------------------------------------- */

typedef struct CreateCall {
    RoomJanusReply reply;
    gpointer data;
} CreateCall;

static void on_created(RoomJanus *janus, JsonObject *reply, const GError *error, gpointer data)
{
    CreateCall *create = data;
    GError *own = NULL;
    if (reply) {
        janus->session_id = room_janus_reply_id(reply);
        if (!janus->session_id) {
            error = own = g_error_new(ROOM_JANUS_ERROR, ROOM_JANUS_ERROR_PROTOCOL,
                                      "Janus created a session without an id");
            reply = NULL;
        }
    }
    if (janus->session_id) {
        janus->polling = TRUE;
        janus->poll_cancellable = g_cancellable_new();
        janus->keepalive_source = g_timeout_add_seconds(KEEPALIVE_SECONDS, on_keepalive, janus);
        poll_once(janus);
    }
    create->reply(janus, reply, error, create->data);
    g_clear_error(&own);
}

void room_janus_create_session(RoomJanus *janus, RoomJanusReply reply, gpointer data)
{
    CreateCall *create = g_new0(CreateCall, 1);
    create->reply = reply;
    create->data = data;
    post(janus, 0, new_request("create"), FALSE, on_created, create, g_free);
}

void room_janus_attach(RoomJanus *janus, const gchar *plugin, RoomJanusReply reply,
                       gpointer data, GDestroyNotify destroy)
{
    JsonObject *request = new_request("attach");
    json_object_set_string_member(request, "plugin", plugin);
    post(janus, 0, request, FALSE, reply, data, destroy);
}

void room_janus_message(RoomJanus *janus, guint64 handle, JsonObject *body, JsonObject *jsep,
                        RoomJanusReply reply, gpointer data, GDestroyNotify destroy)
{
    JsonObject *request = new_request("message");
    json_object_set_object_member(request, "body", body);
    if (jsep)
        json_object_set_object_member(request, "jsep", jsep);
    post(janus, handle, request, TRUE, reply, data, destroy);
}

void room_janus_trickle(RoomJanus *janus, guint64 handle, guint mline_index,
                        const gchar *candidate)
{
    JsonObject *request = new_request("trickle");
    JsonObject *c = json_object_new();
    if (candidate) {
        json_object_set_string_member(c, "candidate", candidate);
        json_object_set_int_member(c, "sdpMLineIndex", mline_index);
    } else {
        json_object_set_boolean_member(c, "completed", TRUE);
    }
    json_object_set_object_member(request, "candidate", c);
    post(janus, handle, request, FALSE, NULL, NULL, NULL);
}

void room_janus_detach(RoomJanus *janus, guint64 handle, RoomJanusReply reply, gpointer data)
{
    post(janus, handle, new_request("detach"), FALSE, reply, data, NULL);
}

void room_janus_destroy(RoomJanus *janus, RoomJanusReply reply, gpointer data)
{
    janus->polling = FALSE;
    if (janus->poll_cancellable)
        g_cancellable_cancel(janus->poll_cancellable);
    g_clear_handle_id(&janus->keepalive_source, g_source_remove);
    g_clear_handle_id(&janus->retry_source, g_source_remove);
    post(janus, 0, new_request("destroy"), FALSE, reply, data, NULL);
}

void room_janus_free(RoomJanus *janus)
{
    if (!janus)
        return;
    janus->polling = FALSE;
    g_clear_handle_id(&janus->keepalive_source, g_source_remove);
    g_clear_handle_id(&janus->retry_source, g_source_remove);
    g_cancellable_cancel(janus->cancellable);
    if (janus->poll_cancellable)
        g_cancellable_cancel(janus->poll_cancellable);
    /* The cancelled requests' callbacks free their calls; let them run. */
    GMainContext *context = g_main_context_get_thread_default();
    gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (janus->in_flight > 0 && g_get_monotonic_time() < deadline) {
        if (!g_main_context_iteration(context, FALSE))
            g_usleep(1000);
    }
    g_hash_table_remove_all(janus->pending);
    if (janus->in_flight == 0) {
        g_hash_table_unref(janus->pending);
        g_object_unref(janus->http);
        g_clear_object(&janus->cancellable);
        g_clear_object(&janus->poll_cancellable);
        g_free(janus->url);
        g_free(janus);
    }
    /* Else something never finished: leaking it beats a use after free. */
}
