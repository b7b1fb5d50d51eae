/*
 * libFuzzer target over the decoder with the shipped model loaded, so that
 * delta packets reach the renderer with whatever keypoints the bytes decode
 * to. Input: packets framed as in fuzz_decoder.c (2-byte big-endian length,
 * bytes), without its leading format byte. Loading the model costs far more
 * than decoding a packet, so one decoder serves every input and is flushed
 * in between (a flush forgets the reference, as a new stream would).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <libavutil/log.h>

#include "facet/facet.h"

#ifndef FACET_SOURCE_DIR
#error "the build must define FACET_SOURCE_DIR"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void discard_log(void *opaque, const char *message)
{
    (void)opaque;
    (void)message;
}

static FacetDecoder *shared_decoder(void)
{
    static FacetDecoder *decoder;
    if (!decoder) {
        av_log_set_level(AV_LOG_QUIET);
        FacetDecoderSettings settings;
        facet_decoder_default_settings(&settings);
        settings.threads = 1;
        settings.model_path = FACET_SOURCE_DIR "/models/facet-256.safetensors";
        settings.log_callback = discard_log;
        if (facet_decoder_open(&decoder, &settings) < 0)
            abort(); /* the fuzzer is useless without its model */
    }
    return decoder;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FacetDecoder *decoder = shared_decoder();
    facet_decoder_flush(decoder);
    size_t pos = 0;
    while (pos < size) {
        size_t length = size - pos;
        if (length >= 2) {
            size_t framed = ((size_t)data[pos] << 8) | data[pos + 1];
            pos += 2;
            length = framed < size - pos ? framed : size - pos;
        }
        if (length == 0)
            continue;
        FacetPacket packet = { .data = (uint8_t *)(data + pos), .size = length };
        pos += length;
        if (facet_decoder_send_packet(decoder, &packet) == 0) {
            FacetPicture picture;
            if (facet_decoder_receive_frame(decoder, &picture) == 0) {
                volatile uint8_t sink = picture.data[0][0];
                sink = picture.data[0][(picture.height - 1) * picture.stride[0]];
                (void)sink;
                facet_picture_unref(&picture);
            }
        }
    }
    return 0;
}
