/* test_prom.c - the per-series totals (store) and their Prometheus
 * exposition (api/prom.c): samples counted into the le buckets exactly by
 * value (a bound takes the values equal to it), weights, cumulative
 * buckets, +Inf = count, and output no user string can break. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/prom.h"
#include "../support/test_rng.h"

#define NOW INT64_C(1800000000000)

static const double bounds[] = {5, 10, 25, 100, 250, 1000, 2500};
#define N_BOUNDS (sizeof bounds / sizeof bounds[0])

static store_t *new_store(void)
{
    store_config_t cfg = {
        .window_s = 600, .raw_per_second = 4, .max_series = 100, .memory_limit = 64u << 20};
    cfg.n_le = N_BOUNDS;
    memcpy(cfg.le_ms, bounds, sizeof bounds);
    return store_new(&cfg);
}

/* The bucket a value belongs to, by the definition: the first bound >= v. */
static size_t bucket_of(double v)
{
    size_t i = 0;
    while (i < N_BOUNDS && v > bounds[i])
        i++;
    return i;
}

static void test_totals_count_by_value(void **state)
{
    (void)state;
    store_t *s = new_store();
    uint64_t want[N_BOUNDS + 1] = {0};
    double sum = 0;
    uint64_t count = 0;
    /* every bound, just below and just above it (nextafter), then random */
    for (size_t i = 0; i < N_BOUNDS; i++) {
        double v[3] = {bounds[i], nextafter(bounds[i], 0), nextafter(bounds[i], INFINITY)};
        for (int k = 0; k < 3; k++) {
            assert_int_equal(store_record(s, slice_cstr("m"), NOW - 1000, v[k], NOW), STORE_OK);
            want[bucket_of(v[k])]++;
            sum += v[k];
            count++;
        }
    }
    test_rng_t rng = {TEST_RNG_XORSHIFT64_STAR, 7};
    for (int i = 0; i < 20000; i++) {
        double v = 50 * test_rng_lognormal(&rng);
        uint32_t w = 1 + (uint32_t)(test_rng_next(&rng) % 3);
        assert_int_equal(store_record_weighted(s, slice_cstr("m"), NOW - 1000, v, w, NOW),
                         STORE_OK);
        want[bucket_of(v)] += w;
        sum += v * w;
        count += w;
    }
    series_totals_t t;
    series_get_totals(store_find(s, slice_cstr("m")), &t);
    assert_int_equal(t.count, count);
    assert_true(fabs(t.sum - sum) <= 1e-9 * sum);
    for (size_t i = 0; i <= N_BOUNDS; i++)
        if (t.le[i] != want[i])
            fail_msg("bucket %zu: %llu, want %llu", i, (unsigned long long)t.le[i],
                     (unsigned long long)want[i]);
    store_free(s);
}

/* Every line of the exposition: a comment, or NAME{LABELS} VALUE where
 * the label values are properly quoted and escaped. */
static void exposition_is_well_formed(const char *text, size_t n)
{
    const char *p = text, *end = text + n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        assert_non_null(eol);
        if (*p != '#') {
            const char *q = p;
            while (q < eol && *q != '{' && *q != ' ')
                q++;
            assert_true(q < eol);
            if (*q == '{') {
                q++;
                while (*q != '}') {
                    while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_' ||
                           (*q >= '0' && *q <= '9'))
                        q++;
                    assert_true(q[0] == '=' && q[1] == '"');
                    q += 2;
                    while (*q != '"') {
                        assert_true(q < eol && *q != '\n');
                        q += *q == '\\' ? 2 : 1;
                    }
                    q++;
                    if (*q == ',')
                        q++;
                    else
                        assert_true(*q == '}');
                }
                q++;
            }
            assert_true(*q == ' ');
        }
        p = eol + 1;
    }
}

static void test_exposition(void **state)
{
    (void)state;
    store_t *s = new_store();
    const char *keys[] = {
        "http.req{route=\"/pay\",status=\"200\"}",
        "GET /x/{id}{le=\"1\",series=\"a\\\"b\\\\c\"}",
        "odd \"name\" \\ }{ with braces",
        "m{exported_le=\"x\",le=\"y\"}",
    };
    for (size_t k = 0; k < 4; k++)
        for (int i = 0; i < 10; i++)
            assert_int_equal(store_record(s, slice_cstr(keys[k]), NOW - 1000, 3.0 * (i + 1), NOW),
                             STORE_OK);
    buf_t out;
    buf_init(&out);
    assert_int_equal(prom_write_series(&out, s, NULL), 0);
    buf_append(&out, "", 1);
    exposition_is_well_formed(out.p, out.len - 1);
    /* cumulative, ending at the count, for the plain series */
    const char *want[] = {
        "spider_latency_seconds_bucket{series=\"http.req\",route=\"/"
        "pay\",status=\"200\",le=\"0.005\"} 1\n",
        "spider_latency_seconds_bucket{series=\"http.req\",route=\"/"
        "pay\",status=\"200\",le=\"0.01\"} 3\n",
        "spider_latency_seconds_bucket{series=\"http.req\",route=\"/"
        "pay\",status=\"200\",le=\"0.025\"} 8\n",
        "spider_latency_seconds_bucket{series=\"http.req\",route=\"/"
        "pay\",status=\"200\",le=\"2.5\"} 10\n",
        "spider_latency_seconds_bucket{series=\"http.req\",route=\"/"
        "pay\",status=\"200\",le=\"+Inf\"} 10\n",
        "spider_latency_seconds_sum{series=\"http.req\",route=\"/pay\",status=\"200\"} 0.165",
        "spider_latency_seconds_count{series=\"http.req\",route=\"/pay\",status=\"200\"} 10\n",
        /* reserved label names renamed, values kept escaped */
        "{series=\"GET /x/{id}\",exported_le=\"1\",exported_series=\"a\\\"b\\\\c\",le=\"0.005\"}",
        "{series=\"odd \\\"name\\\" \\\\ }{ with braces\",le=\"0.005\"}",
        /* a clash with exported_le itself: one more prefix */
        "{series=\"m\",exported_le=\"x\",exported_exported_le=\"y\",le=\"0.005\"}",
        "# TYPE spider_latency_seconds histogram\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(out.p, want[i]))
            fail_msg("missing %s in:\n%s", want[i], out.p);
    /* a selector limits the output */
    selector_t sel;
    selector_error_t err;
    const char *m = "{status=\"200\"}";
    assert_int_equal(selector_parse(&sel, m, strlen(m), &err), 0);
    buf_reset(&out);
    assert_int_equal(prom_write_series(&out, s, &sel), 0);
    buf_append(&out, "", 1);
    assert_non_null(strstr(out.p, "series=\"http.req\""));
    assert_null(strstr(out.p, "series=\"m\""));
    selector_free(&sel);
    buf_dispose(&out);
    store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totals_count_by_value),
        cmocka_unit_test(test_exposition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
