/* otlp_trace.h - the decoder of OTLP trace export requests (protobuf, JSON).
 *
 * Input: the body of an OTLP/HTTP POST /v1/traces, an
 * ExportTraceServiceRequest (opentelemetry-proto, collector/trace/v1) as
 * binary protobuf (application/x-protobuf) or as OTLP/JSON
 * (application/json). Output: one otlp_span_t per Span, in message order.
 * Only what a latency monitor needs is read; the path to it is
 *
 *     ExportTraceServiceRequest.resource_spans     1  repeated ResourceSpans
 *       ResourceSpans.resource                     1  Resource
 *         Resource.attributes                      1  repeated KeyValue
 *           KeyValue.key                           1  string
 *           KeyValue.value                         2  AnyValue
 *             AnyValue oneof value: string_value 1 (string), bool_value 2,
 *             int_value 3, double_value 4, array_value 5, kvlist_value 6,
 *             bytes_value 7, string_value_strindex 8
 *       ResourceSpans.scope_spans                  2  repeated ScopeSpans
 *         ScopeSpans.spans                         2  repeated Span
 *           Span.name                              5  string
 *           Span.start_time_unix_nano              7  fixed64
 *           Span.end_time_unix_nano                8  fixed64
 *
 * Field numbers and types are those of the .proto files (checked against
 * opentelemetry-proto at ac2c4b5, 2026-08). Every other field, known to the
 * .proto or not (ids, kind, attributes of spans, events, links, status,
 * scope, schema URLs, deprecated or future fields), is skipped unread.
 *
 * Semantics, the same for both encodings:
 * - All or nothing: the whole request is validated first; fn is called for
 *   every span only if all of it decodes, else no fn call at all.
 * - The fields on the path above are the "known" ones: one with the wrong
 *   type is an error (in protobuf, the wrong wire type, e.g. a name sent as
 *   a varint), never a skip. A skipped field's contents are not examined
 *   (beyond what it takes to step over it), so a request whose span events,
 *   say, hold garbage bytes is accepted here where a full protobuf parser
 *   would refuse it.
 * - A singular field sent more than once (protobuf allows it; JSON gets a
 *   duplicate key): the last one wins for name and the two times; messages
 *   merge (Resource sent twice: both attribute lists count, in order);
 *   repeated fields concatenate (two "spans" keys in one ScopeSpans: all
 *   their spans, in order). In AnyValue, the last oneof member present
 *   decides the value's type (a JSON member that is null does not count).
 * - service is the value of the first resource attribute whose key is
 *   "service.name" (the first, as the OpenTelemetry Collector's attribute
 *   lookup does; keys must be unique, so a conforming sender has one). If
 *   that value is not a string_value (an int, a bool, empty, ...), service
 *   is empty: later attributes with the same key are not looked at.
 * - A missing field is its default: empty name, time 0, empty service.
 *   Nothing checks that end >= start, that times are plausible, or that the
 *   bytes are UTF-8: the caller decides (protobuf's string type requires
 *   UTF-8; this decoder hands the bytes on as sent).
 *
 * Protobuf specifics (pb.h says what the wire reader refuses): groups and
 * wire types 6/7 anywhere, varints over 10 bytes or 64 bits, a length
 * beyond its enclosing message. The decoder descends at most 4 message
 * levels below the request (ResourceSpans > Resource > KeyValue > AnyValue,
 * and ResourceSpans > ScopeSpans > Span), one function per level: no
 * recursion; deeper data (array_value, kvlist_value, span attributes) is
 * skipped as bytes. Zero allocation; O(n).
 *
 * JSON specifics (OTLP/JSON: proto3 JSON mapping, lowerCamelCase keys only,
 * ids as hex strings, enums as integers; the keys read are resourceSpans,
 * resource, attributes, key, value, stringValue and the other oneof members
 * boolValue, intValue, doubleValue, arrayValue, kvlistValue, bytesValue,
 * stringValueStrindex, scopeSpans, spans, name, startTimeUnixNano,
 * endTimeUnixNano):
 * - RFC 8259 JSON, strictly: one object at the top, no trailing data, no
 *   raw control characters in strings, valid escapes, numbers by the JSON
 *   grammar (no leading zeros, '+', NaN, hex). A UTF-8 byte order mark at
 *   the start is skipped. Raw bytes in strings are not checked for UTF-8.
 * - Nesting deeper than OTLP_JSON_MAX_DEPTH arrays and objects, counted from
 *   the top-level object, is refused wherever it is (also inside skipped
 *   values); nothing recurses.
 * - Unknown keys are skipped (their values must still be valid JSON). A
 *   known key with the value null is as if absent. Keys are compared after
 *   unescaping ("n\u0061me" is "name").
 * - name and stringValue: a JSON string; escapes are decoded (\u0000 gives
 *   a NUL byte; a lone UTF-16 surrogate escape gives U+FFFD, as JavaScript's
 *   TextEncoder does).
 * - startTimeUnixNano/endTimeUnixNano: a JSON number or a string holding
 *   one (the proto3 mapping allows both for 64-bit integers). The value is
 *   decoded exactly from its decimal digits, never through a double, so
 *   numbers above 2^53 keep every digit: "1700000000000000001" and
 *   1700000000000000001 both give 1700000000000000001. Accepted: the JSON
 *   number grammar with a value that is an integer in 0..2^64-1, so 1e3,
 *   "1.5e1" and 10.0 are fine; -1, 1.5, 2^64, "" and " 1" are refused. A
 *   string with escapes is limited to OTLP_JSON_NUMBER_MAX bytes decoded.
 * - Memory: the walker itself allocates nothing. Delivering a name or a
 *   service with escapes decodes it into a scratch buffer (on the stack, or
 *   one heap block of at most the longest such string, freed before
 *   returning; xmalloc aborts if memory runs out). O(n) time (each byte is
 *   looked at a bounded number of times).
 *
 * Both functions never need a NUL, never write into their input and are
 * safe on any bytes (fuzz/fuzz_otlp_trace.c). Thread-safe: no global state.
 */
