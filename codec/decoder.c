/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The decoder: one packet in, at most one frame out.
 *
 * Every packet is parsed and validated completely (codec/bitstream.c)
 * before any state changes, and state changes only when the whole packet
 * decoded, so a hostile packet can cost a frame but never corrupt what the
 * next valid packet needs.
 *
 * The renderer (render/backend.h) is chosen at open and made at the first
 * keyframe, for the stream's model size; which back end runs it, and the
 * fallback when a device fails, are render/'s business.
 */
#include "facet/facet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bitstream.h"
#include "codec/convert.h"
#include "codec/decoder_internal.h"
#include "codec/frame_tensor.h"
#include "codec/intra.h"
#include "codec/latent.h"
#include "codec/log.h"
#include "codec/model_path.h"
#include "keypoints/keypoint_coding.h"
#include "render/backend.h"
#include "render/latent_backend.h"
#include "render/network.h"
#include "render/thread_pool.h"

#define MAX_THREADS 64
#define MAX_MODEL_SEARCHES 8 /* distinct model ids looked up per decoder */

/* What rendering needs; present when a model was loaded. */
typedef struct DecoderModel {
    FacetNetwork *network;
    FacetThreadPool *pool;
    int renderer_ready;          /* the renderer holds the current keyframe's features */
    FacetFrameTensorConverter converter;
    FacetTensor keyframe;        /* 3 x S x S */
} DecoderModel;

struct FacetDecoder {
    FacetDecoderSettings settings;
    FacetLogger logger;
    DecoderModel *model;              /* NULL: keyframes only */
    FacetRenderBackend *renderer;     /* the back end, also without a model */
    FacetIntraDecoder *intra;
    FacetLatentDecoder *latent;       /* latent streams */
    struct SwsContext *convert_cache;

    int has_stream;                   /* a keyframe was decoded at least once */
    FacetStreamInfo info;

    int has_reference;                /* deltas can be decoded against it */
    uint16_t keyframe_id;
    FacetQuantKeypoints reference_keypoints;

    int has_frame;
    FacetPicture frame;               /* waiting for facet_decoder_receive_frame() */

    /* Left to the implicit default, which found no model: a keypoint
     * stream's model is looked up by its id (codec/model_path.h), once per
     * id, and the renderer re-opened with it on the caller's device. */
    int may_find_model;
    char *device;
    uint32_t searched_model_ids[MAX_MODEL_SEARCHES];
    int model_searches;
    /* Deltas refused for want of the stream's model are said once per
     * pair of stream model id and loaded model id (0: none). */
    int refusal_logged;
    uint32_t refused_stream_model_id, refused_loaded_model_id;

};

void facet_decoder_default_settings(FacetDecoderSettings *settings)
{
    if (!settings)
        return;
    memset(settings, 0, sizeof(*settings));
    settings->output_format = FACET_PIXEL_FORMAT_I420;
    settings->threads = 0;
}

static void close_model(DecoderModel **model)
{
    if (!*model)
        return;
    DecoderModel *m = *model;
    facet_thread_pool_destroy(&m->pool);
    facet_network_close(&m->network);
    facet_frame_tensor_converter_free(&m->converter);
    facet_tensor_free(&m->keyframe);
    free(m);
    *model = NULL;
}

/* Loads the model at `path` into *model (left NULL on failure). */
static int load_model(FacetDecoder *dec, const char *path, int threads, DecoderModel **model)
{
    DecoderModel *m = calloc(1, sizeof(*m));
    if (!m)
        return FACET_ERR(ENOMEM);
    char error[512];
    int ret = facet_network_open(&m->network, path, error, sizeof(error));
    if (ret < 0) {
        facet_log(&dec->logger, "%s", error);
    } else {
        ret = facet_thread_pool_create(&m->pool, threads);
        if (ret < 0)
            facet_log(&dec->logger, "cannot start worker threads: %s", facet_strerror(ret));
    }
    if (ret < 0)
        close_model(&m);
    *model = m;
    return ret;
}

static int open_model(FacetDecoder *dec, const FacetDecoderSettings *settings)
{
    char *path = NULL;
    int ret = facet_model_path_resolve(settings->model_path, &path);
    if (ret == 0 && !path && !settings->model_path)
        dec->may_find_model = 1; /* "" is no model, and no search */
    if (ret < 0 || !path)
        return ret;
    ret = load_model(dec, path, settings->threads, &dec->model);
    free(path);
    return ret;
}

static void log_renderer(void *opaque, const char *message)
{
    facet_log(opaque, "%s", message);
}

