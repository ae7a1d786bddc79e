/* test_h1req.c - the OTLP port's incremental HTTP/1.1 request reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/h1req.h"

#define MAX_HEAD 8192
#define MAX_BODY (1u << 20)

#define CHUNKED_HEAD "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

static h1req_t r;
static buf_t body;
static size_t used;

/* One request from (s, n) in one call, with the given limits. */
static h1req_state_t feed_n(const char *s, size_t n, size_t max_head, size_t max_body)
{
    h1req_init(&r, max_head, max_body);
    buf_reset(&body);
    used = h1req_feed(&r, s, n, &body);
    return r.state;
}

static h1req_state_t feed(const char *s)
{
    return feed_n(s, strlen(s), MAX_HEAD, MAX_BODY);
}

/* s is refused with status, and the message says so. */
static void assert_refused(const char *s, int status, const char *message)
{
    h1req_state_t st = feed(s);
    if (st != H1REQ_ERROR)
        fail_msg("accepted (state %d): \"%s\"", (int)st, s);
    assert_int_equal(r.status, status);
    assert_non_null(r.message);
    if (message)
        assert_string_equal(r.message, message);
}

static void assert_body(const char *want)
{
    assert_int_equal(body.len, strlen(want));
    assert_memory_equal(body.p, want, body.len);
}

/* A request line and Host around one header block, then the empty line. */
static h1req_state_t feed_headers(const char *headers)
{
    static char req[16384];
    snprintf(req, sizeof req, "POST /v1/traces HTTP/1.1\r\nHost: h\r\n%s\r\n", headers);
    return feed(req);
}

