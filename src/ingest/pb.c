/* pb.c - a minimal reader of the protobuf wire format (see pb.h).
 *
 * Every read checks the bytes it needs against r->end before touching them,
 * and compares lengths as uint64_t against what remains (so a huge length
 * cannot wrap a pointer). A failing call leaves r->p where it was and
 * records why and where in r->err / r->err_at. All O(1) but the iterators.
 */
#include "pb.h"

#include <string.h>

#include "../core/error.h"

static int pb_fail(pb_reader_t *r, pb_err_t e, const uint8_t *at)
{
    r->err = e;
    r->err_at = at;
    return SPIDER_EINVAL;
}

void pb_reader_init(pb_reader_t *r, const uint8_t *p, size_t n)
{
    static const uint8_t empty[1];
    if (!p)
        p = empty; /* n is 0: a valid pointer, never dereferenced */
    r->p = p;
    r->end = p + n;
    r->base = p;
    r->err = PB_OK;
    r->err_at = p;
}

/* The varint at [*pp, end): PB_OK with *v and *pp moved past it, or why
 * not (*pp unchanged). */
static pb_err_t pb_varint_slow(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    size_t avail = (size_t)(end - p);
    uint64_t x = 0;
    for (unsigned i = 0; i < PB_VARINT_MAX; i++) {
        if (i == avail)
            return PB_ERR_TRUNCATED_VARINT;
        uint8_t b = p[i];
        if (i == PB_VARINT_MAX - 1 && b > 1) {
            /* Byte 10 carries bit 63 only: a continuation means an 11th
             * byte, anything else bits that do not exist. */
            return b & 0x80 ? PB_ERR_VARINT_LONG : PB_ERR_VARINT_OVERFLOW;
        }
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (b < 0x80) {
            *v = x;
            *pp = p + i + 1;
            return PB_OK;
        }
    }
    return PB_ERR_VARINT_LONG; /* not reached: byte 10 decides */
}

/* The same, with the one- and two-byte cases (nearly every tag and length)
 * inline. */
static inline __attribute__((always_inline)) pb_err_t pb_varint(const uint8_t **pp,
                                                                const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    if (p < end && p[0] < 0x80) {
        *v = p[0];
        *pp = p + 1;
        return PB_OK;
    }
    if (end - p >= 2 && p[1] < 0x80) { /* and p[0] >= 0x80 */
        *v = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
        *pp = p + 2;
        return PB_OK;
    }
    return pb_varint_slow(pp, end, v);
}

static inline uint64_t pb_le64(const uint8_t *p)
{
    uint64_t v;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&v, p, 8);
#else
    v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
#endif
    return v;
}

static inline uint32_t pb_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Why a tag value is not acceptable, or PB_OK. */
static inline pb_err_t pb_tag_check(uint64_t tag)
{
    unsigned w = (unsigned)(tag & 7);
    /* wire types 0, 1, 2 and 5 are bits 0, 1, 2 and 5 of 0x27 */
    if ((0x27u >> w & 1) && tag >> 3 != 0 && tag >> 3 <= PB_FIELD_MAX)
        return PB_OK;
    if (tag >> 3 == 0)
        return PB_ERR_FIELD_ZERO;
    if (tag >> 3 > PB_FIELD_MAX)
        return PB_ERR_FIELD_RANGE;
    return w == PB_SGROUP || w == PB_EGROUP ? PB_ERR_GROUP : PB_ERR_WIRE_TYPE;
}

int pb_read_varint(pb_reader_t *r, uint64_t *v)
{
    pb_err_t e = pb_varint(&r->p, r->end, v);
    return e == PB_OK ? 0 : pb_fail(r, e, r->p);
}

int pb_read_fixed64(pb_reader_t *r, uint64_t *v)
{
    if (r->end - r->p < 8)
        return pb_fail(r, PB_ERR_TRUNCATED_FIXED64, r->p);
    *v = pb_le64(r->p);
    r->p += 8;
    return 0;
}

int pb_read_fixed32(pb_reader_t *r, uint32_t *v)
{
    if (r->end - r->p < 4)
        return pb_fail(r, PB_ERR_TRUNCATED_FIXED32, r->p);
    *v = pb_le32(r->p);
    r->p += 4;
    return 0;
}

int pb_read_tag(pb_reader_t *r, uint32_t *number, pb_wire_t *wire)
{
    const uint8_t *q = r->p;
    uint64_t tag;
    pb_err_t e = pb_varint(&q, r->end, &tag);
    if (e == PB_OK)
        e = pb_tag_check(tag);
    if (e != PB_OK)
        return pb_fail(r, e, r->p);
    *number = (uint32_t)(tag >> 3);
    *wire = (pb_wire_t)(tag & 7);
    r->p = q;
    return 0;
}

int pb_read_len(pb_reader_t *r, const uint8_t **data, size_t *len)
{
    const uint8_t *q = r->p;
    uint64_t n;
    pb_err_t e = pb_varint(&q, r->end, &n);
    if (e == PB_OK && n > (uint64_t)(r->end - q))
        e = PB_ERR_LENGTH;
    if (e != PB_OK)
        return pb_fail(r, e, r->p);
    *data = q;
    *len = (size_t)n;
    r->p = q + n;
    return 0;
}

