/* poster.c - keep-alive HTTP POST client (see poster.h).
 *
 * States: CLOSED -> CONNECTING -> SENDING -> RECEIVING -> IDLE -> SENDING...
 * While IDLE the socket stays registered for input, so a server that closes
 * the connection (keep-alive timeout) is noticed and the next send
 * reconnects instead of failing.
 */
#include "poster.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/error.h"
#include "core/xmalloc.h"
#include "httpresp.h"
#include "otlp.h"
#include "scan.h"

/* Answers to a POST are small; a larger one is not Spider's. */
#define POSTER_MAX_ANSWER (64 * 1024)

enum poster_state { P_CLOSED, P_CONNECTING, P_SENDING, P_RECEIVING, P_IDLE };

struct poster {
    loop_io_t io;
    loop_t *loop;
    const net_addr_t *addr;
    poster_kind_t kind;
    int64_t timeout_us;
    poster_done_t done;
    void *ud;
    enum poster_state state;
    int busy;
    int deferred_fail; /* a failure to report from the next tick */
    int64_t started_us;
    char head[512];
    size_t head_len;
    buf_t body;
    size_t sent; /* bytes of head + body written */
    buf_t answer;
    uint64_t connects;
};

static const char *const POSTER_FAIL_NAMES[POST_FAIL_KINDS] = {
    "ok", "connect", "reset", "eof", "timeout", "status", "bad_answer",
};

const char *poster_fail_name(int kind)
{
    return kind >= 0 && kind < POST_FAIL_KINDS ? POSTER_FAIL_NAMES[kind] : "unknown";
}

static void poster_event(loop_io_t *io, uint32_t events);

poster_t *poster_new(loop_t *l, const net_addr_t *addr, poster_kind_t kind, int64_t timeout_us,
                     poster_done_t done, void *ud)
{
    poster_t *p = xcalloc(1, sizeof *p);
    p->io.fd = -1;
    p->io.cb = poster_event;
    p->loop = l;
    p->addr = addr;
    p->kind = kind;
    p->timeout_us = timeout_us;
    p->done = done;
    p->ud = ud;
    buf_init(&p->body);
    buf_init(&p->answer);
    return p;
}

void poster_free(poster_t *p)
{
    if (!p)
        return;
    loop_close(p->loop, &p->io);
    buf_dispose(&p->body);
    buf_dispose(&p->answer);
    free(p);
}

int poster_busy(const poster_t *p)
{
    return p->busy;
}

uint64_t poster_connects(const poster_t *p)
{
    return p->connects;
}

buf_t *poster_body(poster_t *p)
{
    buf_reset(&p->body);
    return &p->body;
}

/* Ends the request under way with a result; closes the connection unless
 * the answer leaves it reusable. */
static void poster_finish(poster_t *p, int fail, int status, int64_t accepted, int64_t rejected,
                          int keep_open)
{
    if (!keep_open) {
        loop_close(p->loop, &p->io);
        p->state = P_CLOSED;
    } else {
        p->state = P_IDLE;
        loop_mod(p->loop, &p->io, EPOLLIN | EPOLLRDHUP);
    }
    p->busy = 0;
    post_result_t r = {.fail = fail,
                       .status = status,
                       .accepted = accepted,
                       .rejected = rejected,
                       .latency_us = loop_now_us() - p->started_us};
    p->done(p->ud, &r);
}

static void poster_fail(poster_t *p, int fail)
{
    poster_finish(p, fail, 0, 0, 0, 0);
}

static int poster_fail_for_errno(int e)
{
    return e == ECONNREFUSED || e == ENETUNREACH || e == EHOSTUNREACH || e == ETIMEDOUT
               ? POST_CONNECT
               : POST_RESET;
}

/* Writes what the socket takes; moves on to RECEIVING when all is out. */
static void poster_write(poster_t *p)
{
    size_t total = p->head_len + p->body.len;
    while (p->sent < total) {
        struct iovec iov[2];
        int n = 0;
        if (p->sent < p->head_len) {
            iov[n].iov_base = p->head + p->sent;
            iov[n++].iov_len = p->head_len - p->sent;
            iov[n].iov_base = p->body.p;
            iov[n++].iov_len = p->body.len;
        } else {
            iov[n].iov_base = p->body.p + (p->sent - p->head_len);
            iov[n++].iov_len = total - p->sent;
        }
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(p->io.fd, &mh, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                loop_mod(p->loop, &p->io, EPOLLOUT);
                return;
            }
            poster_fail(p, POST_RESET);
            return;
        }
        p->sent += (size_t)w;
    }
    p->state = P_RECEIVING;
    buf_reset(&p->answer);
    loop_mod(p->loop, &p->io, EPOLLIN | EPOLLRDHUP);
}

