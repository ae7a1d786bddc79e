/* fanout.h - which detail pieces each live client gets at a push tick.
 *
 * Every tick closes a store epoch (store_close_epoch). A client's cursor
 * says up to which epoch it has received every change of the series it
 * subscribed to. Its update carries, per subscribed series in name order,
 * the detail message (push/detail) of the seconds changed since its cursor;
 * once a pass over all its series is complete, the cursor moves to the
 * epoch at which that pass started. A pass that does not fit one update
 * (--max-update bytes, FANOUT_MAX_PIECES messages, or the --push-buffer
 * budget) resumes at the next tick exactly where it stopped, so a client
 * that skips ticks or loads a long history gets every second, oldest first,
 * without gaps. Seconds changed during a pass are sent again in the next
 * one: the client replaces them (docs/protocol.md).
 *
 * A piece is identified by (series, cursor epoch, first second, reset) and
 * encoded at most once per tick: all clients at the same cursor share one
 * refcounted frame. Clients that keep up are all at the same cursor, so
 * encoding costs O(series changed), not O(clients).
 *
 * Pure (store + frames, no I/O), single-threaded.
 */
#ifndef SPIDER_PUSH_FANOUT_H
#define SPIDER_PUSH_FANOUT_H

#include <stddef.h>
#include <stdint.h>

#include "../store/store.h"
#include "frame.h"
#include "subs.h"

/* Most detail messages in one update (the rest follow at the next ticks). */
#define FANOUT_MAX_PIECES 64

/* Default history of a snapshot when the subscribe message names none. */
#define FANOUT_WINDOW_DEFAULT_S 300

/* One client's position in the change stream. Plain data, ~240 bytes. */
typedef struct fanout_cursor {
    uint32_t epoch;      /* every change up to this epoch was sent; 0: a snapshot is due */
    uint32_t walk_epoch; /* the tick epoch the pass in progress started at */
    int walking;         /* 1 while a pass is in progress */
    int64_t from_ms;     /* a snapshot covers seconds from here */
    /* Where the pass resumes: at the first series named >= resume. When
     * resume_ms is not INT64_MIN, that series itself is partly sent:
     * continue it from second resume_ms, without reset. */
    int64_t resume_ms;
    uint8_t resume_len;
    char resume[CONTROL_NAME_MAX];
} fanout_cursor_t;

typedef struct fanout_piece fanout_piece_t;

/* The state of the fan-out across ticks (its piece table is reused). */
typedef struct fanout {
    /* Settings. */
    size_t max_update;    /* detail bytes per update (a piece may exceed it by one second) */
    uint64_t push_buffer; /* live piece bytes allowed in total */
    uint64_t *live_bytes; /* the gauge of live piece bytes (frames count into it) */
    size_t headroom;      /* bytes reserved before each frame's payload (LWS_PRE) */
    /* This tick. */
    store_t *store;
    uint32_t epoch;
    const series_t **sorted; /* every series by name, for "*" clients (made on demand) */
    size_t nsorted;
    fanout_piece_t *table; /* open addressing, cap a power of two */
    size_t cap, used;
    /* Counters, never reset. */
    uint64_t pieces_encoded; /* detail messages encoded */
    uint64_t deferred;       /* updates whose detail waited for --push-buffer */
} fanout_t;

/* Sets f up; live_bytes must outlive it. */
void fanout_init(fanout_t *f, size_t max_update, uint64_t push_buffer, uint64_t *live_bytes,
                 size_t headroom);
void fanout_dispose(fanout_t *f);

/* Starts a tick: closes a store epoch. Call fanout_end() before the next. */
void fanout_begin(fanout_t *f, store_t *store);

/* Drops this tick's piece table (clients keep their own references). */
void fanout_end(fanout_t *f);

/* A (re)subscription: the next update starts a snapshot of window_s
 * seconds before now_ms (window_s < 0: FANOUT_WINDOW_DEFAULT_S). */
void fanout_cursor_reset(fanout_cursor_t *cur, int64_t now_ms, int window_s);

/* Fills out[0..max) with references to the detail frames of the client's
 * next update and moves its cursor; returns how many. The caller owns the
 * references (frame_unref each after sending). */
size_t fanout_client(fanout_t *f, const subs_t *subs, fanout_cursor_t *cur, frame_t **out,
                     size_t max);

#endif
