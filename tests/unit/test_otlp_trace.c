/* test_otlp_trace.c - the OTLP trace decoder, protobuf and JSON.
 *
 * Two kinds of input: fixtures made by the OpenTelemetry JS SDK and its
 * serializers (tests/fixtures/otlp, written by tools/otlp_fixtures.mjs; the
 * directory is this program's argument, passed by CMake), compared exactly
 * with the spans the SDK reported; and messages built here byte by byte for
 * what an SDK never sends (duplicates, odd field order, wrong types,
 * truncation, groups, deep nesting). */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "ingest/otlp_trace.h"
#include "../support/fixture.h"
#include "../support/pbmsg.h"

static const char *fixtures_dir;

/* ---- what the callback saw ---- */

#define GOT_MAX      128
#define GOT_TEXT_MAX 2048

typedef struct got {
    size_t n;
    char name[GOT_MAX][GOT_TEXT_MAX];
    size_t name_n[GOT_MAX];
    char service[GOT_MAX][GOT_TEXT_MAX];
    size_t service_n[GOT_MAX];
    uint64_t start[GOT_MAX], end[GOT_MAX];
} got_t;

static got_t got;

static void collect(void *ctx, const otlp_span_t *s)
{
    got_t *g = ctx;
    assert_true(g->n < GOT_MAX);
    assert_true(s->name.n <= GOT_TEXT_MAX && s->service.n <= GOT_TEXT_MAX);
    assert_non_null(s->name.p);
    assert_non_null(s->service.p);
    memcpy(g->name[g->n], s->name.p, s->name.n);
    g->name_n[g->n] = s->name.n;
    memcpy(g->service[g->n], s->service.p, s->service.n);
    g->service_n[g->n] = s->service.n;
    g->start[g->n] = s->start_ns;
    g->end[g->n] = s->end_ns;
    g->n++;
}

static otlp_error_t err;
static size_t n_spans;

static int decode_pb(const void *p, size_t n)
{
    memset(&got, 0, sizeof got);
    err.offset = 12345;
    err.message = NULL;
    int rc = otlp_traces_decode_pb(p, n, collect, &got, &n_spans, &err);
    if (rc != 0) {
        assert_int_equal(got.n, 0); /* all or nothing */
        assert_int_equal(n_spans, 0);
        assert_non_null(err.message);
        assert_true(err.offset <= n);
    } else {
        assert_int_equal(got.n, n_spans);
        /* validate-only agrees */
        size_t count = 99;
        assert_int_equal(otlp_traces_decode_pb(p, n, NULL, NULL, &count, NULL), 0);
        assert_int_equal(count, n_spans);
    }
    return rc;
}

static int decode_json(const char *p, size_t n)
{
    memset(&got, 0, sizeof got);
    err.offset = 12345;
    err.message = NULL;
    int rc = otlp_traces_decode_json(p, n, collect, &got, &n_spans, &err);
    if (rc != 0) {
        assert_int_equal(got.n, 0);
        assert_int_equal(n_spans, 0);
        assert_non_null(err.message);
        assert_true(err.offset <= n);
    } else {
        assert_int_equal(got.n, n_spans);
        size_t count = 99;
        assert_int_equal(otlp_traces_decode_json(p, n, NULL, NULL, &count, NULL), 0);
        assert_int_equal(count, n_spans);
    }
    return rc;
}

static int json(const char *s)
{
    return decode_json(s, strlen(s));
}

/* Span i has this name, service and times. */
static void span_is(size_t i, const char *name, size_t name_n, const char *service, uint64_t start,
                    uint64_t end)
{
    assert_true(i < got.n);
    assert_int_equal(got.name_n[i], name_n);
    assert_memory_equal(got.name[i], name, name_n);
    assert_int_equal(got.service_n[i], strlen(service));
    assert_memory_equal(got.service[i], service, strlen(service));
    assert_true(got.start[i] == start);
    assert_true(got.end[i] == end);
}

#define SPAN_IS(i, name, service, start, end) span_is(i, name, strlen(name), service, start, end)

/* The error names what (a prefix of the message) and where. */
static void error_is(const char *prefix, size_t offset)
{
    assert_non_null(err.message);
    if (strncmp(err.message, prefix, strlen(prefix)) != 0)
        fail_msg("error \"%s\" does not start with \"%s\"", err.message, prefix);
    assert_int_equal(err.offset, offset);
}

/* ---- fixtures from the SDK ---- */

static char *read_file(const char *name, size_t *len)
{
    return read_fixture(fixtures_dir, "test_otlp_trace", name, len);
}

static size_t unhex(const char *hex, char *out)
{
    if (strcmp(hex, "-") == 0)
        return 0;
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (char)v;
    }
    return n;
}

/* The decoded spans are exactly those of NAME.expect. */
static void matches_expect(const char *name)
{
    char file[256];
    size_t len;
    snprintf(file, sizeof file, "%s.expect", name);
    char *text = read_file(file, &len);
    char *copy = malloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    size_t i = 0;
    for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        static char svc_hex[2 * GOT_TEXT_MAX + 1], name_hex[2 * GOT_TEXT_MAX + 1];
        char svc[GOT_TEXT_MAX], nm[GOT_TEXT_MAX];
        uint64_t start, end;
        assert_int_equal(
            sscanf(line, "%4096s %4096s %" SCNu64 " %" SCNu64, svc_hex, name_hex, &start, &end), 4);
        size_t svc_n = unhex(svc_hex, svc), nm_n = unhex(name_hex, nm);
        assert_true(i < got.n);
        assert_int_equal(got.service_n[i], svc_n);
        assert_memory_equal(got.service[i], svc, svc_n);
        assert_int_equal(got.name_n[i], nm_n);
        assert_memory_equal(got.name[i], nm, nm_n);
        assert_true(got.start[i] == start);
        assert_true(got.end[i] == end);
        i++;
    }
    assert_int_equal(i, got.n);
    assert_true(i > 0);
    free(copy);
    free(text);
}

