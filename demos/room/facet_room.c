/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * facet-room: a multi-party video call through a Janus VideoRoom with
 * Facet's latent tier. Every participant publishes its base stream as VP8
 * WebRTC video and its reference pictures on the data channel, and
 * subscribes to everyone else (demos/room/README.md, docs/multiparty.md);
 * with --receive-only it only subscribes.
 *
 * Exit status: 0 the call ended normally (--duration, SIGINT/SIGTERM);
 * 1 an error (Janus unreachable or refusing, a pipeline error); 2 a bad
 * command line.
 */
#include <stdio.h>

#include <glib-unix.h>
#include <gst/gst.h>

#include "room_call.h"
#include "room_display.h"
#include "room_options.h"

enum {
    EXIT_ROOM_ENDED = 0,
    EXIT_ROOM_ERROR = 1,
    EXIT_ROOM_USAGE = 2,
};

typedef struct RoomApp {
    RoomOptions options;
    RoomCall *call;
    RoomDisplay *display;
    GMainLoop *loop;
    int exit_code;
    gboolean leaving;
    guint stats_source, duration_source;
    guint64 ticks;
} RoomApp;

static void write_stats(RoomApp *app)
{
    if (!app->options.stats_json || !app->call)
        return;
    JsonNode *node = room_call_stats(app->call);
    JsonGenerator *generator = json_generator_new();
    json_generator_set_root(generator, node);
    json_generator_set_pretty(generator, TRUE);
    gsize length = 0;
    gchar *text = json_generator_to_data(generator, &length);
    GError *error = NULL;
    /* Atomic (a rename): a reader polling the file never sees half of it. */
    if (!g_file_set_contents(app->options.stats_json, text, (gssize)length, &error)) {
        g_printerr("facet-room: %s\n", error->message);
        g_error_free(error);
    }
    g_free(text);
    g_object_unref(generator);
    json_node_unref(node);
}

static gboolean on_stats(gpointer data)
{
    RoomApp *app = data;
    write_stats(app);
    /* A line every 5 s for a person watching. */
    if (++app->ticks % 5 == 0) {
        gchar *line = room_call_summary(app->call);
        g_print("facet-room: %s\n", line);
        g_free(line);
    }
    return G_SOURCE_CONTINUE;
}

static void leave(RoomApp *app, const gchar *why)
{
    if (app->leaving) {
        return;
    }
    app->leaving = TRUE;
    g_print("facet-room: leaving: %s\n", why);
    room_call_leave(app->call);
}

static gboolean on_signal(gpointer data)
{
    RoomApp *app = data;
    if (app->leaving) {
        g_printerr("facet-room: interrupted again, stopping now\n");
        g_main_loop_quit(app->loop);
    } else {
        leave(app, "interrupted");
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_duration(gpointer data)
{
    RoomApp *app = data;
    app->duration_source = 0;
    leave(app, "--duration reached");
    return G_SOURCE_REMOVE;
}

static void on_ended(RoomCall *call, gboolean failed, const gchar *reason, gpointer data)
{
    (void)call;
    RoomApp *app = data;
    if (failed) {
        g_printerr("facet-room: %s\n", reason);
        app->exit_code = EXIT_ROOM_ERROR;
    } else {
        g_print("facet-room: %s\n", reason);
    }
    g_main_loop_quit(app->loop);
}

int main(int argc, char **argv)
{
    RoomApp app = { .exit_code = EXIT_ROOM_ENDED };
    GError *error = NULL;
    if (!room_options_parse(&app.options, &argc, &argv, &error)) {
        g_printerr("facet-room: %s\n", error->message);
        g_printerr("usage: facet-room --janus URL --room ID --name NAME [--mode latent] "
                   "[--bitrate KBPS] [--input FILE|--test-source|--receive-only] [--headless] "
                   "[--duration SECONDS] [--stats-json FILE] (--help for all)\n");
        g_error_free(error);
        room_options_clear(&app.options);
        return EXIT_ROOM_USAGE;
    }
    for (const gchar *const *e = (const gchar *const[]){ "webrtcbin", "nicesrc", "rtpvp8pay",
                                                         "opusenc", "videotestsrc", NULL };
         *e; e++) {
        GstElementFactory *factory = gst_element_factory_find(*e);
        if (!factory) {
            g_printerr("facet-room: GStreamer has no %s element (gstreamer1.0-plugins-bad, "
                       "-good, -base, gstreamer1.0-nice)\n", *e);
            room_options_clear(&app.options);
            return EXIT_ROOM_ERROR;
        }
        gst_object_unref(factory);
    }
    app.loop = g_main_loop_new(NULL, FALSE);
    RoomCallDisplay display = { 0 };
    if (!app.options.headless) {
        app.display = room_display_new(app.options.width, app.options.height,
                                       app.options.video_sink, &error);
        if (!app.display) {
            g_printerr("facet-room: %s\n", error->message);
            g_clear_error(&error);
            app.exit_code = EXIT_ROOM_ERROR;
            goto out;
        }
        room_display_call_hooks(app.display, &display);
    }
    app.call = room_call_new(&app.options, &display, on_ended, &app, &error);
    if (!app.call) {
        g_printerr("facet-room: %s\n", error->message);
        g_clear_error(&error);
        app.exit_code = EXIT_ROOM_USAGE;
        goto out;
    }
    guint sigint = g_unix_signal_add(SIGINT, on_signal, &app);
    guint sigterm = g_unix_signal_add(SIGTERM, on_signal, &app);
    app.stats_source = g_timeout_add_seconds(1, on_stats, &app);
    if (app.options.duration > 0)
        app.duration_source = g_timeout_add((guint)(app.options.duration * 1000), on_duration,
                                            &app);
    room_call_start(app.call);
    g_main_loop_run(app.loop);
    write_stats(&app);
    gchar *line = room_call_summary(app.call);
    g_print("facet-room: summary: %s\n", line);
    g_free(line);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    g_clear_handle_id(&app.stats_source, g_source_remove);
    g_clear_handle_id(&app.duration_source, g_source_remove);
out:
    room_call_free(app.call);
    room_display_free(app.display);
    /* Let queued streaming-thread hand-overs run and free what they carry. */
    while (g_main_context_iteration(NULL, FALSE))
        ;
    g_main_loop_unref(app.loop);
    room_options_clear(&app.options);
    gst_deinit();
    return app.exit_code;
}
