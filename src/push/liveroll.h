/* liveroll.h - live roll-ups: the rows of GET /api/v1/rollup, pushed.
 *
 * A live client may subscribe to up to CONTROL_MAX_ROLLUPS roll-ups
 * (push/control.h). What makes a roll-up's answer is its shape: the
 * selector text, the `by` text, the step and the history wanted (the
 * client's window_s). Clients with the same shape share one entry here
 * and, at each tick, one encoded message per cursor: clients that keep up
 * are all at the same cursor, so a shape costs one roll-up per tick
 * whatever the number of dashboards showing it.
 *
 * Each roll-up of a client has a cursor: the store epoch
 * (store_close_epoch) up to which it has every change. At a tick of epoch
 * E, a cursor C > 0 gets the steps from the first one holding a second
 * changed after C (a late sample) or from the step that was open at C's
 * tick (its rate was over its part up to then), whichever is earlier, to
 * now, which the client puts in place of its rows of those steps
 * ("reset": false). C = 0 (just subscribed, or after an error) gets the
 * whole history ("reset": true).
 * Then the cursor is E. A client that skips a tick (busy) keeps its
 * cursor, so its next message covers all it missed: the rows a client
 * holds are always those the query API would answer.
 *
 * Bounds: at most max_shapes distinct shapes (a roll-up over it is refused
 * with an error message); every answer is bounded as the query's
 * (max_series matching series, ROLLUP_MAX_CELLS groups x steps); while the
 * live frames hold more than push_buffer bytes, new messages wait for a
 * later tick (the cursors stay). A refused roll-up is told once with an
 * error message, and retried each tick from a snapshot.
 *
 * Pure (store and frames, no I/O), single-threaded (the service thread).
 */
#ifndef SPIDER_PUSH_LIVEROLL_H
#define SPIDER_PUSH_LIVEROLL_H

#include <stddef.h>
#include <stdint.h>

#include "../store/store.h"
#include "control.h"
#include "frame.h"

typedef struct liveroll liveroll_t;
typedef struct liveroll_shape liveroll_shape_t;

/* Why a roll-up message was an error, for /metrics. */
typedef enum liveroll_refusal {
    LIVEROLL_REFUSED_SHAPES, /* more distinct shapes than max_shapes */
    LIVEROLL_REFUSED_SERIES, /* the selector matches more than max_series */
    LIVEROLL_REFUSED_QUERY,  /* the regex budget, or groups x steps */
    LIVEROLL_REFUSED_COUNT
} liveroll_refusal_t;

/* One roll-up of a client. Plain data. */
typedef struct liveroll_sub {
    liveroll_shape_t *shape; /* NULL: refused when subscribing (over max_shapes) */
    frame_t *notice;         /* the refusal of a NULL shape, until sent */
    uint32_t cursor;         /* every change up to this epoch sent; 0: a snapshot is due */
    int64_t sent_ms;         /* the tick time of that message (its open step was partial) */
    uint8_t told;            /* its current error was sent */
} liveroll_sub_t;

/* A client's roll-ups, in the order it asked for them. */
typedef struct liveroll_client {
    unsigned n;
    liveroll_sub_t sub[CONTROL_MAX_ROLLUPS];
} liveroll_client_t;

/* The counters, never reset. */
typedef struct liveroll_stats {
    uint64_t shapes;   /* shapes subscribed to now (a gauge) */
    uint64_t encoded;  /* messages encoded (each shared by the clients at one cursor) */
    uint64_t deferred; /* messages put off because push_buffer was full */
    uint64_t refused[LIVEROLL_REFUSED_COUNT]; /* refusals told to clients, by reason */
} liveroll_stats_t;

/* A registry. live_bytes (the push buffer's gauge) must outlive it;
 * headroom is reserved in front of each frame (LWS_PRE). */
liveroll_t *liveroll_new(size_t max_shapes, size_t max_series, uint64_t push_buffer,
                         uint64_t *live_bytes, size_t headroom);
void liveroll_free(liveroll_t *lr);

/* Replaces c's roll-ups with those m asks for; history_ms is what each
 * snapshot covers (the client's window_s, clipped to the store's window).
 * Every roll-up starts with a snapshot. O(shapes) per roll-up. */
void liveroll_set(liveroll_t *lr, liveroll_client_t *c, const control_msg_t *m, int64_t history_ms);

/* Drops c's roll-ups (a client leaving); c is empty after. */
void liveroll_clear(liveroll_t *lr, liveroll_client_t *c);

/* Starts a tick: the store as of epoch (just closed with store_close_epoch)
 * at wall time now_ms. Call liveroll_end() before the next. */
void liveroll_begin(liveroll_t *lr, store_t *store, uint32_t epoch, int64_t now_ms);

/* Fills out[0..max) with references to c's roll-up messages of this tick
 * and moves its cursors; returns how many. The caller owns the references
 * (frame_unref each after sending). */
size_t liveroll_client(liveroll_t *lr, liveroll_client_t *c, frame_t **out, size_t max);

/* Ends the tick: drops its encoded messages (clients keep their references). */
void liveroll_end(liveroll_t *lr);

const liveroll_stats_t *liveroll_stats(const liveroll_t *lr);

#endif
