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

#define CHECK_MAX 8

typedef struct check_result {
    const char *name;
    int pass;
    char detail[400];
} check_result_t;

/* Fills out[0..*n) with the enabled checks; returns how many failed. */
int check_eval(const load_opts_t *o, const load_figures_t *f, check_result_t *out, int *n);

/* The RSS bound of --check-rss-max for these figures: the fixed part, plus
 * per connection the allowance and the largest update seen (what the
 * server may hold of a partly written update per client). 0 when off. */
uint64_t check_rss_bound(const load_opts_t *o, const load_figures_t *f);

#endif
