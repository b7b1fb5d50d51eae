/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Keyframe (intra) picture coding through libavcodec.
 *
 * A keyframe carries one I420 picture coded with a conventional intra codec
 * (AV1 or JPEG, see docs/intra-coding.md). Every payload stands alone: a
 * decoder that was opened just now decodes it without having seen any
 * earlier payload, so a receiver can join at any keyframe.
 *
 * Pictures are 8-bit I420 with limited-range BT.601 semantics; the sample
 * values go through unchanged (no level shift, no colour conversion).
 *
 * Internal to libfacet (not exported). All functions return 0 or a negative
 * errno value, FACET_ERR(e).
 */
#ifndef FACET_CODEC_INTRA_H
#define FACET_CODEC_INTRA_H

#include <stddef.h>
#include <stdint.h>

#include "facet/facet.h"

/* Smallest picture side accepted: 1x1 works with libaom-av1 and mjpeg
 * (libsvtav1, the AV1 fallback, needs even sizes of at least 64x64). */
#define FACET_INTRA_MIN_DIMENSION 1
/* Largest worker thread count accepted by open (as in the public settings). */
#define FACET_INTRA_MAX_THREADS 64

/* ------------------------------------------------------------------------ */
/* Encoder                                                                  */

typedef struct FacetIntraEncoder FacetIntraEncoder;

/* Opens an encoder for pictures of width x height (1..FACET_MAX_DIMENSION).
 * codec AUTO resolves to AV1 when this FFmpeg has an AV1 encoder that takes
 * these settings (libaom-av1 in all-intra mode, else in realtime mode, else
 * libsvtav1), else to JPEG (mjpeg). quality 0..100, 100 best (AV1: lossless).
 * threads 0..FACET_INTRA_MAX_THREADS, 0 = number of CPUs. The encoder keeps
 * no state between pictures that a payload depends on. On failure *enc is
 * NULL. Returns 0, FACET_ERR(EINVAL), FACET_ERR(ENOSYS) (the codec asked for
 * is not in this FFmpeg, or no encoder of it takes these settings),
 * FACET_ERR(ENOMEM). */
int facet_intra_encoder_open(FacetIntraEncoder **enc, FacetIntraCodec codec, int width,
                             int height, int quality, int threads);

/* As facet_intra_encoder_open() with the libavcodec encoder chosen by name
 * ("libaom-av1", "libsvtav1", "mjpeg"), for tests and benchmarks that must
 * exercise one particular implementation. FACET_ERR(ENOSYS) when this FFmpeg
 * lacks it, FACET_ERR(EINVAL) for a name that is not a supported encoder. */
int facet_intra_encoder_open_named(FacetIntraEncoder **enc, const char *encoder_name,
                                   int width, int height, int quality, int threads);

/* The codec the encoder resolved to: AV1 or JPEG, never AUTO. AUTO for NULL. */
FacetIntraCodec facet_intra_encoder_codec(const FacetIntraEncoder *enc);

/* The libavcodec encoder in use, e.g. "libaom-av1". Static storage;
 * "" for NULL. */
const char *facet_intra_encoder_name(const FacetIntraEncoder *enc);

/* Codes one I420 picture of the opened size as a standalone intra picture;
 * one picture in, one payload out, no delay. On success *data is a malloc'd
 * buffer the caller frees with free(), *size its length (> 0). On failure
 * *data is NULL and *size 0. Returns 0, FACET_ERR(EINVAL) (NULL argument,
 * not I420, wrong size, bad plane pointers/strides), FACET_ERR(ENOMEM),
 * FACET_ERR(EIO) (the encoder failed or produced no payload). After EIO the
 * encoder should be closed. */
int facet_intra_encode(FacetIntraEncoder *enc, const FacetPicture *i420, uint8_t **data,
                       size_t *size);

/* Closes the encoder and sets *enc to NULL. Safe with NULL or *enc == NULL. */
void facet_intra_encoder_close(FacetIntraEncoder **enc);

/* ------------------------------------------------------------------------ */
/* Decoder                                                                  */

typedef struct FacetIntraDecoder FacetIntraDecoder;

/* Opens a decoder; the libavcodec decoders themselves open lazily, on the
 * first payload of each codec. threads 0..FACET_INTRA_MAX_THREADS, 0 = number
 * of CPUs. On failure *dec is NULL. Returns 0, FACET_ERR(EINVAL),
 * FACET_ERR(ENOMEM). */
int facet_intra_decoder_open(FacetIntraDecoder **dec, int threads);

/* Decodes one intra payload coded with `codec` (AV1 or JPEG) into *out, a
 * newly allocated I420 picture (facet_picture_alloc()) that the caller
 * releases with facet_picture_unref(); its pts is 0. The payload must hold
 * exactly one picture of exactly width x height, 8-bit 4:2:0; it is checked
 * before any picture memory is allocated (the header must declare that size,
 * and the decoder refuses any picture larger than width * height pixels).
 * On failure *out is zeroed. Returns 0, FACET_ERR(EINVAL) (NULL argument,
 * codec not AV1/JPEG, width/height out of range), FACET_ERR(EBADMSG)
 * (malformed, truncated, wrong size or format, more than one picture),
 * FACET_ERR(ENOSYS) (no decoder for that codec in this FFmpeg),
 * FACET_ERR(ENOMEM). The decoder stays usable after any error. */
int facet_intra_decode(FacetIntraDecoder *dec, FacetIntraCodec codec, const uint8_t *data,
                       size_t size, int width, int height, FacetPicture *out);

/* The libavcodec decoder used for `codec`, e.g. "libdav1d", or NULL when this
 * FFmpeg has none. Static storage. */
const char *facet_intra_decoder_name(FacetIntraCodec codec);

/* Closes the decoder and sets *dec to NULL. Safe with NULL or *dec == NULL. */
void facet_intra_decoder_close(FacetIntraDecoder **dec);

/* ------------------------------------------------------------------------ */
/* Payload inspection (no decoding)                                         */

/* Reads the picture size a payload declares without decoding it: for AV1 the
 * maximum frame size of its sequence header (the payload must carry one), for
 * JPEG the size in its frame header (the payload must run from SOI to EOI).
 * Returns 0 and sets *width / *height, FACET_ERR(EBADMSG) when the payload
 * is not well formed that far, FACET_ERR(EINVAL) for bad arguments. */
int facet_intra_payload_size(FacetIntraCodec codec, const uint8_t *data, size_t size,
                             int *width, int *height);

#endif /* FACET_CODEC_INTRA_H */
