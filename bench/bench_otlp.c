/* bench_otlp.c - OTLP trace decode throughput, in spans per second.
 *
 * Builds an ExportTraceServiceRequest of 512 spans shaped like the
 * OpenTelemetry SDKs' (one resource with 6 attributes, 2 scopes; every span
 * with trace/span/parent ids, a name, kind, both times, 4 attributes,
 * dropped counts, a status and flags; 1 in 8 with an event: about 180
 * bytes a span), in protobuf and in OTLP/JSON, and measures:
 *   - pb: otlp_traces_decode_pb with a callback that sums durations (both
 *     passes: validate, then deliver);
 *   - pb validate: the same with fn == NULL (pass 1 only);
 *   - json: otlp_traces_decode_json with the same callback.
 * Each figure is the median of 5 runs; each run repeats the decode for at
 * least 0.2 s. One thread. Target: pb >= 5M spans/s on one core (printed,
 * not enforced: the exit status only says whether the two encodings agreed).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/otlp_trace.h"

#define RUNS        5
#define RUN_SECONDS 0.2
#define SPANS       512

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf_t;

static void put(buf_t *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void varint(buf_t *b, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        if (v)
            c |= 0x80;
        put(b, &c, 1);
    } while (v);
}

static void tag(buf_t *b, unsigned field, unsigned wire)
{
    varint(b, (uint64_t)field << 3 | wire);
}

static void len_field(buf_t *b, unsigned field, const void *p, size_t n)
{
    tag(b, field, 2);
    varint(b, n);
    put(b, p, n);
}

static void str_field(buf_t *b, unsigned field, const char *s)
{
    len_field(b, field, s, strlen(s));
}

static void msg_field(buf_t *b, unsigned field, buf_t *sub)
{
    len_field(b, field, sub->p, sub->n);
    sub->n = 0;
}

static void fixed64(buf_t *b, unsigned field, uint64_t v)
{
    tag(b, field, 1);
    for (int i = 0; i < 8; i++) {
        uint8_t c = (uint8_t)(v >> 8 * i);
        put(b, &c, 1);
    }
}

static void uint_field(buf_t *b, unsigned field, uint64_t v)
{
    tag(b, field, 0);
    varint(b, v);
}

/* KeyValue{key, AnyValue{string_value | int_value}} as field `field` of b. */
static void attr(buf_t *b, unsigned field, const char *key, const char *s, int64_t i)
{
    buf_t any = {0}, kv = {0};
    if (s)
        str_field(&any, 1, s);
    else
        uint_field(&any, 3, (uint64_t)i);
    str_field(&kv, 1, key);
    msg_field(&kv, 2, &any);
    msg_field(b, field, &kv);
    free(any.p);
    free(kv.p);
}

static const char *const routes[] = {"/api/items/{id}", "/api/cart", "/checkout", "/search",
                                     "/api/users/{id}/orders"};

static uint64_t span_start(int i)
{
    return UINT64_C(1764160000000000000) + (uint64_t)i * 1000003;
}

static uint64_t span_end(int i)
{
    return span_start(i) + 250000 + (uint64_t)(i % 97) * 12345;
}

