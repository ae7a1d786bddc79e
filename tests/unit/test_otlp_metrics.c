/* test_otlp_metrics.c - the OTLP metrics decoder, protobuf and JSON.
 *
 * Fixtures made by the OpenTelemetry JS SDK (tests/fixtures/otlp_metrics,
 * written by tools/otlp_metrics_fixtures.mjs; the directory is this
 * program's argument), compared with what the SDK itself collected, for
 * both encodings; and messages built here for what an SDK never sends
 * (unpacked and split repeated fields, odd field order, wrong types,
 * limits, truncation). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/error.h"
#include "ingest/otlp_metrics.h"
#include "../support/fixture.h"
#include "../support/pbmsg.h"

static const char *fixtures_dir;

/* ---- what the callback saw, copied ---- */

#define GOT_MAX  64
#define TEXT_MAX 512

typedef struct got_point {
    otlp_hist_point_t pt; /* slices and arrays below point into this struct */
    char service[TEXT_MAX], instance[TEXT_MAX], metric[TEXT_MAX], unit[TEXT_MAX];
    uint64_t counts[OTLP_METRICS_MAX_BUCKETS];
    double bounds[OTLP_METRICS_MAX_BUCKETS];
    char keys[OTLP_METRICS_MAX_ATTRS][TEXT_MAX], values[OTLP_METRICS_MAX_ATTRS][TEXT_MAX];
    otlp_attr_t attrs[OTLP_METRICS_MAX_ATTRS];
} got_point_t;

static got_point_t got[GOT_MAX];
static size_t n_got;
static otlp_metrics_stats_t stats;
static otlp_error_t err;

static slice_t keep(char *buf, slice_t s)
{
    assert_non_null(s.p);
    assert_true(s.n <= TEXT_MAX);
    memcpy(buf, s.p, s.n);
    return slice_make(buf, s.n);
}

static void collect(void *ctx, const otlp_hist_point_t *p)
{
    (void)ctx;
    assert_true(n_got < GOT_MAX);
    got_point_t *g = &got[n_got++];
    g->pt = *p;
    g->pt.service = keep(g->service, p->service);
    g->pt.instance = keep(g->instance, p->instance);
    g->pt.metric = keep(g->metric, p->metric);
    g->pt.unit = keep(g->unit, p->unit);
    assert_true(p->n_counts <= OTLP_METRICS_MAX_BUCKETS && p->n_bounds <= OTLP_METRICS_MAX_BUCKETS);
    memcpy(g->counts, p->counts, p->n_counts * sizeof *p->counts);
    memcpy(g->bounds, p->bounds, p->n_bounds * sizeof *p->bounds);
    g->pt.counts = g->counts;
    g->pt.bounds = g->bounds;
    assert_true(p->n_attrs <= OTLP_METRICS_MAX_ATTRS);
    for (size_t i = 0; i < p->n_attrs; i++) {
        g->attrs[i].key = keep(g->keys[i], p->attrs[i].key);
        g->attrs[i].value = keep(g->values[i], p->attrs[i].value);
    }
    g->pt.attrs = g->attrs;
}

/* Decodes with the callback, checks all-or-nothing and that the
 * validate-only run agrees. */
static int decode(int json, const void *p, size_t n)
{
    otlp_metrics_stats_t again;
    n_got = 0;
    memset(&stats, 0xff, sizeof stats);
    err.offset = 12345;
    err.message = NULL;
    int rc = json ? otlp_metrics_decode_json(p, n, collect, NULL, &stats, &err)
                  : otlp_metrics_decode_pb(p, n, collect, NULL, &stats, &err);
    int rc2 = json ? otlp_metrics_decode_json(p, n, NULL, NULL, &again, NULL)
                   : otlp_metrics_decode_pb(p, n, NULL, NULL, &again, NULL);
    assert_int_equal(rc, rc2);
    assert_memory_equal(&stats, &again, sizeof stats);
    if (rc != 0) {
        assert_int_equal(n_got, 0);
        assert_int_equal(stats.histogram_points, 0);
        assert_non_null(err.message);
        assert_true(err.offset <= n);
    } else {
        assert_int_equal(n_got, stats.histogram_points);
    }
    return rc;
}

