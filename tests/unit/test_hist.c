/* test_hist.c - the log-linear histogram (src/store/hist.c).
 *
 * Bucket mapping (monotonic, edges, precision), nearest-rank quantiles
 * against exact sorted quantiles on lognormal, bimodal and uniform data (one
 * second, and 30 minutes of sealed seconds merged, also sub-ranges), the
 * sealed encoding round trip on its edge cases, the open form (O(1) adds,
 * blocks per octave, sealing to the very bytes the sorted entry array it
 * replaced seals to, unsealing, the counter limit), and merging. All data comes
 * from a seeded PRNG, so failures reproduce.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/test_rng.h"
#include "store/hist.h"

/* ---- seeded data -------------------------------------------------------- */

static test_rng_t rng = {TEST_RNG_XORSHIFT64_STAR, 1};

typedef enum dist { DIST_LOGNORMAL, DIST_BIMODAL, DIST_UNIFORM, DIST_COUNT } dist_t;

static const char *const dist_names[DIST_COUNT] = {"lognormal", "bimodal", "uniform"};

/* One duration in ms; `drift` in [0, 1) moves the distribution over time so
 * that merged quantiles differ from any single second's. */
static double draw(dist_t d, double drift)
{
    switch (d) {
    case DIST_LOGNORMAL:
        return exp(log(20.0) + 0.3 * sin(6.283 * drift) + 1.0 * test_rng_normal(&rng));
    case DIST_BIMODAL:
        if (test_rng_unit(&rng) < 0.8)
            return exp(log(2.0) + 0.25 * test_rng_normal(&rng));
        return exp(log(250.0 + 100.0 * drift) + 0.4 * test_rng_normal(&rng));
    default:
        return test_rng_unit(&rng) * (100.0 + 50.0 * drift);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Exact nearest-rank quantile of sorted v[0..n): v[ceil(q n) - 1]. */
static double exact_quantile(const double *v, size_t n, double q)
{
    double r = ceil(q * (double)n);
    size_t i = r < 1.0 ? 0 : (size_t)r - 1;
    return v[i < n ? i : n - 1];
}

static const double qs[] = {0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0};
#define NQ (sizeof qs / sizeof qs[0])

/* Fails unless got is within 1% of want (below bucket 1: within its width). */
static void assert_close(double got, double want, const char *what, double q)
{
    double tol = want < HIST_MIN_MS ? HIST_MIN_MS : 0.01 * want;
    if (fabs(got - want) > tol) {
        fail_msg("%s q=%g: got %.9g, exact %.9g (rel err %.4f%%)", what, q, got, want,
                 100.0 * fabs(got - want) / want);
    }
}

/* The reference: a sorted entry array, built the way the open histogram
 * was before it became two-level (binary search, memmove on insert). */
static void ref_add(uint64_t *e, uint16_t *n, uint32_t b)
{
    uint32_t lo = 0, hi = *n;

    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (HIST_ENTRY_BUCKET(e[mid]) < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < *n && HIST_ENTRY_BUCKET(e[lo]) == b) {
        e[lo]++;
        return;
    }
    memmove(e + lo + 1, e + lo, (size_t)(*n - lo) * sizeof *e);
    e[lo] = HIST_ENTRY(b, 1);
    (*n)++;
}

/* A histogram as tests build it: the open form under test (h, NULL until
 * the first sample) and the reference entry array e[0..n) beside it. */
typedef struct open_hist {
    uint64_t e[HIST_BUCKETS];
    uint16_t n;
    hist_open_t *h;
} open_hist_t;

static void open_reset(open_hist_t *h)
{
    hist_open_free(h->h);
    memset(h, 0, sizeof *h);
}

/* Adds bucket b to both forms; the open form grows a block when refused. */
static void open_add_bucket(open_hist_t *h, uint32_t b)
{
    ref_add(h->e, &h->n, b);
    if (!h->h) {
        h->h = hist_open_new(b);
        assert_int_equal(hist_open_bytes(h->h), HIST_OPEN_HEADER + HIST_OPEN_BLOCK);
    }
    if (hist_open_add(h->h, b, 1) != 0) {
        size_t before = hist_open_bytes(h->h);
        assert_false(hist_open_has(h->h, b));
        h->h = hist_open_grow(h->h, b);
        assert_int_equal(hist_open_bytes(h->h), before + HIST_OPEN_BLOCK);
        assert_int_equal(hist_open_add(h->h, b, 1), 0);
    }
}

static void open_add(open_hist_t *h, double ms)
{
    open_add_bucket(h, hist_bucket(ms));
}

/* Seals the open form into out (malloc'ed) and checks it is byte for byte
 * what the entry array seals to, and that both iterate alike. */
static size_t open_seal(const open_hist_t *h, uint8_t **out)
{
    size_t len = hist_open_seal_size(h->h), ref_len = hist_seal_size(h->e, h->n);
    uint8_t *ref = malloc(ref_len + 1);
    hist_iter_t a, b;
    uint32_t ba, bb;
    uint64_t ca, cb;

    assert_int_equal(len, ref_len);
    *out = malloc(len + 1);
    assert_int_equal(hist_open_seal(h->h, *out), len);
    assert_int_equal(hist_seal(h->e, h->n, ref), len);
    assert_memory_equal(*out, ref, len);
    hist_iter_open(&a, h->h);
    hist_iter_entries(&b, h->e, h->n);
    while (hist_iter_next(&b, &bb, &cb)) {
        assert_int_equal(hist_iter_next(&a, &ba, &ca), 1);
        assert_int_equal(ba, bb);
        assert_int_equal(ca, cb);
    }
    assert_int_equal(hist_iter_next(&a, &ba, &ca), 0);
    free(ref);
    return len;
}

/* ---- bucket mapping ----------------------------------------------------- */

static void test_bucket_edges(void **state)
{
    (void)state;
    assert_int_equal(HIST_BUCKETS, 2689);
    for (uint32_t b = 0; b < HIST_BUCKETS; b++) {
        double lo = hist_bucket_lower(b), hi = hist_bucket_upper(b);
        assert_true(lo < hi);
        if (b + 1 < HIST_BUCKETS)
            assert_true(hi == hist_bucket_lower(b + 1)); /* contiguous, no gaps */
        if (b >= 1) {
            /* Both edges map back; the half-width is at most 1/128 of lo. */
            assert_int_equal(hist_bucket(lo), b);
            assert_int_equal(hist_bucket(nextafter(hi, 0.0)), b);
            assert_true((hi - lo) / 2.0 <= lo / 128.0);
        }
    }
    assert_true(hist_bucket_lower(1) == HIST_MIN_MS);
    assert_true(hist_bucket_upper(HIST_BUCKETS - 1) == HIST_MAX_MS);
}

static void test_bucket_clamps(void **state)
{
    (void)state;
    assert_int_equal(hist_bucket(0.0), 0);
    assert_int_equal(hist_bucket(-5.0), 0);
    assert_int_equal(hist_bucket(NAN), 0);
    assert_int_equal(hist_bucket(1e-300), 0);
    assert_int_equal(hist_bucket(nextafter(HIST_MIN_MS, 0.0)), 0);
    assert_int_equal(hist_bucket(HIST_MIN_MS), 1);
    assert_int_equal(hist_bucket(HIST_MAX_MS), HIST_BUCKETS - 1);
    assert_int_equal(hist_bucket(1e300), HIST_BUCKETS - 1);
    assert_int_equal(hist_bucket(INFINITY), HIST_BUCKETS - 1);
    /* Powers of two start a new group of 64. */
    assert_int_equal(hist_bucket(1.0), 1 + 10 * 64);
    assert_int_equal(hist_bucket(1.5), 1 + 10 * 64 + 32);
}

static void test_bucket_monotonic(void **state)
{
    uint32_t prev = 0;

    (void)state;
    /* A geometric sweep across the whole range and beyond, step 0.01%. */
    for (double v = 1e-7; v < 1e11; v *= 1.0001) {
        uint32_t b = hist_bucket(v);
        assert_true(b >= prev);
        assert_true(b < HIST_BUCKETS);
        if (b > 0 && b < HIST_BUCKETS - 1)
            assert_true(v >= hist_bucket_lower(b) && v < hist_bucket_upper(b));
        prev = b;
    }
    assert_int_equal(prev, HIST_BUCKETS - 1);
}

static void test_rank(void **state)
{
    (void)state;
    assert_int_equal(hist_rank(0.5, 10), 5);
    assert_int_equal(hist_rank(0.51, 10), 6);
    assert_int_equal(hist_rank(0.29, 100), 29); /* 0.29 * 100 = 28.999999999999996 */
    assert_int_equal(hist_rank(0.99, 1000), 990);
    assert_int_equal(hist_rank(0.999, 1000), 999);
    assert_int_equal(hist_rank(0.0, 7), 1);
    assert_int_equal(hist_rank(0.001, 10), 1);
    assert_int_equal(hist_rank(1.0, 7), 7);
    assert_int_equal(hist_rank(0.5, 1), 1);
    assert_int_equal(hist_rank(0.9, 1800000), 1620000);
}

/* ---- quantiles ---------------------------------------------------------- */

static void test_quantiles_one_second(void **state)
{
    static open_hist_t h;
    static double v[1000];
    double got_open[NQ], got_sealed[NQ], got_acc[NQ], got_entries[NQ];
    uint8_t *sealed;
    hist_acc_t *acc = hist_acc_new();

    (void)state;
    for (int d = 0; d < DIST_COUNT; d++) {
        size_t n = sizeof v / sizeof v[0], len;
        hist_iter_t it;
        test_rng_seed(&rng, 100 + (uint64_t)d);
        open_reset(&h);
        for (size_t i = 0; i < n; i++) {
            v[i] = draw((dist_t)d, 0.0);
            open_add(&h, v[i]);
        }
        qsort(v, n, sizeof v[0], cmp_double);

        hist_iter_open(&it, h.h);
        hist_iter_quantiles(&it, n, v[0], v[n - 1], qs, NQ, got_open);
        hist_iter_entries(&it, h.e, h.n);
        hist_iter_quantiles(&it, n, v[0], v[n - 1], qs, NQ, got_entries);
        len = open_seal(&h, &sealed);
        hist_iter_sealed(&it, sealed, len);
        hist_iter_quantiles(&it, n, v[0], v[n - 1], qs, NQ, got_sealed);
        hist_acc_clear(acc);
        hist_iter_sealed(&it, sealed, len);
        hist_acc_add_iter(acc, &it);
        hist_acc_quantiles(acc, v[0], v[n - 1], qs, NQ, got_acc);

        for (size_t k = 0; k < NQ; k++) {
            double want = exact_quantile(v, n, qs[k]);
            assert_close(got_open[k], want, dist_names[d], qs[k]);
            assert_true(got_sealed[k] == got_open[k]);
            assert_true(got_acc[k] == got_open[k]);
            assert_true(got_entries[k] == got_open[k]);
        }
        free(sealed);
        /* The extremes are exact, not bucket midpoints. */
        assert_true(got_open[0] == v[0]);
        assert_true(got_open[NQ - 1] == v[n - 1]);
    }
    open_reset(&h);
    hist_acc_free(acc);
}

/* Checks merged quantiles of seconds [lo, hi) against the exact ones. */
static void check_range(uint8_t **sec_bytes, const size_t *sec_len, double *const *sec_vals,
                        size_t per_sec, size_t lo, size_t hi, hist_acc_t *acc, const char *what)
{
    size_t n = (hi - lo) * per_sec;
    double *all = malloc(n * sizeof *all), got[NQ];

    hist_acc_clear(acc);
    for (size_t s = lo; s < hi; s++) {
        hist_iter_t it;
        hist_iter_sealed(&it, sec_bytes[s], sec_len[s]);
        hist_acc_add_iter(acc, &it);
        memcpy(all + (s - lo) * per_sec, sec_vals[s], per_sec * sizeof *all);
    }
    assert_int_equal(hist_acc_total(acc), n);
    qsort(all, n, sizeof *all, cmp_double);
    hist_acc_quantiles(acc, all[0], all[n - 1], qs, NQ, got);
    for (size_t k = 0; k < NQ; k++)
        assert_close(got[k], exact_quantile(all, n, qs[k]), what, qs[k]);
    free(all);
}

static void test_quantiles_30min_merged(void **state)
{
    enum { SECONDS = 1800 };
    static open_hist_t h;
    uint8_t *bytes[SECONDS];
    size_t len[SECONDS];
    double *vals[SECONDS];
    hist_acc_t *acc = hist_acc_new();

    (void)state;
    for (int d = 0; d < DIST_COUNT; d++) {
        size_t per_sec = d == DIST_LOGNORMAL ? 1000 : 300;
        test_rng_seed(&rng, 7 + (uint64_t)d);
        for (size_t s = 0; s < SECONDS; s++) {
            open_reset(&h);
            vals[s] = malloc(per_sec * sizeof(double));
            for (size_t i = 0; i < per_sec; i++) {
                vals[s][i] = draw((dist_t)d, (double)s / SECONDS);
                open_add(&h, vals[s][i]);
            }
            len[s] = open_seal(&h, &bytes[s]);
        }
        check_range(bytes, len, vals, per_sec, 0, SECONDS, acc, dist_names[d]);
        check_range(bytes, len, vals, per_sec, 100, 400, acc, dist_names[d]);
        check_range(bytes, len, vals, per_sec, 1799, 1800, acc, dist_names[d]);
        for (size_t s = 0; s < SECONDS; s++) {
            free(bytes[s]);
            free(vals[s]);
        }
    }
    open_reset(&h);
    hist_acc_free(acc);
}

static void test_quantiles_degenerate(void **state)
{
    static open_hist_t h;
    double got[NQ];
    hist_iter_t it;

    (void)state;
    /* All zeros: every quantile is 0 (clamped into [min, max]). */
    open_reset(&h);
    for (int i = 0; i < 50; i++)
        open_add(&h, 0.0);
    hist_iter_open(&it, h.h);
    hist_iter_quantiles(&it, 50, 0.0, 0.0, qs, NQ, got);
    for (size_t k = 0; k < NQ; k++)
        assert_true(got[k] == 0.0);
    /* One value: every quantile is that value, exactly. */
    open_reset(&h);
    open_add(&h, 12.345);
    hist_iter_open(&it, h.h);
    hist_iter_quantiles(&it, 1, 12.345, 12.345, qs, NQ, got);
    for (size_t k = 0; k < NQ; k++)
        assert_true(got[k] == 12.345);
    /* Nothing: zeros. */
    hist_iter_entries(&it, h.e, 0);
    hist_iter_quantiles(&it, 0, 0.0, 0.0, qs, NQ, got);
    assert_true(got[5] == 0.0);
    /* A clamped huge value keeps its exact max. */
    open_reset(&h);
    open_add(&h, 1.0);
    open_add(&h, 1e12);
    hist_iter_open(&it, h.h);
    hist_iter_quantiles(&it, 2, 1.0, 1e12, qs, NQ, got);
    assert_true(got[NQ - 1] == 1e12);
    assert_true(got[0] == 1.0);
    open_reset(&h);
}

/* ---- encodings ---------------------------------------------------------- */

static void check_roundtrip(const uint64_t *e, size_t n)
{
    size_t len = hist_seal_size(e, n);
    uint8_t *p = malloc(len ? len : 1);
    uint64_t *back = malloc((n ? n : 1) * sizeof *back);
    hist_iter_t it;
    uint32_t b;
    uint64_t c;
    size_t k = 0;

    assert_int_equal(hist_seal(e, n, p), len);
    assert_true(len <= n * HIST_SEAL_MAX_ENTRY);
    assert_int_equal(hist_sealed_entries(p, len), n);
    assert_int_equal(hist_unseal(p, len, back), n);
    assert_memory_equal(back, e, n * sizeof *e);
    hist_iter_sealed(&it, p, len);
    while (hist_iter_next(&it, &b, &c)) {
        assert_true(k < n);
        assert_int_equal(b, HIST_ENTRY_BUCKET(e[k]));
        assert_int_equal(c, HIST_ENTRY_COUNT(e[k]));
        k++;
    }
    assert_int_equal(k, n);
    free(p);
    free(back);
}

static void test_seal_roundtrip_edges(void **state)
{
    /* Every token form: short (gap < 8, count < 16), gap 7/8, 126/127/128,
     * counts 15/16/127/128 and huge, first and last bucket. */
    const uint64_t e[] = {
        HIST_ENTRY(0, 1),
        HIST_ENTRY(7, 15),
        HIST_ENTRY(15, 16),
        HIST_ENTRY(16, 127),
        HIST_ENTRY(17, 128),
        HIST_ENTRY(144, 1),
        HIST_ENTRY(272, 3),
        HIST_ENTRY(401, 1),
        HIST_ENTRY(402, UINT64_C(1) << 40),
        HIST_ENTRY(2000, 2),
        HIST_ENTRY(HIST_BUCKETS - 1, HIST_ENTRY_COUNT_MASK),
    };
    uint8_t one;

    (void)state;
    check_roundtrip(e, sizeof e / sizeof e[0]);
    check_roundtrip(e, 0);
    /* The common case is one byte per entry. */
    assert_int_equal(hist_seal(e, 1, &one), 1);
}

static void test_seal_roundtrip_random(void **state)
{
    static uint64_t e[HIST_BUCKETS];

    (void)state;
    test_rng_seed(&rng, 42);
    for (int round = 0; round < 500; round++) {
        size_t n = 0;
        uint32_t b = (uint32_t)(test_rng_next(&rng) % 300);
        while (b < HIST_BUCKETS) {
            uint64_t c =
                1 + test_rng_next(&rng) % (round % 3 == 0 ? 20 : (UINT64_C(1) << (round % 50)));
            e[n++] = HIST_ENTRY(b, c);
            b += 1 + (uint32_t)(test_rng_next(&rng) % (round % 2 ? 4 : 200));
        }
        check_roundtrip(e, n);
    }
}

static void test_seal_is_compact(void **state)
{
    static open_hist_t h;

    (void)state;
    test_rng_seed(&rng, 5);
    open_reset(&h);
    for (int i = 0; i < 1000; i++)
        open_add(&h, draw(DIST_LOGNORMAL, 0.0));
    /* About one byte per non-empty bucket on latency data. */
    assert_true(hist_open_seal_size(h.h) <= (size_t)h.n + h.n / 8 + 4);
    open_reset(&h);
}

/* Walks an open histogram into entries; returns how many. */
static size_t open_entries(const hist_open_t *h, uint64_t *e)
{
    hist_iter_t it;
    uint32_t b;
    uint64_t c;
    size_t n = 0;

    hist_iter_open(&it, h);
    while (hist_iter_next(&it, &b, &c))
        e[n++] = HIST_ENTRY(b, c);
    return n;
}

static void test_open_add(void **state)
{
    hist_open_t *h = hist_open_new(hist_bucket(10.0));
    const uint32_t top = HIST_BUCKETS - 1;
    const uint32_t b10 = hist_bucket(10.0), b12 = hist_bucket(12.0);
    uint64_t e[8];

    (void)state;
    assert_int_equal(hist_open_bytes(h), HIST_OPEN_HEADER + HIST_OPEN_BLOCK);
    assert_int_equal(hist_open_bytes_for(0), HIST_OPEN_HEADER);
    /* 10 and 12 ms share the octave [8, 16): no growth for either. */
    assert_true(hist_open_has(h, b10) && hist_open_has(h, b12));
    assert_int_equal(hist_open_add(h, b12, 1), 0);
    assert_int_equal(hist_open_add(h, b10, 1), 0);
    assert_int_equal(hist_open_add(h, b12, 1), 0);
    /* Bucket 0, the top bucket, 100 ms: octaves without a block: refused,
     * nothing changed. */
    assert_false(hist_open_has(h, 0));
    assert_int_equal(hist_open_add(h, 0, 1), -1);
    assert_int_equal(hist_open_add(h, top, 1), -1);
    assert_int_equal(hist_open_add(h, hist_bucket(100.0), 1), -1);
    assert_int_equal(open_entries(h, e), 2);
    assert_true(e[0] == HIST_ENTRY(b10, 1) && e[1] == HIST_ENTRY(b12, 2));
    /* Blocks come in arrival order (top, then 0); buckets still iterate in
     * ascending order. */
    h = hist_open_grow(h, top);
    assert_int_equal(hist_open_add(h, top, 1), 0);
    h = hist_open_grow(h, 0);
    assert_int_equal(hist_open_add(h, 0, 1), 0);
    assert_int_equal(hist_open_add(h, 0, 1), 0);
    assert_int_equal(hist_open_bytes(h), HIST_OPEN_HEADER + 3 * HIST_OPEN_BLOCK);
    assert_int_equal(open_entries(h, e), 4);
    assert_true(e[0] == HIST_ENTRY(0, 2) && e[1] == HIST_ENTRY(b10, 1) &&
                e[2] == HIST_ENTRY(b12, 2) && e[3] == HIST_ENTRY(top, 1));
    /* Bucket 1 and 64 are octave 1's edges, 65 starts octave 2. */
    assert_int_equal(hist_open_add(h, 1, 1), -1);
    h = hist_open_grow(h, 1);
    assert_true(hist_open_has(h, 64));
    assert_false(hist_open_has(h, 65));
    hist_open_free(h);
}

/* Sealing the open form gives the bytes of the sorted array, on random
 * buckets over the whole range (bucket 0 and the top included) with counts
 * that need every token form, and on the HTTP ingest shape. */
static void test_open_seal_identical(void **state)
{
    static open_hist_t h;
    uint8_t *p;

    (void)state;
    test_rng_seed(&rng, 77);
    for (int round = 0; round < 200; round++) {
        int adds = 1 + (int)(test_rng_next(&rng) % (round % 4 == 0 ? 5 : 3000));
        open_reset(&h);
        for (int i = 0; i < adds; i++) {
            uint64_t r = test_rng_next(&rng);
            uint32_t b = (uint32_t)(r % HIST_BUCKETS);
            if (round % 3 == 0)
                b = (uint32_t)(r % 7) * 448; /* few buckets, big counts and gaps */
            if (r % 97 == 0)
                b = r % 2 ? 0 : HIST_BUCKETS - 1;
            open_add_bucket(&h, b);
        }
        open_seal(&h, &p);
        free(p);
    }
    /* 26,000 samples uniform in [1, 101) ms: one HTTP batch of one series. */
    open_reset(&h);
    for (int i = 0; i < 26000; i++)
        open_add(&h, 1.0 + 100.0 * test_rng_unit(&rng));
    assert_true(h.n > 400);
    assert_int_equal(hist_open_bytes(h.h), HIST_OPEN_HEADER + 7 * HIST_OPEN_BLOCK);
    open_seal(&h, &p);
    free(p);
    open_reset(&h);
}

/* Unsealing gives back the same counts, with the octave of the bucket about
 * to be added, and seals again to the same bytes. */
static void test_open_unseal(void **state)
{
    static open_hist_t h;
    static uint64_t e[HIST_BUCKETS];
    static const uint8_t none[1];
    uint8_t *p, *again;
    const uint32_t late = HIST_BUCKETS - 1; /* an octave the data has not */

    (void)state;
    test_rng_seed(&rng, 3);
    open_reset(&h);
    for (int i = 0; i < 5000; i++)
        open_add(&h, draw(DIST_BIMODAL, 0.3));
    size_t len = open_seal(&h, &p);
    uint32_t blocks = hist_open_unseal_blocks(p, len, late);
    assert_int_equal(hist_open_bytes_for(blocks), hist_open_bytes(h.h) + HIST_OPEN_BLOCK);
    assert_int_equal(hist_open_unseal_blocks(p, len, HIST_ENTRY_BUCKET(h.e[0])), blocks - 1);

    hist_open_t *u = hist_open_unseal(p, len, late);
    assert_int_equal(hist_open_bytes(u), hist_open_bytes_for(blocks));
    assert_int_equal(open_entries(u, e), h.n);
    assert_memory_equal(e, h.e, h.n * sizeof e[0]);
    assert_int_equal(hist_open_seal_size(u), len);
    again = malloc(len);
    assert_int_equal(hist_open_seal(u, again), len);
    assert_memory_equal(again, p, len);
    /* The late bucket's block is there: the add cannot be refused. */
    assert_int_equal(hist_open_add(u, late, 1), 0);
    hist_open_free(u);
    free(again);
    free(p);

    /* An empty sealed string unseals to just the requested block. */
    u = hist_open_unseal(none, 0, 5);
    assert_int_equal(hist_open_bytes(u), HIST_OPEN_HEADER + HIST_OPEN_BLOCK);
    assert_int_equal(open_entries(u, e), 0);
    hist_open_free(u);
    open_reset(&h);
}

/* A uint32 counter at its limit refuses the sample instead of wrapping. */
static void test_open_counter_limit(void **state)
{
    const uint64_t e[] = {HIST_ENTRY(5, UINT32_MAX), HIST_ENTRY(6, 1)};
    uint8_t p[2 * HIST_SEAL_MAX_ENTRY];
    uint64_t back[4];
    size_t len = hist_seal(e, 2, p);
    hist_open_t *h = hist_open_unseal(p, len, 5);

    (void)state;
    assert_int_equal(hist_open_add(h, 5, 1), -1);
    assert_int_equal(hist_open_add(h, 6, 1), 0);
    assert_int_equal(open_entries(h, back), 2);
    assert_true(back[0] == HIST_ENTRY(5, UINT32_MAX) && back[1] == HIST_ENTRY(6, 2));
    /* A weighted add (StatsD sample rates) that would pass the top is refused whole. */
    assert_int_equal(hist_open_add(h, 6, UINT32_MAX - 2), 0);
    assert_int_equal(hist_open_add(h, 6, 1), -1);
    assert_int_equal(open_entries(h, back), 2);
    assert_true(back[1] == HIST_ENTRY(6, UINT32_MAX));
    hist_open_free(h);
}

/* ---- merging ------------------------------------------------------------ */

static void test_merge(void **state)
{
    static open_hist_t a, b, both;
    static double v[3000];
    hist_acc_t *merged = hist_acc_new(), *single = hist_acc_new();
    double gm[NQ], gs[NQ];
    hist_iter_t it;
    size_t n = 0;

    (void)state;
    test_rng_seed(&rng, 9);
    open_reset(&a);
    open_reset(&b);
    open_reset(&both);
    for (int i = 0; i < 1000; i++) {
        v[n] = draw(DIST_LOGNORMAL, 0.0);
        open_add(&a, v[n]);
        open_add(&both, v[n++]);
    }
    for (int i = 0; i < 2000; i++) {
        v[n] = draw(DIST_BIMODAL, 0.5);
        open_add(&b, v[n]);
        open_add(&both, v[n++]);
    }
    qsort(v, n, sizeof v[0], cmp_double);

    /* Adding counts per bucket is exactly the histogram of the union. */
    hist_iter_open(&it, a.h);
    hist_acc_add_iter(merged, &it);
    hist_iter_open(&it, b.h);
    hist_acc_add_iter(merged, &it);
    hist_iter_open(&it, both.h);
    hist_acc_add_iter(single, &it);
    assert_int_equal(hist_acc_total(merged), n);
    hist_acc_quantiles(merged, v[0], v[n - 1], qs, NQ, gm);
    hist_acc_quantiles(single, v[0], v[n - 1], qs, NQ, gs);
    for (size_t k = 0; k < NQ; k++) {
        assert_true(gm[k] == gs[k]);
        assert_close(gm[k], exact_quantile(v, n, qs[k]), "merge", qs[k]);
    }

    /* Clearing forgets everything; single-bucket adds work too. */
    hist_acc_clear(merged);
    assert_int_equal(hist_acc_total(merged), 0);
    hist_acc_add(merged, hist_bucket(3.0), 4);
    hist_acc_quantiles(merged, 3.0, 3.0, qs, NQ, gm);
    assert_true(gm[5] == 3.0);
    assert_int_equal(hist_acc_total(merged), 4);
    assert_true(hist_acc_bytes() >= HIST_BUCKETS * sizeof(uint64_t));
    hist_acc_free(merged);
    hist_acc_free(single);
    open_reset(&a);
    open_reset(&b);
    open_reset(&both);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_edges),
        cmocka_unit_test(test_bucket_clamps),
        cmocka_unit_test(test_bucket_monotonic),
        cmocka_unit_test(test_rank),
        cmocka_unit_test(test_quantiles_one_second),
        cmocka_unit_test(test_quantiles_30min_merged),
        cmocka_unit_test(test_quantiles_degenerate),
        cmocka_unit_test(test_seal_roundtrip_edges),
        cmocka_unit_test(test_seal_roundtrip_random),
        cmocka_unit_test(test_seal_is_compact),
        cmocka_unit_test(test_open_add),
        cmocka_unit_test(test_open_seal_identical),
        cmocka_unit_test(test_open_unseal),
        cmocka_unit_test(test_open_counter_limit),
        cmocka_unit_test(test_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
