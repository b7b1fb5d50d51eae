/* SPDX-License-Identifier: BSD-2-Clause */
/* facet-call's forward error correction policy: how much ULPFEC (RFC 5109,
 * GStreamer's rtpulpfecenc) to send for the loss the peer reports, in the
 * manner of WebRTC's loss protection (media_opt_util.cc), which sends no
 * FEC on a clean link and more the more the link loses.
 *
 * Fed with the same RTCP receiver-report blocks as the rate controller
 * (call_rate.h), it pools reports until they cover enough packets, filters
 * the loss (up at once, down slowly: loss comes in bursts, and a
 * protection that falls with every clean report would be off when the next
 * burst comes) and answers with rtpulpfecenc's `percentage`:
 *
 *   filtered loss < 2 %     0: off (retransmission alone repairs that)
 *   from 2 %                CALL_FEC_PER_LOSS x the loss in percent
 *                           (10 % loss: 50 %), at most the cap (--fec)
 *
 * rtpulpfecenc counts its percentage in packets, each FEC packet the XOR
 * of the packets of one frame: at the latent tier's low rates a frame is
 * one packet, so P % protects P % of the frames with a copy of their
 * packet (14 bytes longer). The media then get 100 / (100 + P) of the
 * target rate (call_fec_media_share), so that media and FEC together stay
 * within the rate controller's target.
 *
 * Pure C, no clock, not thread-safe: one owner calls it. */
#ifndef FACET_CALL_FEC_H
#define FACET_CALL_FEC_H

#include <stdint.h>

/* Percent of FEC per percent of loss, and the loss below which FEC is
 * off. */
#define CALL_FEC_PER_LOSS 5.0
#define CALL_FEC_MIN_LOSS 0.02
/* Reports are pooled until they cover this many packets (as call_rate
 * does: one lost packet of 5 is not 20 % loss). */
#define CALL_FEC_MIN_PACKETS 20
/* The share of the filtered loss kept per judged report when the loss
 * falls (about a 10 s half-life at a judgement every 2 s). */
#define CALL_FEC_DECAY 0.87
/* --fec's bounds, and its default: the most FEC (percent of the media
 * packets) the policy may send. */
#define CALL_FEC_MAX_PERCENT 100
#define CALL_FEC_DEFAULT_PERCENT 50

typedef struct CallFec {
    unsigned cap;           /* 0: never any FEC */
    double pooled_lost;     /* packets lost in reports not yet judged */
    double pooled_expected; /* packets those reports cover */
    double filtered_loss;   /* 0..1 */
    unsigned percentage;    /* the current answer */
} CallFec;

/* Starts with no FEC. Returns 0, or -1 when `cap` is above
 * CALL_FEC_MAX_PERCENT or `fec` is NULL. */
int call_fec_init(CallFec *fec, unsigned cap);

/* One receiver report: RFC 3550's 8-bit `fraction_lost` (0-255) over
 * `packets_expected` packets (0: unknown, used as it is). Returns the
 * percentage to send from now on. A fraction above 255 changes nothing. */
unsigned call_fec_on_report(CallFec *fec, unsigned fraction_lost, uint32_t packets_expected);

/* The percentage for a filtered loss (0..1) under `cap`. */
unsigned call_fec_percentage_for(double loss, unsigned cap);

/* The share of a total rate left to the media when `percentage` % FEC
 * goes with them: 100 / (100 + percentage). */
double call_fec_media_share(unsigned percentage);

#endif
