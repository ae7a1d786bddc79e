/* test_pb.c - the protobuf wire reader: varints, every wire type, lengths,
 * unknown fields, packed and unpacked repeated scalars, groups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../support/test_rng.h"
#include "core/error.h"
#include "ingest/pb.h"

/* A reader over a byte-string literal (without its NUL). */
#define READER(r, lit) pb_reader_init(&(r), (const uint8_t *)(lit), sizeof(lit) - 1)

/* Reads one varint from the literal; returns rc, *v and how many bytes went. */
static int varint(const char *bytes, size_t n, uint64_t *v, size_t *used, pb_err_t *err)
{
    pb_reader_t r;
    pb_reader_init(&r, (const uint8_t *)bytes, n);
    *v = 0xdeadbeef;
    int rc = pb_read_varint(&r, v);
    *used = (size_t)(r.p - r.base);
    *err = r.err;
    return rc;
}

#define VARINT_OK(lit, want)                                                                       \
    do {                                                                                           \
        uint64_t v_;                                                                               \
        size_t used_;                                                                              \
        pb_err_t e_;                                                                               \
        assert_int_equal(varint(lit, sizeof(lit) - 1, &v_, &used_, &e_), 0);                       \
        assert_true(v_ == (uint64_t)(want));                                                       \
        assert_int_equal(used_, sizeof(lit) - 1);                                                  \
    } while (0)

#define VARINT_BAD(lit, want_err)                                                                  \
    do {                                                                                           \
        uint64_t v_;                                                                               \
        size_t used_;                                                                              \
        pb_err_t e_;                                                                               \
        assert_int_equal(varint(lit, sizeof(lit) - 1, &v_, &used_, &e_), SPIDER_EINVAL);           \
        assert_int_equal(e_, want_err);                                                            \
        assert_int_equal(used_, 0); /* nothing consumed */                                         \
        assert_true(v_ == 0xdeadbeef);                                                             \
    } while (0)

static void test_varint_values(void **state)
{
    (void)state;
    VARINT_OK("\x00", 0);
    VARINT_OK("\x01", 1);
    VARINT_OK("\x7f", 127);
    VARINT_OK("\x80\x01", 128);
    VARINT_OK("\x96\x01", 150); /* the specification's example */
    VARINT_OK("\xff\x7f", 16383);
    VARINT_OK("\x80\x80\x01", 16384);
    VARINT_OK("\xff\xff\xff\xff\x0f", 0xffffffffu);
    VARINT_OK("\x80\x80\x80\x80\x10", 0x100000000u);
    /* 2^63 and 2^64 - 1: ten bytes, the last carrying bit 63 only */
    VARINT_OK("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", UINT64_C(1) << 63);
    VARINT_OK("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", UINT64_MAX);
    /* -1 as an int64 is 2^64 - 1 on the wire */
    VARINT_OK("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", (uint64_t)(int64_t)-1);
    /* non-minimal but at most 10 bytes: read, as the specification says */
    VARINT_OK("\x80\x00", 0);
    VARINT_OK("\x81\x80\x80\x80\x80\x80\x80\x80\x80\x00", 1);
}

static void test_varint_refused(void **state)
{
    (void)state;
    VARINT_BAD("", PB_ERR_TRUNCATED_VARINT);
    VARINT_BAD("\x80", PB_ERR_TRUNCATED_VARINT);
    VARINT_BAD("\xff\xff", PB_ERR_TRUNCATED_VARINT);
    VARINT_BAD("\xff\xff\xff\xff\xff\xff\xff\xff\xff", PB_ERR_TRUNCATED_VARINT); /* 9 of 10 */
    /* 11 bytes (overlong): the 10th byte has its continuation bit */
    VARINT_BAD("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", PB_ERR_VARINT_LONG);
    VARINT_BAD("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x00", PB_ERR_VARINT_LONG);
    /* 10 bytes but above 2^64 - 1 */
    VARINT_BAD("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", PB_ERR_VARINT_OVERFLOW);
    VARINT_BAD("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f", PB_ERR_VARINT_OVERFLOW);
}

