/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Adaptive multi-symbol range coder (internal to libfacet).
 *
 * In the spirit of the Daala/AV1 entropy coder: symbols from alphabets of 2 to
 * 16 are coded with 15-bit cumulative distributions (CDFs) that adapt after
 * every symbol, faster while a model is young; raw equiprobable bits can be
 * mixed in. docs/entropy-coding.md specifies the arithmetic exactly, so that a
 * compatible coder can be written from it.
 *
 * CDF layout, for an alphabet of n symbols (array of FACET_CDF_SIZE(n)):
 *   cdf[i]   for 0 <= i < n-1: 32768 * P(symbol <= i), non-decreasing;
 *   cdf[n-1] = 32768 (constant);
 *   cdf[n]   adaptation counter (symbols seen, saturating at 124), 0 for a
 *            new model.
 * Initialise with facet_cdf_init_uniform() or facet_cdf_init(); the coder keeps
 * the CDF valid from then on. The encoder and the decoder must start from the
 * same CDF and code the same sequence of calls.
 */
#ifndef FACET_ENTROPY_RANGECODER_H
#define FACET_ENTROPY_RANGECODER_H

#include <stddef.h>
#include <stdint.h>

#define FACET_CDF_PROB_BITS 15
#define FACET_CDF_PROB_TOP (1u << FACET_CDF_PROB_BITS) /* 32768 */
#define FACET_RANGE_MIN_SYMBOLS 2
#define FACET_RANGE_MAX_SYMBOLS 16
#define FACET_RANGE_MAX_RAW_BITS 24
/* Number of uint16_t a CDF for `nsyms` symbols occupies. */
#define FACET_CDF_SIZE(nsyms) ((nsyms) + 1)

/* Bytes the decoder may read past the end of a complete stream: the encoder
 * drops the zero bytes that end every stream (see facet_range_encoder_finish). */
#define FACET_RANGE_FLUSH_IMPLICIT_BYTES 3

typedef struct FacetRangeEncoder {
    uint8_t *buf;
    size_t capacity;
    size_t pos;        /* bytes produced so far, may exceed capacity */
    uint64_t low;      /* 32-bit window plus one carry bit */
    uint32_t rng;      /* 2^24 <= rng < 2^32 between calls */
    size_t pending;    /* 0xFF bytes held back because a carry may still reach them */
    uint8_t cache;     /* last settled-but-unwritten byte, may still take a carry */
    int have_cache;
    int coded;         /* something was coded: finish() must flush */
    int error;         /* first error (negative errno) or 0 */
} FacetRangeEncoder;

typedef struct FacetRangeDecoder {
    const uint8_t *buf;
    size_t size;
    size_t pos;        /* bytes consumed, counting the zeros read past the end */
    uint32_t rng;
    uint32_t dif;      /* code value minus the encoder's low, within the window */
    int used;          /* something was decoded */
} FacetRangeDecoder;

/* Sets every probability to 1/nsyms and the counter to 0. nsyms 2..16. */
void facet_cdf_init_uniform(uint16_t *cdf, int nsyms);

/* Copies an initial distribution: `table` holds the nsyms-1 values
 * cdf[0..nsyms-2] (non-decreasing, <= 32768); cdf[nsyms-1] is set to 32768 and
 * the counter to 0. Returns 0, or -EINVAL for a bad nsyms or table (then cdf
 * is set uniform). */
int facet_cdf_init(uint16_t *cdf, const uint16_t *table, int nsyms);

/* Starts an encoder writing to buf[0..capacity). buf may be NULL when
 * capacity is 0. */
void facet_range_encoder_init(FacetRangeEncoder *enc, uint8_t *buf, size_t capacity);

/* Codes `symbol` (0..nsyms-1) with `cdf`, then adapts cdf. A bad symbol or
 * nsyms codes nothing and makes facet_range_encoder_finish() return -EINVAL. */
void facet_range_encode_symbol(FacetRangeEncoder *enc, int symbol, uint16_t *cdf, int nsyms);

/* Codes the low `nbits` (0..24) of `value` as equiprobable bits, most
 * significant first. value >= 2^nbits or a bad nbits is -EINVAL at finish. */
void facet_range_encode_bits(FacetRangeEncoder *enc, uint32_t value, int nbits);

/* Flushes the coder. Returns the number of bytes written to buf (0 when
 * nothing was coded), -ENOSPC if buf was too small at any point (nothing is
 * ever written past capacity), or -EINVAL after a bad encode call. */
int facet_range_encoder_finish(FacetRangeEncoder *enc);

/* Starts a decoder on buf[0..size). buf may be NULL when size is 0. Reading
 * past the end yields zero bytes; see facet_range_decoder_overrun(). */
void facet_range_decoder_init(FacetRangeDecoder *dec, const uint8_t *buf, size_t size);

/* Decodes one symbol with `cdf` and adapts it like the encoder did. Always
 * returns a value in 0..nsyms-1, whatever the bytes (0 for a bad nsyms). */
int facet_range_decode_symbol(FacetRangeDecoder *dec, uint16_t *cdf, int nsyms);

/* Decodes `nbits` (0..24) equiprobable bits; 0 for a bad nbits. */
uint32_t facet_range_decode_bits(FacetRangeDecoder *dec, int nbits);

/* Nonzero when what was decoded so far needed bytes beyond the end of the
 * buffer, other than the FACET_RANGE_FLUSH_IMPLICIT_BYTES the encoder leaves
 * out: the stream was truncated or is corrupt. There is no redundancy in the
 * stream, so this cannot catch everything: a stream cut short can also decode
 * as a different, shorter stream (then the values differ from those coded). */
int facet_range_decoder_overrun(const FacetRangeDecoder *dec);

/* Bytes at the end of the buffer that what was decoded so far did not need.
 * Once everything is decoded, a stream from facet_range_encoder_finish() has
 * none, so a nonzero count means the buffer's length does not match the
 * stream (trailing bytes, or corrupt data). */
size_t facet_range_decoder_unused_bytes(const FacetRangeDecoder *dec);

#endif /* FACET_ENTROPY_RANGECODER_H */
