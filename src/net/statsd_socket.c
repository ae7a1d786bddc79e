/* statsd_socket.c - the StatsD sockets (see statsd_socket.h). */
#include "statsd_socket.h"
#include "../core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/xmalloc.h"
#include "../http/http.h"
#include "../ingest/statsd_feed.h"
#include "bind.h"

/* One datagram's receive buffer. The skew keeps the buffers from starting
 * 64 KiB apart: at that power-of-two stride the start of every datagram
 * (the bytes the parser reads) falls in the same few cache sets and they
 * evict each other; 7 lines more (a stride of 64 x 1031, a prime) spreads
 * them over the sets. */
#define STATSD_RX_SKEW (7 * 64)

typedef struct statsd_rx_buf {
    char bytes[STATSD_SOCKET_DATAGRAM];
    char skew[STATSD_RX_SKEW];
} statsd_rx_buf_t;

/* The receive side, shared by the sockets (one drains at a time). */
struct statsd_rx {
    struct mmsghdr msgs[STATSD_SOCKET_BATCH];
    struct iovec iov[STATSD_SOCKET_BATCH];
    /* SO_RXQ_OVFL: the socket's drop counter arrives with each datagram */
    char control[STATSD_SOCKET_BATCH][CMSG_SPACE(sizeof(uint32_t))];
    statsd_rx_buf_t data[STATSD_SOCKET_BATCH];
    char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* "" = none */
    /* On a cache line, and so is every slot (a hit reads one line); the
     * struct is allocated so (statsd_socket_open). */
    statsd_keycache_t keys __attribute__((aligned(64)));
};

/* Per socket (lws' per-session data): the last drop count it reported. */
typedef struct statsd_sock {
    uint32_t drops;
} statsd_sock_t;

/* Sets the receive buffer: SO_RCVBUFFORCE passes net.core.rmem_max when
 * Spider may (CAP_NET_ADMIN), SO_RCVBUF otherwise (capped by the kernel).
 * Returns the size the kernel granted (it reports double what it keeps
 * for payload: its own bookkeeping). */
static int statsd_socket_buffer(int fd, uint64_t want)
{
    int size = want > (1u << 30) ? 1 << 30 : (int)want, got = 0;
    socklen_t len = sizeof got;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
    return got;
}

/* Buffer and drop counter, then into the loop. */
static int statsd_socket_adopt(app_t *app, struct lws_vhost *vhost, int fd, const char *what,
                               char *err, size_t err_len)
{
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
    int granted = statsd_socket_buffer(fd, app->cfg.statsd_buffer);
    if ((uint64_t)granted < app->cfg.statsd_buffer)
        log_warning("%s: the kernel granted a receive buffer of %d bytes of the %llu asked "
                    "(--statsd-buffer; raise net.core.rmem_max to allow more)",
                    what, granted, (unsigned long long)app->cfg.statsd_buffer);
    return net_adopt(vhost, fd, STATSD_PROTOCOL, err, err_len);
}

static int statsd_socket_udp(app_t *app, struct lws_vhost *vhost, char *err, size_t err_len)
{
    net_bound_t b;
    int rc = net_bind_endpoint(&app->cfg.statsd_listen, SOCK_DGRAM, "StatsD", "statsd-listen", &b,
                               err, err_len);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    char what[128];
    snprintf(what, sizeof what, "statsd udp %s:%d", b.url_host, b.port);
    if (statsd_socket_adopt(app, vhost, b.fd, what, err, err_len) != 0)
        return -1;
    log_info("statsd listening on udp://%s:%d", b.url_host, b.port);
    return 0;
}

static int statsd_socket_unix(app_t *app, struct lws_vhost *vhost, char *err, size_t err_len)
{
    const char *path = app->cfg.statsd_unix;
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof a.sun_path) {
        snprintf(err, err_len, "--statsd-unix %s: longer than %zu bytes", path,
                 sizeof a.sun_path - 1);
        return -1;
    }
    strcpy(a.sun_path, path);
    /* A socket file left by an earlier run is replaced; anything else is not ours. */
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, err_len, "--statsd-unix %s: exists and is not a socket", path);
            return -1;
        }
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        snprintf(err, err_len, "--statsd-unix %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    strcpy(app->statsd->unix_path, path);
    char what[160];
    snprintf(what, sizeof what, "statsd unix %s", path);
    if (statsd_socket_adopt(app, vhost, fd, what, err, err_len) != 0)
        return -1;
    log_info("statsd listening on unix://%s", path);
    return 0;
}