static void test_varint_reads_only_its_bytes(void **state)
{
    (void)state;
    /* the reader ends before the continuation resolves: truncated, even if
     * the byte after the end would finish it */
    static const uint8_t buf[] = {0x80, 0x01};
    pb_reader_t r;
    uint64_t v;
    pb_reader_init(&r, buf, 1);
    assert_int_equal(pb_read_varint(&r, &v), SPIDER_EINVAL);
    assert_int_equal(r.err, PB_ERR_TRUNCATED_VARINT);
    assert_int_equal(pb_error_offset(&r), 0);
    /* two varints back to back */
    static const uint8_t two[] = {0xac, 0x02, 0x05};
    pb_reader_init(&r, two, sizeof two);
    assert_int_equal(pb_read_varint(&r, &v), 0);
    assert_true(v == 300);
    assert_int_equal(pb_read_varint(&r, &v), 0);
    assert_true(v == 5);
    assert_false(pb_more(&r));
}

static void test_fixed(void **state)
{
    (void)state;
    pb_reader_t r;
    uint64_t v;
    uint32_t v32;
    READER(r, "\x01\x02\x03\x04\x05\x06\x07\x08\xff\xfe\xfd\xfc");
    assert_int_equal(pb_read_fixed64(&r, &v), 0);
    assert_true(v == UINT64_C(0x0807060504030201));
    assert_int_equal(pb_read_fixed32(&r, &v32), 0);
    assert_true(v32 == 0xfcfdfeffu);
    assert_false(pb_more(&r));
    READER(r, "\x01\x02\x03\x04\x05\x06\x07");
    assert_int_equal(pb_read_fixed64(&r, &v), SPIDER_EINVAL);
    assert_int_equal(r.err, PB_ERR_TRUNCATED_FIXED64);
    assert_int_equal(pb_read_fixed32(&r, &v32), 0); /* r->p did not move */
    READER(r, "\x01\x02\x03");
    assert_int_equal(pb_read_fixed32(&r, &v32), SPIDER_EINVAL);
    assert_int_equal(r.err, PB_ERR_TRUNCATED_FIXED32);
    /* a double */
    READER(r, "\x00\x00\x00\x00\x00\x00\xf8\x3f"); /* 1.5 */
    assert_int_equal(pb_read_fixed64(&r, &v), 0);
    assert_true(pb_double(v) == 1.5);
    READER(r, "\x00\x00\xc0\x3f"); /* 1.5f */
    assert_int_equal(pb_read_fixed32(&r, &v32), 0);
    assert_true(pb_float(v32) == 1.5f);
}

/* Reads the next field and checks number and wire type. */
static void next_is(pb_reader_t *r, pb_field_t *f, uint32_t number, pb_wire_t wire)
{
    assert_int_equal(pb_next(r, f), 1);
    assert_int_equal(f->number, number);
    assert_int_equal(f->wire, wire);
}

static void test_every_wire_type(void **state)
{
    (void)state;
    /* 1: varint 150; 2: fixed64; 3: "abc"; 4: fixed32; 5: empty LEN */
    static const char msg[] = "\x08\x96\x01"
                              "\x11\x01\x00\x00\x00\x00\x00\x00\x80"
                              "\x1a\x03"
                              "abc"
                              "\x25\x2a\x00\x00\x00"
                              "\x2a\x00";
    pb_reader_t r;
    pb_field_t f;
    READER(r, msg);
    next_is(&r, &f, 1, PB_VARINT);
    assert_true(f.u64 == 150);
    assert_true(f.at == r.base);
    next_is(&r, &f, 2, PB_I64);
    assert_true(f.u64 == (UINT64_C(1) << 63 | 1));
    next_is(&r, &f, 3, PB_LEN);
    assert_int_equal(f.len, 3);
    assert_memory_equal(f.data, "abc", 3);
    assert_int_equal(f.at - r.base, 12);
    next_is(&r, &f, 4, PB_I32);
    assert_true(f.u64 == 42);
    next_is(&r, &f, 5, PB_LEN);
    assert_int_equal(f.len, 0);
    assert_int_equal(pb_next(&r, &f), 0);
    assert_int_equal(pb_next(&r, &f), 0); /* and stays at the end */
    assert_int_equal(r.err, PB_OK);
}

