/* httpresp.h - the head of an HTTP/1.1 response, as the load tool needs it.
 *
 * Pure: libc only; takes (pointer, length), never writes into its input and
 * trusts nothing (the server under test is what is being checked). Knows the
 * status, Content-Length, "Connection: close", chunked encoding and whether
 * the answer upgrades to a WebSocket; ignores every other header.
 */
#ifndef SPIDER_LOAD_HTTPRESP_H
#define SPIDER_LOAD_HTTPRESP_H

#include <stddef.h>
#include <stdint.h>

/* Heads longer than this are treated as malformed. */
#define HTTPRESP_MAX_HEAD 8192

typedef struct httpresp {
    int status;
    int64_t content_length; /* -1 when absent */
    int close;              /* Connection: close */
    int chunked;            /* Transfer-Encoding: chunked */
    int upgrade_websocket;  /* Upgrade: websocket */
    size_t head_len;        /* bytes up to and including the blank line */
} httpresp_t;

/* Parses the response head at the start of (p, n). Returns the head length
 * (> 0) and fills *r; 0 if the blank line has not arrived yet (and n is
 * below HTTPRESP_MAX_HEAD); SPIDER_EINVAL if malformed or too long. */
int httpresp_parse(const char *p, size_t n, httpresp_t *r);

#endif
