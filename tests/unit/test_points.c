/* test_points.c - edge cases of the points batch parser (src/ingest/points.c).
 *
 * Every structural error message and its offset, string escapes and
 * surrogates, UTF-8 edge cases, number conversion exactness against strtod,
 * timestamp limits, hostile nesting, NUL bytes, and truncation at every
 * prefix. Each body is parsed from an exact-size heap copy, so a sanitizer
 * build catches any read past n.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/test_rng.h"
#include "core/error.h"
#include "core/seriesname.h"
#include "ingest/points.h"

#define GOT_MAX 64

/* What the sink saw: copies, because names are only valid during the call. */
typedef struct got {
    int n;
    points_sample_t s[GOT_MAX];
    char names[GOT_MAX][POINTS_NAME_MAX + 1];
} got_t;

static got_t got;

static void collect(void *ctx, const points_sample_t *s)
{
    got_t *g = ctx;
    assert_true(s->name.n <= POINTS_NAME_MAX);
    if (g->n < GOT_MAX) {
        g->s[g->n] = *s;
        /* The parser decodes; the name rule is the ingest door's
         * (ingest/sink), applied here as it applies it (name first), so
         * these tests pin decoding and rule together. */
        if (seriesname_check(s->name.p, s->name.n) != SERIESNAME_OK)
            g->s[g->n].reject = POINTS_BAD_NAME;
        memcpy(g->names[g->n], s->name.p, s->name.n);
        g->names[g->n][s->name.n] = '\0';
        g->s[g->n].name.p = g->names[g->n];
    }
    g->n++;
}

/* Parses an exact-size copy of (body, n) into `got`; returns the result. */
static int parse_n(const char *body, size_t n, points_error_t *err)
{
    char *copy = malloc(n ? n : 1);
    memcpy(copy, body, n);
    memset(&got, 0, sizeof got);
    err->offset = (size_t)-1;
    err->message = NULL;
    int rc = points_parse(copy, n, collect, &got, err);
    assert_memory_equal(copy, body, n); /* never writes its input */
    free(copy);
    return rc;
}

/* Expects success; returns the number of samples delivered. */
static int ok_n(const char *body, size_t n)
{
    points_error_t err;
    int rc = parse_n(body, n, &err);
    if (rc != 0)
        print_message("body %.*s: %s at %zu\n", (int)n, body, err.message, err.offset);
    assert_int_equal(rc, 0);
    return got.n;
}

static int ok(const char *body)
{
    return ok_n(body, strlen(body));
}

static void fails_n(const char *body, size_t n, size_t offset, const char *message)
{
    points_error_t err;
    int rc = parse_n(body, n, &err);
    if (rc != SPIDER_EINVAL || err.offset != offset || !err.message ||
        strcmp(err.message, message) != 0)
        print_message("body %.*s: got rc %d, \"%s\" at %zu\n", (int)n, body, rc,
                      err.message ? err.message : "(null)", err.offset);
    assert_int_equal(rc, SPIDER_EINVAL);
    assert_string_equal(err.message, message);
    assert_int_equal(err.offset, offset);
    assert_int_equal(got.n, 0); /* nothing applied */
}

static void fails(const char *body, size_t offset, const char *message)
{
    fails_n(body, strlen(body), offset, message);
}

/* Parses one sample `{"a":[SAMPLE]}` and returns it. */
static points_sample_t one(const char *sample)
{
    char body[512];
    snprintf(body, sizeof body, "{\"a\":[%s]}", sample);
    assert_int_equal(ok(body), 1);
    return got.s[0];
}

/* Parses `{KEY:[1]}` (KEY written with its quotes) and returns the sample. */
static points_sample_t named(const char *key, size_t keylen)
{
    char body[4096];
    assert_true(keylen + 8 < sizeof body);
    size_t n = 0;
    body[n++] = '{';
    memcpy(body + n, key, keylen);
    n += keylen;
    memcpy(body + n, ":[1]}", 5);
    n += 5;
    assert_int_equal(ok_n(body, n), 1);
    return got.s[0];
}

static points_sample_t named_str(const char *key)
{
    return named(key, strlen(key));
}

static void test_contract_example(void **state)
{
    (void)state;
    const char *b = "{\"checkout.db\": [12.5, 8.1, 30.0], "
                    "\"checkout.render\": [[1764160000123, 4.2]]}";
    assert_int_equal(ok(b), 4);
    assert_string_equal(got.names[0], "checkout.db");
    assert_true(got.s[0].ms == 12.5);
    assert_int_equal(got.s[0].offset, 17);
    assert_int_equal(got.s[0].has_ts, 0);
    assert_int_equal(got.s[0].ts_ms, 0);
    assert_int_equal(got.s[0].reject, POINTS_OK);
    assert_true(got.s[1].ms == 8.1);
    assert_int_equal(got.s[1].offset, 23);
    assert_true(got.s[2].ms == 30.0);
    assert_int_equal(got.s[2].offset, 28);
    assert_string_equal(got.names[3], "checkout.render");
    assert_int_equal(got.s[3].has_ts, 1);
    assert_int_equal(got.s[3].ts_ms, 1764160000123);
    assert_true(got.s[3].ms == 4.2);
    assert_int_equal(got.s[3].offset, (size_t)(strstr(b, "[[") + 1 - b));
    assert_int_equal(got.s[3].reject, POINTS_OK);
}

