/* otlp_json.c - the JSON scanner of the OTLP/JSON decoders (see otlp_json.h). */
#include "otlp_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"

#define OTLP_STR2(x) #x
#define OTLP_STR(x)  OTLP_STR2(x)

void oj_start(oj_t *j, const char *p, size_t n)
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

int oj_finish(oj_t *j)
{
    oj_ws(j);
    if (j->p != j->end)
        return oj_fail(j, j->p, "trailing data after the top-level object");
    return 0;
}

int oj_fail(oj_t *j, const char *at, const char *msg)
{
    j->err_at = at;
    j->err_msg = msg;
    return SPIDER_EINVAL;
}

void oj_ws(oj_t *j)
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
int oj_string(oj_t *j, oj_str_t *s)
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
size_t oj_decode(const oj_str_t *s, char *out, size_t cap)
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
int oj_is(const oj_str_t *s, const char *lit)
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
int oj_number(oj_t *j, slice_t *lit)
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
int oj_decimal_u64(const char *s, size_t n, uint64_t *out)
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
int oj_enter(oj_t *j)
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
int oj_member(oj_t *j, int *first, oj_str_t *key)
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
int oj_element(oj_t *j, int *first)
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
int oj_skip(oj_t *j)
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
int oj_null(oj_t *j)
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
int oj_null_or(oj_t *j, char c, const char *msg)
{
    if (*j->p == c)
        return 0;
    if (oj_null(j))
        return 1;
    return oj_fail(j, j->p, msg);
}

/* The text of a numeric field: a number literal, or the decoded bytes of a
 * string holding one (into buf, OTLP_JSON_NUMBER_MAX bytes). 1 if the value
 * is null (consumed), 0 with *text set, or an error: type_msg when it is
 * neither, value_msg for a string too long to be a number. *quoted tells a
 * string. */
static int oj_numeric_text(oj_t *j, char *buf, slice_t *text, int *quoted, const char *type_msg,
                           const char *value_msg)
{
    const char *at = j->p;
    *quoted = *j->p == '"';
    if (*quoted) {
        oj_str_t s;
        if (oj_string(j, &s) != 0)
            return SPIDER_EINVAL;
        *text = slice_make(s.p, s.n);
        if (s.escaped) {
            size_t n = oj_decode(&s, buf, OTLP_JSON_NUMBER_MAX);
            if (n == (size_t)-1)
                return oj_fail(j, at, value_msg);
            *text = slice_make(buf, n);
        }
        return 0;
    }
    if (*j->p == '-' || oj_digit(*j->p))
        return oj_number(j, text);
    if (oj_null(j))
        return 1;
    return oj_fail(j, at, type_msg);
}

int oj_u64(oj_t *j, uint64_t *v, const char *type_msg, const char *value_msg)
{
    const char *at = j->p;
    char buf[OTLP_JSON_NUMBER_MAX];
    slice_t text;
    int quoted;
    int rc = oj_numeric_text(j, buf, &text, &quoted, type_msg, value_msg);
    if (rc != 0)
        return rc > 0 ? 0 : rc;
    if (oj_decimal_u64(text.p, text.n, v) != 0)
        return oj_fail(j, at, value_msg);
    return 0;
}

int oj_i64(oj_t *j, int64_t lo, int64_t hi, int64_t *v, const char *type_msg, const char *value_msg)
{
    const char *at = j->p;
    char buf[OTLP_JSON_NUMBER_MAX];
    slice_t text;
    int quoted;
    uint64_t u;
    int rc = oj_numeric_text(j, buf, &text, &quoted, type_msg, value_msg);
    if (rc != 0)
        return rc > 0 ? 0 : rc;
    int neg = text.n > 0 && text.p[0] == '-';
    if (oj_decimal_u64(text.p + neg, text.n - (size_t)neg, &u) != 0)
        return oj_fail(j, at, value_msg);
    if (!neg) {
        if (hi < 0 || u > (uint64_t)hi)
            return oj_fail(j, at, value_msg);
        *v = (int64_t)u;
        return 0;
    }
    /* The largest magnitude a negative value may have, without computing
     * -INT64_MIN. */
    uint64_t mag_max = lo >= 0 ? 0 : (uint64_t)(-(lo + 1)) + 1;
    if (u > mag_max)
        return oj_fail(j, at, value_msg);
    *v = u == 0 ? 0 : -(int64_t)(u - 1) - 1;
    return 0;
}

int oj_double(oj_t *j, double *v, const char *type_msg)
{
    const char *at = j->p;
    char buf[OTLP_JSON_NUMBER_MAX];
    slice_t text;
    int quoted;
    int rc = oj_numeric_text(j, buf, &text, &quoted, type_msg, type_msg);
    if (rc != 0)
        return rc > 0 ? 0 : rc;
    if (quoted) {
        if (slice_eq_cstr(text, "NaN")) {
            *v = NAN;
            return 0;
        }
        if (slice_eq_cstr(text, "Infinity") || slice_eq_cstr(text, "-Infinity")) {
            *v = text.p[0] == '-' ? -INFINITY : INFINITY;
            return 0;
        }
        /* Otherwise the string must hold a number by the JSON grammar. */
        oj_t sub;
        slice_t lit;
        oj_start(&sub, text.p, text.n);
        if (text.n == 0 || oj_number(&sub, &lit) != 0 || sub.p != sub.end)
            return oj_fail(j, at, type_msg);
    }
    /* strtod wants a NUL; digits past what a double can tell apart still
     * round the result, so a longer literal is refused, not truncated. */
    char z[128];
    if (text.n >= sizeof z)
        return oj_fail(j, at, "a number longer than 127 characters");
    memcpy(z, text.p, text.n);
    z[text.n] = 0;
    *v = strtod(z, NULL);
    return 0;
}

