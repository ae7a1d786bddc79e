/* http.c - request handling on libwebsockets (see http.h).
 *
 * Life of a request on one connection (keep-alive: many in a row):
 *   LWS_CALLBACK_HTTP            headers complete: route, check limits; either
 *                                answer at once or wait for the body
 *   LWS_CALLBACK_HTTP_BODY       a chunk of body: append (bounded by Content-Length,
 *                                itself bounded by --max-body)
 *   LWS_CALLBACK_HTTP_BODY_COMPLETION  parse + apply, answer
 *   LWS_CALLBACK_HTTP_WRITEABLE  send the next chunk of the answer; at the end
 *                                either keep the connection for the next request
 *                                or close it (when the body was not read)
 * An answer given before the body was read (411/413/415/405) closes the
 * connection afterwards, since the unread body would otherwise be taken for
 * the next request.
 *
 * Pipelining (requests sent before the previous answer arrived): lws keeps
 * the bytes it read beyond the current request in a per-connection buffer
 * and feeds them to its parser whenever the connection is not rx-flow-
 * controlled, even while an answer is being written; after a body is
 * complete it even calls BODY_COMPLETION again for every such byte it
 * cannot use, which spun the loop forever. So a connection is
 * flow-controlled from the moment its answer starts until the answer has
 * been written and lws has reset for the next request: requests are then
 * parsed, and answered, one at a time and in order.
 * One shape lws 4.1.6 cannot parse at all: a request with a body whose head
 * it takes from that buffer (lws_http_action reads the buffer again from
 * the head's first byte as if it were the body, and loops). Such a request
 * is answered at once with a 503 naming why and the connection is closed,
 * after every earlier answer has been written; see http_head_was_buffered().
 */
#include "http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/sockios.h> /* SIOCINQ */
#include <linux/tcp.h>     /* struct tcp_info with tcpi_bytes_received (glibc's is older) */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../api/ingest.h"
#include "../api/otlp.h"
#include "../api/prom.h"
#include "../api/rollup.h"
#include "../ingest/otlp_streams.h"
#include "../api/query.h"
#include "../core/auth.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/hostallow.h"
#include "../core/mime.h"
#include "../core/seriesname.h"
#include "../core/xmalloc.h"
#include "web/assets.h"

/* Largest piece of an answer handed to lws at once (matches pt_serv_buf_size). */
#define HTTP_CHUNK (64 * 1024)
/* Query-string parameters read per request; more are ignored. */
#define HTTP_MAX_ARGS 8

typedef enum http_state {
    HTTP_IDLE,       /* between requests */
    HTTP_RECEIVING,  /* reading an upload's body (points or OTLP) */
    HTTP_RESPONDING, /* answer headers sent, body being written */
    HTTP_FLUSHING,   /* all written; lws still holds part of it */
} http_state_t;

/* What a connection keeps across its requests. lws frees and re-creates
 * the per-session data (http_conn_t) for every request of a keep-alive
 * connection, so this lives behind lws' opaque user pointer instead, from
 * the first complete request head to WSI_DESTROY (http_link_release); lws
 * sets that pointer itself after WSI_CREATE, so it cannot be made there. */
typedef struct http_link {
    /* Bytes the process had read from the socket when the previous answer
     * was complete (0: no request answered yet; HTTP_MARK_UNKNOWN: the
     * kernel could not say). */
    uint64_t read_mark;
    int upgraded; /* a WebSocket client now: counted in --max-clients instead */
} http_link_t;

struct http_conn {
    struct lws *wsi;
    http_state_t state;
    /* In app->receiving while state == HTTP_RECEIVING. */
    http_conn_t *prev, *next;
    int64_t deadline_mono_ms;
    int counted_in_flight;
    uint64_t content_length;
    buf_t body;
    buf_t out;
    size_t out_sent;
    size_t out_counted; /* bytes of out counted in app->answer_bytes */
    int close_after;    /* the request body was not consumed: close after answering */
    int upload;         /* HTTP_UPLOAD_*: what the body being received is */
    int gzip;           /* the body is Content-Encoding: gzip (OTLP) */
    int otlp_signal;    /* OTLP_TRACES or OTLP_METRICS: the path an OTLP body came to */
    int head_only;      /* a HEAD request: the GET answer's headers, no body */
};

size_t http_conn_size(void)
{
    return sizeof(http_conn_t);
}

static app_t *http_app(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

/* The connection's link, created with its first complete request head. */
static http_link_t *http_link(struct lws *wsi)
{
    http_link_t *link = lws_get_opaque_user_data(wsi);
    if (!link) {
        link = xcalloc(1, sizeof *link);
        lws_set_opaque_user_data(wsi, link);
    }
    return link;
}

void http_mark_request_head(struct lws *wsi)
{
    (void)http_link(wsi);
}

void http_mark_upgraded(struct lws *wsi)
{
    app_t *app = http_app(wsi);
    http_link(wsi)->upgraded = 1;
    app->metrics.http_connections--;
}

void http_link_release(struct lws *wsi)
{
    /* Every accepted connection ends here. Without a head: lws closed it
     * at --header-timeout (it tells us nothing else), or the client left
     * before sending one. A head cut short on a keep-alive connection that
     * already served a request is not seen. */
    app_t *app = http_app(wsi);
    http_link_t *link = lws_get_opaque_user_data(wsi);
    if (!link)
        app->metrics.http_closed_without_request++;
    /* (the listening socket ends here too, at exit, never counted) */
    if ((!link || !link->upgraded) && app->metrics.http_connections > 0)
        app->metrics.http_connections--;
    free(link);
    lws_set_opaque_user_data(wsi, NULL);
}

/* read_mark when the count could not be read: the next request with a
 * body is then taken as buffered (refused, never misread). */
#define HTTP_MARK_UNKNOWN UINT64_MAX

/* Bytes of the connection's stream the process has read from the socket
 * so far (into lws' buffers or ours): what the kernel received in order
 * minus what still waits in the socket. Two syscalls, and data may arrive
 * between them (it raises both figures): the waiting bytes are read
 * before and after, and only an equal pair is trusted (no other thread
 * reads this socket). 0, or -1 if the kernel cannot say. */
static int http_socket_bytes_read(struct lws *wsi, uint64_t *out)
{
    int fd = lws_get_socket_fd(wsi);
    if (fd < 0)
        return -1;
    for (int attempt = 0; attempt < 8; attempt++) {
        struct tcp_info ti;
        socklen_t ti_len = sizeof ti;
        int before = 0, after = 0;
        memset(&ti, 0, sizeof ti);
        if (ioctl(fd, SIOCINQ, &before) != 0 ||
            getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &ti_len) != 0 ||
            ioctl(fd, SIOCINQ, &after) != 0 || after < 0)
            return -1;
        if (before == after) {
            *out = ti.tcpi_bytes_received - (uint64_t)after;
            return 0;
        }
    }
    return -1;
}

/* Did lws take this request's head from what it had buffered, rather than
 * from a read of the socket? lws reads the socket only when its buffer is
 * empty, so a head completed without any read since the previous answer
 * was complete came wholly from the buffer, and that buffer still holds it
 * (lws drops consumed bytes only when its read call returns). When the
 * count is unknown the answer is yes: a refusal, never lws' endless loop. */
