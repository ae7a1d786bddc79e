/* test_load_parsers.c - the parsers of spider-load (tools/load/): WebSocket
 * frame headers and the client frame encoder (wsframe.c), HTTP response heads
 * (httpresp.c) and the bounded JSON field scans (scan.c).
 *
 * Their input is the server under test's bytes, so besides every accepted
 * form this covers the hostile ones: every prefix of an incomplete header or
 * head, reserved bits, unknown opcodes, long or fragmented control frames,
 * 64-bit lengths with the top bit set, over-long heads, malformed status
 * lines, conflicting and huge Content-Lengths, numbers and strings cut off by
 * the end of the buffer. Each input is parsed from an exact-size heap copy,
 * so a sanitizer build catches any read past n, and is checked unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "httpresp.h"
#include "scan.h"
#include "wsframe.h"

/* ---- wsframe ---------------------------------------------------------- */

/* Parses the header at the start of an exact-size copy of (p, n). */
static int ws_parse(const uint8_t *p, size_t n, wsframe_t *f)
{
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, p, n);
    memset(f, 0xa5, sizeof *f);
    int rc = wsframe_parse_header(copy, n, f);
    assert_memory_equal(copy, p, n); /* never writes its input */
    free(copy);
    return rc;
}

/* Every proper prefix of the header (p, hlen) needs more bytes. */
static void ws_assert_prefixes_incomplete(const uint8_t *p, size_t hlen)
{
    wsframe_t f;
    for (size_t k = 0; k < hlen; k++) {
        int rc = ws_parse(p, k, &f);
        if (rc != 0)
            print_message("prefix of %zu bytes of a %zu-byte header\n", k, hlen);
        assert_int_equal(rc, 0);
    }
}

/* (p, n) is a valid header of hlen bytes with these fields; every prefix is
 * incomplete, and bytes after the header (the payload) change nothing. */
static void ws_ok(const uint8_t *p, size_t hlen, int fin, int opcode, int masked,
                  uint64_t payload_len)
{
    wsframe_t f;
    ws_assert_prefixes_incomplete(p, hlen);
    assert_int_equal(ws_parse(p, hlen, &f), (int)hlen);
    assert_int_equal(f.header_len, hlen);
    assert_int_equal(f.fin, fin);
    assert_int_equal(f.opcode, opcode);
    assert_int_equal(f.masked, masked);
    assert_true(f.payload_len == payload_len);
    if (masked)
        assert_memory_equal(f.mask, p + hlen - 4, 4);
    else
        assert_memory_equal(f.mask, "\0\0\0\0", 4);

    uint8_t longer[WSFRAME_MAX_HEADER + 3];
    memcpy(longer, p, hlen);
    memset(longer + hlen, 0xff, 3);
    wsframe_t g;
    assert_int_equal(ws_parse(longer, hlen + 3, &g), (int)hlen);
    assert_true(g.payload_len == payload_len);
    assert_int_equal(g.opcode, opcode);
}

/* (p, n) is refused; with n = the full header length. */
static void ws_bad(const uint8_t *p, size_t n)
{
    wsframe_t f;
    assert_int_equal(ws_parse(p, n, &f), SPIDER_EINVAL);
}

static void test_wsframe_7bit(void **state)
{
    (void)state;
    ws_ok((const uint8_t[]){0x81, 0x05}, 2, 1, WSFRAME_TEXT, 0, 5);
    ws_ok((const uint8_t[]){0x82, 0x00}, 2, 1, WSFRAME_BINARY, 0, 0);
    ws_ok((const uint8_t[]){0x01, 0x7d}, 2, 0, WSFRAME_TEXT, 0, 125);
    ws_ok((const uint8_t[]){0x00, 0x10}, 2, 0, WSFRAME_CONT, 0, 16);
    ws_ok((const uint8_t[]){0x80, 0x01}, 2, 1, WSFRAME_CONT, 0, 1);
    ws_ok((const uint8_t[]){0x89, 0x7d}, 2, 1, WSFRAME_PING, 0, 125);
    ws_ok((const uint8_t[]){0x8a, 0x00}, 2, 1, WSFRAME_PONG, 0, 0);
    ws_ok((const uint8_t[]){0x88, 0x02}, 2, 1, WSFRAME_CLOSE, 0, 2);
    /* Masked: the 4 mask bytes follow the length. */
    ws_ok((const uint8_t[]){0x81, 0x85, 1, 2, 3, 4}, 6, 1, WSFRAME_TEXT, 1, 5);
    ws_ok((const uint8_t[]){0x89, 0x80, 0xff, 0, 0xff, 0}, 6, 1, WSFRAME_PING, 1, 0);
}