static int json(const char *s)
{
    return decode(1, s, strlen(s));
}

static int pb(const msg_t *m)
{
    return decode(0, m->b, m->n);
}

static void slice_is(slice_t s, const char *want)
{
    size_t n = strlen(want);
    if (s.n != n || memcmp(s.p, want, n) != 0)
        fail_msg("got \"%.*s\", want \"%s\"", (int)s.n, s.p, want);
}

static void error_is(const char *prefix)
{
    assert_non_null(err.message);
    if (strncmp(err.message, prefix, strlen(prefix)) != 0)
        fail_msg("error \"%s\", want it to start with \"%s\"", err.message, prefix);
}

/* ---- fixtures from the SDK ---- */

static uint64_t u64_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_true(cJSON_IsString(v));
    return strtoull(v->valuestring, NULL, 10);
}

static void double_is(const cJSON *o, const char *key, int has, double got_v)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNull(v)) {
        assert_false(has);
        return;
    }
    assert_true(has);
    assert_true(cJSON_IsNumber(v));
    assert_true(v->valuedouble == got_v);
}

static void text_is(const cJSON *o, const char *key, slice_t s)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_true(cJSON_IsString(v));
    slice_is(s, v->valuestring);
}

static void point_matches(const cJSON *e, const otlp_hist_point_t *p)
{
    const char *kind = cJSON_GetObjectItemCaseSensitive(e, "kind")->valuestring;
    assert_int_equal(p->kind,
                     strcmp(kind, "exponential") == 0 ? OTLP_HIST_EXPONENTIAL : OTLP_HIST_EXPLICIT);
    text_is(e, "service", p->service);
    text_is(e, "instance", p->instance);
    text_is(e, "metric", p->metric);
    text_is(e, "unit", p->unit);
    assert_int_equal(p->temporality,
                     (uint64_t)cJSON_GetObjectItemCaseSensitive(e, "temporality")->valueint);
    assert_true(p->start_ns == u64_of(e, "start_ns"));
    assert_true(p->time_ns == u64_of(e, "time_ns"));
    assert_true(p->count == u64_of(e, "count"));
    double_is(e, "sum", p->has_sum, p->sum);
    double_is(e, "min", p->has_min, p->min);
    double_is(e, "max", p->has_max, p->max);
    const cJSON *counts = cJSON_GetObjectItemCaseSensitive(e, "counts");
    assert_int_equal(p->n_counts, (size_t)cJSON_GetArraySize(counts));
    for (size_t i = 0; i < p->n_counts; i++)
        assert_true(p->counts[i] ==
                    strtoull(cJSON_GetArrayItem(counts, (int)i)->valuestring, NULL, 10));
    const cJSON *bounds = cJSON_GetObjectItemCaseSensitive(e, "bounds");
    assert_int_equal(p->n_bounds, (size_t)cJSON_GetArraySize(bounds));
    for (size_t i = 0; i < p->n_bounds; i++)
        assert_true(p->bounds[i] == cJSON_GetArrayItem(bounds, (int)i)->valuedouble);
    assert_int_equal(p->scale, cJSON_GetObjectItemCaseSensitive(e, "scale")->valueint);
    assert_int_equal(p->offset, cJSON_GetObjectItemCaseSensitive(e, "offset")->valueint);
    assert_true(p->zero_count == u64_of(e, "zero_count"));
    assert_true(p->negative_count == u64_of(e, "negative_count"));
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(e, "attrs");
    assert_int_equal(p->n_attrs, (size_t)cJSON_GetArraySize(attrs));
    for (size_t i = 0; i < p->n_attrs; i++) {
        const cJSON *kv = cJSON_GetArrayItem(attrs, (int)i);
        slice_is(p->attrs[i].key, cJSON_GetArrayItem(kv, 0)->valuestring);
        slice_is(p->attrs[i].value, cJSON_GetArrayItem(kv, 1)->valuestring);
    }
    assert_false(p->over);
}