static void test_empty_and_whitespace(void **state)
{
    (void)state;
    assert_int_equal(ok("{}"), 0);
    assert_int_equal(ok(" \t\r\n{ \t\r\n} \t\r\n"), 0);
    assert_int_equal(ok("{\"a\":[]}"), 0);
    assert_int_equal(ok("{\"a\":[],\"b\":[ ]}"), 0);
    const char *b = " \n{ \"a\" \t:\r\n[ 1 ,\n[ 2 , 3 ] ] , \"b\":[4]}\r\n";
    assert_int_equal(ok(b), 3);
    assert_true(got.s[0].ms == 1);
    assert_int_equal(got.s[0].offset, 14);
    assert_int_equal(got.s[1].offset, 18);
    assert_int_equal(got.s[1].ts_ms, 2);
    assert_true(got.s[1].ms == 3);
    assert_string_equal(got.names[2], "b");
    assert_true(got.s[2].ms == 4);
    /* Validate-only mode: no sink. */
    points_error_t err;
    assert_int_equal(points_parse("{\"a\":[1]}", 9, NULL, NULL, &err), 0);
    assert_int_equal(points_parse("{\"a\":[1]", 8, NULL, NULL, &err), SPIDER_EINVAL);
    assert_int_equal(err.offset, 8);
    assert_int_equal(points_parse(NULL, 0, NULL, NULL, &err), SPIDER_EINVAL);
    assert_string_equal(err.message, "empty body");
}

static void test_error_messages(void **state)
{
    (void)state;
    fails("", 0, "empty body");
    fails(" \r\n\t", 4, "empty body");
    fails("[1]", 0, "top level must be an object");
    fails("  null", 2, "top level must be an object");
    fails("\"a\"", 0, "top level must be an object");
    fails("\xEF\xBB\xBF{}", 0, "top level must be an object"); /* no BOM */
    fails("{x", 1, "expected a string key or '}'");
    fails("{'a':[1]}", 1, "expected a string key or '}'");
    fails("{\"a\":[1],}", 9, "expected a string key");
    fails("{\"a\":[1], 2}", 10, "expected a string key");
    fails("{\"a\" [1]}", 5, "expected ':' after a key");
    fails("{\"a\"}", 4, "expected ':' after a key");
    fails("{\"a\":1}", 5, "expected an array of samples as the value");
    fails("{\"a\":{}}", 5, "expected an array of samples as the value");
    fails("{\"a\":\"1\"}", 5, "expected an array of samples as the value");
    fails("{\"a\":null}", 5, "expected an array of samples as the value");
    fails("{\"a\":true}", 5, "expected an array of samples as the value");
    fails("{\"a\":[1]]", 8, "expected ',' or '}' after an array of samples");
    fails("{\"a\":[1] \"b\":[2]}", 9, "expected ',' or '}' after an array of samples");
    fails("{\"a\":[1 2]}", 8, "expected ',' or ']' after a sample");
    fails("{\"a\":[1}", 7, "expected ',' or ']' after a sample");
    fails("{\"a\":[1.5.3]}", 9, "expected ',' or ']' after a sample");
    fails("{\"a\":[0x10]}", 7, "expected ',' or ']' after a sample");
    fails("{\"a\":[x]}", 6, "expected a number or [unix_ms, duration_ms] pair");
    fails("{\"a\":[1,]}", 8, "expected a number or [unix_ms, duration_ms] pair");
    fails("{\"a\":[,1]}", 6, "expected a number or [unix_ms, duration_ms] pair");
    fails("{\"a\":[\"1\"]}", 6, "expected a number or [unix_ms, duration_ms] pair");
    fails("{\"a\":[{}]}", 6, "expected a number or [unix_ms, duration_ms] pair");
    fails("{\"a\":[null]}", 6, "expected a number or [unix_ms, duration_ms] pair");
    fails("{\"a\":[true]}", 6, "expected a number or [unix_ms, duration_ms] pair");
    fails("{\"a\":[NaN]}", 6, "expected a number or [unix_ms, duration_ms] pair");
    fails("{\"a\":[Infinity]}", 6, "expected a number or [unix_ms, duration_ms] pair");
    fails("{\"a\":[+1]}", 6, "expected a number or [unix_ms, duration_ms] pair");
    fails("{\"a\":[.5]}", 6, "expected a number or [unix_ms, duration_ms] pair");
    fails("{\"a\":[[]]}", 7, "expected a number as unix_ms in a [unix_ms, duration_ms] pair");
    fails("{\"a\":[[x]]}", 7, "expected a number as unix_ms in a [unix_ms, duration_ms] pair");
    fails("{\"a\":[[1]]}", 8, "expected ',' after unix_ms in a [unix_ms, duration_ms] pair");
    fails("{\"a\":[[1,]]}", 9, "expected a number as duration_ms in a [unix_ms, duration_ms] pair");
    fails("{\"a\":[[1,[2]]]}", 9,
          "expected a number as duration_ms in a [unix_ms, duration_ms] pair");
    fails("{\"a\":[[1,2,3]]}", 10,
          "expected ']' after duration_ms: a pair has exactly two numbers");
    fails("{\"a\":[1]} x", 10, "trailing data after the object");
    fails("{}{}", 2, "trailing data after the object");
    fails("{},", 2, "trailing data after the object");
    fails("{\"a\x01\":[1]}", 3, "control character in a string (it must be escaped)");
    fails("{\"a\x1f\":[1]}", 3, "control character in a string (it must be escaped)");
    fails("{\"a\tb\":[1]}", 3, "control character in a string (it must be escaped)");
    fails("{\"a\nb\":[1]}", 3, "control character in a string (it must be escaped)");
    fails("{\"a\\x\":[1]}", 3, "invalid escape in a string");
    fails("{\"a\\U0041\":[1]}", 3, "invalid escape in a string");
    fails("{\"a\\u12G4\":[1]}", 7, "expected 4 hex digits after \\u");
    fails("{\"a\\u12\":[1]}", 7, "expected 4 hex digits after \\u");
    fails("{\"a", 3, "unterminated string");
    fails("{\"a\\", 4, "unterminated string");
    fails("{\"a\\u00", 7, "unterminated string");
    fails("{\"a\\\":[1]}", 10, "unterminated string");
    fails("{\"a\":[-]}", 7, "expected a digit after '-'");
    fails("{\"a\":[-x]}", 7, "expected a digit after '-'");
    fails("{\"a\":[-Infinity]}", 7, "expected a digit after '-'");
    fails("{\"a\":[01]}", 7, "leading zeros are not allowed in a number");
    fails("{\"a\":[-01]}", 8, "leading zeros are not allowed in a number");
    fails("{\"a\":[00]}", 7, "leading zeros are not allowed in a number");
    fails("{\"a\":[1.]}", 8, "expected a digit after '.'");
    fails("{\"a\":[1.e5]}", 8, "expected a digit after '.'");
    fails("{\"a\":[1e]}", 8, "expected a digit in the exponent");
    fails("{\"a\":[1e+]}", 9, "expected a digit in the exponent");
    fails("{\"a\":[1E-x]}", 9, "expected a digit in the exponent");
}

