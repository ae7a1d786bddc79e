/* fuzz_scan.c - libFuzzer target for spider-load's bounded JSON field scans
 * (tools/load/scan.c).
 *
 * The first input byte picks the key (one the tool reads, or a short or
 * empty one the fuzzer can easily plant); the rest is the message, scanned
 * from an exact-size heap copy (the sanitizers catch a read past the end).
 * Any violation aborts, which libFuzzer (and the corpus replay in the tests)
 * reports as a crash. For scan_json_int and scan_json_str it checks that:
 *   - the message is never written, and *out is left alone on an error;
 *   - the result is 0, SPIDER_ENOENT or SPIDER_EINVAL, and SPIDER_ENOENT
 *     exactly when an independent search finds no "key": in the message;
 *   - on success the value is what a plain re-reading of the bytes after
 *     the first "key": gives: blanks, an optional '-', 1..18 digits, then a
 *     byte inside the message that continues neither the number nor into a
 *     fraction or exponent; or a quote, a run without quote or backslash
 *     borrowed from the message, and the closing quote inside the message;
 *   - appending bytes to a message never changes a successful result.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {
    "seq", "type", "accepted", "rejected", "now_ms", "push_interval_ms", "a", ""};

/* The offset just past the first "key": in (p, n), or -1. */
static long ref_after_key(const char *p, size_t n, const char *key)
{
    char pat[80];
    size_t plen = (size_t)snprintf(pat, sizeof pat, "\"%s\":", key);
    for (size_t i = 0; i + plen <= n; i++)
        if (memcmp(p + i, pat, plen) == 0)
            return (long)(i + plen);
    return -1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void check_int(const char *p, size_t n, const char *key, int appended, int64_t prev)
{
    int64_t v = INT64_C(0x1234567);
    int rc = scan_json_int(p, n, key, &v);
    long at = ref_after_key(p, n, key);
    if ((rc == SPIDER_ENOENT) != (at < 0))
        abort();
    if (appended && rc != 0)
        abort(); /* was found before bytes were appended */
    if (rc != 0) {
        if (rc != SPIDER_ENOENT && rc != SPIDER_EINVAL)
            abort();
        if (v != INT64_C(0x1234567))
            abort();
        return;
    }
    size_t i = (size_t)at;
    while (i < n && is_blank(p[i]))
        i++;
    int neg = i < n && p[i] == '-';
    i += (size_t)neg;
    size_t start = i;
    int64_t want = 0;
    while (i < n && is_digit(p[i]))
        want = want * 10 + (p[i++] - '0');
    if (i == start || i - start > 18 || i >= n || p[i] == '.' || p[i] == 'e' || p[i] == 'E')
        abort();
    if (v != (neg ? -want : want))
        abort();
    if (appended && v != prev)
        abort();
}

static void check_str(const char *p, size_t n, const char *key, int appended, slice_t prev)
{
    slice_t s = {NULL, 12345};
    int rc = scan_json_str(p, n, key, &s);
    long at = ref_after_key(p, n, key);
    if ((rc == SPIDER_ENOENT) != (at < 0))
        abort();
    if (appended && rc != 0)
        abort();
    if (rc != 0) {
        if (rc != SPIDER_ENOENT && rc != SPIDER_EINVAL)
            abort();
        if (s.p != NULL || s.n != 12345)
            abort();
        return;
    }
    size_t i = (size_t)at;
    while (i < n && is_blank(p[i]))
        i++;
    if (i >= n || p[i] != '"' || s.p != p + i + 1 || s.n >= n - i - 1 || s.p[s.n] != '"')
        abort();
    for (size_t k = 0; k < s.n; k++)
        if (s.p[k] == '"' || s.p[k] == '\\')
            abort();
    if (appended && (s.p - p != prev.p - p || s.n != prev.n))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *key = keys[data[0] % (sizeof keys / sizeof keys[0])];
    size_t n = size - 1;
    /* The scans see an exact-size copy; a second copy has 2 more bytes,
     * for the check that appending changes no success. */
    char *exact = calloc(n ? n : 1, 1); /* exact size; calloc: n may be 0 */
    char *roomy = calloc(n + 2, 1);
    if (n) {
        memcpy(exact, data + 1, n);
        memcpy(roomy, data + 1, n);
    }

    check_int(exact, n, key, 0, 0);
    check_str(exact, n, key, 0, slice_make(NULL, 0));
    if (n && memcmp(exact, data + 1, n) != 0)
        abort(); /* the message was written */

    /* Appended bytes: a success stays the same success. */
    int64_t v;
    slice_t s;
    roomy[n] = '1';
    roomy[n + 1] = '"';
    if (scan_json_int(roomy, n, key, &v) == 0)
        check_int(roomy, n + 2, key, 1, v);
    if (scan_json_str(roomy, n, key, &s) == 0)
        check_str(roomy, n + 2, key, 1, s);
    free(roomy);
    free(exact);
    return 0;
}
