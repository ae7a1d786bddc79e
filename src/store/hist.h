/* hist.h - log-linear histograms of durations (milliseconds).
 *
 * Bucket scheme (HDR-style): every power of two between 2^HIST_EXP_MIN and
 * 2^HIST_EXP_END ms is cut into HIST_SUB = 64 equal sub-buckets. A bucket
 * [L, U) then has width at most L/64, so its midpoint is within 1/128
 * (0.78%) of any value in it. Quantiles are answered with the midpoint of
 * the bucket that holds the requested rank, clamped into the exact [min, max]
 * of the data, hence within 0.78% of the exact nearest-rank quantile.
 *
 * Range and precision:
 *   - values in [2^-10 ms, 2^32 ms) = [0.98 us, 49.7 days): 0.78% relative;
 *   - values below 2^-10 ms (including 0) share bucket 0: absolute error
 *     below 0.001 ms;
 *   - values >= 2^32 ms are clamped into the top bucket (the store keeps the
 *     exact min and max beside the histogram, so they are not lost).
 *
 * Three representations:
 *   - open (hist_open_t): used for seconds still receiving samples. Two
 *     levels: an index of HIST_OCTAVES = 43 bytes, one per power-of-two
 *     octave (bucket 0 shares octave 0), each 0 (absent) or 1 + the number
 *     of a block of HIST_SUB uint32 counters (256 bytes), blocks allocated
 *     as octaves appear. Adding a sample is bucket -> octave/sub ->
 *     increment: O(1), no search, no memmove.
 *   - sealed: a compact byte string of (bucket gap, count) tokens, about one
 *     byte per non-empty bucket for typical latency data (see hist.c).
 *   - hist_acc_t: a dense array of all buckets, to merge many seconds.
 * hist_iter_t walks an open, sealed or entry-array histogram in bucket order.
 * The entry array (sorted uint64 entries, bucket << 52 | count) is the
 * plain-value form the codec is specified on (hist_seal, hist_unseal);
 * sealing an open histogram writes exactly the bytes hist_seal() writes for
 * the same buckets and counts.
 *
 * Memory of an open histogram: HIST_OPEN_HEADER (44) + 256 bytes per octave
 * present, i.e. 300 bytes for a second with one sample (the sorted array it
 * replaces cost 32), about 2 KiB for durations spread over 1..101 ms (7
 * octaves, ~420 buckets), at most 44 + 43 * 256 = 11,052 bytes. That price
 * is paid by open seconds only: a series holds an open histogram for the
 * current second, for seconds up to 60 s ahead that received samples, and
 * for late seconds reopened since the last store_advance(); every one of
 * them is sealed (to ~1 byte per non-empty bucket) when the store moves
 * past it, and all of it is counted against the store's memory budget.
 *
 * Counters. An open bucket counts in uint32: 4.29e9 samples in one bucket of
 * one second would overflow it, which needs an ingest rate about 200 times
 * the 20 M samples/s the whole server is built for; hist_open_add() still
 * refuses (returns -1) rather than wrap, should it ever happen. Sealed and
 * merged counts are uint64.
 *
 * Pure module (libc only); no global state, thread-safe on distinct objects.
 */
#ifndef SPIDER_STORE_HIST_H
#define SPIDER_STORE_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB      (1u << HIST_SUB_BITS) /* linear sub-buckets per power of two */
#define HIST_EXP_MIN  (-10)                 /* 2^-10 ms: lower edge of bucket 1 */
#define HIST_EXP_END  32                    /* 2^32 ms: values at/above go to the top bucket */
#define HIST_MIN_MS   0.0009765625          /* 2^HIST_EXP_MIN */
#define HIST_MAX_MS   4294967296.0          /* 2^HIST_EXP_END */
/* Bucket 0 (below HIST_MIN_MS) plus 64 buckets per power of two: 2689. */
#define HIST_BUCKETS (1u + (uint32_t)(HIST_EXP_END - HIST_EXP_MIN) * HIST_SUB)

/* Entries pack bucket (12 bits, HIST_BUCKETS < 4096) and count (52 bits). */
#define HIST_ENTRY_SHIFT      52
#define HIST_ENTRY_COUNT_MASK ((UINT64_C(1) << HIST_ENTRY_SHIFT) - 1)
#define HIST_ENTRY(b, c)      (((uint64_t)(b) << HIST_ENTRY_SHIFT) | (uint64_t)(c))
#define HIST_ENTRY_BUCKET(e)  ((uint32_t)((e) >> HIST_ENTRY_SHIFT))
#define HIST_ENTRY_COUNT(e)   ((e)&HIST_ENTRY_COUNT_MASK)

