/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The encoder: one frame in, one packet out, no lookahead (a call cannot
 * wait for future frames).
 *
 * With a model, a keyframe (the first frame, then every keyframe_interval
 * seconds or on request) carries the intra-coded picture and its keypoints;
 * every other frame carries only its keypoints, coded against the
 * keyframe's. Without a model every frame is a keyframe.
 */
#include "facet/facet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bitstream.h"
#include "codec/convert.h"
#include "codec/frame_tensor.h"
#include "codec/intra.h"
#include "codec/latent.h"
#include "codec/log.h"
#include "codec/model_path.h"
#include "keypoints/detector.h"
#include "keypoints/keypoint_coding.h"
#include "render/network.h"
#include "render/thread_pool.h"

#define MAX_THREADS 64

/* The parts only keypoint mode has. */
typedef struct EncoderModel {
    FacetNetwork *network;
    FacetThreadPool *pool;
    FacetKeypointDetector *detector;
    FacetFrameTensorConverter converter;
    FacetTensor input;                  /* the frame at S x S, RGB in [0, 1] */
    int has_keyframe;                   /* deltas have a keyframe to refer to */
    FacetQuantKeypoints keyframe_keypoints;
    uint32_t keyframe_period;           /* frames between keyframes */
    uint32_t frames_since_keyframe;
} EncoderModel;

struct FacetEncoder {
    FacetEncoderSettings settings;
    FacetLogger logger;
    FacetSequenceHeader sequence;
    EncoderModel *model;       /* NULL: intra-only */
    FacetLatentEncoder *latent;/* the latent tier: everything else is unused */
    int keyframe_requested;
    FacetIntraEncoder *intra;
    FacetPicture i420;         /* conversion target for RGB input */
    struct SwsContext *convert_cache;
    uint32_t frame_number;     /* of the next frame, wraps at 2^32 */
    uint16_t keyframe_id;      /* of the last keyframe, wraps at 2^16 */
    int has_packet;
    FacetPacket packet;        /* waiting for facet_encoder_receive_packet() */
    int has_second;            /* latent: a reference fragment after `packet` */
    FacetPacket second;
};

void facet_encoder_default_settings(FacetEncoderSettings *settings)
{
    if (!settings)
        return;
    memset(settings, 0, sizeof(*settings));
    settings->fps_num = 25;
    settings->fps_den = 1;
    settings->keyframe_interval = 2.0;
    settings->keyframe_quality = 60;
    settings->intra_codec = FACET_INTRA_CODEC_AUTO;
    settings->threads = 0;
    settings->mode = FACET_STREAM_MODE_KEYPOINTS;
    settings->bitrate = 20000;
    settings->scale = 0;
    settings->reference_interval = 30.0;
    settings->base_codec = FACET_BASE_CODEC_AV1;
    settings->reference_quality = -1;
    settings->references = FACET_LATENT_REFERENCES_AUTO;
}

