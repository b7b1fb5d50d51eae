/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The latent tier through the public API (issue 12 items 2-4): a round
 * trip of the packaged clip, pictures before any reference has arrived, a
 * lost low-resolution packet (FACET_ERR(EPIPE) until the keyframe the
 * receiver asks for), a lost reference fragment (the old reference stays),
 * keyframe and reference requests, duplicated and late packets, streams of
 * another model or base codec, packets split into stream header and base
 * unit and wrapped back, and every byte of every latent packet class
 * mutated (an error or a picture, never a crash).
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <libavutil/log.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bytestream.h"
#include "facet/facet.h"
#include "test_clip.h"
#include "test_pictures.h"
#include "video_reader.h"

#define LATENT_MODEL FACET_SOURCE_DIR "/models/facet-latent.safetensors"
#define SIDE 128
#define MAX_PACKETS 256

typedef struct Stream {
    FacetPacket packets[MAX_PACKETS];
    int count;
    FacetPicture frames[MAX_PACKETS]; /* the source frames, for PSNR */
    int frame_count;
} Stream;

static char last_message[1024];

static void capture_log(void *opaque, const char *message)
{
    (void)opaque;
    snprintf(last_message, sizeof(last_message), "%s", message);
}

/* The base codec of the streams encode_clip() makes (the round trip and
 * the lost packet run with both). */
static FacetBaseCodec base_codec = FACET_BASE_CODEC_AV1;
static const FacetBaseCodec base_codecs[] = { FACET_BASE_CODEC_AV1, FACET_BASE_CODEC_VP8 };

/* Whether encode_clip() sends references: most tests are about them. */
static FacetLatentReferences references = FACET_LATENT_REFERENCES_ON;

/* Every test starts with AV1 and references (also when Check does not
 * fork: CK_FORK=no). */
static void reset_base_codec(void)
{
    base_codec = FACET_BASE_CODEC_AV1;
    references = FACET_LATENT_REFERENCES_ON;
}

static void settings_for(FacetEncoderSettings *s, int bitrate)
{
    facet_encoder_default_settings(s);
    s->width = SIDE;
    s->height = SIDE;
    s->fps_num = 25;
    s->mode = FACET_STREAM_MODE_LATENT;
    s->references = references;
    s->bitrate = bitrate;
    s->latent_model_path = LATENT_MODEL;
    s->threads = 2;
    s->log_callback = capture_log;
    s->base_codec = base_codec;
}

/* Encodes `frames` frames of the clip; request_keyframe_at /
 * request_reference_at: frame numbers to ask before (-1: never). */
static void encode_clip(Stream *stream, int frames, int bitrate, int request_keyframe_at,
                        int request_reference_at)
{
    memset(stream, 0, sizeof(*stream));
    FacetEncoderSettings s;
    settings_for(&s, bitrate);
    FacetEncoder *enc = NULL;
    ck_assert_int_eq(facet_encoder_open(&enc, &s), 0);
    VideoReader *reader = test_clip_open(SIDE, SIDE);
    for (int i = 0; i < frames; i++) {
        FacetPicture frame;
        ck_assert_int_eq(video_reader_read(reader, &frame), 1);
        frame.pts = i;
        if (i == request_keyframe_at)
            ck_assert_int_eq(facet_encoder_request_keyframe(enc), 0);
        if (i == request_reference_at)
            ck_assert_int_eq(facet_encoder_request_reference(enc), 0);
        ck_assert_int_eq(facet_encoder_send_frame(enc, &frame), 0);
        /* A packet waits: the next frame is refused until it is taken. */
        ck_assert_int_eq(facet_encoder_send_frame(enc, &frame), FACET_ERR(EAGAIN));
        stream->frames[stream->frame_count++] = frame;
        int n = 0;
        FacetPacket packet;
        while (facet_encoder_receive_packet(enc, &packet) == 0) {
            ck_assert_int_lt(stream->count, MAX_PACKETS);
            ck_assert_int_eq(packet.pts, i);
            stream->packets[stream->count++] = packet;
            n++;
        }
        ck_assert(n == 1 || n == 2);
    }
    video_reader_close(&reader);
    facet_encoder_close(&enc);
}

static void free_stream(Stream *stream)
{
    for (int i = 0; i < stream->count; i++)
        facet_packet_unref(&stream->packets[i]);
    for (int i = 0; i < stream->frame_count; i++)
        facet_picture_unref(&stream->frames[i]);
}

static int type_of(const FacetPacket *p)
{
    return p->data[0];
}

static FacetDecoder *open_decoder(void)
{
    FacetDecoderSettings s;
    facet_decoder_default_settings(&s);
    s.latent_model_path = LATENT_MODEL;
    s.model_path = "";
    s.threads = 2;
    s.log_callback = capture_log;
    FacetDecoder *dec = NULL;
    ck_assert_int_eq(facet_decoder_open(&dec, &s), 0);
    return dec;
}

/* Sends one packet; on success takes the frame (if any) into *picture
 * (zeroed when none). Returns the send code. */
static int decode_one(FacetDecoder *dec, const FacetPacket *packet, FacetPicture *picture)
{
    memset(picture, 0, sizeof(*picture));
    int ret = facet_decoder_send_packet(dec, packet);
    if (ret == 0) {
        int got = facet_decoder_receive_frame(dec, picture);
        if (type_of(packet) == FACET_PACKET_TYPE_REFERENCE)
            ck_assert_int_eq(got, FACET_ERR(EAGAIN));
        else
            ck_assert_int_eq(got, 0);
    }
    return ret;
}

