/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writes seed inputs for the decoder fuzz target (see fuzz_decoder.c for
 * the input format): intra-only streams of synthetic pictures with both
 * intra codecs and, for the keypoint paths, a model stream's keyframe and
 * deltas, and the packet sequence of a latent stream (its units synthetic:
 * the parser's and the chain's paths, short latent frames whose numbers
 * cross 255 included). Usage: make_fuzz_corpus OUTPUT_DIR [MODEL MODEL_OUTPUT_DIR]
 * The optional pair writes seeds for fuzz_decoder_model: a stream coded
 * with MODEL (a keyframe and deltas), framed without the format byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bitstream.h"
#include "facet/facet.h"
#include "keypoints/keypoint_coding.h"
#include "test_pictures.h"

typedef struct Seed {
    uint8_t data[65536];
    size_t size;
} Seed;

static int append_packet(Seed *seed, const uint8_t *data, size_t size)
{
    if (size > 0xffff || seed->size + 2 + size > sizeof(seed->data))
        return -1;
    seed->data[seed->size++] = (uint8_t)(size >> 8);
    seed->data[seed->size++] = (uint8_t)size;
    memcpy(seed->data + seed->size, data, size);
    seed->size += size;
    return 0;
}

static int write_seed(const char *dir, const char *name, const Seed *seed)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *file = fopen(path, "wb");
    if (!file || fwrite(seed->data, 1, seed->size, file) != seed->size) {
        perror(path);
        if (file)
            fclose(file);
        return -1;
    }
    return fclose(file);
}

/* Two intra-only keyframes of a small synthetic scene. */
static int intra_seed(Seed *seed, FacetIntraCodec codec, int width, int height, uint8_t format)
{
    FacetEncoderSettings settings;
    facet_encoder_default_settings(&settings);
    settings.model_path = ""; /* intra-only, whatever is installed */
    settings.width = width;
    settings.height = height;
    settings.intra_codec = codec;
    settings.keyframe_quality = 30; /* small payloads keep the fuzzer fast */
    settings.threads = 1;
    FacetEncoder *encoder = NULL;
    if (facet_encoder_open(&encoder, &settings) < 0)
        return -1;
    seed->size = 0;
    seed->data[seed->size++] = format;
    for (int i = 0; i < 2; i++) {
        FacetPicture picture = test_picture_make(FACET_PIXEL_FORMAT_I420, width, height, 5 * i);
        FacetPacket packet;
        int ret = facet_encoder_send_frame(encoder, &picture);
        if (ret == 0)
            ret = facet_encoder_receive_packet(encoder, &packet);
        facet_picture_unref(&picture);
        if (ret < 0 || append_packet(seed, packet.data, packet.size) < 0) {
            facet_encoder_close(&encoder);
            return -1;
        }
        facet_packet_unref(&packet);
    }
    facet_encoder_close(&encoder);
    return 0;
}

/* A model stream: the keyframe of `intra` rewritten with keypoints, then
 * deltas that move them. */