static int validate_settings(const FacetEncoderSettings *s)
{
    if (s->width < 1 || s->width > FACET_MAX_DIMENSION || s->height < 1 ||
        s->height > FACET_MAX_DIMENSION)
        return FACET_ERR(EINVAL);
    if (s->fps_num < 1 || (unsigned)s->fps_num > FACET_MAX_FPS_TERM || s->fps_den < 1 ||
        (unsigned)s->fps_den > FACET_MAX_FPS_TERM)
        return FACET_ERR(EINVAL);
    if (!isfinite(s->keyframe_interval) || s->keyframe_interval <= 0.0 ||
        s->keyframe_interval > 3600.0)
        return FACET_ERR(EINVAL);
    if (s->keyframe_quality < 0 || s->keyframe_quality > 100)
        return FACET_ERR(EINVAL);
    if (s->reference_quality < -1 || s->reference_quality > 100)
        return FACET_ERR(EINVAL);
    if (s->intra_codec != FACET_INTRA_CODEC_AUTO && s->intra_codec != FACET_INTRA_CODEC_AV1 &&
        s->intra_codec != FACET_INTRA_CODEC_JPEG)
        return FACET_ERR(EINVAL);
    if (s->threads < 0 || s->threads > MAX_THREADS)
        return FACET_ERR(EINVAL);
    if (s->mode != FACET_STREAM_MODE_INTRA_ONLY && s->mode != FACET_STREAM_MODE_KEYPOINTS &&
        s->mode != FACET_STREAM_MODE_LATENT)
        return FACET_ERR(EINVAL);
    /* The latent tier checks its bitrate and base codec itself, saying
     * what it wants (facet_latent_encoder_open()). */
    if (s->mode == FACET_STREAM_MODE_LATENT &&
        ((s->scale != 0 && s->scale != 2 && s->scale != 4) ||
         !isfinite(s->reference_interval) || s->reference_interval <= 0.0 ||
         s->reference_interval > 3600.0 ||
         (s->references != FACET_LATENT_REFERENCES_AUTO &&
          s->references != FACET_LATENT_REFERENCES_ON &&
          s->references != FACET_LATENT_REFERENCES_OFF)))
        return FACET_ERR(EINVAL);
    return 0;
}

static void close_model(EncoderModel **model)
{
    if (!*model)
        return;
    EncoderModel *m = *model;
    facet_keypoint_detector_destroy(&m->detector);
    facet_thread_pool_destroy(&m->pool);
    facet_network_close(&m->network);
    facet_frame_tensor_converter_free(&m->converter);
    facet_tensor_free(&m->input);
    free(m);
    *model = NULL;
}

/* Loads the model the settings name, if any, and writes its identity into
 * the sequence header. */
static int open_model(FacetEncoder *enc, const FacetEncoderSettings *settings)
{
    char *path = NULL;
    int ret = facet_model_path_resolve(settings->model_path, &path);
    if (ret < 0 || !path)
        return ret;
    EncoderModel *m = calloc(1, sizeof(*m));
    if (!m) {
        free(path);
        return FACET_ERR(ENOMEM);
    }
    enc->model = m;
    char error[512];
    ret = facet_network_open(&m->network, path, error, sizeof(error));
    free(path);
    if (ret < 0) {
        facet_log(&enc->logger, "%s", error);
        return ret;
    }
    int size = facet_network_size(m->network);
    ret = facet_thread_pool_create(&m->pool, settings->threads);
    if (ret == 0)
        ret = facet_keypoint_detector_create(&m->detector, m->network, size, m->pool, 0);
    if (ret == 0)
        ret = facet_tensor_alloc(&m->input, 3, size, size);
    if (ret < 0) {
        facet_log(&enc->logger, "cannot set up the keypoint detector: %s", facet_strerror(ret));
        return ret;
    }
    double period = round(settings->keyframe_interval * settings->fps_num / settings->fps_den);
    m->keyframe_period = period < 1.0 ? 1 : period > UINT32_MAX ? UINT32_MAX : (uint32_t)period;
    enc->sequence.model_id = facet_network_model_id(m->network);
    enc->sequence.model_size = (uint16_t)size;
    enc->sequence.keypoint_count = (uint8_t)facet_network_num_keypoints(m->network);
    return 0;
}

