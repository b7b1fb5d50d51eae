/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier's decoder: the low-resolution AV1 stream (libdav1d
 * through libavcodec), references assembled from their fragments, and the
 * latent network (on the CPU or a Vulkan device, render/latent_backend.h)
 * turning each low-resolution frame into the picture at the stream size;
 * or, with FACET_LATENT_UPSCALE_LANCZOS, libswscale's Lanczos in place of
 * the network (the baseline on the same stream). docs/latent-tier.md.
 *
 * State changes only when a packet was accepted whole. The reference in
 * use stays until a new one is complete and decoded; a fragment of another
 * reference id abandons the incomplete one.
 */
#define _POSIX_C_SOURCE 200809L
#include "codec/latent.h"

#include <errno.h>
#include <libswscale/swscale.h>
#include <stdlib.h>
#include <string.h>

#include "codec/base_codec.h"
#include "render/latent_backend.h"
#include "render/latent_network.h"
#include "render/thread_pool.h"

struct FacetLatentDecoder {
    FacetLogger logger;
    int threads;
    FacetPixelFormat format;
    FacetBackend backend;
    FacetLatentUpscale upscale;
    char *device;                       /* Vulkan selector, or NULL */
    char *model_path;
    FacetLatentNetwork *net;
    FacetThreadPool *pool;
    FacetLatentBackend *renderer;
    int work_w, work_h, r;              /* what the renderer was prepared for */
    FacetBaseDecoder *base;
    struct SwsContext *to_rgb;
    struct SwsContext *lanczos;         /* low frame -> work size, Lanczos mode */
    FacetPicture rgb;                   /* staging for the conversion */
    FacetTensor low, reference;

    int has_stream;
    FacetSequenceHeader sequence;
    int chain;                          /* the low-resolution chain is intact */
    uint16_t keyframe_id;
    uint32_t last_frame;

    /* The reference being assembled. */
    int assembling;
    uint16_t assembling_id;
    int fragment_count, fragments_received;
    uint32_t reference_size;
    uint8_t reference_codec;
    uint8_t *fragments;
    uint8_t received[FACET_MAX_REFERENCE_FRAGMENTS];
    int has_reference;
    uint16_t reference_id;
    int reference_id_known;             /* since the last keyframe */
};

int facet_latent_decoder_open(FacetLatentDecoder **out, const char *model_path, int threads,
                              FacetPixelFormat format, FacetBackend backend, const char *device,
                              FacetLatentUpscale upscale, const FacetLogger *logger)
{
    *out = NULL;
    FacetLatentDecoder *dec = calloc(1, sizeof(*dec));
    if (!dec)
        return FACET_ERR(ENOMEM);
    dec->logger = *logger;
    dec->threads = threads;
    dec->format = format;
    dec->backend = backend;
    dec->upscale = upscale;
    if ((model_path && !(dec->model_path = strdup(model_path))) ||
        (device && *device && !(dec->device = strdup(device)))) {
        facet_latent_decoder_close(&dec);
        return FACET_ERR(ENOMEM);
    }
    *out = dec;
    return 0;
}

const FacetSequenceHeader *facet_latent_decoder_sequence(const FacetLatentDecoder *dec)
{
    return &dec->sequence;
}

FacetLatentBackend *facet_latent_decoder_backend(FacetLatentDecoder *dec)
{
    return dec ? dec->renderer : NULL;
}

static void drop_assembly(FacetLatentDecoder *dec)
{
    free(dec->fragments);
    dec->fragments = NULL;
    dec->assembling = 0;
}

void facet_latent_decoder_flush(FacetLatentDecoder *dec)
{
    if (!dec)
        return;
    dec->chain = 0;
    drop_assembly(dec);
    if (dec->base)
        facet_base_decoder_reset(dec->base);
}

void facet_latent_decoder_close(FacetLatentDecoder **dec)
{
    if (!dec || !*dec)
        return;
    FacetLatentDecoder *d = *dec;
    drop_assembly(d);
    facet_latent_backend_close(&d->renderer);
    facet_latent_network_close(&d->net);
    facet_thread_pool_destroy(&d->pool);
    facet_base_decoder_close(&d->base);
    sws_freeContext(d->to_rgb);
    sws_freeContext(d->lanczos);
    facet_picture_unref(&d->rgb);
    facet_tensor_free(&d->low);
    facet_tensor_free(&d->reference);
    free(d->model_path);
    free(d->device);
    free(d);
    *dec = NULL;
}

