/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's command line, parsed with GOption and checked value by value:
 * every bad argument gets a message naming it. */
#include "call_options.h"

#include "call_fec.h"

#include <math.h>
#include <string.h>

#include <gst/gst.h>

#define CALL_ERROR (g_quark_from_static_string("facet-call-options"))

static gboolean bad_value(GError **error, const gchar *option, const gchar *value,
                          const gchar *expected)
{
    g_set_error(error, CALL_ERROR, 1, "%s '%s': expected %s", option, value, expected);
    return FALSE;
}

static gboolean parse_uint(const gchar *option, const gchar *value, guint64 min, guint64 max,
                           guint64 *out, GError **error)
{
    if (!g_ascii_string_to_unsigned(value, 10, min, max, out, NULL)) {
        gchar *expected = g_strdup_printf("an integer from %" G_GUINT64_FORMAT " to %"
                                          G_GUINT64_FORMAT, min, max);
        bad_value(error, option, value, expected);
        g_free(expected);
        return FALSE;
    }
    return TRUE;
}

static gboolean parse_double(const gchar *option, const gchar *value, gdouble min, gdouble max,
                             gdouble *out, GError **error)
{
    gchar *end = NULL;
    gdouble v = g_ascii_strtod(value, &end);

    if (!*value || !end || *end || !isfinite(v) || v < min || v > max) {
        gchar *expected = g_strdup_printf("a number from %g to %g", min, max);
        bad_value(error, option, value, expected);
        g_free(expected);
        return FALSE;
    }
    *out = v;
    return TRUE;
}

/* Highest first port: the call uses PORT..PORT+3. */
#define CALL_MAX_FIRST_PORT 65532

static gboolean on_listen(const gchar *name, const gchar *value, gpointer data, GError **error)
{
    CallOptions *o = data;
    guint64 port;

    if (o->role != CALL_ROLE_NONE) {
        g_set_error(error, CALL_ERROR, 1, "%s: give exactly one --listen or --connect", name);
        return FALSE;
    }
    if (!parse_uint(name, value, 0, CALL_MAX_FIRST_PORT, &port, error))
        return FALSE;
    o->role = CALL_ROLE_LISTEN;
    o->port = (guint16)port;
    return TRUE;
}

static gboolean on_connect(const gchar *name, const gchar *value, gpointer data, GError **error)
{
    CallOptions *o = data;
    const gchar *colon = strrchr(value, ':');
    guint64 port;

    if (o->role != CALL_ROLE_NONE) {
        g_set_error(error, CALL_ERROR, 1, "%s: give exactly one --listen or --connect", name);
        return FALSE;
    }
    if (!colon || colon == value)
        return bad_value(error, name, value, "HOST:PORT");
    if (!parse_uint(name, colon + 1, 1, CALL_MAX_FIRST_PORT, &port, error))
        return FALSE;
    /* An IPv6 literal comes in brackets: [::1]:5000. */
    if (value[0] == '[' && colon[-1] == ']')
        o->host = g_strndup(value + 1, colon - value - 2);
    else
        o->host = g_strndup(value, colon - value);
    if (!*o->host) {
        g_clear_pointer(&o->host, g_free);
        return bad_value(error, name, value, "HOST:PORT");
    }
    o->role = CALL_ROLE_CONNECT;
    o->port = (guint16)port;
    return TRUE;
}

static gboolean on_local_port(const gchar *name, const gchar *value, gpointer data,
                              GError **error)
{
    CallOptions *o = data;
    guint64 port;

    if (!parse_uint(name, value, 0, CALL_MAX_FIRST_PORT, &port, error))
        return FALSE;
    o->local_port = (guint16)port;
    return TRUE;
}

/* "file:PATH" -> PATH, or NULL when `value` has another form. */
static const gchar *file_path(const gchar *value)
{
    return g_str_has_prefix(value, "file:") ? value + 5 : NULL;
}

