/*
 * Keyframe (intra) picture coding through libavcodec: AV1 (coded with
 * libaom-av1, else libsvtav1; decoded with libdav1d, else libaom-av1) and
 * JPEG (mjpeg). docs/intra-coding.md describes the payloads and settings.
 */
#include "codec/intra.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/common.h>
#include <libavutil/cpu.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixfmt.h>

/* ------------------------------------------------------------------------ */
/* Quality mapping                                                          */

/* Both maps are linear in log(quantiser step): AV1's quantiser index and the
 * CRF scale built on it are roughly logarithmic already, while JPEG's qscale
 * multiplies the quantisation tables, so it gets an exponential map. */
static int av1_crf_from_quality(int quality)
{
    return (63 * (100 - quality) + 50) / 100; /* 100 -> 0 (lossless), 0 -> 63 */
}

static int jpeg_qscale_from_quality(int quality)
{
    /* 100 -> 1, 80 -> 2, 60 -> 4, 40 -> 8, 20 -> 16, 0 -> 31 */
    long qscale = lround(pow(31.0, (100 - quality) / 100.0));
    return qscale < 1 ? 1 : qscale > 31 ? 31 : (int)qscale;
}

static int resolve_threads(int threads)
{
    if (threads > 0)
        return threads;
    int cpus = av_cpu_count();
    return cpus < 1 ? 1 : cpus > FACET_INTRA_MAX_THREADS ? FACET_INTRA_MAX_THREADS : cpus;
}

static int error_from_av(int averror, int otherwise)
{
    return averror == AVERROR(ENOMEM) ? FACET_ERR(ENOMEM) : otherwise;
}

/* ------------------------------------------------------------------------ */
/* AV1 payload inspection                                                   */

enum {
    OBU_SEQUENCE_HEADER = 1,
    OBU_FRAME_HEADER = 3,
    OBU_FRAME = 6,
};

typedef struct BitReader {
    const uint8_t *data;
    size_t size_bits;
    size_t pos;
    int overread;
} BitReader;

static uint32_t read_bits(BitReader *br, int count)
{
    uint32_t value = 0;
    for (int i = 0; i < count; i++) {
        if (br->pos >= br->size_bits) {
            br->overread = 1;
            return 0;
        }
        value = (value << 1) | ((br->data[br->pos >> 3] >> (7 - (br->pos & 7))) & 1u);
        br->pos++;
    }
    return value;
}

/* AV1 spec 4.10.3 uvlc(); only skipped here. */
static void skip_uvlc(BitReader *br)
{
    int leading_zeros = 0;
    while (!br->overread && !read_bits(br, 1))
        leading_zeros++;
    if (leading_zeros < 32)
        read_bits(br, leading_zeros);
}

typedef struct Av1SequenceInfo {
    int profile;
    int max_width;
    int max_height;
} Av1SequenceInfo;

/* Parses a sequence header OBU payload (AV1 spec 5.5.1) as far as the
 * maximum frame size. */
static int av1_parse_sequence_header(const uint8_t *data, size_t size, Av1SequenceInfo *info)
{
    BitReader br = { data, size * 8, 0, 0 };
    info->profile = (int)read_bits(&br, 3);
    read_bits(&br, 1); /* still_picture */
    if (read_bits(&br, 1)) { /* reduced_still_picture_header */
        read_bits(&br, 5); /* seq_level_idx[0] */
    } else {
        int decoder_model_info_present = 0, buffer_delay_length = 0;
        if (read_bits(&br, 1)) { /* timing_info_present_flag */
            read_bits(&br, 32); /* num_units_in_display_tick */
            read_bits(&br, 32); /* time_scale */
            if (read_bits(&br, 1)) /* equal_picture_interval */
                skip_uvlc(&br);
            decoder_model_info_present = (int)read_bits(&br, 1);
            if (decoder_model_info_present) {
                buffer_delay_length = (int)read_bits(&br, 5) + 1;
                read_bits(&br, 32); /* num_units_in_decoding_tick */
                read_bits(&br, 5);  /* buffer_removal_time_length_minus_1 */
                read_bits(&br, 5);  /* frame_presentation_time_length_minus_1 */
            }
        }
        int initial_display_delay_present = (int)read_bits(&br, 1);
        int operating_points = (int)read_bits(&br, 5) + 1;
        for (int i = 0; i < operating_points && !br.overread; i++) {
            read_bits(&br, 12); /* operating_point_idc */
            if (read_bits(&br, 5) > 7) /* seq_level_idx */
                read_bits(&br, 1); /* seq_tier */
            if (decoder_model_info_present && read_bits(&br, 1)) {
                read_bits(&br, buffer_delay_length); /* decoder_buffer_delay */
                read_bits(&br, buffer_delay_length); /* encoder_buffer_delay */
                read_bits(&br, 1);                   /* low_delay_mode_flag */
            }
            if (initial_display_delay_present && read_bits(&br, 1))
                read_bits(&br, 4); /* initial_display_delay_minus_1 */
        }
    }
    int width_bits = (int)read_bits(&br, 4) + 1;
    int height_bits = (int)read_bits(&br, 4) + 1;
    uint32_t max_width = read_bits(&br, width_bits) + 1u;
    uint32_t max_height = read_bits(&br, height_bits) + 1u;
    if (br.overread)
        return FACET_ERR(EBADMSG);
    info->max_width = (int)max_width; /* at most 2^16 */
    info->max_height = (int)max_height;
    return 0;
}