/* The first field of lit is refused with want, found at byte offset. */
static void field_refused(const char *lit, size_t n, pb_err_t want, size_t offset)
{
    pb_reader_t r;
    pb_field_t f;
    pb_reader_init(&r, (const uint8_t *)lit, n);
    assert_int_equal(pb_next(&r, &f), SPIDER_EINVAL);
    assert_int_equal(r.err, want);
    assert_int_equal(pb_error_offset(&r), offset);
    assert_true(r.p == r.base); /* nothing consumed */
}

#define TAG_REFUSED(lit, want)   field_refused(lit, sizeof(lit) - 1, want, 0)
#define VALUE_REFUSED(lit, want) field_refused(lit, sizeof(lit) - 1, want, 1)

static void test_tags(void **state)
{
    (void)state;
    TAG_REFUSED("\x00\x00", PB_ERR_FIELD_ZERO);
    TAG_REFUSED("\x02\x00", PB_ERR_FIELD_ZERO); /* field 0, LEN */
    TAG_REFUSED("\x0b", PB_ERR_GROUP);          /* 1, start group */
    TAG_REFUSED("\x0c", PB_ERR_GROUP);          /* 1, end group */
    TAG_REFUSED("\x0b\x08\x01\x0c", PB_ERR_GROUP);
    TAG_REFUSED("\x0e\x00", PB_ERR_WIRE_TYPE);
    TAG_REFUSED("\x0f\x00", PB_ERR_WIRE_TYPE);
    TAG_REFUSED("\x80", PB_ERR_TRUNCATED_VARINT);
    /* field numbers: 2^29 - 1 is the largest; 2^29 is refused */
    pb_reader_t r;
    pb_field_t f;
    READER(r, "\xf8\xff\xff\xff\x0f\x01"); /* (2^29-1) << 3 | 0, value 1 */
    next_is(&r, &f, PB_FIELD_MAX, PB_VARINT);
    assert_true(f.u64 == 1);
    TAG_REFUSED("\x80\x80\x80\x80\x10\x01", PB_ERR_FIELD_RANGE);         /* 2^29 << 3 */
    TAG_REFUSED("\x80\x80\x80\x80\x80\x80\x01\x01", PB_ERR_FIELD_RANGE); /* field 2^39 */
    TAG_REFUSED("\x88\x80\x80\x80\x80\x80\x80\x80\x80\x01", PB_ERR_FIELD_RANGE);
    /* a non-minimal tag within 10 bytes is read */
    READER(r, "\x88\x80\x00\x07");
    next_is(&r, &f, 1, PB_VARINT);
    assert_true(f.u64 == 7);
    /* pb_read_tag on its own */
    uint32_t number;
    pb_wire_t wire;
    READER(r, "\xa2\x06");
    assert_int_equal(pb_read_tag(&r, &number, &wire), 0);
    assert_int_equal(number, 100);
    assert_int_equal(wire, PB_LEN);
}

static void test_value_truncated(void **state)
{
    (void)state;
    VALUE_REFUSED("\x08", PB_ERR_TRUNCATED_VARINT);     /* varint missing */
    VALUE_REFUSED("\x08\xff", PB_ERR_TRUNCATED_VARINT); /* varint cut */
    VALUE_REFUSED("\x09\x01\x02\x03", PB_ERR_TRUNCATED_FIXED64);
    VALUE_REFUSED("\x0d\x01\x02\x03", PB_ERR_TRUNCATED_FIXED32);
    VALUE_REFUSED("\x0a", PB_ERR_TRUNCATED_VARINT); /* length missing */
    VALUE_REFUSED("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", PB_ERR_VARINT_OVERFLOW);
    VALUE_REFUSED("\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", PB_ERR_VARINT_LONG);
}

