/* SPDX-License-Identifier: BSD-2-Clause */
/* Range coder: round trips, compression efficiency, and hostile input. */
#include "entropy/rangecoder.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64: deterministic, so a failure reproduces from its seed. */
typedef struct Rng {
    uint64_t state;
} Rng;

static uint64_t rng_next(Rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t rng_below(Rng *r, uint32_t n)
{
    return (uint32_t)(rng_next(r) % n);
}

static double rng_unit(Rng *r)
{
    return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

/* A source over nsyms symbols: cumulative probabilities in `cum`. */
typedef struct Source {
    int nsyms;
    double cum[FACET_RANGE_MAX_SYMBOLS];
} Source;

static void source_uniform(Source *src, int nsyms)
{
    src->nsyms = nsyms;
    for (int i = 0; i < nsyms; i++)
        src->cum[i] = (double)(i + 1) / nsyms;
}

/* Geometric: P(i) proportional to ratio^i, so small symbols dominate. */
static void source_geometric(Source *src, int nsyms, double ratio)
{
    double total = 0, p = 1;
    src->nsyms = nsyms;
    for (int i = 0; i < nsyms; i++, p *= ratio)
        total += p;
    double acc = 0;
    p = 1;
    for (int i = 0; i < nsyms; i++, p *= ratio) {
        acc += p / total;
        src->cum[i] = acc;
    }
    src->cum[nsyms - 1] = 1.0;
}

static int source_draw(const Source *src, Rng *r)
{
    double u = rng_unit(r);
    for (int i = 0; i < src->nsyms - 1; i++)
        if (u < src->cum[i])
            return i;
    return src->nsyms - 1;
}

/* One coding step of a mixed script: a symbol in one of several contexts, or
 * raw bits. */
typedef struct Op {
    int context;  /* -1: raw bits */
    int nbits;
    uint32_t value;
} Op;

#define NUM_CONTEXTS 4

typedef struct Script {
    int nops;
    Op *ops;
    int nsyms[NUM_CONTEXTS];
} Script;

static void script_make(Script *sc, Rng *r, int nops, int skewed, double raw_fraction)
{
    Source src[NUM_CONTEXTS];
    sc->nops = nops;
    sc->ops = calloc((size_t)nops, sizeof(*sc->ops));
    ck_assert_ptr_nonnull(sc->ops);
    for (int c = 0; c < NUM_CONTEXTS; c++) {
        sc->nsyms[c] = 2 + (int)rng_below(r, FACET_RANGE_MAX_SYMBOLS - 1);
        if (skewed)
            source_geometric(&src[c], sc->nsyms[c], 0.05 + 0.5 * rng_unit(r));
        else
            source_uniform(&src[c], sc->nsyms[c]);
    }
    for (int i = 0; i < nops; i++) {
        Op *op = &sc->ops[i];
        if (rng_unit(r) < raw_fraction) {
            op->context = -1;
            op->nbits = (int)rng_below(r, FACET_RANGE_MAX_RAW_BITS + 1);
            op->value = op->nbits ? (uint32_t)(rng_next(r) >> (64 - op->nbits)) : 0;
        } else {
            op->context = (int)rng_below(r, NUM_CONTEXTS);
            op->value = (uint32_t)source_draw(&src[op->context], r);
        }
    }
}

static int script_encode(const Script *sc, uint8_t *buf, size_t capacity)
{
    uint16_t cdf[NUM_CONTEXTS][FACET_CDF_SIZE(FACET_RANGE_MAX_SYMBOLS)];
    for (int c = 0; c < NUM_CONTEXTS; c++)
        facet_cdf_init_uniform(cdf[c], sc->nsyms[c]);
    FacetRangeEncoder enc;
    facet_range_encoder_init(&enc, buf, capacity);
    for (int i = 0; i < sc->nops; i++) {
        const Op *op = &sc->ops[i];
        if (op->context < 0)
            facet_range_encode_bits(&enc, op->value, op->nbits);
        else
            facet_range_encode_symbol(&enc, (int)op->value, cdf[op->context],
                                      sc->nsyms[op->context]);
    }
    return facet_range_encoder_finish(&enc);
}

/* Decodes the script's shape from buf; returns how many ops matched before
 * the first difference. Values out of range fail the test. (Check's asserts
 * are costly, so hot loops test plainly and assert once.) */
static int script_decode(const Script *sc, const uint8_t *buf, size_t size, int *overrun)
{
    uint16_t cdf[NUM_CONTEXTS][FACET_CDF_SIZE(FACET_RANGE_MAX_SYMBOLS)];
    for (int c = 0; c < NUM_CONTEXTS; c++)
        facet_cdf_init_uniform(cdf[c], sc->nsyms[c]);
    FacetRangeDecoder dec;
    facet_range_decoder_init(&dec, buf, size);
    int matched = 0, out_of_range = 0;
    for (int i = 0; i < sc->nops; i++) {
        const Op *op = &sc->ops[i];
        uint32_t got;
        if (op->context < 0) {
            got = facet_range_decode_bits(&dec, op->nbits);
            out_of_range |= (uint64_t)got >= 1ull << op->nbits;
        } else {
            int s = facet_range_decode_symbol(&dec, cdf[op->context], sc->nsyms[op->context]);
            out_of_range |= s < 0 || s >= sc->nsyms[op->context];
            got = (uint32_t)s;
        }
        if (got == op->value && matched == i)
            matched++;
    }
    ck_assert_msg(!out_of_range, "decoded value out of range");
    *overrun = facet_range_decoder_overrun(&dec);
    return matched;
}

static void script_free(Script *sc)
{
    free(sc->ops);
    sc->ops = NULL;
}

START_TEST(round_trip_random)
{
    /* Many seeds; uniform and skewed sources, with and without raw bits. */
    size_t capacity = 64 * 1024;
    uint8_t *buf = malloc(capacity);
    ck_assert_ptr_nonnull(buf);
    for (int seed = 0; seed < 160; seed++) {
        Rng r = { (uint64_t)seed * 7919u + 1 };
        int variant = seed % 4;
        Script sc;
        int nops = 1 + (int)rng_below(&r, seed < 8 ? 20 : 1500);
        script_make(&sc, &r, nops, variant & 1, (variant & 2) ? 0.2 : 0.0);
        int size = script_encode(&sc, buf, capacity);
        ck_assert_int_gt(size, 0);
        int overrun = -1;
        int matched = script_decode(&sc, buf, (size_t)size, &overrun);
        ck_assert_int_eq(matched, sc.nops);
        ck_assert_int_eq(overrun, 0);
        script_free(&sc);
    }
    free(buf);
}
END_TEST

START_TEST(round_trip_every_alphabet)
{
    /* Every alphabet size, every symbol value, including a run of the same
     * symbol long enough to drive the others' probabilities to the floor and
     * then the rare ones. */
    for (int nsyms = FACET_RANGE_MIN_SYMBOLS; nsyms <= FACET_RANGE_MAX_SYMBOLS; nsyms++) {
        int seq[1200];
        int n = 0;
        for (int s = 0; s < nsyms; s++)
            seq[n++] = s;
        for (int k = 0; k < 1000; k++)
            seq[n++] = nsyms / 2;
        for (int s = nsyms - 1; s >= 0; s--)
            seq[n++] = s;
        uint8_t buf[4096];
        uint16_t cdf[FACET_CDF_SIZE(FACET_RANGE_MAX_SYMBOLS)];
        facet_cdf_init_uniform(cdf, nsyms);
        FacetRangeEncoder enc;
        facet_range_encoder_init(&enc, buf, sizeof(buf));
        for (int i = 0; i < n; i++)
            facet_range_encode_symbol(&enc, seq[i], cdf, nsyms);
        int size = facet_range_encoder_finish(&enc);
        ck_assert_int_gt(size, 0);

        facet_cdf_init_uniform(cdf, nsyms);
        FacetRangeDecoder dec;
        facet_range_decoder_init(&dec, buf, (size_t)size);
        int mismatches = 0;
        for (int i = 0; i < n; i++)
            mismatches += facet_range_decode_symbol(&dec, cdf, nsyms) != seq[i];
        ck_assert_int_eq(mismatches, 0);
        ck_assert_int_eq(facet_range_decoder_overrun(&dec), 0);
    }
}
END_TEST

START_TEST(raw_bits_extremes)
{
    static const uint32_t values[] = { 0, 1, 0x7FFFFF, 0xFFFFFF, 0x800000, 0xAAAAAA, 0x555555 };
    uint8_t buf[1024];
    FacetRangeEncoder enc;
    facet_range_encoder_init(&enc, buf, sizeof(buf));
    for (int nbits = 0; nbits <= FACET_RANGE_MAX_RAW_BITS; nbits++)
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
            facet_range_encode_bits(&enc, values[i] & ((1u << nbits) - 1), nbits);
    int size = facet_range_encoder_finish(&enc);
    ck_assert_int_gt(size, 0);
    FacetRangeDecoder dec;
    facet_range_decoder_init(&dec, buf, (size_t)size);
    int mismatches = 0;
    for (int nbits = 0; nbits <= FACET_RANGE_MAX_RAW_BITS; nbits++)
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
            mismatches += facet_range_decode_bits(&dec, nbits) != (values[i] & ((1u << nbits) - 1));
    ck_assert_int_eq(mismatches, 0);
    ck_assert_int_eq(facet_range_decoder_overrun(&dec), 0);
}
END_TEST

START_TEST(raw_bits_cost_their_length)
{
    /* 3000 random 24-bit values: 9000 bytes of information. */
    static uint8_t buf[16384];
    Rng r = { 42 };
    FacetRangeEncoder enc;
    facet_range_encoder_init(&enc, buf, sizeof(buf));
    for (int i = 0; i < 3000; i++)
        facet_range_encode_bits(&enc, (uint32_t)(rng_next(&r) >> 40), 24);
    int size = facet_range_encoder_finish(&enc);
    ck_assert_int_ge(size, 9000);
    ck_assert_int_le(size, 9000 + 9000 / 100);
}
END_TEST

/* Order-0 empirical entropy of a symbol sequence, in bits. */
static double empirical_entropy_bits(const int *seq, int n, int nsyms)
{
    int counts[FACET_RANGE_MAX_SYMBOLS] = { 0 };
    for (int i = 0; i < n; i++)
        counts[seq[i]]++;
    double bits = 0;
    for (int s = 0; s < nsyms; s++)
        if (counts[s])
            bits -= counts[s] * log2((double)counts[s] / n);
    return bits;
}

typedef struct EntropyCase {
    int nsyms;
    double ratio;   /* geometric source parameter; smaller is more skewed */
} EntropyCase;

static const EntropyCase entropy_cases[] = {
    { 2, 0.05 }, { 2, 0.3 }, { 3, 0.2 }, { 4, 0.1 }, { 4, 0.5 }, { 8, 0.3 },
    { 8, 0.7 }, { 12, 0.4 }, { 16, 0.2 }, { 16, 0.6 }, { 16, 0.85 },
};

START_TEST(size_close_to_entropy)
{
    const EntropyCase *ec = &entropy_cases[_i];
    enum { N = 20000 };
    static int seq[N];
    static uint8_t buf[N * 2];
    Source src;
    source_geometric(&src, ec->nsyms, ec->ratio);
    Rng r = { 1000u + (uint64_t)_i };
    for (int i = 0; i < N; i++)
        seq[i] = source_draw(&src, &r);

    uint16_t cdf[FACET_CDF_SIZE(FACET_RANGE_MAX_SYMBOLS)];
    facet_cdf_init_uniform(cdf, ec->nsyms);
    FacetRangeEncoder enc;
    facet_range_encoder_init(&enc, buf, sizeof(buf));
    for (int i = 0; i < N; i++)
        facet_range_encode_symbol(&enc, seq[i], cdf, ec->nsyms);
    int size = facet_range_encoder_finish(&enc);
    ck_assert_int_gt(size, 0);

    double entropy_bytes = empirical_entropy_bits(seq, N, ec->nsyms) / 8.0;
    double overhead = (size - entropy_bytes) / entropy_bytes;
    fprintf(stderr, "entropy n=%2d ratio=%.2f: %.1f bytes of entropy, %d coded (%+.2f %%)\n",
            ec->nsyms, ec->ratio, entropy_bytes, size, 100.0 * overhead);
    ck_assert_msg(size <= entropy_bytes * 1.03 + 8, "coded %d bytes for %.1f bytes of entropy",
                  size, entropy_bytes);

    facet_cdf_init_uniform(cdf, ec->nsyms);
    FacetRangeDecoder dec;
    facet_range_decoder_init(&dec, buf, (size_t)size);
    int mismatches = 0;
    for (int i = 0; i < N; i++)
        mismatches += facet_range_decode_symbol(&dec, cdf, ec->nsyms) != seq[i];
    ck_assert_int_eq(mismatches, 0);
    ck_assert_int_eq(facet_range_decoder_overrun(&dec), 0);
}
END_TEST

START_TEST(empty_stream)
{
    FacetRangeEncoder enc;
    facet_range_encoder_init(&enc, NULL, 0);
    facet_range_encode_bits(&enc, 0, 0); /* zero bits code nothing */
    ck_assert_int_eq(facet_range_encoder_finish(&enc), 0);

    FacetRangeDecoder dec;
    facet_range_decoder_init(&dec, NULL, 0);
    ck_assert_int_eq(facet_range_decoder_overrun(&dec), 0);
    ck_assert_uint_eq(facet_range_decode_bits(&dec, 0), 0);
    ck_assert_int_eq(facet_range_decoder_overrun(&dec), 0);
    /* Asking an empty stream for a symbol needs bytes it does not have. */
    uint16_t cdf[FACET_CDF_SIZE(4)];
    facet_cdf_init_uniform(cdf, 4);
    int s = facet_range_decode_symbol(&dec, cdf, 4);
    ck_assert_int_ge(s, 0);
    ck_assert_int_lt(s, 4);
    ck_assert_int_ne(facet_range_decoder_overrun(&dec), 0);
}
END_TEST

START_TEST(single_symbol_is_one_byte)
{
    for (int s = 0; s < 16; s++) {
        uint8_t buf[8];
        uint16_t cdf[FACET_CDF_SIZE(16)];
        facet_cdf_init_uniform(cdf, 16);
        FacetRangeEncoder enc;
        facet_range_encoder_init(&enc, buf, sizeof(buf));
        facet_range_encode_symbol(&enc, s, cdf, 16);
        ck_assert_int_eq(facet_range_encoder_finish(&enc), 1);
        facet_cdf_init_uniform(cdf, 16);
        FacetRangeDecoder dec;
        facet_range_decoder_init(&dec, buf, 1);
        ck_assert_int_eq(facet_range_decode_symbol(&dec, cdf, 16), s);
        ck_assert_int_eq(facet_range_decoder_overrun(&dec), 0);
    }
}
END_TEST

START_TEST(capacity_too_small)
{
    Rng r = { 77 };
    Script sc;
    script_make(&sc, &r, 400, 1, 0.1);
    uint8_t full[4096];
    int size = script_encode(&sc, full, sizeof(full));
    ck_assert_int_gt(size, 10);

    enum { GUARD = 16 };
    uint8_t buf[4096 + GUARD];
    for (int capacity = 0; capacity <= size; capacity++) {
        memset(buf, 0xA5, sizeof(buf));
        int ret = script_encode(&sc, buf, (size_t)capacity);
        if (capacity < size) {
            ck_assert_int_eq(ret, -ENOSPC);
        } else {
            ck_assert_int_eq(ret, size);
            ck_assert_mem_eq(buf, full, (size_t)size);
        }
        int guard_intact = 1;
        for (int i = capacity; i < capacity + GUARD; i++)
            guard_intact &= buf[i] == 0xA5;
        ck_assert_msg(guard_intact, "capacity %d overrun", capacity);
    }
    script_free(&sc);
}
END_TEST

START_TEST(bad_arguments)
{
    uint8_t buf[64];
    uint16_t cdf[FACET_CDF_SIZE(FACET_RANGE_MAX_SYMBOLS)];
    FacetRangeEncoder enc;

    facet_cdf_init_uniform(cdf, 4);
    facet_range_encoder_init(&enc, buf, sizeof(buf));
    facet_range_encode_symbol(&enc, 4, cdf, 4);
    ck_assert_int_eq(facet_range_encoder_finish(&enc), -EINVAL);

    facet_range_encoder_init(&enc, buf, sizeof(buf));
    facet_range_encode_symbol(&enc, -1, cdf, 4);
    ck_assert_int_eq(facet_range_encoder_finish(&enc), -EINVAL);

    facet_range_encoder_init(&enc, buf, sizeof(buf));
    facet_range_encode_symbol(&enc, 0, cdf, 17);
    ck_assert_int_eq(facet_range_encoder_finish(&enc), -EINVAL);

    facet_range_encoder_init(&enc, buf, sizeof(buf));
    facet_range_encode_symbol(&enc, 0, cdf, 1);
    ck_assert_int_eq(facet_range_encoder_finish(&enc), -EINVAL);

    facet_range_encoder_init(&enc, buf, sizeof(buf));
    facet_range_encode_symbol(&enc, 0, NULL, 4);
    ck_assert_int_eq(facet_range_encoder_finish(&enc), -EINVAL);

    facet_range_encoder_init(&enc, buf, sizeof(buf));
    facet_range_encode_bits(&enc, 0, 25);
    ck_assert_int_eq(facet_range_encoder_finish(&enc), -EINVAL);

    facet_range_encoder_init(&enc, buf, sizeof(buf));
    facet_range_encode_bits(&enc, 0, -1);
    ck_assert_int_eq(facet_range_encoder_finish(&enc), -EINVAL);

    facet_range_encoder_init(&enc, buf, sizeof(buf));
    facet_range_encode_bits(&enc, 8, 3);
    ck_assert_int_eq(facet_range_encoder_finish(&enc), -EINVAL);

    /* The decoder answers bad arguments with a harmless value. */
    FacetRangeDecoder dec;
    facet_range_decoder_init(&dec, buf, sizeof(buf));
    ck_assert_int_eq(facet_range_decode_symbol(&dec, cdf, 1), 0);
    ck_assert_int_eq(facet_range_decode_symbol(&dec, cdf, 17), 0);
    ck_assert_int_eq(facet_range_decode_symbol(&dec, NULL, 4), 0);
    ck_assert_uint_eq(facet_range_decode_bits(&dec, 25), 0);
    ck_assert_uint_eq(facet_range_decode_bits(&dec, -3), 0);

    static const uint16_t decreasing[] = { 20000, 10000, 30000 };
    static const uint16_t too_big[] = { 1000, 40000, 40000 };
    static const uint16_t skewed[] = { 30000, 31000, 32000 };
    ck_assert_int_eq(facet_cdf_init(cdf, decreasing, 4), -EINVAL);
    ck_assert_int_eq(facet_cdf_init(cdf, too_big, 4), -EINVAL);
    ck_assert_int_eq(facet_cdf_init(cdf, skewed, 1), -EINVAL);
    ck_assert_int_eq(facet_cdf_init(cdf, skewed, 4), 0);
    ck_assert_uint_eq(cdf[0], 30000);
    ck_assert_uint_eq(cdf[2], 32000);
    ck_assert_uint_eq(cdf[3], 32768);
    ck_assert_uint_eq(cdf[4], 0);
}
END_TEST

START_TEST(cdf_stays_valid)
{
    /* Whatever is coded, the CDF stays non-decreasing and bounded, and every
     * symbol keeps a codable interval (checked by coding the rarest one). */
    Rng r = { 5 };
    for (int nsyms = 2; nsyms <= 16; nsyms++) {
        uint16_t cdf[FACET_CDF_SIZE(16)];
        facet_cdf_init_uniform(cdf, nsyms);
        uint8_t buf[8192];
        FacetRangeEncoder enc;
        facet_range_encoder_init(&enc, buf, sizeof(buf));
        int valid = 1;
        for (int i = 0; i < 3000; i++) {
            int s = rng_below(&r, 10) ? 0 : (int)rng_below(&r, (uint32_t)nsyms);
            facet_range_encode_symbol(&enc, s, cdf, nsyms);
            for (int k = 1; k < nsyms; k++)
                valid &= cdf[k - 1] <= cdf[k];
            valid &= cdf[nsyms - 1] == FACET_CDF_PROB_TOP && cdf[nsyms] <= 124;
        }
        ck_assert_msg(valid, "CDF for %d symbols became invalid", nsyms);
        ck_assert_int_gt(facet_range_encoder_finish(&enc), 0);
    }
}
END_TEST

START_TEST(garbage_never_crashes)
{
    /* Random bytes of random length, decoded as a random script: every value
     * in range, and no read out of bounds (this suite runs under ASan). */
    Rng r = { 900 };
    for (int iter = 0; iter < 2000; iter++) {
        size_t size = rng_below(&r, 64);
        uint8_t *buf = malloc(size ? size : 1);
        ck_assert_ptr_nonnull(buf);
        for (size_t k = 0; k < size; k++)
            buf[k] = (uint8_t)rng_next(&r);
        if (iter % 4 == 0) /* all-0xFF and all-0x00 are classic edge cases */
            memset(buf, iter % 8 ? 0xFF : 0x00, size);
        Script sc;
        script_make(&sc, &r, 1 + (int)rng_below(&r, 200), 1, 0.2);
        int overrun;
        script_decode(&sc, buf, size, &overrun);
        ck_assert(overrun == 0 || overrun == 1);
        script_free(&sc);
        free(buf);
    }
}
END_TEST

START_TEST(truncation_never_silent)
{
    /* A stream cut short either needs bytes it lacks (overrun) or decodes to
     * different values: if it decoded the same values, the decoder would
     * follow the same path and read as far as for the whole stream. */
    int cuts = 0, overruns = 0;
    for (int seed = 0; seed < 20; seed++) {
        Rng r = { 31337 + (uint64_t)seed };
        Script sc;
        script_make(&sc, &r, 1 + (int)rng_below(&r, 300), seed & 1, 0.1);
        uint8_t full[4096];
        int size = script_encode(&sc, full, sizeof(full));
        ck_assert_int_gt(size, 0);
        for (int cut = 1; cut <= size; cut++) {
            /* A copy of exactly the truncated length, so ASan sees any read
             * past it. */
            size_t len = (size_t)(size - cut);
            uint8_t *buf = malloc(len ? len : 1);
            ck_assert_ptr_nonnull(buf);
            memcpy(buf, full, len);
            int overrun = 0;
            int matched = script_decode(&sc, buf, len, &overrun);
            ck_assert_msg(overrun || matched < sc.nops,
                          "stream of %d bytes cut by %d decoded silently", size, cut);
            cuts++;
            overruns += overrun;
            free(buf);
        }
        script_free(&sc);
    }
    fprintf(stderr, "truncated streams: %d of %d flagged as overrun\n", overruns, cuts);
    ck_assert_int_ge(overruns * 10, cuts * 9);
}
END_TEST

START_TEST(truncated_raw_bits_always_overrun)
{
    /* With raw bits alone the interval shrinks the same way whatever the
     * bytes say, so every truncation needs bytes the buffer lacks. */
    Rng r = { 4242 };
    uint8_t full[512];
    FacetRangeEncoder enc;
    facet_range_encoder_init(&enc, full, sizeof(full));
    uint32_t values[100];
    int nbits[100];
    for (int i = 0; i < 100; i++) {
        nbits[i] = 1 + (int)rng_below(&r, FACET_RANGE_MAX_RAW_BITS);
        values[i] = (uint32_t)(rng_next(&r) >> (64 - nbits[i]));
        facet_range_encode_bits(&enc, values[i], nbits[i]);
    }
    int size = facet_range_encoder_finish(&enc);
    ck_assert_int_gt(size, 0);
    for (int len = 0; len <= size; len++) {
        FacetRangeDecoder dec;
        facet_range_decoder_init(&dec, full, (size_t)len);
        int mismatches = 0;
        for (int i = 0; i < 100; i++)
            mismatches += facet_range_decode_bits(&dec, nbits[i]) != values[i];
        if (len == size) {
            ck_assert_int_eq(mismatches, 0);
            ck_assert_int_eq(facet_range_decoder_overrun(&dec), 0);
        } else {
            ck_assert_int_ne(facet_range_decoder_overrun(&dec), 0);
        }
    }
}
END_TEST

START_TEST(unused_bytes_counted)
{
    /* A complete stream uses every byte; extra bytes are reported. */
    Rng r = { 99 };
    Script sc;
    script_make(&sc, &r, 500, 1, 0.1);
    uint8_t buf[4096];
    int size = script_encode(&sc, buf, sizeof(buf) - 8);
    ck_assert_int_gt(size, 0);
    for (int extra = 0; extra <= 8; extra++) {
        uint16_t cdf[NUM_CONTEXTS][FACET_CDF_SIZE(FACET_RANGE_MAX_SYMBOLS)];
        for (int c = 0; c < NUM_CONTEXTS; c++)
            facet_cdf_init_uniform(cdf[c], sc.nsyms[c]);
        FacetRangeDecoder dec;
        facet_range_decoder_init(&dec, buf, (size_t)(size + extra));
        ck_assert_uint_eq(facet_range_decoder_unused_bytes(&dec), (size_t)(size + extra));
        for (int i = 0; i < sc.nops; i++) {
            const Op *op = &sc.ops[i];
            if (op->context < 0)
                facet_range_decode_bits(&dec, op->nbits);
            else
                facet_range_decode_symbol(&dec, cdf[op->context], sc.nsyms[op->context]);
        }
        ck_assert_uint_eq(facet_range_decoder_unused_bytes(&dec), (size_t)extra);
    }
    script_free(&sc);

    FacetRangeDecoder dec;
    facet_range_decoder_init(&dec, buf, 0);
    ck_assert_uint_eq(facet_range_decoder_unused_bytes(&dec), 0);
    facet_range_decoder_init(&dec, buf, 3);
    ck_assert_uint_eq(facet_range_decoder_unused_bytes(&dec), 3);
}
END_TEST

START_TEST(format_is_stable)
{
    /* Locks the bitstream: these bytes are what docs/entropy-coding.md
     * specifies (they were checked against an implementation written from
     * that document alone). Changing them breaks every stream in the field. */
    static const uint8_t expected[] = {
        0x85, 0x29, 0x71, 0xe1, 0x7d, 0xc3, 0x26, 0x35, 0x5e, 0xb9, 0x89, 0x3b,
        0x77, 0x9c, 0xe8, 0x56, 0xb7, 0xb3, 0x78, 0x52, 0x25, 0x66, 0x3c, 0x19,
        0xde, 0xb8, 0x5a, 0x4e, 0x66, 0x50, 0x3c, 0x87, 0xd9, 0xd6, 0x80, 0x57,
        0x6b, 0xb1, 0x09, 0x81, 0x34,
    };
    uint8_t buf[64];
    uint16_t cdf2[FACET_CDF_SIZE(2)], cdf5[FACET_CDF_SIZE(5)], cdf16[FACET_CDF_SIZE(16)];
    facet_cdf_init_uniform(cdf2, 2);
    facet_cdf_init_uniform(cdf5, 5);
    facet_cdf_init_uniform(cdf16, 16);
    FacetRangeEncoder enc;
    facet_range_encoder_init(&enc, buf, sizeof(buf));
    for (int i = 0; i < 20; i++) {
        facet_range_encode_symbol(&enc, i % 3 == 0, cdf2, 2);
        facet_range_encode_symbol(&enc, (i * 7) % 5, cdf5, 5);
        facet_range_encode_symbol(&enc, i < 10 ? 3 : 15 - i % 4, cdf16, 16);
        facet_range_encode_bits(&enc, (uint32_t)(i * 2654435761u) & ((1u << i % 25) - 1), i % 25);
    }
    int size = facet_range_encoder_finish(&enc);
    ck_assert_int_eq(size, (int)sizeof(expected));
    ck_assert_mem_eq(buf, expected, sizeof(expected));
}
END_TEST

static Suite *rangecoder_suite(void)
{
    Suite *s = suite_create("rangecoder");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, round_trip_random);
    tcase_add_test(tc, round_trip_every_alphabet);
    tcase_add_test(tc, raw_bits_extremes);
    tcase_add_test(tc, raw_bits_cost_their_length);
    tcase_add_loop_test(tc, size_close_to_entropy, 0,
                        (int)(sizeof(entropy_cases) / sizeof(entropy_cases[0])));
    tcase_add_test(tc, empty_stream);
    tcase_add_test(tc, single_symbol_is_one_byte);
    tcase_add_test(tc, capacity_too_small);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, cdf_stays_valid);
    tcase_add_test(tc, garbage_never_crashes);
    tcase_add_test(tc, truncation_never_silent);
    tcase_add_test(tc, truncated_raw_bits_always_overrun);
    tcase_add_test(tc, unused_bytes_counted);
    tcase_add_test(tc, format_is_stable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rangecoder_suite());
    srunner_run_all(sr, CK_VERBOSE);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures != 0;
}