static void make_pb(buf_t *req)
{
    buf_t res = {0}, scope = {0}, rs = {0}, span = {0}, st = {0}, ev = {0}, inst = {0};
    attr(&res, 1, "service.name", "checkout", 0);
    attr(&res, 1, "service.version", "1.4.2", 0);
    attr(&res, 1, "deployment.environment", "prod", 0);
    attr(&res, 1, "telemetry.sdk.language", "nodejs", 0);
    attr(&res, 1, "telemetry.sdk.version", "2.12.1", 0);
    attr(&res, 1, "process.pid", NULL, 4242);
    msg_field(&rs, 1, &res);
    for (int s = 0; s < 2; s++) {
        str_field(&inst, 1, s ? "pg" : "@opentelemetry/instrumentation-http");
        str_field(&inst, 2, s ? "8.11.3" : "0.57.0");
        msg_field(&scope, 1, &inst);
        for (int i = s * SPANS / 2; i < (s + 1) * SPANS / 2; i++) {
            uint8_t id[16];
            for (int k = 0; k < 16; k++)
                id[k] = (uint8_t)(i * 31 + k * 7);
            len_field(&span, 1, id, 16);
            len_field(&span, 2, id + 8, 8);
            len_field(&span, 4, id + 4, 8);
            char name[64];
            snprintf(name, sizeof name, "%s %s", i % 3 ? "GET" : "POST", routes[i % 5]);
            str_field(&span, 5, name);
            uint_field(&span, 6, 2);
            fixed64(&span, 7, span_start(i));
            fixed64(&span, 8, span_end(i));
            attr(&span, 9, "http.request.method", i % 3 ? "GET" : "POST", 0);
            attr(&span, 9, "http.route", routes[i % 5], 0);
            attr(&span, 9, "http.response.status_code", NULL, 200);
            attr(&span, 9, "url.path", "/api/items/12345", 0);
            uint_field(&span, 10, 0);
            if (i % 8 == 0) {
                fixed64(&ev, 1, span_start(i) + 1000);
                str_field(&ev, 2, "retry");
                attr(&ev, 3, "attempt", NULL, 1);
                msg_field(&span, 11, &ev);
            }
            uint_field(&span, 12, 0);
            uint_field(&span, 14, 0);
            uint_field(&st, 3, 0);
            msg_field(&span, 15, &st);
            tag(&span, 16, 5);
            put(&span, "\x01\x01\x00\x00", 4);
            msg_field(&scope, 2, &span);
        }
        msg_field(&rs, 2, &scope);
    }
    msg_field(req, 1, &rs);
    free(res.p), free(scope.p), free(rs.p), free(span.p), free(st.p), free(ev.p);
    free(inst.p);
}

static void putf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(buf_t *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(b, tmp, (size_t)n);
}

/* The same request in OTLP/JSON, as JsonTraceSerializer writes it. */
static void make_json(buf_t *b)
{
    putf(b, "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
            "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"checkout\"}},"
            "{\"key\":\"service.version\",\"value\":{\"stringValue\":\"1.4.2\"}},"
            "{\"key\":\"deployment.environment\",\"value\":{\"stringValue\":\"prod\"}},"
            "{\"key\":\"telemetry.sdk.language\",\"value\":{\"stringValue\":\"nodejs\"}},"
            "{\"key\":\"telemetry.sdk.version\",\"value\":{\"stringValue\":\"2.12.1\"}},"
            "{\"key\":\"process.pid\",\"value\":{\"intValue\":4242}}],"
            "\"droppedAttributesCount\":0},\"scopeSpans\":[");
    for (int s = 0; s < 2; s++) {
        putf(b, "%s{\"scope\":{\"name\":\"%s\",\"version\":\"%s\"},\"spans\":[", s ? "," : "",
             s ? "pg" : "@opentelemetry/instrumentation-http", s ? "8.11.3" : "0.57.0");
        for (int i = s * SPANS / 2; i < (s + 1) * SPANS / 2; i++) {
            char id[33];
            for (int k = 0; k < 16; k++)
                snprintf(id + 2 * k, 3, "%02x", (uint8_t)(i * 31 + k * 7));
            putf(b,
                 "%s{\"traceId\":\"%s\",\"spanId\":\"%.16s\",\"parentSpanId\":\"%.16s\","
                 "\"name\":\"%s %s\",\"kind\":2,\"startTimeUnixNano\":\"%llu\","
                 "\"endTimeUnixNano\":\"%llu\",\"attributes\":[",
                 i > s * SPANS / 2 ? "," : "", id, id + 16, id + 8, i % 3 ? "GET" : "POST",
                 routes[i % 5], (unsigned long long)span_start(i), (unsigned long long)span_end(i));
            putf(b,
                 "{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"%s\"}},"
                 "{\"key\":\"http.route\",\"value\":{\"stringValue\":\"%s\"}},"
                 "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":200}},"
                 "{\"key\":\"url.path\",\"value\":{\"stringValue\":\"/api/items/12345\"}}],"
                 "\"droppedAttributesCount\":0,\"events\":[",
                 i % 3 ? "GET" : "POST", routes[i % 5]);
            if (i % 8 == 0)
                putf(b,
                     "{\"attributes\":[{\"key\":\"attempt\",\"value\":{\"intValue\":1}}],"
                     "\"name\":\"retry\",\"timeUnixNano\":\"%llu\",\"droppedAttributesCount\":0}",
                     (unsigned long long)(span_start(i) + 1000));
            putf(b, "],\"droppedEventsCount\":0,\"status\":{\"code\":0},\"links\":[],"
                    "\"droppedLinksCount\":0,\"flags\":257}");
        }
        putf(b, "]}");
    }
    putf(b, "]}]}");
}

