/* metrics.h - Spider's counters and their Prometheus text rendering.
 *
 * One metrics_t lives in the server and is passed by pointer to the code that
 * counts (ingest, HTTP limits). Plain struct of monotonically increasing
 * counters: single-threaded (the service thread), so no atomics. Every limit
 * Spider enforces has a counter here, so an operator sees when one binds.
 */
#ifndef SPIDER_API_METRICS_H
#define SPIDER_API_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/auth.h"
#include "../core/buf.h"
#include "../ingest/sink.h"
#include "../ingest/statsd_feed.h"
#include "../push/liveroll.h"
#include "../store/store.h"

/* HTTP-level refusals, each the result of a limit or a protocol rule. */
typedef enum http_refusal {
    HTTP_REFUSED_BAD_JSON,         /* 400: body is not a valid batch */
    HTTP_REFUSED_BAD_OTLP,         /* 400: an OTLP body that does not decode (or bad gzip) */
    HTTP_REFUSED_BAD_QUERY,        /* 400: bad query parameter */
    HTTP_REFUSED_NOT_FOUND,        /* 404 */
    HTTP_REFUSED_METHOD,           /* 405 */
    HTTP_REFUSED_LENGTH_REQUIRED,  /* 411: no Content-Length / chunked body */
    HTTP_REFUSED_TOO_LARGE,        /* 413: over --max-body */
    HTTP_REFUSED_MEDIA_TYPE,       /* 415 */
    HTTP_REFUSED_BODY_TIMEOUT,     /* connection closed: body not complete within --body-timeout */
    HTTP_REFUSED_BUSY,             /* 503: --ingest-buffer full of bodies being received */
    HTTP_REFUSED_ANSWER_BUSY,      /* 503: --answer-buffer full of answers being written */
    HTTP_REFUSED_ANSWER_TOO_LARGE, /* 400: one answer larger than --answer-buffer */
    HTTP_REFUSED_PIPELINED,        /* 503 or closed: pipelined where lws cannot parse it */
    HTTP_REFUSED_HOST,             /* 421/400: a Host that does not name this server, or none */
    HTTP_REFUSED_BAD_HEADER,       /* 400: a malformed header that lws would let through */
    HTTP_REFUSED_ROLLUP_LIMIT,     /* 400: a roll-up over --max-rollup-series */
    HTTP_REFUSED_COUNT
} http_refusal_t;

/* Why a WebSocket upgrade was refused. */
typedef enum ws_refusal {
    WS_REFUSED_PATH,        /* 404: upgrade to another path than /ws */
    WS_REFUSED_ORIGIN,      /* 403: Origin not allowed */
    WS_REFUSED_MAX_CLIENTS, /* 503: --max-clients reached */
    WS_REFUSED_HOST,        /* 421/400: a Host that does not name this server, or none */
    WS_REFUSED_TOKEN,       /* 401: no or a wrong view token (also in auth_refused) */
    WS_REFUSED_COUNT
} ws_refusal_t;

/* What became of OTLP metric data points that were not refused. */
typedef enum metrics_otlp_point {
    METRICS_OTLP_RECORDED,     /* a histogram point whose samples went to the store */
    METRICS_OTLP_BASELINE,     /* a cumulative point that only set its stream's baseline */
    METRICS_OTLP_EMPTY,        /* a histogram point with no samples */
    METRICS_OTLP_NO_VALUE,     /* flagged "no recorded value" */
    METRICS_OTLP_NOT_DURATION, /* a histogram whose unit is not a duration */
    METRICS_OTLP_GAUGE,        /* gauge, sum and summary points: not latencies */
    METRICS_OTLP_SUM,
    METRICS_OTLP_SUMMARY,
    METRICS_OTLP_POINT_KINDS
} metrics_otlp_point_t;

typedef struct metrics {
    uint64_t http_requests; /* requests whose headers were complete */
    /* connections closed before any complete request head (header timeout) */
    uint64_t http_closed_without_request;
    int64_t http_connections;          /* gauge: open connections that are not dashboards */
    uint64_t http_connections_refused; /* connections closed at accept: --max-connections */
    /* Set at start (server.c): "epoll" or "poll" (net/evloop.h), and the
     * open-files limit against what the configuration needs (core/fdlimit.h). */
    const char *event_loop;
    uint64_t open_files_limit, open_files_needed;
    uint64_t reloads_ok, reloads_failed; /* SIGHUP: tokens and certificates read again */
    uint64_t ingest_requests;            /* POST /api/v1/points that were parsed */
    uint64_t ingest_bytes;               /* body bytes of those */
    uint64_t otlp_requests[2];           /* OTLP exports that decoded: [0] traces, [1] metrics */
    uint64_t otlp_bytes[2];              /* their body bytes, after gunzip */
    uint64_t otlp_points[METRICS_OTLP_POINT_KINDS]; /* OTLP metric data points, by outcome */
    int64_t otlp_streams;          /* gauge: cumulative streams held (set before rendering) */
    int64_t otlp_stream_bytes;     /* gauge: their memory */
    uint64_t otlp_pipelined_bytes; /* OTLP port: bytes read past a request, kept for the next */
    ingest_counts_t ingest;        /* samples accepted and refused, by protocol and reason */
    /* StatsD input. */
    statsd_counts_t statsd;         /* datagrams, bytes, lines, ignored by type */
    uint64_t statsd_kernel_drops;   /* datagrams the kernel dropped: receive buffer full */
    uint64_t statsd_truncated;      /* datagrams longer than the receive buffer: dropped */
    uint64_t statsd_receive_errors; /* recvmmsg() failures other than "nothing waiting" */
    uint64_t http_refused[HTTP_REFUSED_COUNT];
    /* Requests (and WebSocket upgrades, as view) refused for their token,
     * by door and result (AUTH_OK unused): [door][result]. */
    uint64_t auth_refused[AUTH_DOORS][AUTH_RESULTS];
    int64_t started_wall_ms;
    /* Live push. */
    int64_t ws_clients;          /* gauge: connected dashboards */
    uint64_t ws_updates_sent;    /* updates (summary + detail) queued for a client */
    uint64_t ws_messages_sent;   /* messages written: hello, summaries, detail messages */
    uint64_t ws_updates_skipped; /* ticks a client missed: its previous update had not left */
    uint64_t ws_bytes_sent;
    uint64_t ws_stall_closes;  /* clients closed after --stall-timeout without progress */
    uint64_t ws_ping_timeouts; /* clients closed silent for twice --ping-interval */
    uint64_t ws_bad_messages;  /* client messages closed with 1003/1007/1009 */
    uint64_t ws_refused[WS_REFUSED_COUNT];
    uint64_t ws_detail_encoded;  /* detail messages encoded (each shared by many clients) */
    uint64_t ws_detail_deferred; /* updates whose detail waited: --push-buffer was full */
    uint64_t ws_push_bytes;      /* gauge: bytes of detail messages alive (--push-buffer) */
    liveroll_stats_t ws_rollups; /* live roll-ups (push/liveroll), copied at each tick */
} metrics_t;

/* Stable snake_case label values, e.g. "bad_json" (reject reasons:
 * ingest_reject_label() in ingest/sink.h). */
const char *metrics_refusal_label(http_refusal_t r);
const char *metrics_ws_refusal_label(ws_refusal_t r);

/* Samples accepted by every protocol, e.g. for the live ingest rate. */
uint64_t metrics_samples_accepted(const metrics_t *m);

/* Appends the Prometheus text exposition of m and the store's figures to out. */
void metrics_render(const metrics_t *m, const store_stats_t *store, buf_t *out);

#endif
