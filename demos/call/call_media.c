/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's media ends (call_media.h). */
#include "call_media.h"

#include <stdarg.h>

#define CALL_MEDIA_ERROR (g_quark_from_static_string("facet-call-media"))

GstElement *call_media_make(const gchar *factory, const gchar *name, GError **error)
{
    GstElement *element = gst_element_factory_make(factory, name);
    if (!element)
        g_set_error(error, CALL_MEDIA_ERROR, 1,
                    "GStreamer element '%s' is missing (is its plugin installed, and "
                    "GST_PLUGIN_PATH set for the Facet elements?)", factory);
    return element;
}

/* Makes each factory of a NULL-terminated list, adds them to `bin` and
 * links them in order into *head ... *tail. On failure the bin keeps what
 * was added (its owner frees it). */
static gboolean add_chain(GstBin *bin, GstElement **head, GstElement **tail, GError **error,
                          const gchar *first, ...)
{
    gboolean ok = TRUE;
    va_list args;

    *head = *tail = NULL;
    va_start(args, first);
    for (const gchar *factory = first; factory && ok; factory = va_arg(args, const gchar *)) {
        GstElement *element = call_media_make(factory, NULL, error);
        if (!element) {
            ok = FALSE;
            break;
        }
        gst_bin_add(bin, element);
        if (*tail && !gst_element_link(*tail, element)) {
            g_set_error(error, CALL_MEDIA_ERROR, 1, "cannot link %s to %s",
                        GST_ELEMENT_NAME(*tail), GST_ELEMENT_NAME(element));
            ok = FALSE;
        }
        if (!*head)
            *head = element;
        *tail = element;
    }
    va_end(args);
    return ok;
}

static gboolean add_ghost(GstElement *bin, GstElement *inner, const gchar *inner_pad,
                          const gchar *name)
{
    GstPad *pad = gst_element_get_static_pad(inner, inner_pad);
    gboolean ok = gst_element_add_pad(bin, gst_ghost_pad_new(name, pad));
    gst_object_unref(pad);
    return ok;
}

/* File sources: decodebin exposes its streams later; the first one of the
 * wanted kind is linked to the converter, the others are dropped, and a
 * file without one is an error posted on the bus. */
typedef struct FileSource {
    GstElement *bin;
    GstElement *converter;
    const gchar *kind; /* "video" or "audio" */
    gchar *path;
} FileSource;

static void file_source_free(gpointer data, GClosure *closure)
{
    FileSource *source = data;
    (void)closure;
    g_free(source->path);
    g_free(source);
}

static GstPadProbeReturn drop_buffers(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    (void)pad;
    (void)info;
    (void)data;
    return GST_PAD_PROBE_DROP;
}

static void on_decoded_pad(GstElement *decodebin, GstPad *pad, gpointer data)
{
    FileSource *source = data;
    GstPad *sink = gst_element_get_static_pad(source->converter, "sink");
    GstCaps *caps = gst_pad_get_current_caps(pad);
    gchar *prefix = g_strdup_printf("%s/x-raw", source->kind);
    (void)decodebin;

    if (!caps)
        caps = gst_pad_query_caps(pad, NULL);
    if (!(caps && !gst_caps_is_empty(caps) &&
          g_str_has_prefix(gst_structure_get_name(gst_caps_get_structure(caps, 0)), prefix) &&
          !gst_pad_is_linked(sink) && gst_pad_link(pad, sink) == GST_PAD_LINK_OK)) {
        /* Another stream of the file (its sound, subtitles, a second
         * picture): not sent. A probe drops it rather than a fakesink,
         * which would be one more sink for the end of the call to wait
         * for. */
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                          drop_buffers, NULL, NULL);
    }
    if (caps)
        gst_caps_unref(caps);
    g_free(prefix);
    gst_object_unref(sink);
}

static void on_no_more_pads(GstElement *decodebin, gpointer data)
{
    FileSource *source = data;
    GstPad *sink = gst_element_get_static_pad(source->converter, "sink");
    (void)decodebin;

    if (!gst_pad_is_linked(sink)) {
        GError *error = g_error_new(GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
                                    "'%s' has no %s stream", source->path, source->kind);
        gst_element_post_message(source->bin,
                                 gst_message_new_error(GST_OBJECT(source->bin), error, NULL));
        g_error_free(error);
    }
    gst_object_unref(sink);
}

