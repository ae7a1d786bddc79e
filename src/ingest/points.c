/* points.c - the zero-allocation parser of POST /api/v1/points bodies.
 *
 * The accepted language is a strict subset of RFC 8259 JSON (ws is JSON
 * whitespace: space, tab, CR, LF):
 *
 *     body   = ws '{' ws [ member *( ws ',' ws member ) ws ] '}' ws
 *     member = string ws ':' ws '[' ws [ sample *( ws ',' ws sample ) ws ] ']'
 *     sample = number | '[' ws number ws ',' ws number ws ']'
 *
 * The nesting depth is fixed at three, so the parser is one loop nest with no
 * recursion and no stack: any deeper nesting is simply a token the grammar
 * does not expect at that place, found in O(1) space.
 *
 * Both passes run the same walker (points_walk), so pass 2 cannot meet a
 * construct that pass 1 did not accept. Pass 1 has no sink and only checks
 * structure; pass 2 also decodes names, converts numbers and calls the sink.
 * Cost is O(n) per pass; the only copies are a key with escapes (into a
 * POINTS_NAME_MAX stack buffer) and a rare number that needs strtod (into a
 * POINTS_NUMBER_MAX stack buffer).
 *
 * Speed: arrays of samples are most of any body, so inside them a fast path
 * (points_list_fast) classifies 32 bytes at a time with SSE2 and takes the
 * common samples, "12.345," and "[1764160000123,4.2],", several per load; it
 * only ever accepts what the byte-at-a-time grammar accepts, and leaves
 * everything else, including every error, to it. Numbers are converted
 * without strtod when Clinger's exact fast path applies (nearly always).
 */
#include "points.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../core/error.h"
#include "../core/utf8.h"

/* For the few helpers of the hot loop, where inlining is what makes the
 * window masks stay in registers. */
#define POINTS_HOT static inline __attribute__((always_inline))

/* State shared by both passes. sink == NULL means "validate only". */
typedef struct points_walk {
    const char *base;    /* first byte of the body, for offsets */
    const char *end;     /* one past the last byte; nothing at or after it is read */
    points_sink_fn sink; /* NULL in pass 1 */
    void *ctx;
    const char *err_at;  /* where pass 1 stopped */
    const char *err_msg; /* static text naming what was expected */
} points_walk_t;

/* A number literal as scanned: value = mant * 10^exp10 unless inexact. */
typedef struct points_num {
    uint64_t mant; /* the first 19 significant digits (fits: 10^19 < 2^64) */
    int32_t exp10; /* decimal exponent applied to mant */
    int neg;       /* leading '-' */
    int inexact;   /* a non-zero digit beyond the 19th was dropped */
} points_num_t;

/* Powers of ten that are exact doubles (10^22 < 2^53 * 2^22 and 5^22 < 2^53). */
static const double points_pow10[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static int points_fail(points_walk_t *w, const char *at, const char *msg)
{
    w->err_at = at;
    w->err_msg = msg;
    return SPIDER_EINVAL;
}

POINTS_HOT int points_is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* The fast path for the common number token, a "simple number": digits,
 * maybe one '.' and more digits, no sign or exponent, e.g. "12.345" or a
 * 13-digit unix_ms. A window of POINTS_WIN bytes is classified at once with
 * SSE2 into bit masks (bit i for byte i); then where each token ends is a
 * count of trailing zeros instead of a loop over bytes whose exit the CPU
 * cannot predict, and several tokens are found per load. Anything that is
 * not a simple number, or any window that would pass the end of the body,
 * is left to the byte-at-a-time code, which also reports every error. */
#define POINTS_WIN 32

typedef struct points_window {
    uint64_t digit; /* '0'..'9' */
    uint64_t dot;   /* '.' */
    uint64_t comma; /* ',' */
    uint64_t open;  /* '[' */
    uint64_t close; /* ']' */
} points_window_t;

#if defined(__SSE2__)
POINTS_HOT unsigned points_mask16(const char *s, points_window_t *m)
{
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                        _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
    m->digit = (unsigned)_mm_movemask_epi8(digit);
    m->dot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
    m->comma = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(',')));
    m->open = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('[')));
    m->close = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(']')));
    return 1;
}