static int http_head_was_buffered(struct lws *wsi)
{
    const http_link_t *link = lws_get_opaque_user_data(wsi);
    uint64_t now;
    if (!link || !link->read_mark)
        return 0; /* the connection's first request */
    if (link->read_mark == HTTP_MARK_UNKNOWN || http_socket_bytes_read(wsi, &now) != 0)
        return 1;
    return now == link->read_mark;
}

static void http_unlink_receiving(app_t *app, http_conn_t *c)
{
    app->receiving_bytes -= c->content_length;
    c->content_length = 0;
    if (c->prev)
        c->prev->next = c->next;
    else if (app->receiving == c)
        app->receiving = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void http_link_receiving(app_t *app, http_conn_t *c)
{
    app->receiving_bytes += c->content_length;
    c->prev = NULL;
    c->next = app->receiving;
    if (app->receiving)
        app->receiving->prev = c;
    app->receiving = c;
}

/* Ends whatever request c was in; frees its buffers (idempotent). */
static void http_finish(app_t *app, http_conn_t *c)
{
    if (c->state == HTTP_RECEIVING)
        http_unlink_receiving(app, c);
    if (c->counted_in_flight) {
        app->requests_in_flight--;
        c->counted_in_flight = 0;
    }
    app->answer_bytes -= c->out_counted;
    c->out_counted = 0;
    c->state = HTTP_IDLE;
    buf_dispose(&c->body);
    buf_dispose(&c->out);
    c->out_sent = 0;
}

/* Adds one "name:" value header; nonzero if it does not fit. */
static int http_header_add(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                           unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value, (int)strlen(value), p, end);
}

int http_hsts_value(const app_t *app, char *out, size_t cap)
{
    if (!app->cfg.tls_cert[0])
        return 0;
    snprintf(out, cap, "max-age=%lld", (long long)(app->cfg.hsts_max_age_ms / 1000));
    return 1;
}

/* Sends the status line and headers of an answer whose body is already in
 * c->out, and asks for a writeable callback to send the body. `extra` is a
 * NULL-terminated list of "name:", value pairs (or NULL); answers are
 * "cache-control: no-store" unless extra names a cache-control. */
