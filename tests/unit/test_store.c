/* test_store.c - the store (src/store/store.c): table, clock, budget.
 *
 * Validation and window edges, rollover and expiry with flat memory, a
 * second that comes back after expiry starting empty, future samples,
 * series disappearing and the series limit, exact summaries and rates, the
 * memory budget's three stages and recovery, table deletions, and the
 * open histograms of an HTTP-batch-shaped second, sealed and expired. Time is
 * simulated: every call gets now_ms explicitly, no wall clock.
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
#include "store/store.h"

#define T0 1764160000000LL /* unix ms, on a second boundary */
#define W  60              /* window of most tests, seconds */

static store_t *new_store(uint32_t window_s, uint32_t raw, uint32_t max_series, size_t limit)
{
    store_config_t cfg = {.window_s = window_s,
                          .raw_per_second = raw,
                          .max_series = max_series,
                          .memory_limit = limit};
    return store_new(&cfg);
}

static store_reject_t rec(store_t *s, const char *name, int64_t ts, double ms, int64_t now)
{
    return store_record(s, slice_cstr(name), ts, ms, now);
}

static test_rng_t rng = {TEST_RNG_XORSHIFT64_STAR, 1};

typedef struct seconds {
    size_t n;
    series_second_t row[512];
} seconds_t;

static void collect_second(void *ctx, const series_second_t *sec)
{
    seconds_t *s = ctx;
    if (s->n < 512)
        s->row[s->n] = *sec;
    s->n++;
}

static void count_raw(void *ctx, int64_t ts_ms, double ms)
{
    (void)ts_ms;
    (void)ms;
    (*(size_t *)ctx)++;
}

static uint64_t window_count(store_t *s, const char *name)
{
    series_summary_t sum;
    const series_t *se = store_find(s, slice_cstr(name));
    if (!se)
        return 0;
    series_summarize(s, se, INT64_MIN, INT64_MAX, &sum);
    return sum.count;
}

/* ---- validation --------------------------------------------------------- */

static void test_reject_validation(void **state)
{
    store_t *s = new_store(W, 100, 10, 64 << 20);
    int64_t now = T0 + 500;
    store_stats_t st;

    (void)state;
    assert_int_equal(rec(s, "a", now, -1.0, now), STORE_REJECT_BAD_VALUE);
    assert_int_equal(rec(s, "a", now, NAN, now), STORE_REJECT_BAD_VALUE);
    assert_int_equal(rec(s, "a", now, INFINITY, now), STORE_REJECT_BAD_VALUE);
    assert_int_equal(rec(s, "a", now, -INFINITY, now), STORE_REJECT_BAD_VALUE);
    assert_int_equal(rec(s, "a", now + STORE_FUTURE_MS + 1, 1.0, now), STORE_REJECT_TOO_NEW);
    assert_int_equal(rec(s, "a", INT64_MAX, 1.0, now), STORE_REJECT_TOO_NEW);
    /* The window is (now - window, now + 60 s]: its left edge is out. */
    assert_int_equal(rec(s, "a", now - W * 1000, 1.0, now), STORE_REJECT_TOO_OLD);
    assert_int_equal(rec(s, "a", INT64_MIN, 1.0, now), STORE_REJECT_TOO_OLD);
    store_get_stats(s, &st);
    assert_int_equal(st.series, 0); /* rejected samples create nothing */

    assert_int_equal(rec(s, "a", now - W * 1000 + 1, 1.0, now), STORE_OK);
    assert_int_equal(rec(s, "a", now + STORE_FUTURE_MS, 2.0, now), STORE_OK);
    assert_int_equal(rec(s, "a", now, 0.0, now), STORE_OK);
    assert_int_equal(window_count(s, "a"), 3);

    /* A caller whose clock lags the store's: the store's window decides. */
    assert_int_equal(rec(s, "a", now - 10000, 1.0, now + 40000), STORE_OK);
    assert_int_equal(rec(s, "a", now - 55000, 1.0, now), STORE_REJECT_TOO_OLD);
    assert_int_equal(store_now_ms(s), now + 40000);

    /* Every reason has its own phrase. */
    for (int r = 0; r < STORE_REJECT_COUNT; r++)
        for (int q = r + 1; q < STORE_REJECT_COUNT; q++)
            assert_string_not_equal(store_reject_reason((store_reject_t)r),
                                    store_reject_reason((store_reject_t)q));
    store_free(s);
}

