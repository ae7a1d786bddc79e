/* otlp_port.c - the OTLP/HTTP port (see otlp_port.h). */
#include "otlp_port.h"
#include "../core/log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../api/otlp.h"
#include "../core/auth.h"
#include "../core/clock.h"
#include "../core/h1req.h"
#include "../http/http.h"
#include "bind.h"
#include "tls.h"

/* Bytes per lws_write: lws keeps the unsent rest of a partial write, so
 * this bounds what it copies per connection. */
#define OTLP_WRITE_CHUNK (16 * 1024)
#define OTLP_ACCEPTS_MAX 64 /* accepts per wakeup */

typedef enum otlp_phase {
    OTLP_IDLE, /* between requests: --keepalive-timeout */
    OTLP_HEAD, /* a request's head is arriving: --header-timeout */
    OTLP_BODY, /* its body is arriving: --body-timeout */
    OTLP_ANSWERING,
} otlp_phase_t;

typedef struct otlp_conn {
    struct lws *wsi;
    int listener;
    struct otlp_conn *prev, *next; /* app->otlp_conns (connections only) */
    otlp_phase_t phase;
    int64_t deadline_mono_ms;
    h1req_t req;
    int head_checked;
    int upload; /* OTLP_PROTOBUF or OTLP_JSON */
    int signal; /* OTLP_TRACES or OTLP_METRICS: the path */
    int gzip;
    buf_t body;
    uint64_t counted; /* bytes of body counted in app->receiving_bytes */
    buf_t out;
    size_t out_sent;
    int close_after;
    /* Bytes read past a request that is being answered: the next requests'.
     * They are fed from pending_off on, so each byte read is copied into
     * pending at most once, however many requests it holds. */
    buf_t pending;
    size_t pending_off;
    int requests; /* answered on this connection */
    int rx_seen;  /* a byte of a request has arrived */
} otlp_conn_t;

size_t otlp_port_size(void)
{
    return sizeof(otlp_conn_t);
}

static app_t *otlp_app(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

int otlp_port_open(app_t *app, struct lws_vhost *vhost, char *err, size_t err_len)
{
    if (!app->cfg.otlp_listen.enabled)
        return 0;
    net_bound_t b;
    int rc = net_bind_endpoint(&app->cfg.otlp_listen, SOCK_STREAM, "OTLP", "otlp-listen", &b, err,
                               err_len);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    app->otlp_adopting_listener = 1;
    rc = net_adopt(vhost, b.fd, OTLP_PROTOCOL, err, err_len);
    app->otlp_adopting_listener = 0;
    if (rc != 0)
        return -1;
    log_info("OTLP/HTTP receiver at http%s://%s:%d/v1/traces and /v1/metrics",
             tls_enabled(&app->cfg) ? "s" : "", b.url_host, b.port);
    return 0;
}

static void otlp_set_phase(app_t *app, otlp_conn_t *c, otlp_phase_t phase)
{
    int64_t ms = phase == OTLP_HEAD   ? app->cfg.header_timeout_ms
                 : phase == OTLP_BODY ? app->cfg.body_timeout_ms
                 : phase == OTLP_IDLE ? app->cfg.keepalive_timeout_ms
                                      : app->cfg.stall_timeout_ms;
    c->phase = phase;
    c->deadline_mono_ms = clock_mono_ms() + ms;
}

/* Gives back what the body counted against --ingest-buffer. */
static void otlp_uncount(app_t *app, otlp_conn_t *c)
{
    app->receiving_bytes -= c->counted;
    c->counted = 0;
}

static const char *otlp_reason_phrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 421:
        return "Misdirected Request";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    }
    return "Error";
}

/* Writes what is left of c->out through lws (encrypted over TLS), a chunk
 * at a time while lws holds nothing back. An answer has left only when lws
 * holds none of it either (lws_partial_buffered): until then the next
 * request is not read, so lws never holds more than one chunk. Returns 0
 * when all of it left, 1 when the socket is full (reading paused, lws calls
 * back when it can write), -1 on an error. */
