/* run.h - one run of spider-load: set up the connections, drive them for
 * the duration, print a progress line per second, and collect figures.
 */
#ifndef SPIDER_LOAD_RUN_H
#define SPIDER_LOAD_RUN_H

#include <signal.h>

#include "figures.h"
#include "net.h"
#include "options.h"
#include "sdsend.h"

/* Where the run's clients go. */
typedef struct run_targets {
    const net_addr_t *http;    /* --server: posters, dashboards, the probe */
    const net_addr_t *otlp;    /* the OTLP posters' server */
    const net_addr_t *metrics; /* GET /metrics before and after; NULL: not read */
    sdsend_t *statsd;          /* the StatsD sender (started here), or NULL */
} run_targets_t;

/* Runs the load. Fills *f (the caller frees f->samples). *stop (set from a
 * signal handler) ends the run early. Returns 0, or SPIDER_EIO when the
 * server exited during the run (figures still filled). */
int run_load(const load_opts_t *o, const run_targets_t *t, volatile sig_atomic_t *stop,
             load_figures_t *f);

#endif
