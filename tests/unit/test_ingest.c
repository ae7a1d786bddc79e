/* test_ingest.c - a batch applied to a real store: answers and counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "api/ingest.h"

#define NOW 1764160000000ll

static store_t *new_store(uint32_t max_series)
{
    store_config_t cfg = {
        .window_s = 60, .raw_per_second = 100, .max_series = max_series, .memory_limit = 64u << 20};
    return store_new(&cfg);
}

/* Runs one batch; returns the status and leaves the parsed answer in *json. */
static int apply(store_t *s, metrics_t *m, const char *body, cJSON **json)
{
    buf_t out;
    buf_init(&out);
    int status = ingest_handle(s, m, body, strlen(body), NOW, &out);
    *json = cJSON_ParseWithLength(out.p, out.len);
    assert_non_null(*json);
    buf_dispose(&out);
    return status;
}

static int number(cJSON *j, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    assert_non_null(v);
    return v->valueint;
}

/* Series in the store (store_get_stats().series). */
static size_t series_count(store_t *s)
{
    store_stats_t st;
    store_get_stats(s, &st);
    return st.series;
}

static void test_accepts_and_counts(void **state)
{
    (void)state;
    store_t *s = new_store(10);
    metrics_t m = {0};
    cJSON *j;
    assert_int_equal(apply(s, &m, "{\"a\":[1,2,[1764159999000,3]],\"b\":[4]}", &j), 200);
    assert_int_equal(number(j, "accepted"), 4);
    assert_int_equal(number(j, "rejected"), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "errors")), 0);
    cJSON_Delete(j);
    assert_int_equal(m.ingest.accepted[INGEST_JSON], 4);
    assert_int_equal(m.ingest_requests, 1);
    assert_int_equal(series_count(s), 2);
    store_free(s);
}

static void test_rejects_are_explained_in_order(void **state)
{
    (void)state;
    store_t *s = new_store(1);
    metrics_t m = {0};
    cJSON *j;
    const char *body = "{\"a\":[-1, 2, [1764150000000, 1], [1764170000000, 1]], \"b\":[1]}";
    assert_int_equal(apply(s, &m, body, &j), 200);
    assert_int_equal(number(j, "accepted"), 1);
    assert_int_equal(number(j, "rejected"), 4);
    cJSON *errors = cJSON_GetObjectItem(j, "errors");
    const char *reasons[] = {"negative duration", "timestamp older than the window",
                             "timestamp more than 60 s in the future",
                             "series limit reached (--max-series)"};
    assert_int_equal(cJSON_GetArraySize(errors), 4);
    for (int i = 0; i < 4; i++) {
        cJSON *e = cJSON_GetArrayItem(errors, i);
        assert_string_equal(cJSON_GetObjectItem(e, "reason")->valuestring, reasons[i]);
    }
    /* The offset points at the sample itself. */
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(errors, 0), "offset")->valueint, 6);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(errors, 3), "series")->valuestring,
                        "b");
    cJSON_Delete(j);
    assert_int_equal(m.ingest.rejected[INGEST_JSON][INGEST_REJECT_NEGATIVE], 1);
    assert_int_equal(m.ingest.rejected[INGEST_JSON][INGEST_REJECT_TOO_OLD], 1);
    assert_int_equal(m.ingest.rejected[INGEST_JSON][INGEST_REJECT_TOO_NEW], 1);
    assert_int_equal(m.ingest.rejected[INGEST_JSON][INGEST_REJECT_SERIES_LIMIT], 1);
    store_free(s);
}

static void test_errors_list_is_capped(void **state)
{
    (void)state;
    store_t *s = new_store(10);
    metrics_t m = {0};
    char body[4096] = "{\"neg\":[";
    for (int i = 0; i < 50; i++)
        strcat(body, i ? ",-1" : "-1");
    strcat(body, "]}");
    cJSON *j;
    assert_int_equal(apply(s, &m, body, &j), 200);
    assert_int_equal(number(j, "rejected"), 50);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "errors")), INGEST_MAX_ERRORS);
    cJSON_Delete(j);
    store_free(s);
}

static void test_malformed_applies_nothing(void **state)
{
    (void)state;
    store_t *s = new_store(10);
    metrics_t m = {0};
    cJSON *j;
    assert_int_equal(apply(s, &m, "{\"a\":[1,2,3],\"b\":[1,]}", &j), 400);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "error")));
    assert_int_equal(number(j, "offset"), 20);
    cJSON_Delete(j);
    assert_int_equal(series_count(s), 0);
    assert_int_equal(m.ingest.accepted[INGEST_JSON], 0);
    assert_int_equal(m.http_refused[HTTP_REFUSED_BAD_JSON], 1);
    store_free(s);
}

/* Keys with labels: one series per label set, whatever the order or the
 * spacing; bad labels and bad names refused with their own reasons. */
static void test_labels_make_one_series_per_set(void **state)
{
    (void)state;
    store_t *s = new_store(10);
    metrics_t m = {0};
    cJSON *j;
    const char *body = "{\"req{status=\\\"200\\\",route=\\\"/a\\\"}\":[1],"
                       "\"req{ route = \\\"/a\\\", status=\\\"200\\\", }\":[2],"
                       "\"req{route=\\\"/a\\\",status=\\\"500\\\"}\":[3],"
                       "\"req{route=\\\"/a\\\",status=200}\":[4],"
                       "\"req{route=\\\"/a\\\",route=\\\"/b\\\"}\":[5],"
                       "\"{route=\\\"/a\\\"}\":[6],"
                       "\"GET /users/{id}\":[7]}";
    assert_int_equal(apply(s, &m, body, &j), 200);
    assert_int_equal(number(j, "accepted"), 4);
    assert_int_equal(number(j, "rejected"), 3);
    cJSON *errors = cJSON_GetObjectItem(j, "errors");
    assert_int_equal(cJSON_GetArraySize(errors), 3);
    const char *want[] = {"bad labels", "bad labels", "bad series name"};
    for (int i = 0; i < 3; i++) {
        const char *reason =
            cJSON_GetObjectItem(cJSON_GetArrayItem(errors, i), "reason")->valuestring;
        assert_memory_equal(reason, want[i], strlen(want[i]));
    }
    cJSON_Delete(j);
    assert_int_equal(series_count(s), 3);
    const series_t *se = store_find(s, slice_cstr("req{route=\"/a\",status=\"200\"}"));
    assert_non_null(se);
    series_summary_t sum;
    series_summarize(s, se, NOW - 60000, NOW + 1000, &sum);
    assert_int_equal(sum.count, 2);
    assert_non_null(store_find(s, slice_cstr("req{route=\"/a\",status=\"500\"}")));
    assert_non_null(store_find(s, slice_cstr("GET /users/{id}")));
    assert_int_equal(m.ingest.rejected[INGEST_JSON][INGEST_REJECT_BAD_LABELS], 2);
    assert_int_equal(m.ingest.rejected[INGEST_JSON][INGEST_REJECT_BAD_NAME], 1);
    store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_and_counts),
        cmocka_unit_test(test_rejects_are_explained_in_order),
        cmocka_unit_test(test_errors_list_is_capped),
        cmocka_unit_test(test_malformed_applies_nothing),
        cmocka_unit_test(test_labels_make_one_series_per_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
