/* statsd.c - the StatsD / DogStatsD line parser (see statsd.h).
 *
 * One pass over a line: the name up to the first ':', the values up to the
 * first '|', the type, then '|'-separated fields in any order; the values
 * of a latency last, each checked and converted in one scan (the caller
 * gets the first few converted, statsd_line_t.value). Numbers follow a
 * strict decimal grammar; the common ones convert by Clinger's fast path,
 * the others from a bounded stack copy with strtod (it needs a NUL).
 * O(n) per line.
 */
#include "statsd.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The first '\n' of [p, end), or NULL: eight bytes at a time (a line is
 * a word or three; memchr's call cost more than its search). A byte of
 * w ^ "\n\n..." is zero where w has a '\n'; (x - 0x01..) & ~x & 0x80..
 * marks zero bytes, the lowest mark exactly (a borrow only makes false
 * marks above a true one). Reads nothing past end. */
static const char *statsd_newline(const char *p, const char *end)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    for (; end - p >= 8; p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= ones * '\n';
        uint64_t zero = (w - ones) & ~w & highs;
        if (zero)
            return p + (__builtin_ctzll(zero) >> 3); /* little-endian: the first byte */
    }
    for (; p < end; p++)
        if (*p == '\n')
            return p;
    return NULL;
}

int statsd_next_line(const char **cursor, const char *end, slice_t *line)
{
    while (*cursor < end) {
        const char *start = *cursor;
        const char *nl = statsd_newline(start, end);
        const char *stop = nl ? nl : end;
        *cursor = nl ? nl + 1 : end;
        size_t n = (size_t)(stop - start);
        if (n && start[n - 1] == '\r')
            n--;
        if (n) {
            *line = slice_make(start, n);
            return 1;
        }
    }
    return 0;
}

static int statsd_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Powers of ten that are exact doubles (5^22 < 2^53). */
static const double statsd_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Reads the longest prefix of [p, end) that the strict decimal grammar
 * allows, [+-] digits [. digits] [e [+-] digits] with at least one digit
 * before the exponent, and sets *stop past it. Returns 0, or -1 when that
 * prefix is no number (no digit, or an 'e' without digits). The number is
 * mant * 10^exp10, exact in the fast path's terms (at most 15 significant
 * digits, |exponent| small) when *fast is 1. None of the grammar's bytes
 * is ':' or '|', so a caller that needs the whole token checks that *stop
 * is at its separator: one pass finds the token's end and reads it. */
static int statsd_number_scan(const char *p, const char *end, const char **stop, int *negative,
                              uint64_t *mant, int *exp10, int *fast)
{
    const char *q = p;
    size_t digits, significant = 0;
    int frac = 0, exp = 0;
    uint64_t m = 0; /* the first 19 significant digits: exact in 64 bits */
    *negative = q < end && *q == '-';
    if (q < end && (*q == '+' || *q == '-'))
        q++;
    /* Leading zeros are not significant; every digit after them is. */
    const char *int_start = q;
    while (q < end && *q == '0')
        q++;
    for (; q < end && statsd_digit(*q); q++, significant++)
        if (significant < 19)
            m = m * 10 + (uint64_t)(*q - '0');
    digits = (size_t)(q - int_start);
    if (q < end && *q == '.') {
        const char *frac_start = ++q;
        if (!significant) /* 0.00123: its zeros still scale, in frac */
            while (q < end && *q == '0')
                q++;
        for (; q < end && statsd_digit(*q); q++, significant++)
            if (significant < 19)
                m = m * 10 + (uint64_t)(*q - '0');
        frac = (int)(q - frac_start);
        digits += (size_t)frac;
    }
    *mant = m;
    if (!digits)
        return -1;
    if (q < end && (*q == 'e' || *q == 'E')) {
        q++;
        int exp_negative = q < end && *q == '-';
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        size_t exp_digits = 0;
        for (; q < end && statsd_digit(*q); q++, exp_digits++)
            if (exp < 10000)
                exp = exp * 10 + (*q - '0');
        if (!exp_digits)
            return -1;
        if (exp_negative)
            exp = -exp;
    }
    *stop = q;
    *exp10 = exp - frac;
    /* Clinger's fast path: an exact mantissa (< 2^53) times or over an
     * exact power of ten is correctly rounded by one IEEE operation. */
    *fast = significant <= 15 && *exp10 >= -22 && *exp10 <= 22;
    return 0;
}

/* Converts the number literal that starts at p and ends at the first byte
 * the grammar does not allow (or at end): 0 with *stop past it, or -1 if
 * it is not one, is longer than STATSD_NUMBER_MAX or not finite. The
 * common literal (12.345) takes the exact fast path; others strtod. */
