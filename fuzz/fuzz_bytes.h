/* fuzz_bytes.h - what the OTLP fuzz targets share: CHECK (fuzz_check.h)
 * and a growable byte buffer for the requests they re-encode. Header-only:
 * each target is one program. */
#ifndef SPIDER_FUZZ_BYTES_H
#define SPIDER_FUZZ_BYTES_H

#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

/* A growable byte buffer. */
typedef struct bytes {
    char *p;
    size_t n, cap;
} bytes_t;

static inline void put(bytes_t *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        CHECK(b->p);
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

static inline void puts_(bytes_t *b, const char *s)
{
    put(b, s, strlen(s));
}

#endif
