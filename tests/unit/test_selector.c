/* test_selector.c - series selectors: the grammar, the four operators,
 * names that are not identifiers, labels a series lacks, regex anchoring,
 * refused patterns, and the cost of patterns that backtrack. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/selector.h"

static int matches(const char *sel, const char *key)
{
    selector_t s;
    selector_error_t err = {0, NULL};
    if (selector_parse(&s, sel, strlen(sel), &err) != 0)
        fail_msg("%s: %s at %zu", sel, err.message, err.offset);
    int m = selector_matches(&s, slice_cstr(key));
    selector_free(&s);
    return m;
}

static void refused(const char *sel, const char *prefix, size_t offset)
{
    selector_t s;
    selector_error_t err = {999, NULL};
    assert_int_equal(selector_parse(&s, sel, strlen(sel), &err), -1);
    assert_non_null(err.message);
    if (strncmp(err.message, prefix, strlen(prefix)) != 0 || err.offset != offset)
        fail_msg("%s: \"%s\" at %zu, want \"%s\" at %zu", sel, err.message, err.offset, prefix,
                 offset);
}

static void test_split(void **state)
{
    (void)state;
    slice_t name;
    serieskey_part_t parts[SERIESKEY_LABELS_MAX];
    assert_int_equal(serieskey_split(slice_cstr("plain"), &name, parts), 0);
    assert_true(slice_eq_cstr(name, "plain"));
    assert_int_equal(serieskey_split(slice_cstr("GET /u/{id}"), &name, parts), 0);
    assert_true(slice_eq_cstr(name, "GET /u/{id}"));
    assert_int_equal(serieskey_split(slice_cstr("GET /u/{id}{a=\"1\",b=\"x\\\"y\"}"), &name, parts),
                     2);
    assert_true(slice_eq_cstr(name, "GET /u/{id}"));
    assert_true(slice_eq_cstr(parts[0].name, "a") && slice_eq_cstr(parts[0].value, "1"));
    assert_true(slice_eq_cstr(parts[1].name, "b") && slice_eq_cstr(parts[1].value, "x\\\"y"));
}

static void test_names(void **state)
{
    (void)state;
    assert_true(matches("api", "api"));
    assert_true(matches("api", "api{route=\"/a\"}")); /* a name: any labels */
    assert_false(matches("api", "api2"));
    assert_false(matches("api", "ap"));
    assert_true(matches("GET /users/{id}", "GET /users/{id}"));
    assert_true(matches("GET /users/{id}", "GET /users/{id}{status=\"200\"}"));
    assert_true(matches("GET /users/{id}{status=\"200\"}", "GET /users/{id}{status=\"200\"}"));
    assert_true(matches("checkout.pay  ", "checkout.pay")); /* trailing spaces */
    assert_true(matches("{}", "anything{a=\"b\"}"));
    assert_true(matches("api{}", "api{a=\"b\"}"));
    assert_true(matches("{__name__=\"api\"}", "api{a=\"b\"}"));
    assert_true(matches("{__name__=~\"http\\\\..*\"}", "http.server{a=\"b\"}"));
    assert_false(matches("{__name__=~\"http\\\\..*\"}", "httpXserver"));
    assert_true(matches("{__name__!~\"http.*\"}", "db.query"));
}

static void test_operators(void **state)
{
    (void)state;
    const char *key = "api{method=\"GET\",route=\"/users\",status=\"200\"}";
    assert_true(matches("api{route=\"/users\"}", key));
    assert_false(matches("api{route=\"/user\"}", key));
    assert_true(matches("api{route!=\"/a\"}", key));
    assert_false(matches("api{route!=\"/users\"}", key));
    assert_true(matches("api{status=~\"2..\"}", key));
    assert_false(matches("api{status=~\"2\"}", key));    /* anchored: not a substring */
    assert_true(matches("api{status=~\"2|200\"}", key)); /* anchored around the alternation */
    assert_false(matches("api{status=~\"5..|4..\"}", key));
    assert_true(matches("api{status!~\"5..\"}", key));
    assert_true(matches("api{method='GET', status=~\"2..\",}", key)); /* quotes, trailing ',' */
    assert_true(matches("api { method = \"GET\" , route =~ \"/u.*\" }", key));
    /* every matcher must hold */
    assert_false(matches("api{method=\"GET\",status=\"500\"}", key));
    /* a missing label is "" */
    assert_true(matches("api{zone=\"\"}", key));
    assert_false(matches("api{zone!=\"\"}", key));
    assert_true(matches("api{route!=\"\"}", key));
    assert_true(matches("api{zone=~\"|eu\"}", key));
    assert_false(matches("api{zone=~\".+\"}", key));
    /* escapes in keys and selectors */
    assert_true(matches("m{q=\"a\\\"b\\\\c\"}", "m{q=\"a\\\"b\\\\c\"}"));
    assert_true(matches("m{q=~\"a.b.c\"}", "m{q=\"a\\\"b\\\\c\"}"));
    assert_true(matches("m{q='it\\'s'}", "m{q=\"it's\"}"));
}

