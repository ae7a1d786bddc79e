/* test_snapshot.c - the store's snapshot codec (src/store/snapshot.c).
 *
 * A store and its restored copy compared series by series, second by
 * second, bucket by bucket, raw point by raw point (and the copy encodes
 * to the same bytes); every truncation and every flipped byte of a small
 * snapshot refused without a crash, keeping only whole series that came
 * before the damage; hostile files with valid CRCs (keys ingest would
 * refuse, histograms that do not add up, seconds out of order, ...); the
 * window, --max-series and the budget applied on restore; other le bounds.
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
#include <zlib.h>

#include "../support/test_rng.h"
#include "core/error.h"
#include "store/series.h"
#include "store/snapshot.h"

#define T0 1764160000000LL /* unix ms, on a second boundary */

typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
} bytes_t;

static int emit(void *ctx, const void *p, size_t n)
{
    bytes_t *b = ctx;
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    return 0;
}

static store_config_t config(uint32_t window_s, uint32_t max_series, size_t limit)
{
    store_config_t cfg = {.window_s = window_s,
                          .raw_per_second = 20,
                          .max_series = max_series,
                          .memory_limit = limit,
                          .n_le = 3,
                          .le_ms = {5, 50, 500}};
    return cfg;
}

/* A store with the shapes a snapshot must carry: labelled keys, weighted
 * samples, full reservoirs (sampling), late samples into sealed seconds,
 * seconds ahead of now still open, values across many octaves. */
static store_t *fill(int64_t now)
{
    store_config_t cfg = config(120, 100, 64 << 20);
    store_t *s = store_new(&cfg);
    test_rng_t rng = {TEST_RNG_XORSHIFT64_STAR, 7};
    const char *names[] = {"checkout.db", "api{method=\"GET\",route=\"/x\"}", "GET /users/{id}",
                           "zero", "\xc3\xa9t\xc3\xa9"};

    for (int64_t t = now - 100000; t <= now; t += 250) {
        store_advance(s, t);
        for (size_t k = 0; k < 5; k++) {
            if (k == 3 && t % 5000 != 0)
                continue;
            double ms = k == 3 ? 0.0 : test_rng_unit(&rng) * 100.0 * (double)(k + 1);
            uint32_t w = k == 1 ? 3 : 1;
            assert_int_equal(store_record_weighted(s, slice_cstr(names[k]), t, ms, w, t), STORE_OK);
        }
    }
    /* A full reservoir, a late sample into a sealed second, one ahead. */
    for (int i = 0; i < 200; i++)
        assert_int_equal(store_record(s, slice_cstr("checkout.db"), now - 1000 + i,
                                      test_rng_unit(&rng) * 1e6, now),
                         STORE_OK);
    assert_int_equal(store_record(s, slice_cstr("zero"), now - 30000, 7.5, now), STORE_OK);
    assert_int_equal(store_record(s, slice_cstr("zero"), now + 30000, 1e-5, now), STORE_OK);
    return s;
}

static bytes_t encode(store_t *s, int64_t now)
{
    bytes_t b = {0};
    snapshot_written_t w;
    assert_int_equal(snapshot_encode(s, now, emit, &b, &w), 0);
    assert_int_equal(w.bytes, b.n);
    return b;
}

/* Two series hold the same seconds, aggregates, buckets and raw points. */
static void assert_series_equal(const series_t *a, const series_t *b)
{
    series_totals_t ta, tb;
    slice_t na = series_name(a), nb = series_name(b);

    assert_int_equal(na.n, nb.n);
    assert_memory_equal(na.p, nb.p, na.n);
    assert_int_equal(series_nseconds(a), series_nseconds(b));
    assert_int_equal(series__last_seen(a), series__last_seen(b));
    series_get_totals(a, &ta);
    series_get_totals(b, &tb);
    assert_int_equal(ta.count, tb.count);
    assert_true(ta.sum == tb.sum);
    for (int i = 0; i <= 3; i++)
        assert_int_equal(ta.le[i], tb.le[i]);
    for (uint32_t i = 0; i < series_nseconds(a); i++) {
        series__slot_view_t x, y;
        uint32_t bx, by;
        uint64_t cx, cy;
        int more;
        series__slot_at(a, i, &x);
        series__slot_at(b, i, &y);
        assert_int_equal(x.sec, y.sec);
        assert_int_equal(x.count, y.count);
        assert_true(x.sum == y.sum);
        assert_true(x.min == y.min);
        assert_true(x.max == y.max);
        do {
            more = hist_iter_next(&x.hist, &bx, &cx);
            assert_int_equal(more, hist_iter_next(&y.hist, &by, &cy));
            if (more) {
                assert_int_equal(bx, by);
                assert_int_equal(cx, cy);
            }
        } while (more);
        assert_int_equal(x.raw_n, y.raw_n);
        if (x.raw_n)
            assert_memory_equal(x.raw, y.raw, (size_t)x.raw_n * SERIES_RAW_BYTES);
    }
}

