/* pbwrite.h - a tiny protobuf wire-format writer for the load tool's OTLP
 * requests (otlp.c).
 *
 * Appends fields to a buf_t: varints (wire type 0), fixed64 (1) and
 * length-delimited bytes, strings and embedded messages (2). That is all an
 * ExportTraceServiceRequest needs. No schema: the caller names each field
 * number. Embedded messages are written in place: pbwrite_begin() writes the
 * tag, the content follows, and pbwrite_end() inserts the length varint
 * before the content (one memmove of the content per nesting level; the
 * load tool nests three deep, so a request is moved about three times).
 *
 * Pure: libc and core/buf.h only; appends never fail (buf aborts on
 * exhaustion). Thread-safe on distinct buffers.
 */
#ifndef SPIDER_LOAD_PBWRITE_H
#define SPIDER_LOAD_PBWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum pbwrite_wire {
    PB_VARINT = 0,
    PB_FIXED64 = 1,
    PB_LEN = 2,
    PB_FIXED32 = 5,
};

/* Bytes the varint encoding of v takes (1-10). */
size_t pbwrite_varint_len(uint64_t v);
/* Appends v as a base-128 varint, least significant group first. */
void pbwrite_varint(buf_t *b, uint64_t v);
/* Appends the key of field `field` (1 .. 2^29-1) with wire type `wire`. */
void pbwrite_tag(buf_t *b, uint32_t field, enum pbwrite_wire wire);
/* A varint field: uint32/64, int64 >= 0, bool, enum. */
void pbwrite_uint(buf_t *b, uint32_t field, uint64_t v);
/* A fixed64 field: 8 bytes, little-endian. */
void pbwrite_fixed64(buf_t *b, uint32_t field, uint64_t v);
/* A length-delimited field of n bytes (bytes, string). */
void pbwrite_bytes(buf_t *b, uint32_t field, const void *p, size_t n);
/* A string field from a NUL-terminated string. */
void pbwrite_string(buf_t *b, uint32_t field, const char *s);
/* Starts an embedded message: writes its tag and returns the mark to pass
 * to pbwrite_end() once the content is appended. Marks nest like
 * parentheses: end the inner message before the outer one. */
size_t pbwrite_begin(buf_t *b, uint32_t field);
/* Ends the message begun at mark: inserts the content's length before it. */
void pbwrite_end(buf_t *b, size_t mark);

#endif