/* A short latent frame rewritten as the 1.1 latent frame (type 4) of the
 * same unit, with the whole frame number the encoder reported and the
 * given keyframe id; any other packet copied. */
static int full_numbers(const FacetPacket *packet, uint32_t keyframe_id, FacetPacket *out)
{
    FacetPacketInfo info = { .struct_size = sizeof(info) };
    ck_assert_int_eq(facet_packet_peek(packet->data, packet->size, &info), 0);
    memset(out, 0, sizeof(*out));
    if (info.type != FACET_PACKET_TYPE_LATENT_FRAME_SHORT) {
        out->data = malloc(packet->size);
        ck_assert_ptr_nonnull(out->data);
        memcpy(out->data, packet->data, packet->size);
        out->size = packet->size;
    } else {
        ck_assert_uint_eq(info.frame_number, packet->frame_number & 0xff);
        ck_assert_uint_eq(info.keyframe_id, keyframe_id & 0xff);
        const uint8_t *unit;
        size_t unit_size;
        ck_assert_int_eq(facet_packet_base_unit(packet->data, packet->size, &unit, &unit_size), 0);
        size_t capacity = unit_size + 16;
        out->data = malloc(capacity);
        ck_assert_ptr_nonnull(out->data);
        FacetByteWriter writer;
        facet_byte_writer_init(&writer, out->data, capacity);
        facet_write_u8(&writer, FACET_PACKET_TYPE_LATENT_FRAME);
        facet_write_varint(&writer, packet->frame_number);
        facet_write_u16(&writer, (uint16_t)keyframe_id);
        facet_write_varint(&writer, (uint32_t)unit_size);
        facet_write_bytes(&writer, unit, unit_size);
        ck_assert(!writer.error);
        out->size = writer.pos;
    }
    out->pts = packet->pts;
    out->frame_number = packet->frame_number;
    out->flags = packet->flags;
    return 0;
}

/* Mean and spread of the luma plane: a picture, not black or flat. */
static void assert_real_picture(const FacetPicture *p)
{
    ck_assert_int_eq(p->width, SIDE);
    ck_assert_int_eq(p->height, SIDE);
    double sum = 0.0, sum2 = 0.0;
    for (int y = 0; y < p->height; y++)
        for (int x = 0; x < p->width; x++) {
            double v = p->data[0][y * p->stride[0] + x];
            sum += v;
            sum2 += v * v;
        }
    double n = (double)p->width * p->height, mean = sum / n;
    ck_assert_msg(mean > 30.0 && mean < 230.0, "mean luma %.1f", mean);
    ck_assert_msg(sum2 / n - mean * mean > 50.0, "flat picture");
}

START_TEST(test_round_trip)
{
    base_codec = base_codecs[_i];
    Stream stream;
    encode_clip(&stream, 100, 12000, -1, -1);
    FacetDecoder *dec = open_decoder();
    int frames = 0, references = 0, fragments_seen = 0, before_reference = 0;
    double psnr = 0.0;
    size_t bytes = 0;
    for (int i = 0; i < stream.count; i++) {
        const FacetPacket *packet = &stream.packets[i];
        bytes += packet->size;
        FacetPacketInfo info = { .struct_size = sizeof(info) };
        ck_assert_int_eq(facet_packet_peek(packet->data, packet->size, &info), 0);
        if (i == 0) {
            ck_assert_int_eq(info.type, FACET_PACKET_TYPE_LATENT_KEYFRAME);
            ck_assert_int_eq(info.mode, FACET_STREAM_MODE_LATENT);
            ck_assert_int_eq(info.scale, 2); /* auto: 12 kbit/s on 128x128, 0.73 b/px */
            ck_assert_int_eq(info.base_codec, base_codec);
        }
        FacetPicture picture;
        ck_assert_int_eq(decode_one(dec, packet, &picture), 0);
        if (info.type == FACET_PACKET_TYPE_REFERENCE) {
            fragments_seen++;
            if (info.fragment_index == info.fragment_count - 1)
                references++;
            continue;
        }
        assert_real_picture(&picture);
        if (references == 0)
            before_reference++;
        psnr += test_picture_psnr(&stream.frames[frames], &picture);
        facet_picture_unref(&picture);
        frames++;
    }
    ck_assert_int_eq(frames, 100);
    ck_assert_int_eq(references, 1);
    ck_assert_int_gt(fragments_seen, 1);
    /* Frames before the reference was whole were rendered all the same. */
    ck_assert_int_gt(before_reference, 1);
    FacetStreamInfo info;
    ck_assert_int_eq(facet_decoder_get_stream_info(dec, &info), 0);
    ck_assert_int_eq(info.mode, FACET_STREAM_MODE_LATENT);
    ck_assert_int_eq(info.width, SIDE);
    psnr /= frames;
    double kbits = bytes * 8.0 / (100 / 25.0) / 1000.0;
    printf("latent round trip 128x128, %s: %.1f kbit/s asked 12, PSNR %.2f dB\n",
           base_codec == FACET_BASE_CODEC_VP8 ? "VP8" : "AV1", kbits, psnr);
    /* Measured once: 29.1 dB at 16.1 kbit/s (early model checkpoint); the floor leaves
     * room for a model or encoder change. */
    ck_assert_msg(psnr > 25.0, "PSNR %.2f dB", psnr);
    ck_assert_msg(kbits < 2.5 * 12.0, "%.1f kbit/s", kbits);
    facet_decoder_close(&dec);
    free_stream(&stream);
}
END_TEST

