/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's encoder: the frame padded to the work size (sides
 * multiples of 32, codec/latent_work.c) -> area downscale by r -> one
 * realtime AV1 or VP8 stream; references (the frame at the work size,
 * intra coded) at the start, on request and every reference_interval
 * seconds, cut into fragments that ride on the following frames at a
 * bounded share of the rate. One budget covers both (latent_rate.c).
 * docs/latent-tier.md.
 */
#define _POSIX_C_SOURCE 200809L
#include "codec/latent.h"

#include <errno.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec/base_codec.h"
#include "codec/latent_drift.h"
#include "codec/latent_rate.h"
#include "render/latent_network.h"

#ifndef FACET_DEFAULT_LATENT_MODEL_FILE
#error "the build must define FACET_DEFAULT_LATENT_MODEL_FILE"
#endif


const char *facet_default_latent_model_path(void)
{
    return FACET_DEFAULT_LATENT_MODEL_FILE;
}

int facet_latent_model_path_resolve(const char *setting, char **path)
{
    *path = NULL;
    const char *chosen = setting;
    if (!chosen) {
        const char *from_environment = getenv("FACET_LATENT_MODEL");
        if (from_environment && *from_environment)
            chosen = from_environment;
        else if (access(FACET_DEFAULT_LATENT_MODEL_FILE, R_OK) == 0)
            chosen = FACET_DEFAULT_LATENT_MODEL_FILE;
    }
    if (!chosen || !*chosen)
        return 0;
    *path = strdup(chosen);
    return *path ? 0 : -ENOMEM;
}

int facet_latent_auto_scale(int bitrate, int width, int height)
{
    double pixels = (double)width * (double)height, low = 256.0 * 256.0, high = 512.0 * 512.0;
    double factor = pixels < low ? pixels / low : pixels > high ? pixels / high : 1.0;
    return bitrate >= FACET_LATENT_AUTO_R2_MIN_BITRATE * factor ? 2 : 4;
}

int facet_latent_reference_quality(int reference_quality, int bitrate, int width, int height)
{
    if (reference_quality >= 0)
        return reference_quality;
    /* AV1 crf = 63 (100 - quality) / 100, rounded (codec/intra_encoder.c):
     * 33 -> crf 42, 49 -> crf 32, the references of the training data
     * (train/latent_data.py). */
    double per_pixel = (double)bitrate / ((double)width * (double)height);
    return per_pixel >= FACET_LATENT_FINE_REFERENCE_BITS_PER_PIXEL ? 49 : 33;
}

struct FacetLatentEncoder {
    FacetLogger logger;
    FacetSequenceHeader sequence;
    int work_w, work_h, low_w, low_h, r;
    int threads, quality;
    uint8_t base_codec;                 /* FACET_BASE_ID_* */
    FacetLatentRate rate;
    double frame_seconds;
    uint32_t reference_period;          /* frames */
    FacetIntraEncoder *intra;
    FacetBaseEncoder *base;             /* opened after the first reference */
    struct SwsContext *to_low;
    FacetPicture work, low;
    uint16_t keyframe_id, reference_id; /* of the last ones sent */
    int started, keyframe_requested, reference_requested;
    int sends_references;               /* settings' references, resolved */
    uint32_t frames_since_reference;
    uint32_t drift_spacing;             /* frames: no drift reference sooner */
    uint32_t flight_frames;             /* the last reference took this long */
    FacetLatentDrift drift;
    /* The reference in flight. */
    uint8_t *reference;
    uint32_t reference_size;
    uint8_t reference_codec;
    int fragment_count, next_fragment;
};