static void test_length_beyond_end(void **state)
{
    (void)state;
    pb_reader_t r;
    pb_field_t f;
    /* the length says 4, 3 bytes remain */
    READER(r, "\x08\x01\x12\x04"
              "abc");
    next_is(&r, &f, 1, PB_VARINT);
    assert_int_equal(pb_next(&r, &f), SPIDER_EINVAL);
    assert_int_equal(r.err, PB_ERR_LENGTH);
    assert_int_equal(pb_error_offset(&r), 3); /* the length varint */
    assert_int_equal(r.p - r.base, 2);        /* the field was not taken */
    /* a length of 2^64 - 1 must not wrap */
    READER(r, "\x12\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
              "abc");
    assert_int_equal(pb_next(&r, &f), SPIDER_EINVAL);
    assert_int_equal(r.err, PB_ERR_LENGTH);
    /* exactly what remains is fine */
    READER(r, "\x12\x03"
              "abc");
    next_is(&r, &f, 2, PB_LEN);
    assert_int_equal(f.len, 3);
    assert_false(pb_more(&r));
}

static void test_length_bounded_by_enclosing_message(void **state)
{
    (void)state;
    /* field 1 holds a 3-byte message whose field 2 claims 5 bytes: the
     * 5 bytes exist in the buffer, but not inside field 1 */
    static const char msg[] = "\x0a\x03\x12\x05x"
                              "\x18\x07\x18\x08\x18\x09";
    pb_reader_t r, sub;
    pb_field_t f;
    READER(r, msg);
    next_is(&r, &f, 1, PB_LEN);
    pb_sub(&r, &f, &sub);
    assert_int_equal(pb_next(&sub, &f), SPIDER_EINVAL);
    assert_int_equal(sub.err, PB_ERR_LENGTH);
    assert_int_equal(pb_error_offset(&sub), 3); /* offsets count from the outer buffer */
    /* and the outer reader goes on after field 1 */
    next_is(&r, &f, 3, PB_VARINT);
    assert_true(f.u64 == 7);
}

static void test_unknown_fields_skipped(void **state)
{
    (void)state;
    /* known field 5 between unknown fields of every wire type */
    static const char msg[] = "\x08\x01"                                 /* 1 varint */
                              "\x91\x03\x01\x02\x03\x04\x05\x06\x07\x08" /* 50 fixed64 */
                              "\xfa\x3e\x02zz"                           /* 1007 LEN */
                              "\x2a\x02hi"                               /* 5 "hi" */
                              "\xfd\xff\xff\xff\x0f\x01\x02\x03\x04";    /* max field, fixed32 */
    pb_reader_t r;
    pb_field_t f;
    READER(r, msg);
    int found = 0, fields = 0, rc;
    while ((rc = pb_next(&r, &f)) > 0) {
        fields++;
        if (f.number == 5) {
            assert_int_equal(pb_expect(&r, &f, PB_LEN), 0);
            assert_int_equal(f.len, 2);
            assert_memory_equal(f.data, "hi", 2);
            found++;
        }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(fields, 5);
    assert_int_equal(found, 1);
    /* pb_skip after pb_read_tag does the same */
    READER(r, msg);
    uint32_t number;
    pb_wire_t wire;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pb_read_tag(&r, &number, &wire), 0);
        assert_int_equal(pb_skip(&r, wire), 0);
    }
    assert_int_equal(pb_read_tag(&r, &number, &wire), 0);
    assert_int_equal(number, 5);
    assert_int_equal(pb_skip(&r, PB_SGROUP), SPIDER_EINVAL);
    assert_int_equal(r.err, PB_ERR_GROUP);
}

