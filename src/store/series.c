/* series.c - per-series seconds: aggregates, histograms, raw reservoirs.
 *
 * Layout of one series (see series.h for why a deque and not a dense ring):
 *
 *   series_t ─ slots: circular deque of slot_t, ascending by second, one per
 *            │         second that has samples; n <= max_slots = window_s + 61
 *            └ open:   the seconds whose histogram is still open (sparse)
 *
 * A slot's histogram is open (hist_open_t: an octave index and 64-counter
 * blocks, O(1) to update; see hist.h for its memory bound) while its second
 * may still receive samples, and sealed (hist.c byte encoding,
 * about 1 byte per non-empty bucket) once the store has moved past it. A
 * late sample for a sealed second unseals it; the next store_advance()
 * seals it again. Raw points are 6-byte records (uint16 ms offset within the
 * second, float ms) in a reservoir whose record 0 is always the largest kept
 * point, so the second's max survives sampling.
 */
#include "series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/xmalloc.h"
#include "harena.h"

/* One second of one series. 64 bytes: a dense 30-minute series spends
 * 1861 * 64 = 116 KiB on slot headers. Invariant: count >= 1 (a slot exists
 * only once a sample landed in it). The second is kept in 32 bits (unix
 * seconds up to 2106; store_record refuses anything else) to make room for
 * the change epoch within the cache line. */
typedef struct slot {
    uint32_t sec;   /* unix second */
    uint32_t epoch; /* env->epoch of the last sample accepted into it (push/detail) */
    uint64_t count; /* samples in this second, exact */
    double sum, min, max;
    void *hist;         /* open: hist_open_t; sealed: uint8_t[hist_len] */
    uint8_t *raw;       /* raw_cap records of SERIES_RAW_BYTES; record 0 is the largest */
    uint16_t hist_len;  /* open: 0; sealed: bytes (<= 2689 * 11 < 65536) */
    uint16_t hist_open; /* 1: hist is open, 0: sealed */
    uint16_t raw_n;     /* records kept */
    uint16_t raw_cap;   /* records allocated (<= raw_per_second <= 65535) */
} slot_t;

_Static_assert(sizeof(slot_t) == 64, "slot_t is meant to be one cache line");

/* The fields a sample reads and writes come first, together (44 bytes:
 * one cache line unless the allocation starts in a line's second half);
 * the name lookup's and new seconds' fields after them. */
struct series {
    slot_t *slots;         /* deque storage, cap entries */
    uint32_t head, n, cap; /* deque: slot i is slots[(head + i) % cap] */
    /* No slot's second is below this (0 at first). series_expire() to a
     * second at or below it has nothing to do and does not touch the
     * oldest slot, a cold cache line, on every sample. */
    uint32_t floor_sec;
    int64_t last_seen_ms; /* newest sample timestamp ever recorded */
    uint64_t last_change; /* env->seq of the last accepted sample */
    uint32_t last_epoch;  /* env->epoch of the last accepted sample */
    uint32_t max_slots;   /* window_s + 61: the most seconds the window holds */
    uint64_t hash;
    int64_t *open; /* seconds with an open histogram, unordered, open_n used */
    uint32_t open_n, open_cap;
    harena_t arena; /* the sealed histograms, in seal order (store/harena.h) */
    uint32_t name_len;
    char name[]; /* not NUL-terminated */
};

/* 88 bytes on 64-bit machines, the name starting at 84 (floor_sec took 4
 * bytes of the tail padding, the arena 8 more); series_new_bytes() counts
 * them in the budget. */
_Static_assert(sizeof(struct series) == 88 || sizeof(void *) != 8, "series_t is 88 bytes");

/* First capacities; all grow by doubling up to their bound. */
#define SERIES_SLOTS_MIN 4
/* What the heap costs for a slot beyond the bytes we ask for: glibc adds an
 * 8-byte header to each of its two small blocks (histogram, raw points;
 * since sealed histograms moved into arena chunks, the histogram's block
 * is there only while the second is open, so this over-counts a little),
 * rounds to 16 and allocates at least 32 bytes (up to 31 bytes per block),
 * and the holes left when open histograms (300+ B) are replaced by small
 * sealed ones fragment the heap. Charged per occupied slot (with the slot
 * headers) so the budget measures the process, not just our payload. The
 * figure is measured (bench/rss.mjs, a flood of 10,000 series x every
 * second): without it ~87 B per slot went unaccounted (RSS 395 MiB at a
 * 256 MiB budget); 64 B still left 33 B per slot. */
#define SERIES_SLOT_HEAP 96
#define SERIES_OPEN_MIN  4
#define SERIES_RAW_MIN   8

/* ---- small helpers ------------------------------------------------------ */

static slot_t *series_slot(const series_t *se, uint32_t i)
{
    uint32_t j = se->head + i;
    if (j >= se->cap)
        j -= se->cap;
    return &se->slots[j];
}

/* Index (0..n) of the first slot whose second is >= sec. O(1) when sec is at
 * or after the newest second, else a binary search. */
