/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's counters: filled from pad probes on streaming threads, read
 * once a second by the main loop for the live line and at the end for the
 * summary. */
#ifndef FACET_CALL_STATS_H
#define FACET_CALL_STATS_H

#include <gst/gst.h>

typedef struct CallCounters {
    guint64 video_bytes_sent;      /* RTP, headers included */
    guint64 video_bytes_received;
    guint64 video_packets_sent;
    guint64 video_packets_received;
    guint64 audio_bytes_sent;
    guint64 audio_bytes_received;
    guint64 audio_packets_received;
    guint64 video_frames_sent;     /* frames offered to the network (before --video-loss):
                                    * Facet packets, each closed by a marker bit, so a
                                    * latent reference's fragments count as frames */
    guint64 video_pictures_sent;   /* pictures: distinct RTP timestamps (a latent frame
                                    * and the reference fragment sent with it are one),
                                    * what a receiver can show at most */
    guint64 video_frames_lost;     /* of those, frames --video-loss took a packet of */
    guint64 video_frames_decodable; /* frames sent whole after a keyframe sent whole */
    guint64 video_packets_dropped; /* by --video-loss */
    guint64 video_frames_decoded;  /* frames facetdec output */
    guint64 keyframes_encoded;     /* keyframes facetenc output (latent: low-resolution) */
    guint64 references_encoded;    /* latent tier: full-resolution references begun */
    guint64 pli_sent;              /* our keyframe requests on the wire (RTCP PLI) */
    guint64 pli_received;          /* the peer's */
    guint64 keyframe_requests;     /* force-key-unit requests that reached facetenc */
    guint64 keyframe_requests_answered; /* ... followed by a keyframe */
    guint64 packets_malformed;     /* datagrams that were not RTP/RTCP of this call */
    guint64 packets_stranger;      /* datagrams from another address than the peer */
    guint64 fir_sent;              /* our reference requests (RTCP FIR) */
    guint64 fir_received;          /* the peer's */
    guint64 nack_sent;             /* our retransmission requests (RTCP generic NACK) */
    guint64 nack_received;         /* the peer's */
    guint64 rtx_packets_sent;      /* retransmissions we sent (RFC 4588) */
    guint64 rtx_packets_received;  /* retransmissions that reached us */
    guint64 rtx_bytes_sent;        /* their bytes (RTP, headers included) */
    guint64 fec_packets_sent;      /* FEC packets we sent (ULPFEC, RFC 5109) */
    guint64 fec_packets_received;  /* the peer's that reached us */
    guint64 fec_bytes_sent;        /* their bytes (RTP, headers included) */
    guint64 longest_freeze_us;     /* the longest wait between two frames shown */
    guint64 recoveries;            /* keyframe/reference requests of ours that a frame ended */
    guint64 recovery_us_total;     /* from such a request to the next frame shown */
    guint64 recovery_us_max;
} CallCounters;

/* What the pipeline knows beyond the counters, for the printed lines. */
typedef struct CallLive {
    gint64 video_packets_lost;  /* the peer's video packets that never came (our RTCP) */
    guint64 srtp_refused;       /* packets srtpdec refused (authentication, replay) */
    gdouble target_kbps;        /* the rate controller's target; 0: not adapting */
    guint lowest_target_kbps;   /* its lowest in the call so far */
    gdouble loss;               /* the share of our video the peer reports lost, 0..1 */
    gdouble rtt_ms;             /* round trip; < 0: unknown */
    const gchar *backend;       /* facetdec's */
    guint64 rtx_asked;          /* packets our jitter buffer asked to be resent */
    guint64 rtx_recovered;      /* ... that came in time */
    guint64 jitter_lost;        /* packets it gave up on */
    guint fec_percentage;       /* the FEC we send now, percent of the video packets */
    guint64 fec_recovered;      /* the peer's video packets FEC rebuilt (rtpulpfecdec) */
    guint64 fec_unrecovered;    /* losses it could not repair (lost FEC packets included) */
} CallLive;

