/* test_otlp_hist.c - OTLP histogram points turned into samples
 * (ingest/otlp_hist) and cumulative streams turned into deltas
 * (ingest/otlp_streams): units, the consistency rules, the representative
 * values and their weights, min and max kept exact, baselines, differences,
 * resets, exponential downscaling, the stream limit and expiry. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ingest/otlp_hist.h"
#include "ingest/otlp_streams.h"

/* ---- a point to start from ---- */

static uint64_t counts[OTLP_METRICS_MAX_BUCKETS];
static double bounds[OTLP_METRICS_MAX_BUCKETS];

static otlp_hist_point_t explicit_point(const uint64_t *c, size_t nc, const double *b, size_t nb)
{
    otlp_hist_point_t p;
    memset(&p, 0, sizeof p);
    p.kind = OTLP_HIST_EXPLICIT;
    p.temporality = OTLP_TEMPORALITY_DELTA;
    if (nc)
        memcpy(counts, c, nc * sizeof *c);
    if (nb)
        memcpy(bounds, b, nb * sizeof *b);
    p.counts = counts;
    p.n_counts = nc;
    p.bounds = bounds;
    p.n_bounds = nb;
    for (size_t i = 0; i < nc; i++)
        p.count += c[i];
    p.unit = p.service = p.instance = p.metric = slice_make("", 0);
    return p;
}

static otlp_hist_point_t exp_point(int64_t scale, int64_t offset, const uint64_t *c, size_t nc,
                                   uint64_t zero)
{
    otlp_hist_point_t p = explicit_point(c, nc, NULL, 0);
    p.kind = OTLP_HIST_EXPONENTIAL;
    p.scale = scale;
    p.offset = offset;
    p.zero_count = zero;
    p.count += zero;
    return p;
}

/* ---- what emit handed out ---- */

#define SAMPLES_MAX 64

static struct {
    size_t n;
    double ms[SAMPLES_MAX];
    uint32_t w[SAMPLES_MAX];
    size_t refuse_at; /* refuse the sample with this index (SIZE_MAX: none) */
} got;

static ingest_reject_t take(void *ctx, double ms, uint32_t weight)
{
    (void)ctx;
    assert_true(got.n < SAMPLES_MAX);
    got.ms[got.n] = ms;
    got.w[got.n] = weight;
    return got.n++ == got.refuse_at ? INGEST_REJECT_MEMORY : INGEST_OK;
}

static ingest_reject_t emit(const otlp_hist_point_t *p, double unit_ms, uint64_t *accepted)
{
    otlp_delta_t d;
    memset(&got, 0, sizeof got);
    got.refuse_at = SIZE_MAX;
    otlp_delta_of_point(p, &d);
    return otlp_hist_emit(&d, unit_ms, take, NULL, accepted);
}

static void sample_is(size_t i, double ms, uint32_t w)
{
    assert_true(i < got.n);
    if (fabs(got.ms[i] - ms) > 1e-9 * ms || got.w[i] != w)
        fail_msg("sample %zu: %.17g x %u, want %.17g x %u", i, got.ms[i], got.w[i], ms, w);
}

/* ---- otlp_hist ---- */

static void test_units(void **state)
{
    (void)state;
    assert_true(otlp_unit_ms(slice_cstr("ms")) == 1);
    assert_true(otlp_unit_ms(slice_cstr("")) == 1);
    assert_true(otlp_unit_ms(slice_cstr("s")) == 1000);
    assert_true(otlp_unit_ms(slice_cstr("us")) == 1e-3);
    assert_true(otlp_unit_ms(slice_cstr("\xc2\xb5s")) == 1e-3);
    assert_true(otlp_unit_ms(slice_cstr("ns")) == 1e-6);
    assert_true(otlp_unit_ms(slice_cstr("min")) == 60000);
    assert_true(otlp_unit_ms(slice_cstr("h")) == 3600000);
    assert_true(otlp_unit_ms(slice_cstr("By")) == 0);
    assert_true(otlp_unit_ms(slice_cstr("S")) == 0);
    assert_true(otlp_unit_ms(slice_cstr("{request}")) == 0);
}

