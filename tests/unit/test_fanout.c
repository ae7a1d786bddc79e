/* test_fanout.c - the detail stream: snapshots, deltas, sharing, limits.
 *
 * A model client applies every detail message as docs/protocol.md says
 * (reset drops the series, a second replaces the one held) and is then
 * compared with the store: what the stream delivers must be exactly what
 * the store holds, whatever the ticks, late samples and limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "push/control.h"
#include "push/fanout.h"
#include "../support/test_rng.h"

#define T0         1764160000000ll
#define MODEL_MAX  4096
#define NAME_BYTES 32

/* What a client holds: one row per (series, second). */
typedef struct model_row {
    char series[NAME_BYTES];
    int64_t start_ms;
    uint64_t count, raw, hist_total;
} model_row_t;

typedef struct model {
    model_row_t rows[MODEL_MAX];
    size_t n;
    unsigned messages, resets, mores;
} model_t;

typedef struct client {
    subs_t subs;
    fanout_cursor_t cur;
    model_t model;
} client_t;

static void model_drop(model_t *m, const char *series)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->rows[i].series, series) != 0)
            m->rows[k++] = m->rows[i];
    m->n = k;
}

static model_row_t *model_row(model_t *m, const char *series, int64_t start_ms)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->rows[i].start_ms == start_ms && strcmp(m->rows[i].series, series) == 0)
            return &m->rows[i];
    assert_true(m->n < MODEL_MAX);
    model_row_t *r = &m->rows[m->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->series, sizeof r->series, "%s", series);
    r->start_ms = start_ms;
    return r;
}

/* Applies one detail message; checks its shape on the way. */
static void model_apply(model_t *m, frame_t *f)
{
    cJSON *j = cJSON_ParseWithLength((const char *)frame_data(f), frame_len(f));
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "type")->valuestring, "detail");
    const char *series = cJSON_GetObjectItem(j, "series")->valuestring;
    m->messages++;
    if (cJSON_IsTrue(cJSON_GetObjectItem(j, "reset"))) {
        m->resets++;
        model_drop(m, series);
    }
    if (cJSON_IsTrue(cJSON_GetObjectItem(j, "more")))
        m->mores++;
    cJSON *secs = cJSON_GetObjectItem(j, "seconds"), *raw = cJSON_GetObjectItem(j, "raw"),
          *hist = cJSON_GetObjectItem(j, "hist");
    int n = cJSON_GetArraySize(secs);
    assert_int_equal(cJSON_GetArraySize(raw), n);
    assert_int_equal(cJSON_GetArraySize(hist), n);
    int64_t prev = INT64_MIN;
    for (int i = 0; i < n; i++) {
        cJSON *row = cJSON_GetArrayItem(secs, i);
        int64_t start = (int64_t)cJSON_GetArrayItem(row, 0)->valuedouble;
        assert_true(start > prev); /* oldest first, each second once */
        prev = start;
        assert_true(cJSON_GetArrayItem(cJSON_GetArrayItem(raw, i), 0)->valuedouble == start);
        assert_true(cJSON_GetArrayItem(cJSON_GetArrayItem(hist, i), 0)->valuedouble == start);
        model_row_t *r = model_row(m, series, start);
        r->count = (uint64_t)cJSON_GetArrayItem(row, 1)->valuedouble;
        cJSON *pts = cJSON_GetArrayItem(cJSON_GetArrayItem(raw, i), 1);
        r->raw = (uint64_t)cJSON_GetArraySize(pts) / 2;
        cJSON *buckets = cJSON_GetArrayItem(cJSON_GetArrayItem(hist, i), 1);
        r->hist_total = 0;
        for (int k = 1; k < cJSON_GetArraySize(buckets); k += 2)
            r->hist_total += (uint64_t)cJSON_GetArrayItem(buckets, k)->valuedouble;
    }
    cJSON_Delete(j);
}

