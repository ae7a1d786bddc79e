/* test_summary.c - the live summary rows from a real store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "push/summary.h"

#define T0 1764160000000ll

static void test_rows_cover_recent_closed_seconds(void **state)
{
    (void)state;
    store_config_t cfg = {
        .window_s = 600, .raw_per_second = 100, .max_series = 10, .memory_limit = 16u << 20};
    store_t *s = store_new(&cfg);
    /* b.fast: 20 samples in each of the last 10 closed seconds; a.old: only
     * 5 minutes ago (alive, but not recent); the open second is not counted. */
    for (int sec = 1; sec <= 10; sec++)
        for (int i = 1; i <= 20; i++)
            assert_int_equal(
                store_record(s, slice_cstr("b.fast"), T0 - sec * 1000 + i, i, T0 - 500), STORE_OK);
    assert_int_equal(store_record(s, slice_cstr("a.old"), T0 - 300000, 7, T0 - 500), STORE_OK);
    /* Stamped ahead (allowed): lands in the open second. The store's clock
     * stays at T0 - 500, behind the summary's now: the rate must still be
     * over the full 10 s (a regression: it was over 9.5 s). */
    assert_int_equal(store_record(s, slice_cstr("b.fast"), T0 + 10, 999, T0 - 500), STORE_OK);
    buf_t out;
    buf_init(&out);
    summary_server_t server = {.clients = 3, .ingest_per_s = 12.5};
    summary_encode(s, 7, T0 + 500, &server, &out);
    cJSON *j = cJSON_ParseWithLength(out.p, out.len);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "type")->valuestring, "update");
    assert_int_equal(cJSON_GetObjectItem(j, "seq")->valueint, 7);
    cJSON *srv = cJSON_GetObjectItem(j, "server");
    assert_int_equal(cJSON_GetObjectItem(srv, "clients")->valueint, 3);
    assert_true(cJSON_GetObjectItem(srv, "ingest_per_s")->valuedouble == 12.5);
    cJSON *rows = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "summary"), "rows");
    assert_int_equal(cJSON_GetArraySize(rows), 2);
    cJSON *old = cJSON_GetArrayItem(rows, 0), *fast = cJSON_GetArrayItem(rows, 1);
    assert_string_equal(cJSON_GetArrayItem(old, 0)->valuestring, "a.old"); /* sorted */
    assert_int_equal(cJSON_GetArrayItem(old, 2)->valueint, 0);
    assert_string_equal(cJSON_GetArrayItem(fast, 0)->valuestring, "b.fast");
    assert_true(cJSON_GetArrayItem(fast, 1)->valuedouble == 20.0); /* 200 / 10 s */
    assert_int_equal(cJSON_GetArrayItem(fast, 2)->valueint, 200);
    assert_true(cJSON_GetArrayItem(fast, 5)->valuedouble == 20.0); /* not the open 999 */
    double p50 = cJSON_GetArrayItem(fast, 3)->valuedouble;
    assert_true(p50 >= 9.9 && p50 <= 10.1);
    cJSON_Delete(j);
    buf_dispose(&out);
    store_free(s);
}

/* The count in b's row of a cached encoding at now_ms (-1: no row). */
static int cached_count(store_t *s, summary_cache_t *c, int64_t now_ms, const char *name)
{
    buf_t out;
    buf_init(&out);
    summary_server_t server = {.clients = 1, .ingest_per_s = 0};
    summary_encode_cached(s, c, 1, now_ms, &server, &out);
    /* Byte-identical to an uncached encoding, whatever the cache did. */
    buf_t fresh;
    buf_init(&fresh);
    summary_encode(s, 1, now_ms, &server, &fresh);
    assert_int_equal(out.len, fresh.len);
    assert_memory_equal(out.p, fresh.p, out.len);
    buf_dispose(&fresh);
    cJSON *j = cJSON_ParseWithLength(out.p, out.len);
    assert_non_null(j);
    cJSON *rows = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "summary"), "rows");
    int count = -1;
    cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        if (strcmp(cJSON_GetArrayItem(row, 0)->valuestring, name) == 0)
            count = cJSON_GetArrayItem(row, 2)->valueint;
    }
    cJSON_Delete(j);
    buf_dispose(&out);
    return count;
}

/* The rows are reused within a second, and recomputed when they may have
 * changed: a new series, a late sample into a closed second, the next
 * second. Samples into the open second do not show yet, so they do not
 * invalidate. */
static void test_cache_reuses_and_invalidates(void **state)
{
    (void)state;
    store_config_t cfg = {
        .window_s = 600, .raw_per_second = 100, .max_series = 10, .memory_limit = 16u << 20};
    store_t *s = store_new(&cfg);
    summary_cache_t c;
    summary_cache_init(&c);
    assert_int_equal(store_record(s, slice_cstr("b"), T0 - 1500, 5, T0 + 100), STORE_OK);
    assert_int_equal(cached_count(s, &c, T0 + 100, "b"), 1);
    assert_int_equal(c.encodes, 1);
    /* Same second, a sample into the open second only: reused. */
    assert_int_equal(store_record(s, slice_cstr("b"), T0 + 150, 5, T0 + 200), STORE_OK);
    assert_int_equal(cached_count(s, &c, T0 + 200, "b"), 1);
    assert_int_equal(c.encodes, 1);
    /* A late sample into a closed second: recomputed. */
    assert_int_equal(store_record(s, slice_cstr("b"), T0 - 1200, 5, T0 + 300), STORE_OK);
    assert_int_equal(cached_count(s, &c, T0 + 300, "b"), 2);
    assert_int_equal(c.encodes, 2);
    /* A new series (its sample in the open second): listed at once. */
    assert_int_equal(store_record(s, slice_cstr("a.new"), T0 + 400, 5, T0 + 400), STORE_OK);
    assert_int_equal(cached_count(s, &c, T0 + 400, "a.new"), 0);
    assert_int_equal(c.encodes, 3);
    assert_int_equal(cached_count(s, &c, T0 + 900, "a.new"), 0);
    assert_int_equal(c.encodes, 3);
    /* The next second closes the open one: recomputed, and it counts. */
    assert_int_equal(cached_count(s, &c, T0 + 1000, "b"), 3);
    assert_int_equal(cached_count(s, &c, T0 + 1000, "a.new"), 1);
    assert_int_equal(c.encodes, 4);
    summary_cache_dispose(&c);
    store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_cover_recent_closed_seconds),
        cmocka_unit_test(test_cache_reuses_and_invalidates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
