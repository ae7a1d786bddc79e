/* otlp_trace.c - the decoder of OTLP trace export requests (see otlp_trace.h).
 *
 * Both encodings run the same plan: one walk function per message level,
 * called twice. Pass 1 (no callback) validates the whole request, counts
 * the spans and, for JSON, measures the scratch space escapes will need;
 * only if it passes does pass 2 walk the same bytes again and call fn. Pass
 * 2 runs the very code pass 1 accepted, so it cannot fail.
 *
 * The service of a ResourceSpans must be known before its spans are handed
 * out, and nothing orders "resource" before "scope_spans" (both encodings
 * allow any field order). Protobuf: each ResourceSpans is read twice, first
 * for its resource, then for its scope spans; stepping over a LEN field is
 * O(1), so that costs nothing. JSON: stepping over a value means scanning
 * it, so pass 1 notes whether any ResourceSpans has a "resource" after a
 * "scopeSpans"; only then does pass 2 read each ResourceSpans twice.
 *
 * JSON is walked by a small hand-written scanner rather than cJSON: spans
 * come out as slices of the input (no tree, no copies), 64-bit times are
 * read exactly from their digits (cJSON only has doubles), "\u0000" inside
 * a name survives (cJSON's C strings would cut it), and memory stays O(1)
 * besides the scratch for escaped strings. Skipping an unknown value is a
 * loop with an explicit 64-bit stack of container kinds, never recursion.
 */
#include "otlp_trace.h"

#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/xmalloc.h"
#include "otlp_json.h"
#include "pb.h"

#define OTLP_SERVICE_NAME "service.name"

/* ---------------------------------------------------------------------- */
/* Protobuf                                                                */
/* ---------------------------------------------------------------------- */

/* Which message the reader was in when a wire error happened. */
typedef enum otlp_in {
    OTLP_IN_REQUEST,
    OTLP_IN_RESOURCE_SPANS,
    OTLP_IN_SCOPE_SPANS,
    OTLP_IN_SPAN,
    OTLP_IN_COUNT
} otlp_in_t;

static const char *const otlp_pb_messages[OTLP_IN_COUNT][PB_ERR_COUNT] = {
    [OTLP_IN_REQUEST] = OTLP_PB_ROW("ExportTraceServiceRequest"),
    [OTLP_IN_RESOURCE_SPANS] = OTLP_PB_ROW("ResourceSpans"),
    [OTLP_IN_SCOPE_SPANS] = OTLP_PB_ROW("ScopeSpans"),
    [OTLP_IN_SPAN] = OTLP_PB_ROW("Span"),
};

/* The state of one protobuf walk. fn == NULL in pass 1. */
typedef struct otlp_pb {
    otlp_pbd_t e;
    otlp_span_fn fn;
    void *ctx;
    size_t n_spans;
} otlp_pb_t;

/* A wire error of reader r, inside message `in`. */
static int tp_fail(otlp_pb_t *d, const pb_reader_t *r, otlp_in_t in)
{
    return otlp_pb_fail(&d->e, r, otlp_pb_messages[in]);
}

/* A known field f of reader r with the wrong wire type. */
static int tp_wrong(otlp_pb_t *d, const pb_reader_t *r, const pb_field_t *f, const char *msg)
{
    return otlp_pb_wrong(&d->e, r, f, msg);
}

/* Level 3: Span. The hot loop of the whole decoder. */
static int otlp_pb_span(otlp_pb_t *d, pb_reader_t *r, otlp_span_t *s)
{
    pb_field_t f;
    int rc;
    s->name = slice_make(otlp_nothing, 0);
    s->start_ns = 0;
    s->end_ns = 0;
    while ((rc = pb_next(r, &f)) > 0) {
        switch (f.number) {
        case 5:
            if (f.wire != PB_LEN)
                return tp_wrong(d, r, &f, "Span.name: wire type is not 2 (length-delimited)");
            s->name = otlp_pb_slice(&f);
            break;
        case 7:
            if (f.wire != PB_I64)
                return tp_wrong(d, r, &f,
                                "Span.start_time_unix_nano: wire type is not 1 (fixed64)");
            s->start_ns = f.u64;
            break;
        case 8:
            if (f.wire != PB_I64)
                return tp_wrong(d, r, &f, "Span.end_time_unix_nano: wire type is not 1 (fixed64)");
            s->end_ns = f.u64;
            break;
        default:
            break; /* skipped */
        }
    }
    return rc < 0 ? tp_fail(d, r, OTLP_IN_SPAN) : 0;
}