typedef struct Av1PayloadInfo {
    int has_sequence_header;  /* a sequence header comes before the first frame */
    Av1SequenceInfo sequence; /* from the first sequence header */
    int frames;               /* frame and frame header OBUs */
} Av1PayloadInfo;

/* Walks the OBUs of a low-overhead AV1 payload (AV1 spec 5.3); every OBU must
 * lie inside the payload and all sequence headers must agree. */
static int av1_inspect(const uint8_t *data, size_t size, Av1PayloadInfo *info)
{
    memset(info, 0, sizeof(*info));
    size_t pos = 0;
    while (pos < size) {
        uint8_t header = data[pos++];
        if (header & 0x80) /* obu_forbidden_bit */
            return FACET_ERR(EBADMSG);
        int type = (header >> 3) & 15;
        int has_extension = (header >> 2) & 1;
        int has_size = (header >> 1) & 1;
        if (has_extension) {
            if (pos >= size)
                return FACET_ERR(EBADMSG);
            pos++;
        }
        uint64_t obu_size = size - pos;
        if (has_size) {
            obu_size = 0;
            int i;
            for (i = 0; i < 8; i++) { /* leb128() */
                if (pos >= size)
                    return FACET_ERR(EBADMSG);
                uint8_t byte = data[pos++];
                obu_size |= (uint64_t)(byte & 0x7f) << (7 * i);
                if (!(byte & 0x80))
                    break;
            }
            if (i == 8 || obu_size > size - pos)
                return FACET_ERR(EBADMSG);
        }
        const uint8_t *payload = data + pos;
        pos += (size_t)obu_size;

        if (type == OBU_SEQUENCE_HEADER) {
            Av1SequenceInfo sequence;
            int ret = av1_parse_sequence_header(payload, (size_t)obu_size, &sequence);
            if (ret < 0)
                return ret;
            if (!info->has_sequence_header && !info->frames) {
                info->sequence = sequence;
                info->has_sequence_header = 1;
            } else if (info->has_sequence_header &&
                       (sequence.max_width != info->sequence.max_width ||
                        sequence.max_height != info->sequence.max_height ||
                        sequence.profile != info->sequence.profile)) {
                return FACET_ERR(EBADMSG);
            }
        } else if (type == OBU_FRAME || type == OBU_FRAME_HEADER) {
            info->frames++;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* JPEG payload inspection                                                  */

/* Walks the markers of a JPEG (ITU-T T.81 B.2) and reads the size in its
 * frame header. The payload must be one image: SOI first, one frame header
 * (baseline, extended or progressive Huffman, 8-bit) before the first scan,
 * at least one scan, and EOI as its last two bytes. */
static int jpeg_inspect(const uint8_t *data, size_t size, int *width, int *height)
{
    if (size < 4 || data[0] != 0xff || data[1] != 0xd8)
        return FACET_ERR(EBADMSG);
    int frames = 0, scans = 0;
    size_t pos = 2;
    for (;;) {
        if (pos >= size || data[pos] != 0xff)
            return FACET_ERR(EBADMSG);
        while (pos < size && data[pos] == 0xff) /* fill bytes */
            pos++;
        if (pos >= size)
            return FACET_ERR(EBADMSG);
        uint8_t marker = data[pos++];
        if (marker == 0xd9) /* EOI */
            return pos == size && frames == 1 && scans > 0 ? 0 : FACET_ERR(EBADMSG);
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8))
            return FACET_ERR(EBADMSG); /* no RSTn, TEM or SOI between segments */
        if (size - pos < 2)
            return FACET_ERR(EBADMSG);
        size_t length = (size_t)data[pos] << 8 | data[pos + 1];
        if (length < 2 || length > size - pos)
            return FACET_ERR(EBADMSG);
        if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 &&
            marker != 0xcc) {
            /* SOFn: Lf(2) P(1) Y(2) X(2) Nf(1) ... */
            if (marker > 0xc2 || frames || scans || length < 8 || data[pos + 2] != 8)
                return FACET_ERR(EBADMSG);
            *height = data[pos + 3] << 8 | data[pos + 4];
            *width = data[pos + 5] << 8 | data[pos + 6];
            /* Y = 0 defers the height to a DNL marker, which we never write. */
            if (*width == 0 || *height == 0)
                return FACET_ERR(EBADMSG);
            frames++;
        }
        pos += length;
        if (marker == 0xda) { /* SOS: entropy-coded data up to the next marker */
            if (!frames)
                return FACET_ERR(EBADMSG);
            scans++;
            while (pos + 1 < size && (data[pos] != 0xff || data[pos + 1] == 0x00 ||
                                      (data[pos + 1] >= 0xd0 && data[pos + 1] <= 0xd7) ||
                                      data[pos + 1] == 0xff))
                pos++;
            if (pos + 1 >= size)
                return FACET_ERR(EBADMSG);
        }
    }
}