START_TEST(test_lost_low_resolution_packet)
{
    base_codec = base_codecs[_i];
    /* Frame 30's packet is lost; the receiver asks for a keyframe, which
     * the sender makes at frame 35. */
    Stream stream;
    encode_clip(&stream, 45, 12000, 35, -1);
    FacetDecoder *dec = open_decoder();
    int keyframes = 0, broken = 0, after = 0;
    size_t reference_size = 0, requested_keyframe_size = 0;
    for (int i = 0; i < stream.count; i++) {
        const FacetPacket *packet = &stream.packets[i];
        int type = type_of(packet);
        FacetPacketInfo info = { .struct_size = sizeof(info) };
        ck_assert_int_eq(facet_packet_peek(packet->data, packet->size, &info), 0);
        if (type == FACET_PACKET_TYPE_REFERENCE)
            reference_size = info.reference_size;
        if (type == FACET_PACKET_TYPE_LATENT_KEYFRAME && packet->pts > 0) {
            ck_assert_int_eq(packet->pts, 35);
            ck_assert_uint_eq(packet->flags, FACET_PACKET_FLAG_KEYFRAME);
            requested_keyframe_size = packet->size;
        }
        if (type != FACET_PACKET_TYPE_REFERENCE && packet->pts == 30)
            continue;
        FacetPicture picture;
        int ret = decode_one(dec, packet, &picture);
        if (type == FACET_PACKET_TYPE_LATENT_KEYFRAME)
            keyframes++;
        if (type != FACET_PACKET_TYPE_REFERENCE && packet->pts > 30 && packet->pts < 35) {
            ck_assert_int_eq(ret, FACET_ERR(EPIPE));
            broken++;
        } else {
            ck_assert_msg(ret == 0, "packet %d (pts %lld): %s", i, (long long)packet->pts,
                          facet_strerror(ret));
            if (picture.buffer) {
                assert_real_picture(&picture);
                after += packet->pts >= 35;
            }
        }
        facet_picture_unref(&picture);
    }
    ck_assert_int_eq(broken, 4);
    ck_assert_int_eq(after, 10);
    /* The lost packet arriving late, after the new chain: a frame of an
     * older chain, dropped; the chain is intact. */
    for (int i = 0; i < stream.count; i++)
        if (type_of(&stream.packets[i]) == FACET_PACKET_TYPE_LATENT_FRAME_SHORT &&
            stream.packets[i].pts == 30) {
            FacetPicture picture;
            ck_assert_int_eq(decode_one(dec, &stream.packets[i], &picture), FACET_ERR(EALREADY));
        }
    /* The requested keyframe is a low-resolution keyframe, small: well
     * under the reference (no new reference was sent for it). */
    ck_assert_int_eq(keyframes, 2);
    ck_assert_uint_gt(reference_size, 0);
    printf("requested keyframe %zu bytes, reference %zu bytes\n", requested_keyframe_size,
           reference_size);
    ck_assert_uint_lt(requested_keyframe_size, reference_size);
    ck_assert_str_ne(facet_strerror(FACET_ERR(EPIPE)), "unknown error");
    facet_decoder_close(&dec);
    free_stream(&stream);
}
END_TEST

/* Indices of the packets of reference `nth` (0: the first). */
static int reference_fragments(const Stream *stream, int nth, int *first, int *last)
{
    int seen = -1, id = -1;
    *first = *last = -1;
    for (int i = 0; i < stream->count; i++) {
        FacetPacketInfo info = { .struct_size = sizeof(info) };
        ck_assert_int_eq(facet_packet_peek(stream->packets[i].data, stream->packets[i].size,
                                           &info), 0);
        if (info.type != FACET_PACKET_TYPE_REFERENCE)
            continue;
        if ((int)info.reference_id != id) {
            id = (int)info.reference_id;
            seen++;
        }
        if (seen == nth) {
            if (*first < 0)
                *first = i;
            *last = i;
        }
    }
    return *first >= 0;
}

/* Decodes the stream without the reference fragments among packets
 * skip_first..skip_last, returns the PSNR of
 * frames from `from_pts` on, fills `out` with the Y bytes of the last
 * frame. */
static double decode_skipping(const Stream *stream, int skip_first, int skip_last,
                              int64_t from_pts, uint8_t *last_y)
{
    FacetDecoder *dec = open_decoder();
    double psnr = 0.0;
    int n = 0;
    for (int i = 0; i < stream->count; i++) {
        if (i >= skip_first && i <= skip_last &&
            type_of(&stream->packets[i]) == FACET_PACKET_TYPE_REFERENCE)
            continue;
        FacetPicture picture;
        ck_assert_int_eq(decode_one(dec, &stream->packets[i], &picture), 0);
        if (!picture.buffer)
            continue;
        if (picture.pts >= from_pts) {
            psnr += test_picture_psnr(&stream->frames[picture.pts], &picture);
            n++;
        }
        for (int y = 0; y < SIDE; y++)
            memcpy(last_y + y * SIDE, picture.data[0] + y * picture.stride[0], SIDE);
        facet_picture_unref(&picture);
    }
    facet_decoder_close(&dec);
    return n ? psnr / n : 0.0;
}