int facet_encoder_open(FacetEncoder **encoder, const FacetEncoderSettings *settings)
{
    if (!encoder)
        return FACET_ERR(EINVAL);
    *encoder = NULL;
    if (!settings)
        return FACET_ERR(EINVAL);
    int ret = validate_settings(settings);
    if (ret < 0)
        return ret;

    FacetEncoder *enc = calloc(1, sizeof(*enc));
    if (!enc)
        return FACET_ERR(ENOMEM);
    enc->settings = *settings;
    enc->settings.model_path = NULL; /* the caller's string is not kept */
    enc->logger = (FacetLogger){ settings->log_callback, settings->log_opaque };
    enc->sequence = (FacetSequenceHeader){
        .version_major = FACET_BITSTREAM_VERSION_MAJOR,
        /* Nothing of 1.2 in a keypoint or intra-only stream. */
        .version_minor = FACET_KEYPOINT_STREAM_VERSION_MINOR,
        .model_id = 0,
        .width = (uint16_t)settings->width,
        .height = (uint16_t)settings->height,
        .fps_num = (uint32_t)settings->fps_num,
        .fps_den = (uint32_t)settings->fps_den,
    };
    /* Start below zero so the first keyframe gets id 0. */
    enc->keyframe_id = UINT16_MAX;

    if (settings->mode == FACET_STREAM_MODE_LATENT) {
        enc->settings.latent_model_path = NULL;
        ret = facet_latent_encoder_open(&enc->latent, settings, &enc->logger);
        if (ret == 0)
            ret = facet_picture_alloc(&enc->i420, FACET_PIXEL_FORMAT_I420, settings->width,
                                      settings->height);
        if (ret < 0)
            goto error;
        *encoder = enc;
        return 0;
    }
    ret = facet_intra_encoder_open(&enc->intra, settings->intra_codec, settings->width,
                                   settings->height, settings->keyframe_quality,
                                   settings->threads);
    if (ret < 0) {
        facet_log(&enc->logger, "cannot open the keyframe encoder: %s", facet_strerror(ret));
        goto error;
    }
    ret = open_model(enc, settings);
    if (ret < 0)
        goto error;
    ret = facet_picture_alloc(&enc->i420, FACET_PIXEL_FORMAT_I420, settings->width,
                              settings->height);
    if (ret < 0)
        goto error;
    *encoder = enc;
    return 0;

error:
    facet_encoder_close(&enc);
    return ret;
}

static int validate_picture(const FacetEncoder *enc, const FacetPicture *picture)
{
    if (picture->width != enc->settings.width || picture->height != enc->settings.height)
        return FACET_ERR(EINVAL);
    switch (picture->format) {
    case FACET_PIXEL_FORMAT_I420: {
        ptrdiff_t chroma_width = (picture->width + 1) / 2;
        if (!picture->data[0] || !picture->data[1] || !picture->data[2] ||
            picture->stride[0] < picture->width || picture->stride[1] < chroma_width ||
            picture->stride[2] < chroma_width)
            return FACET_ERR(EINVAL);
        return 0;
    }
    case FACET_PIXEL_FORMAT_RGB24:
        if (!picture->data[0] || picture->stride[0] < (ptrdiff_t)picture->width * 3)
            return FACET_ERR(EINVAL);
        return 0;
    default:
        return FACET_ERR(EINVAL);
    }
}

static int encode_keyframe(FacetEncoder *enc, const FacetPicture *i420,
                           const FacetQuantKeypoints *keypoints, int64_t pts)
{
    uint8_t coded_keypoints[FACET_MAX_KEYPOINT_PAYLOAD];
    int keypoint_size = 0;
    if (keypoints) {
        /* A keyframe's keypoints are coded against the neutral pose. */
        keypoint_size = facet_keypoints_encode(keypoints, NULL, coded_keypoints,
                                               sizeof(coded_keypoints));
        if (keypoint_size < 0)
            return keypoint_size;
    }
    uint8_t *intra_data = NULL;
    size_t intra_size = 0;
    int ret = facet_intra_encode(enc->intra, i420, &intra_data, &intra_size);
    if (ret < 0)
        return ret;

    uint8_t intra_id = facet_intra_encoder_codec(enc->intra) == FACET_INTRA_CODEC_AV1
                           ? FACET_INTRA_ID_AV1
                           : FACET_INTRA_ID_JPEG;
    uint16_t keyframe_id = (uint16_t)(enc->keyframe_id + 1);
    size_t capacity = facet_keyframe_packet_size_bound(intra_size, (size_t)keypoint_size, NULL, 0);
    uint8_t *data = malloc(capacity);
    if (!data) {
        free(intra_data);
        return FACET_ERR(ENOMEM);
    }
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, data, capacity);
    ret = facet_keyframe_packet_write(&writer, &enc->sequence, enc->frame_number, keyframe_id,
                                      intra_id, intra_data, intra_size,
                                      keypoints ? coded_keypoints : NULL, (size_t)keypoint_size,
                                      NULL, 0);
    free(intra_data);
    if (ret < 0) {
        free(data);
        return ret;
    }
    enc->packet = (FacetPacket){
        .data = data,
        .size = writer.pos,
        .pts = pts,
        .frame_number = enc->frame_number,
        .flags = FACET_PACKET_FLAG_KEYFRAME,
    };
    enc->keyframe_id = keyframe_id;
    return 0;
}