int facet_intra_payload_size(FacetIntraCodec codec, const uint8_t *data, size_t size,
                             int *width, int *height)
{
    if (!data || !width || !height)
        return FACET_ERR(EINVAL);
    *width = *height = 0;
    switch (codec) {
    case FACET_INTRA_CODEC_AV1: {
        Av1PayloadInfo info;
        int ret = av1_inspect(data, size, &info);
        if (ret < 0)
            return ret;
        /* Main profile (8/10-bit 4:2:0) is all we write; 4:4:4 and 4:2:2
         * need profiles 1 and 2. */
        if (!info.has_sequence_header || !info.frames || info.sequence.profile != 0)
            return FACET_ERR(EBADMSG);
        *width = info.sequence.max_width;
        *height = info.sequence.max_height;
        return 0;
    }
    case FACET_INTRA_CODEC_JPEG: {
        int ret = jpeg_inspect(data, size, width, height);
        if (ret < 0)
            *width = *height = 0;
        return ret;
    }
    default:
        return FACET_ERR(EINVAL);
    }
}

/* ------------------------------------------------------------------------ */
/* Encoder                                                                  */

typedef struct IntraEncoderKind {
    const char *name; /* libavcodec encoder */
    FacetIntraCodec codec;
    /* The wrapper hands a packet out only when the next picture arrives or
     * at the end of the stream (libsvtav1 in FFmpeg 5.x), so each picture
     * gets a context of its own that is drained at once. */
    int one_shot;
    void (*configure)(AVCodecContext *ctx, AVDictionary **options, int quality);
} IntraEncoderKind;

/* Every picture a key frame: kf_max_dist 0. libaom puts a sequence header
 * OBU in front of every key frame, and with no lag each picture comes out
 * of the call that took it in. */
static void configure_libaom_common(AVCodecContext *ctx, AVDictionary **options, int quality)
{
    ctx->gop_size = 0;
    ctx->keyint_min = 0;
    ctx->max_b_frames = 0;
    av_dict_set_int(options, "lag-in-frames", 0, 0);
    av_dict_set_int(options, "crf", av1_crf_from_quality(quality), 0);
    av_dict_set_int(options, "row-mt", 1, 0);
}

