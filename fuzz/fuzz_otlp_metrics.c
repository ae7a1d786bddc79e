/* fuzz_otlp_metrics.c - libFuzzer target for the OTLP metrics decoders.
 *
 * Every input goes to both decoders (protobuf and JSON); any violated
 * invariant aborts (a crash for libFuzzer and for the corpus replay in the
 * tests). The input comes in an exact-size buffer, so ASan catches a read
 * past it. It checks that:
 *   - the input is never written;
 *   - a refused input made no callback, reports zeroed stats, and has a
 *     message and an offset inside the input;
 *   - an accepted input made exactly stats.histogram_points callbacks, with
 *     the same stats as validate-only (fn == NULL), and the same points when
 *     decoded again;
 *   - every point keeps the limits (arrays at most OTLP_METRICS_MAX_*; `over`
 *     when one was reached), and protobuf slices of text lie inside the
 *     input (attribute values written as numbers excepted);
 *   - round trip: the points of an accepted protobuf request, written out
 *     here as OTLP/JSON (one ResourceMetrics per point, every attribute as
 *     a stringValue of its text, 64-bit integers as strings, doubles with
 *     17 digits or as "NaN"/"Infinity"), decode (JSON) to the same points.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "ingest/otlp_metrics.h"

#include "fuzz_bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void putf(bytes_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(bytes_t *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    CHECK(n >= 0 && (size_t)n < sizeof tmp);
    put(b, tmp, (size_t)n);
}

/* A JSON string of any bytes: quotes, backslashes and control bytes
 * escaped, everything else raw (the decoder does not check UTF-8). */
static void put_string(bytes_t *b, slice_t s)
{
    puts_(b, "\"");
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == '"' || c == '\\')
            putf(b, "\\%c", c);
        else if (c < 0x20)
            putf(b, "\\u%04x", c);
        else
            put(b, &s.p[i], 1);
    }
    puts_(b, "\"");
}

