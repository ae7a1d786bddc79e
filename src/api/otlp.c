/* otlp.c - OTLP/HTTP exports through the ingest door (see otlp.h). */
#include "otlp.h"

#include <stdio.h>
#include <string.h>

#include "../ingest/gunzip.h"
#include "../ingest/otlp_hist.h"
#include "../ingest/otlp_metrics.h"
#include "../ingest/otlp_streams.h"
#include "../ingest/otlp_trace.h"
#include "../ingest/sink.h"

static const char *const otlp_paths[2] = {
    [OTLP_TRACES] = "/v1/traces", [OTLP_METRICS] = "/v1/metrics"};

const char *otlp_signal_path(otlp_signal_t sig)
{
    return otlp_paths[sig];
}

int otlp_signal_of_path(const char *path, size_t n)
{
    for (int i = 0; i < 2; i++)
        if (n == strlen(otlp_paths[i]) && memcmp(path, otlp_paths[i], n) == 0)
            return i;
    return -1;
}

typedef struct otlp_ctx {
    ingest_sink_t sink;
    const otlp_target_t *target;
    otlp_signal_t signal;
    /* Spans or data points: kept, refused, and why the first was refused. */
    uint64_t accepted, rejected;
    ingest_reject_t first_reason;
    /* The key of the previous span: spans of one request mostly repeat a
     * few names and services, so a key is built once per run of them. */
    int have_key;
    char last_name[SERIESNAME_MAX], last_service[SERIESNAME_MAX];
    size_t last_name_n, last_service_n;
    ingest_key_t key;
} otlp_ctx_t;

static int otlp_same(const char *kept, size_t kept_n, slice_t s)
{
    return kept_n == s.n && memcmp(kept, s.p, s.n) == 0;
}

static void otlp_span_key(otlp_ctx_t *c, const otlp_span_t *span)
{
    if (c->have_key && otlp_same(c->last_name, c->last_name_n, span->name) &&
        otlp_same(c->last_service, c->last_service_n, span->service))
        return;
    serieskey_builder_t b;
    serieskey_builder_init(&b, span->name);
    serieskey_builder_add(&b, slice_cstr("service"), span->service);
    ingest_key_from_builder(&c->key, &b);
    /* Remember the parts only when they fit; longer ones are never equal. */
    c->have_key = span->name.n <= sizeof c->last_name && span->service.n <= sizeof c->last_service;
    if (c->have_key) {
        memcpy(c->last_name, span->name.p, span->name.n);
        memcpy(c->last_service, span->service.p, span->service.n);
        c->last_name_n = span->name.n;
        c->last_service_n = span->service.n;
    }
}

static void otlp_span(void *ctx, const otlp_span_t *span)
{
    otlp_ctx_t *c = ctx;
    ingest_reject_t why;
    if (span->end_ns < span->start_ns) {
        why = INGEST_REJECT_END_BEFORE_START;
        ingest_count_reject(&c->sink, why, 1);
    } else {
        otlp_span_key(c, span);
        double ms = (double)(span->end_ns - span->start_ns) / 1e6;
        /* Past INT64_MAX ms is beyond any window: refused as too new. */
        int64_t end_ms = (int64_t)(span->end_ns / 1000000u);
        why = ingest_record(&c->sink, &c->key, 1, end_ms, ms, 1);
    }
    if (why == INGEST_OK) {
        c->accepted++;
    } else {
        if (!c->rejected)
            c->first_reason = why;
        c->rejected++;
    }
}

/* ---- metrics ---------------------------------------------------------------- */

/* One weighted sample of the point being applied. */
typedef struct otlp_point_ctx {
    otlp_ctx_t *c;
    const ingest_key_t *key;
    int64_t ts_ms;
} otlp_point_ctx_t;

static ingest_reject_t otlp_sample(void *ctx, double ms, uint32_t weight)
{
    otlp_point_ctx_t *pc = ctx;
    ingest_reject_t why = ingest_record(&pc->c->sink, pc->key, 1, pc->ts_ms, ms, weight);
    /* ingest_record counts one per call: a point's samples count by weight. */
    if (why == INGEST_OK)
        pc->c->sink.counts->accepted[INGEST_OTLP_METRICS] += weight - 1;
    else
        pc->c->sink.counts->rejected[INGEST_OTLP_METRICS][why] += weight - 1;
    return why;
}

/* The key of a point: metric name{service, attributes}. */
static void otlp_point_key(const otlp_hist_point_t *p, ingest_key_t *key)
{
    serieskey_builder_t b;
    serieskey_builder_init(&b, p->metric);
    serieskey_builder_add(&b, slice_cstr("service"), p->service);
    for (size_t i = 0; i < p->n_attrs; i++)
        serieskey_builder_add(&b, p->attrs[i].key, p->attrs[i].value);
    ingest_key_from_builder(key, &b);
}

