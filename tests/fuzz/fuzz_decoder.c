/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target over the decoder's packet entry point.
 *
 * One fuzz input is a whole session: the first byte picks the output
 * format, then packets follow, each a 2-byte big-endian length and its
 * bytes (a last, short packet takes what remains). Feeding several packets
 * to one decoder reaches the state that deltas depend on.
 */
#include <stddef.h>
#include <stdint.h>

#include <libavutil/log.h>

#include "facet/facet.h"
#include "fuzz_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* Corrupt payloads make FFmpeg log at error level on every input. */
    av_log_set_level(AV_LOG_QUIET);
    FacetDecoderSettings settings;
    facet_decoder_default_settings(&settings);
    settings.model_path = ""; /* intra-only, whatever is installed */
    settings.output_format = (data[0] & 1) ? FACET_PIXEL_FORMAT_RGB24 : FACET_PIXEL_FORMAT_I420;
    settings.threads = 1;
    FacetDecoder *decoder = NULL;
    if (facet_decoder_open(&decoder, &settings) < 0)
        return 0;
    fuzz_decode_session(decoder, data + 1, size - 1); /* after the format byte */
    facet_decoder_close(&decoder);
    return 0;
}