/* Checks whether the answer is complete and acts on it. */
static void poster_parse(poster_t *p)
{
    httpresp_t r;
    int h = httpresp_parse(p->answer.p, p->answer.len, &r);
    if (h == 0)
        return;
    if (h < 0 || r.chunked || r.content_length < 0 || r.content_length > POSTER_MAX_ANSWER) {
        poster_fail(p, POST_BAD_ANSWER);
        return;
    }
    size_t need = r.head_len + (size_t)r.content_length;
    if (p->answer.len < need)
        return;
    if (p->answer.len > need) { /* bytes nobody asked for */
        poster_fail(p, POST_BAD_ANSWER);
        return;
    }
    const char *body = p->answer.p + r.head_len;
    size_t blen = (size_t)r.content_length;
    if (r.status != 200) {
        poster_finish(p, POST_STATUS, r.status, 0, 0, p->kind == POSTER_OTLP && !r.close);
        return;
    }
    int64_t acc, rej;
    if (p->kind == POSTER_OTLP) {
        if (otlp_parse_response((const uint8_t *)body, blen, &rej) != 0) {
            poster_fail(p, POST_BAD_ANSWER);
            return;
        }
        poster_finish(p, POST_OK, 200, -1, rej, !r.close);
        return;
    }
    if (scan_json_int(body, blen, "accepted", &acc) != 0 ||
        scan_json_int(body, blen, "rejected", &rej) != 0) {
        poster_fail(p, POST_BAD_ANSWER);
        return;
    }
    poster_finish(p, POST_OK, 200, acc, rej, !r.close);
}

static void poster_read(poster_t *p)
{
    for (;;) {
        buf_reserve(&p->answer, 4096);
        ssize_t r = recv(p->io.fd, p->answer.p + p->answer.len, p->answer.cap - p->answer.len, 0);
        if (r > 0) {
            p->answer.len += (size_t)r;
            if (p->answer.len > HTTPRESP_MAX_HEAD + POSTER_MAX_ANSWER) {
                poster_fail(p, POST_BAD_ANSWER);
                return;
            }
            poster_parse(p);
            if (p->state != P_RECEIVING)
                return;
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        poster_fail(p, r == 0 ? POST_EOF : POST_RESET);
        return;
    }
}

static void poster_event(loop_io_t *io, uint32_t events)
{
    poster_t *p = (poster_t *)io; /* io is the first member */
    switch (p->state) {
    case P_CONNECTING: {
        int e = net_socket_error(io->fd);
        if (e) {
            poster_fail(p, poster_fail_for_errno(e));
            return;
        }
        p->state = P_SENDING;
        poster_write(p);
        return;
    }
    case P_SENDING:
        if (events & EPOLLERR) {
            poster_fail(p, POST_RESET);
            return;
        }
        poster_write(p);
        return;
    case P_RECEIVING:
        poster_read(p);
        return;
    case P_IDLE: {
        /* The server closed an idle keep-alive connection: not a failure. */
        char c;
        ssize_t r = recv(io->fd, &c, 1, MSG_PEEK);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || r > 0) {
            loop_close(p->loop, io);
            p->state = P_CLOSED;
        }
        return;
    }
    case P_CLOSED:
        return;
    }
}

int poster_send(poster_t *p, int64_t now_us)
{
    if (p->busy)
        return SPIDER_EINVAL;
    p->busy = 1;
    p->started_us = now_us;
    p->sent = 0;
    int otlp = p->kind == POSTER_OTLP;
    int n = snprintf(p->head, sizeof p->head,
                     "POST %s HTTP/1.1\r\nHost: %s\r\n"
                     "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                     otlp ? "/v1/traces" : "/api/v1/points", p->addr->host,
                     otlp ? "application/x-protobuf" : "application/json", p->body.len);
    p->head_len = n > 0 && (size_t)n < sizeof p->head ? (size_t)n : 0;
    if (p->state == P_IDLE) {
        /* Written from the loop once writable (at once, normally), so that
         * no result is delivered from inside poster_send(). */
        p->state = P_SENDING;
        if (loop_mod(p->loop, &p->io, EPOLLOUT) != 0) {
            loop_close(p->loop, &p->io);
            p->state = P_CLOSED;
            p->deferred_fail = POST_RESET;
        }
        return 0;
    }
    int fd = net_connect(p->addr, 0, 1);
    if (fd < 0) {
        p->deferred_fail = POST_CONNECT;
        return 0;
    }
    p->connects++;
    p->io.fd = fd;
    p->state = P_CONNECTING;
    if (loop_add(p->loop, &p->io, EPOLLOUT) != 0) {
        loop_close(p->loop, &p->io);
        p->state = P_CLOSED;
        p->deferred_fail = POST_CONNECT;
    }
    return 0;
}

void poster_tick(poster_t *p, int64_t now_us)
{
    if (p->deferred_fail) {
        int fail = p->deferred_fail;
        p->deferred_fail = 0;
        poster_fail(p, fail);
        return;
    }
    if (p->busy && now_us - p->started_us > p->timeout_us)
        poster_fail(p, POST_TIMEOUT);
}
