/* test_rng.h - seeded pseudo-random data for the unit tests and benchmarks.
 *
 * Why it exists: tests and benchmarks need data that looks random yet is the
 * same on every run, so a failing test reproduces and two benchmark figures
 * compare. Every value here is a pure function of the seed: no wall clock,
 * no rand(), and no hidden state (the caller owns its test_rng_t).
 *
 * Two generators, both kept because existing test expectations and benchmark
 * inputs are the exact sequences they draw:
 *   TEST_RNG_XORSHIFT64_STAR  xorshift64* (shifts 12, 25, 27, then times
 *                             2685821657736338717): the store and histogram
 *                             unit tests, seed 1 unless a test reseeds;
 *   TEST_RNG_XORSHIFT64       plain xorshift64 (shifts 13, 7, 17), the state
 *                             itself is the output: the benchmarks (seed
 *                             0x9e3779b97f4a7c15) and test_points' bodies.
 * A zero state would stay zero for ever; test_rng_seed() maps 0 to 1.
 *
 * Header-only and static inline: each test and benchmark is a single
 * translation unit, and functions a file does not call cost nothing.
 */
#ifndef SPIDER_TEST_RNG_H
#define SPIDER_TEST_RNG_H

#include <math.h>
#include <stdint.h>

typedef enum test_rng_kind {
    TEST_RNG_XORSHIFT64_STAR,
    TEST_RNG_XORSHIFT64,
} test_rng_kind_t;

/* A generator: a plain value, e.g. `static test_rng_t rng = {KIND, seed};`. */
typedef struct test_rng {
    test_rng_kind_t kind;
    uint64_t state;
} test_rng_t;

/* Restarts the sequence at `seed` (0 becomes 1, see above). */
static inline void test_rng_seed(test_rng_t *r, uint64_t seed)
{
    r->state = seed ? seed : 1;
}

/* Next 64 random bits. */
static inline uint64_t test_rng_next(test_rng_t *r)
{
    uint64_t x = r->state;

    if (r->kind == TEST_RNG_XORSHIFT64) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        r->state = x;
        return x;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->state = x;
    return x * UINT64_C(2685821657736338717);
}

/* Uniform in (0, 1), never 0 or 1 (safe under log()): the top 53 bits,
 * centred in their interval. */
static inline double test_rng_unit(test_rng_t *r)
{
    return ((double)(test_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

/* Standard normal, Box-Muller (one of the pair; two draws per value). The
 * expression is the one every former copy used, so the draws come out in the
 * same order as before and the sequences match. */
static inline double test_rng_normal(test_rng_t *r)
{
    return sqrt(-2.0 * log(test_rng_unit(r))) * cos(6.283185307179586 * test_rng_unit(r));
}

/* A latency in ms: lognormal, median 20 ms, sigma 1. */
static inline double test_rng_lognormal(test_rng_t *r)
{
    return exp(log(20.0) + test_rng_normal(r));
}

#endif