static void test_expect_wrong_type(void **state)
{
    (void)state;
    pb_reader_t r;
    pb_field_t f;
    READER(r, "\x08\x01\x29\x01\x02\x03\x04\x05\x06\x07\x08");
    next_is(&r, &f, 1, PB_VARINT);
    assert_int_equal(pb_expect(&r, &f, PB_VARINT), 0);
    next_is(&r, &f, 5, PB_I64);
    assert_int_equal(pb_expect(&r, &f, PB_LEN), SPIDER_EINVAL);
    assert_int_equal(r.err, PB_ERR_WRONG_TYPE);
    assert_int_equal(pb_error_offset(&r), 2);
    assert_string_equal(pb_strerror(r.err), "wrong wire type for a known field");
}

/* All values of the occurrences of field 4 in msg, as elem, into v. */
static int scalars(const char *msg, size_t n, pb_wire_t elem, uint64_t *v, size_t cap,
                   size_t *count, pb_err_t *err)
{
    pb_reader_t r;
    pb_field_t f;
    pb_reader_init(&r, (const uint8_t *)msg, n);
    *count = 0;
    int rc;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.number != 4)
            continue;
        pb_scalars_t it;
        if (pb_scalars_init(&it, &r, &f, elem) != 0) {
            *err = r.err;
            return SPIDER_EINVAL;
        }
        uint64_t x;
        while ((rc = pb_scalars_next(&it, &x)) > 0)
            if (*count < cap)
                v[(*count)++] = x;
        if (rc < 0) {
            *err = it.r.err;
            return rc;
        }
    }
    *err = r.err;
    return rc;
}

static void test_packed_and_unpacked(void **state)
{
    (void)state;
    uint64_t v[8];
    size_t count;
    pb_err_t err;
    /* repeated int32 [3, 270, 86942] packed (the specification's example),
     * then one more unpacked value 7: both forms in one message */
    static const char varints[] = "\x22\x06\x03\x8e\x02\x9e\xa7\x05"
                                  "\x20\x07";
    assert_int_equal(scalars(varints, sizeof varints - 1, PB_VARINT, v, 8, &count, &err), 0);
    assert_int_equal(count, 4);
    assert_true(v[0] == 3 && v[1] == 270 && v[2] == 86942 && v[3] == 7);
    /* packed fixed64 bucket counts and doubles, unpacked ones after */
    static const char fixed[] = "\x22\x10"
                                "\x01\x00\x00\x00\x00\x00\x00\x00"
                                "\x00\x00\x00\x00\x00\x00\xf8\x3f"
                                "\x21\x02\x00\x00\x00\x00\x00\x00\x00";
    assert_int_equal(scalars(fixed, sizeof fixed - 1, PB_I64, v, 8, &count, &err), 0);
    assert_int_equal(count, 3);
    assert_true(v[0] == 1 && pb_double(v[1]) == 1.5 && v[2] == 2);
    static const char fixed32[] = "\x22\x08\x01\x00\x00\x00\x00\x00\xc0\x3f"
                                  "\x25\x05\x00\x00\x00";
    assert_int_equal(scalars(fixed32, sizeof fixed32 - 1, PB_I32, v, 8, &count, &err), 0);
    assert_int_equal(count, 3);
    assert_true(v[0] == 1 && pb_float((uint32_t)v[1]) == 1.5f && v[2] == 5);
    /* empty packed field: no values */
    assert_int_equal(scalars("\x22\x00", 2, PB_I64, v, 8, &count, &err), 0);
    assert_int_equal(count, 0);
    /* packed fixed64 of 12 bytes: not a multiple of 8 */
    static const char odd[] = "\x22\x0c"
                              "\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00";
    assert_int_equal(scalars(odd, sizeof odd - 1, PB_I64, v, 8, &count, &err), SPIDER_EINVAL);
    assert_int_equal(err, PB_ERR_PACKED_LENGTH);
    assert_int_equal(scalars("\x22\x03\x01\x02\x03", 5, PB_I32, v, 8, &count, &err), SPIDER_EINVAL);
    assert_int_equal(err, PB_ERR_PACKED_LENGTH);
    /* a packed varint cut short inside its payload */
    assert_int_equal(scalars("\x22\x02\x01\x80", 4, PB_VARINT, v, 8, &count, &err), SPIDER_EINVAL);
    assert_int_equal(err, PB_ERR_TRUNCATED_VARINT);
    assert_int_equal(count, 1);
    /* an unpacked value of the wrong wire type */
    assert_int_equal(scalars("\x25\x01\x00\x00\x00", 5, PB_I64, v, 8, &count, &err), SPIDER_EINVAL);
    assert_int_equal(err, PB_ERR_WRONG_TYPE);
}