static int otlp_flush(otlp_conn_t *c)
{
    for (;;) {
        if (lws_partial_buffered(c->wsi)) {
            lws_rx_flow_control(c->wsi, 0);
            lws_callback_on_writable(c->wsi);
            return 1;
        }
        if (c->out_sent == c->out.len)
            break;
        size_t n = c->out.len - c->out_sent;
        if (n > OTLP_WRITE_CHUNK)
            n = OTLP_WRITE_CHUNK;
        if (lws_write(c->wsi, (unsigned char *)c->out.p + c->out_sent, n, LWS_WRITE_RAW) < (int)n)
            return -1;
        c->out_sent += n;
    }
    buf_reset(&c->out);
    c->out_sent = 0;
    return 0;
}

/* Queues a whole answer (head and body). An answer to HEAD has no body
 * whatever its status (RFC 9110 9.3.2): the client would read the body as
 * the next answer. Its Content-Length is what the body would have been. */
static void otlp_answer(app_t *app, otlp_conn_t *c, int status, const char *type, const char *body,
                        size_t body_len, const char *extra)
{
    buf_t head;
    buf_init(&head);
    char hsts[40];
    int tls = http_hsts_value(app, hsts, sizeof hsts); /* over TLS, as on the main port */
    buf_printf(
        &head,
        "HTTP/1.1 %d %s\r\nServer: spider\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s%s%s"
        "%s\r\n",
        status, otlp_reason_phrase(status), type, body_len, extra ? extra : "",
        tls ? "Strict-Transport-Security: " : "", tls ? hsts : "", tls ? "\r\n" : "",
        c->close_after ? "Connection: close\r\n" : "");
    buf_append(&c->out, head.p, head.len);
    if (strcmp(c->req.method, "HEAD") != 0) /* "" until the method is read */
        buf_append(&c->out, body, body_len);
    buf_dispose(&head);
    otlp_uncount(app, c);
    otlp_set_phase(app, c, OTLP_ANSWERING);
}

/* A refusal: a JSON error, counted by reason. */
static void otlp_refuse(app_t *app, otlp_conn_t *c, int status, http_refusal_t why,
                        const char *message, const char *extra, int close)
{
    buf_t b;
    buf_init(&b);
    buf_append_cstr(&b, "{\"error\":");
    buf_json_string(&b, message, strlen(message));
    buf_append_cstr(&b, "}");
    app->metrics.http_refused[why]++;
    c->close_after |= close;
    otlp_answer(app, c, status, "application/json", b.p, b.len, extra);
    buf_dispose(&b);
}

/* 421 for a Host that does not name this server, with the Host as the
 * main port gives it (docs/protocol.md, Host). */
static void otlp_refuse_host(app_t *app, otlp_conn_t *c)
{
    buf_t b;
    buf_init(&b);
    buf_append_cstr(&b, "{\"error\":\"this server does not answer to that Host: use its "
                        "address, or name it with --allow-host\",\"host\":");
    buf_json_string(&b, c->req.host, strlen(c->req.host));
    buf_append_cstr(&b, "}");
    app->metrics.http_refused[HTTP_REFUSED_HOST]++;
    c->close_after = 1;
    otlp_answer(app, c, 421, "application/json", b.p, b.len, NULL);
    buf_dispose(&b);
}

/* 401 for the ingest door, with the main port's body (door, reason). The
 * body is not read: the connection closes after the answer. */
static void otlp_refuse_auth(app_t *app, otlp_conn_t *c, const char *message, auth_result_t r,
                             const char *challenge)
{
    buf_t b;
    buf_init(&b);
    buf_append_cstr(&b, "{\"error\":");
    buf_json_string(&b, message, strlen(message));
    buf_printf(&b, ",\"door\":\"ingest\",\"reason\":\"%s\"}", auth_result_label(r));
    c->close_after = 1;
    otlp_answer(app, c, 401, "application/json", b.p, b.len, challenge);
    buf_dispose(&b);
}

static int otlp_header_is(const char *value, const char *want)
{
    size_t n = strlen(want);
    return strncasecmp(value, want, n) == 0 &&
           (value[n] == '\0' || value[n] == ';' || value[n] == ' ');
}

/* The head is complete: the policy of the main port, then the route.
 * Returns 0 to read on, 1 when an answer was queued. */
