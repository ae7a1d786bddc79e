/* fuzz_otlp_trace.c - libFuzzer target for the OTLP trace decoders.
 *
 * Every input goes to both decoders (protobuf and JSON); any violated
 * invariant aborts (a crash for libFuzzer and for the corpus replay in the
 * tests). The input comes in an exact-size buffer, so ASan catches a read
 * past it. It checks that:
 *   - the input is never written;
 *   - a refused input made no callback, reports 0 spans and has a message
 *     and an offset inside the input;
 *   - an accepted input made exactly n_spans callbacks, the same count as
 *     validate-only (fn == NULL) and the same spans when decoded again;
 *     protobuf slices lie inside the input, JSON slices inside the input or
 *     no longer than it (decoded escapes);
 *   - round trips: the spans of an accepted protobuf request, written out
 *     as OTLP/JSON here, decode (JSON) to the same spans; the spans of an
 *     accepted JSON request, written out as protobuf, decode (protobuf) to
 *     the same spans;
 *   - JSON the decoder accepts, cJSON accepts too (it is laxer, never
 *     stricter, except on lone UTF-16 surrogate escapes and on number
 *     literals of more than 63 bytes, which are then not compared, as are
 *     inputs with "\u0000", which cJSON's C strings cut short), and
 *     the spans read from cJSON's tree under the same rules (first
 *     service.name, last name/time, null as absent) are the same: count,
 *     services, names without NUL bytes, and times (as doubles for numbers,
 *     exactly for plain digit strings).
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "ingest/otlp_trace.h"

#include "fuzz_bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The spans a decoder handed out, copied. */
typedef struct rec {
    size_t n, cap;
    otlp_span_t *spans; /* name/service point into text */
    bytes_t text;
    size_t *name_off, *service_off;
    const char *lo, *hi; /* the input */
    int from_pb;
} rec_t;

static void record(void *ctx, const otlp_span_t *s)
{
    rec_t *r = ctx;
    CHECK(s->name.p != NULL && s->service.p != NULL);
    if (r->from_pb) {
        CHECK(s->name.n == 0 || (s->name.p >= r->lo && s->name.p + s->name.n <= r->hi));
        CHECK(s->service.n == 0 || (s->service.p >= r->lo && s->service.p + s->service.n <= r->hi));
    } else {
        CHECK(s->name.n <= (size_t)(r->hi - r->lo) && s->service.n <= (size_t)(r->hi - r->lo));
    }
    if (r->n == r->cap) {
        r->cap = r->cap * 2 + 8;
        r->spans = realloc(r->spans, r->cap * sizeof *r->spans);
        r->name_off = realloc(r->name_off, r->cap * sizeof *r->name_off);
        r->service_off = realloc(r->service_off, r->cap * sizeof *r->service_off);
        CHECK(r->spans && r->name_off && r->service_off);
    }
    r->spans[r->n] = *s;
    r->name_off[r->n] = r->text.n;
    put(&r->text, s->name.p, s->name.n);
    r->service_off[r->n] = r->text.n;
    put(&r->text, s->service.p, s->service.n);
    r->n++;
}

static slice_t rec_name(const rec_t *r, size_t i)
{
    if (!r->text.p) /* nothing recorded yet: every span so far is empty */
        return slice_make("", 0);
    return slice_make(r->text.p + r->name_off[i], r->spans[i].name.n);
}

static slice_t rec_service(const rec_t *r, size_t i)
{
    if (!r->text.p)
        return slice_make("", 0);
    return slice_make(r->text.p + r->service_off[i], r->spans[i].service.n);
}

static void rec_free(rec_t *r)
{
    free(r->spans);
    free(r->name_off);
    free(r->service_off);
    free(r->text.p);
}

