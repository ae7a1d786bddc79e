/* prom.h - the per-series histograms of /metrics (Prometheus text format 0.0.4).
 *
 * Every series becomes one classic histogram of the family
 * `spider_latency_seconds`, cumulative since the series was created (the
 * store counts every accepted sample into fixed `le` buckets as it records
 * it: store_config_t.le_ms, --metrics-buckets):
 *
 *     spider_latency_seconds_bucket{series="http.req",route="/pay",le="0.005"} 12
 *     ...
 *     spider_latency_seconds_bucket{series="http.req",route="/pay",le="+Inf"} 240
 *     spider_latency_seconds_sum{series="http.req",route="/pay"} 3.25
 *     spider_latency_seconds_count{series="http.req",route="/pay"} 240
 *
 * Why one family with the name in a label, not one metric per name:
 * Spider's names are free text (`GET /users/{id}`, `checkout.pay`) and a
 * metric name may hold only [a-zA-Z_:][a-zA-Z0-9_:]*; mangling would let
 * two names collide, and one family lets one Grafana query cover every
 * series (`histogram_quantile(0.99, sum by (le, series)
 * (rate(spider_latency_seconds_bucket[5m])))`). The series' own labels
 * follow as they are (their names are valid Prometheus label names by the
 * key rules); a series label named `series` or `le` is written as
 * `exported_series` / `exported_le` (Prometheus' convention for clashes),
 * with more `exported_` prefixes should that clash too. Values are escaped
 * as the format wants (\\ \" \n): no user string can break a line.
 *
 * A series that left the window (no samples in it) is gone from the store
 * and from here; if it comes back its counters start again from 0, which
 * Prometheus' rate() reads as a reset. Pure, service thread.
 */
#ifndef SPIDER_API_PROM_H
#define SPIDER_API_PROM_H

#include "../core/buf.h"
#include "../core/selector.h"
#include "../store/store.h"

/* Appends the family (HELP, TYPE and every series the selector matches,
 * NULL: all, in name order) to out. Returns 0, or -1 if the selector's
 * regex ran out of its budget (out then holds what was written before). */
int prom_write_series(buf_t *out, store_t *store, selector_t *match);

#endif
