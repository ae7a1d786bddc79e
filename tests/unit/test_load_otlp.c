/* test_load_otlp.c - spider-load's protobuf writer (tools/load/pbwrite.c) and
 * its OTLP trace requests and answers (tools/load/otlp.c).
 *
 * The writer is checked against bytes computed by hand from the protobuf
 * encoding rules (varints least significant group first, key = field << 3 |
 * wire type, fixed64 little-endian, embedded messages prefixed by their
 * length, including lengths that need two varint bytes). A one-span
 * request is checked byte for byte against its hand-computed layout (ids
 * and times filled in from what the encoder must have put there). Field
 * numbers were taken from opentelemetry-proto. The answer parser gets
 * every accepted form and the hostile ones, each from an exact-size heap
 * copy so a sanitizer build catches a read past n.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "otlp.h"
#include "pbwrite.h"

static void assert_bytes(const buf_t *b, const uint8_t *want, size_t n)
{
    if (b->len != n)
        print_message("length %zu, want %zu\n", b->len, n);
    assert_int_equal(b->len, n);
    assert_memory_equal(b->p, want, n);
}

/* ---- pbwrite ------------------------------------------------------------ */

static void check_varint(uint64_t v, const uint8_t *want, size_t n)
{
    buf_t b;
    buf_init(&b);
    pbwrite_varint(&b, v);
    assert_bytes(&b, want, n);
    assert_int_equal(pbwrite_varint_len(v), n);
    buf_dispose(&b);
}

static void test_pbwrite_varints(void **state)
{
    (void)state;
    check_varint(0, (const uint8_t[]){0x00}, 1);
    check_varint(1, (const uint8_t[]){0x01}, 1);
    check_varint(127, (const uint8_t[]){0x7f}, 1);
    check_varint(128, (const uint8_t[]){0x80, 0x01}, 2);
    check_varint(150, (const uint8_t[]){0x96, 0x01}, 2);
    check_varint(300, (const uint8_t[]){0xac, 0x02}, 2);
    check_varint(16383, (const uint8_t[]){0xff, 0x7f}, 2);
    check_varint(16384, (const uint8_t[]){0x80, 0x80, 0x01}, 3);
    check_varint(UINT32_MAX, (const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0x0f}, 5);
    check_varint(UINT64_MAX,
                 (const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10);
}

static void test_pbwrite_fields(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b);
    pbwrite_uint(&b, 1, 150); /* the encoding guide's example: 08 96 01 */
    assert_bytes(&b, (const uint8_t[]){0x08, 0x96, 0x01}, 3);
    buf_reset(&b);
    pbwrite_string(&b, 2, "testing"); /* 12 07 74 65 73 74 69 6e 67 */
    assert_bytes(&b, (const uint8_t[]){0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'}, 9);
    buf_reset(&b);
    pbwrite_fixed64(&b, 7, 0x0102030405060708ull); /* key 7 << 3 | 1 = 0x39 */
    assert_bytes(&b, (const uint8_t[]){0x39, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01}, 9);
    buf_reset(&b);
    pbwrite_fixed64(&b, 8, 0); /* 0x41, eight zeros */
    assert_bytes(&b, (const uint8_t[]){0x41, 0, 0, 0, 0, 0, 0, 0, 0}, 9);
    buf_reset(&b);
    pbwrite_tag(&b, 16, PB_FIXED32); /* 16 << 3 | 5 = 133: two bytes */
    assert_bytes(&b, (const uint8_t[]){0x85, 0x01}, 2);
    buf_reset(&b);
    pbwrite_bytes(&b, 1, "", 0); /* an empty bytes field still has its key and length */
    assert_bytes(&b, (const uint8_t[]){0x0a, 0x00}, 2);
    buf_dispose(&b);
}

static void test_pbwrite_nested(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b);
    /* 1 { 2 { 3: 150 } } */
    size_t outer = pbwrite_begin(&b, 1);
    size_t inner = pbwrite_begin(&b, 2);
    pbwrite_uint(&b, 3, 150);
    pbwrite_end(&b, inner);
    pbwrite_end(&b, outer);
    assert_bytes(&b, (const uint8_t[]){0x0a, 0x05, 0x12, 0x03, 0x18, 0x96, 0x01}, 7);
    buf_reset(&b);
    /* An empty message: key and a zero length. */
    pbwrite_end(&b, pbwrite_begin(&b, 4));
    assert_bytes(&b, (const uint8_t[]){0x22, 0x00}, 2);
    buf_dispose(&b);
}

/* A message whose content is 203 bytes: its length takes two varint bytes,
 * so the content is moved one byte further than begin() left it. */
static void test_pbwrite_nested_two_byte_length(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b);
    pbwrite_uint(&b, 9, 1); /* something before the message stays put */
    size_t m = pbwrite_begin(&b, 2);
    char a[200];
    memset(a, 'a', sizeof a);
    pbwrite_bytes(&b, 1, a, sizeof a);
    pbwrite_end(&b, m);
    uint8_t want[2 + 3 + 3 + 200];
    size_t k = 0;
    want[k++] = 0x48; /* 9 << 3 | 0 */
    want[k++] = 0x01;
    want[k++] = 0x12;
    want[k++] = 0xcb; /* 203 = 0x4b | 0x80, then 1 */
    want[k++] = 0x01;
    want[k++] = 0x0a;
    want[k++] = 0xc8; /* 200 */
    want[k++] = 0x01;
    memset(want + k, 'a', 200);
    k += 200;
    assert_bytes(&b, want, k);
    buf_dispose(&b);
}