static gboolean check_file(const gchar *option, const gchar *path, GError **error)
{
    if (!*path)
        return bad_value(error, option, "file:", "file:PATH");
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, CALL_ERROR, 1, "%s: '%s' is not a readable file", option, path);
        return FALSE;
    }
    return TRUE;
}

static gboolean on_video(const gchar *name, const gchar *value, gpointer data, GError **error)
{
    CallOptions *o = data;
    const gchar *path = file_path(value);

    g_clear_pointer(&o->video_location, g_free);
    if (!strcmp(value, "test")) {
        o->video = CALL_VIDEO_TEST;
    } else if (!strcmp(value, "camera")) {
        o->video = CALL_VIDEO_CAMERA;
    } else if (g_str_has_prefix(value, "camera:") && value[7]) {
        o->video = CALL_VIDEO_CAMERA;
        o->video_location = g_strdup(value + 7);
    } else if (path) {
        if (!check_file(name, path, error))
            return FALSE;
        o->video = CALL_VIDEO_FILE;
        o->video_location = g_strdup(path);
    } else {
        return bad_value(error, name, value, "camera, camera:DEVICE, file:PATH or test");
    }
    return TRUE;
}

static gboolean on_audio(const gchar *name, const gchar *value, gpointer data, GError **error)
{
    CallOptions *o = data;
    const gchar *path = file_path(value);

    g_clear_pointer(&o->audio_location, g_free);
    if (!strcmp(value, "tone")) {
        o->audio = CALL_AUDIO_TONE;
    } else if (!strcmp(value, "mic")) {
        o->audio = CALL_AUDIO_MIC;
    } else if (path) {
        if (!check_file(name, path, error))
            return FALSE;
        o->audio = CALL_AUDIO_FILE;
        o->audio_location = g_strdup(path);
    } else {
        return bad_value(error, name, value, "mic, file:PATH or tone");
    }
    return TRUE;
}

static gboolean on_size(const gchar *name, const gchar *value, gpointer data, GError **error)
{
    CallOptions *o = data;
    gchar **parts = g_strsplit(value, "x", 3);
    guint64 w, h;
    gboolean ok = g_strv_length(parts) == 2 &&
                  g_ascii_string_to_unsigned(parts[0], 10, 16, 4096, &w, NULL) &&
                  g_ascii_string_to_unsigned(parts[1], 10, 16, 4096, &h, NULL);

    g_strfreev(parts);
    if (!ok)
        return bad_value(error, name, value, "WIDTHxHEIGHT, each from 16 to 4096");
    o->width = (gint)w;
    o->height = (gint)h;
    return TRUE;
}

#define DEFINE_UINT_OPTION(fn, field, min, max)                                               \
    static gboolean fn(const gchar *name, const gchar *value, gpointer data, GError **error) \
    {                                                                                         \
        guint64 v;                                                                            \
        if (!parse_uint(name, value, min, max, &v, error))                                    \
            return FALSE;                                                                     \
        ((CallOptions *)data)->field = v;                                                     \
        return TRUE;                                                                          \
    }

#define DEFINE_DOUBLE_OPTION(fn, field, min, max)                                             \
    static gboolean fn(const gchar *name, const gchar *value, gpointer data, GError **error) \
    {                                                                                         \
        return parse_double(name, value, min, max, &((CallOptions *)data)->field, error);     \
    }