START_TEST(test_reference_request_and_lost_fragment)
{
    /* A high rate so that both references arrive within the clip. */
    Stream stream;
    encode_clip(&stream, 90, 40000, -1, 40);
    int first0, last0, first1, last1;
    ck_assert(reference_fragments(&stream, 0, &first0, &last0));
    ck_assert_msg(reference_fragments(&stream, 1, &first1, &last1),
                  "the requested reference was not sent");
    ck_assert_int_gt(last1, first1); /* in more than one fragment */
    ck_assert_int_ge(stream.packets[first1].pts, 40);

    static uint8_t all[SIDE * SIDE], none[SIDE * SIDE], one_lost[SIDE * SIDE];
    decode_skipping(&stream, -1, -1, 0, all);
    decode_skipping(&stream, first1, last1, 0, none);
    /* Only the second fragment of the new reference is lost. */
    int second = first1 + 1;
    while (type_of(&stream.packets[second]) != FACET_PACKET_TYPE_REFERENCE)
        second++;
    ck_assert_int_le(second, last1);
    decode_skipping(&stream, second, second, 0, one_lost);
    /* The incomplete reference never replaced the old one: the pictures
     * are those of a decoder that never saw the new reference at all. */
    ck_assert_mem_eq(one_lost, none, sizeof(none));
    ck_assert_msg(memcmp(all, none, sizeof(all)) != 0, "the new reference changed nothing");
    free_stream(&stream);
}
END_TEST

START_TEST(test_duplicated_and_late_packets)
{
    Stream stream;
    encode_clip(&stream, 12, 12000, -1, -1);
    FacetDecoder *dec = open_decoder();
    FacetPicture picture;
    int low = 0, last = -1, before_last = -1;
    for (int i = 0; i < stream.count; i++) {
        ck_assert_int_eq(decode_one(dec, &stream.packets[i], &picture), 0);
        facet_picture_unref(&picture);
        if (type_of(&stream.packets[i]) == FACET_PACKET_TYPE_LATENT_FRAME_SHORT && ++low == 5) {
            /* The same packet again: dropped. */
            ck_assert_int_eq(decode_one(dec, &stream.packets[i], &picture), FACET_ERR(EALREADY));
            /* An older one with whole numbers (type 4): late, dropped. */
            FacetPacket older;
            ck_assert_int_eq(full_numbers(&stream.packets[i - 1], 0, &older), 0);
            ck_assert_int_eq(decode_one(dec, &older, &picture), FACET_ERR(EALREADY));
            facet_packet_unref(&older);
        }
        if (type_of(&stream.packets[i]) == FACET_PACKET_TYPE_LATENT_FRAME_SHORT) {
            before_last = last;
            last = i;
        }
    }
    ck_assert_int_gt(before_last, 0);
    /* A short frame cannot tell an older frame of its chain from one 255
     * frames on: it is a gap, the chain is broken (docs/bitstream.md). */
    ck_assert_int_eq(decode_one(dec, &stream.packets[before_last], &picture), FACET_ERR(EPIPE));
    ck_assert_int_eq(decode_one(dec, &stream.packets[last], &picture), FACET_ERR(EALREADY));
    /* A frame before any keyframe: ENOENT. */
    FacetDecoder *fresh = open_decoder();
    ck_assert_int_eq(decode_one(fresh, &stream.packets[2], &picture), FACET_ERR(ENOENT));
    facet_decoder_close(&fresh);
    facet_decoder_close(&dec);
    free_stream(&stream);
}
END_TEST

START_TEST(test_other_model_and_base_codec)
{
    Stream stream;
    encode_clip(&stream, 2, 12000, -1, -1);
    FacetPacket *key = &stream.packets[0];
    ck_assert_int_eq(type_of(key), FACET_PACKET_TYPE_LATENT_KEYFRAME);
    FacetDecoder *dec = open_decoder();
    FacetPicture picture;
    /* Model id (offsets 9..12) of another model: refused, said so. */
    key->data[12] ^= 0xff;
    last_message[0] = '\0';
    ck_assert_int_eq(decode_one(dec, key, &picture), FACET_ERR(ENOTSUP));
    ck_assert_ptr_nonnull(strstr(last_message, "model"));
    key->data[12] ^= 0xff;
    /* The base codec (offset 9 + 19 + 2) says VP8 over an AV1 unit: the
     * VP8 decoder refuses it (EBADMSG), and the AV1 keyframe decodes after. */
    key->data[30] = FACET_BASE_CODEC_VP8;
    ck_assert_int_eq(decode_one(dec, key, &picture), FACET_ERR(EBADMSG));
    key->data[30] = FACET_BASE_CODEC_AV1;
    ck_assert_int_eq(decode_one(dec, key, &picture), 0);
    facet_picture_unref(&picture);
    facet_decoder_close(&dec);

    /* No latent model: ENOTSUP, not a crash. */
    FacetDecoderSettings s;
    facet_decoder_default_settings(&s);
    s.latent_model_path = "";
    s.model_path = "";
    s.log_callback = capture_log;
    ck_assert_int_eq(facet_decoder_open(&dec, &s), 0);
    ck_assert_int_eq(decode_one(dec, key, &picture), FACET_ERR(ENOTSUP));
    facet_decoder_close(&dec);
    free_stream(&stream);
}
END_TEST

