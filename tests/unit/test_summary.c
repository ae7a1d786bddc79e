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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_cover_recent_closed_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
