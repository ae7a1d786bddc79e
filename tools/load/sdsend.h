/* sdsend.h - the StatsD sender of spider-load: one thread that sends the
 * datagram pool (sdgen.h) over UDP or a Unix datagram socket.
 *
 * sendmmsg() in batches of up to SDSEND_BATCH datagrams on a connected,
 * blocking socket (SO_SNDTIMEO 100 ms, so a full Unix socket queue cannot
 * hold the thread past a stop). Flat out (rate 0) it sends batch after
 * batch; with a rate it paces by absolute deadlines: datagram n is due at
 * start + n x lines / rate, so sleeping late never accumulates drift. A
 * schedule more than SDSEND_LATE_US behind (the sender or the machine
 * cannot keep up) restarts from now and is counted, rather than bursting
 * to catch up. A send error (ENOBUFS, EAGAIN, ECONNREFUSED, other) drops
 * that datagram and is counted, never fatal; a second error in a row waits
 * 1 ms first, so a dead receiver does not make the thread spin.
 *
 * Opaque handle: sdsend_new / sdsend_free, from the main thread. The
 * counters are atomics: sdsend_read() may be called while it runs.
 */
#ifndef SPIDER_LOAD_SDSEND_H
#define SPIDER_LOAD_SDSEND_H

#include <stddef.h>
#include <stdint.h>

#include "sdgen.h"

#define SDSEND_BATCH   64
#define SDSEND_LATE_US 100000

enum sdsend_err { SDSEND_ENOBUFS, SDSEND_EAGAIN, SDSEND_ECONNREFUSED, SDSEND_EOTHER, SDSEND_ERRS };

/* Stable names of the error kinds ("ENOBUFS", ...). */
const char *sdsend_err_name(int kind);

typedef struct sdsend_config {
    const char *udp;       /* host:port, or NULL */
    const char *unix_path; /* or a Unix datagram socket's path */
    sdgen_shape_t shape;   /* max_bytes is set by sdsend_new */
    double rate;           /* lines per second in total; 0 = flat out */
} sdsend_config_t;

/* Counts so far (sdsend_read) or final (after sdsend_stop). */
typedef struct sdsend_counts {
    uint64_t datagrams, lines, bytes; /* accepted by the kernel */
    uint64_t calls;                   /* sendmmsg() calls */
    uint64_t err[SDSEND_ERRS];        /* datagrams dropped by a send error */
    int last_errno;                   /* of the last "other" error */
    uint64_t late;                    /* paced schedule restarts */
    double run_s;                     /* seconds the thread sent (after stop) */
    double cpu_s;                     /* CPU time of the thread (after stop) */
} sdsend_counts_t;

typedef struct sdsend sdsend_t;

/* Resolves the target, opens and connects the socket, builds the pool.
 * NULL with a reason in err (bad address, no such socket, a datagram over
 * the size limit). */
sdsend_t *sdsend_new(const sdsend_config_t *c, char *err, size_t err_len);
/* Starts the thread; it stops by itself at until_us (loop_now_us clock).
 * 0 or SPIDER_EIO. */
int sdsend_start(sdsend_t *s, int64_t until_us);
/* Ends the thread early if it still runs, and waits for it. Idempotent. */
void sdsend_stop(sdsend_t *s);
void sdsend_read(const sdsend_t *s, sdsend_counts_t *out);
/* "udp://host:port" or "unix://path" (for the report). */
const char *sdsend_target(const sdsend_t *s);
/* The pool's figures: bytes of the longest datagram and the size limit. */
size_t sdsend_longest(const sdsend_t *s);
size_t sdsend_max_bytes(const sdsend_t *s);
void sdsend_free(sdsend_t *s);

#endif