/* The all-intra usage at speed 9 codes a 1280x720 key frame 3-4 times
 * faster than realtime usage at its top speed, and smaller at equal PSNR.
 * Speed 9 is past the range of FFmpeg's cpu-used option, hence aom-params,
 * which libaomenc applies after its own controls. */
static void configure_libaom_allintra(AVCodecContext *ctx, AVDictionary **options, int quality)
{
    configure_libaom_common(ctx, options, quality);
    av_dict_set(options, "usage", "allintra", 0);
    av_dict_set(options, "aom-params", "cpu-used=9", 0);
}

/* For a libaom (or FFmpeg) without the all-intra usage. */
static void configure_libaom_realtime(AVCodecContext *ctx, AVDictionary **options, int quality)
{
    configure_libaom_common(ctx, options, quality);
    av_dict_set(options, "usage", "realtime", 0);
    av_dict_set_int(options, "cpu-used", 8, 0);
    av_dict_set_int(options, "aq-mode", 0, 0);
}

static void configure_svtav1(AVCodecContext *ctx, AVDictionary **options, int quality)
{
    ctx->gop_size = 1;
    ctx->max_b_frames = 0;
    int crf = av1_crf_from_quality(quality);
    av_dict_set_int(options, "preset", 12, 0);
    /* crf 0 means "unset" to FFmpeg's libsvtav1 wrapper */
    av_dict_set_int(options, "crf", crf < 1 ? 1 : crf, 0);
    av_dict_set(options, "svtav1-params", "lookahead=0", 0);
}

static void configure_mjpeg(AVCodecContext *ctx, AVDictionary **options, int quality)
{
    (void)options;
    /* Plain yuv420p (not yuvj420p) marked limited range: the encoder codes the
     * samples as they are and writes a "CS=ITU601" comment that FFmpeg's
     * decoder reads back as limited range. Non-JFIF levels need this
     * strictness. */
    ctx->strict_std_compliance = FF_COMPLIANCE_UNOFFICIAL;
    ctx->flags |= AV_CODEC_FLAG_QSCALE;
    /* Leaves out the "Lavc..." version comment (18 bytes); same pixels. */
    ctx->flags |= AV_CODEC_FLAG_BITEXACT;
    ctx->global_quality = jpeg_qscale_from_quality(quality) * FF_QP2LAMBDA;
    ctx->qmin = 1;
    ctx->qmax = 31;
    /* Slices cost ~10% in size (restart markers, per-slice Huffman state)
     * and gain nothing: a 1280x720 picture takes 3-5 ms on one thread. */
    ctx->thread_count = 1;
}

/* In order of preference; a kind whose encoder is missing or refuses the
 * settings passes to the next one of the same codec. */
static const IntraEncoderKind encoder_kinds[] = {
    { "libaom-av1", FACET_INTRA_CODEC_AV1, 0, configure_libaom_allintra },
    { "libaom-av1", FACET_INTRA_CODEC_AV1, 0, configure_libaom_realtime },
    { "libsvtav1", FACET_INTRA_CODEC_AV1, 1, configure_svtav1 },
    { "mjpeg", FACET_INTRA_CODEC_JPEG, 0, configure_mjpeg },
};
#define ENCODER_KIND_COUNT (sizeof(encoder_kinds) / sizeof(encoder_kinds[0]))

struct FacetIntraEncoder {
    const IntraEncoderKind *kind;
    const AVCodec *codec;
    AVCodecContext *ctx; /* NULL between pictures for one-shot kinds */
    AVFrame *frame;
    AVPacket *packet;
    int width;
    int height;
    int quality;
    int threads;
    int64_t next_pts;
};

static int valid_quality_size_threads(int width, int height, int quality, int threads)
{
    return width >= FACET_INTRA_MIN_DIMENSION && width <= FACET_MAX_DIMENSION &&
           height >= FACET_INTRA_MIN_DIMENSION && height <= FACET_MAX_DIMENSION &&
           quality >= 0 && quality <= 100 && threads >= 0 &&
           threads <= FACET_INTRA_MAX_THREADS;
}

