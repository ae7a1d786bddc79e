/* bench_points.c - ingest parse throughput: points_parse() vs cJSON.
 *
 * Builds realistic POST /api/v1/points bodies (20 series, a mix of plain
 * durations and [unix_ms, duration_ms] pairs, numbers like 12.345) of about
 * 1 MiB and 64 KiB, then measures MB/s (10^6 bytes per second) of:
 *   - points_parse: both passes (validate, then deliver to a sink that sums);
 *   - cjson: cJSON_ParseWithLength plus a walk of the tree summing the same
 *     values, and cJSON_Delete (the cost a cJSON-based handler would pay).
 * Each figure is the median of 5 runs; each run repeats the parse for at
 * least 0.2 s, so a figure covers >= 1 s. Targets: >= 400 MB/s and >= 6x.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/support/test_rng.h"
#include "ingest/points.h"

#define RUNS        5
#define RUN_SECONDS 0.2

typedef struct sum {
    double total;
    size_t count;
} sum_t;

static void sum_sink(void *ctx, const points_sample_t *s)
{
    sum_t *sum = ctx;
    if (s->reject == POINTS_OK) {
        sum->total += s->ms;
        sum->count++;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static test_rng_t rng = {TEST_RNG_XORSHIFT64, 0x9e3779b97f4a7c15u};

/* A body of about `target` bytes: 20 series, one key each, samples spread
 * round-robin; 3 in 4 samples are plain, 1 in 4 are [unix_ms, ms] pairs. */
static char *make_body(size_t target, size_t *len)
{
    static const char *names[] = {
        "checkout.db", "checkout.render", "checkout.api",   "search.query",   "search.rank",
        "cart.add",    "cart.remove",     "login.password", "login.oauth",    "feed.load",
        "feed.scroll", "image.resize",    "image.upload",   "payment.charge", "payment.refund",
        "email.send",  "queue.enqueue",   "queue.dequeue",  "cache.get",      "cache.set",
    };
    const int nseries = 20;
    size_t cap = target + 4096, n = 0;
    char *b = malloc(cap);
    size_t per_series = target / nseries;
    int64_t ts = 1764160000123;

    b[n++] = '{';
    for (int k = 0; k < nseries; k++) {
        n += (size_t)snprintf(b + n, cap - n, "%s\"%s\":[", k ? "," : "", names[k]);
        size_t start = n;
        int first = 1;
        while (n - start < per_series - 40) {
            double ms = (double)(test_rng_next(&rng) % 500000) / 1000.0; /* 0.000 .. 499.999 */
            if (!first)
                b[n++] = ',';
            first = 0;
            if (test_rng_next(&rng) % 4 == 0)
                n += (size_t)snprintf(b + n, cap - n, "[%lld,%.3f]", (long long)ts++, ms);
            else
                n += (size_t)snprintf(b + n, cap - n, "%.3f", ms);
        }
        b[n++] = ']';
    }
    b[n++] = '}';
    *len = n;
    return b;
}

static double cjson_walk(const cJSON *root, size_t *count)
{
    double total = 0;
    for (const cJSON *series = root->child; series; series = series->next) {
        for (const cJSON *s = series->child; s; s = s->next) {
            const cJSON *v = cJSON_IsArray(s) ? s->child->next : s;
            if (v->valuedouble >= 0) {
                total += v->valuedouble;
                (*count)++;
            }
        }
    }
    return total;
}

/* Returns MB/s of one run: repeat until RUN_SECONDS have passed. */
static double run_points(const char *b, size_t n, sum_t *check)
{
    size_t reps = 0;
    double t0 = now_s(), t;
    do {
        sum_t sum = {0, 0};
        points_error_t err;
        if (points_parse(b, n, sum_sink, &sum, &err) != 0) {
            fprintf(stderr, "bench body rejected: %s at %zu\n", err.message, err.offset);
            exit(1);
        }
        *check = sum;
        reps++;
    } while ((t = now_s() - t0) < RUN_SECONDS);
    return (double)n * (double)reps / t / 1e6;
}

static double run_cjson(const char *b, size_t n, sum_t *check)
{
    size_t reps = 0;
    double t0 = now_s(), t;
    do {
        cJSON *root = cJSON_ParseWithLength(b, n);
        if (!root) {
            fprintf(stderr, "cJSON rejected the bench body\n");
            exit(1);
        }
        sum_t sum = {0, 0};
        sum.total = cjson_walk(root, &sum.count);
        cJSON_Delete(root);
        *check = sum;
        reps++;
    } while ((t = now_s() - t0) < RUN_SECONDS);
    return (double)n * (double)reps / t / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double (*run)(const char *, size_t, sum_t *), const char *b, size_t n,
                     sum_t *check)
{
    double v[RUNS];
    for (int i = 0; i < RUNS; i++)
        v[i] = run(b, n, check);
    qsort(v, RUNS, sizeof v[0], cmp_double);
    return v[RUNS / 2];
}

static int bench(const char *label, size_t target)
{
    size_t n;
    char *b = make_body(target, &n);
    sum_t ours, theirs;
    double mine = median(run_points, b, n, &ours);
    double cj = median(run_cjson, b, n, &theirs);
    printf("points_parse %s: %.1f MB/s (median of %d)\n", label, mine, RUNS);
    printf("cjson %s: %.1f MB/s (median of %d)\n", label, cj, RUNS);
    printf("ratio %s: %.1fx\n", label, mine / cj);
    free(b);
    /* Both must have seen the same samples, or the comparison means nothing. */
    if (ours.count != theirs.count || ours.total != theirs.total) {
        fprintf(stderr, "mismatch: %zu samples (sum %.17g) vs cJSON %zu (sum %.17g)\n", ours.count,
                ours.total, theirs.count, theirs.total);
        return 1;
    }
    return 0;
}

int main(void)
{
    int rc = 0;
    rc |= bench("1MiB", 1 << 20);
    rc |= bench("64KiB", 64 << 10);
    return rc;
}