static void put_double(bytes_t *b, double v)
{
    if (isnan(v))
        putf(b, "\"NaN\"");
    else if (isinf(v))
        putf(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    else
        putf(b, "%.17g", v);
}

/* Every point handed out, flattened to bytes: field by field comparable. */
typedef struct rec {
    bytes_t flat;
    size_t points;
    const char *lo, *hi; /* the input */
    int from_pb;
    int any_over; /* a point was cut short by a limit */
    bytes_t json; /* from_pb: the points written out as OTLP/JSON */
} rec_t;

static void flat_slice(rec_t *r, slice_t s)
{
    put(&r->flat, &s.n, sizeof s.n);
    put(&r->flat, s.p, s.n);
}

/* A slice the protobuf decoder hands out points into the input. */
static void inside(const rec_t *r, slice_t s)
{
    CHECK(s.p != NULL);
    if (r->from_pb)
        CHECK(s.n == 0 || (s.p >= r->lo && s.p + s.n <= r->hi));
    else
        CHECK(s.n <= (size_t)(r->hi - r->lo));
}

static void write_json(rec_t *r, const otlp_hist_point_t *p)
{
    bytes_t *b = &r->json;
    int exp = p->kind == OTLP_HIST_EXPONENTIAL;
    puts_(b, b->n ? "," : "{\"resourceMetrics\":[");
    puts_(b, "{\"resource\":{\"attributes\":[");
    /* An empty service was absent or not a string: leave it out. */
    if (p->service.n) {
        puts_(b, "{\"key\":\"service.name\",\"value\":{\"stringValue\":");
        put_string(b, p->service);
        puts_(b, "}}");
    }
    if (p->instance.n) {
        puts_(b, p->service.n ? "," : "");
        puts_(b, "{\"key\":\"service.instance.id\",\"value\":{\"stringValue\":");
        put_string(b, p->instance);
        puts_(b, "}}");
    }
    puts_(b, "]},\"scopeMetrics\":[{\"metrics\":[{\"name\":");
    put_string(b, p->metric);
    puts_(b, ",\"unit\":");
    put_string(b, p->unit);
    putf(b, ",\"%s\":{\"aggregationTemporality\":%lld,\"dataPoints\":[{",
         exp ? "exponentialHistogram" : "histogram", (long long)p->temporality);
    putf(b, "\"startTimeUnixNano\":\"%llu\",\"timeUnixNano\":\"%llu\",\"count\":\"%llu\"",
         (unsigned long long)p->start_ns, (unsigned long long)p->time_ns,
         (unsigned long long)p->count);
    putf(b, ",\"flags\":%llu", (unsigned long long)p->flags);
    const double *opt[3] = {p->has_sum ? &p->sum : NULL, p->has_min ? &p->min : NULL,
                            p->has_max ? &p->max : NULL};
    static const char *const opt_key[3] = {"sum", "min", "max"};
    for (int i = 0; i < 3; i++)
        if (opt[i]) {
            putf(b, ",\"%s\":", opt_key[i]);
            put_double(b, *opt[i]);
        }
    puts_(b, ",\"attributes\":[");
    for (size_t i = 0; i < p->n_attrs; i++) {
        puts_(b, i ? ",{\"key\":" : "{\"key\":");
        put_string(b, p->attrs[i].key);
        puts_(b, ",\"value\":{\"stringValue\":");
        put_string(b, p->attrs[i].value);
        puts_(b, "}}");
    }
    puts_(b, "]");
    puts_(b, exp ? ",\"positive\":{\"bucketCounts\":[" : ",\"bucketCounts\":[");
    for (size_t i = 0; i < p->n_counts; i++)
        putf(b, "%s\"%llu\"", i ? "," : "", (unsigned long long)p->counts[i]);
    puts_(b, "]");
    if (exp) {
        putf(b, ",\"offset\":%lld},\"scale\":%lld,\"zeroCount\":\"%llu\",\"zeroThreshold\":",
             (long long)p->offset, (long long)p->scale, (unsigned long long)p->zero_count);
        put_double(b, p->zero_threshold);
        putf(b, ",\"negative\":{\"bucketCounts\":[\"%llu\"]}",
             (unsigned long long)p->negative_count);
    } else {
        puts_(b, ",\"explicitBounds\":[");
        for (size_t i = 0; i < p->n_bounds; i++) {
            puts_(b, i ? "," : "");
            put_double(b, p->bounds[i]);
        }
        puts_(b, "]");
    }
    puts_(b, "}]}}]}]}");
}

static void record(void *ctx, const otlp_hist_point_t *p)
{
    rec_t *r = ctx;
    CHECK(p->n_counts <= OTLP_METRICS_MAX_BUCKETS && p->n_bounds <= OTLP_METRICS_MAX_BUCKETS);
    CHECK(p->n_attrs <= OTLP_METRICS_MAX_ATTRS);
    CHECK(p->kind == OTLP_HIST_EXPLICIT || p->n_bounds == 0);
    if (p->over)
        CHECK(p->n_counts == OTLP_METRICS_MAX_BUCKETS || p->n_bounds == OTLP_METRICS_MAX_BUCKETS ||
              p->n_attrs == OTLP_METRICS_MAX_ATTRS);
    inside(r, p->service);
    inside(r, p->instance);
    inside(r, p->metric);
    inside(r, p->unit);
    flat_slice(r, p->service);
    flat_slice(r, p->instance);
    flat_slice(r, p->metric);
    flat_slice(r, p->unit);
    uint64_t fixed[] = {p->kind,
                        (uint64_t)p->temporality,
                        p->start_ns,
                        p->time_ns,
                        p->count,
                        p->flags,
                        (uint64_t)p->scale,
                        (uint64_t)p->offset,
                        p->zero_count,
                        p->negative_count,
                        (uint64_t)p->has_sum,
                        (uint64_t)p->has_min,
                        (uint64_t)p->has_max,
                        (uint64_t)p->over};
    put(&r->flat, fixed, sizeof fixed);
    /* doubles by value, NaN as one value (its bits may change through text) */
    double d[4] = {p->has_sum ? p->sum : 0, p->has_min ? p->min : 0, p->has_max ? p->max : 0,
                   p->zero_threshold};
    for (int i = 0; i < 4; i++) {
        if (isnan(d[i]))
            d[i] = NAN;
        if (d[i] == 0)
            d[i] = 0; /* -0 and 0 */
    }
    put(&r->flat, d, sizeof d);
    put(&r->flat, &p->n_counts, sizeof p->n_counts);
    put(&r->flat, p->counts, p->n_counts * sizeof *p->counts);
    put(&r->flat, &p->n_bounds, sizeof p->n_bounds);
    for (size_t i = 0; i < p->n_bounds; i++) {
        double v = isnan(p->bounds[i]) ? NAN : p->bounds[i] == 0 ? 0 : p->bounds[i];
        put(&r->flat, &v, sizeof v);
    }
    for (size_t i = 0; i < p->n_attrs; i++) {
        inside(r, p->attrs[i].key);
        CHECK(p->attrs[i].value.p != NULL);
        flat_slice(r, p->attrs[i].key);
        flat_slice(r, p->attrs[i].value);
    }
    r->points++;
    r->any_over |= p->over;
    if (r->from_pb)
        write_json(r, p);
}

static void rec_free(rec_t *r)
{
    free(r->flat.p);
    free(r->json.p);
}

/* Decodes (p, n) with one decoder and checks the invariants; fills *r. */
static int run(int json, const uint8_t *p, size_t n, rec_t *r)
{
    otlp_metrics_stats_t st, st2;
    otlp_error_t err = {99999, NULL};
    memset(r, 0, sizeof *r);
    r->lo = (const char *)p;
    r->hi = (const char *)p + n;
    r->from_pb = !json;
    int rc = json ? otlp_metrics_decode_json((const char *)p, n, record, r, &st, &err)
                  : otlp_metrics_decode_pb(p, n, record, r, &st, &err);
    int rc2 = json ? otlp_metrics_decode_json((const char *)p, n, NULL, NULL, &st2, NULL)
                   : otlp_metrics_decode_pb(p, n, NULL, NULL, &st2, NULL);
    CHECK(rc == rc2);
    CHECK(memcmp(&st, &st2, sizeof st) == 0);
    if (rc != 0) {
        otlp_metrics_stats_t zero;
        memset(&zero, 0, sizeof zero);
        CHECK(rc == SPIDER_EINVAL && r->points == 0 && err.message != NULL && err.offset <= n);
        CHECK(memcmp(&st, &zero, sizeof st) == 0);
        return rc;
    }
    CHECK(r->points == st.histogram_points);
    rec_t again;
    memset(&again, 0, sizeof again);
    again.lo = r->lo;
    again.hi = r->hi;
    again.from_pb = 0; /* no second JSON copy */
    CHECK((json ? otlp_metrics_decode_json((const char *)p, n, record, &again, NULL, NULL)
                : otlp_metrics_decode_pb(p, n, record, &again, NULL, NULL)) == 0);
    CHECK(again.flat.n == r->flat.n &&
          (r->flat.n == 0 || memcmp(again.flat.p, r->flat.p, r->flat.n) == 0));
    rec_free(&again);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1), *orig = malloc(size ? size : 1);
    CHECK(copy && orig);
    memcpy(copy, data, size);
    memcpy(orig, data, size);
    rec_t pb, js;
    /* A point cut short by a limit cannot be written out whole: the round
     * trip is for requests within the limits. */
    if (run(0, copy, size, &pb) == 0 && pb.json.n && !pb.any_over) {
        puts_(&pb.json, "]}");
        rec_t back;
        char *text = malloc(pb.json.n);
        CHECK(text);
        memcpy(text, pb.json.p, pb.json.n);
        CHECK(run(1, (const uint8_t *)text, pb.json.n, &back) == 0);
        CHECK(back.points == pb.points);
        CHECK(back.flat.n == pb.flat.n &&
              memcmp(back.flat.p, pb.flat.p, pb.flat.n) == 0); /* n > 0 */
        rec_free(&back);
        free(text);
    }
    rec_free(&pb);
    (void)run(1, copy, size, &js);
    rec_free(&js);
    CHECK(memcmp(copy, orig, size) == 0);
    free(copy);
    free(orig);
    return 0;
}
