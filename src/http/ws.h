/* ws.h - the live stream: GET /ws, WebSocket push with backpressure.
 *
 * Every push interval each client gets one update: clients are in groups
 * (push/stagger.h), and at its group's sub-tick ws_tick() encodes the
 * update (push/summary, push/fanout) once and hands a reference to every
 * client of the group that can take it. A client has at most one update in
 * flight: it gets a new one only after the previous one has left the
 * process and the peer has acknowledged it. A client
 * still busy at a tick is skipped (counted) — the next update is a full
 * summary again, so nothing is lost by skipping — and one whose peer
 * acknowledges no byte for --stall-timeout is closed with a reset (counted);
 * a slow reader that keeps reading is not stalled. Memory per
 * client is therefore bounded: its state, references to one update's
 * shared frames, and what lws holds of one partially written update.
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

/* A push sub-tick: one update for every client of the next group that can
 * take it; closes its stalled clients. Runs every
 * --push-interval / app->push_groups. */
void ws_tick(app_t *app, int64_t now_mono_ms);

/* Once a second: pings peers silent for --ping-interval and disconnects
 * those silent for twice that (counted in ws_ping_timeouts). */
void ws_keepalive(app_t *app, int64_t now_mono_ms);

/* Releases what clients still hold after the lws context is destroyed. */
void ws_dispose(app_t *app);

#endif
