/* test_hostallow.c - which Host and Origin values name this server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/hostallow.h"

static int host_ok(const hostallow_t *h, const char *v)
{
    return hostallow_host_ok(h, v, strlen(v));
}

static int origin_ok(const hostallow_t *h, const char *v)
{
    return hostallow_origin_ok(h, v, strlen(v));
}

/* What server.c allows when it listens on loopback. */
static void loopback(hostallow_t *h)
{
    hostallow_init(h);
    assert_int_equal(hostallow_add(h, "127.0.0.1"), 0);
    assert_int_equal(hostallow_add(h, "localhost"), 0);
    assert_int_equal(hostallow_add(h, "::1"), 0);
}

static void test_loopback_names(void **state)
{
    (void)state;
    hostallow_t h;
    loopback(&h);
    assert_true(host_ok(&h, "127.0.0.1"));
    assert_true(host_ok(&h, "127.0.0.1:8080"));
    assert_true(host_ok(&h, "localhost:8080"));
    assert_true(host_ok(&h, "LOCALHOST:8080"));
    assert_true(host_ok(&h, "localhost."));
    assert_true(host_ok(&h, "[::1]:8080"));
    assert_true(host_ok(&h, "[::1]"));
}

static void test_rebinding_and_malformed_refused(void **state)
{
    (void)state;
    hostallow_t h;
    loopback(&h);
    assert_false(host_ok(&h, "evil.example:8080"));
    assert_false(host_ok(&h, "localhost.evil.example"));
    assert_false(host_ok(&h, "127.0.0.2"));
    assert_false(host_ok(&h, ""));
    assert_false(host_ok(&h, ":8080"));
    assert_false(host_ok(&h, "localhost:"));
    assert_false(host_ok(&h, "localhost:80a"));
    assert_false(host_ok(&h, "localhost:123456"));
    assert_false(host_ok(&h, "local host"));
    assert_false(host_ok(&h, "localhost\r"));
    assert_false(host_ok(&h, "::1")); /* a Host names IPv6 in brackets */
    assert_false(host_ok(&h, "[::1"));
    assert_false(host_ok(&h, "[::1]x"));
    assert_false(host_ok(&h, "[]"));
    assert_false(hostallow_host_ok(&h, "localhost\0x", 11)); /* NUL inside */
}

static void test_allow_list(void **state)
{
    (void)state;
    hostallow_t h;
    hostallow_init(&h);
    assert_int_equal(hostallow_add_list(&h, " spider.internal , 10.0.0.5,[fe80::1] "), 0);
    assert_true(host_ok(&h, "spider.internal:443"));
    assert_true(host_ok(&h, "Spider.Internal"));
    assert_true(host_ok(&h, "10.0.0.5"));
    assert_true(host_ok(&h, "[fe80::1]:8080"));
    assert_false(host_ok(&h, "localhost"));
    assert_int_equal(hostallow_add_list(&h, "ok.example,bad name"), -1);
    assert_int_equal(hostallow_add(&h, ""), -1);
    assert_int_equal(hostallow_add(&h, "a/b"), -1);
    /* "*" accepts every Host (behind a proxy that checks it) */
    assert_int_equal(hostallow_add(&h, "*"), 0);
    assert_true(host_ok(&h, "anything.example"));
}

static void test_list_bounded(void **state)
{
    (void)state;
    hostallow_t h;
    hostallow_init(&h);
    char name[32];
    for (int i = 0; i < HOSTALLOW_MAX; i++) {
        snprintf(name, sizeof name, "h%d.example", i);
        assert_int_equal(hostallow_add(&h, name), 0);
    }
    assert_int_equal(hostallow_add(&h, "h0.example"), 0); /* already there */
    assert_int_equal(hostallow_add(&h, "one.more.example"), -1);
}

static void test_origins(void **state)
{
    (void)state;
    hostallow_t h;
    loopback(&h);
    assert_true(origin_ok(&h, "http://127.0.0.1:8080"));
    assert_true(origin_ok(&h, "http://localhost:8080"));
    assert_true(origin_ok(&h, "https://[::1]:8443"));
    assert_false(origin_ok(&h, "http://evil.example:8080"));
    assert_false(origin_ok(&h, "null"));
    assert_false(origin_ok(&h, "file://localhost"));
    assert_false(origin_ok(&h, "http://localhost:8080/path"));
    assert_false(origin_ok(&h, "http://"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_names),
        cmocka_unit_test(test_rebinding_and_malformed_refused),
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_list_bounded),
        cmocka_unit_test(test_origins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
