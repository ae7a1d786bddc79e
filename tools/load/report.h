/* report.h - what spider-load prints: a progress line per second, the
 * summary at the end, and every figure as JSON (--json FILE).
 */
#ifndef SPIDER_LOAD_REPORT_H
#define SPIDER_LOAD_REPORT_H

#include <stdio.h>

#include "check.h"
#include "figures.h"
#include "options.h"

/* Counters at the previous progress line (rates are differences). */
typedef struct report_prev {
    double t_s;
    uint64_t accepted, posts, failed;
    uint64_t updates[WS_KINDS], bytes[WS_KINDS];
    uint64_t statsd_lines, statsd_datagrams;
    uint64_t otlp_spans_ok, otlp_requests;
} report_prev_t;

/* One line: the last second's rates, post latency of that second (second
 * is reset by the caller), dashboards, probes (these only when the run has
 * such clients or nothing else), the StatsD sender, the OTLP posters
 * (otlp_second: their latency in that second), the server. */
void report_progress(FILE *out, const load_figures_t *f, const stats_hist_t *second,
                     const stats_hist_t *otlp_second, report_prev_t *prev);
/* The summary after the run, then the checks. */
void report_summary(FILE *out, const load_opts_t *o, const load_figures_t *f,
                    const check_result_t *checks, int nchecks);
/* Writes every figure to path. 0 or SPIDER_EIO. */
int report_json(const char *path, const load_opts_t *o, const load_figures_t *f,
                const check_result_t *checks, int nchecks);

#endif