/* Level 2: ScopeSpans; hands out its spans in pass 2. */
static int otlp_pb_scope_spans(otlp_pb_t *d, pb_reader_t *r, const otlp_service_t *svc)
{
    pb_field_t f;
    pb_reader_t sub;
    int rc;
    while ((rc = pb_next(r, &f)) > 0) {
        if (f.number != 2)
            continue;
        if (f.wire != PB_LEN)
            return tp_wrong(d, r, &f, "ScopeSpans.spans: wire type is not 2 (length-delimited)");
        otlp_span_t span;
        pb_sub(r, &f, &sub);
        if (otlp_pb_span(d, &sub, &span) != 0)
            return SPIDER_EINVAL;
        d->n_spans++;
        if (d->fn) {
            span.service = svc->value;
            d->fn(d->ctx, &span);
        }
    }
    return rc < 0 ? tp_fail(d, r, OTLP_IN_SCOPE_SPANS) : 0;
}

/* Level 1: ResourceSpans, read twice: its resource(s), then its scope spans. */
static int otlp_pb_resource_spans(otlp_pb_t *d, const pb_reader_t *r)
{
    otlp_service_t svc = {0, 0, slice_make(otlp_nothing, 0), slice_make(otlp_nothing, 0)};
    pb_field_t f;
    pb_reader_t a = *r, b = *r, sub;
    int rc;
    while ((rc = pb_next(&a, &f)) > 0) {
        if (f.number == 1) {
            if (f.wire != PB_LEN)
                return tp_wrong(d, &a, &f,
                                "ResourceSpans.resource: wire type is not 2 (length-delimited)");
            pb_sub(&a, &f, &sub);
            if (otlp_pb_resource(&d->e, &sub, &svc) != 0)
                return SPIDER_EINVAL;
        } else if (f.number == 2 && f.wire != PB_LEN) {
            return tp_wrong(d, &a, &f,
                            "ResourceSpans.scope_spans: wire type is not 2 (length-delimited)");
        }
    }
    if (rc < 0)
        return tp_fail(d, &a, OTLP_IN_RESOURCE_SPANS);
    /* The first loop checked every field of this message: this one only
     * meets well-formed fields. */
    while (pb_next(&b, &f) > 0) {
        if (f.number != 2)
            continue;
        pb_sub(&b, &f, &sub);
        if (otlp_pb_scope_spans(d, &sub, &svc) != 0)
            return SPIDER_EINVAL;
    }
    return 0;
}

/* Level 0: ExportTraceServiceRequest. */
static int otlp_pb_request(otlp_pb_t *d, pb_reader_t *r)
{
    pb_field_t f;
    pb_reader_t sub;
    int rc;
    while ((rc = pb_next(r, &f)) > 0) {
        if (f.number != 1)
            continue;
        if (f.wire != PB_LEN)
            return tp_wrong(
                d, r, &f,
                "ExportTraceServiceRequest.resource_spans: wire type is not 2 (length-delimited)");
        pb_sub(r, &f, &sub);
        if (otlp_pb_resource_spans(d, &sub) != 0)
            return SPIDER_EINVAL;
    }
    return rc < 0 ? tp_fail(d, r, OTLP_IN_REQUEST) : 0;
}