/* The renderer's back end, chosen and logged by render/. */
static int open_renderer(FacetDecoder *dec, const FacetDecoderSettings *settings)
{
    FacetRenderBackendSettings rs = {
        .kind = (FacetRenderBackendKind)settings->backend,
        .device = settings->device,
        .pool = dec->model ? dec->model->pool : NULL,
        .log = log_renderer,
        .log_opaque = &dec->logger,
    };
    _Static_assert((int)FACET_RENDER_BACKEND_AUTO == (int)FACET_BACKEND_AUTO &&
                   (int)FACET_RENDER_BACKEND_CPU == (int)FACET_BACKEND_CPU &&
                   (int)FACET_RENDER_BACKEND_VULKAN == (int)FACET_BACKEND_VULKAN,
                   "render/ and facet.h number the back ends alike");
    return facet_render_backend_open(&dec->renderer, dec->model ? dec->model->network : NULL,
                                     &rs);
}

int facet_decoder_open(FacetDecoder **decoder, const FacetDecoderSettings *settings)
{
    if (!decoder)
        return FACET_ERR(EINVAL);
    *decoder = NULL;
    if (!settings)
        return FACET_ERR(EINVAL);
    if ((settings->output_format != FACET_PIXEL_FORMAT_I420 &&
         settings->output_format != FACET_PIXEL_FORMAT_RGB24) ||
        settings->threads < 0 || settings->threads > MAX_THREADS ||
        (settings->backend != FACET_BACKEND_AUTO && settings->backend != FACET_BACKEND_CPU &&
         settings->backend != FACET_BACKEND_VULKAN) ||
        (settings->latent_upscale != FACET_LATENT_UPSCALE_NETWORK &&
         settings->latent_upscale != FACET_LATENT_UPSCALE_LANCZOS))
        return FACET_ERR(EINVAL);

    FacetDecoder *dec = calloc(1, sizeof(*dec));
    if (!dec)
        return FACET_ERR(ENOMEM);
    dec->settings = *settings;
    dec->settings.model_path = NULL; /* the caller's strings are not kept */
    dec->settings.device = NULL;
    dec->logger = (FacetLogger){ settings->log_callback, settings->log_opaque };
    dec->settings.latent_model_path = NULL;
    if (settings->device) {
        size_t size = strlen(settings->device) + 1;
        dec->device = malloc(size);
        if (!dec->device) {
            free(dec);
            return FACET_ERR(ENOMEM);
        }
        memcpy(dec->device, settings->device, size);
    }
    int ret = facet_intra_decoder_open(&dec->intra, settings->threads);
    if (ret == 0) {
        char *latent_path = NULL;
        ret = facet_latent_model_path_resolve(settings->latent_model_path, &latent_path);
        if (ret == 0)
            ret = facet_latent_decoder_open(&dec->latent, latent_path, settings->threads,
                                            settings->output_format, settings->backend,
                                            settings->device, settings->latent_upscale,
                                            &dec->logger);
        free(latent_path);
    }
    if (ret == 0)
        ret = open_model(dec, settings);
    if (ret == 0)
        ret = open_renderer(dec, settings);
    if (ret < 0) {
        facet_decoder_close(&dec);
        return ret;
    }
    *decoder = dec;
    return 0;
}

/* For a decoder left to its implicit default, without the model of this
 * keypoint stream: looks the model up by the stream's model id (once per
 * id) and renders with it from this keyframe on. Not finding or not loading
 * one is not the keyframe's error; the stream's deltas say what is missing. */
static void find_model(FacetDecoder *dec, const FacetSequenceHeader *sequence)
{
    uint32_t id = sequence->model_id;
    if (!dec->may_find_model || id == 0 || sequence->keypoint_count == 0 ||
        (dec->model && facet_network_model_id(dec->model->network) == id) ||
        dec->model_searches == MAX_MODEL_SEARCHES)
        return;
    for (int i = 0; i < dec->model_searches; i++)
        if (dec->searched_model_ids[i] == id)
            return;
    dec->searched_model_ids[dec->model_searches++] = id;
    char *path = NULL;
    int ret = facet_model_path_find(id, &path);
    if (ret < 0 || !path) {
        if (ret < 0)
            facet_log(&dec->logger, "cannot look for model %08x: %s", (unsigned)id,
                      facet_strerror(ret));
        return;
    }
    DecoderModel *m = NULL;
    FacetRenderBackend *renderer = NULL;
    ret = load_model(dec, path, dec->settings.threads, &m);
    if (ret == 0) {
        FacetRenderBackendSettings rs = {
            .kind = (FacetRenderBackendKind)dec->settings.backend,
            .device = dec->device,
            .pool = m->pool,
            .log = log_renderer,
            .log_opaque = &dec->logger,
        };
        ret = facet_render_backend_open(&renderer, m->network, &rs);
    }
    if (ret < 0) {
        facet_log(&dec->logger, "stream of model %08x: cannot use %s: %s", (unsigned)id, path,
                  facet_strerror(ret));
        close_model(&m);
        free(path);
        return;
    }
    facet_render_backend_close(&dec->renderer);
    close_model(&dec->model);
    dec->renderer = renderer;
    dec->model = m;
    facet_log(&dec->logger, "stream of model %08x: loaded %s (found by its model id)",
              (unsigned)id, path);
    free(path);
}

