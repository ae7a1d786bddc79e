/* test_auth.c - doors, token rules, constant-time compare, header readers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/auth.h"

#define INGEST  "ingest-token-0123456789"
#define VIEW    "view-token-0123456789abc"
#define METRICS "metrics-token-0123456789"

static auth_door_t door(const char *path)
{
    return auth_door_of(path, strlen(path));
}

static void test_doors(void **state)
{
    (void)state;
    assert_int_equal(door("/healthz"), AUTH_DOOR_OPEN);
    assert_int_equal(door("/signin.html"), AUTH_DOOR_OPEN);
    assert_int_equal(door("/signin.js"), AUTH_DOOR_OPEN);
    assert_int_equal(door("/api/v1/signout"), AUTH_DOOR_OPEN);
    assert_int_equal(door("/api/v1/points"), AUTH_DOOR_INGEST);
    assert_int_equal(door("/v1/traces"), AUTH_DOOR_INGEST);
    assert_int_equal(door("/v1/metrics"), AUTH_DOOR_INGEST);
    assert_int_equal(door("/metrics"), AUTH_DOOR_METRICS);
    /* Everything else, near misses included, is the view door. */
    const char *view[] = {"/",
                          "/index.html",
                          "/ws",
                          "/api/v1/series",
                          "/api/v1/series/a",
                          "/api/v1/rollup",
                          "/healthz/",
                          "/healthzz",
                          "/HEALTHZ",
                          "/metrics/",
                          "//healthz",
                          "/api/v1/signin",
                          "/signin.html/x",
                          "",
                          "/nope"};
    for (size_t i = 0; i < sizeof view / sizeof view[0]; i++)
        assert_int_equal(door(view[i]), AUTH_DOOR_VIEW);
    /* a NUL inside the length is part of the path */
    assert_int_equal(auth_door_of("/healthz\0x", 10), AUTH_DOOR_VIEW);
    /* a prefix of a door's path within a longer buffer */
    assert_int_equal(auth_door_of("/healthzXXXX", 8), AUTH_DOOR_OPEN);
}

