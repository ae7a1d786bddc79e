/* statsd.c - the StatsD / DogStatsD line parser (see statsd.h).
 *
 * One pass over a line: the name up to the first ':', the values up to the
 * first '|', the type, then '|'-separated fields in any order. Numbers are
 * checked against a strict decimal grammar first, then converted from a
 * bounded stack copy (strtod needs a NUL). O(n) per line.
 */
#include "statsd.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int statsd_next_line(const char **cursor, const char *end, slice_t *line)
{
    while (*cursor < end) {
        const char *start = *cursor;
        const char *nl = memchr(start, '\n', (size_t)(end - start));
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

/* Checks that [p, p + n) is a decimal number, [+-] digits [. digits]
 * [e [+-] digits] with at least one digit before the exponent, and reads
 * it as mant * 10^exp10 when that is exact in the fast path's terms (at
 * most 15 significant digits, |exponent| small): *fast is then 1. */
static int statsd_number_scan(const char *p, size_t n, int *negative, uint64_t *mant, int *exp10,
                              int *fast)
{
    size_t i = 0, digits = 0, significant = 0;
    int frac = 0, exp = 0;
    *mant = 0;
    *negative = i < n && p[i] == '-';
    if (i < n && (p[i] == '+' || p[i] == '-'))
        i++;
    for (; i < n && statsd_digit(p[i]); i++, digits++)
        if (significant || p[i] != '0') {
            significant++;
            if (significant <= 19)
                *mant = *mant * 10 + (uint64_t)(p[i] - '0');
        }
    if (i < n && p[i] == '.') {
        for (i++; i < n && statsd_digit(p[i]); i++, digits++, frac++)
            if (significant || p[i] != '0') {
                significant++;
                if (significant <= 19)
                    *mant = *mant * 10 + (uint64_t)(p[i] - '0');
            }
    }
    if (!digits)
        return -1;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        int exp_negative = i < n && p[i] == '-';
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        size_t exp_digits = 0;
        for (; i < n && statsd_digit(p[i]); i++, exp_digits++)
            if (exp < 10000)
                exp = exp * 10 + (p[i] - '0');
        if (!exp_digits)
            return -1;
        if (exp_negative)
            exp = -exp;
    }
    if (i != n)
        return -1;
    *exp10 = exp - frac;
    /* Clinger's fast path: an exact mantissa (< 2^53) times or over an
     * exact power of ten is correctly rounded by one IEEE operation. */
    *fast = significant <= 15 && *exp10 >= -22 && *exp10 <= 22;
    return 0;
}

/* Converts a number literal; 0, or -1 if it is not one or not finite. The
 * common literal (12.345) takes the exact fast path; others strtod. */
static int statsd_number(const char *p, size_t n, double *out)
{
    int negative, exp10, fast;
    uint64_t mant;
    if (n == 0 || n > STATSD_NUMBER_MAX ||
        statsd_number_scan(p, n, &negative, &mant, &exp10, &fast) != 0)
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

static int statsd_name_ok(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f || p[i] == '|')
            return 0;
    return 1;
}

static int statsd_type(slice_t t, statsd_kind_t *kind)
{
    if (slice_eq_cstr(t, "ms") || slice_eq_cstr(t, "h") || slice_eq_cstr(t, "d"))
        *kind = STATSD_LATENCY;
    else if (slice_eq_cstr(t, "c"))
        *kind = STATSD_COUNTER;
    else if (slice_eq_cstr(t, "g"))
        *kind = STATSD_GAUGE;
    else if (slice_eq_cstr(t, "s"))
        *kind = STATSD_SET;
    else
        return -1;
    return 0;
}

/* Counts the ':'-separated values; for a latency, checks every one. */
static statsd_error_t statsd_values(slice_t values, int check, size_t *count)
{
    size_t n = 0;
    const char *p = values.p, *end = values.p + values.n;
    for (;;) {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        const char *stop = colon ? colon : end;
        double v;
        if (stop == p || (check && statsd_number(p, (size_t)(stop - p), &v) != 0))
            return STATSD_ERR_VALUE;
        n++;
        if (!colon)
            break;
        p = colon + 1;
    }
    *count = n;
    return STATSD_OK;
}

statsd_error_t statsd_parse_line(const char *p, size_t n, statsd_line_t *out)
{
    memset(out, 0, sizeof *out);
    out->rate = 1.0;
    if (n >= 3 && memcmp(p, "_e{", 3) == 0) {
        out->kind = STATSD_EVENT;
        return STATSD_OK;
    }
    if (n >= 4 && memcmp(p, "_sc|", 4) == 0) {
        out->kind = STATSD_SERVICE_CHECK;
        return STATSD_OK;
    }
    const char *end = p + n;
    const char *colon = memchr(p, ':', n);
    if (!colon) /* "name" or "name|ms": no value */
        return STATSD_ERR_VALUE;
    if (!statsd_name_ok(p, (size_t)(colon - p))) /* also "a|b:1|ms" */
        return STATSD_ERR_NAME;
    out->name = slice_make(p, (size_t)(colon - p));
    const char *bar = memchr(colon + 1, '|', (size_t)(end - colon - 1));
    if (!bar)
        return STATSD_ERR_TYPE;
    out->values = slice_make(colon + 1, (size_t)(bar - colon - 1));

    /* The type, then the optional fields, each after a '|'. */
    const char *field = bar + 1;
    int have_tags = 0;
    for (int first = 1;; first = 0) {
        const char *next = memchr(field, '|', (size_t)(end - field));
        slice_t f = slice_make(field, (size_t)((next ? next : end) - field));
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
        if (!next)
            break;
        field = next + 1;
    }
    return statsd_values(out->values, out->kind == STATSD_LATENCY, &out->n_values);
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
