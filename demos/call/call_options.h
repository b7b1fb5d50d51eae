/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's command line: what the user asked for, validated. */
#ifndef FACET_CALL_OPTIONS_H
#define FACET_CALL_OPTIONS_H

#include <glib.h>

#include "call_srtp.h"

typedef enum CallRole {
    CALL_ROLE_NONE,    /* not given yet (parsing only) */
    CALL_ROLE_LISTEN,  /* waits for the peer on its ports, learns its address */
    CALL_ROLE_CONNECT, /* knows the peer's address and ports */
} CallRole;

typedef enum CallVideoSource {
    CALL_VIDEO_TEST,   /* videotestsrc, live */
    CALL_VIDEO_CAMERA, /* v4l2src, optionally a device path */
    CALL_VIDEO_FILE,   /* any file decodebin reads, paced to real time */
} CallVideoSource;

typedef enum CallAudioSource {
    CALL_AUDIO_TONE, /* audiotestsrc sine, live */
    CALL_AUDIO_MIC,  /* autoaudiosrc */
    CALL_AUDIO_FILE, /* any file decodebin reads, paced to real time */
} CallAudioSource;

typedef enum CallMode {
    CALL_MODE_DEFAULT, /* facetenc's own default */
    CALL_MODE_KEYPOINT,
    CALL_MODE_LATENT,
} CallMode;

typedef struct CallOptions {
    CallRole role;
    /* Listen: our first port (0: any four free consecutive ports).
     * Connect: the peer's first port. */
    guint16 port;
    gchar *host;         /* connect: the peer's host name or address */
    guint16 local_port;  /* connect: our first port (0: any free) */

    CallVideoSource video;
    gchar *video_location; /* camera device or file path; NULL for the default */
    CallAudioSource audio;
    gchar *audio_location; /* file path */

    gchar *headless_path;  /* write received media here instead of showing it */
    gchar *model;          /* NULL: the library's default resolution */
    gint width, height, fps;
    gdouble keyframe_interval;
    gint threads;
    gint audio_bitrate;    /* bit/s */

    gdouble video_loss;    /* percent of outgoing video RTP packets dropped */
    guint32 loss_seed;
    guint drop_keyframe;   /* drop the first packet of this keyframe (1: the first); 0: none */
    gdouble duration;      /* seconds; 0: until interrupted or hung up */
    gdouble timeout;       /* seconds without a packet from the peer */
    gint latency_ms;       /* jitter buffer */

    CallMode mode;
    guint bitrate_kbps;    /* video target and ceiling; 0: the encoder's default */
    gboolean key_given;    /* --key was given (none included) */
    GBytes *key;           /* SRTP master key; NULL: --key none (media in the clear) */
    CallCipher cipher;
    gboolean retransmission; /* NACK + RTX (RFC 4588); --no-retransmission clears it */
    guint fec_percent;     /* the most ULPFEC to send, percent of the video packets; 0: none */

    /* A simulated network on everything this side sends (netsim, after
     * encryption): loss in percent, delay and its spread in ms (a spread
     * reorders packets). All 0: none. */
    gdouble net_loss;
    gint net_delay_ms, net_jitter_ms;
    gdouble net_duplicate; /* percent of packets sent twice */
} CallOptions;

/* --bitrate's bounds in kbit/s: below 2 no tier makes a picture; above 10
 * Mbit/s is no longer a low-rate call (and a typo more likely than a
 * wish). */
#define CALL_MIN_BITRATE_KBPS 2
#define CALL_MAX_BITRATE_KBPS 10000

/* Parses and validates argv (GStreamer's own options included). On failure
 * returns FALSE with a message in *error that names the bad argument. */
gboolean call_options_parse(CallOptions *options, int *argc, char ***argv, GError **error);

void call_options_clear(CallOptions *options);

#endif