static uint32_t series_lower_bound(const series_t *se, int64_t sec)
{
    uint32_t lo = 0, hi;

    if (se->n == 0 || series_slot(se, se->n - 1)->sec < sec)
        return se->n;
    hi = se->n - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (series_slot(se, mid)->sec < sec)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static slot_t *series_find(const series_t *se, int64_t sec)
{
    uint32_t i = series_lower_bound(se, sec);
    slot_t *sl;

    if (i >= se->n)
        return NULL;
    sl = series_slot(se, i);
    return sl->sec == sec ? sl : NULL;
}

/* xorshift64*: fast, deterministic (tests and benchmarks reproduce), good
 * enough for sampling; not for anything an adversary must not predict. */
static uint64_t series_rand(series_env_t *env)
{
    uint64_t x = env->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    env->rng = x;
    return x * UINT64_C(2685821657736338717);
}

/* Uniform in [0, n) without a division (Lemire's multiply-shift). */
static uint64_t series_rand_below(series_env_t *env, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)series_rand(env) * n) >> 64);
}

/* Raw records are 6 unaligned bytes; memcpy keeps that well-defined and
 * compiles to plain loads and stores. */
static void series_raw_put(uint8_t *rec, uint16_t off, float ms)
{
    memcpy(rec, &off, sizeof off);
    memcpy(rec + sizeof off, &ms, sizeof ms);
}

static uint16_t series_raw_off(const uint8_t *rec)
{
    uint16_t off;
    memcpy(&off, rec, sizeof off);
    return off;
}

static float series_raw_ms(const uint8_t *rec)
{
    float ms;
    memcpy(&ms, rec + sizeof(uint16_t), sizeof ms);
    return ms;
}

/* Readers do not care whether a second is open or sealed. */
static void series_slot_iter(const slot_t *sl, hist_iter_t *it)
{
    if (sl->hist_open)
        hist_iter_open(it, sl->hist);
    else
        hist_iter_sealed(it, sl->hist, sl->hist_len);
}

/* Frees a slot's buffers and gives their bytes back. A sealed histogram's
 * bytes stay in its arena chunk, which goes (and is given back) when all
 * its seconds have (harena_expire). */
static void series_slot_dispose(series_env_t *env, slot_t *sl)
{
    env->release(env->ctx, SERIES_MEM_SLOTS, SERIES_SLOT_HEAP, sl->sec);
    if (sl->hist_open) {
        env->release(env->ctx, SERIES_MEM_HIST, hist_open_bytes(sl->hist), sl->sec);
        hist_open_free(sl->hist);
    }
    if (sl->raw_cap)
        env->release(env->ctx, SERIES_MEM_RAW, (size_t)sl->raw_cap * SERIES_RAW_BYTES, sl->sec);
    free(sl->raw);
    sl->hist = NULL;
    sl->raw = NULL;
}

/* ---- lifecycle ---------------------------------------------------------- */

/* The name is stored inline after the header: one allocation per series. */
/* The totals live after the name, 8-aligned: count, sum (a double's
 * bits), then n_le + 1 bucket counts. */
static size_t series_totals_at(size_t name_len)
{
    return (offsetof(series_t, name) + name_len + 7) & ~(size_t)7;
}

static uint64_t *series_totals(const series_t *se)
{
    return (uint64_t *)((char *)se + series_totals_at(se->name_len));
}

size_t series_new_bytes(size_t name_len, uint32_t n_le)
{
    size_t end = series_totals_at(name_len) + (3 + (size_t)n_le) * sizeof(uint64_t);
    return end > sizeof(series_t) ? end : sizeof(series_t);
}

series_t *series_new(slice_t name, uint64_t hash, uint32_t max_slots, uint32_t n_le)
{
    series_t *se = xcalloc(1, series_new_bytes(name.n, n_le));

    se->hash = hash;
    se->max_slots = max_slots;
    se->last_seen_ms = INT64_MIN;
    se->name_len = (uint32_t)name.n;
    if (name.n)
        memcpy(se->name, name.p, name.n);
    return se;
}

void series_free(series_t *se, series_env_t *env)
{
    if (!se)
        return;
    for (uint32_t i = 0; i < se->n; i++)
        series_slot_dispose(env, series_slot(se, i));
    env->release(env->ctx, SERIES_MEM_HIST, harena_free(&se->arena), 0);
    env->release(env->ctx, SERIES_MEM_SLOTS, (size_t)se->cap * sizeof(slot_t), 0);
    env->release(env->ctx, SERIES_MEM_FIXED,
                 (size_t)se->open_cap * sizeof(int64_t) + series_new_bytes(se->name_len, env->n_le),
                 0);
    free(se->slots);
    free(se->open);
    free(se);
}

uint64_t series_hash(const series_t *se)
{
    return se->hash;
}

int series_name_eq(const series_t *se, slice_t name)
{
    return se->name_len == name.n && (name.n == 0 || memcmp(se->name, name.p, name.n) == 0);
}

slice_t series_name(const series_t *series)
{
    return slice_make(series->name, series->name_len);
}

uint64_t series_last_change(const series_t *series)
{
    return series->last_change;
}

int series_is_empty(const series_t *se)
{
    return se->n == 0;
}

uint32_t series_nseconds(const series_t *se)
{
    return se->n;
}

int64_t series_first_sec(const series_t *se)
{
    return se->n ? series_slot(se, 0)->sec : INT64_MAX;
}

/* ---- capacity ----------------------------------------------------------- */

/* Moves the deque into a new array of new_cap (>= n) slots, head at 0.
 * Cache-line aligned: a slot is read and written on every sample, and at
 * malloc's 16-byte alignment most slots straddle two lines. */