static void test_token_rules(void **state)
{
    (void)state;
    assert_null(auth_token_problem(VIEW, strlen(VIEW)));
    assert_null(auth_token_problem("abcdefghijklmnop", 16));
    assert_null(auth_token_problem("AZaz09-._~+/abcd==", 18));
    assert_non_null(auth_token_problem("abcdefghijklmno", 15));
    assert_non_null(auth_token_problem("", 0));
    char longest[AUTH_TOKEN_MAX + 2];
    memset(longest, 'a', sizeof longest);
    assert_null(auth_token_problem(longest, AUTH_TOKEN_MAX));
    assert_non_null(auth_token_problem(longest, AUTH_TOKEN_MAX + 1));
    const char *bad[] = {"abcdefgh ijklmnop",  "abcdefgh;ijklmnop",  "abcdefgh\"ijklmnop",
                         "abcdefgh,ijklmnop",  "abcdefgh=ijklmnop",  "================",
                         "abcdefghijklmnop\n", "abcdefgh\\ijklmnop", "abcdefgh\xc3\xa9ijklmnop"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_non_null(auth_token_problem(bad[i], strlen(bad[i])));
    assert_non_null(auth_token_problem("abcdefgh\0ijklmnop", 17));
    /* the phrase never repeats the token */
    const char *why = auth_token_problem("secret secret secret", 20);
    assert_null(strstr(why, "secret"));
}

static void test_equal(void **state)
{
    (void)state;
    assert_true(auth_equal("abc", 3, "abc", 3));
    assert_false(auth_equal("abc", 3, "abd", 3));
    assert_false(auth_equal("abc", 3, "xbc", 3));
    assert_false(auth_equal("abc", 3, "ab", 2));
    assert_false(auth_equal("abc", 3, "abcd", 4));
    assert_false(auth_equal("abc", 3, "", 0));
    assert_false(auth_equal("ab", 2, "ab\0", 3));
    assert_true(auth_equal("", 0, "", 0));
    /* Every single-bit difference at every position is seen (no byte of
     * the secret is skipped), and a prefix never passes. */
    char s[64], g[64];
    for (size_t i = 0; i < sizeof s; i++)
        s[i] = (char)('A' + i % 26);
    memcpy(g, s, sizeof s);
    assert_true(auth_equal(s, sizeof s, g, sizeof g));
    for (size_t i = 0; i < sizeof s; i++) {
        for (int bit = 0; bit < 8; bit++) {
            g[i] ^= (char)(1 << bit);
            assert_false(auth_equal(s, sizeof s, g, sizeof g));
            g[i] ^= (char)(1 << bit);
        }
        assert_false(auth_equal(s, sizeof s, g, i));
    }
}

static int bearer(const char *v, const char *want)
{
    const char *tok = NULL;
    size_t tn = 0;
    if (auth_bearer(v, strlen(v), &tok, &tn) != 0)
        return want == NULL;
    return want && tn == strlen(want) && memcmp(tok, want, tn) == 0;
}

static void test_bearer(void **state)
{
    (void)state;
    assert_true(bearer("Bearer abc", "abc"));
    assert_true(bearer("bearer abc", "abc"));
    assert_true(bearer("BEARER   abc  \t", "abc"));
    assert_true(bearer("Bearer a+b/c==", "a+b/c=="));
    const char *bad[] = {
        "",           "Bearer",      "Bearer ",      "Bearer  ",   "Basic abc",
        "Bearerabc",  "Bearer\tabc", "Bearer a b",   "Bearer a,b", "Bearer =abc",
        "Bearer a=b", " Bearer abc", "Bearer abc\r", "Bear abc",   "Bearer \"abc\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_true(bearer(bad[i], NULL));
    /* A NUL within the length ends nothing: it is a bad byte. */
    const char *tok;
    size_t tn;
    assert_int_equal(auth_bearer("Bearer ab\0cd", 12, &tok, &tn), -1);
    /* (pointer, length): bytes past n are never read as part of it */
    assert_int_equal(auth_bearer("Bearer abcXYZ", 10, &tok, &tn), 0);
    assert_int_equal(tn, 3);
}

static int cookie(const char *header, const char *want)
{
    const char *v = NULL;
    size_t vn = 0;
    if (!auth_cookie(header, strlen(header), AUTH_COOKIE, &v, &vn))
        return want == NULL;
    return want && vn == strlen(want) && memcmp(v, want, vn) == 0;
}

static void test_cookie(void **state)
{
    (void)state;
    assert_true(cookie("spider_view=abc", "abc"));
    assert_true(cookie("a=1; spider_view=abc; b=2", "abc"));
    assert_true(cookie("a=1;spider_view=abc", "abc"));
    assert_true(cookie("spider_view=\"abc\"", "abc"));
    assert_true(cookie("spider_view=abc ; b=2", "abc"));
    assert_true(cookie("spider_view=first; spider_view=second", "first"));
    assert_true(cookie("spider_view=", ""));
    assert_true(cookie("x; spider_view=abc", "abc"));
    const char *none[] = {"",
                          ";;;",
                          "spider_view",
                          "spider_viewx=abc",
                          "xspider_view=abc",
                          "Spider_View=abc",
                          "a=spider_view=abc",
                          "a=\"x; spider_vie\"w=abc"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        assert_true(cookie(none[i], NULL));
    /* hostile: long runs of separators and '=' end, in O(n) */
    size_t n = 1 << 16;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, ';', n);
    const char *v;
    size_t vn;
    assert_int_equal(auth_cookie(big, n, AUTH_COOKIE, &v, &vn), 0);
    memset(big, '=', n);
    assert_int_equal(auth_cookie(big, n, AUTH_COOKIE, &v, &vn), 0);
    free(big);
}

static auth_result_t check(const auth_t *a, auth_door_t d, const char *authz, const char *ck)
{
    return auth_check(a, d, authz, authz ? strlen(authz) : 0, ck, ck ? strlen(ck) : 0);
}

static void test_check(void **state)
{
    (void)state;
    auth_t open, a, m;
    auth_init(&open, "", NULL, "");
    auth_init(&a, INGEST, VIEW, NULL);
    auth_init(&m, INGEST, VIEW, METRICS);
    /* no tokens: every door open, whatever is sent */
    for (int d = 0; d < AUTH_DOORS; d++) {
        assert_int_equal(check(&open, (auth_door_t)d, NULL, NULL), AUTH_OK);
        assert_int_equal(check(&open, (auth_door_t)d, "Basic x", NULL), AUTH_OK);
    }
    assert_int_equal(check(&a, AUTH_DOOR_OPEN, NULL, NULL), AUTH_OK);
    /* ingest: the Bearer header only */
    assert_int_equal(check(&a, AUTH_DOOR_INGEST, NULL, NULL), AUTH_MISSING);
    assert_int_equal(check(&a, AUTH_DOOR_INGEST, "Bearer " INGEST, NULL), AUTH_OK);
    assert_int_equal(check(&a, AUTH_DOOR_INGEST, "Bearer " VIEW, NULL), AUTH_WRONG);
    assert_int_equal(check(&a, AUTH_DOOR_INGEST, "Basic " INGEST, NULL), AUTH_MALFORMED);
    assert_int_equal(check(&a, AUTH_DOOR_INGEST, NULL, AUTH_COOKIE "=" INGEST), AUTH_MISSING);
    /* view: header or cookie; the header wins */
    assert_int_equal(check(&a, AUTH_DOOR_VIEW, "Bearer " VIEW, NULL), AUTH_OK);
    assert_int_equal(check(&a, AUTH_DOOR_VIEW, NULL, "x=1; " AUTH_COOKIE "=" VIEW), AUTH_OK);
    assert_int_equal(check(&a, AUTH_DOOR_VIEW, NULL, AUTH_COOKIE "=" INGEST), AUTH_WRONG);
    assert_int_equal(check(&a, AUTH_DOOR_VIEW, NULL, "other=" VIEW), AUTH_MISSING);
    assert_int_equal(check(&a, AUTH_DOOR_VIEW, "Bearer " INGEST, AUTH_COOKIE "=" VIEW), AUTH_WRONG);
    /* metrics: the view token and cookie, unless it has its own */
    assert_int_equal(check(&a, AUTH_DOOR_METRICS, "Bearer " VIEW, NULL), AUTH_OK);
    assert_int_equal(check(&a, AUTH_DOOR_METRICS, NULL, AUTH_COOKIE "=" VIEW), AUTH_OK);
    assert_int_equal(check(&m, AUTH_DOOR_METRICS, "Bearer " VIEW, NULL), AUTH_WRONG);
    assert_int_equal(check(&m, AUTH_DOOR_METRICS, NULL, AUTH_COOKIE "=" VIEW), AUTH_MISSING);
    assert_int_equal(check(&m, AUTH_DOOR_METRICS, "Bearer " METRICS, NULL), AUTH_OK);
    /* only an ingest token: viewing stays open */
    auth_t i;
    auth_init(&i, INGEST, "", "");
    assert_int_equal(check(&i, AUTH_DOOR_VIEW, NULL, NULL), AUTH_OK);
    assert_int_equal(check(&i, AUTH_DOOR_METRICS, NULL, NULL), AUTH_OK);
    assert_int_equal(check(&i, AUTH_DOOR_INGEST, NULL, NULL), AUTH_MISSING);
    /* a prefix or an extension of the token is wrong */
    assert_int_equal(check(&a, AUTH_DOOR_VIEW, "Bearer view-token-0123456789ab", NULL), AUTH_WRONG);
    assert_int_equal(check(&a, AUTH_DOOR_VIEW, "Bearer " VIEW "d", NULL), AUTH_WRONG);
}

static void test_labels(void **state)
{
    (void)state;
    assert_string_equal(auth_door_label(AUTH_DOOR_INGEST), "ingest");
    assert_string_equal(auth_door_label(AUTH_DOOR_VIEW), "view");
    assert_string_equal(auth_door_label(AUTH_DOOR_METRICS), "metrics");
    assert_string_equal(auth_result_label(AUTH_MISSING), "missing");
    assert_string_equal(auth_result_label(AUTH_WRONG), "wrong");
    assert_string_equal(auth_result_label(AUTH_MALFORMED), "malformed");
    assert_string_equal(auth_door_label((auth_door_t)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doors),  cmocka_unit_test(test_token_rules),
        cmocka_unit_test(test_equal),  cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_cookie), cmocka_unit_test(test_check),
        cmocka_unit_test(test_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
