/* test_statsd.c - the StatsD / DogStatsD line parser. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../support/test_rng.h"
#include "ingest/statsd.h"

static statsd_line_t line;

static statsd_error_t parse(const char *s)
{
    return statsd_parse_line(s, strlen(s), &line);
}

static void assert_slice(slice_t s, const char *want)
{
    assert_int_equal(s.n, strlen(want));
    assert_memory_equal(s.p, want, s.n);
}

/* Every value of the parsed line, in order, into v; returns how many. */
static size_t values(double *v, size_t cap)
{
    slice_t rest = line.values;
    size_t n = 0;
    double x;
    while (n < cap && statsd_next_value(&rest, &x))
        v[n++] = x;
    return n;
}

static void test_latency_types(void **state)
{
    (void)state;
    double v[8];
    assert_int_equal(parse("checkout.db:12.5|ms"), STATSD_OK);
    assert_int_equal(line.kind, STATSD_LATENCY);
    assert_slice(line.name, "checkout.db");
    assert_int_equal(values(v, 8), 1);
    assert_true(v[0] == 12.5);
    assert_true(line.rate == 1.0);
    assert_int_equal(line.tags.n, 0);
    assert_int_equal(parse("a:3|h"), STATSD_OK);
    assert_int_equal(line.kind, STATSD_LATENCY);
    assert_int_equal(parse("a:3|d"), STATSD_OK);
    assert_int_equal(line.kind, STATSD_LATENCY);
    /* numbers as clients print them */
    assert_int_equal(parse("a:0.001|ms"), STATSD_OK);
    assert_int_equal(parse("a:1e3|ms"), STATSD_OK);
    assert_int_equal(values(v, 8), 1);
    assert_true(v[0] == 1000.0);
    assert_int_equal(parse("a:.5|ms"), STATSD_OK);
    assert_int_equal(parse("a:5.|ms"), STATSD_OK);
    assert_int_equal(parse("a:-1|ms"), STATSD_OK); /* the sink refuses a negative per sample */
}

static void test_packed_rate_tags_and_skipped_fields(void **state)
{
    (void)state;
    double v[8];
    assert_int_equal(
        parse("api.latency:1:2.5:3|d|@0.25|#env:prod,region:eu,canary|c:abc123|T1764160000"),
        STATSD_OK);
    assert_slice(line.name, "api.latency");
    assert_int_equal(line.n_values, 3);
    assert_int_equal(values(v, 8), 3);
    assert_true(v[0] == 1.0 && v[1] == 2.5 && v[2] == 3.0);
    assert_true(line.rate == 0.25);
    assert_slice(line.tags, "env:prod,region:eu,canary");
    /* fields in any order; unknown ones skipped; only the first tag field kept */
    assert_int_equal(parse("a:1|ms|#x:1|card:low|e:it-123|@1|#y:2|zzz"), STATSD_OK);
    assert_slice(line.tags, "x:1");
    assert_true(line.rate == 1.0);
    assert_int_equal(parse("a:1|ms||"), STATSD_OK); /* empty fields */
}

static void test_other_kinds(void **state)
{
    (void)state;
    assert_int_equal(parse("logins:1|c"), STATSD_OK);
    assert_int_equal(line.kind, STATSD_COUNTER);
    assert_int_equal(parse("queue:-3|g"), STATSD_OK);
    assert_int_equal(line.kind, STATSD_GAUGE);
    assert_int_equal(parse("users:alice|s"), STATSD_OK); /* set members need not be numbers */
    assert_int_equal(line.kind, STATSD_SET);
    assert_int_equal(parse("_e{5,4}:title|text|#a:b"), STATSD_OK);
    assert_int_equal(line.kind, STATSD_EVENT);
    assert_int_equal(parse("_sc|db.up|0|#env:prod"), STATSD_OK);
    assert_int_equal(line.kind, STATSD_SERVICE_CHECK);
    assert_string_equal(statsd_kind_label(STATSD_SERVICE_CHECK), "service_check");
}

