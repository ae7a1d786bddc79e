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
#include "pb.h"

#define OTLP_STR2(x) #x
#define OTLP_STR(x)  OTLP_STR2(x)

#define OTLP_SERVICE_NAME "service.name"

/* What an empty slice points at. */
static const char otlp_nothing[1];

/* What an AnyValue holds, as far as the service name cares. */
typedef enum otlp_kind {
    OTLP_VALUE_EMPTY = 0, /* no oneof member */
    OTLP_VALUE_STRING,    /* string_value / stringValue */
    OTLP_VALUE_OTHER,     /* any other member */
} otlp_kind_t;

/* ---------------------------------------------------------------------- */
/* Protobuf                                                                */
/* ---------------------------------------------------------------------- */

/* Which message the reader was in when a wire error happened. */
typedef enum otlp_in {
    OTLP_IN_REQUEST,
    OTLP_IN_RESOURCE_SPANS,
    OTLP_IN_RESOURCE,
    OTLP_IN_KEY_VALUE,
    OTLP_IN_ANY_VALUE,
    OTLP_IN_SCOPE_SPANS,
    OTLP_IN_SPAN,
    OTLP_IN_COUNT
} otlp_in_t;

/* "Span: truncated varint" and the like: every pb error in every message,
 * as static text (otlp_error_t wants a static message). */
#define OTLP_PB_TEXT(where, code, text) [code] = where ": " text,
#define OTLP_PB_ROW(where)                                                                         \
    {                                                                                              \
        [PB_OK] = where, PB_ERROR_LIST(OTLP_PB_TEXT, where)                                        \
    }
static const char *const otlp_pb_messages[OTLP_IN_COUNT][PB_ERR_COUNT] = {
    [OTLP_IN_REQUEST] = OTLP_PB_ROW("ExportTraceServiceRequest"),
    [OTLP_IN_RESOURCE_SPANS] = OTLP_PB_ROW("ResourceSpans"),
    [OTLP_IN_RESOURCE] = OTLP_PB_ROW("Resource"),
    [OTLP_IN_KEY_VALUE] = OTLP_PB_ROW("KeyValue"),
    [OTLP_IN_ANY_VALUE] = OTLP_PB_ROW("AnyValue"),
    [OTLP_IN_SCOPE_SPANS] = OTLP_PB_ROW("ScopeSpans"),
    [OTLP_IN_SPAN] = OTLP_PB_ROW("Span"),
};

/* The state of one protobuf walk. fn == NULL in pass 1. */
typedef struct otlp_pb {
    otlp_span_fn fn;
    void *ctx;
    size_t n_spans;
    size_t err_offset;
    const char *err_msg;
} otlp_pb_t;

/* The service of one ResourceSpans: decided by the first "service.name". */
typedef struct otlp_service {
    int found;
    slice_t value; /* empty unless that attribute's value is a string */
} otlp_service_t;

/* A wire error of reader r, inside message `in`. */
static int otlp_pb_fail(otlp_pb_t *d, const pb_reader_t *r, otlp_in_t in)
{
    d->err_offset = pb_error_offset(r);
    d->err_msg = otlp_pb_messages[in][r->err];
    return SPIDER_EINVAL;
}

/* A known field f of reader r with the wrong wire type. */
static int otlp_pb_wrong(otlp_pb_t *d, const pb_reader_t *r, const pb_field_t *f, const char *msg)
{
    d->err_offset = (size_t)(f->at - r->base);
    d->err_msg = msg;
    return SPIDER_EINVAL;
}

static slice_t otlp_pb_slice(const pb_field_t *f)
{
    return f->len ? slice_make((const char *)f->data, f->len) : slice_make(otlp_nothing, 0);
}

/* Level 4: AnyValue. Updates *kind / *str, so several occurrences of
 * KeyValue.value merge: the last oneof member seen decides. */
static int otlp_pb_any_value(otlp_pb_t *d, pb_reader_t *r, otlp_kind_t *kind, slice_t *str)
{
    static const struct {
        pb_wire_t wire;
        const char *msg;
    } members[9] = {
        [1] = {PB_LEN, "AnyValue.string_value: wire type is not 2 (length-delimited)"},
        [2] = {PB_VARINT, "AnyValue.bool_value: wire type is not 0 (varint)"},
        [3] = {PB_VARINT, "AnyValue.int_value: wire type is not 0 (varint)"},
        [4] = {PB_I64, "AnyValue.double_value: wire type is not 1 (64-bit)"},
        [5] = {PB_LEN, "AnyValue.array_value: wire type is not 2 (length-delimited)"},
        [6] = {PB_LEN, "AnyValue.kvlist_value: wire type is not 2 (length-delimited)"},
        [7] = {PB_LEN, "AnyValue.bytes_value: wire type is not 2 (length-delimited)"},
        [8] = {PB_VARINT, "AnyValue.string_value_strindex: wire type is not 0 (varint)"},
    };
    pb_field_t f;
    int rc;
    while ((rc = pb_next(r, &f)) > 0) {
        if (f.number > 8)
            continue; /* unknown: skipped */
        if (f.wire != members[f.number].wire)
            return otlp_pb_wrong(d, r, &f, members[f.number].msg);
        if (f.number == 1) {
            *kind = OTLP_VALUE_STRING;
            *str = otlp_pb_slice(&f);
        } else {
            *kind = OTLP_VALUE_OTHER;
        }
    }
    return rc < 0 ? otlp_pb_fail(d, r, OTLP_IN_ANY_VALUE) : 0;
}

