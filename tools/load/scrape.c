/* scrape.c - one blocking GET of the server's /metrics (see scrape.h). */
#include "scrape.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/error.h"
#include "httpresp.h"
#include "loop.h"
#include "promtext.h"

#define SCRAPE_MAX_BODY (16 * 1024 * 1024)

/* Waits until fd is ready for events or the deadline passes. */
static int scrape_wait(int fd, short events, int64_t deadline_us)
{
    for (;;) {
        int64_t left = deadline_us - loop_now_us();
        if (left <= 0)
            return SPIDER_EIO;
        struct pollfd pfd = {.fd = fd, .events = events};
        int r = poll(&pfd, 1, (int)(left / 1000) + 1);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return SPIDER_EIO;
    }
}

/* Sends the request and reads the answer into *in until it is complete
 * (its Content-Length, or the end of the connection without one). */
static int scrape_exchange(int fd, const char *req, size_t req_len, int64_t deadline, buf_t *in,
                           httpresp_t *r, char *err, size_t err_len)
{
    size_t sent = 0;
    while (sent < req_len) {
        if (scrape_wait(fd, POLLOUT, deadline) != 0) {
            snprintf(err, err_len, "timed out connecting or sending");
            return SPIDER_EIO;
        }
        ssize_t w = send(fd, req + sent, req_len - sent, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(err, err_len, "connect or send: %s", strerror(errno));
            return SPIDER_EIO;
        }
        if (w > 0)
            sent += (size_t)w;
    }
    int head = 0;
    for (;;) {
        if (head > 0 && r->content_length >= 0 &&
            in->len >= r->head_len + (size_t)r->content_length)
            return 0;
        if (scrape_wait(fd, POLLIN, deadline) != 0) {
            snprintf(err, err_len, "timed out waiting for the answer");
            return SPIDER_EIO;
        }
        buf_reserve(in, 64 * 1024);
        ssize_t got = recv(fd, in->p + in->len, in->cap - in->len, 0);
        if (got < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            snprintf(err, err_len, "receive: %s", strerror(errno));
            return SPIDER_EIO;
        }
        if (got == 0) {
            if (head > 0 && r->content_length < 0)
                return 0; /* no length: the end of the connection ends the body */
            snprintf(err, err_len, "the server closed the connection before a whole answer");
            return SPIDER_EIO;
        }
        in->len += (size_t)got;
        if (in->len > SCRAPE_MAX_BODY + HTTPRESP_MAX_HEAD) {
            snprintf(err, err_len, "answer over 16 MiB");
            return SPIDER_EINVAL;
        }
        if (head == 0) {
            head = httpresp_parse(in->p, in->len, r);
            if (head < 0 || r->chunked) {
                snprintf(err, err_len, "%s answer head", head < 0 ? "malformed" : "chunked");
                return SPIDER_EINVAL;
            }
        }
    }
}

int scrape_get(const net_addr_t *addr, const char *path, int timeout_ms, buf_t *body, char *err,
               size_t err_len)
{
    int64_t deadline = loop_now_us() + (int64_t)timeout_ms * 1000;
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
                     "User-Agent: spider-load\r\n\r\n",
                     path, addr->host);
    if (n <= 0 || (size_t)n >= sizeof req) {
        snprintf(err, err_len, "path too long");
        return SPIDER_EINVAL;
    }
    int fd = net_connect(addr, 0, 1);
    if (fd < 0) {
        snprintf(err, err_len, "connect: %s", strerror(-fd));
        return SPIDER_EIO;
    }
    buf_t in;
    buf_init(&in);
    httpresp_t r;
    memset(&r, 0, sizeof r);
    int rc = scrape_exchange(fd, req, (size_t)n, deadline, &in, &r, err, err_len);
    if (rc == 0 && r.status != 200) {
        snprintf(err, err_len, "GET %s answered %d", path, r.status);
        rc = SPIDER_EINVAL;
    }
    if (rc == 0) {
        size_t blen = r.content_length >= 0 ? (size_t)r.content_length : in.len - r.head_len;
        buf_reset(body);
        buf_append(body, in.p + r.head_len, blen);
    }
    buf_dispose(&in);
    close(fd);
    return rc;
}

void scrape_read(const net_addr_t *addr, int timeout_ms, scrape_t *out)
{
    static const struct {
        const char *name, *label, *value;
    } want[SCRAPE_COUNTERS] = {
        [SCRAPE_STATSD_ACCEPTED] = {"spider_samples_accepted_total", "protocol", "statsd"},
        [SCRAPE_STATSD_KERNEL_DROPS] = {"spider_statsd_kernel_drops_total", NULL, NULL},
        [SCRAPE_OTLP_ACCEPTED] = {"spider_samples_accepted_total", "protocol", "otlp"},
    };
    memset(out, 0, sizeof *out);
    buf_t body;
    buf_init(&body);
    if (scrape_get(addr, "/metrics", timeout_ms, &body, out->err, sizeof out->err) == 0) {
        out->ok = 1;
        for (int i = 0; i < SCRAPE_COUNTERS; i++)
            out->have[i] = promtext_sum(body.p, body.len, want[i].name, want[i].label,
                                        want[i].value, &out->at[i]) == 0;
    }
    buf_dispose(&body);
}