START_TEST(test_encoder_settings)
{
    FacetEncoderSettings s;
    facet_encoder_default_settings(&s);
    ck_assert_int_eq(s.mode, FACET_STREAM_MODE_KEYPOINTS);
    ck_assert_int_eq(s.bitrate, 20000);
    ck_assert_int_eq(s.scale, 0);
    ck_assert(s.reference_interval == 30.0);
    ck_assert_int_eq(s.base_codec, FACET_BASE_CODEC_AV1);
    FacetEncoder *enc = NULL;
    settings_for(&s, 500); /* below 1 kbit/s */
    ck_assert_int_eq(facet_encoder_open(&enc, &s), FACET_ERR(EINVAL));
    settings_for(&s, 12000);
    s.scale = 3;
    ck_assert_int_eq(facet_encoder_open(&enc, &s), FACET_ERR(EINVAL));
    settings_for(&s, 12000);
    s.width = 16; /* the tier codes 32..4096 */
    ck_assert_int_eq(facet_encoder_open(&enc, &s), FACET_ERR(EINVAL));
    settings_for(&s, 12000);
    s.base_codec = 9;
    last_message[0] = '\0';
    ck_assert_int_eq(facet_encoder_open(&enc, &s), FACET_ERR(EINVAL));
    ck_assert_ptr_nonnull(strstr(last_message, "base codec"));
    settings_for(&s, 12000);
    s.latent_model_path = "/nonexistent/latent.safetensors";
    ck_assert_int_lt(facet_encoder_open(&enc, &s), 0);
    ck_assert_ptr_null(enc);
    /* A size that is not a multiple of 32, r = 2, an RGB frame. */
    settings_for(&s, 30000);
    s.width = 100;
    s.height = 70;
    s.scale = 2;
    ck_assert_int_eq(facet_encoder_open(&enc, &s), 0);
    FacetPicture rgb;
    ck_assert_int_eq(facet_picture_alloc(&rgb, FACET_PIXEL_FORMAT_RGB24, 100, 70), 0);
    for (int y = 0; y < 70; y++)
        for (int x = 0; x < 300; x++)
            rgb.data[0][y * rgb.stride[0] + x] = (uint8_t)(x + 3 * y);
    FacetDecoder *dec = open_decoder();
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(facet_encoder_send_frame(enc, &rgb), 0);
        FacetPacket packet;
        while (facet_encoder_receive_packet(enc, &packet) == 0) {
            FacetPicture picture;
            ck_assert_int_eq(decode_one(dec, &packet, &picture), 0);
            if (picture.buffer) {
                ck_assert_int_eq(picture.width, 100);
                ck_assert_int_eq(picture.height, 70);
            }
            facet_picture_unref(&picture);
            facet_packet_unref(&packet);
        }
    }
    FacetStreamInfo info;
    ck_assert_int_eq(facet_decoder_get_stream_info(dec, &info), 0);
    ck_assert_int_eq(info.scale, 2);
    facet_picture_unref(&rgb);
    facet_decoder_close(&dec);
    facet_encoder_close(&enc);
}
END_TEST

START_TEST(test_mutated_latent_packets)
{
    /* Every byte of a latent keyframe, a latent frame and a reference
     * fragment, flipped in turn: the decoder answers with a code or a
     * picture and stays usable; never a crash (run under ASan in CI). */
    Stream stream;
    encode_clip(&stream, 8, 40000, -1, -1);
    static const int types[3] = { FACET_PACKET_TYPE_LATENT_KEYFRAME,
                                  FACET_PACKET_TYPE_LATENT_FRAME_SHORT,
                                  FACET_PACKET_TYPE_REFERENCE };
    int picks[3] = { -1, -1, -1 };
    for (int i = 0; i < stream.count; i++)
        for (int k = 0; k < 3; k++)
            if (type_of(&stream.packets[i]) == types[k] && picks[k] < 0)
                picks[k] = i;
    for (int k = 0; k < 3; k++)
        ck_assert_int_ge(picks[k], 0);
    FacetDecoder *dec = open_decoder();
    FacetPicture picture;
    for (int k = 0; k < 3; k++) {
        const FacetPacket *original = &stream.packets[picks[k]];
        size_t limit = original->size < 64 ? original->size : 64;
        for (size_t pos = 0; pos < limit; pos++) {
            uint8_t copy[65536];
            ck_assert_uint_le(original->size, sizeof(copy));
            memcpy(copy, original->data, original->size);
            copy[pos] ^= 0x5a;
            /* Resynchronise first, so frames meet a live chain. */
            for (int i = 0; i <= picks[k]; i++) {
                if (i == picks[k])
                    break;
                int ret = decode_one(dec, &stream.packets[i], &picture);
                (void)ret;
                facet_picture_unref(&picture);
            }
            FacetPacket bad = *original;
            bad.data = copy;
            int ret = decode_one(dec, &bad, &picture);
            ck_assert_msg(ret == 0 || ret == FACET_ERR(EBADMSG) || ret == FACET_ERR(EPIPE) ||
                              ret == FACET_ERR(EALREADY) || ret == FACET_ERR(ENOENT) ||
                              ret == FACET_ERR(ENOTSUP) || ret == FACET_ERR(ENOSYS),
                          "class %d byte %zu: %d", k, pos, ret);
            facet_picture_unref(&picture);
            /* Cut short, too. */
            bad.data = (uint8_t *)original->data;
            bad.size = pos + 1;
            ret = decode_one(dec, &bad, &picture);
            facet_picture_unref(&picture);
            facet_decoder_flush(dec);
        }
    }
    facet_decoder_close(&dec);
    free_stream(&stream);
}
END_TEST

/* The base stream carried apart (docs/multiparty.md): every latent packet
 * split into its stream header and base unit and wrapped back is the
 * packet the encoder made, byte for byte; wrong headers are refused. */
