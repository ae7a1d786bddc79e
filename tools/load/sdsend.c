/* sdsend.c - the StatsD sender thread (see sdsend.h). */
#include "sdsend.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/xmalloc.h"
#include "loop.h"
#include "net.h"

struct sdsend {
    int fd;
    char target[300];
    double rate;
    int lines; /* per datagram */
    size_t max_bytes;
    sdgen_pool_t pool;
    struct iovec *iov; /* one per pool datagram */
    pthread_t thread;
    int started, joined;
    int64_t until_us;
    atomic_int stop;
    /* Written by the thread, read by anyone (relaxed: they are counts). */
    atomic_uint_fast64_t datagrams, lines_sent, bytes, calls, late;
    atomic_uint_fast64_t err[SDSEND_ERRS];
    atomic_int last_errno;
    /* Written by the thread before it ends; read after the join. */
    double run_s, cpu_s;
};

static const char *const SDSEND_ERR_NAMES[SDSEND_ERRS] = {"ENOBUFS", "EAGAIN", "ECONNREFUSED",
                                                          "other"};

const char *sdsend_err_name(int kind)
{
    return kind >= 0 && kind < SDSEND_ERRS ? SDSEND_ERR_NAMES[kind] : "unknown";
}

static int sdsend_open(sdsend_t *s, const sdsend_config_t *c, char *err, size_t err_len)
{
    struct sockaddr_storage sa;
    socklen_t sa_len;
    memset(&sa, 0, sizeof sa);
    if (c->unix_path) {
        struct sockaddr_un *un = (struct sockaddr_un *)&sa;
        if (strlen(c->unix_path) >= sizeof un->sun_path) {
            snprintf(err, err_len, "--statsd-unix: path longer than %zu bytes",
                     sizeof un->sun_path - 1);
            return SPIDER_EINVAL;
        }
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, c->unix_path, strlen(c->unix_path) + 1);
        sa_len = (socklen_t)sizeof *un;
        snprintf(s->target, sizeof s->target, "unix://%s", c->unix_path);
    } else {
        net_addr_t a;
        if (net_resolve(c->udp, &a, err, err_len) != 0)
            return SPIDER_EINVAL;
        memcpy(&sa, &a.sa, a.len);
        sa_len = a.len;
        snprintf(s->target, sizeof s->target, "udp://%s", c->udp);
    }
    s->fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        snprintf(err, err_len, "socket: %s", strerror(errno));
        return SPIDER_EIO;
    }
    /* Blocking, so that flat out is as fast as the kernel takes datagrams
     * without spinning on EAGAIN; the timeout bounds a wait on a full Unix
     * socket queue, so a stop is noticed. */
    struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
    setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(s->fd, (const struct sockaddr *)&sa, sa_len) != 0) {
        snprintf(err, err_len, "cannot connect to %s: %s", s->target, strerror(errno));
        return SPIDER_EIO;
    }
    return 0;
}

sdsend_t *sdsend_new(const sdsend_config_t *c, char *err, size_t err_len)
{
    sdsend_t *s = xcalloc(1, sizeof *s);
    s->fd = -1;
    s->rate = c->rate;
    s->lines = c->shape.lines;
    sdgen_shape_t shape = c->shape;
    shape.max_bytes = c->unix_path ? SDGEN_MAX_UNIX : SDGEN_MAX_UDP;
    s->max_bytes = shape.max_bytes;
    if (sdsend_open(s, c, err, err_len) != 0)
        goto fail;
    size_t longest = 0;
    if (sdgen_init(&s->pool, &shape, &longest) != 0) {
        snprintf(err, err_len,
                 "%d lines a datagram make datagrams of up to %zu bytes, over the %zu of %s",
                 shape.lines, longest, shape.max_bytes, c->unix_path ? "a Unix socket" : "UDP");
        goto fail;
    }
    s->iov = xmalloc(s->pool.count * sizeof *s->iov);
    for (size_t i = 0; i < s->pool.count; i++) {
        size_t len;
        s->iov[i].iov_base = (void *)sdgen_datagram(&s->pool, i, &len);
        s->iov[i].iov_len = len;
    }
    return s;
fail:
    sdsend_free(s);
    return NULL;
}

