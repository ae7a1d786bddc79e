/* store.c - the series table, the clock, and the memory budget.
 *
 * Series table: series live in a dense array (iteration, swap-remove) and are
 * found through an open-addressing hash table of indices into it (linear
 * probing, load <= 1/2, backward-shift deletion, so no tombstones). The
 * previous series looked up is cached: a batch names one series many times.
 * A caller that keeps coming back to the same few series keeps a
 * store_ref_t per series instead; removals (rare: once a second at most,
 * in store_advance) are counted, and a ref older than the last removal is
 * looked up again, so a ref never reaches a freed series.
 *
 * Budget. Every byte the store allocates is counted in bytes (by kind, see
 * store_memory_t). memory_limit is a hard cap on that figure; a soft cap at
 * 7/8 of it separates the stages in which the budget binds:
 *   1. raw points degrade first: each second, raw_limit (raw points kept per
 *      series per second) is set so that a window of seconds like the last
 *      one fits in the room the aggregates leave under the soft cap; a raw
 *      reservoir may only grow below the soft cap, and past it the raw
 *      points of the oldest second (all series at once, raw_floor_sec moves
 *      up) are evicted to make room;
 *   2. then new series are refused: a new series must fit under the soft cap,
 *      after evicting raw points (STORE_REJECT_MEMORY);
 *   3. then samples that need new memory for their aggregates (a new second,
 *      a new octave block of an open histogram) are refused: they may use
 *      everything up to the hard cap, evicting any raw points first
 *      (STORE_REJECT_MEMORY).
 * Aggregates are never evicted, so an accepted sample stays counted until
 * its second leaves the window. When memory frees up (expiry), raw_limit
 * climbs back by 1/8 per second towards raw_per_second.
 *
 * Time. now_ms is the largest time seen; store_advance() does its work once
 * per new second: expire, seal, drop empty series, tune raw_limit. That is
 * O(series) plus the work done, never O(all slots).
 */
#include "store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/xmalloc.h"
#include "hist.h"
#include "series.h"

#define STORE_WINDOW_MAX 86400u
#define STORE_TABLE_MIN  16u
#define STORE_RNG_SEED   UINT64_C(0x9E3779B97F4A7C15)
#define STORE_NO_SEC     INT64_MIN

struct store {
    store_config_t cfg;
    int64_t now_ms;        /* the store's clock; never goes back */
    int64_t advanced_sec;  /* the second store_advance() last worked for */
    int64_t expired_first; /* every series holds no second before this one */
    size_t bytes;          /* everything accounted: base + kinds */
    size_t base;           /* the store's own allocations */
    size_t kind[SERIES_MEM_KINDS];
    size_t soft_limit;   /* 7/8 of memory_limit: raw and new series stop here */
    int pressure;        /* raw was evicted or refused since the last second */
    uint32_t raw_filled; /* raw_limit while the last closed second filled */
    series_env_t env;    /* what series see: budget callbacks, rng, raw policy */
    series_t **all;      /* series, dense, n used of all_cap */
    uint32_t n, all_cap; /* invariant: n <= cfg.max_series */
    uint32_t *table;     /* table_cap cells (power of two); index + 1, 0 = empty */
    uint32_t table_cap;
    series_t *last;      /* the last series looked up, or NULL */
    uint64_t removed;    /* series removed so far, from 1: store_ref_t.gen */
    int64_t *raw_by_sec; /* raw bytes per second, ring of ring_n: skips empty seconds */
    uint32_t ring_n;     /* window_s + 62 > seconds a window can hold */
    hist_acc_t *scratch; /* merge accumulator for series_summarize */
    /* The totals' bucket tables (store_le_tables). */
    uint8_t le_first[HIST_BUCKETS], le_cut[HIST_BUCKETS];
    uint64_t summary_gen; /* see store_summary_gen() */
};

/* ---- accounting ----------------------------------------------------------- */

static size_t store_ring(const store_t *s, int64_t sec)
{
    int64_t r = sec % (int64_t)s->ring_n;
    return (size_t)(r < 0 ? r + s->ring_n : r);
}