/* Level 3: KeyValue (the last key wins; values merge). */
static int otlp_pb_key_value(otlp_pb_t *d, pb_reader_t *r, slice_t *key, otlp_kind_t *kind,
                             slice_t *str)
{
    pb_field_t f;
    pb_reader_t sub;
    int rc;
    *key = slice_make(otlp_nothing, 0);
    *kind = OTLP_VALUE_EMPTY;
    *str = slice_make(otlp_nothing, 0);
    while ((rc = pb_next(r, &f)) > 0) {
        if (f.number == 1) {
            if (f.wire != PB_LEN)
                return otlp_pb_wrong(d, r, &f,
                                     "KeyValue.key: wire type is not 2 (length-delimited)");
            *key = otlp_pb_slice(&f);
        } else if (f.number == 2) {
            if (f.wire != PB_LEN)
                return otlp_pb_wrong(d, r, &f,
                                     "KeyValue.value: wire type is not 2 (length-delimited)");
            pb_sub(r, &f, &sub);
            if (otlp_pb_any_value(d, &sub, kind, str) != 0)
                return SPIDER_EINVAL;
        }
    }
    return rc < 0 ? otlp_pb_fail(d, r, OTLP_IN_KEY_VALUE) : 0;
}

/* Level 2: Resource. Its attributes decide *svc (the first "service.name"). */
static int otlp_pb_resource(otlp_pb_t *d, pb_reader_t *r, otlp_service_t *svc)
{
    pb_field_t f;
    pb_reader_t sub;
    int rc;
    while ((rc = pb_next(r, &f)) > 0) {
        if (f.number != 1)
            continue;
        if (f.wire != PB_LEN)
            return otlp_pb_wrong(d, r, &f,
                                 "Resource.attributes: wire type is not 2 (length-delimited)");
        slice_t key, str;
        otlp_kind_t kind;
        pb_sub(r, &f, &sub);
        if (otlp_pb_key_value(d, &sub, &key, &kind, &str) != 0)
            return SPIDER_EINVAL;
        if (!svc->found && slice_eq_cstr(key, OTLP_SERVICE_NAME)) {
            svc->found = 1;
            if (kind == OTLP_VALUE_STRING)
                svc->value = str;
        }
    }
    return rc < 0 ? otlp_pb_fail(d, r, OTLP_IN_RESOURCE) : 0;
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
                return otlp_pb_wrong(d, r, &f, "Span.name: wire type is not 2 (length-delimited)");
            s->name = otlp_pb_slice(&f);
            break;
        case 7:
            if (f.wire != PB_I64)
                return otlp_pb_wrong(d, r, &f,
                                     "Span.start_time_unix_nano: wire type is not 1 (fixed64)");
            s->start_ns = f.u64;
            break;
        case 8:
            if (f.wire != PB_I64)
                return otlp_pb_wrong(d, r, &f,
                                     "Span.end_time_unix_nano: wire type is not 1 (fixed64)");
            s->end_ns = f.u64;
            break;
        default:
            break; /* skipped */
        }
    }
    return rc < 0 ? otlp_pb_fail(d, r, OTLP_IN_SPAN) : 0;
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
            return otlp_pb_wrong(d, r, &f,
                                 "ScopeSpans.spans: wire type is not 2 (length-delimited)");
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
    return rc < 0 ? otlp_pb_fail(d, r, OTLP_IN_SCOPE_SPANS) : 0;
}

