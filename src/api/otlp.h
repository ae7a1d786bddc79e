/* otlp.h - POST /v1/traces: OTLP/HTTP trace exports applied to the store.
 *
 * Glue between the decoder (ingest/otlp_trace) and the ingest door
 * (ingest/sink), and the answer the OTLP specification asks for:
 *   - 200 with an ExportTraceServiceResponse: empty when every span was
 *     kept; with partial_success {rejected_spans, error_message} when some
 *     were refused (the message names the first reason and how many);
 *   - 400 with a google.rpc.Status (code 3, INVALID_ARGUMENT) for a body
 *     that does not decode: nothing of it is applied.
 * Each in the encoding of the request: protobuf for application/x-protobuf,
 * OTLP/JSON for application/json.
 *
 * Each span is one sample (docs/protocol.md, "OpenTelemetry"): series
 * `span name{service="<service.name>"}` (no label without a service.name),
 * duration (end - start) in ms, stamped at its end time. A span that ends
 * before it starts is refused (end_before_start); the window applies to its
 * end time. Pure (no I/O), service thread.
 */
#ifndef SPIDER_API_OTLP_H
#define SPIDER_API_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "../store/store.h"
#include "metrics.h"

typedef enum otlp_encoding { OTLP_PROTOBUF, OTLP_JSON } otlp_encoding_t;

/* Applies the request body (p, n) in encoding enc at wall time now_ms and
 * writes the answer to out. Returns the HTTP status (200 or 400). */
int otlp_handle_traces(store_t *store, metrics_t *m, otlp_encoding_t enc, const uint8_t *p,
                       size_t n, int64_t now_ms, buf_t *out);

/* An upload as received: gunzipped first if gzip (the inflated bytes count
 * against max_body while inflating: over it 413 in JSON; a broken stream
 * 400 with a google.rpc.Status in enc, as for a body that does not
 * decode), then otlp_handle_traces(). *type is set to the answer's
 * Content-Type. Returns the HTTP status. */
int otlp_handle_upload(store_t *store, metrics_t *m, otlp_encoding_t enc, int gzip, size_t max_body,
                       const uint8_t *p, size_t n, int64_t now_ms, buf_t *out, const char **type);

/* The Content-Type of an answer in encoding enc. */
const char *otlp_content_type(otlp_encoding_t enc);

#endif