static void test_get(void **state)
{
    (void)state;
    const char *s = "GET /v1/traces?x=1 HTTP/1.1\r\nHost: localhost:4318\r\n"
                    "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
    assert_int_equal(feed(s), H1REQ_DONE);
    assert_int_equal(used, strlen(s));
    assert_string_equal(r.method, "GET");
    assert_string_equal(r.target, "/v1/traces?x=1");
    assert_string_equal(r.host, "localhost:4318");
    assert_string_equal(r.content_type, "");
    assert_string_equal(r.content_encoding, "");
    assert_int_equal(r.http10, 0);
    assert_int_equal(r.keep_alive, 1);
    assert_int_equal(r.chunked, 0);
    assert_int_equal(r.has_length, 0);
    assert_int_equal(r.expect_continue, 0);
    assert_int_equal(r.status, 0);
    assert_null(r.message);
    assert_int_equal(body.len, 0);
    /* bare LF line ends, as RFC 9112 2.2 lets a server accept */
    assert_int_equal(feed("GET / HTTP/1.1\nhost: a\n\n"), H1REQ_DONE);
    assert_string_equal(r.host, "a");
    /* OPTIONS * */
    assert_int_equal(feed("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), H1REQ_DONE);
    assert_string_equal(r.method, "OPTIONS");
    assert_string_equal(r.target, "*");
}

static void test_post_content_length(void **state)
{
    (void)state;
    const char *s = "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:4318\r\n"
                    "Content-Type: application/x-protobuf\r\nContent-Encoding: gzip\r\n"
                    "Content-Length: 11\r\n\r\nhello world";
    assert_int_equal(feed(s), H1REQ_DONE);
    assert_int_equal(used, strlen(s));
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.content_type, "application/x-protobuf");
    assert_string_equal(r.content_encoding, "gzip");
    assert_int_equal(r.has_length, 1);
    assert_true(r.content_length == 11);
    assert_body("hello world");
    /* the head alone: the fields are there, the body is awaited */
    assert_int_equal(feed_n(s, strlen(s) - 11, MAX_HEAD, MAX_BODY), H1REQ_BODY);
    assert_string_equal(r.content_type, "application/x-protobuf");
    assert_true(r.content_length == 11);
    assert_int_equal(body.len, 0);
    /* header names in any case */
    assert_int_equal(
        feed("POST / HTTP/1.1\r\nHOST: a\r\ncOnTeNt-LeNgTh: 2\r\nCONTENT-TYPE: t\r\n\r\nok"),
        H1REQ_DONE);
    assert_string_equal(r.host, "a");
    assert_string_equal(r.content_type, "t");
    assert_body("ok");
}

static void test_no_body_is_done_after_the_head(void **state)
{
    (void)state;
    const char *s = "POST /v1/traces HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\n";
    assert_int_equal(feed(s), H1REQ_DONE);
    assert_int_equal(used, strlen(s) - strlen("GET / HTTP/1.1\r\n"));
    assert_int_equal(body.len, 0);
    assert_int_equal(feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\nX"), H1REQ_DONE);
    assert_int_equal(r.has_length, 1);
    assert_int_equal(used, strlen("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"));
}

static void test_chunked(void **state)
{
    (void)state;
    /* as the OpenTelemetry JS exporters send it (Node's http) */
    const char *s = "POST /v1/traces HTTP/1.1\r\nHost: localhost:4318\r\n"
                    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n"
                    "1;name=value;x=\"quoted\"\r\n \r\n"
                    "A\r\nworld 0123\r\n"
                    "c ;  e\r\n456789abcdef\r\n"
                    "0\r\nX-Checksum: abc\r\nX-Other:  1 \r\n\r\n";
    assert_int_equal(feed(s), H1REQ_DONE);
    assert_int_equal(used, strlen(s));
    assert_int_equal(r.chunked, 1);
    assert_int_equal(r.has_length, 0);
    assert_body("hello world 0123456789abcdef");
    /* upper-case hex, leading zeros, bare LFs, no trailers */
    assert_int_equal(feed("POST / HTTP/1.1\nHost: a\nTransfer-Encoding:  Chunked \t\n\n"
                          "00000000000000A\nabcdefghij\nB\r\nklmnopqrstu\r\n0\n\nrest"),
                     H1REQ_DONE);
    assert_body("abcdefghijklmnopqrstu");
    assert_int_equal(used, strlen("POST / HTTP/1.1\nHost: a\nTransfer-Encoding:  Chunked \t\n\n"
                                  "00000000000000A\nabcdefghij\nB\r\nklmnopqrstu\r\n0\n\n"));
    /* bare LFs after an extension and after trailer lines */
    assert_int_equal(feed(CHUNKED_HEAD "3;ext=1\nabc\n0;last\nT: 1\nU: 2\n\n"), H1REQ_DONE);
    assert_body("abc");
    /* an empty chunked body */
    assert_int_equal(
        feed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        H1REQ_DONE);
    assert_int_equal(body.len, 0);
    /* the state while the body is awaited */
    assert_int_equal(
        feed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"),
        H1REQ_BODY);
    assert_body("ab");
}

static void test_pipelined(void **state)
{
    (void)state;
    const char first[] = "POST /v1/traces HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
    const char second[] = "POST /v1/metrics HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                          "\r\n2\r\nde\r\n0\r\n\r\n";
    const char third[] = "GET /end HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    char all[sizeof first + sizeof second + sizeof third];
    snprintf(all, sizeof all, "%s%s%s", first, second, third);
    size_t n = strlen(all), off = 0;

    h1req_init(&r, MAX_HEAD, MAX_BODY);
    buf_reset(&body);
    off += h1req_feed(&r, all, n, &body);
    assert_int_equal(r.state, H1REQ_DONE);
    assert_int_equal(off, strlen(first));
    assert_string_equal(r.target, "/v1/traces");
    assert_body("abc");
    /* a finished request takes no more bytes until it is re-initialised */
    assert_int_equal(h1req_feed(&r, all + off, n - off, &body), 0);

    h1req_init(&r, MAX_HEAD, MAX_BODY);
    buf_reset(&body);
    off += h1req_feed(&r, all + off, n - off, &body);
    assert_int_equal(r.state, H1REQ_DONE);
    assert_int_equal(off, strlen(first) + strlen(second));
    assert_string_equal(r.target, "/v1/metrics");
    assert_body("de");
    assert_int_equal(r.keep_alive, 1);

    h1req_init(&r, MAX_HEAD, MAX_BODY);
    buf_reset(&body);
    off += h1req_feed(&r, all + off, n - off, &body);
    assert_int_equal(r.state, H1REQ_DONE);
    assert_int_equal(off, n);
    assert_string_equal(r.target, "/end");
    assert_int_equal(r.keep_alive, 0);
}

static void test_keep_alive(void **state)
{
    (void)state;
    static const struct {
        const char *version, *connection;
        int keep_alive;
    } cases[] = {
        {"HTTP/1.1", NULL, 1},
        {"HTTP/1.1", "close", 0},
        {"HTTP/1.1", "Close", 0},
        {"HTTP/1.1", "keep-alive", 1},
        {"HTTP/1.1", "Upgrade, CLOSE", 0},
        {"HTTP/1.1", " te ,close\t", 0},
        {"HTTP/1.1", "closed", 1},
        {"HTTP/1.1", "xclose", 1},
        {"HTTP/1.1", "clos", 1},
        {"HTTP/1.1", "", 1},
        {"HTTP/1.0", NULL, 0},
        {"HTTP/1.0", "keep-alive", 1},
        {"HTTP/1.0", "Keep-Alive", 1},
        {"HTTP/1.0", "foo,,keep-alive", 1},
        {"HTTP/1.0", "keep-alive, close", 0},
        {"HTTP/1.0", "close, keep-alive", 0},
        {"HTTP/1.0", "keep-alives", 0},
        {"HTTP/1.0", "keep alive", 0},
    };
    char req[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].connection)
            snprintf(req, sizeof req, "GET / %s\r\nHost: a\r\nConnection: %s\r\n\r\n",
                     cases[i].version, cases[i].connection);
        else
            snprintf(req, sizeof req, "GET / %s\r\nHost: a\r\n\r\n", cases[i].version);
        assert_int_equal(feed(req), H1REQ_DONE);
        if (r.keep_alive != cases[i].keep_alive)
            fail_msg("keep_alive %d, want %d: %s", r.keep_alive, cases[i].keep_alive, req);
        assert_int_equal(r.http10, strcmp(cases[i].version, "HTTP/1.0") == 0);
    }
    /* two Connection lines add up */
    assert_int_equal(feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n"),
                     H1REQ_DONE);
    assert_int_equal(r.keep_alive, 0);
}

