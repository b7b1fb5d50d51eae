/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * facet-call: a two-party video call through Facet (video) and Opus (audio)
 * over RTP/RTCP, to show how an application embeds the Facet GStreamer
 * elements. demos/call/README.md has the usage, docs/embedding.md the
 * design.
 *
 * Exit status: 0 the call ended normally (--duration, a signal, the peer
 * hung up, a source file ended); 1 an error (ports in use, a missing
 * element, a pipeline error); 2 a bad command line; 3 the peer never
 * answered or went silent for --timeout seconds.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>

#include <glib-unix.h>
#include <gst/gst.h>

#include "call_net.h"
#include "call_options.h"
#include "call_pipeline.h"
#include "call_stats.h"

enum {
    EXIT_CALL_ENDED = 0,
    EXIT_CALL_ERROR = 1,
    EXIT_CALL_USAGE = 2,
    EXIT_CALL_NO_PEER = 3,
};

/* How long the pipeline may take to drain after the end of the call. */
#define DRAIN_SECONDS 10

typedef struct CallApp {
    CallOptions options;
    CallNet net;
    CallStats stats;
    CallPipeline *pipeline;
    GMainLoop *loop;
    gint64 start_us;
    gboolean ending;
    gboolean peer_announced;
    int exit_code;
    guint duration_source, drain_source; /* 0 when not pending */
} CallApp;

static void print_status(const gchar *format, ...) G_GNUC_PRINTF(1, 2);
static void print_status(const gchar *format, ...)
{
    va_list args;
    va_start(args, format);
    printf("facet-call: ");
    vprintf(format, args);
    printf("\n");
    fflush(stdout);
    va_end(args);
}

static gboolean on_drain_timeout(gpointer data)
{
    CallApp *app = data;
    app->drain_source = 0;
    g_printerr("facet-call: the pipeline did not finish within %d s of the end of the call; "
               "stopping it\n", DRAIN_SECONDS);
    app->exit_code = EXIT_CALL_ERROR;
    g_main_loop_quit(app->loop);
    return G_SOURCE_REMOVE;
}

/* Ends the call once, whatever asks first. */
static void end_call(CallApp *app, int exit_code, const gchar *reason)
{
    if (app->ending)
        return;
    app->ending = TRUE;
    /* An error already posted stays the verdict: the source's error and
     * its end of stream race to the main loop (a file with no video
     * stream ended the call with 0 under load, CI run of 2026-12-07). */
    if (app->exit_code != EXIT_CALL_ERROR)
        app->exit_code = exit_code;
    print_status("ending the call: %s", reason);
    call_pipeline_end(app->pipeline);
    app->drain_source = g_timeout_add_seconds(DRAIN_SECONDS, on_drain_timeout, app);
}