/* Loads a keyframe into the renderer when the stream was coded with the
 * loaded model. A stream of another model still shows its keyframes; only
 * its deltas are refused (decode_delta says why). */
static int prepare_reference(FacetDecoder *dec, const FacetSequenceHeader *sequence,
                             const FacetPicture *picture, const FacetQuantKeypoints *quantized)
{
    DecoderModel *m = dec->model;
    if (!m || sequence->model_id == 0)
        return 0;
    m->renderer_ready = 0;
    if (sequence->model_id != facet_network_model_id(m->network))
        return 0;
    /* The renderer runs at the size the encoder's detector ran at, which is
     * the model's own: a different size under the same model id is a
     * corrupt or hostile header (and could ask for huge buffers). */
    if (sequence->keypoint_count != facet_network_num_keypoints(m->network) ||
        sequence->model_size != facet_network_size(m->network)) {
        facet_log(&dec->logger,
                  "stream claims model %08x with K=%d, S=%d; the loaded model %08x has K=%d, "
                  "S=%d",
                  (unsigned)sequence->model_id, sequence->keypoint_count, sequence->model_size,
                  (unsigned)facet_network_model_id(m->network),
                  facet_network_num_keypoints(m->network), facet_network_size(m->network));
        return FACET_ERR(EBADMSG);
    }
    int ret = 0;
    int size = sequence->model_size;
    if (m->keyframe.h != size) {
        facet_tensor_free(&m->keyframe);
        ret = facet_tensor_alloc(&m->keyframe, 3, size, size);
    }
    if (ret == 0)
        ret = facet_frame_to_tensor(&m->converter, picture, &m->keyframe);
    FacetKeypointSet keypoints;
    facet_keypoints_dequantize(quantized, &keypoints);
    /* Delta frames come out at the stream's size in the caller's format. */
    FacetRenderPicture out = {
        .format = dec->settings.output_format == FACET_PIXEL_FORMAT_RGB24
                      ? FACET_RENDER_PICTURE_RGB24 : FACET_RENDER_PICTURE_I420,
        .width = sequence->width,
        .height = sequence->height,
    };
    if (ret == 0)
        ret = facet_render_backend_set_reference(dec->renderer, &m->keyframe, &keypoints, &out);
    if (ret < 0) {
        facet_log(&dec->logger, "cannot prepare the renderer: %s", facet_strerror(ret));
        return ret;
    }
    m->renderer_ready = 1;
    return 0;
}

static FacetIntraCodec intra_codec_from_id(uint8_t id)
{
    return id == FACET_INTRA_ID_AV1 ? FACET_INTRA_CODEC_AV1 : FACET_INTRA_CODEC_JPEG;
}

/* Hands a decoded I420 picture out in the format the caller asked for.
 * Takes ownership of *i420. */
static int emit_frame(FacetDecoder *dec, FacetPicture *i420, int64_t pts)
{
    if (dec->settings.output_format == FACET_PIXEL_FORMAT_I420) {
        dec->frame = *i420;
        memset(i420, 0, sizeof(*i420));
    } else {
        int ret = facet_picture_alloc(&dec->frame, dec->settings.output_format, i420->width,
                                      i420->height);
        if (ret == 0)
            ret = facet_convert_picture(&dec->convert_cache, i420, &dec->frame);
        facet_picture_unref(i420);
        if (ret < 0) {
            facet_picture_unref(&dec->frame);
            return ret;
        }
    }
    dec->frame.pts = pts;
    dec->has_frame = 1;
    return 0;
}

static void set_stream_info(FacetDecoder *dec, const FacetSequenceHeader *sequence)
{
    dec->info = (FacetStreamInfo){
        .width = sequence->width,
        .height = sequence->height,
        .fps_num = (int)sequence->fps_num,
        .fps_den = (int)sequence->fps_den,
        .model_id = sequence->model_id,
        .model_size = sequence->model_size,
        .keypoint_count = sequence->keypoint_count,
        .version_major = sequence->version_major,
        .version_minor = sequence->version_minor,
        .mode = (FacetStreamMode)sequence->mode,
        .scale = sequence->scale,
        .base_codec = sequence->base_codec,
    };
    dec->has_stream = 1;
}

