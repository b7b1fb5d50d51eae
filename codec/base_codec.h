/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's base codec (internal to libfacet): one inter-coded
 * low-resolution stream, AV1 or VP8 (FACET_BASE_ID_*, codec/bitstream.h).
 * Encoding calls libaom or libvpx directly in realtime CBR mode, at a
 * target that may change before any frame (base_encoder*.c); decoding goes
 * through libavcodec: libdav1d for AV1 (else libavcodec's "av1" or
 * libaom-av1), FFmpeg's own vp8 for VP8 (base_codec.c).
 * docs/latent-tier.md describes the settings.
 */
#ifndef FACET_CODEC_BASE_CODEC_H
#define FACET_CODEC_BASE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "codec/log.h"
#include "facet/facet.h"

typedef struct FacetBaseEncoder FacetBaseEncoder;

/* codec: FACET_BASE_ID_AV1 or FACET_BASE_ID_VP8. width, height even,
 * 16..2048; bitrate >= 1000 bit/s; first_keyframe_bytes: what the first
 * keyframe may take (>= 0; 0: the library's small default). Usage
 * realtime, cpu-used 8, lag 0, CBR with a short buffer, no dropped
 * frames, keyframes only at the start and when asked. 0,
 * FACET_ERR(EINVAL), FACET_ERR(ENOSYS) (the library refused the
 * settings), FACET_ERR(EIO), FACET_ERR(ENOMEM). */
int facet_base_encoder_open(FacetBaseEncoder **out, int codec, int width, int height,
                            int fps_num, int fps_den, int bitrate, int first_keyframe_bytes,
                            int threads, const FacetLogger *logger);
/* The target (bit/s, at least 1000) and the lowest quantiser (0..63,
 * libaom's and libvpx's common scale; 0 at open) of the frames coded from
 * now on. The library gets whole kbit/s, the rounding carried over, at
 * most every quarter second unless the target moves by a quarter. */
void facet_base_encoder_set_rate(FacetBaseEncoder *enc, double bitrate, int min_quantizer);
/* The whole kbit/s the library was last given. */
int facet_base_encoder_kbps(const FacetBaseEncoder *enc);
/* One I420 picture of the opened size in, one unit out (*data malloc'd,
 * the caller frees it): for AV1 one temporal unit, for VP8 one frame.
 * keyframe: force a keyframe. *is_keyframe says what came out. 0,
 * FACET_ERR(EIO), FACET_ERR(ENOMEM). */
int facet_base_encode(FacetBaseEncoder *enc, const FacetPicture *i420, int keyframe,
                      uint8_t **data, size_t *size, int *is_keyframe);
void facet_base_encoder_close(FacetBaseEncoder **enc);

typedef struct FacetBaseDecoder FacetBaseDecoder;

/* A decoder of the base codec codec_id (FACET_BASE_ID_*); its name is
 * logged when an AV1 decoder is not libdav1d. 0, FACET_ERR(EINVAL) (an
 * unknown codec), FACET_ERR(ENOSYS) (none in this FFmpeg),
 * FACET_ERR(ENOMEM). */
int facet_base_decoder_open(FacetBaseDecoder **out, int codec_id, int threads,
                            const FacetLogger *logger);
/* The FACET_BASE_ID_* it decodes. */
int facet_base_decoder_codec(const FacetBaseDecoder *dec);
/* Decodes one temporal unit into *out (allocated I420, width x height,
 * which the frame must be exactly). 0, -EBADMSG, -ENOMEM. */
int facet_base_decode(FacetBaseDecoder *dec, const uint8_t *data, size_t size, int width,
                      int height, FacetPicture *out);
/* Forgets every frame (before a keyframe after a break in the chain). */
void facet_base_decoder_reset(FacetBaseDecoder *dec);
const char *facet_base_decoder_name(const FacetBaseDecoder *dec);
void facet_base_decoder_close(FacetBaseDecoder **dec);

#endif /* FACET_CODEC_BASE_CODEC_H */
