/* SPDX-License-Identifier: BSD-2-Clause */
/* Adaptive multi-symbol range coder; the format is docs/entropy-coding.md. */
#include "entropy/rangecoder.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/* The interval is renormalised whenever it drops below 2^24, so at least 24
 * bits of precision are always available: 15 for the CDF and 9 left over,
 * which keeps the rounding loss far below 0.1 % of the coded size. */
#define RANGE_TOP (1u << 24)
#define RANGE_INIT 0xFFFFFFFFu
/* The adaptation counter stops here, where the rate reaches its final value. */
#define CDF_COUNT_MAX 124
/* Raw bits are coded in chunks small enough that the interval cannot shrink
 * to zero: with rng >= 2^24, rng >> 16 is still >= 256. */
#define RAW_CHUNK_BITS 16

/* Each update moves the CDF by 2^-rate towards the symbol seen. While a model
 * is young the rate follows its count, 2^-rate ~ 1/(count + 4), so it behaves
 * like a frequency count with a small prior: models reset for every packet
 * learn within a few symbols. Once old, the step stays at 1/128 (binary) or
 * 1/256, slow enough to code a stationary source within a few percent of its
 * entropy, fast enough to follow a drifting one. */
static int adaptation_rate(int count, int nsyms)
{
    if (count >= CDF_COUNT_MAX)
        return nsyms > 2 ? 8 : 7;
    int rate = 2;
    while ((count + 4) >> (rate + 1))
        rate++;
    return rate; /* floor(log2(count + 4)): 2..6 */
}

static void cdf_adapt(uint16_t *cdf, int symbol, int nsyms)
{
    int count = cdf[nsyms];
    int rate = adaptation_rate(count, nsyms);
    uint32_t half = 1u << (rate - 1);
    /* Each entry moves towards 32768 when the symbol is at or below it and
     * towards 0 otherwise; both moves are monotone functions of the entry, so
     * the CDF stays non-decreasing and within [0, 32768]. The step is rounded
     * to nearest, not truncated, which halves the dead zone near 0 and 32768
     * where a rare symbol's probability stops following what is coded. */
    for (int i = 0; i < nsyms - 1; i++) {
        if (i >= symbol)
            cdf[i] = (uint16_t)(cdf[i] + ((FACET_CDF_PROB_TOP - cdf[i] + half) >> rate));
        else
            cdf[i] = (uint16_t)(cdf[i] - ((cdf[i] + half) >> rate));
    }
    if (count < CDF_COUNT_MAX)
        cdf[nsyms] = (uint16_t)(count + 1);
}

/* Lower bound of symbol s's share of 32768, after reserving one unit per
 * symbol: adaptation can drive a probability to zero, and every symbol must
 * keep a non-empty interval. Entries are clamped so that a CDF corrupted by
 * the caller still cannot push a bound past 32768. */
static uint32_t cdf_bound(const uint16_t *cdf, int s, int nsyms)
{
    if (s == 0)
        return 0;
    uint32_t c = cdf[s - 1];
    if (c > FACET_CDF_PROB_TOP)
        c = FACET_CDF_PROB_TOP;
    return c - ((c * (uint32_t)nsyms) >> FACET_CDF_PROB_BITS) + (uint32_t)s;
}

static int nsyms_valid(int nsyms)
{
    return nsyms >= FACET_RANGE_MIN_SYMBOLS && nsyms <= FACET_RANGE_MAX_SYMBOLS;
}

void facet_cdf_init_uniform(uint16_t *cdf, int nsyms)
{
    if (!cdf || !nsyms_valid(nsyms))
        return;
    for (int i = 0; i < nsyms - 1; i++)
        cdf[i] = (uint16_t)((FACET_CDF_PROB_TOP * (uint32_t)(i + 1)) / (uint32_t)nsyms);
    cdf[nsyms - 1] = FACET_CDF_PROB_TOP;
    cdf[nsyms] = 0;
}