static int keypoint_seed(Seed *seed, const Seed *intra)
{
    size_t first_size = ((size_t)intra->data[1] << 8) | intra->data[2];
    FacetPacketView view;
    if (facet_packet_parse(intra->data + 3, first_size, &view) < 0)
        return -1;
    FacetSequenceHeader header = view.sequence;
    header.model_id = 0x00c0ffee;
    header.model_size = 256;
    header.keypoint_count = 10;
    FacetKeypointSet set = { .count = 10 };
    for (int i = 0; i < 10; i++)
        set.points[i] = (FacetKeypoint){ .x = -0.8f + 0.17f * i, .y = 0.6f - 0.11f * i,
                                         .jacobian = { { 1.0f, 0.05f * i }, { 0.0f, 1.1f } } };
    FacetQuantKeypoints reference;
    if (facet_keypoints_quantize(&set, &reference) < 0)
        return -1;
    uint8_t coded[FACET_MAX_KEYPOINT_PAYLOAD];
    int coded_size = facet_keypoints_encode(&reference, NULL, coded, sizeof(coded));
    uint8_t packet[65536];
    FacetByteWriter writer;
    facet_byte_writer_init(&writer, packet, sizeof(packet));
    if (coded_size <= 0 ||
        facet_keyframe_packet_write(&writer, &header, 0, 9, view.intra_codec, view.intra_data,
                                    view.intra_size, coded, (size_t)coded_size, NULL, 0) < 0)
        return -1;
    seed->size = 0;
    seed->data[seed->size++] = 0;
    if (append_packet(seed, packet, writer.pos) < 0)
        return -1;
    for (int frame = 1; frame <= 3; frame++) {
        FacetQuantKeypoints moved = reference;
        for (int i = 0; i < moved.count; i++) {
            moved.x[i] += frame * (i % 3 - 1);
            moved.y[i] -= frame;
        }
        coded_size = facet_keypoints_encode(&moved, &reference, coded, sizeof(coded));
        facet_byte_writer_init(&writer, packet, sizeof(packet));
        FacetExtensionRecord extension = { 42, coded, 2 };
        if (coded_size <= 0 ||
            facet_delta_packet_write(&writer, (uint32_t)frame, 9, coded, (size_t)coded_size,
                                     &extension, frame == 2) < 0 ||
            append_packet(seed, packet, writer.pos) < 0)
            return -1;
    }
    return 0;
}

/* A latent stream's packets around synthetic AV1 units (a temporal
 * delimiter and a few bytes): a latent keyframe at frame 250, short latent
 * frames (1.2) across 255 -> 256, a duplicate, a 1.1 latent frame (type
 * 4), a gap and a frame of another chain. */
static int latent_seed(Seed *seed)
{
    static const uint8_t unit[] = { 0x12, 0x00, 0x32, 0x06, 0x10, 0x00, 0x18, 0x7f, 0x01, 0x02 };
    FacetSequenceHeader header = {
        .version_major = FACET_BITSTREAM_VERSION_MAJOR,
        .version_minor = FACET_BITSTREAM_VERSION_MINOR,
        .model_id = 0x1a7e0001u,
        .width = 64,
        .height = 64,
        .fps_num = 25,
        .fps_den = 1,
        .mode = FACET_MODE_ID_LATENT,
        .scale = 4,
        .base_codec = FACET_BASE_ID_AV1,
    };
    static const struct { int type; uint32_t frame; uint16_t keyframe; } plan[] = {
        { FACET_PACKET_TYPE_LATENT_KEYFRAME, 250, 0x1ff },
        { FACET_PACKET_TYPE_LATENT_FRAME_SHORT, 251, 0x1ff },
        { FACET_PACKET_TYPE_LATENT_FRAME_SHORT, 255, 0x1ff },
        { FACET_PACKET_TYPE_LATENT_FRAME_SHORT, 256, 0x1ff },
        { FACET_PACKET_TYPE_LATENT_FRAME_SHORT, 256, 0x1ff },
        { FACET_PACKET_TYPE_LATENT_FRAME, 257, 0x1ff },
        { FACET_PACKET_TYPE_LATENT_FRAME_SHORT, 260, 0x1ff },
        { FACET_PACKET_TYPE_LATENT_FRAME_SHORT, 261, 0x200 },
    };
    seed->size = 0;
    seed->data[seed->size++] = 0; /* I420 */
    for (size_t i = 0; i < sizeof(plan) / sizeof(plan[0]); i++) {
        uint8_t packet[256];
        FacetByteWriter writer;
        facet_byte_writer_init(&writer, packet, sizeof(packet));
        int ret;
        if (plan[i].type == FACET_PACKET_TYPE_LATENT_KEYFRAME)
            ret = facet_latent_keyframe_packet_write(&writer, &header, plan[i].frame,
                                                     plan[i].keyframe, unit, sizeof(unit));
        else if (plan[i].type == FACET_PACKET_TYPE_LATENT_FRAME)
            ret = facet_latent_frame_packet_write(&writer, plan[i].frame, plan[i].keyframe, unit,
                                                  sizeof(unit));
        else
            ret = facet_latent_short_frame_packet_write(&writer, plan[i].frame, plan[i].keyframe,
                                                        unit, sizeof(unit));
        if (ret < 0 || append_packet(seed, packet, writer.pos) < 0)
            return -1;
    }
    return 0;
}