static int http_respond(struct lws *wsi, http_conn_t *c, unsigned status, const char *type,
                        const char *const *extra)
{
    unsigned char headers[LWS_PRE + 2048];
    unsigned char *start = headers + LWS_PRE, *p = start, *end = headers + sizeof headers - 1;
    app_t *app = http_app(wsi);
    if (c->state == HTTP_RECEIVING)
        http_unlink_receiving(app, c);
    /* An answer that will not leave in one write waits in memory while the
     * client reads it: such answers share --answer-buffer. */
    if (c->out.len > HTTP_CHUNK) {
        uint64_t cap = app->cfg.answer_buffer;
        if (c->out.len > cap || c->out.len > cap - app->answer_bytes) {
            static const char *const retry[] = {"retry-after:", "1", NULL};
            int alone = c->out.len > cap;
            size_t len = c->out.len;
            buf_reset(&c->out);
            buf_printf(&c->out,
                       alone ? "{\"error\":\"the answer would be %zu bytes, over --answer-buffer: "
                               "narrow the range with since/until\"}"
                             : "{\"error\":\"too many large answers being written at once "
                               "(--answer-buffer, this one %zu bytes); retry shortly\","
                               "\"retry_after_s\":1}",
                       len);
            app->metrics
                .http_refused[alone ? HTTP_REFUSED_ANSWER_TOO_LARGE : HTTP_REFUSED_ANSWER_BUSY]++;
            status = alone ? 400 : 503;
            type = "application/json";
            extra = alone ? NULL : retry;
        } else {
            c->out_counted = c->out.len;
            app->answer_bytes += c->out_counted;
        }
    }
    c->state = HTTP_RESPONDING;
    c->out_sent = 0;
    int own_cache = 0;
    for (size_t i = 0; extra && extra[i]; i += 2)
        own_cache |= strcmp(extra[i], "cache-control:") == 0;
    if (lws_add_http_common_headers(wsi, status, type, c->out.len, &p, end) ||
        (!own_cache && http_header_add(wsi, "cache-control:", "no-store", &p, end)) ||
        http_header_add(wsi, "x-content-type-options:", "nosniff", &p, end))
        return -1;
    /* Over TLS, every answer tells the browser to come back over TLS only. */
    char hsts[40];
    if (http_hsts_value(app, hsts, sizeof hsts) &&
        http_header_add(wsi, "strict-transport-security:", hsts, &p, end))
        return -1;
    for (size_t i = 0; extra && extra[i]; i += 2)
        if (http_header_add(wsi, extra[i], extra[i + 1], &p, end))
            return -1;
    if (c->close_after && http_header_add(wsi, "connection:", "close", &p, end))
        return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int http_respond_json(struct lws *wsi, http_conn_t *c, unsigned status)
{
    return http_respond(wsi, c, status, "application/json", NULL);
}

/* A JSON error answer; counts the refusal. */
static int http_refuse(struct lws *wsi, http_conn_t *c, unsigned status, http_refusal_t why,
                       const char *message, const char *allow)
{
    http_app(wsi)->metrics.http_refused[why]++;
    buf_reset(&c->out);
    query_write_error(&c->out, message, NULL);
    const char *const extra[] = {"allow:", allow, NULL};
    return http_respond(wsi, c, status, "application/json", allow ? extra : NULL);
}

/* The answer has fully left lws: close, or ready the connection for the
 * next request and let its bytes be parsed again. Returns nonzero to close. */
static int http_complete(struct lws *wsi, http_conn_t *c)
{
    int close_after = c->close_after;
    http_finish(http_app(wsi), c);
    if (close_after)
        return -1;
    /* Frees c: lws re-creates the per-session data for the next request. */
    if (lws_http_transaction_completed(wsi))
        return -1;
    uint64_t read;
    http_link(wsi)->read_mark = http_socket_bytes_read(wsi, &read) == 0 ? read : HTTP_MARK_UNKNOWN;
    return 0;
}

/* Hands the next chunk of the answer to lws: -1 on error, 1 if it was the
 * last one, 0 if more follow. */
static int http_write_chunk(struct lws *wsi, http_conn_t *c)
{
    static unsigned char tx[LWS_PRE + HTTP_CHUNK];
    size_t left = c->head_only ? 0 : c->out.len - c->out_sent;
    size_t n = left < HTTP_CHUNK ? left : HTTP_CHUNK;
    int final = n == left;
    if (n) /* a 304 has no body, and then no buffer either */
        memcpy(tx + LWS_PRE, c->out.p + c->out_sent, n);
    if (lws_write(wsi, tx + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n)
        return -1;
    c->out_sent += n;
    return final;
}

/* The last chunk is with lws. Completing while lws still holds part of it
 * would make lws defer the completion to a moment we are not told of, so
 * wait for the writeable callback lws gives once it has sent the rest. */
static int http_answer_written(struct lws *wsi, http_conn_t *c)
{
    if (lws_partial_buffered(wsi)) {
        c->state = HTTP_FLUSHING;
        return 0;
    }
    return http_complete(wsi, c);
}

/* Writes the whole answer now rather than from writeable callbacks, for
 * answers given where lws would otherwise go on reading the connection
 * meanwhile (see the top of this file); they are small, and lws keeps
 * what the socket does not take. Returns nonzero to close. */
static int http_answer_now(struct lws *wsi, http_conn_t *c)
{
    int rc;
    while ((rc = http_write_chunk(wsi, c)) == 0)
        ;
    return rc < 0 ? -1 : http_answer_written(wsi, c);
}

/* Sends the next chunk of the answer; at its end, readies the connection for
 * the next request or closes it. Returns nonzero to close. */
static int http_write_more(struct lws *wsi, http_conn_t *c)
{
    if (c->state == HTTP_FLUSHING) /* lws has sent the rest */
        return http_complete(wsi, c);
    if (c->state != HTTP_RESPONDING)
        return 0;
    int rc = http_write_chunk(wsi, c);
    if (rc == 0)
        lws_callback_on_writable(wsi);
    return rc < 0 ? -1 : rc ? http_answer_written(wsi, c) : 0;
}

/* Copies header `token` into dst (NUL-terminated); returns its length or -1. */
static int http_header(struct lws *wsi, enum lws_token_indexes token, char *dst, int cap)
{
    if (lws_hdr_total_length(wsi, token) <= 0)
        return -1;
    return lws_hdr_copy(wsi, dst, cap, token);
}

/* What an upload's body is, decided from its path and Content-Type. */
enum {
    HTTP_UPLOAD_POINTS,    /* POST /api/v1/points: application/json */
    HTTP_UPLOAD_OTLP_PB,   /* POST /v1/traces, /v1/metrics: application/x-protobuf */
    HTTP_UPLOAD_OTLP_JSON, /* POST /v1/traces, /v1/metrics: application/json */
};

/* Is the Content-Type `want`, optionally with parameters? */
static int http_content_type_is(struct lws *wsi, const char *want)
{
    char type[128];
    int n = http_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, type, sizeof type);
    if (n < 0)
        return 0;
    size_t wl = strlen(want);
    return (size_t)n >= wl && strncasecmp(type, want, wl) == 0 &&
           (type[wl] == '\0' || type[wl] == ';' || type[wl] == ' ');
}

/* The upload's kind from its Content-Type, or -1 with the refusal written:
 * 415 for another type, or (OTLP only accepts it) another encoding than
 * gzip or identity. */
static int http_upload_kind(struct lws *wsi, http_conn_t *c, int otlp, int *rc)
{
    char enc[32];
    int n = http_header(wsi, WSI_TOKEN_HTTP_CONTENT_ENCODING, enc, sizeof enc);
    c->gzip = otlp && n > 0 && strcasecmp(enc, "gzip") == 0;
    if (n > 0 && !c->gzip && strcasecmp(enc, "identity") != 0) {
        c->close_after = 1;
        *rc = http_refuse(wsi, c, 415, HTTP_REFUSED_MEDIA_TYPE,
                          otlp ? "Content-Encoding must be gzip or identity"
                               : "Content-Encoding is not supported here: send the body as it is",
                          NULL);
        return -1;
    }
    if (!otlp && http_content_type_is(wsi, "application/json"))
        return HTTP_UPLOAD_POINTS;
    if (otlp && http_content_type_is(wsi, "application/x-protobuf"))
        return HTTP_UPLOAD_OTLP_PB;
    if (otlp && http_content_type_is(wsi, "application/json"))
        return HTTP_UPLOAD_OTLP_JSON;
    c->close_after = 1;
    *rc = http_refuse(wsi, c, 415, HTTP_REFUSED_MEDIA_TYPE,
                      otlp ? "Content-Type must be application/x-protobuf or application/json"
                           : "Content-Type must be application/json",
                      NULL);
    return -1;
}

/* Headers of an upload (POST /api/v1/points, /v1/traces, /v1/metrics) are in: decide
 * whether to read the body. */
static int http_begin_upload(struct lws *wsi, http_conn_t *c, app_t *app, int otlp)
{
    char value[64];
    /* lws does not de-chunk request bodies; a chunked body would be misread. */
    if (http_header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING, value, sizeof value) >= 0) {
        c->close_after = 1;
        return http_refuse(wsi, c, 411, HTTP_REFUSED_LENGTH_REQUIRED,
                           "chunked request bodies are not supported: send Content-Length", NULL);
    }
    int n = http_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, value, sizeof value);
    if (n <= 0) {
        c->close_after = 1;
        return http_refuse(wsi, c, 411, HTTP_REFUSED_LENGTH_REQUIRED,
                           "Content-Length header required", NULL);
    }
    char *end;
    unsigned long long length = strtoull(value, &end, 10);
    if (*end != '\0' || value[0] < '0' || value[0] > '9') {
        c->close_after = 1;
        return http_refuse(wsi, c, 400, HTTP_REFUSED_LENGTH_REQUIRED,
                           "Content-Length is not a number", NULL);
    }
    int rc;
    c->upload = http_upload_kind(wsi, c, otlp, &rc);
    if (c->upload < 0)
        return rc;
    if (length > app->cfg.max_body) {
        /* Refused from the header alone: the body is never read, the
         * connection closes after the answer. */
        c->close_after = 1;
        buf_reset(&c->out);
        buf_printf(&c->out, "{\"error\":\"body over the limit\",\"limit_bytes\":%llu}",
                   (unsigned long long)app->cfg.max_body);
        app->metrics.http_refused[HTTP_REFUSED_TOO_LARGE]++;
        return http_respond_json(wsi, c, 413);
    }
    if (length > app->cfg.ingest_buffer - app->receiving_bytes) {
        /* Every upload may grow to its Content-Length: refuse rather than
         * let many concurrent uploads grow the process past its bound. */
        c->close_after = 1;
        buf_reset(&c->out);
        buf_append_cstr(&c->out, "{\"error\":\"too many request bodies being received at once "
                                 "(--ingest-buffer); retry shortly\",\"retry_after_s\":1}");
        app->metrics.http_refused[HTTP_REFUSED_BUSY]++;
        static const char *const retry[] = {"retry-after:", "1", NULL};
        return http_respond(wsi, c, 503, "application/json", retry);
    }
    /* An explicit length of 0 too: lws then calls BODY_COMPLETION at once. */
    /* curl and others announce large bodies with "Expect: 100-continue" and
     * wait (1 s in curl) for the interim answer; lws does not send it. The
     * head has passed every check, so invite the body now: 25 bytes on an
     * idle connection, which lws buffers if the socket cannot take them. */
    char expect[32];
    if (length > 0 && http_header(wsi, WSI_TOKEN_HTTP_EXPECT, expect, sizeof expect) > 0 &&
        strncasecmp(expect, "100-continue", 12) == 0) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        unsigned char interim[LWS_PRE + sizeof cont];
        memcpy(interim + LWS_PRE, cont, sizeof cont - 1);
        if (lws_write(wsi, interim + LWS_PRE, sizeof cont - 1, LWS_WRITE_RAW) < 0)
            return -1;
    }
    c->content_length = length;
    buf_reset(&c->body);
    /* Grow with what arrives rather than trusting the header up front. */
    buf_reserve(&c->body, length < HTTP_CHUNK ? (size_t)length : HTTP_CHUNK);
    c->state = HTTP_RECEIVING;
    c->deadline_mono_ms = clock_mono_ms() + app->cfg.body_timeout_ms;
    http_link_receiving(app, c);
    return 0;
}

