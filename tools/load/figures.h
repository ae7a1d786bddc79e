/* figures.h - everything one run of spider-load measured.
 *
 * Plain values filled by run.c and read by report.c and check.c. The only
 * growing part is the server's per-second samples, bounded by the run's
 * duration (at most 24 h: 86,400 samples).
 */
#ifndef SPIDER_LOAD_FIGURES_H
#define SPIDER_LOAD_FIGURES_H

#include <stdint.h>

#include "poster.h"
#include "probe.h"
#include "scrape.h"
#include "sdsend.h"
#include "stats.h"
#include "wsclient.h"

typedef struct server_sample {
    double t_s; /* seconds since the start of the run */
    uint64_t rss_bytes;
    double cpu_pct; /* of one core, over the last interval */
} server_sample_t;

typedef struct load_figures {
    double elapsed_s;
    int stopped_by_signal;
    /* posts (batch posters and the probe poster) */
    uint64_t posts_ok, posts_failed, post_fail[POST_FAIL_KINDS];
    uint64_t status_4xx, status_503, status_5xx;
    uint64_t samples_accepted, samples_rejected, posts_late, post_connects;
    stats_hist_t post_latency;
    /* dashboards */
    dash_figures_t dash[WS_KINDS];
    uint64_t updates_min[WS_KINDS], updates_max[WS_KINDS];
    int dashboards_wanted[WS_KINDS];
    uint64_t connections; /* posters + probe poster + dashboards opened */
    /* probes */
    probe_figures_t probe;
    int64_t probe_interval_ms;
    int http_clients; /* posters + dashboards + the probe poster, configured */
    /* the StatsD sender */
    int statsd_on;
    char statsd_target[300];
    size_t statsd_longest, statsd_max_bytes; /* bytes of a datagram */
    sdsend_counts_t statsd;
    /* the OTLP posters */
    int otlp_on;
    char otlp_target[300];
    uint64_t otlp_ok, otlp_failed, otlp_fail[POST_FAIL_KINDS], otlp_late, otlp_connects;
    uint64_t otlp_status[600];    /* answers by HTTP status, 200 included */
    uint64_t otlp_spans_posted;   /* in requests written, answered or not */
    uint64_t otlp_spans_ok;       /* in requests answered 200 */
    uint64_t otlp_spans_rejected; /* partial_success.rejected_spans, summed */
    stats_hist_t otlp_latency;
    /* the server's counters (GET /metrics) before and after the run */
    int metrics_on;
    scrape_t scrape_start, scrape_end;
    /* the server, with --pid */
    int have_server, server_gone;
    server_sample_t *samples;
    int nsamples, samples_cap;
    uint64_t rss_max, rss_start, rss_end;
    double rss_slope_bpm; /* least squares over the second half, bytes/min */
    double cpu_avg_pct, cpu_max_pct;
} load_figures_t;

#endif
