/* SPDX-License-Identifier: BSD-2-Clause */
/* The latent tier's loss rules of rtpfacetdepay; see rtpfacetlatent.h. */
#include "rtpfacetlatent.h"

#include <string.h>

#define MS_TO_RTP(ms) ((guint64)(ms) * 90)

void rtp_facet_latent_reset(RtpFacetLatent *state)
{
    memset(state, 0, sizeof(*state));
}

gboolean rtp_facet_latent_is_latent(FacetPacketType type)
{
    return type == FACET_PACKET_TYPE_LATENT_KEYFRAME || type == FACET_PACKET_TYPE_LATENT_FRAME ||
           type == FACET_PACKET_TYPE_LATENT_FRAME_SHORT || type == FACET_PACKET_TYPE_REFERENCE;
}

void rtp_facet_latent_set_packets_missing(RtpFacetLatent *state, guint32 count)
{
    state->packets_missing = count;
}

static RtpFacetLatentVerdict verdict(gboolean pass, gboolean keyframe, gboolean reference,
                                     const gchar *why)
{
    RtpFacetLatentVerdict v = { pass, keyframe, reference, why };
    return v;
}

/* A latent keyframe starts a new chain. The reference in use stays; after
 * a keyframe a restarted sender may reuse an id, so the whole one's id no
 * longer marks duplicates. */
static RtpFacetLatentVerdict check_keyframe(RtpFacetLatent *state, const FacetPacketInfo *info,
                                            guint64 now)
{
    /* The keyframe of this chain again (duplicated, or late): taking it
     * would rewind the chain. */
    if (state->have_keyframe && info->keyframe_id == state->keyframe_id &&
        (gint32)(info->frame_number - state->last_frame) <= 0)
        return verdict(FALSE, FALSE, FALSE, "duplicated latent keyframe");
    state->have_keyframe = TRUE;
    state->keyframe_id = info->keyframe_id;
    state->last_frame = info->frame_number;
    state->chain_broken = FALSE;
    state->whole_id_valid = FALSE;
    if (!state->have_reference && !state->collecting && !state->waiting) {
        state->waiting = TRUE;
        state->wait_since = now;
        state->wait_ms = RTP_FACET_REFERENCE_WAIT_MS;
    }
    return verdict(TRUE, FALSE, FALSE, NULL);
}

/* Each frame needs every one before it back to its keyframe. A short
 * latent frame (1.2) codes its numbers modulo 256: they are compared
 * modulo 256 with the full ones kept here, as the decoder does: a frame
 * of an older chain (keyframe_low behind) is late; in this chain only a
 * step of 0 is a duplicate, any other but 1 a gap. */
static RtpFacetLatentVerdict check_frame(RtpFacetLatent *state, const FacetPacketInfo *info)
{
    gboolean short_numbers = info->type == FACET_PACKET_TYPE_LATENT_FRAME_SHORT;
    gint32 step = short_numbers ? (gint32)(guint8)(info->frame_number - state->last_frame)
                                : (gint32)(info->frame_number - state->last_frame);
    gboolean same_chain = short_numbers ? info->keyframe_id == (state->keyframe_id & 0xffu)
                                        : info->keyframe_id == state->keyframe_id;

    if (!state->have_keyframe)
        return verdict(FALSE, TRUE, FALSE, "latent frame before any latent keyframe");
    if (short_numbers && (gint8)(guint8)(info->keyframe_id - state->keyframe_id) < 0)
        return verdict(FALSE, FALSE, FALSE, "late latent frame of an older chain");
    if (step <= 0 && same_chain)
        return verdict(FALSE, FALSE, FALSE, "duplicated or late latent frame");
    /* The one loss short numbers cannot see, of an exact multiple of 256
     * frames, takes at least 256 RTP packets: with fewer missing since the
     * last frame passed, a step of 1 is the next frame; with more, it may
     * not be. */
    if (short_numbers && step == 1 && state->packets_missing >= RTP_FACET_SHORT_FRAME_ALIAS)
        step = 1 + RTP_FACET_SHORT_FRAME_ALIAS;
    if (state->chain_broken || !same_chain || step != 1) {
        state->chain_broken = TRUE;
        return verdict(FALSE, TRUE, FALSE, "latent frame after a gap: the chain is broken");
    }
    state->last_frame += (guint32)step;
    return verdict(TRUE, FALSE, FALSE, NULL);
}