static int otlp_check_head(app_t *app, otlp_conn_t *c)
{
    h1req_t *r = &c->req;
    c->head_checked = 1;
    app->metrics.http_requests++;
    if (!r->host[0]) {
        /* h1req refuses HTTP/1.1 without Host; HTTP/1.0 without one gets
         * the main port's 400 too (even with --allow-host '*') */
        otlp_refuse(app, c, 400, HTTP_REFUSED_HOST, "a Host header is required", NULL, 1);
        return 1;
    }
    if (!hostallow_host_ok(&app->hosts, r->host, strlen(r->host))) {
        otlp_refuse_host(app, c);
        return 1;
    }
    /* The whole port is the ingest door (core/auth.h), whatever the path:
     * the same token and the same answer as on the main port. */
    auth_result_t auth =
        auth_check(&app->auth, AUTH_DOOR_INGEST, r->authorization[0] ? r->authorization : NULL,
                   strlen(r->authorization), NULL, 0);
    memset(r->authorization, 0, sizeof r->authorization);
    if (auth != AUTH_OK) {
        char challenge[128];
        snprintf(challenge, sizeof challenge, "WWW-Authenticate: %s\r\n",
                 http_auth_challenge(auth));
        char message[160];
        snprintf(message, sizeof message,
                 "%s: this port needs the ingest token (--ingest-token) as Authorization: Bearer",
                 auth == AUTH_MISSING ? "no token"
                 : auth == AUTH_WRONG ? "a wrong token"
                                      : "a malformed token");
        app->metrics.auth_refused[AUTH_DOOR_INGEST][auth]++;
        otlp_refuse_auth(app, c, message, auth, challenge);
        return 1;
    }
    int sig = otlp_signal_of_path(r->target, strcspn(r->target, "?"));
    if (sig < 0) {
        otlp_refuse(app, c, 404, HTTP_REFUSED_NOT_FOUND,
                    "not found: this port serves POST /v1/traces and /v1/metrics", NULL, 1);
        return 1;
    }
    c->signal = sig;
    if (strcmp(r->method, "POST") != 0) {
        otlp_refuse(app, c, 405, HTTP_REFUSED_METHOD, "only POST is allowed here",
                    "Allow: POST\r\n", 1);
        return 1;
    }
    if (otlp_header_is(r->content_type, "application/x-protobuf")) {
        c->upload = OTLP_PROTOBUF;
    } else if (otlp_header_is(r->content_type, "application/json")) {
        c->upload = OTLP_JSON;
    } else {
        otlp_refuse(app, c, 415, HTTP_REFUSED_MEDIA_TYPE,
                    "Content-Type must be application/x-protobuf or application/json", NULL, 1);
        return 1;
    }
    c->gzip = strcasecmp(r->content_encoding, "gzip") == 0;
    if (!c->gzip && r->content_encoding[0] && strcasecmp(r->content_encoding, "identity") != 0) {
        otlp_refuse(app, c, 415, HTTP_REFUSED_MEDIA_TYPE,
                    "Content-Encoding must be gzip or identity", NULL, 1);
        return 1;
    }
    if (r->has_length && r->content_length > app->cfg.ingest_buffer - app->receiving_bytes) {
        otlp_refuse(app, c, 503, HTTP_REFUSED_BUSY,
                    "too many request bodies being received at once (--ingest-buffer); retry "
                    "shortly",
                    "Retry-After: 1\r\n", 1);
        return 1;
    }
    if (r->expect_continue) {
        /* 25 bytes on a connection with nothing else to send: lws keeps
         * what the socket does not take (an error closes). */
        unsigned char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (lws_write(c->wsi, cont, sizeof cont - 1, LWS_WRITE_RAW) < (int)(sizeof cont - 1)) {
            c->close_after = 2;
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
            return 1;
        }
    }
    otlp_set_phase(app, c, OTLP_BODY);
    return 0;
}

/* A whole request: apply it and queue the answer. */
static void otlp_complete(app_t *app, otlp_conn_t *c)
{
    buf_t answer;
    buf_init(&answer);
    const char *type;
    otlp_target_t target = {app->store, &app->metrics, app->otlp_streams};
    int status = otlp_handle_upload(&target, (otlp_signal_t)c->signal, (otlp_encoding_t)c->upload,
                                    c->gzip, (size_t)app->cfg.max_body, (const uint8_t *)c->body.p,
                                    c->body.len, clock_wall_ms(), &answer, &type);
    buf_reset(&c->body);
    c->close_after |= !c->req.keep_alive;
    otlp_answer(app, c, status, type, answer.p, answer.len, NULL);
    buf_dispose(&answer);
    c->requests++;
}