/* Upper bound of the sealed size of one entry (1 tag + 2 gap + 8 count bytes). */
#define HIST_SEAL_MAX_ENTRY 11

/* Bucket index of a duration, in [0, HIST_BUCKETS). Monotonic in ms. NaN and
 * negative values map to bucket 0 (callers validate before). O(1). */
uint32_t hist_bucket(double ms);

/* Bucket edges: bucket b holds values in [hist_bucket_lower(b),
 * hist_bucket_upper(b)); bucket 0 is [0, HIST_MIN_MS); the top bucket also
 * holds every value >= HIST_MAX_MS (its upper edge is still reported as
 * HIST_MAX_MS). b must be < HIST_BUCKETS. */
double hist_bucket_lower(uint32_t b);
double hist_bucket_upper(uint32_t b);

/* Nearest-rank: the 1-based rank ceil(q * n) clamped to [1, n] (q in [0, 1],
 * n > 0), with float noise in q * n (e.g. 0.29 * 100 = 28.999999999999996)
 * rounded away. */
uint64_t hist_rank(double q, uint64_t n);

/* Bytes hist_seal() will write for the entries e[0..n) (sorted by bucket,
 * counts >= 1). O(n). */
size_t hist_seal_size(const uint64_t *e, size_t n);

/* Encodes the entries e[0..n) (sorted, counts >= 1) into out, which must
 * hold hist_seal_size(e, n) bytes. Returns the bytes written. O(n). */
size_t hist_seal(const uint64_t *e, size_t n, uint8_t *out);

/* ---- open histograms ---- */

#define HIST_OCTAVES     43u /* (HIST_BUCKETS + HIST_SUB - 1) / HIST_SUB, bucket 0 in octave 0 */
#define HIST_OPEN_HEADER 44u /* the octave index and the block count */
#define HIST_OPEN_BLOCK  (HIST_SUB * sizeof(uint32_t)) /* 256 bytes per octave present */

/* An open histogram: one heap allocation of hist_open_bytes() bytes. */
typedef struct hist_open hist_open_t;

/* Bytes an open histogram with `blocks` octave blocks occupies. */
size_t hist_open_bytes_for(uint32_t blocks);

/* Bytes h occupies (what to reserve/release for it). O(1). */
size_t hist_open_bytes(const hist_open_t *h);

/* Returns a new open histogram, empty, with the block of bucket b already
 * allocated, so that hist_open_add(h, b) succeeds: hist_open_bytes_for(1)
 * bytes. Aborts on OOM. Free with hist_open_free(). */
hist_open_t *hist_open_new(uint32_t b);
void hist_open_free(hist_open_t *h);

/* Adds n >= 1 values of bucket b (< HIST_BUCKETS). Returns 0, or -1 if b's
 * octave has no block yet (hist_open_grow() and retry) or its counter
 * would pass UINT32_MAX; nothing changes then. O(1). */
int hist_open_add(hist_open_t *h, uint32_t b, uint32_t n);

/* 1 if bucket b's octave has a block (hist_open_add(h, b) needs no growth). */
int hist_open_has(const hist_open_t *h, uint32_t b);

/* Adds the (zeroed) block of bucket b's octave, which must be absent:
 * HIST_OPEN_BLOCK more bytes. Returns the (moved) histogram; h is invalid
 * afterwards. Aborts on OOM. O(bytes) for the realloc, at most 43 times. */
hist_open_t *hist_open_grow(hist_open_t *h, uint32_t b);

/* Bytes hist_open_seal() will write. O(blocks * HIST_SUB). */
size_t hist_open_seal_size(const hist_open_t *h);

/* Encodes h into out (room for hist_open_seal_size(h) bytes, or for
 * hist_open_seal_bound(h) to seal in one pass): the same bytes as
 * hist_seal() of the same buckets and counts. Returns the bytes written. */
size_t hist_open_seal(const hist_open_t *h, uint8_t *out);

/* An upper bound of hist_open_seal_size(h), O(1): blocks * 64 * 11 bytes. */
size_t hist_open_seal_bound(const hist_open_t *h);

