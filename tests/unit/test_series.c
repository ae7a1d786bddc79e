/* test_series.c - one series' seconds (src/store/series.c), without a store.
 *
 * Exact per-second aggregates with out-of-order seconds, the raw reservoir
 * (bound, always the max, roughly uniform), sealing and late samples,
 * expiry giving every byte back, and refusals when the budget says no
 * (including the octave block an open histogram grows by). The
 * budget here is a test double that counts bytes per kind against a limit.
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
#include "store/harena.h"
#include "store/series.h"

/* ---- test budget -------------------------------------------------------- */

typedef struct budget {
    size_t kind[SERIES_MEM_KINDS];
    size_t total, limit;
} budget_t;

static int budget_reserve(void *ctx, series_mem_kind_t kind, size_t n, int64_t sec)
{
    budget_t *b = ctx;
    (void)sec;
    if (b->total + n > b->limit)
        return 0;
    b->total += n;
    b->kind[kind] += n;
    return 1;
}

static void budget_release(void *ctx, series_mem_kind_t kind, size_t n, int64_t sec)
{
    budget_t *b = ctx;
    (void)sec;
    assert_true(b->kind[kind] >= n); /* never gives back more than it took */
    b->total -= n;
    b->kind[kind] -= n;
}

typedef struct fixture {
    budget_t budget;
    series_env_t env;
    series_t *se;
    hist_acc_t *acc;
} fixture_t;

static fixture_t *fixture_new(uint32_t raw_limit)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->budget.limit = SIZE_MAX / 2;
    f->env.reserve = budget_reserve;
    f->env.release = budget_release;
    f->env.ctx = &f->budget;
    f->env.rng = 12345;
    f->env.raw_limit = raw_limit;
    f->env.raw_floor_sec = INT64_MIN;
    f->budget.total = f->budget.kind[SERIES_MEM_FIXED] = series_new_bytes(4, 0);
    f->se = series_new(slice_cstr("test"), 99, 1861, 0);
    f->acc = hist_acc_new();
    return f;
}

static void fixture_free(fixture_t *f)
{
    series_free(f->se, &f->env);
    assert_int_equal(f->budget.total, 0); /* every accounted byte came back */
    hist_acc_free(f->acc);
    free(f);
}

static test_rng_t rng = {TEST_RNG_XORSHIFT64_STAR, 1};

#define T0 1764160000LL /* a unix second */

/* ---- collectors --------------------------------------------------------- */

typedef struct seconds {
    size_t n;
    series_second_t row[256];
} seconds_t;

static void collect_second(void *ctx, const series_second_t *sec)
{
    seconds_t *s = ctx;
    assert_true(s->n < 256);
    s->row[s->n++] = *sec;
}

typedef struct raws {
    size_t n;
    int64_t ts[70000];
    double ms[70000];
} raws_t;

static void collect_raw(void *ctx, int64_t ts_ms, double ms)
{
    raws_t *r = ctx;
    assert_true(r->n < 70000);
    r->ts[r->n] = ts_ms;
    r->ms[r->n++] = ms;
}

/* ---- aggregates --------------------------------------------------------- */

