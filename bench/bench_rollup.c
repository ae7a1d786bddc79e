/* bench_rollup.c - GET /api/v1/rollup over many series (api/rollup.c).
 *
 * A store (simulated time) of 1,000 series `api{instance="i000".."i999",
 * route="/r0".."/r9"}` with SAMPLES_PER_S lognormal samples each (median 20
 * ms, sigma 1) in every second of a full 30-minute window, then the
 * roll-ups issue 12 asks about, each timed as the median of RUNS calls of
 * query_rollup() (selector match, grouping, merging, quantiles and the JSON
 * answer, i.e. what the HTTP handler does besides the socket):
 *   - all 1,000 series x 30 min at a 10 s step, one group (target <= 50 ms
 *     on one core);
 *   - the same grouped by route (10 groups of 100);
 *   - a regex selector (route=~"/r[0-4]"), by route;
 *   - the last 5 minutes at the default step (1 s).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/support/test_rng.h"
#include "api/rollup.h"

#define RUNS          7
#define T0            1764160000000LL
#define SERIES        1000
#define WINDOW_S      1800
#define SAMPLES_PER_S 5 /* default; the first argument sets another */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench(store_t *store, int64_t now, const char *what, const char *match, const char *by,
                  const char *since, const char *step)
{
    query_arg_t args[4];
    size_t n = 0;
    args[n++] = (query_arg_t){slice_cstr("match"), slice_cstr(match)};
    if (by)
        args[n++] = (query_arg_t){slice_cstr("by"), slice_cstr(by)};
    args[n++] = (query_arg_t){slice_cstr("since"), slice_cstr(since)};
    if (step)
        args[n++] = (query_arg_t){slice_cstr("step"), slice_cstr(step)};
    double t[RUNS];
    size_t bytes = 0;
    for (int r = 0; r < RUNS; r++) {
        buf_t out;
        rollup_refusal_t why;
        buf_init(&out);
        double t0 = now_s();
        int status = query_rollup(store, args, n, now, SERIES, &out, &why);
        t[r] = now_s() - t0;
        if (status != 200) {
            fprintf(stderr, "%s: %d %.*s\n", what, status, (int)out.len, out.p);
            exit(1);
        }
        bytes = out.len;
        buf_dispose(&out);
    }
    qsort(t, RUNS, sizeof t[0], cmp_double);
    printf("%-44s %8.1f ms  (answer %zu bytes; min %.1f, max %.1f)\n", what, t[RUNS / 2] * 1e3,
           bytes, t[0] * 1e3, t[RUNS - 1] * 1e3);
}

int main(int argc, char **argv)
{
    int per_s = argc > 1 ? atoi(argv[1]) : SAMPLES_PER_S;
    if (per_s < 1 || per_s > 1000) {
        fprintf(stderr, "usage: bench_rollup [samples per second per series, 1..1000]\n");
        return 2;
    }
    store_config_t cfg = {.window_s = WINDOW_S,
                          .raw_per_second = 0,
                          .max_series = SERIES + 10,
                          .memory_limit = (size_t)4 << 30};
    store_t *store = store_new(&cfg);
    test_rng_t rng = {TEST_RNG_XORSHIFT64, 0x9e3779b97f4a7c15u};
    char names[SERIES][64];
    for (int i = 0; i < SERIES; i++)
        snprintf(names[i], sizeof names[i], "api{instance=\"i%03d\",route=\"/r%d\"}", i, i % 10);
    double t0 = now_s();
    int64_t now = T0;
    for (int s = 0; s < WINDOW_S; s++) {
        now = T0 + (int64_t)s * 1000;
        for (int i = 0; i < SERIES; i++)
            for (int k = 0; k < per_s; k++) {
                double ms = 20 * test_rng_lognormal(&rng);
                if (store_record(store, slice_cstr(names[i]), now + k * 1000 / per_s, ms,
                                 now + 999) != STORE_OK) {
                    fprintf(stderr, "store refused a sample\n");
                    return 1;
                }
            }
        store_advance(store, now + 999);
    }
    now += 999;
    store_stats_t st;
    store_get_stats(store, &st);
    printf("store: %d series x %d s x %d samples/s, %.0f MiB, filled in %.1f s\n", SERIES, WINDOW_S,
           per_s, (double)st.bytes / (1024.0 * 1024.0), now_s() - t0);
    bench(store, now, "1000 series x 30 min, step 10s, one group", "api", NULL, "-30m", "10s");
    bench(store, now, "1000 series x 30 min, step 10s, by route", "api", "route", "-30m", "10s");
    bench(store, now, "regex route=~\"/r[0-4]\" x 30 min, 10s, by route", "api{route=~\"/r[0-4]\"}",
          "route", "-30m", "10s");
    bench(store, now, "1000 series x 5 min, default step (1s)", "api", NULL, "-5m", NULL);
    store_free(store);
    return 0;
}