START_TEST(test_split_and_wrap)
{
    base_codec = base_codecs[_i];
    Stream stream;
    encode_clip(&stream, 40, 20000, 20, -1);
    uint8_t header[FACET_STREAM_HEADER_MAX_SIZE];
    size_t header_size = 0;
    int keyframes = 0, frames = 0;
    for (int i = 0; i < stream.count; i++) {
        const FacetPacket *p = &stream.packets[i];
        const uint8_t *unit = NULL;
        size_t unit_size = 0;
        if (type_of(p) == FACET_PACKET_TYPE_REFERENCE) {
            ck_assert_int_eq(facet_packet_base_unit(p->data, p->size, &unit, &unit_size),
                             FACET_ERR(EINVAL));
            continue;
        }
        FacetPacketInfo info = { .struct_size = sizeof(info) };
        ck_assert_int_eq(facet_packet_peek(p->data, p->size, &info), 0);
        int keyframe = type_of(p) == FACET_PACKET_TYPE_LATENT_KEYFRAME;
        if (keyframe) {
            ck_assert_int_eq(facet_packet_stream_header(p->data, p->size, header, &header_size),
                             0);
            keyframes++;
        } else {
            uint8_t none[FACET_STREAM_HEADER_MAX_SIZE];
            size_t none_size = 1;
            ck_assert_int_eq(facet_packet_stream_header(p->data, p->size, none, &none_size),
                             FACET_ERR(EINVAL));
            ck_assert_uint_eq(none_size, 0);
            frames++;
        }
        ck_assert_int_eq(facet_packet_base_unit(p->data, p->size, &unit, &unit_size), 0);
        ck_assert(unit > p->data && unit + unit_size == p->data + p->size);
        FacetPacket wrapped;
        ck_assert_int_eq(facet_packet_wrap_base_unit(header, header_size, keyframe,
                                                     info.frame_number, info.keyframe_id, unit,
                                                     unit_size, &wrapped),
                         0);
        ck_assert_uint_eq(wrapped.size, p->size);
        ck_assert(memcmp(wrapped.data, p->data, p->size) == 0);
        ck_assert_uint_eq(wrapped.flags, keyframe ? FACET_PACKET_FLAG_KEYFRAME : 0);
        facet_packet_unref(&wrapped);
        if (keyframe)
            continue;
        /* The 1.1 form of the frame (type 4) gives the same unit, and its
         * numbers wrap into the short form, the encoder's bytes. */
        FacetPacket full;
        ck_assert_int_eq(full_numbers(p, (uint32_t)(keyframes - 1), &full), 0);
        ck_assert_int_eq(type_of(&full), FACET_PACKET_TYPE_LATENT_FRAME);
        const uint8_t *full_unit = NULL;
        size_t full_unit_size = 0;
        ck_assert_int_eq(facet_packet_base_unit(full.data, full.size, &full_unit,
                                                &full_unit_size), 0);
        ck_assert_uint_eq(full_unit_size, unit_size);
        ck_assert(memcmp(full_unit, unit, unit_size) == 0);
        ck_assert_int_eq(facet_packet_wrap_base_unit(NULL, 0, 0, p->frame_number,
                                                     (uint32_t)(keyframes - 1), full_unit,
                                                     full_unit_size, &wrapped),
                         0);
        ck_assert_uint_eq(wrapped.size, p->size);
        ck_assert(memcmp(wrapped.data, p->data, p->size) == 0);
        ck_assert_uint_eq(wrapped.frame_number, p->frame_number);
        facet_packet_unref(&wrapped);
        facet_packet_unref(&full);
    }
    ck_assert_int_eq(keyframes, 2); /* the first and the one asked at frame 20 */
    ck_assert_int_gt(frames, 30);

    /* Headers that are not one whole latent stream header. */
    const uint8_t unit[] = { 0x10, 0x02, 0x00 };
    FacetPacket wrapped;
    ck_assert_int_eq(facet_packet_wrap_base_unit(header, header_size - 1, 1, 0, 0, unit,
                                                 sizeof(unit), &wrapped),
                     FACET_ERR(EBADMSG));
    uint8_t longer[FACET_STREAM_HEADER_MAX_SIZE];
    memcpy(longer, header, header_size);
    longer[header_size] = 0;
    ck_assert_int_eq(facet_packet_wrap_base_unit(longer, header_size + 1, 1, 0, 0, unit,
                                                 sizeof(unit), &wrapped),
                     FACET_ERR(EBADMSG));
    longer[0] ^= 0xff; /* the magic */
    ck_assert_int_eq(facet_packet_wrap_base_unit(longer, header_size, 1, 0, 0, unit,
                                                 sizeof(unit), &wrapped),
                     FACET_ERR(EBADMSG));
    ck_assert_ptr_null(wrapped.data);
    /* Arguments out of range. */
    ck_assert_int_eq(facet_packet_wrap_base_unit(NULL, 0, 1, 0, 0, unit, sizeof(unit), &wrapped),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_packet_wrap_base_unit(header, header_size, 0, 0, 0x10000, unit,
                                                 sizeof(unit), &wrapped),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_packet_wrap_base_unit(header, header_size, 0, 0, 0, unit, 0,
                                                 &wrapped),
                     FACET_ERR(EINVAL));
    ck_assert_int_eq(facet_packet_wrap_base_unit(header, header_size, 0, 0, 0, unit,
                                                 sizeof(unit), NULL),
                     FACET_ERR(EINVAL));
    /* A frame needs no header; it is a short latent frame (1.2): type,
     * frame_number and keyframe_id modulo 256, the unit. */
    ck_assert_int_eq(facet_packet_wrap_base_unit(NULL, 0, 0, 0x1207, 0x203, unit, sizeof(unit),
                                                 &wrapped),
                     0);
    static const uint8_t expected[] = { FACET_PACKET_TYPE_LATENT_FRAME_SHORT, 0x07, 0x03,
                                        0x10, 0x02, 0x00 };
    ck_assert_uint_eq(wrapped.size, sizeof(expected));
    ck_assert(memcmp(wrapped.data, expected, sizeof(expected)) == 0);
    ck_assert_uint_eq(wrapped.frame_number, 0x1207);
    const uint8_t *back = NULL;
    size_t back_size = 0;
    ck_assert_int_eq(facet_packet_base_unit(wrapped.data, wrapped.size, &back, &back_size), 0);
    ck_assert_ptr_eq(back, wrapped.data + 3);
    ck_assert_uint_eq(back_size, sizeof(unit));
    facet_packet_unref(&wrapped);
    free_stream(&stream);
}
END_TEST