static void test_exact_aggregates(void **state)
{
    enum { NSEC = 20, PER = 500 };
    fixture_t *f = fixture_new(100);
    static double vals[NSEC][PER];
    static seconds_t got;
    series_summary_t sum;
    double all_sum = 0, all_min = INFINITY, all_max = 0;

    (void)state;
    test_rng_seed(&rng, 3);
    /* Seconds interleaved and in reverse: every sample finds its second. */
    for (int i = 0; i < PER; i++) {
        for (int s = NSEC - 1; s >= 0; s--) {
            double v = test_rng_lognormal(&rng);
            vals[s][i] = v;
            assert_int_equal(series_record(f->se, &f->env, (T0 + s) * 1000 + i % 1000, v, 1),
                             STORE_OK);
        }
    }
    memset(&got, 0, sizeof got);
    series_seconds(f->se, T0, T0 + NSEC, collect_second, &got);
    assert_int_equal(got.n, NSEC);
    for (int s = 0; s < NSEC; s++) {
        double sm = 0, mn = INFINITY, mx = 0;
        for (int i = 0; i < PER; i++) {
            sm += vals[s][i];
            mn = fmin(mn, vals[s][i]);
            mx = fmax(mx, vals[s][i]);
        }
        assert_int_equal(got.row[s].start_ms, (T0 + s) * 1000);
        assert_int_equal(got.row[s].count, PER);
        assert_true(fabs(got.row[s].sum - sm) <= 1e-9 * sm);
        assert_true(got.row[s].min == mn); /* exact, as recorded */
        assert_true(got.row[s].max == mx);
        assert_true(got.row[s].p50 >= mn && got.row[s].p99 <= mx);
        assert_true(got.row[s].p50 <= got.row[s].p90 && got.row[s].p90 <= got.row[s].p99);
        all_sum += sm;
        all_min = fmin(all_min, mn);
        all_max = fmax(all_max, mx);
    }
    series_stats(f->se, T0, T0 + NSEC, f->acc, &sum);
    assert_int_equal(sum.count, NSEC * PER);
    assert_true(fabs(sum.sum - all_sum) <= 1e-9 * all_sum);
    assert_true(sum.min == all_min && sum.max == all_max);
    /* A sub-range selects exactly its seconds. */
    series_stats(f->se, T0 + 5, T0 + 8, f->acc, &sum);
    assert_int_equal(sum.count, 3 * PER);
    series_stats(f->se, T0 + NSEC, T0 + NSEC + 5, f->acc, &sum);
    assert_int_equal(sum.count, 0);
    assert_true(sum.p50 == 0.0 && sum.max == 0.0);
    fixture_free(f);
}