/* An I420 picture into a 3 x h x w tensor of RGB in [0, 1], at the
 * tensor's size (BT.601 limited range, as the training's ffmpeg reads). */
static int picture_to_tensor(FacetLatentDecoder *dec, const FacetPicture *i420, FacetTensor *t)
{
    if (dec->rgb.width != t->w || dec->rgb.height != t->h) {
        facet_picture_unref(&dec->rgb);
        int ret = facet_picture_alloc(&dec->rgb, FACET_PIXEL_FORMAT_RGB24, t->w, t->h);
        if (ret < 0)
            return ret;
    }
    dec->to_rgb = sws_getCachedContext(dec->to_rgb, i420->width, i420->height,
                                       AV_PIX_FMT_YUV420P, t->w, t->h, AV_PIX_FMT_RGB24,
                                       SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
                                       NULL, NULL, NULL);
    if (!dec->to_rgb)
        return FACET_ERR(ENOMEM);
    const uint8_t *const s[4] = { i420->data[0], i420->data[1], i420->data[2], NULL };
    const int ss[4] = { (int)i420->stride[0], (int)i420->stride[1], (int)i420->stride[2], 0 };
    uint8_t *const d[4] = { dec->rgb.data[0], NULL, NULL, NULL };
    const int ds[4] = { (int)dec->rgb.stride[0], 0, 0, 0 };
    sws_scale(dec->to_rgb, s, ss, 0, i420->height, d, ds);
    const float scale = 1.0f / 255.0f;
    size_t plane = (size_t)t->w * (size_t)t->h;
    for (int y = 0; y < t->h; y++) {
        const uint8_t *row = dec->rgb.data[0] + (ptrdiff_t)y * dec->rgb.stride[0];
        float *r = t->data + (size_t)y * t->w, *g = r + plane, *b = g + plane;
        for (int x = 0; x < t->w; x++) {
            r[x] = row[3 * x] * scale;
            g[x] = row[3 * x + 1] * scale;
            b[x] = row[3 * x + 2] * scale;
        }
    }
    return 0;
}

static void log_renderer(void *opaque, const char *message)
{
    facet_log(opaque, "%s", message);
}

static FacetRenderPictureFormat render_format(FacetPixelFormat format)
{
    return format == FACET_PIXEL_FORMAT_RGB24 ? FACET_RENDER_PICTURE_RGB24
                                              : FACET_RENDER_PICTURE_I420;
}

/* Checks a latent sequence header against the model and opens the network
 * and its renderer (once). */
static int open_network(FacetLatentDecoder *dec, const FacetSequenceHeader *seq)
{
    if (!dec->model_path) {
        facet_log(&dec->logger, "latent stream of model %08x, but no latent model is loaded "
                  "(latent_model_path, FACET_LATENT_MODEL)", (unsigned)seq->model_id);
        return FACET_ERR(ENOTSUP);
    }
    int ret;
    if (!dec->net) {
        char error[512];
        ret = facet_latent_network_open(&dec->net, dec->model_path, error, sizeof(error));
        if (ret < 0) {
            facet_log(&dec->logger, "%s", error);
            return ret;
        }
    }
    if (seq->model_id != dec->net->model_id || !(dec->net->scales & (1u << seq->scale))) {
        facet_log(&dec->logger, "latent stream of model %08x at scale %d; the loaded latent "
                  "model is %08x", (unsigned)seq->model_id, seq->scale,
                  (unsigned)dec->net->model_id);
        return FACET_ERR(ENOTSUP);
    }
    if (!dec->pool && (ret = facet_thread_pool_create(&dec->pool, dec->threads)) < 0)
        return ret;
    if (!dec->renderer) {
        FacetRenderBackendSettings rs = {
            .kind = (FacetRenderBackendKind)dec->backend,
            .device = dec->device,
            .pool = dec->pool,
            .log = log_renderer,
            .log_opaque = &dec->logger,
        };
        if ((ret = facet_latent_backend_open(&dec->renderer, dec->net, &rs)) < 0)
            return ret;
    }
    return 0;
}

