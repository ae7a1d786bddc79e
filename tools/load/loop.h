/* loop.h - the load tool's event loop: one thread, epoll, level-triggered.
 *
 * Each connection embeds a loop_io_t (its fd and callback); the loop hands
 * events to the callback. Nothing is freed from a callback: a connection
 * that ends closes its fd and marks itself, and the owner reuses or frees
 * the struct outside loop_wait() (the loop may still hold a stale event for
 * it in the current batch, so callbacks must tolerate a closed io: fd < 0).
 */
#ifndef SPIDER_LOAD_LOOP_H
#define SPIDER_LOAD_LOOP_H

#include <stdint.h>

typedef struct loop loop_t;
typedef struct loop_io loop_io_t;
typedef void (*loop_cb_t)(loop_io_t *io, uint32_t events);

struct loop_io {
    int fd; /* -1 when closed */
    loop_cb_t cb;
};

/* Aborts if epoll cannot be created (nothing can run without it). */
loop_t *loop_new(void);
void loop_free(loop_t *l);
/* Registers, changes or removes io->fd for events (EPOLLIN, EPOLLOUT, ...;
 * EPOLLERR and EPOLLHUP are always reported). 0 or SPIDER_EIO. */
int loop_add(loop_t *l, loop_io_t *io, uint32_t events);
int loop_mod(loop_t *l, loop_io_t *io, uint32_t events);
/* Removes io from the loop and closes its fd; io->fd becomes -1. */
void loop_close(loop_t *l, loop_io_t *io);
/* Waits up to timeout_ms and dispatches what is ready. Returns the number
 * of events handled (0 on timeout or EINTR). */
int loop_wait(loop_t *l, int timeout_ms);

/* Monotonic time in microseconds (latencies and deadlines). */
int64_t loop_now_us(void);
/* Wall clock in milliseconds (compared with the server's now_ms). */
int64_t loop_wall_ms(void);

#endif