/* ---- time --------------------------------------------------------------- */

/* A sample that stands for `weight` samples (a StatsD rate): count, sum and
 * histogram grow by the weight, min and max see the value, one raw point. */
static void test_weighted_samples(void **state)
{
    (void)state;
    store_t *s = new_store(W, 100, 10, 64 << 20);
    slice_t name = slice_cstr("w");
    assert_int_equal(store_record_weighted(s, name, T0 + 10, 4.0, 10, T0 + 500), STORE_OK);
    assert_int_equal(store_record_weighted(s, name, T0 + 20, 100.0, 1, T0 + 500), STORE_OK);
    assert_int_equal(store_record_weighted(s, name, T0 + 30, 5.0, 0, T0 + 500),
                     STORE_REJECT_BAD_VALUE);
    const series_t *se = store_find(s, name);
    series_summary_t sum;
    series_summarize(s, se, T0, T0 + 1000, &sum);
    assert_int_equal(sum.count, 11);
    assert_true(sum.sum == 140.0);
    assert_true(sum.min == 4.0 && sum.max == 100.0);
    /* p50 and p90 are 4 ms (10 of 11 samples), p99 is the 100 ms one */
    assert_true(sum.p50 >= 3.96 && sum.p50 <= 4.04);
    assert_true(sum.p90 >= 3.96 && sum.p90 <= 4.04);
    assert_true(sum.p99 >= 99 && sum.p99 <= 101);
    size_t raw = 0;
    series_foreach_raw(se, T0, T0 + 1000, count_raw, &raw);
    assert_int_equal(raw, 2);
    store_free(s);
}

static void test_rollover_and_expiry(void **state)
{
    store_t *s = new_store(W, 100, 10, 64 << 20);
    store_stats_t st;
    size_t bytes_2w = 0;
    seconds_t got;

    (void)state;
    size_t lo = SIZE_MAX, hi = 0;
    for (int sec = 0; sec < 8 * W; sec++) {
        int64_t now = T0 + sec * 1000LL;
        store_advance(s, now);
        for (int i = 0; i < 10; i++)
            assert_int_equal(rec(s, "x", now + i * 100, 1.0 + i, now + i * 100), STORE_OK);
        store_advance(s, now + 999);
        /* Never more than the window's worth of seconds. */
        assert_true(window_count(s, "x") <= 10 * (W + 1));
        store_get_stats(s, &st);
        if (sec == 2 * W)
            bytes_2w = st.bytes;
        if (sec >= 2 * W) {
            lo = st.bytes < lo ? st.bytes : lo;
            hi = st.bytes > hi ? st.bytes : hi;
        }
    }
    /* Flat: nothing grows with time. The sealed histograms' chunks come
     * and go whole, so the figure moves by at most a chunk around it. */
    assert_true(hi - lo <= harena_chunk_bytes(HARENA_CHUNK_MAX));
    assert_true(hi <= bytes_2w + harena_chunk_bytes(HARENA_CHUNK_MAX));
    int64_t now = T0 + (8 * W - 1) * 1000LL + 999;
    memset(&got, 0, sizeof got);
    series_foreach_second(s, store_find(s, slice_cstr("x")), INT64_MIN, INT64_MAX, collect_second,
                          &got);
    assert_int_equal(got.n, W);
    assert_true(got.row[0].start_ms > now - W * 1000LL - 1000);
    assert_true(got.row[got.n - 1].start_ms == T0 + (8 * W - 1) * 1000LL);
    for (size_t i = 1; i < got.n; i++)
        assert_int_equal(got.row[i].start_ms, got.row[i - 1].start_ms + 1000);
    store_free(s);
}