static void fixture(const char *name, size_t want_spans)
{
    char file[256];
    size_t len;
    snprintf(file, sizeof file, "%s.pb", name);
    char *pb = read_file(file, &len);
    if (decode_pb(pb, len) != 0)
        fail_msg("%s: %s at %zu", file, err.message, err.offset);
    assert_int_equal(got.n, want_spans);
    matches_expect(name);
    free(pb);
    snprintf(file, sizeof file, "%s.json", name);
    char *js = read_file(file, &len);
    if (decode_json(js, len) != 0)
        fail_msg("%s: %s at %zu", file, err.message, err.offset);
    assert_int_equal(got.n, want_spans);
    matches_expect(name);
    free(js);
}

static void test_sdk_fixture_mixed(void **state)
{
    (void)state;
    fixture("sdk_mixed", 12);
    /* spot checks, independent of the .expect file */
    SPAN_IS(1, "GET /x", "checkout", UINT64_C(1700000000000000000), UINT64_C(1700000000012000000));
    SPAN_IS(11, "far future", "", UINT64_C(18446744072000000000), UINT64_MAX);
}

static void test_sdk_fixture_batch(void **state)
{
    (void)state;
    fixture("sdk_batch", 100);
}

/* Every proper prefix of a real request: refused, or a valid shorter
 * request (cut between two ResourceSpans); never a crash, never a read past
 * the prefix (each is an exact-size copy). */
static void test_sdk_fixture_prefixes(void **state)
{
    (void)state;
    size_t len, ok = 0;
    char *pb = read_file("sdk_mixed.pb", &len);
    for (size_t cut = 0; cut < len; cut++) {
        char *copy = malloc(cut ? cut : 1);
        memcpy(copy, pb, cut);
        if (decode_pb(copy, cut) == 0) {
            ok++;
            assert_true(n_spans < 12);
        }
        free(copy);
    }
    assert_true(ok >= 1 && ok <= 5); /* 0 bytes and the cuts between the 4 ResourceSpans */
    free(pb);
    char *js = read_file("sdk_mixed.json", &len);
    for (size_t cut = 0; cut < len; cut++) {
        char *copy = malloc(cut ? cut : 1);
        memcpy(copy, js, cut);
        assert_int_equal(decode_json(copy, cut), SPIDER_EINVAL);
        free(copy);
    }
    free(js);
}

/* ---- protobuf built by hand ---- */

/* A Span message with name, start, end. */
static msg_t span_msg(const char *name, uint64_t start, uint64_t end)
{
    msg_t s = {{0}, 0};
    m_bytes(&s, 1, "0123456789abcdef", 16); /* trace_id */
    m_bytes(&s, 2, "01234567", 8);          /* span_id */
    m_str(&s, 5, name);
    m_uint(&s, 6, 2); /* kind */
    m_fixed64(&s, 7, start);
    m_fixed64(&s, 8, end);
    return s;
}

/* A ResourceSpans: a resource with service.name, one scope with spans. */
static msg_t resource_spans(const char *service, const msg_t *spans, int n)
{
    msg_t res = {{0}, 0}, scope = {{0}, 0}, rs = {{0}, 0};
    msg_t kv = kv_str("service.name", service);
    m_msg(&res, 1, &kv);
    for (int i = 0; i < n; i++)
        m_msg(&scope, 2, &spans[i]);
    m_msg(&rs, 1, &res);
    m_msg(&rs, 2, &scope);
    return rs;
}

static void test_pb_basic(void **state)
{
    (void)state;
    msg_t spans[2] = {span_msg("a", 1, 2), span_msg("b", 3, 4)};
    msg_t rs1 = resource_spans("svc1", spans, 2), rs2 = resource_spans("svc2", spans + 1, 1);
    msg_t req = {{0}, 0};
    m_msg(&req, 1, &rs1);
    m_msg(&req, 1, &rs2);
    assert_int_equal(decode_pb(req.b, req.n), 0);
    assert_int_equal(got.n, 3);
    SPAN_IS(0, "a", "svc1", 1, 2);
    SPAN_IS(1, "b", "svc1", 3, 4);
    SPAN_IS(2, "b", "svc2", 3, 4);
    /* empty request, and NULL with 0 bytes: valid, no spans */
    assert_int_equal(decode_pb(req.b, 0), 0);
    assert_int_equal(n_spans, 0);
    assert_int_equal(otlp_traces_decode_pb(NULL, 0, collect, &got, &n_spans, &err), 0);
    assert_int_equal(n_spans, 0);
    /* n_spans and err may be NULL */
    assert_int_equal(otlp_traces_decode_pb(req.b, req.n, NULL, NULL, NULL, NULL), 0);
    assert_int_equal(otlp_traces_decode_pb((const uint8_t *)"\x0b", 1, NULL, NULL, NULL, NULL),
                     SPIDER_EINVAL);
}

static void test_pb_missing_fields_are_defaults(void **state)
{
    (void)state;
    msg_t span = {{0}, 0}, scope = {{0}, 0}, rs = {{0}, 0}, req = {{0}, 0};
    m_msg(&scope, 2, &span); /* an empty Span */
    m_msg(&rs, 2, &scope);   /* no resource */
    m_msg(&req, 1, &rs);
    assert_int_equal(decode_pb(req.b, req.n), 0);
    assert_int_equal(got.n, 1);
    SPAN_IS(0, "", "", 0, 0);
}

static void test_pb_resource_after_scope_spans(void **state)
{
    (void)state;
    msg_t span = span_msg("late", 5, 6);
    msg_t scope = {{0}, 0}, res = {{0}, 0}, rs = {{0}, 0}, req = {{0}, 0};
    msg_t kv = kv_str("service.name", "after");
    m_msg(&scope, 2, &span);
    m_msg(&res, 1, &kv);
    m_msg(&rs, 2, &scope); /* scope_spans first */
    m_str(&rs, 3, "https://schema");
    m_msg(&rs, 1, &res); /* then the resource */
    m_msg(&req, 1, &rs);
    assert_int_equal(decode_pb(req.b, req.n), 0);
    SPAN_IS(0, "late", "after", 5, 6);
}