/* Feeds (p, n) to the request reader until an answer is queued (or the
 * connection is closing). Returns how many bytes it used; the rest is the
 * next request's. */
static size_t otlp_feed(app_t *app, otlp_conn_t *c, const char *p, size_t n)
{
    size_t total = n;
    while (n > 0 && c->out.len == 0 && !c->close_after) {
        if (c->phase == OTLP_IDLE) {
            h1req_init(&c->req, OTLP_PORT_MAX_HEAD, (size_t)app->cfg.max_body);
            c->head_checked = 0;
            buf_reset(&c->body);
            otlp_set_phase(app, c, OTLP_HEAD);
        }
        size_t before = c->body.len;
        size_t used = h1req_feed(&c->req, p, n, &c->body);
        p += used;
        n -= used;
        /* Bodies being received count against --ingest-buffer as they grow
         * (a chunked one has no length to reserve up front). */
        c->counted += c->body.len - before;
        app->receiving_bytes += c->body.len - before;
        if (c->req.state == H1REQ_ERROR) {
            otlp_refuse(app, c, c->req.status,
                        c->req.status == 413 ? HTTP_REFUSED_TOO_LARGE : HTTP_REFUSED_BAD_HEADER,
                        c->req.message, NULL, 1);
            break;
        }
        if (app->receiving_bytes > app->cfg.ingest_buffer) {
            otlp_refuse(app, c, 503, HTTP_REFUSED_BUSY,
                        "too many request bodies being received at once (--ingest-buffer); retry "
                        "shortly",
                        "Retry-After: 1\r\n", 1);
            break;
        }
        if (c->req.state >= H1REQ_BODY && !c->head_checked && otlp_check_head(app, c))
            break;
        if (c->req.state == H1REQ_DONE)
            otlp_complete(app, c);
    }
    return total - n;
}

/* Keeps (p, n), read past a request being answered, in c->pending (at
 * most one read: reading pauses while an answer is queued). Counted, so a
 * test can see that every byte is kept once. */
static void otlp_keep(app_t *app, otlp_conn_t *c, const char *p, size_t n)
{
    if (n == 0 || c->close_after)
        return;
    buf_append(&c->pending, p, n);
    app->metrics.otlp_pipelined_bytes += n;
}

/* Feeds c->pending from its offset until an answer is queued or nothing is
 * left. O(bytes fed): a read of many small pipelined requests costs O(n)
 * in all, not O(n) per request. The buffer is freed once drained (an idle
 * connection holds none). */
static void otlp_feed_pending(app_t *app, otlp_conn_t *c)
{
    size_t left = c->pending.len - c->pending_off;
    if (left > 0)
        c->pending_off += otlp_feed(app, c, c->pending.p + c->pending_off, left);
    if (c->pending_off == c->pending.len || c->close_after) {
        buf_dispose(&c->pending);
        c->pending_off = 0;
    }
}

/* The answer left: go on with what was read meanwhile (each answer that
 * leaves at once lets the next pending request in), or close. Returns -1
 * to close the connection. */
static int otlp_after_answer(app_t *app, otlp_conn_t *c)
{
    for (;;) {
        if (c->close_after)
            return -1;
        otlp_set_phase(app, c, OTLP_IDLE);
        lws_rx_flow_control(c->wsi, 1);
        otlp_feed_pending(app, c);
        if (c->out.len == 0)
            return 0;
        int rc = otlp_flush(c);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
    }
}

/* One read, (p, n), as lws hands it over (decrypted over TLS; lws reads
 * at most its 64 KiB service buffer per wakeup, so a fast sender cannot
 * hold the loop). Returns -1 to close. */
static int otlp_rx(app_t *app, otlp_conn_t *c, const char *p, size_t n)
{
    /* Bytes while an answer waits (reading is paused then, but lws may
     * still hand over what its TLS layer had decrypted): they follow what
     * pending holds. Otherwise pending is empty: after_answer feeds all of
     * it unless an answer is queued. */
    if (c->out.len) {
        otlp_keep(app, c, p, n);
        return 0;
    }
    size_t used = otlp_feed(app, c, p, n);
    otlp_keep(app, c, p + used, n - used);
    if (c->out.len) {
        int rc = otlp_flush(c);
        if (rc < 0)
            return -1;
        if (rc == 0 && otlp_after_answer(app, c) < 0)
            return -1;
    }
    return 0;
}