/* ---- otlp requests ---------------------------------------------------------- */

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* One span, one service: every byte but the ids is fixed by the schema. */
static void test_otlp_one_span_layout(void **state)
{
    (void)state;
    const uint64_t now = 1700000000123456789ull, seq = 7;
    otlp_shape_t s = {.prefix = "p", .spans = 1, .services = 1, .names = 1};
    buf_t b;
    buf_init(&b);
    otlp_build(&b, &s, 42, seq, now);
    static const uint8_t head[] = {
        0x0a, 0x64,                               /* resource_spans(1), 100 bytes */
        0x0a, 0x1a,                               /*  resource(1), 26 */
        0x0a, 0x18,                               /*   attributes(1) KeyValue, 24 */
        0x0a, 0x0c, 's', 'e', 'r', 'v', 'i', 'c', /*    key(1) */
        'e',  '.',  'n', 'a', 'm', 'e',           /*    */
        0x12, 0x08,                               /*    value(2) AnyValue, 8 */
        0x0a, 0x06, 'p', '.', 's', 'v', 'c', '0', /*     string_value(1) */
        0x12, 0x46,                               /*  scope_spans(2), 70 */
        0x0a, 0x0d,                               /*   scope(1), 13 */
        0x0a, 0x0b, 's', 'p', 'i', 'd', 'e', 'r', /*    name(1) */
        '-',  'l',  'o', 'a', 'd',                /*    */
        0x12, 0x35,                               /*   spans(2) Span, 53 */
        0x0a, 0x10,                               /*    trace_id(1), 16 bytes */
    };
    uint8_t want[102];
    assert_int_equal(sizeof head, 51);
    memcpy(want, head, sizeof head);
    size_t k = sizeof head;
    assert_true(b.len >= k + 16 + 10);
    memcpy(want + k, b.p + k, 16); /* the ids are the encoder's: not zero */
    uint8_t zero[16] = {0};
    assert_memory_not_equal(b.p + k, zero, 16);
    k += 16;
    want[k++] = 0x12; /* span_id(2), 8 bytes */
    want[k++] = 0x08;
    memcpy(want + k, b.p + k, 8);
    assert_memory_not_equal(b.p + k, zero, 8);
    k += 8;
    const uint8_t tail[] = {0x2a, 0x03, 'o', 'p', '0', /* name(5) */
                            0x30, 0x02,                /* kind(6) SPAN_KIND_SERVER */
                            0x39};                     /* start_time_unix_nano(7) fixed64 */
    memcpy(want + k, tail, sizeof tail);
    k += sizeof tail;
    put_le64(want + k, now - otlp_span_duration_ns(seq, 0));
    k += 8;
    want[k++] = 0x41; /* end_time_unix_nano(8) fixed64 */
    put_le64(want + k, now);
    k += 8;
    assert_int_equal(k, sizeof want);
    assert_bytes(&b, want, sizeof want);
    buf_dispose(&b);
}

/* Spans go to service k % services, named op<(k / services) % names>; the
 * request has one ResourceSpans per service in use; durations 1-500 ms. */
static void test_otlp_spread_and_durations(void **state)
{
    (void)state;
    otlp_shape_t s = {.prefix = "load", .spans = 10, .services = 4, .names = 2};
    buf_t b;
    buf_init(&b);
    otlp_build(&b, &s, 1, 0, 1000000000000ull);
    buf_cstr(&b);
    /* Service names in order, each once. */
    const char *at = b.p;
    for (int j = 0; j < 4; j++) {
        char name[16];
        snprintf(name, sizeof name, "load.svc%d", j);
        const char *hit = memmem(at, b.len - (size_t)(at - b.p), name, strlen(name));
        assert_non_null(hit);
        at = hit + 1;
    }
    assert_null(memmem(b.p, b.len, "load.svc4", 9));
    /* Service 0 has spans 0, 4, 8: names op0, op1, op0. Count span names. */
    int op0 = 0, op1 = 0;
    for (size_t i = 0; i + 5 <= b.len; i++) {
        if (memcmp(b.p + i, "\x2a\x03op0", 5) == 0)
            op0++;
        if (memcmp(b.p + i, "\x2a\x03op1", 5) == 0)
            op1++;
    }
    /* k = 0..9, name (k / 4) % 2: k 0-3 op0, 4-7 op1, 8-9 op0. */
    assert_int_equal(op0, 6);
    assert_int_equal(op1, 4);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (uint64_t seq = 0; seq < 200; seq++)
        for (int k = 0; k < 512; k++) {
            uint64_t d = otlp_span_duration_ns(seq, k);
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
    assert_true(lo >= 1000000u);
    assert_true(hi <= 500000000u);
    assert_true(hi - lo > 400000000u); /* they do spread */
    buf_dispose(&b);
}

/* Same inputs, same bytes; another seq or seed changes the ids. */
static void test_otlp_deterministic(void **state)
{
    (void)state;
    otlp_shape_t s = {.prefix = "x", .spans = 3, .services = 1, .names = 3};
    buf_t a, b, c;
    buf_init(&a);
    buf_init(&b);
    buf_init(&c);
    otlp_build(&a, &s, 5, 9, 2000000000000ull);
    otlp_build(&b, &s, 5, 9, 2000000000000ull);
    otlp_build(&c, &s, 6, 9, 2000000000000ull);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.p, b.p, a.len);
    assert_int_equal(a.len, c.len);
    assert_memory_not_equal(a.p, c.p, a.len);
    buf_dispose(&a);
    buf_dispose(&b);
    buf_dispose(&c);
}