static void test_number_too_long(void **state)
{
    (void)state;
    char body[256];
    /* 63 bytes is the longest literal accepted; 64 is a structural error. */
    char digits[POINTS_NUMBER_MAX + 2];
    memset(digits, '7', sizeof digits);
    digits[POINTS_NUMBER_MAX] = '\0';
    snprintf(body, sizeof body, "{\"a\":[%s]}", digits);
    assert_int_equal(ok(body), 1);
    assert_true(got.s[0].ms == strtod(digits, NULL));
    digits[POINTS_NUMBER_MAX] = '7';
    digits[POINTS_NUMBER_MAX + 1] = '\0';
    snprintf(body, sizeof body, "{\"a\":[1, %s]}", digits);
    fails(body, 9, "number too long");
    snprintf(body, sizeof body, "{\"a\":[[%s,1]]}", digits);
    fails(body, 7, "number too long");
    /* Long because of zeros or the exponent: still too long. */
    snprintf(body, sizeof body, "{\"a\":[0.%061d1]}", 0);
    fails(body, 6, "number too long");
    snprintf(body, sizeof body, "{\"a\":[1e%063d]}", 0);
    fails(body, 6, "number too long");
}

static void test_nul_bytes(void **state)
{
    (void)state;
    fails_n("\0{}", 3, 0, "top level must be an object");
    fails_n("{}\0", 3, 2, "trailing data after the object");
    fails_n("{\"a\":[1]}\0", 10, 9, "trailing data after the object");
    fails_n("{\"a\0\":[1]}", 10, 3, "control character in a string (it must be escaped)");
    fails_n("{\"a\":[1\0]}", 10, 7, "expected ',' or ']' after a sample");
    fails_n("{\0\"a\":[1]}", 10, 1, "expected a string key or '}'");
    /* An escaped NUL is valid JSON but not a series name. */
    points_sample_t s = named_str("\"a\\u0000b\"");
    assert_int_equal(s.reject, POINTS_BAD_NAME);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    size_t n = 10000;
    char *b = malloc(n + 16);
    /* Top level */
    memset(b, '[', n);
    fails_n(b, n, 0, "top level must be an object");
    /* As a sample: the third '[' is where the grammar ends, no recursion. */
    memcpy(b, "{\"a\":", 5);
    memset(b + 5, '[', n);
    fails_n(b, n + 5, 7, "expected a number as unix_ms in a [unix_ms, duration_ms] pair");
    /* Balanced */
    memset(b + 5, '[', n / 2);
    memset(b + 5 + n / 2, ']', n / 2);
    b[5 + n] = '}';
    fails_n(b, n + 6, 7, "expected a number as unix_ms in a [unix_ms, duration_ms] pair");
    /* Nested objects as a value. */
    for (size_t i = 0; i + 5 <= n; i += 5)
        memcpy(b + i, "{\"a\":", 5);
    fails_n(b, n, 5, "expected an array of samples as the value");
    free(b);
}

/* Every proper prefix of a valid body (that ends in '}') is invalid, fails
 * exactly at its end, and applies nothing. */
/* Every proper prefix of (b, n) is malformed exactly at its end, and no
 * sample reaches the sink. */
static void assert_prefixes_rejected(const char *b, size_t n)
{
    for (size_t len = 0; len < n; len++) {
        points_error_t err;
        int rc = parse_n(b, len, &err);
        if (rc != SPIDER_EINVAL || err.offset != len)
            print_message("prefix %zu: rc %d %s at %zu\n", len, rc, err.message, err.offset);
        assert_int_equal(rc, SPIDER_EINVAL);
        assert_int_equal(err.offset, len);
        assert_int_equal(got.n, 0);
    }
}