int facet_cdf_init(uint16_t *cdf, const uint16_t *table, int nsyms)
{
    if (!cdf || !table || !nsyms_valid(nsyms))
        return -EINVAL;
    uint32_t prev = 0;
    for (int i = 0; i < nsyms - 1; i++) {
        if (table[i] < prev || table[i] > FACET_CDF_PROB_TOP) {
            facet_cdf_init_uniform(cdf, nsyms);
            return -EINVAL;
        }
        prev = table[i];
    }
    memcpy(cdf, table, (size_t)(nsyms - 1) * sizeof(*cdf));
    cdf[nsyms - 1] = FACET_CDF_PROB_TOP;
    cdf[nsyms] = 0;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Encoder                                                                  */

void facet_range_encoder_init(FacetRangeEncoder *enc, uint8_t *buf, size_t capacity)
{
    memset(enc, 0, sizeof(*enc));
    enc->buf = buf;
    enc->capacity = buf ? capacity : 0;
    enc->rng = RANGE_INIT;
}

static void encoder_fail(FacetRangeEncoder *enc, int error)
{
    if (!enc->error)
        enc->error = error;
}

static void put_byte(FacetRangeEncoder *enc, uint8_t byte)
{
    if (enc->pos < enc->capacity)
        enc->buf[enc->pos] = byte;
    else
        encoder_fail(enc, -ENOSPC);
    enc->pos++;
}

/* Moves the top byte of the window out. A byte is final only once a carry can
 * no longer reach it: a 0xFF may still turn into 0x00 (carrying into the byte
 * before it), so runs of 0xFF wait in `pending` behind `cache` until a byte
 * below 0xFF, or a carry, settles them. */
static void shift_low(FacetRangeEncoder *enc)
{
    uint32_t top = (uint32_t)(enc->low >> 24); /* 9 bits: carry and byte */
    if (top != 0xFF) {
        uint8_t carry = (uint8_t)(top >> 8);
        if (enc->have_cache)
            put_byte(enc, (uint8_t)(enc->cache + carry));
        for (; enc->pending > 0; enc->pending--)
            put_byte(enc, (uint8_t)(0xFF + carry));
        enc->cache = (uint8_t)top;
        enc->have_cache = 1;
    } else {
        enc->pending++;
    }
    enc->low = (enc->low & 0xFFFFFFu) << 8;
}

static void encoder_normalize(FacetRangeEncoder *enc)
{
    while (enc->rng < RANGE_TOP) {
        shift_low(enc);
        enc->rng <<= 8;
    }
}

void facet_range_encode_symbol(FacetRangeEncoder *enc, int symbol, uint16_t *cdf, int nsyms)
{
    if (!cdf || !nsyms_valid(nsyms) || symbol < 0 || symbol >= nsyms) {
        encoder_fail(enc, -EINVAL);
        return;
    }
    uint32_t q = enc->rng >> FACET_CDF_PROB_BITS;
    uint32_t lo = q * cdf_bound(cdf, symbol, nsyms);
    /* The last symbol also takes the rounding remainder rng - 32768 * q. */
    uint32_t hi = symbol == nsyms - 1 ? enc->rng : q * cdf_bound(cdf, symbol + 1, nsyms);
    if (hi <= lo) /* only a caller-corrupted (non-monotone) CDF gets here */
        hi = lo + 1;
    enc->low += lo;
    enc->rng = hi - lo;
    enc->coded = 1;
    encoder_normalize(enc);
    cdf_adapt(cdf, symbol, nsyms);
}

void facet_range_encode_bits(FacetRangeEncoder *enc, uint32_t value, int nbits)
{
    if (nbits < 0 || nbits > FACET_RANGE_MAX_RAW_BITS || (value >> nbits) != 0) {
        encoder_fail(enc, -EINVAL);
        return;
    }
    while (nbits > 0) {
        int chunk = nbits > RAW_CHUNK_BITS ? RAW_CHUNK_BITS : nbits;
        nbits -= chunk;
        uint32_t v = (value >> nbits) & ((1u << chunk) - 1);
        uint32_t q = enc->rng >> chunk;
        enc->low += (uint64_t)q * v;
        enc->rng = q;
        enc->coded = 1;
        encoder_normalize(enc);
    }
}

int facet_range_encoder_finish(FacetRangeEncoder *enc)
{
    if (enc->error)
        return enc->error;
    if (enc->coded) {
        /* Any value in [low, low + rng) identifies the stream. rng >= 2^24,
         * so the interval holds a multiple of 2^24: its top window byte is
         * the only one left to write, and the three zero bytes below it are
         * left out (the decoder reads zeros past the end). The stream length
         * therefore depends only on the symbols coded, never on where the
         * interval ended, which lets the decoder check it exactly. */
        enc->low = (enc->low + (RANGE_TOP - 1)) & ~(uint64_t)(RANGE_TOP - 1);
        shift_low(enc);
        if (enc->have_cache)
            put_byte(enc, enc->cache);
        for (; enc->pending > 0; enc->pending--)
            put_byte(enc, 0xFF);
        enc->have_cache = 0;
        enc->coded = 0; /* a second call returns the same count */
        if (enc->error)
            return enc->error;
    }
    if (enc->pos > (size_t)INT_MAX)
        return -EOVERFLOW;
    return (int)enc->pos;
}

/* ------------------------------------------------------------------------ */
/* Decoder                                                                  */

static uint32_t next_byte(FacetRangeDecoder *dec)
{
    uint32_t byte = dec->pos < dec->size ? dec->buf[dec->pos] : 0;
    /* Saturating, so that even an absurd number of calls cannot wrap the
     * count back below the end of the buffer. */
    if (dec->pos != SIZE_MAX)
        dec->pos++;
    return byte;
}

void facet_range_decoder_init(FacetRangeDecoder *dec, const uint8_t *buf, size_t size)
{
    memset(dec, 0, sizeof(*dec));
    dec->buf = buf;
    dec->size = buf ? size : 0;
    dec->rng = RANGE_INIT;
    for (int i = 0; i < 4; i++)
        dec->dif = (dec->dif << 8) | next_byte(dec);
}

static void decoder_normalize(FacetRangeDecoder *dec)
{
    while (dec->rng < RANGE_TOP) {
        dec->rng <<= 8;
        dec->dif = (dec->dif << 8) | next_byte(dec);
    }
}

int facet_range_decode_symbol(FacetRangeDecoder *dec, uint16_t *cdf, int nsyms)
{
    if (!cdf || !nsyms_valid(nsyms))
        return 0;
    dec->used = 1;
    uint32_t q = dec->rng >> FACET_CDF_PROB_BITS;
    /* Corrupt input can leave dif >= rng; the search then ends on the last
     * symbol and the arithmetic wraps harmlessly (it is all unsigned). */
    int s = 0;
    uint32_t lo = 0;
    uint32_t hi = dec->rng;
    for (; s < nsyms - 1; s++) {
        uint32_t bound = q * cdf_bound(cdf, s + 1, nsyms);
        if (dec->dif < bound) {
            hi = bound;
            break;
        }
        lo = bound;
    }
    if (hi <= lo) /* mirrors the encoder's guard for a corrupted CDF */
        hi = lo + 1;
    dec->dif -= lo;
    dec->rng = hi - lo;
    decoder_normalize(dec);
    cdf_adapt(cdf, s, nsyms);
    return s;
}

uint32_t facet_range_decode_bits(FacetRangeDecoder *dec, int nbits)
{
    if (nbits <= 0 || nbits > FACET_RANGE_MAX_RAW_BITS)
        return 0;
    dec->used = 1;
    uint32_t value = 0;
    while (nbits > 0) {
        int chunk = nbits > RAW_CHUNK_BITS ? RAW_CHUNK_BITS : nbits;
        nbits -= chunk;
        uint32_t q = dec->rng >> chunk;
        uint32_t v = dec->dif / q;
        uint32_t vmax = (1u << chunk) - 1;
        if (v > vmax) /* corrupt input only */
            v = vmax;
        dec->dif -= v * q;
        dec->rng = q;
        value = (value << chunk) | v;
        decoder_normalize(dec);
    }
    return value;
}

int facet_range_decoder_overrun(const FacetRangeDecoder *dec)
{
    if (!dec->used)
        return 0;
    return dec->pos > dec->size &&
           dec->pos - dec->size > FACET_RANGE_FLUSH_IMPLICIT_BYTES;
}

size_t facet_range_decoder_unused_bytes(const FacetRangeDecoder *dec)
{
    if (!dec->used)
        return dec->size;
    size_t needed = dec->pos - FACET_RANGE_FLUSH_IMPLICIT_BYTES; /* pos >= 4 */
    return dec->size > needed ? dec->size - needed : 0;
}
