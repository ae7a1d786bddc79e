/* statsd_feed.h - StatsD datagrams through the ingest door.
 *
 * Takes one datagram (several lines), parses each line (ingest/statsd),
 * and hands every latency value to the sink (ingest/sink) under the key
 * `name{tag labels}`. Lines never affect each other: a malformed line is
 * counted by reason (INGEST_REJECT_BAD_NAME/VALUE/TYPE/RATE) and the next
 * line is read. What is not a latency is counted as ignored by type.
 *
 * Mapping (docs/protocol.md, "StatsD"):
 *   - `ms`, `h` and `d` values are durations in ms, stamped with the
 *     receive time (the DogStatsD `|T` timestamp field is skipped);
 *   - `|@rate` makes each value stand for round(1/rate) samples in the
 *     count, sum and histogram; min and max see the value once; one raw
 *     point is kept. Rates below STATSD_FEED_MIN_RATE are refused (bad_rate)
 *     so that one datagram cannot claim an unbounded count;
 *   - `|#k:v,flag` tags become labels k="v" and flag="true"; a tag name is
 *     mapped onto the label name rule (core/serieskey.h) and a tag name
 *     given twice refuses the line (bad_labels).
 *
 * Pure (sink + parser), no allocation, service thread.
 */
#ifndef SPIDER_INGEST_STATSD_FEED_H
#define SPIDER_INGEST_STATSD_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "sink.h"
#include "statsd.h"

#define STATSD_FEED_MIN_RATE 1e-6

/* What the StatsD input saw, beyond the sink's accepted/refused counts. */
typedef struct statsd_counts {
    uint64_t datagrams, bytes, lines;
    uint64_t ignored[STATSD_KIND_COUNT]; /* [STATSD_LATENCY] unused */
} statsd_counts_t;

/* Keys already built, by the raw name and tags that made them: a key is a
 * pure function of those bytes, and a StatsD client sends the same few
 * again and again, so the label work (sorting, escaping, the name rule) is
 * done once per distinct (name, tags), not per line; and beside each key
 * its series in the store (store_ref_t), so that a sample skips the
 * store's lookup by name too. Two-way set-associative, the way not used
 * last replaced (a direct-mapped cache of 256 slots thrashed on 52 of
 * spider-load's 100 names); a name and tags longer than
 * STATSD_KEYCACHE_RAW bytes are not cached. */
#define STATSD_KEYCACHE_SETS 256
#define STATSD_KEYCACHE_WAYS 2
#define STATSD_KEYCACHE_RAW  240

/* All a hit reads comes first: the ref, the key's slice and verdict, the
 * lengths and the start of raw, one cache line for a short name; the
 * key's bytes last. 512 bytes (the pad), so that in a cache that starts
 * on a cache line (the server's does) every slot does. */
typedef struct statsd_keycache_slot {
    store_ref_t ref;         /* key's series in the cache's store; zero when none yet */
    slice_t key;             /* built.key: into built.buf, empty when refused */
    ingest_reject_t reject;  /* built.reject */
    uint16_t name_n, tags_n; /* name_n 0: empty slot */
    char raw[STATSD_KEYCACHE_RAW];
    ingest_key_t built; /* the key as built, its bytes in built.buf */
    char pad[8];
} statsd_keycache_slot_t;

_Static_assert(sizeof(void *) != 8 || sizeof(statsd_keycache_slot_t) == 512,
               "a slot is 8 cache lines");

/* All zero is an empty cache. The refs point into one store: fed through
 * a sink of another store, the cache forgets them first. A store the
 * cache served must not be freed while the cache may meet a new store at
 * its address (zero the cache then). */
typedef struct statsd_keycache {
    const store_t *store;               /* the store the refs point into */
    uint8_t last[STATSD_KEYCACHE_SETS]; /* the way of each set used last */
    statsd_keycache_slot_t slot[STATSD_KEYCACHE_SETS][STATSD_KEYCACHE_WAYS];
} statsd_keycache_t;

/* Feeds one datagram (p, n) to the sink (whose protocol should be
 * INGEST_STATSD). cache may be NULL (no cache). O(n). */
void statsd_feed_datagram(ingest_sink_t *sink, statsd_counts_t *counts, statsd_keycache_t *cache,
                          const char *p, size_t n);

#endif
