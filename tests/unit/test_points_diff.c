/* test_points_diff.c - differential test of points_parse() against cJSON.
 *
 * A seeded PRNG builds thousands of valid batch bodies (names with escapes,
 * surrogate pairs, raw UTF-8 and deliberately bad names; numbers in every
 * JSON form) and thousands of broken ones (byte mutations and truncations of
 * valid ones). For each body the verdict of points_parse() (0 or EINVAL) must
 * equal the verdict of cJSON plus a schema check, and for accepted bodies
 * every sample (name bytes, timestamp, duration compared with ==, reject
 * reason) must equal what the cJSON tree says.
 *
 * cJSON is more lenient than RFC 8259 in known ways; we are strict. Those
 * inputs have no single right answer for the oracle, so the generator never
 * produces them in valid bodies and mutated bodies that contain them are
 * skipped (counted, and the skip rate is bounded):
 *   - numbers: leading zeros ("01", "-01"), '.' without digits around it
 *     ("1.", "-.5", "1.e5");
 *   - strings: raw control characters, "\u" without 4 hex digits (cJSON
 *     reads them as U+0000), "\u0000" (cJSON truncates the C string there);
 *     lone surrogates are valid JSON but cJSON rejects them (we deliver
 *     POINTS_BAD_NAME): covered in test_points.c instead;
 *   - any byte < 0x20 between tokens (cJSON skips all of them as whitespace)
 *     and a leading UTF-8 BOM (cJSON skips it);
 *   - numbers over POINTS_NUMBER_MAX bytes (our documented limit; this cJSON
 *     has none);
 *   - timestamps whose double is integral although the literal is not, or
 *     that lie between 2^53 and 2^63 (the oracle only sees a double): the
 *     generator keeps unix_ms out of those ranges, and mutations cannot reach
 *     them from bases of at most 13 digits.
 * cJSON does not check for trailing data when given a length, so the oracle
 * takes the parse end from cJSON_ParseWithLengthOpts and requires that only
 * JSON whitespace follows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/seriesname.h"
#include "ingest/points.h"

#define BODY_MAX (64 * 1024)

/* ---- PRNG (xorshift64*, seeded per case so failures can be replayed) ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned rnd(unsigned n)
{
    return (unsigned)(rng() % n);
}

/* ---- body generation ---- */

typedef struct gen {
    char *b;
    size_t n;
    int spaces_only; /* mutation bases: only ' ' as whitespace, and names */
                     /* without '.', digits or surrogates (see ambiguous()) */
} gen_t;

static void put(gen_t *g, const char *s)
{
    size_t len = strlen(s);
    if (g->n + len < BODY_MAX) {
        memcpy(g->b + g->n, s, len);
        g->n += len;
    }
}

