/* sink.h - the one ingest door: every protocol's samples enter the store here.
 *
 * Parsers (ingest/points for JSON, ingest/statsd, ingest/otlp_trace) only
 * decode; the sink decides. It owns:
 *   - the series key: the name rule (core/seriesname.h) and labels in
 *     canonical form (core/serieskey.h), checked once per key;
 *   - time stamping (a sample without its own time gets the receive time)
 *     and the window check (the store's: too old, too far ahead);
 *   - the reasons a sample is refused: one enum, one phrase table, one
 *     label table, for every protocol;
 *   - the counters by protocol and reason that /metrics shows;
 *   - the store call.
 *
 * A key is prepared once (ingest_key_*), then used for every sample of that
 * series in the batch, so the per-sample cost is the store call.
 *
 * Pure (store + core), single-threaded: the service thread.
 */
#ifndef SPIDER_INGEST_SINK_H
#define SPIDER_INGEST_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "../core/serieskey.h"
#include "../core/slice.h"
#include "../store/store.h"

typedef enum ingest_protocol {
    INGEST_JSON,         /* POST /api/v1/points */
    INGEST_STATSD,       /* UDP and Unix datagrams */
    INGEST_OTLP,         /* POST /v1/traces */
    INGEST_OTLP_METRICS, /* POST /v1/metrics */
    INGEST_PROTOCOL_COUNT
} ingest_protocol_t;

/* Why a sample (or, for StatsD, a line that could not be read) was not kept. */
typedef enum ingest_reject {
    INGEST_OK = 0,
    INGEST_REJECT_BAD_NAME,         /* the name rule (core/seriesname.h) */
    INGEST_REJECT_BAD_LABELS,       /* the label rules (core/serieskey.h) */
    INGEST_REJECT_NEGATIVE,         /* duration < 0 */
    INGEST_REJECT_NOT_FINITE,       /* duration overflows a double */
    INGEST_REJECT_BAD_TIMESTAMP,    /* JSON: not a non-negative integer of unix ms */
    INGEST_REJECT_TOO_OLD,          /* before the window */
    INGEST_REJECT_TOO_NEW,          /* more than 60 s ahead */
    INGEST_REJECT_SERIES_LIMIT,     /* a new series over --max-series */
    INGEST_REJECT_MEMORY,           /* --memory-limit */
    INGEST_REJECT_BAD_VALUE,        /* StatsD: a value that is not a number */
    INGEST_REJECT_BAD_TYPE,         /* StatsD: no type, or an unknown one */
    INGEST_REJECT_BAD_RATE,         /* StatsD: a sample rate not in [1e-6, 1] */
    INGEST_REJECT_END_BEFORE_START, /* OTLP: a span that ends before it starts */
    INGEST_REJECT_BAD_HISTOGRAM,    /* OTLP metrics: counts, bounds or temporality inconsistent */
    INGEST_REJECT_HISTOGRAM_LIMIT,  /* OTLP metrics: more buckets or attributes than taken */
    INGEST_REJECT_STREAM_LIMIT,     /* OTLP metrics: a new cumulative stream over --otlp-streams */
    INGEST_REJECT_COUNT
} ingest_reject_t;

/* Counters of the door, rendered by api/metrics. */
typedef struct ingest_counts {
    uint64_t accepted[INGEST_PROTOCOL_COUNT];
    uint64_t rejected[INGEST_PROTOCOL_COUNT][INGEST_REJECT_COUNT]; /* [p][INGEST_OK] unused */
} ingest_counts_t;

/* The door for one batch (a request body, a drain of datagrams). */
typedef struct ingest_sink {
    store_t *store;
    ingest_counts_t *counts;
    ingest_protocol_t protocol;
    int64_t now_ms; /* receive time: the stamp of samples without their own */
} ingest_sink_t;

/* A checked series key. key points into buf or into the caller's input
 * (valid as long as that is); reject is INGEST_OK or why the key is refused
 * (then every sample of it is refused with that reason). */
typedef struct ingest_key {
    slice_t key;
    ingest_reject_t reject;
    char buf[SERIESNAME_MAX];
} ingest_key_t;