/* Evicts the raw points of the oldest second that has any, older than
 * `below`, in every series. Returns 1 if the floor moved to a second that had
 * raw points, 0 if there is nothing (more) to evict. */
static int store_evict_step(store_t *s, int64_t below)
{
    int64_t first = series_window_first(s->now_ms, s->cfg.window_s);
    int64_t last = series_window_last(s->now_ms);

    if (s->kind[SERIES_MEM_RAW] == 0)
        return 0;
    /* Seconds that left the window since the last store_advance() go first,
     * whole: they are out of every answer already. The series being
     * recorded into was expired to this same `first` by store_record(), so
     * none of its slots move under it. */
    if (s->expired_first < first) {
        for (uint32_t i = 0; i < s->n; i++)
            series_expire(s->all[i], &s->env, first);
        s->expired_first = first;
        if (s->kind[SERIES_MEM_RAW] == 0)
            return 1;
    }
    if (s->env.raw_floor_sec < first)
        s->env.raw_floor_sec = first;
    while (s->env.raw_floor_sec < below && s->env.raw_floor_sec <= last) {
        int64_t sec = s->env.raw_floor_sec++;
        s->pressure = 1;
        if (s->raw_by_sec[store_ring(s, sec)] <= 0)
            continue;
        for (uint32_t i = 0; i < s->n; i++)
            series_evict_raw(s->all[i], &s->env, sec);
        return 1;
    }
    return 0;
}

/* Counts n more bytes of kind (-1: the store's own) if bytes + n <= cap,
 * evicting raw points of seconds < below as needed. Returns 1 or 0. */
static int store_reserve(store_t *s, int kind, size_t n, size_t cap, int64_t below, int64_t sec)
{
    while (n > cap || s->bytes > cap - n) {
        if (!store_evict_step(s, below)) {
            if (kind == SERIES_MEM_RAW)
                s->pressure = 1;
            return 0;
        }
    }
    s->bytes += n;
    if (kind < 0)
        s->base += n;
    else
        s->kind[kind] += n;
    if (kind == SERIES_MEM_RAW)
        s->raw_by_sec[store_ring(s, sec)] += (int64_t)n;
    return 1;
}

static void store_release(store_t *s, int kind, size_t n, int64_t sec)
{
    s->bytes -= n;
    if (kind < 0)
        s->base -= n;
    else
        s->kind[kind] -= n;
    if (kind == SERIES_MEM_RAW)
        s->raw_by_sec[store_ring(s, sec)] -= (int64_t)n;
}

/* series_env_t callbacks: aggregates may use the whole budget, raw points
 * only up to the soft cap and only by evicting older seconds. */
static int store_env_reserve(void *ctx, series_mem_kind_t kind, size_t n, int64_t sec)
{
    store_t *s = ctx;

    if (kind == SERIES_MEM_RAW)
        return store_reserve(s, kind, n, s->soft_limit, sec, sec);
    return store_reserve(s, kind, n, s->cfg.memory_limit, INT64_MAX, sec);
}

static void store_env_release(void *ctx, series_mem_kind_t kind, size_t n, int64_t sec)
{
    store_release(ctx, kind, n, sec);
}

/* ---- lifecycle ------------------------------------------------------------ */

/* The totals' bucket of every histogram bucket (series_env_t.le_first,
 * le_cut): bucket b holds [lower, upper); bound i takes the values <=
 * le_ms[i]. If the first bound >= lower is also >= upper, every value of b
 * belongs to it; else that bound cuts b and the value decides. Bounds that
 * are not ascending and positive, or too many, are cut to the valid
 * prefix. */
static void store_le_tables(store_t *s)
{
    uint32_t n = 0;
    while (n < s->cfg.n_le && n < STORE_LE_MAX && s->cfg.le_ms[n] > 0 &&
           (n == 0 || s->cfg.le_ms[n] > s->cfg.le_ms[n - 1]))
        n++;
    s->cfg.n_le = n;
    s->env.n_le = n;
    s->env.le_ms = s->cfg.le_ms;
    s->env.le_first = s->le_first;
    s->env.le_cut = s->le_cut;
    for (uint32_t b = 0; b < HIST_BUCKETS; b++) {
        double lower = hist_bucket_lower(b), upper = hist_bucket_upper(b);
        uint32_t i = 0;
        while (i < n && s->cfg.le_ms[i] < lower)
            i++;
        s->le_first[b] = (uint8_t)i;
        /* the top bucket also holds every value above its upper edge */
        s->le_cut[b] = i < n && (s->cfg.le_ms[i] < upper || b == HIST_BUCKETS - 1);
    }
}