static int slice_same(slice_t a, slice_t b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static void same_spans(const rec_t *a, const rec_t *b)
{
    CHECK(a->n == b->n);
    for (size_t i = 0; i < a->n; i++) {
        CHECK(slice_same(rec_name(a, i), rec_name(b, i)));
        CHECK(slice_same(rec_service(a, i), rec_service(b, i)));
        CHECK(a->spans[i].start_ns == b->spans[i].start_ns);
        CHECK(a->spans[i].end_ns == b->spans[i].end_ns);
    }
}

typedef int (*decode_fn)(const void *p, size_t n, otlp_span_fn fn, void *ctx, size_t *n_spans,
                         otlp_error_t *err);

static int decode_pb(const void *p, size_t n, otlp_span_fn fn, void *ctx, size_t *n_spans,
                     otlp_error_t *err)
{
    return otlp_traces_decode_pb(p, n, fn, ctx, n_spans, err);
}

static int decode_json(const void *p, size_t n, otlp_span_fn fn, void *ctx, size_t *n_spans,
                       otlp_error_t *err)
{
    return otlp_traces_decode_json(p, n, fn, ctx, n_spans, err);
}

/* Decodes (p, n) into *r and checks what holds for every result. */
static int decode(decode_fn dec, int from_pb, const void *p, size_t n, rec_t *r)
{
    memset(r, 0, sizeof *r);
    if (!p)
        p = ""; /* an empty buffer written out (no span): n is 0 */
    r->lo = p;
    r->hi = (const char *)p + n;
    r->from_pb = from_pb;
    otlp_error_t err = {999999, NULL};
    size_t count = 12345, count2 = 999;
    int rc = dec(p, n, record, r, &count, &err);
    CHECK(rc == 0 || rc == SPIDER_EINVAL);
    if (rc != 0) {
        CHECK(r->n == 0 && count == 0);
        CHECK(err.message && err.message[0] && err.offset <= n);
        CHECK(dec(p, n, NULL, NULL, &count2, NULL) == SPIDER_EINVAL && count2 == 0);
        return rc;
    }
    CHECK(r->n == count);
    CHECK(dec(p, n, NULL, NULL, &count2, NULL) == 0 && count2 == count);
    rec_t again;
    memset(&again, 0, sizeof again);
    again.lo = r->lo;
    again.hi = r->hi;
    again.from_pb = from_pb;
    CHECK(dec(p, n, record, &again, NULL, NULL) == 0);
    same_spans(r, &again);
    rec_free(&again);
    return 0;
}

/* ---- writing the spans back out ---- */

static void json_string(bytes_t *b, slice_t s)
{
    puts_(b, "\"");
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(b, esc, 6);
        } else {
            put(b, &c, 1); /* bytes >= 0x80 as they are: the decoder passes them on */
        }
    }
    puts_(b, "\"");
}

/* One ResourceSpans per span, times alternately as strings and numbers. */
static void write_json(const rec_t *r, bytes_t *b)
{
    char num[32];
    puts_(b, "{\"resourceSpans\":[");
    for (size_t i = 0; i < r->n; i++) {
        puts_(b, i ? ",{" : "{");
        if (rec_service(r, i).n) {
            puts_(b, "\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{"
                     "\"stringValue\":");
            json_string(b, rec_service(r, i));
            puts_(b, "}}]},");
        }
        puts_(b, "\"scopeSpans\":[{\"spans\":[{\"name\":");
        json_string(b, rec_name(r, i));
        snprintf(num, sizeof num, i % 2 ? "%llu" : "\"%llu\"",
                 (unsigned long long)r->spans[i].start_ns);
        puts_(b, ",\"startTimeUnixNano\":");
        puts_(b, num);
        snprintf(num, sizeof num, i % 2 ? "\"%llu\"" : "%llu",
                 (unsigned long long)r->spans[i].end_ns);
        puts_(b, ",\"endTimeUnixNano\":");
        puts_(b, num);
        puts_(b, "}]}]}");
    }
    puts_(b, "]}");
}

static void pb_varint(bytes_t *b, uint64_t v)
{
    do {
        unsigned char c = v & 0x7f;
        v >>= 7;
        if (v)
            c |= 0x80;
        put(b, &c, 1);
    } while (v);
}

static void pb_len(bytes_t *b, unsigned field, const void *p, size_t n)
{
    pb_varint(b, (uint64_t)field << 3 | 2);
    pb_varint(b, n);
    put(b, p, n);
}

static void pb_fixed64(bytes_t *b, unsigned field, uint64_t v)
{
    pb_varint(b, (uint64_t)field << 3 | 1);
    for (int i = 0; i < 8; i++) {
        unsigned char c = (unsigned char)(v >> 8 * i);
        put(b, &c, 1);
    }
}

static void write_pb(const rec_t *r, bytes_t *b)
{
    for (size_t i = 0; i < r->n; i++) {
        bytes_t span = {0}, scope = {0}, rs = {0}, any = {0}, kv = {0}, res = {0};
        slice_t name = rec_name(r, i), svc = rec_service(r, i);
        pb_len(&span, 5, name.p, name.n);
        pb_fixed64(&span, 7, r->spans[i].start_ns);
        pb_fixed64(&span, 8, r->spans[i].end_ns);
        pb_len(&scope, 2, span.p, span.n);
        if (svc.n) {
            pb_len(&any, 1, svc.p, svc.n);
            pb_len(&kv, 1, "service.name", 12);
            pb_len(&kv, 2, any.p, any.n);
            pb_len(&res, 1, kv.p, kv.n);
            pb_len(&rs, 1, res.p, res.n);
        }
        pb_len(&rs, 2, scope.p, scope.n);
        pb_len(b, 1, rs.p, rs.n);
        free(span.p), free(scope.p), free(rs.p), free(any.p), free(kv.p), free(res.p);
    }
}

/* ---- the cJSON oracle ---- */