/* filesrc ! decodebin, feeding the file's first `kind` stream to `converter`. */
static gboolean add_file_input(GstElement *bin, const gchar *path, const gchar *kind,
                               GstElement *converter, GError **error)
{
    GstElement *filesrc, *decodebin;
    FileSource *source;

    if (!add_chain(GST_BIN(bin), &filesrc, &decodebin, error, "filesrc", "decodebin", NULL))
        return FALSE;
    g_object_set(filesrc, "location", path, NULL);
    source = g_new0(FileSource, 1);
    source->bin = bin;
    source->converter = converter;
    source->kind = kind;
    source->path = g_strdup(path);
    g_signal_connect_data(decodebin, "pad-added", G_CALLBACK(on_decoded_pad), source, NULL, 0);
    g_signal_connect_data(decodebin, "no-more-pads", G_CALLBACK(on_no_more_pads), source,
                          file_source_free, 0);
    return TRUE;
}

/* Finishes a source bin: `input` (a live source; NULL for a file) feeds
 * head..tail, which ends in a capsfilter set to `caps`; a file is decoded
 * and paced to real time, as a camera or microphone would deliver it. */
static GstElement *finish_source(GstElement *bin, GstElement *input, const gchar *file,
                                 const gchar *kind, GstElement *head, GstElement *tail,
                                 GstCaps *caps, GstPad **entry, GError **error)
{
    g_object_set(tail, "caps", caps, NULL);
    gst_caps_unref(caps);
    if (file) {
        GstElement *pace = call_media_make("clocksync", NULL, error);
        if (!pace)
            goto error;
        gst_bin_add(GST_BIN(bin), pace);
        if (!gst_element_link(tail, pace)) {
            g_set_error(error, CALL_MEDIA_ERROR, 1, "cannot link clocksync");
            goto error;
        }
        tail = pace;
        if (!add_file_input(bin, file, kind, head, error))
            goto error;
    } else if (!gst_element_link(input, head)) {
        g_set_error(error, CALL_MEDIA_ERROR, 1, "cannot link the %s input to %s", kind,
                    GST_ELEMENT_NAME(head));
        goto error;
    }
    add_ghost(bin, tail, "src", "src");
    *entry = gst_element_get_static_pad(head, "sink");
    return bin;

error:
    gst_object_unref(bin);
    return NULL;
}

GstElement *call_media_video_source(const CallOptions *options, GstPad **entry, GError **error)
{
    GstElement *bin = gst_bin_new("video-source");
    GstElement *input = NULL, *head, *tail;
    GstCaps *caps;

    if (options->video == CALL_VIDEO_TEST) {
        input = call_media_make("videotestsrc", NULL, error);
        if (input) {
            g_object_set(input, "is-live", TRUE, NULL);
            gst_util_set_object_arg(G_OBJECT(input), "pattern", "ball");
        }
    } else if (options->video == CALL_VIDEO_CAMERA) {
        input = call_media_make("v4l2src", NULL, error);
        if (input && options->video_location)
            g_object_set(input, "device", options->video_location, NULL);
    }
    if (input)
        gst_bin_add(GST_BIN(bin), input);
    if ((!input && options->video != CALL_VIDEO_FILE) ||
        !add_chain(GST_BIN(bin), &head, &tail, error, "videoconvert", "videoscale", "videorate",
                   "capsfilter", NULL)) {
        gst_object_unref(bin);
        return NULL;
    }
    caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                               G_TYPE_INT, options->width, "height", G_TYPE_INT, options->height,
                               "framerate", GST_TYPE_FRACTION, options->fps, 1,
                               "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
    return finish_source(bin, input,
                         options->video == CALL_VIDEO_FILE ? options->video_location : NULL,
                         "video", head, tail, caps, entry, error);
}

