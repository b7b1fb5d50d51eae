/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's GStreamer pipeline: one rtpbin with two sessions (0: video
 * through facetenc/rtpfacetpay and rtpfacetdepay/facetdec, 1: audio through
 * opusenc/rtpopuspay and rtpopusdepay), sending and receiving on the four
 * sockets of a CallNet, with the probes that fill CallStats.
 *
 *   video source ! queue ! facetenc ! rtpfacetpay ! rtpbin.send_rtp_sink_0
 *   audio source ! opusenc ! rtpopuspay ! rtpbin.send_rtp_sink_1
 *   rtpbin.send_rtp_src_N / send_rtcp_src_N -> multiudpsink (peer's ports)
 *   udpsrc (our ports) -> rtpbin.recv_rtp_sink_N / recv_rtcp_sink_N
 *   rtpbin.recv_rtp_src_0_* ! rtpfacetdepay ! facetdec ! window or file
 *   rtpbin.recv_rtp_src_1_* ! rtpopusdepay ! speakers or file
 */
#ifndef FACET_CALL_PIPELINE_H
#define FACET_CALL_PIPELINE_H

#include <gst/gst.h>

#include "call_net.h"
#include "call_options.h"
#include "call_stats.h"

/* What the pipeline tells the application. Called from streaming threads. */
typedef struct CallEvents {
    void (*peer_left)(gpointer data);   /* the peer sent RTCP BYE (once) */
    void (*media_ended)(gpointer data); /* a local source (a file) ended */
    gpointer data;
} CallEvents;

typedef struct CallPipeline CallPipeline;

/* Builds the pipeline (in NULL state). The pipeline uses, and must not
 * outlive, `net` and `stats`. */
CallPipeline *call_pipeline_new(const CallOptions *options, CallNet *net, CallStats *stats,
                                const CallEvents *events, GError **error);

GstElement *call_pipeline_element(CallPipeline *pipeline);

/* Starts a clean end: EOS into both media sources (rtpbin then sends RTCP
 * BYE), then, once both BYEs are out or after 2 s, into the receiving
 * branches (what is in the jitter buffers is decoded, the file finalised).
 * The bus gets EOS once everything has drained. Main thread only. */
void call_pipeline_end(CallPipeline *pipeline);

/* Video RTP packets the peer sent that never arrived, from rtpbin's
 * receiver statistics (what RTCP receiver reports carry). */
gint64 call_pipeline_video_packets_lost(CallPipeline *pipeline);

/* facetdec's back end ("cpu" when the element does not say). */
const gchar *call_pipeline_decoder_backend(CallPipeline *pipeline);

/* Everything the printed lines take beyond the counters; `live->backend`
 * stays valid until the next call. */
void call_pipeline_live(CallPipeline *pipeline, CallLive *live);

void call_pipeline_free(CallPipeline *pipeline);

#endif
