/* scan.c - bounded field scans (see scan.h). */
#include "scan.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

/* Returns the offset just past "key": and any blanks, or -1. */
static long scan_after_key(const char *p, size_t n, const char *key)
{
    char pat[72];
    int plen = snprintf(pat, sizeof pat, "\"%s\":", key);
    if (plen <= 0 || (size_t)plen >= sizeof pat)
        return -1;
    const char *hit = memmem(p, n, pat, (size_t)plen);
    if (!hit)
        return -1;
    size_t i = (size_t)(hit - p) + (size_t)plen;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    return (long)i;
}

int scan_json_int(const char *p, size_t n, const char *key, int64_t *out)
{
    long at = scan_after_key(p, n, key);
    if (at < 0)
        return SPIDER_ENOENT;
    size_t i = (size_t)at;
    int neg = 0;
    if (i < n && p[i] == '-') {
        neg = 1;
        i++;
    }
    int64_t v = 0;
    size_t digits = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9' && digits < 18) {
        v = v * 10 + (p[i] - '0');
        i++;
        digits++;
    }
    /* 19+ digits, the number is cut off by the end of the scanned bytes, or
     * it goes on as a fraction or an exponent (1.5 is not 1). */
    if (digits == 0 || i >= n || (p[i] >= '0' && p[i] <= '9') || p[i] == '.' || p[i] == 'e' ||
        p[i] == 'E')
        return SPIDER_EINVAL;
    *out = neg ? -v : v;
    return 0;
}

int scan_json_str(const char *p, size_t n, const char *key, slice_t *out)
{
    long at = scan_after_key(p, n, key);
    if (at < 0)
        return SPIDER_ENOENT;
    size_t i = (size_t)at;
    if (i >= n || p[i] != '"')
        return SPIDER_EINVAL;
    size_t start = ++i;
    while (i < n && p[i] != '"' && p[i] != '\\')
        i++;
    if (i >= n || p[i] != '"')
        return SPIDER_EINVAL;
    *out = slice_make(p + start, i - start);
    return 0;
}
