/* test_fdlimit.c - raising RLIMIT_NOFILE to what --max-clients and
 * --max-connections need, and saying when the hard limit stops it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/fdlimit.h"

static struct rlimit saved;

/* Lowers only the soft limit (an unprivileged process could not raise a
 * lowered hard limit again); the hard one stays what the shell gave. */
static int lower_soft(void **state)
{
    (void)state;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    struct rlimit rl = {100, saved.rlim_max};
    return setrlimit(RLIMIT_NOFILE, &rl);
}

static int restore(void **state)
{
    (void)state;
    return setrlimit(RLIMIT_NOFILE, &saved);
}

static uint64_t soft_now(void)
{
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    return (uint64_t)rl.rlim_cur;
}

static void test_need_counts_both_limits_and_the_reserve(void **state)
{
    (void)state;
    assert_int_equal(fdlimit_need(10000, 1024), 10000 + 1024 + FDLIMIT_RESERVE);
}

static void test_raises_the_soft_limit_to_what_is_needed(void **state)
{
    (void)state;
    if (saved.rlim_max < 200)
        skip();
    fdlimit_t fl;
    assert_int_equal(fdlimit_raise(200, &fl), 0);
    assert_int_equal(fl.raised, 1);
    assert_int_equal(fl.soft, 200);
    assert_int_equal(soft_now(), 200);
    assert_int_equal(fl.need, 200);
}

static void test_leaves_a_high_enough_limit_alone(void **state)
{
    (void)state;
    fdlimit_t fl;
    assert_int_equal(fdlimit_raise(50, &fl), 0);
    assert_int_equal(fl.raised, 0);
    assert_int_equal(fl.soft, 100);
    assert_int_equal(soft_now(), 100);
}

/* Past fs.nr_open not even a privileged process gets: the soft limit goes
 * to the hard one and the caller learns it is short. */
static void test_stops_at_the_hard_limit_and_says_so(void **state)
{
    (void)state;
    uint64_t nr_open = 0;
    FILE *f = fopen("/proc/sys/fs/nr_open", "r");
    if (!f || fscanf(f, "%" SCNu64, &nr_open) != 1 || saved.rlim_max == RLIM_INFINITY) {
        if (f)
            fclose(f);
        skip();
    }
    fclose(f);
    fdlimit_t fl;
    assert_int_equal(fdlimit_raise(nr_open + 1, &fl), SPIDER_ERANGE);
    assert_int_equal(fl.need, nr_open + 1);
    assert_int_equal(fl.hard, saved.rlim_max);
    assert_int_equal(fl.soft, fl.hard);
    assert_int_equal(soft_now(), fl.hard);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_need_counts_both_limits_and_the_reserve),
        cmocka_unit_test_setup_teardown(test_raises_the_soft_limit_to_what_is_needed, lower_soft,
                                        restore),
        cmocka_unit_test_setup_teardown(test_leaves_a_high_enough_limit_alone, lower_soft, restore),
        cmocka_unit_test_setup_teardown(test_stops_at_the_hard_limit_and_says_so, lower_soft,
                                        restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