static void test_truncated_prefixes(void **state)
{
    (void)state;
    const char *b =
        " {\"x\\u00e9\\ud83d\\ude00\\n\\\"y\": [0, -0.0, 12.345e-2, 1E+3, [1764160000123, "
        "4.2], [ 1.5e12 , 7 ] ], \"\": [1e400, -1], \"z\":[]}";
    size_t n = strlen(b);
    assert_int_equal(ok(b), 8);
    assert_prefixes_rejected(b, n);
}

static void test_escapes(void **state)
{
    (void)state;
    points_sample_t s = named_str("\"a\\\"b\\\\c\\/d\"");
    assert_int_equal(s.reject, POINTS_OK);
    assert_string_equal(got.names[0], "a\"b\\c/d");
    assert_int_equal(s.name.n, 7);
    s = named_str("\"\\u0041\\u00e9\\u00E9\\u20AC\\uffff\"");
    assert_int_equal(s.reject, POINTS_OK);
    assert_string_equal(got.names[0], "A\xC3\xA9\xC3\xA9\xE2\x82\xAC\xEF\xBF\xBF");
    /* Surrogate pairs, lower and upper case hex, smallest and largest. */
    s = named_str("\"\\ud83d\\ude00|\\uD800\\uDC00|\\uDBFF\\uDFFF\"");
    assert_int_equal(s.reject, POINTS_OK);
    assert_string_equal(got.names[0], "\xF0\x9F\x98\x80|\xF0\x90\x80\x80|\xF4\x8F\xBF\xBF");
    /* Escapes and raw UTF-8 mixed. */
    s = named_str("\"caf\xC3\xA9\\u00e9\xE2\x82\xAC\"");
    assert_int_equal(s.reject, POINTS_OK);
    assert_string_equal(got.names[0], "caf\xC3\xA9\xC3\xA9\xE2\x82\xAC");
    /* A space and C1 code points are not C0 controls. */
    assert_int_equal(named_str("\"a\\u0020b\"").reject, POINTS_OK);
    assert_int_equal(named_str("\"\\u0080\"").reject, POINTS_OK);
    assert_string_equal(got.names[0], "\xC2\x80");

    /* Lone or misordered surrogates: valid JSON, not a valid name. */
    const char *bad[] = {
        "\"\\ud83d\"",
        "\"\\ud83dx\"",
        "\"\\ude00\"",
        "\"\\ude00\\ud83d\"",
        "\"\\ud83d\\ud83d\"",
        "\"\\ud83d\\u0041\"",
        "\"a\\udbff\"",
        "\"\\ud83d\\n\"",
        "\"\\u0000\"",
        "\"\\u001f\"",
        "\"\\u001F\"",
        "\"\\u007f\"",
        "\"a\\nb\"",
        "\"\\t\"",
        "\"\\b\"",
        "\"\\f\"",
        "\"\\r\"",
        "\"\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s = named_str(bad[i]);
        if (s.reject != POINTS_BAD_NAME)
            print_message("key %s\n", bad[i]);
        assert_int_equal(s.reject, POINTS_BAD_NAME);
    }
    /* The reject is per sample: every sample of the key, and only them. */
    assert_int_equal(ok("{\"\\ud800\":[1,[2,3]],\"ok\":[4]}"), 3);
    assert_int_equal(got.s[0].reject, POINTS_BAD_NAME);
    assert_int_equal(got.s[1].reject, POINTS_BAD_NAME);
    assert_int_equal(got.s[2].reject, POINTS_OK);
    assert_string_equal(got.names[2], "ok");
}

static void test_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        int valid;
    } cases[] = {
        {"\"\xC2\x80\"", 1},
        {"\"\xDF\xBF\"", 1},
        {"\"\xE0\xA0\x80\"", 1},
        {"\"\xED\x9F\xBF\"", 1},
        {"\"\xEE\x80\x80\"", 1},
        {"\"\xEF\xBF\xBF\"", 1},
        {"\"\xF0\x90\x80\x80\"", 1},
        {"\"\xF4\x8F\xBF\xBF\"", 1},
        {"\"\xE6\x97\xA5\xE6\x9C\xAC\"", 1},
        {"\"\x80\"", 0},             /* continuation first */
        {"\"a\xBF\"", 0},            /* continuation first */
        {"\"\xC0\x80\"", 0},         /* overlong NUL */
        {"\"\xC1\xBF\"", 0},         /* overlong */
        {"\"\xE0\x9F\xBF\"", 0},     /* overlong */
        {"\"\xF0\x8F\xBF\xBF\"", 0}, /* overlong */
        {"\"\xED\xA0\x80\"", 0},     /* UTF-16 surrogate */
        {"\"\xED\xBF\xBF\"", 0},     /* UTF-16 surrogate */
        {"\"\xF4\x90\x80\x80\"", 0}, /* above U+10FFFF */
        {"\"\xF5\x80\x80\x80\"", 0}, /* invalid lead */
        {"\"\xFF\"", 0},             /* invalid byte */
        {"\"\xFE\"", 0},             /* invalid byte */
        {"\"\xC3\"", 0},             /* truncated at the end */
        {"\"\xE2\x82\"", 0},         /* truncated at the end */
        {"\"\xF0\x9F\x98\"", 0},     /* truncated at the end */
        {"\"\xC3x\"", 0},            /* bad continuation */
        {"\"\xE2\x82x\"", 0},        /* bad continuation */
        {"\"\xC3\\u00e9\"", 0},      /* lead byte, then an escape */
        {"\"\x7F\"", 0},             /* raw DEL */
        {"\"\xF0\x9F\x98\x80\\u0041\"", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        points_sample_t s = named_str(cases[i].key);
        if ((s.reject == POINTS_OK) != cases[i].valid)
            print_message("case %zu\n", i);
        assert_int_equal(s.reject, cases[i].valid ? POINTS_OK : POINTS_BAD_NAME);
    }
    /* Outside strings, non-ASCII is a structural error. */
    fails("{\"a\":[1]\xC3\xA9}", 8, "expected ',' or '}' after an array of samples");
    fails("\xC2\xA0{}", 0, "top level must be an object"); /* NBSP is not JSON whitespace */
}