DEFINE_UINT_OPTION(on_fps, fps, 1, 60)
DEFINE_UINT_OPTION(on_threads, threads, 0, 64)
DEFINE_UINT_OPTION(on_audio_bitrate, audio_bitrate, 6000, 256000)
DEFINE_UINT_OPTION(on_loss_seed, loss_seed, 0, G_MAXUINT32)
DEFINE_UINT_OPTION(on_drop_keyframe, drop_keyframe, 0, G_MAXUINT32)
DEFINE_UINT_OPTION(on_latency, latency_ms, 0, 5000)
DEFINE_UINT_OPTION(on_fec, fec_percent, 0, CALL_FEC_MAX_PERCENT)
DEFINE_DOUBLE_OPTION(on_keyframe_interval, keyframe_interval, 0.04, 3600.0)
DEFINE_DOUBLE_OPTION(on_video_loss, video_loss, 0.0, 100.0)
DEFINE_DOUBLE_OPTION(on_duration, duration, 0.0, 86400.0)
DEFINE_DOUBLE_OPTION(on_timeout, timeout, 1.0, 3600.0)
DEFINE_DOUBLE_OPTION(on_net_loss, net_loss, 0.0, 100.0)
DEFINE_DOUBLE_OPTION(on_net_duplicate, net_duplicate, 0.0, 100.0)
DEFINE_UINT_OPTION(on_net_delay, net_delay_ms, 0, 10000)
DEFINE_UINT_OPTION(on_net_jitter, net_jitter_ms, 0, 10000)

static gboolean on_headless(const gchar *name, const gchar *value, gpointer data,
                            GError **error)
{
    CallOptions *o = data;
    if (!*value)
        return bad_value(error, name, value, "an output file name");
    g_free(o->headless_path);
    o->headless_path = g_strdup(value);
    return TRUE;
}

static gboolean on_model(const gchar *name, const gchar *value, gpointer data, GError **error)
{
    CallOptions *o = data;
    /* "" is meaningful (intra-only); a named file must exist. */
    if (*value && !g_file_test(value, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, CALL_ERROR, 1, "%s: model file '%s' not found", name, value);
        return FALSE;
    }
    g_free(o->model);
    o->model = g_strdup(value);
    return TRUE;
}

static gboolean on_mode(const gchar *name, const gchar *value, gpointer data, GError **error)
{
    CallOptions *o = data;
    if (!strcmp(value, "keypoint"))
        o->mode = CALL_MODE_KEYPOINT;
    else if (!strcmp(value, "latent"))
        o->mode = CALL_MODE_LATENT;
    else
        return bad_value(error, name, value, "keypoint or latent");
    return TRUE;
}

DEFINE_UINT_OPTION(on_bitrate, bitrate_kbps, CALL_MIN_BITRATE_KBPS, CALL_MAX_BITRATE_KBPS)

/* --key HEX, --key file:PATH or --key none. */
static gboolean on_key(const gchar *name, const gchar *value, gpointer data, GError **error)
{
    CallOptions *o = data;
    const gchar *path = file_path(value);

    g_clear_pointer(&o->key, g_bytes_unref);
    o->key_given = TRUE;
    if (!strcmp(value, "none"))
        return TRUE;
    if (path && !*path)
        return bad_value(error, name, value, "HEX, file:PATH or none");
    o->key = path ? call_srtp_key_from_file(path, error) : call_srtp_key_from_hex(value, name, error);
    return o->key != NULL;
}

static gboolean on_cipher(const gchar *name, const gchar *value, gpointer data, GError **error)
{
    if (!call_srtp_cipher_from_name(value, &((CallOptions *)data)->cipher))
        return bad_value(error, name, value, "aes-128-gcm or aes-128-cm-hmac-sha1-80");
    return TRUE;
}

static gboolean on_no_retransmission(const gchar *name, const gchar *value, gpointer data,
                                     GError **error)
{
    (void)name;
    (void)value;
    (void)error;
    ((CallOptions *)data)->retransmission = FALSE;
    return TRUE;
}

#define CALLBACK_OPTION(long_name, fn, description, arg)                                      \
    { long_name, 0, 0, G_OPTION_ARG_CALLBACK, (gpointer)fn, description, arg }