/* An OTLP upload is complete: decode and apply it (api/otlp). */
static int http_otlp_body(app_t *app, http_conn_t *c, buf_t *body, const char **type)
{
    otlp_encoding_t enc = c->upload == HTTP_UPLOAD_OTLP_JSON ? OTLP_JSON : OTLP_PROTOBUF;
    otlp_target_t target = {app->store, &app->metrics, app->otlp_streams};
    return otlp_handle_upload(&target, (otlp_signal_t)c->otlp_signal, enc, c->gzip,
                              (size_t)app->cfg.max_body, (const uint8_t *)body->p, body->len,
                              clock_wall_ms(), &c->out, type);
}

/* Query parameters read per request, each at most HTTP_ARG_MAX - 1
 * bytes decoded: more, or a longer one, is a 400 naming it, never dropped. */
#define HTTP_ARG_MAX 1100 /* a selector (SELECTOR_MAX) and its name */

typedef struct http_args {
    char storage[HTTP_MAX_ARGS][HTTP_ARG_MAX];
    query_arg_t arg[HTTP_MAX_ARGS];
    size_t n;
} http_args_t;

/* Reads the decoded query-string fragments ("key=value") into a. Returns
 * 0, or refuses the request (400, the parameter named) and returns 1. */
static int http_query_args(struct lws *wsi, http_conn_t *c, http_args_t *a, int *rc)
{
    a->n = 0;
    for (int i = 0;; i++) {
        int len = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (len <= 0)
            return 0;
        const char *why = a->n == HTTP_MAX_ARGS ? "more than 8 query parameters"
                          : len >= HTTP_ARG_MAX ? "a query parameter longer than 1099 bytes"
                                                : NULL;
        if (why) {
            /* The key names it: copy what fits of the fragment, up to '='. */
            char frag[4096];
            int got = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
            size_t key = got > 0 ? strcspn(frag, "=") : 0;
            frag[key > 64 ? 64 : key] = '\0';
            http_app(wsi)->metrics.http_refused[HTTP_REFUSED_BAD_QUERY]++;
            buf_reset(&c->out);
            query_write_error(&c->out, why, frag);
            *rc = http_respond_json(wsi, c, 400);
            return 1;
        }
        char *p = a->storage[a->n];
        len = lws_hdr_copy_fragment(wsi, p, HTTP_ARG_MAX, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (len < 0)
            return 0;
        char *eq = memchr(p, '=', (size_t)len);
        a->arg[a->n].key = slice_make(p, eq ? (size_t)(eq - p) : (size_t)len);
        a->arg[a->n].value =
            eq ? slice_make(eq + 1, (size_t)(len - (eq + 1 - p))) : slice_make(p + len, 0);
        a->n++;
    }
}

/* The dashboard's pages run only our own scripts and styles and talk only to
 * this server: no inline script, no other origin, no framing. */
static const char http_csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'";

/* Largest file --web-dir serves (development only). */
#define HTTP_WEB_DIR_MAX (16 << 20)

/* Reads dir + path into out; 0, or -1 if absent, unreadable or unsafe. */
static int http_read_web_file(const char *dir, slice_t path, buf_t *out)
{
    char file[2048];
    /* No way out of the folder: refuse any ".." segment and odd bytes. */
    for (size_t i = 0; i < path.n; i++)
        if (path.p[i] == '\0' || path.p[i] == '\\')
            return -1;
    if (memmem(path.p, path.n, "/..", 3) || path.n + strlen(dir) + 1 >= sizeof file)
        return -1;
    snprintf(file, sizeof file, "%s%.*s", dir, (int)path.n, path.p);
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= HTTP_WEB_DIR_MAX) {
        buf_reserve(out, (size_t)st.st_size);
        ssize_t got = read(fd, out->p + out->len, (size_t)st.st_size);
        if (got == st.st_size) {
            out->len += (size_t)got;
            rc = 0;
        }
    }
    close(fd);
    return rc;
}

/* If-None-Match holds a comma-separated list of ETags, each maybe weak
 * (W/"..."), or "*": does one of them name this entity? */
static int http_etag_matches(const char *list, const char *etag)
{
    slice_t tag;
    while (slice_next_item(&list, &tag)) {
        if (tag.n >= 2 && tag.p[0] == 'W' && tag.p[1] == '/')
            tag = slice_make(tag.p + 2, tag.n - 2);
        if (slice_eq_cstr(tag, "*") || slice_eq_cstr(tag, etag))
            return 1;
    }
    return 0;
}

/* Does Accept-Encoding allow gzip? A listed "gzip" (or "*") counts unless
 * its weight is q=0. */
static int http_accepts_gzip(const char *value)
{
    for (const char *p = value; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t name = strcspn(p, " ;,");
        if ((name == 4 && strncasecmp(p, "gzip", 4) == 0) || (name == 1 && p[0] == '*')) {
            const char *q = memmem(p, n, "q=", 2);
            /* q=0, q=0.0, q=0.000: refused; any other weight accepts. */
            if (!q || strspn(q + 2, "0.") < (size_t)(p + n - (q + 2)))
                return 1;
            return 0;
        }
        p += n;
    }
    return 0;
}

/* Serves a dashboard file: the embedded copy (gzip when the browser takes
 * it, ETag revalidation), or with --web-dir the file on disk, uncached.
 * Returns 1 if it answered, 0 if there is no such file. */
static int http_serve_static(struct lws *wsi, http_conn_t *c, app_t *app, slice_t path, int *rc)
{
    if (path.n == 1 && path.p[0] == '/')
        path = slice_cstr("/index.html");
    if (app->cfg.web_dir[0]) {
        if (http_read_web_file(app->cfg.web_dir, path, &c->out) != 0)
            return 0;
        const char *const extra[] = {"content-security-policy:", http_csp, NULL};
        *rc = http_respond(wsi, c, 200, mime_type(path.p, path.n), extra);
        return 1;
    }
    const web_asset_t *a = web_asset_find(path.p, path.n);
    if (!a)
        return 0;
    char value[256];
    if (http_header(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH, value, sizeof value) > 0 &&
        http_etag_matches(value, a->etag)) {
        const char *const extra[] = {"etag:", a->etag, "cache-control:", "no-cache", NULL};
        *rc = http_respond(wsi, c, 304, a->content_type, extra);
        return 1;
    }
    int gzip = http_header(wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING, value, sizeof value) > 0 &&
               http_accepts_gzip(value);
    buf_append(&c->out, gzip ? a->gz : a->raw, gzip ? a->gz_len : a->raw_len);
    /* no-cache: the browser revalidates with the ETag, so a new build of the
     * binary is picked up at once and an unchanged file costs a 304. */
    const char *const extra[] = {"etag:",
                                 a->etag,
                                 "cache-control:",
                                 "no-cache",
                                 "vary:",
                                 "Accept-Encoding",
                                 "content-security-policy:",
                                 http_csp,
                                 "referrer-policy:",
                                 "no-referrer",
                                 gzip ? "content-encoding:" : NULL,
                                 "gzip",
                                 NULL};
    *rc = http_respond(wsi, c, 200, a->content_type, extra);
    return 1;
}