static void test_second_starts_empty_after_expiry(void **state)
{
    store_t *s = new_store(W, 100, 10, 64 << 20);
    seconds_t got;
    /* W + 61 seconds later a dense ring would reuse the very same slot. */
    const int64_t later = (W + 61) * 1000LL;

    (void)state;
    assert_int_equal(rec(s, "x", T0, 7.0, T0), STORE_OK);
    for (int64_t t = T0; t <= T0 + later; t += 1000) {
        store_advance(s, t);
        rec(s, "x", t + 500, 1.0, t + 500); /* keeps the series alive */
    }
    assert_int_equal(rec(s, "x", T0 + later, 2.0, T0 + later + 600), STORE_OK);
    memset(&got, 0, sizeof got);
    series_foreach_second(s, store_find(s, slice_cstr("x")), T0 + later, T0 + later + 1000,
                          collect_second, &got);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.row[0].count, 2); /* 1.0 at +500 and 2.0; no trace of 7.0 */
    assert_true(got.row[0].max == 2.0 && got.row[0].min == 1.0);
    store_free(s);
}

static void test_future_samples(void **state)
{
    store_t *s = new_store(W, 100, 10, 64 << 20);
    series_summary_t sum;
    seconds_t got;

    (void)state;
    store_advance(s, T0);
    assert_int_equal(rec(s, "f", T0 + 59000, 3.0, T0), STORE_OK);
    assert_int_equal(rec(s, "f", T0 + 100, 1.0, T0), STORE_OK);
    const series_t *se = store_find(s, slice_cstr("f"));
    /* The rate of a range holding a future second runs to that second's end. */
    series_summarize(s, se, T0, T0 + 61000 * 2, &sum);
    assert_int_equal(sum.count, 2);
    assert_true(fabs(sum.rate_per_s - 2.0 / 60.0) < 1e-12);
    assert_int_equal(sum.last_seen_ms, T0 + 59000);
    /* Visible now, and stays through the minute it waits for. */
    for (int64_t t = T0; t <= T0 + 59000; t += 1000) {
        store_advance(s, t);
        memset(&got, 0, sizeof got);
        series_foreach_second(s, se, T0 + 59000, T0 + 60000, collect_second, &got);
        assert_int_equal(got.n, 1);
        assert_true(got.row[0].max == 3.0);
    }
    /* Once its second is past, it is an ordinary sealed second. */
    store_advance(s, T0 + 60000);
    memset(&got, 0, sizeof got);
    series_foreach_second(s, se, T0, T0 + 61000, collect_second, &got);
    assert_int_equal(got.n, 2);
    assert_true(got.row[1].start_ms == T0 + 59000 && got.row[1].count == 1);
    store_free(s);
}

static void test_series_disappears(void **state)
{
    store_t *s = new_store(W, 100, 10, 64 << 20);
    store_stats_t st;
    store_memory_t m;

    (void)state;
    assert_int_equal(rec(s, "gone", T0 + 10, 5.0, T0 + 10), STORE_OK);
    store_advance(s, T0 + (W - 1) * 1000LL);
    assert_non_null(store_find(s, slice_cstr("gone")));
    /* At now = T0 + W s + 10 the sample itself is out of the window, but
     * its second still overlaps it (ms 11..999): seconds leave whole. */
    store_advance(s, T0 + W * 1000LL + 10);
    assert_non_null(store_find(s, slice_cstr("gone")));
    store_advance(s, T0 + W * 1000LL + 999); /* no ms of that second is left */
    assert_null(store_find(s, slice_cstr("gone")));
    store_get_stats(s, &st);
    assert_int_equal(st.series, 0);
    store_get_memory(s, &m);
    assert_int_equal(m.series + m.slots + m.hist + m.raw, 0);
    assert_int_equal(st.bytes, m.base);
    store_free(s);
}

/* Time moves on through store_advance alone, with no sample posted. */
static void test_advance_without_samples(void **state)
{
    store_t *s = new_store(W, 100, 10, 64 << 20);
    store_stats_t st;

    (void)state;
    rec(s, "a", T0, 1.0, T0);
    for (int64_t t = T0; t < T0 + 2 * W * 1000LL; t += 250)
        store_advance(s, t);
    store_get_stats(s, &st);
    assert_int_equal(st.series, 0);
    assert_int_equal(store_now_ms(s), T0 + 2 * W * 1000LL - 250);
    store_free(s);
}