static void test_wsframe_16bit(void **state)
{
    (void)state;
    ws_ok((const uint8_t[]){0x82, 0x7e, 0x01, 0x00}, 4, 1, WSFRAME_BINARY, 0, 256);
    ws_ok((const uint8_t[]){0x81, 0x7e, 0x00, 0x7e}, 4, 1, WSFRAME_TEXT, 0, 126);
    ws_ok((const uint8_t[]){0x01, 0x7e, 0xff, 0xff}, 4, 0, WSFRAME_TEXT, 0, 65535);
    ws_ok((const uint8_t[]){0x82, 0xfe, 0x12, 0x34, 9, 8, 7, 6}, 8, 1, WSFRAME_BINARY, 1, 0x1234);
}

static void test_wsframe_64bit(void **state)
{
    (void)state;
    ws_ok((const uint8_t[]){0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}, 10, 1, WSFRAME_BINARY, 0, 65536);
    ws_ok((const uint8_t[]){0x81, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0}, 10, 1, WSFRAME_TEXT, 0,
          UINT64_C(1) << 32);
    /* The largest length RFC 6455 allows: 63 bits. */
    ws_ok((const uint8_t[]){0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 10, 1,
          WSFRAME_BINARY, 0, INT64_MAX);
    ws_ok((const uint8_t[]){0x82, 0xff, 0, 0, 0, 0, 0, 0x01, 0x00, 0x01, 0xa, 0xb, 0xc, 0xd}, 14, 1,
          WSFRAME_BINARY, 1, 65537);
}

static void test_wsframe_64bit_top_bit_refused(void **state)
{
    (void)state;
    ws_bad((const uint8_t[]){0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0}, 10);
    ws_bad((const uint8_t[]){0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 10);
    ws_bad((const uint8_t[]){0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}, 14);
    /* Still only once the whole length has arrived. */
    ws_assert_prefixes_incomplete((const uint8_t[]){0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0}, 10);
}

static void test_wsframe_reserved_bits_refused(void **state)
{
    (void)state;
    /* Refused as soon as the first two bytes are there. */
    ws_bad((const uint8_t[]){0xc1, 0x05}, 2); /* RSV1 */
    ws_bad((const uint8_t[]){0xa1, 0x05}, 2); /* RSV2 */
    ws_bad((const uint8_t[]){0x91, 0x05}, 2); /* RSV3 */
    ws_bad((const uint8_t[]){0x71, 0x05}, 2); /* all three, no FIN */
    ws_bad((const uint8_t[]){0xc1, 0x7e}, 2); /* before the 16-bit length */
    ws_bad((const uint8_t[]){0xc1, 0x7e, 0x01, 0x00}, 4);
}

static void test_wsframe_unknown_opcodes_refused(void **state)
{
    (void)state;
    static const int unknown[] = {0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        uint8_t h[2] = {(uint8_t)(0x80 | unknown[i]), 0x00};
        ws_bad(h, 2);
        h[0] = (uint8_t)unknown[i]; /* not final either */
        ws_bad(h, 2);
    }
}

static void test_wsframe_control_frames(void **state)
{
    (void)state;
    /* Fragmented control frames. */
    ws_bad((const uint8_t[]){0x08, 0x00}, 2);
    ws_bad((const uint8_t[]){0x09, 0x05}, 2);
    ws_bad((const uint8_t[]){0x0a, 0x05}, 2);
    /* Longer than 125 bytes, in each length form. */
    ws_bad((const uint8_t[]){0x89, 0x7e, 0x00, 0x7e}, 4);
    ws_bad((const uint8_t[]){0x88, 0x7e, 0xff, 0xff}, 4);
    ws_bad((const uint8_t[]){0x8a, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x7e}, 10);
    ws_bad((const uint8_t[]){0x89, 0xfe, 0x01, 0x00, 1, 2, 3, 4}, 8);
    assert_true(wsframe_is_control(WSFRAME_CLOSE));
    assert_true(wsframe_is_control(WSFRAME_PING));
    assert_true(wsframe_is_control(WSFRAME_PONG));
    assert_false(wsframe_is_control(WSFRAME_CONT));
    assert_false(wsframe_is_control(WSFRAME_TEXT));
    assert_false(wsframe_is_control(WSFRAME_BINARY));
}

/* Encodes payload (n bytes) as opcode, checks it byte for byte through the
 * parser and unmasks it back; the output buffer is exact-size. */
static void ws_round_trip(int opcode, size_t n)
{
    uint8_t *payload = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        payload[i] = (uint8_t)(i * 7 + 3);
    const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t hlen = (n < 126 ? 2 : n <= 0xffff ? 4 : 10) + 4;
    size_t total = hlen + n;

    uint8_t *out = malloc(total);
    /* One byte short: nothing is written. */
    assert_int_equal(wsframe_encode(out, total - 1, opcode, mask, payload, n), 0);
    assert_int_equal(wsframe_encode(out, hlen - 1, opcode, mask, payload, n), 0);
    assert_int_equal(wsframe_encode(out, total, opcode, mask, payload, n), total);

    wsframe_t f;
    assert_int_equal(ws_parse(out, total, &f), (int)hlen);
    assert_int_equal(f.fin, 1);
    assert_int_equal(f.opcode, opcode);
    assert_int_equal(f.masked, 1);
    assert_memory_equal(f.mask, mask, 4);
    assert_true(f.payload_len == n);
    ws_assert_prefixes_incomplete(out, hlen);
    for (size_t i = 0; i < n; i++)
        out[hlen + i] ^= f.mask[i & 3];
    if (n)
        assert_memory_equal(out + hlen, payload, n);
    free(out);
    free(payload);
}

static void test_wsframe_encode_round_trip(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 3, 4, 5, 125, 126, 127, 1000, 65535, 65536, 70001};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        ws_round_trip(WSFRAME_TEXT, sizes[i]);
        ws_round_trip(WSFRAME_BINARY, sizes[i]);
        if (sizes[i] <= WSFRAME_MAX_CONTROL) {
            ws_round_trip(WSFRAME_PING, sizes[i]);
            ws_round_trip(WSFRAME_PONG, sizes[i]);
            ws_round_trip(WSFRAME_CLOSE, sizes[i]);
        }
    }
}