static void otlp_accept(app_t *app, struct lws *listener)
{
    int lfd = lws_get_socket_fd(listener);
    for (int i = 0; i < OTLP_ACCEPTS_MAX; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        if ((uint64_t)app->metrics.http_connections >= app->cfg.max_connections) {
            app->metrics.http_connections_refused++;
            close(fd);
            continue;
        }
        char err[128];
        net_adopt_socket(lws_get_vhost(listener), fd, tls_enabled(&app->cfg), OTLP_PROTOCOL, err,
                         sizeof err);
    }
}

void otlp_port_expire(app_t *app, int64_t now_mono_ms)
{
    for (otlp_conn_t *c = app->otlp_conns; c; c = c->next) {
        if (c->deadline_mono_ms > now_mono_ms || c->close_after == 2)
            continue;
        /* Counted as on the main port; an idle keep-alive connection and a
         * client that does not read its answer (--stall-timeout) are closed
         * without a count of their own. */
        if ((c->phase == OTLP_HEAD || c->phase == OTLP_IDLE) && c->requests == 0)
            app->metrics.http_closed_without_request++;
        else if (c->phase == OTLP_BODY)
            app->metrics.http_refused[HTTP_REFUSED_BODY_TIMEOUT]++;
        c->close_after = 2; /* closing: lws calls RAW_CLOSE_FILE soon */
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
}

int otlp_port_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    app_t *app = otlp_app(wsi);
    otlp_conn_t *c = user;
    switch (reason) {
    /* The listen socket is a raw descriptor (its callbacks are *_FILE),
     * connections are sockets lws reads and writes (over TLS with
     * --tls-cert). */
    case LWS_CALLBACK_RAW_ADOPT_FILE:
    case LWS_CALLBACK_RAW_ADOPT:
        memset(c, 0, sizeof *c);
        c->wsi = wsi;
        /* The listen socket (otlp_port_open says so); lws announced it to
         * the HTTP protocol as a connection (WSI_CREATE): it is not one. */
        c->listener = app->otlp_adopting_listener;
        if (c->listener) {
            http_mark_upgraded(wsi);
            return 0;
        }
        /* A connection: counted in --max-connections like the main port's. */
        http_mark_request_head(wsi);
        buf_init(&c->body);
        buf_init(&c->out);
        buf_init(&c->pending);
        c->next = app->otlp_conns;
        if (c->next)
            c->next->prev = c;
        app->otlp_conns = c;
        otlp_set_phase(app, c, OTLP_IDLE);
        c->deadline_mono_ms = clock_mono_ms() + app->cfg.header_timeout_ms;
        return 0;
    case LWS_CALLBACK_RAW_RX_FILE:
        if (c->listener)
            otlp_accept(app, wsi);
        return 0;
    case LWS_CALLBACK_RAW_RX:
        if (c->close_after == 2)
            return 0;
        if (!c->rx_seen) {
            /* Over TLS lws gave the connection --header-timeout from the
             * end of its handshake; from here our own deadlines rule (a
             * keep-alive connection may idle longer). */
            c->rx_seen = 1;
            lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
        }
        return otlp_rx(app, c, in, len);
    case LWS_CALLBACK_RAW_WRITEABLE_FILE:
    case LWS_CALLBACK_RAW_WRITEABLE:
        if (c->listener || c->close_after == 2)
            return 0;
        {
            int rc = otlp_flush(c);
            if (rc < 0)
                return -1;
            return rc == 0 ? otlp_after_answer(app, c) : 0;
        }
    case LWS_CALLBACK_RAW_CLOSE_FILE:
    case LWS_CALLBACK_RAW_CLOSE:
        if (c->listener)
            return 0;
        /* Closed before a head: the client left, or lws timed out its TLS
         * handshake (the tick counts those it closes itself: closing). */
        if (c->requests == 0 && !c->head_checked && c->close_after != 2)
            app->metrics.http_closed_without_request++;
        otlp_uncount(app, c);
        if (c->prev)
            c->prev->next = c->next;
        else if (app->otlp_conns == c)
            app->otlp_conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        buf_dispose(&c->body);
        buf_dispose(&c->out);
        buf_dispose(&c->pending);
        return 0;
    default:
        return 0;
    }
}
