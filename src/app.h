/* app.h - the state shared by the server's parts on the service thread.
 *
 * One app_t per process, owned by server.c, reachable from any lws callback
 * through lws_context_user(). Everything here is touched only by the one
 * service thread, so nothing is locked.
 */
#ifndef SPIDER_APP_H
#define SPIDER_APP_H

#include "api/metrics.h"
#include "core/buf.h"
#include "config.h"
#include "core/auth.h"
#include "core/hostallow.h"
#include "net/snapfile.h"
#include "push/fanout.h"
#include "push/stagger.h"
#include "push/summary.h"
#include "store/store.h"

struct http_conn;
struct ws_client;

typedef struct app {
    config_t cfg;
    /* The Host names answered (http_policy, the WebSocket upgrade). */
    hostallow_t hosts;
    /* The access tokens of the doors (core/auth.h): http_policy, the
     * WebSocket upgrade and the OTLP port all ask auth_check. */
    auth_t auth;
    store_t *store;
    metrics_t metrics;
    /* Requests whose body is still arriving, checked against their absolute
     * deadline on every tick (lws only times out gaps between chunks). */
    struct http_conn *receiving;
    /* Content-Length of every body being received, in total: bounded by
     * --ingest-buffer, so uploads cannot grow the process without limit. */
    uint64_t receiving_bytes;
    /* Bytes of large answers still being written: bounded by
     * --answer-buffer, so clients that do not read cannot pin memory. */
    uint64_t answer_bytes;
    /* Requests started but not answered yet (for a graceful stop). */
    int requests_in_flight;
    /* Live WebSocket clients (http/ws.c). They are served in push_groups
     * groups, one group per sub-tick, so each push interval is
     * push_groups sub-ticks (push/stagger.h); push_seq counts intervals,
     * push_subtick sub-ticks, next_group deals new clients round robin. */
    struct ws_client *clients;
    uint64_t push_seq, push_subtick;
    unsigned push_groups, next_group;
    /* The detail pieces of the current tick; its live bytes are counted in
     * metrics.ws_push_bytes. */
    fanout_t fanout;
    /* The live roll-ups (shapes shared by clients, their messages of the tick). */
    struct liveroll *liveroll;
    /* The accepted-samples counter and time at each of the last
     * push_groups sub-ticks: the ingest rate the dashboards show is taken
     * over the last whole push interval. */
    uint64_t push_accepted[STAGGER_MAX_GROUPS];
    int64_t push_mono_ms[STAGGER_MAX_GROUPS];
    /* Where http/ws.c frames an update for its one write: reused, so it
     * grows to the largest update (about --max-update) and no further. */
    buf_t ws_batch;
    /* The summary rows, reused by the sub-ticks of one second. */
    summary_cache_t summary_cache;
    /* StatsD receive buffers (net/statsd_socket), NULL without StatsD. */
    struct statsd_rx *statsd;
    /* Connections of the OTLP port (net/otlp_port), for their deadlines;
     * adopting_listener is set while its listen socket is being adopted. */
    struct otlp_conn *otlp_conns;
    int otlp_adopting_listener;
    /* Cumulative OTLP histogram streams: their last counts (--otlp-streams). */
    struct otlp_streams *otlp_streams;
    /* The data directory: snapshots written and restored (--data-dir). */
    snapfile_t snap;
} app_t;

#endif