static void test_name_length(void **state)
{
    (void)state;
    char key[4096];
    /* 200 bytes is fine, 201 is not; raw and escaped. */
    for (int len = 198; len <= 202; len++) {
        key[0] = '"';
        memset(key + 1, 'n', (size_t)len);
        key[len + 1] = '"';
        points_sample_t s = named(key, (size_t)len + 2);
        assert_int_equal(s.reject, len <= POINTS_NAME_MAX ? POINTS_OK : POINTS_BAD_NAME);
        assert_true(s.name.n <= POINTS_NAME_MAX);
        if (len <= POINTS_NAME_MAX)
            assert_int_equal(s.name.n, len);
    }
    /* 198 ASCII + an escaped 2-byte char = 200 bytes; 199 + it = 201. */
    for (int len = 198; len <= 199; len++) {
        key[0] = '"';
        memset(key + 1, 'n', (size_t)len);
        memcpy(key + 1 + len, "\\u00e9\"", 7);
        points_sample_t s = named(key, (size_t)len + 8);
        assert_int_equal(s.reject, len == 198 ? POINTS_OK : POINTS_BAD_NAME);
        if (len == 198) {
            assert_int_equal(s.name.n, 200);
            assert_memory_equal(got.names[0] + 198, "\xC3\xA9", 2);
        }
        assert_true(s.name.n <= POINTS_NAME_MAX);
    }
    /* 50 surrogate pairs = 200 bytes of 4-byte UTF-8; one more is too long. */
    for (int pairs = 50; pairs <= 51; pairs++) {
        size_t n = 0;
        key[n++] = '"';
        for (int i = 0; i < pairs; i++) {
            memcpy(key + n, "\\ud83d\\ude00", 12);
            n += 12;
        }
        key[n++] = '"';
        points_sample_t s = named(key, n);
        assert_int_equal(s.reject, pairs == 50 ? POINTS_OK : POINTS_BAD_NAME);
        assert_true(s.name.n <= POINTS_NAME_MAX);
    }
    /* A 3-byte raw char crossing the limit. */
    key[0] = '"';
    memset(key + 1, 'n', 198);
    memcpy(key + 199, "\xE2\x82\xAC\"", 4);
    assert_int_equal(named(key, 203).reject, POINTS_BAD_NAME);
    /* Very long name: rejected, slice bounded. */
    key[0] = '"';
    memset(key + 1, 'n', 4000);
    key[4001] = '"';
    points_sample_t s = named(key, 4002);
    assert_int_equal(s.reject, POINTS_BAD_NAME);
    assert_true(s.name.n <= POINTS_NAME_MAX);
    memcpy(key + 1, "\\n", 2); /* escaped, long */
    s = named(key, 4002);
    assert_int_equal(s.reject, POINTS_BAD_NAME);
    assert_true(s.name.n <= POINTS_NAME_MAX);
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    assert_int_equal(ok("{\"a\":[1],\"b\":[2],\"a\":[3,[4,5]]}"), 4);
    assert_string_equal(got.names[0], "a");
    assert_string_equal(got.names[1], "b");
    assert_string_equal(got.names[2], "a");
    assert_string_equal(got.names[3], "a");
    assert_true(got.s[0].ms == 1 && got.s[2].ms == 3 && got.s[3].ms == 5);
    /* The same name written two ways is the same series name. */
    assert_int_equal(ok("{\"\xC3\xA9\":[1],\"\\u00e9\":[2]}"), 2);
    assert_string_equal(got.names[0], got.names[1]);
}

static void test_durations(void **state)
{
    (void)state;
    points_sample_t s = one("1e400");
    assert_int_equal(s.reject, POINTS_NOT_FINITE);
    s = one("-1e400");
    assert_int_equal(s.reject, POINTS_NOT_FINITE);
    s = one("[1, 1e309]");
    assert_int_equal(s.reject, POINTS_NOT_FINITE);
    s = one("1.7976931348623157e308");
    assert_int_equal(s.reject, POINTS_OK);
    assert_true(s.ms == 1.7976931348623157e308);
    s = one("-5");
    assert_int_equal(s.reject, POINTS_NEGATIVE);
    assert_true(s.ms == -5);
    s = one("-0.001");
    assert_int_equal(s.reject, POINTS_NEGATIVE);
    s = one("[5, -1]");
    assert_int_equal(s.reject, POINTS_NEGATIVE);
    const char *zeros[] = {"0",      "-0",      "-0.0",
                           "-0e5",   "0E-5",    "-0.000e+999999",
                           "1e-400", "-1e-400", "0e99999999999999999999"};
    for (size_t i = 0; i < sizeof zeros / sizeof zeros[0]; i++) {
        s = one(zeros[i]);
        assert_int_equal(s.reject, POINTS_OK);
        assert_true(s.ms == 0);
        assert_false(signbit(s.ms)); /* handed out as +0 */
    }
    /* Big integers as durations are fine (converted like strtod). */
    s = one("18446744073709551616");
    assert_int_equal(s.reject, POINTS_OK);
    assert_true(s.ms == 18446744073709551616.0);
    s = one("123456789012345678901234567890");
    assert_true(s.ms == strtod("123456789012345678901234567890", NULL));
}

