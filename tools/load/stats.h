/* stats.h - a fixed-size latency histogram for spider-load.
 *
 * The load tool runs for a bounded time but may see millions of posts and
 * updates, so it never keeps individual figures: each latency goes into a
 * log-linear histogram of microseconds (64 linear steps per power of two,
 * so a quantile is within 1.6% of the true value) of constant size (~30 KiB).
 * Embedded value: stats_hist_init() before use, nothing to dispose.
 * Single-threaded, like the whole tool.
 */
#ifndef SPIDER_LOAD_STATS_H
#define SPIDER_LOAD_STATS_H

#include <stdint.h>

/* Values below 128 us are exact; above, 64 buckets per power of two. */
#define STATS_BUCKETS (58 * 64 + 64)

typedef struct stats_hist {
    uint64_t count;
    uint64_t sum_us; /* saturates instead of wrapping */
    int64_t min_us, max_us;
    uint64_t bucket[STATS_BUCKETS];
} stats_hist_t;

void stats_hist_init(stats_hist_t *h);
/* Records one value; negative values count as 0 (clock jitter, not data). */
void stats_hist_record(stats_hist_t *h, int64_t us);
/* Adds every value of src into dst. */
void stats_hist_merge(stats_hist_t *dst, const stats_hist_t *src);
/* The q-quantile (0 < q <= 1) by nearest rank: the upper edge of the bucket
 * that holds it, clamped to the exact max (so it never understates).
 * 0 when the histogram is empty. */
int64_t stats_hist_quantile(const stats_hist_t *h, double q);
/* Mean in microseconds; 0 when empty. */
double stats_hist_mean(const stats_hist_t *h);

/* Least-squares slope of y over x (units of y per unit of x) of n points;
 * 0 when fewer than two distinct x. Used for the server's RSS trend. */
double stats_slope(const double *x, const double *y, int n);

#endif