static void test_check(void **state)
{
    (void)state;
    const uint64_t c3[3] = {1, 2, 3};
    const double b2[2] = {10, 100};
    otlp_hist_point_t p = explicit_point(c3, 3, b2, 2);
    assert_int_equal(otlp_hist_check(&p), INGEST_OK);
    p.temporality = OTLP_TEMPORALITY_CUMULATIVE;
    assert_int_equal(otlp_hist_check(&p), INGEST_OK);
    p.temporality = 0;
    assert_int_equal(otlp_hist_check(&p), INGEST_REJECT_BAD_HISTOGRAM);
    p = explicit_point(c3, 3, b2, 2);
    p.count = 7; /* counts add up to 6 */
    assert_int_equal(otlp_hist_check(&p), INGEST_REJECT_BAD_HISTOGRAM);
    p = explicit_point(c3, 3, b2, 1); /* 3 counts, 1 bound */
    assert_int_equal(otlp_hist_check(&p), INGEST_REJECT_BAD_HISTOGRAM);
    const double down[2] = {100, 10}, same[2] = {10, 10}, nan2[2] = {NAN, 10};
    p = explicit_point(c3, 3, down, 2);
    assert_int_equal(otlp_hist_check(&p), INGEST_REJECT_BAD_HISTOGRAM);
    p = explicit_point(c3, 3, same, 2);
    assert_int_equal(otlp_hist_check(&p), INGEST_REJECT_BAD_HISTOGRAM);
    p = explicit_point(c3, 3, nan2, 2);
    assert_int_equal(otlp_hist_check(&p), INGEST_REJECT_BAD_HISTOGRAM);
    p = explicit_point(c3, 3, b2, 2);
    p.over = 1;
    assert_int_equal(otlp_hist_check(&p), INGEST_REJECT_HISTOGRAM_LIMIT);
    p = explicit_point(c3, 3, b2, 2);
    p.has_min = 1, p.min = -1;
    assert_int_equal(otlp_hist_check(&p), INGEST_REJECT_NEGATIVE);
    p.min = INFINITY;
    assert_int_equal(otlp_hist_check(&p), INGEST_REJECT_BAD_HISTOGRAM);
    /* No buckets at all: the count alone is consistent. */
    p = explicit_point(NULL, 0, NULL, 0);
    p.count = 9;
    assert_int_equal(otlp_hist_check(&p), INGEST_OK);
    /* counts that overflow 64 bits */
    const uint64_t huge[2] = {UINT64_MAX, 2};
    p = explicit_point(huge, 2, b2, 1);
    assert_int_equal(otlp_hist_check(&p), INGEST_REJECT_BAD_HISTOGRAM);

    p = exp_point(3, 0, c3, 3, 4);
    assert_int_equal(otlp_hist_check(&p), INGEST_OK);
    p.scale = OTLP_SCALE_MAX + 1;
    assert_int_equal(otlp_hist_check(&p), INGEST_REJECT_BAD_HISTOGRAM);
    p.scale = OTLP_SCALE_MIN - 1;
    assert_int_equal(otlp_hist_check(&p), INGEST_REJECT_BAD_HISTOGRAM);
    p = exp_point(3, 0, c3, 3, 4);
    p.zero_threshold = -1;
    assert_int_equal(otlp_hist_check(&p), INGEST_REJECT_BAD_HISTOGRAM);
    p = exp_point(3, 0, c3, 3, 4);
    p.negative_count = 2;
    p.count += 2;
    assert_int_equal(otlp_hist_check(&p), INGEST_REJECT_NEGATIVE);
}