static int scale_picture(struct SwsContext **ctx, const FacetPicture *src, FacetPicture *dst)
{
    *ctx = sws_getCachedContext(*ctx, src->width, src->height, AV_PIX_FMT_YUV420P, dst->width,
                                dst->height, AV_PIX_FMT_YUV420P,
                                SWS_AREA | SWS_ACCURATE_RND, NULL, NULL, NULL);
    if (!*ctx)
        return FACET_ERR(ENOMEM);
    const uint8_t *const s[4] = { src->data[0], src->data[1], src->data[2], NULL };
    const int ss[4] = { (int)src->stride[0], (int)src->stride[1], (int)src->stride[2], 0 };
    uint8_t *const d[4] = { dst->data[0], dst->data[1], dst->data[2], NULL };
    const int ds[4] = { (int)dst->stride[0], (int)dst->stride[1], (int)dst->stride[2], 0 };
    sws_scale(*ctx, s, ss, 0, src->height, d, ds);
    return 0;
}

int facet_latent_encoder_open(FacetLatentEncoder **out, const FacetEncoderSettings *s,
                              const FacetLogger *logger)
{
    *out = NULL;
    if (s->width < FACET_LATENT_MIN_SIDE || s->height < FACET_LATENT_MIN_SIDE ||
        s->width > FACET_LATENT_MAX_SIDE_BITSTREAM || s->height > FACET_LATENT_MAX_SIDE_BITSTREAM) {
        facet_log(logger, "the latent tier codes pictures of 32..4096 per side, not %dx%d",
                  s->width, s->height);
        return FACET_ERR(EINVAL);
    }
    if (s->base_codec != FACET_BASE_CODEC_AV1 && s->base_codec != FACET_BASE_CODEC_VP8) {
        facet_log(logger, "the latent tier has no base codec %d (FACET_BASE_CODEC_AV1 or "
                  "FACET_BASE_CODEC_VP8)", (int)s->base_codec);
        return FACET_ERR(EINVAL);
    }
    if (s->bitrate < FACET_LATENT_MIN_BITRATE || s->bitrate > FACET_LATENT_MAX_BITRATE) {
        facet_log(logger, "the latent tier's bitrate is %d..%d bit/s, not %d",
                  FACET_LATENT_MIN_BITRATE, FACET_LATENT_MAX_BITRATE, s->bitrate);
        return FACET_ERR(EINVAL);
    }
    char *path = NULL;
    int ret = facet_latent_model_path_resolve(s->latent_model_path, &path);
    if (ret < 0)
        return ret;
    if (!path) {
        facet_log(logger, "the latent tier needs its model: set latent_model_path or "
                  "FACET_LATENT_MODEL, or install %s", FACET_DEFAULT_LATENT_MODEL_FILE);
        return FACET_ERR(ENOENT);
    }
    FacetLatentNetwork *net = NULL;
    char error[512];
    ret = facet_latent_network_open(&net, path, error, sizeof(error));
    free(path);
    if (ret < 0) {
        facet_log(logger, "%s", error);
        return ret;
    }
    uint32_t model_id = net->model_id;
    unsigned scales = net->scales;
    facet_latent_network_close(&net);

    FacetLatentEncoder *enc = calloc(1, sizeof(*enc));
    if (!enc)
        return FACET_ERR(ENOMEM);
    enc->logger = *logger;
    enc->r = s->scale ? s->scale : facet_latent_auto_scale(s->bitrate, s->width, s->height);
    if (!(scales & (1u << enc->r))) {
        facet_log(logger, "the latent model %08x has no scale %d", (unsigned)model_id, enc->r);
        ret = FACET_ERR(EINVAL);
        goto error;
    }
    enc->work_w = facet_latent_work_side(s->width);
    enc->work_h = facet_latent_work_side(s->height);
    enc->low_w = enc->work_w / enc->r;
    enc->low_h = enc->work_h / enc->r;
    enc->threads = s->threads;
    enc->quality = facet_latent_reference_quality(s->reference_quality, s->bitrate, s->width,
                                                  s->height);
    enc->frame_seconds = (double)s->fps_den / (double)s->fps_num;
    enc->base_codec = s->base_codec == FACET_BASE_CODEC_VP8 ? FACET_BASE_ID_VP8 : FACET_BASE_ID_AV1;
    facet_latent_rate_init(&enc->rate, s->bitrate, enc->frame_seconds);
    double period = round(s->reference_interval / enc->frame_seconds);
    enc->reference_period = period < 1.0 ? 1 : period > 1e9 ? 1000000000u : (uint32_t)period;
    enc->drift_spacing = (uint32_t)ceil(FACET_LATENT_DRIFT_MIN_SECONDS / enc->frame_seconds);
    /* AUTO: the shipped model's references cost the base stream more than
     * they give (docs/latent-tier.md, "When references pay"). */
    enc->sends_references = s->references == FACET_LATENT_REFERENCES_ON;
    enc->sequence = (FacetSequenceHeader){
        .version_major = FACET_BITSTREAM_VERSION_MAJOR,
        .version_minor = FACET_BITSTREAM_VERSION_MINOR,
        .model_id = model_id,
        .width = (uint16_t)s->width,
        .height = (uint16_t)s->height,
        .fps_num = (uint32_t)s->fps_num,
        .fps_den = (uint32_t)s->fps_den,
        .mode = FACET_MODE_ID_LATENT,
        .scale = (uint8_t)enc->r,
        .base_codec = enc->base_codec,
    };
    enc->keyframe_id = UINT16_MAX;
    enc->reference_id = UINT16_MAX;
    ret = facet_intra_encoder_open(&enc->intra, s->intra_codec, enc->work_w, enc->work_h,
                                   enc->quality, s->threads);
    if (ret < 0) {
        facet_log(logger, "cannot open the reference encoder: %s", facet_strerror(ret));
        goto error;
    }
    ret = facet_picture_alloc(&enc->work, FACET_PIXEL_FORMAT_I420, enc->work_w, enc->work_h);
    if (ret == 0)
        ret = facet_picture_alloc(&enc->low, FACET_PIXEL_FORMAT_I420, enc->low_w, enc->low_h);
    if (ret == 0)
        ret = facet_latent_drift_init(&enc->drift, enc->work_w, enc->work_h);
    if (ret < 0)
        goto error;
    *out = enc;
    return 0;
error:
    facet_latent_encoder_close(&enc);
    return ret;
}

