/* otlp.h - POST /v1/traces and /v1/metrics: OTLP/HTTP exports applied to the store.
 *
 * Glue between the decoders (ingest/otlp_trace, ingest/otlp_metrics) and
 * the ingest door (ingest/sink), and the answer the OTLP specification asks
 * for:
 *   - 200 with an ExportTraceServiceResponse / ExportMetricsServiceResponse:
 *     empty when everything was kept; with partial_success {rejected_spans
 *     or rejected_data_points, error_message} when some was refused (the
 *     message names the first reason and how many);
 *   - 400 with a google.rpc.Status (code 3, INVALID_ARGUMENT) for a body
 *     that does not decode: nothing of it is applied.
 * Each in the encoding of the request: protobuf for application/x-protobuf,
 * OTLP/JSON for application/json.
 *
 * Each span is one sample (docs/protocol.md, "OpenTelemetry"): series
 * `span name{service="<service.name>"}` (no label without a service.name),
 * duration (end - start) in ms, stamped at its end time. A span that ends
 * before it starts is refused (end_before_start); the window applies to its
 * end time.
 *
 * Each histogram data point (docs/protocol.md, "OpenTelemetry metrics")
 * becomes weighted samples of series `metric name{service="...",<point
 * attributes>}` (ingest/otlp_hist.h says how buckets become samples, and
 * with what error), stamped at its time; cumulative points are turned into
 * deltas first (ingest/otlp_streams.h). Points of other kinds (gauge, sum,
 * summary), points without a recorded value, and histograms whose unit is
 * not a duration are counted as ignored, not refused. Pure (no I/O),
 * service thread.
 */
#ifndef SPIDER_API_OTLP_H
#define SPIDER_API_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "../store/store.h"
#include "metrics.h"

typedef enum otlp_encoding { OTLP_PROTOBUF, OTLP_JSON } otlp_encoding_t;

/* What an export carries: the path it was posted to. */
typedef enum otlp_signal { OTLP_TRACES, OTLP_METRICS } otlp_signal_t;

/* The path of a signal ("/v1/traces"), and the signal of a path (-1: neither). */
const char *otlp_signal_path(otlp_signal_t sig);
int otlp_signal_of_path(const char *path, size_t n);

/* Where an export goes. */
typedef struct otlp_target {
    store_t *store;
    metrics_t *metrics;
    struct otlp_streams *streams; /* cumulative metric streams (ingest/otlp_streams.h) */
} otlp_target_t;

/* Applies the request body (p, n) of signal sig in encoding enc at wall
 * time now_ms and writes the answer to out. Returns the HTTP status (200
 * or 400). */
int otlp_handle_export(const otlp_target_t *t, otlp_signal_t sig, otlp_encoding_t enc,
                       const uint8_t *p, size_t n, int64_t now_ms, buf_t *out);

/* An upload as received: gunzipped first if gzip (the inflated bytes count
 * against max_body while inflating: over it 413 in JSON; a broken stream
 * 400 with a google.rpc.Status in enc, as for a body that does not
 * decode), then otlp_handle_export(). *type is set to the answer's
 * Content-Type. Returns the HTTP status. */
int otlp_handle_upload(const otlp_target_t *t, otlp_signal_t sig, otlp_encoding_t enc, int gzip,
                       size_t max_body, const uint8_t *p, size_t n, int64_t now_ms, buf_t *out,
                       const char **type);

/* The Content-Type of an answer in encoding enc. */
const char *otlp_content_type(otlp_encoding_t enc);

#endif
