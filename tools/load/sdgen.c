/* sdgen.c - the pool of StatsD datagrams (see sdgen.h). */
#include "sdgen.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/xmalloc.h"

static size_t sdgen_gcd(size_t a, size_t b)
{
    while (b) {
        size_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Lines in the pool: see sdgen.h. */
static size_t sdgen_pool_lines(size_t series, size_t lines)
{
    size_t lcm = series / sdgen_gcd(series, lines) * lines;
    size_t min = (size_t)SDGEN_MIN_DATAGRAMS * lines;
    if (lcm > SDGEN_MAX_LINES)
        return (series + lines - 1) / lines * lines;
    return (min + lcm - 1) / lcm * lcm;
}

/* Appends the decimal digits of v. */
static void sdgen_uint(buf_t *b, uint64_t v)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    buf_append(b, tmp + i, sizeof tmp - (size_t)i);
}

/* Line i of the pool. */
static void sdgen_line(buf_t *b, const sdgen_shape_t *s, size_t i)
{
    size_t k = i % (size_t)s->series;
    /* 1.000 .. 499.999 ms: a multiplicative hash of i spreads them. */
    uint64_t v = 1000 + ((uint64_t)i * 2654435761u) % 499000u;
    buf_append_cstr(b, s->prefix);
    buf_append(b, ".s", 2);
    sdgen_uint(b, k);
    buf_append(b, ":", 1);
    sdgen_uint(b, v / 1000);
    char frac[4] = {'.', (char)('0' + v / 100 % 10), (char)('0' + v / 10 % 10),
                    (char)('0' + v % 10)};
    buf_append(b, frac, sizeof frac);
    buf_append(b, "|ms", 3);
    if (s->tags) {
        buf_append_cstr(b, "|#env:load,shard:");
        sdgen_uint(b, k % 8);
    }
}

int sdgen_init(sdgen_pool_t *pool, const sdgen_shape_t *s, size_t *longest)
{
    memset(pool, 0, sizeof *pool);
    size_t total = sdgen_pool_lines((size_t)s->series, (size_t)s->lines);
    size_t count = total / (size_t)s->lines;
    buf_t b;
    buf_init(&b);
    size_t *off = xmalloc((count + 1) * sizeof *off);
    size_t line = 0;
    for (size_t d = 0; d < count; d++) {
        off[d] = b.len;
        for (int j = 0; j < s->lines; j++) {
            if (j)
                buf_append(&b, "\n", 1);
            sdgen_line(&b, s, line++);
        }
        size_t len = b.len - off[d];
        if (len > s->max_bytes) {
            if (longest)
                *longest = len;
            free(off);
            buf_dispose(&b);
            return SPIDER_EINVAL;
        }
        if (len > pool->longest)
            pool->longest = len;
    }
    off[count] = b.len;
    pool->bytes = b.p; /* the buffer's bytes are the pool's now */
    pool->off = off;
    pool->count = count;
    pool->lines = total;
    if (longest)
        *longest = pool->longest;
    return 0;
}

void sdgen_dispose(sdgen_pool_t *pool)
{
    free(pool->bytes);
    free(pool->off);
    memset(pool, 0, sizeof *pool);
}