static void test_pb_last_one_wins(void **state)
{
    (void)state;
    msg_t span = span_msg("first", 1, 2);
    m_str(&span, 5, "second");
    m_fixed64(&span, 7, 10);
    m_fixed64(&span, 8, 20);
    m_str(&span, 5, "third");
    msg_t rs = resource_spans("s", &span, 1), req = {{0}, 0};
    m_msg(&req, 1, &rs);
    assert_int_equal(decode_pb(req.b, req.n), 0);
    SPAN_IS(0, "third", "s", 10, 20);
}

/* A request with one span "x" whose resource has these attributes. */
static void with_resource(const msg_t *res)
{
    msg_t span = span_msg("x", 1, 2), scope = {{0}, 0}, rs = {{0}, 0}, req = {{0}, 0};
    m_msg(&scope, 2, &span);
    m_msg(&rs, 1, res);
    m_msg(&rs, 2, &scope);
    m_msg(&req, 1, &rs);
    assert_int_equal(decode_pb(req.b, req.n), 0);
    assert_int_equal(got.n, 1);
}

static void test_pb_service_name(void **state)
{
    (void)state;
    msg_t res = {{0}, 0}, kv, any, kv2;
    /* other attributes around it; the first service.name wins */
    kv = kv_str("service.namespace", "no");
    m_msg(&res, 1, &kv);
    kv = kv_str("service.name", "yes");
    m_msg(&res, 1, &kv);
    kv = kv_str("service.name", "later");
    m_msg(&res, 1, &kv);
    with_resource(&res);
    SPAN_IS(0, "x", "yes", 1, 2);

    /* the first is an int: empty, and the later string is not looked at */
    res.n = 0;
    memset(&any, 0, sizeof any);
    m_uint(&any, 3, 42);
    memset(&kv2, 0, sizeof kv2);
    m_str(&kv2, 1, "service.name");
    m_msg(&kv2, 2, &any);
    m_msg(&res, 1, &kv2);
    kv = kv_str("service.name", "later");
    m_msg(&res, 1, &kv);
    with_resource(&res);
    SPAN_IS(0, "x", "", 1, 2);

    /* AnyValue oneof: the last member wins (string then int: not a string;
     * int then string: the string) */
    static const struct {
        const char *bytes;
        size_t n;
        const char *want;
    } cases[] = {
        {"\x0a\x01s\x18\x05", 5, ""},                              /* string_value, int_value */
        {"\x18\x05\x0a\x01s", 5, "s"},                             /* int_value, string_value */
        {"\x0a\x01s\x0a\x02tt", 7, "tt"},                          /* string twice: the last */
        {"\x0a\x01s\x40\x00", 5, ""},                              /* string_value_strindex last */
        {"\x0a\x01s\x10\x01", 5, ""},                              /* bool_value */
        {"\x0a\x01s\x21\x00\x00\x00\x00\x00\x00\xf0\x3f", 12, ""}, /* double_value */
        {"\x0a\x01s\x2a\x00", 5, ""},                              /* array_value */
        {"\x0a\x01s\x32\x00", 5, ""},                              /* kvlist_value */
        {"\x0a\x01s\x3a\x00", 5, ""},                              /* bytes_value */
        {"\x0a\x01s\x48\x01\x52\x00", 7, "s"},                     /* unknown 9, 10: skipped */
        {"", 0, ""},                                               /* empty AnyValue */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        res.n = 0;
        memset(&any, 0, sizeof any);
        m_raw(&any, cases[i].bytes, cases[i].n);
        memset(&kv2, 0, sizeof kv2);
        m_str(&kv2, 1, "service.name");
        m_msg(&kv2, 2, &any);
        m_msg(&res, 1, &kv2);
        with_resource(&res);
        SPAN_IS(0, "x", cases[i].want, 1, 2);
    }

    /* KeyValue.value sent twice merges: {string "a"} then {} keeps "a";
     * the key after the value, key_strindex ignored */
    res.n = 0;
    memset(&kv2, 0, sizeof kv2);
    memset(&any, 0, sizeof any);
    m_str(&any, 1, "a");
    m_msg(&kv2, 2, &any);
    any.n = 0;
    m_msg(&kv2, 2, &any);
    m_uint(&kv2, 3, 7);
    m_str(&kv2, 1, "service.name");
    m_msg(&res, 1, &kv2);
    with_resource(&res);
    SPAN_IS(0, "x", "a", 1, 2);

    /* Resource sent twice merges: the attributes of both count */
    msg_t res1 = {{0}, 0}, res2 = {{0}, 0}, span = span_msg("y", 3, 4);
    msg_t scope = {{0}, 0}, rs = {{0}, 0}, req = {{0}, 0};
    kv = kv_str("host.name", "h");
    m_msg(&res1, 1, &kv);
    kv = kv_str("service.name", "second");
    m_msg(&res2, 1, &kv);
    m_msg(&scope, 2, &span);
    m_msg(&rs, 1, &res1);
    m_msg(&rs, 2, &scope);
    m_msg(&rs, 1, &res2);
    m_msg(&req, 1, &rs);
    assert_int_equal(decode_pb(req.b, req.n), 0);
    SPAN_IS(0, "y", "second", 3, 4);
}