/* What a point became; 1 if refused (the reason in *why). */
static int otlp_point_apply(otlp_ctx_t *c, const otlp_hist_point_t *p, ingest_reject_t *why)
{
    metrics_t *m = c->target->metrics;
    double unit_ms = otlp_unit_ms(p->unit);
    if (p->flags & OTLP_FLAG_NO_RECORDED_VALUE) {
        m->otlp_points[METRICS_OTLP_NO_VALUE]++;
        return 0;
    }
    if (unit_ms == 0) {
        m->otlp_points[METRICS_OTLP_NOT_DURATION]++;
        return 0;
    }
    ingest_key_t key;
    otlp_delta_t d;
    uint64_t scratch[OTLP_METRICS_MAX_BUCKETS];
    *why = otlp_hist_check(p);
    if (*why == INGEST_OK) {
        otlp_point_key(p, &key);
        *why = key.reject;
    }
    if (*why == INGEST_OK && p->temporality == OTLP_TEMPORALITY_CUMULATIVE)
        *why = otlp_streams_delta(c->target->streams, otlp_stream_id(key.key, p->instance, p->kind),
                                  p, (uint64_t)c->sink.now_ms * 1000000u, scratch, &d);
    else if (*why == INGEST_OK)
        otlp_delta_of_point(p, &d);
    if (*why != INGEST_OK) {
        /* The samples of a refused delta point are its count; those of a
         * cumulative one are not known: it counts as one. */
        uint64_t n = p->temporality == OTLP_TEMPORALITY_DELTA && p->count ? p->count : 1;
        ingest_count_reject(&c->sink, *why, n);
        return 1;
    }
    if (d.count == 0) {
        m->otlp_points[p->temporality == OTLP_TEMPORALITY_CUMULATIVE ? METRICS_OTLP_BASELINE
                                                                     : METRICS_OTLP_EMPTY]++;
        return 0;
    }
    otlp_point_ctx_t pc = {c, &key, (int64_t)(p->time_ns / 1000000u)};
    uint64_t kept = 0;
    *why = otlp_hist_emit(&d, unit_ms, otlp_sample, &pc, &kept);
    if (*why == INGEST_REJECT_HISTOGRAM_LIMIT)
        ingest_count_reject(&c->sink, *why, d.count); /* refused before any sample */
    m->otlp_points[METRICS_OTLP_RECORDED]++;
    return *why != INGEST_OK;
}

static void otlp_point(void *ctx, const otlp_hist_point_t *p)
{
    otlp_ctx_t *c = ctx;
    ingest_reject_t why = INGEST_OK;
    if (!otlp_point_apply(c, p, &why)) {
        c->accepted++;
        return;
    }
    if (!c->rejected)
        c->first_reason = why;
    c->rejected++;
}

/* ---- protobuf answers ------------------------------------------------------ */