static void assert_stores_equal(store_t *a, store_t *b)
{
    size_t na, nb;
    const series_t **la = store_sorted(a, &na), **lb = store_sorted(b, &nb);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++)
        assert_series_equal(la[i], lb[i]);
    free(la);
    free(lb);
}

static void test_round_trip_exact(void **state)
{
    (void)state;
    int64_t now = T0 + 500;
    store_t *s = fill(now), *c;
    store_config_t cfg = config(120, 100, 64 << 20);
    bytes_t b = encode(s, now), again;
    snapshot_result_t r;
    store_stats_t st;
    series_summary_t x, y;

    c = store_new(&cfg);
    assert_int_equal(snapshot_decode(c, b.p, b.n, now, &r), 0);
    assert_string_equal(r.error, "");
    assert_int_equal(r.series, 5);
    assert_int_equal(r.seconds_outside, 0);
    assert_int_equal(r.seconds_refused, 0);
    assert_int_equal(r.series_refused, 0);
    assert_int_equal(r.written_ms, now);
    assert_true(r.totals);
    assert_stores_equal(s, c);
    /* Same summaries (merged histograms, exact counts) ... */
    series_summarize(s, store_find(s, slice_cstr("checkout.db")), 0, INT64_MAX, &x);
    series_summarize(c, store_find(c, slice_cstr("checkout.db")), 0, INT64_MAX, &y);
    assert_int_equal(x.count, y.count);
    assert_true(x.p50 == y.p50 && x.p99 == y.p99 && x.max == y.max);
    /* ... and the copy writes the same bytes (sealed or open, same file). */
    again = encode(c, now);
    assert_int_equal(again.n, b.n);
    assert_memory_equal(again.p, b.p, b.n);
    /* The copy takes samples like the original. */
    assert_int_equal(store_record(c, slice_cstr("zero"), now - 30000, 1.0, now), STORE_OK);
    assert_int_equal(store_record(c, slice_cstr("new"), now, 1.0, now), STORE_OK);
    store_get_stats(c, &st);
    assert_int_equal(st.series, 6);
    store_advance(c, now + 1000);
    free(b.p);
    free(again.p);
    store_free(s);
    store_free(c);
}

/* Every prefix and every flipped byte is refused; whatever is restored is
 * whole series of the original, and the store stays usable. */
static void test_truncate_and_flip_every_offset(void **state)
{
    (void)state;
    int64_t now = T0 + 500;
    store_config_t cfg = config(120, 100, 64 << 20);
    store_t *s = store_new(&cfg);
    bytes_t b;

    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d{k=\"v\"}", i);
        for (int t = 0; t < 3; t++)
            assert_int_equal(store_record(s, slice_cstr(name), now - t * 1000, 1.5 + t * i, now),
                             STORE_OK);
    }
    b = encode(s, now);
    for (size_t cut = 0; cut < b.n; cut++) {
        store_t *c = store_new(&cfg);
        snapshot_result_t r;
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, b.p, cut);
        assert_int_equal(snapshot_decode(c, copy, cut, now, &r), SPIDER_EINVAL);
        assert_true(r.error[0] != '\0');
        assert_true(r.error_offset <= cut);
        assert_true(r.series <= 3);
        store_advance(c, now + 1000);
        free(copy);
        store_free(c);
    }
    for (size_t at = 0; at < b.n; at++) {
        for (int bit = 0; bit < 8; bit += 3) {
            store_t *c = store_new(&cfg);
            snapshot_result_t r;
            b.p[at] ^= (uint8_t)(1u << bit);
            assert_int_equal(snapshot_decode(c, b.p, b.n, now, &r), SPIDER_EINVAL);
            b.p[at] ^= (uint8_t)(1u << bit);
            assert_true(r.series <= 3);
            store_free(c);
        }
    }
    free(b.p);
    store_free(s);
}

