/* test_metrics.c - the Prometheus exposition: every counter, labelled, parseable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api/metrics.h"

static void test_every_reason_is_exposed(void **state)
{
    (void)state;
    metrics_t m;
    memset(&m, 0, sizeof m);
    for (int p = 0; p < INGEST_PROTOCOL_COUNT; p++) {
        m.ingest.accepted[p] = 12345 + (uint64_t)p;
        for (int r = 1; r < INGEST_REJECT_COUNT; r++)
            m.ingest.rejected[p][r] = 1000 * (uint64_t)p + 100 + (uint64_t)r;
    }
    for (int r = 0; r < HTTP_REFUSED_COUNT; r++)
        m.http_refused[r] = 200 + (uint64_t)r;
    for (int r = 0; r < WS_REFUSED_COUNT; r++)
        m.ws_refused[r] = 300 + (uint64_t)r;
    m.ws_clients = 3;
    m.ws_stall_closes = 4;
    m.ws_ping_timeouts = 6;
    m.http_closed_without_request = 8;
    store_stats_t st = {.bytes = 4096, .series = 7, .raw_dropped = 3, .raw_per_second = 50};
    buf_t out;
    buf_init(&out);
    metrics_render(&m, &st, &out);
    const char *text = buf_cstr(&out);
    char line[256];
    for (int p = 0; p < INGEST_PROTOCOL_COUNT; p++) {
        const char *proto = ingest_protocol_label((ingest_protocol_t)p);
        snprintf(line, sizeof line, "spider_samples_accepted_total{protocol=\"%s\"} %d\n", proto,
                 12345 + p);
        if (!strstr(text, line))
            fail_msg("missing: %s", line);
        for (int r = 1; r < INGEST_REJECT_COUNT; r++) {
            snprintf(line, sizeof line,
                     "spider_samples_rejected_total{protocol=\"%s\",reason=\"%s\"} %d\n", proto,
                     ingest_reject_label((ingest_reject_t)r), 1000 * p + 100 + r);
            if (!strstr(text, line))
                fail_msg("missing: %s", line);
        }
    }
    /* Labels are distinct: no two reasons or protocols share one. */
    for (int a = 0; a < INGEST_REJECT_COUNT; a++)
        for (int b = a + 1; b < INGEST_REJECT_COUNT; b++)
            assert_string_not_equal(ingest_reject_label((ingest_reject_t)a),
                                    ingest_reject_label((ingest_reject_t)b));
    for (int r = 0; r < HTTP_REFUSED_COUNT; r++) {
        snprintf(line, sizeof line, "spider_http_refused_total{reason=\"%s\"} %d\n",
                 metrics_refusal_label((http_refusal_t)r), 200 + r);
        if (!strstr(text, line))
            fail_msg("missing: %s", line);
    }
    for (int r = 0; r < WS_REFUSED_COUNT; r++) {
        snprintf(line, sizeof line, "spider_ws_refused_total{reason=\"%s\"} %d\n",
                 metrics_ws_refusal_label((ws_refusal_t)r), 300 + r);
        if (!strstr(text, line))
            fail_msg("missing: %s", line);
    }
    assert_non_null(strstr(text, "spider_ws_clients 3\n"));
    assert_non_null(strstr(text, "spider_ws_stall_closes_total 4\n"));
    assert_non_null(strstr(text, "spider_ws_ping_timeouts_total 6\n"));
    assert_non_null(strstr(text, "spider_http_closed_without_request_total 8\n"));
    assert_non_null(strstr(text, "spider_store_bytes 4096\n"));
    assert_non_null(strstr(text, "spider_store_series 7\n"));
    assert_non_null(strstr(text, "spider_store_raw_per_second 50\n"));
    /* Every sample line belongs to a declared metric family. */
    assert_non_null(strstr(text, "# TYPE spider_samples_rejected_total counter\n"));
    assert_non_null(strstr(text, "# TYPE spider_store_bytes gauge\n"));
    buf_dispose(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_reason_is_exposed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