/* Level 1: ResourceSpans, read twice: its resource(s), then its scope spans. */
static int otlp_pb_resource_spans(otlp_pb_t *d, const pb_reader_t *r)
{
    otlp_service_t svc = {0, slice_make(otlp_nothing, 0)};
    pb_field_t f;
    pb_reader_t a = *r, b = *r, sub;
    int rc;
    while ((rc = pb_next(&a, &f)) > 0) {
        if (f.number == 1) {
            if (f.wire != PB_LEN)
                return otlp_pb_wrong(
                    d, &a, &f, "ResourceSpans.resource: wire type is not 2 (length-delimited)");
            pb_sub(&a, &f, &sub);
            if (otlp_pb_resource(d, &sub, &svc) != 0)
                return SPIDER_EINVAL;
        } else if (f.number == 2 && f.wire != PB_LEN) {
            return otlp_pb_wrong(
                d, &a, &f, "ResourceSpans.scope_spans: wire type is not 2 (length-delimited)");
        }
    }
    if (rc < 0)
        return otlp_pb_fail(d, &a, OTLP_IN_RESOURCE_SPANS);
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
            return otlp_pb_wrong(
                d, r, &f,
                "ExportTraceServiceRequest.resource_spans: wire type is not 2 (length-delimited)");
        pb_sub(r, &f, &sub);
        if (otlp_pb_resource_spans(d, &sub) != 0)
            return SPIDER_EINVAL;
    }
    return rc < 0 ? otlp_pb_fail(d, r, OTLP_IN_REQUEST) : 0;
}

