/* series.h - one series: its seconds over the window (internal to src/store).
 *
 * A series keeps one slot per second that has samples: exact count, sum, min
 * and max, a log-linear histogram (hist.h) and a bounded reservoir of raw
 * points. Slots live in a circular deque sorted by second, holding only the
 * seconds that have samples. Why not a dense ring of window_s + 61 slots
 * indexed by sec % N: at the default 30-minute window that is 119 KiB of
 * slot headers per series even for a series seen once, i.e. 1.2 GB for the
 * default 10,000 series (and 5.5 MiB per series at a 24-hour window), while
 * the deque costs 64 bytes per second that has samples. The ring's
 * properties are kept: a series never holds more than window_s + 61 slots
 * (the seconds of (now - window, now + 60 s]), expired seconds are freed,
 * and a second that comes back after expiry starts from an empty slot.
 * Finding a slot is O(1) for the newest second (the usual case) and
 * O(log slots) otherwise.
 *
 * The series does not own its budget: every allocation is asked from the
 * series_env_t the store provides, and refused allocations turn into
 * STORE_REJECT_MEMORY (aggregates) or into raw points not kept (raw).
 *
 * Single-threaded like the store.
 */
#ifndef SPIDER_STORE_SERIES_H
#define SPIDER_STORE_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "../core/slice.h"
#include "hist.h"
#include "store.h"

/* Bytes of one kept raw point: uint16 ms offset within its second + float ms. */
#define SERIES_RAW_BYTES 6

/* What memory is spent on; store_memory_t reports the same split. */
typedef enum series_mem_kind {
    SERIES_MEM_FIXED, /* series header, name, list of open seconds */
    SERIES_MEM_SLOTS, /* slot headers (deque capacity) */
    SERIES_MEM_HIST,  /* open and sealed histograms */
    SERIES_MEM_RAW,   /* raw point reservoirs */
    SERIES_MEM_KINDS
} series_mem_kind_t;

/* The environment series live in, owned by the store (or a test). */
typedef struct series_env {
    /* Asks for n more bytes of `kind` used by second `sec`. Returns 1 and
     * counts them, or 0 if the budget refuses. It may evict raw points of
     * any series (raw buffers only, never slots), so a caller re-reads slot
     * raw fields after it; a SERIES_MEM_RAW request only evicts seconds
     * older than sec. */
    int (*reserve)(void *ctx, series_mem_kind_t kind, size_t n, int64_t sec);
    /* Gives back n bytes of `kind` counted for second `sec`. */
    void (*release)(void *ctx, series_mem_kind_t kind, size_t n, int64_t sec);
    void *ctx;
    uint64_t rng;          /* xorshift64* state for reservoir sampling, never 0 */
    uint32_t raw_limit;    /* raw points a second may fill (lowered under budget) */
    int64_t raw_floor_sec; /* raw points of seconds below were evicted: keep none there */
    uint64_t raw_dropped;  /* raw points lost to the budget */
    uint64_t seq;          /* accepted samples so far: the change clock */
    uint32_t epoch;        /* stamped on every slot a sample changes (store_close_epoch) */
    /* The totals' buckets (store_config_t.le_ms): a sample in histogram
     * bucket b goes to totals bucket le_first[b], or, where a bound cuts
     * b (le_cut[b]), to the first bound >= its value. */
    uint32_t n_le;
    const double *le_ms;
    const uint8_t *le_first, *le_cut;
} series_env_t;

/* floor(a / b) for b > 0, also for negative a. */
static inline int64_t series_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* The window at now_ms holds samples with now - window < ts <= now + 60 s;
 * these are its first and last seconds. At most window_s + 61 seconds. */
static inline int64_t series_window_first(int64_t now_ms, uint32_t window_s)
{
    return series_floor_div(now_ms - (int64_t)window_s * 1000 + 1, 1000);
}

static inline int64_t series_window_last(int64_t now_ms)
{
    return series_floor_div(now_ms + STORE_FUTURE_MS, 1000);
}

/* Bytes series_new() allocates (to be reserved as SERIES_MEM_FIXED first),
 * with totals for n_le bounds. */
size_t series_new_bytes(size_t name_len, uint32_t n_le);

/* Returns a new empty series named `name` (copied), with its hash, the
 * most slots it may hold (window_s + 61) and totals for n_le bounds (the
 * env's). Aborts on OOM; the caller has reserved series_new_bytes(name.n,
 * n_le). Free with series_free(). */
series_t *series_new(slice_t name, uint64_t hash, uint32_t max_slots, uint32_t n_le);

/* Frees the series and releases all its bytes (including series_new_bytes)
 * through env. */
void series_free(series_t *se, series_env_t *env);

uint64_t series_hash(const series_t *se);
int series_name_eq(const series_t *se, slice_t name);

/* 1 if the series holds no second at all. */
int series_is_empty(const series_t *se);

/* Number of seconds held, and the oldest one (INT64_MAX when empty). */
uint32_t series_nseconds(const series_t *se);
int64_t series_first_sec(const series_t *se);

