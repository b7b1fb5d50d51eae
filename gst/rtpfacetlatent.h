/* SPDX-License-Identifier: BSD-2-Clause */
/* What rtpfacetdepay knows of a latent stream (docs/rtp-payload.md,
 * "Latent tier"): whether the chain of low-resolution frames is intact and
 * whether the receiver has, or is getting, a whole reference. It judges
 * each whole packet (pass it on or not) and says when to ask the sender
 * for a keyframe (RTCP PLI) or a reference (FIR). Plain C over
 * facet_packet_peek()'s FacetPacketInfo; times are extended RTP
 * timestamps (90 kHz). */
#ifndef GST_RTP_FACET_LATENT_H
#define GST_RTP_FACET_LATENT_H

#include <glib.h>

#include <facet/facet.h>

/* A reference whose next fragment has not come for this long is taken as
 * lost (the sender spaces fragments about a quarter second apart). */
#define RTP_FACET_REFERENCE_STALL_MS 3000
/* After a latent keyframe, how long a receiver without a reference waits
 * for one to start before it asks: the sender holds the first fragment
 * back until its large first keyframe is mostly repaid, which at 10 kbit/s
 * took 4.2 s (docs/latent-tier.md, "The first keyframe"); asking sooner
 * only restarts the reference it is about to send. */
#define RTP_FACET_REFERENCE_WAIT_MS 6000
/* After that request went unanswered, how long before the next: a sender
 * without references (facetenc references=off, or auto with the shipped
 * model) never answers, and one with them sends one every 30 s anyway. */
#define RTP_FACET_REFERENCE_RETRY_MS 30000

/* Short latent frames (1.2) number frames modulo this: a loss of a
 * multiple of it is seen only through the RTP packets missing. */
#define RTP_FACET_SHORT_FRAME_ALIAS 256

typedef struct {
    /* The chain: the last latent keyframe's id, the last frame passed
     * (full numbers, also under short latent frames). */
    gboolean have_keyframe;
    guint32 keyframe_id;
    guint32 last_frame;
    gboolean chain_broken;
    /* RTP packets missing between the last latent keyframe or frame
     * passed and the packet judged (rtp_facet_latent_set_packets_missing). */
    guint32 packets_missing;
    /* The reference being collected: id, fragment count, next index. */
    gboolean collecting;
    gboolean broken;
    guint32 reference_id;
    gint fragment_count;
    gint next_fragment;
    guint64 last_fragment_time;
    /* A whole reference went out, and its id (to drop its duplicates). */
    gboolean have_reference;
    gboolean whole_id_valid;
    guint32 whole_id;
    /* Since when a receiver without a reference waits for one. */
    gboolean waiting;
    guint64 wait_since;
    guint wait_ms; /* RTP_FACET_REFERENCE_WAIT_MS, then _RETRY_MS */
} RtpFacetLatent;

typedef struct {
    gboolean pass;           /* hand the packet on to the decoder */
    gboolean want_keyframe;  /* ask for a low-resolution keyframe (PLI) */
    gboolean want_reference; /* ask for a new reference (FIR) */
    const gchar *why;        /* why it is dropped or asked, for the log */
} RtpFacetLatentVerdict;

void rtp_facet_latent_reset(RtpFacetLatent *state);

/* Before each check: how many RTP packets are missing (sequence numbers
 * neither received nor of the packet judged) since the last latent
 * keyframe or frame passed. With RTP_FACET_SHORT_FRAME_ALIAS or more, a
 * short latent frame that looks like the next one may follow a loss of
 * 256 frames, and is taken as a gap. 0 when unknown. */
void rtp_facet_latent_set_packets_missing(RtpFacetLatent *state, guint32 count);

/* Whether a packet type belongs to the latent tier. */
gboolean rtp_facet_latent_is_latent(FacetPacketType type);

/* Judges one whole latent packet (types 3, 4, 5, 6) read at time `now`. */
RtpFacetLatentVerdict rtp_facet_latent_check(RtpFacetLatent *state, const FacetPacketInfo *info,
                                             guint64 now);

/* Whether, at `now`, the receiver should ask for a reference: the one
 * being collected lost a fragment or stalled, or none came after the
 * keyframe. Asked on every packet; the caller rate-limits. */
gboolean rtp_facet_latent_wants_reference(RtpFacetLatent *state, guint64 now, const gchar **why);

#endif /* GST_RTP_FACET_LATENT_H */
