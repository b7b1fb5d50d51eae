/* SPDX-License-Identifier: BSD-2-Clause */
/* What the decoder fuzz targets share: feeding one input to a decoder. */
#ifndef FACET_TESTS_FUZZ_SESSION_H
#define FACET_TESTS_FUZZ_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "facet/facet.h"

/* Splits data into packets (each a 2-byte big-endian length and its bytes;
 * a last, short packet takes what remains), sends each to the decoder and
 * touches every frame that comes out, so a wrongly sized buffer trips ASan. */
void fuzz_decode_session(FacetDecoder *decoder, const uint8_t *data, size_t size);

#endif