/* Codes the frame at the work size as the next reference. */
static int start_reference(FacetLatentEncoder *enc, const FacetPicture *work)
{
    uint8_t *data = NULL;
    size_t size = 0;
    int ret = facet_intra_encode(enc->intra, work, &data, &size);
    if (ret < 0)
        return ret;
    if (size > FACET_MAX_REFERENCE_SIZE) {
        free(data);
        facet_log(&enc->logger, "a reference of %zu bytes is too large: lower the quality",
                  size);
        return FACET_ERR(EIO);
    }
    free(enc->reference);
    enc->reference = data;
    enc->reference_size = (uint32_t)size;
    enc->reference_codec = facet_intra_encoder_codec(enc->intra) == FACET_INTRA_CODEC_AV1
                               ? FACET_INTRA_ID_AV1 : FACET_INTRA_ID_JPEG;
    /* Fragments of about a quarter second of the fragments' share, at
     * least 128 bytes (headers stay small beside them), at most 255. */
    double share = FACET_LATENT_REFERENCE_SHARE * enc->rate.bitrate / 8.0;
    size_t chunk = (size_t)(share / 4.0);
    if (chunk < 128)
        chunk = 128;
    if (chunk > FACET_MAX_REFERENCE_FRAGMENT)
        chunk = FACET_MAX_REFERENCE_FRAGMENT;
    size_t min_chunk = (size + FACET_MAX_REFERENCE_FRAGMENTS - 1) / FACET_MAX_REFERENCE_FRAGMENTS;
    if (chunk < min_chunk)
        chunk = min_chunk;
    enc->fragment_count = (int)((size + chunk - 1) / chunk);
    enc->next_fragment = 0;
    enc->reference_id++;
    enc->frames_since_reference = 0;
    facet_latent_drift_set_reference(&enc->drift, work);
    enc->reference_requested = 0;
    return 0;
}