static const GOptionEntry call_entries[] = {
    CALLBACK_OPTION("listen", on_listen,
                    "Wait for a call on UDP ports PORT..PORT+3 (0: pick free ones)", "PORT"),
    CALLBACK_OPTION("connect", on_connect, "Call a peer listening on HOST, ports PORT..PORT+3",
                    "HOST:PORT"),
    CALLBACK_OPTION("local-port", on_local_port,
                    "With --connect: our own first port (default 0: pick free ones)", "PORT"),
    CALLBACK_OPTION("video", on_video, "Video to send: camera[:DEVICE], file:PATH or test "
                    "(default test)", "SOURCE"),
    CALLBACK_OPTION("audio", on_audio, "Audio to send: mic, file:PATH or tone (default tone)",
                    "SOURCE"),
    CALLBACK_OPTION("headless", on_headless,
                    "Write the received video and audio to a Matroska file instead of showing "
                    "them", "OUT"),
    CALLBACK_OPTION("model", on_model,
                    "Model file of the tier --mode names (default: $FACET_MODEL or "
                    "$FACET_LATENT_MODEL, else the installed one; \"\": intra-only)", "PATH"),
    CALLBACK_OPTION("size", on_size, "Size of the video sent (default 256x256)", "WxH"),
    CALLBACK_OPTION("fps", on_fps, "Frame rate of the video sent (default 25)", "N"),
    CALLBACK_OPTION("keyframe-interval", on_keyframe_interval,
                    "Seconds between keyframes (default 2)", "S"),
    CALLBACK_OPTION("threads", on_threads, "Codec threads (default 0: one per CPU)", "N"),
    CALLBACK_OPTION("audio-bitrate", on_audio_bitrate, "Opus bit rate (default 32000)",
                    "BIT/S"),
    CALLBACK_OPTION("video-loss", on_video_loss,
                    "Drop this share of the outgoing video RTP packets, to simulate a bad "
                    "network (default 0)", "PERCENT"),
    CALLBACK_OPTION("loss-seed", on_loss_seed, "Seed of the --video-loss choices (default 1)",
                    "N"),
    CALLBACK_OPTION("drop-keyframe", on_drop_keyframe,
                    "Also drop the first video RTP packet of the N-th keyframe sent (1: the "
                    "first), one keyframe loss at a known place whatever the timing (default 0: "
                    "none)", "N"),
    CALLBACK_OPTION("duration", on_duration, "Hang up after this many seconds (default 0: never)",
                    "S"),
    CALLBACK_OPTION("timeout", on_timeout,
                    "End the call when the peer sends nothing for this long, or (--connect) "
                    "does not answer (default 10)", "S"),
    CALLBACK_OPTION("latency", on_latency, "Jitter buffer in milliseconds (default 200)", "MS"),
    CALLBACK_OPTION("mode", on_mode, "Facet tier: keypoint or latent (default: the encoder's)",
                    "MODE"),
    CALLBACK_OPTION("bitrate", on_bitrate,
                    "Video rate in kbit/s, 2 to 10000: where the rate controller starts and "
                    "its ceiling (default: the encoder's)", "KBIT/S"),
    CALLBACK_OPTION("key", on_key,
                    "SRTP master key, 16 to 64 bytes as hex, or file:PATH of a file holding it, "
                    "or none to send the media in the clear (required; make one with "
                    "`openssl rand -hex 32`)", "KEY"),
    CALLBACK_OPTION("cipher", on_cipher,
                    "SRTP cipher: aes-128-gcm or aes-128-cm-hmac-sha1-80 (default aes-128-gcm)",
                    "NAME"),
    CALLBACK_OPTION("net-loss", on_net_loss,
                    "Simulated network (GStreamer's netsim) on all we send, after encryption: "
                    "drop this share of the packets, at random (default 0)", "PERCENT"),
    CALLBACK_OPTION("net-delay", on_net_delay,
                    "Simulated network: delay every packet we send this long (default 0)", "MS"),
    CALLBACK_OPTION("net-jitter", on_net_jitter,
                    "Simulated network: add up to this much more delay, at random, which "
                    "reorders packets (default 0)", "MS"),
    CALLBACK_OPTION("net-duplicate", on_net_duplicate,
                    "Simulated network: send this share of the packets twice (default 0)",
                    "PERCENT"),
    CALLBACK_OPTION("fec", on_fec,
                    "Forward error correction (ULPFEC) of our video: at most this many FEC "
                    "packets per 100 video packets, sent as the loss the peer reports asks "
                    "(none below 2 % loss), within the --bitrate target; 0: none (default "
                    G_STRINGIFY(CALL_FEC_DEFAULT_PERCENT) ")", "PERCENT"),
    { "no-retransmission", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
      (gpointer)on_no_retransmission, "Do not ask for or send retransmissions (NACK/RTX)",
      NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
};

static void call_options_init(CallOptions *o)
{
    memset(o, 0, sizeof(*o));
    o->video = CALL_VIDEO_TEST;
    o->audio = CALL_AUDIO_TONE;
    o->width = 256;
    o->height = 256;
    o->fps = 25;
    o->keyframe_interval = 2.0;
    o->audio_bitrate = 32000;
    o->loss_seed = 1;
    o->timeout = 10.0;
    o->latency_ms = 200;
    o->cipher = CALL_CIPHER_AES_128_GCM;
    o->retransmission = TRUE;
    o->fec_percent = CALL_FEC_DEFAULT_PERCENT;
}

gboolean call_options_parse(CallOptions *options, int *argc, char ***argv, GError **error)
{
    GOptionContext *context;
    GOptionGroup *group;
    gboolean ok;

    call_options_init(options);
    context = g_option_context_new("- a two-party video call with Facet video and Opus audio");
    g_option_context_set_summary(context,
        "One side listens, the other connects; each sends its video through Facet and its\n"
        "audio through Opus over RTP/RTCP, and shows (or, with --headless, records) the\n"
        "other's. Examples:\n"
        "  facet-call --listen 5000\n"
        "  facet-call --connect 192.0.2.7:5000 --video camera --audio mic");
    group = g_option_group_new("call", "Call options", "Call options", options, NULL);
    g_option_group_add_entries(group, call_entries);
    g_option_context_set_main_group(context, group);
    g_option_context_add_group(context, gst_init_get_option_group());
    ok = g_option_context_parse(context, argc, argv, error);
    if (ok && *argc > 1) {
        g_set_error(error, CALL_ERROR, 1, "unexpected argument '%s'", (*argv)[1]);
        ok = FALSE;
    }
    if (ok && options->role == CALL_ROLE_NONE) {
        g_set_error(error, CALL_ERROR, 1, "give --listen PORT or --connect HOST:PORT");
        ok = FALSE;
    }
    if (ok && options->role == CALL_ROLE_LISTEN && options->local_port) {
        g_set_error(error, CALL_ERROR, 1, "--local-port goes with --connect; --listen names "
                                          "the local port itself");
        ok = FALSE;
    }
    if (ok && options->bitrate_kbps && options->mode == CALL_MODE_KEYPOINT) {
        g_set_error(error, CALL_ERROR, 1, "--bitrate goes with --mode latent: the keypoint tier's "
                                          "rate is set by --keyframe-interval");
        ok = FALSE;
    }
    /* Last: every other mistake is named first. */
    if (ok && !options->key_given) {
        g_set_error(error, CALL_ERROR, 1,
                    "give --key: the media are encrypted (SRTP) with a key both sides know; "
                    "make one with `openssl rand -hex 32 > call.key` and pass --key "
                    "file:call.key (or --key none to send them in the clear)");
        ok = FALSE;
    }
    g_option_context_free(context);
    if (!ok)
        call_options_clear(options);
    return ok;
}

void call_options_clear(CallOptions *options)
{
    g_free(options->host);
    g_free(options->video_location);
    g_free(options->audio_location);
    g_free(options->headless_path);
    g_free(options->model);
    if (options->key)
        g_bytes_unref(options->key);
    memset(options, 0, sizeof(*options));
}