/* One push tick for these clients (NULL entries skip the tick: busy). */
static void tick(fanout_t *f, store_t *s, client_t **clients, size_t n, frame_t **first_out)
{
    fanout_begin(f, s);
    for (size_t i = 0; i < n; i++) {
        if (!clients[i])
            continue;
        frame_t *out[FANOUT_MAX_PIECES];
        size_t k = fanout_client(f, &clients[i]->subs, &clients[i]->cur, out, FANOUT_MAX_PIECES);
        for (size_t j = 0; j < k; j++) {
            model_apply(&clients[i]->model, out[j]);
            if (first_out && j == 0 && !first_out[i])
                first_out[i] = frame_ref(out[j]);
            frame_unref(out[j]);
        }
    }
    fanout_end(f);
}

typedef struct expect_ctx {
    const model_t *m;
    const char *series;
    int64_t from_ms;
    size_t seen;
} expect_ctx_t;

static void expect_second(void *ctx, const series_second_t *sec)
{
    expect_ctx_t *e = ctx;
    if (sec->start_ms < e->from_ms)
        return;
    e->seen++;
    for (size_t i = 0; i < e->m->n; i++) {
        const model_row_t *r = &e->m->rows[i];
        if (r->start_ms == sec->start_ms && strcmp(r->series, e->series) == 0) {
            assert_int_equal(r->count, sec->count);
            assert_int_equal(r->hist_total, sec->count);
            assert_true(r->raw >= 1 && r->raw <= sec->count);
            return;
        }
    }
    fail_msg("second %lld of %s missing", (long long)sec->start_ms, e->series);
}

/* The client holds exactly the store's seconds of `series` from from_ms. */
static void expect_in_sync(store_t *s, const model_t *m, const char *series, int64_t from_ms)
{
    expect_ctx_t e = {m, series, from_ms, 0};
    series_foreach_second(s, store_find(s, slice_cstr(series)), INT64_MIN, INT64_MAX, expect_second,
                          &e);
    size_t held = 0;
    for (size_t i = 0; i < m->n; i++)
        held += strcmp(m->rows[i].series, series) == 0 && m->rows[i].start_ms >= from_ms;
    assert_int_equal(held, e.seen);
}

static store_t *new_store(void)
{
    store_config_t cfg = {
        .window_s = 3600, .raw_per_second = 20, .max_series = 100, .memory_limit = 64u << 20};
    return store_new(&cfg);
}

/* A store, a fan-out with these limits and three clients. */
typedef struct fixture {
    store_t *s;
    uint64_t live; /* the fan-out's gauge of live piece bytes */
    fanout_t f;
    client_t c[3];
} fixture_t;

static fixture_t *fixture_new(size_t max_update, uint64_t push_buffer)
{
    fixture_t *x = calloc(1, sizeof *x);
    assert_non_null(x);
    x->s = new_store();
    fanout_init(&x->f, max_update, push_buffer, &x->live, 16);
    return x;
}

static void fixture_free(fixture_t *x)
{
    fanout_dispose(&x->f);
    for (int i = 0; i < 3; i++)
        subs_dispose(&x->c[i].subs);
    store_free(x->s);
    free(x);
}

static void subscribe(client_t *c, const char *json, int64_t now_ms)
{
    control_msg_t *msg = malloc(sizeof *msg);
    assert_int_equal(control_parse(json, strlen(json), msg, NULL), 0);
    subs_set(&c->subs, msg);
    fanout_cursor_reset(&c->cur, now_ms, msg->window_s);
    free(msg);
}

static void record(store_t *s, const char *name, int64_t ts, double ms, int64_t now)
{
    assert_int_equal(store_record(s, slice_cstr(name), ts, ms, now), STORE_OK);
}

/* Random samples over many ticks, many into seconds already sent (late),
 * one client that keeps up and one that skips ticks: both end up holding
 * exactly what the store holds, and clients at the same cursor share the
 * encoded frames. */