static void putf(gen_t *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(gen_t *g, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(g, tmp);
}

static void ws(gen_t *g)
{
    static const char *const all[] = {"", "", "", "", " ", "  ", "\n", "\t", "\r\n", " \t "};
    if (g->spaces_only)
        put(g, rnd(4) ? "" : " ");
    else
        put(g, all[rnd(10)]);
}

/* A key, written with its quotes. */
static void name(gen_t *g)
{
    static const char *const pieces[] = {
        "checkout",
        ".",
        "db",
        "_",
        "-",
        "api",
        "x",
        "Z",
        "render",
        "9",
        "\\\"",             /* escaped quote */
        "\\\\",             /* escaped backslash */
        "\\/",              /* escaped slash */
        "\\u00e9",          /* é */
        "\\u20AC",          /* € */
        "\\ud83d\\ude00",   /* 😀 as a surrogate pair */
        "\\u0041",          /* A */
        "\xC3\xA9",         /* raw é */
        "\xE2\x82\xAC",     /* raw € */
        "\xF0\x9F\x98\x80", /* raw 😀 */
        "\\n",              /* control char: bad name */
        "\\u001f",          /* control char: bad name */
        "\\u007f",          /* DEL: bad name */
        "\xFF",             /* invalid UTF-8: bad name */
        "\xC3",             /* truncated UTF-8: bad name */
        "\xED\xA0\x80",     /* UTF-8 surrogate: bad name */
        " ",
        "/", /* with "." pieces: "/./", "//", "/..": bad names */
        ".",
    };
    put(g, "\"");
    switch (rnd(20)) {
    case 0: /* empty: bad name */
        break;
    case 1: { /* around the 200-byte limit, in plain ASCII */
        int len = 195 + (int)rnd(11);
        for (int i = 0; i < len; i++)
            put(g, "n");
        break;
    }
    case 2: /* around the limit with a 2-byte escape at the end */
        for (int i = 0; i < 197 + (int)rnd(4); i++)
            put(g, "n");
        put(g, "\\u00e9");
        break;
    default: {
        int parts = 1 + (int)rnd(6);
        for (int i = 0; i < parts; i++) {
            unsigned k = rnd(sizeof pieces / sizeof pieces[0] * 2);
            /* Mostly plain pieces, so most names are good. */
            const char *piece = k < sizeof pieces / sizeof pieces[0] ? pieces[k] : pieces[k % 10];
            if (g->spaces_only && strpbrk(piece, ".9") != NULL)
                piece = "q";
            if (g->spaces_only && strstr(piece, "\\ud") != NULL)
                piece = "\\u00e9";
            put(g, piece);
        }
    }
    }
    put(g, "\"");
}

/* A number in one of many JSON forms. ts: a unix_ms position, where only
 * forms with an unambiguous verdict are produced (see the file comment). */
static void number(gen_t *g, int ts)
{
    if (ts) {
        switch (rnd(10)) {
        case 0:
            putf(g, "%u", rnd(1000));
            return;
        case 1:
            putf(g, "%u.5", rnd(1000)); /* fraction: bad timestamp */
            return;
        case 2:
            putf(g, "1.%03ue12", rnd(1000)); /* integral in exponent form */
            return;
        case 3:
            put(g, rnd(2) ? "-1" : "-0"); /* negative: bad; -0: fine */
            return;
        case 4:
            put(g, rnd(2) ? "1e19" : "1e400"); /* too big */
            return;
        case 5:
            putf(g, "%u0e-1", 1 + rnd(100000)); /* integral, negative exponent */
            return;
        default:
            putf(g, "17641%08u", rnd(100000000)); /* a real unix_ms, 13 digits */
            return;
        }
    }
    char digits[40];
    int nd = 1 + (int)rnd(25); /* even "d.de-NN" stays under POINTS_NUMBER_MAX */
    for (int i = 0; i < nd; i++)
        digits[i] = (char)('0' + rnd(10));
    digits[nd] = '\0';
    if (digits[0] == '0')
        digits[0] = '1';
    switch (rnd(16)) {
    case 0:
        put(g, "0");
        return;
    case 1:
        put(g, "-0");
        return;
    case 2:
        putf(g, "-%u.%u", rnd(1000), rnd(1000)); /* negative */
        return;
    case 3:
        putf(g, "%ue%s%u", 1 + rnd(9), rnd(2) ? "+" : rnd(2) ? "-" : "", rnd(400));
        return;
    case 4:
        putf(g, "%u.%uE%d", rnd(10), rnd(100000), (int)rnd(700) - 350);
        return;
    case 5:
        put(g, rnd(2) ? "1e400" : "-1e400"); /* not finite */
        return;
    case 6:
        putf(g, "0.%0*u", 1 + (int)rnd(8), rnd(100000));
        return;
    case 7:
        put(g, digits); /* up to 30 digits */
        return;
    case 8:
        putf(g, "%s.%s", digits, digits + nd / 2);
        return;
    case 9:
        putf(g, "%.17g", (double)rng() / 3.0);
        return;
    case 10:
        putf(g, "%s.%se-%u", digits, digits, rnd(40));
        return;
    default:
        putf(g, "%u.%03u", rnd(1000), rnd(1000)); /* the common case */
        return;
    }
}

static void body(gen_t *g)
{
    ws(g);
    put(g, "{");
    int keys = (int)rnd(7);
    for (int k = 0; k < keys; k++) {
        if (k)
            put(g, ",");
        ws(g);
        name(g);
        ws(g);
        put(g, ":");
        ws(g);
        put(g, "[");
        int samples = rnd(4) ? (int)rnd(12) : (int)rnd(120);
        for (int i = 0; i < samples; i++) {
            if (i)
                put(g, ",");
            ws(g);
            if (rnd(3) == 0) {
                put(g, "[");
                ws(g);
                number(g, 1);
                ws(g);
                put(g, ",");
                ws(g);
                number(g, 0);
                ws(g);
                put(g, "]");
            } else {
                number(g, 0);
            }
            ws(g);
        }
        put(g, "]");
        ws(g);
    }
    put(g, "}");
    ws(g);
}

/* ---- the oracle: cJSON plus the schema ---- */

typedef struct want {
    int ok;        /* 1: valid, samples below; 0: structural error */
    int ambiguous; /* a unix_ms the oracle cannot judge from a double */
    size_t n;
    points_sample_t s[8192];
    char names[8192][POINTS_NAME_MAX + 1];
} want_t;

static want_t want, have;

/* Independent UTF-8 check by decoding (RFC 3629). */
static int utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], cp, len;
        if (c < 0x80) {
            cp = c;
            len = 1;
        } else if ((c & 0xe0) == 0xc0) {
            cp = c & 0x1f;
            len = 2;
        } else if ((c & 0xf0) == 0xe0) {
            cp = c & 0x0f;
            len = 3;
        } else if ((c & 0xf8) == 0xf0) {
            cp = c & 0x07;
            len = 4;
        } else {
            return 0;
        }
        if (i + len > n)
            return 0;
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        if (cp < 0x20 || cp == 0x7f)
            return 0; /* control characters are not allowed in names */
        i += len;
    }
    return 1;
}

