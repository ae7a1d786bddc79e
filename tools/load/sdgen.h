/* sdgen.h - the StatsD datagrams spider-load sends (--statsd, --statsd-unix).
 *
 * Each line is a DogStatsD timer, `PREFIX.s<k>:<ms>|ms`, optionally with
 * tags `|#env:load,shard:<k % 8>`; a datagram is --statsd-lines lines
 * joined by '\n'. The values are 1.000 to 499.999 ms, a deterministic
 * function of the line's place in the pool. Line i of the pool is of series
 * i % series.
 *
 * The datagrams are built once, into a pool the sender cycles through, so
 * that sending flat out measures the kernel and the receiver, not the
 * formatting of numbers. The pool holds at least SDGEN_MIN_DATAGRAMS
 * datagrams and a whole number of rounds over the series, so every series
 * gets the same number of lines per pass (unless that would take more than
 * SDGEN_MAX_LINES lines: then one round, rounded up to whole datagrams, and
 * the first series of the next round share its last datagram).
 *
 * Pure: libc and core only (xmalloc aborts on exhaustion).
 */
#ifndef SPIDER_LOAD_SDGEN_H
#define SPIDER_LOAD_SDGEN_H

#include <stddef.h>

#define SDGEN_MIN_DATAGRAMS 1024
#define SDGEN_MAX_LINES     (4u << 20)
/* The largest datagram for UDP: what DogStatsD clients use, so that a
 * datagram fits a 1500-byte Ethernet frame with IPv4/IPv6 and UDP headers
 * (loopback's MTU is 64 KiB; a real network's is not). */
#define SDGEN_MAX_UDP 1432
/* For a Unix datagram socket (DogStatsD over UDS uses 8 KiB). */
#define SDGEN_MAX_UNIX 8192

typedef struct sdgen_shape {
    const char *prefix; /* at most 100 bytes */
    int series;         /* >= 1 */
    int lines;          /* per datagram, >= 1 */
    int tags;           /* append |#env:load,shard:N */
    size_t max_bytes;   /* per datagram */
} sdgen_shape_t;

/* The pool: plain value, owns its arrays (sdgen_init / sdgen_dispose). */
typedef struct sdgen_pool {
    char *bytes;    /* every datagram, back to back */
    size_t *off;    /* datagram i is bytes[off[i], off[i + 1]) */
    size_t count;   /* datagrams */
    size_t lines;   /* in all: count x shape.lines */
    size_t longest; /* bytes of the longest datagram */
} sdgen_pool_t;

/* Builds the pool for s. Returns 0; or SPIDER_EINVAL, the pool left empty,
 * when a datagram would be longer than s->max_bytes (*longest says how
 * long the first such was). */
int sdgen_init(sdgen_pool_t *pool, const sdgen_shape_t *s, size_t *longest);
void sdgen_dispose(sdgen_pool_t *pool);

/* Bytes and length of datagram i (< count). */
static inline const char *sdgen_datagram(const sdgen_pool_t *pool, size_t i, size_t *len)
{
    *len = pool->off[i + 1] - pool->off[i];
    return pool->bytes + pool->off[i];
}

#endif