/* ---- table and limits --------------------------------------------------- */

static void test_series_limit(void **state)
{
    store_t *s = new_store(W, 100, 3, 64 << 20);

    (void)state;
    assert_int_equal(rec(s, "a", T0, 1.0, T0), STORE_OK);
    assert_int_equal(rec(s, "b", T0, 1.0, T0), STORE_OK);
    assert_int_equal(rec(s, "c", T0, 1.0, T0), STORE_OK);
    assert_int_equal(rec(s, "d", T0, 1.0, T0), STORE_REJECT_SERIES_LIMIT);
    assert_int_equal(rec(s, "a", T0 + 1, 1.0, T0 + 1), STORE_OK); /* existing: fine */
    assert_null(store_find(s, slice_cstr("d")));
    store_advance(s, T0 + W * 1000LL + 1000);
    assert_int_equal(rec(s, "d", T0 + W * 1000LL + 1000, 1.0, T0 + W * 1000LL + 1000), STORE_OK);
    store_free(s);
}

static void test_table_insert_remove(void **state)
{
    enum { N = 2000 };
    store_t *s = new_store(W, 10, N, 256 << 20);
    char name[32];
    store_stats_t st;

    (void)state;
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "series.%d", i);
        assert_int_equal(rec(s, name, T0, (double)i, T0), STORE_OK);
    }
    /* Every third series stays alive; the rest expire. */
    for (int64_t t = T0 + 1000; t <= T0 + W * 1000LL + 1000; t += 1000) {
        for (int i = 0; i < N; i += 3) {
            snprintf(name, sizeof name, "series.%d", i);
            rec(s, name, t, (double)i, t);
        }
        store_advance(s, t);
    }
    store_get_stats(s, &st);
    assert_int_equal(st.series, (N + 2) / 3);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "series.%d", i);
        const series_t *se = store_find(s, slice_cstr(name));
        if (i % 3) {
            assert_null(se);
        } else {
            assert_non_null(se);
            assert_true(series_name(se).n == strlen(name));
            assert_memory_equal(series_name(se).p, name, strlen(name));
        }
    }
    store_free(s);
}

/* Many small rounds of creation and removal in a small table at its
 * highest load, with fresh random names so that probe chains wrap around
 * the table's end: they must survive backward-shift deletion. */
static void test_table_churn(void **state)
{
    enum { SLOTS = 63, ROUNDS = 3000 }; /* 63 series in 128 cells */
    store_t *s = new_store(1, 0, SLOTS, 64 << 20);
    char name[SLOTS][32], gone[32];
    store_stats_t st;

    (void)state;
    test_rng_seed(&rng, 17);
    for (int i = 0; i < SLOTS; i++)
        snprintf(name[i], sizeof name[i], "n%llu", (unsigned long long)test_rng_next(&rng));
    for (int k = 0; k < ROUNDS; k++) {
        /* At now = k s + 999 ms the 1 s window holds second k only: a
         * series not recorded in this round is removed by the advance. */
        int64_t now = T0 + k * 1000LL + 999;
        int dies = (int)(test_rng_next(&rng) % SLOTS);
        for (int i = 0; i < SLOTS; i++)
            if (i != dies)
                assert_int_equal(rec(s, name[i], now, 1.0, now), STORE_OK);
        store_advance(s, now);
        store_get_stats(s, &st);
        assert_int_equal(st.series, SLOTS - 1);
        assert_null(store_find(s, slice_cstr(name[dies])));
        for (int i = 0; i < SLOTS; i++)
            if (i != dies && !store_find(s, slice_cstr(name[i])))
                fail_msg("round %d: %s lost from the table", k, name[i]);
        memcpy(gone, name[dies], sizeof gone);
        snprintf(name[dies], sizeof name[dies], "n%llu", (unsigned long long)test_rng_next(&rng));
        assert_null(store_find(s, slice_cstr(gone)));
    }
    store_free(s);
}