/* The body length lws will read for this request: it takes the
 * Content-Length header with atoll(), so do the same (-1: no header). */
static long long http_lws_body_length(struct lws *wsi)
{
    char value[64];
    if (http_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, value, sizeof value) < 0)
        return -1;
    return atoll(value);
}

/* A request with a body whose head lws took from its buffer (see the top
 * of this file): lws would take the head's own bytes for the body. It is
 * answered now, in full, and the connection closed; every earlier request
 * on it has been answered already, since none is parsed before the
 * previous answer is out. Returning nonzero here is the one way to keep
 * lws from reading that body. */
static int http_refuse_buffered_body(struct lws *wsi, http_conn_t *c, app_t *app)
{
    static const char *const retry[] = {"retry-after:", "0", NULL};
    c->close_after = 1;
    buf_reset(&c->out);
    query_write_error(&c->out,
                      "a request with a body was pipelined behind another one on this connection "
                      "and was not read: send it after the previous answer, or on a new connection",
                      NULL);
    app->metrics.http_refused[HTTP_REFUSED_PIPELINED]++;
    return http_respond(wsi, c, 503, "application/json", retry);
}

/* --- Routes ----------------------------------------------------------
 * Each handler answers one path (or, with a prefix route, the paths under
 * it) for its one method; `rest` is the path after the route's own. */
typedef int (*http_handler_t)(struct lws *wsi, http_conn_t *c, app_t *app, slice_t rest,
                              int64_t now_ms);

typedef struct http_route {
    const char *path; /* exact, or the prefix of a path when prefix is set */
    int prefix;
    int method; /* LWSHUMETH_GET or LWSHUMETH_POST */
    const char *allow;
    http_handler_t handle;
} http_route_t;

static int http_handle_points(struct lws *wsi, http_conn_t *c, app_t *app, slice_t rest,
                              int64_t now_ms)
{
    (void)rest;
    (void)now_ms;
    c->close_after = 0; /* the body is read, so the connection may stay */
    return http_begin_upload(wsi, c, app, 0);
}

static int http_handle_otlp(struct lws *wsi, http_conn_t *c, app_t *app, otlp_signal_t sig)
{
    c->close_after = 0;
    c->otlp_signal = sig;
    return http_begin_upload(wsi, c, app, 1);
}

static int http_handle_otlp_traces(struct lws *wsi, http_conn_t *c, app_t *app, slice_t rest,
                                   int64_t now_ms)
{
    (void)rest;
    (void)now_ms;
    return http_handle_otlp(wsi, c, app, OTLP_TRACES);
}

static int http_handle_otlp_metrics(struct lws *wsi, http_conn_t *c, app_t *app, slice_t rest,
                                    int64_t now_ms)
{
    (void)rest;
    (void)now_ms;
    return http_handle_otlp(wsi, c, app, OTLP_METRICS);
}

/* The `match` parameter of a list (/api/v1/series, /metrics): 0 with
 * *have set if one was given (then free *match), or 1 with the refusal
 * written (the answer's status in *rc). */
static int http_match_arg(struct lws *wsi, http_conn_t *c, app_t *app, selector_t *match, int *have,
                          int *rc)
{
    http_args_t args;
    *have = 0;
    if (http_query_args(wsi, c, &args, rc))
        return 1;
    for (size_t i = 0; i < args.n; i++) {
        /* only match: say so rather than ignore another parameter */
        const char *problem = NULL;
        selector_error_t err;
        char message[256];
        if (!slice_eq_cstr(args.arg[i].key, "match"))
            problem = "unknown query parameter (expected match)";
        else if (*have)
            problem = "match given twice";
        else if (selector_parse(match, args.arg[i].value.p, args.arg[i].value.n, &err) != 0) {
            snprintf(message, sizeof message, "match: %s (at byte %zu)", err.message, err.offset);
            problem = message;
        } else {
            *have = 1;
            continue;
        }
        if (*have)
            selector_free(match);
        *have = 0;
        char key[65];
        snprintf(key, sizeof key, "%.*s", (int)(args.arg[i].key.n > 64 ? 64 : args.arg[i].key.n),
                 args.arg[i].key.p);
        app->metrics.http_refused[HTTP_REFUSED_BAD_QUERY]++;
        query_write_error(&c->out, problem, key);
        *rc = http_respond_json(wsi, c, 400);
        return 1;
    }
    return 0;
}

static int http_handle_series_list(struct lws *wsi, http_conn_t *c, app_t *app, slice_t rest,
                                   int64_t now_ms)
{
    (void)rest;
    selector_t match;
    int have_match, rc;
    if (http_match_arg(wsi, c, app, &match, &have_match, &rc))
        return rc;
    int status = query_series_list(app->store, have_match ? &match : NULL, now_ms, &c->out);
    if (have_match)
        selector_free(&match);
    if (status != 200)
        app->metrics.http_refused[HTTP_REFUSED_BAD_QUERY]++;
    return http_respond_json(wsi, c, (unsigned)status);
}

static int http_handle_series_get(struct lws *wsi, http_conn_t *c, app_t *app, slice_t name,
                                  int64_t now_ms)
{
    seriesname_check_t check = seriesname_check(name.p, name.n);
    if (check != SERIESNAME_OK) {
        char message[192];
        snprintf(message, sizeof message, "the series name %s", seriesname_reason(check));
        return http_refuse(wsi, c, 400, HTTP_REFUSED_BAD_QUERY, message, NULL);
    }
    http_args_t args;
    int rc;
    if (http_query_args(wsi, c, &args, &rc))
        return rc;
    int status = query_series_get(app->store, name, args.arg, args.n, now_ms, &c->out);
    if (status == 400)
        app->metrics.http_refused[HTTP_REFUSED_BAD_QUERY]++;
    else if (status == 404)
        app->metrics.http_refused[HTTP_REFUSED_NOT_FOUND]++;
    return http_respond_json(wsi, c, (unsigned)status);
}

static int http_handle_rollup(struct lws *wsi, http_conn_t *c, app_t *app, slice_t rest,
                              int64_t now_ms)
{
    (void)rest;
    http_args_t args;
    int rc;
    if (http_query_args(wsi, c, &args, &rc))
        return rc;
    rollup_refusal_t why;
    int status = query_rollup(app->store, args.arg, args.n, now_ms,
                              (size_t)app->cfg.max_rollup_series, &c->out, &why);
    if (why == ROLLUP_SERIES_LIMIT)
        app->metrics.http_refused[HTTP_REFUSED_ROLLUP_LIMIT]++;
    else if (why != ROLLUP_OK)
        app->metrics.http_refused[HTTP_REFUSED_BAD_QUERY]++;
    return http_respond_json(wsi, c, (unsigned)status);
}

