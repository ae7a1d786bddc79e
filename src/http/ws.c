/* ws.c - the live stream on libwebsockets (see ws.h).
 *
 * Life of a client:
 *   FILTER_PROTOCOL_CONNECTION  the upgrade request: path, Origin and the
 *                               client limit are checked; a refusal is
 *                               answered with a plain HTTP status
 *   ESTABLISHED                 socket send buffer capped, hello queued
 *   SERVER_WRITEABLE            the queued update in one write; the
 *                               callback after it means it has left the process
 *   RECEIVE                     control messages (size-capped, validated):
 *                               a subscribe resets the client's cursor
 *                               (a snapshot comes with the next update)
 *   CLOSED                      unlinked, its frame reference dropped
 * ws_tick() runs every push interval from the server's timer. An update is
 * the tick's summary frame (shared by all) followed by the detail frames
 * push/fanout picks for the client (shared by clients at the same cursor);
 * the client holds references, never copies. It never frees a client: closing goes through lws
 * (LWS_TO_KILL_ASYNC), which calls CLOSED later, outside our list walk.
 */
#include "ws.h"

#include "http.h"

#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/tcp.h>     /* struct tcp_info with tcpi_bytes_acked (glibc's is older) */
#include <linux/sockios.h> /* SIOCOUTQ */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/hostallow.h"
#include "../core/xmalloc.h"
#include "../push/control.h"
#include "../push/fanout.h"
#include "../push/frame.h"
#include "../push/liveroll.h"
#include "../push/subs.h"
#include "../push/summary.h"
#include "../net/tls.h"
#include "../store/hist.h"

/* Kernel send buffer per client: without a cap Linux autotunes it to MBs,
 * and every stalled client would pin that much kernel memory. */
#define WS_SNDBUF (64 * 1024)

/* Messages of one update: the summary, detail pieces, live roll-ups. */
#define WS_QUEUE_MAX (1 + FANOUT_MAX_PIECES + CONTROL_MAX_ROLLUPS)

struct ws_client {
    struct lws *wsi;
    ws_client_t *prev, *next; /* in app->clients once ESTABLISHED */
    int established;
    /* The update being sent: frames queued, not yet written (the summary,
     * then detail pieces), each one a reference to a shared frame. */
    frame_t *queue[WS_QUEUE_MAX];
    unsigned qhead, qlen;
    int in_flight; /* written; waiting for the writeable that confirms it left */
    /* The push tick since which it has been busy without the peer
     * acknowledging a byte (0: not busy); counted in ticks, not read off a
     * clock, so timer jitter cannot add a whole tick to the stall timeout. */
    uint64_t stuck_since_seq;
    uint64_t acked; /* bytes the peer had acknowledged at the last check */
    /* Keep-alive (ws_keepalive): when we last heard from the peer (a pong
     * or a message), when we decided to ping it since (0: not yet), and
     * whether that ping still waits to be written. */
    int64_t heard_mono_ms, pinged_mono_ms;
    int ping_due;
    char *rx; /* a control message being reassembled from fragments */
    size_t rx_len;
    unsigned group;          /* served at this sub-tick of the push interval */
    subs_t subs;             /* what it subscribed to (nothing at first) */
    fanout_cursor_t cursor;  /* how far its detail stream has got */
    liveroll_client_t rolls; /* its live roll-ups and their cursors */
};

size_t ws_client_size(void)
{
    return sizeof(ws_client_t);
}