static void test_pb_unknown_fields_everywhere(void **state)
{
    (void)state;
    /* every wire type, unknown and known-but-unread fields, at each level */
    static const char junk[] = "\xf8\x07\x01"                             /* 127: varint */
                               "\xf9\x07\x01\x02\x03\x04\x05\x06\x07\x08" /* 127: fixed64 */
                               "\xfa\x07\x03\x0b\x0c\xff"  /* 127: LEN (a group inside) */
                               "\xfd\x07\x01\x02\x03\x04"; /* 127: fixed32 */
    msg_t span = span_msg("n", 7, 8), any = {{0}, 0}, kv = {{0}, 0}, res = {{0}, 0};
    msg_t scope = {{0}, 0}, rs = {{0}, 0}, req = {{0}, 0};
    m_raw(&span, junk, sizeof junk - 1);
    m_uint(&span, 10, 3);          /* dropped_attributes_count */
    m_bytes(&span, 11, "\x0a", 1); /* events: garbage inside, not looked at */
    m_tag(&span, 16, 5);           /* flags, fixed32 */
    m_raw(&span, "\x01\x01\x00\x00", 4);
    m_raw(&any, junk, sizeof junk - 1);
    m_str(&any, 1, "svc");
    m_raw(&kv, junk, sizeof junk - 1);
    m_str(&kv, 1, "service.name");
    m_msg(&kv, 2, &any);
    m_raw(&res, junk, sizeof junk - 1);
    m_msg(&res, 1, &kv);
    m_uint(&res, 2, 0);
    m_raw(&scope, junk, sizeof junk - 1);
    m_bytes(&scope, 1, "\x0a\x01x", 3); /* scope */
    m_msg(&scope, 2, &span);
    m_raw(&rs, junk, sizeof junk - 1);
    m_msg(&rs, 1, &res);
    m_msg(&rs, 2, &scope);
    m_raw(&req, junk, sizeof junk - 1);
    m_msg(&req, 1, &rs);
    m_raw(&req, junk, sizeof junk - 1);
    assert_int_equal(decode_pb(req.b, req.n), 0);
    assert_int_equal(got.n, 1);
    SPAN_IS(0, "n", "svc", 7, 8);
}

static void test_pb_wrong_wire_type(void **state)
{
    (void)state;
    msg_t span = span_msg("ok", 1, 2), bad = {{0}, 0}, rs, req = {{0}, 0};
    /* Span.name as a varint: the offset is its tag's */
    m_uint(&bad, 5, 1);
    rs = resource_spans("s", &bad, 1);
    m_msg(&req, 1, &rs);
    assert_int_equal(decode_pb(req.b, req.n), SPIDER_EINVAL);
    error_is("Span.name: wire type is not 2", req.n - 2);
    /* start as fixed32, end as LEN */
    static const struct {
        uint32_t field;
        unsigned wire;
        const char *msg;
    } cases[] = {
        {7, 5, "Span.start_time_unix_nano: wire type is not 1"},
        {7, 0, "Span.start_time_unix_nano: wire type is not 1"},
        {8, 2, "Span.end_time_unix_nano: wire type is not 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bad = span_msg("x", 1, 2);
        m_tag(&bad, cases[i].field, cases[i].wire);
        m_raw(&bad, "\x00\x00\x00\x00", 4);
        rs = resource_spans("s", &bad, 1);
        req.n = 0;
        m_msg(&req, 1, &rs);
        assert_int_equal(decode_pb(req.b, req.n), SPIDER_EINVAL);
        error_is(cases[i].msg, req.n - 5);
    }
    /* resource_spans as a varint, at the top */
    req.n = 0;
    rs = resource_spans("s", &span, 1);
    m_msg(&req, 1, &rs);
    size_t at = req.n;
    m_uint(&req, 1, 3);
    assert_int_equal(decode_pb(req.b, req.n), SPIDER_EINVAL);
    error_is("ExportTraceServiceRequest.resource_spans: wire type is not 2", at);
    /* ResourceSpans.scope_spans as fixed64, and .resource as varint */
    msg_t r2 = {{0}, 0};
    m_fixed64(&r2, 2, 0);
    req.n = 0;
    m_msg(&req, 1, &r2);
    assert_int_equal(decode_pb(req.b, req.n), SPIDER_EINVAL);
    error_is("ResourceSpans.scope_spans: wire type is not 2", 2);
    r2.n = 0;
    m_uint(&r2, 1, 0);
    req.n = 0;
    m_msg(&req, 1, &r2);
    assert_int_equal(decode_pb(req.b, req.n), SPIDER_EINVAL);
    error_is("ResourceSpans.resource: wire type is not 2", 2);
    /* KeyValue.key as varint; AnyValue.string_value as fixed64 */
    msg_t kv = {{0}, 0}, res = {{0}, 0};
    m_uint(&kv, 1, 0);
    m_msg(&res, 1, &kv);
    r2.n = 0;
    m_msg(&r2, 1, &res);
    req.n = 0;
    m_msg(&req, 1, &r2);
    assert_int_equal(decode_pb(req.b, req.n), SPIDER_EINVAL);
    error_is("KeyValue.key: wire type is not 2", 6);
    msg_t any = {{0}, 0};
    m_fixed64(&any, 1, 0);
    kv.n = 0;
    m_msg(&kv, 2, &any);
    res.n = 0;
    m_msg(&res, 1, &kv);
    r2.n = 0;
    m_msg(&r2, 1, &res);
    req.n = 0;
    m_msg(&req, 1, &r2);
    assert_int_equal(decode_pb(req.b, req.n), SPIDER_EINVAL);
    error_is("AnyValue.string_value: wire type is not 2", 8);
}

static void test_pb_all_or_nothing(void **state)
{
    (void)state;
    /* two good spans, then a group in the third: no span at all */
    msg_t spans[3] = {span_msg("a", 1, 2), span_msg("b", 3, 4), span_msg("c", 5, 6)};
    m_raw(&spans[2], "\x0b\x0c", 2); /* field 1 start group, end group */
    msg_t rs = resource_spans("s", spans, 3), req = {{0}, 0};
    m_msg(&req, 1, &rs);
    assert_int_equal(decode_pb(req.b, req.n), SPIDER_EINVAL);
    error_is("Span: group (wire type 3 or 4), not supported", req.n - 2);
    /* a later ResourceSpans that is bad spoils the earlier one too */
    req.n = 0;
    rs = resource_spans("s", spans, 2);
    m_msg(&req, 1, &rs);
    m_raw(&req, "\x0a\x04\x12\x02\x12\x09", 6); /* RS > ScopeSpans > a Span of 9 bytes in 0 */
    assert_int_equal(decode_pb(req.b, req.n), SPIDER_EINVAL);
    error_is("ScopeSpans: length beyond the end of the enclosing message", req.n - 1);
}

static void test_pb_wire_errors_name_their_message(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t n;
        const char *msg;
        size_t offset;
    } cases[] = {
        {"\x0a", 1, "ExportTraceServiceRequest: truncated varint", 1},
        {"\x0a\x05", 2, "ExportTraceServiceRequest: length beyond", 1},
        {"\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 12,
         "ExportTraceServiceRequest: varint longer than 10 bytes", 1},
        {"\x0e", 1, "ExportTraceServiceRequest: invalid wire type", 0},
        {"\x00", 1, "ExportTraceServiceRequest: field number 0", 0},
        {"\x0a\x01\x80", 3, "ResourceSpans: truncated varint", 2},
        {"\x0a\x02\x0a\x80", 4, "ResourceSpans: truncated varint", 3}, /* resource's length */
        {"\x0a\x03\x0a\x01\x0f", 5, "Resource: invalid wire type (6 or 7)", 4},
        {"\x0a\x05\x0a\x03\x0a\x01\x0c", 7, "KeyValue: group", 6},
        {"\x0a\x07\x0a\x05\x0a\x03\x12\x01\x09", 9, "AnyValue: truncated fixed64", 9},
        {"\x0a\x03\x12\x01\x0d", 5, "ScopeSpans: truncated fixed32", 5},
        {"\x0a\x05\x12\x03\x12\x01\x39", 7, "Span: truncated fixed64", 7},
        {"\x0a\x05\x12\x03\x12\x01\x2a", 7, "Span: truncated varint", 7},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(decode_pb(cases[i].bytes, cases[i].n), SPIDER_EINVAL);
        error_is(cases[i].msg, cases[i].offset);
    }
}

