/* test_statsd_feed.c - StatsD datagrams through the ingest door
 * (src/ingest/statsd_feed.c): the key cache and the series refs it keeps
 * change nothing.
 *
 * Twin stores are fed the same datagrams, one through a key cache, one
 * without; every series (count, sum, min, max per second) and every
 * counter must agree. The datagrams are made to stress the cache: more
 * names than it has slots (evictions), names and tags that split the same
 * bytes differently ("ab" with tags "c", "a" with tags "bc"), names longer
 * than a cached one, packed values (more than the parser converts inline),
 * rates, refused lines, and clock jumps that make store_advance() remove
 * series under the cache's refs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/test_rng.h"
#include "ingest/statsd_feed.h"

#define T0 1764160000000LL /* unix ms, on a second boundary */

typedef struct twin {
    store_t *plain, *cached;
    ingest_counts_t counts_plain, counts_cached;
    statsd_counts_t sc_plain, sc_cached;
} twin_t;

static store_t *small_store(void)
{
    store_config_t cfg = {
        .window_s = 3, .raw_per_second = 8, .max_series = 3000, .memory_limit = 64u << 20};
    return store_new(&cfg);
}

static void feed(twin_t *t, statsd_keycache_t *cache, int64_t now, const char *p, size_t n)
{
    ingest_sink_t a = {t->plain, &t->counts_plain, INGEST_STATSD, now};
    ingest_sink_t b = {t->cached, &t->counts_cached, INGEST_STATSD, now};
    statsd_feed_datagram(&a, &t->sc_plain, NULL, p, n);
    statsd_feed_datagram(&b, &t->sc_cached, cache, p, n);
}

typedef struct rows {
    size_t n;
    series_second_t row[16];
} rows_t;

static void collect(void *ctx, const series_second_t *sec)
{
    rows_t *r = ctx;
    if (r->n < 16)
        r->row[r->n] = *sec;
    r->n++;
}

/* Every series of a is in b with the same seconds, and the other way. */
static void same_series(store_t *a, store_t *b, int64_t now)
{
    size_t na, nb;
    const series_t **sa = store_sorted(a, &na);
    const series_t **sb = store_sorted(b, &nb);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        slice_t name = series_name(sa[i]), other = series_name(sb[i]);
        assert_int_equal(name.n, other.n);
        assert_memory_equal(name.p, other.p, name.n);
        rows_t ra = {0}, rb = {0};
        series_foreach_second(a, sa[i], now - 10000, now + 1000, collect, &ra);
        series_foreach_second(b, sb[i], now - 10000, now + 1000, collect, &rb);
        assert_int_equal(ra.n, rb.n);
        for (size_t k = 0; k < ra.n && k < 16; k++) {
            assert_int_equal(ra.row[k].start_ms, rb.row[k].start_ms);
            assert_int_equal(ra.row[k].count, rb.row[k].count);
            assert_true(ra.row[k].sum == rb.row[k].sum);
            assert_true(ra.row[k].min == rb.row[k].min && ra.row[k].max == rb.row[k].max);
        }
    }
    free(sa);
    free(sb);
}

/* One random line into b at *n. */
static void random_line(test_rng_t *rng, char *b, size_t *n, size_t cap)
{
    /* tags of equal length that differ, too */
    static const char *const tags[] = {"",    "|#env:prod", "|#env:prod,canary", "|#env:test",
                                       "|#c", "|#bc,x:1",   "|#bc,x:2"};
    static const char *const tails[] = {"|ms",      "|h", "|d", "|ms|@0.5",
                                        "|ms|@0.1", "|c", "|g", "|q"};
    uint64_t r = test_rng_next(rng);
    int k = (int)(r % 600); /* 600 names: more than the cache's 512 slots */
    char name[300];
    if (r % 97 == 0) { /* longer than STATSD_KEYCACHE_RAW: never cached */
        memset(name, 'n', 260);
        snprintf(name + 260, sizeof name - 260, "%d", k);
    } else if (r % 13 == 0) {
        snprintf(name, sizeof name, "%s", k % 2 ? "ab" : "a"); /* with "#c" / "#bc" below */
    } else if (r % 3 == 0) {
        snprintf(name, sizeof name, "svc.t%d", k % 3); /* 3 names x 100 tags, below */
    } else {
        snprintf(name, sizeof name, "svc.s%d", k);
    }
    *n += (size_t)snprintf(b + *n, cap - *n, "%s", name);
    int values = 1 + (int)(test_rng_next(rng) % (r % 5 == 0 ? 12 : 2)); /* past 8 packed, too */
    for (int i = 0; i < values; i++)
        *n += (size_t)snprintf(b + *n, cap - *n, ":%u.%03u", (unsigned)(test_rng_next(rng) % 500),
                               (unsigned)(test_rng_next(rng) % 1000));
    if (r % 31 == 0)
        *n += (size_t)snprintf(b + *n, cap - *n, ":-1"); /* a negative sample among them */
    *n += (size_t)snprintf(b + *n, cap - *n, "%s", tails[test_rng_next(rng) % 8]);
    if (r % 3 == 0) /* tags of one length: a way may match all but them */
        *n += (size_t)snprintf(b + *n, cap - *n, "|#env:t%02u", (unsigned)(r >> 40) % 100);
    else
        *n += (size_t)snprintf(b + *n, cap - *n, "%s",
                               tags[test_rng_next(rng) % (sizeof tags / sizeof tags[0])]);
}