static void set_packet(FacetPacket *packet, uint32_t frame_number, int64_t pts,
                       uint32_t flags, const FacetByteWriter *writer, uint8_t *data)
{
    *packet = (FacetPacket){ .data = data, .size = writer->pos, .pts = pts,
                             .frame_number = frame_number, .flags = flags };
}

static int next_fragment(FacetLatentEncoder *enc, uint32_t frame_number, int64_t pts,
                         FacetPacket *packet)
{
    size_t chunk = (enc->reference_size + (size_t)enc->fragment_count - 1) /
                   (size_t)enc->fragment_count;
    size_t size = facet_reference_fragment_size(enc->reference_size, enc->fragment_count,
                                                enc->next_fragment);
    size_t capacity = facet_reference_packet_size_bound(size);
    uint8_t *data = malloc(capacity);
    if (!data)
        return FACET_ERR(ENOMEM);
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, data, capacity);
    int ret = facet_reference_packet_write(&writer, frame_number, enc->reference_id,
                                           enc->reference_codec, enc->next_fragment,
                                           enc->fragment_count, enc->reference_size,
                                           enc->reference + chunk * (size_t)enc->next_fragment);
    if (ret < 0) {
        free(data);
        return ret;
    }
    set_packet(packet, frame_number, pts, 0, &writer, data);
    facet_latent_rate_fragment_sent(&enc->rate, writer.pos);
    if (++enc->next_fragment == enc->fragment_count) {
        enc->flight_frames = enc->frames_since_reference;
        free(enc->reference);
        enc->reference = NULL;
    }
    return 0;
}

static int open_base(FacetLatentEncoder *enc)
{
    double target = facet_latent_rate_base_target(&enc->rate, enc->reference != NULL);
    return facet_base_encoder_open(&enc->base, enc->base_codec, enc->low_w, enc->low_h,
                                   (int)enc->sequence.fps_num, (int)enc->sequence.fps_den,
                                   target < 1000.0 ? 1000 : (int)target,
                                   facet_latent_rate_first_keyframe_bytes(
                                       &enc->rate, enc->low_w * enc->low_h),
                                   enc->threads, &enc->logger);
}