static void otlp_pb_varint(buf_t *out, uint64_t v)
{
    uint8_t b[10];
    size_t n = 0;
    do {
        b[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    buf_append(out, b, n);
}

/* A length-delimited field whose payload is already in (p, n). */
static void otlp_pb_bytes(buf_t *out, uint32_t field, const void *p, size_t n)
{
    otlp_pb_varint(out, (uint64_t)field << 3 | 2);
    otlp_pb_varint(out, n);
    buf_append(out, p, n);
}

/* The message explaining a partial success or an error. */
static size_t otlp_message(char *msg, size_t cap, const otlp_ctx_t *c)
{
    int n = snprintf(
        msg, cap, "%llu of %llu %s refused; the first: %s", (unsigned long long)c->rejected,
        (unsigned long long)(c->rejected + c->accepted),
        c->signal == OTLP_METRICS ? "data points" : "spans", ingest_reject_reason(c->first_reason));
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

static void otlp_answer_ok(otlp_encoding_t enc, const otlp_ctx_t *c, buf_t *out)
{
    char msg[512];
    size_t msg_n = c->rejected ? otlp_message(msg, sizeof msg, c) : 0;
    if (enc == OTLP_JSON) {
        if (!c->rejected) {
            buf_append_cstr(out, "{}");
            return;
        }
        /* proto3 JSON: int64 as a string */
        buf_printf(out, "{\"partialSuccess\":{\"%s\":\"%llu\",\"errorMessage\":",
                   c->signal == OTLP_METRICS ? "rejectedDataPoints" : "rejectedSpans",
                   (unsigned long long)c->rejected);
        buf_json_string(out, msg, msg_n);
        buf_append_cstr(out, "}}");
        return;
    }
    if (!c->rejected)
        return; /* an empty Export{Trace,Metrics}ServiceResponse */
    /* Export{Trace,Metrics}PartialSuccess: rejected_spans / rejected_data_points = 1
     * (int64), error_message = 2 */
    buf_t inner;
    buf_init(&inner);
    otlp_pb_varint(&inner, 1 << 3 | 0);
    otlp_pb_varint(&inner, c->rejected);
    otlp_pb_bytes(&inner, 2, msg, msg_n);
    otlp_pb_bytes(out, 1, inner.p, inner.len); /* partial_success = 1 */
    buf_dispose(&inner);
}

/* A body that does not decode: google.rpc.Status (code 3) in enc, as the
 * OTLP specification asks of every 400. with_offset is 0 for a broken gzip
 * stream (zlib does not say where). */
static void otlp_answer_error(otlp_encoding_t enc, const otlp_error_t *err, int with_offset,
                              buf_t *out)
{
    char msg[256];
    int n = with_offset ? snprintf(msg, sizeof msg, "%s at byte %zu", err->message, err->offset)
                        : snprintf(msg, sizeof msg, "%s", err->message);
    size_t msg_n = n < 0 ? 0 : (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    if (enc == OTLP_JSON) {
        /* google.rpc.Status in JSON, plus Spider's usual error and offset */
        buf_append_cstr(out, "{\"code\":3,\"message\":");
        buf_json_string(out, msg, msg_n);
        buf_append_cstr(out, ",\"error\":");
        buf_json_string(out, err->message, strlen(err->message));
        if (with_offset)
            buf_printf(out, ",\"offset\":%zu", err->offset);
        buf_append_cstr(out, "}");
        return;
    }
    otlp_pb_varint(out, 1 << 3 | 0); /* Status.code = 3: INVALID_ARGUMENT */
    otlp_pb_varint(out, 3);
    otlp_pb_bytes(out, 2, msg, msg_n); /* Status.message */
}

int otlp_handle_export(const otlp_target_t *t, otlp_signal_t sig, otlp_encoding_t enc,
                       const uint8_t *p, size_t n, int64_t now_ms, buf_t *out)
{
    otlp_ctx_t c;
    metrics_t *m = t->metrics;
    c.sink = (ingest_sink_t){.store = t->store,
                             .counts = &m->ingest,
                             .protocol = sig == OTLP_METRICS ? INGEST_OTLP_METRICS : INGEST_OTLP,
                             .now_ms = now_ms};
    c.target = t;
    c.signal = sig;
    c.accepted = c.rejected = 0;
    c.first_reason = INGEST_OK;
    c.have_key = 0;
    otlp_error_t err = {0, NULL};
    int rc;
    if (sig == OTLP_METRICS) {
        otlp_metrics_stats_t st;
        rc = enc == OTLP_JSON
                 ? otlp_metrics_decode_json((const char *)p, n, otlp_point, &c, &st, &err)
                 : otlp_metrics_decode_pb(p, n, otlp_point, &c, &st, &err);
        if (rc == 0) {
            m->otlp_points[METRICS_OTLP_GAUGE] += st.gauge_points;
            m->otlp_points[METRICS_OTLP_SUM] += st.sum_points;
            m->otlp_points[METRICS_OTLP_SUMMARY] += st.summary_points;
        }
    } else {
        size_t spans = 0;
        rc = enc == OTLP_JSON
                 ? otlp_traces_decode_json((const char *)p, n, otlp_span, &c, &spans, &err)
                 : otlp_traces_decode_pb(p, n, otlp_span, &c, &spans, &err);
    }
    if (rc != 0) {
        m->http_refused[HTTP_REFUSED_BAD_OTLP]++;
        otlp_answer_error(enc, &err, 1, out);
        return 400;
    }
    m->otlp_requests[sig]++;
    m->otlp_bytes[sig] += n;
    otlp_answer_ok(enc, &c, out);
    return 200;
}

const char *otlp_content_type(otlp_encoding_t enc)
{
    return enc == OTLP_JSON ? "application/json" : "application/x-protobuf";
}

int otlp_handle_upload(const otlp_target_t *t, otlp_signal_t sig, otlp_encoding_t enc, int gzip,
                       size_t max_body, const uint8_t *p, size_t n, int64_t now_ms, buf_t *out,
                       const char **type)
{
    metrics_t *m = t->metrics;
    *type = "application/json";
    if (!gzip) {
        *type = otlp_content_type(enc);
        return otlp_handle_export(t, sig, enc, p, n, now_ms, out);
    }
    buf_t inflated;
    buf_init(&inflated);
    int status;
    gunzip_result_t r = gunzip_body(p, n, max_body, &inflated);
    if (r == GUNZIP_TOO_LARGE) {
        m->http_refused[HTTP_REFUSED_TOO_LARGE]++;
        buf_printf(out, "{\"error\":\"inflated body over the limit\",\"limit_bytes\":%zu}",
                   max_body);
        status = 413;
    } else if (r == GUNZIP_BAD) {
        /* a 400 like a body that does not decode (it was JSON, which a
         * protobuf client cannot read as the Status it expects) */
        m->http_refused[HTTP_REFUSED_BAD_OTLP]++;
        const otlp_error_t err = {0, "the body is not a valid gzip stream"};
        *type = otlp_content_type(enc);
        otlp_answer_error(enc, &err, 0, out);
        status = 400;
    } else {
        *type = otlp_content_type(enc);
        status =
            otlp_handle_export(t, sig, enc, (const uint8_t *)inflated.p, inflated.len, now_ms, out);
    }
    buf_dispose(&inflated);
    return status;
}
