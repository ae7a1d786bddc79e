/* wsclient.c - a simulated dashboard (see wsclient.h).
 *
 * States: IDLE -> CONNECTING -> HANDSHAKE -> OPEN -> DONE. The handshake
 * answer is consumed exactly (peeked first), so a STALLED dashboard has
 * read nothing of the WebSocket stream when it stops reading.
 */
#include "wsclient.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "httpresp.h"
#include "scan.h"
#include "wsframe.h"

/* Enough of a message to read "type", "seq" and "now_ms": the server
 * writes them first. */
#define WS_HEAD_MAX 256
/* A LIVE dashboard reads at most this many buffers per event, so that one
 * busy connection cannot starve the others. */
#define WS_READS_PER_EVENT 4

enum ws_state { W_IDLE, W_CONNECTING, W_HANDSHAKE, W_OPEN, W_DONE };

struct wsclient {
    loop_io_t io; /* first: the loop's callback casts back */
    ws_env_t *env;
    dash_figures_t *fig;
    int kind;
    enum ws_state state;
    int64_t open_us, stop_read_us, last_update_us, slow_last_us;
    double tokens;
    int64_t last_seq;
    int have_seq, missed_any;
    uint64_t updates;
    buf_t hs; /* handshake answer, freed once open */
    /* frame being read */
    uint8_t hdr[WSFRAME_MAX_HEADER];
    size_t hdr_len;
    int in_frame;
    wsframe_t frame;
    uint64_t remaining;
    uint8_t ctrl[WSFRAME_MAX_CONTROL];
    size_t ctrl_len;
    /* message being read (possibly over several frames) */
    int in_msg, msg_opcode;
    uint64_t msg_bytes;
    char head[WS_HEAD_MAX];
    size_t head_len;
    probe_scan_t scan;
};

void dash_figures_init(dash_figures_t *f)
{
    memset(f, 0, sizeof *f);
    stats_hist_init(&f->gap);
    stats_hist_init(&f->lag);
    stats_hist_init(&f->close_after_data);
    stats_hist_init(&f->close_after_stop);
}

static void ws_event(loop_io_t *io, uint32_t events);

wsclient_t *wsclient_new(ws_env_t *env, int kind, dash_figures_t *fig)
{
    wsclient_t *c = xcalloc(1, sizeof *c);
    c->io.fd = -1;
    c->io.cb = ws_event;
    c->env = env;
    c->kind = kind;
    c->fig = fig;
    buf_init(&c->hs);
    return c;
}

void wsclient_free(wsclient_t *c)
{
    if (!c)
        return;
    loop_close(c->env->loop, &c->io);
    buf_dispose(&c->hs);
    free(c);
}

int wsclient_is_open(const wsclient_t *c)
{
    return c->state == W_OPEN;
}

uint64_t wsclient_updates(const wsclient_t *c)
{
    return c->updates;
}

/* Milliseconds since data last arrived on fd (TCP_INFO), or -1. Still
 * readable after a reset: the kernel keeps the timestamps. */
static int64_t ws_last_data_age_ms(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return -1;
    return ti.tcpi_last_data_recv;
}

enum ws_end { END_RESET, END_EOF, END_FRAME, END_PROTOCOL, END_FINISH };

/* Closes the connection and counts why. */
static void ws_end(wsclient_t *c, enum ws_end why, int64_t now_us)
{
    dash_figures_t *f = c->fig;
    if (c->state == W_OPEN) {
        f->open_now--;
        if (why != END_FINISH && c->kind == WS_STALLED) {
            int64_t age = ws_last_data_age_ms(c->io.fd);
            if (age >= 0)
                stats_hist_record(&f->close_after_data, age * 1000);
            stats_hist_record(&f->close_after_stop, now_us - c->stop_read_us);
        }
        if (c->kind == WS_LIVE && c->env->probe)
            probe_scan_gone(c->env->probe, &c->scan);
    }
    switch (why) {
    case END_RESET:
        f->closed_reset++;
        break;
    case END_EOF:
        f->closed_eof++;
        break;
    case END_FRAME:
        f->closed_frame++;
        break;
    case END_PROTOCOL:
        f->protocol_errors++;
        break;
    case END_FINISH:
        break;
    }
    loop_close(c->env->loop, &c->io);
    buf_dispose(&c->hs);
    c->state = W_DONE;
}

/* Sends one small masked frame. Our frames are tiny and the socket's send
 * buffer is otherwise empty, so a short write means something is badly
 * wrong: the connection is closed rather than queued. */