/* ---- JSON ---- */

static const char brief_example[] =
    "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{"
    "\"stringValue\":\"checkout\"}}]},\"scopeSpans\":[{\"spans\":[{\"name\":\"GET /x\","
    "\"startTimeUnixNano\":\"1700000000000000000\",\"endTimeUnixNano\":\"1700000000012000000\","
    "\"kind\":2}]}]}]}";

static void test_json_basic(void **state)
{
    (void)state;
    assert_int_equal(json(brief_example), 0);
    assert_int_equal(got.n, 1);
    SPAN_IS(0, "GET /x", "checkout", UINT64_C(1700000000000000000), UINT64_C(1700000000012000000));
    /* whitespace everywhere, a BOM, no spans */
    assert_int_equal(json("\xef\xbb\xbf \n\t{ \"resourceSpans\" : [ ] } \r\n"), 0);
    assert_int_equal(n_spans, 0);
    assert_int_equal(json("{}"), 0);
    assert_int_equal(json("{\"resourceSpans\":null}"), 0);
    assert_int_equal(json("{\"resourceSpans\":[{}]}"), 0);
    assert_int_equal(json("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{}]}]}]}"), 0);
    SPAN_IS(0, "", "", 0, 0);
}

/* A request with one span whose "startTimeUnixNano" is the JSON text t. */
static int json_start(const char *t)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":%s}]}]}]}",
             t);
    return json(buf);
}

static void test_json_times(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t want;
    } good[] = {
        {"\"1700000000000000001\"", UINT64_C(1700000000000000001)},
        {"1700000000000000001", UINT64_C(1700000000000000001)}, /* above 2^53: exact */
        {"9007199254740993", UINT64_C(9007199254740993)},       /* 2^53 + 1 */
        {"18446744073709551615", UINT64_MAX},
        {"\"18446744073709551615\"", UINT64_MAX},
        {"0", 0},
        {"\"0\"", 0},
        {"1e3", 1000},
        {"\"1.5e1\"", 15},
        {"10.0", 10},
        {"1.700000000000000001E18", UINT64_C(1700000000000000001)},
        {"184467440737095516150e-1", UINT64_MAX},
        {"0.0e99999999999", 0},
        {"0e-5", 0},
        {"1000000000000000000000000e-6", UINT64_C(1000000000000000000)},
        {"\"\\u0031\\u0032\"", 12}, /* escapes decoded first */
        {"null", 0},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (json_start(good[i].text) != 0)
            fail_msg("%s refused: %s", good[i].text, err.message);
        assert_int_equal(got.n, 1);
        if (got.start[0] != good[i].want)
            fail_msg("%s gave %" PRIu64, good[i].text, got.start[0]);
    }
    static const char *const bad[] = {
        "-1",
        "\"-1\"",
        "-0",
        "1.5",
        "\"1.5\"",
        "18446744073709551616",
        "1e20",
        "\"\"",
        "\" 1\"",
        "\"1 \"",
        "\"0x10\"",
        "01",
        "\"01\"",
        "1.",
        ".5",
        "+1",
        "1e",
        "true",
        "{}",
        "[]",
        "\"1e-1\"",
        "1e-99999999999",
        "\"abc\"",
        "\"\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031"
        "\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031"
        "\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031"
        "\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031"
        "\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031"
        "\\u0031\\u0031\\u0031\\u0031\\u0031\"", /* 65 escaped digits: too long */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (json_start(bad[i]) != SPIDER_EINVAL)
            fail_msg("%s accepted as %" PRIu64, bad[i], got.start[0]);
        /* "01" is the number 0 followed by a stray 1 */
        assert_true(strncmp(err.message, "Span.startTimeUnixNano: ", 24) == 0 ||
                    strcmp(err.message, "invalid number") == 0 ||
                    strcmp(err.message, "',' or '}' expected in an object") == 0);
    }
    /* the message and offset name the field and its value */
    assert_int_equal(json_start("1.5"), SPIDER_EINVAL);
    error_is("Span.startTimeUnixNano: not an integer from 0 to 2^64-1", 64);
    assert_int_equal(json_start("true"), SPIDER_EINVAL);
    error_is("Span.startTimeUnixNano: not a number or a string", 64);
    /* and the end time */
    assert_int_equal(json("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"endTimeUnixNano\":"
                          "[1]}]}]}]}"),
                     SPIDER_EINVAL);
    error_is("Span.endTimeUnixNano: not a number or a string", 62);
}