static app_t *ws_app(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

/* Answers an upgrade we refuse with a plain HTTP status and a JSON reason
 * (and a WWW-Authenticate challenge for a 401). lws' own refusal is an
 * HTML page or a bare close; writing here is safe because nothing else has
 * been written to the connection yet. Written through lws (raw), so that
 * over TLS it is encrypted like any answer. */
static int ws_refuse_challenge(struct lws *wsi, app_t *app, ws_refusal_t why, int status,
                               const char *text, const char *message, const char *challenge)
{
    unsigned char resp[LWS_PRE + 896];
    char hsts[40], hsts_line[80] = "", challenge_line[192] = "";
    if (http_hsts_value(app, hsts, sizeof hsts))
        snprintf(hsts_line, sizeof hsts_line, "strict-transport-security: %s\r\n", hsts);
    if (challenge) /* a header line of its own */
        snprintf(challenge_line, sizeof challenge_line, "www-authenticate: %s\r\n", challenge);
    int body_len = (int)strlen(message) + 12;
    int n = snprintf((char *)resp + LWS_PRE, sizeof resp - LWS_PRE,
                     "HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                     "%s%s%sconnection: close\r\n\r\n{\"error\":\"%s\"}",
                     status, text, body_len, status == 503 ? "retry-after: 5\r\n" : "", hsts_line,
                     challenge_line, message);
    app->metrics.ws_refused[why]++;
    if (n > 0 && (size_t)n < sizeof resp - LWS_PRE)
        (void)lws_write(wsi, resp + LWS_PRE, (size_t)n, LWS_WRITE_RAW);
    return 1;
}

static int ws_refuse(struct lws *wsi, app_t *app, ws_refusal_t why, int status, const char *text,
                     const char *message)
{
    return ws_refuse_challenge(wsi, app, why, status, text, message, NULL);
}

/* A browser page may open the stream if its Origin names this server (a
 * Host it answers to: the address, or an --allow-host name; never simply
 * whatever Host the request carries, which a rebound domain controls), or
 * is listed in --allow-origin ("*" = any). A request without Origin is not
 * from a browser page (curl, the load tool): cross-site WebSocket
 * hijacking needs a browser, so it is let through. */
static int ws_origin_allowed(struct lws *wsi, const app_t *app)
{
    char origin[256];
    if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0)
        return 1;
    int olen = lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN);
    if (olen <= 0)
        return 0;
    /* Over TLS only an https:// page is the server's own: a plain-HTTP
     * page of the same host could have been rewritten on the way. Without
     * TLS both schemes are (a TLS proxy in front sends https://). */
    int scheme_ok = !tls_enabled(&app->cfg) || (olen > 8 && memcmp(origin, "https://", 8) == 0);
    if (scheme_ok && hostallow_origin_ok(&app->hosts, origin, (size_t)olen))
        return 1;
    const char *list = app->cfg.allow_origin;
    slice_t item;
    while (slice_next_item(&list, &item))
        if (slice_eq_cstr(item, "*") ||
            (item.n == (size_t)olen && memcmp(item.p, origin, item.n) == 0))
            return 1;
    return 0;
}

static int ws_filter(struct lws *wsi, app_t *app)
{
    char uri[64];
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/ws") != 0)
        return ws_refuse(wsi, app, WS_REFUSED_PATH, 404, "Not Found",
                         "WebSocket upgrades are served on /ws only");
    char host[HOSTALLOW_NAME_MAX];
    int host_ok = http_host_allowed(wsi, app, host, sizeof host);
    if (host_ok < 0)
        return ws_refuse(wsi, app, WS_REFUSED_HOST, 400, "Bad Request",
                         "a Host header is required");
    if (host_ok == 0)
        return ws_refuse(wsi, app, WS_REFUSED_HOST, 421, "Misdirected Request",
                         "this server does not answer to that Host: use its address, or name it "
                         "with --allow-host");
    if (!ws_origin_allowed(wsi, app))
        return ws_refuse(wsi, app, WS_REFUSED_ORIGIN, 403, "Forbidden",
                         "Origin not allowed (same origin, or --allow-origin)");
    /* The view door: the sign-in cookie (what a browser can send), or a
     * Bearer header (other clients). Counted in auth_refused too. */
    auth_result_t auth = http_auth_check(wsi, app, AUTH_DOOR_VIEW);
    if (auth != AUTH_OK)
        return ws_refuse_challenge(wsi, app, WS_REFUSED_TOKEN, 401, "Unauthorized",
                                   auth == AUTH_MISSING
                                       ? "the live stream needs the view token: sign in "
                                         "(cookie) or send Authorization: Bearer"
                                       : "wrong or malformed view token",
                                   http_auth_challenge(auth));
    if ((uint64_t)app->metrics.ws_clients >= app->cfg.max_clients)
        return ws_refuse(wsi, app, WS_REFUSED_MAX_CLIENTS, 503, "Service Unavailable",
                         "too many live clients (--max-clients); retry later");
    return 0;
}