static void series_deque_resize(series_t *se, uint32_t new_cap)
{
    slot_t *ns = xaligned_alloc(64, (size_t)new_cap * sizeof *ns);

    for (uint32_t i = 0; i < se->n; i++)
        ns[i] = *series_slot(se, i);
    free(se->slots);
    se->slots = ns;
    se->head = 0;
    se->cap = new_cap;
}

/* Makes room for one more slot. Returns 0, or -1 if the budget refuses. */
static int series_deque_reserve(series_t *se, series_env_t *env, int64_t sec)
{
    uint32_t want;

    if (se->n < se->cap)
        return 0;
    if (se->n >= se->max_slots)
        return -1; /* cannot happen when the caller expires first; refuse to grow past it */
    want = se->cap ? se->cap * 2 : SERIES_SLOTS_MIN;
    if (want > se->max_slots)
        want = se->max_slots;
    /* Under budget pressure fall back to one more slot. */
    if (!env->reserve(env->ctx, SERIES_MEM_SLOTS, (size_t)(want - se->cap) * sizeof(slot_t), sec)) {
        want = se->cap + 1;
        if (!env->reserve(env->ctx, SERIES_MEM_SLOTS, sizeof(slot_t), sec))
            return -1;
    }
    series_deque_resize(se, want);
    return 0;
}

/* Makes room in the list of open seconds. Returns 0, or -1 (budget). */
static int series_open_reserve(series_t *se, series_env_t *env, int64_t sec)
{
    uint32_t want;

    if (se->open_n < se->open_cap)
        return 0;
    want = se->open_cap ? se->open_cap * 2 : SERIES_OPEN_MIN;
    if (!env->reserve(env->ctx, SERIES_MEM_FIXED, (size_t)(want - se->open_cap) * sizeof(int64_t),
                      sec))
        return -1;
    se->open = xrealloc(se->open, (size_t)want * sizeof(int64_t));
    se->open_cap = want;
    return 0;
}

/* The open list is short (the current second or two, plus late arrivals),
 * so a linear scan is the cheapest lookup. */
static void series_open_remove(series_t *se, int64_t sec)
{
    for (uint32_t i = 0; i < se->open_n; i++) {
        if (se->open[i] == sec) {
            se->open[i] = se->open[--se->open_n];
            return;
        }
    }
}

/* Shrinks over-sized containers after expiry, so that a series whose traffic
 * dropped gives its memory back (bounded by config either way). */
static void series_shrink(series_t *se, series_env_t *env)
{
    if (se->cap > SERIES_SLOTS_MIN && se->n < se->cap / 4) {
        uint32_t want = se->n * 2 > SERIES_SLOTS_MIN ? se->n * 2 : SERIES_SLOTS_MIN;
        env->release(env->ctx, SERIES_MEM_SLOTS, (size_t)(se->cap - want) * sizeof(slot_t), 0);
        series_deque_resize(se, want);
    }
    if (se->open_cap > SERIES_OPEN_MIN && se->open_n < se->open_cap / 4) {
        uint32_t want = se->open_cap / 2;
        env->release(env->ctx, SERIES_MEM_FIXED, (size_t)(se->open_cap - want) * sizeof(int64_t),
                     0);
        se->open = xrealloc(se->open, (size_t)want * sizeof(int64_t));
        se->open_cap = want;
    }
}

/* Inserts an empty open slot for sec at deque position i, whose histogram
 * has the block of bucket b. Everything is reserved before anything
 * changes, so a refusal leaves the series as it was (apart from unused
 * capacity). Returns the slot or NULL. */
static slot_t *series_insert(series_t *se, series_env_t *env, uint32_t i, int64_t sec, uint32_t b)
{
    const size_t hist_bytes = hist_open_bytes_for(1);
    slot_t *sl;

    if (!env->reserve(env->ctx, SERIES_MEM_HIST, hist_bytes, sec))
        return NULL;
    if (!env->reserve(env->ctx, SERIES_MEM_SLOTS, SERIES_SLOT_HEAP, sec)) {
        env->release(env->ctx, SERIES_MEM_HIST, hist_bytes, sec);
        return NULL;
    }
    if (series_open_reserve(se, env, sec) != 0 || series_deque_reserve(se, env, sec) != 0) {
        env->release(env->ctx, SERIES_MEM_HIST, hist_bytes, sec);
        env->release(env->ctx, SERIES_MEM_SLOTS, SERIES_SLOT_HEAP, sec);
        return NULL;
    }
    /* Shift the shorter side by one: appending (the usual case) moves nothing. */
    if (i < se->n - i) {
        se->head = se->head ? se->head - 1 : se->cap - 1;
        for (uint32_t k = 0; k < i; k++)
            *series_slot(se, k) = *series_slot(se, k + 1);
    } else {
        for (uint32_t k = se->n; k > i; k--)
            *series_slot(se, k) = *series_slot(se, k - 1);
    }
    se->n++;
    if (sec < se->floor_sec) /* before the last expiry: tests do it, the store never */
        se->floor_sec = (uint32_t)sec;
    sl = series_slot(se, i);
    memset(sl, 0, sizeof *sl);
    sl->sec = (uint32_t)sec;
    sl->hist = hist_open_new(b);
    sl->hist_open = 1;
    se->open[se->open_n++] = sec;
    return sl;
}

/* Turns a sealed histogram back into an open one that has the block of
 * bucket b. Returns 0, or -1 (budget; the slot stays sealed). */
