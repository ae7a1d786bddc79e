/* buf.c - growable buffer and JSON writers (see buf.h). */
#include "buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "xmalloc.h"

void buf_init(buf_t *b)
{
    b->p = NULL;
    b->len = b->cap = 0;
}

void buf_dispose(buf_t *b)
{
    free(b->p);
    buf_init(b);
}

void buf_reset(buf_t *b)
{
    b->len = 0;
}

void buf_reserve(buf_t *b, size_t extra)
{
    if (b->cap - b->len > extra)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= extra)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

void buf_append(buf_t *b, const void *p, size_t n)
{
    /* An empty buffer's p is NULL, and memcpy from NULL is undefined even
     * for 0 bytes (UBSan stops the server on it). */
    if (n == 0)
        return;
    buf_reserve(b, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void buf_append_cstr(buf_t *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        buf_reserve(b, (size_t)n + 1);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

const char *buf_cstr(buf_t *b)
{
    buf_reserve(b, 1);
    b->p[b->len] = '\0';
    return b->p;
}

void buf_json_string(buf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    buf_reserve(b, n + 2);
    b->p[b->len++] = '"';
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            buf_reserve(b, 1);
            b->p[b->len++] = (char)c;
            i++;
        } else if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            buf_append(b, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_append(b, esc, 6);
            i++;
        } else {
            size_t len = utf8_seq_len(p + i, n - i);
            if (len) {
                buf_append(b, p + i, len);
                i += len;
            } else {
                buf_append(b, "\xEF\xBF\xBD", 3); /* U+FFFD REPLACEMENT CHARACTER */
                i++;
            }
        }
    }
    buf_reserve(b, 1);
    b->p[b->len++] = '"';
}

void buf_json_double(buf_t *b, double v)
{
    if (!isfinite(v)) {
        buf_append(b, "null", 4);
        return;
    }
    /* Integers print exactly and fast; otherwise the shortest of 15 or 17
     * significant digits that survives the round trip (15 covers the decimals
     * people post, e.g. 8.1, without the 8.0999999999999996 noise). */
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        buf_json_int(b, (int64_t)v);
        return;
    }
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%.15g", v);
    if (strtod(tmp, NULL) != v)
        n = snprintf(tmp, sizeof tmp, "%.17g", v);
    buf_append(b, tmp, (size_t)n);
}

void buf_json_float(buf_t *b, float v)
{
    if (!isfinite(v)) {
        buf_append(b, "null", 4);
        return;
    }
    char tmp[32];
    int n = 0;
    for (int digits = 6; digits <= 9; digits++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", digits, (double)v);
        if (strtof(tmp, NULL) == v)
            break;
    }
    buf_append(b, tmp, (size_t)n);
}

void buf_json_int(buf_t *b, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    buf_append(b, tmp, (size_t)n);
}
