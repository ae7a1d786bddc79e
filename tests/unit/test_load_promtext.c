/* test_load_promtext.c - reading a counter out of the server's /metrics
 * text (tools/load/promtext.c): the metric with and without the wanted
 * label, label sets in any order, escapes, timestamps, CRLF, lines that do
 * not parse (skipped, never matched), a metric that is a prefix of another,
 * and text cut off at every byte. Inputs are parsed from exact-size heap
 * copies, so a sanitizer build catches a read past n.
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
#include "promtext.h"

static int sum(const char *text, size_t n, const char *name, const char *label, const char *value,
               double *out)
{
    char *copy = malloc(n ? n : 1);
    memcpy(copy, text, n);
    *out = -1;
    int rc = promtext_sum(copy, n, name, label, value, out);
    assert_memory_equal(copy, text, n);
    free(copy);
    return rc;
}

static double found(const char *text, const char *name, const char *label, const char *value)
{
    double v;
    int rc = sum(text, strlen(text), name, label, value, &v);
    if (rc != 0)
        print_message("%s{%s=%s} not found in:\n%s\n", name, label ? label : "", value ? value : "",
                      text);
    assert_int_equal(rc, 0);
    return v;
}

static void absent(const char *text, const char *name, const char *label, const char *value)
{
    double v;
    assert_int_equal(sum(text, strlen(text), name, label, value, &v), SPIDER_ENOENT);
}

static const char METRICS[] = "# HELP spider_samples_accepted_total Samples kept in the store.\n"
                              "# TYPE spider_samples_accepted_total counter\n"
                              "spider_samples_accepted_total{protocol=\"http\"} 1000\n"
                              "spider_samples_accepted_total{protocol=\"statsd\"} 123456789\n"
                              "spider_samples_accepted_total{protocol=\"otlp\"} 42\n"
                              "# TYPE spider_statsd_kernel_drops_total counter\n"
                              "spider_statsd_kernel_drops_total 17\n"
                              "spider_samples_accepted_total_extra 5\n"
                              "spider_ws_clients 3\n";

static void test_promtext_labelled(void **state)
{
    (void)state;
    assert_true(found(METRICS, "spider_samples_accepted_total", "protocol", "statsd") ==
                123456789.0);
    assert_true(found(METRICS, "spider_samples_accepted_total", "protocol", "otlp") == 42.0);
    /* No label asked: the sum over every label set (not the _extra metric). */
    assert_true(found(METRICS, "spider_samples_accepted_total", NULL, NULL) == 123457831.0);
    absent(METRICS, "spider_samples_accepted_total", "protocol", "udp");
    absent(METRICS, "spider_samples_accepted_total", "transport", "statsd");
}

static void test_promtext_unlabelled(void **state)
{
    (void)state;
    assert_true(found(METRICS, "spider_statsd_kernel_drops_total", NULL, NULL) == 17.0);
    /* A label is asked for, and the sample has none. */
    absent(METRICS, "spider_statsd_kernel_drops_total", "protocol", "statsd");
    absent(METRICS, "spider_samples", NULL, NULL); /* a prefix is another name */
    absent(METRICS, "spider_nothing_total", NULL, NULL);
    absent("", "x", NULL, NULL);
}

static void test_promtext_forms(void **state)
{
    (void)state;
    /* Several labels, any order, spaces, a trailing comma, a timestamp. */
    assert_true(found("m{a=\"1\", protocol = \"statsd\",} 7 1700000000000\n", "m", "protocol",
                      "statsd") == 7.0);
    assert_true(found("m{protocol=\"statsd\",a=\"x\"} 8", "m", "protocol", "statsd") == 8.0);
    /* CRLF line ends, no final newline, leading blanks, tabs. */
    assert_true(found("\r\n  m\t9\r\n", "m", NULL, NULL) == 9.0);
    assert_true(found("m 1e3", "m", NULL, NULL) == 1000.0);
    assert_true(found("m 2.5\nm 0.5\n", "m", NULL, NULL) == 3.0);
    /* Escapes: the value is compared unescaped. */
    assert_true(
        found("m{p=\"a\\\"b\"} 1\nm{p=\"a\\\\b\"} 2\nm{p=\"a\\nb\"} 4\n", "m", "p", "a\"b") == 1.0);
    assert_true(
        found("m{p=\"a\\\"b\"} 1\nm{p=\"a\\\\b\"} 2\nm{p=\"a\\nb\"} 4\n", "m", "p", "a\\b") == 2.0);
    assert_true(
        found("m{p=\"a\\\"b\"} 1\nm{p=\"a\\\\b\"} 2\nm{p=\"a\\nb\"} 4\n", "m", "p", "a\nb") == 4.0);
    /* A value that is a prefix of the wanted one, or longer. */
    absent("m{p=\"stats\"} 1\nm{p=\"statsdx\"} 1\n", "m", "p", "statsd");
    assert_true(found("m +Inf\n", "m", NULL, NULL) > 1e308);
}

static void test_promtext_malformed_lines_skipped(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "m{p=\"statsd\"}\n",       /* no value */
        "m{p=\"statsd\"}5\n",      /* no space before it */
        "m{p=\"statsd\" 5\n",      /* unterminated label set */
        "m{p=\"statsd} 5\n",       /* unterminated value */
        "m{p=statsd} 5\n",         /* unquoted */
        "m{p=\"st\\atsd\"} 5\n",   /* bad escape */
        "m{=\"statsd\"} 5\n",      /* no label name */
        "m{p=\"statsd\"} 5 6 7\n", /* trailing junk */
        "m{p=\"statsd\"} five\n",  /* not a number */
        "m{p=\"statsd\"} 5x\n",    /* nor this */
        "m{p=\"statsd\"} 5 1700000000000x\n",
        "m{p=\"statsd\"} 1234567890123456789012345678901234567890123456789012345678901234\n",
        "#m{p=\"statsd\"} 5\n", /* a comment */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v;
        if (sum(bad[i], strlen(bad[i]), "m", "p", "statsd", &v) != SPIDER_ENOENT)
            print_message("matched: %s", bad[i]);
        assert_int_equal(sum(bad[i], strlen(bad[i]), "m", "p", "statsd", &v), SPIDER_ENOENT);
        /* A good line after the bad one is still read. */
        char text[256];
        snprintf(text, sizeof text, "%sm{p=\"statsd\"} 3\n", bad[i]);
        assert_true(found(text, "m", "p", "statsd") == 3.0);
    }
}

/* Every prefix of the text parses without reading past its end; a sample
 * cut inside its value is read as far as it goes (the tool reads whole
 * answers, so this is about memory safety, not the figure). */
static void test_promtext_every_prefix(void **state)
{
    (void)state;
    size_t n = strlen(METRICS);
    for (size_t k = 0; k <= n; k++) {
        double v;
        int rc = sum(METRICS, k, "spider_samples_accepted_total", "protocol", "statsd", &v);
        assert_true(rc == 0 || rc == SPIDER_ENOENT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_promtext_labelled),
        cmocka_unit_test(test_promtext_unlabelled),
        cmocka_unit_test(test_promtext_forms),
        cmocka_unit_test(test_promtext_malformed_lines_skipped),
        cmocka_unit_test(test_promtext_every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