static int series_unseal(series_t *se, series_env_t *env, slot_t *sl, uint32_t b)
{
    size_t open_bytes = hist_open_bytes_for(hist_open_unseal_blocks(sl->hist, sl->hist_len, b));
    hist_open_t *h;

    if (series_open_reserve(se, env, sl->sec) != 0)
        return -1;
    /* The sealed bytes stay in their chunk (counted with it) until it goes:
     * the open form is reserved whole. */
    if (!env->reserve(env->ctx, SERIES_MEM_HIST, open_bytes, sl->sec))
        return -1;
    h = hist_open_unseal(sl->hist, sl->hist_len, b);
    sl->hist = h;
    sl->hist_len = 0;
    sl->hist_open = 1;
    se->open[se->open_n++] = sl->sec;
    return 0;
}

/* Adds the block of bucket b's octave to an open histogram. Returns 0, or
 * -1 (budget; nothing changed). At most HIST_OCTAVES times per second. */
static int series_hist_grow(series_env_t *env, slot_t *sl, uint32_t b)
{
    if (!env->reserve(env->ctx, SERIES_MEM_HIST, HIST_OPEN_BLOCK, sl->sec))
        return -1;
    sl->hist = hist_open_grow(sl->hist, b);
    return 0;
}

/* Resizes a reservoir to new_cap records (>= raw_n); the bytes are already
 * reserved or are released by the caller. */
static void series_raw_resize(slot_t *sl, uint32_t new_cap)
{
    if (new_cap == 0) {
        free(sl->raw);
        sl->raw = NULL;
    } else {
        sl->raw = xrealloc(sl->raw, (size_t)new_cap * SERIES_RAW_BYTES);
    }
    sl->raw_cap = (uint16_t)new_cap;
}

/* ---- recording ---------------------------------------------------------- */

/* Offers one point to the second's reservoir. Algorithm R over the points
 * that are not a new maximum, on records 1..k-1; a point at least as large
 * as the largest kept one always enters at record 0, evicting a uniformly
 * chosen record. count is the second's sample count including this one. */
static void series_raw_offer(series_env_t *env, slot_t *sl, uint16_t off, double ms)
{
    uint32_t k = env->raw_limit;
    float f = (float)ms;
    int is_max;

    if (k == 0)
        return;
    if (sl->sec < env->raw_floor_sec) {
        env->raw_dropped++;
        return;
    }
    is_max = sl->raw_n == 0 || f >= series_raw_ms(sl->raw);
    if (sl->raw_n < k) {
        if (sl->raw_n == sl->raw_cap) {
            uint32_t want = sl->raw_cap ? sl->raw_cap * 2u : SERIES_RAW_MIN;
            if (want > k)
                want = k;
            if (!env->reserve(env->ctx, SERIES_MEM_RAW,
                              (size_t)(want - sl->raw_cap) * SERIES_RAW_BYTES, sl->sec)) {
                want = sl->raw_cap + 1u;
                if (!env->reserve(env->ctx, SERIES_MEM_RAW, SERIES_RAW_BYTES, sl->sec))
                    want = 0;
            }
            if (want == 0) {
                /* No memory: keep sampling within what the reservoir has. */
                env->raw_dropped++;
                if (sl->raw_n == 0)
                    return;
                goto replace;
            }
            series_raw_resize(sl, want);
        }
        uint8_t *rec = sl->raw + (size_t)sl->raw_n * SERIES_RAW_BYTES;
        if (is_max && sl->raw_n > 0) {
            memcpy(rec, sl->raw, SERIES_RAW_BYTES); /* old largest becomes a plain record */
            rec = sl->raw;
        }
        series_raw_put(rec, off, f);
        sl->raw_n++;
        return;
    }
replace:
    /* Full (raw_n >= k, or no memory to grow): replace, never allocate. */
    if (is_max) {
        uint64_t v = series_rand_below(env, sl->raw_n);
        if (v != 0)
            memcpy(sl->raw + v * SERIES_RAW_BYTES, sl->raw, SERIES_RAW_BYTES);
        series_raw_put(sl->raw, off, f);
    } else if (sl->raw_n > 1) {
        uint64_t j = series_rand_below(env, sl->count);
        if (j < (uint64_t)sl->raw_n - 1)
            series_raw_put(sl->raw + (j + 1) * SERIES_RAW_BYTES, off, f);
    }
}

/* Counts a sample into the totals (series_totals_t): O(1), plus a compare
 * per bound in the rare histogram bucket a bound cuts. */
static void series_count_total(series_t *se, const series_env_t *env, uint32_t b, double ms,
                               uint32_t weight)
{
    uint64_t *t = series_totals(se);
    double sum;
    t[0] += weight;
    memcpy(&sum, &t[1], sizeof sum);
    sum += ms * weight;
    memcpy(&t[1], &sum, sizeof sum);
    if (!env->n_le) {
        t[2] += weight;
        return;
    }
    uint32_t i = env->le_first[b];
    if (env->le_cut[b])
        while (i < env->n_le && ms > env->le_ms[i])
            i++;
    t[2 + i] += weight;
}