int otlp_traces_decode_pb(const uint8_t *p, size_t n, otlp_span_fn fn, void *ctx, size_t *n_spans,
                          otlp_error_t *err)
{
    otlp_pb_t d = {{0, NULL}, NULL, NULL, 0};
    pb_reader_t r;
    pb_reader_init(&r, p, n);
    if (n_spans)
        *n_spans = 0;
    if (otlp_pb_request(&d, &r) != 0) {
        if (err) {
            err->offset = d.e.err_offset;
            err->message = d.e.err_msg;
        }
        return SPIDER_EINVAL;
    }
    size_t count = d.n_spans;
    if (fn) {
        d.fn = fn;
        d.ctx = ctx;
        d.n_spans = 0;
        pb_reader_init(&r, p, n);
        (void)otlp_pb_request(&d, &r); /* pass 1 accepted these very bytes */
    }
    if (n_spans)
        *n_spans = count;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* JSON (the scanner is otlp_json.h's)                                     */
/* ---------------------------------------------------------------------- */

/* The state of one JSON walk. fn == NULL in pass 1. */
typedef struct otj {
    oj_t j;
    otlp_span_fn fn;
    void *ctx;
    size_t n_spans;
    int late_resource;  /* pass 1 found a "resource" after a "scopeSpans" */
    size_t name_max;    /* pass 1: longest escaped span name, raw bytes */
    size_t service_max; /* pass 1: longest escaped service name, raw bytes */
    char *name_buf;     /* pass 2: name_max bytes of scratch */
    char *service_buf;  /* pass 2: service_max bytes of scratch */
} otj_t;

/* The service of one ResourceSpans, JSON side. */
typedef struct oj_service {
    int found;
    oj_str_t value; /* n == 0 unless the attribute's value is a string */
    slice_t out;    /* pass 2: value decoded */
} oj_service_t;

static int tj_resource(otj_t *j, oj_service_t *svc)
{
    int rc = oj_null_or(&j->j, '{', "ResourceSpans.resource: not an object");
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (oj_enter(&j->j) != 0)
        return SPIDER_EINVAL;
    int first = 1;
    oj_str_t k;
    while ((rc = oj_member(&j->j, &first, &k)) > 0) {
        if (!oj_is(&k, "attributes")) {
            if (oj_skip(&j->j) != 0)
                return SPIDER_EINVAL;
            continue;
        }
        rc = oj_null_or(&j->j, '[', "Resource.attributes: not an array");
        if (rc < 0)
            return rc;
        if (rc == 1)
            continue;
        if (oj_enter(&j->j) != 0)
            return SPIDER_EINVAL;
        int first_attr = 1;
        while ((rc = oj_element(&j->j, &first_attr)) > 0) {
            if (*j->j.p != '{')
                return oj_fail(&j->j, j->j.p, "Resource.attributes: an element is not an object");
            oj_str_t key;
            oj_value_t value;
            if (oj_key_value(&j->j, &key, &value) != 0)
                return SPIDER_EINVAL;
            if (!svc->found && oj_is(&key, OTLP_SERVICE_NAME)) {
                svc->found = 1;
                if (value.kind == OTLP_VALUE_STRING)
                    svc->value = value.str;
                if (!j->fn && svc->value.escaped && svc->value.n > j->service_max)
                    j->service_max = svc->value.n;
                if (j->fn && svc->value.escaped)
                    svc->out = slice_make(j->service_buf,
                                          oj_decode(&svc->value, j->service_buf, j->service_max));
                else if (svc->value.n)
                    svc->out = slice_make(svc->value.p, svc->value.n);
            }
        }
        if (rc < 0)
            return rc;
    }
    return rc;
}

/* One of the two time fields of a span. */
static int tj_span_time(otj_t *j, uint64_t *v, int end)
{
    if (end)
        return oj_u64(&j->j, v, "Span.endTimeUnixNano: not a number or a string",
                      "Span.endTimeUnixNano: not an integer from 0 to 2^64-1");
    return oj_u64(&j->j, v, "Span.startTimeUnixNano: not a number or a string",
                  "Span.startTimeUnixNano: not an integer from 0 to 2^64-1");
}

/* Span: counted in pass 1, handed out in pass 2. */
static int tj_span(otj_t *j, const oj_service_t *svc)
{
    oj_str_t name = {otlp_nothing, 0, 0};
    otlp_span_t span = {slice_make(otlp_nothing, 0), svc->out, 0, 0};
    int first = 1, rc;
    oj_str_t k;
    if (oj_enter(&j->j) != 0)
        return SPIDER_EINVAL;
    while ((rc = oj_member(&j->j, &first, &k)) > 0) {
        if (oj_is(&k, "name"))
            rc = oj_string_or_null(&j->j, &name, "Span.name: not a string");
        else if (oj_is(&k, "startTimeUnixNano"))
            rc = tj_span_time(j, &span.start_ns, 0);
        else if (oj_is(&k, "endTimeUnixNano"))
            rc = tj_span_time(j, &span.end_ns, 1);
        else
            rc = oj_skip(&j->j);
        if (rc != 0)
            return SPIDER_EINVAL;
    }
    if (rc < 0)
        return rc;
    j->n_spans++;
    if (!j->fn) {
        if (name.escaped && name.n > j->name_max)
            j->name_max = name.n;
        return 0;
    }
    if (name.escaped)
        span.name = slice_make(j->name_buf, oj_decode(&name, j->name_buf, j->name_max));
    else if (name.n)
        span.name = slice_make(name.p, name.n);
    j->fn(j->ctx, &span);
    return 0;
}

/* ScopeSpans: its spans. */
static int tj_scope_spans(otj_t *j, const oj_service_t *svc)
{
    int first = 1, rc;
    oj_str_t k;
    if (oj_enter(&j->j) != 0)
        return SPIDER_EINVAL;
    while ((rc = oj_member(&j->j, &first, &k)) > 0) {
        if (!oj_is(&k, "spans")) {
            if (oj_skip(&j->j) != 0)
                return SPIDER_EINVAL;
            continue;
        }
        rc = oj_null_or(&j->j, '[', "ScopeSpans.spans: not an array");
        if (rc < 0)
            return rc;
        if (rc == 1)
            continue;
        if (oj_enter(&j->j) != 0)
            return SPIDER_EINVAL;
        int first_span = 1;
        while ((rc = oj_element(&j->j, &first_span)) > 0) {
            if (*j->j.p != '{')
                return oj_fail(&j->j, j->j.p, "ScopeSpans.spans: an element is not an object");
            if (tj_span(j, svc) != 0)
                return SPIDER_EINVAL;
        }
        if (rc < 0)
            return rc;
    }
    return rc;
}

/* What of a ResourceSpans to read on one walk over its members. */
enum { OJ_RESOURCE = 1, OJ_SCOPE_SPANS = 2 };

/* The members of a ResourceSpans (j->j.p at its '{'); what is not in `read`
 * is skipped. */
static int tj_resource_spans_members(otj_t *j, oj_service_t *svc, int read)
{
    int first = 1, rc, seen_scope_spans = 0;
    oj_str_t k;
    if (oj_enter(&j->j) != 0)
        return SPIDER_EINVAL;
    while ((rc = oj_member(&j->j, &first, &k)) > 0) {
        if ((read & OJ_RESOURCE) && oj_is(&k, "resource")) {
            if (seen_scope_spans)
                j->late_resource = 1;
            rc = tj_resource(j, svc);
        } else if ((read & OJ_SCOPE_SPANS) && oj_is(&k, "scopeSpans")) {
            seen_scope_spans = 1;
            rc = oj_null_or(&j->j, '[', "ResourceSpans.scopeSpans: not an array");
            if (rc == 0) {
                if (oj_enter(&j->j) != 0)
                    return SPIDER_EINVAL;
                int first_scope = 1;
                while ((rc = oj_element(&j->j, &first_scope)) > 0) {
                    if (*j->j.p != '{')
                        return oj_fail(&j->j, j->j.p,
                                       "ResourceSpans.scopeSpans: an element is not an object");
                    if (tj_scope_spans(j, svc) != 0)
                        return SPIDER_EINVAL;
                }
            }
            rc = rc < 0 ? rc : 0;
        } else {
            rc = oj_skip(&j->j);
        }
        if (rc != 0)
            return SPIDER_EINVAL;
    }
    return rc;
}

/* A ResourceSpans (j->j.p at its '{'). Pass 2 reads it twice if some
 * "resource" came after a "scopeSpans" (see the top of the file). */
static int tj_resource_spans(otj_t *j)
{
    oj_service_t svc = {0, {otlp_nothing, 0, 0}, {otlp_nothing, 0}};
    if (!j->fn || !j->late_resource)
        return tj_resource_spans_members(j, &svc, OJ_RESOURCE | OJ_SCOPE_SPANS);
    const char *start = j->j.p;
    if (tj_resource_spans_members(j, &svc, OJ_RESOURCE) != 0)
        return SPIDER_EINVAL;
    j->j.p = start;
    return tj_resource_spans_members(j, &svc, OJ_SCOPE_SPANS);
}

/* ExportTraceServiceRequest: the whole input. */
static int tj_request(otj_t *j)
{
    oj_ws(&j->j);
    if (j->j.p == j->j.end || *j->j.p != '{')
        return oj_fail(&j->j, j->j.p, "the top level is not a JSON object");
    if (oj_enter(&j->j) != 0)
        return SPIDER_EINVAL;
    int first = 1, rc;
    oj_str_t k;
    while ((rc = oj_member(&j->j, &first, &k)) > 0) {
        if (!oj_is(&k, "resourceSpans")) {
            if (oj_skip(&j->j) != 0)
                return SPIDER_EINVAL;
            continue;
        }
        rc = oj_null_or(&j->j, '[', "ExportTraceServiceRequest.resourceSpans: not an array");
        if (rc < 0)
            return rc;
        if (rc == 1)
            continue;
        if (oj_enter(&j->j) != 0)
            return SPIDER_EINVAL;
        int first_rs = 1;
        while ((rc = oj_element(&j->j, &first_rs)) > 0) {
            if (*j->j.p != '{')
                return oj_fail(&j->j, j->j.p,
                               "ExportTraceServiceRequest.resourceSpans: an element is not an "
                               "object");
            if (tj_resource_spans(j) != 0)
                return SPIDER_EINVAL;
        }
        if (rc < 0)
            return rc;
    }
    if (rc < 0)
        return rc;
    return oj_finish(&j->j);
}

int otlp_traces_decode_json(const char *p, size_t n, otlp_span_fn fn, void *ctx, size_t *n_spans,
                            otlp_error_t *err)
{
    otj_t j;
    memset(&j, 0, sizeof j);
    oj_start(&j.j, p, n);
    if (n_spans)
        *n_spans = 0;
    if (tj_request(&j) != 0) {
        if (err) {
            err->offset = (size_t)(j.j.err_at - j.j.base);
            err->message = j.j.err_msg;
        }
        return SPIDER_EINVAL;
    }
    size_t count = j.n_spans;
    if (fn) {
        /* Scratch for escaped strings: the longest name plus the longest
         * service, raw bytes (decoding never lengthens). */
        char stack[512];
        char *heap = NULL, *scratch = stack;
        size_t name_max = j.name_max, service_max = j.service_max;
        int late = j.late_resource;
        if (name_max + service_max > sizeof stack)
            scratch = heap = xmalloc(name_max + service_max);
        oj_start(&j.j, p, n);
        j.fn = fn;
        j.ctx = ctx;
        j.late_resource = late;
        j.name_max = name_max;
        j.service_max = service_max;
        j.name_buf = scratch;
        j.service_buf = scratch + name_max;
        (void)tj_request(&j); /* pass 1 accepted these very bytes */
        free(heap);
    }
    if (n_spans)
        *n_spans = count;
    return 0;
}