/* A key as sent in a JSON batch: a name, or name{labels} (read by
 * serieskey_canonical). (p, n) must outlive the key's use. */
void ingest_key_from_name(ingest_key_t *k, slice_t name);

/* A key built from a name and labels (StatsD tags, OTLP attributes). */
void ingest_key_from_builder(ingest_key_t *k, serieskey_builder_t *b);

/* The sink's reason for a store's answer (STORE_OK: INGEST_OK). */
static inline ingest_reject_t ingest_reason_of(store_reject_t r)
{
    switch (r) {
    case STORE_OK:
        return INGEST_OK;
    case STORE_REJECT_TOO_OLD:
        return INGEST_REJECT_TOO_OLD;
    case STORE_REJECT_TOO_NEW:
        return INGEST_REJECT_TOO_NEW;
    case STORE_REJECT_SERIES_LIMIT:
        return INGEST_REJECT_SERIES_LIMIT;
    case STORE_REJECT_MEMORY:
        return INGEST_REJECT_MEMORY;
    case STORE_REJECT_BAD_VALUE:
    case STORE_REJECT_COUNT:
        break;
    }
    return INGEST_REJECT_NOT_FINITE; /* NaN or infinity: negatives are caught before */
}

/* Counts one sample as accepted (INGEST_OK) or refused by why; returns why. */
static inline ingest_reject_t ingest_count_one(ingest_sink_t *s, ingest_reject_t why)
{
    if (why == INGEST_OK)
        s->counts->accepted[s->protocol]++;
    else
        s->counts->rejected[s->protocol][why]++;
    return why;
}

/* Records one sample of key k: stamped with ts_ms if has_ts, else with the
 * sink's now_ms; weight as in store_record_weighted (1 for one sample).
 * Counts it as accepted or rejected (by the reason returned). Inline: it
 * runs for every sample of every protocol, and the JSON batch measured a
 * few percent slower with it as a call of its own. */
static inline ingest_reject_t ingest_record(ingest_sink_t *s, const ingest_key_t *k, int has_ts,
                                            int64_t ts_ms, double ms, uint32_t weight)
{
    ingest_reject_t why = k->reject;
    if (why == INGEST_OK && ms < 0)
        why = INGEST_REJECT_NEGATIVE;
    if (why == INGEST_OK) {
        int64_t ts = has_ts ? ts_ms : s->now_ms;
        why = ingest_reason_of(
            weight == 1 ? store_record(s->store, k->key, ts, ms, s->now_ms)
                        : store_record_weighted(s->store, k->key, ts, ms, weight, s->now_ms));
    }
    return ingest_count_one(s, why);
}

/* ingest_record() of a sample stamped with the sink's now_ms, of the key
 * given by its parts (an ingest_key_t's key and reject: a caller may keep
 * them apart from the key's buffer, for locality), through a remembered
 * lookup of its series (store_ref_t: filled, if at all, for this key in
 * this sink's store). The same answers and counts. */
static inline ingest_reject_t ingest_record_ref(ingest_sink_t *s, slice_t key,
                                                ingest_reject_t key_reject, store_ref_t *ref,
                                                double ms, uint32_t weight)
{
    ingest_reject_t why = key_reject;
    if (why == INGEST_OK && ms < 0)
        why = INGEST_REJECT_NEGATIVE;
    if (why == INGEST_OK)
        why = ingest_reason_of(
            store_record_ref(s->store, ref, key, s->now_ms, ms, weight, s->now_ms));
    return ingest_count_one(s, why);
}

/* Counts n samples (or lines) that a parser refused before they had a key
 * or a value, e.g. a StatsD line without a type. */
void ingest_count_reject(ingest_sink_t *s, ingest_reject_t why, uint64_t n);

/* English phrase for a reason, for answers and docs. */
const char *ingest_reject_reason(ingest_reject_t r);

/* Stable snake_case label for /metrics, e.g. "too_old"; protocol labels
 * "json", "statsd", "otlp". */
const char *ingest_reject_label(ingest_reject_t r);
const char *ingest_protocol_label(ingest_protocol_t p);

#endif
