/* test_seriesname.c - the one rule for series names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/seriesname.h"

static seriesname_check_t check(const char *s)
{
    return seriesname_check(s, strlen(s));
}

static void test_accepted(void **state)
{
    (void)state;
    const char *ok[] = {"checkout.db", "a/b", "a/.b",       "a/b.", "x.y",
                        "...",         "a/",  ".a",         "a..b", "payment/charge/p99",
                        "héllo wörld", "a+b", "a%2F..%2Fb", "日本"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_int_equal(check(ok[i]), SERIESNAME_OK);
    char longest[SERIESNAME_MAX + 1];
    memset(longest, 'x', SERIESNAME_MAX);
    longest[SERIESNAME_MAX] = '\0';
    assert_int_equal(check(longest), SERIESNAME_OK);
}

static void test_refused(void **state)
{
    (void)state;
    /* lws folds these paths, so the series could never be queried */
    const char *path[] = {".",     "..",     "./a", "../a", "a/.", "a/..",
                          "a/./b", "a/../b", "/a",  "a//b", "//",  "/"};
    for (size_t i = 0; i < sizeof path / sizeof path[0]; i++)
        assert_int_equal(check(path[i]), SERIESNAME_PATH);
    assert_int_equal(check(""), SERIESNAME_EMPTY);
    char longer[SERIESNAME_MAX + 2];
    memset(longer, 'x', SERIESNAME_MAX + 1);
    longer[SERIESNAME_MAX + 1] = '\0';
    assert_int_equal(check(longer), SERIESNAME_TOO_LONG);
    assert_int_equal(check("a\tb"), SERIESNAME_CONTROL);
    assert_int_equal(check("a\x7f"), SERIESNAME_CONTROL);
    assert_int_equal(check("\xc3\x28"), SERIESNAME_BAD_UTF8);
    assert_int_equal(seriesname_check("a\0b", 3), SERIESNAME_CONTROL);
    assert_non_null(strstr(seriesname_reason(SERIESNAME_PATH), ".."));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
