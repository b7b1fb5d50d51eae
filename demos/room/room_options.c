/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-room's command line, parsed with GOption and checked value by value. */
#include "room_options.h"

#include <math.h>
#include <string.h>

#include <facet/facet.h>
#include <gst/gst.h>

#define ROOM_OPTIONS_ERROR (g_quark_from_static_string("facet-room-options"))

static gboolean bad(GError **error, const gchar *option, const gchar *value,
                    const gchar *expected)
{
    g_set_error(error, ROOM_OPTIONS_ERROR, 1, "%s '%s': expected %s", option,
                value ? value : "", expected);
    return FALSE;
}

static gboolean check_int(const gchar *option, const gchar *text, gint64 min, gint64 max,
                          gint64 *out, GError **error)
{
    if (!text || !g_ascii_string_to_signed(text, 10, min, max, out, NULL)) {
        gchar *expected = g_strdup_printf("an integer from %" G_GINT64_FORMAT " to %"
                                          G_GINT64_FORMAT, min, max);
        bad(error, option, text, expected);
        g_free(expected);
        return FALSE;
    }
    return TRUE;
}

static gboolean check_double(const gchar *option, const gchar *text, gdouble min, gdouble max,
                             gdouble *out, GError **error)
{
    gchar *end = NULL;
    gdouble v = text ? g_ascii_strtod(text, &end) : NAN;
    if (!text || !*text || !end || *end || !isfinite(v) || v < min || v > max) {
        gchar *expected = g_strdup_printf("a number from %g to %g", min, max);
        bad(error, option, text, expected);
        g_free(expected);
        return FALSE;
    }
    *out = v;
    return TRUE;
}