store_t *store_new(const store_config_t *cfg)
{
    store_t *s = xcalloc(1, sizeof *s);

    s->cfg = *cfg;
    if (s->cfg.window_s < 1)
        s->cfg.window_s = 1;
    if (s->cfg.window_s > STORE_WINDOW_MAX)
        s->cfg.window_s = STORE_WINDOW_MAX;
    if (s->cfg.raw_per_second > UINT16_MAX)
        s->cfg.raw_per_second = UINT16_MAX;
    s->soft_limit = s->cfg.memory_limit - s->cfg.memory_limit / 8;
    s->advanced_sec = STORE_NO_SEC;
    s->expired_first = STORE_NO_SEC;
    s->removed = 1; /* a zeroed store_ref_t is never current */
    s->env.reserve = store_env_reserve;
    s->env.release = store_env_release;
    s->env.ctx = s;
    s->env.rng = STORE_RNG_SEED;
    s->env.epoch = 1;
    s->env.raw_limit = s->cfg.raw_per_second;
    s->raw_filled = s->cfg.raw_per_second;
    s->env.raw_floor_sec = STORE_NO_SEC;
    s->ring_n = s->cfg.window_s + 62;
    s->raw_by_sec = xcalloc(s->ring_n, sizeof *s->raw_by_sec);
    s->scratch = hist_acc_new();
    store_le_tables(s);
    /* The store's own fixed cost counts too (it may exceed a tiny budget:
     * then every series is refused). */
    s->base = sizeof *s + (size_t)s->ring_n * sizeof *s->raw_by_sec + hist_acc_bytes();
    s->bytes = s->base;
    return s;
}

void store_free(store_t *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->n; i++)
        series_free(s->all[i], &s->env);
    free(s->all);
    free(s->table);
    free(s->raw_by_sec);
    hist_acc_free(s->scratch);
    free(s);
}

const store_config_t *store_config(const store_t *s)
{
    return &s->cfg;
}

int64_t store_now_ms(const store_t *s)
{
    return s->now_ms;
}

uint32_t store_close_epoch(store_t *s)
{
    return s->env.epoch++;
}

uint64_t store_change_seq(const store_t *s)
{
    return s->env.seq;
}

uint64_t store_summary_gen(const store_t *s)
{
    return s->summary_gen;
}

struct hist_acc *store_scratch(store_t *s)
{
    return s->scratch;
}

void store_get_stats(const store_t *s, store_stats_t *out)
{
    out->bytes = s->bytes;
    out->series = s->n;
    out->raw_dropped = s->env.raw_dropped;
    out->raw_per_second = s->env.raw_limit;
}

void store_get_memory(const store_t *s, store_memory_t *out)
{
    out->base = s->base;
    out->series = s->kind[SERIES_MEM_FIXED];
    out->slots = s->kind[SERIES_MEM_SLOTS];
    out->hist = s->kind[SERIES_MEM_HIST];
    out->raw = s->kind[SERIES_MEM_RAW];
}

const char *store_reject_reason(store_reject_t r)
{
    switch (r) {
    case STORE_OK:
        return "ok";
    case STORE_REJECT_TOO_OLD:
        return "timestamp older than the window";
    case STORE_REJECT_TOO_NEW:
        return "timestamp more than 60 s in the future";
    case STORE_REJECT_BAD_VALUE:
        return "duration negative or not finite";
    case STORE_REJECT_SERIES_LIMIT:
        return "series limit reached";
    case STORE_REJECT_MEMORY:
        return "store memory budget exhausted";
    case STORE_REJECT_COUNT:
        break;
    }
    return "unknown reason";
}

/* ---- series table --------------------------------------------------------- */

/* FNV-1a over the name, then the murmur3 finalizer: FNV alone leaves the
 * low bits (the ones the table uses) poorly mixed for names that differ only
 * in their last characters, e.g. "api.1", "api.2". */
