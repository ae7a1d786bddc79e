/* poster.h - one keep-alive HTTP/1.1 connection that POSTs batches.
 *
 * Two kinds: POSTER_POINTS posts JSON to /api/v1/points and needs the
 * answer's "accepted" and "rejected"; POSTER_OTLP posts protobuf to
 * /v1/traces (OTLP/HTTP) and reads the answer's partial_success
 * rejected_spans, if any (otlp.h). An OTLP answer other than 200 leaves the
 * connection open unless the server closes it (OTLP clients retry on 429
 * and 503; a load test should not add a reconnect to each).
 *
 * One request at a time (no pipelining): the caller fills poster_body(),
 * calls poster_send(), and gets a post_result_t through its callback when
 * the answer is complete or the request failed. A closed connection is
 * reopened by the next send. Opaque handle; poster_new/poster_free.
 * The callback runs from the event loop or from poster_tick(), never from
 * poster_send(), so the caller's bookkeeping around a send is finished
 * before any result arrives.
 */
#ifndef SPIDER_LOAD_POSTER_H
#define SPIDER_LOAD_POSTER_H

#include <stdint.h>

#include "core/buf.h"
#include "loop.h"
#include "net.h"

enum post_fail {
    POST_OK = 0,
    POST_CONNECT,    /* connect refused or failed */
    POST_RESET,      /* ECONNRESET/EPIPE while sending or waiting */
    POST_EOF,        /* the server closed before a complete answer */
    POST_TIMEOUT,    /* no complete answer within the timeout */
    POST_STATUS,     /* an answer other than 200 */
    POST_BAD_ANSWER, /* malformed head, no length, chunked, or no "accepted" */
    POST_FAIL_KINDS
};

/* Stable names of the kinds, for the report ("ok", "connect", ...). */
const char *poster_fail_name(int kind);

typedef enum poster_kind { POSTER_POINTS, POSTER_OTLP } poster_kind_t;

typedef struct post_result {
    int fail; /* enum post_fail */
    int status;
    int64_t accepted, rejected; /* OTLP: accepted -1 (not in the answer) */
    int64_t latency_us;         /* from poster_send() to the end of the answer */
} post_result_t;

typedef void (*poster_done_t)(void *ud, const post_result_t *r);

typedef struct poster poster_t;

poster_t *poster_new(loop_t *l, const net_addr_t *addr, poster_kind_t kind, int64_t timeout_us,
                     poster_done_t done, void *ud);
/* Closes the connection without a callback for a request under way. */
void poster_free(poster_t *p);
/* True while a request is under way. */
int poster_busy(const poster_t *p);
/* The body buffer of the next request, emptied; fill it, then send. */
buf_t *poster_body(poster_t *p);
/* Sends the body (connecting first if needed). SPIDER_EINVAL when busy. */
int poster_send(poster_t *p, int64_t now_us);
/* Delivers deferred failures and times out a request past its deadline. */
void poster_tick(poster_t *p, int64_t now_us);
/* Connections opened so far (1 + reconnects). */
uint64_t poster_connects(const poster_t *p);

#endif
