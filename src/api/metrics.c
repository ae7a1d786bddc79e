/* metrics.c - Prometheus text exposition of Spider's counters. */
#include "metrics.h"

static const char *const refusal_labels[HTTP_REFUSED_COUNT] = {
    [HTTP_REFUSED_BAD_JSON] = "bad_json",
    [HTTP_REFUSED_BAD_OTLP] = "bad_otlp",
    [HTTP_REFUSED_BAD_QUERY] = "bad_query",
    [HTTP_REFUSED_NOT_FOUND] = "not_found",
    [HTTP_REFUSED_METHOD] = "method_not_allowed",
    [HTTP_REFUSED_LENGTH_REQUIRED] = "length_required",
    [HTTP_REFUSED_TOO_LARGE] = "body_too_large",
    [HTTP_REFUSED_MEDIA_TYPE] = "unsupported_media_type",
    [HTTP_REFUSED_BODY_TIMEOUT] = "body_timeout",
    [HTTP_REFUSED_BUSY] = "ingest_buffer_full",
    [HTTP_REFUSED_ANSWER_BUSY] = "answer_buffer_full",
    [HTTP_REFUSED_ANSWER_TOO_LARGE] = "answer_too_large",
    [HTTP_REFUSED_PIPELINED] = "pipelined",
    [HTTP_REFUSED_HOST] = "host",
    [HTTP_REFUSED_BAD_HEADER] = "bad_header",
    [HTTP_REFUSED_ROLLUP_LIMIT] = "rollup_limit",
};

static const char *const ws_refusal_labels[WS_REFUSED_COUNT] = {
    [WS_REFUSED_PATH] = "path",
    [WS_REFUSED_ORIGIN] = "origin",
    [WS_REFUSED_MAX_CLIENTS] = "max_clients",
    [WS_REFUSED_HOST] = "host",
    [WS_REFUSED_TOKEN] = "token",
};

static const char *const liveroll_labels[LIVEROLL_REFUSED_COUNT] = {
    [LIVEROLL_REFUSED_SHAPES] = "rollup_limit",
    [LIVEROLL_REFUSED_SERIES] = "series_limit",
    [LIVEROLL_REFUSED_QUERY] = "bad_query",
};

const char *metrics_ws_refusal_label(ws_refusal_t r)
{
    return (unsigned)r < WS_REFUSED_COUNT ? ws_refusal_labels[r] : "unknown";
}

uint64_t metrics_samples_accepted(const metrics_t *m)
{
    uint64_t n = 0;
    for (int p = 0; p < INGEST_PROTOCOL_COUNT; p++)
        n += m->ingest.accepted[p];
    return n;
}

const char *metrics_refusal_label(http_refusal_t r)
{
    return (unsigned)r < HTTP_REFUSED_COUNT ? refusal_labels[r] : "unknown";
}

static void metrics_header(buf_t *out, const char *name, const char *type, const char *help)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics_counter(buf_t *out, const char *name, const char *help, uint64_t v)
{
    metrics_header(out, name, "counter", help);
    buf_printf(out, "%s %llu\n", name, (unsigned long long)v);
}

/* A counter family with one sample per reason label. */
static void metrics_by_reason(buf_t *out, const char *name, const char *help,
                              const char *const *labels, const uint64_t *values, int n)
{
    metrics_header(out, name, "counter", help);
    for (int r = 0; r < n; r++)
        buf_printf(out, "%s{reason=\"%s\"} %llu\n", name, labels[r], (unsigned long long)values[r]);
}

/* The ingest door's counters: accepted by protocol, refused by protocol
 * and reason (every pair, zeros included, so a rate() never misses one). */
