/* bench_store.c - store memory per series, record throughput, query time.
 *
 * Time is simulated (now_ms passed explicitly), so a 30-minute window fills
 * in seconds of CPU. Durations are lognormal, median 20 ms, sigma 1 (a wide
 * latency spread: more histogram buckets per second than most services).
 *   (a) series_30min_1000ps: one series at 1,000 samples/s for a full
 *       30-minute window with default raw retention (100/s): the bytes the
 *       store accounts, split by kind, and the heap growth glibc reports
 *       (which adds malloc's per-allocation overhead). Target <= 3 MiB.
 *   (b) record_1_series / record_1000_series: store_record() calls per
 *       second, 100,000 samples per simulated second, store_advance() every
 *       second; with 1,000 series the samples go round-robin, so every call
 *       changes series (the worst case for the lookup cache).
 *   (b') record_http_batch_20_series: the HTTP ingest shape: each simulated
 *       second is one batch of 20 series x 26,000 samples, each series' run
 *       contiguous (as a JSON batch lists them), durations uniform in
 *       [1, 101) ms (~420 histogram buckets per series per second).
 *   (c) summarize_30min: series_summarize() over the whole window of (a),
 *       i.e. a merge of 1,800 sealed histograms and the quantiles; and
 *       foreach_second_30min: per-second rows (p50/p90/p99) for the window.
 * Each timed figure is the median of 5 runs.
 */
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/support/test_rng.h"
#include "store/store.h"

#define RUNS   5
#define T0     1764160000000LL
#define MIB    (1024.0 * 1024.0)
#define NVALUE (1u << 20)

static double values[NVALUE];  /* precomputed, so the RNG is not measured */
static double uvalues[NVALUE]; /* uniform in [1, 101) ms, for (b') */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static test_rng_t rng = {TEST_RNG_XORSHIFT64, 0x9e3779b97f4a7c15u};

