/* test_load_sdgen.c - the StatsD datagrams of spider-load (tools/load/sdgen.c),
 * read back with the server's own line parser (src/ingest/statsd.c): every
 * line a latency of the right series with one value in 1-500 ms, the right
 * number of lines per datagram, every datagram within its size limit, every
 * series equally often per pass over the pool, tags when asked, the pool
 * the same on every build, and a shape too long for the limit refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "ingest/statsd.h"
#include "sdgen.h"

/* Checks every datagram and line of the pool; counts lines per series. */
static void check_pool(const sdgen_pool_t *pool, const sdgen_shape_t *s, unsigned *per_series)
{
    size_t line_no = 0;
    for (size_t d = 0; d < pool->count; d++) {
        size_t len;
        const char *p = sdgen_datagram(pool, d, &len);
        assert_true(len <= s->max_bytes);
        assert_true(len <= pool->longest);
        const char *cur = p, *end = p + len;
        slice_t l;
        int lines = 0;
        while (statsd_next_line(&cur, end, &l)) {
            statsd_line_t out;
            statsd_error_t e = statsd_parse_line(l.p, l.n, &out);
            if (e != STATSD_OK)
                print_message("line %.*s: %s\n", (int)l.n, l.p, statsd_error_label(e));
            assert_int_equal(e, STATSD_OK);
            assert_int_equal(out.kind, STATSD_LATENCY);
            assert_int_equal(out.n_values, 1);
            size_t k = line_no % (size_t)s->series;
            char name[160];
            int n = snprintf(name, sizeof name, "%s.s%zu", s->prefix, k);
            assert_int_equal(out.name.n, (size_t)n);
            assert_memory_equal(out.name.p, name, (size_t)n);
            slice_t vals = out.values;
            double v;
            assert_true(statsd_next_value(&vals, &v));
            assert_true(v >= 1.0 && v < 500.0);
            if (s->tags) {
                char tags[64];
                n = snprintf(tags, sizeof tags, "env:load,shard:%zu", k % 8);
                assert_int_equal(out.tags.n, (size_t)n);
                assert_memory_equal(out.tags.p, tags, (size_t)n);
            } else {
                assert_int_equal(out.tags.n, 0);
            }
            if (per_series)
                per_series[k]++;
            lines++;
            line_no++;
        }
        assert_int_equal(lines, s->lines);
    }
    assert_int_equal(line_no, pool->lines);
}

static void test_sdgen_twenty_lines(void **state)
{
    (void)state;
    sdgen_shape_t s = {.prefix = "load", .series = 100, .lines = 20, .max_bytes = SDGEN_MAX_UDP};
    sdgen_pool_t pool;
    size_t longest = 0;
    assert_int_equal(sdgen_init(&pool, &s, &longest), 0);
    /* lcm(100, 20) = 100 lines a round; >= 1024 datagrams = 20,480 lines:
     * 205 rounds, 20,500 lines, 1,025 datagrams. */
    assert_int_equal(pool.count, 1025);
    assert_int_equal(pool.lines, 20500);
    assert_int_equal(longest, pool.longest);
    unsigned per[100] = {0};
    check_pool(&pool, &s, per);
    for (int k = 0; k < 100; k++)
        assert_int_equal(per[k], 205);
    sdgen_dispose(&pool);
    assert_null(pool.bytes);
}

static void test_sdgen_one_line_tags(void **state)
{
    (void)state;
    sdgen_shape_t s = {
        .prefix = "p", .series = 7, .lines = 1, .tags = 1, .max_bytes = SDGEN_MAX_UDP};
    sdgen_pool_t pool;
    assert_int_equal(sdgen_init(&pool, &s, NULL), 0);
    assert_int_equal(pool.count, 1029); /* 147 rounds of 7 */
    unsigned per[7] = {0};
    check_pool(&pool, &s, per);
    for (int k = 0; k < 7; k++)
        assert_int_equal(per[k], 147);
    size_t len;
    const char *d = sdgen_datagram(&pool, 3, &len);
    assert_true(len > 20);
    assert_memory_equal(d, "p.s3:", 5);
    assert_memory_equal(d + len - 21, "|ms|#env:load,shard:3", 21);
    sdgen_dispose(&pool);
}

/* Values vary, and the same shape gives the same bytes. */
static void test_sdgen_deterministic(void **state)
{
    (void)state;
    sdgen_shape_t s = {.prefix = "x", .series = 3, .lines = 5, .max_bytes = SDGEN_MAX_UNIX};
    sdgen_pool_t a, b;
    assert_int_equal(sdgen_init(&a, &s, NULL), 0);
    assert_int_equal(sdgen_init(&b, &s, NULL), 0);
    assert_int_equal(a.off[a.count], b.off[b.count]);
    assert_memory_equal(a.bytes, b.bytes, a.off[a.count]);
    size_t l0, l1;
    const char *d0 = sdgen_datagram(&a, 0, &l0), *d1 = sdgen_datagram(&a, 1, &l1);
    assert_false(l0 == l1 && memcmp(d0, d1, l0) == 0);
    sdgen_dispose(&a);
    sdgen_dispose(&b);
}

/* A round that would need too many lines: one round, rounded up to whole
 * datagrams; the last datagram runs on into the next round. */
static void test_sdgen_large_round(void **state)
{
    (void)state;
    sdgen_shape_t s = {.prefix = "big", .series = 700001, .lines = 7, .max_bytes = SDGEN_MAX_UDP};
    sdgen_pool_t pool;
    assert_int_equal(sdgen_init(&pool, &s, NULL), 0);
    assert_int_equal(pool.count, 100001);
    assert_int_equal(pool.lines, 700007);
    size_t len;
    const char *d = sdgen_datagram(&pool, pool.count - 1, &len);
    assert_memory_equal(d, "big.s700000:", 12);
    assert_non_null(memmem(d, len, "\nbig.s5:", 8));
    assert_null(memmem(d, len, "\nbig.s6:", 8));
    sdgen_dispose(&pool);
}

static void test_sdgen_too_long(void **state)
{
    (void)state;
    char prefix[101];
    memset(prefix, 'a', 100);
    prefix[100] = '\0';
    sdgen_shape_t s = {.prefix = prefix, .series = 10, .lines = 12, .max_bytes = SDGEN_MAX_UDP};
    sdgen_pool_t pool;
    size_t longest = 0;
    /* 12 lines of ~115 bytes: ~1,390 bytes fit 1,432; with tags they do not. */
    assert_int_equal(sdgen_init(&pool, &s, &longest), 0);
    assert_true(longest <= SDGEN_MAX_UDP);
    sdgen_dispose(&pool);
    s.tags = 1;
    assert_int_equal(sdgen_init(&pool, &s, &longest), SPIDER_EINVAL);
    assert_true(longest > SDGEN_MAX_UDP);
    assert_null(pool.bytes);
    s.max_bytes = SDGEN_MAX_UNIX;
    assert_int_equal(sdgen_init(&pool, &s, &longest), 0);
    sdgen_dispose(&pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdgen_twenty_lines),  cmocka_unit_test(test_sdgen_one_line_tags),
        cmocka_unit_test(test_sdgen_deterministic), cmocka_unit_test(test_sdgen_large_round),
        cmocka_unit_test(test_sdgen_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