static void test_errors(void **state)
{
    (void)state;
    refused("", "empty selector", 0);
    refused("api{route=\"x}", "unterminated string", 10);
    refused("api{route!\"x\"}", "an operator expected", 9);
    /* not list-like: a name, as the same string is as a series key */
    assert_true(matches("api{route}", "api{route}"));
    refused("api{route=x}", "a quoted value expected", 10);
    refused("api{route==\"x\"}", "a quoted value expected", 10);
    refused("api{route=\"x\" status=\"y\"}", "',' or '}' expected", 14);
    refused("api{route=\"\\q\"}", "unsupported escape", 11);
    refused("api{s=~\"(a\"}", "invalid regular expression (PCRE2", 7);
    refused("api{s=~\"\xff\"}", "invalid regular expression (not UTF-8)", 7);
    refused("{}x}", "nothing may follow", 2);
    char many[512] = "m{";
    for (int i = 0; i < 17; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "l%d=\"v\",", i);
    strcat(many, "}");
    refused(many, "more than 16 matchers", (size_t)(strstr(many, "l16=") - many));
    char long_re[400];
    snprintf(long_re, sizeof long_re, "m{a=~\"%0300d\"}", 0);
    refused(long_re, "value longer than 256 bytes", 5);
    snprintf(long_re, sizeof long_re, "m{a=~\"%0256d\"}", 0);
    assert_true(matches(long_re, "m{a=\"0\"}") == 0); /* 256 bytes: taken */
}

static void test_pcre_syntax(void **state)
{
    (void)state;
    assert_true(matches("m{a=~\"\\\\d+\"}", "m{a=\"200\"}")); /* \d: the selector \\d */
    assert_true(matches("m{a=~\"(?:GET|POST) /[^/]+\"}", "m{a=\"GET /users\"}"));
    assert_false(matches("m{a=~\"(?:GET|POST) /[^/]+\"}", "m{a=\"GET /users/1\"}"));
    /* anchored around the whole pattern (by option: no text can undo it) */
    assert_false(matches("m{a=~\"x|y\"}", "m{a=\"zyz\"}"));
    assert_true(matches("m{a=~\"x|y\"}", "m{a=\"y\"}"));
    refused("m{a=~\"x)|(y\"}", "invalid regular expression (PCRE2", 5);
    assert_true(matches("m{a=~\"caf\xc3\xa9\"}", "m{a=\"caf\xc3\xa9\"}")); /* UTF-8 */
    assert_true(matches("m{a=~\"caf.\"}", "m{a=\"caf\xc3\xa9\"}"));        /* one character */
}

/* Patterns that blow up backtracking engines (and glibc's regexec: see
 * selector.h), against the longest values a key holds: each is refused
 * when compiled, or matched under the budget: an answer or -1, never a
 * stall. The time bound has room for a sanitized build on a busy machine. */
static void test_catastrophic_patterns_are_bounded(void **state)
{
    (void)state;
    static const char *const patterns[] = {
        "(a*)*b",
        "(a|aa)*c",
        "(a+)+b",
        "(.*a){12}b",
        "((a*)*|b)*c",
        "(?:(?:a{1,255}){1,255}){1,255}b",
        "(.*)*(.*)*(.*)*(.*)*x",
        ".+.+.+.+.+.+.+.+.+.+.+.+.+.+.+z",
        "(.*)*[bc]",
        "(a|aa)*[bc]",
    };
    char key[SERIESNAME_MAX + 1];
    memcpy(key, "m{v=\"", 5);
    memset(key + 5, 'a', 190);
    memcpy(key + 195, "\"}", 3);
    struct timespec t0, t1;
    int over_budget = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
        char sel[128];
        snprintf(sel, sizeof sel, "m{v=~\"%s\"}", patterns[p]);
        selector_t s;
        selector_error_t err;
        if (selector_parse(&s, sel, strlen(sel), &err) != 0)
            continue; /* refused: fine too */
        for (int i = 0; i < 20; i++) {
            int m = selector_matches(&s, slice_make(key, strlen(key)));
            assert_true(m == 0 || m == -1);
            over_budget += m == -1;
        }
        selector_free(&s);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# %zu patterns x 20 keys of 190 bytes: %.3f s, %d matches over the budget\n",
           sizeof patterns / sizeof patterns[0], s, over_budget);
    assert_true(over_budget > 0); /* the budget is what stopped some of them */
    assert_true(s < 20);
}

/* Many series each just under the per-match limit: the selector's time
 * budget ends the query (at -1) long before it would stall the loop. */
static void test_time_budget(void **state)
{
    (void)state;
    const char *sel = "m{v=~\"[0-9]*(a|aa)*[bc]\"}";
    selector_t s;
    selector_error_t err;
    assert_int_equal(selector_parse(&s, sel, strlen(sel), &err), 0);
    char key[SERIESNAME_MAX + 1];
    struct timespec t0, t1;
    int k, m = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (k = 0; k < 10000 && m != -1; k++) {
        int n = snprintf(key, sizeof key, "m{v=\"%05d", k);
        memset(key + n, 'a', 16); /* a few thousand steps: under the per-match limit */
        memcpy(key + n + 16, "\"}", 3);
        m = selector_matches(&s, slice_cstr(key));
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# stopped after %d keys, %.3f s\n", k, secs);
    assert_int_equal(m, -1);
    assert_true(k > 1); /* it was the total, not one match, that ran out */
    assert_true(secs < 5);
    selector_free(&s);
}

static void test_label_value(void **state)
{
    (void)state;
    char out[SERIESNAME_MAX];
    slice_t key = slice_cstr("api{q=\"a\\\"b\",z=\"1\"}");
    assert_int_equal(selector_label_value(key, slice_cstr("q"), out), 3);
    assert_memory_equal(out, "a\"b", 3);
    assert_int_equal(selector_label_value(key, slice_cstr("missing"), out), 0);
    assert_int_equal(selector_label_value(key, slice_cstr("__name__"), out), 3);
    assert_memory_equal(out, "api", 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_operators),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_pcre_syntax),
        cmocka_unit_test(test_catastrophic_patterns_are_bounded),
        cmocka_unit_test(test_time_budget),
        cmocka_unit_test(test_label_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