static void make_values(void)
{
    for (size_t i = 0; i < NVALUE; i++)
        values[i] = test_rng_lognormal(&rng);
    for (size_t i = 0; i < NVALUE; i++)
        uvalues[i] = 1.0 + 100.0 * test_rng_unit(&rng);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static store_t *new_store(uint32_t window_s, uint32_t max_series)
{
    store_config_t cfg = {.window_s = window_s,
                          .raw_per_second = 100,
                          .max_series = max_series,
                          .memory_limit = (size_t)4 << 30};
    return store_new(&cfg);
}

/* (a) one series, 1,000 samples/s, 30 minutes. Leaves the store for (c). */
static store_t *bench_memory(void)
{
    store_t *s = new_store(1800, 10);
    slice_t name = slice_cstr("checkout.db");
    size_t heap0 = mallinfo2().uordblks, vi = 0;
    store_memory_t m0, m;
    store_stats_t st;
    int64_t now = T0;

    store_get_memory(s, &m0);
    for (int sec = 0; sec < 1800; sec++) {
        now = T0 + sec * 1000LL;
        store_advance(s, now);
        for (int i = 0; i < 1000; i++) {
            int64_t ts = now + i;
            store_record(s, name, ts, values[vi++ & (NVALUE - 1)], ts);
        }
    }
    store_advance(s, now + 1000); /* the last second closes and is sealed */
    store_get_memory(s, &m);
    store_get_stats(s, &st);
    size_t series = m.series + m.slots + m.hist + m.raw;
    size_t heap = mallinfo2().uordblks - heap0;
    printf("series_30min_1000ps: %.2f MiB (slots %.2f, hist %.2f, raw %.2f, header %.4f)\n",
           series / MIB, m.slots / MIB, m.hist / MIB, m.raw / MIB, m.series / MIB);
    printf("  per second: %.0f B (slot 64, hist %.0f, raw %.0f); heap growth incl. malloc "
           "overhead %.2f MiB; store base %.3f MiB\n",
           series / 1800.0, m.hist / 1800.0, m.raw / 1800.0, heap / MIB, m0.base / MIB);
    (void)st;
    return s;
}

/* (a') what a series costs per second of window at a given rate, for
 * sizing --memory-limit (docs/operations.md): 100 series, 300 s filled at
 * `rate` samples/s each, default raw retention (100 a second). */
static void bench_sizing(void)
{
    static const int rates[] = {1, 10, 100, 1000};
    char name[32];
    size_t vi = 0;
    for (size_t k = 0; k < sizeof rates / sizeof rates[0]; k++) {
        store_t *s = new_store(300, 100);
        store_stats_t st0, st;
        store_get_stats(s, &st0);
        int64_t now = T0;
        for (int sec = 0; sec < 300; sec++) {
            now = T0 + sec * 1000LL;
            store_advance(s, now);
            for (int j = 0; j < 100; j++) {
                snprintf(name, sizeof name, "service.%d", j);
                for (int i = 0; i < rates[k]; i++) {
                    int64_t ts = now + (int64_t)i * 1000 / rates[k];
                    store_record(s, slice_cstr(name), ts, values[vi++ & (NVALUE - 1)], ts);
                }
            }
        }
        store_advance(s, now + 1000);
        store_get_stats(s, &st);
        double per_second = (double)(st.bytes - st0.bytes) / (100.0 * 300.0);
        printf("sizing_rate_%d: %.0f B per series-second (%.2f MiB per series over 30 min)\n",
               rates[k], per_second, per_second * 1800 / MIB);
        store_free(s);
    }
}

/* The setup (b) and (b') share, outside the timed loop: a store and the
 * names "<prefix>.<k>" of its nseries series, all in one buffer. */
typedef struct fixture {
    store_t *s;
    slice_t *names;
    char *buf;
} fixture_t;

static void fixture_init(fixture_t *f, uint32_t nseries, const char *prefix)
{
    f->s = new_store(60, nseries);
    f->names = malloc(nseries * sizeof *f->names);
    f->buf = malloc((size_t)nseries * 32);
    for (uint32_t k = 0; k < nseries; k++) {
        int n = snprintf(f->buf + (size_t)k * 32, 32, "%s.%u", prefix, k);
        f->names[k] = slice_make(f->buf + (size_t)k * 32, (size_t)n);
    }
}

/* Reports refused samples (a bench input must have none) and frees. */
static void fixture_dispose(fixture_t *f, uint64_t rejected)
{
    if (rejected)
        fprintf(stderr, "bench_store: %llu rejected\n", (unsigned long long)rejected);
    store_free(f->s);
    free(f->names);
    free(f->buf);
}

/* (b) store_record() throughput over `nsec` simulated seconds. */
static double bench_record(uint32_t nseries, int nsec, int per_sec)
{
    fixture_t f;
    size_t vi = 0;
    uint64_t rejected = 0;
    double t;

    fixture_init(&f, nseries, "service.endpoint");
    t = now_s();
    for (int sec = 0; sec < nsec; sec++) {
        int64_t now = T0 + sec * 1000LL;
        store_advance(f.s, now);
        for (int i = 0; i < per_sec; i++) {
            int64_t ts = now + (i * 1000LL) / per_sec;
            rejected += store_record(f.s, f.names[(uint32_t)i % nseries], ts,
                                     values[vi++ & (NVALUE - 1)], ts) != STORE_OK;
        }
    }
    t = now_s() - t;
    fixture_dispose(&f, rejected);
    return (double)nsec * per_sec / t;
}

/* (b') the HTTP batch shape: per simulated second, 20 series in turn each
 * get a run of `run` samples spread over the second. */
static double bench_record_batch(uint32_t nseries, int nsec, int run)
{
    fixture_t f;
    size_t vi = 0;
    uint64_t rejected = 0;
    double t;

    fixture_init(&f, nseries, "api.http.route");
    t = now_s();
    for (int sec = 0; sec < nsec; sec++) {
        int64_t now = T0 + sec * 1000LL;
        store_advance(f.s, now);
        for (uint32_t k = 0; k < nseries; k++) {
            for (int i = 0; i < run; i++) {
                int64_t ts = now + (i * 1000LL) / run;
                rejected +=
                    store_record(f.s, f.names[k], ts, uvalues[vi++ & (NVALUE - 1)], ts) != STORE_OK;
            }
        }
    }
    t = now_s() - t;
    fixture_dispose(&f, rejected);
    return (double)nsec * nseries * run / t;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static void count_row(void *ctx, const series_second_t *sec)
{
    *(double *)ctx += sec->p99;
}

int main(void)
{
    double r[RUNS];
    series_summary_t sum;

    make_values();
    store_t *s = bench_memory();
    bench_sizing();

    for (int k = 0; k < RUNS; k++)
        r[k] = bench_record(1, 100, 100000);
    printf("record_1_series: %.1f M samples/s\n", median(r, RUNS) / 1e6);
    for (int k = 0; k < RUNS; k++)
        r[k] = bench_record(1000, 100, 100000);
    printf("record_1000_series: %.1f M samples/s\n", median(r, RUNS) / 1e6);
    for (int k = 0; k < RUNS; k++)
        r[k] = bench_record_batch(20, 20, 26000);
    printf("record_http_batch_20_series: %.1f M samples/s\n", median(r, RUNS) / 1e6);

    const series_t *se = store_find(s, slice_cstr("checkout.db"));
    for (int k = 0; k < RUNS; k++) {
        double t = now_s();
        for (int j = 0; j < 20; j++)
            series_summarize(s, se, INT64_MIN, INT64_MAX, &sum);
        r[k] = (now_s() - t) / 20;
    }
    printf("summarize_30min: %.2f ms (count %llu, p50 %.2f, p99 %.1f ms)\n", median(r, RUNS) * 1e3,
           (unsigned long long)sum.count, sum.p50, sum.p99);
    for (int k = 0; k < RUNS; k++) {
        double acc = 0, t = now_s();
        series_foreach_second(s, se, INT64_MIN, INT64_MAX, count_row, &acc);
        r[k] = now_s() - t;
    }
    printf("foreach_second_30min: %.2f ms\n", median(r, RUNS) * 1e3);
    store_free(s);
    return 0;
}