static gboolean on_signal(gpointer data)
{
    CallApp *app = data;
    if (app->ending) {
        /* A second interrupt: the user does not want to wait. */
        g_printerr("facet-call: interrupted again, stopping now\n");
        g_main_loop_quit(app->loop);
    } else {
        end_call(app, EXIT_CALL_ENDED, "interrupted");
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_duration(gpointer data)
{
    CallApp *app = data;
    app->duration_source = 0;
    end_call(app, EXIT_CALL_ENDED, "--duration reached");
    return G_SOURCE_REMOVE;
}

/* Streaming-thread events, handed to the main loop. */
static gboolean peer_left_in_main(gpointer data)
{
    end_call(data, EXIT_CALL_ENDED, "the peer hung up (RTCP BYE)");
    return G_SOURCE_REMOVE;
}

static gboolean media_ended_in_main(gpointer data)
{
    end_call(data, EXIT_CALL_ENDED, "the media source ended");
    return G_SOURCE_REMOVE;
}

static void on_peer_left(gpointer data)
{
    g_main_context_invoke(NULL, peer_left_in_main, data);
}

static void on_media_ended(gpointer data)
{
    g_main_context_invoke(NULL, media_ended_in_main, data);
}

/* Once a second: the live line, and the peer's comings and goings. */
static gboolean on_tick(gpointer data)
{
    CallApp *app = data;
    gint64 now = g_get_monotonic_time();
    gint64 heard = call_net_last_heard(&app->net);
    gdouble elapsed = (now - app->start_us) / 1e6;

    if (heard && !app->peer_announced) {
        gchar *peer = call_net_peer_string(&app->net);
        print_status("in a call with %s", peer ? peer : "?");
        g_free(peer);
        app->peer_announced = TRUE;
    }
    CallLive live;
    call_pipeline_live(app->pipeline, &live);
    call_stats_print_line(&app->stats, elapsed, &live);
    if (app->ending)
        return G_SOURCE_CONTINUE;
    if (!heard && app->options.role == CALL_ROLE_CONNECT && elapsed > app->options.timeout) {
        gchar *reason = g_strdup_printf(
            "no answer from %s:%u within %.0f s (is `facet-call --listen %u` running there, and "
            "are UDP ports %u-%u open?)", app->options.host, app->options.port,
            app->options.timeout, app->options.port, app->options.port, app->options.port + 3);
        end_call(app, EXIT_CALL_NO_PEER, reason);
        g_free(reason);
    } else if (heard && (now - heard) / 1e6 > app->options.timeout) {
        gchar *reason = g_strdup_printf("nothing from the peer for %.0f s: the call is lost",
                                        app->options.timeout);
        end_call(app, EXIT_CALL_NO_PEER, reason);
        g_free(reason);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_bus_message(GstBus *bus, GstMessage *message, gpointer data)
{
    CallApp *app = data;
    GError *error = NULL;
    gchar *debug = NULL;
    (void)bus;

    switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_EOS:
        g_main_loop_quit(app->loop);
        break;
    case GST_MESSAGE_ERROR:
        gst_message_parse_error(message, &error, &debug);
        g_printerr("facet-call: error from %s: %s\n", GST_OBJECT_NAME(message->src),
                   error->message);
        if (debug)
            g_printerr("facet-call:   (%s)\n", debug);
        app->exit_code = EXIT_CALL_ERROR;
        g_main_loop_quit(app->loop);
        break;
    case GST_MESSAGE_WARNING:
        gst_message_parse_warning(message, &error, &debug);
        g_printerr("facet-call: warning from %s: %s\n", GST_OBJECT_NAME(message->src),
                   error->message);
        break;
    default:
        break;
    }
    g_clear_error(&error);
    g_free(debug);
    return G_SOURCE_CONTINUE;
}

/* Sockets, peer, pipeline: everything before the call starts. */
static gboolean set_up(CallApp *app, GError **error)
{
    const CallOptions *o = &app->options;
    CallEvents events = { on_peer_left, on_media_ended, app };
    guint16 first = o->role == CALL_ROLE_LISTEN ? o->port : o->local_port;

    if (!call_net_bind(&app->net, first, error))
        return FALSE;
    if (o->role == CALL_ROLE_CONNECT && !call_net_set_peer(&app->net, o->host, o->port, error))
        return FALSE;
    app->pipeline = call_pipeline_new(o, &app->net, &app->stats, &events, error);
    return app->pipeline != NULL;
}

int main(int argc, char **argv)
{
    CallApp app = { 0 };
    GError *error = NULL;
    GstElement *pipeline;
    GstBus *bus;
    guint bus_watch, tick, sigint, sigterm;

    if (!call_options_parse(&app.options, &argc, &argv, &error)) {
        g_printerr("facet-call: %s\n(facet-call --help lists the options)\n", error->message);
        g_error_free(error);
        return EXIT_CALL_USAGE;
    }
    gst_init(NULL, NULL);
    call_net_init(&app.net);
    call_stats_init(&app.stats);

    if (!set_up(&app, &error)) {
        g_printerr("facet-call: %s\n", error->message);
        g_error_free(error);
        app.exit_code = EXIT_CALL_ERROR;
        goto done;
    }

    app.loop = g_main_loop_new(NULL, FALSE);
    pipeline = call_pipeline_element(app.pipeline);
    bus = gst_pipeline_get_bus(GST_PIPELINE(pipeline));
    bus_watch = gst_bus_add_watch(bus, on_bus_message, &app);
    gst_object_unref(bus);
    sigint = g_unix_signal_add(SIGINT, on_signal, &app);
    sigterm = g_unix_signal_add(SIGTERM, on_signal, &app);
    tick = g_timeout_add_seconds(1, on_tick, &app);
    if (app.options.duration > 0)
        app.duration_source =
            g_timeout_add((guint)(app.options.duration * 1000), on_duration, &app);

    if (app.options.role == CALL_ROLE_LISTEN)
        print_status("waiting for a call on UDP ports %u-%u (video RTP, video RTCP, audio RTP, "
                     "audio RTCP)", app.net.first_port, app.net.first_port + 3);
    else
        print_status("calling %s:%u from UDP ports %u-%u", app.options.host, app.options.port,
                     app.net.first_port, app.net.first_port + 3);

    app.start_us = g_get_monotonic_time();
    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        /* The failing element posted why; the bus watch prints it. */
        GstMessage *message;
        bus = gst_pipeline_get_bus(GST_PIPELINE(pipeline));
        while ((message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR))) {
            on_bus_message(bus, message, &app);
            gst_message_unref(message);
        }
        gst_object_unref(bus);
        g_printerr("facet-call: the pipeline could not start\n");
        app.exit_code = EXIT_CALL_ERROR;
    } else {
        g_main_loop_run(app.loop);
    }

    /* Read before the sessions go with the pipeline's state. */
    CallLive live;
    call_pipeline_live(app.pipeline, &live);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    call_stats_print_summary(&app.stats, &live);
    g_source_remove(tick);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    g_source_remove(bus_watch);
    if (app.duration_source)
        g_source_remove(app.duration_source);
    if (app.drain_source)
        g_source_remove(app.drain_source);
    g_main_loop_unref(app.loop);

done:
    call_pipeline_free(app.pipeline);
    call_net_clear(&app.net);
    call_stats_clear(&app.stats);
    call_options_clear(&app.options);
    gst_deinit();
    return app.exit_code;
}
