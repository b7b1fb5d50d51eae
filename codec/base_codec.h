/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's base codec (internal to libfacet): one inter-coded
 * low-resolution AV1 stream through libavcodec, libaom-av1 in realtime
 * mode to encode, libdav1d (else libavcodec's "av1", else libaom-av1) to
 * decode. docs/latent-tier.md describes the settings.
 */
#ifndef FACET_CODEC_BASE_CODEC_H
#define FACET_CODEC_BASE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "codec/log.h"
#include "facet/facet.h"

typedef struct FacetBaseEncoder FacetBaseEncoder;

/* libaom-av1: usage realtime, cpu-used 8, lag-in-frames 0, row-mt, CBR at
 * `bitrate` bit/s, keyframes only at the start and when asked. 0,
 * FACET_ERR(ENOSYS) (no libaom-av1 in this FFmpeg), -EINVAL, -ENOMEM. */
int facet_base_encoder_open(FacetBaseEncoder **out, int width, int height, int fps_num,
                            int fps_den, int bitrate, int threads, const FacetLogger *logger);
/* One I420 picture of the opened size in, one temporal unit out (*data
 * malloc'd, the caller frees it). keyframe: force a keyframe. *is_keyframe
 * says what came out. 0, -EIO, -ENOMEM. */
int facet_base_encode(FacetBaseEncoder *enc, const FacetPicture *i420, int keyframe,
                      uint8_t **data, size_t *size, int *is_keyframe);
void facet_base_encoder_close(FacetBaseEncoder **enc);

typedef struct FacetBaseDecoder FacetBaseDecoder;

/* The decoder's libavcodec decoder is opened here; its name is logged when
 * it is not libdav1d. 0, FACET_ERR(ENOSYS), -ENOMEM. */
int facet_base_decoder_open(FacetBaseDecoder **out, int threads, const FacetLogger *logger);
/* Decodes one temporal unit into *out (allocated I420, width x height,
 * which the frame must be exactly). 0, -EBADMSG, -ENOMEM. */
int facet_base_decode(FacetBaseDecoder *dec, const uint8_t *data, size_t size, int width,
                      int height, FacetPicture *out);
/* Forgets every frame (before a keyframe after a break in the chain). */
void facet_base_decoder_reset(FacetBaseDecoder *dec);
const char *facet_base_decoder_name(const FacetBaseDecoder *dec);
void facet_base_decoder_close(FacetBaseDecoder **dec);

#endif /* FACET_CODEC_BASE_CODEC_H */