/* ---- httpresp --------------------------------------------------------- */

/* Parses an exact-size copy of (p, n). */
static int http_parse_n(const char *p, size_t n, httpresp_t *r)
{
    char *copy = malloc(n ? n : 1);
    memcpy(copy, p, n);
    memset(r, 0xa5, sizeof *r);
    int rc = httpresp_parse(copy, n, r);
    assert_memory_equal(copy, p, n);
    free(copy);
    return rc;
}

/* A complete head: every proper prefix needs more, the whole head (and the
 * head followed by body bytes) parses to its own length. */
static httpresp_t http_ok(const char *head)
{
    size_t n = strlen(head);
    httpresp_t r;
    for (size_t k = 0; k < n; k++) {
        int rc = http_parse_n(head, k, &r);
        if (rc != 0)
            print_message("prefix of %zu bytes of:\n%s", k, head);
        assert_int_equal(rc, 0);
    }
    int rc = http_parse_n(head, n, &r);
    if (rc != (int)n)
        print_message("head:\n%s", head);
    assert_int_equal(rc, (int)n);
    assert_int_equal(r.head_len, n);

    char *with_body = malloc(n + 5);
    memcpy(with_body, head, n);
    memcpy(with_body + n, "\r\n\r\nx", 5); /* even a blank line in the body */
    httpresp_t r2;
    assert_int_equal(http_parse_n(with_body, n + 5, &r2), (int)n);
    assert_memory_equal(&r, &r2, sizeof r);
    free(with_body);
    return r;
}

static void http_bad_n(const char *head, size_t n)
{
    httpresp_t r;
    int rc = http_parse_n(head, n, &r);
    if (rc != SPIDER_EINVAL)
        print_message("head:\n%.*s", (int)n, head);
    assert_int_equal(rc, SPIDER_EINVAL);
}

static void http_bad(const char *head)
{
    http_bad_n(head, strlen(head));
}

