/* test_liveroll.c - live roll-ups (push/liveroll.c) are the query's rows.
 *
 * A store is fed random samples tick after tick, some of them late (into
 * seconds clients already hold). Clients apply the messages they get as
 * docs/protocol.md says (a reset drops everything; every message replaces
 * the rows of its steps): one takes every tick, one skips ticks at random
 * (busy), one subscribes late. After a last tick that serves all of them,
 * each holds exactly what a fresh roll-up of its window answers, row for
 * row. Then the sharing (one encoding per cursor) and the bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "api/rollup.h"
#include "push/control.h"
#include "push/liveroll.h"
#include "../support/test_rng.h"

#define NOW0            INT64_C(1800000000000)
#define HISTORY_MS      INT64_C(30000)
#define TICKS           60
#define MAX_ROWS        4096
#define RNG_BELOW(r, n) ((unsigned)(test_rng_next(r) % (n)))

/* What a client holds of one roll-up: rows by (group, start). */
typedef struct row {
    char group[96];
    int64_t start;
    char *text; /* the row as printed by cJSON */
} row_t;

typedef struct model {
    row_t rows[MAX_ROWS];
    size_t n;
    unsigned resets, messages;
} model_t;

static void model_clear(model_t *m, int64_t lo, int64_t hi)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->rows[i].start >= lo && m->rows[i].start < hi) {
            free(m->rows[i].text);
            continue;
        }
        m->rows[k++] = m->rows[i];
    }
    m->n = k;
}

/* Applies one rollup message (the answer object r) to m. */
static void model_apply(model_t *m, const cJSON *r, int reset)
{
    int64_t step = (int64_t)cJSON_GetObjectItem(r, "step_ms")->valuedouble;
    int64_t since = (int64_t)cJSON_GetObjectItem(r, "since_ms")->valuedouble;
    int64_t until = (int64_t)cJSON_GetObjectItem(r, "until_ms")->valuedouble;
    if (reset)
        model_clear(m, INT64_MIN, INT64_MAX);
    else
        model_clear(m, since / step * step, until);
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(r, "groups"))
    {
        char *labels = cJSON_PrintUnformatted(cJSON_GetObjectItem(g, "labels"));
        const cJSON *row;
        cJSON_ArrayForEach(row, cJSON_GetObjectItem(g, "steps"))
        {
            assert_true(m->n < MAX_ROWS);
            row_t *x = &m->rows[m->n++];
            snprintf(x->group, sizeof x->group, "%s", labels);
            x->start = (int64_t)cJSON_GetArrayItem(row, 0)->valuedouble;
            x->text = cJSON_PrintUnformatted(row);
        }
        free(labels);
    }
}

static const row_t *model_find(const model_t *m, const char *group, int64_t start)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->rows[i].start == start && strcmp(m->rows[i].group, group) == 0)
            return &m->rows[i];
    return NULL;
}

typedef struct client {
    liveroll_client_t lc;
    model_t model[2]; /* by the roll-up's match */
} client_t;

static store_t *store;
static liveroll_t *lr;
static uint64_t live_bytes;
static control_msg_t msg;
static client_t clients[3];

static const char *const matches[2] = {"lat", "lat{k!=\"3\"}"};

static void subscribe(client_t *c)
{
    control_error_t err;
    const char *text =
        "{\"subscribe\":[],\"rollups\":[{\"match\":\"lat\",\"by\":\"k\",\"step_s\":5},"
        "{\"match\":\"lat{k!=\\\"3\\\"}\"}]}";
    assert_int_equal(control_parse(text, strlen(text), &msg, &err), 0);
    assert_int_equal(msg.n_rollups, 2);
    liveroll_set(lr, &c->lc, &msg, HISTORY_MS);
}

/* Serves c at this tick: applies each message it gets. */
static void serve(client_t *c)
{
    frame_t *out[CONTROL_MAX_ROLLUPS];
    size_t n = liveroll_client(lr, &c->lc, out, CONTROL_MAX_ROLLUPS);
    for (size_t i = 0; i < n; i++) {
        cJSON *j = cJSON_ParseWithLength((const char *)frame_data(out[i]), frame_len(out[i]));
        assert_non_null(j);
        assert_string_equal(cJSON_GetObjectItem(j, "type")->valuestring, "rollup");
        const cJSON *r = cJSON_GetObjectItem(j, "rollup");
        assert_non_null(r);
        const char *match = cJSON_GetObjectItem(r, "match")->valuestring;
        model_t *m = &c->model[strcmp(match, matches[0]) == 0 ? 0 : 1];
        int reset = cJSON_IsTrue(cJSON_GetObjectItem(j, "reset"));
        model_apply(m, r, reset);
        m->resets += (unsigned)reset;
        m->messages++;
        cJSON_Delete(j);
        frame_unref(out[i]);
    }
}