static int http_handle_healthz(struct lws *wsi, http_conn_t *c, app_t *app, slice_t rest,
                               int64_t now_ms)
{
    (void)rest;
    store_stats_t st;
    store_get_stats(app->store, &st);
    buf_printf(&c->out, "{\"status\":\"ok\",\"version\":\"%s\",\"uptime_s\":%lld,\"series\":%zu",
               SPIDER_VERSION, (long long)((now_ms - app->metrics.started_wall_ms) / 1000),
               st.series);
    snapfile_render_health(&app->snap, &c->out);
    buf_append_cstr(&c->out, "}");
    return http_respond_json(wsi, c, 200);
}

static int http_handle_metrics(struct lws *wsi, http_conn_t *c, app_t *app, slice_t rest,
                               int64_t now_ms)
{
    (void)rest;
    selector_t match;
    int have_match, rc;
    if (http_match_arg(wsi, c, app, &match, &have_match, &rc))
        return rc;
    store_stats_t st;
    store_advance(app->store, now_ms); /* series that left the window are gone */
    store_get_stats(app->store, &st);
    app->metrics.otlp_streams = (int64_t)otlp_streams_count(app->otlp_streams);
    app->metrics.otlp_stream_bytes = (int64_t)otlp_streams_bytes(app->otlp_streams);
    metrics_render(&app->metrics, &st, &c->out);
    snapfile_render_metrics(&app->snap, &c->out);
    int failed = app->cfg.metrics_series &&
                 prom_write_series(&c->out, app->store, have_match ? &match : NULL) != 0;
    if (have_match)
        selector_free(&match);
    if (failed) {
        buf_reset(&c->out);
        app->metrics.http_refused[HTTP_REFUSED_BAD_QUERY]++;
        query_write_error(&c->out, QUERY_REGEX_BUDGET, "match");
        return http_respond_json(wsi, c, 400);
    }
    return http_respond(wsi, c, 200, "text/plain; version=0.0.4; charset=utf-8", NULL);
}

/* The sign-in cookie: HttpOnly (no script reads it), SameSite=Strict (no
 * other site's page sends it), Path=/ (the dashboard, the API and /ws),
 * Secure on a TLS connection; a session cookie, gone when the browser
 * closes. Its value is the view token (auth.h: valid cookie bytes). */
static void http_cookie_value(struct lws *wsi, const char *value, int clear, char *out, size_t cap)
{
    snprintf(out, cap, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", AUTH_COOKIE, value,
             lws_is_ssl(wsi) ? "; Secure" : "", clear ? "; Max-Age=0" : "");
}

/* POST /api/v1/signin with "Authorization: Bearer <view token>": the
 * policy has checked the token (a wrong one never gets here: 401), so
 * this only hands it back as the cookie the dashboard and /ws then use. */
static int http_handle_signin(struct lws *wsi, http_conn_t *c, app_t *app, slice_t rest,
                              int64_t now_ms)
{
    (void)rest;
    (void)now_ms;
    size_t n;
    const char *token = auth_door_token(&app->auth, AUTH_DOOR_VIEW, &n);
    if (!token) {
        buf_append_cstr(&c->out, "{\"signed_in\":false,\"token_required\":false}");
        return http_respond_json(wsi, c, 200);
    }
    char cookie[AUTH_TOKEN_MAX + 128];
    http_cookie_value(wsi, token, 0, cookie, sizeof cookie);
    const char *const extra[] = {"set-cookie:", cookie, NULL};
    buf_append_cstr(&c->out, "{\"signed_in\":true,\"token_required\":true}");
    int rc = http_respond(wsi, c, 200, "application/json", extra);
    memset(cookie, 0, sizeof cookie);
    return rc;
}

/* GET /api/v1/session (the view door: 401 when the cookie no longer
 * opens it): whether a token is asked for, so the dashboard knows to
 * offer sign-out. */
static int http_handle_session(struct lws *wsi, http_conn_t *c, app_t *app, slice_t rest,
                               int64_t now_ms)
{
    (void)rest;
    (void)now_ms;
    size_t n;
    buf_printf(&c->out, "{\"token_required\":%s}",
               auth_door_token(&app->auth, AUTH_DOOR_VIEW, &n) ? "true" : "false");
    return http_respond_json(wsi, c, 200);
}

/* POST /api/v1/signout: the cookie is cleared (open to anyone: it only
 * makes the browser forget). */
static int http_handle_signout(struct lws *wsi, http_conn_t *c, app_t *app, slice_t rest,
                               int64_t now_ms)
{
    (void)app;
    (void)rest;
    (void)now_ms;
    char cookie[128];
    http_cookie_value(wsi, "", 1, cookie, sizeof cookie);
    const char *const extra[] = {"set-cookie:", cookie, NULL};
    buf_append_cstr(&c->out, "{\"signed_in\":false}");
    return http_respond(wsi, c, 200, "application/json", extra);
}

/* Every API path. Any other GET is a dashboard file or a 404. */
static const http_route_t http_routes[] = {
    {"/api/v1/points", 0, LWSHUMETH_POST, "POST", http_handle_points},
    {"/v1/traces", 0, LWSHUMETH_POST, "POST", http_handle_otlp_traces},
    {"/v1/metrics", 0, LWSHUMETH_POST, "POST", http_handle_otlp_metrics},
    {"/api/v1/series", 0, LWSHUMETH_GET, "GET", http_handle_series_list},
    {"/api/v1/series/", 1, LWSHUMETH_GET, "GET", http_handle_series_get},
    {"/api/v1/rollup", 0, LWSHUMETH_GET, "GET", http_handle_rollup},
    {"/api/v1/signin", 0, LWSHUMETH_POST, "POST", http_handle_signin},
    {"/api/v1/signout", 0, LWSHUMETH_POST, "POST", http_handle_signout},
    {"/api/v1/session", 0, LWSHUMETH_GET, "GET", http_handle_session},
    {"/healthz", 0, LWSHUMETH_GET, "GET", http_handle_healthz},
    {"/metrics", 0, LWSHUMETH_GET, "GET", http_handle_metrics},
};

static const http_route_t *http_route_find(slice_t path)
{
    for (size_t i = 0; i < sizeof http_routes / sizeof http_routes[0]; i++) {
        const http_route_t *r = &http_routes[i];
        size_t n = strlen(r->path);
        if (r->prefix ? path.n > n && memcmp(path.p, r->path, n) == 0
                      : slice_eq_cstr(path, r->path))
            return r;
    }
    return NULL;
}

/* --- Policy --------------------------------------------------------------
 * The one hook every request passes before any route: what applies to
 * every path (today the Host check; access tokens go here too). Returns 1
 * if it answered the request (a refusal, with *rc the callback's result),
 * 0 to go on to the route. */
int http_host_allowed(struct lws *wsi, const app_t *app, char *host, size_t cap)
{
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HOST);
    host[0] = '\0';
    if (n <= 0)
        return -1;
    if ((size_t)n >= cap || lws_hdr_copy(wsi, host, (int)cap, WSI_TOKEN_HOST) != n)
        return 0;
    return hostallow_host_ok(&app->hosts, host, (size_t)n);
}