/* Classifies the POINTS_WIN bytes at s; 0 if fewer remain before end. */
POINTS_HOT int points_window(const char *s, const char *end, points_window_t *w)
{
    points_window_t hi;
    if (end - s < POINTS_WIN)
        return 0;
    points_mask16(s, w);
    points_mask16(s + 16, &hi);
    w->digit |= hi.digit << 16;
    w->dot |= hi.dot << 16;
    w->comma |= hi.comma << 16;
    w->open |= hi.open << 16;
    w->close |= hi.close << 16;
    return 1;
}
#else
POINTS_HOT int points_window(const char *s, const char *end, points_window_t *w)
{
    (void)s;
    (void)end;
    (void)w;
    return 0; /* no SSE2: the byte-at-a-time code reads every number */
}
#endif

/* Length of the simple number at byte pos (< POINTS_WIN) of the window at s,
 * or 0 if it is not one or does not end inside the window. *dot gets the
 * position of its '.' relative to pos, or the length if there is none. The
 * checks are the JSON grammar: a digit first, no "0" followed by a digit, at
 * most one '.', a digit after it; and at most 19 bytes, so the digits fit a
 * uint64_t exactly. What follows must be checked by the caller: an 'e' or 'E'
 * there means an exponent, for the slow path. */
POINTS_HOT unsigned points_window_number(const points_window_t *w, const char *s, unsigned pos,
                                         unsigned *dot)
{
    const uint64_t d = w->digit >> pos, p = w->dot >> pos;
    const unsigned t = (unsigned)__builtin_ctzll(~(d | p)); /* <= POINTS_WIN - pos */
    const uint64_t dots = p & ((UINT64_C(1) << t) - 1);
    if (pos + t >= POINTS_WIN || t > 19 || !(d & 1) || (s[pos] == '0' && (d & 2)) ||
        (dots & (dots - 1)) || (dots && !(d & dots << 1)))
        return 0;
    *dot = dots ? (unsigned)__builtin_ctzll(dots) : t;
    return t;
}

/* Length of a simple number starting at s, or 0 (see points_window_number). */
POINTS_HOT unsigned points_simple_number(const char *s, const char *end, unsigned *dot)
{
    points_window_t w;
    if (!points_window(s, end, &w))
        return 0;
    const unsigned t = points_window_number(&w, s, 0, dot);
    return (s[t] | 0x20) == 'e' ? 0 : t; /* s[t] is inside the window */
}

/* Pass 2 reads digits of a simple number 8 at a time (SWAR: SIMD within a
 * register). The first byte must be the low one of the word. */
POINTS_HOT uint64_t points_load8(const char *s)
{
    uint64_t x;
    memcpy(&x, s, sizeof x); /* one unaligned load */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    return x;
}

/* The value of the first k (1..8) bytes of x, all ASCII digits. Subtracting
 * '0' can only borrow upwards, out of the digits into the bytes the shift
 * drops; the shift leaves 8 - k leading zero digits; then digits are combined
 * pairwise in three multiply steps (the well-known 8-digit SWAR conversion). */
POINTS_HOT uint64_t points_value8(uint64_t x, unsigned k)
{
    x = (x - UINT64_C(0x3030303030303030)) << (8 * (8 - k));
    x = x * 10 + (x >> 8);
    x = ((x & UINT64_C(0x000000ff000000ff)) * (100 + (UINT64_C(1000000) << 32)) +
         ((x >> 16) & UINT64_C(0x000000ff000000ff)) * (1 + (UINT64_C(10000) << 32))) >>
        32;
    return x & 0xffffffff;
}

static const uint64_t points_pow10_u64[] = {1,      10,      100,      1000,     10000,
                                            100000, 1000000, 10000000, 100000000};

/* The digits of a simple number of length t (< POINTS_WIN) with its '.' at
 * p (p == t: none) as an integer; s + t <= end. */