/* ---- hostile files with valid CRCs --------------------------------------- */

static void put32(bytes_t *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    emit(b, x, 4);
}

static void put64(bytes_t *b, uint64_t v)
{
    put32(b, (uint32_t)v);
    put32(b, (uint32_t)(v >> 32));
}

static void putf(bytes_t *b, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    put64(b, v);
}

static void header(bytes_t *b, uint32_t version)
{
    uLong crc;
    emit(b, "SPIDSNAP", 8);
    put32(b, version);
    put32(b, 32 + 0 + 4);
    put64(b, (uint64_t)T0);
    put32(b, 120);
    put32(b, 0);
    crc = crc32(0, b->p, (uInt)b->n);
    put32(b, (uint32_t)crc);
}

static void section(bytes_t *b, uint32_t type, const bytes_t *payload)
{
    size_t at = b->n;
    put32(b, type);
    put32(b, (uint32_t)payload->n);
    emit(b, payload->p, payload->n);
    put32(b, (uint32_t)crc32(0, b->p + at, (uInt)(b->n - at)));
}

static void end(bytes_t *b, uint64_t series)
{
    bytes_t e = {0};
    put64(&e, series);
    put64(&e, series);
    put64(&e, series);
    section(b, 2, &e);
    free(e.p);
}

/* A series payload of one second at T0 with one sample of ms, with the
 * given key, histogram bucket and raw point overrides. */
typedef struct one {
    const char *key;
    uint32_t sec;
    uint64_t count, hist_count;
    double ms, min;
    int64_t last_seen;
    float raw0, raw1;
    int n_raw;
} one_t;

static void series_payload(bytes_t *p, const one_t *o)
{
    uint8_t v;
    uint16_t kn = (uint16_t)strlen(o->key);
    uint32_t bkt = hist_bucket(o->ms), bmin = hist_bucket(o->min);
    emit(p, &kn, 2);
    emit(p, o->key, kn);
    put64(p, (uint64_t)o->last_seen);
    put64(p, o->count);
    putf(p, o->ms);
    put64(p, o->count); /* n_le 0: one bucket */
    put32(p, 1);
    put32(p, o->sec);
    v = (uint8_t)o->count;
    emit(p, &v, 1);
    putf(p, o->ms * (double)o->count);
    putf(p, o->min);
    putf(p, o->ms);
    if (bmin != bkt) {
        v = 2;
        emit(p, &v, 1);
        v = (uint8_t)(bmin & 0x7f) | 0x80;
        emit(p, &v, 1);
        v = (uint8_t)(bmin >> 7);
        emit(p, &v, 1);
        v = 1;
        emit(p, &v, 1);
        uint32_t gap = bkt - bmin - 1;
        v = (uint8_t)(gap & 0x7f) | (gap >= 128 ? 0x80 : 0);
        emit(p, &v, 1);
        if (gap >= 128) {
            v = (uint8_t)(gap >> 7);
            emit(p, &v, 1);
        }
        v = (uint8_t)(o->hist_count - 1);
        emit(p, &v, 1);
    } else {
        v = 1;
        emit(p, &v, 1);
        v = (uint8_t)(bkt & 0x7f) | 0x80;
        emit(p, &v, 1);
        v = (uint8_t)(bkt >> 7);
        emit(p, &v, 1);
        v = (uint8_t)o->hist_count;
        emit(p, &v, 1);
    }
    v = (uint8_t)o->n_raw;
    emit(p, &v, 1);
    for (int k = 0; k < o->n_raw; k++) {
        uint16_t off = 5;
        float f = k == 0 ? o->raw0 : o->raw1;
        emit(p, &off, 2);
        emit(p, &f, 4);
    }
}