static void test_timestamps(void **state)
{
    (void)state;
    static const struct {
        const char *ts;
        int ok;
        int64_t want;
    } cases[] = {
        {"0", 1, 0},
        {"-0", 1, 0},
        {"0.0e5", 1, 0},
        {"1764160000123", 1, 1764160000123},
        {"1.5e12", 1, 1500000000000},
        {"1.764160000123E12", 1, 1764160000123},
        {"1.0", 1, 1},
        {"100e-2", 1, 1},
        {"0.0000000000000000000000001e25", 1, 1},
        {"9223372036854775807", 1, INT64_MAX},
        {"9.223372036854775807e18", 1, INT64_MAX},
        {"92233720368547758070e-1", 1, INT64_MAX},
        {"9223372036854775807.000", 1, INT64_MAX},
        {"1e18", 1, 1000000000000000000},
        {"9223372036854775808", 0, 0},
        {"9.223372036854775808e18", 0, 0},
        {"1e19", 0, 0},
        {"2e19", 0, 0},
        {"20000000000000000000", 0, 0},
        {"9.3e18", 0, 0},
        {"18446744073709551616", 0, 0},
        {"12345678901234567890123", 0, 0},
        {"1e400", 0, 0},
        {"1e99999999999", 0, 0},
        {"1.5", 0, 0},
        {"0.1", 0, 0},
        {"1e-1", 0, 0},
        {"1.000000000000000000001", 0, 0},
        {"1.0000000000000000000000000000000000001e30", 0, 0},
        {"-1", 0, 0},
        {"-1e-400", 0, 0},
        {"-1764160000123", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char sample[128];
        snprintf(sample, sizeof sample, "[%s, 2.5]", cases[i].ts);
        points_sample_t s = one(sample);
        if ((s.reject == POINTS_OK) != cases[i].ok || s.ts_ms != cases[i].want)
            print_message("ts %s: reject %d ts %lld\n", cases[i].ts, s.reject, (long long)s.ts_ms);
        assert_int_equal(s.has_ts, 1);
        assert_int_equal(s.reject, cases[i].ok ? POINTS_OK : POINTS_BAD_TIMESTAMP);
        assert_int_equal(s.ts_ms, cases[i].want);
        assert_true(s.ms == 2.5);
    }
    /* One reason per sample: name first, then timestamp, then duration. */
    assert_int_equal(one("[1.5, -1]").reject, POINTS_BAD_TIMESTAMP);
    assert_int_equal(one("[-1, 1e400]").reject, POINTS_BAD_TIMESTAMP);
    assert_int_equal(ok("{\"\":[[1.5, -1]]}"), 1);
    assert_int_equal(got.s[0].reject, POINTS_BAD_NAME);
}

/* Our conversion must give exactly strtod's (correctly rounded) double. */
static void check_exact(const char *lit)
{
    char body[256];
    snprintf(body, sizeof body, "{\"a\":[%s]}", lit);
    points_error_t err;
    int rc = parse_n(body, strlen(body), &err);
    assert_int_equal(rc, 0);
    double want = strtod(lit, NULL);
    if (want < 0 || !isfinite(want))
        return; /* rejected samples: only the reason matters */
    if (memcmp(&got.s[0].ms, &want, sizeof want) != 0 && !(want == 0 && got.s[0].ms == 0))
        print_message("%s: got %.17g want %.17g\n", lit, got.s[0].ms, want);
    assert_true(got.s[0].ms == want);
}

static void test_exact_doubles(void **state)
{
    (void)state;
    const char *lits[] = {
        "0.1",
        "0.2",
        "0.3",
        "12.345",
        "4.2",
        "8.1",
        "1e22",
        "1e23",
        "1e-22",
        "1e-23",
        "9007199254740992",
        "9007199254740993",
        "9007199254740995",
        "9007199254740993.0000000001",
        "123456789012345678",
        "1234567890123456789",
        "12345678901234567890",
        "123456789012345678901234567890",
        "0.30000000000000004",
        "3.14159265358979323846264338327950288",
        "2.2250738585072011e-308",
        "2.2250738585072012e-308",
        "2.2250738585072014e-308",
        "4.9406564584124654e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "1.7976931348623157e308",
        "8.98846567431158e307",
        "123.456e-10",
        "0.000000000000000000000000000001",
        "100000000000000000000000",
        "7.1e22",
        "4503599627370496.5",
        "4503599627370497.5",
        "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124",
        "9999999999999999999",
        "0.9999999999999999999",
        "5e-324",
        "1e-7",
        "123E+2",
        "1e0",
        "1E00000000000000001",
        "1764160000123.456",
    };
    for (size_t i = 0; i < sizeof lits / sizeof lits[0]; i++)
        check_exact(lits[i]);
    /* Random doubles printed in several forms. */
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < 20000; i++) {
        char lit[64];
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        uint64_t bits = x & 0x7fefffffffffffffu; /* finite, non-negative */
        memcpy(&d, &bits, sizeof d);
        switch (i % 5) {
        case 0:
            snprintf(lit, sizeof lit, "%.17g", d);
            break;
        case 1:
            snprintf(lit, sizeof lit, "%.15g", d);
            break;
        case 2:
            snprintf(lit, sizeof lit, "%.*f", (int)(x % 7), (double)(x % 10000000) / 1000);
            break;
        case 3:
            snprintf(lit, sizeof lit, "%llu", (unsigned long long)(x >> (x % 64)));
            break;
        default:
            snprintf(lit, sizeof lit, "%.*e", (int)(x % 20), (double)(x % 1000000) * 1e-3);
            break;
        }
        /* printf writes "1e+20"-style exponents and maybe "inf": JSON forms only. */
        if (strchr(lit, 'n') || strchr(lit, 'i'))
            continue;
        check_exact(lit);
    }
}