static int decode_keyframe(FacetDecoder *dec, const FacetPacketView *view, int64_t pts)
{
    const FacetSequenceHeader *sequence = &view->sequence;
    /* A keyframe that fails leaves the reference alone: deltas name their
     * keyframe by id, so those of the failed keyframe get ENOENT while late
     * deltas of the previous one still decode correctly. */
    FacetQuantKeypoints keypoints = { 0 };
    if (sequence->keypoint_count > 0) {
        int ret = facet_keypoints_decode(view->keypoint_data, view->keypoint_size,
                                         sequence->keypoint_count, NULL, &keypoints);
        if (ret < 0)
            return FACET_ERR(EBADMSG);
    }

    FacetPicture picture = { 0 };
    int ret = facet_intra_decode(dec->intra, intra_codec_from_id(view->intra_codec),
                                 view->intra_data, view->intra_size, sequence->width,
                                 sequence->height, &picture);
    if (ret < 0)
        return ret;
    find_model(dec, sequence);
    ret = prepare_reference(dec, sequence, &picture, &keypoints);
    if (ret < 0) {
        facet_picture_unref(&picture);
        return ret;
    }
    ret = emit_frame(dec, &picture, pts);
    if (ret < 0) {
        /* The renderer already holds this keyframe, not the reference that
         * late deltas of the previous keyframe would need. */
        if (dec->model)
            dec->model->renderer_ready = 0;
        return ret;
    }

    set_stream_info(dec, sequence);
    dec->keyframe_id = view->keyframe_id;
    dec->reference_keypoints = keypoints;
    dec->has_reference = 1;
    return 0;
}

static int decode_delta(FacetDecoder *dec, const FacetPacketView *view, int64_t pts)
{
    if (!dec->has_reference || view->keyframe_id != dec->keyframe_id)
        return FACET_ERR(ENOENT);
    if (dec->info.keypoint_count == 0)
        return FACET_ERR(EBADMSG); /* intra-only streams have no deltas */

    FacetQuantKeypoints keypoints;
    int ret = facet_keypoints_decode(view->keypoint_data, view->keypoint_size,
                                     dec->info.keypoint_count, &dec->reference_keypoints,
                                     &keypoints);
    if (ret < 0)
        return FACET_ERR(EBADMSG);

    DecoderModel *m = dec->model;
    uint32_t loaded_id = m ? facet_network_model_id(m->network) : 0;
    if (!m || dec->info.model_id != loaded_id) {
        /* Said once per stream model and loaded model, not per delta. */
        if (dec->refusal_logged && dec->refused_stream_model_id == dec->info.model_id &&
            dec->refused_loaded_model_id == loaded_id)
            return FACET_ERR(ENOTSUP);
        dec->refusal_logged = 1;
        dec->refused_stream_model_id = dec->info.model_id;
        dec->refused_loaded_model_id = loaded_id;
        if (!m)
            facet_log(&dec->logger, "delta frames of a stream coded with model %08x, but no "
                      "model is loaded: only its keyframes decode. Set model_path to a model "
                      "with id %08x, or put one in a folder of FACET_MODEL_PATH",
                      (unsigned)dec->info.model_id, (unsigned)dec->info.model_id);
        else
            facet_log(&dec->logger, "delta frames of a stream coded with model %08x, but the "
                      "loaded model is %08x: only its keyframes decode",
                      (unsigned)dec->info.model_id, (unsigned)loaded_id);
        return FACET_ERR(ENOTSUP);
    }
    if (!m->renderer_ready)
        return FACET_ERR(ENOENT);

    FacetKeypointSet current;
    facet_keypoints_dequantize(&keypoints, &current);
    FacetPicture picture = { 0 };
    ret = facet_picture_alloc(&picture, dec->settings.output_format, dec->info.width,
                              dec->info.height);
    if (ret == 0) {
        FacetRenderPicture out = {
            .format = picture.format == FACET_PIXEL_FORMAT_RGB24 ? FACET_RENDER_PICTURE_RGB24
                                                                 : FACET_RENDER_PICTURE_I420,
            .width = picture.width,
            .height = picture.height,
        };
        for (int i = 0; i < 3; i++) {
            out.data[i] = picture.data[i];
            out.stride[i] = picture.stride[i];
        }
        ret = facet_render_backend_render_picture(dec->renderer, &current, &out);
    }
    if (ret < 0) {
        facet_picture_unref(&picture);
        facet_log(&dec->logger, "rendering failed: %s", facet_strerror(ret));
        return ret;
    }
    picture.pts = pts;
    dec->frame = picture;
    dec->has_frame = 1;
    return 0;
}

