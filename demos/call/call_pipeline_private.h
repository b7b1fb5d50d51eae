/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's pipeline inside (call_pipeline.c, which builds and ends it)
 * and the pad probes that count, filter and drop packets on it
 * (call_taps.c). Not for other files. */
#ifndef FACET_CALL_PIPELINE_PRIVATE_H
#define FACET_CALL_PIPELINE_PRIVATE_H

#include <gst/gst.h>

#include "call_feedback.h"
#include "call_jitter_stats.h"
#include "call_pipeline.h"
#include "call_srtp.h"

struct CallPipeline {
    GstElement *pipeline;
    GstElement *rtpbin;
    GstElement *udpsrc[CALL_CHANNELS];
    GstElement *udpsink[CALL_CHANNELS];
    GstElement *encoder, *decoder;
    GstElement *video_depay, *audio_depay;
    /* Sink pads just after each source's input, where the end of the call
     * is injected (whatever the input: live, camera or a demuxer). */
    GstPad *video_source_entry, *audio_source_entry;

    CallNet *net;
    CallStats *stats;
    CallEvents events;

    GRand *loss_rand; /* used from the video RTP sender's streaming thread */
    gdouble loss_percent;
    guint drop_keyframe;  /* --drop-keyframe */
    guint keyframes_out;  /* keyframes that started going out (same thread) */
    gint peer_left;   /* atomic: BYE reported once */
    gint rtcp_ended;  /* atomic: RTCP senders that passed EOS, i.e. sent their BYE */
    gboolean receiving_ended;
    guint end_receiving_source; /* main-loop source of the second step of the end */
    gint64 video_packets_lost; /* last value read while the peer's source existed */
    gchar *backend;

    gboolean encrypted;        /* SRTP: the taps below sit on srtpenc/srtpdec */
    CallSrtp srtp;
    GstElement *srtpenc[2], *srtpdec[2]; /* per session; references of ours */
    gboolean retransmission;
    CallFeedback feedback;
    gboolean feedback_ready;
    CallJitterStats jitter_stats;   /* the peer's video stream's jitter buffer */
    GstElement *fec_encoder;  /* rtpulpfecenc of our video (a reference), or NULL: --fec 0 */
    GstElement *fec_decoder;  /* rtpulpfecdec of the peer's video (a reference; atomic), or NULL */
    guint latency_ms;         /* --latency */
    gint video_ssrc_known;    /* atomic: our video's SSRC was seen going out */
    guint video_ssrc;         /* atomic: that SSRC (the peer's report blocks about it) */
    gdouble net_loss;          /* --net-loss, --net-delay, --net-jitter */
    gint net_delay_ms, net_jitter_ms;
    gdouble net_duplicate;
};

/* One probe context per socket. */
typedef struct ChannelProbe {
    CallPipeline *pipeline;
    CallChannel channel;
} ChannelProbe;

/* ---- taps (call_taps.c): pad probe callbacks ---------------------------- */

/* Datagrams at a socket (udpsrc's src pad; ChannelProbe data). */
GstPadProbeReturn call_tap_datagram(GstPad *pad, GstPadProbeInfo *info, gpointer data);
/* What srtpdec authenticated and decrypted (its src pads; ChannelProbe). */
GstPadProbeReturn call_tap_decrypted(GstPad *pad, GstPadProbeInfo *info, gpointer data);
/* Plain packets on their way out (srtpenc's sink pads, or the sockets of a
 * plain call; ChannelProbe). */
GstPadProbeReturn call_tap_clear_out(GstPad *pad, GstPadProbeInfo *info, gpointer data);
/* What leaves through a socket (multiudpsink's sink pad; ChannelProbe). */
GstPadProbeReturn call_tap_send(GstPad *pad, GstPadProbeInfo *info, gpointer data);
/* facetenc's output and the requests reaching it (CallPipeline). */
GstPadProbeReturn call_tap_encoder_src(GstPad *pad, GstPadProbeInfo *info, gpointer data);
/* facetdec's output (CallPipeline). */
GstPadProbeReturn call_tap_decoded_frame(GstPad *pad, GstPadProbeInfo *info, gpointer data);
/* A local source's events: its EOS ends the call (CallPipeline). */
GstPadProbeReturn call_tap_source_event(GstPad *pad, GstPadProbeInfo *info, gpointer data);
/* Drops everything (a second stream without a branch). */
GstPadProbeReturn call_tap_drop_all(GstPad *pad, GstPadProbeInfo *info, gpointer data);

void call_tap_add(GstElement *element, const gchar *pad_name, GstPadProbeType mask,
                  GstPadProbeCallback callback, gpointer data, GDestroyNotify destroy);

/* ---- FEC (call_pipeline_fec.c) ------------------------------------------ */

/* Connects rtpbin's FEC signals: the peer's FEC always repairs what it
 * can; ours goes out when options->fec_percent is not 0 (then
 * self->fec_encoder is set). Before rtpbin makes its sessions. */
gboolean call_pipeline_add_fec(CallPipeline *self, const CallOptions *options, GError **error);
/* The FEC fields of the printed lines. */
void call_pipeline_fec_live(CallPipeline *self, CallLive *live);
void call_pipeline_fec_clear(CallPipeline *self);

/* The second step of the end of a call (call_pipeline.c), invoked in the
 * main loop once both RTCP senders have passed EOS. */
gboolean call_pipeline_end_receiving_in_main(gpointer data);

#endif