int pb_skip(pb_reader_t *r, pb_wire_t wire)
{
    uint64_t v;
    uint32_t v32;
    const uint8_t *data;
    size_t len;
    switch (wire) {
    case PB_VARINT:
        return pb_read_varint(r, &v);
    case PB_I64:
        return pb_read_fixed64(r, &v);
    case PB_I32:
        return pb_read_fixed32(r, &v32);
    case PB_LEN:
        return pb_read_len(r, &data, &len);
    case PB_SGROUP:
    case PB_EGROUP:
        return pb_fail(r, PB_ERR_GROUP, r->p);
    }
    return pb_fail(r, PB_ERR_WIRE_TYPE, r->p);
}

/* Every case of pb_next() (see pb.h for the inline common ones). */
int pb_next_slow(pb_reader_t *r, pb_field_t *f)
{
    const uint8_t *p = r->p, *end = r->end, *q = p;
    if (p >= end)
        return 0;
    uint64_t tag;
    pb_err_t e = pb_varint(&q, end, &tag);
    if (e == PB_OK)
        e = pb_tag_check(tag);
    if (e != PB_OK)
        return pb_fail(r, e, p);
    f->number = (uint32_t)(tag >> 3);
    f->wire = (pb_wire_t)(tag & 7);
    f->at = p;
    f->u64 = 0;
    f->data = NULL;
    f->len = 0;
    const uint8_t *value = q;
    switch (f->wire) {
    case PB_VARINT:
        e = pb_varint(&q, end, &f->u64);
        break;
    case PB_I64:
        if (end - q < 8) {
            e = PB_ERR_TRUNCATED_FIXED64;
            break;
        }
        f->u64 = pb_le64(q);
        q += 8;
        break;
    case PB_I32:
        if (end - q < 4) {
            e = PB_ERR_TRUNCATED_FIXED32;
            break;
        }
        f->u64 = pb_le32(q);
        q += 4;
        break;
    default: { /* PB_LEN: pb_tag_check let no other through */
        uint64_t n;
        e = pb_varint(&q, end, &n);
        if (e == PB_OK && n > (uint64_t)(end - q))
            e = PB_ERR_LENGTH;
        if (e == PB_OK) {
            f->data = q;
            f->len = (size_t)n;
            q += n;
        }
        break;
    }
    }
    if (e != PB_OK) /* the field as a whole was not read: r->p stays */
        return pb_fail(r, e, value);
    r->p = q;
    return 1;
}

int pb_expect(pb_reader_t *r, const pb_field_t *f, pb_wire_t wire)
{
    if (f->wire == wire)
        return 0;
    return pb_fail(r, PB_ERR_WRONG_TYPE, f->at);
}

void pb_sub(const pb_reader_t *r, const pb_field_t *f, pb_reader_t *sub)
{
    sub->p = f->data;
    sub->end = f->data + f->len;
    sub->base = r->base;
    sub->err = PB_OK;
    sub->err_at = f->data;
}

int pb_scalars_init(pb_scalars_t *it, pb_reader_t *r, const pb_field_t *f, pb_wire_t elem)
{
    it->elem = elem;
    it->pending = 0;
    it->single = 0;
    if (f->wire == elem && elem != PB_LEN) {
        /* Unpacked: this field is one value; the reader is empty. */
        it->r.p = it->r.end = f->at;
        it->r.base = r->base;
        it->r.err = PB_OK;
        it->r.err_at = f->at;
        it->pending = 1;
        it->single = f->u64;
        return 0;
    }
    if (f->wire != PB_LEN || (elem != PB_VARINT && elem != PB_I64 && elem != PB_I32))
        return pb_fail(r, PB_ERR_WRONG_TYPE, f->at);
    if ((elem == PB_I64 && f->len % 8 != 0) || (elem == PB_I32 && f->len % 4 != 0))
        return pb_fail(r, PB_ERR_PACKED_LENGTH, f->at);
    pb_sub(r, f, &it->r);
    return 0;
}

int pb_scalars_next(pb_scalars_t *it, uint64_t *v)
{
    if (it->pending) {
        it->pending = 0;
        *v = it->single;
        return 1;
    }
    if (!pb_more(&it->r))
        return 0;
    int rc;
    uint32_t v32 = 0;
    switch (it->elem) {
    case PB_VARINT:
        rc = pb_read_varint(&it->r, v);
        break;
    case PB_I64:
        rc = pb_read_fixed64(&it->r, v);
        break;
    default: /* PB_I32: pb_scalars_init let no other through */
        rc = pb_read_fixed32(&it->r, &v32);
        *v = v32;
        break;
    }
    return rc == 0 ? 1 : rc;
}

const char *pb_strerror(pb_err_t e)
{
#define PB__ERR_TEXT(arg, code, text) [code] = text,
    static const char *const texts[PB_ERR_COUNT] = {[PB_OK] = "ok", PB_ERROR_LIST(PB__ERR_TEXT, )};
#undef PB__ERR_TEXT
    return (unsigned)e < PB_ERR_COUNT ? texts[e] : "unknown error";
}