static void test_malformed(void **state)
{
    (void)state;
    assert_int_equal(parse("noval"), STATSD_ERR_VALUE);
    assert_int_equal(parse("noval|ms"), STATSD_ERR_VALUE);
    assert_int_equal(parse(":1|ms"), STATSD_ERR_NAME);
    assert_int_equal(parse("a|b:1|ms"), STATSD_ERR_NAME);
    assert_int_equal(parse("a\tb:1|ms"), STATSD_ERR_NAME);
    assert_int_equal(parse("a:1"), STATSD_ERR_TYPE);
    assert_int_equal(parse("a:1|"), STATSD_ERR_TYPE);
    assert_int_equal(parse("a:1|x"), STATSD_ERR_TYPE);
    assert_int_equal(parse("a:1|MS"), STATSD_ERR_TYPE);
    assert_int_equal(parse("a:|ms"), STATSD_ERR_VALUE);
    assert_int_equal(parse("a:1::2|ms"), STATSD_ERR_VALUE);
    assert_int_equal(parse("a:1:|ms"), STATSD_ERR_VALUE);
    assert_int_equal(parse("a:abc|ms"), STATSD_ERR_VALUE);
    assert_int_equal(parse("a:nan|ms"), STATSD_ERR_VALUE);
    assert_int_equal(parse("a:inf|ms"), STATSD_ERR_VALUE);
    assert_int_equal(parse("a:1e999|ms"), STATSD_ERR_VALUE); /* not finite */
    assert_int_equal(parse("a:1e|ms"), STATSD_ERR_VALUE);
    assert_int_equal(parse("a:0x10|ms"), STATSD_ERR_VALUE);
    assert_int_equal(parse("a: 1|ms"), STATSD_ERR_VALUE);
    assert_int_equal(parse("a:1|ms|@0"), STATSD_ERR_RATE);
    assert_int_equal(parse("a:1|ms|@1.5"), STATSD_ERR_RATE);
    assert_int_equal(parse("a:1|ms|@-0.5"), STATSD_ERR_RATE);
    assert_int_equal(parse("a:1|ms|@"), STATSD_ERR_RATE);
    char longnum[STATSD_NUMBER_MAX + 16] = "a:";
    memset(longnum + 2, '1', STATSD_NUMBER_MAX + 1);
    strcpy(longnum + 2 + STATSD_NUMBER_MAX + 1, "|ms");
    assert_int_equal(parse(longnum), STATSD_ERR_VALUE);
    assert_string_equal(statsd_error_label(STATSD_ERR_RATE), "bad_rate");
}

static void test_lines_of_a_datagram(void **state)
{
    (void)state;
    static const char dgram[] = "a:1|ms\nbad line\r\n\n\nb:2|d\r\nc:3|h";
    const char *cur = dgram, *end = dgram + sizeof dgram - 1;
    slice_t l;
    const char *want[] = {"a:1|ms", "bad line", "b:2|d", "c:3|h"};
    size_t n = 0;
    while (statsd_next_line(&cur, end, &l)) {
        assert_true(n < 4);
        assert_slice(l, want[n++]);
    }
    assert_int_equal(n, 4);
    /* a bad line does not stop the others */
    cur = dgram;
    int ok = 0, bad = 0;
    while (statsd_next_line(&cur, end, &l))
        *(statsd_parse_line(l.p, l.n, &line) == STATSD_OK ? &ok : &bad) += 1;
    assert_int_equal(ok, 3);
    assert_int_equal(bad, 1);
    cur = end;
    assert_int_equal(statsd_next_line(&cur, end, &l), 0);
}

/* Every value reads exactly as strtod reads it (correctly rounded), on the
 * fast path (up to 15 significant digits, small exponents) and off it. */
static void test_values_are_exact(void **state)
{
    (void)state;
    test_rng_t rng = {TEST_RNG_XORSHIFT64_STAR, 5};
    static const char *const fixed[] = {"0",
                                        "-0",
                                        "0.1",
                                        "12.345",
                                        "1e22",
                                        "1e23",
                                        "9007199254740993",
                                        "123456789012345678901234",
                                        "0.000001",
                                        "1.7976931348623157e308",
                                        "4.9e-324",
                                        "1e-400",
                                        "00012.50",
                                        "+3.25",
                                        "1.",
                                        ".5",
                                        "1e+2"};
    char literal[80], text[128];
    for (size_t i = 0; i < 20000 + sizeof fixed / sizeof fixed[0]; i++) {
        if (i < sizeof fixed / sizeof fixed[0]) {
            snprintf(literal, sizeof literal, "%s", fixed[i]);
        } else {
            /* digits, a point somewhere, sometimes an exponent */
            int digits = 1 + (int)(test_rng_next(&rng) % 20),
                point = (int)(test_rng_next(&rng) % (digits + 1));
            size_t k = 0;
            for (int d = 0; d < digits; d++) {
                if (d == point && d > 0)
                    literal[k++] = '.';
                literal[k++] = (char)('0' + test_rng_next(&rng) % 10);
            }
            if (test_rng_next(&rng) % 3 == 0)
                k += (size_t)snprintf(literal + k, sizeof literal - k, "e%d",
                                      (int)(test_rng_next(&rng) % 60) - 30);
            literal[k] = '\0';
        }
        snprintf(text, sizeof text, "x:%s|ms", literal);
        statsd_line_t l;
        statsd_error_t e = statsd_parse_line(text, strlen(text), &l);
        double want = strtod(literal, NULL);
        int valid = isfinite(want); /* every literal here is in the grammar ("1.", ".5" too) */
        if (!valid) {
            assert_int_not_equal(e, STATSD_OK);
            continue;
        }
        if (e != STATSD_OK)
            fail_msg("%s refused", literal);
        double got;
        assert_true(statsd_next_value(&l.values, &got));
        if (want == 0)
            want = 0; /* -0 reads as 0 */
        if (memcmp(&got, &want, sizeof got) != 0)
            fail_msg("%s: %.17g, strtod %.17g", literal, got, want);
        /* the value the parser converted while checking the line, too */
        if (memcmp(&l.value[0], &want, sizeof want) != 0)
            fail_msg("%s: value[0] %.17g, strtod %.17g", literal, l.value[0], want);
    }
}