typedef struct sum {
    uint64_t total_ns;
    size_t count;
} sum_t;

static void sum_fn(void *ctx, const otlp_span_t *s)
{
    sum_t *sum = ctx;
    sum->total_ns += s->end_ns - s->start_ns + s->name.n + s->service.n;
    sum->count++;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef enum bench_mode { MODE_PB, MODE_PB_VALIDATE, MODE_JSON } bench_mode_t;

/* Spans per second of one run; *check gets the last run's sums. */
static double run(bench_mode_t mode, const buf_t *b, sum_t *check)
{
    size_t reps = 0, n = 0;
    double t0 = now_s(), t;
    do {
        sum_t sum = {0, 0};
        otlp_error_t err;
        int rc;
        if (mode == MODE_JSON)
            rc = otlp_traces_decode_json((const char *)b->p, b->n, sum_fn, &sum, &n, &err);
        else
            rc = otlp_traces_decode_pb(b->p, b->n, mode == MODE_PB ? sum_fn : NULL, &sum, &n, &err);
        if (rc != 0 || n != SPANS) {
            fprintf(stderr, "bench request refused: %s at %zu\n", err.message, err.offset);
            exit(1);
        }
        *check = sum;
        reps++;
    } while ((t = now_s() - t0) < RUN_SECONDS);
    return (double)SPANS * (double)reps / t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(bench_mode_t mode, const buf_t *b, sum_t *check)
{
    double v[RUNS];
    for (int i = 0; i < RUNS; i++)
        v[i] = run(mode, b, check);
    qsort(v, RUNS, sizeof v[0], cmp_double);
    return v[RUNS / 2];
}

int main(void)
{
    buf_t pb = {0}, js = {0};
    make_pb(&pb);
    make_json(&js);
    sum_t a, b, c;
    double pb_rate = median(MODE_PB, &pb, &a);
    double val_rate = median(MODE_PB_VALIDATE, &pb, &c);
    double js_rate = median(MODE_JSON, &js, &b);
    printf("request: %d spans, %zu bytes protobuf (%.0f B/span), %zu bytes JSON\n", SPANS, pb.n,
           (double)pb.n / SPANS, js.n);
    printf("otlp pb: %.2fM spans/s, %.0f MB/s (median of %d)\n", pb_rate / 1e6,
           pb_rate * (double)pb.n / SPANS / 1e6, RUNS);
    printf("otlp pb validate only: %.2fM spans/s (median of %d)\n", val_rate / 1e6, RUNS);
    printf("otlp json: %.2fM spans/s, %.0f MB/s (median of %d)\n", js_rate / 1e6,
           js_rate * (double)js.n / SPANS / 1e6, RUNS);
    free(pb.p);
    free(js.p);
    /* Both encodings must have given the same spans. */
    if (a.count != SPANS || b.count != SPANS || a.total_ns != b.total_ns) {
        fprintf(stderr, "mismatch: pb %zu spans (%llu), json %zu spans (%llu)\n", a.count,
                (unsigned long long)a.total_ns, b.count, (unsigned long long)b.total_ns);
        return 1;
    }
    printf("target pb >= 5M spans/s: %s\n", pb_rate >= 5e6 ? "met" : "NOT met");
    return 0;
}
