/* fuzz_pb.c - libFuzzer target for the protobuf wire reader.
 *
 * Walks the input as a message, and every LEN payload as a message too (to
 * a fixed depth) and as packed varints, fixed64s and fixed32s; any violated
 * invariant aborts. The input comes in an exact-size buffer, so ASan
 * catches a read past it. It checks that:
 *   - the input is never written;
 *   - pb_next() either returns a field that lies inside the message (its
 *     tag at the old position, a LEN payload ending where the reader now
 *     is), with a field number in 1..2^29-1 and wire type 0, 1, 2 or 5, or
 *     fails without moving, with an error code and a position inside the
 *     message; a message ends exactly at its end or at an error;
 *   - its varints agree with a plain reference decoder written from the
 *     specification (value, length, and refusal beyond 10 bytes / 64 bits);
 *   - packed iteration yields exactly len / 8 fixed64s and len / 4
 *     fixed32s (or refuses a length that is not a multiple), and varints
 *     that together use up the payload exactly unless one is refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "ingest/pb.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_DEPTH 6

/* The specification's varint, the slow way: 1 with *v and *used, 0 if
 * refused (truncated, more than 10 bytes, or above 2^64 - 1). */
static int ref_varint(const uint8_t *p, size_t n, uint64_t *v, size_t *used)
{
    uint64_t x = 0;
    for (size_t i = 0; i < n && i < 10; i++) {
        uint64_t bits = p[i] & 0x7f;
        if (i == 9 && bits > 1)
            return 0;
        x |= bits << (7 * i);
        if (!(p[i] & 0x80)) {
            *v = x;
            *used = i + 1;
            return 1;
        }
    }
    return 0;
}

static void check_packed(const pb_reader_t *r, const pb_field_t *f)
{
    static const pb_wire_t elems[] = {PB_VARINT, PB_I64, PB_I32};
    for (size_t e = 0; e < sizeof elems / sizeof elems[0]; e++) {
        pb_reader_t copy = *r;
        pb_scalars_t it;
        size_t size = elems[e] == PB_I64 ? 8 : 4;
        if (pb_scalars_init(&it, &copy, f, elems[e]) != 0) {
            CHECK(elems[e] != PB_VARINT && f->len % size != 0);
            CHECK(copy.err == PB_ERR_PACKED_LENGTH);
            continue;
        }
        uint64_t v, ref;
        size_t count = 0, used;
        int rc;
        const uint8_t *at = it.r.p;
        while ((rc = pb_scalars_next(&it, &v)) > 0) {
            count++;
            if (elems[e] == PB_VARINT) {
                CHECK(ref_varint(at, (size_t)(f->data + f->len - at), &ref, &used));
                CHECK(ref == v && at + used == it.r.p);
            } else {
                CHECK(it.r.p == at + size);
                if (elems[e] == PB_I32)
                    CHECK(v <= UINT32_MAX);
            }
            at = it.r.p;
        }
        if (elems[e] == PB_VARINT) {
            CHECK(count <= f->len);
            if (rc == 0)
                CHECK(it.r.p == f->data + f->len);
            else
                CHECK(!ref_varint(at, (size_t)(f->data + f->len - at), &ref, &used));
        } else {
            CHECK(rc == 0 && count == f->len / size);
        }
    }
}

static void walk(pb_reader_t *r, int depth)
{
    pb_field_t f;
    int rc;
    for (;;) {
        const uint8_t *before = r->p;
        rc = pb_next(r, &f);
        if (rc <= 0)
            break;
        CHECK(f.at == before && r->p > before && r->p <= r->end);
        CHECK(f.number >= 1 && f.number <= PB_FIELD_MAX);
        CHECK(f.wire == PB_VARINT || f.wire == PB_I64 || f.wire == PB_LEN || f.wire == PB_I32);
        /* the tag agrees with the reference */
        uint64_t tag, v;
        size_t used, used2;
        CHECK(ref_varint(before, (size_t)(r->end - before), &tag, &used));
        CHECK(tag >> 3 == f.number && (tag & 7) == (uint64_t)f.wire);
        const uint8_t *value = before + used;
        switch (f.wire) {
        case PB_VARINT:
            CHECK(ref_varint(value, (size_t)(r->end - value), &v, &used2));
            CHECK(v == f.u64 && value + used2 == r->p);
            break;
        case PB_I64:
            CHECK(value + 8 == r->p);
            break;
        case PB_I32:
            CHECK(value + 4 == r->p && f.u64 <= UINT32_MAX);
            break;
        default:
            CHECK(ref_varint(value, (size_t)(r->end - value), &v, &used2));
            CHECK(v == f.len && f.data == value + used2 && f.data + f.len == r->p);
            check_packed(r, &f);
            if (depth < MAX_DEPTH) {
                pb_reader_t sub;
                pb_sub(r, &f, &sub);
                CHECK(sub.base == r->base && sub.p == f.data && sub.end == f.data + f.len);
                walk(&sub, depth + 1);
            }
            break;
        }
        CHECK(pb_expect(r, &f, f.wire) == 0);
    }
    if (rc == 0) {
        CHECK(r->p == r->end);
    } else {
        CHECK(rc == SPIDER_EINVAL && r->err != PB_OK && r->err < PB_ERR_COUNT);
        CHECK(r->err_at >= r->p && r->err_at <= r->end);
        CHECK(pb_strerror(r->err)[0] != '\0');
        /* a refused varint is one the reference refuses too */
        if (r->err == PB_ERR_TRUNCATED_VARINT || r->err == PB_ERR_VARINT_LONG ||
            r->err == PB_ERR_VARINT_OVERFLOW) {
            uint64_t v;
            size_t used;
            CHECK(!ref_varint(r->err_at, (size_t)(r->end - r->err_at), &v, &used));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *before = malloc(size ? size : 1);
    memcpy(before, data, size);
    pb_reader_t r;
    pb_reader_init(&r, data, size);
    walk(&r, 0);
    /* the primitives alone, from the start */
    uint64_t v, ref;
    uint32_t v32;
    size_t used;
    pb_reader_init(&r, data, size);
    int ok = ref_varint(data, size, &ref, &used);
    CHECK((pb_read_varint(&r, &v) == 0) == ok);
    if (ok)
        CHECK(v == ref && r.p == data + used);
    pb_reader_init(&r, data, size);
    CHECK((pb_read_fixed64(&r, &v) == 0) == (size >= 8));
    pb_reader_init(&r, data, size);
    CHECK((pb_read_fixed32(&r, &v32) == 0) == (size >= 4));
    CHECK(memcmp(before, data, size) == 0);
    free(before);
    return 0;
}
