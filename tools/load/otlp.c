/* otlp.c - OTLP/HTTP trace requests and answers (see otlp.h).
 *
 * Field numbers and wire types are those of opentelemetry-proto
 * (trace/v1/trace.proto, resource/v1/resource.proto, common/v1/common.proto,
 * collector/trace/v1/trace_service.proto).
 */
#include "otlp.h"

#include <stdio.h>

#include "core/error.h"
#include "pbwrite.h"

/* ExportTraceServiceRequest */
#define F_REQ_RESOURCE_SPANS 1
/* ResourceSpans */
#define F_RS_RESOURCE    1
#define F_RS_SCOPE_SPANS 2
/* Resource */
#define F_RES_ATTRIBUTES 1
/* KeyValue, AnyValue */
#define F_KV_KEY         1
#define F_KV_VALUE       2
#define F_ANY_STRING     1
#define F_SCOPE_NAME     1
#define F_SS_SCOPE       1
#define F_SS_SPANS       2
#define F_SPAN_TRACE_ID  1
#define F_SPAN_SPAN_ID   2
#define F_SPAN_NAME      5
#define F_SPAN_KIND      6
#define F_SPAN_START     7
#define F_SPAN_END       8
#define SPAN_KIND_SERVER 2
/* ExportTraceServiceResponse, ExportTracePartialSuccess */
#define F_RESP_PARTIAL_SUCCESS 1
#define F_PS_REJECTED_SPANS    1

/* splitmix64: a well-mixed 64-bit value from a counter. */
static uint64_t otlp_mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static void otlp_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

uint64_t otlp_span_duration_ns(uint64_t seq, int k)
{
    uint64_t c = seq * 1000003u + (uint64_t)k;
    uint64_t ms = 1 + (c * 7919u) % 499u; /* 1 .. 499 */
    uint64_t us = (c * 104729u) % 1000u;  /* + 0 .. 0.999 ms */
    return ms * 1000000u + us * 1000u;
}

static void otlp_span(buf_t *b, uint64_t seed, uint64_t seq, int k, int name, uint64_t now_ns)
{
    uint8_t trace_id[16], span_id[8];
    uint64_t base = otlp_mix(seed ^ otlp_mix(seq)) + (uint64_t)k * 0x632BE59BD9B4E019ull;
    uint64_t hi = otlp_mix(base), lo = otlp_mix(hi ^ 0x5350494445524C44ull) | 1;
    otlp_put64(trace_id, hi);
    otlp_put64(trace_id + 8, lo);
    otlp_put64(span_id, otlp_mix(lo) | 1);
    char nm[24];
    int nlen = snprintf(nm, sizeof nm, "op%d", name);
    uint64_t dur = otlp_span_duration_ns(seq, k);

    size_t m = pbwrite_begin(b, F_SS_SPANS);
    pbwrite_bytes(b, F_SPAN_TRACE_ID, trace_id, sizeof trace_id);
    pbwrite_bytes(b, F_SPAN_SPAN_ID, span_id, sizeof span_id);
    pbwrite_bytes(b, F_SPAN_NAME, nm, (size_t)nlen);
    pbwrite_uint(b, F_SPAN_KIND, SPAN_KIND_SERVER);
    pbwrite_fixed64(b, F_SPAN_START, now_ns - dur);
    pbwrite_fixed64(b, F_SPAN_END, now_ns);
    pbwrite_end(b, m);
}