store_reject_t series_record(series_t *se, series_env_t *env, int64_t ts_ms, double ms,
                             uint32_t weight)
{
    int64_t sec = series_floor_div(ts_ms, 1000);
    uint32_t b = hist_bucket(ms);
    uint32_t i = series_lower_bound(se, sec);
    slot_t *sl;

    /* Phase 1: get an open slot with room for bucket b; may be refused. */
    if (i < se->n && series_slot(se, i)->sec == sec) {
        sl = series_slot(se, i);
        if (!sl->hist_open && series_unseal(se, env, sl, b) != 0)
            return STORE_REJECT_MEMORY;
    } else {
        sl = series_insert(se, env, i, sec, b);
        if (!sl)
            return STORE_REJECT_MEMORY;
    }
    /* O(1): a new or unsealed slot already has b's block; an open one may
     * need one more (256 bytes, at most 43 times per second). */
    if (hist_open_add(sl->hist, b, weight) != 0) {
        if (hist_open_has(sl->hist, b) || series_hist_grow(env, sl, b) != 0)
            return STORE_REJECT_MEMORY; /* full counter (see hist.h) or budget */
        hist_open_add(sl->hist, b, weight);
    }

    /* Phase 2: the sample is accepted; nothing below can fail. */
    series_count_total(se, env, b, ms, weight);
    if (sl->count == 0 || ms < sl->min)
        sl->min = ms;
    if (sl->count == 0 || ms > sl->max)
        sl->max = ms;
    sl->count += weight;
    sl->sum += ms * weight;
    series_raw_offer(env, sl, (uint16_t)(ts_ms - sec * 1000), ms);
    if (ts_ms > se->last_seen_ms)
        se->last_seen_ms = ts_ms;
    se->last_change = ++env->seq;
    sl->epoch = env->epoch;
    se->last_epoch = env->epoch;
    return STORE_OK;
}

/* ---- time --------------------------------------------------------------- */

void series_expire(series_t *se, series_env_t *env, int64_t first_sec)
{
    int expired = 0;

    if (first_sec <= (int64_t)se->floor_sec)
        return;
    /* Seconds leave from the front only: the deque is sorted by second. */
    while (se->n > 0 && se->slots[se->head].sec < first_sec) {
        slot_t *sl = &se->slots[se->head];
        if (sl->hist_open)
            series_open_remove(se, sl->sec);
        series_slot_dispose(env, sl);
        se->head = se->head + 1 == se->cap ? 0 : se->head + 1;
        se->n--;
        expired = 1;
    }
    se->floor_sec = first_sec > UINT32_MAX ? UINT32_MAX : (uint32_t)first_sec;
    if (expired) {
        /* Chunks whose every second is older than the oldest held one. */
        size_t freed = harena_expire(&se->arena, se->n ? se->slots[se->head].sec : UINT32_MAX);
        if (freed)
            env->release(env->ctx, SERIES_MEM_HIST, freed, 0);
        series_shrink(se, env);
    }
}

/* Seals one open slot into the series' arena. Returns 0, or -1 if the
 * budget refused a new chunk; the slot stays open. One pass over the
 * counters: encode into scratch of the worst-case size, then copy the
 * bytes written to the arena's newest chunk. */
static int series_slot_seal(series_t *se, series_env_t *env, slot_t *sl)
{
    static uint8_t scratch[4096];
    size_t open_bytes = hist_open_bytes(sl->hist);
    size_t bound = hist_open_seal_bound(sl->hist);
    uint8_t *buf = bound <= sizeof scratch ? scratch : xmalloc(bound);
    size_t len = hist_open_seal(sl->hist, buf);

    /* Sealing is what frees memory under pressure: the open form's bytes
     * are given back first, so a new chunk usually fits in them. If it
     * does not, take them back (they were just freed) and stay open. */
    env->release(env->ctx, SERIES_MEM_HIST, open_bytes, sl->sec);
    if (!harena_fits(&se->arena, len)) {
        uint32_t cap = harena_next_cap(&se->arena, len);
        if (!env->reserve(env->ctx, SERIES_MEM_HIST, harena_chunk_bytes(cap), sl->sec)) {
            if (!env->reserve(env->ctx, SERIES_MEM_HIST, open_bytes, sl->sec))
                abort(); /* the bytes given back a moment ago */
            if (buf != scratch)
                free(buf);
            return -1;
        }
        harena_grow(&se->arena, cap);
    }
    uint8_t *p = harena_take(&se->arena, len, sl->sec);
    memcpy(p, buf, len);
    if (buf != scratch)
        free(buf);
    hist_open_free(sl->hist);
    sl->hist = p;
    sl->hist_len = (uint16_t)len;
    sl->hist_open = 0;
    /* The reservoir of a closed second rarely grows again: trim it. */
    if (sl->raw_cap > sl->raw_n) {
        env->release(env->ctx, SERIES_MEM_RAW, (size_t)(sl->raw_cap - sl->raw_n) * SERIES_RAW_BYTES,
                     sl->sec);
        series_raw_resize(sl, sl->raw_n);
    }
    return 0;
}

void series_seal(series_t *se, series_env_t *env, int64_t before_sec)
{
    uint32_t i = 0;

    /* Invariant kept: a slot is open iff its second is in the open list. */
    while (i < se->open_n) {
        int64_t sec = se->open[i];
        slot_t *sl;
        if (sec >= before_sec) {
            i++;
            continue;
        }
        sl = series_find(se, sec);
        if (sl && sl->hist_open && series_slot_seal(se, env, sl) != 0) {
            i++;
            continue;
        }
        se->open[i] = se->open[--se->open_n]; /* sealed (or gone): drop from the list */
    }
}

/* Drops a whole reservoir: eviction works by second, oldest first, so the
 * raw points that remain are always the most recent ones. */