static int encoder_context_open(FacetIntraEncoder *enc)
{
    AVCodecContext *ctx = avcodec_alloc_context3(enc->codec);
    if (!ctx)
        return FACET_ERR(ENOMEM);
    ctx->width = enc->width;
    ctx->height = enc->height;
    ctx->pix_fmt = AV_PIX_FMT_YUV420P;
    ctx->time_base = (AVRational){ 1, 30 };
    ctx->framerate = (AVRational){ 30, 1 };
    ctx->sample_aspect_ratio = (AVRational){ 1, 1 };
    ctx->color_range = AVCOL_RANGE_MPEG;
    ctx->colorspace = AVCOL_SPC_SMPTE170M;
    ctx->color_primaries = AVCOL_PRI_SMPTE170M;
    ctx->color_trc = AVCOL_TRC_SMPTE170M;
    ctx->chroma_sample_location = AVCHROMA_LOC_LEFT;
    ctx->thread_count = resolve_threads(enc->threads);
    ctx->thread_type = FF_THREAD_SLICE; /* frame threads would delay output */

    AVDictionary *options = NULL;
    enc->kind->configure(ctx, &options, enc->quality);
    int ret = avcodec_open2(ctx, enc->codec, &options);
    av_dict_free(&options);
    if (ret < 0) {
        avcodec_free_context(&ctx);
        return error_from_av(ret, FACET_ERR(ENOSYS));
    }
    enc->ctx = ctx;
    return 0;
}

static int encoder_open_kind(FacetIntraEncoder **out, const IntraEncoderKind *kind, int width,
                             int height, int quality, int threads)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(kind->name);
    if (!codec)
        return FACET_ERR(ENOSYS);

    int ret;
    FacetIntraEncoder *enc = calloc(1, sizeof(*enc));
    if (!enc)
        return FACET_ERR(ENOMEM);
    enc->kind = kind;
    enc->codec = codec;
    enc->width = width;
    enc->height = height;
    enc->quality = quality;
    enc->threads = threads;
    enc->frame = av_frame_alloc();
    enc->packet = av_packet_alloc();
    if (!enc->frame || !enc->packet) {
        ret = FACET_ERR(ENOMEM);
        goto error;
    }
    enc->frame->format = AV_PIX_FMT_YUV420P;
    enc->frame->width = width;
    enc->frame->height = height;
    if (av_frame_get_buffer(enc->frame, 0) < 0) {
        ret = FACET_ERR(ENOMEM);
        goto error;
    }
    /* Opened now even for one-shot kinds: settings the encoder refuses
     * show up here, not at the first picture. */
    ret = encoder_context_open(enc);
    if (ret < 0)
        goto error;
    *out = enc;
    return 0;

error:
    facet_intra_encoder_close(&enc);
    return ret;
}

static int encoder_open_first(FacetIntraEncoder **enc, FacetIntraCodec codec,
                              const char *encoder_name, int width, int height, int quality,
                              int threads)
{
    int ret = encoder_name ? FACET_ERR(EINVAL) : FACET_ERR(ENOSYS);
    for (size_t i = 0; i < ENCODER_KIND_COUNT; i++) {
        const IntraEncoderKind *kind = &encoder_kinds[i];
        if (codec != FACET_INTRA_CODEC_AUTO && kind->codec != codec)
            continue;
        if (encoder_name && strcmp(kind->name, encoder_name))
            continue;
        ret = encoder_open_kind(enc, kind, width, height, quality, threads);
        if (ret != FACET_ERR(ENOSYS))
            return ret;
    }
    return ret;
}

int facet_intra_encoder_open(FacetIntraEncoder **enc, FacetIntraCodec codec, int width,
                             int height, int quality, int threads)
{
    if (!enc)
        return FACET_ERR(EINVAL);
    *enc = NULL;
    if (!valid_quality_size_threads(width, height, quality, threads) ||
        (codec != FACET_INTRA_CODEC_AUTO && codec != FACET_INTRA_CODEC_AV1 &&
         codec != FACET_INTRA_CODEC_JPEG))
        return FACET_ERR(EINVAL);
    /* AUTO: the kinds list AV1 first. */
    return encoder_open_first(enc, codec, NULL, width, height, quality, threads);
}

int facet_intra_encoder_open_named(FacetIntraEncoder **enc, const char *encoder_name,
                                   int width, int height, int quality, int threads)
{
    if (!enc)
        return FACET_ERR(EINVAL);
    *enc = NULL;
    if (!encoder_name || !valid_quality_size_threads(width, height, quality, threads))
        return FACET_ERR(EINVAL);
    return encoder_open_first(enc, FACET_INTRA_CODEC_AUTO, encoder_name, width, height,
                              quality, threads);
}