/* references=auto (the default: the shipped model's references do not pay
 * for their bits) and off: no reference goes out, a reference request does
 * nothing, the rate is the stream's alone, and every frame decodes with
 * the network's no-reference mode. A value out of range is refused. */
START_TEST(test_references_off)
{
    static const FacetLatentReferences choices[] = { FACET_LATENT_REFERENCES_AUTO,
                                                     FACET_LATENT_REFERENCES_OFF };
    references = choices[_i];
    FacetEncoderSettings defaults;
    facet_encoder_default_settings(&defaults);
    ck_assert_int_eq(defaults.references, FACET_LATENT_REFERENCES_AUTO);
    Stream stream;
    encode_clip(&stream, 40, 20000, -1, 10);
    FacetDecoder *dec = open_decoder();
    int frames = 0;
    for (int i = 0; i < stream.count; i++) {
        ck_assert_int_ne(type_of(&stream.packets[i]), FACET_PACKET_TYPE_REFERENCE);
        FacetPicture picture;
        ck_assert_int_eq(decode_one(dec, &stream.packets[i], &picture), 0);
        assert_real_picture(&picture);
        facet_picture_unref(&picture);
        frames++;
    }
    ck_assert_int_eq(frames, 40);
    facet_decoder_close(&dec);
    free_stream(&stream);

    FacetEncoderSettings s;
    settings_for(&s, 20000);
    s.references = (FacetLatentReferences)3;
    FacetEncoder *enc = NULL;
    ck_assert_int_eq(facet_encoder_open(&enc, &s), FACET_ERR(EINVAL));
    ck_assert_ptr_null(enc);
}
END_TEST

/* 1.2: a stream of short latent frames decodes to exactly the pictures of
 * the same units sent as 1.1 latent frames (type 4, whole numbers). */
START_TEST(test_short_frames_decode_as_type_4)
{
    Stream stream;
    encode_clip(&stream, 30, 12000, 15, -1);
    FacetDecoder *short_dec = open_decoder(), *full_dec = open_decoder();
    int keyframes = 0, shorts = 0, compared = 0;
    for (int i = 0; i < stream.count; i++) {
        const FacetPacket *packet = &stream.packets[i];
        ck_assert_int_ne(type_of(packet), FACET_PACKET_TYPE_LATENT_FRAME);
        keyframes += type_of(packet) == FACET_PACKET_TYPE_LATENT_KEYFRAME;
        shorts += type_of(packet) == FACET_PACKET_TYPE_LATENT_FRAME_SHORT;
        FacetPacket full;
        ck_assert_int_eq(full_numbers(packet, (uint32_t)(keyframes - 1), &full), 0);
        FacetPicture a, b;
        ck_assert_int_eq(decode_one(short_dec, packet, &a), 0);
        ck_assert_int_eq(decode_one(full_dec, &full, &b), 0);
        ck_assert_int_eq(a.buffer != NULL, b.buffer != NULL);
        if (a.buffer) {
            ck_assert_int_eq(a.width, b.width);
            ck_assert_int_eq(a.height, b.height);
            ck_assert_int_eq(a.format, b.format);
            for (int plane = 0; plane < 3; plane++) {
                int w = plane ? (a.width + 1) / 2 : a.width;
                int h = plane ? (a.height + 1) / 2 : a.height;
                if (a.format == FACET_PIXEL_FORMAT_RGB24) {
                    if (plane)
                        break;
                    w = 3 * a.width;
                }
                for (int y = 0; y < h; y++)
                    ck_assert(memcmp(a.data[plane] + (size_t)y * a.stride[plane],
                                     b.data[plane] + (size_t)y * b.stride[plane], w) == 0);
            }
            compared++;
        }
        facet_picture_unref(&a);
        facet_picture_unref(&b);
        facet_packet_unref(&full);
    }
    ck_assert_int_eq(keyframes, 2);
    ck_assert_int_eq(shorts, 28);
    ck_assert_int_eq(compared, 30);
    facet_decoder_close(&short_dec);
    facet_decoder_close(&full_dec);
    free_stream(&stream);
}
END_TEST

/* The units of a real stream rewrapped (facet_packet_wrap_base_unit) with
 * numbers that cross 255 -> 256, as a long call's do. */
typedef struct Rewrapped {
    FacetPacket packets[16];
    int count;
} Rewrapped;

static void rewrap(const Stream *stream, uint32_t first_frame, uint32_t keyframe_id,
                   Rewrapped *out)
{
    uint8_t header[FACET_STREAM_HEADER_MAX_SIZE];
    size_t header_size = 0;
    ck_assert_int_eq(facet_packet_stream_header(stream->packets[0].data, stream->packets[0].size,
                                                header, &header_size), 0);
    out->count = 0;
    for (int i = 0; i < stream->count && out->count < 16; i++) {
        const FacetPacket *p = &stream->packets[i];
        ck_assert_int_ne(type_of(p), FACET_PACKET_TYPE_REFERENCE);
        const uint8_t *unit;
        size_t unit_size;
        ck_assert_int_eq(facet_packet_base_unit(p->data, p->size, &unit, &unit_size), 0);
        ck_assert_int_eq(facet_packet_wrap_base_unit(header, header_size, i == 0,
                                                     first_frame + (uint32_t)i, keyframe_id,
                                                     unit, unit_size, &out->packets[out->count]),
                         0);
        out->count++;
    }
}

