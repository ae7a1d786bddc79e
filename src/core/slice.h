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

#endif