/* Queues f (taking over the reference) for c; the write happens when lws
 * says the socket can take it. The queue is empty or being filled for one
 * update: ws_tick only fills it when the previous update has left. */
static void ws_queue(ws_client_t *c, frame_t *f)
{
    c->queue[(c->qhead + c->qlen++) % WS_QUEUE_MAX] = f;
    lws_callback_on_writable(c->wsi);
}

/* Bytes written to the socket that the peer has not acknowledged yet. */
static int ws_unacked(const ws_client_t *c)
{
    int n = 0;
    if (ioctl(lws_get_socket_fd(c->wsi), SIOCOUTQ, &n) != 0)
        return 0;
    return n;
}

/* A client is busy while its update is still on its way: queued here,
 * held by lws, or in the kernel's send buffer unread by the peer. Without
 * the last check a slow reader would have up to the whole send buffer
 * (128 KiB) of old updates queued in the kernel, seconds or minutes stale;
 * with it, it skips ticks and its next update is current. */
static int ws_busy(const ws_client_t *c)
{
    return c->qlen > 0 || c->in_flight || ws_unacked(c) > 0;
}

/* Takes the oldest queued frame (the caller owns its reference). */
static frame_t *ws_pop(ws_client_t *c)
{
    frame_t *f = c->queue[c->qhead];
    c->qhead = (c->qhead + 1) % WS_QUEUE_MAX;
    c->qlen--;
    return f;
}

static void ws_drop_queue(ws_client_t *c)
{
    while (c->qlen)
        frame_unref(ws_pop(c));
}

static void ws_send_hello(ws_client_t *c, app_t *app)
{
    buf_t b;
    buf_init(&b);
    buf_printf(&b,
               "{\"type\":\"hello\",\"version\":1,\"push_interval_ms\":%lld,\"window_s\":%lld,"
               "\"summary_seconds\":%d,\"server_time_ms\":%lld,\"max_update_bytes\":%llu,"
               "\"hist\":{\"sub_buckets\":%u,\"exp_min\":%d,\"buckets\":%u}}",
               (long long)app->cfg.push_interval_ms, (long long)(app->cfg.window_ms / 1000),
               SUMMARY_SECONDS, (long long)clock_wall_ms(), (unsigned long long)app->cfg.max_update,
               HIST_SUB, HIST_EXP_MIN, HIST_BUCKETS);
    ws_queue(c, frame_new(b.p, b.len, LWS_PRE));
    buf_dispose(&b);
}

/* Writes a due ping and the queued update, or notes that the previous
 * update has left. */