/* ---- reading ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_summary_exact(void **state)
{
    enum { NSEC = 50, PER = 200 };
    store_t *s = new_store(W, 100, 10, 64 << 20);
    static double v[NSEC * PER];
    series_summary_t sum;
    double total = 0;
    size_t n = 0;

    (void)state;
    test_rng_seed(&rng, 4);
    for (int sec = 0; sec < NSEC; sec++) {
        int64_t now = T0 + sec * 1000LL;
        store_advance(s, now);
        for (int i = 0; i < PER; i++) {
            v[n] = test_rng_lognormal(&rng);
            total += v[n];
            assert_int_equal(rec(s, "q", now + i * 5, v[n++], now + i * 5), STORE_OK);
        }
    }
    store_advance(s, T0 + NSEC * 1000LL);
    const series_t *se = store_find(s, slice_cstr("q"));
    series_summarize(s, se, T0, T0 + NSEC * 1000LL, &sum);
    qsort(v, n, sizeof v[0], cmp_double);
    assert_int_equal(sum.count, n);
    assert_true(fabs(sum.sum - total) < 1e-9 * total);
    assert_true(sum.min == v[0] && sum.max == v[n - 1]);
    assert_true(fabs(sum.p50 / v[(size_t)ceil(0.50 * n) - 1] - 1.0) <= 0.01);
    assert_true(fabs(sum.p90 / v[(size_t)ceil(0.90 * n) - 1] - 1.0) <= 0.01);
    assert_true(fabs(sum.p99 / v[(size_t)ceil(0.99 * n) - 1] - 1.0) <= 0.01);
    assert_true(fabs(sum.rate_per_s - PER) < 1e-9);
    assert_int_equal(sum.last_seen_ms, T0 + (NSEC - 1) * 1000LL + (PER - 1) * 5);

    /* The last 10 whole seconds: a rate of PER per second. */
    series_summarize(s, se, T0 + (NSEC - 10) * 1000LL, T0 + NSEC * 1000LL, &sum);
    assert_int_equal(sum.count, 10 * PER);
    assert_true(fabs(sum.rate_per_s - PER) < 1e-9);
    /* A range before the window is clipped away; an empty range gives 0s. */
    series_summarize(s, se, T0 - 100000, T0 - 50000, &sum);
    assert_int_equal(sum.count, 0);
    assert_true(sum.rate_per_s == 0.0 && sum.p99 == 0.0);
    series_summarize(s, NULL, INT64_MIN, INT64_MAX, &sum);
    assert_int_equal(sum.count, 0);
    store_free(s);
}

typedef struct bucket_rows {
    uint64_t total;
    size_t n;
} bucket_rows_t;

static void collect_bucket(void *ctx, double lower, double upper, uint64_t count)
{
    bucket_rows_t *r = ctx;
    assert_true(lower < upper);
    r->total += count;
    r->n++;
}

static void test_heatmap_rows_and_change_clock(void **state)
{
    store_t *s = new_store(W, 100, 10, 64 << 20);
    bucket_rows_t rows = {0, 0};

    (void)state;
    assert_int_equal(store_change_seq(s), 0);
    for (int i = 0; i < 100; i++)
        rec(s, "h", T0 + i, 1.0 + i, T0 + i);
    const series_t *se = store_find(s, slice_cstr("h"));
    assert_int_equal(series_last_change(se), 100);
    size_t visited = series_foreach_bucket(s, se, T0 + 999, collect_bucket, &rows);
    assert_int_equal(visited, rows.n);
    assert_int_equal(rows.total, 100);
    assert_true(rows.n > 50);
    assert_int_equal(series_foreach_bucket(s, se, T0 + 1000, collect_bucket, &rows), 0);
    rec(s, "other", T0, 1.0, T0);
    assert_int_equal(series_last_change(se), 100); /* another series changed, not this one */
    assert_int_equal(store_change_seq(s), 101);
    store_free(s);
}