int oj_object_with_array(oj_t *j, int or_null, const char *msg, const char *key,
                         const char *array_msg, int (*fn)(oj_t *j, void *ctx), void *ctx)
{
    int rc = or_null ? oj_null_or(j, '{', msg) : *j->p == '{' ? 0 : oj_fail(j, j->p, msg);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (oj_enter(j) != 0)
        return SPIDER_EINVAL;
    int first = 1;
    oj_str_t k;
    while ((rc = oj_member(j, &first, &k)) > 0) {
        rc = oj_is(&k, key) ? oj_array(j, array_msg, fn, ctx) : oj_skip(j);
        if (rc != 0)
            return SPIDER_EINVAL;
    }
    return rc;
}

int oj_array(oj_t *j, const char *msg, int (*fn)(oj_t *j, void *ctx), void *ctx)
{
    int rc = oj_null_or(j, '[', msg);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (oj_enter(j) != 0)
        return SPIDER_EINVAL;
    int first = 1;
    while ((rc = oj_element(j, &first)) > 0)
        if (fn(j, ctx) != 0)
            return SPIDER_EINVAL;
    return rc;
}

/* A string field or null (as if absent: *s is left alone). */
int oj_string_or_null(oj_t *j, oj_str_t *s, const char *msg)
{
    if (*j->p == '"')
        return oj_string(j, s);
    return oj_null(j) ? 0 : oj_fail(j, j->p, msg);
}

/* AnyValue: updates *v (a repeated "value" key merges). Each member is
 * checked for its JSON type only; a decoder that uses the value reads the
 * token further. */
static int oj_any_value(oj_t *j, oj_value_t *v)
{
    static const struct {
        const char *key;
        otlp_kind_t kind;
        const char *starts; /* bytes a value of the right JSON type may start with */
        const char *msg;
    } members[] = {
        {"stringValue", OTLP_VALUE_STRING, "\"", "AnyValue.stringValue: not a string"},
        {"boolValue", OTLP_VALUE_BOOL, "tf", "AnyValue.boolValue: not a boolean"},
        {"intValue", OTLP_VALUE_INT, "\"-0123456789",
         "AnyValue.intValue: not a number or a string"},
        {"doubleValue", OTLP_VALUE_DOUBLE, "\"-0123456789",
         "AnyValue.doubleValue: not a number or a string"},
        {"arrayValue", OTLP_VALUE_OTHER, "{", "AnyValue.arrayValue: not an object"},
        {"kvlistValue", OTLP_VALUE_OTHER, "{", "AnyValue.kvlistValue: not an object"},
        {"bytesValue", OTLP_VALUE_OTHER, "\"", "AnyValue.bytesValue: not a string"},
        {"stringValueStrindex", OTLP_VALUE_OTHER, "\"-0123456789",
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
        size_t i = 0, n_members = sizeof members / sizeof members[0];
        while (i < n_members && !oj_is(&key, members[i].key))
            i++;
        if (i == n_members || oj_null(j)) { /* unknown, or null: this member is not set */
            if (i == n_members && oj_skip(j) != 0)
                return SPIDER_EINVAL;
            continue;
        }
        if (!*j->p || !strchr(members[i].starts, *j->p))
            return oj_fail(j, j->p, members[i].msg);
        const char *start = j->p;
        v->kind = members[i].kind;
        v->str = (oj_str_t){otlp_nothing, 0, 0};
        v->lit = slice_make(otlp_nothing, 0);
        if (*j->p == '"') {
            if (oj_string(j, &v->str) != 0)
                return SPIDER_EINVAL;
        } else {
            if (oj_skip(j) != 0)
                return SPIDER_EINVAL;
            v->lit = slice_make(start, (size_t)(j->p - start));
        }
    }
    return rc;
}

int oj_key_value(oj_t *j, oj_str_t *key, oj_value_t *value)
{
    int first = 1, rc;
    oj_str_t k;
    *key = (oj_str_t){otlp_nothing, 0, 0};
    *value = (oj_value_t){OTLP_VALUE_EMPTY, {otlp_nothing, 0, 0}, {otlp_nothing, 0}};
    if (oj_enter(j) != 0)
        return SPIDER_EINVAL;
    while ((rc = oj_member(j, &first, &k)) > 0) {
        if (oj_is(&k, "key"))
            rc = oj_string_or_null(j, key, "KeyValue.key: not a string");
        else if (oj_is(&k, "value"))
            rc = oj_any_value(j, value);
        else
            rc = oj_skip(j);
        if (rc != 0)
            return SPIDER_EINVAL;
    }
    return rc;
}
