/* rollup.h - GET /api/v1/rollup: exact roll-ups across any set of series.
 *
 *     GET /api/v1/rollup?match=SELECTOR&by=LABEL[,LABEL]&since=&until=&step=
 *
 * The series the selector matches (core/selector.h) are put in groups by
 * the values of the `by` labels (none: one group; a series without a label
 * has "" for it; `__name__` groups by name), and for each group, over the
 * whole range and per step, their per-second histograms are merged into one
 * (store/hist.h: adding bucket counts), never averaged: count, rate, sum,
 * min and max are exact, and p50, p90, p99, p99.9 come from the merged
 * histogram, within 0.78% of the exact quantiles of all the samples
 * together, as for one series.
 *
 * Steps are aligned to multiples of the step since the epoch (a repeated
 * query gets the same buckets), whole seconds (the store's resolution), 1 s
 * and up; without `step`, the smallest of 1 s, 2 s, 5 s, 10 s, 15 s, 30 s,
 * 1 m, 2 m, 5 m, 10 m, 15 m, 30 m, 1 h, 2 h ... that gives at most
 * ROLLUP_TARGET_STEPS steps. Steps without samples are left out. since and
 * until take unix ms, `now` or a duration before now (`-15m`); the default
 * is the whole window.
 *
 * Bounds: at most max_series matching series (--max-rollup-series; over
 * it, 400 saying so: the caller counts it as rollup_limit), at most
 * ROLLUP_BY_MAX labels in `by`, and groups x steps at most ROLLUP_MAX_CELLS
 * (400: use a larger step or fewer groups), so an answer is at most about
 * 10 MB before --answer-buffer applies. Cost: O(matching series x (steps +
 * their seconds in the range) x buckets). Pure (no I/O), service thread.
 */
#ifndef SPIDER_API_ROLLUP_H
#define SPIDER_API_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "../core/selector.h"
#include "../store/store.h"
#include "query.h"

#define ROLLUP_TARGET_STEPS 300
#define ROLLUP_MAX_CELLS    100000
#define ROLLUP_BY_MAX       SELECTOR_BY_MAX

/* Why a roll-up was refused, for the caller's counters. */
typedef enum rollup_refusal {
    ROLLUP_OK,
    ROLLUP_BAD_QUERY,    /* a parameter, the regex budget or groups x steps: see the message */
    ROLLUP_SERIES_LIMIT, /* more matching series than max_series */
} rollup_refusal_t;

/* A roll-up to run: what to merge and how. Plain data; the caller owns
 * the compiled selector (selector_free) and the bytes the slices borrow. */
typedef struct rollup_req {
    selector_t match;
    slice_t match_text;        /* echoed in the answer */
    slice_t by[ROLLUP_BY_MAX]; /* label names to group by */
    size_t n_by;
    int64_t since_ms, until_ms, step_ms; /* step: whole seconds */
} rollup_req_t;

/* A refusal: which parameter, and why in English. */
typedef struct rollup_error {
    rollup_refusal_t why;
    const char *param;
    char message[192];
} rollup_error_t;

/* The default step of a range: the smallest "round" one (1 s, 2 s, 5 s,
 * 10 s, 15 s, 30 s, 1 m ...) giving at most ROLLUP_TARGET_STEPS steps. */
int64_t rollup_default_step(int64_t range_ms);

/* Runs req at now_ms over the series all[0..n_all) (any order; at most
 * max_series may match) and appends the answer object (docs/protocol.md,
 * "Roll-up") to out. changed_after 0: the whole range. An epoch E > 0
 * (store_close_epoch): only the steps from the first one holding a second
 * of a matching series changed after E, or from the step holding open_ms
 * if that is earlier, to until_ms; the answer's since_ms says where they
 * start. (A live roll-up passes the time of its previous answer as
 * open_ms: the step that was open then had its rate taken over its part
 * up to then.) On a refusal nothing is written and *err says why. Resets
 * the selector's regex budget first. Reads only. */
rollup_refusal_t rollup_run(const store_t *store, const series_t *const *all, size_t n_all,
                            rollup_req_t *req, int64_t now_ms, size_t max_series,
                            uint32_t changed_after, int64_t open_ms, buf_t *out,
                            rollup_error_t *err);

/* Answers the roll-up the query args ask for at now_ms into out. Returns
 * the HTTP status (200 or 400) and sets *why. */
int query_rollup(store_t *store, const query_arg_t *args, size_t n_args, int64_t now_ms,
                 size_t max_series, buf_t *out, rollup_refusal_t *why);

#endif
