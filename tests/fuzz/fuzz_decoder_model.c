/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target over the decoder with the shipped models loaded, so that
 * delta packets reach the renderer with whatever keypoints the bytes decode
 * to, and latent packets the AV1 decoder, the reference assembly and the
 * latent network. Input: packets framed as in fuzz_decoder.c (2-byte big-endian length,
 * bytes), without its leading format byte. Loading the model costs far more
 * than decoding a packet, so one decoder serves every input and is flushed
 * in between (a flush forgets the reference, as a new stream would).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <libavutil/log.h>

#include "facet/facet.h"
#include "fuzz_session.h"

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
        /* The CPU renderer on every machine: what the fuzzer explores does
         * not depend on whether a GPU happens to be there. */
        settings.backend = FACET_BACKEND_CPU;
        settings.model_path = FACET_SOURCE_DIR "/models/facet-256.safetensors";
        /* And the latent tier's, so latent streams reach its network. */
        settings.latent_model_path = FACET_SOURCE_DIR "/models/facet-latent.safetensors";
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
    fuzz_decode_session(decoder, data, size);
    return 0;
}
