/* pb.c - a minimal reader of the protobuf wire format (see pb.h).
 *
 * Every read checks the bytes it needs against r->end before touching them,
 * and compares lengths as uint64_t against what remains (so a huge length
 * cannot wrap a pointer). A failing call leaves r->p where it was and
 * records why and where in r->err / r->err_at. All O(1) but the iterators.
 */
#include "pb.h"

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

int pb_read_varint(pb_reader_t *r, uint64_t *v)
{
    const uint8_t *p = r->p;
    size_t avail = (size_t)(r->end - p);
    /* The common case first: one byte. */
    if (avail && p[0] < 0x80) {
        *v = p[0];
        r->p = p + 1;
        return 0;
    }
    uint64_t x = 0;
    for (unsigned i = 0; i < PB_VARINT_MAX; i++) {
        if (i == avail)
            return pb_fail(r, PB_ERR_TRUNCATED_VARINT, p);
        uint8_t b = p[i];
        if (i == PB_VARINT_MAX - 1 && b > 1) {
            /* Byte 10 carries bit 63 only: a continuation means an 11th
             * byte, anything else bits that do not exist. */
            return pb_fail(r, b & 0x80 ? PB_ERR_VARINT_LONG : PB_ERR_VARINT_OVERFLOW, p);
        }
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (b < 0x80) {
            *v = x;
            r->p = p + i + 1;
            return 0;
        }
    }
    return pb_fail(r, PB_ERR_VARINT_LONG, p); /* not reached: byte 10 decides */
}

static uint64_t pb_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint32_t pb_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
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
    const uint8_t *at = r->p;
    uint64_t tag;
    if (pb_read_varint(r, &tag) != 0)
        return SPIDER_EINVAL;
    unsigned w = (unsigned)(tag & 7);
    pb_err_t e = PB_OK;
    if (tag >> 3 == 0)
        e = PB_ERR_FIELD_ZERO;
    else if (tag >> 3 > PB_FIELD_MAX)
        e = PB_ERR_FIELD_RANGE;
    else if (w == PB_SGROUP || w == PB_EGROUP)
        e = PB_ERR_GROUP;
    else if (w > PB_I32)
        e = PB_ERR_WIRE_TYPE;
    if (e != PB_OK) {
        r->p = at;
        return pb_fail(r, e, at);
    }
    *number = (uint32_t)(tag >> 3);
    *wire = (pb_wire_t)w;
    return 0;
}

int pb_read_len(pb_reader_t *r, const uint8_t **data, size_t *len)
{
    const uint8_t *at = r->p;
    uint64_t n;
    if (pb_read_varint(r, &n) != 0)
        return SPIDER_EINVAL;
    if (n > (uint64_t)(r->end - r->p)) {
        r->p = at;
        return pb_fail(r, PB_ERR_LENGTH, at);
    }
    *data = r->p;
    *len = (size_t)n;
    r->p += n;
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

int pb_next(pb_reader_t *r, pb_field_t *f)
{
    if (r->p >= r->end)
        return 0;
    const uint8_t *at = r->p;
    if (pb_read_tag(r, &f->number, &f->wire) != 0)
        return SPIDER_EINVAL;
    f->at = at;
    f->u64 = 0;
    f->data = NULL;
    f->len = 0;
    int rc = 0;
    uint32_t v32 = 0;
    switch (f->wire) {
    case PB_VARINT:
        rc = pb_read_varint(r, &f->u64);
        break;
    case PB_I64:
        rc = pb_read_fixed64(r, &f->u64);
        break;
    case PB_I32:
        rc = pb_read_fixed32(r, &v32);
        f->u64 = v32;
        break;
    case PB_LEN:
        rc = pb_read_len(r, &f->data, &f->len);
        break;
    default: /* pb_read_tag let none other through */
        rc = pb_fail(r, PB_ERR_WIRE_TYPE, at);
        break;
    }
    if (rc != 0) {
        r->p = at; /* the field as a whole was not read */
        return SPIDER_EINVAL;
    }
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