/* Blocks hist_open_unseal(p, len, b) allocates: the octaves of the sealed
 * histogram plus that of bucket b. Multiply with hist_open_bytes_for().
 * O(len). */
uint32_t hist_open_unseal_blocks(const uint8_t *p, size_t len, uint32_t b);

/* Decodes a sealed histogram (produced by hist_open_seal) into a new open
 * one that also has the block of bucket b, so hist_open_add(h, b) then
 * succeeds. Counts above UINT32_MAX (impossible from hist_open_seal) are
 * clamped. Aborts on OOM. O(len + blocks * HIST_SUB). */
hist_open_t *hist_open_unseal(const uint8_t *p, size_t len, uint32_t b);

/* Number of entries (non-empty buckets) of a sealed histogram. O(len). */
size_t hist_sealed_entries(const uint8_t *p, size_t len);

/* Decodes a sealed histogram into e (room for hist_sealed_entries() entries)
 * and returns the number of entries; e == NULL only counts them. The inverse
 * of hist_seal(). */
size_t hist_unseal(const uint8_t *p, size_t len, uint64_t *e);

/* Iterator over the non-empty buckets of an open or sealed histogram, in
 * ascending bucket order. A plain value: copy it to walk twice. The
 * histogram must outlive the iterator and not change while it is used. */
typedef struct hist_iter {
    const uint8_t *p, *end;   /* sealed: next token, end of the bytes */
    const uint64_t *e, *eend; /* entries: next entry, end (NULL when not entries) */
    const hist_open_t *h;     /* open: the histogram (NULL when not open) */
    uint32_t next;            /* sealed: the bucket a gap of 0 refers to;
                                 open: the next counter to look at (octave * 64 + sub) */
} hist_iter_t;

void hist_iter_open(hist_iter_t *it, const hist_open_t *h);
void hist_iter_entries(hist_iter_t *it, const uint64_t *e, size_t n);
void hist_iter_sealed(hist_iter_t *it, const uint8_t *p, size_t len);

/* Returns 1 and the next (bucket, count), or 0 at the end. */
int hist_iter_next(hist_iter_t *it, uint32_t *bucket, uint64_t *count);

/* Nearest-rank quantiles of the histogram behind `it` (consumed), whose
 * values total `total` and lie in [min, max]. qs[0..nq) must be ascending
 * in [0, 1]; out[i] gets the quantile qs[i]. Rank 1 gives min and rank total
 * gives max exactly; others the bucket midpoint clamped into [min, max].
 * All out[] are 0 when total is 0. One pass: O(entries + nq). */
void hist_iter_quantiles(hist_iter_t *it, uint64_t total, double min, double max, const double *qs,
                         size_t nq, double *out);

/* A dense accumulator: the sum of any number of histograms (merging is
 * adding counts per bucket, which is why quantiles of a merged range are as
 * precise as those of one second). Opaque; one allocation of about 21 KiB. */
typedef struct hist_acc hist_acc_t;

/* Returns a new, empty accumulator (aborts on OOM). Free with hist_acc_free. */
hist_acc_t *hist_acc_new(void);
void hist_acc_free(hist_acc_t *acc);

/* Bytes one accumulator occupies (for memory accounting). */
size_t hist_acc_bytes(void);

/* Empties acc. O(buckets touched since the last clear). */
void hist_acc_clear(hist_acc_t *acc);

/* Adds count values to bucket b (b < HIST_BUCKETS). O(1). */
void hist_acc_add(hist_acc_t *acc, uint32_t b, uint64_t count);

/* Adds every bucket of the histogram behind `it` (consumed). O(entries). */
void hist_acc_add_iter(hist_acc_t *acc, hist_iter_t *it);

/* The count of bucket b (< HIST_BUCKETS) accumulated since the last clear. */
uint64_t hist_acc_count(const hist_acc_t *acc, uint32_t b);

/* Adds every count of src to dst. O(buckets src touched). */
void hist_acc_merge(hist_acc_t *dst, const hist_acc_t *src);

/* Total count accumulated since the last clear. */
uint64_t hist_acc_total(const hist_acc_t *acc);

/* Quantiles of the accumulated counts, as hist_iter_quantiles(); min and max
 * are the exact extremes of the merged data. O(buckets touched + nq). */
void hist_acc_quantiles(const hist_acc_t *acc, double min, double max, const double *qs, size_t nq,
                        double *out);

#endif
