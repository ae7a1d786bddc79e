/* pb.h - a minimal reader of the protobuf wire format, for the OTLP decoders.
 *
 * Written from the wire-format specification (protobuf.dev, "Encoding"), not
 * from any protobuf library. A message is a sequence of fields; a field is a
 * tag (a varint: field number << 3 | wire type) and a value:
 *
 *     wire type 0 VARINT  a varint, 1 to 10 bytes, little-endian base 128
 *     wire type 1 I64     8 bytes, little-endian (fixed64, sfixed64, double)
 *     wire type 2 LEN     a varint length, then that many bytes (string,
 *                         bytes, embedded message, packed repeated scalars)
 *     wire type 5 I32     4 bytes, little-endian (fixed32, sfixed32, float)
 *
 * What is refused, each with its own pb_err_t (so a caller can say why):
 * - a varint that runs past the end, or of more than 10 bytes, or whose
 *   10th byte sets bits above bit 63 (a value that does not fit 64 bits).
 *   Non-minimal varints of at most 10 bytes ("0x80 0x00" for 0) are read, as
 *   the specification and the reference parsers do;
 * - a tag with field number 0 or above 2^29 - 1 (PB_FIELD_MAX);
 * - wire types 3 and 4 (groups, deprecated, never used by OTLP) and the
 *   undefined 6 and 7: an unknown field of those types cannot be skipped
 *   without trusting group nesting, so the whole message is refused;
 * - a fixed64/fixed32 or a LEN payload longer than what remains of the
 *   message being read (every length is bounded by its enclosing message:
 *   a sub-reader never sees past the end of its field).
 *
 * The reader only walks one message level at a time; nesting is the
 * caller's: it opens a sub-reader over a LEN field with pb_sub(), so it
 * descends only where it knows a message is, to a depth fixed by its code
 * (never recursion on attacker-controlled depth). Unknown fields are read
 * and dropped by pb_next() like any other (a LEN field in O(1)). A known
 * field of the wrong wire type is an error, not a skip: the caller checks
 * with pb_expect() (PB_ERR_WRONG_TYPE).
 *
 * Repeated scalars come packed (one LEN field holding the values back to
 * back) or unpacked (one field per value); parsers must accept both, so
 * pb_scalars_init()/pb_scalars_next() iterate either form.
 *
 * Pure module: (pointer, length) in, pointers into the input out; it never
 * needs a NUL, never writes into its input and never allocates. Every call
 * is O(1) except the iterators, which are O(1) per value. Thread-safe (a
 * reader belongs to one thread).
 */
#ifndef SPIDER_INGEST_PB_H
#define SPIDER_INGEST_PB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The largest field number (2^29 - 1). */
#define PB_FIELD_MAX 536870911u

/* The longest varint, in bytes. */
#define PB_VARINT_MAX 10

typedef enum pb_wire {
    PB_VARINT = 0,
    PB_I64 = 1,
    PB_LEN = 2,
    PB_SGROUP = 3, /* refused */
    PB_EGROUP = 4, /* refused */
    PB_I32 = 5,
} pb_wire_t;

/* Why a read failed: X(arg, code, English text). The texts are lower-case
 * phrases a caller can prefix with where it was reading. */
#define PB_ERROR_LIST(X, arg)                                                                      \
    X(arg, PB_ERR_TRUNCATED_VARINT, "truncated varint")                                            \
    X(arg, PB_ERR_VARINT_LONG, "varint longer than 10 bytes")                                      \
    X(arg, PB_ERR_VARINT_OVERFLOW, "varint above 2^64-1")                                          \
    X(arg, PB_ERR_TRUNCATED_FIXED64, "truncated fixed64")                                          \
    X(arg, PB_ERR_TRUNCATED_FIXED32, "truncated fixed32")                                          \
    X(arg, PB_ERR_FIELD_ZERO, "field number 0")                                                    \
    X(arg, PB_ERR_FIELD_RANGE, "field number above 2^29-1")                                        \
    X(arg, PB_ERR_GROUP, "group (wire type 3 or 4), not supported")                                \
    X(arg, PB_ERR_WIRE_TYPE, "invalid wire type (6 or 7)")                                         \
    X(arg, PB_ERR_LENGTH, "length beyond the end of the enclosing message")                        \
    X(arg, PB_ERR_PACKED_LENGTH, "packed length not a multiple of the element size")               \
    X(arg, PB_ERR_WRONG_TYPE, "wrong wire type for a known field")

#define PB__ERR_ENUM(arg, code, text) code,
typedef enum pb_err { PB_OK = 0, PB_ERROR_LIST(PB__ERR_ENUM, ) PB_ERR_COUNT } pb_err_t;
#undef PB__ERR_ENUM

/* A cursor over one message: [p, end). Plain value; a sub-reader is another
 * pb_reader_t over part of the same buffer. */
typedef struct pb_reader {
    const uint8_t *p;      /* next byte to read */
    const uint8_t *end;    /* end of this message: nothing at or past it is read */
    const uint8_t *base;   /* first byte of the outermost buffer: offsets count from it */
    pb_err_t err;          /* why the last failing call failed; PB_OK before any */
    const uint8_t *err_at; /* where: the first byte of the tag or value at fault */
} pb_reader_t;

/* One field as pb_next() read it. */
typedef struct pb_field {
    uint32_t number;     /* 1 .. PB_FIELD_MAX */
    pb_wire_t wire;      /* PB_VARINT, PB_I64, PB_LEN or PB_I32 */
    const uint8_t *at;   /* first byte of its tag */
    uint64_t u64;        /* VARINT, I64, I32 (zero-extended): the value; LEN: 0 */
    const uint8_t *data; /* LEN: the payload, inside the reader's message; else NULL */
    size_t len;          /* LEN: its length */
} pb_field_t;