/* Names a path would fold (written apart from core/seriesname.c, by
 * pattern): a leading "/", "//", or a "." or ".." segment. */
static int path_folds(const char *k, size_t n)
{
    static const char *const inner[] = {"//", "/./", "/../"};
    for (size_t i = 0; i < 3; i++)
        if (strstr(k, inner[i]))
            return 1;
    return k[0] == '/' || strcmp(k, ".") == 0 || strcmp(k, "..") == 0 || strncmp(k, "./", 2) == 0 ||
           strncmp(k, "../", 3) == 0 || (n >= 2 && strcmp(k + n - 2, "/.") == 0) ||
           (n >= 3 && strcmp(k + n - 3, "/..") == 0);
}

static void oracle_sample(const char *key, const cJSON *ts, const cJSON *ms)
{
    points_sample_t *s = &want.s[want.n];
    size_t len = strlen(key);
    memset(s, 0, sizeof *s);
    s->reject = POINTS_OK;
    if (len == 0 || len > POINTS_NAME_MAX || !utf8_ok((const unsigned char *)key, len) ||
        path_folds(key, len))
        s->reject = POINTS_BAD_NAME;
    if (s->reject == POINTS_OK)
        memcpy(want.names[want.n], key, len + 1);
    if (ts) {
        double v = ts->valuedouble;
        s->has_ts = 1;
        /* Above 2^53 an integral double may come from a literal with a
         * fraction, or round up to 2^63: only the digits can tell. */
        if (fabs(v) >= 9007199254740992.0 && fabs(v) <= 9223372036854777856.0)
            want.ambiguous = 1;
        /* Integral, >= 0 (-0 included) and below 2^63. */
        if (isfinite(v) && v >= 0 && v == floor(v) && v < 9223372036854775808.0)
            s->ts_ms = (int64_t)v;
        else if (s->reject == POINTS_OK)
            s->reject = POINTS_BAD_TIMESTAMP;
    }
    s->ms = ms->valuedouble;
    if (s->reject == POINTS_OK) {
        if (!isfinite(s->ms))
            s->reject = POINTS_NOT_FINITE;
        else if (s->ms < 0)
            s->reject = POINTS_NEGATIVE;
    }
    want.n++;
}

static int is_json_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Fills `want` from cJSON's view of (p, n). */
static void oracle(const char *p, size_t n)
{
    const char *end = NULL;
    want.ok = 0;
    want.ambiguous = 0;
    want.n = 0;
    cJSON *root = cJSON_ParseWithLengthOpts(p, n, &end, 0);
    if (!root)
        return;
    for (const char *q = end; q < p + n; q++)
        if (!is_json_ws(*q))
            goto out; /* trailing data */
    if (!cJSON_IsObject(root))
        goto out;
    for (const cJSON *k = root->child; k; k = k->next)
        if (!cJSON_IsArray(k))
            goto out;
        else
            for (const cJSON *e = k->child; e; e = e->next)
                if (!cJSON_IsNumber(e) &&
                    !(cJSON_IsArray(e) && cJSON_GetArraySize(e) == 2 && cJSON_IsNumber(e->child) &&
                      cJSON_IsNumber(e->child->next)))
                    goto out;
    want.ok = 1;
    for (const cJSON *k = root->child; k; k = k->next)
        for (const cJSON *e = k->child; e; e = e->next)
            if (cJSON_IsNumber(e))
                oracle_sample(k->string, NULL, e);
            else
                oracle_sample(k->string, e->child, e->child->next);
out:
    cJSON_Delete(root);
}