static void metrics_ingest(buf_t *out, const ingest_counts_t *c)
{
    metrics_header(out, "spider_samples_accepted_total", "counter",
                   "Samples kept in the store, by protocol (a StatsD value with a sample rate "
                   "counts once here).");
    for (int p = 0; p < INGEST_PROTOCOL_COUNT; p++)
        buf_printf(out, "spider_samples_accepted_total{protocol=\"%s\"} %llu\n",
                   ingest_protocol_label((ingest_protocol_t)p), (unsigned long long)c->accepted[p]);
    metrics_header(out, "spider_samples_rejected_total", "counter",
                   "Samples not kept (for StatsD also lines that could not be read), by protocol "
                   "and reason.");
    for (int p = 0; p < INGEST_PROTOCOL_COUNT; p++)
        for (int r = INGEST_OK + 1; r < INGEST_REJECT_COUNT; r++)
            buf_printf(out, "spider_samples_rejected_total{protocol=\"%s\",reason=\"%s\"} %llu\n",
                       ingest_protocol_label((ingest_protocol_t)p),
                       ingest_reject_label((ingest_reject_t)r),
                       (unsigned long long)c->rejected[p][r]);
}

static void metrics_statsd(buf_t *out, const metrics_t *m)
{
    metrics_counter(out, "spider_statsd_datagrams_total", "StatsD datagrams received.",
                    m->statsd.datagrams);
    metrics_counter(out, "spider_statsd_bytes_total", "Bytes of StatsD datagrams received.",
                    m->statsd.bytes);
    metrics_counter(out, "spider_statsd_lines_total", "StatsD lines read.", m->statsd.lines);
    metrics_header(out, "spider_statsd_ignored_total", "counter",
                   "StatsD lines that are not latencies (counters, gauges, sets, events, service "
                   "checks), by type.");
    for (int k = STATSD_LATENCY + 1; k < STATSD_KIND_COUNT; k++)
        buf_printf(out, "spider_statsd_ignored_total{type=\"%s\"} %llu\n",
                   statsd_kind_label((statsd_kind_t)k), (unsigned long long)m->statsd.ignored[k]);
    metrics_counter(out, "spider_statsd_kernel_drops_total",
                    "StatsD datagrams the kernel dropped because the receive buffer was full "
                    "(--statsd-buffer; UDP only: Unix datagram senders wait or fail instead).",
                    m->statsd_kernel_drops);
    metrics_counter(out, "spider_statsd_truncated_total",
                    "StatsD datagrams over 64 KiB, dropped whole.", m->statsd_truncated);
    metrics_counter(out, "spider_statsd_receive_errors_total",
                    "Failed StatsD socket reads (other than nothing waiting).",
                    m->statsd_receive_errors);
}

static void metrics_gauge(buf_t *out, const char *name, const char *help, double v)
{
    metrics_header(out, name, "gauge", help);
    buf_printf(out, "%s %.17g\n", name, v);
}

static void metrics_otlp(buf_t *out, const metrics_t *m)
{
    static const char *const signals[2] = {"traces", "metrics"};
    static const char *const kinds[METRICS_OTLP_POINT_KINDS] = {
        [METRICS_OTLP_RECORDED] = "recorded",
        [METRICS_OTLP_BASELINE] = "baseline",
        [METRICS_OTLP_EMPTY] = "empty",
        [METRICS_OTLP_NO_VALUE] = "no_value",
        [METRICS_OTLP_NOT_DURATION] = "not_duration",
        [METRICS_OTLP_GAUGE] = "gauge",
        [METRICS_OTLP_SUM] = "sum",
        [METRICS_OTLP_SUMMARY] = "summary",
    };
    metrics_header(out, "spider_otlp_requests_total", "counter",
                   "OTLP exports decoded, by signal.");
    for (int i = 0; i < 2; i++)
        buf_printf(out, "spider_otlp_requests_total{signal=\"%s\"} %llu\n", signals[i],
                   (unsigned long long)m->otlp_requests[i]);
    metrics_header(out, "spider_otlp_bytes_total", "counter",
                   "Body bytes of decoded OTLP exports (after gunzip), by signal.");
    for (int i = 0; i < 2; i++)
        buf_printf(out, "spider_otlp_bytes_total{signal=\"%s\"} %llu\n", signals[i],
                   (unsigned long long)m->otlp_bytes[i]);
    metrics_header(out, "spider_otlp_metric_points_total", "counter",
                   "OTLP metric data points not refused, by what became of them (recorded; a "
                   "cumulative stream's baseline; empty; no recorded value; not a duration; "
                   "gauge, sum and summary points, which are not latencies).");
    for (int k = 0; k < METRICS_OTLP_POINT_KINDS; k++)
        buf_printf(out, "spider_otlp_metric_points_total{kind=\"%s\"} %llu\n", kinds[k],
                   (unsigned long long)m->otlp_points[k]);
    metrics_gauge(out, "spider_otlp_streams",
                  "Cumulative OTLP histogram streams whose last counts are kept (--otlp-streams).",
                  (double)m->otlp_streams);
    metrics_gauge(out, "spider_otlp_stream_bytes", "Memory of those streams, bytes.",
                  (double)m->otlp_stream_bytes);
}