/* ---- otlp answers ----------------------------------------------------------- */

static int parse_copy(const uint8_t *p, size_t n, int64_t *rejected)
{
    uint8_t *copy = calloc(n ? n : 1, 1);
    if (n)
        memcpy(copy, p, n);
    int rc = otlp_parse_response(copy, n, rejected);
    if (n)
        assert_memory_equal(copy, p, n);
    free(copy);
    return rc;
}

static void answer_ok(const uint8_t *p, size_t n, int64_t want)
{
    int64_t r = -12345;
    assert_int_equal(parse_copy(p, n, &r), 0);
    assert_int_equal(r, want);
}

static void answer_bad(const uint8_t *p, size_t n)
{
    int64_t r;
    assert_int_equal(parse_copy(p, n, &r), SPIDER_EINVAL);
}

static void test_otlp_answer_accepted(void **state)
{
    (void)state;
    answer_ok(NULL, 0, 0);                          /* empty: a full success */
    answer_ok((const uint8_t[]){0x0a, 0x00}, 2, 0); /* empty partial_success */
    answer_ok((const uint8_t[]){0x0a, 0x02, 0x08, 0x05}, 4, 5);
    answer_ok((const uint8_t[]){0x0a, 0x03, 0x08, 0xac, 0x02}, 5, 300);
    /* Unknown fields around and inside; error_message after the count. */
    answer_ok((const uint8_t[]){0x12, 0x01, 'x',  0x0a, 0x06, 0x08, 0x07, 0x12, 0x02,
                                'n',  'o',  0x19, 1,    2,    3,    4,    5,    6,
                                7,    8,    0x25, 1,    2,    3,    4},
              25, 7);
    /* Repeated: protobuf merges, the last value wins. */
    answer_ok((const uint8_t[]){0x0a, 0x02, 0x08, 0x01, 0x0a, 0x02, 0x08, 0x02}, 8, 2);
    /* A negative int64 is ten bytes. */
    answer_ok((const uint8_t[]){0x0a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                0xff, 0x01},
              13, -1);
}

static void test_otlp_answer_refused(void **state)
{
    (void)state;
    const uint8_t full[] = {0x0a, 0x02, 0x08, 0x05};
    for (size_t k = 1; k < sizeof full; k++) /* every proper prefix is cut short */
        answer_bad(full, k);
    answer_bad((const uint8_t[]){0x08, 0x01}, 2);       /* partial_success not a message */
    answer_bad((const uint8_t[]){0x0a, 0x01, 0x0a}, 3); /* rejected_spans not a varint */
    answer_bad((const uint8_t[]){0x0b}, 1);             /* start group */
    answer_bad((const uint8_t[]){0x0c}, 1);             /* end group */
    answer_bad((const uint8_t[]){0x0e, 0x00}, 2);       /* wire type 6 */
    answer_bad((const uint8_t[]){0x0f, 0x00}, 2);       /* wire type 7 */
    answer_bad((const uint8_t[]){0x02, 0x00}, 2);       /* field number 0 */
    answer_bad((const uint8_t[]){0x12, 0x05, 'a'}, 3);  /* length past the end */
    answer_bad((const uint8_t[]){0x19, 1, 2, 3}, 4);    /* fixed64 cut short */
    answer_bad((const uint8_t[]){0x25, 1, 2}, 3);       /* fixed32 cut short */
    answer_bad((const uint8_t[]){0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
               11); /* huge length */
    answer_bad(
        (const uint8_t[]){0x18, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
        12);                              /* a varint of 11 bytes */
    answer_bad((const uint8_t *)"{}", 2); /* a JSON answer: '{' is field 15, group */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pbwrite_varints),
        cmocka_unit_test(test_pbwrite_fields),
        cmocka_unit_test(test_pbwrite_nested),
        cmocka_unit_test(test_pbwrite_nested_two_byte_length),
        cmocka_unit_test(test_otlp_one_span_layout),
        cmocka_unit_test(test_otlp_spread_and_durations),
        cmocka_unit_test(test_otlp_deterministic),
        cmocka_unit_test(test_otlp_answer_accepted),
        cmocka_unit_test(test_otlp_answer_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