static void fixture(const char *name, size_t want_points)
{
    char file[256];
    size_t len;
    snprintf(file, sizeof file, "%s.expect", name);
    char *text = read_fixture(fixtures_dir, "test_otlp_metrics", file, &len);
    cJSON *expect = cJSON_ParseWithLength(text, len);
    assert_non_null(expect);
    const cJSON *points = cJSON_GetObjectItemCaseSensitive(expect, "points");
    assert_int_equal((size_t)cJSON_GetArraySize(points), want_points);
    for (int enc = 0; enc < 2; enc++) {
        snprintf(file, sizeof file, "%s.%s", name, enc ? "json" : "pb");
        char *body = read_fixture(fixtures_dir, "test_otlp_metrics", file, &len);
        /* Every prefix is either refused or a valid shorter request (a
         * protobuf cut at a field boundary); it never crashes or overreads. (First: the
         * full decode below leaves its points in got[] for the caller.) */
        for (size_t cut = 0; cut < len; cut += 1 + cut / 64) {
            char *copy = malloc(cut ? cut : 1);
            memcpy(copy, body, cut);
            (void)decode(enc, copy, cut);
            if (enc)
                assert_int_equal(err.message != NULL, 1); /* JSON: every prefix is broken */
            free(copy);
        }
        if (decode(enc, body, len) != 0)
            fail_msg("%s: %s at %zu", file, err.message, err.offset);
        assert_int_equal(n_got, want_points);
        for (size_t i = 0; i < n_got; i++)
            point_matches(cJSON_GetArrayItem(points, (int)i), &got[i].pt);
        assert_int_equal(stats.gauge_points,
                         cJSON_GetObjectItemCaseSensitive(expect, "gauge_points")->valueint);
        assert_int_equal(stats.sum_points,
                         cJSON_GetObjectItemCaseSensitive(expect, "sum_points")->valueint);
        assert_int_equal(stats.summary_points, 0);
        free(body);
    }
    cJSON_Delete(expect);
    free(text);
}

static void test_sdk_explicit_delta(void **state)
{
    (void)state;
    fixture("explicit_delta", 3);
    /* The attribute kinds, as the decoder writes them. */
    const otlp_hist_point_t *p = &got[1].pt;
    assert_int_equal(p->n_attrs, 5);
    slice_is(p->attrs[1].value, "true");
    slice_is(p->attrs[2].value, "0.1");
    slice_is(p->attrs[3].value, "-3");
}

static void test_sdk_cumulative_mixed(void **state)
{
    (void)state;
    fixture("cumulative_mixed", 2);
    assert_int_equal(got[0].pt.temporality, OTLP_TEMPORALITY_CUMULATIVE);
    assert_int_equal(stats.sum_points, 2); /* a counter and an up-down counter */
    assert_int_equal(stats.gauge_points, 1);
}

static void test_sdk_exponential(void **state)
{
    (void)state;
    fixture("exponential", 2);
    assert_true(got[0].pt.zero_count >= 1);
    assert_true(got[1].pt.scale > got[0].pt.scale); /* the narrow range keeps more resolution */
}

static void test_sdk_escapes(void **state)
{
    (void)state;
    fixture("escapes", 1);
    slice_is(got[0].pt.service, "na\xc3\xafve \"svc\"\n");
    slice_is(got[0].pt.instance, ""); /* an int: not a string */
}

/* ---- protobuf built by hand ---- */

static void m_double(msg_t *m, uint32_t field, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    m_fixed64(m, field, bits);
}

/* A request: one resource (service), one scope, one metric (name, unit)
 * whose data member `field` (9 histogram, 10 exponential) holds the given
 * points with the given temporality. */
