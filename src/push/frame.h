/* frame.h - an immutable, refcounted message shared by many clients.
 *
 * The push encodes each update once per tick; every client that sends it
 * holds a reference instead of a copy, so N dashboards cost one encoding and
 * one buffer. `headroom` bytes are reserved in front of the payload for the
 * transport's framing (libwebsockets writes its WebSocket header there:
 * LWS_PRE), so sending needs no copy either.
 * Single-threaded (the service thread): the count is not atomic.
 */
#ifndef SPIDER_PUSH_FRAME_H
#define SPIDER_PUSH_FRAME_H

#include <stddef.h>
#include <stdint.h>

typedef struct frame frame_t;

/* Copies (p, n) into a new frame with refcount 1. Never NULL. */
frame_t *frame_new(const void *p, size_t n, size_t headroom);
/* frame_new() that also adds the frame's bytes (frame_bytes) to *counter
 * and takes them off when the frame is freed: a gauge of the memory live
 * frames hold, for a budget. counter must outlive the frame. */
frame_t *frame_new_counted(const void *p, size_t n, size_t headroom, uint64_t *counter);
/* Bytes the frame occupies: header, headroom and payload. */
size_t frame_bytes(const frame_t *f);
frame_t *frame_ref(frame_t *f);
/* Drops one reference; frees the frame with the last one. NULL is ignored. */
void frame_unref(frame_t *f);

/* The payload (headroom writable bytes lie just before it). */
unsigned char *frame_data(frame_t *f);
size_t frame_len(const frame_t *f);
unsigned frame_refs(const frame_t *f);

/* The header of an unmasked, final WebSocket text frame carrying len bytes
 * (RFC 6455 5.2: a server never masks), written to out; returns its size
 * (2, 4 or 10). For sending several frames in one write. */
#define FRAME_WS_HEADER_MAX 10
size_t frame_ws_header(size_t len, unsigned char out[FRAME_WS_HEADER_MAX]);

#endif