void metrics_render(const metrics_t *m, const store_stats_t *store, buf_t *out)
{
    metrics_counter(out, "spider_http_requests_total", "HTTP requests received.", m->http_requests);
    metrics_counter(out, "spider_http_closed_without_request_total",
                    "Connections closed before a complete request head arrived "
                    "(--header-timeout, or the client left).",
                    m->http_closed_without_request);
    metrics_gauge(out, "spider_http_connections",
                  "Open connections that are not dashboards (HTTP, idle keep-alive included).",
                  (double)m->http_connections);
    metrics_counter(out, "spider_http_connections_refused_total",
                    "Connections closed at accept: --max-connections were open.",
                    m->http_connections_refused);
    metrics_header(out, "spider_event_loop_info", "gauge",
                   "What the event loop waits with (--event-loop): epoll, or poll.");
    buf_printf(out, "spider_event_loop_info{loop=\"%s\"} 1\n",
               m->event_loop ? m->event_loop : "poll");
    metrics_gauge(out, "spider_open_files_limit",
                  "Descriptors the process may open (RLIMIT_NOFILE, raised at start).",
                  (double)m->open_files_limit);
    metrics_gauge(out, "spider_open_files_needed",
                  "Descriptors --max-clients and --max-connections need at once; above the "
                  "limit, connections past it fail at accept.",
                  (double)m->open_files_needed);
    metrics_header(out, "spider_reloads_total", "counter",
                   "SIGHUPs handled: token files and certificates read again (failed: the "
                   "previous ones kept).");
    buf_printf(out, "spider_reloads_total{result=\"ok\"} %llu\n",
               (unsigned long long)m->reloads_ok);
    buf_printf(out, "spider_reloads_total{result=\"failed\"} %llu\n",
               (unsigned long long)m->reloads_failed);
    metrics_by_reason(out, "spider_http_refused_total",
                      "HTTP requests refused, by reason (each a limit or protocol rule).",
                      refusal_labels, m->http_refused, HTTP_REFUSED_COUNT);
    metrics_header(out, "spider_auth_refused_total", "counter",
                   "Requests and WebSocket upgrades refused with 401 for their access token, by "
                   "door (ingest, view, metrics) and reason (missing, wrong, malformed).");
    for (int d = AUTH_DOOR_INGEST; d < AUTH_DOORS; d++)
        for (int r = AUTH_MISSING; r < AUTH_RESULTS; r++)
            buf_printf(out, "spider_auth_refused_total{door=\"%s\",reason=\"%s\"} %llu\n",
                       auth_door_label((auth_door_t)d), auth_result_label((auth_result_t)r),
                       (unsigned long long)m->auth_refused[d][r]);
    metrics_counter(out, "spider_ingest_requests_total", "Point batches parsed.",
                    m->ingest_requests);
    metrics_counter(out, "spider_ingest_bytes_total", "Body bytes of parsed point batches.",
                    m->ingest_bytes);
    metrics_otlp(out, m);
    metrics_counter(out, "spider_otlp_pipelined_bytes_total",
                    "Bytes read on the OTLP port past the end of a request, kept for the "
                    "pipelined requests after it (each byte read is kept at most once).",
                    m->otlp_pipelined_bytes);
    metrics_ingest(out, &m->ingest);
    metrics_statsd(out, m);
    metrics_gauge(out, "spider_ws_clients", "Live dashboards connected.", (double)m->ws_clients);
    metrics_counter(out, "spider_ws_updates_sent_total",
                    "Updates (a summary and its detail messages) sent to dashboards.",
                    m->ws_updates_sent);
    metrics_counter(out, "spider_ws_messages_sent_total",
                    "WebSocket messages written to dashboards (hello, summaries, detail).",
                    m->ws_messages_sent);
    metrics_counter(out, "spider_ws_updates_skipped_total",
                    "Ticks a dashboard missed because its previous update had not left yet.",
                    m->ws_updates_skipped);
    metrics_counter(out, "spider_ws_bytes_sent_total", "Bytes of updates written to dashboards.",
                    m->ws_bytes_sent);
    metrics_counter(out, "spider_ws_stall_closes_total",
                    "Dashboards disconnected after --stall-timeout without taking an update.",
                    m->ws_stall_closes);
    metrics_counter(
        out, "spider_ws_ping_timeouts_total",
        "Dashboards disconnected after twice --ping-interval without a pong or message.",
        m->ws_ping_timeouts);
    metrics_counter(out, "spider_ws_bad_messages_total",
                    "Dashboard messages refused (closed with 1003, 1007 or 1009).",
                    m->ws_bad_messages);
    metrics_counter(out, "spider_ws_detail_encoded_total",
                    "Detail messages encoded (one per series and cursor per tick, shared).",
                    m->ws_detail_encoded);
    metrics_counter(out, "spider_ws_detail_deferred_total",
                    "Updates sent without their detail because --push-buffer was full.",
                    m->ws_detail_deferred);
    metrics_gauge(out, "spider_ws_push_buffer_bytes",
                  "Bytes of detail messages not yet sent to every dashboard (--push-buffer).",
                  (double)m->ws_push_bytes);
    metrics_gauge(out, "spider_ws_rollups",
                  "Distinct live roll-ups subscribed to (--max-live-rollups).",
                  (double)m->ws_rollups.shapes);
    metrics_counter(out, "spider_ws_rollup_encoded_total",
                    "Live roll-up messages encoded (one per roll-up and cursor per tick, shared).",
                    m->ws_rollups.encoded);
    metrics_counter(out, "spider_ws_rollup_deferred_total",
                    "Live roll-up messages put off because --push-buffer was full.",
                    m->ws_rollups.deferred);
    metrics_by_reason(out, "spider_ws_rollup_refused_total",
                      "Live roll-ups refused (an error message sent to a dashboard), by reason.",
                      liveroll_labels, m->ws_rollups.refused, LIVEROLL_REFUSED_COUNT);
    metrics_by_reason(out, "spider_ws_refused_total", "WebSocket upgrades refused, by reason.",
                      ws_refusal_labels, m->ws_refused, WS_REFUSED_COUNT);
    metrics_gauge(out, "spider_store_bytes",
                  "Bytes the store accounts for (the budget measures this).", (double)store->bytes);
    metrics_gauge(out, "spider_store_series", "Series alive in the window.", (double)store->series);
    metrics_counter(out, "spider_store_raw_dropped_total",
                    "Raw points not kept or evicted because the memory budget binds.",
                    store->raw_dropped);
    metrics_gauge(out, "spider_store_raw_per_second",
                  "Raw points kept per series per second now (lower than configured when the "
                  "budget binds).",
                  (double)store->raw_per_second);
}