/* Sets up the network (unless Lanczos), its renderer and the base decoder
 * for a latent sequence header. */
static int prepare_stream(FacetLatentDecoder *dec, const FacetSequenceHeader *seq)
{
    int lanczos = dec->upscale == FACET_LATENT_UPSCALE_LANCZOS;
    int ret;
    /* Lanczos needs no model: a stream of any model plays. */
    if (!lanczos && (ret = open_network(dec, seq)) < 0)
        return ret;
    /* A keyframe of another base codec (AV1, VP8) needs its decoder; the
     * old chain ends. */
    if (dec->base && facet_base_decoder_codec(dec->base) != seq->base_codec) {
        facet_base_decoder_close(&dec->base);
        dec->chain = 0;
    }
    if (!dec->base && (ret = facet_base_decoder_open(&dec->base, seq->base_codec, dec->threads,
                                                      &dec->logger)) < 0)
        return ret;
    int w = facet_latent_work_side(seq->width), h = facet_latent_work_side(seq->height);
    if (w == dec->work_w && h == dec->work_h && seq->scale == dec->r)
        return 0;
    if (lanczos) {
        /* Only the sizes: render() scales to the work size and crops. */
        dec->work_w = w;
        dec->work_h = h;
        dec->r = seq->scale;
        return 0;
    }
    if (!facet_latent_network_supports(dec->net, w, h, seq->scale))
        return FACET_ERR(ENOTSUP);
    facet_tensor_free(&dec->low);
    facet_tensor_free(&dec->reference);
    dec->has_reference = 0;
    dec->work_w = dec->work_h = dec->r = 0;
    /* The network's picture at the work size, cropped by render(). */
    FacetRenderPicture shape = { .format = render_format(dec->format), .width = w, .height = h };
    ret = facet_latent_backend_prepare(dec->renderer, w, h, seq->scale, &shape);
    if (ret == 0)
        ret = facet_tensor_alloc(&dec->low, 3, h / seq->scale, w / seq->scale);
    if (ret == 0)
        ret = facet_tensor_alloc(&dec->reference, 3, h, w);
    if (ret < 0)
        return ret;
    dec->work_w = w;
    dec->work_h = h;
    dec->r = seq->scale;
    return 0;
}

/* The network's picture of a low frame, at the size of *out (the work
 * size). */
static int render_network(FacetLatentDecoder *dec, const FacetPicture *low, FacetPicture *out)
{
    int ret = picture_to_tensor(dec, low, &dec->low);
    if (ret < 0)
        return ret;
    FacetRenderPicture picture = {
        .format = render_format(dec->format),
        .width = out->width,
        .height = out->height,
    };
    for (int i = 0; i < 3; i++) {
        picture.data[i] = out->data[i];
        picture.stride[i] = out->stride[i];
    }
    return facet_latent_backend_render_picture(dec->renderer, &dec->low, &picture);
}

/* The low frame scaled to the size of *out (the work size) with Lanczos,
 * in one pass to the output format; the rounding flags are those of the
 * decoder's other conversions (codec/convert.c), so that the baseline
 * differs from the network's picture by the upscaler alone. */
static int render_lanczos(FacetLatentDecoder *dec, const FacetPicture *low, FacetPicture *out)
{
    enum AVPixelFormat format = dec->format == FACET_PIXEL_FORMAT_RGB24 ? AV_PIX_FMT_RGB24
                                                                       : AV_PIX_FMT_YUV420P;
    dec->lanczos = sws_getCachedContext(dec->lanczos, low->width, low->height,
                                        AV_PIX_FMT_YUV420P, out->width, out->height, format,
                                        SWS_LANCZOS | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT |
                                            SWS_FULL_CHR_H_INP,
                                        NULL, NULL, NULL);
    if (!dec->lanczos)
        return FACET_ERR(ENOMEM);
    const uint8_t *const s[4] = { low->data[0], low->data[1], low->data[2], NULL };
    const int ss[4] = { (int)low->stride[0], (int)low->stride[1], (int)low->stride[2], 0 };
    uint8_t *const d[4] = { out->data[0], out->data[1], out->data[2], NULL };
    const int ds[4] = { (int)out->stride[0], (int)out->stride[1], (int)out->stride[2], 0 };
    return sws_scale(dec->lanczos, s, ss, 0, low->height, d, ds) == out->height
               ? 0 : FACET_ERR(EINVAL);
}