void otlp_build(buf_t *b, const otlp_shape_t *s, uint64_t seed, uint64_t seq, uint64_t now_ns)
{
    int groups = s->services < s->spans ? s->services : s->spans;
    for (int j = 0; j < groups; j++) {
        char svc[160];
        int slen = snprintf(svc, sizeof svc, "%s.svc%d", s->prefix, j);
        if (slen < 0 || (size_t)slen >= sizeof svc)
            slen = (int)sizeof svc - 1;
        size_t rs = pbwrite_begin(b, F_REQ_RESOURCE_SPANS);
        size_t res = pbwrite_begin(b, F_RS_RESOURCE);
        size_t kv = pbwrite_begin(b, F_RES_ATTRIBUTES);
        pbwrite_string(b, F_KV_KEY, "service.name");
        size_t any = pbwrite_begin(b, F_KV_VALUE);
        pbwrite_bytes(b, F_ANY_STRING, svc, (size_t)slen);
        pbwrite_end(b, any);
        pbwrite_end(b, kv);
        pbwrite_end(b, res);
        size_t ss = pbwrite_begin(b, F_RS_SCOPE_SPANS);
        size_t scope = pbwrite_begin(b, F_SS_SCOPE);
        pbwrite_string(b, F_SCOPE_NAME, "spider-load");
        pbwrite_end(b, scope);
        for (int k = j; k < s->spans; k += s->services)
            otlp_span(b, seed, seq, k, (k / s->services) % s->names, now_ns);
        pbwrite_end(b, ss);
        pbwrite_end(b, rs);
    }
}

/* ---- answers ---------------------------------------------------------- */

/* Reads a varint at *p (at most 10 bytes, before end). */
static int otlp_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (*p >= end)
            return SPIDER_EINVAL;
        uint8_t c = *(*p)++;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return SPIDER_EINVAL; /* more than 10 bytes */
}

/* Skips the value of a field of wire type `wire` at *p. */
static int otlp_skip(const uint8_t **p, const uint8_t *end, unsigned wire)
{
    uint64_t v;
    switch (wire) {
    case PB_VARINT:
        return otlp_varint(p, end, &v);
    case PB_FIXED64:
        if (end - *p < 8)
            return SPIDER_EINVAL;
        *p += 8;
        return 0;
    case PB_FIXED32:
        if (end - *p < 4)
            return SPIDER_EINVAL;
        *p += 4;
        return 0;
    case PB_LEN:
        if (otlp_varint(p, end, &v) != 0 || v > (uint64_t)(end - *p))
            return SPIDER_EINVAL;
        *p += v;
        return 0;
    default: /* groups (3, 4) and the reserved 6, 7 */
        return SPIDER_EINVAL;
    }
}

/* Walks the fields of the message [p, end). For each field numbered `want`
 * (it must have wire type want_wire) the start and end of its value are
 * given back in at and at_end, the last occurrence winning as protobuf
 * merges; every other field is skipped. */
static int otlp_find(const uint8_t *p, const uint8_t *end, uint64_t want, unsigned want_wire,
                     const uint8_t **at, const uint8_t **at_end)
{
    *at = NULL;
    while (p < end) {
        uint64_t key;
        if (otlp_varint(&p, end, &key) != 0 || (key >> 3) == 0)
            return SPIDER_EINVAL;
        unsigned wire = (unsigned)(key & 7);
        if ((key >> 3) == want && wire != want_wire)
            return SPIDER_EINVAL;
        const uint8_t *start = p;
        if (otlp_skip(&p, end, wire) != 0)
            return SPIDER_EINVAL;
        if ((key >> 3) == want) {
            *at = start;
            *at_end = p;
        }
    }
    return 0;
}

int otlp_parse_response(const uint8_t *p, size_t n, int64_t *rejected)
{
    *rejected = 0;
    if (n == 0) /* the empty message (and no arithmetic on a NULL p) */
        return 0;
    const uint8_t *end = p + n, *ps = NULL, *ps_end = NULL, *rej = NULL, *rej_end = NULL;
    if (otlp_find(p, end, F_RESP_PARTIAL_SUCCESS, PB_LEN, &ps, &ps_end) != 0)
        return SPIDER_EINVAL;
    if (!ps)
        return 0;
    uint64_t len;
    if (otlp_varint(&ps, ps_end, &len) != 0) /* the embedded message's length */
        return SPIDER_EINVAL;
    if (otlp_find(ps, ps_end, F_PS_REJECTED_SPANS, PB_VARINT, &rej, &rej_end) != 0)
        return SPIDER_EINVAL;
    if (!rej)
        return 0;
    uint64_t v;
    if (otlp_varint(&rej, rej_end, &v) != 0)
        return SPIDER_EINVAL;
    *rejected = (int64_t)v; /* int64: two's complement in 10 bytes when negative */
    return 0;
}