void series_evict_raw(series_t *se, series_env_t *env, int64_t sec)
{
    slot_t *sl = series_find(se, sec);

    if (!sl || sl->raw_cap == 0)
        return;
    env->raw_dropped += sl->raw_n;
    env->release(env->ctx, SERIES_MEM_RAW, (size_t)sl->raw_cap * SERIES_RAW_BYTES, sl->sec);
    sl->raw_n = 0;
    series_raw_resize(sl, 0);
}

/* ---- reading ------------------------------------------------------------ */

/* The quantiles every reader reports; ascending, as hist_*_quantiles need. */
static const double series_qs[3] = {0.50, 0.90, 0.99};

/* Adds one second's aggregates and histogram to a merge. */
static void series_add_slot(const slot_t *sl, hist_acc_t *acc, series_agg_t *agg)
{
    hist_iter_t it;
    if (agg->count == 0 || sl->min < agg->min)
        agg->min = sl->min;
    if (agg->count == 0 || sl->max > agg->max)
        agg->max = sl->max;
    agg->count += sl->count;
    agg->sum += sl->sum;
    series_slot_iter(sl, &it);
    hist_acc_add_iter(acc, &it);
}

void series_merge(const series_t *se, int64_t lo_sec, int64_t hi_sec, hist_acc_t *acc,
                  series_agg_t *agg)
{
    /* Merge, never average: the sum of the seconds' bucket counts is the
     * histogram of the range, so its quantiles keep the 0.78% bound. */
    for (uint32_t i = series_lower_bound(se, lo_sec); i < se->n; i++) {
        const slot_t *sl = series_slot(se, i);
        if (sl->sec >= hi_sec)
            break;
        series_add_slot(sl, acc, agg);
    }
}

void series_stats(const series_t *se, int64_t lo_sec, int64_t hi_sec, hist_acc_t *acc,
                  series_summary_t *out)
{
    series_agg_t agg = {0, 0, 0, 0};
    double q[3];

    out->p50 = out->p90 = out->p99 = 0.0;
    hist_acc_clear(acc);
    series_merge(se, lo_sec, hi_sec, acc, &agg);
    out->count = agg.count;
    out->sum = agg.sum;
    out->min = agg.min;
    out->max = agg.max;
    if (out->count == 0)
        return;
    hist_acc_quantiles(acc, out->min, out->max, series_qs, 3, q);
    out->p50 = q[0];
    out->p90 = q[1];
    out->p99 = q[2];
}

/* The row of a slot: aggregates and its own percentiles. */
static void series_slot_row(const slot_t *sl, series_second_t *row)
{
    hist_iter_t it;
    double q[3];
    series_slot_iter(sl, &it);
    hist_iter_quantiles(&it, sl->count, sl->min, sl->max, series_qs, 3, q);
    row->start_ms = (int64_t)sl->sec * 1000;
    row->count = sl->count;
    row->sum = sl->sum;
    row->min = sl->min;
    row->max = sl->max;
    row->p50 = q[0];
    row->p90 = q[1];
    row->p99 = q[2];
}

void series_seconds(const series_t *se, int64_t lo_sec, int64_t hi_sec,
                    void (*fn)(void *ctx, const series_second_t *sec), void *ctx)
{
    for (uint32_t i = series_lower_bound(se, lo_sec); i < se->n; i++) {
        const slot_t *sl = series_slot(se, i);
        series_second_t row;
        if (sl->sec >= hi_sec)
            break;
        series_slot_row(sl, &row);
        fn(ctx, &row);
    }
}

int64_t series_changed(const series_t *se, int64_t lo_sec, uint32_t since_epoch,
                       int (*fn)(void *ctx, const series_second_t *sec), void *ctx)
{
    if (se->last_epoch <= since_epoch)
        return INT64_MAX; /* the common case for a quiet series: O(1) */
    for (uint32_t i = series_lower_bound(se, lo_sec); i < se->n; i++) {
        const slot_t *sl = series_slot(se, i);
        series_second_t row;
        if (sl->epoch <= since_epoch)
            continue;
        series_slot_row(sl, &row);
        if (fn(ctx, &row))
            return sl->sec;
    }
    return INT64_MAX;
}

uint32_t series_epoch(const series_t *se)
{
    return se->last_epoch;
}

/* Every non-empty bucket of second sec, by index, ascending. */
static size_t series_bucket_ids(const series_t *se, int64_t sec,
                                void (*fn)(void *ctx, uint32_t bucket, uint64_t count), void *ctx)
{
    const slot_t *sl = series_find(se, sec);
    hist_iter_t it;
    uint32_t b;
    uint64_t c;
    size_t rows = 0;

    if (!sl)
        return 0;
    series_slot_iter(sl, &it);
    while (hist_iter_next(&it, &b, &c)) {
        fn(ctx, b, c);
        rows++;
    }
    return rows;
}

/* series_buckets() is series_bucket_ids() with the bucket turned into its range. */
typedef struct bucket_range_fn {
    void (*fn)(void *ctx, double lower_ms, double upper_ms, uint64_t count);
    void *ctx;
} bucket_range_fn_t;

static void series_bucket_range(void *ctx, uint32_t bucket, uint64_t count)
{
    const bucket_range_fn_t *r = ctx;
    r->fn(r->ctx, hist_bucket_lower(bucket), hist_bucket_upper(bucket), count);
}

