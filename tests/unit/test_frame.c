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

/* Each length form at its edges (RFC 6455 5.2): 7-bit up to 125, 16-bit
 * up to 65535, then 64-bit, big-endian, never masked. */
static void test_ws_header_sizes(void **state)
{
    (void)state;
    unsigned char h[FRAME_WS_HEADER_MAX];
    assert_int_equal(frame_ws_header(0, h), 2);
    assert_int_equal(h[0], 0x81);
    assert_int_equal(h[1], 0);
    assert_int_equal(frame_ws_header(125, h), 2);
    assert_int_equal(h[1], 125);
    assert_int_equal(frame_ws_header(126, h), 4);
    assert_memory_equal(h, ((unsigned char[]){0x81, 126, 0, 126}), 4);
    assert_int_equal(frame_ws_header(65535, h), 4);
    assert_memory_equal(h, ((unsigned char[]){0x81, 126, 0xff, 0xff}), 4);
    assert_int_equal(frame_ws_header(65536, h), 10);
    assert_memory_equal(h, ((unsigned char[]){0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}), 10);
    assert_int_equal(frame_ws_header(0x0102030405ull, h), 10);
    assert_memory_equal(h, ((unsigned char[]){0x81, 127, 0, 0, 0, 1, 2, 3, 4, 5}), 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_references),
        cmocka_unit_test(test_headroom_is_writable),
        cmocka_unit_test(test_ws_header_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