/* A keyframe and deltas of a moving synthetic scene coded with `model`. */
static int model_stream_seed(Seed *seed, const char *model, int frames)
{
    FacetEncoderSettings settings;
    facet_encoder_default_settings(&settings);
    settings.width = 40;
    settings.height = 32;
    settings.keyframe_quality = 20;
    settings.threads = 1;
    settings.model_path = model;
    FacetEncoder *encoder = NULL;
    if (facet_encoder_open(&encoder, &settings) < 0)
        return -1;
    seed->size = 0;
    for (int i = 0; i < frames; i++) {
        FacetPicture picture = test_picture_make(FACET_PIXEL_FORMAT_I420, 40, 32, 3 * i);
        FacetPacket packet;
        int ret = facet_encoder_send_frame(encoder, &picture);
        if (ret == 0)
            ret = facet_encoder_receive_packet(encoder, &packet);
        facet_picture_unref(&picture);
        if (ret < 0 || append_packet(seed, packet.data, packet.size) < 0) {
            facet_encoder_close(&encoder);
            return -1;
        }
        facet_packet_unref(&packet);
    }
    facet_encoder_close(&encoder);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 4) {
        fprintf(stderr, "usage: %s OUTPUT_DIR [MODEL MODEL_OUTPUT_DIR]\n", argv[0]);
        return 2;
    }
    if (argc == 4) {
        static Seed model_seed;
        if (model_stream_seed(&model_seed, argv[2], 4) < 0 ||
            write_seed(argv[3], "model-keyframe-3-deltas", &model_seed) < 0 ||
            model_stream_seed(&model_seed, argv[2], 1) < 0 ||
            write_seed(argv[3], "model-keyframe", &model_seed) < 0) {
            fprintf(stderr, "cannot make the model seeds\n");
            return 1;
        }
    }
    static Seed seed, keypoints;
    if (latent_seed(&seed) < 0 || write_seed(argv[1], "latent-short-frames", &seed) < 0) {
        fprintf(stderr, "cannot make the latent seed\n");
        return 1;
    }
    struct {
        const char *name;
        FacetIntraCodec codec;
        int width, height;
        uint8_t format;
    } intra[] = {
        { "intra-av1-32x24", FACET_INTRA_CODEC_AV1, 32, 24, 0 },
        { "intra-av1-17x9-rgb", FACET_INTRA_CODEC_AV1, 17, 9, 1 },
        { "intra-jpeg-32x24", FACET_INTRA_CODEC_JPEG, 32, 24, 0 },
        { "intra-jpeg-15x7-rgb", FACET_INTRA_CODEC_JPEG, 15, 7, 1 },
    };
    for (size_t i = 0; i < sizeof(intra) / sizeof(intra[0]); i++) {
        if (intra_seed(&seed, intra[i].codec, intra[i].width, intra[i].height,
                       intra[i].format) < 0 ||
            write_seed(argv[1], intra[i].name, &seed) < 0) {
            fprintf(stderr, "cannot make seed %s\n", intra[i].name);
            return 1;
        }
        if (i == 0 && (keypoint_seed(&keypoints, &seed) < 0 ||
                       write_seed(argv[1], "keypoints-av1-32x24", &keypoints) < 0)) {
            fprintf(stderr, "cannot make the keypoint seed\n");
            return 1;
        }
    }
    return 0;
}