static void test_json_strings(void **state)
{
    (void)state;
    assert_int_equal(
        json("{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service\\u002ename\","
             "\"value\":{\"stringValue\":\"s\\u00e9rvice\\\"\"}}]},\"scopeSpans\":[{\"spans\":[{"
             "\"n\\u0061me\":\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83d\\ude00|"
             "\\ud800|\\udc00x|\\ud800\\u0041|\\u0000.\"}]}]}]}"),
        0);
    static const char want[] = "q\"b\\s/\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|"
                               "\xef\xbf\xbd|\xef\xbf\xbdx|\xef\xbf\xbd"
                               "A|\0.";
    span_is(0, want, sizeof want - 1, "s\xc3\xa9rvice\"", 0, 0);
    /* raw UTF-8 and other bytes >= 0x80 pass as they are */
    assert_int_equal(json("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":"
                          "\"\xc3\xa9\xff\xfe\"}]}]}]}"),
                     0);
    SPAN_IS(0, "\xc3\xa9\xff\xfe", "", 0, 0);
}

static void test_json_long_escaped_strings(void **state)
{
    (void)state;
    /* names and services with escapes, longer than the stack scratch */
    static char buf[8192], name[2048], svc[2048];
    size_t name_n = 0, svc_n = 0;
    char esc_name[2400] = "", esc_svc[700] = "";
    for (int i = 0; i < 300; i++) {
        strcat(esc_name, "\\u00e9a");
        name[name_n++] = '\xc3';
        name[name_n++] = '\xa9';
        name[name_n++] = 'a';
    }
    for (int i = 0; i < 200; i++) {
        strcat(esc_svc, "\\\"b");
        svc[svc_n++] = '"';
        svc[svc_n++] = 'b';
    }
    svc[svc_n] = '\0';
    snprintf(buf, sizeof buf,
             "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
             "\"value\":{\"stringValue\":\"%s\"}}]},\"scopeSpans\":[{\"spans\":[{\"name\":\"%s\"},"
             "{\"name\":\"short\\n\"}]}]}]}",
             esc_svc, esc_name);
    assert_int_equal(json(buf), 0);
    assert_int_equal(got.n, 2);
    span_is(0, name, name_n, svc, 0, 0);
    span_is(1, "short\n", 6, svc, 0, 0);
}

static void test_json_unknown_keys_and_nulls(void **state)
{
    (void)state;
    assert_int_equal(
        json("{\"x\":{\"a\":[1,2,{\"b\":[true,false,null,-1.5e-3,\"s\"]}]},\"resourceSpans\":[{"
             "\"schemaUrl\":\"u\",\"resource\":{\"droppedAttributesCount\":0,\"attributes\":[{"
             "\"key\":\"k\",\"value\":{\"arrayValue\":{\"values\":[{\"intValue\":\"1\"}]}}},{"
             "\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc\",\"extra\":{}}}]},"
             "\"scopeSpans\":[{\"scope\":{\"name\":\"n\"},\"spans\":[{\"traceId\":\"00ff\","
             "\"name\":\"a\",\"status\":{\"code\":2},\"events\":[],\"links\":[{}],"
             "\"startTimeUnixNano\":1,\"endTimeUnixNano\":2},null]}]}],\"z\":[]}"),
        SPIDER_EINVAL); /* null is not a span */
    error_is("ScopeSpans.spans: an element is not an object", 433);
    assert_int_equal(
        json("{\"x\":{\"a\":[1,2,{\"b\":[true,false,null,-1.5e-3,\"s\"]}]},\"resourceSpans\":[{"
             "\"schemaUrl\":\"u\",\"resource\":{\"droppedAttributesCount\":0,\"attributes\":[{"
             "\"key\":\"k\",\"value\":{\"arrayValue\":{\"values\":[{\"intValue\":\"1\"}]}}},{"
             "\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc\",\"extra\":{}}}]},"
             "\"scopeSpans\":[{\"scope\":{\"name\":\"n\"},\"spans\":[{\"traceId\":\"00ff\","
             "\"name\":\"a\",\"status\":{\"code\":2},\"events\":[],\"links\":[{}],"
             "\"startTimeUnixNano\":1,\"endTimeUnixNano\":2}]}]}],\"z\":[]}"),
        0);
    SPAN_IS(0, "a", "svc", 1, 2);
    /* null for every known field: as if absent */
    assert_int_equal(json("{\"resourceSpans\":[{\"resource\":null,\"scopeSpans\":null},{"
                          "\"resource\":{\"attributes\":null},\"scopeSpans\":[{\"spans\":null},{"
                          "\"spans\":[{\"name\":null,\"startTimeUnixNano\":null,"
                          "\"endTimeUnixNano\":null}]}]}]}"),
                     0);
    SPAN_IS(0, "", "", 0, 0);
    /* a null oneof member does not set the value */
    assert_int_equal(json("{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service."
                          "name\",\"value\":{\"stringValue\":\"s\",\"intValue\":null,"
                          "\"boolValue\":null}}]},\"scopeSpans\":[{\"spans\":[{}]}]}]}"),
                     0);
    SPAN_IS(0, "", "s", 0, 0);
    /* snake_case keys are not OTLP/JSON: unknown, ignored */
    assert_int_equal(json("{\"resource_spans\":[{\"scope_spans\":[{\"spans\":[{}]}]}]}"), 0);
    assert_int_equal(n_spans, 0);
}

/* A request whose resource has the JSON attributes list a, with one span. */
static int json_attrs(const char *a)
{
    char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"resourceSpans\":[{\"resource\":{\"attributes\":%s},\"scopeSpans\":[{\"spans\":[{"
             "\"name\":\"x\"}]}]}]}",
             a);
    return json(buf);
}

