/* h1req.h - an incremental HTTP/1.1 request reader for the OTLP port.
 *
 * The main port is served by libwebsockets, whose HTTP/1 parser (4.1.6)
 * cannot read a chunked request body; the OpenTelemetry JS exporters send
 * every body chunked. The OTLP port (--otlp-listen) therefore reads its
 * requests with this module: request line, headers, and a body given by
 * Content-Length or Transfer-Encoding: chunked (decoded here), one request
 * after another on a keep-alive connection (pipelined bytes stay in the
 * caller's buffer for the next request).
 *
 * Pure module (libc + core/buf): bytes in by (pointer, length), never
 * needs a NUL, never writes into its input; the only memory it grows is
 * the caller's body buffer, and never past max_body. Every malformed or
 * over-limit input ends in H1REQ_ERROR with the status to answer and a
 * static English message; the caller answers and closes. Fuzzed.
 *
 * Accepted: `METHOD SP TARGET SP HTTP/1.1` or `HTTP/1.0` (CRLF, or a bare
 * LF, as RFC 9112 allows a server to accept), header lines `Name: value`
 * (no obs-fold, no space before the colon, no NUL or other control bytes
 * but HTAB), at most H1REQ_MAX_HEADERS of them within max_head bytes.
 * Content-Length and chunked together, two different Content-Lengths, a
 * Transfer-Encoding other than `chunked` (alone, case-insensitive), chunk
 * extensions longer than 256 bytes or a chunk size over 16 hex digits are
 * errors. Trailers after the last chunk are read and ignored.
 *
 * In detail (h1req.c, tests/unit/test_h1req.c):
 *   - up to 4 empty lines before the request line are skipped (RFC 9112
 *     2.2) and not counted in the head; a 5th is 400;
 *   - method: 1-15 token characters; target: origin-form (a '/' and
 *     visible ASCII after it) or `*`, 1023 bytes at most (414); one space
 *     between the parts; `HTTP/D.D` other than 1.0 and 1.1 is 505;
 *   - the head (request line, header lines, the empty line) is at most
 *     max_head bytes (431), and the trailers count on in the same total;
 *     a target that passes 1023 bytes before the head passes max_head is
 *     414, else 431; more than H1REQ_MAX_HEADERS header lines is 431;
 *   - values are trimmed of spaces and tabs; Host, Content-Type,
 *     Content-Encoding and Authorization longer than H1REQ_FIELD_MAX - 1
 *     bytes are 431, and each may appear once (400); an HTTP/1.1 request without Host is 400
 *     (RFC 9112 3.2);
 *   - Content-Length: digits, within uint64_t, repeated only with the same
 *     value; over max_body it is 413 at the end of the head, before any
 *     body byte; Transfer-Encoding in an HTTP/1.0 request is 400 (RFC 9112
 *     6.1); with neither, the request is done at the end of the head;
 *   - Connection: the tokens `close` and `keep-alive` in a comma list, any
 *     case; `close` wins; `Expect: 100-continue` (ignored in HTTP/1.0,
 *     RFC 9110 10.1.1); other expectations are ignored;
 *   - a chunk size is 413 as soon as its digits pass what body may still
 *     take (max_body - body->len), so body never grows past max_body;
 *     whitespace after the size is allowed only before a ';'.
 */
#ifndef SPIDER_CORE_H1REQ_H
#define SPIDER_CORE_H1REQ_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define H1REQ_MAX_HEADERS 64
#define H1REQ_TARGET_MAX  1024 /* request target bytes kept (longer: 414) */
#define H1REQ_FIELD_MAX   256  /* bytes kept of each header value below (longer: 431) */

typedef enum h1req_state {
    H1REQ_HEAD,  /* reading the request line and headers */
    H1REQ_BODY,  /* head complete (fields valid), reading the body */
    H1REQ_DONE,  /* a whole request: head fields and body are complete */
    H1REQ_ERROR, /* malformed or over a limit: answer `status` and close */
} h1req_state_t;

typedef struct h1req {
    /* limits, from h1req_init */
    size_t max_head, max_body;
    h1req_state_t state;
    /* the head, valid from H1REQ_BODY on (NUL-terminated copies) */
    char method[16];
    char target[H1REQ_TARGET_MAX];
    char host[H1REQ_FIELD_MAX];
    char content_type[H1REQ_FIELD_MAX];     /* "" when absent */
    char content_encoding[H1REQ_FIELD_MAX]; /* "" when absent */
    char authorization[H1REQ_FIELD_MAX];    /* "" when absent (the access token) */
    int http10;                             /* HTTP/1.0: no keep-alive unless asked */
    int keep_alive;      /* 1 unless "Connection: close" (or 1.0 without keep-alive) */
    int expect_continue; /* "Expect: 100-continue" */
    int chunked;         /* Transfer-Encoding: chunked */
    int has_length;      /* Content-Length given */
    uint64_t content_length;
    /* on H1REQ_ERROR */
    int status;          /* 400, 413, 414, 431, 501 (unknown Transfer-Encoding), 505 */
    const char *message; /* static English text naming what is wrong */
    /* private: parser position (the uses of each field are in h1req.c) */
    size_t head_bytes, headers;
    uint64_t chunk_left;
    int chunk_phase;
    size_t ext_bytes;
} h1req_t;

/* Prepares r for a new request (also between requests of a connection). */
void h1req_init(h1req_t *r, size_t max_head, size_t max_body);

/* Reads from (p, n): advances the state, appends decoded body bytes to
 * body (the caller resets it per request), and returns how many bytes of
 * p it used. It stops right after a request ends (H1REQ_DONE: the rest of
 * p is the next request's) and at H1REQ_ERROR (the bytes used then include
 * the one at which the error was found); otherwise it uses all n. In
 * H1REQ_DONE or H1REQ_ERROR it uses nothing until h1req_init. Any split of
 * the bytes into calls gives the same result as one call. body must not
 * be NULL (n may be 0). The head fields are set when the state moves past
 * H1REQ_HEAD, so the caller can refuse early (415, 413 on Content-Length,
 * 100 Continue). O(n); no allocation but body's. */
size_t h1req_feed(h1req_t *r, const char *p, size_t n, buf_t *body);

#endif