static int statsd_number_at(const char *p, const char *end, const char **stop, double *out)
{
    int negative, exp10, fast;
    uint64_t mant;
    if (statsd_number_scan(p, end, stop, &negative, &mant, &exp10, &fast) != 0)
        return -1;
    size_t n = (size_t)(*stop - p);
    if (n > STATSD_NUMBER_MAX)
        return -1;
    if (fast) {
        double v = (double)mant;
        v = exp10 < 0 ? v / statsd_pow10[-exp10] : v * statsd_pow10[exp10];
        *out = negative && v != 0 ? -v : v; /* "-0" is 0, as in the JSON batch */
        return 0;
    }
    char buf[STATSD_NUMBER_MAX + 1];
    memcpy(buf, p, n);
    buf[n] = '\0';
    double v = strtod(buf, NULL);
    if (!isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* Converts the literal [p, p + n), all of it; 0, or -1 as statsd_number_at. */
static int statsd_number(const char *p, size_t n, double *out)
{
    const char *stop;
    return statsd_number_at(p, p + n, &stop, out) == 0 && stop == p + n ? 0 : -1;
}

/* The name: the bytes before the first ':' of [p, end), checked in the
 * same pass. Returns the ':' (*bad set if the name is empty or has a
 * control character or a '|'), or NULL when there is no ':'. */
enum { STATSD_NAME_STOP = 1, STATSD_NAME_BAD = 2 };

/* Bytes a name stops at (':') or may not hold (control characters, DEL,
 * '|'); 0 for the rest: one load and test per byte. */
static const unsigned char statsd_name_class[256] = {
    [0 ... 0x1f] = STATSD_NAME_BAD,
    [':'] = STATSD_NAME_STOP,
    ['|'] = STATSD_NAME_BAD,
    [0x7f] = STATSD_NAME_BAD,
};

static const char *statsd_name(const char *p, const char *end, int *bad)
{
    const char *q = p;
    int b = 0;
    for (; q < end; q++) {
        unsigned char c = statsd_name_class[(unsigned char)*q];
        if (c) {
            if (c == STATSD_NAME_STOP)
                break;
            b = 1;
        }
    }
    *bad = b || q == p;
    return q < end ? q : NULL;
}

/* The first '|' of [p, end), or end. A byte loop: the fields it crosses
 * (a type, a rate) are a few bytes, shorter than a call to memchr. */
static const char *statsd_bar(const char *p, const char *end)
{
    while (p < end && *p != '|')
        p++;
    return p;
}

/* "ms", "h", "d", "c", "g", "s"; -1 for anything else. */
static int statsd_type(slice_t t, statsd_kind_t *kind)
{
    if (t.n == 2 && t.p[0] == 'm' && t.p[1] == 's') {
        *kind = STATSD_LATENCY;
        return 0;
    }
    if (t.n != 1)
        return -1;
    switch (t.p[0]) {
    case 'h':
    case 'd':
        *kind = STATSD_LATENCY;
        return 0;
    case 'c':
        *kind = STATSD_COUNTER;
        return 0;
    case 'g':
        *kind = STATSD_GAUGE;
        return 0;
    case 's':
        *kind = STATSD_SET;
        return 0;
    default:
        return -1;
    }
}

/* Counts the ':'-separated values of a line that is not a latency (they
 * are not read: each only has to be non-empty). */
static statsd_error_t statsd_count_values(statsd_line_t *out)
{
    size_t n = 0;
    const char *p = out->values.p, *end = p + out->values.n;
    for (;;) {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        const char *stop = colon ? colon : end;
        if (stop == p)
            return STATSD_ERR_VALUE;
        n++;
        if (!colon)
            break;
        p = colon + 1;
    }
    out->n_values = n;
    return STATSD_OK;
}

/* Reads the values from p on as numbers up to the line's first '|', in the
 * pass that finds that '|': a latency's values are then read already.
 * Returns the '|' (NULL when there is none), with *read 1 if every value
 * before it is a number (out->value and n_values are set), else 0: the
 * values are looked at again once the type says whether they must be
 * numbers. A number has no ':' or '|' (statsd_number_scan), so no '|' is
 * skipped. */
static const char *statsd_values_to_bar(statsd_line_t *out, const char *p, const char *end,
                                        int *read)
{
    size_t n = 0;
    for (;;) {
        const char *stop;
        double v;
        if (statsd_number_at(p, end, &stop, &v) != 0 || stop == end ||
            (*stop != ':' && *stop != '|'))
            break;
        if (n < STATSD_VALUES_INLINE)
            out->value[n] = v;
        n++;
        if (*stop == '|') {
            out->n_values = n;
            *read = 1;
            return stop;
        }
        p = stop + 1;
    }
    *read = 0;
    return memchr(p, '|', (size_t)(end - p));
}

/* Checks and converts every value of a latency, in one pass: a number
 * must end at a ':' or at the end of the values. The first
 * STATSD_VALUES_INLINE are kept in out->value, so that the caller need not
 * read them again. */
static statsd_error_t statsd_read_values(statsd_line_t *out)
{
    size_t n = 0;
    const char *p = out->values.p, *end = p + out->values.n;
    for (;;) {
        const char *stop;
        double v;
        if (statsd_number_at(p, end, &stop, &v) != 0 || (stop < end && *stop != ':'))
            return STATSD_ERR_VALUE;
        if (n < STATSD_VALUES_INLINE)
            out->value[n] = v;
        n++;
        if (stop == end)
            break;
        p = stop + 1; /* past the ':'; "1:" leaves an empty value, refused above */
    }
    out->n_values = n;
    return STATSD_OK;
}

statsd_error_t statsd_parse_line(const char *p, size_t n, statsd_line_t *out)
{
    /* Every field but value[] (which only n_values entries give meaning). */
    out->kind = STATSD_LATENCY;
    out->name = slice_make(NULL, 0);
    out->values = slice_make(NULL, 0);
    out->n_values = 0;
    out->rate = 1.0;
    out->tags = slice_make(NULL, 0);
    if (n >= 3 && memcmp(p, "_e{", 3) == 0) {
        out->kind = STATSD_EVENT;
        return STATSD_OK;
    }
    if (n >= 4 && memcmp(p, "_sc|", 4) == 0) {
        out->kind = STATSD_SERVICE_CHECK;
        return STATSD_OK;
    }
    const char *end = p + n;
    int bad_name;
    const char *colon = statsd_name(p, end, &bad_name);
    if (!colon) /* "name" or "name|ms": no value */
        return STATSD_ERR_VALUE;
    if (bad_name) /* also "a|b:1|ms" */
        return STATSD_ERR_NAME;
    out->name = slice_make(p, (size_t)(colon - p));
    int read;
    const char *bar = statsd_values_to_bar(out, colon + 1, end, &read);
    if (!bar)
        return STATSD_ERR_TYPE;
    out->values = slice_make(colon + 1, (size_t)(bar - colon - 1));

    /* The type, then the optional fields, each after a '|'. */
    const char *field = bar + 1;
    int have_tags = 0;
    for (int first = 1;; first = 0) {
        const char *next = statsd_bar(field, end);
        slice_t f = slice_make(field, (size_t)(next - field));
        if (first) {
            if (statsd_type(f, &out->kind) != 0)
                return STATSD_ERR_TYPE;
        } else if (f.n && f.p[0] == '@') {
            double rate;
            if (statsd_number(f.p + 1, f.n - 1, &rate) != 0 || !(rate > 0.0 && rate <= 1.0))
                return STATSD_ERR_RATE;
            out->rate = rate;
        } else if (f.n && f.p[0] == '#' && !have_tags) {
            out->tags = slice_make(f.p + 1, f.n - 1);
            have_tags = 1;
        }
        /* else: c:container, Ttimestamp, e:external, card:..., unknown: skipped */
        if (next == end)
            break;
        field = next + 1;
    }
    if (out->kind != STATSD_LATENCY)
        return statsd_count_values(out);
    /* Not all numbers before the '|': read again, to refuse the line. */
    return read ? STATSD_OK : statsd_read_values(out);
}

int statsd_next_value(slice_t *values, double *value)
{
    if (values->n == 0)
        return 0;
    const char *colon = memchr(values->p, ':', values->n);
    size_t len = colon ? (size_t)(colon - values->p) : values->n;
    if (statsd_number(values->p, len, value) != 0)
        *value = NAN; /* not a checked latency line: the caller's mistake */
    size_t skip = colon ? len + 1 : len;
    values->p += skip;
    values->n -= skip;
    return 1;
}

const char *statsd_error_label(statsd_error_t e)
{
    static const char *const labels[STATSD_ERR_COUNT] = {
        [STATSD_OK] = "ok",
        [STATSD_ERR_NAME] = "bad_name",
        [STATSD_ERR_VALUE] = "bad_value",
        [STATSD_ERR_TYPE] = "bad_type",
        [STATSD_ERR_RATE] = "bad_rate",
    };
    return (unsigned)e < STATSD_ERR_COUNT ? labels[e] : "unknown";
}

const char *statsd_kind_label(statsd_kind_t k)
{
    static const char *const labels[STATSD_KIND_COUNT] = {
        [STATSD_LATENCY] = "latency", [STATSD_COUNTER] = "counter",
        [STATSD_GAUGE] = "gauge",     [STATSD_SET] = "set",
        [STATSD_EVENT] = "event",     [STATSD_SERVICE_CHECK] = "service_check",
    };
    return (unsigned)k < STATSD_KIND_COUNT ? labels[k] : "unknown";
}