static int render(FacetLatentDecoder *dec, const FacetPicture *low, int64_t pts,
                  FacetPicture *out)
{
    /* The picture is made at the work size and cropped to the stream size
     * by its width and height alone: the padding the encoder added
     * (codec/latent_work.c) stays in the buffer, past the rows' ends. */
    if (dec->work_w != facet_latent_work_side(dec->sequence.width) ||
        dec->work_h != facet_latent_work_side(dec->sequence.height))
        return FACET_ERR(EPIPE); /* a keyframe of another size failed after preparing */
    int ret = facet_picture_alloc(out, dec->format, dec->work_w, dec->work_h);
    if (ret < 0)
        return ret;
    ret = dec->upscale == FACET_LATENT_UPSCALE_LANCZOS ? render_lanczos(dec, low, out)
                                                       : render_network(dec, low, out);
    if (ret < 0) {
        facet_picture_unref(out);
        return ret;
    }
    out->width = dec->sequence.width;
    out->height = dec->sequence.height;
    out->pts = pts;
    return 0;
}

static int decode_low(FacetLatentDecoder *dec, const FacetPacketView *view, int64_t pts,
                      FacetPicture *out)
{
    int keyframe = view->type == FACET_PACKET_TYPE_LATENT_KEYFRAME;
    uint32_t frame_number = view->frame_number; /* expanded below for a short frame */
    int ret;
    if (keyframe) {
        ret = prepare_stream(dec, &view->sequence);
        if (ret < 0)
            return ret;
        /* A keyframe of a new size or model starts over. */
        if (dec->has_stream && (dec->sequence.width != view->sequence.width ||
                                dec->sequence.height != view->sequence.height ||
                                dec->sequence.scale != view->sequence.scale))
            drop_assembly(dec);
        facet_base_decoder_reset(dec->base);
    } else {
        if (!dec->has_stream)
            return FACET_ERR(ENOENT);
        int32_t step;
        int same_chain;
        if (view->short_numbers) {
            /* 1.2: the numbers modulo 256, expanded against the last frame
             * and keyframe taken (docs/bitstream.md, "Short latent
             * frames"). A frame of an older chain is late. In this chain
             * only a step of 0 is a duplicate: any other but 1 is a gap (a
             * late frame of this chain breaks it too), so that no loss but
             * one of an exact multiple of 256 frames passes for the next
             * frame. */
            if ((int8_t)(uint8_t)(view->keyframe_id - dec->keyframe_id) < 0)
                return FACET_ERR(EALREADY);
            step = (uint8_t)(view->frame_number - dec->last_frame);
            same_chain = view->keyframe_id == (dec->keyframe_id & 0xffu);
        } else {
            step = (int32_t)(view->frame_number - dec->last_frame);
            same_chain = view->keyframe_id == dec->keyframe_id;
        }
        frame_number = dec->last_frame + (uint32_t)step;
        if (step <= 0)
            return FACET_ERR(EALREADY); /* duplicated or late: dropped */
        if (!dec->chain)
            return FACET_ERR(EPIPE);
        if (step != 1 || !same_chain) {
            /* Frames lost, or a keyframe this decoder never got. */
            dec->chain = 0;
            facet_log(&dec->logger, "low-resolution frames %u..%u (or their keyframe) are "
                      "missing: request a keyframe", (unsigned)(dec->last_frame + 1),
                      (unsigned)(frame_number - 1));
            return FACET_ERR(EPIPE);
        }
    }
    const FacetSequenceHeader *seq = keyframe ? &view->sequence : &dec->sequence;
    FacetPicture low = { 0 };
    int w = facet_latent_work_side(seq->width) / seq->scale;
    int h = facet_latent_work_side(seq->height) / seq->scale;
    ret = facet_base_decode(dec->base, view->base_data, view->base_size, w, h, &low);
    if (ret < 0) {
        /* The base decoder's state cannot be trusted after a bad unit. */
        dec->chain = 0;
        return ret;
    }
    if (keyframe) {
        dec->sequence = view->sequence;
        dec->has_stream = 1;
        dec->keyframe_id = view->keyframe_id;
        /* A restarted sender numbers its references from 0 again: after a
         * keyframe, fragments of the id in use are assembled again rather
         * than taken for duplicates (a true duplicate only costs work). */
        dec->reference_id_known = 0;
    }
    dec->chain = 1;
    dec->last_frame = frame_number;
    ret = render(dec, &low, pts, out);
    facet_picture_unref(&low);
    return ret;
}