int facet_latent_encode(FacetLatentEncoder *enc, const FacetPicture *i420,
                        uint32_t frame_number, int64_t pts, FacetPacket packets[2], int *count)
{
    *count = 0;
    const FacetPicture *work = i420;
    int ret = 0;
    if (i420->width != enc->work_w || i420->height != enc->work_h) {
        ret = facet_latent_pad_to_work(i420, &enc->work);
        work = &enc->work;
    }
    /* Drift: the picture left the last reference behind (a cut, a change
     * of light, the camera moved). Not while a reference is in flight, nor
     * sooner than the minimum spacing or twice the last reference's flight
     * after it started: drift references then take at most about a
     * quarter of the rate (one in flight takes half), and cannot fire
     * every frame. */
    uint32_t spacing = enc->drift_spacing > 2 * enc->flight_frames ? enc->drift_spacing
                                                                    : 2 * enc->flight_frames;
    int drifted = ret == 0 && enc->sends_references && enc->started && !enc->reference &&
                  enc->frames_since_reference >= spacing &&
                  facet_latent_drifted(&enc->drift, work);
    if (ret == 0 && enc->sends_references &&
        (!enc->started || enc->reference_requested || drifted ||
         enc->frames_since_reference >= enc->reference_period))
        ret = start_reference(enc, work);
    if (ret == 0 && !enc->base)
        ret = open_base(enc);
    if (ret == 0)
        ret = scale_picture(&enc->to_low, work, &enc->low);
    uint8_t *unit = NULL;
    size_t unit_size = 0;
    int keyframe = 0;
    if (ret == 0) {
        facet_base_encoder_set_rate(
            enc->base, facet_latent_rate_base_target(&enc->rate, enc->reference != NULL),
            facet_latent_rate_min_quantizer(&enc->rate));
        ret = facet_base_encode(enc->base, &enc->low, !enc->started || enc->keyframe_requested,
                                &unit, &unit_size, &keyframe);
    }
    if (ret < 0)
        return ret;
    if (unit_size > FACET_MAX_BASE_PAYLOAD) {
        free(unit);
        return FACET_ERR(EIO);
    }
    size_t capacity = facet_latent_packet_size_bound(unit_size);
    uint8_t *data = malloc(capacity);
    if (!data) {
        free(unit);
        return FACET_ERR(ENOMEM);
    }
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, data, capacity);
    uint16_t keyframe_id = keyframe ? (uint16_t)(enc->keyframe_id + 1) : enc->keyframe_id;
    if (keyframe)
        ret = facet_latent_keyframe_packet_write(&writer, &enc->sequence, frame_number,
                                                 keyframe_id, unit, unit_size);
    else
        /* 1.2: the short form, 3 bytes of header (docs/bitstream.md). */
        ret = facet_latent_short_frame_packet_write(&writer, frame_number, keyframe_id, unit,
                                                    unit_size);
    free(unit);
    if (ret < 0) {
        free(data);
        return ret;
    }
    set_packet(&packets[0], frame_number, pts, keyframe ? FACET_PACKET_FLAG_KEYFRAME : 0,
               &writer, data);
    facet_latent_rate_frame_sent(&enc->rate, writer.pos, unit_size, keyframe);
    *count = 1;
    enc->keyframe_id = keyframe_id;
    enc->started = 1;
    if (keyframe)
        enc->keyframe_requested = 0;
    enc->frames_since_reference++;

    if (enc->reference) {
        size_t size = facet_reference_fragment_size(enc->reference_size, enc->fragment_count,
                                                    enc->next_fragment);
        if (facet_latent_rate_fragment_fits(&enc->rate,
                                            facet_reference_packet_size_bound(size))) {
            ret = next_fragment(enc, frame_number, pts, &packets[1]);
            if (ret < 0) {
                facet_packet_unref(&packets[0]);
                *count = 0;
                return ret;
            }
            *count = 2;
        }
    } else {
        facet_latent_rate_no_reference(&enc->rate);
    }
    return 0;
}

void facet_latent_encoder_request_keyframe(FacetLatentEncoder *enc)
{
    enc->keyframe_requested = 1;
}

void facet_latent_encoder_request_reference(FacetLatentEncoder *enc)
{
    enc->reference_requested = 1;
}

int facet_latent_encoder_set_bitrate(FacetLatentEncoder *enc, int bitrate)
{
    if (bitrate < FACET_LATENT_MIN_BITRATE || bitrate > FACET_LATENT_MAX_BITRATE) {
        facet_log(&enc->logger, "the latent tier's bitrate is %d..%d bit/s, not %d",
                  FACET_LATENT_MIN_BITRATE, FACET_LATENT_MAX_BITRATE, bitrate);
        return FACET_ERR(EINVAL);
    }
    facet_latent_rate_set_bitrate(&enc->rate, bitrate);
    return 0;
}

void facet_latent_encoder_close(FacetLatentEncoder **enc)
{
    if (!enc || !*enc)
        return;
    FacetLatentEncoder *e = *enc;
    facet_intra_encoder_close(&e->intra);
    facet_base_encoder_close(&e->base);
    sws_freeContext(e->to_low);
    facet_picture_unref(&e->work);
    facet_picture_unref(&e->low);
    facet_latent_drift_free(&e->drift);
    free(e->reference);
    free(e);
    *enc = NULL;
}