static uint64_t store_hash(slice_t name)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);

    for (size_t i = 0; i < name.n; i++) {
        h ^= (unsigned char)name.p[i];
        h *= UINT64_C(0x100000001b3);
    }
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h;
}

/* The table cell holding `name`, or the empty cell where it would go. The
 * table must exist. */
static uint32_t *store_cell(const store_t *s, slice_t name, uint64_t h)
{
    uint32_t mask = s->table_cap - 1, i = (uint32_t)h & mask;

    while (s->table[i]) {
        const series_t *se = s->all[s->table[i] - 1];
        if (series_hash(se) == h && series_name_eq(se, name))
            return &s->table[i];
        i = (i + 1) & mask;
    }
    return &s->table[i];
}

static series_t *store_lookup(store_t *s, slice_t name, uint64_t *hash)
{
    uint32_t *cell;

    if (s->last && series_name_eq(s->last, name))
        return s->last;
    *hash = store_hash(name);
    if (s->table_cap == 0)
        return NULL;
    cell = store_cell(s, name, *hash);
    if (!*cell)
        return NULL;
    s->last = s->all[*cell - 1];
    return s->last;
}

const series_t *store_find(store_t *s, slice_t name)
{
    uint64_t h;

    return store_lookup(s, name, &h);
}

/* Rebuilds the table at new_cap cells (power of two > 2 n). */
static void store_rehash(store_t *s, uint32_t new_cap)
{
    free(s->table);
    s->table = xcalloc(new_cap, sizeof *s->table);
    s->table_cap = new_cap;
    for (uint32_t k = 0; k < s->n; k++) {
        slice_t name = series_name(s->all[k]);
        *store_cell(s, name, series_hash(s->all[k])) = k + 1;
    }
}

/* Creates and inserts a series for `name`. Returns NULL (nothing changed) if
 * the budget refuses it below the soft cap. */
static series_t *store_add(store_t *s, slice_t name, uint64_t h)
{
    uint32_t table_want = s->table_cap, all_want = s->all_cap;
    size_t grow = 0, need = series_new_bytes(name.n, s->env.n_le);
    series_t *se;

    if ((s->n + 1) * 2 > s->table_cap) {
        table_want = s->table_cap ? s->table_cap * 2 : STORE_TABLE_MIN;
        grow += (size_t)(table_want - s->table_cap) * sizeof *s->table;
    }
    if (s->n == s->all_cap) {
        all_want = s->all_cap ? s->all_cap * 2 : STORE_TABLE_MIN;
        grow += (size_t)(all_want - s->all_cap) * sizeof *s->all;
    }
    if (!store_reserve(s, SERIES_MEM_FIXED, need + grow, s->soft_limit, INT64_MAX, 0))
        return NULL;
    /* Table growth is the store's own cost. */
    s->kind[SERIES_MEM_FIXED] -= grow;
    s->base += grow;
    if (all_want != s->all_cap) {
        s->all = xrealloc(s->all, (size_t)all_want * sizeof *s->all);
        s->all_cap = all_want;
    }
    if (table_want != s->table_cap)
        store_rehash(s, table_want);
    se = series_new(name, h, s->cfg.window_s + 61, s->env.n_le);
    *store_cell(s, name, h) = s->n + 1;
    s->all[s->n++] = se;
    s->last = se;
    s->summary_gen++;
    return se;
}

/* Removes and frees all[k]. Backward-shift deletion keeps every probe chain
 * unbroken; the last series moves into slot k. */
static void store_remove(store_t *s, uint32_t k)
{
    series_t *se = s->all[k];
    uint32_t mask = s->table_cap - 1;
    uint32_t i = (uint32_t)(store_cell(s, series_name(se), series_hash(se)) - s->table);
    uint32_t j = i;

    for (;;) {
        uint32_t home;
        j = (j + 1) & mask;
        if (!s->table[j])
            break;
        home = (uint32_t)series_hash(s->all[s->table[j] - 1]) & mask;
        /* The entry at j may fill hole i unless its home lies in (i, j]. */
        if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
            s->table[i] = s->table[j];
            i = j;
        }
    }
    s->table[i] = 0;
    if (k != s->n - 1) {
        series_t *moved = s->all[s->n - 1];
        *store_cell(s, series_name(moved), series_hash(moved)) = k + 1;
        s->all[k] = moved;
    }
    s->n--;
    if (s->last == se)
        s->last = NULL;
    s->removed++; /* every store_ref_t filled before is looked up again */
    series_free(se, &s->env);
    s->summary_gen++;
}