POINTS_HOT uint64_t points_simple_mantissa(const char *s, const char *end, unsigned t, unsigned p)
{
    /* 8-byte loads only where 16 bytes remain, so never past the end. */
    if (end - s >= 16 && t <= 8) {
        const uint64_t x = points_load8(s);
        if (p == t)
            return points_value8(x, t);
        /* "123.456": the fraction is moved down to the low bytes. */
        const unsigned f = t - p - 1;
        return points_value8(x, p) * points_pow10_u64[f] + points_value8(x >> (8 * (p + 1)), f);
    }
    if (end - s >= 16 && p == t && t <= 16) /* 9..16 digits, e.g. a unix_ms */
        return points_value8(points_load8(s), 8) * points_pow10_u64[t - 8] +
               points_value8(points_load8(s + 8), t - 8);
    uint64_t m = 0; /* otherwise rare enough for a plain loop */
    for (unsigned i = 0; i < t; i++)
        if (i != p)
            m = m * 10 + (unsigned)(s[i] - '0');
    return m;
}

/* Pass 2 of the fast path: the simple number of length t at tok, its '.' at
 * dot, as mant * 10^exp10 (exact: at most 19 digits). */
POINTS_HOT void points_simple_parts(const char *tok, const char *end, unsigned t, unsigned dot,
                                    points_num_t *num)
{
    num->mant = points_simple_mantissa(tok, end, t, dot);
    num->exp10 = dot < t ? -(int32_t)(t - dot - 1) : 0;
    num->neg = 0;
    num->inexact = 0;
}