static msg_t request(const char *service, const char *name, const char *unit, uint32_t field,
                     const msg_t *points, int n, uint64_t temporality)
{
    msg_t res = {{0}, 0}, hist = {{0}, 0}, metric = {{0}, 0}, scope = {{0}, 0}, rm = {{0}, 0},
          req = {{0}, 0};
    msg_t kv = kv_str("service.name", service);
    m_msg(&res, 1, &kv);
    for (int i = 0; i < n; i++)
        m_msg(&hist, 1, &points[i]);
    m_uint(&hist, 2, temporality);
    m_str(&metric, 1, name);
    m_str(&metric, 3, unit);
    m_msg(&metric, field, &hist);
    m_msg(&scope, 2, &metric);
    m_msg(&rm, 1, &res);
    m_msg(&rm, 2, &scope);
    m_msg(&req, 1, &rm);
    return req;
}

static void test_pb_explicit_point(void **state)
{
    (void)state;
    msg_t p = {{0}, 0};
    m_fixed64(&p, 2, 100);
    m_fixed64(&p, 3, 200);
    m_fixed64(&p, 4, 6);
    m_double(&p, 5, 42.5);
    /* bucket_counts: 1 unpacked, then 2 packed, then 1 unpacked: they concatenate */
    m_fixed64(&p, 6, 1);
    uint8_t packed[16] = {2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0};
    m_bytes(&p, 6, packed, sizeof packed);
    m_double(&p, 7, 5);  /* unpacked bound */
    m_double(&p, 7, 10); /* and another */
    m_double(&p, 11, 0.5);
    m_double(&p, 12, 17);
    m_uint(&p, 10, 0);
    msg_t kv = kv_str("route", "/x");
    m_msg(&p, 9, &kv);
    msg_t req = request("svc", "lat", "ms", 9, &p, 1, 1);
    assert_int_equal(pb(&req), 0);
    assert_int_equal(n_got, 1);
    const otlp_hist_point_t *g = &got[0].pt;
    slice_is(g->service, "svc");
    slice_is(g->metric, "lat");
    slice_is(g->unit, "ms");
    assert_int_equal(g->temporality, 1);
    assert_int_equal(g->start_ns, 100);
    assert_int_equal(g->time_ns, 200);
    assert_int_equal(g->count, 6);
    assert_true(g->has_sum && g->sum == 42.5);
    assert_true(g->has_min && g->min == 0.5 && g->has_max && g->max == 17);
    assert_int_equal(g->n_counts, 3);
    assert_int_equal(g->counts[0], 1);
    assert_int_equal(g->counts[1], 2);
    assert_int_equal(g->counts[2], 3);
    assert_int_equal(g->n_bounds, 2);
    assert_true(g->bounds[1] == 10);
    assert_int_equal(g->n_attrs, 1);
    slice_is(g->attrs[0].key, "route");
    slice_is(g->attrs[0].value, "/x");
}

static void test_pb_exponential_point(void **state)
{
    (void)state;
    msg_t p = {{0}, 0}, pos = {{0}, 0}, neg = {{0}, 0};
    m_fixed64(&p, 4, 9);
    m_uint(&p, 6, 13); /* sint32 zigzag: 13 is -7 */
    m_fixed64(&p, 7, 2);
    m_uint(&pos, 1, 20); /* offset 10 */
    uint8_t counts[3] = {1, 2, 3};
    m_bytes(&pos, 2, counts, 3); /* packed varints */
    m_uint(&pos, 2, 0);          /* and one more unpacked */
    m_msg(&p, 8, &pos);
    m_uint(&neg, 2, 1);
    m_uint(&neg, 2, UINT64_MAX); /* saturates */
    m_msg(&p, 9, &neg);
    m_double(&p, 14, 0.001);
    msg_t req = request("", "e", "s", 10, &p, 1, 2);
    assert_int_equal(pb(&req), 0);
    const otlp_hist_point_t *g = &got[0].pt;
    assert_int_equal(g->kind, OTLP_HIST_EXPONENTIAL);
    assert_int_equal(g->scale, -7);
    assert_int_equal(g->offset, 10);
    assert_int_equal(g->zero_count, 2);
    assert_int_equal(g->n_counts, 4);
    assert_int_equal(g->counts[2], 3);
    assert_true(g->negative_count == UINT64_MAX);
    assert_true(g->zero_threshold == 0.001);
    assert_int_equal(g->temporality, 2);
}

