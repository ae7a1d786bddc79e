/* stats.c - log-linear latency histogram (see stats.h). */
#include "stats.h"

#include <string.h>

void stats_hist_init(stats_hist_t *h)
{
    memset(h, 0, sizeof *h);
}

/* Bucket of v: v itself below 128; above, the power of two (shift) and the
 * top 7 bits of v select one of 64 buckets, so a bucket spans < 1/64 of v. */
static int stats_bucket(uint64_t v)
{
    if (v < 128)
        return (int)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - 6;
    return (shift + 1) * 64 + (int)((v >> shift) - 64);
}

/* Highest value that falls in bucket i (inverse of stats_bucket). */
static uint64_t stats_bucket_top(int i)
{
    if (i < 128)
        return (uint64_t)i;
    int shift = i / 64 - 1;
    uint64_t base = (uint64_t)(i % 64 + 64) << shift;
    return base + ((1ull << shift) - 1);
}

void stats_hist_record(stats_hist_t *h, int64_t us)
{
    if (us < 0)
        us = 0;
    if (h->count == 0 || us < h->min_us)
        h->min_us = us;
    if (us > h->max_us)
        h->max_us = us;
    h->count++;
    h->sum_us = h->sum_us + (uint64_t)us < h->sum_us ? UINT64_MAX : h->sum_us + (uint64_t)us;
    h->bucket[stats_bucket((uint64_t)us)]++;
}

void stats_hist_merge(stats_hist_t *dst, const stats_hist_t *src)
{
    if (src->count == 0)
        return;
    if (dst->count == 0 || src->min_us < dst->min_us)
        dst->min_us = src->min_us;
    if (src->max_us > dst->max_us)
        dst->max_us = src->max_us;
    dst->count += src->count;
    dst->sum_us = dst->sum_us + src->sum_us < dst->sum_us ? UINT64_MAX : dst->sum_us + src->sum_us;
    for (int i = 0; i < STATS_BUCKETS; i++)
        dst->bucket[i] += src->bucket[i];
}

int64_t stats_hist_quantile(const stats_hist_t *h, double q)
{
    if (h->count == 0)
        return 0;
    /* Nearest rank: the smallest value with at least q * count values <= it. */
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > h->count)
        rank = h->count;
    uint64_t seen = 0;
    for (int i = 0; i < STATS_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            int64_t top = (int64_t)stats_bucket_top(i);
            return top > h->max_us ? h->max_us : top;
        }
    }
    return h->max_us;
}

double stats_hist_mean(const stats_hist_t *h)
{
    return h->count ? (double)h->sum_us / (double)h->count : 0.0;
}

double stats_slope(const double *x, const double *y, int n)
{
    if (n < 2)
        return 0.0;
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0;
    for (int i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
    }
    return sxx > 0 ? sxy / sxx : 0.0;
}