/* Does the JSON text have what cJSON handles differently on purpose? */
static int cjson_differs(const char *p, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\\' && i + 2 < n && p[i + 1] == 'u' && (p[i + 2] == 'd' || p[i + 2] == 'D'))
            return 1; /* a surrogate escape, maybe lone */
        if (c == '\\' && i + 5 < n && memcmp(p + i + 1, "u0000", 5) == 0)
            return 1; /* cJSON's C strings end there, keys included */
        run = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
                  ? run + 1
                  : 0;
        if (run > 63)
            return 1; /* cJSON reads at most 63 bytes of a number */
    }
    return 0;
}

/* Children of obj named key, in order (duplicates included). */
#define EACH_NAMED(it, obj, key)                                                                   \
    for (const cJSON *it = (obj) ? (obj)->child : NULL; it; it = it->next)                         \
        if (it->string && strcmp(it->string, key) == 0)

static const char *const oneof_others[] = {"boolValue",          "intValue",    "doubleValue",
                                           "arrayValue",         "kvlistValue", "bytesValue",
                                           "stringValueStrindex"};

/* Checks one time field against cJSON's value, where cJSON can tell. */
static void cjson_time(const cJSON *span, const char *key, uint64_t got)
{
    const cJSON *last = NULL;
    EACH_NAMED(t, span, key)
    if (!cJSON_IsNull(t))
        last = t;
    if (!last) {
        CHECK(got == 0);
    } else if (cJSON_IsNumber(last)) {
        CHECK((double)got == last->valuedouble);
    } else if (cJSON_IsString(last)) {
        const char *s = last->valuestring;
        size_t len = strlen(s);
        if (len > 0 && len <= 19 && strspn(s, "0123456789") == len && (s[0] != '0' || len == 1))
            CHECK(got == strtoull(s, NULL, 10));
    } else {
        CHECK(0);
    }
}

static void cjson_check(const char *p, size_t n, const rec_t *r)
{
    if (cjson_differs(p, n))
        return;
    cJSON *root = cJSON_ParseWithLength(p, n);
    CHECK(root != NULL);
    size_t i = 0;
    EACH_NAMED(rsl, root, "resourceSpans")
    for (const cJSON *rs = rsl->child; rs; rs = rs->next) {
        /* the service: the first service.name attribute of all resources */
        int found = 0;
        const char *service = "";
        EACH_NAMED(res, rs, "resource")
        EACH_NAMED(attrs, res, "attributes")
        for (const cJSON *kv = attrs->child; kv; kv = kv->next) {
            const char *key = "";
            EACH_NAMED(k, kv, "key")
            if (cJSON_IsString(k))
                key = k->valuestring;
            if (found || strcmp(key, "service.name") != 0)
                continue;
            found = 1;
            const char *str = NULL;
            EACH_NAMED(v, kv, "value")
            for (const cJSON *m = v->child; m; m = m->next) {
                if (!m->string || cJSON_IsNull(m))
                    continue;
                if (strcmp(m->string, "stringValue") == 0)
                    str = m->valuestring;
                for (size_t o = 0; o < sizeof oneof_others / sizeof oneof_others[0]; o++)
                    if (strcmp(m->string, oneof_others[o]) == 0)
                        str = NULL;
            }
            service = str ? str : "";
        }
        EACH_NAMED(ssl, rs, "scopeSpans")
        for (const cJSON *ss = ssl->child; ss; ss = ss->next)
            EACH_NAMED(sl, ss, "spans")
        for (const cJSON *span = sl->child; span; span = span->next) {
            CHECK(i < r->n);
            slice_t name = rec_name(r, i), svc = rec_service(r, i);
            if (!memchr(svc.p, 0, svc.n))
                CHECK(svc.n == strlen(service) && memcmp(svc.p, service, svc.n) == 0);
            const char *want = "";
            EACH_NAMED(nm, span, "name")
            if (cJSON_IsString(nm))
                want = nm->valuestring;
            if (!memchr(name.p, 0, name.n))
                CHECK(name.n == strlen(want) && memcmp(name.p, want, name.n) == 0);
            cjson_time(span, "startTimeUnixNano", r->spans[i].start_ns);
            cjson_time(span, "endTimeUnixNano", r->spans[i].end_ns);
            i++;
        }
    }
    CHECK(i == r->n);
    cJSON_Delete(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *before = malloc(size ? size : 1);
    memcpy(before, data, size);
    rec_t a, b;
    bytes_t out = {0};

    if (decode(decode_pb, 1, data, size, &a) == 0) {
        write_json(&a, &out);
        CHECK(decode(decode_json, 0, out.p, out.n, &b) == 0);
        same_spans(&a, &b);
        rec_free(&b);
    }
    rec_free(&a);

    out.n = 0;
    if (decode(decode_json, 0, data, size, &a) == 0) {
        cjson_check((const char *)data, size, &a);
        write_pb(&a, &out);
        CHECK(decode(decode_pb, 1, out.p, out.n, &b) == 0);
        same_spans(&a, &b);
        rec_free(&b);
    }
    rec_free(&a);
    free(out.p);

    CHECK(memcmp(before, data, size) == 0);
    free(before);
    return 0;
}