/* Starts a reader over (p, n); p may be NULL when n is 0. */
void pb_reader_init(pb_reader_t *r, const uint8_t *p, size_t n);

/* 1 while bytes remain in the message. */
static inline int pb_more(const pb_reader_t *r)
{
    return r->p < r->end;
}

/* Byte offset of the last error from the start of the outermost buffer. */
static inline size_t pb_error_offset(const pb_reader_t *r)
{
    return (size_t)(r->err_at - r->base);
}

/* The primitives. Each returns 0 and advances, or SPIDER_EINVAL with r->err
 * and r->err_at set and r->p unchanged. */
int pb_read_varint(pb_reader_t *r, uint64_t *v);
int pb_read_fixed64(pb_reader_t *r, uint64_t *v);
int pb_read_fixed32(pb_reader_t *r, uint32_t *v);
/* A tag: only field numbers 1..PB_FIELD_MAX and wire types 0, 1, 2, 5. */
int pb_read_tag(pb_reader_t *r, uint32_t *number, pb_wire_t *wire);
/* A LEN value: the length varint, then *data = the payload (not copied). */
int pb_read_len(pb_reader_t *r, const uint8_t **data, size_t *len);
/* Skips one value of the given wire type (after pb_read_tag). */
int pb_skip(pb_reader_t *r, pb_wire_t wire);

/* Reads the next field, tag and value, into *f. Returns 1, 0 at the end of
 * the message, or SPIDER_EINVAL (r->err says why; r->p does not move). A
 * caller that does not know f->number just ignores it: that is the skip of
 * an unknown field. O(1).
 *
 * It is inline because it runs once per field of every message: the common
 * case (a one-byte tag, so field 1..15, with a value whose varint or length
 * takes at most two bytes, or a fixed value, and at least 11 bytes left in
 * the message) is read here; everything else, every error included, by
 * pb_next_slow(), which does the whole job and is the reference. */
int pb_next_slow(pb_reader_t *r, pb_field_t *f);

static inline int pb_next(pb_reader_t *r, pb_field_t *f)
{
    const uint8_t *p = r->p;
    if (r->end - p >= 11 && p[0] >= 8 && p[0] < 0x80) { /* p[0..10] can be read */
        const uint8_t *data;
        size_t n;
        f->number = p[0] >> 3;
        f->at = p;
        f->u64 = 0;
        f->data = NULL;
        f->len = 0;
        switch (p[0] & 7) {
        case PB_VARINT:
            if (p[1] < 0x80) {
                f->wire = PB_VARINT;
                f->u64 = p[1];
                r->p = p + 2;
                return 1;
            }
            break;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        case PB_I64:
            f->wire = PB_I64;
            memcpy(&f->u64, p + 1, 8);
            r->p = p + 9;
            return 1;
        case PB_I32: {
            uint32_t v;
            memcpy(&v, p + 1, 4);
            f->wire = PB_I32;
            f->u64 = v;
            r->p = p + 5;
            return 1;
        }
#endif
        case PB_LEN:
            if (p[1] < 0x80) {
                n = p[1];
                data = p + 2;
            } else if (p[2] < 0x80) {
                n = (size_t)(p[1] & 0x7f) | (size_t)p[2] << 7;
                data = p + 3;
            } else {
                break;
            }
            if (n > (size_t)(r->end - data))
                break; /* the slow path says why */
            f->wire = PB_LEN;
            f->data = data;
            f->len = n;
            r->p = data + n;
            return 1;
        default:
            break;
        }
    }
    return pb_next_slow(r, f);
}

/* Is f of the wire type its field is declared with? 0, or SPIDER_EINVAL with
 * r->err = PB_ERR_WRONG_TYPE at f's tag. */
int pb_expect(pb_reader_t *r, const pb_field_t *f, pb_wire_t wire);

/* Opens a reader over the payload of the LEN field f that r returned (an
 * embedded message). Offsets stay relative to r's base. */
void pb_sub(const pb_reader_t *r, const pb_field_t *f, pb_reader_t *sub);

/* An iterator over the values of one occurrence of a repeated scalar field,
 * packed or not. elem is the element's wire type: PB_VARINT (int32, int64,
 * uint32, uint64, bool, enum), PB_I64 (fixed64, sfixed64, double) or PB_I32
 * (fixed32, sfixed32, float). */
typedef struct pb_scalars {
    pb_reader_t r;   /* over the packed payload (empty when unpacked) */
    pb_wire_t elem;  /* element wire type */
    int pending;     /* unpacked: the one value is still to be returned */
    uint64_t single; /* unpacked: that value */
} pb_scalars_t;

/* Starts iterating field f (read by pb_next() from r): f->wire must be elem
 * (one unpacked value) or PB_LEN (packed; for I64/I32 elements its length
 * must be a multiple of 8/4). Returns 0, or SPIDER_EINVAL with r->err set
 * (PB_ERR_WRONG_TYPE, PB_ERR_PACKED_LENGTH). */
int pb_scalars_init(pb_scalars_t *it, pb_reader_t *r, const pb_field_t *f, pb_wire_t elem);

/* Takes the next value (I32 zero-extended). Returns 1, 0 when none is left,
 * or SPIDER_EINVAL (a bad varint in a packed payload: it->r.err says why). */
int pb_scalars_next(pb_scalars_t *it, uint64_t *v);

/* The bits of a double (I64) or float (I32) value, as a number. */
static inline double pb_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static inline float pb_float(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Static English phrase for e, e.g. "truncated varint". */
const char *pb_strerror(pb_err_t e);

#endif