static void test_json_service_name(void **state)
{
    (void)state;
    static const struct {
        const char *attrs;
        const char *want;
    } cases[] = {
        {"[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"a\"}},"
         "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"b\"}}]",
         "a"}, /* the first wins */
        {"[{\"key\":\"service.name\",\"value\":{\"intValue\":\"1\"}},"
         "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"b\"}}]",
         ""}, /* the first is not a string */
        {"[{\"value\":{\"stringValue\":\"v\"},\"key\":\"service.name\"}]", "v"}, /* key last */
        {"[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"a\",\"boolValue\":true}}]",
         ""}, /* the last oneof member decides */
        {"[{\"key\":\"service.name\",\"value\":{\"doubleValue\":1.5,\"stringValue\":\"a\"}}]", "a"},
        {"[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"a\"},\"value\":{}}]",
         "a"}, /* value twice merges */
        {"[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"a\"},"
         "\"value\":{\"kvlistValue\":{}}}]",
         ""},
        {"[{\"key\":\"other\",\"key\":\"service.name\",\"value\":{\"stringValue\":\"k\"}}]",
         "k"}, /* key twice: the last */
        {"[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"a\",\"stringValue\":null}}]",
         "a"}, /* null is as if absent */
        {"[{\"key\":\"service.name\",\"value\":{\"stringValueStrindex\":3}}]", ""},
        {"[{\"key\":\"service.name\",\"value\":{\"bytesValue\":\"AA==\"}}]", ""},
        {"[{\"key\":\"service.name\",\"value\":{\"arrayValue\":{\"values\":[]}}}]", ""},
        {"[{\"key\":\"service.name\",\"value\":{}}]", ""},
        {"[{\"key\":\"service.name\",\"value\":null}]", ""},
        {"[{\"key\":\"service.name\"}]", ""},
        {"[{\"key\":\"Service.Name\",\"value\":{\"stringValue\":\"no\"}}]", ""},
        {"[]", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (json_attrs(cases[i].attrs) != 0)
            fail_msg("%s: %s", cases[i].attrs, err.message);
        SPAN_IS(0, "x", cases[i].want, 0, 0);
    }
    static const struct {
        const char *attrs;
        const char *msg;
    } bad[] = {
        {"{}", "Resource.attributes: not an array"},
        {"[1]", "Resource.attributes: an element is not an object"},
        {"[{\"key\":1}]", "KeyValue.key: not a string"},
        {"[{\"value\":[]}]", "KeyValue.value: not an object"},
        {"[{\"value\":{\"stringValue\":1}}]", "AnyValue.stringValue: not a string"},
        {"[{\"value\":{\"boolValue\":1}}]", "AnyValue.boolValue: not a boolean"},
        {"[{\"value\":{\"intValue\":true}}]", "AnyValue.intValue: not a number or a string"},
        {"[{\"value\":{\"arrayValue\":[]}}]", "AnyValue.arrayValue: not an object"},
        {"[{\"value\":{\"bytesValue\":0}}]", "AnyValue.bytesValue: not a string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(json_attrs(bad[i].attrs), SPIDER_EINVAL);
        assert_string_equal(err.message, bad[i].msg);
    }
}

static void test_json_field_order_and_duplicates(void **state)
{
    (void)state;
    /* resource after scopeSpans (pass 2 reads that ResourceSpans twice),
     * next to a ResourceSpans in the usual order; resource twice merges;
     * spans twice concatenate; name and times twice: the last */
    assert_int_equal(
        json("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"late\"}]}],"
             "\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{"
             "\"stringValue\":\"after\"}}]}},{\"resource\":{\"attributes\":[]},\"resource\":{"
             "\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"m\"}}]},"
             "\"scopeSpans\":[{\"spans\":[{\"name\":\"a\",\"name\":\"b\",\"startTimeUnixNano\":1,"
             "\"startTimeUnixNano\":\"2\",\"endTimeUnixNano\":3,\"endTimeUnixNano\":4}],"
             "\"spans\":[{\"name\":\"c\"}]}],\"scopeSpans\":[{\"spans\":[{\"name\":\"d\"}]}]}],"
             "\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"e\"}]}]}]}"),
        0);
    assert_int_equal(got.n, 5);
    SPAN_IS(0, "late", "after", 0, 0);
    SPAN_IS(1, "b", "m", 2, 4);
    SPAN_IS(2, "c", "m", 0, 0);
    SPAN_IS(3, "d", "m", 0, 0);
    SPAN_IS(4, "e", "", 0, 0);
}

/* Nesting: OTLP_JSON_MAX_DEPTH levels are fine, one more is refused, in a
 * skipped value as in a known one. */
static void test_json_depth(void **state)
{
    (void)state;
    static char buf[4096];
    for (int extra = 0; extra <= 1; extra++) {
        /* {"x": [[[...]]]}: the object is level 1 */
        size_t n = 0;
        int arrays = OTLP_JSON_MAX_DEPTH - 1 + extra;
        n += (size_t)sprintf(buf + n, "{\"x\":");
        for (int i = 0; i < arrays; i++)
            buf[n++] = '[';
        for (int i = 0; i < arrays; i++)
            buf[n++] = ']';
        buf[n++] = '}';
        int rc = decode_json(buf, n);
        if (!extra) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, SPIDER_EINVAL);
            error_is("JSON nested more than 32 deep", 5 + OTLP_JSON_MAX_DEPTH - 1);
        }
    }
    /* deep inside a span's attributes, and a huge depth: refused at once */
    size_t n = (size_t)sprintf(buf, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"a\":");
    for (int i = 0; i < 3000; i++)
        buf[n++] = '[';
    assert_int_equal(decode_json(buf, n), SPIDER_EINVAL);
    /* 7 levels open before the first '[' at 48: the 26th '[' is the 33rd level */
    error_is("JSON nested more than 32 deep", 48 + OTLP_JSON_MAX_DEPTH - 7);
}

