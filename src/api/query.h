/* query.h - the read side of the HTTP API (GET /api/v1/series[/NAME]).
 *
 * Answers are built in memory from the store (bounded by the window and the
 * raw retention of one series). Pure (no I/O), service thread only.
 */
#ifndef SPIDER_API_QUERY_H
#define SPIDER_API_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "../core/selector.h"
#include "../core/slice.h"
#include "../store/store.h"

/* Seconds over which the list's rate_per_s is measured: recent enough to be
 * "now", long enough to smooth one-per-second posting. */
#define QUERY_RATE_SECONDS 10

/* One decoded "key=value" of a query string. */
typedef struct query_arg {
    slice_t key, value;
} query_arg_t;

/* GET /api/v1/series[?match=SELECTOR]: every series (sorted by name), or
 * those the selector matches (NULL: all), with window statistics. Returns
 * 200, or 400 when a regex ran out of its budget (core/selector.h). */
int query_series_list(store_t *store, selector_t *match, int64_t now_ms, buf_t *out);

/* The error text when a selector's regex runs out of its budget. */
#define QUERY_REGEX_BUDGET                                                                         \
    "the selector's regular expression is too costly (over its match budget): simplify it"

/* GET /api/v1/series/NAME?since=MS&until=MS: per-second rows, raw points and
 * percentiles over the range. Returns 200, 400 (bad parameter: which and
 * why in the body) or 404 (no such series). */
int query_series_get(store_t *store, slice_t name, const query_arg_t *args, size_t n_args,
                     int64_t now_ms, buf_t *out);

/* A time parameter (since, until): unix milliseconds, "now", or a
 * duration before now, "-15m" (units_parse_duration: ms, s, m, h). 0, or
 * -1 if it is none of those. */
int query_parse_time(slice_t v, int64_t now_ms, int64_t *out);

/* The error text for a bad time parameter. */
#define QUERY_TIME_SYNTAX                                                                          \
    "must be unix milliseconds, now, or a duration before now such as -15m (ms, s, m, h)"

/* Writes {"error": message} (plus optional "param") for an error answer. */
void query_write_error(buf_t *out, const char *message, const char *param);

#endif
