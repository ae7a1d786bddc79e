/* store.h - the in-memory time-series store: all sample data lives here.
 *
 * A table of series; per series the seconds of the window that have samples
 * (a sorted deque of per-second slots, at most window_s + 61 of them; see
 * series.h for why not a dense ring). Per second: exact count, sum, min,
 * max; a mergeable log-linear histogram (quantiles within 1% relative error
 * over any range of seconds, see hist.h); a bounded uniform sample of raw
 * points that always keeps the second's max.
 *
 * Memory is bounded by store_config_t: when the budget binds, raw points
 * degrade first, then new series are refused, then samples that would need
 * new memory are refused. Aggregates of accepted samples are never lost.
 *
 * Pure module (libc only), single-threaded: every call on one store must
 * come from the same thread. Times are wall-clock unix milliseconds.
 */
#ifndef SPIDER_STORE_STORE_H
#define SPIDER_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/slice.h"

/* How far in the future a sample timestamp may be. */
#define STORE_FUTURE_MS 60000

/* Timestamps at or after this (2106) are refused as too new: seconds are
 * kept in 32 bits. */
#define STORE_MAX_TS_MS (INT64_C(4294967295) * 1000)

/* The most bounds of the per-series totals (store_config_t.le_ms). */
#define STORE_LE_MAX 32

typedef struct store_config {
    uint32_t window_s;       /* seconds of history kept, 1..86400 */
    uint32_t raw_per_second; /* raw points kept per series per second, 0..65535 */
    uint32_t max_series;     /* series that may exist at once */
    size_t memory_limit;     /* budget in bytes for everything the store allocates */
    /* Bounds (ms, ascending, at most STORE_LE_MAX) of the counters every
     * series keeps of all its samples since it was created, for a
     * Prometheus histogram (api/prom.h); n_le 0: count and sum only. */
    uint32_t n_le;
    double le_ms[STORE_LE_MAX];
} store_config_t;

typedef enum store_reject {
    STORE_OK = 0,
    STORE_REJECT_TOO_OLD,      /* timestamp before the window */
    STORE_REJECT_TOO_NEW,      /* timestamp more than STORE_FUTURE_MS ahead */
    STORE_REJECT_BAD_VALUE,    /* negative or non-finite duration */
    STORE_REJECT_SERIES_LIMIT, /* new series over max_series */
    STORE_REJECT_MEMORY,       /* memory budget exhausted */
    STORE_REJECT_COUNT
} store_reject_t;

typedef struct store store_t;
typedef struct series series_t;

typedef struct store_stats {
    size_t bytes;            /* bytes the store accounts for (what the budget measures) */
    size_t series;           /* series alive */
    uint64_t raw_dropped;    /* raw points not kept or evicted because of the budget */
    uint32_t raw_per_second; /* raw points per second currently kept (degrades under budget) */
} store_stats_t;

/* Summary of a series over a time range (merged histograms, never averaged
 * percentiles). Fields are 0 when count is 0. */
typedef struct series_summary {
    uint64_t count;
    double sum, min, max;
    double p50, p90, p99;
    double rate_per_s;    /* count / length of the range in seconds */
    int64_t last_seen_ms; /* timestamp of the newest sample in the series, any range */
} series_summary_t;

/* One closed or open second of a series. */
typedef struct series_second {
    int64_t start_ms; /* start of the second, unix ms, a multiple of 1000 */
    uint64_t count;
    double sum, min, max;
    double p50, p90, p99;
} series_second_t;

/* Returns a new store; cfg is copied. Never NULL (aborts on OOM). */
store_t *store_new(const store_config_t *cfg);
void store_free(store_t *s);

/* Records one sample of `ms` at `ts_ms` into series `name` (created on first
 * sample). now_ms is the current wall time; the window is
 * (now - window, now + STORE_FUTURE_MS]. Returns STORE_OK or why the
 * sample was not kept; a rejected sample changes nothing. O(1) for the
 * newest second, else O(log seconds); plus O(log buckets). */
store_reject_t store_record(store_t *s, slice_t name, int64_t ts_ms, double ms, int64_t now_ms);

/* store_record() of one sample that stands for `weight` (>= 1) samples of
 * the same value, as a StatsD sample rate of 1/weight says: the second's
 * count and histogram grow by weight, its sum by ms * weight, min and max
 * see ms once, and one raw point is offered (the reservoir draws by count,
 * so a weighted point is as likely to stay as the samples it stands for).
 * weight 0 is STORE_REJECT_BAD_VALUE; a weight that would overflow a
 * histogram counter is STORE_REJECT_MEMORY (hist.h: counters). */