/* A number literal as clients print them, or not quite: "12", "1.500",
 * "-3.7", "2.5e-3", ".25", "7.", "+1.0", or 17 digits (past the fast path). */
static size_t random_literal(test_rng_t *rng, char *out, size_t cap)
{
    unsigned a = (unsigned)(test_rng_next(rng) % 1000), b = (unsigned)(test_rng_next(rng) % 1000);
    switch (test_rng_next(rng) % 8) {
    case 0:
        return (size_t)snprintf(out, cap, "%u", a);
    case 1:
        return (size_t)snprintf(out, cap, "%u.%03u", a, b);
    case 2:
        return (size_t)snprintf(out, cap, "-%u.%u", a, b);
    case 3:
        return (size_t)snprintf(out, cap, "%u.%ue-3", a, b);
    case 4:
        return (size_t)snprintf(out, cap, ".%u%u", a, b);
    case 5:
        return (size_t)snprintf(out, cap, "%u%u.", a, b);
    case 6:
        return (size_t)snprintf(out, cap, "+%u.%u", a, b);
    default:
        return (size_t)snprintf(out, cap, "%llu%06u.%u",
                                (unsigned long long)(test_rng_next(rng) % 100000000000ull), a, b);
    }
}

/* The values converted during the check (value[], the feed's fast path)
 * are those statsd_next_value() reads again from the text, bit for bit,
 * for lines of 1 to 12 packed values (past STATSD_VALUES_INLINE too), and
 * a bad value anywhere refuses the line. */
static void test_inline_values_match_next_value(void **state)
{
    (void)state;
    test_rng_t rng = {TEST_RNG_XORSHIFT64, 0x5eed5eed5eedu};
    char text[1024];
    for (int round = 0; round < 5000; round++) {
        size_t want_n = 1 + test_rng_next(&rng) % 12, k = 0;
        k += (size_t)snprintf(text + k, sizeof text - k, "a.b");
        for (size_t i = 0; i < want_n; i++) {
            text[k++] = ':';
            k += random_literal(&rng, text + k, sizeof text - k);
        }
        k += (size_t)snprintf(text + k, sizeof text - k, "|ms|#x:y");
        statsd_line_t l;
        if (statsd_parse_line(text, k, &l) != STATSD_OK)
            fail_msg("refused: %s", text);
        assert_int_equal(l.n_values, want_n);
        slice_t rest = l.values;
        double v;
        for (size_t i = 0; i < want_n; i++) {
            assert_true(statsd_next_value(&rest, &v));
            if (i < STATSD_VALUES_INLINE && memcmp(&l.value[i], &v, sizeof v) != 0)
                fail_msg("%s: value[%zu] %.17g, statsd_next_value %.17g", text, i, l.value[i], v);
        }
        assert_false(statsd_next_value(&rest, &v));
        /* one value spoiled (a letter after it, or emptied) refuses the line */
        size_t colon = 0, which = test_rng_next(&rng) % want_n, seen = 0;
        for (size_t i = 0; i < k; i++)
            if (text[i] == ':' && seen++ == which) {
                colon = i;
                break;
            }
        char spoiled[1100];
        memcpy(spoiled, text, colon + 1);
        size_t m = colon + 1;
        if (round % 2)
            spoiled[m++] = 'x'; /* "x1.5" */
        else
            spoiled[m++] = ':'; /* an empty value before this one */
        memcpy(spoiled + m, text + colon + 1, k - colon - 1);
        m += k - colon - 1;
        if (statsd_parse_line(spoiled, m, &l) != STATSD_ERR_VALUE)
            fail_msg("accepted: %.*s", (int)m, spoiled);
    }
}

static void test_never_reads_past_the_line(void **state)
{
    (void)state;
    /* the line is a prefix of a longer buffer: what follows must not count */
    static const char buf[] = "a:1|ms|@0.5XYZ";
    assert_int_equal(statsd_parse_line(buf, 11, &line), STATSD_OK);
    assert_true(line.rate == 0.5);
    assert_int_equal(statsd_parse_line(buf, 5, &line), STATSD_ERR_TYPE); /* "a:1|m" */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_latency_types),
        cmocka_unit_test(test_packed_rate_tags_and_skipped_fields),
        cmocka_unit_test(test_other_kinds),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_values_are_exact),
        cmocka_unit_test(test_lines_of_a_datagram),
        cmocka_unit_test(test_inline_values_match_next_value),
        cmocka_unit_test(test_never_reads_past_the_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