static void test_emit_explicit(void **state)
{
    (void)state;
    const uint64_t c[3] = {2, 3, 1};
    const double b[2] = {10, 100};
    uint64_t kept;
    otlp_hist_point_t p = explicit_point(c, 3, b, 2);
    /* midpoints; the first bucket from 0, the open last one at its lower edge */
    assert_int_equal(emit(&p, 1, &kept), INGEST_OK);
    assert_int_equal(kept, 6);
    assert_int_equal(got.n, 3);
    sample_is(0, 5, 2);
    sample_is(1, 55, 3);
    sample_is(2, 100, 1);
    /* seconds: times 1000 */
    assert_int_equal(emit(&p, 1000, &kept), INGEST_OK);
    sample_is(1, 55000, 3);
    /* min and max: one sample at each, edges narrowed to them */
    p.has_min = p.has_max = 1;
    p.min = 4;
    p.max = 150;
    assert_int_equal(emit(&p, 1, &kept), INGEST_OK);
    assert_int_equal(kept, 6);
    assert_int_equal(got.n, 4);
    sample_is(0, 4, 1);
    sample_is(1, 7, 1); /* (4 + 10) / 2 */
    sample_is(2, 55, 3);
    sample_is(3, 150, 1);
    /* one sample in all: it is min (= max) */
    const uint64_t one[3] = {0, 1, 0};
    p = explicit_point(one, 3, b, 2);
    p.has_min = p.has_max = 1;
    p.min = p.max = 42;
    assert_int_equal(emit(&p, 1, &kept), INGEST_OK);
    assert_int_equal(got.n, 1);
    sample_is(0, 42, 1);
    /* no buckets: the count at the midpoint of min and max */
    p = explicit_point(NULL, 0, NULL, 0);
    p.count = 5;
    p.has_min = p.has_max = 1;
    p.min = 10;
    p.max = 30;
    assert_int_equal(emit(&p, 1, &kept), INGEST_OK);
    assert_int_equal(got.n, 3);
    sample_is(0, 10, 1);
    sample_is(1, 30, 1);
    sample_is(2, 20, 3);
    /* a negative bound: its part of the first bucket is clamped to 0 */
    const double nb[2] = {-5, 10};
    const uint64_t c2[3] = {0, 4, 0};
    p = explicit_point(c2, 3, nb, 2);
    assert_int_equal(emit(&p, 1, &kept), INGEST_OK);
    sample_is(0, 5, 4); /* (max(-5, 0) + 10) / 2 */
}

static void test_emit_exponential(void **state)
{
    (void)state;
    const uint64_t c[3] = {1, 0, 5};
    uint64_t kept;
    /* scale 0: bucket k is (2^k, 2^(k+1)], represented by 2^(k + 1/2) */
    otlp_hist_point_t p = exp_point(0, 3, c, 3, 2);
    assert_int_equal(emit(&p, 1, &kept), INGEST_OK);
    assert_int_equal(kept, 8);
    assert_int_equal(got.n, 3);
    sample_is(0, 0, 2); /* the zero bucket */
    sample_is(1, pow(2, 3.5), 1);
    sample_is(2, pow(2, 5.5), 5);
    /* scale 6: 64 buckets an octave; index 64 * 3 is 8 ms */
    p = exp_point(6, 192, c, 1, 0);
    assert_int_equal(emit(&p, 1, &kept), INGEST_OK);
    sample_is(0, 8 * pow(2, 0.5 / 64), 1);
    /* negative scale and offset: scale -1, base 4; bucket -1 is (1/4, 1] */
    p = exp_point(-1, -1, c, 1, 0);
    assert_int_equal(emit(&p, 1, &kept), INGEST_OK);
    sample_is(0, 0.5, 1);
    /* within 0.54% of any value of its bucket at scale 6 */
    double lo = pow(2, 100.0 / 64), hi = pow(2, 101.0 / 64);
    p = exp_point(6, 100, c, 1, 0);
    emit(&p, 1, &kept);
    assert_true(got.ms[0] / lo - 1 <= 0.0055 && 1 - got.ms[0] / hi <= 0.0055);
}

static void test_emit_limits_and_refusals(void **state)
{
    (void)state;
    const uint64_t c[3] = {1, (uint64_t)UINT32_MAX + 1, 1};
    const double b[2] = {10, 100};
    uint64_t kept = 99;
    otlp_hist_point_t p = explicit_point(c, 3, b, 2);
    assert_int_equal(emit(&p, 1, &kept), INGEST_REJECT_HISTOGRAM_LIMIT);
    assert_int_equal(got.n, 0); /* refused before any sample */
    assert_int_equal(kept, 0);
    /* The store refuses one bucket: the others are kept, the first reason told. */
    const uint64_t c2[3] = {1, 2, 3};
    p = explicit_point(c2, 3, b, 2);
    otlp_delta_t d;
    otlp_delta_of_point(&p, &d);
    memset(&got, 0, sizeof got);
    got.refuse_at = 1;
    assert_int_equal(otlp_hist_emit(&d, 1, take, NULL, &kept), INGEST_REJECT_MEMORY);
    assert_int_equal(kept, 4);
    assert_int_equal(got.n, 3);
}

/* ---- otlp_streams ---- */

#define SPIDER_START 1000000000000u /* ns */

static otlp_delta_t delta;
static uint64_t scratch[OTLP_METRICS_MAX_BUCKETS];