int otlp_traces_decode_pb(const uint8_t *p, size_t n, otlp_span_fn fn, void *ctx, size_t *n_spans,
                          otlp_error_t *err)
{
    otlp_pb_t d = {NULL, NULL, 0, 0, NULL};
    pb_reader_t r;
    pb_reader_init(&r, p, n);
    if (n_spans)
        *n_spans = 0;
    if (otlp_pb_request(&d, &r) != 0) {
        if (err) {
            err->offset = d.err_offset;
            err->message = d.err_msg;
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
/* JSON                                                                    */
/* ---------------------------------------------------------------------- */

/* A JSON string as it appears in the input: the bytes between the quotes. */
typedef struct oj_str {
    const char *p;
    size_t n;
    int escaped; /* holds at least one backslash escape: decode before use */
} oj_str_t;

/* The state of one JSON walk. fn == NULL in pass 1. */
typedef struct oj {
    const char *base; /* first byte of the input, for offsets */
    const char *p;    /* next byte */
    const char *end;  /* one past the last byte: nothing at or after it is read */
    unsigned depth;   /* arrays and objects open */
    const char *err_at;
    const char *err_msg;
    otlp_span_fn fn;
    void *ctx;
    size_t n_spans;
    int late_resource;  /* pass 1 found a "resource" after a "scopeSpans" */
    size_t name_max;    /* pass 1: longest escaped span name, raw bytes */
    size_t service_max; /* pass 1: longest escaped service name, raw bytes */
    char *name_buf;     /* pass 2: name_max bytes of scratch */
    char *service_buf;  /* pass 2: service_max bytes of scratch */
} oj_t;

/* The service of one ResourceSpans, JSON side. */
typedef struct oj_service {
    int found;
    oj_str_t value; /* n == 0 unless the attribute's value is a string */
    slice_t out;    /* pass 2: value decoded */
} oj_service_t;

static int oj_fail(oj_t *j, const char *at, const char *msg)
{
    j->err_at = at;
    j->err_msg = msg;
    return SPIDER_EINVAL;
}

static void oj_ws(oj_t *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int oj_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The 4 hex digits at p as a number, or -1. */
static long oj_hex4(const char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = oj_hex(p[i]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

/* A string token at j->p (a '"'): checks it and sets *s to its raw bytes. */
static int oj_string(oj_t *j, oj_str_t *s)
{
    const char *q = j->p + 1, *end = j->end;
    int escaped = 0;
    for (;;) {
        if (q == end)
            return oj_fail(j, j->p, "unterminated string");
        unsigned char c = (unsigned char)*q;
        if (c == '"')
            break;
        if (c < 0x20)
            return oj_fail(j, q, "raw control character in a string (it must be escaped)");
        if (c != '\\') {
            q++;
            continue;
        }
        escaped = 1;
        if (end - q < 2)
            return oj_fail(j, j->p, "unterminated string");
        switch (q[1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            q += 2;
            break;
        case 'u':
            if (end - q < 6 || oj_hex4(q + 2) < 0)
                return oj_fail(j, q, "invalid \\u escape in a string (4 hex digits expected)");
            q += 6;
            break;
        default:
            return oj_fail(j, q, "invalid escape in a string");
        }
    }
    s->p = j->p + 1;
    s->n = (size_t)(q - s->p);
    s->escaped = escaped;
    j->p = q + 1;
    return 0;
}

/* Decodes the escapes of a checked string into out (cap bytes). Returns the
 * decoded length, or (size_t)-1 if it does not fit. Never longer than s->n:
 * every escape is at least as long as what it stands for. A UTF-16 pair
 * gives one code point; a lone surrogate gives U+FFFD. */
static size_t oj_decode(const oj_str_t *s, char *out, size_t cap)
{
    const char *q = s->p, *e = s->p + s->n;
    size_t o = 0;
    while (q < e) {
        char c = *q;
        if (c != '\\') {
            if (o == cap)
                return (size_t)-1;
            out[o++] = c;
            q++;
            continue;
        }
        char x = q[1];
        if (x != 'u') {
            static const char map[][2] = {{'"', '"'},  {'\\', '\\'}, {'/', '/'},  {'b', '\b'},
                                          {'f', '\f'}, {'n', '\n'},  {'r', '\r'}, {'t', '\t'}};
            char v = x;
            for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
                if (map[i][0] == x)
                    v = map[i][1];
            if (o == cap)
                return (size_t)-1;
            out[o++] = v;
            q += 2;
            continue;
        }
        unsigned long cp = (unsigned long)oj_hex4(q + 2);
        q += 6;
        if (cp >= 0xd800 && cp <= 0xdbff && e - q >= 6 && q[0] == '\\' && q[1] == 'u') {
            unsigned long lo = (unsigned long)oj_hex4(q + 2);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                q += 6;
            }
        }
        if (cp >= 0xd800 && cp <= 0xdfff)
            cp = 0xfffd;
        unsigned char u[4];
        size_t k;
        if (cp < 0x80) {
            u[0] = (unsigned char)cp;
            k = 1;
        } else if (cp < 0x800) {
            u[0] = (unsigned char)(0xc0 | cp >> 6);
            u[1] = (unsigned char)(0x80 | (cp & 0x3f));
            k = 2;
        } else if (cp < 0x10000) {
            u[0] = (unsigned char)(0xe0 | cp >> 12);
            u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
            u[2] = (unsigned char)(0x80 | (cp & 0x3f));
            k = 3;
        } else {
            u[0] = (unsigned char)(0xf0 | cp >> 18);
            u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
            u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
            u[3] = (unsigned char)(0x80 | (cp & 0x3f));
            k = 4;
        }
        if (cap - o < k)
            return (size_t)-1;
        memcpy(out + o, u, k);
        o += k;
    }
    return o;
}

/* Is the string, unescaped, the key lit? */
static int oj_is(const oj_str_t *s, const char *lit)
{
    size_t n = strlen(lit);
    if (!s->escaped)
        return s->n == n && memcmp(s->p, lit, n) == 0;
    char buf[32]; /* longer than any key compared here */
    size_t m = oj_decode(s, buf, sizeof buf);
    return m == n && memcmp(buf, lit, n) == 0;
}

static int oj_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A number token at j->p, by the JSON grammar; *lit gets its bytes. */
static int oj_number(oj_t *j, slice_t *lit)
{
    const char *q = j->p, *end = j->end;
    if (q < end && *q == '-')
        q++;
    if (q < end && *q == '0') {
        q++;
    } else if (q < end && *q >= '1' && *q <= '9') {
        while (q < end && oj_digit(*q))
            q++;
    } else {
        return oj_fail(j, j->p, "invalid number");
    }
    if (q < end && *q == '.') {
        q++;
        if (q == end || !oj_digit(*q))
            return oj_fail(j, j->p, "invalid number");
        while (q < end && oj_digit(*q))
            q++;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        if (q == end || !oj_digit(*q))
            return oj_fail(j, j->p, "invalid number");
        while (q < end && oj_digit(*q))
            q++;
    }
    *lit = slice_make(j->p, (size_t)(q - j->p));
    j->p = q;
    return 0;
}

/* The value of a JSON number literal (s, n) if it is an integer from 0 to
 * 2^64 - 1, computed exactly from the digits: the significant digits
 * (without leading or trailing zeros) times a power of ten. 0, or -1. */
static int otlp_decimal_u64(const char *s, size_t n, uint64_t *out)
{
    size_t i = 0, int_len = 0, frac_len = 0;
    if (i < n && s[i] == '0') {
        i++, int_len = 1;
    } else {
        while (i < n && oj_digit(s[i]))
            i++, int_len++;
        if (int_len == 0)
            return -1; /* no digits, or a '-' */
    }
    const char *frac = s + i;
    if (i < n && s[i] == '.') {
        frac = s + ++i;
        while (i < n && oj_digit(s[i]))
            i++, frac_len++;
        if (frac_len == 0)
            return -1;
    }
    long exp = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int neg = 0;
        size_t exp_len = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            neg = s[i++] == '-';
        while (i < n && oj_digit(s[i])) {
            if (exp < 100000) /* saturates: beyond that, only zero fits */
                exp = exp * 10 + (s[i] - '0');
            i++, exp_len++;
        }
        if (exp_len == 0)
            return -1;
        if (neg)
            exp = -exp;
    }
    if (i != n)
        return -1;
        /* digit k of the integer part followed by the fraction */
#define OTLP_DIGIT(k) ((k) < int_len ? s[k] : frac[(k)-int_len])
    size_t total = int_len + frac_len, first = 0, last = total;
    while (first < total && OTLP_DIGIT(first) == '0')
        first++;
    if (first == total) {
        *out = 0;
        return 0;
    }
    while (OTLP_DIGIT(last - 1) == '0')
        last--;
    /* value = digits[first, last) * 10^e10, and digit last - 1 is not 0 */
    long e10 = exp - (long)frac_len + (long)(total - last);
    if (e10 < 0 || (long)(last - first) + e10 > 20)
        return -1; /* a fraction remains, or more than 20 digits */
    uint64_t v = 0;
    for (size_t k = first; k < last; k++) {
        unsigned d = (unsigned)(OTLP_DIGIT(k) - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
#undef OTLP_DIGIT
    for (long k = 0; k < e10; k++) {
        if (v > UINT64_MAX / 10)
            return -1;
        v *= 10;
    }
    *out = v;
    return 0;
}

/* One scalar token (string, number, true, false, null) at j->p. */
static int oj_scalar(oj_t *j)
{
    oj_str_t s;
    slice_t lit;
    if (j->p == j->end)
        return oj_fail(j, j->p, "unexpected end of input (a value expected)");
    size_t left = (size_t)(j->end - j->p);
    switch (*j->p) {
    case '"':
        return oj_string(j, &s);
    case 't':
        if (left >= 4 && memcmp(j->p, "true", 4) == 0) {
            j->p += 4;
            return 0;
        }
        break;
    case 'f':
        if (left >= 5 && memcmp(j->p, "false", 5) == 0) {
            j->p += 5;
            return 0;
        }
        break;
    case 'n':
        if (left >= 4 && memcmp(j->p, "null", 4) == 0) {
            j->p += 4;
            return 0;
        }
        break;
    default:
        if (*j->p == '-' || oj_digit(*j->p))
            return oj_number(j, &lit);
        break;
    }
    return oj_fail(j, j->p, "a JSON value expected");
}

/* Enters the object or array whose opening byte is at j->p. */
static int oj_enter(oj_t *j)
{
    if (j->depth >= OTLP_JSON_MAX_DEPTH)
        return oj_fail(j, j->p, "JSON nested more than " OTLP_STR(OTLP_JSON_MAX_DEPTH) " deep");
    j->depth++;
    j->p++;
    return 0;
}

/* Inside an entered object: 1 with *key read and j->p at its value, 0 when
 * the closing '}' was consumed (the object is left), or an error. *first is
 * 1 before the first member. */
static int oj_member(oj_t *j, int *first, oj_str_t *key)
{
    oj_ws(j);
    if (j->p == j->end)
        return oj_fail(j, j->p, "unexpected end of input in an object");
    if (*j->p == '}') {
        j->p++;
        j->depth--;
        return 0;
    }
    if (!*first) {
        if (*j->p != ',')
            return oj_fail(j, j->p, "',' or '}' expected in an object");
        j->p++;
        oj_ws(j);
    }
    *first = 0;
    if (j->p == j->end || *j->p != '"')
        return oj_fail(j, j->p, "a string key expected in an object");
    if (oj_string(j, key) != 0)
        return SPIDER_EINVAL;
    oj_ws(j);
    if (j->p == j->end || *j->p != ':')
        return oj_fail(j, j->p, "':' expected after a key");
    j->p++;
    oj_ws(j);
    if (j->p == j->end)
        return oj_fail(j, j->p, "unexpected end of input (a value expected)");
    return 1;
}

/* Inside an entered array: 1 with j->p at the next element, 0 when the
 * closing ']' was consumed, or an error. */
static int oj_element(oj_t *j, int *first)
{
    oj_ws(j);
    if (j->p == j->end)
        return oj_fail(j, j->p, "unexpected end of input in an array");
    if (*j->p == ']' && *first) {
        j->p++;
        j->depth--;
        return 0;
    }
    if (!*first) {
        if (*j->p == ']') {
            j->p++;
            j->depth--;
            return 0;
        }
        if (*j->p != ',')
            return oj_fail(j, j->p, "',' or ']' expected in an array");
        j->p++;
        oj_ws(j);
        if (j->p == j->end)
            return oj_fail(j, j->p, "unexpected end of input (a value expected)");
    }
    *first = 0;
    return 1;
}

/* Steps over any value at j->p, checking it is valid JSON. A loop: the
 * kinds of the open containers are bits of `objects`, which is enough
 * because OTLP_JSON_MAX_DEPTH <= 64. O(size of the value). */
static int oj_skip(oj_t *j)
{
    _Static_assert(OTLP_JSON_MAX_DEPTH <= 64, "one bit per level");
    uint64_t objects = 0; /* bit i: the container at level i + 1 is an object */
    unsigned level = 0;   /* containers open inside the value */
    int first = 0, rc;
    oj_str_t key;
    for (;;) {
        /* At a value. */
        char c = j->p < j->end ? *j->p : 0;
        if (c == '{' || c == '[') {
            if (oj_enter(j) != 0)
                return SPIDER_EINVAL;
            if (c == '{')
                objects |= UINT64_C(1) << level;
            else
                objects &= ~(UINT64_C(1) << level);
            level++;
            first = 1;
        } else {
            if (oj_scalar(j) != 0)
                return SPIDER_EINVAL;
            if (level == 0)
                return 0;
            first = 0;
        }
        /* To the next value, leaving the containers that close on the way. */
        for (;;) {
            if (objects >> (level - 1) & 1)
                rc = oj_member(j, &first, &key);
            else
                rc = oj_element(j, &first);
            if (rc < 0)
                return rc;
            if (rc == 1)
                break;
            if (--level == 0)
                return 0;
            first = 0;
        }
    }
}

/* At a value: 1 if it is null (then consumed), else 0. */
static int oj_null(oj_t *j)
{
    if (j->end - j->p >= 4 && memcmp(j->p, "null", 4) == 0) {
        j->p += 4;
        return 1;
    }
    return 0;
}

/* At a value that must be null or of the kind opening with c ('{' or '['):
 * 1 if it was null (consumed), 0 if it is that kind (not consumed), or an
 * error with msg. */
static int oj_null_or(oj_t *j, char c, const char *msg)
{
    if (*j->p == c)
        return 0;
    if (oj_null(j))
        return 1;
    return oj_fail(j, j->p, msg);
}

/* A 64-bit unsigned integer field: a number, a string holding one, or null
 * (as if absent: *v is left alone). */
static int oj_u64(oj_t *j, uint64_t *v, const char *type_msg, const char *value_msg)
{
    const char *at = j->p;
    slice_t lit;
    if (*j->p == '"') {
        oj_str_t s;
        if (oj_string(j, &s) != 0)
            return SPIDER_EINVAL;
        char buf[OTLP_JSON_NUMBER_MAX];
        const char *digits = s.p;
        size_t n = s.n;
        if (s.escaped) {
            n = oj_decode(&s, buf, sizeof buf);
            if (n == (size_t)-1)
                return oj_fail(j, at, value_msg);
            digits = buf;
        }
        if (otlp_decimal_u64(digits, n, v) != 0)
            return oj_fail(j, at, value_msg);
        return 0;
    }
    if (*j->p == '-' || oj_digit(*j->p)) {
        if (oj_number(j, &lit) != 0)
            return SPIDER_EINVAL;
        if (otlp_decimal_u64(lit.p, lit.n, v) != 0)
            return oj_fail(j, at, value_msg);
        return 0;
    }
    if (oj_null(j))
        return 0;
    return oj_fail(j, at, type_msg);
}

/* A string field or null (as if absent: *s is left alone). */
static int oj_string_or_null(oj_t *j, oj_str_t *s, const char *msg)
{
    if (*j->p == '"')
        return oj_string(j, s);
    return oj_null(j) ? 0 : oj_fail(j, j->p, msg);
}

/* AnyValue: updates *kind and *str (a repeated "value" key merges). The
 * members other than stringValue are checked for their JSON type only. */
static int oj_any_value(oj_t *j, otlp_kind_t *kind, oj_str_t *str)
{
    static const struct {
        const char *key;
        const char *starts; /* bytes a value of the right JSON type may start with */
        const char *msg;
    } others[] = {
        {"boolValue", "tf", "AnyValue.boolValue: not a boolean"},
        {"intValue", "\"-0123456789", "AnyValue.intValue: not a number or a string"},
        {"doubleValue", "\"-0123456789", "AnyValue.doubleValue: not a number or a string"},
        {"arrayValue", "{", "AnyValue.arrayValue: not an object"},
        {"kvlistValue", "{", "AnyValue.kvlistValue: not an object"},
        {"bytesValue", "\"", "AnyValue.bytesValue: not a string"},
        {"stringValueStrindex", "\"-0123456789",
         "AnyValue.stringValueStrindex: not a number or a string"},
    };
    int rc = oj_null_or(j, '{', "KeyValue.value: not an object");
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (oj_enter(j) != 0)
        return SPIDER_EINVAL;
    int first = 1;
    oj_str_t key;
    while ((rc = oj_member(j, &first, &key)) > 0) {
        if (oj_is(&key, "stringValue")) {
            oj_str_t s = {NULL, 0, 0};
            if (oj_string_or_null(j, &s, "AnyValue.stringValue: not a string") != 0)
                return SPIDER_EINVAL;
            if (s.p) {
                *kind = OTLP_VALUE_STRING;
                *str = s;
            }
            continue;
        }
        size_t i = 0, n_others = sizeof others / sizeof others[0];
        while (i < n_others && !oj_is(&key, others[i].key))
            i++;
        if (i < n_others) {
            if (oj_null(j))
                continue; /* null: this member is not set */
            if (!*j->p || !strchr(others[i].starts, *j->p))
                return oj_fail(j, j->p, others[i].msg);
            *kind = OTLP_VALUE_OTHER;
        }
        if (oj_skip(j) != 0)
            return SPIDER_EINVAL;
    }
    return rc;
}

/* KeyValue: its key (the last wins) and value. */
static int oj_key_value(oj_t *j, oj_str_t *key, otlp_kind_t *kind, oj_str_t *str)
{
    int first = 1, rc;
    oj_str_t k;
    if (oj_enter(j) != 0)
        return SPIDER_EINVAL;
    while ((rc = oj_member(j, &first, &k)) > 0) {
        if (oj_is(&k, "key"))
            rc = oj_string_or_null(j, key, "KeyValue.key: not a string");
        else if (oj_is(&k, "value"))
            rc = oj_any_value(j, kind, str);
        else
            rc = oj_skip(j);
        if (rc != 0)
            return SPIDER_EINVAL;
    }
    return rc;
}

/* Resource: its attributes decide *svc (the first "service.name"). */
static int oj_resource(oj_t *j, oj_service_t *svc)
{
    int rc = oj_null_or(j, '{', "ResourceSpans.resource: not an object");
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (oj_enter(j) != 0)
        return SPIDER_EINVAL;
    int first = 1;
    oj_str_t k;
    while ((rc = oj_member(j, &first, &k)) > 0) {
        if (!oj_is(&k, "attributes")) {
            if (oj_skip(j) != 0)
                return SPIDER_EINVAL;
            continue;
        }
        rc = oj_null_or(j, '[', "Resource.attributes: not an array");
        if (rc < 0)
            return rc;
        if (rc == 1)
            continue;
        if (oj_enter(j) != 0)
            return SPIDER_EINVAL;
        int first_attr = 1;
        while ((rc = oj_element(j, &first_attr)) > 0) {
            if (*j->p != '{')
                return oj_fail(j, j->p, "Resource.attributes: an element is not an object");
            oj_str_t key = {otlp_nothing, 0, 0}, str = {otlp_nothing, 0, 0};
            otlp_kind_t kind = OTLP_VALUE_EMPTY;
            if (oj_key_value(j, &key, &kind, &str) != 0)
                return SPIDER_EINVAL;
            if (!svc->found && oj_is(&key, OTLP_SERVICE_NAME)) {
                svc->found = 1;
                if (kind == OTLP_VALUE_STRING)
                    svc->value = str;
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
static int oj_span_time(oj_t *j, uint64_t *v, int end)
{
    if (end)
        return oj_u64(j, v, "Span.endTimeUnixNano: not a number or a string",
                      "Span.endTimeUnixNano: not an integer from 0 to 2^64-1");
    return oj_u64(j, v, "Span.startTimeUnixNano: not a number or a string",
                  "Span.startTimeUnixNano: not an integer from 0 to 2^64-1");
}

/* Span: counted in pass 1, handed out in pass 2. */
static int oj_span(oj_t *j, const oj_service_t *svc)
{
    oj_str_t name = {otlp_nothing, 0, 0};
    otlp_span_t span = {slice_make(otlp_nothing, 0), svc->out, 0, 0};
    int first = 1, rc;
    oj_str_t k;
    if (oj_enter(j) != 0)
        return SPIDER_EINVAL;
    while ((rc = oj_member(j, &first, &k)) > 0) {
        if (oj_is(&k, "name"))
            rc = oj_string_or_null(j, &name, "Span.name: not a string");
        else if (oj_is(&k, "startTimeUnixNano"))
            rc = oj_span_time(j, &span.start_ns, 0);
        else if (oj_is(&k, "endTimeUnixNano"))
            rc = oj_span_time(j, &span.end_ns, 1);
        else
            rc = oj_skip(j);
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
static int oj_scope_spans(oj_t *j, const oj_service_t *svc)
{
    int first = 1, rc;
    oj_str_t k;
    if (oj_enter(j) != 0)
        return SPIDER_EINVAL;
    while ((rc = oj_member(j, &first, &k)) > 0) {
        if (!oj_is(&k, "spans")) {
            if (oj_skip(j) != 0)
                return SPIDER_EINVAL;
            continue;
        }
        rc = oj_null_or(j, '[', "ScopeSpans.spans: not an array");
        if (rc < 0)
            return rc;
        if (rc == 1)
            continue;
        if (oj_enter(j) != 0)
            return SPIDER_EINVAL;
        int first_span = 1;
        while ((rc = oj_element(j, &first_span)) > 0) {
            if (*j->p != '{')
                return oj_fail(j, j->p, "ScopeSpans.spans: an element is not an object");
            if (oj_span(j, svc) != 0)
                return SPIDER_EINVAL;
        }
        if (rc < 0)
            return rc;
    }
    return rc;
}

/* What of a ResourceSpans to read on one walk over its members. */
enum { OJ_RESOURCE = 1, OJ_SCOPE_SPANS = 2 };

/* The members of a ResourceSpans (j->p at its '{'); what is not in `read`
 * is skipped. */
static int oj_resource_spans_members(oj_t *j, oj_service_t *svc, int read)
{
    int first = 1, rc, seen_scope_spans = 0;
    oj_str_t k;
    if (oj_enter(j) != 0)
        return SPIDER_EINVAL;
    while ((rc = oj_member(j, &first, &k)) > 0) {
        if ((read & OJ_RESOURCE) && oj_is(&k, "resource")) {
            if (seen_scope_spans)
                j->late_resource = 1;
            rc = oj_resource(j, svc);
        } else if ((read & OJ_SCOPE_SPANS) && oj_is(&k, "scopeSpans")) {
            seen_scope_spans = 1;
            rc = oj_null_or(j, '[', "ResourceSpans.scopeSpans: not an array");
            if (rc == 0) {
                if (oj_enter(j) != 0)
                    return SPIDER_EINVAL;
                int first_scope = 1;
                while ((rc = oj_element(j, &first_scope)) > 0) {
                    if (*j->p != '{')
                        return oj_fail(j, j->p,
                                       "ResourceSpans.scopeSpans: an element is not an object");
                    if (oj_scope_spans(j, svc) != 0)
                        return SPIDER_EINVAL;
                }
            }
            rc = rc < 0 ? rc : 0;
        } else {
            rc = oj_skip(j);
        }
        if (rc != 0)
            return SPIDER_EINVAL;
    }
    return rc;
}

/* A ResourceSpans (j->p at its '{'). Pass 2 reads it twice if some
 * "resource" came after a "scopeSpans" (see the top of the file). */
static int oj_resource_spans(oj_t *j)
{
    oj_service_t svc = {0, {otlp_nothing, 0, 0}, {otlp_nothing, 0}};
    if (!j->fn || !j->late_resource)
        return oj_resource_spans_members(j, &svc, OJ_RESOURCE | OJ_SCOPE_SPANS);
    const char *start = j->p;
    if (oj_resource_spans_members(j, &svc, OJ_RESOURCE) != 0)
        return SPIDER_EINVAL;
    j->p = start;
    return oj_resource_spans_members(j, &svc, OJ_SCOPE_SPANS);
}

/* ExportTraceServiceRequest: the whole input. */
static int oj_request(oj_t *j)
{
    oj_ws(j);
    if (j->p == j->end || *j->p != '{')
        return oj_fail(j, j->p, "the top level is not a JSON object");
    if (oj_enter(j) != 0)
        return SPIDER_EINVAL;
    int first = 1, rc;
    oj_str_t k;
    while ((rc = oj_member(j, &first, &k)) > 0) {
        if (!oj_is(&k, "resourceSpans")) {
            if (oj_skip(j) != 0)
                return SPIDER_EINVAL;
            continue;
        }
        rc = oj_null_or(j, '[', "ExportTraceServiceRequest.resourceSpans: not an array");
        if (rc < 0)
            return rc;
        if (rc == 1)
            continue;
        if (oj_enter(j) != 0)
            return SPIDER_EINVAL;
        int first_rs = 1;
        while ((rc = oj_element(j, &first_rs)) > 0) {
            if (*j->p != '{')
                return oj_fail(j, j->p,
                               "ExportTraceServiceRequest.resourceSpans: an element is not an "
                               "object");
            if (oj_resource_spans(j) != 0)
                return SPIDER_EINVAL;
        }
        if (rc < 0)
            return rc;
    }
    if (rc < 0)
        return rc;
    oj_ws(j);
    if (j->p != j->end)
        return oj_fail(j, j->p, "trailing data after the top-level object");
    return 0;
}

static void oj_start(oj_t *j, const char *p, size_t n)
{
    memset(j, 0, sizeof *j);
    if (!p)
        p = otlp_nothing; /* n is 0 */
    j->base = p;
    j->p = p;
    j->end = p + n;
    /* A UTF-8 byte order mark is allowed and skipped (RFC 8259 section 8.1). */
    if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        j->p += 3;
}

int otlp_traces_decode_json(const char *p, size_t n, otlp_span_fn fn, void *ctx, size_t *n_spans,
                            otlp_error_t *err)
{
    oj_t j;
    oj_start(&j, p, n);
    if (n_spans)
        *n_spans = 0;
    if (oj_request(&j) != 0) {
        if (err) {
            err->offset = (size_t)(j.err_at - j.base);
            err->message = j.err_msg;
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
        oj_start(&j, p, n);
        j.fn = fn;
        j.ctx = ctx;
        j.late_resource = late;
        j.name_max = name_max;
        j.service_max = service_max;
        j.name_buf = scratch;
        j.service_buf = scratch + name_max;
        (void)oj_request(&j); /* pass 1 accepted these very bytes */
        free(heap);
    }
    if (n_spans)
        *n_spans = count;
    return 0;
}