static void test_httpresp_101_upgrade(void **state)
{
    (void)state;
    httpresp_t r = http_ok("HTTP/1.1 101 Switching Protocols\r\n"
                           "Upgrade: websocket\r\n"
                           "Connection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                           "\r\n");
    assert_int_equal(r.status, 101);
    assert_int_equal(r.upgrade_websocket, 1);
    assert_int_equal(r.close, 0);
    assert_int_equal(r.chunked, 0);
    assert_int_equal(r.content_length, -1);

    r = http_ok("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n");
    assert_int_equal(r.upgrade_websocket, 0);
    r = http_ok("HTTP/1.1 101 x\r\nUpgrade: h2c, websocket\r\n\r\n");
    assert_int_equal(r.upgrade_websocket, 1);
    r = http_ok("HTTP/1.1 101 x\r\nUpgrade: websockets\r\n\r\n");
    assert_int_equal(r.upgrade_websocket, 0);
}

static void test_httpresp_200_content_length(void **state)
{
    (void)state;
    httpresp_t r = http_ok("HTTP/1.1 200 OK\r\n"
                           "Content-Type: application/json\r\n"
                           "Content-Length: 42\r\n"
                           "\r\n");
    assert_int_equal(r.status, 200);
    assert_int_equal(r.content_length, 42);
    assert_int_equal(r.close, 0);
    assert_int_equal(r.chunked, 0);
    assert_int_equal(r.upgrade_websocket, 0);

    r = http_ok("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(r.status, 204);
    assert_int_equal(r.content_length, 0);
    /* Blanks around the value; no reason phrase; HTTP/1.0. */
    r = http_ok("HTTP/1.1 503\r\nContent-Length: \t 17 \t\r\n\r\n");
    assert_int_equal(r.status, 503);
    assert_int_equal(r.content_length, 17);
    r = http_ok("HTTP/1.0 404 Not Found\r\nContent-Length:9\r\n\r\n");
    assert_int_equal(r.status, 404);
    assert_int_equal(r.content_length, 9);
    /* No headers at all. */
    r = http_ok("HTTP/1.1 200 OK\r\n\r\n");
    assert_int_equal(r.content_length, -1);
    r = http_ok("HTTP/1.1 200\r\n\r\n"); /* the shortest head */
    assert_int_equal(r.status, 200);
}

static void test_httpresp_chunked(void **state)
{
    (void)state;
    httpresp_t r = http_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_int_equal(r.chunked, 1);
    assert_int_equal(r.content_length, -1);
    r = http_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
    assert_int_equal(r.chunked, 1);
    r = http_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
    assert_int_equal(r.chunked, 0);
    r = http_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunkedx\r\n\r\n");
    assert_int_equal(r.chunked, 0);
}

static void test_httpresp_connection_close(void **state)
{
    (void)state;
    httpresp_t r = http_ok("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n");
    assert_int_equal(r.close, 1);
    assert_int_equal(r.content_length, 2);
    r = http_ok("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n");
    assert_int_equal(r.close, 0);
    r = http_ok("HTTP/1.1 200 OK\r\nConnection: keep-alive , close \r\n\r\n");
    assert_int_equal(r.close, 1);
    r = http_ok("HTTP/1.1 200 OK\r\nConnection: closed\r\n\r\n");
    assert_int_equal(r.close, 0);
    r = http_ok("HTTP/1.1 200 OK\r\nX-Connection: close\r\n\r\n");
    assert_int_equal(r.close, 0);
}

static void test_httpresp_case_insensitive(void **state)
{
    (void)state;
    httpresp_t r = http_ok("HTTP/1.1 101 Switching Protocols\r\n"
                           "UPGRADE: WebSocket\r\n"
                           "connection: CLOSE\r\n"
                           "tRANSFER-eNCODING: Chunked\r\n"
                           "CONTENT-LENGTH: 7\r\n"
                           "\r\n");
    assert_int_equal(r.upgrade_websocket, 1);
    assert_int_equal(r.close, 1);
    assert_int_equal(r.chunked, 1);
    assert_int_equal(r.content_length, 7);
}

static void test_httpresp_incomplete(void **state)
{
    (void)state;
    /* Without the blank line the head is never complete. */
    const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r";
    httpresp_t r;
    for (size_t k = 0; k <= strlen(head); k++)
        assert_int_equal(http_parse_n(head, k, &r), 0);
    assert_int_equal(http_parse_n("HTTP/1.1 200 OK\n\n", 17, &r), 0); /* bare LFs */
}

static void test_httpresp_over_long(void **state)
{
    (void)state;
    size_t cap = HTTPRESP_MAX_HEAD + 64;
    char *buf = malloc(cap);
    const char *status = "HTTP/1.1 200 OK\r\n";
    size_t slen = strlen(status);
    memcpy(buf, status, slen);
    /* One long header line, then the blank line at the end. */
    for (size_t i = slen; i < cap; i++)
        buf[i] = 'a' + (char)(i % 26);
    memcpy(buf + slen, "X-Pad: ", 7);
    httpresp_t r;
    /* No blank line: incomplete below the limit, refused at it. */
    assert_int_equal(http_parse_n(buf, HTTPRESP_MAX_HEAD - 1, &r), 0);
    assert_int_equal(http_parse_n(buf, HTTPRESP_MAX_HEAD, &r), SPIDER_EINVAL);
    assert_int_equal(http_parse_n(buf, cap, &r), SPIDER_EINVAL);
    /* A head of exactly the limit is accepted... */
    memcpy(buf + HTTPRESP_MAX_HEAD - 4, "\r\n\r\n", 4);
    assert_int_equal(http_parse_n(buf, HTTPRESP_MAX_HEAD, &r), HTTPRESP_MAX_HEAD);
    assert_int_equal(http_parse_n(buf, cap, &r), HTTPRESP_MAX_HEAD);
    assert_int_equal(r.status, 200);
    /* ...one byte longer is not, even when it has all arrived. */
    memcpy(buf + HTTPRESP_MAX_HEAD - 4, "x\r\n\r\n", 5);
    assert_int_equal(http_parse_n(buf, HTTPRESP_MAX_HEAD, &r), SPIDER_EINVAL);
    assert_int_equal(http_parse_n(buf, HTTPRESP_MAX_HEAD + 1, &r), SPIDER_EINVAL);
    assert_int_equal(http_parse_n(buf, cap, &r), SPIDER_EINVAL);
    free(buf);
}

static void test_httpresp_malformed_status_line(void **state)
{
    (void)state;
    http_bad("\r\n\r\n");
    http_bad("HTTP/1.1\r\n\r\n");
    http_bad("HTTP/1.1 \r\n\r\n");
    http_bad("HTTP/2 200 OK\r\n\r\n");
    http_bad("HTTP/1.2 200 OK\r\n\r\n");
    http_bad("HTTP/1.x 200 OK\r\n\r\n");
    http_bad("http/1.1 200 OK\r\n\r\n");
    http_bad("HTTP/1.1  200 OK\r\n\r\n");
    http_bad("HTTP/1.1 20 OK\r\n\r\n");
    http_bad("HTTP/1.1 2x0 OK\r\n\r\n");
    http_bad("HTTP/1.1 -20 OK\r\n\r\n");
    http_bad("HTTP/1.1 2000 OK\r\n\r\n");
    http_bad("HTTP/1.1 200OK\r\n\r\n");
    http_bad("HTTP/1.1200 OK\r\n\r\n");
    http_bad("ICY 200 OK\r\n\r\n");
    http_bad(" HTTP/1.1 200 OK\r\n\r\n");
    /* A NUL in the version. */
    http_bad_n("HTTP/1\0001 200 OK\r\n\r\n", 19);
}

static void test_httpresp_malformed_headers(void **state)
{
    (void)state;
    http_bad("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n");
    http_bad("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n");
    http_bad("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n");
    /* Unknown headers and odd values are ignored. */
    httpresp_t r = http_ok("HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Colons: a:b:c\r\n\r\n");
    assert_int_equal(r.content_length, -1);
}

static void test_httpresp_content_length_duplicates(void **state)
{
    (void)state;
    /* The same length twice is harmless... */
    httpresp_t r = http_ok("HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n");
    assert_int_equal(r.content_length, 5);
    /* ...two different ones make the body ambiguous. */
    http_bad("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
    http_bad("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nContent-Length: 00000\r\nContent-Length: "
             "1\r\n\r\n");
    http_bad("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n");
    http_bad("HTTP/1.1 200 OK\r\nContent-Length: 5,6\r\n\r\n");
}

static void test_httpresp_content_length_values(void **state)
{
    (void)state;
    http_bad("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n");
    http_bad("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n");
    http_bad("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n");
    http_bad("HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n");
    http_bad("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n");
    http_bad("HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n");
    http_bad("HTTP/1.1 200 OK\r\nContent-Length: 1.5\r\n\r\n");
    /* Huge: 15 digits are the most accepted, never an overflow. */
    httpresp_t r = http_ok("HTTP/1.1 200 OK\r\nContent-Length: 999999999999999\r\n\r\n");
    assert_int_equal(r.content_length, INT64_C(999999999999999));
    http_bad("HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\n");
    http_bad("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n");
    http_bad("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\n");
    http_bad("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551617\r\n\r\n");
    http_bad("HTTP/1.1 200 OK\r\nContent-Length: "
             "99999999999999999999999999999999999999999999999999\r\n\r\n");
}

/* ---- scan ------------------------------------------------------------- */

/* scan_json_int on an exact-size copy of (p, n); *out is left alone unless
 * the scan succeeds. */
static int int_n(const char *p, size_t n, const char *key, int64_t *out)
{
    /* calloc: for n == 0 the one byte is never read, but gcc -O3 cannot see
     * that and warns (maybe-uninitialized) about passing it to a const char *. */
    char *copy = calloc(n ? n : 1, 1);
    memcpy(copy, p, n);
    int64_t v = INT64_C(0x5a5a5a5a);
    int rc = scan_json_int(copy, n, key, &v);
    assert_memory_equal(copy, p, n);
    free(copy);
    if (rc != 0)
        assert_true(v == INT64_C(0x5a5a5a5a));
    *out = v;
    return rc;
}

static int int_of(const char *p, const char *key, int64_t *out)
{
    return int_n(p, strlen(p), key, out);
}

/* scan_json_str on an exact-size copy; the slice is returned as an offset
 * into p (copy is freed) and a length. */
static int str_n(const char *p, size_t n, const char *key, size_t *at, size_t *len)
{
    char *copy = malloc(n ? n : 1);
    memcpy(copy, p, n);
    slice_t s = {(const char *)0x1, 0xa5};
    int rc = scan_json_str(copy, n, key, &s);
    assert_memory_equal(copy, p, n);
    if (rc == 0) {
        assert_true(s.p >= copy && s.p + s.n < copy + n); /* the closing quote is inside */
        *at = (size_t)(s.p - copy);
        *len = s.n;
    } else {
        assert_true(s.p == (const char *)0x1 && s.n == 0xa5);
    }
    free(copy);
    return rc;
}

/* Is "key":"want" found in p? */
static void str_is(const char *p, const char *key, const char *want)
{
    size_t at = 0, len = 0;
    assert_int_equal(str_n(p, strlen(p), key, &at, &len), 0);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(p + at, want, len);
}

static int str_rc(const char *p, const char *key)
{
    size_t at, len;
    return str_n(p, strlen(p), key, &at, &len);
}

static void test_scan_int_found(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(int_of("{\"seq\":42,\"now_ms\":1764160000123}", "seq", &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(int_of("{\"seq\":42,\"now_ms\":1764160000123}", "now_ms", &v), 0);
    assert_int_equal(v, INT64_C(1764160000123));
    assert_int_equal(int_of("{\"a\": \t\r\n -7 }", "a", &v), 0);
    assert_int_equal(v, -7);
    assert_int_equal(int_of("{\"a\":0}", "a", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(int_of("{\"a\":-0]", "a", &v), 0);
    assert_int_equal(v, 0);
    /* At any depth; the first occurrence wins. */
    assert_int_equal(int_of("[{\"x\":{\"accepted\":3}},{\"accepted\":4}]", "accepted", &v), 0);
    assert_int_equal(v, 3);
    /* 18 digits are the most. */
    assert_int_equal(int_of("{\"a\":999999999999999999}", "a", &v), 0);
    assert_int_equal(v, INT64_C(999999999999999999));
    assert_int_equal(int_of("{\"a\":-999999999999999999}", "a", &v), 0);
    assert_int_equal(v, -INT64_C(999999999999999999));
}

static void test_scan_int_not_found(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(int_of("", "seq", &v), SPIDER_ENOENT);
    assert_int_equal(int_of("{}", "seq", &v), SPIDER_ENOENT);
    assert_int_equal(int_of("{\"seqs\":1}", "seq", &v), SPIDER_ENOENT);
    assert_int_equal(int_of("{\"xseq\" :1}", "seq", &v), SPIDER_ENOENT);
    assert_int_equal(int_of("{\"type\":\"seq\"}", "seq", &v), SPIDER_ENOENT);
    assert_int_equal(int_of("{seq:1}", "seq", &v), SPIDER_ENOENT);
    assert_int_equal(int_of("{\"SEQ\":1}", "seq", &v), SPIDER_ENOENT);
    /* A key too long for the pattern is never found. */
    char key[80];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    char doc[100];
    snprintf(doc, sizeof doc, "{\"%s\":1}", key);
    assert_int_equal(int_of(doc, key, &v), SPIDER_ENOENT);
}

static void test_scan_int_malformed(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(int_of("{\"a\":x}", "a", &v), SPIDER_EINVAL);
    assert_int_equal(int_of("{\"a\":-}", "a", &v), SPIDER_EINVAL);
    assert_int_equal(int_of("{\"a\":--1}", "a", &v), SPIDER_EINVAL);
    assert_int_equal(int_of("{\"a\":+1}", "a", &v), SPIDER_EINVAL);
    assert_int_equal(int_of("{\"a\":\"5\"}", "a", &v), SPIDER_EINVAL);
    assert_int_equal(int_of("{\"a\":null}", "a", &v), SPIDER_EINVAL);
    assert_int_equal(int_of("{\"a\":1000000000000000000}", "a", &v), SPIDER_EINVAL); /* 19 */
    assert_int_equal(int_of("{\"a\":99999999999999999999999}", "a", &v), SPIDER_EINVAL);
}

/* Regression: "a":1.5 was read as 1 (and 2e3 as 2); not an integer. */
static void test_scan_int_fraction_or_exponent_refused(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(int_of("{\"a\":1.5}", "a", &v), SPIDER_EINVAL);
    assert_int_equal(int_of("{\"a\":-1.0}", "a", &v), SPIDER_EINVAL);
    assert_int_equal(int_of("{\"a\":2e3}", "a", &v), SPIDER_EINVAL);
    assert_int_equal(int_of("{\"a\":2E3}", "a", &v), SPIDER_EINVAL);
}

static void test_scan_int_at_end_of_buffer(void **state)
{
    (void)state;
    int64_t v;
    /* Every prefix of the message: the key is not there until its colon
     * has arrived, then the value is cut off until the byte after it. */
    const char *msg = "{\"x\":1,\"seq\": 1234,\"y\":2}";
    size_t colon_end = strstr(msg, "\"seq\":") - msg + 6;
    size_t num_end = strstr(msg, "1234") - msg + 4;
    for (size_t k = 0; k <= strlen(msg); k++) {
        int rc = int_n(msg, k, "seq", &v);
        int want = k < colon_end ? SPIDER_ENOENT : k <= num_end ? SPIDER_EINVAL : 0;
        if (rc != want)
            print_message("prefix of %zu bytes: %.*s\n", k, (int)k, msg);
        assert_int_equal(rc, want);
        if (rc == 0)
            assert_int_equal(v, 1234);
    }
    /* The last byte of the buffer is the colon, a blank, or a '-'. */
    assert_int_equal(int_of("{\"a\":", "a", &v), SPIDER_EINVAL);
    assert_int_equal(int_of("{\"a\": \n", "a", &v), SPIDER_EINVAL);
    assert_int_equal(int_of("{\"a\":-", "a", &v), SPIDER_EINVAL);
    assert_int_equal(int_of("{\"a\"", "a", &v), SPIDER_ENOENT);
    assert_int_equal(int_of("\"", "a", &v), SPIDER_ENOENT);
}

static void test_scan_str_found(void **state)
{
    (void)state;
    str_is("{\"type\":\"update\",\"seq\":1}", "type", "update");
    str_is("{\"type\" :\"x\",\"type\": \"hello\"}", "type", "hello");
    str_is("{\"type\": \n\"hello\"}", "type", "hello");
    str_is("{\"type\":\"\"}", "type", "");
    str_is("{\"a\":{\"type\":\"detail\"}}", "type", "detail");
    /* The closing quote is the last byte of the buffer. */
    str_is("{\"type\":\"update\"", "type", "update");
    str_is("\"k\":\"\"", "k", "");
}

static void test_scan_str_not_found(void **state)
{
    (void)state;
    assert_int_equal(str_rc("", "type"), SPIDER_ENOENT);
    assert_int_equal(str_rc("{\"types\":\"x\"}", "type"), SPIDER_ENOENT);
    assert_int_equal(str_rc("{\"x\":\"type\"}", "type"), SPIDER_ENOENT);
    assert_int_equal(str_rc("{\"type\"", "type"), SPIDER_ENOENT);
}

static void test_scan_str_malformed(void **state)
{
    (void)state;
    assert_int_equal(str_rc("{\"type\":5}", "type"), SPIDER_EINVAL);
    assert_int_equal(str_rc("{\"type\":null}", "type"), SPIDER_EINVAL);
    assert_int_equal(str_rc("{\"type\":\"a\\\"b\"}", "type"), SPIDER_EINVAL); /* escape */
    assert_int_equal(str_rc("{\"type\":\"a\\nb\"}", "type"), SPIDER_EINVAL);
    /* Cut off by the end of the buffer. */
    assert_int_equal(str_rc("{\"type\":", "type"), SPIDER_EINVAL);
    assert_int_equal(str_rc("{\"type\": ", "type"), SPIDER_EINVAL);
    assert_int_equal(str_rc("{\"type\":\"", "type"), SPIDER_EINVAL);
    assert_int_equal(str_rc("{\"type\":\"upd", "type"), SPIDER_EINVAL);
    assert_int_equal(str_rc("{\"type\":\"upd\\", "type"), SPIDER_EINVAL);
}

static void test_scan_str_every_prefix(void **state)
{
    (void)state;
    const char *msg = "{\"type\":\"update\",\"seq\":3}";
    size_t colon_end = strlen("{\"type\":");
    size_t quote_end = strlen("{\"type\":\"update\"");
    for (size_t k = 0; k <= strlen(msg); k++) {
        size_t at, len;
        int rc = str_n(msg, k, "type", &at, &len);
        int want = k < colon_end ? SPIDER_ENOENT : k < quote_end ? SPIDER_EINVAL : 0;
        assert_int_equal(rc, want);
        if (rc == 0) {
            assert_int_equal(at, colon_end + 1);
            assert_int_equal(len, 6);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wsframe_7bit),
        cmocka_unit_test(test_wsframe_16bit),
        cmocka_unit_test(test_wsframe_64bit),
        cmocka_unit_test(test_wsframe_64bit_top_bit_refused),
        cmocka_unit_test(test_wsframe_reserved_bits_refused),
        cmocka_unit_test(test_wsframe_unknown_opcodes_refused),
        cmocka_unit_test(test_wsframe_control_frames),
        cmocka_unit_test(test_wsframe_encode_round_trip),
        cmocka_unit_test(test_httpresp_101_upgrade),
        cmocka_unit_test(test_httpresp_200_content_length),
        cmocka_unit_test(test_httpresp_chunked),
        cmocka_unit_test(test_httpresp_connection_close),
        cmocka_unit_test(test_httpresp_case_insensitive),
        cmocka_unit_test(test_httpresp_incomplete),
        cmocka_unit_test(test_httpresp_over_long),
        cmocka_unit_test(test_httpresp_malformed_status_line),
        cmocka_unit_test(test_httpresp_malformed_headers),
        cmocka_unit_test(test_httpresp_content_length_duplicates),
        cmocka_unit_test(test_httpresp_content_length_values),
        cmocka_unit_test(test_scan_int_found),
        cmocka_unit_test(test_scan_int_not_found),
        cmocka_unit_test(test_scan_int_malformed),
        cmocka_unit_test(test_scan_int_fraction_or_exponent_refused),
        cmocka_unit_test(test_scan_int_at_end_of_buffer),
        cmocka_unit_test(test_scan_str_found),
        cmocka_unit_test(test_scan_str_not_found),
        cmocka_unit_test(test_scan_str_malformed),
        cmocka_unit_test(test_scan_str_every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