static int decode_one(const one_t *o, uint32_t version, snapshot_result_t *r)
{
    store_config_t cfg = config(120, 100, 64 << 20);
    store_t *c = store_new(&cfg);
    bytes_t f = {0}, p = {0};
    int rc;
    header(&f, version);
    series_payload(&p, o);
    section(&f, 1, &p);
    end(&f, 1);
    rc = snapshot_decode(c, f.p, f.n, T0 + 1000, r);
    store_free(c);
    free(f.p);
    free(p.p);
    return rc;
}

static void test_hostile_files(void **state)
{
    (void)state;
    const uint32_t sec = (uint32_t)(T0 / 1000);
    const one_t good = {"a.b", sec, 2, 2, 4.0, 4.0, T0 + 5, 4.0f, 4.0f, 2};
    snapshot_result_t r;
    one_t o;

    assert_int_equal(decode_one(&good, 1, &r), 0);
    assert_int_equal(r.series, 1);
    assert_int_equal(r.samples, 2);

    assert_int_equal(decode_one(&good, 2, &r), SPIDER_EINVAL);
    assert_non_null(strstr(r.error, "version 2"));

    const char *bad_keys[] = {
        "", "/abs", "a\x01", "\xff", "a{k=v}", "a{b=\"1\",a=\"2\"}", "{k=\"v\"}", "a{__k=\"v\"}"};
    for (size_t i = 0; i < sizeof bad_keys / sizeof bad_keys[0]; i++) {
        o = good;
        o.key = bad_keys[i];
        assert_int_equal(decode_one(&o, 1, &r), SPIDER_EINVAL);
        assert_non_null(strstr(r.error, "key"));
        assert_int_equal(r.series, 0);
    }
    o = good;
    o.hist_count = 3; /* histogram holds more than the count */
    assert_int_equal(decode_one(&o, 1, &r), SPIDER_EINVAL);
    assert_non_null(strstr(r.error, "histogram"));
    o = good;
    o.min = 1.0; /* min's bucket is not the first one */
    o.hist_count = 2;
    assert_int_equal(decode_one(&o, 1, &r), 0); /* both buckets present: fine */
    o = good;
    o.min = 5.0; /* min above max */
    assert_int_equal(decode_one(&o, 1, &r), SPIDER_EINVAL);
    o = good;
    o.ms = NAN;
    o.min = NAN;
    assert_int_equal(decode_one(&o, 1, &r), SPIDER_EINVAL);
    o = good;
    o.raw1 = 9.0f; /* the first raw point is not the largest */
    assert_int_equal(decode_one(&o, 1, &r), SPIDER_EINVAL);
    assert_non_null(strstr(r.error, "raw"));
    o = good;
    o.raw0 = INFINITY;
    assert_int_equal(decode_one(&o, 1, &r), SPIDER_EINVAL);
    o = good;
    o.n_raw = 3; /* more raw points than samples */
    o.count = 2;
    assert_int_equal(decode_one(&o, 1, &r), SPIDER_EINVAL);
    o = good;
    o.last_seen = T0 + 1000; /* not in its newest second */
    assert_int_equal(decode_one(&o, 1, &r), SPIDER_EINVAL);
    assert_non_null(strstr(r.error, "newest"));

    /* A series twice, an unknown section, bytes after the end. */
    {
        store_config_t cfg = config(120, 100, 64 << 20);
        bytes_t f = {0}, p = {0};
        store_t *c = store_new(&cfg);
        header(&f, 1);
        series_payload(&p, &good);
        section(&f, 1, &p);
        section(&f, 1, &p);
        end(&f, 2);
        assert_int_equal(snapshot_decode(c, f.p, f.n, T0 + 1000, &r), SPIDER_EINVAL);
        assert_non_null(strstr(r.error, "twice"));
        assert_int_equal(r.series, 1);
        store_free(c);
        c = store_new(&cfg);
        f.n = 0;
        header(&f, 1);
        section(&f, 9, &p);
        assert_int_equal(snapshot_decode(c, f.p, f.n, T0 + 1000, &r), SPIDER_EINVAL);
        assert_non_null(strstr(r.error, "unknown section"));
        store_free(c);
        c = store_new(&cfg);
        f.n = 0;
        header(&f, 1);
        end(&f, 0);
        emit(&f, "x", 1);
        assert_int_equal(snapshot_decode(c, f.p, f.n, T0 + 1000, &r), SPIDER_EINVAL);
        store_free(c);
        c = store_new(&cfg);
        f.n = 0;
        header(&f, 1);
        end(&f, 3); /* counts series the file does not hold */
        assert_int_equal(snapshot_decode(c, f.p, f.n, T0 + 1000, &r), SPIDER_EINVAL);
        store_free(c);
        free(f.p);
        free(p.p);
    }
    {
        store_config_t cfg = config(60, 1, 1 << 20);
        store_t *c = store_new(&cfg);
        assert_int_equal(snapshot_decode(c, (const uint8_t *)"NOTSNAPS", 8, T0, &r), SPIDER_EINVAL);
        assert_non_null(strstr(r.error, "not a Spider snapshot"));
        store_free(c);
    }
}

