/* otlp_json.h - the JSON scanner of the OTLP/JSON decoders (traces, metrics).
 *
 * A small strict RFC 8259 scanner over (pointer, length), written for the
 * proto3 JSON mapping OTLP uses, rather than cJSON: values come out as
 * slices of the input (no tree, no copies), 64-bit integers are read exactly
 * from their digits (cJSON only has doubles), "\u0000" inside a string
 * survives (cJSON's C strings would cut it), and memory stays O(1). A
 * decoder walks its messages with oj_member()/oj_element() and steps over
 * what it does not read with oj_skip(), a loop with an explicit 64-bit
 * stack of container kinds, never recursion.
 *
 * The rules every decoder built on it shares (otlp_trace.h and
 * otlp_metrics.h document them for their users):
 * - one object at the top, no trailing data, no raw control characters in
 *   strings, valid escapes, numbers by the JSON grammar (no leading zeros,
 *   '+', NaN, hex); a UTF-8 byte order mark at the start is skipped; raw
 *   bytes in strings are not checked for UTF-8;
 * - nesting deeper than OTLP_JSON_MAX_DEPTH arrays and objects, counted
 *   from the top-level object, is refused wherever it is;
 * - keys are compared after unescaping ("n\u0061me" is "name");
 * - a lone UTF-16 surrogate escape decodes to U+FFFD, as JavaScript's
 *   TextEncoder does.
 *
 * Every function that can fail returns 0 (or the documented positive
 * value) or SPIDER_EINVAL with j->err_at and j->err_msg set (static text).
 * Never needs a NUL, never writes into its input; thread-safe.
 */
#ifndef SPIDER_INGEST_OTLP_JSON_H
#define SPIDER_INGEST_OTLP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "../core/slice.h"
#include "otlp_common.h"

/* Deepest nesting of JSON arrays and objects accepted (the top-level object
 * is depth 1). A request from an SDK needs about 15 (a span event attribute
 * holding an array); each level of nested kvlist/array values adds 2-3. */
#define OTLP_JSON_MAX_DEPTH 32

/* Longest decoded string accepted as a number when it has escapes (a plain
 * string or a number literal can be any length). */
#define OTLP_JSON_NUMBER_MAX 64

/* A JSON string as it appears in the input: the bytes between the quotes. */
typedef struct oj_str {
    const char *p;
    size_t n;
    int escaped; /* holds at least one backslash escape: decode before use */
} oj_str_t;

/* The scanner's state. A decoder embeds it (first) in its own. */
typedef struct oj {
    const char *base; /* first byte of the input, for offsets */
    const char *p;    /* next byte */
    const char *end;  /* one past the last byte: nothing at or after it is read */
    unsigned depth;   /* arrays and objects open */
    const char *err_at;
    const char *err_msg;
} oj_t;

/* Starts scanning (p, n); p may be NULL when n is 0. Skips a BOM. */
void oj_start(oj_t *j, const char *p, size_t n);

/* Records an error at `at` (a static msg) and returns SPIDER_EINVAL. */
int oj_fail(oj_t *j, const char *at, const char *msg);

/* Skips JSON whitespace. */
void oj_ws(oj_t *j);

/* A string token at j->p (a '"'): checks it and sets *s to its raw bytes. */
int oj_string(oj_t *j, oj_str_t *s);

/* Decodes the escapes of a checked string into out (cap bytes). Returns the
 * decoded length, or (size_t)-1 if it does not fit. Never longer than s->n. */
size_t oj_decode(const oj_str_t *s, char *out, size_t cap);

/* Is the string, unescaped, the key lit (at most 31 bytes)? */
int oj_is(const oj_str_t *s, const char *lit);

/* A number token at j->p, by the JSON grammar; *lit gets its bytes. */
int oj_number(oj_t *j, slice_t *lit);

/* The value of a JSON number literal (s, n) if it is an integer from 0 to
 * 2^64 - 1, exactly from its digits (1e3 and 10.0 are integers). 0 or -1. */
int oj_decimal_u64(const char *s, size_t n, uint64_t *out);

/* Enters the object or array whose opening byte is at j->p. */
int oj_enter(oj_t *j);

/* Inside an entered object: 1 with *key read and j->p at its value, 0 when
 * the closing '}' was consumed (the object is left), or an error. *first is
 * 1 before the first member. */
int oj_member(oj_t *j, int *first, oj_str_t *key);

/* Inside an entered array: 1 with j->p at the next element, 0 when the
 * closing ']' was consumed, or an error. */
int oj_element(oj_t *j, int *first);

/* Steps over any value at j->p, checking it is valid JSON. O(its size). */
int oj_skip(oj_t *j);

/* At a value: 1 if it is null (then consumed), else 0. */
int oj_null(oj_t *j);

/* At a value that must be null or of the kind opening with c ('{' or '['):
 * 1 if it was null (consumed), 0 if it is that kind (not consumed), or an
 * error with msg. */
int oj_null_or(oj_t *j, char c, const char *msg);

/* A 64-bit unsigned integer field: a number, a string holding one (the
 * proto3 mapping allows both), or null (as if absent: *v is left alone). */
int oj_u64(oj_t *j, uint64_t *v, const char *type_msg, const char *value_msg);

/* A signed integer field in [lo, hi] (int32, sint32, int64): a number, a
 * string holding one, or null (*v left alone). */
int oj_i64(oj_t *j, int64_t lo, int64_t hi, int64_t *v, const char *type_msg,
           const char *value_msg);

/* A double field: a number, a string holding one or "NaN", "Infinity",
 * "-Infinity" (the proto3 mapping), or null (*v left alone). */
int oj_double(oj_t *j, double *v, const char *type_msg);

/* A string field or null (as if absent: *s is left alone). */
int oj_string_or_null(oj_t *j, oj_str_t *s, const char *msg);

/* An array field of scalars (or null): calls fn for every element, which
 * reads it (with oj_u64, oj_double...) and returns 0 or SPIDER_EINVAL.
 * msg names the field for "not an array". */
int oj_array(oj_t *j, const char *msg, int (*fn)(oj_t *j, void *ctx), void *ctx);

/* An object (at j->p, a '{' or, if or_null, null: as if empty) of which one
 * member, key, is an array (or null) whose elements go to fn; every other
 * member is skipped. msg names the object for "not an object", array_msg
 * the member for "not an array". */
int oj_object_with_array(oj_t *j, int or_null, const char *msg, const char *key,
                         const char *array_msg, int (*fn)(oj_t *j, void *ctx), void *ctx);

/* An AnyValue as the JSON holds it; nothing but its JSON type is checked. */
typedef struct oj_value {
    otlp_kind_t kind;
    oj_str_t str; /* STRING, and INT/DOUBLE sent as a string: the string */
    slice_t lit;  /* INT/DOUBLE sent as a number, BOOL: the literal (else n == 0) */
} oj_value_t;

/* A KeyValue object at j->p: its key (the last wins) and value (repeated
 * "value" keys merge: the last oneof member present decides). */
int oj_key_value(oj_t *j, oj_str_t *key, oj_value_t *value);

/* After the top-level value: only whitespace may follow. */
int oj_finish(oj_t *j);

#endif