static ingest_reject_t step(otlp_streams_t *s, uint64_t id, otlp_hist_point_t *p)
{
    p->temporality = OTLP_TEMPORALITY_CUMULATIVE;
    return otlp_streams_delta(s, id, p, SPIDER_START + 5, scratch, &delta);
}

static void delta_counts_are(const uint64_t *want, size_t n)
{
    assert_int_equal(delta.n_counts, n);
    for (size_t i = 0; i < n; i++)
        if (delta.counts[i] != want[i])
            fail_msg("bucket %zu: %llu, want %llu", i, (unsigned long long)delta.counts[i],
                     (unsigned long long)want[i]);
}

static void test_streams_baseline_diff_reset(void **state)
{
    (void)state;
    otlp_streams_t *s = otlp_streams_new(8, SPIDER_START);
    const double b[2] = {10, 100};
    /* Started before Spider: a baseline only. */
    otlp_hist_point_t p = explicit_point((uint64_t[]){5, 5, 5}, 3, b, 2);
    p.start_ns = SPIDER_START - 1;
    assert_int_equal(step(s, 1, &p), INGEST_OK);
    assert_int_equal(delta.count, 0);
    /* The next point: the difference, without min and max. */
    p = explicit_point((uint64_t[]){6, 9, 5}, 3, b, 2);
    p.start_ns = SPIDER_START - 1;
    p.has_min = p.has_max = 1;
    assert_int_equal(step(s, 1, &p), INGEST_OK);
    assert_int_equal(delta.count, 5);
    delta_counts_are((uint64_t[]){1, 4, 0}, 3);
    assert_false(delta.has_min || delta.has_max);
    /* A count that goes down: a reset, the whole point is new. */
    p = explicit_point((uint64_t[]){1, 9, 5}, 3, b, 2);
    p.start_ns = SPIDER_START - 1;
    assert_int_equal(step(s, 1, &p), INGEST_OK);
    assert_int_equal(delta.count, 15);
    delta_counts_are((uint64_t[]){1, 9, 5}, 3);
    /* Another start time: a reset too, min and max valid. */
    p = explicit_point((uint64_t[]){2, 0, 0}, 3, b, 2);
    p.start_ns = SPIDER_START + 1;
    p.has_min = 1;
    assert_int_equal(step(s, 1, &p), INGEST_OK);
    assert_int_equal(delta.count, 2);
    assert_true(delta.has_min);
    /* Other bounds: not comparable, a new baseline. */
    const double b3[2] = {10, 200};
    p = explicit_point((uint64_t[]){3, 0, 0}, 3, b3, 2);
    p.start_ns = SPIDER_START + 1;
    assert_int_equal(step(s, 1, &p), INGEST_OK);
    assert_int_equal(delta.count, 0);
    /* A stream that began after Spider: its first point counts whole. */
    p = explicit_point((uint64_t[]){4, 0, 0}, 3, b, 2);
    p.start_ns = SPIDER_START;
    assert_int_equal(step(s, 2, &p), INGEST_OK);
    assert_int_equal(delta.count, 4);
    assert_int_equal(otlp_streams_count(s), 2);
    otlp_streams_free(s);
}

static void test_streams_merge_to_coarser_scale(void **state)
{
    (void)state;
    otlp_streams_t *s = otlp_streams_new(8, SPIDER_START);
    otlp_hist_point_t p = exp_point(1, 4, (uint64_t[]){1, 2, 3, 4}, 4, 1);
    p.start_ns = 1;
    assert_int_equal(step(s, 7, &p), INGEST_OK);
    assert_int_equal(delta.count, 0); /* began before Spider: a baseline */
    /* scale 0: old 4,5 -> 2 and 6,7 -> 3, i.e. 3 and 7; new 4 and 9 */
    p = exp_point(0, 2, (uint64_t[]){4, 9}, 2, 2);
    p.start_ns = 1;
    assert_int_equal(step(s, 7, &p), INGEST_OK);
    assert_int_equal(delta.count, 4);
    delta_counts_are((uint64_t[]){1, 2}, 2);
    assert_int_equal(delta.zero_count, 1);
    assert_int_equal(delta.scale, 0);
    assert_int_equal(delta.offset, 2);
    /* negative indices merge down by floor: -3 and -4 at scale 1 are -2 at 0 */
    p = exp_point(1, -4, (uint64_t[]){2, 3}, 2, 0);
    p.start_ns = 2;
    assert_int_equal(step(s, 8, &p), INGEST_OK);
    p = exp_point(0, -2, (uint64_t[]){6}, 1, 0);
    p.start_ns = 2;
    assert_int_equal(step(s, 8, &p), INGEST_OK);
    delta_counts_are((uint64_t[]){1}, 1);
    /* finer than the baseline: a new baseline */
    p = exp_point(2, 0, (uint64_t[]){9}, 1, 0);
    p.start_ns = 2;
    assert_int_equal(step(s, 8, &p), INGEST_OK);
    assert_int_equal(delta.count, 0);
    /* a bucket the new point lacks: a reset */
    p = exp_point(2, 5, (uint64_t[]){10}, 1, 0);
    p.start_ns = 2;
    assert_int_equal(step(s, 8, &p), INGEST_OK);
    assert_int_equal(delta.count, 10);
    otlp_streams_free(s);
}

