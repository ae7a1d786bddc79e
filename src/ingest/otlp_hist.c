/* otlp_hist.c - OTLP histogram points turned into samples (see otlp_hist.h). */
#include "otlp_hist.h"

#include <math.h>
#include <string.h>

double otlp_unit_ms(slice_t unit)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {
        {"", 1},      {"ms", 1},    {"s", 1000},  {"us", 1e-3}, {"\xc2\xb5s", 1e-3},
        {"ns", 1e-6}, {"min", 6e4}, {"h", 3.6e6},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (slice_eq_cstr(unit, units[i].unit))
            return units[i].ms;
    return 0;
}

/* a + b, or 1 (overflow). */
static int otlp_add(uint64_t *a, uint64_t b)
{
    if (b > UINT64_MAX - *a)
        return 1;
    *a += b;
    return 0;
}

ingest_reject_t otlp_hist_check(const otlp_hist_point_t *p)
{
    if (p->over)
        return INGEST_REJECT_HISTOGRAM_LIMIT;
    if (p->temporality != OTLP_TEMPORALITY_DELTA && p->temporality != OTLP_TEMPORALITY_CUMULATIVE)
        return INGEST_REJECT_BAD_HISTOGRAM;
    if ((p->has_min && !isfinite(p->min)) || (p->has_max && !isfinite(p->max)))
        return INGEST_REJECT_BAD_HISTOGRAM;
    uint64_t total = 0;
    for (size_t i = 0; i < p->n_counts; i++)
        if (otlp_add(&total, p->counts[i]))
            return INGEST_REJECT_BAD_HISTOGRAM;
    if (p->kind == OTLP_HIST_EXPLICIT) {
        if (p->n_counts != 0 && p->n_counts != p->n_bounds + 1)
            return INGEST_REJECT_BAD_HISTOGRAM;
        for (size_t i = 0; i < p->n_bounds; i++)
            if (!isfinite(p->bounds[i]) || (i > 0 && !(p->bounds[i] > p->bounds[i - 1])))
                return INGEST_REJECT_BAD_HISTOGRAM;
        /* No buckets at all: one bucket (-inf, +inf), that is, the count. */
        if (p->n_counts == 0)
            total = p->count;
    } else {
        if (p->scale < OTLP_SCALE_MIN || p->scale > OTLP_SCALE_MAX)
            return INGEST_REJECT_BAD_HISTOGRAM;
        if (!(p->zero_threshold >= 0) || !isfinite(p->zero_threshold))
            return INGEST_REJECT_BAD_HISTOGRAM;
        if (otlp_add(&total, p->zero_count) || otlp_add(&total, p->negative_count))
            return INGEST_REJECT_BAD_HISTOGRAM;
    }
    if (total != p->count)
        return INGEST_REJECT_BAD_HISTOGRAM;
    if (p->negative_count > 0 || (p->has_min && p->min < 0))
        return INGEST_REJECT_NEGATIVE;
    return INGEST_OK;
}

void otlp_delta_of_point(const otlp_hist_point_t *p, otlp_delta_t *d)
{
    d->kind = p->kind;
    d->counts = p->counts;
    d->n_counts = p->n_counts;
    d->bounds = p->bounds;
    d->n_bounds = p->n_bounds;
    d->scale = p->scale;
    d->offset = p->offset;
    d->zero_count = p->zero_count;
    d->count = p->count;
    d->min = p->min;
    d->max = p->max;
    d->has_min = p->has_min;
    d->has_max = p->has_max;
}

/* The buckets of a delta in ascending order, as (count, representative in
 * the point's unit). Exponential: index 0 is the zero bucket, then the
 * positive buckets; explicit: the buckets, or the one implied bucket. */
static size_t otlp_buckets(const otlp_delta_t *d)
{
    if (d->kind == OTLP_HIST_EXPONENTIAL)
        return 1 + d->n_counts;
    return d->n_counts ? d->n_counts : 1;
}

static uint64_t otlp_bucket_count(const otlp_delta_t *d, size_t i)
{
    if (d->kind == OTLP_HIST_EXPONENTIAL)
        return i == 0 ? d->zero_count : d->counts[i - 1];
    return d->n_counts ? d->counts[i] : d->count;
}

static double otlp_bucket_value(const otlp_delta_t *d, size_t i)
{
    double lo, hi;
    if (d->kind == OTLP_HIST_EXPONENTIAL) {
        if (i == 0)
            return 0;
        /* base^(k + 1/2) with base = 2^(2^-scale) */
        double k = (double)d->offset + (double)(i - 1);
        return exp2(ldexp(k + 0.5, (int)-d->scale));
    }
    size_t n = d->n_bounds;
    if (d->n_counts == 0 || n == 0) { /* (-inf, +inf) */
        lo = d->has_min ? d->min : 0;
        hi = d->has_max ? d->max : lo;
    } else {
        lo = i == 0 ? 0 : d->bounds[i - 1];
        hi = i == n ? d->bounds[n - 1] : d->bounds[i];
        if (lo < 0)
            lo = 0;
        if (i == n && d->has_max)
            hi = d->max; /* the open last bucket ends at the max */
    }
    if (d->has_min && lo < d->min)
        lo = d->min;
    if (d->has_max && hi > d->max)
        hi = d->max;
    return hi > lo ? lo + (hi - lo) / 2 : lo;
}

/* One clamp into [min, max] when known. */
static double otlp_clamp(const otlp_delta_t *d, double v)
{
    if (d->has_min && v < d->min)
        v = d->min;
    if (d->has_max && v > d->max)
        v = d->max;
    return v;
}

ingest_reject_t otlp_hist_emit(const otlp_delta_t *d, double unit_ms, otlp_sample_fn fn, void *ctx,
                               uint64_t *accepted)
{
    size_t n = otlp_buckets(d), lowest = n, highest = 0;
    *accepted = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t c = otlp_bucket_count(d, i);
        if (c > UINT32_MAX)
            return INGEST_REJECT_HISTOGRAM_LIMIT;
        if (c && lowest == n)
            lowest = i;
        if (c)
            highest = i;
    }
    ingest_reject_t first = INGEST_OK;
    for (size_t i = lowest; i < n && i <= highest; i++) {
        uint32_t c = (uint32_t)otlp_bucket_count(d, i);
        if (c == 0)
            continue;
        /* At most three samples per bucket: exactly min, exactly max, and
         * the rest at the representative value. */
        double at[3];
        uint32_t w[3] = {0, 0, 0};
        if (i == lowest && d->has_min && c > 0) {
            at[0] = d->min;
            w[0] = 1;
            c--;
        }
        if (i == highest && d->has_max && c > 0) {
            at[1] = d->max;
            w[1] = 1;
            c--;
        }
        at[2] = otlp_clamp(d, otlp_bucket_value(d, i));
        w[2] = c;
        for (int k = 0; k < 3; k++) {
            if (!w[k])
                continue;
            ingest_reject_t why = fn(ctx, at[k] * unit_ms, w[k]);
            if (why == INGEST_OK)
                *accepted += w[k];
            else if (first == INGEST_OK)
                first = why;
        }
    }
    return first;
}