static void test_last_one_wins(void **state)
{
    (void)state;
    /* a singular field sent twice: a reader of it keeps the last value */
    pb_reader_t r;
    pb_field_t f;
    READER(r, "\x08\x01\x12\x01"
              "a\x08\x02\x12\x01"
              "b");
    uint64_t num = 0;
    const uint8_t *str = NULL;
    int rc;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.number == 1)
            num = f.u64;
        else if (f.number == 2)
            str = f.data;
    }
    assert_int_equal(rc, 0);
    assert_true(num == 2);
    assert_int_equal(*str, 'b');
}

static void test_empty_and_null(void **state)
{
    (void)state;
    pb_reader_t r;
    pb_field_t f;
    pb_reader_init(&r, NULL, 0);
    assert_false(pb_more(&r));
    assert_int_equal(pb_next(&r, &f), 0);
    assert_int_equal(pb_error_offset(&r), 0);
    for (int e = 0; e < PB_ERR_COUNT; e++)
        assert_true(pb_strerror((pb_err_t)e)[0] != '\0');
    assert_string_equal(pb_strerror(PB_ERR_COUNT), "unknown error");
}

/* pb_next() on r and pb_next_slow() on a copy give the same answer. */
static int both_paths(pb_reader_t *r)
{
    pb_reader_t slow = *r;
    pb_field_t f, g;
    memset(&f, 0xaa, sizeof f);
    memset(&g, 0x55, sizeof g);
    int rc = pb_next(r, &f), rc2 = pb_next_slow(&slow, &g);
    assert_int_equal(rc, rc2);
    assert_true(r->p == slow.p);
    if (rc == 1) {
        assert_int_equal(f.number, g.number);
        assert_int_equal(f.wire, g.wire);
        assert_true(f.at == g.at && f.u64 == g.u64 && f.data == g.data && f.len == g.len);
    } else if (rc < 0) {
        assert_int_equal(r->err, slow.err);
        assert_true(r->err_at == slow.err_at);
    }
    return rc;
}

/* The inline common case of pb_next() (one-byte tag, short varint or
 * length, fixed values, 11+ bytes left) agrees with the full reader, right
 * at the edges of what it takes. */