static int encode_delta(FacetEncoder *enc, const FacetQuantKeypoints *keypoints, int64_t pts)
{
    uint8_t coded[FACET_MAX_KEYPOINT_PAYLOAD];
    int coded_size = facet_keypoints_encode(keypoints, &enc->model->keyframe_keypoints, coded,
                                            sizeof(coded));
    if (coded_size < 0)
        return coded_size;
    size_t capacity = facet_delta_packet_size_bound((size_t)coded_size, NULL, 0);
    uint8_t *data = malloc(capacity);
    if (!data)
        return FACET_ERR(ENOMEM);
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, data, capacity);
    int ret = facet_delta_packet_write(&writer, enc->frame_number, enc->keyframe_id, coded,
                                       (size_t)coded_size, NULL, 0);
    if (ret < 0) {
        free(data);
        return ret;
    }
    enc->packet = (FacetPacket){
        .data = data,
        .size = writer.pos,
        .pts = pts,
        .frame_number = enc->frame_number,
        .flags = 0,
    };
    return 0;
}

/* Residuals of at most this many quantiser steps are sent as zero. The
 * detector jitters by about a step on a still head; coding that jitter would
 * cost more bits than the sub-pixel motion it describes is worth. */
#define KEYPOINT_DEAD_ZONE 1

static int32_t snap(int32_t value, int32_t reference)
{
    int32_t residual = value - reference;
    return residual >= -KEYPOINT_DEAD_ZONE && residual <= KEYPOINT_DEAD_ZONE ? reference : value;
}

static void snap_to_keyframe(FacetQuantKeypoints *keypoints, const FacetQuantKeypoints *keyframe)
{
    for (int i = 0; i < keypoints->count; i++) {
        keypoints->x[i] = snap(keypoints->x[i], keyframe->x[i]);
        keypoints->y[i] = snap(keypoints->y[i], keyframe->y[i]);
        for (int j = 0; j < 4; j++)
            keypoints->jacobian[i][j] = snap(keypoints->jacobian[i][j], keyframe->jacobian[i][j]);
    }
}

/* Runs the detector on the frame scaled to S and quantises the keypoints
 * exactly as they will be coded. */
static int detect_keypoints(FacetEncoder *enc, const FacetPicture *i420,
                            FacetQuantKeypoints *keypoints)
{
    EncoderModel *m = enc->model;
    int ret = facet_frame_to_tensor(&m->converter, i420, &m->input);
    FacetKeypointSet detected;
    if (ret == 0)
        ret = facet_keypoint_detector_run(m->detector, &m->input, &detected);
    if (ret == 0)
        ret = facet_keypoints_quantize(&detected, keypoints);
    if (ret < 0)
        facet_log(&enc->logger, "keypoint detection failed: %s", facet_strerror(ret));
    return ret;
}