/* A growable record of every sample, for bodies with many samples. */
typedef struct rec {
    size_t n, cap;
    points_sample_t *s;
    char (*names)[POINTS_NAME_MAX + 1];
} rec_t;

static void record(void *ctx, const points_sample_t *s)
{
    rec_t *r = ctx;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 256;
        r->s = realloc(r->s, r->cap * sizeof r->s[0]);
        r->names = realloc(r->names, r->cap * sizeof r->names[0]);
    }
    r->s[r->n] = *s;
    memcpy(r->names[r->n], s->name.p, s->name.n);
    r->names[r->n][s->name.n] = '\0';
    r->n++;
}

static void rec_free(rec_t *r)
{
    free(r->s);
    free(r->names);
    memset(r, 0, sizeof *r);
}

/* The random bodies' generator; rng() keeps put_number() short. */
static test_rng_t body_rng = {TEST_RNG_XORSHIFT64, 0x2545f4914f6cdd1du};

static uint64_t rng(void)
{
    return test_rng_next(&body_rng);
}

/* Appends a random number literal: mostly forms the fast path takes, some it
 * leaves to the byte-at-a-time code (sign, exponent, long, zero forms). */
static size_t put_number(char *b, int for_ts)
{
    switch (rng() % 12) {
    case 0:
        return (size_t)sprintf(b, "%llu", (unsigned long long)(rng() >> (rng() % 64)));
    case 1:
        return (size_t)sprintf(b, "0.%03u", (unsigned)(rng() % 1000));
    case 2:
        return (size_t)sprintf(b, "%s%u.%u", for_ts ? "" : "-", (unsigned)(rng() % 100),
                               (unsigned)(rng() % 100));
    case 3:
        return (size_t)sprintf(b, "%u.%ue%d", (unsigned)(rng() % 10), (unsigned)(rng() % 1000),
                               (int)(rng() % 30) - 15);
    case 4:
        return (size_t)sprintf(b, "%.17g", (double)(rng() % 1000000) / 7.0);
    case 5:
        return (size_t)sprintf(b, "0");
    case 6:
        return (size_t)sprintf(b, "1764160%06u", (unsigned)(rng() % 1000000));
    case 7:
        return (size_t)sprintf(b, "%llu.%llu", (unsigned long long)(rng() % 100000000000ull),
                               (unsigned long long)(rng() % 100000000ull));
    case 8: /* 19 to 26 digits: at and past what a uint64_t holds */
        return (size_t)sprintf(
            b, "%llu%0*u",
            (unsigned long long)(rng() % 9000000000000000000ull + 1000000000000000000ull),
            (int)(rng() % 8), (unsigned)(rng() % 10000000));
    default:
        return (size_t)sprintf(b, "%u.%03u", (unsigned)(rng() % 1000), (unsigned)(rng() % 1000));
    }
}

/* A random body; `spaced` puts a space after every ',' and '[' inside the
 * arrays, which turns the SSE2 fast path off for those samples. */
static size_t make_body(char *b, uint64_t seed, int spaced, int samples)
{
    size_t n = 0;
    test_rng_seed(&body_rng, seed);
    n += (size_t)sprintf(b + n, "{\"series.%u\":[", (unsigned)(rng() % 5));
    for (int i = 0; i < samples; i++) {
        if (i && rng() % 16 == 0)
            n += (size_t)sprintf(b + n, "],\"s%u\":[", (unsigned)(rng() % 7));
        else if (i)
            n += (size_t)sprintf(b + n, ",%s", spaced ? " " : "");
        if (rng() % 3 == 0) {
            n += (size_t)sprintf(b + n, "[%s", spaced ? " " : "");
            n += put_number(b + n, 1);
            n += (size_t)sprintf(b + n, ",%s", spaced ? " " : "");
            n += put_number(b + n, 0);
            b[n++] = ']';
        } else {
            n += put_number(b + n, 0);
        }
    }
    n += (size_t)sprintf(b + n, "]}");
    return n;
}