static int decode_latent(FacetDecoder *dec, const FacetPacketView *view, int64_t pts)
{
    FacetPicture picture;
    int ret = facet_latent_decode(dec->latent, dec->intra, view, pts, &picture);
    if (ret < 0)
        return ret;
    if (view->type == FACET_PACKET_TYPE_LATENT_KEYFRAME) {
        set_stream_info(dec, facet_latent_decoder_sequence(dec->latent));
        /* The keypoint tier's reference is of another stream now. */
        dec->has_reference = 0;
    }
    if (!picture.buffer)
        return 0;
    dec->frame = picture;
    dec->has_frame = 1;
    return 0;
}

int facet_decoder_send_packet(FacetDecoder *decoder, const FacetPacket *packet)
{
    if (!decoder || !packet || !packet->data || packet->size == 0)
        return FACET_ERR(EINVAL);
    if (decoder->has_frame)
        return FACET_ERR(EAGAIN);

    FacetPacketView view;
    int ret = facet_packet_parse(packet->data, packet->size, &view);
    if (ret < 0)
        return ret;
    if (view.type >= FACET_PACKET_TYPE_LATENT_KEYFRAME)
        return decode_latent(decoder, &view, packet->pts);
    if (view.type == FACET_PACKET_TYPE_KEYFRAME)
        return decode_keyframe(decoder, &view, packet->pts);
    return decode_delta(decoder, &view, packet->pts);
}

int facet_decoder_receive_frame(FacetDecoder *decoder, FacetPicture *picture)
{
    if (!decoder || !picture)
        return FACET_ERR(EINVAL);
    if (!decoder->has_frame)
        return FACET_ERR(EAGAIN);
    *picture = decoder->frame;
    memset(&decoder->frame, 0, sizeof(decoder->frame));
    decoder->has_frame = 0;
    return 0;
}

int facet_decoder_get_stream_info(const FacetDecoder *decoder, FacetStreamInfo *info)
{
    if (!decoder || !info)
        return FACET_ERR(EINVAL);
    if (!decoder->has_stream)
        return FACET_ERR(EAGAIN);
    *info = decoder->info;
    return 0;
}

/* The latent back end while the stream is a latent one, else NULL. */
static FacetLatentBackend *latent_renderer(const FacetDecoder *dec)
{
    if (!dec->has_stream || dec->info.mode != FACET_STREAM_MODE_LATENT)
        return NULL;
    return facet_latent_decoder_backend(dec->latent);
}

int facet_decoder_get_backend(const FacetDecoder *decoder, FacetBackend *backend,
                              const char **device_name)
{
    if (!decoder)
        return FACET_ERR(EINVAL);
    /* A latent stream renders on the latent tier's back end (made at its
     * first keyframe); anything else on the keypoint tier's. */
    FacetLatentBackend *latent = latent_renderer(decoder);
    if (backend)
        *backend = (FacetBackend)(latent ? facet_latent_backend_kind(latent)
                                         : facet_render_backend_kind(decoder->renderer));
    if (device_name)
        *device_name = latent ? facet_latent_backend_device_name(latent)
                              : facet_render_backend_device_name(decoder->renderer);
    return 0;
}

FacetVkDevice *facet_decoder_vulkan_device(FacetDecoder *decoder)
{
    if (!decoder)
        return NULL;
    FacetLatentBackend *latent = latent_renderer(decoder);
    return latent ? facet_latent_backend_vulkan_device(latent)
                  : facet_render_backend_vulkan_device(decoder->renderer);
}

int facet_decoder_flush(FacetDecoder *decoder)
{
    if (!decoder)
        return FACET_ERR(EINVAL);
    decoder->has_reference = 0;
    if (decoder->model)
        decoder->model->renderer_ready = 0;
    facet_latent_decoder_flush(decoder->latent);
    facet_picture_unref(&decoder->frame);
    decoder->has_frame = 0;
    return 0;
}

void facet_decoder_close(FacetDecoder **decoder)
{
    if (!decoder || !*decoder)
        return;
    FacetDecoder *dec = *decoder;
    facet_intra_decoder_close(&dec->intra);
    facet_latent_decoder_close(&dec->latent);
    facet_render_backend_close(&dec->renderer);
    close_model(&dec->model);
    free(dec->device);
    facet_convert_cache_free(&dec->convert_cache);
    facet_picture_unref(&dec->frame);
    free(dec);
    *decoder = NULL;
}