/* ---- our side ---- */

static void collect(void *ctx, const points_sample_t *s)
{
    (void)ctx;
    assert_true(have.n < sizeof have.s / sizeof have.s[0]);
    have.s[have.n] = *s;
    /* The parser decodes; the name rule is the ingest door's (ingest/sink),
     * applied as it applies it: the name's reason comes first. */
    if (seriesname_check(s->name.p, s->name.n) != SERIESNAME_OK)
        have.s[have.n].reject = POINTS_BAD_NAME;
    memcpy(have.names[have.n], s->name.p, s->name.n);
    have.names[have.n][s->name.n] = '\0';
    have.n++;
}

/* Parses (p, n) from an exact-size copy with both, and compares. Returns 0,
 * or -1 if the oracle cannot judge the input. */
static int compare(const char *p, size_t n, const char *what, unsigned long long seed)
{
    char *copy = malloc(n ? n : 1);
    memcpy(copy, p, n);
    oracle(copy, n);
    if (want.ambiguous) {
        free(copy);
        return -1;
    }
    points_error_t err = {0, NULL};
    have.n = 0;
    int rc = points_parse(copy, n, collect, NULL, &err);
    if ((rc == 0) != want.ok) {
        print_message("%s seed %llu: we say %s (%s at %zu), cJSON says %s\nbody: %.*s\n", what,
                      seed, rc == 0 ? "ok" : "EINVAL", err.message ? err.message : "-", err.offset,
                      want.ok ? "ok" : "invalid", (int)n, copy);
        fail();
    }
    if (rc != 0) {
        assert_int_equal(rc, SPIDER_EINVAL);
        assert_non_null(err.message);
        assert_true(err.offset <= n);
        assert_int_equal(have.n, 0);
        free(copy);
        return 0;
    }
    if (have.n != want.n)
        print_message("%s seed %llu: %zu samples vs cJSON %zu\n", what, seed, have.n, want.n);
    assert_int_equal(have.n, want.n);
    for (size_t i = 0; i < have.n; i++) {
        const points_sample_t *h = &have.s[i], *w = &want.s[i];
        if (h->reject != w->reject || h->has_ts != w->has_ts ||
            (h->reject == POINTS_OK && (h->ms != w->ms || (double)h->ts_ms != (double)w->ts_ms ||
                                        strcmp(have.names[i], want.names[i]) != 0)))
            print_message("%s seed %llu sample %zu at %zu: reject %d/%d ms %.17g/%.17g ts "
                          "%lld/%lld name '%s'/'%s'\n",
                          what, seed, i, h->offset, h->reject, w->reject, h->ms, w->ms,
                          (long long)h->ts_ms, (long long)w->ts_ms, have.names[i], want.names[i]);
        assert_int_equal(h->reject, w->reject);
        assert_int_equal(h->has_ts, w->has_ts);
        assert_true(h->offset < n);
        assert_true(h->ms == w->ms); /* -0 == 0: we hand out +0 */
        if (h->reject == POINTS_OK) {
            assert_true((double)h->ts_ms == (double)w->ts_ms);
            assert_string_equal(have.names[i], want.names[i]);
        }
    }
    free(copy);
    return 0;
}

/* ---- valid bodies ---- */

static void test_valid_bodies(void **state)
{
    (void)state;
    char *b = malloc(BODY_MAX);
    size_t samples = 0, bad = 0;
    for (unsigned long long seed = 1; seed <= 4000; seed++) {
        rng_state = seed * 0x9e3779b97f4a7c15ull;
        gen_t g = {b, 0, 0};
        body(&g);
        assert_int_equal(compare(b, g.n, "valid", seed), 0);
        assert_int_equal(want.ok, 1); /* the generator makes only valid JSON */
        samples += want.n;
        for (size_t i = 0; i < want.n; i++)
            bad += want.s[i].reject != POINTS_OK;
    }
    print_message("valid: 4000 bodies, %zu samples (%zu rejected per sample)\n", samples, bad);
    free(b);
}

/* ---- mutated bodies ---- */