static void test_stream_is_exactly_the_store(void **state)
{
    (void)state;
    fixture_t *x = fixture_new(1 << 20, 1 << 30);
    client_t *a = &x->c[0], *b = &x->c[1], *c = &x->c[2];
    int64_t now = T0;
    record(x->s, "x", now - 100000, 5, now); /* history before subscribing */
    subscribe(a, "{\"subscribe\":[\"x\",\"y\"],\"window_s\":600}", now);
    subscribe(b, "{\"subscribe\":[\"y\",\"x\"],\"window_s\":600}", now);
    subscribe(c, "{\"subscribe\":\"*\",\"window_s\":600}", now);
    test_rng_t rng = {TEST_RNG_XORSHIFT64, 42};
    for (int t = 0; t < 60; t++) {
        now += 1000;
        for (int i = 0; i < 50; i++) {
            /* Mostly the current second, sometimes up to 30 s late. */
            int64_t late =
                test_rng_next(&rng) % 4 == 0 ? (int64_t)(test_rng_next(&rng) % 30000) : 0;
            record(x->s, test_rng_next(&rng) % 2 ? "x" : "y", now - late, (double)(i + 1), now);
        }
        store_advance(x->s, now);
        frame_t *first[3] = {NULL, NULL, NULL};
        /* c is busy every third tick: it must catch up without gaps. */
        client_t *clients[3] = {a, b, t % 3 == 1 ? NULL : c};
        tick(&x->f, x->s, clients, 3, first);
        /* a and b are at the same cursor: one encoding, shared. */
        assert_ptr_equal(first[0], first[1]);
        for (int i = 0; i < 3; i++)
            frame_unref(first[i]);
    }
    now += 1000;
    store_advance(x->s, now);
    client_t *clients[3] = {a, b, c};
    tick(&x->f, x->s, clients, 3, NULL);
    for (int i = 0; i < 3; i++) {
        expect_in_sync(x->s, &clients[i]->model, "x", now - 600000);
        expect_in_sync(x->s, &clients[i]->model, "y", now - 600000);
    }
    /* The first update was the snapshot: one reset per series, then none. */
    assert_int_equal(a->model.resets, 2);
    assert_int_equal(c->model.resets, 2);
    assert_int_equal(x->live, 0); /* every piece freed once nobody holds it */
    fixture_free(x);
}

/* An update that cannot hold the whole history carries it over several
 * ticks, oldest first, and then goes on with changes. */
static void test_long_history_is_split_across_updates(void **state)
{
    (void)state;
    fixture_t *x = fixture_new(4096, 1 << 30);
    client_t *a = &x->c[0];
    int64_t now = T0;
    for (int sec = 0; sec < 300; sec++)
        for (int i = 0; i < 20; i++)
            record(x->s, "x", now - 299000 + sec * 1000 + i * 7, 1.0 + i, now);
    store_advance(x->s, now);
    subscribe(a, "{\"subscribe\":[\"x\"],\"window_s\":3600}", now);
    int ticks = 0;
    do {
        tick(&x->f, x->s, &a, 1, NULL);
        /* A late sample into an early second while the pass runs: it must
         * arrive too (the next pass sends its second again). */
        if (ticks == 2)
            record(x->s, "x", now - 298500, 99, now);
        ticks++;
    } while (a->cur.walking && ticks < 1000);
    assert_true(ticks > 5); /* 300 s of 20 points do not fit in 4 KB */
    assert_true(a->model.mores >= 5);
    assert_int_equal(a->model.resets, 1);
    tick(&x->f, x->s, &a, 1, NULL);
    expect_in_sync(x->s, &a->model, "x", INT64_MIN);
    fixture_free(x);
}

/* With --push-buffer full, new detail waits (counted); the summary-only
 * update goes on, and the detail comes once there is room. */
