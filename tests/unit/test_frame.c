/* test_frame.c - shared frames: one copy, counted references, headroom. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "push/frame.h"

static void test_references(void **state)
{
    (void)state;
    frame_t *f = frame_new("hello", 5, 16);
    assert_int_equal(frame_refs(f), 1);
    assert_ptr_equal(frame_ref(f), f);
    assert_ptr_equal(frame_ref(f), f);
    assert_int_equal(frame_refs(f), 3);
    frame_unref(f);
    frame_unref(f);
    assert_int_equal(frame_refs(f), 1);
    assert_int_equal(frame_len(f), 5);
    assert_memory_equal(frame_data(f), "hello", 5);
    frame_unref(f); /* the last one frees: ASan would report a leak otherwise */
    frame_unref(NULL);
}

static void test_headroom_is_writable(void **state)
{
    (void)state;
    frame_t *f = frame_new("payload", 7, 16);
    /* The transport writes its header just before the payload. */
    memset(frame_data(f) - 16, 0xAB, 16);
    assert_memory_equal(frame_data(f), "payload", 7);
    frame_unref(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_references),
        cmocka_unit_test(test_headroom_is_writable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
