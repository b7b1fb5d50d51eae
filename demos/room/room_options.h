/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-room's command line: what the user asked for, validated. */
#ifndef FACET_ROOM_OPTIONS_H
#define FACET_ROOM_OPTIONS_H

#include <glib.h>

typedef struct RoomOptions {
    gchar *janus_url;      /* Janus's HTTP API, e.g. http://10.77.0.1:8088/janus */
    guint64 room;          /* VideoRoom room id */
    gchar *name;           /* our display name */
    gchar *input;          /* a video file (decodebin); NULL: the test source */
    gchar *model;          /* latent model file; NULL: the library's default */
    guint bitrate_kbps;    /* the latent stream's target, references included */
    gint width, height, fps;
    gboolean headless;     /* count frames instead of showing them */
    gdouble duration;      /* seconds; 0: until interrupted */
    gchar *stats_json;     /* written every second and at the end; NULL: none */
    gdouble reference_resend; /* seconds between re-sends of the current reference */
    gboolean no_audio;
    gchar *video_sink;     /* the window's sink (gst-launch syntax); NULL: autovideosink */
    gint references;       /* FacetLatentReferences: auto (the library's choice), on, off */
    gboolean receive_only; /* join and subscribe, publish nothing */
} RoomOptions;

#define ROOM_MIN_BITRATE_KBPS 2
#define ROOM_MAX_BITRATE_KBPS 10000

/* Parses and validates argv (GStreamer's options included). FALSE with a
 * message naming the bad argument in *error. */
gboolean room_options_parse(RoomOptions *options, int *argc, char ***argv, GError **error);

void room_options_clear(RoomOptions *options);

#endif