/* Fragments come in index order; one missing means the reference cannot
 * complete, so the rest of it is dropped and a new one asked for. */
static RtpFacetLatentVerdict check_fragment(RtpFacetLatent *state, const FacetPacketInfo *info,
                                            guint64 now)
{
    if (!state->have_keyframe)
        return verdict(FALSE, FALSE, FALSE, "reference fragment before any latent keyframe");
    if (state->whole_id_valid && info->reference_id == state->whole_id)
        return verdict(FALSE, FALSE, FALSE, "fragment of the reference in use");
    if (!state->collecting || info->reference_id != state->reference_id ||
        info->fragment_count != state->fragment_count) {
        /* A new reference; an incomplete one before it is abandoned, as
         * the decoder abandons it. */
        state->collecting = TRUE;
        state->broken = FALSE;
        state->reference_id = info->reference_id;
        state->fragment_count = info->fragment_count;
        state->next_fragment = 0;
        state->waiting = FALSE;
    }
    if (state->broken)
        return verdict(FALSE, FALSE, FALSE, "fragment of a reference that lost one");
    if (info->fragment_index < state->next_fragment)
        return verdict(FALSE, FALSE, FALSE, "duplicated reference fragment");
    if (info->fragment_index > state->next_fragment) {
        state->broken = TRUE;
        return verdict(FALSE, FALSE, TRUE, "a reference fragment was lost");
    }
    state->last_fragment_time = now;
    if (++state->next_fragment == state->fragment_count) {
        state->collecting = FALSE;
        state->have_reference = TRUE;
        state->whole_id_valid = TRUE;
        state->whole_id = state->reference_id;
    }
    return verdict(TRUE, FALSE, FALSE, NULL);
}

RtpFacetLatentVerdict rtp_facet_latent_check(RtpFacetLatent *state, const FacetPacketInfo *info,
                                             guint64 now)
{
    switch (info->type) {
    case FACET_PACKET_TYPE_LATENT_KEYFRAME:
        return check_keyframe(state, info, now);
    case FACET_PACKET_TYPE_LATENT_FRAME:
    case FACET_PACKET_TYPE_LATENT_FRAME_SHORT:
        return check_frame(state, info);
    case FACET_PACKET_TYPE_REFERENCE:
        return check_fragment(state, info, now);
    default:
        return verdict(FALSE, FALSE, FALSE, "not a latent packet");
    }
}

gboolean rtp_facet_latent_wants_reference(RtpFacetLatent *state, guint64 now, const gchar **why)
{
    if (!state->have_keyframe)
        return FALSE;
    if (state->collecting && !state->broken && now >= state->last_fragment_time &&
        now - state->last_fragment_time > MS_TO_RTP(RTP_FACET_REFERENCE_STALL_MS)) {
        state->broken = TRUE;
        *why = "the reference being received stalled";
    }
    if (state->collecting && state->broken) {
        *why = *why ? *why : "the reference being received lost a fragment";
        return TRUE;
    }
    if (state->waiting && now >= state->wait_since &&
        now - state->wait_since > MS_TO_RTP(state->wait_ms)) {
        /* A sender that sends no references (facetenc references=auto
         * or off) answers nothing: ask again only as often as a sender
         * that does would send one anyway. */
        state->wait_since = now;
        state->wait_ms = RTP_FACET_REFERENCE_RETRY_MS;
        *why = "no reference has come";
        return TRUE;
    }
    return FALSE;
}