static void test_streams_limit_and_expiry(void **state)
{
    (void)state;
    enum { N = 100 };
    otlp_streams_t *s = otlp_streams_new(N, SPIDER_START);
    size_t base = otlp_streams_bytes(s);
    const double b[1] = {10};
    for (uint64_t id = 1; id <= N; id++) {
        otlp_hist_point_t p = explicit_point((uint64_t[]){1, 1}, 2, b, 1);
        p.start_ns = SPIDER_START;
        p.temporality = OTLP_TEMPORALITY_CUMULATIVE;
        /* One probe chain (every id has the same home cell); half the
         * streams seen at time 10, half at 1000. */
        assert_int_equal(
            otlp_streams_delta(s, (id << 16 | 5), &p, id % 2 ? 10 : 1000, scratch, &delta),
            INGEST_OK);
    }
    assert_int_equal(otlp_streams_count(s), N);
    assert_int_equal(otlp_streams_bytes(s), base + N * 2 * sizeof(uint64_t));
    otlp_hist_point_t p = explicit_point((uint64_t[]){1, 1}, 2, b, 1);
    p.start_ns = SPIDER_START;
    assert_int_equal(step(s, 12345, &p), INGEST_REJECT_STREAM_LIMIT);
    /* Forget those not seen for 500 ns at 1010: the odd ids. */
    otlp_streams_expire(s, 1010, 500);
    assert_int_equal(otlp_streams_count(s), N / 2);
    assert_int_equal(otlp_streams_bytes(s), base + N / 2 * 2 * sizeof(uint64_t));
    /* Every even stream is still found (a difference, not a first point):
     * removal kept their probe chains whole. */
    for (uint64_t id = 2; id <= N; id += 2) {
        otlp_hist_point_t q = explicit_point((uint64_t[]){2, 1}, 2, b, 1);
        q.start_ns = SPIDER_START;
        assert_int_equal(step(s, (id << 16 | 5), &q), INGEST_OK);
        assert_int_equal(delta.count, 1);
    }
    assert_int_equal(step(s, 12345, &p), INGEST_OK); /* room again */
    otlp_streams_free(s);
}

static void test_stream_ids(void **state)
{
    (void)state;
    uint64_t a = otlp_stream_id(slice_cstr("m{a=\"1\"}"), slice_cstr("pod-1"), OTLP_HIST_EXPLICIT);
    assert_true(a ==
                otlp_stream_id(slice_cstr("m{a=\"1\"}"), slice_cstr("pod-1"), OTLP_HIST_EXPLICIT));
    assert_true(a !=
                otlp_stream_id(slice_cstr("m{a=\"1\"}"), slice_cstr("pod-2"), OTLP_HIST_EXPLICIT));
    assert_true(
        a != otlp_stream_id(slice_cstr("m{a=\"1\"}"), slice_cstr("pod-1"), OTLP_HIST_EXPONENTIAL));
    /* the parts are length-prefixed: moving bytes between them changes it */
    assert_true(otlp_stream_id(slice_cstr("ab"), slice_cstr("c"), OTLP_HIST_EXPLICIT) !=
                otlp_stream_id(slice_cstr("a"), slice_cstr("bc"), OTLP_HIST_EXPLICIT));
    assert_true(a != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_emit_explicit),
        cmocka_unit_test(test_emit_exponential),
        cmocka_unit_test(test_emit_limits_and_refusals),
        cmocka_unit_test(test_streams_baseline_diff_reset),
        cmocka_unit_test(test_streams_merge_to_coarser_scale),
        cmocka_unit_test(test_streams_limit_and_expiry),
        cmocka_unit_test(test_stream_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
