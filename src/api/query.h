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
#include "../core/slice.h"
#include "../store/store.h"

/* Seconds over which the list's rate_per_s is measured: recent enough to be
 * "now", long enough to smooth one-per-second posting. */
#define QUERY_RATE_SECONDS 10

/* One decoded "key=value" of a query string. */
typedef struct query_arg {
    slice_t key, value;
} query_arg_t;

/* GET /api/v1/series: every series (sorted by name) with window statistics.
 * Returns the HTTP status (200). */
int query_series_list(store_t *store, int64_t now_ms, buf_t *out);

/* GET /api/v1/series/NAME?since=MS&until=MS: per-second rows, raw points and
 * percentiles over the range. Returns 200, 400 (bad parameter: which and
 * why in the body) or 404 (no such series). */
int query_series_get(store_t *store, slice_t name, const query_arg_t *args, size_t n_args,
                     int64_t now_ms, buf_t *out);

/* Writes {"error": message} (plus optional "param") for an error answer. */
void query_write_error(buf_t *out, const char *message, const char *param);

#endif