FacetIntraCodec facet_intra_encoder_codec(const FacetIntraEncoder *enc)
{
    return enc ? enc->kind->codec : FACET_INTRA_CODEC_AUTO;
}

const char *facet_intra_encoder_name(const FacetIntraEncoder *enc)
{
    return enc ? enc->kind->name : "";
}

/* Copies the encoder's packet into a malloc'd payload after checking that it
 * is what docs/intra-coding.md promises: for AV1 a temporal unit with a
 * sequence header ahead of its frame, for JPEG one image; both declaring
 * our size. */
static int finish_payload(FacetIntraEncoder *enc, uint8_t **data, size_t *size)
{
    const uint8_t *bytes = enc->packet->data;
    size_t length = (size_t)enc->packet->size;
    int width, height;
    if (!bytes || !length ||
        facet_intra_payload_size(enc->kind->codec, bytes, length, &width, &height) < 0 ||
        width != enc->width || height != enc->height)
        return FACET_ERR(EIO);
    if (!(*data = malloc(length)))
        return FACET_ERR(ENOMEM);
    memcpy(*data, bytes, length);
    *size = length;
    return 0;
}

int facet_intra_encode(FacetIntraEncoder *enc, const FacetPicture *i420, uint8_t **data,
                       size_t *size)
{
    if (data)
        *data = NULL;
    if (size)
        *size = 0;
    if (!enc || !i420 || !data || !size)
        return FACET_ERR(EINVAL);
    int chroma_width = (enc->width + 1) / 2, chroma_height = (enc->height + 1) / 2;
    if (i420->format != FACET_PIXEL_FORMAT_I420 || i420->width != enc->width ||
        i420->height != enc->height || !i420->data[0] || !i420->data[1] || !i420->data[2] ||
        i420->stride[0] < enc->width || i420->stride[1] < chroma_width ||
        i420->stride[2] < chroma_width || i420->stride[0] > INT_MAX ||
        i420->stride[1] > INT_MAX || i420->stride[2] > INT_MAX)
        return FACET_ERR(EINVAL);

    int ret;
    if (!enc->ctx && (ret = encoder_context_open(enc)) < 0)
        return ret == FACET_ERR(ENOMEM) ? ret : FACET_ERR(EIO);

    AVFrame *frame = enc->frame;
    if (av_frame_make_writable(frame) < 0)
        return FACET_ERR(ENOMEM);
    av_image_copy_plane(frame->data[0], frame->linesize[0], i420->data[0],
                        (int)i420->stride[0], enc->width, enc->height);
    for (int plane = 1; plane < 3; plane++)
        av_image_copy_plane(frame->data[plane], frame->linesize[plane], i420->data[plane],
                            (int)i420->stride[plane], chroma_width, chroma_height);
    frame->pts = enc->next_pts++;
    frame->pict_type = AV_PICTURE_TYPE_I; /* forces a key frame */
    frame->quality = enc->ctx->global_quality;
    frame->color_range = AVCOL_RANGE_MPEG;
    frame->colorspace = AVCOL_SPC_SMPTE170M;
    frame->color_primaries = AVCOL_PRI_SMPTE170M;
    frame->color_trc = AVCOL_TRC_SMPTE170M;

    ret = avcodec_send_frame(enc->ctx, frame);
    if (ret >= 0 && enc->kind->one_shot)
        ret = avcodec_send_frame(enc->ctx, NULL);
    if (ret >= 0)
        ret = avcodec_receive_packet(enc->ctx, enc->packet);
    /* AVERROR(EAGAIN) here: the encoder held the picture back. */
    ret = ret < 0 ? error_from_av(ret, FACET_ERR(EIO)) : finish_payload(enc, data, size);
    av_packet_unref(enc->packet);
    if (enc->kind->one_shot)
        avcodec_free_context(&enc->ctx);
    return ret;
}

void facet_intra_encoder_close(FacetIntraEncoder **enc)
{
    if (!enc || !*enc)
        return;
    FacetIntraEncoder *e = *enc;
    avcodec_free_context(&e->ctx);
    av_frame_free(&e->frame);
    av_packet_free(&e->packet);
    free(e);
    *enc = NULL;
}