static int ws_send(wsclient_t *c, int opcode, const void *p, size_t n, int64_t now_us)
{
    static uint64_t rng = 0x9E3779B97F4A7C15ull;
    uint8_t frame[WSFRAME_MAX_HEADER + 4096];
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    uint8_t mask[4] = {(uint8_t)rng, (uint8_t)(rng >> 8), (uint8_t)(rng >> 16),
                       (uint8_t)(rng >> 24)};
    size_t len = wsframe_encode(frame, sizeof frame, opcode, mask, p, n);
    if (len == 0 || send(c->io.fd, frame, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len) {
        ws_end(c, END_PROTOCOL, now_us);
        return -1;
    }
    return 0;
}

static void ws_update(wsclient_t *c, int64_t now_us)
{
    dash_figures_t *f = c->fig;
    int64_t seq, now_ms;
    f->updates++;
    c->updates++;
    if (c->msg_bytes > f->max_update_bytes)
        f->max_update_bytes = c->msg_bytes;
    int64_t since = c->last_update_us ? c->last_update_us : c->open_us;
    int64_t gap = now_us - since;
    stats_hist_record(&f->gap, gap);
    if (gap > f->max_gap_us)
        f->max_gap_us = gap;
    c->last_update_us = now_us;
    if (scan_json_int(c->head, c->head_len, "seq", &seq) == 0) {
        /* A jump means the server skipped this client at a tick. */
        if (c->have_seq && seq > c->last_seq + 1) {
            f->missed_ticks += (uint64_t)(seq - c->last_seq - 1);
            if (!c->missed_any)
                f->clients_missed++;
            c->missed_any = 1;
        } else if (c->have_seq && seq <= c->last_seq) {
            f->seq_backwards++;
        }
        c->last_seq = seq;
        c->have_seq = 1;
    }
    if (scan_json_int(c->head, c->head_len, "now_ms", &now_ms) == 0)
        stats_hist_record(&f->lag, (loop_wall_ms() - now_ms) * 1000);
    if (c->kind == WS_LIVE && c->env->probe)
        probe_scan_commit(c->env->probe, &c->scan, now_us);
}

static void ws_message_end(wsclient_t *c, int64_t now_us)
{
    dash_figures_t *f = c->fig;
    slice_t type;
    c->in_msg = 0;
    if (c->msg_opcode == WSFRAME_BINARY) {
        f->binary++;
        return;
    }
    if (scan_json_str(c->head, c->head_len, "type", &type) != 0) {
        f->others++;
    } else if (slice_eq_cstr(type, "update")) {
        ws_update(c, now_us);
        return;
    } else if (slice_eq_cstr(type, "hello")) {
        int64_t pi;
        f->hellos++;
        if (scan_json_int(c->head, c->head_len, "push_interval_ms", &pi) == 0)
            f->push_interval_ms = pi;
    } else {
        f->others++; /* e.g. "detail" of subscribed series */
        f->rollups += slice_eq_cstr(type, "rollup");
    }
    probe_scan_begin(&c->scan); /* what it named does not count */
}

/* A frame header is complete: check it against the message state. */
static int ws_frame_begin(wsclient_t *c, int64_t now_us)
{
    const wsframe_t *fr = &c->frame;
    int bad = fr->masked; /* a server must not mask */
    if (wsframe_is_control(fr->opcode)) {
        c->ctrl_len = 0;
    } else if (fr->opcode == WSFRAME_CONT) {
        bad |= !c->in_msg;
    } else {
        bad |= c->in_msg; /* a new message inside a fragmented one */
        c->in_msg = 1;
        c->msg_opcode = fr->opcode;
        c->msg_bytes = 0;
        c->head_len = 0;
        probe_scan_begin(&c->scan);
    }
    if (bad) {
        ws_end(c, END_PROTOCOL, now_us);
        return -1;
    }
    c->in_frame = 1;
    c->remaining = fr->payload_len;
    return 0;
}

static void ws_frame_data(wsclient_t *c, const uint8_t *p, size_t n)
{
    if (wsframe_is_control(c->frame.opcode)) {
        memcpy(c->ctrl + c->ctrl_len, p, n); /* <= 125 in all: the parser checks */
        c->ctrl_len += n;
        return;
    }
    c->msg_bytes += n;
    if (c->head_len < WS_HEAD_MAX) {
        size_t k = WS_HEAD_MAX - c->head_len < n ? WS_HEAD_MAX - c->head_len : n;
        memcpy(c->head + c->head_len, p, k);
        c->head_len += k;
    }
    if (c->kind == WS_LIVE && c->env->probe && c->msg_opcode == WSFRAME_TEXT)
        probe_scan_feed(c->env->probe, &c->scan, (const char *)p, n);
}

static int ws_frame_end(wsclient_t *c, int64_t now_us)
{
    c->in_frame = 0;
    switch (c->frame.opcode) {
    case WSFRAME_PING:
        c->fig->pings++;
        return ws_send(c, WSFRAME_PONG, c->ctrl, c->ctrl_len, now_us);
    case WSFRAME_PONG:
        return 0;
    case WSFRAME_CLOSE:
        /* Echo the code as RFC 6455 asks, then drop the connection. */
        (void)ws_send(c, WSFRAME_CLOSE, c->ctrl, c->ctrl_len < 2 ? c->ctrl_len : 2, now_us);
        if (c->state == W_OPEN)
            ws_end(c, END_FRAME, now_us);
        return -1;
    default:
        if (c->frame.fin)
            ws_message_end(c, now_us);
        return 0;
    }
}

/* Processes bytes of the stream in any split. Returns -1 once closed. */
static int ws_feed(wsclient_t *c, const uint8_t *p, size_t n, int64_t now_us)
{
    while (n > 0) {
        if (!c->in_frame) {
            size_t old = c->hdr_len;
            size_t take = WSFRAME_MAX_HEADER - old < n ? WSFRAME_MAX_HEADER - old : n;
            memcpy(c->hdr + old, p, take);
            c->hdr_len += take;
            int h = wsframe_parse_header(c->hdr, c->hdr_len, &c->frame);
            if (h < 0) {
                ws_end(c, END_PROTOCOL, now_us);
                return -1;
            }
            if (h == 0) { /* every byte taken belongs to the header */
                p += take;
                n -= take;
                continue;
            }
            size_t used = (size_t)h - old;
            p += used;
            n -= used;
            c->hdr_len = 0;
            if (ws_frame_begin(c, now_us) != 0)
                return -1;
        } else {
            size_t take = c->remaining < n ? (size_t)c->remaining : n;
            ws_frame_data(c, p, take);
            p += take;
            n -= take;
            c->remaining -= take;
        }
        if (c->in_frame && c->remaining == 0 && ws_frame_end(c, now_us) != 0)
            return -1;
    }
    return 0;
}

/* Reads up to max bytes (a LIVE dashboard: all there is, in a few reads). */
static void ws_read(wsclient_t *c, size_t max, int64_t now_us)
{
    for (int i = 0; i < WS_READS_PER_EVENT && max > 0; i++) {
        size_t want = max < c->env->rx_cap ? max : c->env->rx_cap;
        ssize_t r = recv(c->io.fd, c->env->rx, want, 0);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (r <= 0) {
            ws_end(c, r == 0 ? END_EOF : END_RESET, now_us);
            return;
        }
        c->fig->bytes += (uint64_t)r;
        if (c->kind == WS_SLOW)
            c->tokens -= (double)r;
        if (ws_feed(c, c->env->rx, (size_t)r, now_us) != 0)
            return;
        if ((size_t)r < want)
            return;
        max -= (size_t)r;
    }
}

/* The handshake answer is complete: open, refused, or broken. */
static void ws_opened(wsclient_t *c, int64_t now_us)
{
    httpresp_t r;
    dash_figures_t *f = c->fig;
    if (httpresp_parse(c->hs.p, c->hs.len, &r) <= 0 || r.status != 101 || !r.upgrade_websocket) {
        if (r.status >= 400)
            f->refused++;
        else
            f->handshake_failed++;
        ws_end(c, END_FINISH, now_us);
        return;
    }
    buf_dispose(&c->hs);
    c->state = W_OPEN;
    c->open_us = now_us;
    c->slow_last_us = now_us;
    f->opened++;
    f->open_now++;
    uint32_t ev = EPOLLRDHUP;
    if (c->kind == WS_LIVE) {
        ev |= EPOLLIN;
        if (c->env->probe)
            probe_scan_init(c->env->probe, &c->scan);
        if (c->env->subscribe &&
            ws_send(c, WSFRAME_TEXT, c->env->subscribe, strlen(c->env->subscribe), now_us) != 0)
            return;
    } else if (c->kind == WS_STALLED) {
        c->stop_read_us = now_us;
    }
    loop_mod(c->env->loop, &c->io, ev);
}

/* Consumes the answer head and nothing after it: peek, then read exactly
 * up to the blank line. */
static void ws_handshake(wsclient_t *c, int64_t now_us)
{
    char peek[2048];
    ssize_t r = recv(c->io.fd, peek, sizeof peek, MSG_PEEK);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (r <= 0) {
        c->fig->handshake_failed++;
        ws_end(c, END_FINISH, now_us);
        return;
    }
    size_t take = (size_t)r;
    size_t old = c->hs.len;
    buf_append(&c->hs, peek, (size_t)r);
    size_t from = old > 3 ? old - 3 : 0;
    const char *end = memmem(c->hs.p + from, c->hs.len - from, "\r\n\r\n", 4);
    if (end) {
        c->hs.len = (size_t)(end - c->hs.p) + 4;
        take = c->hs.len - old;
    }
    if (recv(c->io.fd, peek, take, 0) != (ssize_t)take || c->hs.len > HTTPRESP_MAX_HEAD) {
        c->fig->handshake_failed++;
        ws_end(c, END_FINISH, now_us);
        return;
    }
    if (end)
        ws_opened(c, now_us);
}

static void ws_connected(wsclient_t *c, int64_t now_us)
{
    int e = net_socket_error(c->io.fd);
    if (e) {
        c->fig->connect_failed++;
        ws_end(c, END_FINISH, now_us);
        return;
    }
    /* The key is fixed: the server must answer it, and nothing here relies
     * on the accept value (we only test our own server). */
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: spider-v1\r\n\r\n",
                     c->env->addr->host);
    if (n <= 0 || (size_t)n >= sizeof req ||
        send(c->io.fd, req, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
        c->fig->handshake_failed++;
        ws_end(c, END_FINISH, now_us);
        return;
    }
    c->state = W_HANDSHAKE;
    loop_mod(c->env->loop, &c->io, EPOLLIN);
}

/* After the handshake, a dashboard that does not read learns of the end
 * from EPOLLERR/EPOLLHUP/EPOLLRDHUP: a reset shows as SO_ERROR. */
static void ws_hangup(wsclient_t *c, int64_t now_us)
{
    int e = net_socket_error(c->io.fd);
    ws_end(c, e == ECONNRESET || e == EPIPE ? END_RESET : END_EOF, now_us);
}

static void ws_event(loop_io_t *io, uint32_t events)
{
    wsclient_t *c = (wsclient_t *)io;
    int64_t now_us = loop_now_us();
    switch (c->state) {
    case W_CONNECTING:
        ws_connected(c, now_us);
        return;
    case W_HANDSHAKE:
        ws_handshake(c, now_us);
        return;
    case W_OPEN:
        if (c->kind == WS_LIVE)
            ws_read(c, SIZE_MAX, now_us);
        else if (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))
            ws_hangup(c, now_us);
        return;
    case W_IDLE:
    case W_DONE:
        return;
    }
}