static void test_json_syntax_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *msg;
        size_t offset;
    } bad[] = {
        {"", "the top level is not a JSON object", 0},
        {"   ", "the top level is not a JSON object", 3},
        {"[]", "the top level is not a JSON object", 0},
        {"\"x\"", "the top level is not a JSON object", 0},
        {"{", "unexpected end of input in an object", 1},
        {"{}x", "trailing data after the top-level object", 2},
        {"{}{}", "trailing data after the top-level object", 2},
        {"{,}", "a string key expected in an object", 1},
        {"{\"a\":1,}", "a string key expected in an object", 7},
        {"{\"a\" 1}", "':' expected after a key", 5},
        {"{\"a\":}", "a JSON value expected", 5},
        {"{\"a\":1 \"b\":2}", "',' or '}' expected in an object", 7},
        {"{\"a\":[1,]}", "a JSON value expected", 8},
        {"{\"a\":[1 2]}", "',' or ']' expected in an array", 8},
        {"{\"a\":[1}", "',' or ']' expected in an array", 7},
        {"{\"a\":{]}", "a string key expected in an object", 6},
        {"{\"a\":\"x}", "unterminated string", 5},
        {"{\"a\":\"x\\", "unterminated string", 5},
        {"{\"a\":\"\x01\"}", "raw control character in a string", 6},
        {"{\"a\":\"\\x\"}", "invalid escape in a string", 6},
        {"{\"a\":\"\\u12g4\"}", "invalid \\u escape in a string", 6},
        {"{\"a\":\"\\u12\"}", "invalid \\u escape in a string", 6},
        {"{\"a\":01}", "',' or '}' expected in an object", 6},
        {"{\"a\":-}", "invalid number", 5},
        {"{\"a\":1.}", "invalid number", 5},
        {"{\"a\":1e+}", "invalid number", 5},
        {"{\"a\":.5}", "a JSON value expected", 5},
        {"{\"a\":+1}", "a JSON value expected", 5},
        {"{\"a\":NaN}", "a JSON value expected", 5},
        {"{\"a\":tru}", "a JSON value expected", 5},
        {"{\"a\":nul}", "a JSON value expected", 5},
        {"{\"a\":nulll}", "',' or '}' expected in an object", 9},
        {"{\"a\":\"\\u0000\"\x00}", "',' or '}' expected in an object", 13},
        {"{\"resourceSpans\":{}}", "ExportTraceServiceRequest.resourceSpans: not an array", 17},
        {"{\"resourceSpans\":[1]}", "ExportTraceServiceRequest.resourceSpans: an element", 18},
        {"{\"resourceSpans\":[{\"resource\":[]}]}", "ResourceSpans.resource: not an object", 30},
        {"{\"resourceSpans\":[{\"scopeSpans\":{}}]}", "ResourceSpans.scopeSpans: not an array", 32},
        {"{\"resourceSpans\":[{\"scopeSpans\":[[]]}]}",
         "ResourceSpans.scopeSpans: an element is not an object", 33},
        {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":{}}]}]}",
         "ScopeSpans.spans: not an array", 42},
        {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":1}]}]}]}",
         "Span.name: not a string", 51},
        {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":[\"x\"]}]}]}]}",
         "Span.name: not a string", 51},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = strlen(bad[i].text);
        if (strstr(bad[i].text, "\\u0000\""))
            n = 15; /* the raw NUL after the string */
        if (decode_json(bad[i].text, n) != SPIDER_EINVAL)
            fail_msg("accepted: %s", bad[i].text);
        error_is(bad[i].msg, bad[i].offset);
    }
}

static void test_json_all_or_nothing(void **state)
{
    (void)state;
    /* good spans first, then a bad one: no span at all */
    assert_int_equal(json("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"a\"},{"
                          "\"name\":\"b\"}]}]},{\"scopeSpans\":[{\"spans\":[{"
                          "\"startTimeUnixNano\":-5}]}]}]}"),
                     SPIDER_EINVAL);
    error_is("Span.startTimeUnixNano: not an integer", 119);
    /* and the trailing garbage after a complete request */
    size_t n = strlen(brief_example);
    char buf[1024];
    memcpy(buf, brief_example, n);
    buf[n] = ',';
    assert_int_equal(decode_json(buf, n + 1), SPIDER_EINVAL);
    error_is("trailing data after the top-level object", n);
    /* NULL with 0 bytes is not JSON */
    assert_int_equal(otlp_traces_decode_json(NULL, 0, collect, &got, &n_spans, &err),
                     SPIDER_EINVAL);
}

/* The decoders never read past n: the same request, cut anywhere inside a
 * larger buffer, is judged on its first n bytes only. */
static void test_reads_only_n_bytes(void **state)
{
    (void)state;
    size_t n = strlen(brief_example);
    char buf[1024];
    memcpy(buf, brief_example, n);
    strcpy(buf + n, "  "); /* followed by whitespace that would make it valid... */
    assert_int_equal(decode_json(buf, n - 1), SPIDER_EINVAL); /* ...without its last '}' */
    error_is("unexpected end of input in an object", n - 1);
}

int main(int argc, char **argv)
{
    fixtures_dir = argc > 1 ? argv[1] : NULL;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdk_fixture_mixed),
        cmocka_unit_test(test_sdk_fixture_batch),
        cmocka_unit_test(test_sdk_fixture_prefixes),
        cmocka_unit_test(test_pb_basic),
        cmocka_unit_test(test_pb_missing_fields_are_defaults),
        cmocka_unit_test(test_pb_resource_after_scope_spans),
        cmocka_unit_test(test_pb_last_one_wins),
        cmocka_unit_test(test_pb_service_name),
        cmocka_unit_test(test_pb_unknown_fields_everywhere),
        cmocka_unit_test(test_pb_wrong_wire_type),
        cmocka_unit_test(test_pb_all_or_nothing),
        cmocka_unit_test(test_pb_wire_errors_name_their_message),
        cmocka_unit_test(test_json_basic),
        cmocka_unit_test(test_json_times),
        cmocka_unit_test(test_json_strings),
        cmocka_unit_test(test_json_long_escaped_strings),
        cmocka_unit_test(test_json_unknown_keys_and_nulls),
        cmocka_unit_test(test_json_service_name),
        cmocka_unit_test(test_json_field_order_and_duplicates),
        cmocka_unit_test(test_json_depth),
        cmocka_unit_test(test_json_syntax_errors),
        cmocka_unit_test(test_json_all_or_nothing),
        cmocka_unit_test(test_reads_only_n_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