static int ws_writeable(struct lws *wsi, ws_client_t *c, app_t *app)
{
    /* lws only calls back once any partial write is flushed: whatever was
     * in flight has now left the process. */
    c->in_flight = 0;
    if (c->ping_due) {
        /* Between updates (lws holds no partial write when it calls back),
         * so the control frame does not split a message. With a payload:
         * lws does not report an empty pong. */
        unsigned char ping[LWS_PRE + 1] = {[LWS_PRE] = 'p'};
        if (lws_write(wsi, ping + LWS_PRE, 1, LWS_WRITE_PING) < 1)
            return -1;
        c->ping_due = 0;
        if (c->qlen && lws_partial_buffered(wsi)) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    if (!c->qlen)
        return 0;
    size_t messages = c->qlen, payload = 0;
    int n;
    if (c->qlen == 1) {
        /* One frame: lws writes its header into the headroom, no copy. */
        frame_t *f = ws_pop(c);
        payload = frame_len(f);
        n = lws_write(wsi, frame_data(f), payload, LWS_WRITE_TEXT) < (int)payload ? -1 : 0;
        frame_unref(f);
    } else {
        /* The whole update in one write, framed here: one send() and one
         * wake-up of the peer instead of one per message. Measured at
         * 10,000 dashboards (summary + 5 detail messages each tick): the
         * server's CPU fell by about half. lws passes LWS_WRITE_RAW
         * through and keeps whatever the kernel does not take, so the
         * next callback still means the whole update has left. */
        buf_t *b = &app->ws_batch;
        buf_reset(b);
        buf_reserve(b, LWS_PRE);
        b->len = LWS_PRE;
        while (c->qlen) {
            frame_t *f = ws_pop(c);
            unsigned char header[FRAME_WS_HEADER_MAX];
            buf_append(b, header, frame_ws_header(frame_len(f), header));
            buf_append(b, frame_data(f), frame_len(f));
            payload += frame_len(f);
            frame_unref(f);
        }
        size_t len = b->len - LWS_PRE;
        n = lws_write(wsi, (unsigned char *)b->p + LWS_PRE, len, LWS_WRITE_RAW) < (int)len ? -1 : 0;
    }
    if (n < 0)
        return -1;
    app->metrics.ws_messages_sent += messages;
    app->metrics.ws_bytes_sent += payload;
    if (lws_partial_buffered(wsi)) {
        /* lws holds the rest until the socket takes it; its next callback
         * says it has. Otherwise all of it is in the kernel already, and
         * ws_busy() sees the bytes the peer has not acknowledged. */
        c->in_flight = 1;
        lws_callback_on_writable(wsi);
    }
    return 0;
}

/* Bytes of this connection the peer has acknowledged (TCP_INFO): grows
 * while a slow reader reads, even when every frame takes several ticks. */
static uint64_t ws_acked(const ws_client_t *c)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(lws_get_socket_fd(c->wsi), IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return 0;
    return ti.tcpi_bytes_acked;
}

/* Called at each tick the client is busy. It is stalled when the peer has
 * acknowledged nothing for --stall-timeout worth of ticks: a slow reader
 * still makes progress and stays. Progress is only seen at ticks, so a
 * stalled client is closed between stall-timeout and stall-timeout + one
 * push interval after its last acknowledgement. */
static int ws_stalled(ws_client_t *c, const app_t *app)
{
    uint64_t acked = ws_acked(c);
    if (!c->stuck_since_seq || acked != c->acked) {
        c->acked = acked;
        c->stuck_since_seq = app->push_seq;
        return 0;
    }
    return (int64_t)(app->push_seq - c->stuck_since_seq) * app->cfg.push_interval_ms >=
           app->cfg.stall_timeout_ms;
}

/* Closes c with a TCP reset: an orderly close would wait for the stalled
 * peer to read, keeping the socket (and its buffers) alive. */
static void ws_kill(ws_client_t *c)
{
    struct linger lg = {1, 0};
    setsockopt(lws_get_socket_fd(c->wsi), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Dead peers, found by ping. libwebsockets' own validity policy would do
 * this, but it re-arms a timer in one sorted list per pong: O(clients) each,
 * so every ping round cost O(clients^2) (about 3 s of CPU at 10,000
 * dashboards, measured). Here a walk once a second: a peer silent for
 * --ping-interval is pinged, and disconnected if it stays silent for
 * another interval; each step happens within a second of its deadline. */
void ws_keepalive(app_t *app, int64_t now_mono_ms)
{
    int64_t interval = app->cfg.ping_interval_ms;
    for (ws_client_t *c = app->clients; c; c = c->next) {
        if (!c->pinged_mono_ms) {
            if (now_mono_ms - c->heard_mono_ms >= interval) {
                c->pinged_mono_ms = now_mono_ms;
                c->ping_due = 1;
                lws_callback_on_writable(c->wsi);
            }
        } else if (now_mono_ms - c->pinged_mono_ms >= interval) {
            /* A whole interval since the ping, whenever the walk runs:
             * never dropped without having been pinged first. */
            app->metrics.ws_ping_timeouts++;
            c->pinged_mono_ms = INT64_MAX / 2; /* counted once; CLOSED follows */
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        }
    }
}

/* Anything from the peer shows it is alive. */
static void ws_heard(ws_client_t *c)
{
    c->heard_mono_ms = clock_mono_ms();
    c->pinged_mono_ms = 0;
}

/* One sub-tick: a fresh summary and detail for one group of clients.
 * Writing an update to 10,000 sockets takes ~180 ms (docs/benchmarks.md);
 * served all at once, the last of them would get every tick that much
 * late. Staggered, each group is written within ~30 ms of its sub-tick,
 * and still gets one update per push interval. */
void ws_tick(app_t *app, int64_t now_mono_ms)
{
    unsigned group = (unsigned)(app->push_subtick++ % app->push_groups);
    if (group == 0)
        app->push_seq++;
    /* The ingest rate over the last push interval: the counter as it was
     * push_groups sub-ticks ago is in this slot (kept current even with
     * nobody watching, so the first update is right). */
    summary_server_t server = {.clients = app->metrics.ws_clients, .ingest_per_s = 0};
    uint64_t accepted = metrics_samples_accepted(&app->metrics);
    if (now_mono_ms > app->push_mono_ms[group])
        server.ingest_per_s = (double)(accepted - app->push_accepted[group]) * 1000.0 /
                              (double)(now_mono_ms - app->push_mono_ms[group]);
    app->push_accepted[group] = accepted;
    app->push_mono_ms[group] = now_mono_ms;
    frame_t *f = NULL; /* encoded when the group has a client that takes it */
    for (ws_client_t *c = app->clients; c; c = c->next) {
        if (c->group != group)
            continue;
        if (ws_busy(c)) {
            /* Busy: skip this tick; the next update covers it. The stall
             * clock runs from the first tick it could not take. */
            app->metrics.ws_updates_skipped++;
            if (ws_stalled(c, app)) {
                app->metrics.ws_stall_closes++;
                c->stuck_since_seq = 0;
                ws_kill(c);
            }
            continue;
        }
        if (!f) {
            buf_t b;
            buf_init(&b);
            summary_encode_cached(app->store, &app->summary_cache, app->push_seq, clock_wall_ms(),
                                  &server, &b);
            f = frame_new(b.p, b.len, LWS_PRE);
            buf_dispose(&b);
            /* After summary_encode moved the store to now: this epoch
             * covers every sample accepted so far. */
            fanout_begin(&app->fanout, app->store);
            liveroll_begin(app->liveroll, app->store, app->fanout.epoch, clock_wall_ms());
        }
        c->stuck_since_seq = 0; /* everything sent was acknowledged */
        app->metrics.ws_updates_sent++;
        ws_queue(c, frame_ref(f));
        frame_t *pieces[FANOUT_MAX_PIECES];
        size_t n = fanout_client(&app->fanout, &c->subs, &c->cursor, pieces, FANOUT_MAX_PIECES);
        for (size_t i = 0; i < n; i++)
            ws_queue(c, pieces[i]);
        frame_t *rolls[CONTROL_MAX_ROLLUPS];
        n = liveroll_client(app->liveroll, &c->rolls, rolls, CONTROL_MAX_ROLLUPS);
        for (size_t i = 0; i < n; i++)
            ws_queue(c, rolls[i]);
    }
    if (f) {
        frame_unref(f);
        fanout_end(&app->fanout);
        liveroll_end(app->liveroll);
        app->metrics.ws_detail_encoded = app->fanout.pieces_encoded;
        app->metrics.ws_detail_deferred = app->fanout.deferred;
        app->metrics.ws_rollups = *liveroll_stats(app->liveroll);
    }
}

/* Closes the client with a WebSocket close code and reason. */
static int ws_close(struct lws *wsi, app_t *app, enum lws_close_status code, const char *reason)
{
    app->metrics.ws_bad_messages++;
    lws_close_reason(wsi, code, (unsigned char *)reason, strlen(reason));
    return -1;
}

static int ws_receive(struct lws *wsi, ws_client_t *c, app_t *app, const void *in, size_t len)
{
    if (lws_frame_is_binary(wsi))
        return ws_close(wsi, app, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
                        "only JSON text messages are accepted");
    /* Refuse as early as the frame header tells the size. */
    if (c->rx_len + len + lws_remaining_packet_payload(wsi) > CONTROL_MAX_BYTES)
        return ws_close(wsi, app, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too big");
    if (!c->rx)
        c->rx = xmalloc(CONTROL_MAX_BYTES);
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
        return 0;
    /* ~34 KB: transient; the client keeps the compact subs_t. */
    control_msg_t *msg = xmalloc(sizeof *msg);
    control_error_t err;
    int rc = control_parse(c->rx, c->rx_len, msg, &err);
    if (rc == 0) {
        subs_set(&c->subs, msg);
        int64_t window_s = app->cfg.window_ms / 1000;
        int want =
            msg->window_s == CONTROL_WINDOW_DEFAULT ? FANOUT_WINDOW_DEFAULT_S : msg->window_s;
        fanout_cursor_reset(&c->cursor, clock_wall_ms(), want < window_s ? want : (int)window_s);
        liveroll_set(app->liveroll, &c->rolls, msg,
                     (int64_t)(want < window_s ? want : (int)window_s) * 1000);
        app->metrics.ws_rollups = *liveroll_stats(app->liveroll);
    }
    free(msg);
    free(c->rx);
    c->rx = NULL;
    c->rx_len = 0;
    if (rc != 0)
        return ws_close(wsi, app, (enum lws_close_status)err.close_code, err.message);
    return 0;
}

static void ws_unlink(app_t *app, ws_client_t *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (app->clients == c)
        app->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    ws_client_t *c = user;
    app_t *app;

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        http_mark_request_head(wsi);
        return ws_filter(wsi, ws_app(wsi));

    case LWS_CALLBACK_ESTABLISHED: {
        app = ws_app(wsi);
        int sndbuf = WS_SNDBUF;
        setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        memset(c, 0, sizeof *c);
        subs_init(&c->subs);
        c->wsi = wsi;
        c->established = 1;
        c->heard_mono_ms = clock_mono_ms();
        c->group = app->next_group++ % app->push_groups;
        c->next = app->clients;
        if (app->clients)
            app->clients->prev = c;
        app->clients = c;
        app->metrics.ws_clients++;
        http_mark_upgraded(wsi);
        ws_send_hello(c, app);
        return 0;
    }

    case LWS_CALLBACK_SERVER_WRITEABLE:
        return ws_writeable(wsi, c, ws_app(wsi));

    case LWS_CALLBACK_RECEIVE:
        ws_heard(c);
        return ws_receive(wsi, c, ws_app(wsi), in, len);

    case LWS_CALLBACK_RECEIVE_PONG:
        ws_heard(c);
        return 0;

    case LWS_CALLBACK_CLOSED:
        /* Also called for upgrades the filter refused: only an established
         * client is on the list and counted. */
        if (c && c->established) {
            app = ws_app(wsi);
            ws_unlink(app, c);
            app->metrics.ws_clients--;
            c->established = 0;
            ws_drop_queue(c);
            subs_dispose(&c->subs);
            liveroll_clear(app->liveroll, &c->rolls);
            app->metrics.ws_rollups = *liveroll_stats(app->liveroll);
            free(c->rx);
            c->rx = NULL;
        }
        return 0;

    case LWS_CALLBACK_WSI_DESTROY:
        http_link_release(wsi);
        return 0;

    default:
        return 0;
    }
}

void ws_dispose(app_t *app)
{
    /* lws_context_destroy() closes every client through CLOSED; anything
     * left here would be a bug, but leave no reference behind regardless. */
    while (app->clients) {
        ws_client_t *c = app->clients;
        ws_unlink(app, c);
        ws_drop_queue(c);
        subs_dispose(&c->subs);
        liveroll_clear(app->liveroll, &c->rolls);
        free(c->rx);
    }
}