/* Restore applies the window at restore time, --max-series and the budget. */
static void test_restore_limits(void **state)
{
    (void)state;
    int64_t now = T0 + 500;
    store_t *s = fill(now), *c;
    bytes_t b = encode(s, now);
    store_config_t cfg;
    snapshot_result_t r;
    store_stats_t st;

    /* 100 s later in a 120 s window: only the last 20 s (and the future) stay. */
    cfg = config(120, 100, 64 << 20);
    c = store_new(&cfg);
    assert_int_equal(snapshot_decode(c, b.p, b.n, now + 100000, &r), 0);
    assert_true(r.seconds_outside > 0);
    assert_true(r.seconds > 0);
    for (size_t i = 0; i < 1; i++) {
        const series_t *se = store_find(c, slice_cstr("checkout.db"));
        series__slot_view_t v;
        assert_non_null(se);
        series__slot_at(se, 0, &v);
        assert_true(v.sec == series_window_first(now + 100000, 120));
    }
    store_free(c);

    /* Two series at most. */
    cfg = config(120, 2, 64 << 20);
    c = store_new(&cfg);
    assert_int_equal(snapshot_decode(c, b.p, b.n, now, &r), 0);
    assert_int_equal(r.series, 2);
    assert_int_equal(r.series_refused, 3);
    store_get_stats(c, &st);
    assert_int_equal(st.series, 2);
    store_free(c);

    /* A budget smaller than the data: refused seconds, never over it. */
    cfg = config(120, 100, 64 << 10);
    c = store_new(&cfg);
    assert_int_equal(snapshot_decode(c, b.p, b.n, now, &r), 0);
    assert_true(r.seconds_refused + r.series_refused > 0);
    store_get_stats(c, &st);
    assert_true(st.bytes <= cfg.memory_limit);
    store_advance(c, now + 1000);
    store_free(c);

    /* Other le bounds: the window's data, but totals from 0. */
    cfg = config(120, 100, 64 << 20);
    cfg.le_ms[2] = 600;
    c = store_new(&cfg);
    assert_int_equal(snapshot_decode(c, b.p, b.n, now, &r), 0);
    assert_false(r.totals);
    {
        series_totals_t t;
        series_get_totals(store_find(c, slice_cstr("zero")), &t);
        assert_int_equal(t.count, 0);
    }
    store_free(c);

    free(b.p);
    store_free(s);
}

/* An empty store is a header and an end section; it restores to nothing. */
static void test_empty_store(void **state)
{
    (void)state;
    store_config_t cfg = config(60, 10, 1 << 20);
    store_t *s = store_new(&cfg), *c = store_new(&cfg);
    bytes_t b = encode(s, T0);
    snapshot_result_t r;
    assert_int_equal(snapshot_decode(c, b.p, b.n, T0, &r), 0);
    assert_int_equal(r.series, 0);
    free(b.p);
    store_free(s);
    store_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_exact),
        cmocka_unit_test(test_truncate_and_flip_every_offset),
        cmocka_unit_test(test_hostile_files),
        cmocka_unit_test(test_restore_limits),
        cmocka_unit_test(test_empty_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