static int encode_frame(FacetEncoder *enc, const FacetPicture *i420, int64_t pts)
{
    EncoderModel *m = enc->model;
    if (!m)
        return encode_keyframe(enc, i420, NULL, pts);

    FacetQuantKeypoints keypoints;
    int ret = detect_keypoints(enc, i420, &keypoints);
    if (ret < 0)
        return ret;
    int keyframe = !m->has_keyframe || enc->keyframe_requested ||
                   m->frames_since_keyframe + 1 >= m->keyframe_period;
    if (!keyframe) {
        snap_to_keyframe(&keypoints, &m->keyframe_keypoints);
        ret = encode_delta(enc, &keypoints, pts);
        if (ret == 0)
            m->frames_since_keyframe++;
        return ret;
    }
    ret = encode_keyframe(enc, i420, &keypoints, pts);
    if (ret == 0) {
        m->keyframe_keypoints = keypoints;
        m->has_keyframe = 1;
        m->frames_since_keyframe = 0;
        enc->keyframe_requested = 0;
    }
    return ret;
}

int facet_encoder_send_frame(FacetEncoder *encoder, const FacetPicture *picture)
{
    if (!encoder || !picture)
        return FACET_ERR(EINVAL);
    if (encoder->has_packet)
        return FACET_ERR(EAGAIN);
    int ret = validate_picture(encoder, picture);
    if (ret < 0)
        return ret;

    const FacetPicture *i420 = picture;
    if (picture->format != FACET_PIXEL_FORMAT_I420) {
        ret = facet_convert_picture(&encoder->convert_cache, picture, &encoder->i420);
        if (ret < 0)
            return ret;
        i420 = &encoder->i420;
    }
    if (encoder->latent) {
        FacetPacket packets[2];
        int count = 0;
        ret = facet_latent_encode(encoder->latent, i420, encoder->frame_number, picture->pts,
                                  packets, &count);
        if (ret < 0)
            return ret;
        encoder->packet = packets[0];
        if (count == 2) {
            encoder->second = packets[1];
            encoder->has_second = 1;
        }
    } else {
        ret = encode_frame(encoder, i420, picture->pts);
        if (ret < 0)
            return ret;
    }
    encoder->has_packet = 1;
    encoder->frame_number++;
    return 0;
}

int facet_encoder_receive_packet(FacetEncoder *encoder, FacetPacket *packet)
{
    if (!encoder || !packet)
        return FACET_ERR(EINVAL);
    if (!encoder->has_packet)
        return FACET_ERR(EAGAIN);
    *packet = encoder->packet;
    memset(&encoder->packet, 0, sizeof(encoder->packet));
    encoder->has_packet = 0;
    if (encoder->has_second) {
        encoder->packet = encoder->second;
        memset(&encoder->second, 0, sizeof(encoder->second));
        encoder->has_second = 0;
        encoder->has_packet = 1;
    }
    return 0;
}

int facet_encoder_request_reference(FacetEncoder *encoder)
{
    if (!encoder)
        return FACET_ERR(EINVAL);
    if (!encoder->latent)
        return facet_encoder_request_keyframe(encoder);
    facet_latent_encoder_request_reference(encoder->latent);
    return 0;
}

int facet_encoder_set_bitrate(FacetEncoder *encoder, int bitrate)
{
    if (!encoder)
        return FACET_ERR(EINVAL);
    if (!encoder->latent)
        return FACET_ERR(ENOTSUP);
    int ret = facet_latent_encoder_set_bitrate(encoder->latent, bitrate);
    if (ret == 0)
        encoder->settings.bitrate = bitrate;
    return ret;
}

int facet_encoder_request_keyframe(FacetEncoder *encoder)
{
    if (!encoder)
        return FACET_ERR(EINVAL);
    /* Without a model every frame is a keyframe anyway. */
    encoder->keyframe_requested = 1;
    if (encoder->latent)
        facet_latent_encoder_request_keyframe(encoder->latent);
    return 0;
}

void facet_encoder_close(FacetEncoder **encoder)
{
    if (!encoder || !*encoder)
        return;
    FacetEncoder *enc = *encoder;
    facet_intra_encoder_close(&enc->intra);
    facet_latent_encoder_close(&enc->latent);
    facet_packet_unref(&enc->second);
    close_model(&enc->model);
    facet_picture_unref(&enc->i420);
    facet_packet_unref(&enc->packet);
    facet_convert_cache_free(&enc->convert_cache);
    free(enc);
    *encoder = NULL;
}