/* Inputs where cJSON's leniency makes its verdict differ from RFC 8259
 * (see the file comment). Conservative: it may also skip innocent ones. */
static int ambiguous(const char *p, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        unsigned char prev = i ? (unsigned char)p[i - 1] : ' ';
        unsigned char next = i + 1 < n ? (unsigned char)p[i + 1] : ' ';
        if (c < 0x20)
            return 1; /* raw control byte: in a string or as "whitespace" */
        if (c == 0xef && next == 0xbb)
            return 1; /* a BOM */
        if (c == '0' && next >= '0' && next <= '9' && !(prev >= '0' && prev <= '9') && prev != '.')
            return 1; /* leading zero (or an exponent's, which is fine but rare) */
        if (c == '.' && (!(prev >= '0' && prev <= '9') || !(next >= '0' && next <= '9')))
            return 1; /* "1.", "-.5", ".5" */
        if (c == '\\' && next == 'u') {
            if (i + 5 >= n)
                return 1;
            for (size_t k = i + 2; k < i + 6; k++)
                if (!((p[k] >= '0' && p[k] <= '9') ||
                      ((p[k] | 0x20) >= 'a' && (p[k] | 0x20) <= 'f')))
                    return 1; /* cJSON takes bad hex as U+0000 */
            if ((p[i + 2] | 0x20) == 'd' && strchr("89abcdefABCDEF", p[i + 3]))
                return 1; /* a surrogate: cJSON's and our answers differ */
            if (memcmp(p + i + 2, "0000", 4) == 0)
                return 1; /* U+0000: cJSON truncates the name */
            i += 5;       /* the hex digits are no number */
            run = 0;
            continue;
        }
        if ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')
            run++;
        else
            run = 0;
        if (run > POINTS_NUMBER_MAX)
            return 1;
    }
    return 0;
}

static size_t mutate(char *b, size_t n)
{
    static const char alphabet[] = "{}[],:\" \\u0123456789.eE+-aZnt/\xC3\xA9\xFF";
    int rounds = 1 + (int)rnd(3);
    for (int r = 0; r < rounds && n > 0; r++) {
        size_t at = rnd((unsigned)n);
        switch (rnd(6)) {
        case 0: /* delete a byte */
            memmove(b + at, b + at + 1, n - at - 1);
            n--;
            break;
        case 1: /* insert a byte */
            if (n + 1 < BODY_MAX) {
                memmove(b + at + 1, b + at, n - at);
                b[at] = alphabet[rnd(sizeof alphabet - 1)];
                n++;
            }
            break;
        case 2: /* replace a byte */
            b[at] = alphabet[rnd(sizeof alphabet - 1)];
            break;
        case 3: /* truncate */
            n = at;
            break;
        case 4: /* swap two neighbours */
            if (at + 1 < n) {
                char t = b[at];
                b[at] = b[at + 1];
                b[at + 1] = t;
            }
            break;
        default: { /* duplicate a short span */
            size_t len = 1 + rnd(8);
            if (at + len <= n && n + len < BODY_MAX) {
                memmove(b + at + len, b + at, n - at);
                n += len;
            }
            break;
        }
        }
    }
    return n;
}

static void test_mutated_bodies(void **state)
{
    (void)state;
    char *b = malloc(BODY_MAX);
    unsigned tried = 0, skipped = 0, rejected = 0, bases = 0;
    for (unsigned long long seed = 1; seed <= 30000; seed++) {
        rng_state = seed * 0xd1b54a32d192ed03ull;
        gen_t g = {b, 0, 1};
        body(&g);
        /* Bases: no ambiguous forms and short unix_ms (see file comment). */
        if (ambiguous(b, g.n))
            continue;
        bases++;
        size_t n = mutate(b, g.n);
        tried++;
        if (ambiguous(b, n)) {
            skipped++;
            continue;
        }
        if (compare(b, n, "mutated", seed) != 0) {
            skipped++;
            continue;
        }
        rejected += !want.ok;
    }
    print_message("mutated: %u of 30000 bases usable, %u compared (%u invalid), %u skipped as "
                  "ambiguous\n",
                  bases, tried - skipped, rejected, skipped);
    /* The filter must leave most inputs to compare, and most must be broken. */
    assert_true(skipped * 3 < tried);
    assert_true(rejected * 2 > tried - skipped);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_bodies),
        cmocka_unit_test(test_mutated_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