/* ------------------------------------------------------------------------ */
/* Decoder                                                                  */

/* One libavcodec decoder per intra codec, opened on first use and reopened
 * when the picture size changes: the size bounds what it may allocate. */
typedef struct IntraDecoderSlot {
    AVCodecContext *ctx;
    int width;
    int height;
} IntraDecoderSlot;

struct FacetIntraDecoder {
    int threads;
    IntraDecoderSlot av1;
    IntraDecoderSlot jpeg;
    AVPacket *packet;
    AVFrame *frame;
};

#define DECODER_SIZE_ALIGN 128

static const char *const av1_decoder_names[] = { "libdav1d", "libaom-av1" };

static const AVCodec *find_decoder(FacetIntraCodec codec)
{
    if (codec == FACET_INTRA_CODEC_JPEG)
        return avcodec_find_decoder_by_name("mjpeg");
    for (size_t i = 0; i < sizeof(av1_decoder_names) / sizeof(av1_decoder_names[0]); i++) {
        const AVCodec *decoder = avcodec_find_decoder_by_name(av1_decoder_names[i]);
        if (decoder)
            return decoder;
    }
    return NULL;
}

const char *facet_intra_decoder_name(FacetIntraCodec codec)
{
    if (codec != FACET_INTRA_CODEC_AV1 && codec != FACET_INTRA_CODEC_JPEG)
        return NULL;
    const AVCodec *decoder = find_decoder(codec);
    return decoder ? decoder->name : NULL;
}

int facet_intra_decoder_open(FacetIntraDecoder **dec, int threads)
{
    if (!dec)
        return FACET_ERR(EINVAL);
    *dec = NULL;
    if (threads < 0 || threads > FACET_INTRA_MAX_THREADS)
        return FACET_ERR(EINVAL);
    FacetIntraDecoder *d = calloc(1, sizeof(*d));
    if (!d)
        return FACET_ERR(ENOMEM);
    d->threads = resolve_threads(threads);
    d->packet = av_packet_alloc();
    d->frame = av_frame_alloc();
    if (!d->packet || !d->frame) {
        facet_intra_decoder_close(&d);
        return FACET_ERR(ENOMEM);
    }
    *dec = d;
    return 0;
}

static int decoder_slot_prepare(FacetIntraDecoder *dec, IntraDecoderSlot *slot,
                                FacetIntraCodec codec, int width, int height)
{
    if (slot->ctx && slot->width == width && slot->height == height)
        return 0;
    avcodec_free_context(&slot->ctx);
    const AVCodec *decoder = find_decoder(codec);
    if (!decoder)
        return FACET_ERR(ENOSYS);
    AVCodecContext *ctx = avcodec_alloc_context3(decoder);
    if (!ctx)
        return FACET_ERR(ENOMEM);
    ctx->thread_count = dec->threads;
    ctx->thread_type = FF_THREAD_SLICE; /* frame threads would delay output */
    /* Refuse pictures larger than the one expected before allocating them
     * (libdav1d passes this on as dav1d's frame_size_limit). Some decoders
     * check their padded buffer size against it (mjpeg: width rounded up to
     * the SIMD stride alignment), hence the rounding; the exact size is
     * checked before and after decoding. */
    ctx->max_pixels = (int64_t)FFALIGN(width, DECODER_SIZE_ALIGN) * FFALIGN(height, DECODER_SIZE_ALIGN);
    ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
    ctx->flags &= ~AV_CODEC_FLAG_OUTPUT_CORRUPT;
    ctx->err_recognition = AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_BUFFER | AV_EF_EXPLODE;
    if (codec == FACET_INTRA_CODEC_AV1)
        ctx->strict_std_compliance = FF_COMPLIANCE_STRICT;
    int ret = avcodec_open2(ctx, decoder, NULL);
    if (ret < 0) {
        avcodec_free_context(&ctx);
        return error_from_av(ret, FACET_ERR(ENOSYS));
    }
    slot->ctx = ctx;
    slot->width = width;
    slot->height = height;
    return 0;
}

