/* fuzz_httpresp.c - libFuzzer target for spider-load's HTTP response head
 * parser (tools/load/httpresp.c).
 *
 * The input is parsed as the bytes a server sent, from an exact-size heap
 * copy (the sanitizers catch a read past the end); any violation of what
 * the load tool relies on aborts, which libFuzzer (and the corpus replay in
 * the tests) reports as a crash. It checks that:
 *   - the input is never written;
 *   - the result is SPIDER_EINVAL, 0 (only while no blank line has arrived
 *     and the input is shorter than HTTPRESP_MAX_HEAD) or the head length:
 *     16..HTTPRESP_MAX_HEAD, ending at the first CRLF CRLF;
 *   - on success: a status line "HTTP/1.[01] DDD", status 0..999, a
 *     Content-Length of -1 or 0..999999999999999 and only when the head
 *     names it, chunked / close / upgrade flags that are 0 or 1 and only set
 *     when the head holds the word;
 *   - bytes after the head change nothing, and the last bytes before its
 *     end leave it incomplete;
 *   - the header lines are case-insensitive: the input with everything
 *     after the status line upper-cased (or lower-cased) gets the same
 *     verdict and the same fields.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "httpresp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int parse(const char *p, size_t n, httpresp_t *r)
{
    char *buf = calloc(n ? n : 1, 1); /* exact size; calloc: n may be 0 */
    if (n)
        memcpy(buf, p, n);
    memset(r, 0x5a, sizeof *r);
    int rc = httpresp_parse(buf, n, r);
    if (n && memcmp(buf, p, n) != 0)
        abort(); /* the input was written */
    free(buf);
    return rc;
}

/* Does (p, n) contain word, in any case? */
static int contains_ci(const char *p, size_t n, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= n; i++)
        if (strncasecmp(p + i, word, w) == 0)
            return 1;
    return 0;
}

static int same(const httpresp_t *a, const httpresp_t *b)
{
    return a->status == b->status && a->content_length == b->content_length &&
           a->close == b->close && a->chunked == b->chunked &&
           a->upgrade_websocket == b->upgrade_websocket && a->head_len == b->head_len;
}

static void check_case(const char *p, size_t n, int rc, const httpresp_t *r, int upper)
{
    const char *eol = memmem(p, n, "\r\n", 2);
    if (!eol)
        return;
    char *flipped = malloc(n);
    memcpy(flipped, p, n);
    for (size_t i = (size_t)(eol - p); i < n; i++)
        flipped[i] =
            (char)(upper ? toupper((unsigned char)flipped[i]) : tolower((unsigned char)flipped[i]));
    httpresp_t r2;
    int rc2 = parse(flipped, n, &r2);
    if (rc2 != rc || (rc > 0 && !same(r, &r2)))
        abort();
    free(flipped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    httpresp_t r;
    int rc = parse(p, size, &r);
    size_t limit = size < HTTPRESP_MAX_HEAD ? size : HTTPRESP_MAX_HEAD;
    const char *blank = memmem(p, limit, "\r\n\r\n", 4);

    if (rc == 0) {
        if (blank || size >= HTTPRESP_MAX_HEAD)
            abort();
    } else if (rc > 0) {
        size_t h = (size_t)rc;
        if (!blank || h != (size_t)(blank - p) + 4 || h < 16 || h > HTTPRESP_MAX_HEAD || h > size ||
            r.head_len != h)
            abort();
        if (memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != ' ')
            abort();
        if (r.status < 0 || r.status > 999 ||
            r.status != atoi((const char[]){p[9], p[10], p[11], 0}))
            abort();
        if (r.content_length < -1 || r.content_length > INT64_C(999999999999999) ||
            (r.content_length >= 0 && !contains_ci(p, h, "content-length")))
            abort();
        if ((r.chunked != 0 && r.chunked != 1) || (r.chunked && !contains_ci(p, h, "chunked")))
            abort();
        if ((r.close != 0 && r.close != 1) || (r.close && !contains_ci(p, h, "close")))
            abort();
        if ((r.upgrade_websocket != 0 && r.upgrade_websocket != 1) ||
            (r.upgrade_websocket && !contains_ci(p, h, "websocket")))
            abort();
        /* The head alone, and the head cut short by 1..3 bytes. */
        httpresp_t r2;
        if (parse(p, h, &r2) != rc || !same(&r, &r2))
            abort();
        for (size_t k = 1; k <= 3; k++)
            if (parse(p, h - k, &r2) != 0)
                abort();
    } else if (rc != SPIDER_EINVAL) {
        abort();
    }

    /* Bytes after a complete (or over-long) head change nothing. */
    if (rc != 0 && size < 4096) {
        char *longer = malloc(size + 3);
        memcpy(longer, p, size);
        memcpy(longer + size, "\r\nx", 3);
        httpresp_t r3;
        if (parse(longer, size + 3, &r3) != rc || (rc > 0 && !same(&r, &r3)))
            abort();
        free(longer);
    }

    check_case(p, size, rc, &r, 1);
    check_case(p, size, rc, &r, 0);
    return 0;
}