void store_foreach(store_t *s, void (*fn)(void *ctx, const series_t *series), void *ctx)
{
    for (uint32_t i = 0; i < s->n; i++)
        fn(ctx, s->all[i]);
}

static int store_by_name(const void *a, const void *b)
{
    slice_t x = series_name(*(const series_t *const *)a);
    slice_t y = series_name(*(const series_t *const *)b);
    int c = memcmp(x.p, y.p, x.n < y.n ? x.n : y.n);
    return c ? c : (x.n > y.n) - (x.n < y.n);
}

const series_t **store_sorted(store_t *s, size_t *n)
{
    const series_t **all = xmalloc((s->n ? s->n : 1) * sizeof *all);
    for (uint32_t i = 0; i < s->n; i++)
        all[i] = s->all[i];
    qsort(all, s->n, sizeof *all, store_by_name);
    *n = s->n;
    return all;
}

/* ---- recording and time --------------------------------------------------- */

/* The series of a sample: through ref when it is current (no series was
 * removed since it was filled), else by name; ref is filled either way. */
static inline series_t *store_lookup_ref(store_t *s, store_ref_t *ref, slice_t name, uint64_t *hash)
{
    if (!ref)
        return store_lookup(s, name, hash);
    if (ref->series && ref->gen == s->removed)
        return ref->series;
    ref->series = store_lookup(s, name, hash);
    ref->gen = s->removed;
    return ref->series;
}

/* The body of store_record, store_record_weighted and store_record_ref
 * (inlined into each: the weight of 1 and a NULL ref stay constants on the
 * hot path). */
static inline __attribute__((always_inline)) store_reject_t
store_record_n(store_t *s, store_ref_t *ref, slice_t name, int64_t ts_ms, double ms,
               uint32_t weight, int64_t now_ms)
{
    uint64_t h = 0;
    series_t *se;
    store_reject_t r;
    int created = 0;

    if (!(ms >= 0.0) || isinf(ms) || weight == 0)
        return STORE_REJECT_BAD_VALUE;
    /* Slots keep the second in 32 bits (series.c): unix time 0 .. 2106. */
    if (ts_ms < 0)
        return STORE_REJECT_TOO_OLD;
    if (ts_ms >= STORE_MAX_TS_MS)
        return STORE_REJECT_TOO_NEW;
    if (ts_ms > now_ms + STORE_FUTURE_MS)
        return STORE_REJECT_TOO_NEW;
    if (ts_ms <= now_ms - (int64_t)s->cfg.window_s * 1000)
        return STORE_REJECT_TOO_OLD;
    if (now_ms > s->now_ms)
        s->now_ms = now_ms;
    /* A caller's clock behind the store's: the store's window decides. */
    if (series_floor_div(ts_ms, 1000) < series_window_first(s->now_ms, s->cfg.window_s))
        return STORE_REJECT_TOO_OLD;

    se = store_lookup_ref(s, ref, name, &h);
    if (!se) {
        if (s->n >= s->cfg.max_series)
            return STORE_REJECT_SERIES_LIMIT;
        se = store_add(s, name, h);
        if (!se)
            return STORE_REJECT_MEMORY;
        created = 1;
        if (ref) /* taken back below if its sample is refused: then ref is stale */
            *ref = (store_ref_t){se, s->removed};
    } else {
        /* Keeps the series within window_s + 61 seconds even if
         * store_advance() is late. O(1) unless seconds expire. */
        series_expire(se, &s->env, series_window_first(s->now_ms, s->cfg.window_s));
    }
    r = series_record(se, &s->env, ts_ms, ms, weight);
    if (r == STORE_OK && series_floor_div(ts_ms, 1000) < series_floor_div(s->now_ms, 1000))
        s->summary_gen++; /* a late sample: a closed second changed */
    if (r != STORE_OK && created)
        store_remove(s, s->n - 1); /* a rejected sample leaves no series behind */
    return r;
}