static void feed(test_rng_t *rng, int64_t now, int tick)
{
    char key[32];
    int n = (int)RNG_BELOW(rng, 40);
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "lat{k=\"%u\"}", (unsigned)RNG_BELOW(rng, 4));
        /* Mostly now, some late: into seconds held since long ago. */
        int64_t back =
            RNG_BELOW(rng, 8) == 0 ? (int64_t)RNG_BELOW(rng, 40000) : (int64_t)RNG_BELOW(rng, 1500);
        double ms = 0.1 + (double)RNG_BELOW(rng, 100000) / 97.0;
        assert_int_equal(store_record(store, slice_cstr(key), now - back, ms, now), STORE_OK);
    }
    (void)tick;
}

/* What a client holding roll-up i must hold at now: a fresh answer. */
static void expect_equal(const model_t *m, int which, int64_t now)
{
    rollup_req_t req;
    memset(&req, 0, sizeof req);
    selector_error_t serr;
    assert_int_equal(selector_parse(&req.match, matches[which], strlen(matches[which]), &serr), 0);
    req.match_text = slice_cstr(matches[which]);
    if (which == 0) {
        req.by[0] = slice_cstr("k");
        req.n_by = 1;
    }
    req.step_ms = which == 0 ? 5000 : rollup_default_step(HISTORY_MS + 1000);
    req.since_ms = now - HISTORY_MS;
    req.until_ms = now + 1000;
    size_t n_all;
    const series_t **all = store_sorted(store, &n_all);
    buf_t b;
    buf_init(&b);
    rollup_error_t err;
    assert_int_equal(rollup_run(store, all, n_all, &req, now, 1000, 0, now, &b, &err), ROLLUP_OK);
    free(all);
    selector_free(&req.match);
    cJSON *r = cJSON_ParseWithLength(b.p, b.len);
    buf_dispose(&b);
    assert_non_null(r);
    model_t *want = calloc(1, sizeof *want);
    model_apply(want, r, 1);
    /* The oldest step may be partial (the window starts inside it): the
     * client's copy of it is older. Compare from the first whole step. */
    int64_t first_whole = (req.since_ms + req.step_ms - 1) / req.step_ms * req.step_ms;
    size_t compared = 0;
    for (size_t i = 0; i < want->n; i++) {
        if (want->rows[i].start < first_whole)
            continue;
        const row_t *got = model_find(m, want->rows[i].group, want->rows[i].start);
        if (!got)
            fail_msg("roll-up %d: no row %s %lld", which, want->rows[i].group,
                     (long long)want->rows[i].start);
        assert_string_equal(got->text, want->rows[i].text);
        compared++;
    }
    for (size_t i = 0; i < m->n; i++)
        if (m->rows[i].start >= first_whole &&
            !model_find(want, m->rows[i].group, m->rows[i].start))
            fail_msg("roll-up %d: a row the query does not have: %s %lld", which, m->rows[i].group,
                     (long long)m->rows[i].start);
    assert_true(compared >= 5);
    model_clear(want, INT64_MIN, INT64_MAX);
    free(want);
    cJSON_Delete(r);
}

static void test_clients_hold_the_query_rows(void **state)
{
    (void)state;
    test_rng_t rng = {TEST_RNG_XORSHIFT64, 1};
    test_rng_seed(&rng, 20261204);
    int64_t now = NOW0;
    subscribe(&clients[0]);
    subscribe(&clients[1]);
    unsigned encoded_before = 0;
    for (int tick = 0; tick < TICKS; tick++) {
        /* Ticks at any millisecond; some with nothing new. */
        now += 700 + RNG_BELOW(&rng, 600);
        store_advance(store, now);
        if (tick % 5 != 4)
            feed(&rng, now, tick);
        uint32_t epoch = store_close_epoch(store);
        liveroll_begin(lr, store, epoch, now);
        if (tick == 20)
            subscribe(&clients[2]);
        serve(&clients[0]);
        if (RNG_BELOW(&rng, 10) < 3)
            serve(&clients[1]); /* busy at the other ticks */
        if (tick >= 20 && tick % 7 == 0)
            serve(&clients[2]);
        encoded_before = (unsigned)liveroll_stats(lr)->encoded;
        liveroll_end(lr);
    }
    /* Two quiet ticks, then a last one that serves everybody. */
    for (int i = 0; i < 2; i++) {
        now += 2000;
        store_advance(store, now);
        liveroll_begin(lr, store, store_close_epoch(store), now);
        serve(&clients[0]);
        liveroll_end(lr);
    }
    now += 1000;
    store_advance(store, now);
    liveroll_begin(lr, store, store_close_epoch(store), now);
    for (int i = 0; i < 3; i++)
        serve(&clients[i]);
    liveroll_end(lr);
    for (int i = 0; i < 3; i++)
        for (int w = 0; w < 2; w++) {
            expect_equal(&clients[i].model[w], w, now);
            assert_int_equal(clients[i].model[w].resets, 1);
        }
    assert_true(clients[1].model[0].messages < clients[0].model[0].messages);
    assert_true(encoded_before > 0);
    for (int i = 0; i < 3; i++) {
        for (int w = 0; w < 2; w++)
            model_clear(&clients[i].model[w], INT64_MIN, INT64_MAX);
        liveroll_clear(lr, &clients[i].lc);
    }
    assert_int_equal(liveroll_stats(lr)->shapes, 0);
    assert_int_equal(live_bytes, 0);
}

