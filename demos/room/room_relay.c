/* SPDX-License-Identifier: BSD-2-Clause */
/* Streaming thread -> main context, safe against the owner going away. */
#include "room_relay.h"

struct RoomRelay {
    gatomicrefcount refs;
    GMainContext *context;
    gpointer owner;         /* NULL once detached; read in the main context only */
};

typedef struct RelayCall {
    RoomRelay *relay;
    RoomRelayFunc func;
    gpointer data;
    GDestroyNotify free_data;
} RelayCall;

RoomRelay *room_relay_new(gpointer owner)
{
    RoomRelay *relay = g_new0(RoomRelay, 1);
    g_atomic_ref_count_init(&relay->refs);
    relay->context = g_main_context_ref_thread_default();
    relay->owner = owner;
    return relay;
}

static void relay_unref(RoomRelay *relay)
{
    if (g_atomic_ref_count_dec(&relay->refs)) {
        g_main_context_unref(relay->context);
        g_free(relay);
    }
}

static gboolean run_call(gpointer p)
{
    RelayCall *call = p;
    if (call->relay->owner)
        call->func(call->relay->owner, call->data);
    return G_SOURCE_REMOVE;
}

static void free_call(gpointer p)
{
    RelayCall *call = p;
    if (call->free_data)
        call->free_data(call->data);
    relay_unref(call->relay);
    g_free(call);
}

void room_relay_call(RoomRelay *relay, RoomRelayFunc func, gpointer data,
                     GDestroyNotify free_data)
{
    RelayCall *call = g_new0(RelayCall, 1);
    g_atomic_ref_count_inc(&relay->refs);
    call->relay = relay;
    call->func = func;
    call->data = data;
    call->free_data = free_data;
    GSource *source = g_idle_source_new();
    g_source_set_callback(source, run_call, call, free_call);
    g_source_attach(source, relay->context);
    g_source_unref(source);
}

void room_relay_detach(RoomRelay *relay)
{
    if (!relay)
        return;
    relay->owner = NULL;
    relay_unref(relay);
}
