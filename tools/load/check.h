/* check.h - the pass/fail checks of a run (soak and regression tests).
 *
 * Each --check-* option turns one check on. check_eval() judges the
 * figures and says, per check, what was measured against what bound, so a
 * failing soak names the check and the numbers.
 */
#ifndef SPIDER_LOAD_CHECK_H
#define SPIDER_LOAD_CHECK_H

#include "figures.h"
#include "options.h"

#define CHECK_MAX 12

typedef struct check_result {
    const char *name;
    int pass;
    char detail[400];
} check_result_t;

/* Fills out[0..*n) with the enabled checks; returns how many failed. */
int check_eval(const load_opts_t *o, const load_figures_t *f, check_result_t *out, int *n);

/* What the server saw of the StatsD lines, from its /metrics before and
 * after the run: received = the rise of
 * spider_samples_accepted_total{protocol="statsd"} (one per line), drops =
 * the rise of spider_statsd_kernel_drops_total, loss = 1 - received / sent.
 * Unknown figures have their have_ flag 0, and why says why. */
typedef struct statsd_seen {
    int have_received, have_drops, have_loss;
    double received, drops, loss;
    char why[200];
} statsd_seen_t;

void check_statsd_seen(const load_figures_t *f, statsd_seen_t *out);

/* The RSS bound of --check-rss-max for these figures: the fixed part, plus
 * per connection the allowance and the largest update seen (what the
 * server may hold of a partly written update per client). 0 when off. */
uint64_t check_rss_bound(const load_opts_t *o, const load_figures_t *f);

#endif