/* The fast path must deliver exactly what the byte-at-a-time code does. */
static void test_fast_path_equivalence(void **state)
{
    (void)state;
    char *dense = malloc(1 << 20), *spaced = malloc(1 << 20);
    for (uint64_t seed = 1; seed <= 300; seed++) {
        int samples = (int)(seed % 50) * 20 + 1;
        size_t nd = make_body(dense, seed * 7919, 0, samples);
        size_t ns = make_body(spaced, seed * 7919, 1, samples);
        rec_t a = {0}, b = {0};
        points_error_t err;
        int rc = points_parse(dense, nd, record, &a, &err);
        if (rc != 0)
            print_message("seed %llu: %s at %zu: %.40s\n", (unsigned long long)seed, err.message,
                          err.offset, dense + err.offset);
        assert_int_equal(rc, 0);
        assert_int_equal(points_parse(spaced, ns, record, &b, &err), 0);
        assert_int_equal(a.n, (size_t)samples);
        assert_int_equal(b.n, (size_t)samples);
        for (size_t i = 0; i < a.n; i++) {
            assert_string_equal(a.names[i], b.names[i]);
            assert_int_equal(a.s[i].has_ts, b.s[i].has_ts);
            assert_int_equal(a.s[i].ts_ms, b.s[i].ts_ms);
            assert_int_equal(a.s[i].reject, b.s[i].reject);
            assert_memory_equal(&a.s[i].ms, &b.s[i].ms, sizeof(double));
            /* Offsets point at the sample's first byte in each body. */
            char first = dense[a.s[i].offset];
            assert_true(first == '[' || first == '-' || (first >= '0' && first <= '9'));
            assert_int_equal(first, spaced[b.s[i].offset]);
            if (!a.s[i].has_ts && a.s[i].reject == POINTS_OK) {
                char *e;
                assert_true(a.s[i].ms == strtod(dense + a.s[i].offset, &e));
            }
        }
        rec_free(&a);
        rec_free(&b);
    }
    free(dense);
    free(spaced);
}

/* Truncation at every length of a body long enough for the fast path. */
static void test_truncated_long_body(void **state)
{
    (void)state;
    char *b = malloc(1 << 16);
    size_t n = make_body(b, 42, 0, 60);
    assert_int_equal(ok_n(b, n), 60);
    assert_prefixes_rejected(b, n);
    free(b);
}

/* Hostile bytes inside a long, otherwise fast-path-friendly array: each must
 * be found at its exact offset. */
static void test_errors_in_fast_path(void **state)
{
    (void)state;
    static const struct {
        const char *bad;
        const char *message;
        size_t at; /* offset of the error inside `bad` */
    } cases[] = {
        {"01", "leading zeros are not allowed in a number", 1},
        {"1.", "expected a digit after '.'", 2},
        {"1..2", "expected a digit after '.'", 2},
        {"1.2.3", "expected ',' or ']' after a sample", 3},
        {".5", "expected a number or [unix_ms, duration_ms] pair", 0},
        {"1e", "expected a digit in the exponent", 2},
        {"[1,2,3]", "expected ']' after duration_ms: a pair has exactly two numbers", 4},
        {"[1]", "expected ',' after unix_ms in a [unix_ms, duration_ms] pair", 2},
        {"[[1,2]]", "expected a number as unix_ms in a [unix_ms, duration_ms] pair", 1},
        {"[1,01]", "leading zeros are not allowed in a number", 4},
        {"[01,1]", "leading zeros are not allowed in a number", 2},
        {"1.", "expected a digit after '.'", 2},
        {"1,,2", "expected a number or [unix_ms, duration_ms] pair", 2},
        {"[1,.2]", "expected a number as duration_ms in a [unix_ms, duration_ms] pair", 3},
        {"[1,2,,3]", "expected ']' after duration_ms: a pair has exactly two numbers", 4},
        {"[1,2x,3]", "expected ']' after duration_ms: a pair has exactly two numbers", 4},
        {"[1,2]]", "expected a string key", 7},
        {"[1x,2],", "expected ',' after unix_ms in a [unix_ms, duration_ms] pair", 2},
        {"[1,2]x,", "expected ',' or ']' after a sample", 5},
        {"12345678901234567890123", NULL, 0}, /* valid, too long for the window */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* Put the case at many positions relative to the 32-byte windows. */
        for (int lead = 0; lead < 40; lead++) {
            char body[512];
            size_t n = (size_t)sprintf(body, "{\"a\":[");
            for (int k = 0; k < lead; k++)
                n += (size_t)sprintf(body + n, "%d,", k % 10);
            size_t at = n + cases[i].at;
            n += (size_t)sprintf(body + n, "%s,1.5,2.25,[1,2],3,4,5,6,7,8,9,10,11,12,13]}",
                                 cases[i].bad);
            if (cases[i].message)
                fails_n(body, n, at, cases[i].message);
            else
                assert_int_equal(ok_n(body, n), lead + 15);
        }
    }
}

static void test_reject_reasons(void **state)
{
    (void)state;
    assert_string_equal(points_reject_reason(POINTS_OK), "ok");
    assert_string_equal(points_reject_reason(POINTS_NEGATIVE), "negative duration");
    for (int r = 0; r < POINTS_REJECT_COUNT; r++) {
        const char *s = points_reject_reason((points_reject_t)r);
        assert_non_null(s);
        for (int q = 0; q < r; q++)
            assert_string_not_equal(s, points_reject_reason((points_reject_t)q));
    }
    assert_string_equal(points_reject_reason(POINTS_REJECT_COUNT), "unknown reason");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contract_example),
        cmocka_unit_test(test_empty_and_whitespace),
        cmocka_unit_test(test_error_messages),
        cmocka_unit_test(test_number_too_long),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_truncated_prefixes),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_name_length),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_exact_doubles),
        cmocka_unit_test(test_fast_path_equivalence),
        cmocka_unit_test(test_truncated_long_body),
        cmocka_unit_test(test_errors_in_fast_path),
        cmocka_unit_test(test_reject_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
