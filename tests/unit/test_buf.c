/* test_buf.c - the JSON writers: always valid JSON, numbers that round-trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/buf.h"

static char *json_string(const char *p, size_t n)
{
    buf_t b;
    buf_init(&b);
    buf_json_string(&b, p, n);
    char *s = strdup(buf_cstr(&b));
    buf_dispose(&b);
    return s;
}

static void test_string_escapes(void **state)
{
    (void)state;
    char *s = json_string("a\"b\\c\n\x01<img>", 12);
    assert_string_equal(s, "\"a\\\"b\\\\c\\u000a\\u0001<img>\"");
    free(s);
    /* Invalid UTF-8 becomes U+FFFD; valid multi-byte passes through. */
    s = json_string("\xff\xc3\xa9\xed\xa0\x80", 6);
    assert_string_equal(s, "\"\xEF\xBF\xBD\xc3\xa9\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    free(s);
}

static void test_string_always_parses(void **state)
{
    (void)state;
    /* Every byte value, in every position: cJSON must accept the output. */
    char in[256];
    for (int i = 0; i < 256; i++)
        in[i] = (char)i;
    char *s = json_string(in, sizeof in);
    cJSON *j = cJSON_Parse(s);
    assert_non_null(j);
    assert_true(cJSON_IsString(j));
    cJSON_Delete(j);
    free(s);
}

static void test_numbers_round_trip(void **state)
{
    (void)state;
    const double values[] = {0,
                             1,
                             -3,
                             8.1,
                             12.5,
                             0.1,
                             1e-9,
                             123456.789,
                             1.7976931348623157e308,
                             4.9e-324,
                             1764160000123.0,
                             2.0 / 3.0};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        buf_t b;
        buf_init(&b);
        buf_json_double(&b, values[i]);
        assert_true(strtod(buf_cstr(&b), NULL) == values[i]);
        buf_dispose(&b);
    }
    buf_t b;
    buf_init(&b);
    buf_json_double(&b, 8.1);
    assert_string_equal(buf_cstr(&b), "8.1");
    buf_reset(&b);
    buf_json_float(&b, 8.1f);
    assert_string_equal(buf_cstr(&b), "8.1");
    buf_reset(&b);
    buf_json_double(&b, 1.0 / 0.0);
    assert_string_equal(buf_cstr(&b), "null");
    buf_dispose(&b);
}

static void test_printf_grows(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b);
    for (int i = 0; i < 10000; i++)
        buf_printf(&b, "%d,", i);
    assert_int_equal(b.len, 48890);
    assert_memory_equal(b.p + b.len - 5, "9999,", 5);
    buf_dispose(&b);
}

/* Appending an empty buffer's bytes (p NULL, len 0) is a no-op; in the
 * sanitizer build UBSan would stop on memcpy from NULL otherwise. */
static void test_append_empty(void **state)
{
    (void)state;
    buf_t a, empty;
    buf_init(&a);
    buf_init(&empty);
    buf_append(&a, empty.p, empty.len);
    assert_int_equal(a.len, 0);
    buf_append_cstr(&a, "x");
    buf_append(&a, empty.p, empty.len);
    assert_int_equal(a.len, 1);
    buf_dispose(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_escapes),     cmocka_unit_test(test_string_always_parses),
        cmocka_unit_test(test_numbers_round_trip), cmocka_unit_test(test_printf_grows),
        cmocka_unit_test(test_append_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
