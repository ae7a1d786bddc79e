/* otlp.h - the OTLP/HTTP trace requests spider-load posts (--otlp-posters)
 * and the answers it reads.
 *
 * A request is an ExportTraceServiceRequest in the binary protobuf encoding
 * (opentelemetry-proto, collector/trace/v1/trace_service.proto):
 *
 *     resource_spans(1) ResourceSpans, one per service {
 *         resource(1) Resource { attributes(1) KeyValue {
 *             key(1) "service.name", value(2) AnyValue { string_value(1) } } }
 *         scope_spans(2) ScopeSpans {
 *             scope(1) InstrumentationScope { name(1) "spider-load" }
 *             spans(2) Span {
 *                 trace_id(1) 16 bytes, span_id(2) 8 bytes, name(5),
 *                 kind(6) SPAN_KIND_SERVER = 2,
 *                 start_time_unix_nano(7) fixed64, end_time_unix_nano(8) fixed64 } } }
 *
 * Span k of a request belongs to service k % services and is named
 * op<(k / services) % names>, so a run has at most services x names series
 * whatever its length. Every span ends at the request's `now` and lasts
 * 1-500 ms, varied deterministically by (seq, k); ids are derived from
 * (seed, seq, k), never zero. Pure: libc and core/buf.h; thread-safe.
 */
#ifndef SPIDER_LOAD_OTLP_H
#define SPIDER_LOAD_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct otlp_shape {
    const char *prefix; /* service names are PREFIX.svc<j> */
    int spans;          /* per request, >= 1 */
    int services;       /* >= 1 */
    int names;          /* span names per service, >= 1 */
} otlp_shape_t;

/* Appends request number `seq` to b. seed tells posters (and runs) apart in
 * the ids; now_ns is the wall clock in ns since the epoch. */
void otlp_build(buf_t *b, const otlp_shape_t *s, uint64_t seed, uint64_t seq, uint64_t now_ns);

/* The duration of span k of request seq, in ns: 1 ms to 500 ms. */
uint64_t otlp_span_duration_ns(uint64_t seq, int k);

/* Reads an ExportTraceServiceResponse (p, n): *rejected is
 * partial_success.rejected_spans, 0 when absent (an empty body is a full
 * success). Unknown fields are skipped. Returns 0, or SPIDER_EINVAL for
 * bytes that are not a well-formed message (truncated field, group or
 * reserved wire type, partial_success not length-delimited). */
int otlp_parse_response(const uint8_t *p, size_t n, int64_t *rejected);

#endif
