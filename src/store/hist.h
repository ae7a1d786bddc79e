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
 *   - open: a sparse array of uint64 entries sorted by bucket, each entry
 *     (bucket << 52 | count). Used for seconds still receiving samples.
 *   - sealed: a compact byte string of (bucket gap, count) tokens, about one
 *     byte per non-empty bucket for typical latency data (see hist.c).
 *   - hist_acc_t: a dense array of all buckets, to merge many seconds.
 * hist_iter_t walks an open or sealed histogram in bucket order.
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

/* Open entries pack bucket (12 bits, HIST_BUCKETS < 4096) and count (52 bits). */
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

/* Adds one value of bucket b to an open histogram e[0..*n) of capacity cap.
 * Returns 0, or -1 if b is new and *n == cap (grow the array and retry);
 * nothing changes then. O(log n) plus a memmove for a new bucket. */
int hist_open_add(uint64_t *e, uint16_t *n, uint32_t cap, uint32_t b);

/* Bytes hist_seal() will write for the open histogram e[0..n). O(n). */
size_t hist_seal_size(const uint64_t *e, size_t n);

/* Encodes the open histogram e[0..n) (sorted, counts >= 1) into out, which
 * must hold hist_seal_size(e, n) bytes. Returns the bytes written. O(n). */
size_t hist_seal(const uint64_t *e, size_t n, uint8_t *out);

/* Number of entries (non-empty buckets) of a sealed histogram. O(len). */
size_t hist_sealed_entries(const uint8_t *p, size_t len);

/* Decodes a sealed histogram into e (room for hist_sealed_entries() entries).
 * Returns the number of entries written. The inverse of hist_seal(). */
size_t hist_unseal(const uint8_t *p, size_t len, uint64_t *e);

/* Iterator over the non-empty buckets of an open or sealed histogram, in
 * ascending bucket order. A plain value: copy it to walk twice. The
 * histogram must outlive the iterator and not change while it is used. */
typedef struct hist_iter {
    const uint8_t *p, *end;   /* sealed: next token, end of the bytes */
    const uint64_t *e, *eend; /* open: next entry, end (e == NULL when sealed) */
    uint32_t next;            /* sealed: the bucket a gap of 0 refers to */
} hist_iter_t;

void hist_iter_open(hist_iter_t *it, const uint64_t *e, size_t n);
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

/* Total count accumulated since the last clear. */
uint64_t hist_acc_total(const hist_acc_t *acc);

/* Quantiles of the accumulated counts, as hist_iter_quantiles(); min and max
 * are the exact extremes of the merged data. O(buckets touched + nq). */
void hist_acc_quantiles(const hist_acc_t *acc, double min, double max, const double *qs, size_t nq,
                        double *out);

#endif