GstElement *call_media_audio_source(const CallOptions *options, GstPad **entry, GError **error)
{
    GstElement *bin = gst_bin_new("audio-source");
    GstElement *input = NULL, *head, *tail;
    GstCaps *caps;

    if (options->audio == CALL_AUDIO_TONE) {
        input = call_media_make("audiotestsrc", NULL, error);
        if (input) {
            /* 20 ms buffers, one Opus frame each. */
            g_object_set(input, "is-live", TRUE, "freq", 440.0, "volume", 0.3,
                         "samplesperbuffer", 960, NULL);
        }
    } else if (options->audio == CALL_AUDIO_MIC) {
        input = call_media_make("autoaudiosrc", NULL, error);
    }
    if (input)
        gst_bin_add(GST_BIN(bin), input);
    if ((!input && options->audio != CALL_AUDIO_FILE) ||
        !add_chain(GST_BIN(bin), &head, &tail, error, "audioconvert", "audioresample",
                   "capsfilter", NULL)) {
        gst_object_unref(bin);
        return NULL;
    }
    caps = gst_caps_new_simple("audio/x-raw", "rate", G_TYPE_INT, 48000, "channels", G_TYPE_INT,
                               1, NULL);
    return finish_source(bin, input,
                         options->audio == CALL_AUDIO_FILE ? options->audio_location : NULL,
                         "audio", head, tail, caps, entry, error);
}

GstElement *call_media_add_recorder(GstBin *pipeline, const gchar *path, GError **error)
{
    GstElement *mux, *sink;

    if (!add_chain(pipeline, &mux, &sink, error, "matroskamux", "filesink", NULL))
        return NULL;
    g_object_set(sink, "location", path, "sync", FALSE, "async", FALSE, NULL);
    return mux;
}

/* Links `tail`'s src pad to a new request pad of the recorder. */
static gboolean link_to_recorder(GstElement *tail, GstElement *mux, const gchar *pad_template,
                                 GError **error)
{
    if (!gst_element_link_pads(tail, "src", mux, pad_template)) {
        g_set_error(error, CALL_MEDIA_ERROR, 1, "cannot link %s to the Matroska writer",
                    GST_ELEMENT_NAME(tail));
        return FALSE;
    }
    return TRUE;
}

/* autovideosink tries every video sink by rank, DirectFB's among them
 * (gst-plugins-bad): without a framebuffer console its library crashes the
 * process in a thread of its own (libfusion), and no desktop wants it. */
static void keep_autovideosink_off_directfb(void)
{
    GstPluginFeature *dfb = gst_registry_lookup_feature(gst_registry_get(), "dfbvideosink");
    if (dfb) {
        gst_plugin_feature_set_rank(dfb, GST_RANK_NONE);
        gst_object_unref(dfb);
    }
}

GstElement *call_media_add_video_output(GstBin *pipeline, GstElement *mux, GError **error)
{
    GstElement *head, *tail;

    if (mux) {
        /* Decoded frames are kept as cheap JPEG pictures: any player and
         * ffprobe can count and show them. */
        if (!add_chain(pipeline, &head, &tail, error, "videoconvert", "jpegenc", "queue", NULL) ||
            !link_to_recorder(tail, mux, "video_%u", error))
            return NULL;
        return head;
    }
    keep_autovideosink_off_directfb();
    if (!add_chain(pipeline, &head, &tail, error, "queue", "videoconvert", "autovideosink",
                   NULL))
        return NULL;
    return head;
}

GstElement *call_media_add_audio_output(GstBin *pipeline, GstElement *mux, GError **error)
{
    GstElement *head, *tail;

    if (mux) {
        /* The Opus packets go in as received: no second lossy pass. */
        if (!add_chain(pipeline, &head, &tail, error, "queue", NULL) ||
            !link_to_recorder(tail, mux, "audio_%u", error))
            return NULL;
        /* The writer starts once both streams have data: hold a few
         * seconds of audio while the first keyframe is on its way. */
        g_object_set(head, "max-size-time", (guint64)10 * GST_SECOND, "max-size-buffers", 0,
                     "max-size-bytes", 0, NULL);
        return head;
    }
    if (!add_chain(pipeline, &head, &tail, error, "queue", "opusdec", "audioconvert",
                   "audioresample", "autoaudiosink", NULL))
        return NULL;
    return head;
}
