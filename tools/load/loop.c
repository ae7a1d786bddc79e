/* loop.c - epoll event loop (see loop.h). */
#include "loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/xmalloc.h"

/* Events taken per epoll_wait: enough to drain a tick of thousands of
 * dashboards in a few calls without a large array. */
#define LOOP_BATCH 512

struct loop {
    int epfd;
    struct epoll_event ev[LOOP_BATCH];
};

loop_t *loop_new(void)
{
    loop_t *l = xcalloc(1, sizeof *l);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        perror("spider-load: epoll_create1");
        abort();
    }
    return l;
}

void loop_free(loop_t *l)
{
    if (!l)
        return;
    close(l->epfd);
    free(l);
}

static int loop_ctl(loop_t *l, int op, loop_io_t *io, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = io};
    return epoll_ctl(l->epfd, op, io->fd, &ev) == 0 ? 0 : SPIDER_EIO;
}

int loop_add(loop_t *l, loop_io_t *io, uint32_t events)
{
    return loop_ctl(l, EPOLL_CTL_ADD, io, events);
}

int loop_mod(loop_t *l, loop_io_t *io, uint32_t events)
{
    return loop_ctl(l, EPOLL_CTL_MOD, io, events);
}

void loop_close(loop_t *l, loop_io_t *io)
{
    if (io->fd < 0)
        return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
    close(io->fd);
    io->fd = -1;
}

int loop_wait(loop_t *l, int timeout_ms)
{
    int n = epoll_wait(l->epfd, l->ev, LOOP_BATCH, timeout_ms);
    if (n < 0)
        return 0; /* EINTR: the caller checks its stop flag */
    for (int i = 0; i < n; i++) {
        loop_io_t *io = l->ev[i].data.ptr;
        /* Closed earlier in this batch: its event is stale. */
        if (io->fd >= 0)
            io->cb(io, l->ev[i].events);
    }
    return n;
}

int64_t loop_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t loop_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