/* Adds every address of this machine's interfaces (listening on all). */
static void http_hosts_add_interfaces(hostallow_t *h)
{
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) != 0)
        return;
    for (struct ifaddrs *i = list; i; i = i->ifa_next) {
        char ip[INET6_ADDRSTRLEN];
        const struct sockaddr *sa = i->ifa_addr;
        if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
            continue;
        const void *raw = sa->sa_family == AF_INET
                              ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
                              : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (inet_ntop(sa->sa_family, raw, ip, sizeof ip))
            (void)hostallow_add(h, ip); /* a full list keeps the first ones */
    }
    freeifaddrs(list);
}

int http_hosts_init(app_t *app, const char *bound_ip, char *err, size_t err_len)
{
    const char *listen = app->cfg.listen_host;
    hostallow_t *h = &app->hosts;
    hostallow_init(h);
    /* A name answers to itself and to the address it resolved to (the one
     * printed at start). */
    const char *ip = bound_ip;
    int any = ip[0] == '\0' || strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0;
    int loopback = any || strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0;
    if (!any && (hostallow_add(h, listen) != 0 || hostallow_add(h, ip) != 0)) {
        snprintf(err, err_len, "--listen %s: not a name or address a Host header can carry",
                 listen);
        return -1;
    }
    if (loopback) {
        (void)hostallow_add(h, "localhost");
        (void)hostallow_add(h, "127.0.0.1");
        (void)hostallow_add(h, "::1");
    }
    if (any)
        http_hosts_add_interfaces(h);
    if (hostallow_add_list(h, app->cfg.allow_host) != 0) {
        snprintf(err, err_len, "--allow-host: a bad name, or more than %d names, in \"%s\"",
                 HOSTALLOW_MAX, app->cfg.allow_host);
        return -1;
    }
    return 0;
}

/* Whitespace between a header's name and its colon is forbidden (RFC
 * 9112 5.1): lws keeps such a line as an unknown header, so a
 * "Transfer-Encoding : chunked" would be ignored and its body taken for
 * the next request. The names that frame a message are checked (lws
 * stores unknown names lower-cased, up to and with the colon). */
static int http_spaced_framing_header(struct lws *wsi)
{
    static const char *const names[] = {"transfer-encoding :",
                                        "transfer-encoding\t:",
                                        "content-length :",
                                        "content-length\t:",
                                        "host :",
                                        "host\t:"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (lws_hdr_custom_length(wsi, names[i], (int)strlen(names[i])) >= 0)
            return 1;
    return 0;
}

auth_result_t http_auth_check(struct lws *wsi, app_t *app, auth_door_t door)
{
    size_t sn;
    if (!auth_door_token(&app->auth, door, &sn))
        return AUTH_OK; /* an open door reads no header */
    /* Larger than any well-formed value: a longer one is malformed (or,
     * for Cookie, taken as absent: other cookies of the host may be big). */
    char authz[AUTH_TOKEN_MAX + 64], cookie[4096];
    int an = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    int cn = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_COOKIE);
    auth_result_t r;
    if (an > 0 && (an >= (int)sizeof authz ||
                   lws_hdr_copy(wsi, authz, sizeof authz, WSI_TOKEN_HTTP_AUTHORIZATION) != an))
        r = AUTH_MALFORMED;
    else {
        if (cn > 0 && (cn >= (int)sizeof cookie ||
                       lws_hdr_copy(wsi, cookie, sizeof cookie, WSI_TOKEN_HTTP_COOKIE) != cn))
            cn = 0;
        r = auth_check(&app->auth, door, an > 0 ? authz : NULL, an > 0 ? (size_t)an : 0,
                       cn > 0 ? cookie : NULL, cn > 0 ? (size_t)cn : 0);
    }
    /* No copy of a credential outlives the check. */
    memset(authz, 0, sizeof authz);
    memset(cookie, 0, sizeof cookie);
    if (r != AUTH_OK)
        app->metrics.auth_refused[door][r]++;
    return r;
}

const char *http_auth_challenge(auth_result_t r)
{
    return r == AUTH_MISSING ? "Bearer realm=\"" AUTH_REALM "\""
                             : "Bearer realm=\"" AUTH_REALM "\", error=\"invalid_token\"";
}

/* A request the door's token did not let through: 401 with a challenge
 * and a JSON reason naming the door and what was wrong, never a token. A
 * browser asking for the dashboard's page is sent to the sign-in page. */
static int http_refuse_auth(struct lws *wsi, http_conn_t *c, slice_t path, int method,
                            auth_door_t door, auth_result_t r)
{
    char accept[256];
    buf_reset(&c->out);
    if (door == AUTH_DOOR_VIEW && (method == LWSHUMETH_GET || method == LWSHUMETH_HEAD) &&
        (slice_eq_cstr(path, "/") || slice_eq_cstr(path, "/index.html")) &&
        http_header(wsi, WSI_TOKEN_HTTP_ACCEPT, accept, sizeof accept) > 0 &&
        strstr(accept, "text/html")) {
        static const char *const go[] = {"location:", "/signin.html", NULL};
        buf_append_cstr(&c->out, "{\"error\":\"sign in first\",\"signin\":\"/signin.html\"}");
        c->head_only = method == LWSHUMETH_HEAD;
        return http_respond(wsi, c, 303, "application/json", go);
    }
    static const char *const why[AUTH_RESULTS] = {
        [AUTH_MISSING] = "no token",
        [AUTH_WRONG] = "a wrong token",
        [AUTH_MALFORMED] = "an Authorization header that is not \"Bearer <token>\"",
    };
    static const char *const need[AUTH_DOORS] = {
        [AUTH_DOOR_INGEST] = "the ingest token (--ingest-token) as Authorization: Bearer",
        [AUTH_DOOR_VIEW] = "the view token (--view-token) as Authorization: Bearer, or the "
                           "sign-in cookie (/signin.html)",
        [AUTH_DOOR_METRICS] = "the metrics token (--metrics-token, else --view-token) as "
                              "Authorization: Bearer",
    };
    char message[256];
    snprintf(message, sizeof message, "%s: this path needs %s", why[r], need[door]);
    buf_append_cstr(&c->out, "{\"error\":");
    buf_json_string(&c->out, message, strlen(message));
    buf_printf(&c->out, ",\"door\":\"%s\",\"reason\":\"%s\"}", auth_door_label(door),
               auth_result_label(r));
    const char *const extra[] = {"www-authenticate:", http_auth_challenge(r), NULL};
    return http_respond(wsi, c, 401, "application/json", extra);
}