static void test_expect_continue(void **state)
{
    (void)state;
    assert_int_equal(feed_headers("Expect: 100-continue\r\nContent-Length: 2\r\n"), H1REQ_BODY);
    assert_int_equal(r.expect_continue, 1);
    assert_int_equal(feed_headers("expect:\t100-Continue \r\n"), H1REQ_DONE);
    assert_int_equal(r.expect_continue, 1);
    assert_int_equal(feed_headers("Expect: 100-continue-x\r\n"), H1REQ_DONE);
    assert_int_equal(r.expect_continue, 0);
    assert_int_equal(feed_headers("Expect: 100-continue x\r\n"), H1REQ_DONE);
    assert_int_equal(r.expect_continue, 0);
    assert_int_equal(feed_headers("Expect: 100\r\n"), H1REQ_DONE);
    assert_int_equal(r.expect_continue, 0);
    assert_int_equal(feed_headers("X-Expect: 100-continue\r\n"), H1REQ_DONE);
    assert_int_equal(r.expect_continue, 0);
    /* RFC 9110 10.1.1: ignored in an HTTP/1.0 request */
    assert_int_equal(feed("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n"), H1REQ_DONE);
    assert_int_equal(r.expect_continue, 0);
}

static void test_values_trimmed_and_bounded(void **state)
{
    (void)state;
    assert_int_equal(feed("GET / HTTP/1.1\r\nHost: \t a b \t \r\nContent-Type:\r\n"
                          "Content-Encoding:gzip\r\n\r\n"),
                     H1REQ_DONE);
    assert_string_equal(r.host, "a b");
    assert_string_equal(r.content_type, "");
    assert_string_equal(r.content_encoding, "gzip");

    char v[H1REQ_FIELD_MAX + 16], line[2 * H1REQ_FIELD_MAX];
    memset(v, 'x', sizeof v - 1);
    v[H1REQ_FIELD_MAX - 1] = '\0'; /* 255 bytes: the most that is kept */
    snprintf(line, sizeof line, "Content-Type: %s\r\n", v);
    assert_int_equal(feed_headers(line), H1REQ_DONE);
    assert_string_equal(r.content_type, v);
    /* trailing whitespace past the room is trimmed, not counted */
    snprintf(line, sizeof line, "Content-Type:   %s  \t     \t        \r\n", v);
    assert_int_equal(feed_headers(line), H1REQ_DONE);
    assert_string_equal(r.content_type, v);
    v[H1REQ_FIELD_MAX - 1] = 'x'; /* 256 bytes */
    v[H1REQ_FIELD_MAX] = '\0';
    snprintf(line, sizeof line, "Content-Type: %s\r\n", v);
    assert_int_equal(feed_headers(line), H1REQ_ERROR);
    assert_int_equal(r.status, 431);
    assert_string_equal(r.message, "Content-Type longer than 255 bytes");
    snprintf(line, sizeof line, "Content-Encoding: %s\r\n", v);
    assert_int_equal(feed_headers(line), H1REQ_ERROR);
    assert_int_equal(r.status, 431);
    snprintf(line, sizeof line, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", v);
    assert_refused(line, 431, "Host longer than 255 bytes");
    snprintf(line, sizeof line, "Authorization: %s\r\n", v);
    assert_int_equal(feed_headers(line), H1REQ_ERROR);
    assert_int_equal(r.status, 431);
    assert_string_equal(r.message, "Authorization longer than 255 bytes");
    /* inner whitespace counts: 254 bytes, 10 spaces, one more byte */
    memset(v, 'y', H1REQ_FIELD_MAX - 2);
    memset(v + H1REQ_FIELD_MAX - 2, ' ', 10);
    v[H1REQ_FIELD_MAX + 8] = '\0';
    snprintf(line, sizeof line, "Content-Type: %sz\r\n", v);
    assert_int_equal(feed_headers(line), H1REQ_ERROR);
    assert_int_equal(r.status, 431);
    /* other headers are bounded by the head only */
    char big[4000];
    memset(big, 'u', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    static char req[8000];
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: %s\r\n\r\n", big);
    assert_int_equal(feed(req), H1REQ_DONE);
}

static void test_request_line_errors(void **state)
{
    (void)state;
    assert_int_equal(feed("M23456789012345 / HTTP/1.1\r\nHost: a\r\n\r\n"), H1REQ_DONE);
    assert_string_equal(r.method, "M23456789012345");
    assert_refused("M234567890123456 / HTTP/1.1\r\n", 400, "method longer than 15 bytes");
    assert_refused(" GET / HTTP/1.1\r\n", 400, "request line without a method");
    assert_refused("G(T / HTTP/1.1\r\n", 400, "method has a byte that is not a token character");
    assert_refused("GET  / HTTP/1.1\r\n", 400, "more than one space after the method");
    assert_refused("GET /  HTTP/1.1\r\n", 400, "more than one space after the request target");
    assert_refused("GET http://a/ HTTP/1.1\r\n", 400, "request target is neither a path nor *");
    assert_refused("GET a HTTP/1.1\r\n", 400, "request target is neither a path nor *");
    assert_refused("GET *x HTTP/1.1\r\n", 400, "request target is neither a path nor *");
    assert_refused("GET /a\tb HTTP/1.1\r\n", 400,
                   "request target has a byte that is not visible ASCII");
    assert_refused("GET /\xc3\xa9 HTTP/1.1\r\n", 400,
                   "request target has a byte that is not visible ASCII");
    assert_refused("GET /\r\n", 400, "request target has a byte that is not visible ASCII");
    assert_refused("GET / HTTP/1.2\r\n", 505, "HTTP version not supported");
    assert_refused("GET / HTTP/2.0\r\n", 505, NULL);
    assert_refused("GET / HTTP/0.9\r\n", 505, NULL);
    assert_refused("GET / HTTP/1.1 \r\n", 400, "malformed HTTP version");
    assert_refused("GET / HTTP/1.10\r\n", 400, "malformed HTTP version");
    assert_refused("GET / HTTP/11\r\n", 400, "malformed HTTP version");
    assert_refused("GET / HTTP/1\r\n", 400, "malformed HTTP version");
    assert_refused("GET / HTTP/a.1\r\n", 400, "malformed HTTP version");
    assert_refused("GET / http/1.1\r\n", 400, "request line does not end in an HTTP version");
    assert_refused("GET / HTTPS/1.1\r\n", 400, "request line does not end in an HTTP version");
    assert_refused("GET /\n", 400, NULL);
    assert_refused("GET / HTTP/1.1\rX", 400, "CR not followed by LF");
    /* the target: 1023 bytes are kept, 1024 are 414 */
    static char req[2 * H1REQ_TARGET_MAX];
    char target[H1REQ_TARGET_MAX + 1];
    memset(target, 'a', sizeof target);
    target[0] = '/';
    target[H1REQ_TARGET_MAX - 1] = '\0';
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", target);
    assert_int_equal(feed(req), H1REQ_DONE);
    assert_string_equal(r.target, target);
    target[H1REQ_TARGET_MAX - 1] = 'a';
    target[H1REQ_TARGET_MAX] = '\0';
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", target);
    assert_refused(req, 414, "request target longer than 1023 bytes");
    /* a head limit below the target's: 431 */
    assert_int_equal(feed_n(req, strlen(req), 100, MAX_BODY), H1REQ_ERROR);
    assert_int_equal(r.status, 431);
    assert_string_equal(r.message, "request line longer than the head limit");
}

static void test_empty_lines_before_the_request(void **state)
{
    (void)state;
    assert_int_equal(feed("\r\n\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), H1REQ_DONE);
    assert_string_equal(r.method, "GET");
    assert_refused("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400,
                   "more than 4 empty lines before the request line");
    assert_refused("\r\rGET / HTTP/1.1\r\n", 400, "CR not followed by LF");
    /* they are not part of the head */
    const char *s = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_int_equal(feed_n(s, strlen(s), strlen(s) - 4, MAX_BODY), H1REQ_DONE);
}

static void test_header_errors(void **state)
{
    (void)state;
    assert_refused("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400,
                   "header line starts with whitespace (obs-fold)");
    assert_refused("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400,
                   "whitespace before the colon of a header");
    assert_refused("GET / HTTP/1.1\r\nHost a\r\n\r\n", 400,
                   "whitespace before the colon of a header");
    assert_refused("GET / HTTP/1.1\r\nHost\r\n\r\n", 400, "header line without a colon");
    assert_refused("GET / HTTP/1.1\r\n: a\r\n\r\n", 400, "empty header name");
    assert_refused("GET / HTTP/1.1\r\nH(st: a\r\n\r\n", 400,
                   "header name has a byte that is not a token character");
    assert_refused("GET / HTTP/1.1\r\nHost: a\x01z\r\n\r\n", 400,
                   "header value has a control byte");
    assert_refused("GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", 400, "header value has a control byte");
    static const char nul[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
    assert_int_equal(feed_n(nul, sizeof nul - 1, MAX_HEAD, MAX_BODY), H1REQ_ERROR);
    assert_int_equal(r.status, 400);
    assert_refused("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400, "CR not followed by LF");
    assert_refused("GET / HTTP/1.1\r\nHost: a\r\n\rX", 400, "CR not followed by LF");
    /* obs-text in a value is accepted */
    assert_int_equal(feed("GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n"), H1REQ_DONE);
}

static void test_host_rules(void **state)
{
    (void)state;
    assert_refused("GET / HTTP/1.1\r\n\r\n", 400, "HTTP/1.1 request without Host");
    assert_refused("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400, "more than one Host");
    assert_refused("GET / HTTP/1.1\r\nHost:\r\nHost: b\r\n\r\n", 400, "more than one Host");
    assert_refused("GET / HTTP/1.1\r\nContent-Type: a\r\nContent-Type: a\r\n\r\n", 400,
                   "more than one Content-Type");
    assert_refused("GET / HTTP/1.1\r\nContent-Encoding: a\r\nContent-Encoding: a\r\n\r\n", 400,
                   "more than one Content-Encoding");
    assert_refused("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer x\r\n"
                   "authorization: Bearer y\r\n\r\n",
                   400, "more than one Authorization");
    /* the access token's header is kept, trimmed (tokens.test.mjs uses it) */
    assert_int_equal(feed("GET / HTTP/1.1\r\nHost: a\r\nAUTHORIZATION:  Bearer abc \t\r\n\r\n"),
                     H1REQ_DONE);
    assert_string_equal(r.authorization, "Bearer abc");
    assert_int_equal(feed("GET / HTTP/1.1\r\nHost: a\r\nAuthorizations: x\r\n\r\n"), H1REQ_DONE);
    assert_string_equal(r.authorization, "");
    assert_int_equal(feed("GET / HTTP/1.1\r\nHost:\r\n\r\n"), H1REQ_DONE); /* empty: allowed */
    assert_string_equal(r.host, "");
    assert_int_equal(feed("GET / HTTP/1.0\r\n\r\n"), H1REQ_DONE);
    /* names that begin like ours are not ours */
    assert_int_equal(feed("GET / HTTP/1.1\r\nHost: a\r\nHosts: b\r\nContent-Lengthy: x\r\n"
                          "Content: y\r\nTransfer-Encodings: gzip\r\n\r\n"),
                     H1REQ_DONE);
    assert_string_equal(r.host, "a");
    assert_int_equal(r.has_length, 0);
}

static void test_header_count_and_head_limit(void **state)
{
    (void)state;
    static char req[MAX_HEAD];
    size_t n = (size_t)snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 1; i < H1REQ_MAX_HEADERS; i++)
        n += (size_t)snprintf(req + n, sizeof req - n, "X-%d: v\r\n", i);
    snprintf(req + n, sizeof req - n, "\r\n");
    assert_int_equal(feed(req), H1REQ_DONE); /* 64 lines */
    snprintf(req + n, sizeof req - n, "X-last: v\r\n\r\n");
    assert_refused(req, 431, "more than 64 header lines");

    /* max_head bytes exactly is fine; one less is 431 */
    const char *s = "GET / HTTP/1.1\r\nHost: a\r\nX-A: 12345\r\n\r\n";
    assert_int_equal(feed_n(s, strlen(s), strlen(s), MAX_BODY), H1REQ_DONE);
    assert_int_equal(feed_n(s, strlen(s), strlen(s) - 1, MAX_BODY), H1REQ_ERROR);
    assert_int_equal(r.status, 431);
    assert_string_equal(r.message, "request head longer than the head limit");
    assert_int_equal(used, strlen(s)); /* the byte that passed the limit */
}

static void test_content_length_rules(void **state)
{
    (void)state;
    assert_int_equal(feed_headers("Content-Length: \t 0012 \t\r\n"), H1REQ_BODY);
    assert_true(r.content_length == 12);
    assert_int_equal(feed_headers("Content-Length: 5\r\nContent-Length: 5\r\n"), H1REQ_BODY);
    assert_true(r.content_length == 5);
    assert_int_equal(feed_headers("Content-Length: 5\r\nContent-Length: 6\r\n"), H1REQ_ERROR);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.message, "two different Content-Length values");
    static const char *const bad[] = {"12a", "-1", "+1", "1 2", "1,1", "0x10", "1.0", "\xd9\xa1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char h[64];
        snprintf(h, sizeof h, "Content-Length: %s\r\n", bad[i]);
        if (feed_headers(h) != H1REQ_ERROR || r.status != 400)
            fail_msg("accepted: %s", h);
        assert_string_equal(r.message, "Content-Length is not a decimal number");
    }
    assert_int_equal(feed_headers("Content-Length:\r\n"), H1REQ_ERROR);
    assert_string_equal(r.message, "Content-Length is empty");
    assert_int_equal(feed_headers("Content-Length:   \r\n"), H1REQ_ERROR);
    assert_string_equal(r.message, "Content-Length is empty");
    /* UINT64_MAX fits (then over the body limit); one more does not */
    assert_int_equal(feed_headers("Content-Length: 18446744073709551615\r\n"), H1REQ_ERROR);
    assert_int_equal(r.status, 413);
    assert_true(r.content_length == UINT64_MAX);
    assert_int_equal(feed_headers("Content-Length: 18446744073709551616\r\n"), H1REQ_ERROR);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.message, "Content-Length does not fit in 64 bits");
    assert_int_equal(feed_headers("Content-Length: 99999999999999999999\r\n"), H1REQ_ERROR);
    assert_int_equal(r.status, 400);
}

static void test_transfer_encoding_rules(void **state)
{
    (void)state;
    static const char *const bad[] = {"gzip, chunked", "chunked, gzip", "identity", "chunk",
                                      "chunkedx",      "chunked x",     "",         "chunked;q=1",
                                      "chun ked"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char h[64];
        snprintf(h, sizeof h, "Transfer-Encoding: %s\r\n", bad[i]);
        if (feed_headers(h) != H1REQ_ERROR || r.status != 501)
            fail_msg("not 501: %s", h);
        assert_string_equal(r.message, "Transfer-Encoding other than chunked");
    }
    assert_int_equal(feed_headers("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
                     H1REQ_ERROR);
    assert_int_equal(r.status, 501);
    assert_int_equal(feed_headers("Transfer-Encoding: CHUNKED\r\n"), H1REQ_BODY);
    assert_int_equal(r.chunked, 1);
    assert_int_equal(feed_headers("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"),
                     H1REQ_ERROR);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.message, "Content-Length and Transfer-Encoding together");
    assert_int_equal(feed_headers("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n"),
                     H1REQ_ERROR);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.message, "Content-Length and Transfer-Encoding together");
    assert_refused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
                   "Transfer-Encoding in an HTTP/1.0 request");
}

static void test_chunk_errors(void **state)
{
    (void)state;
    assert_refused(CHUNKED_HEAD "x\r\n", 400, "chunk size is not hex");
    assert_refused(CHUNKED_HEAD "\r\n", 400, "chunk size is not hex");
    assert_refused(CHUNKED_HEAD ";a\r\n", 400, "chunk size is not hex");
    assert_refused(CHUNKED_HEAD "-5\r\n", 400, "chunk size is not hex");
    assert_refused(CHUNKED_HEAD "+5\r\n", 400, "chunk size is not hex");
    assert_refused(CHUNKED_HEAD " 5\r\n", 400, "chunk size is not hex");
    assert_refused(CHUNKED_HEAD "0x5\r\n", 400, "chunk size is not hex");
    assert_refused(CHUNKED_HEAD "5g\r\n", 400, "chunk size is not hex");
    assert_refused(CHUNKED_HEAD "00000000000000001\r\n", 400,
                   "chunk size longer than 16 hex digits");
    assert_int_equal(feed(CHUNKED_HEAD "0000000000000001\r\nA\r\n0\r\n\r\n"), H1REQ_DONE);
    assert_body("A");
    assert_refused(CHUNKED_HEAD "1\r\nAB\r\n", 400, "chunk data not followed by CRLF");
    assert_refused(CHUNKED_HEAD "1\r\nA\rB\r\n", 400, "chunk data not followed by CRLF");
    assert_refused(CHUNKED_HEAD "1\r\nA\r\n0\r\n\rX", 400, "CR not followed by LF");
    assert_refused(CHUNKED_HEAD "1\rA", 400, "CR not followed by LF");
    assert_refused(CHUNKED_HEAD "1 \r\nA\r\n", 400,
                   "whitespace after the chunk size not followed by ';'");
    assert_refused(CHUNKED_HEAD "1;a\x01\r\nA\r\n", 400, "chunk extension has a control byte");
    /* the extension: 256 bytes, ';' included, are fine; 257 are not */
    static char req[1024];
    char ext[300];
    memset(ext, 'e', sizeof ext);
    ext[0] = ';';
    ext[256] = '\0';
    snprintf(req, sizeof req, CHUNKED_HEAD "1%s\r\nA\r\n0\r\n\r\n", ext);
    assert_int_equal(feed(req), H1REQ_DONE);
    ext[256] = 'e';
    ext[257] = '\0';
    snprintf(req, sizeof req, CHUNKED_HEAD "1%s\r\nA\r\n0\r\n\r\n", ext);
    assert_refused(req, 400, "chunk extension longer than 256 bytes");
    /* trailers: checked for shape, then dropped */
    assert_refused(CHUNKED_HEAD "0\r\n folded\r\n\r\n", 400,
                   "trailer line starts with whitespace (obs-fold)");
    assert_refused(CHUNKED_HEAD "0\r\nX y: 1\r\n\r\n", 400,
                   "trailer name has a byte that is not a token character");
    assert_refused(CHUNKED_HEAD "0\r\n:1\r\n\r\n", 400,
                   "trailer name has a byte that is not a token character");
    assert_refused(CHUNKED_HEAD "0\r\nX: \x01\r\n\r\n", 400, "trailer value has a control byte");
    assert_refused(CHUNKED_HEAD "0\r\nX: 1\rX", 400, "CR not followed by LF");
    assert_int_equal(feed(CHUNKED_HEAD "0\r\nContent-Length: 99\r\n\r\n"), H1REQ_DONE);
    assert_int_equal(r.has_length, 0); /* a trailer is not a header */
}

static void test_trailers_count_against_max_head(void **state)
{
    (void)state;
    const char *s = CHUNKED_HEAD "1\r\nA\r\n0\r\nX-T: 1\r\n\r\n";
    size_t head = strlen(CHUNKED_HEAD), trailers = strlen("X-T: 1\r\n\r\n");
    assert_int_equal(feed_n(s, strlen(s), head + trailers, MAX_BODY), H1REQ_DONE);
    assert_int_equal(feed_n(s, strlen(s), head + trailers - 1, MAX_BODY), H1REQ_ERROR);
    assert_int_equal(r.status, 431);
    assert_string_equal(r.message, "request head and trailers longer than the head limit");
    assert_body("A"); /* the data before were appended */
}

static void test_413_on_content_length_before_the_body(void **state)
{
    (void)state;
    const char *head = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n";
    char s[256];
    snprintf(s, sizeof s, "%shello world", head);
    assert_int_equal(feed_n(s, strlen(s), MAX_HEAD, 11), H1REQ_DONE);
    assert_body("hello world");
    /* one over: refused at the end of the head, no body byte taken */
    assert_int_equal(feed_n(s, strlen(s), MAX_HEAD, 10), H1REQ_ERROR);
    assert_int_equal(r.status, 413);
    assert_string_equal(r.message, "Content-Length over the body limit");
    assert_int_equal(used, strlen(head));
    assert_int_equal(body.len, 0);
    /* and with the head alone */
    assert_int_equal(feed_n(head, strlen(head), MAX_HEAD, 10), H1REQ_ERROR);
    assert_int_equal(r.status, 413);
    assert_int_equal(feed_n(head, strlen(head) - 1, MAX_HEAD, 10), H1REQ_HEAD);
}

static void test_413_on_chunked_at_the_limit(void **state)
{
    (void)state;
    const char *s = CHUNKED_HEAD "a\r\n0123456789\r\n5\r\nabcde\r\n0\r\n\r\n";
    assert_int_equal(feed_n(s, strlen(s), MAX_HEAD, 15), H1REQ_DONE);
    assert_body("0123456789abcde");
    /* 14: the second size passes the limit; the first chunk is kept */
    assert_int_equal(feed_n(s, strlen(s), MAX_HEAD, 14), H1REQ_ERROR);
    assert_int_equal(r.status, 413);
    assert_string_equal(r.message, "chunked body over the body limit");
    assert_body("0123456789");
    assert_int_equal(used, strlen(CHUNKED_HEAD "a\r\n0123456789\r\n5"));
    /* a huge size is refused before any byte of it */
    const char *huge = CHUNKED_HEAD "ffffffffffffffff\r\nabc";
    assert_int_equal(feed_n(huge, strlen(huge), MAX_HEAD, 1000), H1REQ_ERROR);
    assert_int_equal(r.status, 413);
    assert_int_equal(body.len, 0);
    /* max_body 0: only an empty body */
    assert_int_equal(feed_n(s, strlen(s), MAX_HEAD, 0), H1REQ_ERROR);
    assert_int_equal(r.status, 413);
    assert_int_equal(body.len, 0);
    const char *empty = CHUNKED_HEAD "0\r\n\r\n";
    assert_int_equal(feed_n(empty, strlen(empty), MAX_HEAD, 0), H1REQ_DONE);
}

static void test_never_reads_past_n(void **state)
{
    (void)state;
    /* the request is a prefix of a longer buffer: what follows must not count */
    static const char buf[] = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcdef";
    size_t n = strlen(buf) - 4; /* "ab" of the body */
    assert_int_equal(feed_n(buf, n, MAX_HEAD, MAX_BODY), H1REQ_BODY);
    assert_int_equal(used, n);
    assert_body("ab");
    assert_int_equal(feed_n(buf, 0, MAX_HEAD, MAX_BODY), H1REQ_HEAD);
    assert_int_equal(used, 0);
}

static void test_feed_after_the_end(void **state)
{
    (void)state;
    assert_int_equal(feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), H1REQ_DONE);
    assert_int_equal(h1req_feed(&r, "GET", 3, &body), 0);
    assert_int_equal(r.state, H1REQ_DONE);
    assert_int_equal(feed("GET / HTTP/9.9\r\n"), H1REQ_ERROR);
    assert_int_equal(h1req_feed(&r, "\r\n", 2, &body), 0);
    assert_int_equal(r.state, H1REQ_ERROR);
    assert_int_equal(r.status, 505);
}

/* ---- every split of the input gives the result of one call ---- */

typedef struct outcome {
    h1req_t r;
    size_t used;
    size_t body_len;
    char body[64];
} outcome_t;

/* Reads one request from (s, n) in pieces: first cut bytes (0: none), then
 * pieces of step bytes (0: the rest at once), or pseudo-random pieces of 1
 * to 16 bytes when seed is not 0. */
static void read_pieces(outcome_t *o, const char *s, size_t n, size_t max_head, size_t max_body,
                        size_t cut, size_t step, unsigned seed)
{
    buf_reset(&body);
    h1req_init(&o->r, max_head, max_body);
    size_t off = 0;
    while (off < n && (o->r.state == H1REQ_HEAD || o->r.state == H1REQ_BODY)) {
        size_t len = n - off;
        if (off < cut) {
            len = cut - off;
        } else if (seed) {
            seed = seed * 1103515245u + 12345u;
            len = 1 + (seed >> 16) % 16;
        } else if (step) {
            len = step;
        }
        if (len > n - off)
            len = n - off;
        size_t got = h1req_feed(&o->r, s + off, len, &body);
        assert_true(got <= len);
        if (o->r.state == H1REQ_HEAD || o->r.state == H1REQ_BODY)
            assert_int_equal(got, len); /* it uses everything until it stops */
        assert_true(body.len <= max_body);
        off += got;
    }
    o->used = off;
    o->body_len = body.len;
    assert_true(body.len <= sizeof o->body);
    memcpy(o->body, body.p ? body.p : "", body.len);
}

static void assert_same(const outcome_t *a, const outcome_t *b, const char *how, size_t k)
{
    const h1req_t *x = &a->r, *y = &b->r;
    if (x->state != y->state || x->status != y->status || a->used != b->used ||
        a->body_len != b->body_len)
        fail_msg("%s %zu: state %d/%d status %d/%d used %zu/%zu body %zu/%zu", how, k,
                 (int)x->state, (int)y->state, x->status, y->status, a->used, b->used, a->body_len,
                 b->body_len);
    assert_memory_equal(a->body, b->body, a->body_len);
    assert_true(x->message == y->message);
    if (x->state == H1REQ_ERROR || x->state == H1REQ_HEAD)
        return; /* the fields are not valid */
    assert_string_equal(x->method, y->method);
    assert_string_equal(x->target, y->target);
    assert_string_equal(x->host, y->host);
    assert_string_equal(x->content_type, y->content_type);
    assert_string_equal(x->content_encoding, y->content_encoding);
    assert_string_equal(x->authorization, y->authorization);
    assert_int_equal(x->http10, y->http10);
    assert_int_equal(x->keep_alive, y->keep_alive);
    assert_int_equal(x->expect_continue, y->expect_continue);
    assert_int_equal(x->chunked, y->chunked);
    assert_int_equal(x->has_length, y->has_length);
    assert_true(x->content_length == y->content_length);
}

static void check_splits(const char *s, size_t n, size_t max_head, size_t max_body)
{
    outcome_t whole, part;
    read_pieces(&whole, s, n, max_head, max_body, 0, 0, 0);
    for (size_t k = 1; k < n; k++) {
        read_pieces(&part, s, n, max_head, max_body, k, 0, 0);
        assert_same(&whole, &part, "split at", k);
        /* three pieces: k, then 7-byte steps */
        read_pieces(&part, s, n, max_head, max_body, k, 7, 0);
        assert_same(&whole, &part, "split at, then 7-byte pieces, ", k);
    }
    read_pieces(&part, s, n, max_head, max_body, 0, 1, 0);
    assert_same(&whole, &part, "1-byte pieces", 1);
    for (unsigned seed = 1; seed <= 64; seed++) {
        read_pieces(&part, s, n, max_head, max_body, 0, 0, seed);
        assert_same(&whole, &part, "random pieces, seed", seed);
    }
}

static void test_every_split_gives_the_same_result(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t max_head, max_body;
        h1req_state_t want;
    } cases[] = {
        {"GET /v1/traces HTTP/1.1\r\nHost: localhost:4318\r\nAccept: */*\r\n\r\n", MAX_HEAD,
         MAX_BODY, H1REQ_DONE},
        {"\r\n\nPOST /v1/traces HTTP/1.1\r\nHost:  a  \r\nContent-Type: application/json\r\n"
         "Content-Encoding: gzip\r\nContent-Length: 11\r\nConnection: close\r\n"
         "Expect: 100-continue\r\n\r\nhello world",
         MAX_HEAD, MAX_BODY, H1REQ_DONE},
        {"POST /v1/traces HTTP/1.0\nConnection: Keep-Alive\nTransfer-encoding: x\n\n", MAX_HEAD,
         MAX_BODY, H1REQ_ERROR},
        {CHUNKED_HEAD "5;a=b\r\nhello\r\n1\r\n \r\n00A\nworld 0123\n0;z\r\nT: 1\r\nU:2\r\n\r\n",
         MAX_HEAD, MAX_BODY, H1REQ_DONE},
        /* pipelined: the first request only, and what follows is not used */
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n",
         MAX_HEAD, MAX_BODY, H1REQ_DONE},
        {CHUNKED_HEAD "2\r\nab\r\n0\r\n\r\nPOST / HTTP/1.1\r\nHost: a\r\n\r\n", MAX_HEAD, MAX_BODY,
         H1REQ_DONE},
        /* limits and errors at every position */
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world", MAX_HEAD, 10,
         H1REQ_ERROR},
        {CHUNKED_HEAD "a\r\n0123456789\r\n5\r\nabcde\r\n0\r\n\r\n", MAX_HEAD, 14, H1REQ_ERROR},
        {CHUNKED_HEAD "1\r\nA\r\n0\r\nX-T: 1\r\n\r\n", 60, MAX_BODY, H1REQ_ERROR},
        {"GET / HTTP/1.1\r\nHost: a\r\nX-A: 12345\r\n\r\n", 30, MAX_BODY, H1REQ_ERROR},
        {"GET / HTTP/1.2\r\nHost: a\r\n\r\n", MAX_HEAD, MAX_BODY, H1REQ_ERROR},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", MAX_HEAD,
         MAX_BODY, H1REQ_ERROR},
        {CHUNKED_HEAD "1\r\nAB", MAX_HEAD, MAX_BODY, H1REQ_ERROR},
        /* incomplete: every byte used, still waiting */
        {CHUNKED_HEAD "5\r\nhel", MAX_HEAD, MAX_BODY, H1REQ_BODY},
        {"GET / HTTP/1.1\r\nHost: a\r\n", MAX_HEAD, MAX_BODY, H1REQ_HEAD},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].s);
        assert_int_equal(feed_n(cases[i].s, n, cases[i].max_head, cases[i].max_body),
                         cases[i].want);
        check_splits(cases[i].s, n, cases[i].max_head, cases[i].max_body);
    }
}

static int setup(void **state)
{
    (void)state;
    buf_init(&body);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    buf_dispose(&body);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_post_content_length),
        cmocka_unit_test(test_no_body_is_done_after_the_head),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_expect_continue),
        cmocka_unit_test(test_values_trimmed_and_bounded),
        cmocka_unit_test(test_request_line_errors),
        cmocka_unit_test(test_empty_lines_before_the_request),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_host_rules),
        cmocka_unit_test(test_header_count_and_head_limit),
        cmocka_unit_test(test_content_length_rules),
        cmocka_unit_test(test_transfer_encoding_rules),
        cmocka_unit_test(test_chunk_errors),
        cmocka_unit_test(test_trailers_count_against_max_head),
        cmocka_unit_test(test_413_on_content_length_before_the_body),
        cmocka_unit_test(test_413_on_chunked_at_the_limit),
        cmocka_unit_test(test_never_reads_past_n),
        cmocka_unit_test(test_feed_after_the_end),
        cmocka_unit_test(test_every_split_gives_the_same_result),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
