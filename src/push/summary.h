/* summary.h - the per-tick summary of every series, for live dashboards.
 *
 * Every connected dashboard gets this each push interval: one row per series
 * (name, rate/s, count, p50, p99, max) over the last SUMMARY_SECONDS closed
 * seconds, so it reads as "now". Encoded once per (sub-)tick and shared by
 * all clients it goes to (push/frame). Pure: reads the store, writes JSON into a buf_t.
 * The message format is in docs/protocol.md.
 */
#ifndef SPIDER_PUSH_SUMMARY_H
#define SPIDER_PUSH_SUMMARY_H

#include <stdint.h>

#include "../core/buf.h"
#include "../store/store.h"

/* Closed seconds a summary row covers. */
#define SUMMARY_SECONDS 10

/* Server figures a dashboard shows in its footer. */
typedef struct summary_server {
    int64_t clients;     /* live dashboards connected */
    double ingest_per_s; /* samples accepted per second since the previous tick */
} summary_server_t;

/* Appends the update message of tick `seq` at wall time now_ms to out:
 * {"type":"update","seq":..,"now_ms":..,"server":{"clients":..,"ingest_per_s":..},
 *  "summary":{"seconds":10,"columns":[...],"rows":[[name,rate,count,p50,p99,max],...]}}
 * Rows are sorted by name. Series with no sample in those seconds are listed
 * with count 0 (they are alive in the window), so a dashboard's list stays
 * stable. Cost: O(series x SUMMARY_SECONDS x buckets). */
void summary_encode(store_t *store, uint64_t seq, int64_t now_ms, const summary_server_t *server,
                    buf_t *out);

/* The rows of the last encoding, kept for the next ones: the push encodes
 * a summary at every sub-tick (push/stagger.h), up to 10 a second, and the
 * rows cost O(series) histogram merges. They are reused while they cannot
 * have changed: the same closed seconds, and store_summary_gen() unmoved
 * (no series created or removed, no sample into a closed second). */
typedef struct summary_cache {
    buf_t rows;
    int64_t until_ms; /* the end of the seconds the rows cover */
    uint64_t gen;     /* store_summary_gen() when they were encoded */
    int valid;
    uint64_t encodes; /* how often the rows were computed (tests, metrics) */
} summary_cache_t;

void summary_cache_init(summary_cache_t *c);
void summary_cache_dispose(summary_cache_t *c);

/* summary_encode(), with the rows taken from c when still valid. */
void summary_encode_cached(store_t *store, summary_cache_t *c, uint64_t seq, int64_t now_ms,
                           const summary_server_t *server, buf_t *out);

#endif