static int copy_frame(const AVFrame *frame, int width, int height, FacetPicture *out)
{
    if ((frame->format != AV_PIX_FMT_YUV420P && frame->format != AV_PIX_FMT_YUVJ420P) ||
        frame->width != width || frame->height != height ||
        (frame->flags & AV_FRAME_FLAG_CORRUPT) || frame->decode_error_flags)
        return FACET_ERR(EBADMSG);
    int ret = facet_picture_alloc(out, FACET_PIXEL_FORMAT_I420, width, height);
    if (ret < 0)
        return ret;
    int chroma_width = (width + 1) / 2, chroma_height = (height + 1) / 2;
    av_image_copy_plane(out->data[0], (int)out->stride[0], frame->data[0], frame->linesize[0],
                        width, height);
    for (int plane = 1; plane < 3; plane++)
        av_image_copy_plane(out->data[plane], (int)out->stride[plane], frame->data[plane],
                            frame->linesize[plane], chroma_width, chroma_height);
    return 0;
}

static int decode_payload(FacetIntraDecoder *dec, AVCodecContext *ctx, const uint8_t *data,
                          size_t size, int width, int height, FacetPicture *out)
{
    int ret = av_new_packet(dec->packet, (int)size);
    if (ret < 0)
        return FACET_ERR(ENOMEM);
    memcpy(dec->packet->data, data, size);
    ret = avcodec_send_packet(ctx, dec->packet);
    av_packet_unref(dec->packet);
    if (ret < 0)
        return error_from_av(ret, FACET_ERR(EBADMSG));
    /* Drain at once: the payload is all there is of this picture. */
    ret = avcodec_send_packet(ctx, NULL);
    if (ret < 0)
        return error_from_av(ret, FACET_ERR(EBADMSG));
    ret = avcodec_receive_frame(ctx, dec->frame);
    if (ret < 0)
        return error_from_av(ret, FACET_ERR(EBADMSG)); /* EOF: no picture */
    ret = copy_frame(dec->frame, width, height, out);
    av_frame_unref(dec->frame);
    if (ret < 0)
        return ret;
    /* A payload holds one picture. */
    ret = avcodec_receive_frame(ctx, dec->frame);
    av_frame_unref(dec->frame);
    if (ret != AVERROR_EOF) {
        facet_picture_unref(out);
        return error_from_av(ret, FACET_ERR(EBADMSG));
    }
    return 0;
}

int facet_intra_decode(FacetIntraDecoder *dec, FacetIntraCodec codec, const uint8_t *data,
                       size_t size, int width, int height, FacetPicture *out)
{
    if (out)
        memset(out, 0, sizeof(*out));
    if (!dec || !data || !out || (codec != FACET_INTRA_CODEC_AV1 &&
                                  codec != FACET_INTRA_CODEC_JPEG) ||
        width < FACET_INTRA_MIN_DIMENSION || width > FACET_MAX_DIMENSION ||
        height < FACET_INTRA_MIN_DIMENSION || height > FACET_MAX_DIMENSION)
        return FACET_ERR(EINVAL);
    if (!size || size > FACET_MAX_PACKET_SIZE)
        return FACET_ERR(EBADMSG);

    int declared_width, declared_height;
    int ret = facet_intra_payload_size(codec, data, size, &declared_width, &declared_height);
    if (ret < 0)
        return ret;
    if (declared_width != width || declared_height != height)
        return FACET_ERR(EBADMSG);

    IntraDecoderSlot *slot = codec == FACET_INTRA_CODEC_AV1 ? &dec->av1 : &dec->jpeg;
    ret = decoder_slot_prepare(dec, slot, codec, width, height);
    if (ret < 0)
        return ret;
    ret = decode_payload(dec, slot->ctx, data, size, width, height, out);
    /* Leaves the decoder clean for the next payload, whatever happened. */
    avcodec_flush_buffers(slot->ctx);
    return ret;
}

void facet_intra_decoder_close(FacetIntraDecoder **dec)
{
    if (!dec || !*dec)
        return;
    FacetIntraDecoder *d = *dec;
    avcodec_free_context(&d->av1.ctx);
    avcodec_free_context(&d->jpeg.ctx);
    av_packet_free(&d->packet);
    av_frame_free(&d->frame);
    free(d);
    *dec = NULL;
}