store_reject_t store_record_weighted(store_t *s, slice_t name, int64_t ts_ms, double ms,
                                     uint32_t weight, int64_t now_ms);

/* What a series has counted since it was created (not only in the
 * window): its samples, their sum (ms), and per bucket of the store's
 * le_ms bounds how many fell in it: le[i] counts le_ms[i-1] < v <= le_ms[i]
 * (exactly, by value), le[n_le] those above the last bound. Prometheus'
 * cumulative buckets are the running sums. A series removed from the
 * store and created again starts from 0. */
typedef struct series_totals {
    uint64_t count;
    double sum;
    const uint64_t *le; /* n_le + 1 counts; valid while the series exists */
} series_totals_t;

void series_get_totals(const series_t *series, series_totals_t *out);

/* Moves time to now_ms: expires seconds that left the window and removes
 * series with no sample left in it, seals closed seconds (compact
 * histograms) and tunes raw retention to the budget. Call at least once a
 * second, also when nothing is posted. Works once per second: O(series). */
void store_advance(store_t *s, int64_t now_ms);

/* A remembered lookup of one series by name, for a caller that records
 * into the same few series again and again (the StatsD key cache): with it
 * a sample skips the name's hash, the table probe and the name compare.
 * Plain value; all zero is empty. A ref stays good until the store next
 * removes a series (store_advance dropping an empty one, or a new series
 * taken back with its refused sample): the store counts removals and
 * looks a ref filled before the last one up again. So a series freed
 * under a ref is never used. A ref belongs to one name and one store,
 * which must outlive it. */
typedef struct store_ref {
    series_t *series;
    uint64_t gen; /* the store's removal count when series was found */
} store_ref_t;

/* store_record_weighted() (weight 1: store_record) through *ref, which was
 * filled, if at all, by this store for this same name; fills it. The same
 * answers and effects as without a ref. */
store_reject_t store_record_ref(store_t *s, store_ref_t *ref, slice_t name, int64_t ts_ms,
                                double ms, uint32_t weight, int64_t now_ms);

void store_get_stats(const store_t *s, store_stats_t *out);
const store_config_t *store_config(const store_t *s);

/* Where stats.bytes goes; the fields add up to it. */
typedef struct store_memory {
    size_t base;   /* the store itself: struct, series table, merge scratch */
    size_t series; /* series headers, names, lists of open seconds */
    size_t slots;  /* per-second slot headers (count, sum, min, max, pointers) */
    size_t hist;   /* histograms: open (octave blocks) and sealed (compact) */
    size_t raw;    /* raw point reservoirs, 6 bytes per point */
} store_memory_t;

/* Fills *out with the split of the accounted bytes. O(1). */
void store_get_memory(const store_t *s, store_memory_t *out);

/* The store's clock: the largest now_ms seen by store_record/store_advance
 * (0 before any). It never goes back; queries clip ranges to its window. */
int64_t store_now_ms(const store_t *s);

/* A counter of accepted samples, store-wide; see series_last_change(). */
uint64_t store_change_seq(const store_t *s);

/* Moves whenever a summary of closed seconds (push/summary) may change
 * while the clock stays in the same second: a series created or removed,
 * or a sample accepted into a second already closed by the store's clock.
 * O(1). */
uint64_t store_summary_gen(const store_t *s);

/* Change epochs, for consumers that want "what changed since I last
 * looked" per second (the live push). Every second a sample lands in is
 * stamped with the current epoch. store_close_epoch() returns the current
 * epoch E and starts E + 1: every change made before the call carries an
 * epoch <= E, every later one > E. Epochs start at 1 (0 means "never"), so
 * series_changed(..., 0, ...) lists every second. 32 bits: at 10 closes a
 * second, they wrap after 13 years of uptime. O(1). */
uint32_t store_close_epoch(store_t *s);

/* Calls fn for each second of the series that starts at or after from_ms
 * and changed after epoch since_epoch, oldest first, until fn returns
 * non-zero. Returns the start (ms) of the second fn stopped at, or
 * INT64_MAX if fn saw every such second. O(1) when the series has not
 * changed since since_epoch, else O(seconds from from_ms). */
int64_t series_foreach_changed(const series_t *series, int64_t from_ms, uint32_t since_epoch,
                               int (*fn)(void *ctx, const series_second_t *sec), void *ctx);

/* The epoch of the last sample accepted into the series: it has nothing
 * changed after epoch E iff this is <= E. O(1). */
uint32_t series_epoch(const series_t *series);

/* Static English phrase for a reject reason, e.g. "series limit reached". */
const char *store_reject_reason(store_reject_t r);

/* Iterates over all series (unspecified order). fn must not modify the store. */
void store_foreach(store_t *s, void (*fn)(void *ctx, const series_t *series), void *ctx);