static int decode_reference(FacetLatentDecoder *dec, FacetIntraDecoder *intra,
                            const FacetPacketView *view)
{
    if (!dec->has_stream || !dec->work_w)
        return FACET_ERR(ENOENT);
    /* Lanczos has no use for a reference: the fragment is taken, so that
     * the stream goes on as for the network, and dropped. */
    if (dec->upscale == FACET_LATENT_UPSCALE_LANCZOS)
        return 0;
    /* A fragment of the reference in use (a duplicate) changes nothing. */
    if (dec->has_reference && dec->reference_id_known && view->keyframe_id == dec->reference_id)
        return 0;
    if (dec->assembling && (view->keyframe_id != dec->assembling_id ||
                            view->fragment_count != dec->fragment_count ||
                            view->reference_size != dec->reference_size ||
                            view->intra_codec != dec->reference_codec)) {
        /* A newer reference replaces the incomplete one (its missing
         * fragments will never come). */
        drop_assembly(dec);
    }
    if (!dec->assembling) {
        dec->fragments = malloc(view->reference_size);
        if (!dec->fragments)
            return FACET_ERR(ENOMEM);
        dec->assembling = 1;
        dec->assembling_id = view->keyframe_id;
        dec->fragment_count = view->fragment_count;
        dec->fragments_received = 0;
        dec->reference_size = view->reference_size;
        dec->reference_codec = view->intra_codec;
        memset(dec->received, 0, sizeof(dec->received));
    }
    int index = view->fragment_index;
    if (dec->received[index])
        return 0;
    size_t chunk = (dec->reference_size + (size_t)dec->fragment_count - 1) /
                   (size_t)dec->fragment_count;
    memcpy(dec->fragments + chunk * (size_t)index, view->fragment_data, view->fragment_size);
    dec->received[index] = 1;
    if (++dec->fragments_received < dec->fragment_count)
        return 0;

    /* Whole: decode it; only a picture that decodes replaces the old. */
    FacetPicture picture = { 0 };
    int ret = facet_intra_decode(intra,
                                 dec->reference_codec == FACET_INTRA_ID_AV1
                                     ? FACET_INTRA_CODEC_AV1 : FACET_INTRA_CODEC_JPEG,
                                 dec->fragments, dec->reference_size, dec->work_w, dec->work_h,
                                 &picture);
    uint16_t id = dec->assembling_id;
    drop_assembly(dec);
    if (ret < 0) {
        facet_log(&dec->logger, "reference %u does not decode: %s", (unsigned)id,
                  facet_strerror(ret));
        return ret;
    }
    ret = picture_to_tensor(dec, &picture, &dec->reference);
    facet_picture_unref(&picture);
    if (ret == 0)
        ret = facet_latent_backend_set_reference(dec->renderer, &dec->reference);
    if (ret < 0)
        return ret;
    dec->has_reference = 1;
    dec->reference_id = id;
    dec->reference_id_known = 1;
    return 0;
}

int facet_latent_decode(FacetLatentDecoder *dec, FacetIntraDecoder *intra,
                        const FacetPacketView *view, int64_t pts, FacetPicture *out)
{
    memset(out, 0, sizeof(*out));
    if (view->type == FACET_PACKET_TYPE_REFERENCE)
        return decode_reference(dec, intra, view);
    return decode_low(dec, view, pts, out);
}
