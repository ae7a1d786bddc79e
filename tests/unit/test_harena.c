/* test_harena.c - the chunks sealed histograms live in (src/store/harena.c):
 * bytes handed out in order and never moved, chunk sizes that follow the
 * rate, chunks freed whole once all their seconds are gone, and the bytes
 * counted exactly as the budget is told. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/harena.h"

/* Appends n bytes of value v for second sec, growing as the store does;
 * returns the pointer and adds any new chunk's cost to *charged. */
static uint8_t *put(harena_t *a, size_t n, uint32_t sec, uint8_t v, size_t *charged)
{
    if (!harena_fits(a, n)) {
        uint32_t cap = harena_next_cap(a, n);
        *charged += harena_chunk_bytes(cap);
        harena_grow(a, cap);
    }
    uint8_t *p = harena_take(a, n, sec);
    memset(p, v, n);
    return p;
}

static void test_order_and_stability(void **state)
{
    (void)state;
    harena_t a = {0};
    size_t charged = 0;
    uint8_t *p[100];
    for (uint32_t i = 0; i < 100; i++)
        p[i] = put(&a, 20, 1000 + i, (uint8_t)i, &charged);
    /* Within a chunk, one after the other; nothing ever moves. */
    assert_ptr_equal(p[1], p[0] + 20);
    for (uint32_t i = 0; i < 100; i++)
        for (int k = 0; k < 20; k++)
            assert_int_equal(p[i][k], (uint8_t)i);
    assert_int_equal(harena_bytes(&a), charged);
    assert_int_equal(harena_free(&a), charged);
    assert_null(a.tail);
}

/* Fast series: chunks double up to the maximum; slow ones: they halve. */
static void test_sizes_follow_the_rate(void **state)
{
    (void)state;
    harena_t a = {0};
    size_t charged = 0;
    assert_int_equal(harena_next_cap(&a, 10), HARENA_CHUNK_MIN);
    uint32_t sec = 0;
    for (int i = 0; i < 2000; i++, sec++)
        put(&a, 40, sec, 1, &charged);
    assert_int_equal(harena_next_cap(&a, 10), HARENA_CHUNK_MAX);
    /* Now a second every 20 minutes of data: a chunk spans hours. */
    harena_t b = {0};
    size_t charged_b = 0;
    put(&b, 8, 0, 1, &charged_b);
    while (harena_next_cap(&b, 8) < HARENA_CHUNK_MAX) /* grow it first */
        put(&b, HARENA_CHUNK_MAX, sec++, 1, &charged_b);
    for (int i = 0; i < 2000; i++)
        put(&b, 8, sec += 1200, 1, &charged_b);
    assert_int_equal(harena_next_cap(&b, 8), HARENA_CHUNK_MIN);
    /* A histogram larger than any chunk gets one of its own. */
    assert_int_equal(harena_next_cap(&a, HARENA_CHUNK_MAX + 1), HARENA_CHUNK_MAX + 1);
    harena_free(&a);
    harena_free(&b);
}

/* A chunk goes once its newest second has; an empty newest chunk stays. */
static void test_expiry_frees_whole_chunks(void **state)
{
    (void)state;
    harena_t a = {0};
    size_t charged = 0;
    for (uint32_t sec = 100; sec < 400; sec++)
        put(&a, 50, sec, 1, &charged);
    size_t freed = 0;
    for (uint32_t first = 100; first <= 400; first++) {
        freed += harena_expire(&a, first);
        assert_int_equal(harena_bytes(&a) + freed, charged);
    }
    /* Everything before 400 is gone, so every chunk holding data. */
    assert_int_equal(freed, charged);
    assert_null(a.tail);
    /* A late second sealed again at the tail keeps that chunk while it is
     * the newest second there, and no longer. */
    put(&a, 50, 500, 1, &charged);
    put(&a, 50, 450, 1, &charged); /* resealed: an older second, later */
    assert_int_equal(harena_expire(&a, 460), 0);
    assert_true(harena_expire(&a, 501) > 0);
    assert_null(a.tail);
    harena_grow(&a, HARENA_CHUNK_MIN);
    assert_int_equal(harena_expire(&a, UINT32_MAX), 0); /* empty: kept for the next seal */
    assert_int_equal(harena_free(&a), harena_chunk_bytes(HARENA_CHUNK_MIN));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_stability),
        cmocka_unit_test(test_sizes_follow_the_rate),
        cmocka_unit_test(test_expiry_frees_whole_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