/* Every series sorted by name (bytewise), in a new array of *n entries that
 * the caller frees (free()); valid until the store next changes. Lists and
 * summaries show series in this stable order. O(n log n). */
const series_t **store_sorted(store_t *s, size_t *n);

/* Finds a series by exact name, or NULL. */
const series_t *store_find(store_t *s, slice_t name);

/* The series' name; borrowed, valid while the series exists (until a later
 * store_advance or store_record may drop it). */
slice_t series_name(const series_t *series);

/* store_change_seq() as of the last sample accepted into this series: a
 * consumer that remembers the sequence number at its last look knows the
 * series changed iff series_last_change() is larger. O(1). */
uint64_t series_last_change(const series_t *series);

/* Summary over samples with since_ms <= ts < until_ms (clipped to the window).
 * Aggregates have one-second resolution: a second is included when it
 * overlaps the range. rate_per_s divides by the range's length up to now
 * (or to the end of a selected second stamped ahead of now). Quantiles are
 * nearest-rank, within 0.78% of the exact ones (see hist.h).
 * Uses scratch space inside the store, hence the non-const store. */
void series_summarize(store_t *s, const series_t *series, int64_t since_ms, int64_t until_ms,
                      series_summary_t *out);

/* The exact aggregates of a merge of seconds (count 0: min and max unset). */
typedef struct series_agg {
    uint64_t count;
    double sum, min, max;
} series_agg_t;

/* Adds every second of the series that overlaps [since_ms, until_ms)
 * (clipped to the window) to acc (store/hist.h: a dense accumulator) and
 * agg, neither cleared first: a roll-up merges many series and seconds into
 * one accumulator, then takes its quantiles (hist_acc_quantiles with agg's
 * exact min and max). Reads only. O(log seconds + seconds + buckets). */
struct hist_acc;
void series_merge_range(const store_t *s, const series_t *series, int64_t since_ms,
                        int64_t until_ms, struct hist_acc *acc, series_agg_t *agg);

/* A walk over one series' seconds in time order, for merges of consecutive
 * ranges (a roll-up's steps): each second is looked at once, with no
 * search per range. Valid while the store does not change. */
typedef struct series_cursor {
    const series_t *series;
    uint32_t next; /* index of the next second to merge */
} series_cursor_t;

/* Starts at the first second of the series that overlaps [since_ms, ...)
 * inside the window. O(log seconds). */
void series_cursor_init(const store_t *s, const series_t *series, int64_t since_ms,
                        series_cursor_t *c);

/* Asks the memory for what the cursor's next merge reads first: its
 * second's slot (deep 0), or, once that is in, its histogram (deep 1). A
 * caller merging many series in turn prefetches one or two ahead. */
void series_cursor_prefetch(const series_cursor_t *c, int deep);

/* Adds the seconds from the cursor that start before until_ms to acc and
 * agg, and moves past them. O(seconds merged + their buckets). */
void series_cursor_merge(series_cursor_t *c, int64_t until_ms, struct hist_acc *acc,
                         series_agg_t *agg);

/* Calls fn for every second with samples in [since_ms, until_ms), oldest first. */
void series_foreach_second(store_t *s, const series_t *series, int64_t since_ms, int64_t until_ms,
                           void (*fn)(void *ctx, const series_second_t *sec), void *ctx);

/* Calls fn for every kept raw point in [since_ms, until_ms), oldest second first. */
void series_foreach_raw(const series_t *series, int64_t since_ms, int64_t until_ms,
                        void (*fn)(void *ctx, int64_t ts_ms, double ms), void *ctx);

/* Heatmap rows: calls fn for every non-empty histogram bucket of the second
 * containing second_ms, in ascending order, with the bucket's value range
 * [lower_ms, upper_ms) and its exact count (the counts add up to the
 * second's count). Bucket 0 is [0, 0.001 ms); the top bucket, [~4.26e9,
 * 2^32) ms, also holds larger values. Returns the rows visited, 0 when the
 * second holds no sample. O(rows). */
size_t series_foreach_bucket(store_t *s, const series_t *series, int64_t second_ms,
                             void (*fn)(void *ctx, double lower_ms, double upper_ms,
                                        uint64_t count),
                             void *ctx);

/* series_foreach_bucket() with the bucket's index (hist.h: hist_bucket_lower
 * and hist_bucket_upper give its range), the compact form for the wire. */
size_t series_foreach_bucket_id(const series_t *series, int64_t second_ms,
                                void (*fn)(void *ctx, uint32_t bucket, uint64_t count), void *ctx);

/* For the store's own modules (series.c): the merge scratch of the store. */
struct hist_acc *store_scratch(store_t *s);

#endif