void wsclient_start(wsclient_t *c, int64_t now_us)
{
    (void)now_us;
    c->fig->started++;
    int fd = net_connect(c->env->addr, c->kind == WS_LIVE ? 0 : c->env->rcvbuf, 1);
    if (fd < 0) {
        c->fig->connect_failed++;
        c->state = W_DONE;
        return;
    }
    c->io.fd = fd;
    c->state = W_CONNECTING;
    if (loop_add(c->env->loop, &c->io, EPOLLOUT) != 0) {
        c->fig->connect_failed++;
        loop_close(c->env->loop, &c->io);
        c->state = W_DONE;
    }
}

void wsclient_tick(wsclient_t *c, int64_t now_us)
{
    if (c->kind != WS_SLOW || c->state != W_OPEN)
        return;
    /* Token bucket: the rate accrues with time; at most a second's worth
     * is saved up, so a slow dashboard never bursts. */
    double rate = c->env->slow_rate;
    c->tokens += rate * (double)(now_us - c->slow_last_us) / 1e6;
    c->slow_last_us = now_us;
    if (c->tokens > rate)
        c->tokens = rate;
    if (c->tokens >= 1.0)
        ws_read(c, (size_t)c->tokens, now_us);
}

void wsclient_finish(wsclient_t *c, int64_t now_us)
{
    if (c->state == W_OPEN && c->kind != WS_STALLED) {
        int64_t since = c->last_update_us ? c->last_update_us : c->open_us;
        if (now_us - since > c->fig->max_gap_us)
            c->fig->max_gap_us = now_us - since;
    }
    if (c->state != W_DONE && c->state != W_IDLE)
        ws_end(c, END_FINISH, now_us);
}
