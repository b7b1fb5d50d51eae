/*
 * The decoder: one packet in, at most one frame out.
 *
 * Every packet is parsed and validated completely (codec/bitstream.c)
 * before any state changes, and state changes only when the whole packet
 * decoded, so a hostile packet can cost a frame but never corrupt what the
 * next valid packet needs.
 */
#include "facet/facet.h"

#include <stdlib.h>
#include <string.h>

#include "codec/bitstream.h"
#include "codec/convert.h"
#include "codec/intra.h"
#include "keypoints/keypoint_coding.h"

#define MAX_THREADS 64

struct FacetDecoder {
    FacetDecoderSettings settings;
    FacetIntraDecoder *intra;
    struct SwsContext *convert_cache;

    int has_stream;                   /* a keyframe was decoded at least once */
    FacetStreamInfo info;

    int has_reference;                /* deltas can be decoded against it */
    uint16_t keyframe_id;
    FacetQuantKeypoints reference_keypoints;

    int has_frame;
    FacetPicture frame;               /* waiting for facet_decoder_receive_frame() */
};

void facet_decoder_default_settings(FacetDecoderSettings *settings)
{
    if (!settings)
        return;
    memset(settings, 0, sizeof(*settings));
    settings->output_format = FACET_PIXEL_FORMAT_I420;
    settings->threads = 0;
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
        settings->threads < 0 || settings->threads > MAX_THREADS)
        return FACET_ERR(EINVAL);

    FacetDecoder *dec = calloc(1, sizeof(*dec));
    if (!dec)
        return FACET_ERR(ENOMEM);
    dec->settings = *settings;
    int ret = facet_intra_decoder_open(&dec->intra, settings->threads);
    if (ret < 0) {
        facet_decoder_close(&dec);
        return ret;
    }
    *decoder = dec;
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
    ret = emit_frame(dec, &picture, pts);
    if (ret < 0)
        return ret;

    set_stream_info(dec, sequence);
    dec->keyframe_id = view->keyframe_id;
    dec->reference_keypoints = keypoints;
    dec->has_reference = 1;
    return 0;
}

static int decode_delta(FacetDecoder *dec, const FacetPacketView *view)
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
    /* The keypoints are valid, but rebuilding a picture from them needs the
     * renderer network, which this build does not have. */
    return FACET_ERR(ENOTSUP);
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
    if (view.type == FACET_PACKET_TYPE_KEYFRAME)
        return decode_keyframe(decoder, &view, packet->pts);
    return decode_delta(decoder, &view);
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

int facet_decoder_flush(FacetDecoder *decoder)
{
    if (!decoder)
        return FACET_ERR(EINVAL);
    decoder->has_reference = 0;
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
    facet_convert_cache_free(&dec->convert_cache);
    facet_picture_unref(&dec->frame);
    free(dec);
    *decoder = NULL;
}
