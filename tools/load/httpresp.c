/* httpresp.c - HTTP/1.1 response heads (see httpresp.h). */
#include "httpresp.h"

#include <string.h>
#include <strings.h>

#include "core/error.h"

/* Case-insensitive: does (p, n) equal the lowercase literal s? */
static int httpresp_is(const char *p, size_t n, const char *s)
{
    return n == strlen(s) && strncasecmp(p, s, n) == 0;
}

/* Does the comma-separated list (p, n) contain token s (any case)? */
static int httpresp_has_token(const char *p, size_t n, const char *s)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == ','))
            i++;
        size_t start = i;
        while (i < n && p[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t'))
            end--;
        if (httpresp_is(p + start, end - start, s))
            return 1;
    }
    return 0;
}

/* A decimal Content-Length: digits only, at most 15 of them. */
static int httpresp_length(const char *p, size_t n, int64_t *out)
{
    if (n == 0 || n > 15)
        return SPIDER_EINVAL;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return SPIDER_EINVAL;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

static int httpresp_header(const char *p, size_t n, httpresp_t *r)
{
    const char *colon = memchr(p, ':', n);
    if (!colon || colon == p)
        return SPIDER_EINVAL;
    size_t nlen = (size_t)(colon - p);
    const char *v = colon + 1;
    size_t vlen = n - nlen - 1;
    while (vlen && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    if (httpresp_is(p, nlen, "content-length")) {
        int64_t len;
        /* Two different lengths would make the body ambiguous. */
        if (httpresp_length(v, vlen, &len) != 0 ||
            (r->content_length >= 0 && r->content_length != len))
            return SPIDER_EINVAL;
        r->content_length = len;
    } else if (httpresp_is(p, nlen, "connection")) {
        if (httpresp_has_token(v, vlen, "close"))
            r->close = 1;
    } else if (httpresp_is(p, nlen, "transfer-encoding")) {
        if (httpresp_has_token(v, vlen, "chunked"))
            r->chunked = 1;
    } else if (httpresp_is(p, nlen, "upgrade")) {
        if (httpresp_has_token(v, vlen, "websocket"))
            r->upgrade_websocket = 1;
    }
    return 0;
}

int httpresp_parse(const char *p, size_t n, httpresp_t *r)
{
    size_t limit = n < HTTPRESP_MAX_HEAD ? n : HTTPRESP_MAX_HEAD;
    const char *end = memmem(p, limit, "\r\n\r\n", 4);
    if (!end)
        return n >= HTTPRESP_MAX_HEAD ? SPIDER_EINVAL : 0;
    size_t head_len = (size_t)(end - p) + 4;
    memset(r, 0, sizeof *r);
    r->content_length = -1;
    /* Status line: "HTTP/1.x DDD reason". */
    if (head_len < 14 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') ||
        p[8] != ' ')
        return SPIDER_EINVAL;
    for (int i = 9; i < 12; i++)
        if (p[i] < '0' || p[i] > '9')
            return SPIDER_EINVAL;
    if (p[12] != ' ' && p[12] != '\r')
        return SPIDER_EINVAL;
    r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    const char *line = memmem(p, head_len, "\r\n", 2) + 2;
    const char *stop = p + head_len - 2; /* the final CRLF */
    while (line < stop) {
        const char *eol = memmem(line, (size_t)(stop - line) + 2, "\r\n", 2);
        if (!eol)
            return SPIDER_EINVAL;
        if (httpresp_header(line, (size_t)(eol - line), r) != 0)
            return SPIDER_EINVAL;
        line = eol + 2;
    }
    r->head_len = head_len;
    return (int)head_len;
}