static void test_inline_path_agrees(void **state)
{
    (void)state;
    static uint8_t buf[400];
    static const struct {
        const char *head;
        size_t n;  /* bytes of head */
        size_t at; /* total message length: head, then 0x08 0x01 pairs */
    } cases[] = {
        {"\x08\x05", 2, 13},     /* varint, 1 byte */
        {"\x08\x96\x01", 3, 13}, /* varint, 2 bytes: the slow path */
        {"\x78\x7f", 2, 11},     /* field 15, exactly 11 bytes left */
        {"\x78\x7f", 2, 10},     /* 10 bytes left: the slow path */
        {"\x09\x01\x02\x03\x04\x05\x06\x07\x08", 9, 11},
        {"\x0d\x01\x02\x03\x04", 5, 11},
        {"\x12\x03"
         "abc",
         5, 13},
        {"\x12\x09", 2, 11},      /* LEN 9 with exactly 9 after the length */
        {"\x12\x0a", 2, 11},      /* LEN 10 with 9: refused */
        {"\x12\x80\x01", 3, 131}, /* LEN 128, a two-byte length */
        {"\x12\x80\x01", 3, 130}, /* one byte short: refused */
        {"\x12\x81\x02", 3, 400}, /* LEN 257: bit 7 of byte 1 is no value bit */
        {"\x12\x81\x02", 3, 259},
        {"\x09\x01\x02\x03", 4, 4},  /* a fixed64 cut at the end */
        {"\x0d\x01\x02", 3, 3},      /* a fixed32 cut at the end */
        {"\x12\x81", 2, 2},          /* a length cut at the end */
        {"\x12\xff\x7f", 3, 40},     /* LEN 16383: refused */
        {"\x12\x80\x80\x01", 4, 40}, /* three-byte length: the slow path */
        {"\x0b", 1, 13},             /* group */
        {"\x0c", 1, 13},
        {"\x0e", 1, 13},     /* wire type 6 */
        {"\x07", 1, 13},     /* field 0 */
        {"\x80\x01", 2, 13}, /* two-byte tag: field 16, the slow path */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(buf, 0, sizeof buf);
        memcpy(buf, cases[i].head, cases[i].n);
        for (size_t k = cases[i].n; k + 1 < cases[i].at; k += 2) {
            buf[k] = 0x08;
            buf[k + 1] = 0x01;
        }
        /* an exact-size copy: ASan sees any read past the message */
        uint8_t *copy = malloc(cases[i].at);
        memcpy(copy, buf, cases[i].at);
        pb_reader_t r;
        pb_reader_init(&r, copy, cases[i].at);
        while (both_paths(&r) == 1)
            ;
        free(copy);
    }
    /* and on seeded random messages: mostly valid fields of random numbers,
     * wire types and sizes, with now and then a wrong byte */
    test_rng_t rng = {TEST_RNG_XORSHIFT64, 0x9e3779b97f4a7c15u};
    size_t fields = 0;
    for (int round = 0; round < 2000; round++) {
        size_t n = 0;
        while (n < sizeof buf - 40) {
            uint64_t x = test_rng_next(&rng);
            static const unsigned wires[] = {0, 1, 2, 5};
            unsigned field = (unsigned)(x % 20 + 1), wire = wires[x >> 8 & 3];
            uint64_t tag = (uint64_t)field << 3 | wire, v = x >> 16;
            do {
                buf[n++] = (uint8_t)((tag & 0x7f) | (tag > 0x7f ? 0x80 : 0));
                tag >>= 7;
            } while (tag);
            if (wire == 0 || wire == 2) {
                v = wire == 2 ? v % 40 : x % 3 ? v % 300 : v;
                size_t len = (size_t)v;
                do {
                    buf[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
                    v >>= 7;
                } while (v);
                if (wire == 2)
                    for (size_t k = 0; k < len; k++)
                        buf[n++] = (uint8_t)(x >> (k % 8) * 8);
            } else {
                for (unsigned k = 0; k < (wire == 1 ? 8u : 4u); k++)
                    buf[n++] = (uint8_t)(x >> k * 8);
            }
            if (x % 97 == 0 && n >= 3)
                buf[n - 1 - (x >> 32) % 3] = (uint8_t)(x >> 40); /* a wrong byte */
        }
        n -= test_rng_next(&rng) % 12; /* cut anywhere near the end */
        pb_reader_t r;
        pb_reader_init(&r, buf, n);
        while (both_paths(&r) == 1)
            fields++;
    }
    assert_true(fields > 20000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_values),
        cmocka_unit_test(test_varint_refused),
        cmocka_unit_test(test_varint_reads_only_its_bytes),
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_every_wire_type),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_value_truncated),
        cmocka_unit_test(test_length_beyond_end),
        cmocka_unit_test(test_length_bounded_by_enclosing_message),
        cmocka_unit_test(test_unknown_fields_skipped),
        cmocka_unit_test(test_expect_wrong_type),
        cmocka_unit_test(test_packed_and_unpacked),
        cmocka_unit_test(test_last_one_wins),
        cmocka_unit_test(test_empty_and_null),
        cmocka_unit_test(test_inline_path_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