static void test_out_of_order_seconds(void **state)
{
    enum { NSEC = 200 };
    fixture_t *f = fixture_new(10);
    int order[NSEC];
    static seconds_t got;

    (void)state;
    test_rng_seed(&rng, 11);
    for (int i = 0; i < NSEC; i++)
        order[i] = i;
    for (int i = NSEC - 1; i > 0; i--) {
        int j = (int)(test_rng_next(&rng) % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < NSEC; i++)
        for (int k = 0; k <= order[i] % 3; k++)
            series_record(f->se, &f->env, (T0 + order[i]) * 1000 + 1, 1.0 + order[i], 1);
    assert_int_equal(series_nseconds(f->se), NSEC);
    assert_int_equal(series_first_sec(f->se), T0);
    memset(&got, 0, sizeof got);
    series_seconds(f->se, INT64_MIN, INT64_MAX, collect_second, &got);
    assert_int_equal(got.n, NSEC);
    for (int s = 0; s < NSEC; s++) {
        assert_int_equal(got.row[s].start_ms, (T0 + s) * 1000); /* ascending, no gaps */
        assert_int_equal(got.row[s].count, 1 + s % 3);
        assert_true(got.row[s].max == 1.0 + s);
    }
    fixture_free(f);
}

/* ---- raw reservoir ------------------------------------------------------ */

static void test_reservoir_bound_and_max(void **state)
{
    static raws_t r;
    const uint32_t limits[] = {100, 7, 1, 0};

    (void)state;
    for (size_t li = 0; li < sizeof limits / sizeof limits[0]; li++) {
        fixture_t *f = fixture_new(limits[li]);
        test_rng_seed(&rng, 21 + li);
        for (int s = 0; s < 30; s++) {
            double mx = 0;
            /* Half the seconds get fewer samples than the limit. */
            int per = s % 2 ? 1000 : (int)limits[li] / 2;
            for (int i = 0; i < per; i++) {
                double v = test_rng_lognormal(&rng);
                mx = fmax(mx, v);
                series_record(f->se, &f->env, (T0 + s) * 1000 + (i * 7) % 1000, v, 1);
            }
            memset(&r, 0, sizeof r);
            series_foreach_raw(f->se, (T0 + s) * 1000, (T0 + s + 1) * 1000, collect_raw, &r);
            if (per == 0) {
                assert_int_equal(r.n, 0);
                continue;
            }
            assert_int_equal(r.n, (size_t)per < limits[li] ? (size_t)per : limits[li]);
            if (limits[li] == 0)
                continue;
            /* The second's max is always among the kept points. */
            double kept_max = 0;
            for (size_t k = 0; k < r.n; k++) {
                kept_max = fmax(kept_max, r.ms[k]);
                assert_true(r.ts[k] >= (T0 + s) * 1000 && r.ts[k] < (T0 + s + 1) * 1000);
            }
            assert_true(kept_max == (double)(float)mx);
        }
        assert_true(f->budget.kind[SERIES_MEM_RAW] <= 30u * limits[li] * SERIES_RAW_BYTES);
        fixture_free(f);
    }
}

static void test_reservoir_uniform(void **state)
{
    enum { NSEC = 400, PER = 1000 };
    fixture_t *f = fixture_new(100);
    static raws_t r;
    size_t by_arrival[10] = {0}, by_value[10] = {0}, total = 0;

    (void)state;
    test_rng_seed(&rng, 77);
    for (int s = 0; s < NSEC; s++) {
        /* Sample i arrives i-th, at offset i ms, with a value from a random
         * permutation of 0..999 (so the max arrives anywhere). */
        int perm[PER];
        for (int i = 0; i < PER; i++)
            perm[i] = i;
        for (int i = PER - 1; i > 0; i--) {
            int j = (int)(test_rng_next(&rng) % (uint64_t)(i + 1)), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        for (int i = 0; i < PER; i++)
            series_record(f->se, &f->env, (T0 + s) * 1000 + i, (double)perm[i], 1);
    }
    memset(&r, 0, sizeof r);
    series_foreach_raw(f->se, INT64_MIN, INT64_MAX, collect_raw, &r);
    assert_int_equal(r.n, NSEC * 100);
    for (size_t k = 0; k < r.n; k++) {
        if (r.ms[k] == PER - 1)
            continue; /* the max is kept on purpose, not by chance */
        by_arrival[(r.ts[k] % 1000) / 100]++;
        by_value[(size_t)r.ms[k] / 100]++;
        total++;
    }
    assert_int_equal(total, NSEC * 99);
    /* Each tenth of the stream gets a tenth of the sample, within 10%. */
    for (int d = 0; d < 10; d++) {
        double share = (double)by_arrival[d] / (double)total;
        double vshare = (double)by_value[d] / (double)total;
        if (fabs(share - 0.1) > 0.01 || fabs(vshare - 0.1) > 0.01)
            fail_msg("decile %d: arrival share %.4f, value share %.4f", d, share, vshare);
    }
    fixture_free(f);
}

/* ---- sealing, late samples, expiry -------------------------------------- */

static void test_seal_and_late_sample(void **state)
{
    fixture_t *f = fixture_new(100);
    static seconds_t got;
    size_t hist_open, hist_sealed;

    (void)state;
    test_rng_seed(&rng, 5);
    for (int i = 0; i < 1000; i++)
        series_record(f->se, &f->env, T0 * 1000 + i, test_rng_lognormal(&rng), 1);
    memset(&got, 0, sizeof got);
    series_seconds(f->se, T0, T0 + 1, collect_second, &got);
    series_second_t before = got.row[0];
    hist_open = f->budget.kind[SERIES_MEM_HIST];

    /* Sealing shrinks the histogram and trims the reservoir; answers stay. */
    series_seal(f->se, &f->env, T0 + 1);
    hist_sealed = f->budget.kind[SERIES_MEM_HIST];
    assert_true(hist_sealed < hist_open / 4);
    assert_int_equal(f->budget.kind[SERIES_MEM_RAW], 100 * SERIES_RAW_BYTES);
    memset(&got, 0, sizeof got);
    series_seconds(f->se, T0, T0 + 1, collect_second, &got);
    assert_memory_equal(&got.row[0], &before, sizeof before);

    /* A second not yet closed is left open. */
    series_record(f->se, &f->env, (T0 + 1) * 1000, 5.0, 1);
    series_seal(f->se, &f->env, T0 + 1);
    assert_true(f->budget.kind[SERIES_MEM_HIST] > hist_sealed);

    /* A late sample reopens a sealed second and is counted. */
    assert_int_equal(series_record(f->se, &f->env, T0 * 1000 + 999, 1e6, 1), STORE_OK);
    memset(&got, 0, sizeof got);
    series_seconds(f->se, T0, T0 + 1, collect_second, &got);
    assert_int_equal(got.row[0].count, 1001);
    assert_true(got.row[0].max == 1e6);
    assert_true(got.row[0].sum == before.sum + 1e6);
    series_seal(f->se, &f->env, T0 + 2);
    memset(&got, 0, sizeof got);
    series_seconds(f->se, T0, T0 + 2, collect_second, &got);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.row[0].count, 1001);
    assert_true(got.row[0].p50 == before.p50 || fabs(got.row[0].p50 / before.p50 - 1) < 0.02);
    fixture_free(f);
}

static void test_expire_gives_memory_back(void **state)
{
    fixture_t *f = fixture_new(50);
    size_t empty_total = f->budget.total;

    (void)state;
    test_rng_seed(&rng, 8);
    for (int s = 0; s < 100; s++) {
        for (int i = 0; i < 200; i++)
            series_record(f->se, &f->env, (T0 + s) * 1000 + i, test_rng_lognormal(&rng), 1);
        series_seal(f->se, &f->env, T0 + s);
    }
    size_t full = f->budget.total;
    series_expire(f->se, &f->env, T0 + 50);
    assert_int_equal(series_nseconds(f->se), 50);
    assert_int_equal(series_first_sec(f->se), T0 + 50);
    assert_true(f->budget.total < full);
    series_expire(f->se, &f->env, T0 + 50); /* idempotent */
    assert_int_equal(series_nseconds(f->se), 50);
    series_expire(f->se, &f->env, T0 + 1000);
    assert_true(series_is_empty(f->se));
    assert_int_equal(f->budget.kind[SERIES_MEM_HIST], 0);
    assert_int_equal(f->budget.kind[SERIES_MEM_RAW], 0);
    /* Containers shrink back to their minimum. */
    assert_true(f->budget.total <= empty_total + 4 * 64 + 4 * sizeof(int64_t));
    fixture_free(f);
}

/* series_expire() skips its work when nothing can be older than the second
 * it expired to last; a second recorded below that afterwards (the store
 * never does: it refuses such a sample) must still expire. */
static void test_expire_after_an_older_second(void **state)
{
    fixture_t *f = fixture_new(10);

    (void)state;
    for (int s = 0; s < 10; s++)
        assert_int_equal(series_record(f->se, &f->env, (T0 + 100 + s) * 1000, 1.0, 1), STORE_OK);
    series_expire(f->se, &f->env, T0 + 105);
    assert_int_equal(series_nseconds(f->se), 5);
    series_expire(f->se, &f->env, T0 + 103); /* behind the last expiry: nothing */
    assert_int_equal(series_nseconds(f->se), 5);
    assert_int_equal(series_record(f->se, &f->env, (T0 + 50) * 1000, 2.0, 1), STORE_OK);
    assert_int_equal(series_first_sec(f->se), T0 + 50);
    series_expire(f->se, &f->env, T0 + 60);
    assert_int_equal(series_nseconds(f->se), 5);
    assert_int_equal(series_first_sec(f->se), T0 + 105);
    series_expire(f->se, &f->env, T0 + 108);
    assert_int_equal(series_nseconds(f->se), 2);
    fixture_free(f);
}

static void test_budget_refusals(void **state)
{
    fixture_t *f = fixture_new(100);
    static seconds_t got;

    (void)state;
    for (int i = 0; i < 20; i++)
        series_record(f->se, &f->env, T0 * 1000 + i, 10.0, 1);
    /* Freeze the budget where it is. */
    f->budget.limit = f->budget.total;
    uint64_t dropped = f->env.raw_dropped;

    /* A new second needs memory: refused, and nothing changed. */
    assert_int_equal(series_record(f->se, &f->env, (T0 + 1) * 1000, 10.0, 1), STORE_REJECT_MEMORY);
    assert_int_equal(series_nseconds(f->se), 1);
    /* Same bucket, same second: no new aggregate memory, accepted; the raw
     * point finds no room to grow and is sampled in place. */
    for (int i = 0; i < 100; i++)
        assert_int_equal(series_record(f->se, &f->env, T0 * 1000 + 500, 10.0, 1), STORE_OK);
    assert_true(f->env.raw_dropped > dropped);
    /* New buckets fill the open histogram's spare room, then are refused. */
    int refused = 0;
    for (int i = 1; i < 100 && !refused; i++)
        refused = series_record(f->se, &f->env, T0 * 1000, 10.0 * (1 + i), 1) != STORE_OK;
    assert_true(refused);
    assert_true(f->budget.total <= f->budget.limit);
    memset(&got, 0, sizeof got);
    series_seconds(f->se, T0, T0 + 2, collect_second, &got);
    assert_int_equal(got.n, 1);
    /* Every accepted sample is counted; none of the refused ones. */
    assert_true(got.row[0].count >= 120 && got.row[0].count < 220);
    assert_true(got.row[0].max < 10.0 * 101);
    fixture_free(f);
}

/* Rows of series_buckets(), to compare a second before and after. */
typedef struct bucket_rows {
    size_t n;
    double lower[64];
    uint64_t count[64];
} bucket_rows_t;

static void collect_bucket_row(void *ctx, double lower_ms, double upper_ms, uint64_t count)
{
    bucket_rows_t *r = ctx;
    (void)upper_ms;
    assert_true(r->n < 64);
    r->lower[r->n] = lower_ms;
    r->count[r->n++] = count;
}

/* The open histogram grows by one 256-byte block per octave, each asked
 * from the budget: a refusal rejects the sample and changes nothing; the
 * accounting is exact while open, sealed, reopened, and back to 0 after
 * expiry (also of a second still open). */
static void test_open_block_budget(void **state)
{
    fixture_t *f = fixture_new(0); /* no raw points: only aggregates need memory */
    static seconds_t before, after;
    static bucket_rows_t rb, ra;
    const size_t hist0 = f->budget.kind[SERIES_MEM_HIST];
    hist_open_t *ref = hist_open_new(hist_bucket(10.0));
    size_t total;
    uint8_t *p;

    (void)state;
    assert_int_equal(hist0, 0);
    assert_int_equal(series_record(f->se, &f->env, T0 * 1000, 10.0, 1), STORE_OK);
    assert_int_equal(f->budget.kind[SERIES_MEM_HIST], hist_open_bytes_for(1));
    /* Freeze the budget: new buckets of a present octave need nothing. */
    f->budget.limit = total = f->budget.total;
    assert_int_equal(series_record(f->se, &f->env, T0 * 1000 + 1, 12.0, 1), STORE_OK);
    assert_int_equal(series_record(f->se, &f->env, T0 * 1000 + 2, 15.9, 1), STORE_OK);
    assert_int_equal(f->budget.total, total);
    hist_open_add(ref, hist_bucket(10.0), 1);
    hist_open_add(ref, hist_bucket(12.0), 1);
    hist_open_add(ref, hist_bucket(15.9), 1);

    /* 100 ms is in a new octave: its block is refused, nothing changes. */
    series_seconds(f->se, T0, T0 + 1, collect_second, &before);
    series_buckets(f->se, T0, collect_bucket_row, &rb);
    assert_int_equal(series_record(f->se, &f->env, T0 * 1000 + 3, 100.0, 1), STORE_REJECT_MEMORY);
    series_seconds(f->se, T0, T0 + 1, collect_second, &after);
    series_buckets(f->se, T0, collect_bucket_row, &ra);
    assert_memory_equal(&after, &before, sizeof before);
    assert_memory_equal(&ra, &rb, sizeof rb);
    assert_int_equal(f->budget.total, total);

    /* Exactly one block more is enough. */
    f->budget.limit += HIST_OPEN_BLOCK;
    assert_int_equal(series_record(f->se, &f->env, T0 * 1000 + 3, 100.0, 1), STORE_OK);
    assert_int_equal(f->budget.kind[SERIES_MEM_HIST], hist_open_bytes_for(2));
    ref = hist_open_grow(ref, hist_bucket(100.0));
    hist_open_add(ref, hist_bucket(100.0), 1);

    /* Sealed: into the series' first arena chunk (the open form's bytes
     * given back), exactly what the chunk costs. */
    series_seal(f->se, &f->env, T0 + 1);
    size_t sealed = hist_open_seal_size(ref);
    const size_t chunk = harena_chunk_bytes(HARENA_CHUNK_MIN);
    assert_true(sealed <= HARENA_CHUNK_MIN);
    assert_int_equal(f->budget.kind[SERIES_MEM_HIST], chunk);
    p = malloc(sealed);
    hist_open_seal(ref, p);

    /* A late sample must reopen it: refused under a frozen budget (the slot
     * stays sealed, answers unchanged), accepted with room for the blocks. */
    f->budget.limit = total = f->budget.total;
    memset(&before, 0, sizeof before);
    series_seconds(f->se, T0, T0 + 1, collect_second, &before);
    assert_int_equal(series_record(f->se, &f->env, T0 * 1000 + 4, 11.0, 1), STORE_REJECT_MEMORY);
    assert_int_equal(f->budget.total, total);
    assert_int_equal(f->budget.kind[SERIES_MEM_HIST], chunk);
    memset(&after, 0, sizeof after);
    series_seconds(f->se, T0, T0 + 1, collect_second, &after);
    assert_memory_equal(&after, &before, sizeof before);
    f->budget.limit = SIZE_MAX / 2;
    assert_int_equal(series_record(f->se, &f->env, T0 * 1000 + 4, 11.0, 1), STORE_OK);
    /* Open again: its sealed bytes stay in the chunk until it goes. */
    assert_int_equal(
        f->budget.kind[SERIES_MEM_HIST],
        chunk + hist_open_bytes_for(hist_open_unseal_blocks(p, sealed, hist_bucket(11.0))));
    assert_int_equal(f->budget.kind[SERIES_MEM_HIST], chunk + hist_open_bytes_for(2));
    memset(&after, 0, sizeof after);
    series_seconds(f->se, T0, T0 + 1, collect_second, &after);
    assert_int_equal(after.row[0].count, 5);

    /* A second open in the future too; expiry of open seconds gives every
     * histogram byte back. */
    assert_int_equal(series_record(f->se, &f->env, (T0 + 5) * 1000, 0.5, 1), STORE_OK);
    assert_int_equal(f->budget.kind[SERIES_MEM_HIST],
                     chunk + 2 * hist_open_bytes_for(2) - HIST_OPEN_BLOCK);
    series_expire(f->se, &f->env, T0 + 6);
    assert_true(series_is_empty(f->se));
    assert_int_equal(f->budget.kind[SERIES_MEM_HIST], 0);
    assert_int_equal(f->budget.kind[SERIES_MEM_RAW], 0);
    free(p);
    hist_open_free(ref);
    fixture_free(f);
}

static void test_raw_floor_and_eviction(void **state)
{
    fixture_t *f = fixture_new(10);
    static raws_t r;

    (void)state;
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < 20; i++)
            series_record(f->se, &f->env, (T0 + s) * 1000 + i, 1.0 + i, 1);
    assert_int_equal(f->budget.kind[SERIES_MEM_RAW], 3 * 10 * SERIES_RAW_BYTES);
    series_evict_raw(f->se, &f->env, T0);
    series_evict_raw(f->se, &f->env, T0 + 7); /* no such second: nothing */
    assert_int_equal(f->env.raw_dropped, 10);
    assert_int_equal(f->budget.kind[SERIES_MEM_RAW], 2 * 10 * SERIES_RAW_BYTES);
    /* Below the floor, no raw point is kept again; aggregates still count. */
    f->env.raw_floor_sec = T0 + 1;
    series_record(f->se, &f->env, T0 * 1000 + 999, 50.0, 1);
    memset(&r, 0, sizeof r);
    series_foreach_raw(f->se, T0 * 1000, (T0 + 1) * 1000, collect_raw, &r);
    assert_int_equal(r.n, 0);
    series_summary_t sum;
    series_stats(f->se, T0, T0 + 1, f->acc, &sum);
    assert_int_equal(sum.count, 21);
    assert_true(sum.max == 50.0);
    fixture_free(f);
}