static void test_pb_field_order(void **state)
{
    (void)state;
    /* Temporality after the points, name and unit after the data, the
     * resource after the scopes: the context still applies. */
    msg_t p = {{0}, 0}, hist = {{0}, 0}, metric = {{0}, 0}, scope = {{0}, 0}, rm = {{0}, 0},
          req = {{0}, 0}, res = {{0}, 0};
    m_fixed64(&p, 4, 1);
    m_msg(&hist, 1, &p);
    m_uint(&hist, 2, 1);
    m_msg(&metric, 9, &hist);
    m_str(&metric, 1, "late");
    m_str(&metric, 3, "us");
    m_msg(&scope, 2, &metric);
    m_msg(&rm, 2, &scope);
    msg_t kv = kv_str("service.name", "after");
    m_msg(&res, 1, &kv);
    m_msg(&rm, 1, &res);
    m_msg(&req, 1, &rm);
    assert_int_equal(pb(&req), 0);
    assert_int_equal(n_got, 1);
    slice_is(got[0].pt.metric, "late");
    slice_is(got[0].pt.unit, "us");
    slice_is(got[0].pt.service, "after");
    assert_int_equal(got[0].pt.temporality, 1);
}

static void test_pb_attribute_values(void **state)
{
    (void)state;
    msg_t p = {{0}, 0};
    struct {
        const char *key;
        uint32_t field;
        uint64_t v;
        const char *text;
    } cases[] = {
        {"b", 2, 1, "true"},
        {"i", 3, (uint64_t)-42, "-42"},
        {"d", 4, 0x3ff8000000000000u, "1.5"}, /* 1.5 */
        {"min", 3, (uint64_t)INT64_MIN, "-9223372036854775808"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        msg_t any = {{0}, 0}, kv = {{0}, 0};
        if (cases[i].field == 4)
            m_fixed64(&any, 4, cases[i].v);
        else
            m_uint(&any, cases[i].field, cases[i].v);
        m_str(&kv, 1, cases[i].key);
        m_msg(&kv, 2, &any);
        m_msg(&p, 9, &kv);
    }
    /* left out: an empty value, bytes, an array */
    msg_t empty = {{0}, 0}, any = {{0}, 0}, kv = {{0}, 0};
    m_str(&empty, 1, "empty");
    m_msg(&p, 9, &empty);
    m_bytes(&any, 7, "xy", 2);
    m_str(&kv, 1, "bytes");
    m_msg(&kv, 2, &any);
    m_msg(&p, 9, &kv);
    msg_t req = request("s", "m", "ms", 9, &p, 1, 1);
    assert_int_equal(pb(&req), 0);
    assert_int_equal(got[0].pt.n_attrs, 4);
    for (size_t i = 0; i < 4; i++) {
        slice_is(got[0].pt.attrs[i].key, cases[i].key);
        slice_is(got[0].pt.attrs[i].value, cases[i].text);
    }
}

static void test_pb_limits_mark_the_point(void **state)
{
    (void)state;
    msg_t p = {{0}, 0};
    uint8_t packed[(OTLP_METRICS_MAX_BUCKETS + 1) * 8];
    memset(packed, 0, sizeof packed);
    m_bytes(&p, 6, packed, sizeof packed);
    msg_t req = request("s", "m", "ms", 9, &p, 1, 1);
    assert_int_equal(pb(&req), 0);
    assert_int_equal(n_got, 1);
    assert_true(got[0].pt.over);
    assert_int_equal(got[0].pt.n_counts, OTLP_METRICS_MAX_BUCKETS);

    msg_t q = {{0}, 0};
    for (int i = 0; i <= OTLP_METRICS_MAX_ATTRS; i++) {
        msg_t kv = kv_str("k", "v");
        m_msg(&q, 9, &kv);
    }
    req = request("s", "m", "ms", 9, &q, 1, 1);
    assert_int_equal(pb(&req), 0);
    assert_true(got[0].pt.over);
    assert_int_equal(got[0].pt.n_attrs, OTLP_METRICS_MAX_ATTRS);
}

static void test_pb_counts_other_kinds(void **state)
{
    (void)state;
    msg_t gauge = {{0}, 0}, sum = {{0}, 0}, summary = {{0}, 0}, dp = {{0}, 0}, scope = {{0}, 0},
          rm = {{0}, 0}, req = {{0}, 0};
    m_fixed64(&dp, 3, 1);
    m_msg(&gauge, 1, &dp);
    m_msg(&gauge, 1, &dp);
    m_msg(&sum, 1, &dp);
    m_msg(&summary, 1, &dp);
    msg_t mg = {{0}, 0}, ms = {{0}, 0}, mq = {{0}, 0}, none = {{0}, 0};
    m_msg(&mg, 5, &gauge);
    m_msg(&ms, 7, &sum);
    m_msg(&mq, 11, &summary);
    m_str(&none, 1, "no data");
    m_msg(&scope, 2, &mg);
    m_msg(&scope, 2, &ms);
    m_msg(&scope, 2, &mq);
    m_msg(&scope, 2, &none);
    m_msg(&rm, 2, &scope);
    m_msg(&req, 1, &rm);
    assert_int_equal(pb(&req), 0);
    assert_int_equal(n_got, 0);
    assert_int_equal(stats.gauge_points, 2);
    assert_int_equal(stats.sum_points, 1);
    assert_int_equal(stats.summary_points, 1);
    assert_int_equal(stats.metrics_without_data, 1);
}

static void test_pb_wrong_types_and_wire_errors(void **state)
{
    (void)state;
    struct {
        uint32_t field;
        const char *prefix;
    } wrong[] = {
        {4, "HistogramDataPoint.count"},           {6, "HistogramDataPoint.bucket_counts"},
        {9, "HistogramDataPoint.attributes"},      {11, "HistogramDataPoint.min"},
        {2, "HistogramDataPoint.start_time_unix"},
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        msg_t p = {{0}, 0};
        if (wrong[i].field == 9 || wrong[i].field == 6)
            m_fixed64(&p, wrong[i].field, 1); /* a fixed64 where LEN (or fixed64/LEN) is due */
        else
            m_uint(&p, wrong[i].field, 1);
        if (wrong[i].field == 6) {
            p.n = 0;
            m_uint(&p, 6, 1); /* varint: neither fixed64 nor packed */
        }
        msg_t req = request("s", "m", "ms", 9, &p, 1, 1);
        assert_int_equal(pb(&req), SPIDER_EINVAL);
        error_is(wrong[i].prefix);
    }
    /* packed doubles not a multiple of 8 */
    msg_t p = {{0}, 0};
    m_bytes(&p, 7, "1234567", 7);
    msg_t req = request("s", "m", "ms", 9, &p, 1, 1);
    assert_int_equal(pb(&req), SPIDER_EINVAL);
    error_is("HistogramDataPoint: packed length");
    /* a truncated varint inside Buckets */
    msg_t e = {{0}, 0}, pos = {{0}, 0};
    uint8_t bad[2] = {0x80, 0x80};
    m_bytes(&pos, 2, bad, 2);
    m_msg(&e, 8, &pos);
    req = request("s", "m", "ms", 10, &e, 1, 1);
    assert_int_equal(pb(&req), SPIDER_EINVAL);
    error_is("ExponentialHistogramDataPoint.Buckets: truncated varint");
    /* Metric.histogram as a varint */
    msg_t metric = {{0}, 0}, scope = {{0}, 0}, rm = {{0}, 0}, r2 = {{0}, 0};
    m_uint(&metric, 9, 1);
    m_msg(&scope, 2, &metric);
    m_msg(&rm, 2, &scope);
    m_msg(&r2, 1, &rm);
    assert_int_equal(pb(&r2), SPIDER_EINVAL);
    error_is("Metric: a data member");
}

static void test_pb_all_or_nothing(void **state)
{
    (void)state;
    msg_t good = {{0}, 0}, bad = {{0}, 0};
    m_fixed64(&good, 4, 1);
    m_uint(&bad, 4, 1); /* count as a varint */
    msg_t points[2] = {good, bad};
    msg_t req = request("s", "m", "ms", 9, points, 2, 1);
    assert_int_equal(pb(&req), SPIDER_EINVAL);
    assert_int_equal(n_got, 0);
    assert_int_equal(pb(&(msg_t){{0}, 0}), 0); /* empty: a valid request with nothing */
}

/* ---- JSON ---- */

#define JREQ(points_key, hist)                                                                     \
    "{\"resourceMetrics\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{"   \
    "\"stringValue\":\"svc\"}}]},\"scopeMetrics\":[{\"metrics\":[{\"name\":\"m\",\"unit\":\"ms\"," \
    "\"" points_key "\":" hist "}]}]}]}"

static void test_json_numbers_as_strings_and_names(void **state)
{
    (void)state;
    assert_int_equal(
        json(JREQ(
            "histogram",
            "{\"aggregationTemporality\":\"AGGREGATION_TEMPORALITY_CUMULATIVE\",\"dataPoints\":"
            "[{\"count\":\"3\",\"bucketCounts\":[\"1\",2],\"explicitBounds\":[1.5],"
            "\"sum\":\"NaN\",\"min\":null,\"max\":\"Infinity\",\"timeUnixNano\":"
            "\"1700000000000000001\",\"flags\":1,\"attributes\":[{\"key\":\"n\",\"value\":"
            "{\"intValue\":\"-7\"}},{\"key\":\"d\",\"value\":{\"doubleValue\":2}}]}]}")),
        0);
    const otlp_hist_point_t *g = &got[0].pt;
    assert_int_equal(g->temporality, 2);
    assert_int_equal(g->count, 3);
    assert_int_equal(g->n_counts, 2);
    assert_int_equal(g->counts[1], 2);
    assert_true(g->has_sum && isnan(g->sum));
    assert_false(g->has_min);
    assert_true(g->has_max && isinf(g->max));
    assert_true(g->time_ns == UINT64_C(1700000000000000001));
    assert_int_equal(g->flags, 1);
    slice_is(g->attrs[0].value, "-7");
    slice_is(g->attrs[1].value, "2");
}

static void test_json_exponential(void **state)
{
    (void)state;
    assert_int_equal(json(JREQ("exponentialHistogram",
                               "{\"dataPoints\":[{\"scale\":-3,\"zeroCount\":4,\"positive\":{"
                               "\"offset\":-2,\"bucketCounts\":[1,\"5\"]},\"negative\":{"
                               "\"bucketCounts\":[2,3]},\"zeroThreshold\":1e-9}],"
                               "\"aggregationTemporality\":1}")),
                     0);
    const otlp_hist_point_t *g = &got[0].pt;
    assert_int_equal(g->kind, OTLP_HIST_EXPONENTIAL);
    assert_int_equal(g->scale, -3);
    assert_int_equal(g->offset, -2);
    assert_int_equal(g->zero_count, 4);
    assert_int_equal(g->n_counts, 2);
    assert_int_equal(g->counts[1], 5);
    assert_int_equal(g->negative_count, 5);
    assert_int_equal(g->temporality, 1); /* read though it came after the points */
}

static void test_json_order_and_escapes(void **state)
{
    (void)state;
    /* resource after scopes, name after the data, escapes everywhere */
    assert_int_equal(
        json("{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"histogram\":{"
             "\"dataPoints\":[{\"attributes\":[{\"key\":\"k\\u0041\",\"value\":{\"stringValue\":"
             "\"v\\n\"}}]}]},\"n\\u0061me\":\"caf\\u00e9\"}]}],\"resource\":{\"attributes\":[{"
             "\"key\":\"service.name\",\"value\":{\"stringValue\":\"s\\\"q\"}}]}}]}"),
        0);
    slice_is(got[0].pt.metric, "caf\xc3\xa9");
    slice_is(got[0].pt.service, "s\"q");
    slice_is(got[0].pt.attrs[0].key, "kA");
    slice_is(got[0].pt.attrs[0].value, "v\n");
}

static void test_json_errors(void **state)
{
    (void)state;
    struct {
        const char *hist;
        const char *prefix;
    } cases[] = {
        {"{\"dataPoints\":[{\"count\":-1}]}", "DataPoint.count: not an integer"},
        {"{\"dataPoints\":[{\"count\":1.5}]}", "DataPoint.count: not an integer"},
        {"{\"dataPoints\":[{\"bucketCounts\":{}}]}", "HistogramDataPoint.bucketCounts: not an"},
        {"{\"dataPoints\":[{\"explicitBounds\":[\"x\"]}]}", "HistogramDataPoint.explicitBounds"},
        {"{\"dataPoints\":[{\"sum\":\"1e\"}]}", "DataPoint.sum: not a number"},
        {"{\"dataPoints\":[{\"flags\":4294967296}]}", "DataPoint.flags: not an integer"},
        {"{\"aggregationTemporality\":\"DELTA\"}", "Histogram.aggregationTemporality"},
        {"{\"dataPoints\":[{\"attributes\":[{\"key\":\"a\",\"value\":{\"intValue\":\"1x\"}}]}]}",
         "AnyValue.intValue: not an integer"},
        {"{\"dataPoints\":[{\"attributes\":[{\"key\":\"a\",\"value\":{\"intValue\":"
         "9223372036854775808}}]}]}",
         "AnyValue.intValue: not an integer"},
        {"{\"dataPoints\":[7]}", "Histogram.dataPoints: an element is not an object"},
        {"[]", "Metric.histogram/exponentialHistogram: not an object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[1024];
        snprintf(buf, sizeof buf, JREQ("histogram", "%s"), cases[i].hist);
        assert_int_equal(json(buf), SPIDER_EINVAL);
        error_is(cases[i].prefix);
    }
    assert_int_equal(json("{} x"), SPIDER_EINVAL);
    error_is("trailing data");
    assert_int_equal(json(""), SPIDER_EINVAL);
    assert_int_equal(json("{}"), 0);
    assert_int_equal(
        json(JREQ("exponentialHistogram", "{\"dataPoints\":[{\"scale\":2147483648}]}")),
        SPIDER_EINVAL);
    error_is("ExponentialHistogramDataPoint.scale");
    assert_int_equal(
        json(JREQ("exponentialHistogram", "{\"dataPoints\":[{\"scale\":-2147483648}]}")), 0);
    assert_int_equal(got[0].pt.scale, INT32_MIN);
}

int main(int argc, char **argv)
{
    fixtures_dir = argc > 1 ? argv[1] : NULL;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdk_explicit_delta),
        cmocka_unit_test(test_sdk_cumulative_mixed),
        cmocka_unit_test(test_sdk_exponential),
        cmocka_unit_test(test_sdk_escapes),
        cmocka_unit_test(test_pb_explicit_point),
        cmocka_unit_test(test_pb_exponential_point),
        cmocka_unit_test(test_pb_field_order),
        cmocka_unit_test(test_pb_attribute_values),
        cmocka_unit_test(test_pb_limits_mark_the_point),
        cmocka_unit_test(test_pb_counts_other_kinds),
        cmocka_unit_test(test_pb_wrong_types_and_wire_errors),
        cmocka_unit_test(test_pb_all_or_nothing),
        cmocka_unit_test(test_json_numbers_as_strings_and_names),
        cmocka_unit_test(test_json_exponential),
        cmocka_unit_test(test_json_order_and_escapes),
        cmocka_unit_test(test_json_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