static int http_policy(struct lws *wsi, http_conn_t *c, app_t *app, slice_t path, int method,
                       int *rc)
{
    if (http_spaced_framing_header(wsi)) {
        app->metrics.http_refused[HTTP_REFUSED_BAD_HEADER]++;
        c->close_after = 1; /* its body, if any, cannot be told from a request */
        buf_reset(&c->out);
        query_write_error(&c->out,
                          "whitespace between a header name and its colon "
                          "(Transfer-Encoding, Content-Length or Host) is not allowed",
                          NULL);
        *rc = http_respond_json(wsi, c, 400);
        return 1;
    }
    char host[HOSTALLOW_NAME_MAX];
    int ok = http_host_allowed(wsi, app, host, sizeof host);
    if (ok > 0) {
        /* The Host names this server: now the token of the path's door. */
        auth_door_t door = auth_door_of(path.p, path.n);
        auth_result_t r = http_auth_check(wsi, app, door);
        if (r == AUTH_OK)
            return 0;
        *rc = http_refuse_auth(wsi, c, path, method, door, r);
        return 1;
    }
    app->metrics.http_refused[HTTP_REFUSED_HOST]++;
    buf_reset(&c->out);
    if (ok < 0) {
        query_write_error(&c->out, "a Host header is required", NULL);
        *rc = http_respond_json(wsi, c, 400);
        return 1;
    }
    /* A page whose domain was rebound to this address sends that domain. */
    buf_append_cstr(&c->out, "{\"error\":\"this server does not answer to that Host: use its "
                             "address, or name it with --allow-host\",\"host\":");
    buf_json_string(&c->out, host, strlen(host));
    buf_append_cstr(&c->out, "}");
    *rc = http_respond_json(wsi, c, 421);
    return 1;
}

/* Routes a request whose headers are complete: the policy, then the route
 * table, then the dashboard's files. */
static int http_route(struct lws *wsi, http_conn_t *c, app_t *app)
{
    char *uri;
    int uri_len;
    int method = lws_http_get_uri_and_method(wsi, &uri, &uri_len);
    slice_t path = slice_make(uri, uri_len > 0 ? (size_t)uri_len : 0);
    /* A request with a length or a chunked body, except an upload we read:
     * answered at once and the connection closed, so its body is neither
     * taken for the next request nor read while the answer is written. */
    c->close_after = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 ||
                     lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
    buf_reset(&c->out);

    int rc;
    if (http_policy(wsi, c, app, path, method, &rc))
        return rc;
    /* HEAD is GET without the body (uptime checkers use it). */
    c->head_only = method == LWSHUMETH_HEAD;
    if (c->head_only)
        method = LWSHUMETH_GET;
    const http_route_t *route = http_route_find(path);
    if (route) {
        if (method != route->method) {
            char message[96];
            snprintf(message, sizeof message, "use %s for %s", route->allow, route->path);
            return http_refuse(wsi, c, 405, HTTP_REFUSED_METHOD, message, route->allow);
        }
        size_t skip = route->prefix ? strlen(route->path) : path.n;
        return route->handle(wsi, c, app, slice_make(path.p + skip, path.n - skip),
                             clock_wall_ms());
    }
    if (method != LWSHUMETH_GET)
        return http_refuse(wsi, c, 405, HTTP_REFUSED_METHOD,
                           "only GET is allowed here (POST goes to /api/v1/points)", "GET");
    if (http_serve_static(wsi, c, app, path, &rc))
        return rc;
    app->metrics.http_refused[HTTP_REFUSED_NOT_FOUND]++;
    buf_append_cstr(&c->out, "{\"error\":\"no such path\",\"path\":");
    buf_json_string(&c->out, path.p, path.n);
    buf_append_cstr(&c->out, "}");
    return http_respond_json(wsi, c, 404);
}

void http_expire_deadlines(app_t *app, int64_t now_mono_ms)
{
    http_conn_t *c = app->receiving;
    while (c) {
        http_conn_t *next = c->next;
        if (now_mono_ms >= c->deadline_mono_ms) {
            /* Never free inside someone else's callback: let lws close it on
             * its next service pass, which calls us back with CLOSED_HTTP. */
            http_unlink_receiving(app, c);
            c->state = HTTP_IDLE;
            app->metrics.http_refused[HTTP_REFUSED_BODY_TIMEOUT]++;
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_HTTP_CONTENT, LWS_TO_KILL_ASYNC);
        }
        c = next;
    }
}

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
    http_conn_t *c = user;
    app_t *app;

    switch (reason) {
    case LWS_CALLBACK_HTTP:
        app = http_app(wsi);
        http_mark_request_head(wsi);
        http_finish(app, c);
        c->wsi = wsi;
        c->counted_in_flight = 1;
        app->requests_in_flight++;
        app->metrics.http_requests++;
        {
            int rc = http_lws_body_length(wsi) > 0 && http_head_was_buffered(wsi)
                         ? http_refuse_buffered_body(wsi, c, app)
                         : http_route(wsi, c, app);
            if (rc || !c->close_after || c->state != HTTP_RESPONDING)
                return rc;
            /* Returning nonzero here is the one way to keep lws from going
             * on to read (or misread) the body; it sends what it holds of
             * the answer before it closes. */
            (void)http_answer_now(wsi, c);
            http_finish(app, c);
            return -1;
        }

    case LWS_CALLBACK_HTTP_BODY:
        if (c->state == HTTP_RECEIVING) {
            size_t room = (size_t)c->content_length - c->body.len;
            buf_append(&c->body, in, len < room ? len : room);
        }
        return 0;

    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        app = http_app(wsi);
        if (c->state == HTTP_FLUSHING) {
            /* lws calls this again for every byte it reads after the body
             * while it still holds part of the answer: the client sends
             * more before reading. Close once lws has sent the answer,
             * rather than spin on those bytes. */
            app->metrics.http_refused[HTTP_REFUSED_PIPELINED]++;
            return -1;
        }
        if (c->state != HTTP_RECEIVING)
            return 0;
        {
            buf_t body = c->body;
            buf_init(&c->body);
            buf_reset(&c->out);
            const char *type = "application/json";
            int status = c->upload == HTTP_UPLOAD_POINTS
                             ? ingest_handle(app->store, &app->metrics, body.p, body.len,
                                             clock_wall_ms(), &c->out)
                             : http_otlp_body(app, c, &body, &type);
            buf_dispose(&body);
            /* Answered before returning: lws stays in its body state until
             * the transaction completes, and would meanwhile call us here
             * again for any byte that follows the body. */
            if (http_respond(wsi, c, (unsigned)status, type, NULL))
                return -1;
            return http_answer_now(wsi, c);
        }

    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        /* No WebSocket endpoint yet: an upgrade would otherwise be bound to
         * this protocol (lws' default for clients naming none) and succeed. */
        return 1;

    case LWS_CALLBACK_HTTP_WRITEABLE:
        return http_write_more(wsi, c);

    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (c)
            http_finish(http_app(wsi), c);
        return 0;

    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        /* A new TCP connection, before lws reads a byte of it. */
        app = http_app(wsi);
        if ((uint64_t)app->metrics.http_connections >= app->cfg.max_connections) {
            app->metrics.http_connections_refused++;
            return 1; /* lws closes it */
        }
        return 0;

    case LWS_CALLBACK_WSI_CREATE: /* once per accepted connection */
        http_app(wsi)->metrics.http_connections++;
        return 0;

    case LWS_CALLBACK_WSI_DESTROY:
        http_link_release(wsi);
        return 0;

    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}