POINTS_HOT const char *points_ws(const char *s, const char *end)
{
    /* Most tokens are not preceded by whitespace: one compare decides that. */
    while (s < end && (unsigned char)*s <= ' ' &&
           (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
        s++;
    return s;
}

static inline int points_hex(char c)
{
    if (points_is_digit(c))
        return c - '0';
    c |= 0x20; /* ASCII lower case; maps nothing else into 'a'..'f' */
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Scans a string whose opening quote is just before s. Returns the byte
 * after the closing quote, or NULL with the error set. *escaped tells whether
 * a backslash occurred (then the name needs decoding, else it is a slice of
 * the body). Only JSON validity is checked here; what makes a bad series name
 * (UTF-8, control characters after decoding, length) is per sample. */
static const char *points_scan_string(points_walk_t *w, const char *s, int *escaped)
{
    const char *end = w->end;
    *escaped = 0;
    while (s < end) {
        unsigned char c = (unsigned char)*s;
        if (c == '"')
            return s + 1;
        if (c < 0x20) {
            points_fail(w, s, "control character in a string (it must be escaped)");
            return NULL;
        }
        if (c != '\\') {
            s++;
            continue;
        }
        *escaped = 1;
        if (end - s < 2)
            break;
        switch (s[1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            s += 2;
            break;
        case 'u':
            for (int i = 2; i < 6; i++) {
                if (end - s <= i)
                    goto eof;
                if (points_hex(s[i]) < 0) {
                    points_fail(w, s + i, "expected 4 hex digits after \\u");
                    return NULL;
                }
            }
            s += 6;
            break;
        default:
            points_fail(w, s, "invalid escape in a string");
            return NULL;
        }
    }
eof:
    points_fail(w, end, "unterminated string");
    return NULL;
}

static unsigned points_hex4(const char *s)
{
    return (unsigned)(points_hex(s[0]) << 12 | points_hex(s[1]) << 8 | points_hex(s[2]) << 4 |
                      points_hex(s[3]));
}

/* Decodes the key [s, e) (between its quotes, already validated by pass 1)
 * into *name. Without escapes the name is a slice of the body; with them it
 * is decoded into buf (POINTS_NAME_MAX + 4 bytes). On POINTS_BAD_NAME *name
 * is an unspecified prefix of the decoded name, at most POINTS_NAME_MAX bytes.
 *
 * Escapes always decode to complete UTF-8 sequences that begin with a lead
 * byte or ASCII, never a continuation byte, so validating the decoded bytes
 * as a whole (the sink does) gives the same answer as validating each raw
 * run on its own. */
static points_reject_t points_name(const char *s, const char *e, int escaped, char *buf,
                                   slice_t *name)
{
    if (!escaped) {
        size_t n = (size_t)(e - s);
        *name = slice_make(s, n > POINTS_NAME_MAX ? POINTS_NAME_MAX : n);
        return n > POINTS_NAME_MAX ? POINTS_BAD_NAME : POINTS_OK;
    }
    size_t n = 0;
    points_reject_t r = POINTS_OK;
    while (s < e) {
        if (*s != '\\') {
            if (n == POINTS_NAME_MAX)
                goto too_long;
            buf[n++] = *s++;
            continue;
        }
        unsigned cp;
        switch (s[1]) {
        case 'b':
            cp = '\b';
            break;
        case 'f':
            cp = '\f';
            break;
        case 'n':
            cp = '\n';
            break;
        case 'r':
            cp = '\r';
            break;
        case 't':
            cp = '\t';
            break;
        case 'u':
            cp = points_hex4(s + 2);
            break;
        default: /* '"', '\\' and '/' stand for themselves */
            cp = (unsigned char)s[1];
            break;
        }
        s += s[1] == 'u' ? 6 : 2;
        if (cp >= 0xd800 && cp <= 0xdfff) {
            /* Only a high surrogate followed by a low one is a character;
             * a lone half is well-formed JSON but not text (RFC 8259 8.2). */
            unsigned lo = 0;
            if (cp <= 0xdbff && e - s >= 6 && s[0] == '\\' && s[1] == 'u')
                lo = points_hex4(s + 2);
            if (lo < 0xdc00 || lo > 0xdfff) {
                r = POINTS_BAD_NAME;
                break;
            }
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            s += 6;
        }
        size_t len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (n + len > POINTS_NAME_MAX)
            goto too_long;
        if (len == 1) {
            buf[n++] = (char)cp;
        } else if (len == 2) {
            buf[n++] = (char)(0xc0 | cp >> 6);
            buf[n++] = (char)(0x80 | (cp & 0x3f));
        } else if (len == 3) {
            buf[n++] = (char)(0xe0 | cp >> 12);
            buf[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
            buf[n++] = (char)(0x80 | (cp & 0x3f));
        } else {
            buf[n++] = (char)(0xf0 | cp >> 18);
            buf[n++] = (char)(0x80 | (cp >> 12 & 0x3f));
            buf[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
            buf[n++] = (char)(0x80 | (cp & 0x3f));
        }
    }
    *name = slice_make(buf, n);
    return r;
too_long:
    *name = slice_make(buf, n);
    return POINTS_BAD_NAME;
}

/* Pass 1: checks that a JSON number starts at s (s < end, *s is '-' or a
 * digit) and is at most POINTS_NUMBER_MAX bytes long. Returns the byte after
 * it, or NULL with the error set. Nothing is converted here. */
static const char *points_skip_number(points_walk_t *w, const char *s)
{
    const char *start = s, *end = w->end;
    const char *msg;
    unsigned dot;
    const unsigned t = points_simple_number(s, end, &dot);

    if (t)
        return s + t;
    if (*s == '-' && (++s == end || !points_is_digit(*s))) {
        msg = "expected a digit after '-'";
        goto fail;
    }
    if (*s == '0') {
        /* JSON forbids leading zeros ("01" is not a number). */
        if (++s < end && points_is_digit(*s)) {
            msg = "leading zeros are not allowed in a number";
            goto fail;
        }
    } else {
        while (s < end && points_is_digit(*s))
            s++;
    }
    if (s < end && *s == '.') {
        if (++s == end || !points_is_digit(*s)) {
            msg = "expected a digit after '.'";
            goto fail;
        }
        while (s < end && points_is_digit(*s))
            s++;
    }
    if (s < end && (*s | 0x20) == 'e') {
        if (++s < end && (*s == '+' || *s == '-'))
            s++;
        if (s == end || !points_is_digit(*s)) {
            msg = "expected a digit in the exponent";
            goto fail;
        }
        while (s < end && points_is_digit(*s))
            s++;
    }
    if (s - start > POINTS_NUMBER_MAX) {
        s = start;
        msg = "number too long";
        goto fail;
    }
    return s;
fail:
    points_fail(w, s, msg);
    return NULL;
}

/* Reads the exponent part at s (just after 'e' or 'E') of a valid literal. */
static inline const char *points_exponent(const char *s, const char *end, int32_t *exp10)
{
    int neg = 0;
    int32_t e = 0;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    /* Saturate: 10^100000 is inf and 10^-100000 is 0 for any mantissa that
     * fits in POINTS_NUMBER_MAX bytes, and the sum below cannot overflow. */
    for (; s < end && points_is_digit(*s); s++)
        if (e < 100000)
            e = e * 10 + (*s - '0');
    *exp10 += neg ? -e : e;
    return s;
}

/* Pass 2, slow and exact: splits a valid literal into its first 19
 * significant digits and a decimal exponent, noting whether a non-zero digit
 * was dropped. Used when the literal has more than 19 digits. */
static const char *points_number_exact(const char *s, const char *end, points_num_t *num)
{
    uint64_t mant = 0;
    int32_t exp10 = 0;
    int sig = 0, inexact = 0;

    num->neg = *s == '-';
    s += num->neg;
    for (; s < end && points_is_digit(*s); s++) {
        if (sig < 19) {
            /* A leading "0" adds nothing, as does 0.000 before 123. */
            mant = mant * 10 + (unsigned)(*s - '0');
            sig += mant != 0;
        } else {
            /* Keep the magnitude; the digit itself is lost. */
            exp10++;
            inexact |= *s != '0';
        }
    }
    if (s < end && *s == '.') {
        for (s++; s < end && points_is_digit(*s); s++) {
            if (sig < 19) {
                mant = mant * 10 + (unsigned)(*s - '0');
                sig += mant != 0;
                exp10--;
            } else {
                inexact |= *s != '0';
            }
        }
    }
    if (s < end && (*s | 0x20) == 'e')
        s = points_exponent(s + 1, end, &exp10);
    num->mant = mant;
    num->exp10 = exp10;
    num->inexact = inexact;
    return s;
}

/* Pass 2, the hot path: splits a valid literal (s < end) into digits and
 * exponent. Accumulating every digit without a per-digit limit is safe as
 * long as there are at most 19 of them (10^19 < 2^64); with more, the wrapped
 * value is thrown away and points_number_exact() starts over. */
static inline const char *points_number_fast(const char *s, const char *end, points_num_t *num)
{
    const char *start = s;
    uint64_t mant = 0;
    int32_t exp10 = 0;
    unsigned dot;
    const unsigned t = points_simple_number(s, end, &dot);

    if (t) {
        points_simple_parts(s, end, t, dot, num);
        return s + t;
    }
    num->neg = *s == '-';
    s += num->neg;
    const char *digits = s;
    while (s < end && points_is_digit(*s))
        mant = mant * 10 + (unsigned)(*s++ - '0');
    ptrdiff_t ndigits = s - digits;
    if (s < end && *s == '.') {
        const char *frac = ++s;
        while (s < end && points_is_digit(*s))
            mant = mant * 10 + (unsigned)(*s++ - '0');
        exp10 = -(int32_t)(s - frac);
        ndigits += s - frac;
    }
    if (ndigits > 19)
        return points_number_exact(start, end, num);
    if (s < end && (*s | 0x20) == 'e')
        s = points_exponent(s + 1, end, &exp10);
    num->mant = mant;
    num->exp10 = exp10;
    num->inexact = 0;
    return s;
}

/* The rare conversions: long mantissas, huge or tiny exponents. strtod needs
 * a NUL, so the literal is copied; its grammar was checked, so strtod reads
 * all of it. This assumes LC_NUMERIC is "C" (Spider never calls setlocale). */
static __attribute__((noinline)) double points_number_slow(const char *s, const char *e,
                                                           const points_num_t *num)
{
    if (num->mant == 0 && !num->inexact)
        return num->neg ? -0.0 : 0.0;
    char buf[POINTS_NUMBER_MAX + 1];
    size_t n = (size_t)(e - s);
    memcpy(buf, s, n);
    buf[n] = '\0';
    return strtod(buf, NULL);
}

/* The correctly rounded double of the literal [s, e) scanned into num. */
POINTS_HOT double points_number_value(const char *s, const char *e, const points_num_t *num)
{
    /* Clinger's fast path: mant and 10^|exp10| are both exact doubles, so one
     * IEEE multiplication or division rounds once, correctly (this needs
     * FLT_EVAL_METHOD 0, i.e. SSE2 on x86, not x87). Covers "12.345"-like
     * durations and integer timestamps. */
    if (!num->inexact && num->mant <= (UINT64_C(1) << 53) && num->exp10 >= -22 &&
        num->exp10 <= 22) {
        double v = (double)num->mant;
        v = num->exp10 < 0 ? v / points_pow10[-num->exp10] : v * points_pow10[num->exp10];
        return num->neg ? -v : v;
    }
    return points_number_slow(s, e, num);
}

/* unix_ms must be an exact non-negative integer that fits int64_t; the check
 * is on the decimal digits, not on a rounded double, so 9223372036854775807
 * passes and 9223372036854775808 or 1.5 do not. */
static points_reject_t points_timestamp(const points_num_t *num, int64_t *ts)
{
    uint64_t m = num->mant;
    int32_t e = num->exp10;
    *ts = 0;
    if (m == 0 && !num->inexact)
        return POINTS_OK; /* 0, -0, 0.0e7 */
    /* A dropped non-zero digit means >= 20 significant digits: either a
     * fraction or >= 10^19 > INT64_MAX. */
    if (num->neg || num->inexact)
        return POINTS_BAD_TIMESTAMP;
    while (e < 0 && m % 10 == 0) {
        m /= 10;
        e++;
    }
    if (e < 0)
        return POINTS_BAD_TIMESTAMP;
    /* At most 19 rounds before the check fires, whatever e is. */
    for (; e > 0; e--) {
        if (m > (uint64_t)INT64_MAX / 10)
            return POINTS_BAD_TIMESTAMP;
        m *= 10;
    }
    if (m > (uint64_t)INT64_MAX)
        return POINTS_BAD_TIMESTAMP;
    *ts = (int64_t)m;
    return POINTS_OK;
}

POINTS_HOT int points_starts_number(const char *s, const char *end)
{
    return s < end && (*s == '-' || points_is_digit(*s));
}

/* Scans a number in pass 1 (validation) or reads it in pass 2 (conversion:
 * the body is known valid then). Returns the byte after it or NULL. */
POINTS_HOT const char *points_number(points_walk_t *w, const char *s, int deliver,
                                     points_num_t *num)
{
    if (deliver)
        return points_number_fast(s, w->end, num);
    return points_skip_number(w, s);
}

/* Parses one sample at s and, in pass 2, hands it to the sink. smp carries
 * the name and its reject reason. Returns the byte after it or NULL. */
POINTS_HOT const char *points_sample(points_walk_t *w, const char *s, int deliver,
                                     points_sample_t *smp, points_reject_t name_reject)
{
    const char *end = w->end, *start = s, *ms_s;
    points_num_t ts_num, ms_num;
    int has_ts = 0;

    if (s < end && *s == '[') {
        has_ts = 1;
        s = points_ws(s + 1, end);
        if (!points_starts_number(s, end)) {
            points_fail(w, s, "expected a number as unix_ms in a [unix_ms, duration_ms] pair");
            return NULL;
        }
        if (!(s = points_number(w, s, deliver, &ts_num)))
            return NULL;
        s = points_ws(s, end);
        if (s == end || *s != ',') {
            points_fail(w, s, "expected ',' after unix_ms in a [unix_ms, duration_ms] pair");
            return NULL;
        }
        s = points_ws(s + 1, end);
        if (!points_starts_number(s, end)) {
            points_fail(w, s, "expected a number as duration_ms in a [unix_ms, duration_ms] pair");
            return NULL;
        }
        ms_s = s;
        if (!(s = points_number(w, s, deliver, &ms_num)))
            return NULL;
        const char *ms_e = s;
        s = points_ws(s, end);
        if (s == end || *s != ']') {
            points_fail(w, s, "expected ']' after duration_ms: a pair has exactly two numbers");
            return NULL;
        }
        s++;
        if (!deliver)
            return s;
        smp->ms = points_number_value(ms_s, ms_e, &ms_num);
    } else if (points_starts_number(s, end)) {
        ms_s = s;
        if (!(s = points_number(w, s, deliver, &ms_num)))
            return NULL;
        if (!deliver)
            return s;
        smp->ms = points_number_value(ms_s, s, &ms_num);
    } else {
        points_fail(w, s, "expected a number or [unix_ms, duration_ms] pair");
        return NULL;
    }

    /* Pass 2 only. One reason per sample, the first that applies: the name,
     * then the timestamp, then the duration. */
    smp->offset = (size_t)(start - w->base);
    smp->has_ts = has_ts;
    smp->ts_ms = 0;
    smp->reject = name_reject;
    if (has_ts) {
        points_reject_t r = points_timestamp(&ts_num, &smp->ts_ms);
        if (smp->reject == POINTS_OK)
            smp->reject = r;
    }
    if (smp->reject == POINTS_OK) {
        if (!isfinite(smp->ms))
            smp->reject = POINTS_NOT_FINITE;
        else if (smp->ms < 0)
            smp->reject = POINTS_NEGATIVE;
    }
    if (smp->ms == 0)
        smp->ms = 0; /* -0 is a valid zero duration; hand out +0 */
    w->sink(w->ctx, smp);
    return s;
}

/* The fast path through an array of samples. From s, where a sample starts,
 * consumes samples written without whitespace that are each directly
 * followed by ',': simple numbers and [simple, simple] pairs, as many as the
 * windows hold, and in pass 2 delivers them. Returns where it stopped (s
 * itself, or just after a ','); the byte-at-a-time code goes on from there:
 * whitespace, other numbers, the last sample before ']', or an error. */
POINTS_HOT const char *points_list_fast(points_walk_t *w, const char *s, int deliver,
                                        points_sample_t *smp, points_reject_t name_reject)
{
    points_window_t win;
    while (points_window(s, w->end, &win)) {
        unsigned pos = 0, t, dot;
        while (pos < POINTS_WIN) {
            const char *tok = s + pos;
            if (win.open >> pos & 1) {
                /* [ts,ms] then ',': positions a (ts), b (ms), c (the ','). */
                unsigned a = pos + 1, b, c, t2, dot2;
                if (a >= POINTS_WIN || !(t = points_window_number(&win, s, a, &dot)) ||
                    !(win.comma >> (a + t) & 1))
                    break;
                b = a + t + 1;
                if (b >= POINTS_WIN || !(t2 = points_window_number(&win, s, b, &dot2)) ||
                    !(win.close >> (b + t2) & 1))
                    break;
                c = b + t2 + 1;
                if (c >= POINTS_WIN || !(win.comma >> c & 1))
                    break;
                if (deliver) {
                    points_num_t ts, ms;
                    points_simple_parts(s + b, w->end, t2, dot2, &ms);
                    smp->ms = points_number_value(s + b, s + b + t2, &ms);
                    smp->has_ts = 1;
                    /* unix_ms is checked on its digits, not on a double. */
                    points_simple_parts(s + a, w->end, t, dot, &ts);
                    points_reject_t r = points_timestamp(&ts, &smp->ts_ms);
                    smp->reject = name_reject != POINTS_OK ? name_reject : r;
                    smp->offset = (size_t)(tok - w->base);
                    w->sink(w->ctx, smp);
                }
                pos = c + 1;
            } else {
                if (!(t = points_window_number(&win, s, pos, &dot)) ||
                    !(win.comma >> (pos + t) & 1))
                    break;
                if (deliver) {
                    /* No sign and at most 19 digits: finite, >= 0, not -0. */
                    points_num_t num;
                    points_simple_parts(tok, w->end, t, dot, &num);
                    smp->ms = points_number_value(tok, tok + t, &num);
                    smp->has_ts = 0;
                    smp->ts_ms = 0;
                    smp->reject = name_reject;
                    smp->offset = (size_t)(tok - w->base);
                    w->sink(w->ctx, smp);
                }
                pos += t + 1;
            }
        }
        if (pos == 0)
            break;
        s += pos;
    }
    return s;
}

/* After the closing '}': only whitespace may follow. */
static int points_walk_tail(points_walk_t *w, const char *s)
{
    s = points_ws(s, w->end);
    if (s != w->end)
        return points_fail(w, s, "trailing data after the object");
    return 0;
}

/* One pass over the body: the whole grammar, and with deliver (pass 2) the
 * conversion and the sink calls. Inlined into two copies, so each pass pays
 * only for what it does; both copies check the same grammar. */
POINTS_HOT int points_walk(points_walk_t *w, int deliver)
{
    const char *s = w->base, *end = w->end;
    char namebuf[POINTS_NAME_MAX + 4];
    points_sample_t smp;
    int first = 1;

    memset(&smp, 0, sizeof smp);
    s = points_ws(s, end);
    if (s == end)
        return points_fail(w, s, "empty body");
    if (*s != '{')
        return points_fail(w, s, "top level must be an object");
    s = points_ws(s + 1, end);
    if (s < end && *s == '}')
        return points_walk_tail(w, s + 1);
    for (;;) {
        if (s == end || *s != '"')
            return points_fail(w, s,
                               first ? "expected a string key or '}'" : "expected a string key");
        first = 0;
        const char *key = s + 1;
        int escaped;
        if (!(s = points_scan_string(w, key, &escaped)))
            return SPIDER_EINVAL;
        points_reject_t name_reject = POINTS_OK;
        if (deliver) {
            name_reject = points_name(key, s - 1, escaped, namebuf, &smp.name);
            smp.key_index++;
        }
        s = points_ws(s, end);
        if (s == end || *s != ':')
            return points_fail(w, s, "expected ':' after a key");
        s = points_ws(s + 1, end);
        if (s == end || *s != '[')
            return points_fail(w, s, "expected an array of samples as the value");
        s = points_ws(s + 1, end);
        if (s < end && *s == ']') {
            s++;
        } else {
            for (;;) {
                /* After '[' or ',' (and whitespace): a sample must follow. */
                s = points_ws(points_list_fast(w, s, deliver, &smp, name_reject), end);
                if (!(s = points_sample(w, s, deliver, &smp, name_reject)))
                    return SPIDER_EINVAL;
                s = points_ws(s, end);
                if (s < end && *s == ',') {
                    s = points_ws(s + 1, end);
                    continue;
                }
                if (s < end && *s == ']') {
                    s++;
                    break;
                }
                return points_fail(w, s, "expected ',' or ']' after a sample");
            }
        }
        s = points_ws(s, end);
        if (s < end && *s == ',') {
            s = points_ws(s + 1, end);
            continue;
        }
        if (s < end && *s == '}')
            return points_walk_tail(w, s + 1);
        return points_fail(w, s, "expected ',' or '}' after an array of samples");
    }
}

/* The two instances of points_walk: deliver is a constant in each. */
static int points_validate(points_walk_t *w)
{
    return points_walk(w, 0);
}

static int points_deliver(points_walk_t *w)
{
    return points_walk(w, 1);
}

int points_parse(const char *p, size_t n, points_sink_fn sink, void *ctx, points_error_t *err)
{
    static const char empty[1];
    if (!p) {
        /* NULL + 0 is undefined behaviour; an absent body is an empty one. */
        p = empty;
        n = 0;
    }
    points_walk_t w = {p, p + n, NULL, NULL, NULL, NULL};

    /* Pass 1: structure only, so a bad body applies nothing. */
    if (points_validate(&w) != 0) {
        if (err) {
            err->offset = (size_t)(w.err_at - p);
            err->message = w.err_msg;
        }
        return SPIDER_EINVAL;
    }
    if (!sink)
        return 0;
    /* Pass 2: the same walk cannot fail now; it delivers in body order. */
    w.sink = sink;
    w.ctx = ctx;
    return points_deliver(&w);
}

const char *points_reject_reason(points_reject_t r)
{
    switch (r) {
    case POINTS_OK:
        return "ok";
    case POINTS_BAD_NAME:
        return "bad series name";
    case POINTS_NEGATIVE:
        return "negative duration";
    case POINTS_NOT_FINITE:
        return "duration is not a finite number";
    case POINTS_BAD_TIMESTAMP:
        return "timestamp is not a non-negative integer";
    default:
        return "unknown reason";
    }
}