typedef struct CallStats {
    GMutex lock;
    CallCounters counters;

    /* --video-loss frame accounting: the frame (RTP timestamp) whose
     * packets are going out. */
    gboolean frame_open;
    guint32 frame_timestamp;
    gboolean frame_dropped;
    gboolean frame_keyframe;
    gboolean reference_whole; /* the last keyframe went out whole */
    gboolean picture_open;    /* a picture's timestamp was seen */
    guint32 picture_timestamp;

    gboolean keyframe_request_pending;

    gint64 last_shown_us;        /* monotonic time of the last frame shown; 0: none */
    gint64 request_sent_us;      /* our first unanswered PLI/FIR; 0: none */

    CallCounters last;    /* at the previous live line */
    gint64 last_time_us;
} CallStats;

void call_stats_init(CallStats *stats);
void call_stats_clear(CallStats *stats);

/* Adds `amount` to the counter at `field` (offsetof(CallCounters, ...)). */
void call_stats_add(CallStats *stats, gsize field, guint64 amount);
#define CALL_STATS_ADD(stats, name, amount) \
    call_stats_add(stats, G_STRUCT_OFFSET(CallCounters, name), amount)

/* One outgoing video RTP packet (RTP timestamp, marker bit, the payload
 * header's K bit, size), which --video-loss dropped or not: counts bytes,
 * whole frames, and the frames a receiver can decode (sent whole, and so was
 * the keyframe before them). */
void call_stats_video_packet_out(CallStats *stats, guint32 rtp_timestamp, gboolean marker,
                                 gboolean keyframe, gsize size, gboolean dropped);

/* A force-key-unit request reached the encoder / the encoder output a
 * packet (a keyframe, the first fragment of a reference, or neither):
 * pairs requests with the keyframes or references that answer them. */
void call_stats_keyframe_requested(CallStats *stats);
void call_stats_frame_encoded(CallStats *stats, gboolean keyframe, gboolean reference);

/* What an RTCP compound packet carries that the call acts on. */
typedef struct CallRtcpScan {
    guint pli;  /* Picture Loss Indications */
    guint fir;  /* Full Intra Requests (reference requests) */
    guint nack; /* generic NACKs (retransmission requests) */
    guint bye;  /* BYE packets: the sender left */
} CallRtcpScan;

/* Scans an RTCP compound packet; an invalid one counts nothing. */
CallRtcpScan call_stats_scan_rtcp(GstBuffer *rtcp);

/* What a report block (RFC 3550 6.4.1) says about one of our sources. */
typedef struct CallReportBlock {
    guint fraction_lost;  /* 8-bit fraction lost since the previous block */
    guint32 exthighest;   /* extended highest sequence number received */
    guint32 lsr;          /* middle of the NTP time of our last SR it saw; 0: none */
} CallReportBlock;

/* Finds the last report block about `ssrc` in the SRs and RRs of an RTCP
 * compound packet. FALSE when there is none, or the packet is invalid.
 * (rtpsession keeps only the last block a peer sent about any of our
 * sources, and the peer also reports on our retransmission SSRC: its
 * statistics do not say how our video fares.) */
gboolean call_stats_find_report_block(GstBuffer *rtcp, guint32 ssrc, CallReportBlock *block);

/* A frame was shown (decoded): the freeze it ends, and the recovery of a
 * request of ours it answers. */
void call_stats_frame_shown(CallStats *stats);

/* We sent `count` keyframe or reference requests (PLI, FIR): the picture is
 * broken from the first until the next frame shown. */
void call_stats_requests_sent(CallStats *stats, guint count);

void call_stats_snapshot(CallStats *stats, CallCounters *out);

/* The live line: rates since the previous call, totals, and what the
 * pipeline adds (`live`). */
void call_stats_print_line(CallStats *stats, gdouble elapsed_s, const CallLive *live);

/* One machine-readable line of totals, "summary: key=value ...". */
void call_stats_print_summary(CallStats *stats, const CallLive *live);

#endif
