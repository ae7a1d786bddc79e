/* bench_statsd.c - StatsD ingest without the kernel: statsd_feed_datagram()
 * into a store, lines per CPU second.
 *
 * The datagrams are spider-load's (tools/load/sdgen: `load.sK:V|ms`, 100
 * series, values 1.000 to 499.999 ms), 20 lines each unless argv[1] says
 * otherwise; argv[2] = 1 adds its tags. They go through the server's own
 * path: the key cache, the sink, the store at its default configuration
 * (30-minute window, 100 raw points a second, 256 MiB), stamped with the
 * wall clock once per 32 datagrams like a recvmmsg() batch, the store
 * advanced every second as the server's tick does. The figure is lines per
 * second of this process' CPU time (CLOCK_PROCESS_CPUTIME_ID), so that a
 * busy machine shifts it less than wall time would; median of 5 runs of
 * 1 s of CPU each. bench/statsd.sh measures the whole server over UDP.
 *
 * With a third argument N it feeds N datagrams once, untimed, for
 * valgrind --tool=cachegrind: instructions and simulated cache misses per
 * line do not depend on what else the machine runs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "ingest/statsd_feed.h"
#include "sdgen.h"
#include "store/store.h"

#define RUNS        5
#define RUN_SECONDS 1.0
#define BATCH       32 /* datagrams per stamp, as STATSD_SOCKET_BATCH */

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One run: feeds the pool round and round for RUN_SECONDS of CPU; returns
 * lines per CPU second. */
static double run(const sdgen_pool_t *pool, store_t *store, ingest_counts_t *counts,
                  statsd_counts_t *sc, statsd_keycache_t *cache)
{
    ingest_sink_t sink = {.store = store, .counts = counts, .protocol = INGEST_STATSD};
    uint64_t lines0 = sc->lines;
    int64_t advanced = 0;
    double t0 = cpu_s(), t = t0;
    size_t next = 0;
    while (t - t0 < RUN_SECONDS) {
        sink.now_ms = clock_wall_ms();
        if (sink.now_ms - advanced >= 1000) {
            store_advance(store, sink.now_ms);
            advanced = sink.now_ms;
        }
        for (int i = 0; i < BATCH; i++) {
            size_t len;
            const char *p = sdgen_datagram(pool, next, &len);
            statsd_feed_datagram(&sink, sc, cache, p, len);
            next = next + 1 == pool->count ? 0 : next + 1;
        }
        t = cpu_s();
    }
    return (double)(sc->lines - lines0) / (t - t0);
}

int main(int argc, char **argv)
{
    int lines = argc > 1 ? atoi(argv[1]) : 20;
    int tags = argc > 2 ? atoi(argv[2]) : 0;
    long once = argc > 3 ? atol(argv[3]) : 0;
    sdgen_shape_t shape = {
        .prefix = "load", .series = 100, .lines = lines, .tags = tags, .max_bytes = 65507};
    sdgen_pool_t pool;
    size_t longest;
    if (lines < 1 || sdgen_init(&pool, &shape, &longest) != 0) {
        fprintf(stderr, "usage: bench_statsd [LINES_PER_DATAGRAM [TAGS [DATAGRAMS]]]\n");
        return 2;
    }
    store_config_t cfg = {.window_s = 1800,
                          .raw_per_second = 100,
                          .max_series = 10000,
                          .memory_limit = (size_t)256 << 20};
    store_t *store = store_new(&cfg);
    ingest_counts_t counts;
    statsd_counts_t sc;
    memset(&counts, 0, sizeof counts);
    memset(&sc, 0, sizeof sc);
    statsd_keycache_t *cache = calloc(1, sizeof *cache);

    if (once > 0) {
        ingest_sink_t sink = {.store = store,
                              .counts = &counts,
                              .protocol = INGEST_STATSD,
                              .now_ms = clock_wall_ms()};
        for (long i = 0; i < once; i++) {
            size_t len;
            const char *p = sdgen_datagram(&pool, (size_t)i % pool.count, &len);
            statsd_feed_datagram(&sink, &sc, cache, p, len);
        }
        printf("bench_statsd: fed %ld datagrams, %llu lines once\n", once,
               (unsigned long long)sc.lines);
        free(cache);
        store_free(store);
        sdgen_dispose(&pool);
        return 0;
    }
    double r[RUNS];
    for (int i = 0; i < RUNS; i++)
        r[i] = run(&pool, store, &counts, &sc, cache);
    qsort(r, RUNS, sizeof r[0], cmp_double);
    uint64_t refused = 0;
    for (int k = 0; k < INGEST_REJECT_COUNT; k++)
        refused += counts.rejected[INGEST_STATSD][k];
    printf("bench_statsd: %d lines/datagram%s, 100 series: %.2f M lines per CPU second "
           "(median of %d; min %.2f, max %.2f); accepted %llu, refused %llu\n",
           lines, tags ? " with tags" : "", r[RUNS / 2] / 1e6, RUNS, r[0] / 1e6, r[RUNS - 1] / 1e6,
           (unsigned long long)counts.accepted[INGEST_STATSD], (unsigned long long)refused);
    free(cache);
    store_free(store);
    sdgen_dispose(&pool);
    return refused ? 1 : 0;
}
