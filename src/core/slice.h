/* slice.h - a borrowed byte range (pointer, length), never NUL-terminated.
 *
 * Parsers and encoders pass these around instead of C strings so that they
 * never depend on a terminator and never write into their input.
 */
#ifndef SPIDER_CORE_SLICE_H
#define SPIDER_CORE_SLICE_H

#include <stddef.h>
#include <string.h>

typedef struct slice {
    const char *p;
    size_t n;
} slice_t;

static inline slice_t slice_make(const char *p, size_t n)
{
    slice_t s = {p, n};
    return s;
}

static inline slice_t slice_cstr(const char *s)
{
    return slice_make(s, strlen(s));
}

static inline int slice_eq_cstr(slice_t s, const char *c)
{
    size_t n = strlen(c);
    return s.n == n && memcmp(s.p, c, n) == 0;
}

static inline int slice_eq(slice_t a, slice_t b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* Takes the next item of a comma-separated list in a C string (the flags'
 * and headers' lists): spaces around an item are dropped, empty items
 * skipped. Returns 1 with *item set and *list moved past it, 0 at the end. */
static inline int slice_next_item(const char **list, slice_t *item)
{
    const char *p = *list;
    while (*p == ' ' || *p == ',')
        p++;
    if (!*p) {
        *list = p;
        return 0;
    }
    size_t n = strcspn(p, ",");
    size_t trimmed = n;
    while (trimmed && p[trimmed - 1] == ' ')
        trimmed--;
    *item = slice_make(p, trimmed);
    *list = p + n;
    return 1;
}

#endif