store_reject_t store_record(store_t *s, slice_t name, int64_t ts_ms, double ms, int64_t now_ms)
{
    return store_record_n(s, NULL, name, ts_ms, ms, 1, now_ms);
}

store_reject_t store_record_weighted(store_t *s, slice_t name, int64_t ts_ms, double ms,
                                     uint32_t weight, int64_t now_ms)
{
    return store_record_n(s, NULL, name, ts_ms, ms, weight, now_ms);
}

store_reject_t store_record_ref(store_t *s, store_ref_t *ref, slice_t name, int64_t ts_ms,
                                double ms, uint32_t weight, int64_t now_ms)
{
    return store_record_n(s, ref, name, ts_ms, ms, weight, now_ms);
}

/* Sets raw_limit for the second that starts: so that a window of seconds
 * like the one just closed fits in the room the aggregates leave under the
 * soft cap. Down at once (proportionally), up by 1/8 per second while there
 * is room to spare, down by 1/8 after a second that had to evict anyway. */
static void store_tune_raw(store_t *s, int64_t sec)
{
    uint32_t k = s->env.raw_limit, top = s->cfg.raw_per_second, step = k / 8 ? k / 8 : 1;
    size_t agg = s->bytes - s->kind[SERIES_MEM_RAW];
    double room = s->soft_limit > agg ? (double)(s->soft_limit - agg) : 0.0;
    int64_t last = s->raw_by_sec[store_ring(s, sec - 1)];
    double need = last > 0 ? (double)last * (s->cfg.window_s + 1) : 0.0;

    if (top == 0)
        return;
    if (need > room) {
        /* The last second was filled at raw_filled points per second. */
        double fit = (double)s->raw_filled * room / need;
        uint32_t want = fit < 1.0 ? 1 : (uint32_t)fit;
        if (want < k)
            k = want;
        else if (s->pressure)
            k = k > step ? k - step : 1;
    } else if (s->pressure) {
        k = k > step ? k - step : 1;
    } else if (k < top && need * (k + step) <= room * 7 / 8 * s->raw_filled) {
        k = k + step < top ? k + step : top;
    }
    s->pressure = 0;
    s->env.raw_limit = k;
    s->raw_filled = k;
}

void store_advance(store_t *s, int64_t now_ms)
{
    int64_t sec, first;

    if (now_ms > s->now_ms)
        s->now_ms = now_ms;
    sec = series_floor_div(s->now_ms, 1000);
    first = series_window_first(s->now_ms, s->cfg.window_s);
    /* Work once per second, and once more when the oldest second leaves
     * (the window's left edge is exclusive, so that happens at ms 999). */
    if (sec == s->advanced_sec && first == s->expired_first)
        return;

    /* Backwards, so that swap-removal only moves visited series. */
    for (uint32_t i = s->n; i-- > 0;) {
        series_t *se = s->all[i];
        series_expire(se, &s->env, first);
        series_seal(se, &s->env, sec);
        if (series_is_empty(se))
            store_remove(s, i);
    }
    s->expired_first = first;
    if (sec == s->advanced_sec)
        return;
    s->advanced_sec = sec;

    store_tune_raw(s, sec);
}

/* ---- snapshots (series.h, store__*) ------------------------------------- */

series_t *store__restore_series(store_t *s, slice_t name, store_reject_t *why)
{
    uint64_t h = store_hash(name);
    series_t *se;

    if (s->n >= s->cfg.max_series) {
        *why = STORE_REJECT_SERIES_LIMIT;
        return NULL;
    }
    se = store_add(s, name, h);
    if (!se)
        *why = STORE_REJECT_MEMORY;
    return se;
}

void store__restore_done(store_t *s, series_t *se)
{
    /* store_add() appended it; the restore added nothing since. */
    if (series_is_empty(se) && s->n > 0 && s->all[s->n - 1] == se)
        store_remove(s, s->n - 1);
    s->summary_gen++;
}

series_env_t *store__env(store_t *s)
{
    return &s->env;
}
