/* ws.h - the live stream: GET /ws, WebSocket push with backpressure.
 *
 * Every push interval ws_tick() encodes one update (push/summary) and hands
 * a reference to every client that can take it. A client has at most one
 * update in flight: it gets a new one only after lws reports its socket
 * writeable again, i.e. the previous frame has left the process. A client
 * still busy at a tick is skipped (counted) — the next update is a full
 * summary again, so nothing is lost by skipping — and one whose peer
 * acknowledges no byte for --stall-timeout is closed with a reset (counted);
 * a slow reader that keeps reading is not stalled. Memory per
 * client is therefore bounded: its state, one shared frame reference, and
 * what lws holds of one partially written frame.
 * Service thread only.
 */
#ifndef SPIDER_HTTP_WS_H
#define SPIDER_HTTP_WS_H

#include <libwebsockets.h>
#include <stdint.h>

#include "../app.h"

/* The WebSocket subprotocol; also the vhost default, so clients that name
 * none get it. */
#define WS_PROTOCOL "spider-v1"
/* A client message larger than CONTROL_MAX_BYTES (push/control.h) closes
 * the client with 1009. */

typedef struct ws_client ws_client_t;
size_t ws_client_size(void);

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                size_t len);

/* The push tick: one update for every client that can take it; closes
 * stalled clients. Runs every --push-interval. */
void ws_tick(app_t *app, int64_t now_mono_ms);

/* Into how many groups the clients are split, each served at its own
 * sub-tick of the push interval: 100 ms or more apart, at most
 * WS_MAX_GROUPS, and dividing the interval exactly. ws_tick() must then be
 * called every push_interval_ms / groups. */
unsigned ws_push_groups(int64_t push_interval_ms);

/* Once a second: pings peers silent for --ping-interval and disconnects
 * those silent for twice that (counted in ws_ping_timeouts). */
void ws_keepalive(app_t *app, int64_t now_mono_ms);

/* Releases what clients still hold after the lws context is destroyed. */
void ws_dispose(app_t *app);

#endif