static void test_push_buffer_defers_detail(void **state)
{
    (void)state;
    fixture_t *x = fixture_new(1 << 20, 1000);
    client_t *a = &x->c[0];
    record(x->s, "x", T0 - 500, 1, T0);
    subscribe(a, "{\"subscribe\":[\"x\"]}", T0);
    x->live = 1000; /* as if other clients held that much */
    tick(&x->f, x->s, &a, 1, NULL);
    assert_int_equal(a->model.messages, 0);
    assert_int_equal(x->f.deferred, 1);
    x->live = 0;
    tick(&x->f, x->s, &a, 1, NULL);
    assert_int_equal(a->model.resets, 1);
    expect_in_sync(x->s, &a->model, "x", INT64_MIN);
    fixture_free(x);
}

/* Quiet series cost nothing: no message and no encoding once in sync. */
static void test_nothing_new_sends_nothing(void **state)
{
    (void)state;
    fixture_t *x = fixture_new(1 << 20, 1 << 30);
    client_t *a = &x->c[0];
    record(x->s, "x", T0 - 500, 1, T0);
    subscribe(a, "{\"subscribe\":\"*\"}", T0);
    tick(&x->f, x->s, &a, 1, NULL);
    assert_int_equal(a->model.messages, 1);
    uint64_t encoded = x->f.pieces_encoded;
    for (int i = 0; i < 3; i++)
        tick(&x->f, x->s, &a, 1, NULL);
    assert_int_equal(a->model.messages, 1);
    assert_int_equal(x->f.pieces_encoded, encoded);
    /* A new series under "*": sent whole, without reset. */
    record(x->s, "new", T0 - 200, 3, T0);
    tick(&x->f, x->s, &a, 1, NULL);
    assert_int_equal(a->model.messages, 2);
    expect_in_sync(x->s, &a->model, "new", INT64_MIN);
    fixture_free(x);
}

/* Dashboards that subscribe within the same second to the same range (a
 * reconnect wave after a restart) share their snapshot pieces. */
static void test_snapshots_within_a_second_are_shared(void **state)
{
    (void)state;
    fixture_t *x = fixture_new(1 << 20, 1 << 30);
    client_t *pair[2] = {&x->c[0], &x->c[1]};
    record(x->s, "x", T0 - 5000, 1, T0);
    subscribe(pair[0], "{\"subscribe\":[\"x\"],\"window_s\":60}", T0 + 100);
    subscribe(pair[1], "{\"subscribe\":[\"x\"],\"window_s\":60}", T0 + 900);
    frame_t *first[2] = {NULL, NULL};
    tick(&x->f, x->s, pair, 2, first);
    assert_non_null(first[0]);
    assert_ptr_equal(first[0], first[1]);
    assert_int_equal(x->f.pieces_encoded, 1);
    frame_unref(first[0]);
    frame_unref(first[1]);
    fixture_free(x);
}

/* The compact subscription: sorted names in one small block. */
static void test_subs_are_sorted_and_small(void **state)
{
    (void)state;
    static client_t a;
    subscribe(&a, "{\"subscribe\":[\"b\",\"a\",\"ab\"]}", T0);
    assert_int_equal(a.subs.count, 3);
    assert_int_equal(subs_name_cmp(a.subs.names[0], slice_cstr("a")), 0);
    assert_int_equal(subs_name_cmp(a.subs.names[1], slice_cstr("ab")), 0);
    assert_int_equal(subs_name_cmp(a.subs.names[2], slice_cstr("b")), 0);
    assert_true(subs_bytes(&a.subs) < 64);
    assert_int_equal(subs_lower_bound(&a.subs, slice_cstr("aa")), 1);
    subscribe(&a, "{\"subscribe\":[]}", T0);
    assert_false(subs_any(&a.subs));
    subs_dispose(&a.subs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_is_exactly_the_store),
        cmocka_unit_test(test_long_history_is_split_across_updates),
        cmocka_unit_test(test_push_buffer_defers_detail),
        cmocka_unit_test(test_nothing_new_sends_nothing),
        cmocka_unit_test(test_snapshots_within_a_second_are_shared),
        cmocka_unit_test(test_subs_are_sorted_and_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