size_t series_buckets(const series_t *se, int64_t sec,
                      void (*fn)(void *ctx, double lower_ms, double upper_ms, uint64_t count),
                      void *ctx)
{
    bucket_range_fn_t r = {fn, ctx};
    return series_bucket_ids(se, sec, series_bucket_range, &r);
}

void series_foreach_raw(const series_t *series, int64_t since_ms, int64_t until_ms,
                        void (*fn)(void *ctx, int64_t ts_ms, double ms), void *ctx)
{
    const series_t *se = series;

    /* Raw points carry their millisecond: filter exactly, not by second.
     * Within a second they come in reservoir order (the largest first). */
    for (uint32_t i = series_lower_bound(se, series_floor_div(since_ms, 1000)); i < se->n; i++) {
        const slot_t *sl = series_slot(se, i);
        if ((int64_t)sl->sec * 1000 >= until_ms)
            break;
        for (uint32_t k = 0; k < sl->raw_n; k++) {
            const uint8_t *rec = sl->raw + (size_t)k * SERIES_RAW_BYTES;
            int64_t ts = (int64_t)sl->sec * 1000 + series_raw_off(rec);
            if (ts >= since_ms && ts < until_ms)
                fn(ctx, ts, (double)series_raw_ms(rec));
        }
    }
}

/* ---- public queries (store.h) --------------------------------------------
 * A second belongs to [since, until) when it overlaps it (aggregates have
 * one-second resolution); the range is first clipped to the store's window.
 */

/* Clips [since, until) to the window; returns 0 if nothing is left. */
static int series_clip(const store_t *s, int64_t *since, int64_t *until, int64_t *lo_sec,
                       int64_t *hi_sec)
{
    int64_t now = store_now_ms(s);
    int64_t first = series_window_first(now, store_config(s)->window_s);
    int64_t last = series_window_last(now);

    if (*since < first * 1000)
        *since = first * 1000;
    if (*until > (last + 1) * 1000)
        *until = (last + 1) * 1000;
    if (*since >= *until)
        return 0;
    *lo_sec = series_floor_div(*since, 1000);
    *hi_sec = series_floor_div(*until - 1, 1000) + 1;
    return 1;
}

void series_summarize(store_t *s, const series_t *series, int64_t since_ms, int64_t until_ms,
                      series_summary_t *out)
{
    int64_t lo_sec, hi_sec, end;
    uint32_t i;

    memset(out, 0, sizeof *out);
    if (!series)
        return;
    out->last_seen_ms = series->last_seen_ms;
    if (!series_clip(s, &since_ms, &until_ms, &lo_sec, &hi_sec))
        return;
    series_stats(series, lo_sec, hi_sec, store_scratch(s), out);
    if (out->count == 0)
        return;
    /* The rate divides by the time the range has actually lived: up to now,
     * or to the end of the newest selected second if it starts after now
     * (samples stamped ahead of now). */
    end = store_now_ms(s);
    i = series_lower_bound(series, hi_sec);
    if (i > 0 && (int64_t)series_slot(series, i - 1)->sec * 1000 > end)
        end = ((int64_t)series_slot(series, i - 1)->sec + 1) * 1000;
    if (end > until_ms)
        end = until_ms;
    if (end > since_ms)
        out->rate_per_s = (double)out->count / ((double)(end - since_ms) / 1000.0);
}

void series_foreach_second(store_t *s, const series_t *series, int64_t since_ms, int64_t until_ms,
                           void (*fn)(void *ctx, const series_second_t *sec), void *ctx)
{
    int64_t lo_sec, hi_sec;

    if (series && series_clip(s, &since_ms, &until_ms, &lo_sec, &hi_sec))
        series_seconds(series, lo_sec, hi_sec, fn, ctx);
}

size_t series_foreach_bucket_id(const series_t *series, int64_t second_ms,
                                void (*fn)(void *ctx, uint32_t bucket, uint64_t count), void *ctx)
{
    if (!series)
        return 0;
    return series_bucket_ids(series, series_floor_div(second_ms, 1000), fn, ctx);
}

int64_t series_foreach_changed(const series_t *series, int64_t from_ms, uint32_t since_epoch,
                               int (*fn)(void *ctx, const series_second_t *sec), void *ctx)
{
    int64_t stopped = series_changed(series, series_floor_div(from_ms, 1000), since_epoch, fn, ctx);
    return stopped == INT64_MAX ? INT64_MAX : stopped * 1000;
}

size_t series_foreach_bucket(store_t *s, const series_t *series, int64_t second_ms,
                             void (*fn)(void *ctx, double lower_ms, double upper_ms,
                                        uint64_t count),
                             void *ctx)
{
    (void)s;
    if (!series)
        return 0;
    return series_buckets(series, series_floor_div(second_ms, 1000), fn, ctx);
}

void series_merge_range(const store_t *s, const series_t *series, int64_t since_ms,
                        int64_t until_ms, hist_acc_t *acc, series_agg_t *agg)
{
    int64_t lo_sec, hi_sec;

    if (series && series_clip(s, &since_ms, &until_ms, &lo_sec, &hi_sec))
        series_merge(series, lo_sec, hi_sec, acc, agg);
}

void series_cursor_init(const store_t *s, const series_t *series, int64_t since_ms,
                        series_cursor_t *c)
{
    int64_t first = series_window_first(store_now_ms(s), store_config(s)->window_s);
    int64_t sec = series_floor_div(since_ms, 1000);
    c->series = series;
    c->next = series_lower_bound(series, sec > first ? sec : first);
}