/* Records ms at ts_ms, standing for weight >= 1 samples (see
 * store_record_weighted). The caller has validated both and expired seconds
 * that left the window (series_expire), so the slot count stays bounded.
 * Returns STORE_OK, or STORE_REJECT_MEMORY when the aggregates need memory
 * the budget refuses (then nothing visible changed). A raw point that finds
 * no memory is not kept (env->raw_dropped). O(1) for the newest second
 * (the histogram is an octave index and counter blocks), O(log slots) for
 * an older one. */
store_reject_t series_record(series_t *se, series_env_t *env, int64_t ts_ms, double ms,
                             uint32_t weight);

/* Frees every second < first_sec. O(expired seconds). */
void series_expire(series_t *se, series_env_t *env, int64_t first_sec);

/* Seals the open histograms of seconds < before_sec (compact encoding) and
 * trims their reservoirs to size. O(open seconds * their buckets). */
void series_seal(series_t *se, series_env_t *env, int64_t before_sec);

/* Drops the raw points of second sec, if any (budget eviction). */
void series_evict_raw(series_t *se, series_env_t *env, int64_t sec);

/* Adds the seconds lo_sec <= sec < hi_sec to acc and agg (neither cleared
 * first). O(log slots + slots + entries). */
void series_merge(const series_t *se, int64_t lo_sec, int64_t hi_sec, hist_acc_t *acc,
                  series_agg_t *agg);

/* Merged statistics of the seconds lo_sec <= sec < hi_sec, using acc as
 * scratch: fills count, sum, min, max, p50, p90, p99 of out (0 when empty);
 * leaves rate_per_s and last_seen_ms to the caller. O(slots + entries). */
void series_stats(const series_t *se, int64_t lo_sec, int64_t hi_sec, hist_acc_t *acc,
                  series_summary_t *out);

/* Calls fn for each held second lo_sec <= sec < hi_sec, oldest first. */
void series_seconds(const series_t *se, int64_t lo_sec, int64_t hi_sec,
                    void (*fn)(void *ctx, const series_second_t *sec), void *ctx);

/* Calls fn for each held second lo_sec <= sec whose epoch is > since_epoch,
 * oldest first, until fn returns non-zero. Returns the second fn stopped at
 * (the one it returned non-zero for), or INT64_MAX if it saw them all.
 * O(seconds from lo_sec). */
int64_t series_changed(const series_t *se, int64_t lo_sec, uint32_t since_epoch,
                       int (*fn)(void *ctx, const series_second_t *sec), void *ctx);

/* Calls fn for each histogram row of second sec; returns the rows visited. */
size_t series_buckets(const series_t *se, int64_t sec,
                      void (*fn)(void *ctx, double lower_ms, double upper_ms, uint64_t count),
                      void *ctx);

/* ---- for the store's own files: snapshots (store/snapshot.c) -------------
 * Read a series slot by slot, and rebuild one from decoded values. Never
 * declared in a public header: only src/store/ uses them. */

/* One held second as it is stored. Borrowed: valid until the series next
 * changes. raw holds raw_n records of SERIES_RAW_BYTES (uint16 ms offset
 * within the second, float ms, host order), the largest first. */
typedef struct series__slot_view {
    int64_t sec;
    uint64_t count;
    double sum, min, max;
    hist_iter_t hist; /* the second's histogram, open or sealed */
    const uint8_t *raw;
    uint32_t raw_n;
} series__slot_view_t;

/* Fills *v with the i-th held second (i < series_nseconds), oldest first. */
void series__slot_at(const series_t *se, uint32_t i, series__slot_view_t *v);

/* The newest sample timestamp ever recorded (INT64_MIN when none). */
int64_t series__last_seen(const series_t *se);

/* Sets the totals (series_totals_t): count, sum and env->n_le + 1 bucket
 * counts (le NULL: all 0), and the newest timestamp seen. */
void series__set_totals(series_t *se, const series_env_t *env, uint64_t count, double sum,
                        const uint64_t *le, int64_t last_seen_ms);

/* Appends a sealed second after every held one (sec greater than the
 * newest held second) with the given aggregates, the histogram of the
 * entries e[0..n_e) (sorted, counts >= 1, adding up to count) and the raw
 * records raw[0..raw_n) (the largest first; cut to env->raw_limit, kept
 * only if the budget allows, else counted in env->raw_dropped). The caller
 * has validated every value. Returns STORE_OK, or STORE_REJECT_MEMORY if
 * the budget refuses the aggregates (then nothing changed). */
store_reject_t series__restore(series_t *se, series_env_t *env, int64_t sec, uint64_t count,
                               double sum, double min, double max, const uint64_t *e, size_t n_e,
                               const uint8_t *raw, uint32_t raw_n);

/* The store's side of a restore (store.c). store__restore_series() creates
 * an empty series for name, which must not exist yet; NULL with *why set
 * (STORE_REJECT_SERIES_LIMIT or STORE_REJECT_MEMORY) if the store refuses
 * it. store__restore_done() ends the restore of that series: an empty one
 * is taken back. store__env() is the environment series of s live in. */
series_t *store__restore_series(store_t *s, slice_t name, store_reject_t *why);
void store__restore_done(store_t *s, series_t *se);
series_env_t *store__env(store_t *s);

#endif
