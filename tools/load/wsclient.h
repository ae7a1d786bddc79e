/* wsclient.h - one simulated dashboard on GET /ws.
 *
 * Three kinds: LIVE reads everything as soon as it arrives; SLOW reads at
 * most --slow-rate bytes per second from a small receive buffer; STALLED
 * completes the handshake and then never reads again (small receive
 * buffer), waiting to be cut off by the server's stall timeout.
 *
 * The stream is processed as it arrives and never held whole: frame headers
 * are reassembled in 14 bytes, the first WS_HEAD_MAX bytes of each message
 * are kept to classify it (type, seq, now_ms), and LIVE dashboards scan the
 * payload for probe names on the way. So a dashboard costs ~600 bytes
 * however large the updates are, and 10,000 of them fit in a few MiB.
 * Server frames are input: malformed ones close the connection (counted).
 *
 * Opaque handle; wsclient_new/wsclient_free; single-threaded (the loop).
 */
#ifndef SPIDER_LOAD_WSCLIENT_H
#define SPIDER_LOAD_WSCLIENT_H

#include <stdint.h>

#include "loop.h"
#include "net.h"
#include "probe.h"
#include "stats.h"

enum ws_kind { WS_LIVE, WS_SLOW, WS_STALLED, WS_KINDS };

/* Figures of all dashboards of one kind (plain value, zeroed by init). */
typedef struct dash_figures {
    uint64_t started, opened, open_now;
    uint64_t connect_failed, refused, handshake_failed;
    uint64_t hellos, updates, others, binary, pings, bytes;
    uint64_t rollups; /* "rollup" messages (live roll-ups), also in others */
    uint64_t max_update_bytes;
    uint64_t missed_ticks, clients_missed, seq_backwards;
    uint64_t closed_reset, closed_eof, closed_frame, protocol_errors;
    int64_t max_gap_us;            /* longest time between updates, any dashboard */
    int64_t push_interval_ms;      /* from the hello */
    stats_hist_t gap;              /* between consecutive updates */
    stats_hist_t lag;              /* client wall clock minus the update's now_ms */
    stats_hist_t close_after_data; /* closed: time since data last arrived */
    stats_hist_t close_after_stop; /* closed: time since it stopped reading */
} dash_figures_t;

void dash_figures_init(dash_figures_t *f);

/* What all dashboards share. The read buffer is one for the process: a
 * dashboard's bytes are processed before the next read. */
typedef struct ws_env {
    loop_t *loop;
    const net_addr_t *addr;
    probe_t *probe;        /* NULL: no probes */
    const char *subscribe; /* JSON text live dashboards send once, or NULL */
    int rcvbuf;            /* SO_RCVBUF of slow and stalled dashboards */
    double slow_rate;      /* bytes per second */
    uint8_t *rx;
    size_t rx_cap;
} ws_env_t;

typedef struct wsclient wsclient_t;

wsclient_t *wsclient_new(ws_env_t *env, int kind, dash_figures_t *fig);
void wsclient_free(wsclient_t *c);
/* Starts the connection (counted in fig->started / connect_failed). */
void wsclient_start(wsclient_t *c, int64_t now_us);
/* Periodic work: a SLOW dashboard reads what its rate allows since the
 * last call. Cheap no-op for the other kinds. */
void wsclient_tick(wsclient_t *c, int64_t now_us);
/* End of the run: folds the gap still open into max_gap and closes. */
void wsclient_finish(wsclient_t *c, int64_t now_us);
/* True while the WebSocket is open. */
int wsclient_is_open(const wsclient_t *c);
/* Updates this dashboard received. */
uint64_t wsclient_updates(const wsclient_t *c);

#endif