/* ---- memory budget ------------------------------------------------------ */

static void check_bytes(store_t *s, size_t limit)
{
    store_stats_t st;
    store_memory_t m;
    store_get_stats(s, &st);
    store_get_memory(s, &m);
    assert_int_equal(st.bytes, m.base + m.series + m.slots + m.hist + m.raw);
    if (st.bytes > limit)
        fail_msg("store bytes %zu over the limit %zu", st.bytes, limit);
}

static void test_budget_stages(void **state)
{
    enum { HOT = 20, PER = 300 };
    const size_t limit = 1 << 20;
    store_t *s = new_store(W, 100, 100000, limit);
    uint64_t accepted[HOT] = {0};
    char name[32];
    store_stats_t st;
    store_memory_t m;
    int64_t now = T0;
    int sec;

    (void)state;
    test_rng_seed(&rng, 99);
    /* Stage 1: 20 busy series want ~1.2 MiB of raw points: raw degrades, no
     * sample is refused and every one stays counted. */
    int min_raw_rate = 100;
    for (sec = 0; sec < 2 * W; sec++) {
        now = T0 + sec * 1000LL;
        store_advance(s, now);
        for (int h = 0; h < HOT; h++) {
            snprintf(name, sizeof name, "hot.%d", h);
            for (int i = 0; i < PER; i++)
                assert_int_equal(rec(s, name, now + i * 3, test_rng_lognormal(&rng), now + i * 3),
                                 STORE_OK);
            accepted[h] += PER;
        }
        check_bytes(s, limit);
        store_get_stats(s, &st);
        /* Raw stops at the soft cap (7/8); aggregates may pass it a little. */
        assert_true(st.bytes <= limit - limit / 8 + limit / 32);
        if ((int)st.raw_per_second < min_raw_rate)
            min_raw_rate = (int)st.raw_per_second;
    }
    store_get_stats(s, &st);
    store_get_memory(s, &m);
    assert_true(min_raw_rate < 100);
    assert_true(m.raw > 0); /* degraded, not gone */
    for (int h = 0; h < HOT; h++) {
        snprintf(name, sizeof name, "hot.%d", h);
        /* Everything accepted in the window is counted (W + 1 seconds held). */
        assert_int_equal(window_count(s, name), (uint64_t)(W + 1) * PER);
    }

    /* Stage 2: new series are refused once raw points are all spent, while
     * existing series still take samples, even for a new second. */
    int created = 0;
    store_reject_t r = STORE_OK;
    uint64_t dropped = st.raw_dropped;
    while (r == STORE_OK) {
        snprintf(name, sizeof name, "new.%d", created);
        r = rec(s, name, now + 999, 1.0, now + 999);
        if (r == STORE_OK)
            created++;
        check_bytes(s, limit);
    }
    assert_int_equal(r, STORE_REJECT_MEMORY);
    assert_true(created > 10);
    assert_null(store_find(s, slice_cstr(name))); /* refused: nothing left behind */
    store_get_memory(s, &m);
    store_get_stats(s, &st);
    assert_true(limit - st.bytes >= limit / 16); /* room is left for existing series */
    assert_int_equal(m.raw, 0);                  /* evicted to make room, */
    assert_true(st.raw_dropped > dropped);       /* and counted */
    assert_int_equal(rec(s, "hot.0", now + 1000, 20.0, now + 999), STORE_OK);
    assert_int_equal(rec(s, "new.0", now + 1000, 20.0, now + 999), STORE_OK);
    assert_int_equal(rec(s, name, now + 1000, 1.0, now + 999), STORE_REJECT_MEMORY);

    /* Stage 3: samples that need new memory are refused at the hard cap;
     * samples that fit in what exists are still taken. */
    int refused = 0;
    for (int k = 0; k < 200 && !refused; k++) {
        now += 1000;
        store_advance(s, now);
        for (int i = 0; i < created && !refused; i++) {
            snprintf(name, sizeof name, "new.%d", i);
            r = rec(s, name, now, 1.0, now);
            refused = r == STORE_REJECT_MEMORY;
            check_bytes(s, limit);
        }
    }
    assert_true(refused);
    uint64_t before = window_count(s, name);
    assert_int_equal(rec(s, name, now, 1.0, now), STORE_REJECT_MEMORY);
    assert_int_equal(window_count(s, name), before); /* a refused sample changes nothing */
    assert_int_equal(rec(s, "new.0", now, 1.0, now), STORE_OK); /* existing second and bucket */

    /* Recovery: once everything expired, raw retention climbs back. */
    for (int k = 0; k < 2 * W; k++) {
        now += 1000;
        store_advance(s, now);
    }
    store_get_stats(s, &st);
    store_get_memory(s, &m);
    assert_int_equal(st.series, 0);
    assert_int_equal(st.raw_per_second, 100);
    assert_int_equal(m.series + m.slots + m.hist + m.raw, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(rec(s, "fresh", now + i, test_rng_lognormal(&rng), now + i), STORE_OK);
    size_t raw = 0;
    series_foreach_raw(store_find(s, slice_cstr("fresh")), INT64_MIN, INT64_MAX, count_raw, &raw);
    assert_int_equal(raw, 100);
    store_free(s);
}

/* A budget smaller than the store's own cost refuses everything, cleanly. */
/* The ingest shape that made the open histogram two-level: 20 series, each
 * a run of samples uniform in [1, 101) ms. While open each series' second
 * holds 7 octave blocks (1-2, 2-4, ..., 64-128 ms); sealing shrinks them;
 * expiry returns every histogram byte. */
static void test_http_batch_open_blocks(void **state)
{
    store_t *s = new_store(5, 0, 20, 64 << 20);
    store_memory_t m;
    char name[32];

    (void)state;
    test_rng_seed(&rng, 21);
    store_advance(s, T0);
    for (int k = 0; k < 20; k++) {
        snprintf(name, sizeof name, "api.route.%d", k);
        for (int i = 0; i < 2000; i++)
            assert_int_equal(rec(s, name, T0 + i / 2, 1.0 + 100.0 * test_rng_unit(&rng), T0),
                             STORE_OK);
    }
    store_get_memory(s, &m);
    assert_int_equal(m.hist, 20 * (44 + 7 * 256));
    assert_int_equal(m.raw, 0);
    store_advance(s, T0 + 1000);
    store_get_memory(s, &m);
    /* Sealed: about a byte per non-empty bucket (~350 of the 421 buckets
     * get one of 2,000 samples: the octaves below 16 ms are sparse). */
    assert_true(m.hist > 20 * 300 && m.hist < 20 * 500);
    for (int k = 0; k < 20; k++) {
        snprintf(name, sizeof name, "api.route.%d", k);
        assert_int_equal(window_count(s, name), 2000);
    }
    store_advance(s, T0 + 10000);
    store_get_memory(s, &m);
    assert_int_equal(m.hist, 0);
    assert_int_equal(m.slots, 0);
    store_free(s);
}

static void test_tiny_budget(void **state)
{
    store_t *s = new_store(W, 100, 10, 1000);

    (void)state;
    assert_int_equal(rec(s, "a", T0, 1.0, T0), STORE_REJECT_MEMORY);
    store_advance(s, T0 + 1000);
    store_free(s);
}

/* Every second of a series as rows, with its kept raw points counted:
 * what an answer can show of it. */
typedef struct view {
    seconds_t rows;
    size_t raw;
} view_t;

static void view_of(store_t *s, const char *name, int64_t now, view_t *out)
{
    memset(out, 0, sizeof *out);
    const series_t *se = store_find(s, slice_cstr(name));
    if (!se)
        return;
    series_foreach_second(s, se, now - 3600000, now + 120000, collect_second, &out->rows);
    series_foreach_raw(se, now - 3600000, now + 120000, count_raw, &out->raw);
}

/* store_record_ref() against store_record() on twin stores: random samples
 * of 6 names (each with a ref kept across calls, as the StatsD key cache
 * keeps them) over a short window, with clock jumps that expire and remove
 * series (the refs must notice: ASan sees a freed series used), refused
 * samples (negative, too old, too new), a series limit of 4 and a budget
 * small enough to refuse. Every answer, every second and the stats agree. */
static void test_record_ref_matches_record(void **state)
{
    (void)state;
    static const char *const names[] = {"a", "b", "c", "d", "e", "f"};
    enum { N = sizeof names / sizeof names[0] };
    store_t *by_name = new_store(5, 4, 4, 96 * 1024);
    store_t *by_ref = new_store(5, 4, 4, 96 * 1024);
    store_ref_t ref[N];
    memset(ref, 0, sizeof ref);
    test_rng_t r = {TEST_RNG_XORSHIFT64_STAR, 77};
    int64_t now = T0;
    int reused = 0, refused = 0;
    for (int i = 0; i < 60000; i++) {
        uint64_t dice = test_rng_next(&r) % 1000;
        if (dice < 3) { /* a gap: every series may leave the window */
            now += 1000 * (int64_t)(1 + test_rng_next(&r) % 8);
            store_advance(by_name, now);
            store_advance(by_ref, now);
            continue;
        }
        now += (int64_t)(test_rng_next(&r) % 3);
        if (dice < 10) {
            store_advance(by_name, now);
            store_advance(by_ref, now);
        }
        size_t k = test_rng_next(&r) % N;
        double ms = (double)(test_rng_next(&r) % 100000) / 100.0;
        int64_t ts = now;
        if (dice < 20)
            ms = -ms - 1;
        else if (dice < 30)
            ts = now - 6000;
        else if (dice < 40)
            ts = now + 61000;
        else if (dice < 100)
            ts = now - (int64_t)(test_rng_next(&r) % 4000); /* a late, closed second */
        uint32_t weight = dice % 7 == 0 ? 1 + (uint32_t)(test_rng_next(&r) % 50) : 1;
        reused += ref[k].series != NULL;
        store_reject_t want =
            store_record_weighted(by_name, slice_cstr(names[k]), ts, ms, weight, now);
        store_reject_t got =
            store_record_ref(by_ref, &ref[k], slice_cstr(names[k]), ts, ms, weight, now);
        if (got != want)
            fail_msg("sample %d (%s): %s through the ref, %s by name", i, names[k],
                     store_reject_reason(got), store_reject_reason(want));
        refused += want != STORE_OK;
    }
    for (size_t k = 0; k < N; k++) {
        view_t a, b;
        view_of(by_name, names[k], now, &a);
        view_of(by_ref, names[k], now, &b);
        assert_int_equal(a.rows.n, b.rows.n);
        assert_int_equal(a.raw, b.raw);
        assert_memory_equal(a.rows.row, b.rows.row,
                            (a.rows.n < 512 ? a.rows.n : 512) * sizeof a.rows.row[0]);
    }
    store_stats_t sa, sb;
    store_get_stats(by_name, &sa);
    store_get_stats(by_ref, &sb);
    assert_int_equal(sa.bytes, sb.bytes);
    assert_int_equal(sa.series, sb.series);
    assert_int_equal(sa.raw_dropped, sb.raw_dropped);
    assert_true(reused > 1000 && refused > 1000); /* both paths were taken */
    store_free(by_name);
    store_free(by_ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reject_validation),
        cmocka_unit_test(test_weighted_samples),
        cmocka_unit_test(test_rollover_and_expiry),
        cmocka_unit_test(test_second_starts_empty_after_expiry),
        cmocka_unit_test(test_future_samples),
        cmocka_unit_test(test_series_disappears),
        cmocka_unit_test(test_advance_without_samples),
        cmocka_unit_test(test_series_limit),
        cmocka_unit_test(test_table_insert_remove),
        cmocka_unit_test(test_table_churn),
        cmocka_unit_test(test_summary_exact),
        cmocka_unit_test(test_heatmap_rows_and_change_clock),
        cmocka_unit_test(test_budget_stages),
        cmocka_unit_test(test_http_batch_open_blocks),
        cmocka_unit_test(test_tiny_budget),
        cmocka_unit_test(test_record_ref_matches_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