static int64_t sdsend_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sdsend_sleep_until(int64_t ns)
{
    struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static void sdsend_count_error(sdsend_t *s, int e)
{
    int kind = e == ENOBUFS                      ? SDSEND_ENOBUFS
               : e == EAGAIN || e == EWOULDBLOCK ? SDSEND_EAGAIN
               : e == ECONNREFUSED               ? SDSEND_ECONNREFUSED
                                                 : SDSEND_EOTHER;
    atomic_fetch_add_explicit(&s->err[kind], 1, memory_order_relaxed);
    if (kind == SDSEND_EOTHER)
        atomic_store_explicit(&s->last_errno, e, memory_order_relaxed);
}

/* Sends the n datagrams of msgs; a datagram that fails is dropped. */
static void sdsend_batch(sdsend_t *s, struct mmsghdr *msgs, unsigned n, int *prev_err)
{
    unsigned i = 0;
    while (i < n && !atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        int r = sendmmsg(s->fd, msgs + i, n - i, 0);
        atomic_fetch_add_explicit(&s->calls, 1, memory_order_relaxed);
        if (r > 0) {
            uint64_t bytes = 0;
            for (int j = 0; j < r; j++)
                bytes += msgs[i + (unsigned)j].msg_hdr.msg_iov->iov_len;
            atomic_fetch_add_explicit(&s->datagrams, (uint64_t)r, memory_order_relaxed);
            atomic_fetch_add_explicit(&s->lines_sent, (uint64_t)r * (uint64_t)s->lines,
                                      memory_order_relaxed);
            atomic_fetch_add_explicit(&s->bytes, bytes, memory_order_relaxed);
            i += (unsigned)r;
            *prev_err = 0;
            continue;
        }
        int e = r < 0 ? errno : EAGAIN;
        if (e == EINTR)
            continue;
        sdsend_count_error(s, e);
        i++;
        if (*prev_err)
            sdsend_sleep_until(sdsend_now_ns() + 1000000);
        *prev_err = 1;
    }
}

static void *sdsend_main(void *arg)
{
    sdsend_t *s = arg;
    struct mmsghdr msgs[SDSEND_BATCH];
    memset(msgs, 0, sizeof msgs);
    int64_t until_ns = s->until_us * 1000;
    int64_t start = sdsend_now_ns(), t0 = start;
    /* Paced: ns per datagram, and batches of about a millisecond's worth. */
    double per_ns = s->rate > 0 ? 1e9 * s->lines / s->rate : 0;
    unsigned chunk = SDSEND_BATCH;
    if (s->rate > 0) {
        double per_ms = s->rate / s->lines / 1000.0;
        chunk = per_ms < 1 ? 1 : per_ms > SDSEND_BATCH ? SDSEND_BATCH : (unsigned)per_ms;
    }
    uint64_t attempted = 0; /* datagrams, sent or dropped: what the schedule counts */
    size_t cursor = 0;
    int prev_err = 0;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        int64_t now = sdsend_now_ns();
        if (now >= until_ns)
            break;
        if (per_ns > 0) {
            int64_t due = t0 + (int64_t)((double)attempted * per_ns);
            if (now < due) {
                sdsend_sleep_until(due < until_ns ? due : until_ns);
                continue;
            }
            if (now - due > (int64_t)SDSEND_LATE_US * 1000) {
                atomic_fetch_add_explicit(&s->late, 1, memory_order_relaxed);
                t0 = now - (int64_t)((double)attempted * per_ns);
            }
        }
        for (unsigned j = 0; j < chunk; j++) {
            msgs[j].msg_hdr.msg_iov = &s->iov[cursor];
            msgs[j].msg_hdr.msg_iovlen = 1;
            if (++cursor == s->pool.count)
                cursor = 0;
        }
        sdsend_batch(s, msgs, chunk, &prev_err);
        attempted += chunk;
    }
    s->run_s = (double)(sdsend_now_ns() - start) / 1e9;
    struct timespec cpu;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
        s->cpu_s = (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9;
    return NULL;
}

int sdsend_start(sdsend_t *s, int64_t until_us)
{
    s->until_us = until_us;
    if (pthread_create(&s->thread, NULL, sdsend_main, s) != 0)
        return SPIDER_EIO;
    s->started = 1;
    return 0;
}

void sdsend_stop(sdsend_t *s)
{
    if (!s || !s->started || s->joined)
        return;
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    s->joined = 1;
}

void sdsend_read(const sdsend_t *s, sdsend_counts_t *out)
{
    memset(out, 0, sizeof *out);
    sdsend_t *m = (sdsend_t *)s; /* atomics are read through non-const pointers */
    out->datagrams = atomic_load_explicit(&m->datagrams, memory_order_relaxed);
    out->lines = atomic_load_explicit(&m->lines_sent, memory_order_relaxed);
    out->bytes = atomic_load_explicit(&m->bytes, memory_order_relaxed);
    out->calls = atomic_load_explicit(&m->calls, memory_order_relaxed);
    out->late = atomic_load_explicit(&m->late, memory_order_relaxed);
    for (int k = 0; k < SDSEND_ERRS; k++)
        out->err[k] = atomic_load_explicit(&m->err[k], memory_order_relaxed);
    out->last_errno = atomic_load_explicit(&m->last_errno, memory_order_relaxed);
    if (s->joined) {
        out->run_s = s->run_s;
        out->cpu_s = s->cpu_s;
    }
}

const char *sdsend_target(const sdsend_t *s)
{
    return s->target;
}

size_t sdsend_longest(const sdsend_t *s)
{
    return s->pool.longest;
}

size_t sdsend_max_bytes(const sdsend_t *s)
{
    return s->max_bytes;
}

void sdsend_free(sdsend_t *s)
{
    if (!s)
        return;
    sdsend_stop(s);
    if (s->fd >= 0)
        close(s->fd);
    free(s->iov);
    sdgen_dispose(&s->pool);
    free(s);
}