void series_cursor_prefetch(const series_cursor_t *c, int deep)
{
    const series_t *se = c->series;
    if (c->next >= se->n)
        return;
    const slot_t *sl = series_slot(se, c->next);
    if (deep)
        __builtin_prefetch(sl->hist); /* reads the slot: prefetched shallow before */
    else
        __builtin_prefetch(sl);
}

void series_cursor_merge(series_cursor_t *c, int64_t until_ms, hist_acc_t *acc, series_agg_t *agg)
{
    const series_t *se = c->series;
    /* Seconds that start before until_ms overlap the range. */
    int64_t hi_sec = series_floor_div(until_ms - 1, 1000) + 1;
    while (c->next < se->n) {
        const slot_t *sl = series_slot(se, c->next);
        if (sl->sec >= hi_sec)
            break;
        /* A sealed second's bytes are an allocation of their own: ask for
         * the next ones while this one is added (a roll-up is bound by
         * these misses, not by the adding). */
        if (c->next + 4 < se->n)
            __builtin_prefetch(series_slot(se, c->next + 4)->hist);
        series_add_slot(sl, acc, agg);
        c->next++;
    }
}

void series_get_totals(const series_t *series, series_totals_t *out)
{
    const uint64_t *t = series_totals(series);
    out->count = t[0];
    memcpy(&out->sum, &t[1], sizeof out->sum);
    out->le = t + 2;
}

/* ---- snapshots (series.h, series__*) -------------------------------------- */

void series__slot_at(const series_t *se, uint32_t i, series__slot_view_t *v)
{
    const slot_t *sl = series_slot(se, i);
    v->sec = sl->sec;
    v->count = sl->count;
    v->sum = sl->sum;
    v->min = sl->min;
    v->max = sl->max;
    series_slot_iter(sl, &v->hist);
    v->raw = sl->raw;
    v->raw_n = sl->raw_n;
}

int64_t series__last_seen(const series_t *se)
{
    return se->last_seen_ms;
}

void series__set_totals(series_t *se, const series_env_t *env, uint64_t count, double sum,
                        const uint64_t *le, int64_t last_seen_ms)
{
    uint64_t *t = series_totals(se);
    t[0] = count;
    memcpy(&t[1], &sum, sizeof sum);
    for (uint32_t i = 0; i <= env->n_le; i++)
        t[2 + i] = le ? le[i] : 0;
    se->last_seen_ms = last_seen_ms;
}

store_reject_t series__restore(series_t *se, series_env_t *env, int64_t sec, uint64_t count,
                               double sum, double min, double max, const uint64_t *e, size_t n_e,
                               const uint8_t *raw, uint32_t raw_n)
{
    size_t hist_len = hist_seal_size(e, n_e);
    slot_t *sl;

    if (se->n > 0 && series_slot(se, se->n - 1)->sec >= sec)
        return STORE_REJECT_BAD_VALUE; /* the caller checks the order; never reached */
    /* What a recorded and sealed second costs: its slot, and its sealed
     * bytes in the arena (a new chunk when the newest is full). */
    if (!env->reserve(env->ctx, SERIES_MEM_SLOTS, SERIES_SLOT_HEAP, sec))
        return STORE_REJECT_MEMORY;
    if (series_deque_reserve(se, env, sec) != 0) {
        env->release(env->ctx, SERIES_MEM_SLOTS, SERIES_SLOT_HEAP, sec);
        return STORE_REJECT_MEMORY;
    }
    if (!harena_fits(&se->arena, hist_len)) {
        uint32_t cap = harena_next_cap(&se->arena, hist_len);
        if (!env->reserve(env->ctx, SERIES_MEM_HIST, harena_chunk_bytes(cap), sec)) {
            env->release(env->ctx, SERIES_MEM_SLOTS, SERIES_SLOT_HEAP, sec);
            return STORE_REJECT_MEMORY;
        }
        harena_grow(&se->arena, cap);
    }
    sl = series_slot(se, se->n++);
    memset(sl, 0, sizeof *sl);
    sl->sec = (uint32_t)sec;
    sl->count = count;
    sl->sum = sum;
    sl->min = min;
    sl->max = max;
    sl->hist = harena_take(&se->arena, hist_len, (uint32_t)sec);
    sl->hist_len = (uint16_t)hist_seal(e, n_e, sl->hist);
    sl->hist_open = 0;
    sl->epoch = env->epoch;
    /* Raw points: the first raw_limit records (record 0, the largest,
     * stays first), if the raw budget has room for them. */
    if (raw_n > env->raw_limit) {
        env->raw_dropped += raw_n - env->raw_limit;
        raw_n = env->raw_limit;
    }
    if (raw_n > 0 &&
        (sec < env->raw_floor_sec ||
         !env->reserve(env->ctx, SERIES_MEM_RAW, (size_t)raw_n * SERIES_RAW_BYTES, sec))) {
        env->raw_dropped += raw_n;
        raw_n = 0;
    }
    if (raw_n > 0) {
        /* The reservation may evict raw points (reservoirs only, of
         * older seconds); look the slot up again all the same. */
        sl = series_slot(se, se->n - 1);
        series_raw_resize(sl, raw_n);
        memcpy(sl->raw, raw, (size_t)raw_n * SERIES_RAW_BYTES);
        sl->raw_n = (uint16_t)raw_n;
    }
    se->last_change = ++env->seq;
    se->last_epoch = env->epoch;
    return STORE_OK;
}
