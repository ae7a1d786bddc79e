/* ingest.h - POST /api/v1/points: a parsed batch applied to the store.
 *
 * Glue between the parser (ingest/points) and the ingest door (ingest/sink,
 * which checks keys, stamps, counts and stores), and the JSON answer. Pure
 * (no I/O), service thread.
 */
#ifndef SPIDER_API_INGEST_H
#define SPIDER_API_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "../store/store.h"
#include "metrics.h"

/* How many per-sample errors the 200 answer details (the rest are counted). */
#define INGEST_MAX_ERRORS 10

/* Applies body (p, n) to store at wall time now_ms and writes the answer to
 * out. Returns the HTTP status: 200 (some or all samples kept, rejects
 * explained) or 400 (malformed: nothing applied, error and byte offset). */
int ingest_handle(store_t *store, metrics_t *m, const char *p, size_t n, int64_t now_ms,
                  buf_t *out);

#endif