int statsd_socket_open(app_t *app, struct lws_vhost *vhost, char *err, size_t err_len)
{
    if (!app->cfg.statsd_listen.enabled && !app->cfg.statsd_unix[0])
        return 0;
    app->statsd = xaligned_alloc(64, sizeof *app->statsd); /* keys' alignment */
    memset(app->statsd, 0, sizeof *app->statsd);
    for (int i = 0; i < STATSD_SOCKET_BATCH; i++) {
        app->statsd->iov[i].iov_base = app->statsd->data[i].bytes;
        app->statsd->iov[i].iov_len = STATSD_SOCKET_DATAGRAM;
    }
    if (app->cfg.statsd_listen.enabled && statsd_socket_udp(app, vhost, err, err_len) != 0)
        return -1;
    if (app->cfg.statsd_unix[0] && statsd_socket_unix(app, vhost, err, err_len) != 0)
        return -1;
    return 0;
}

void statsd_socket_close(app_t *app)
{
    if (!app->statsd)
        return;
    if (app->statsd->unix_path[0])
        unlink(app->statsd->unix_path);
    free(app->statsd);
    app->statsd = NULL;
}

/* The drop counter that came with a datagram, if any. */
static void statsd_socket_drops(app_t *app, statsd_sock_t *sock, struct msghdr *h)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL)
            continue;
        uint32_t drops;
        memcpy(&drops, CMSG_DATA(c), sizeof drops);
        /* 32 bits in the kernel: the difference is right across a wrap. */
        app->metrics.statsd_kernel_drops += (uint32_t)(drops - sock->drops);
        sock->drops = drops;
    }
}

/* Drains up to STATSD_SOCKET_WAKEUP_MAX datagrams of one socket. */
static void statsd_socket_drain(app_t *app, struct lws *wsi, statsd_sock_t *sock)
{
    struct statsd_rx *rx = app->statsd;
    int fd = lws_get_socket_fd(wsi);
    ingest_sink_t sink = {
        .store = app->store, .counts = &app->metrics.ingest, .protocol = INGEST_STATSD};
    for (int taken = 0; taken < STATSD_SOCKET_WAKEUP_MAX;) {
        for (int i = 0; i < STATSD_SOCKET_BATCH; i++) {
            struct msghdr *h = &rx->msgs[i].msg_hdr;
            memset(h, 0, sizeof *h);
            h->msg_iov = &rx->iov[i];
            h->msg_iovlen = 1;
            h->msg_control = rx->control[i];
            h->msg_controllen = sizeof rx->control[i];
        }
        int n = recvmmsg(fd, rx->msgs, STATSD_SOCKET_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                app->metrics.statsd_receive_errors++;
            return;
        }
        sink.now_ms = clock_wall_ms(); /* one stamp per batch: they arrived together */
        for (int i = 0; i < n; i++) {
            struct msghdr *h = &rx->msgs[i].msg_hdr;
            statsd_socket_drops(app, sock, h);
            if (h->msg_flags & MSG_TRUNC) {
                app->metrics.statsd_truncated++; /* its last line is cut: none of it is trusted */
                continue;
            }
            statsd_feed_datagram(&sink, &app->metrics.statsd, &rx->keys, rx->data[i].bytes,
                                 rx->msgs[i].msg_len);
        }
        taken += n;
        if (n < STATSD_SOCKET_BATCH)
            return; /* the queue is empty */
    }
}

size_t statsd_socket_size(void)
{
    return sizeof(statsd_sock_t);
}

int statsd_socket_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len)
{
    app_t *app = lws_context_user(lws_get_context(wsi));
    (void)in;
    (void)len;
    switch (reason) {
    case LWS_CALLBACK_RAW_ADOPT_FILE:
        /* lws announced this descriptor to the HTTP protocol as a new
         * connection (WSI_CREATE); it is not one. */
        http_mark_upgraded(wsi);
        return 0;
    case LWS_CALLBACK_RAW_RX_FILE:
        if (app->statsd)
            statsd_socket_drain(app, wsi, user);
        return 0;
    default:
        return 0;
    }
}