/* ---- reading ------------------------------------------------------------ */

typedef struct rows {
    size_t n;
    uint64_t total;
    double prev_upper;
} rows_t;

static void collect_bucket(void *ctx, double lower, double upper, uint64_t count)
{
    rows_t *r = ctx;
    assert_true(lower < upper);
    assert_true(lower >= r->prev_upper); /* ascending, disjoint */
    assert_true(count > 0);
    r->prev_upper = upper;
    r->total += count;
    r->n++;
}

static void test_buckets_and_raw_range(void **state)
{
    fixture_t *f = fixture_new(1000);
    rows_t rows = {0, 0, 0.0};
    static raws_t r;

    (void)state;
    test_rng_seed(&rng, 31);
    for (int i = 0; i < 300; i++)
        series_record(f->se, &f->env, T0 * 1000 + i, test_rng_lognormal(&rng), 1);
    series_record(f->se, &f->env, T0 * 1000 + 5, 0.0, 1);
    assert_true(series_buckets(f->se, T0, collect_bucket, &rows) > 10);
    assert_int_equal(rows.total, 301);
    series_seal(f->se, &f->env, T0 + 1);
    rows = (rows_t){0, 0, 0.0};
    series_buckets(f->se, T0, collect_bucket, &rows);
    assert_int_equal(rows.total, 301); /* same rows once sealed */
    assert_int_equal(series_buckets(f->se, T0 + 1, collect_bucket, &rows), 0);

    /* Raw points are filtered to the millisecond. */
    memset(&r, 0, sizeof r);
    series_foreach_raw(f->se, T0 * 1000 + 100, T0 * 1000 + 200, collect_raw, &r);
    assert_int_equal(r.n, 100);
    for (size_t k = 0; k < r.n; k++)
        assert_true(r.ts[k] >= T0 * 1000 + 100 && r.ts[k] < T0 * 1000 + 200);
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_aggregates),
        cmocka_unit_test(test_out_of_order_seconds),
        cmocka_unit_test(test_reservoir_bound_and_max),
        cmocka_unit_test(test_reservoir_uniform),
        cmocka_unit_test(test_seal_and_late_sample),
        cmocka_unit_test(test_expire_gives_memory_back),
        cmocka_unit_test(test_expire_after_an_older_second),
        cmocka_unit_test(test_budget_refusals),
        cmocka_unit_test(test_open_block_budget),
        cmocka_unit_test(test_raw_floor_and_eviction),
        cmocka_unit_test(test_buckets_and_raw_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
