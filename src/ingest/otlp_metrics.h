/* otlp_metrics.h - the decoder of OTLP metric export requests (protobuf, JSON).
 *
 * Input: the body of an OTLP/HTTP POST /v1/metrics, an
 * ExportMetricsServiceRequest (opentelemetry-proto, collector/metrics/v1)
 * as binary protobuf or as OTLP/JSON. Output: one otlp_hist_point_t per
 * histogram data point (explicit-bucket and exponential), in message order,
 * and a count of the data points of the other kinds (gauge, sum, summary),
 * which are not latencies. The path read (field numbers and types checked
 * against opentelemetry-proto at ac2c4b5):
 *
 *     ExportMetricsServiceRequest.resource_metrics  1  repeated ResourceMetrics
 *       ResourceMetrics.resource                   1  Resource (otlp_common.h)
 *       ResourceMetrics.scope_metrics              2  repeated ScopeMetrics
 *         ScopeMetrics.metrics                     2  repeated Metric
 *           Metric.name 1, unit 3 (string)
 *           Metric.gauge 5, sum 7, summary 11: data_points 1, counted
 *           Metric.histogram 9 / exponential_histogram 10:
 *             data_points 1 (repeated), aggregation_temporality 2 (enum)
 *             HistogramDataPoint: attributes 9, start_time_unix_nano 2,
 *               time_unix_nano 3, count 4 (fixed64), sum 5, min 11,
 *               max 12 (double), bucket_counts 6 (repeated fixed64),
 *               explicit_bounds 7 (repeated double), flags 10 (uint32)
 *             ExponentialHistogramDataPoint: attributes 1, start 2,
 *               time 3, count 4, sum 5, scale 6 (sint32), zero_count 7
 *               (fixed64), positive 8 / negative 9 (Buckets: offset 1
 *               sint32, bucket_counts 2 repeated uint64), flags 10, min 12,
 *               max 13, zero_threshold 14 (double)
 *
 * The decoder only decodes: whether counts add up, bounds ascend, units
 * are durations or temporalities are valid is the caller's to judge
 * (ingest/otlp_hist.h). It shares the rules of otlp_trace.h: all or
 * nothing (pass 1 validates the whole request, pass 2 calls fn), a known
 * field of the wrong type is an error, unknown fields are skipped unread,
 * the last of a repeated singular field wins, messages merge, repeated
 * fields concatenate (packed or not, in any mix), the same JSON scanner
 * (otlp_json.h), at most 7 message levels below the request (down to
 * AnyValue), no recursion. A Metric whose data oneof holds several members
 * (a conforming sender sends one) has every one of them read. The service is the first
 * resource attribute "service.name" if it is a string; instance the first
 * "service.instance.id" if it is a string.
 *
 * Attributes of a point become (key, value text) pairs: a string as sent
 * (JSON escapes decoded), a bool as "true"/"false", an int in decimal, a
 * double in its shortest round-trip form ("%.17g" at most); an attribute
 * whose value is empty, an array, a kvlist or bytes is left out.
 *
 * Limits, per point: OTLP_METRICS_MAX_BUCKETS bucket counts (explicit) or
 * positive bucket counts (exponential), as many explicit bounds, and
 * OTLP_METRICS_MAX_ATTRS attributes. Beyond them the point is still
 * delivered, with `over` set (and the arrays holding the first values), so
 * the caller refuses it with a reason rather than the request failing.
 *
 * Memory: one heap block for the point being read (its arrays, ~13 KiB);
 * JSON also decodes strings with escapes into one block of at most the
 * input's size; both freed before returning. O(n).
 * Safe on any bytes (fuzz/fuzz_otlp_metrics.c). Thread-safe.
 */
#ifndef SPIDER_INGEST_OTLP_METRICS_H
#define SPIDER_INGEST_OTLP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/slice.h"
#include "otlp_common.h"

#define OTLP_METRICS_MAX_BUCKETS 512
#define OTLP_METRICS_MAX_ATTRS   32

typedef enum otlp_hist_kind { OTLP_HIST_EXPLICIT, OTLP_HIST_EXPONENTIAL } otlp_hist_kind_t;

/* AggregationTemporality values. */
#define OTLP_TEMPORALITY_DELTA      1
#define OTLP_TEMPORALITY_CUMULATIVE 2

/* DataPointFlags: the point holds no value (a gap marker). */
#define OTLP_FLAG_NO_RECORDED_VALUE 1u

typedef struct otlp_attr {
    slice_t key, value;
} otlp_attr_t;

/* One histogram data point with the context it came in. Slices and arrays
 * are valid only during the callback. */
typedef struct otlp_hist_point {
    slice_t service;       /* Resource "service.name" if a string, else empty */
    slice_t instance;      /* Resource "service.instance.id" if a string, else empty */
    slice_t metric;        /* Metric.name */
    slice_t unit;          /* Metric.unit */
    otlp_hist_kind_t kind; /* which of the two messages */
    int64_t temporality;   /* as sent (an int32 enum): 1 delta, 2 cumulative, else invalid */
    uint64_t start_ns;     /* start_time_unix_nano */
    uint64_t time_ns;      /* time_unix_nano */
    uint64_t count;        /* count */
    uint64_t flags;        /* flags */
    double sum, min, max;  /* valid when has_sum / has_min / has_max */
    int has_sum, has_min, has_max;
    const uint64_t *counts; /* explicit: bucket_counts; exponential: positive.bucket_counts */
    size_t n_counts;
    const double *bounds; /* explicit: explicit_bounds */
    size_t n_bounds;
    int64_t scale;            /* exponential: scale (sint32) */
    int64_t offset;           /* exponential: positive.offset (sint32) */
    uint64_t zero_count;      /* exponential: zero_count */
    double zero_threshold;    /* exponential: zero_threshold */
    uint64_t negative_count;  /* exponential: sum of negative.bucket_counts (saturates) */
    const otlp_attr_t *attrs; /* the point's attributes with a scalar value, in order */
    size_t n_attrs;
    int over; /* beyond a limit above: the arrays are cut short */
} otlp_hist_point_t;

typedef void (*otlp_hist_fn)(void *ctx, const otlp_hist_point_t *point);

/* What a request held besides the points handed out. */
typedef struct otlp_metrics_stats {
    size_t histogram_points; /* handed to fn (both kinds) */
    size_t gauge_points, sum_points, summary_points;
    size_t metrics_without_data; /* Metric messages with none of the five */
} otlp_metrics_stats_t;

/* Decode an ExportMetricsServiceRequest; all or nothing. Returns 0 with
 * *stats filled (if non-NULL) after calling fn for every histogram point,
 * or SPIDER_EINVAL with *err set (if non-NULL), no fn call and *stats
 * zeroed. fn may be NULL (validate and count only). */
int otlp_metrics_decode_pb(const uint8_t *p, size_t n, otlp_hist_fn fn, void *ctx,
                           otlp_metrics_stats_t *stats, otlp_error_t *err);
int otlp_metrics_decode_json(const char *p, size_t n, otlp_hist_fn fn, void *ctx,
                             otlp_metrics_stats_t *stats, otlp_error_t *err);

#endif
