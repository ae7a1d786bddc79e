/* test_stagger.c - the number of push groups for a push interval. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "push/stagger.h"

static void test_groups(void **state)
{
    (void)state;
    /* The default: ten groups 100 ms apart. */
    assert_int_equal(stagger_groups(1000), 10);
    /* Too short to split into sub-ticks of 100 ms or more. */
    assert_int_equal(stagger_groups(100), 1);
    assert_int_equal(stagger_groups(199), 1);
    assert_int_equal(stagger_groups(200), 2);
    /* 250 / 3 < 100; 250 / 2 = 125 exactly. */
    assert_int_equal(stagger_groups(250), 2);
    /* Only exact divisors: 1234 = 2 x 617. */
    assert_int_equal(stagger_groups(1234), 2);
    assert_int_equal(stagger_groups(1001), 7);
    /* Long intervals: never more than the maximum. */
    assert_int_equal(stagger_groups(1500), STAGGER_MAX_GROUPS);
    assert_int_equal(stagger_groups(60000), STAGGER_MAX_GROUPS);
    /* A prime above the minimum gap has no divisor: one group. */
    assert_int_equal(stagger_groups(1009), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