static void test_cache_changes_nothing(void **state)
{
    (void)state;
    twin_t t;
    memset(&t, 0, sizeof t);
    t.plain = small_store();
    t.cached = small_store();
    statsd_keycache_t *cache = calloc(1, sizeof *cache);
    test_rng_t rng = {TEST_RNG_XORSHIFT64_STAR, 2024};
    int64_t now = T0;
    char d[8192];
    for (int i = 0; i < 4000; i++) {
        if (test_rng_next(&rng) % 50 == 0) { /* series leave the window under the refs */
            now += 1000 * (int64_t)(1 + test_rng_next(&rng) % 5);
            store_advance(t.plain, now);
            store_advance(t.cached, now);
        }
        now += (int64_t)(test_rng_next(&rng) % 20);
        size_t n = 0;
        int lines = 1 + (int)(test_rng_next(&rng) % 20);
        for (int l = 0; l < lines; l++) {
            random_line(&rng, d, &n, sizeof d - 512);
            d[n++] = '\n';
        }
        feed(&t, cache, now, d, n);
    }
    assert_memory_equal(&t.counts_plain, &t.counts_cached, sizeof t.counts_plain);
    assert_memory_equal(&t.sc_plain, &t.sc_cached, sizeof t.sc_plain);
    assert_true(t.counts_plain.accepted[INGEST_STATSD] > 10000);
    same_series(t.plain, t.cached, now);
    store_free(t.plain);
    store_free(t.cached);
    free(cache);
}

/* Datagrams of 300 lines over 1,500 names: within one datagram the cache
 * refills slots whose samples still wait to be recorded (the feed records
 * what waits first). */
static void test_long_datagrams_refill_slots(void **state)
{
    (void)state;
    twin_t t;
    memset(&t, 0, sizeof t);
    t.plain = small_store();
    t.cached = small_store();
    statsd_keycache_t *cache = calloc(1, sizeof *cache);
    test_rng_t rng = {TEST_RNG_XORSHIFT64_STAR, 99};
    static char d[300 * 40];
    for (int i = 0; i < 40; i++) {
        size_t n = 0;
        for (int l = 0; l < 300; l++)
            n += (size_t)snprintf(d + n, sizeof d - n, "m%u:%u|ms\n",
                                  (unsigned)(test_rng_next(&rng) % 1500),
                                  (unsigned)(test_rng_next(&rng) % 1000));
        feed(&t, cache, T0 + i, d, n);
    }
    assert_memory_equal(&t.counts_plain, &t.counts_cached, sizeof t.counts_plain);
    assert_int_equal(t.counts_cached.accepted[INGEST_STATSD], 40 * 300);
    same_series(t.plain, t.cached, T0 + 40);
    store_free(t.plain);
    store_free(t.cached);
    free(cache);
}

/* One cache fed through sinks of two stores in turn: refs into one store
 * are never used with the other. */
static void test_cache_across_stores(void **state)
{
    (void)state;
    twin_t t1, t2;
    memset(&t1, 0, sizeof t1);
    memset(&t2, 0, sizeof t2);
    t1.plain = small_store();
    t1.cached = small_store();
    t2.plain = small_store();
    t2.cached = small_store();
    statsd_keycache_t *cache = calloc(1, sizeof *cache);
    static const char d[] = "x:1|ms\ny:2|ms|#a:b\nx:3:4|ms\n";
    for (int i = 0; i < 10; i++) {
        feed(i % 2 ? &t2 : &t1, cache, T0 + i, d, sizeof d - 1);
        if (i == 4) { /* t2's series go, and come back */
            store_advance(t2.plain, T0 + 10000);
            store_advance(t2.cached, T0 + 10000);
        }
    }
    same_series(t1.plain, t1.cached, T0 + 10);
    same_series(t2.plain, t2.cached, T0 + 10);
    assert_int_equal(t1.counts_cached.accepted[INGEST_STATSD], 5 * 4);
    assert_memory_equal(&t2.counts_plain, &t2.counts_cached, sizeof t2.counts_plain);
    store_free(t1.plain);
    store_free(t1.cached);
    store_free(t2.plain);
    store_free(t2.cached);
    free(cache);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_changes_nothing),
        cmocka_unit_test(test_long_datagrams_refill_slots),
        cmocka_unit_test(test_cache_across_stores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