#ifndef SPIDER_INGEST_OTLP_TRACE_H
#define SPIDER_INGEST_OTLP_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/slice.h"
#include "otlp_common.h"
#include "otlp_json.h" /* OTLP_JSON_MAX_DEPTH, OTLP_JSON_NUMBER_MAX */

typedef struct otlp_span {
    slice_t name;      /* Span.name, bytes as sent (may be any bytes: the caller checks) */
    slice_t service;   /* the Resource attribute "service.name" if it is a string,
                          else empty (n == 0) */
    uint64_t start_ns; /* start_time_unix_nano */
    uint64_t end_ns;   /* end_time_unix_nano */
} otlp_span_t;

/* Receives one span. The slices are valid only during the call (they point
 * into the input or into a scratch buffer); an empty slice has n == 0 and a
 * non-NULL p. */
typedef void (*otlp_span_fn)(void *ctx, const otlp_span_t *span);

/* Decode an ExportTraceServiceRequest. All or nothing: the whole message is validated first; fn is
 * called for every span (in message order) only if it all decodes. Returns 0, or SPIDER_EINVAL
 * (core/error.h) with *err set and no fn call. fn may be NULL (validate only). Returns the number
 * of spans via *n_spans if non-NULL (0 on error). err may be NULL. p may be NULL when n is 0 (an
 * empty protobuf message is a valid request with no spans; empty JSON is not JSON). */
int otlp_traces_decode_pb(const uint8_t *p, size_t n, otlp_span_fn fn, void *ctx, size_t *n_spans,
                          otlp_error_t *err);
int otlp_traces_decode_json(const char *p, size_t n, otlp_span_fn fn, void *ctx, size_t *n_spans,
                            otlp_error_t *err);

#endif
