/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier inside the codec (internal to libfacet): the encoder's
 * and the decoder's halves that facet_encoder_* and facet_decoder_* hand a
 * latent stream to. docs/latent-tier.md describes both.
 */
#ifndef FACET_CODEC_LATENT_H
#define FACET_CODEC_LATENT_H

#include <stdint.h>

#include "codec/bitstream.h"
#include "codec/intra.h"
#include "codec/log.h"
#include "facet/facet.h"

/* The side the network runs at for a picture side: the next multiple of 32
 * (at least 32). The encoder pads the picture to it (the last column and
 * row repeated), the decoder crops the rendered picture back
 * (codec/latent_work.c). */
int facet_latent_work_side(int side);
/* Copies an I420 picture into the top left of `work` (I420, at least as
 * large) and repeats its last column and row over the rest. 0 or
 * FACET_ERR(EINVAL). */
int facet_latent_pad_to_work(const FacetPicture *i420, FacetPicture *work);

/* scale = 0 (auto): r = 2 from FACET_LATENT_AUTO_R2_MIN_BITRATE, else 4.
 * Measured with facet-bandwidth on the packaged clip and a validation clip
 * at 256x256 and 512x512 (docs/latent-tier.md, "Scale"): at 256x256 the
 * two scales are level at 10 kbit/s and r = 2 is 2 dB ahead at 20; at
 * 512x512 r = 2 leads by 2-2.5 dB from its floor, about 10 kbit/s. Between
 * those sizes the threshold is 10 kbit/s; outside, unmeasured, it follows
 * the pixel count (r = 2's floor grows with its picture). */
#define FACET_LATENT_AUTO_R2_MIN_BITRATE 10000
int facet_latent_auto_scale(int bitrate, int width, int height);
/* reference_quality = -1 (auto): see FacetEncoderSettings. */
int facet_latent_reference_quality(int reference_quality, int bitrate, int width, int height);

typedef struct FacetLatentEncoder FacetLatentEncoder;

/* Opens the latent half of an encoder from validated settings. 0,
 * -EINVAL (a scale the model lacks, a size the tier cannot code, a bitrate
 * or base codec out of range: logged), -ENOENT / -EBADMSG (model file),
 * -ENOSYS (the base codec refused its settings), -ENOMEM. */
int facet_latent_encoder_open(FacetLatentEncoder **out, const FacetEncoderSettings *settings,
                              const FacetLogger *logger);
/* One I420 frame of the stream size in, one or two packets out: the
 * low-resolution frame, then maybe a reference fragment. */
int facet_latent_encode(FacetLatentEncoder *enc, const FacetPicture *i420,
                        uint32_t frame_number, int64_t pts, FacetPacket packets[2],
                        int *count);
void facet_latent_encoder_request_keyframe(FacetLatentEncoder *enc);
void facet_latent_encoder_request_reference(FacetLatentEncoder *enc);
/* A new target rate (bit/s, FACET_LATENT_MIN_BITRATE..MAX) from the next
 * frame on, without a keyframe or a reference; the scale r stays. 0 or
 * FACET_ERR(EINVAL), logged. */
int facet_latent_encoder_set_bitrate(FacetLatentEncoder *enc, int bitrate);
void facet_latent_encoder_close(FacetLatentEncoder **enc);

typedef struct FacetLatentDecoder FacetLatentDecoder;

/* model_path: the resolved latent model (NULL: none; latent streams are
 * then refused with ENOTSUP). backend and device: the decoder settings'
 * (render/latent_backend.h: auto, cpu or vulkan, and the Vulkan device
 * selector, copied; may be NULL). The model and the back end open at the
 * first latent keyframe. upscale (validated): with
 * FACET_LATENT_UPSCALE_LANCZOS neither ever opens (model_path unused) and
 * the low-resolution frames are scaled with Lanczos. */
int facet_latent_decoder_open(FacetLatentDecoder **out, const char *model_path, int threads,
                              FacetPixelFormat format, FacetBackend backend, const char *device,
                              FacetLatentUpscale upscale, const FacetLogger *logger);
/* Decodes a parsed latent packet (types 3..5). *out gets a picture for a
 * low-resolution keyframe or frame; a reference fragment gives none (0,
 * out->buffer NULL). */
int facet_latent_decode(FacetLatentDecoder *dec, FacetIntraDecoder *intra,
                        const FacetPacketView *view, int64_t pts, FacetPicture *out);
/* The sequence header of the stream (valid once a keyframe decoded). */
const FacetSequenceHeader *facet_latent_decoder_sequence(const FacetLatentDecoder *dec);
/* The latent renderer's back end (render/latent_backend.h), or NULL before
 * the first latent keyframe (always NULL with Lanczos). */
struct FacetLatentBackend *facet_latent_decoder_backend(FacetLatentDecoder *dec);
void facet_latent_decoder_flush(FacetLatentDecoder *dec);
void facet_latent_decoder_close(FacetLatentDecoder **dec);

/* Resolves a latent model setting: NULL -> $FACET_LATENT_MODEL, else the
 * installed default when it exists, else none; "" -> none. */
int facet_latent_model_path_resolve(const char *setting, char **path);

#endif /* FACET_CODEC_LATENT_H */