/* Clients at the same cursor share one frame; others get their own. */
static void test_one_encoding_per_cursor(void **state)
{
    (void)state;
    client_t *a = calloc(3, sizeof *a);
    int64_t now = NOW0 + 100000;
    store_advance(store, now);
    for (int i = 0; i < 3; i++)
        subscribe(&a[i]);
    assert_int_equal(liveroll_stats(lr)->shapes, 2);
    liveroll_begin(lr, store, store_close_epoch(store), now);
    uint64_t e0 = liveroll_stats(lr)->encoded;
    frame_t *f[3][CONTROL_MAX_ROLLUPS];
    for (int i = 0; i < 3; i++)
        assert_int_equal(liveroll_client(lr, &a[i].lc, f[i], CONTROL_MAX_ROLLUPS), 2);
    assert_int_equal(liveroll_stats(lr)->encoded - e0, 2); /* one per shape */
    assert_ptr_equal(f[0][0], f[2][0]);
    assert_ptr_equal(f[0][1], f[1][1]);
    liveroll_end(lr);
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 2; k++) {
            assert_int_equal(frame_refs(f[i][k]), 3 - (unsigned)i);
            frame_unref(f[i][k]);
        }
    for (int i = 0; i < 3; i++)
        liveroll_clear(lr, &a[i].lc);
    assert_int_equal(live_bytes, 0);
    free(a);
}

/* Over max_shapes (2 here): refused with one error message; nothing else. */
static void test_shape_limit(void **state)
{
    (void)state;
    liveroll_client_t c = {0}, d = {0};
    control_error_t err;
    const char *two = "{\"subscribe\":[],\"rollups\":[{\"match\":\"a\"},{\"match\":\"b\"}]}";
    const char *third = "{\"subscribe\":[],\"rollups\":[{\"match\":\"c\",\"by\":\"x,y\"}]}";
    assert_int_equal(control_parse(two, strlen(two), &msg, &err), 0);
    liveroll_set(lr, &c, &msg, HISTORY_MS);
    assert_int_equal(control_parse(third, strlen(third), &msg, &err), 0);
    liveroll_set(lr, &d, &msg, HISTORY_MS);
    assert_int_equal(liveroll_stats(lr)->shapes, 2);
    assert_int_equal(liveroll_stats(lr)->refused[LIVEROLL_REFUSED_SHAPES], 1);
    liveroll_begin(lr, store, store_close_epoch(store), NOW0 + 200000);
    frame_t *out[CONTROL_MAX_ROLLUPS];
    assert_int_equal(liveroll_client(lr, &d, out, CONTROL_MAX_ROLLUPS), 1);
    cJSON *j = cJSON_ParseWithLength((const char *)frame_data(out[0]), frame_len(out[0]));
    assert_string_equal(cJSON_GetObjectItem(j, "match")->valuestring, "c");
    assert_string_equal(cJSON_GetObjectItem(j, "param")->valuestring, "rollups");
    assert_non_null(strstr(cJSON_GetObjectItem(j, "error")->valuestring, "--max-live-rollups"));
    cJSON_Delete(j);
    frame_unref(out[0]);
    assert_int_equal(liveroll_client(lr, &d, out, CONTROL_MAX_ROLLUPS), 0); /* told once */
    liveroll_end(lr);
    liveroll_clear(lr, &c);
    liveroll_clear(lr, &d);
    assert_int_equal(liveroll_stats(lr)->shapes, 0);
}

static int setup(void **state)
{
    (void)state;
    store_config_t cfg = {
        .window_s = 600, .raw_per_second = 8, .max_series = 1000, .memory_limit = 64u << 20};
    store = store_new(&cfg);
    lr = liveroll_new(2, 1000, UINT64_MAX, &live_bytes, 16);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    liveroll_free(lr);
    store_free(store);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clients_hold_the_query_rows),
        cmocka_unit_test(test_one_encoding_per_cursor),
        cmocka_unit_test(test_shape_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
