/* otlp_hist.h - OTLP histogram points turned into the store's samples.
 *
 * The store keeps exact per-second aggregates and its own log-linear
 * histogram (store/hist.h: 64 linear sub-buckets per power of two, within
 * 0.78%). An OTLP point carries bucket counts, not values, so each
 * non-empty bucket becomes one weighted sample (store_record_weighted: the
 * bucket's count at one representative value), and the error of the point's
 * own buckets adds to the store's:
 *
 *   explicit buckets (b[i-1], b[i]]: the midpoint (b[i-1] + b[i]) / 2, with
 *     the first bucket's lower edge 0 (durations are not negative) and the
 *     last bucket (b[n-1], +inf) at b[n-1] (nothing bounds it above) - both
 *     edges narrowed to the point's min and max when it has them. The error
 *     is at most half the bucket's width: with the SDKs' default bounds (0,
 *     5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, ...) a value of 260
 *     ms is represented by 375 ms. Explicit buckets are as precise as their
 *     bounds, no more.
 *   exponential buckets (base^k, base^(k+1)], base = 2^(2^-scale): the
 *     geometric midpoint base^(k + 1/2), which is within a factor
 *     sqrt(base) of any value of the bucket: 0.54% at scale 6 (the store's
 *     resolution: its buckets are at most 1/64 of an octave wide, these
 *     exactly 1/64), 0.27% at 7, 1.09% at 5, 2.2% at 4, 41% at 0. So at
 *     scale >= 6 a quantile is within 1.0054 * 1.0078 - 1 = 1.33% of the
 *     exact one. The zero bucket's values are taken as 0.
 *   min and max: when the point has them (delta points from the SDKs do), the
 *     lowest non-empty bucket gives one of its samples at exactly min and the
 *     highest one at exactly max, so the second's min and max are exact.
 *   sum: the sum of representative value x count, not the point's sum (the
 *     store's sum is the sum of its samples; the mean is off by at most the
 *     bucket error).
 *
 * Units (Metric.unit, UCUM): "ms", "s", "us", "µs", "ns", "min", "h"; an
 * empty unit is taken as milliseconds. Any other unit is not a duration:
 * the point is not a latency and is ignored (counted), not refused.
 *
 * Pure module; thread-safe.
 */
#ifndef SPIDER_INGEST_OTLP_HIST_H
#define SPIDER_INGEST_OTLP_HIST_H

#include <stddef.h>
#include <stdint.h>

#include "otlp_metrics.h"
#include "sink.h"

/* Exponential scales taken: -10 (buckets of 2^1024) to 20 (the SDKs' top). */
#define OTLP_SCALE_MIN (-10)
#define OTLP_SCALE_MAX 20

/* Milliseconds per unit, or 0 if the unit is not a duration. */
double otlp_unit_ms(slice_t unit);

/* Whether a point is consistent (the rules above and in docs/protocol.md):
 * INGEST_OK, INGEST_REJECT_HISTOGRAM_LIMIT (p->over), _BAD_HISTOGRAM
 * (temporality not delta or cumulative; explicit: bucket counts neither
 * absent nor one more than the bounds, bounds not finite and ascending;
 * exponential: scale outside OTLP_SCALE_MIN..MAX, a negative or NaN zero
 * threshold; counts that do not add up to count; a min or max that is not
 * finite) or _NEGATIVE (negative buckets with samples, a min below 0). */
ingest_reject_t otlp_hist_check(const otlp_hist_point_t *p);

/* The counts that become samples: those of a delta point, or the
 * difference of two cumulative points (otlp_streams.h). Same layout as an
 * otlp_hist_point_t; min and max only when valid for this interval. */
typedef struct otlp_delta {
    otlp_hist_kind_t kind;
    const uint64_t *counts; /* explicit: n_bounds + 1 (or none); exponential: from offset */
    size_t n_counts;
    const double *bounds;
    size_t n_bounds;
    int64_t scale, offset;
    uint64_t zero_count;
    uint64_t count; /* the sum of all counts */
    double min, max;
    int has_min, has_max;
} otlp_delta_t;

/* The delta of a delta point (arrays borrowed from p). */
void otlp_delta_of_point(const otlp_hist_point_t *p, otlp_delta_t *d);

/* Receives one weighted sample (ms, weight >= 1); returns why it was not
 * kept, or INGEST_OK. */
typedef ingest_reject_t (*otlp_sample_fn)(void *ctx, double ms, uint32_t weight);

/* Hands the samples of d (units of unit_ms milliseconds) to fn, lowest
 * bucket first. Returns INGEST_OK with *accepted = d->count when every
 * sample was kept; else the first reason fn gave, with *accepted the
 * samples kept (the rest were refused). A bucket of more than UINT32_MAX
 * samples refuses the whole delta (INGEST_REJECT_HISTOGRAM_LIMIT) before any
 * sample. O(buckets). */
ingest_reject_t otlp_hist_emit(const otlp_delta_t *d, double unit_ms, otlp_sample_fn fn, void *ctx,
                               uint64_t *accepted);

#endif