static int send_one(FacetDecoder *dec, const FacetPacket *packet)
{
    FacetPicture picture;
    int ret = decode_one(dec, packet, &picture);
    if (ret == 0)
        assert_real_picture(&picture);
    facet_picture_unref(&picture);
    return ret;
}

START_TEST(test_short_frame_numbers)
{
    references = FACET_LATENT_REFERENCES_OFF;
    Stream stream;
    encode_clip(&stream, 12, 12000, -1, -1);
    /* Keyframe 0x1ff at frame 250; frames 251..261 (low bytes 0xfb..0x05). */
    Rewrapped r;
    rewrap(&stream, 250, 0x1ff, &r);
    ck_assert_int_eq(r.count, 12);
    ck_assert_int_eq(type_of(&r.packets[6]), FACET_PACKET_TYPE_LATENT_FRAME_SHORT);
    ck_assert_uint_eq(r.packets[6].data[1], 0x00); /* frame 256 */
    ck_assert_uint_eq(r.packets[6].data[2], 0xff);

    /* Whole: every frame across the wrap decodes. */
    FacetDecoder *dec = open_decoder();
    for (int i = 0; i < r.count; i++)
        ck_assert_msg(send_one(dec, &r.packets[i]) == 0, "frame %d", 250 + i);
    /* A duplicate of the last frame (step 0). */
    ck_assert_int_eq(send_one(dec, &r.packets[r.count - 1]), FACET_ERR(EALREADY));

    /* Frame 256 (low byte 0) lost: 257 after 255 is a gap across the wrap,
     * and so is every frame after it until a keyframe. */
    ck_assert_int_eq(send_one(dec, &r.packets[0]), 0);
    for (int i = 1; i <= 5; i++)
        ck_assert_int_eq(send_one(dec, &r.packets[i]), 0);
    ck_assert_int_eq(send_one(dec, &r.packets[7]), FACET_ERR(EPIPE));
    ck_assert_int_eq(send_one(dec, &r.packets[8]), FACET_ERR(EPIPE));
    ck_assert_int_eq(send_one(dec, &r.packets[6]), FACET_ERR(EPIPE)); /* too late: broken */
    ck_assert_int_eq(send_one(dec, &r.packets[0]), 0);
    ck_assert_int_eq(send_one(dec, &r.packets[1]), 0);

    /* The next frame of another chain: its keyframe (0x200, low byte 0x00,
     * one ahead) was lost: a gap. A frame of an older chain (0x1fe) is
     * late, and changes nothing. */
    const uint8_t *unit;
    size_t unit_size;
    ck_assert_int_eq(facet_packet_base_unit(r.packets[2].data, r.packets[2].size, &unit,
                                            &unit_size), 0);
    FacetPacket other;
    ck_assert_int_eq(facet_packet_wrap_base_unit(NULL, 0, 0, 252, 0x1fe, unit, unit_size, &other),
                     0);
    ck_assert_int_eq(send_one(dec, &other), FACET_ERR(EALREADY));
    facet_packet_unref(&other);
    ck_assert_int_eq(facet_packet_wrap_base_unit(NULL, 0, 0, 252, 0x200, unit, unit_size, &other),
                     0);
    ck_assert_int_eq(send_one(dec, &other), FACET_ERR(EPIPE));
    facet_packet_unref(&other);
    ck_assert_int_eq(send_one(dec, &r.packets[2]), FACET_ERR(EPIPE)); /* broken until a keyframe */

    /* Before any latent keyframe: nothing to expand against. */
    FacetDecoder *fresh = open_decoder();
    ck_assert_int_eq(send_one(fresh, &r.packets[1]), FACET_ERR(ENOENT));
    facet_decoder_close(&fresh);

    for (int i = 0; i < r.count; i++)
        facet_packet_unref(&r.packets[i]);
    facet_decoder_close(&dec);
    free_stream(&stream);
}
END_TEST

static Suite *latent_codec_suite(void)
{
    Suite *s = suite_create("latent_codec");
    TCase *tc = tcase_create("latent");
    tcase_set_timeout(tc, 600);
    tcase_add_checked_fixture(tc, reset_base_codec, NULL);
    tcase_add_loop_test(tc, test_round_trip, 0, 2);
    tcase_add_loop_test(tc, test_lost_low_resolution_packet, 0, 2);
    tcase_add_test(tc, test_reference_request_and_lost_fragment);
    tcase_add_test(tc, test_duplicated_and_late_packets);
    tcase_add_test(tc, test_other_model_and_base_codec);
    tcase_add_test(tc, test_encoder_settings);
    tcase_add_test(tc, test_mutated_latent_packets);
    tcase_add_loop_test(tc, test_split_and_wrap, 0, 2);
    tcase_add_test(tc, test_short_frames_decode_as_type_4);
    tcase_add_test(tc, test_short_frame_numbers);
    tcase_add_loop_test(tc, test_references_off, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    av_log_set_level(AV_LOG_QUIET);
    SRunner *runner = srunner_create(latent_codec_suite());
    srunner_run_all(runner, CK_VERBOSE);
    int failures = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
