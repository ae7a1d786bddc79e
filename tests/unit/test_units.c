/* test_units.c - sizes and durations as users type them in flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/units.h"

static uint64_t size_of(const char *s, int *rc)
{
    uint64_t v = 0;
    *rc = units_parse_size(s, strlen(s), &v);
    return v;
}

static int64_t duration_of(const char *s, int *rc)
{
    int64_t v = 0;
    *rc = units_parse_duration(s, strlen(s), &v);
    return v;
}

static void test_sizes(void **state)
{
    (void)state;
    int rc;
    assert_int_equal(size_of("64MiB", &rc), 64ull << 20);
    assert_int_equal(rc, 0);
    assert_int_equal(size_of("64M", &rc), 64ull << 20);
    assert_int_equal(size_of("64mb", &rc), 64ull << 20);
    assert_int_equal(size_of("1GiB", &rc), 1ull << 30);
    assert_int_equal(size_of("512K", &rc), 512ull << 10);
    assert_int_equal(size_of("1000", &rc), 1000);
    assert_int_equal(size_of("7B", &rc), 7);
    assert_int_equal(rc, 0);
}

static void test_bad_sizes(void **state)
{
    (void)state;
    int rc;
    const char *bad[] = {"", "MiB", "-1", "1.5G", "12XB", "1 MiB", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_of(bad[i], &rc);
        assert_int_equal(rc, SPIDER_EINVAL);
    }
    size_of("99999999999999999999G", &rc);
    assert_int_equal(rc, SPIDER_ERANGE);
    size_of("17179869184G", &rc); /* 2^34 GiB = 2^64 bytes: one past the top */
    assert_int_equal(rc, SPIDER_ERANGE);
}

static void test_durations(void **state)
{
    (void)state;
    int rc;
    assert_int_equal(duration_of("500ms", &rc), 500);
    assert_int_equal(duration_of("30s", &rc), 30000);
    assert_int_equal(duration_of("30m", &rc), 30 * 60000);
    assert_int_equal(duration_of("24h", &rc), 24 * 3600000ll);
    assert_int_equal(rc, 0);
    const char *bad[] = {"30", "", "s", "1.5s", "10 s", "-5s", "5d"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        duration_of(bad[i], &rc);
        assert_int_equal(rc, SPIDER_EINVAL);
    }
    duration_of("99999999h", &rc);
    assert_int_equal(rc, SPIDER_ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