gboolean room_options_parse(RoomOptions *o, int *argc, char ***argv, GError **error)
{
    gchar *room = NULL, *bitrate = NULL, *width = NULL, *height = NULL, *fps = NULL;
    gchar *duration = NULL, *resend = NULL;
    gboolean test_source = FALSE;
    memset(o, 0, sizeof(*o));
    GOptionEntry entries[] = {
        { "janus", 0, 0, G_OPTION_ARG_STRING, &o->janus_url,
          "Janus's HTTP API (required)", "URL" },
        { "room", 0, 0, G_OPTION_ARG_STRING, &room, "VideoRoom room id (required)", "ID" },
        { "name", 0, 0, G_OPTION_ARG_STRING, &o->name, "our display name (required)", "NAME" },
        { "mode", 0, 0, G_OPTION_ARG_STRING, NULL, "codec tier: latent (the only one)", "latent" },
        { "bitrate", 0, 0, G_OPTION_ARG_STRING, &bitrate,
          "video target in kbit/s, references included (default 12)", "KBPS" },
        { "input", 0, 0, G_OPTION_ARG_FILENAME, &o->input, "send this video file", "FILE" },
        { "test-source", 0, 0, G_OPTION_ARG_NONE, &test_source,
          "send a test picture (the default)", NULL },
        { "model", 0, 0, G_OPTION_ARG_FILENAME, &o->model,
          "latent model file (default: the installed one)", "FILE" },
        { "width", 0, 0, G_OPTION_ARG_STRING, &width, "picture width (default 256)", "W" },
        { "height", 0, 0, G_OPTION_ARG_STRING, &height, "picture height (default 256)", "H" },
        { "fps", 0, 0, G_OPTION_ARG_STRING, &fps, "frames per second (default 15)", "FPS" },
        { "headless", 0, 0, G_OPTION_ARG_NONE, &o->headless, "count frames, show nothing", NULL },
        { "duration", 0, 0, G_OPTION_ARG_STRING, &duration,
          "leave after this many seconds (default: at SIGINT/SIGTERM)", "SECONDS" },
        { "stats-json", 0, 0, G_OPTION_ARG_FILENAME, &o->stats_json,
          "write counters to FILE every second and at the end", "FILE" },
        { "reference-resend", 0, 0, G_OPTION_ARG_STRING, &resend,
          "seconds between re-sends of the current reference (default 10)", "SECONDS" },
        { "no-audio", 0, 0, G_OPTION_ARG_NONE, &o->no_audio, "publish no audio", NULL },
        { "receive-only", 0, 0, G_OPTION_ARG_NONE, &o->receive_only,
          "join and subscribe to everyone, publish nothing", NULL },
        { "references", 0, 0, G_OPTION_ARG_STRING, NULL,
          "send reference pictures: auto (the library's choice: none with the shipped "
          "model), on, off", "auto|on|off" },
        { "video-sink", 0, 0, G_OPTION_ARG_STRING, &o->video_sink,
          "show the tiles with this sink (gst-launch syntax; default autovideosink)", "SINK" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    gchar *mode = NULL, *references = NULL;
    entries[3].arg_data = &mode;
    for (GOptionEntry *e = entries; e->long_name; e++) {
        if (g_strcmp0(e->long_name, "references") == 0)
            e->arg_data = &references;
    }
    GOptionContext *context = g_option_context_new("- a multi-party Facet call through Janus");
    g_option_context_add_main_entries(context, entries, NULL);
    g_option_context_add_group(context, gst_init_get_option_group());
    gboolean ok = g_option_context_parse(context, argc, argv, error);
    g_option_context_free(context);
    gint64 v;
    gdouble d;
    o->bitrate_kbps = 12;
    o->width = o->height = 256;
    o->fps = 15;
    o->reference_resend = 10;
    if (!ok)
        goto out;
    ok = FALSE;
    if (*argc > 1) {
        g_set_error(error, ROOM_OPTIONS_ERROR, 1, "unexpected argument '%s'", (*argv)[1]);
        goto out;
    }
    if (!o->janus_url || !room || !o->name) {
        g_set_error(error, ROOM_OPTIONS_ERROR, 1, "--janus, --room and --name are required");
        goto out;
    }
    if (!check_int("--room", room, 1, G_MAXINT64, &v, error))
        goto out;
    o->room = (guint64)v;
    if (!*o->name || strlen(o->name) > 64 || !g_utf8_validate(o->name, -1, NULL)) {
        bad(error, "--name", o->name, "1 to 64 bytes of UTF-8");
        goto out;
    }
    if (mode && strcmp(mode, "latent") != 0) {
        bad(error, "--mode", mode, "latent (Janus forwards the base stream as VP8)");
        goto out;
    }
    if (o->receive_only && (o->input || test_source || bitrate || references || resend ||
                            o->no_audio)) {
        g_set_error(error, ROOM_OPTIONS_ERROR, 1,
                    "--receive-only publishes nothing: not with --input, --test-source, "
                    "--bitrate, --references, --reference-resend or --no-audio");
        goto out;
    }
    if (o->input && test_source) {
        g_set_error(error, ROOM_OPTIONS_ERROR, 1, "give --input or --test-source, not both");
        goto out;
    }
    if (o->input && !g_file_test(o->input, G_FILE_TEST_IS_REGULAR)) {
        bad(error, "--input", o->input, "an existing video file");
        goto out;
    }
    if (references) {
        if (strcmp(references, "auto") == 0)
            o->references = FACET_LATENT_REFERENCES_AUTO;
        else if (strcmp(references, "on") == 0)
            o->references = FACET_LATENT_REFERENCES_ON;
        else if (strcmp(references, "off") == 0)
            o->references = FACET_LATENT_REFERENCES_OFF;
        else {
            bad(error, "--references", references, "auto, on or off");
            goto out;
        }
    }
    if (o->video_sink && o->headless) {
        g_set_error(error, ROOM_OPTIONS_ERROR, 1, "--video-sink shows tiles: not with --headless");
        goto out;
    }
    if (o->model && !g_file_test(o->model, G_FILE_TEST_IS_REGULAR)) {
        bad(error, "--model", o->model, "an existing latent model file (*.safetensors)");
        goto out;
    }
    if (bitrate) {
        if (!check_int("--bitrate", bitrate, ROOM_MIN_BITRATE_KBPS, ROOM_MAX_BITRATE_KBPS, &v,
                       error))
            goto out;
        o->bitrate_kbps = (guint)v;
    }
    /* The latent tier's bounds (facet.h: 32..4096). */
    if (width && !check_int("--width", width, 32, 4096, &v, error))
        goto out;
    if (width)
        o->width = (gint)v;
    if (height && !check_int("--height", height, 32, 4096, &v, error))
        goto out;
    if (height)
        o->height = (gint)v;
    if (fps && !check_int("--fps", fps, 1, 60, &v, error))
        goto out;
    if (fps)
        o->fps = (gint)v;
    if (duration) {
        if (!check_double("--duration", duration, 0.1, 86400, &d, error))
            goto out;
        o->duration = d;
    }
    if (resend) {
        if (!check_double("--reference-resend", resend, 1, 3600, &d, error))
            goto out;
        o->reference_resend = d;
    }
    ok = TRUE;
out:
    g_free(room);
    g_free(bitrate);
    g_free(width);
    g_free(height);
    g_free(fps);
    g_free(duration);
    g_free(resend);
    g_free(mode);
    g_free(references);
    return ok;
}

void room_options_clear(RoomOptions *o)
{
    g_free(o->janus_url);
    g_free(o->name);
    g_free(o->input);
    g_free(o->model);
    g_free(o->stats_json);
    g_free(o->video_sink);
    memset(o, 0, sizeof(*o));
}
