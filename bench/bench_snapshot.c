/* bench_snapshot.c - what a snapshot costs the event loop, the writer and a restart.
 *
 *   bench_snapshot [SERIES [MINUTES [PER_SECOND [DIR [RUNS]]]]]   (10000 30 1 /tmp 3)
 *
 * Fills a store with SERIES series x MINUTES of seconds, one sample per
 * series per second (lognormal, median 20 ms: one histogram bucket and one
 * raw point per second, the shape of many quiet series; PER_SECOND
 * samples per second instead fill the reservoirs), with a memory budget
 * large enough to keep it all. Then, each the median of RUNS (the fork
 * times are also listed in run order: they change as writes go by):
 *   fork_ms:    the loop's pause: fork() of the process holding the store
 *               (the parent's part of an interval snapshot, net/snapfile.c);
 *   write_ms:   the child's work: encode, write, fsync, rename, fsync the
 *               directory (snapfile_write into DIR);
 *   restore_ms: reading the file back into an empty store (snapshot_decode).
 *   loop_turn_ms: the incremental writer (--snapshot-writer loop, the
 *               default): its longest turn on the loop, the loop's time in
 *               all its turns, and the time from start to the file renamed
 *               in place, ingesting one simulated second per 100 turns
 *               (every series one sample), as the loop would between turns.
 * While a fork writer runs, the parent keeps ingesting as a loop would, at ten
 * times the real pace: every 100 ms one simulated second (every series one
 * sample, store_advance: sealing, expiry). cow_mib is the most memory the
 * writer held privately meanwhile (Private_* of its smaps_rollup: pages the
 * parent changed since the fork, plus the writer's own buffers), i.e. what
 * a write costs beyond the store's RSS.
 * And the file's size, the store's accounted bytes and the RSS. Like the
 * server with --data-dir, the bench re-executes itself with the heap on
 * transparent huge pages (snapfile_hugepages_reexec); run it with
 * GLIBC_TUNABLES=glibc.malloc.hugetlb=0 to compare without.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tests/support/test_rng.h"
#include "net/snapfile.h"
#include "store/snapshot.h"

#define T0       1764160000000LL
#define RUNS_MAX 16

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double c[RUNS_MAX];
    memcpy(c, v, (size_t)n * sizeof *v);
    qsort(c, (size_t)n, sizeof *c, cmp);
    return c[n / 2];
}

/* Private memory of process pid (kB), or -1. */
static long private_kib(pid_t pid)
{
    char path[64], line[256];
    long sum = 0, v;
    FILE *f;
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Private_Clean: %ld", &v) == 1 ||
            sscanf(line, "Private_Dirty: %ld", &v) == 1)
            sum += v;
    fclose(f);
    return sum;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

int main(int argc, char **argv)
{
    uint32_t series = argc > 1 ? (uint32_t)atoi(argv[1]) : 10000;
    uint32_t minutes = argc > 2 ? (uint32_t)atoi(argv[2]) : 30;
    uint32_t per_s = argc > 3 ? (uint32_t)atoi(argv[3]) : 1;
    const char *base = argc > 4 ? argv[4] : "/tmp";
    int runs = argc > 5 ? atoi(argv[5]) : 3, restores;
    uint32_t secs = minutes * 60;
    store_config_t cfg = {.window_s = secs,
                          .raw_per_second = 100,
                          .max_series = series,
                          .memory_limit = (size_t)1 << 40,
                          .n_le = 3,
                          .le_ms = {10, 100, 1000}};
    store_t *s = store_new(&cfg);
    test_rng_t rng = {TEST_RNG_XORSHIFT64, 0x9e3779b97f4a7c15u};
    char(*names)[32] = malloc((size_t)series * sizeof *names);
    char dir[1024];
    double fork_ms[RUNS_MAX], write_ms[RUNS_MAX], restore_ms[RUNS_MAX], t;
    int64_t end = T0 + (int64_t)secs * 1000, now = end;
    long cow_kib = 0;
    struct stat st;
    store_stats_t stats;

    if (runs < 1 || runs > RUNS_MAX)
        runs = 3;
    restores = runs < 3 ? runs : 3; /* the restore does not change with the runs */
    snapfile_hugepages_reexec(argv);
    snprintf(dir, sizeof dir, "%s/bench_snapshot.XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror(dir);
        return 1;
    }
    for (uint32_t i = 0; i < series; i++)
        snprintf(names[i], sizeof names[i], "bench.snap{n=\"%u\"}", i);
    t = now_ms();
    for (int64_t ts = T0 + 1000; ts <= end; ts += 1000) {
        store_advance(s, ts);
        for (uint32_t i = 0; i < series; i++)
            for (uint32_t k = 0; k < per_s; k++)
                store_record(s, slice_cstr(names[i]), ts - 999 + (int64_t)(k * 997 / per_s),
                             20.0 * test_rng_lognormal(&rng), ts);
    }
    store_get_stats(s, &stats);
    printf("heap on huge pages: %s\n",
           getenv("GLIBC_TUNABLES") && strstr(getenv("GLIBC_TUNABLES"), "hugetlb=1") ? "yes"
                                                                                     : "no");
    printf("fill: %u series x %u s x %u/s in %.1f s; store %.1f MiB accounted, RSS %.1f MiB\n",
           series, secs, per_s, (now_ms() - t) / 1e3, (double)stats.bytes / (1 << 20),
           (double)rss_kib() / 1024);

    for (int r = 0; r < runs; r++) {
        pid_t pid;
        int status;
        t = now_ms();
        pid = fork();
        if (pid == 0) {
            const char *step;
            _exit(snapfile_write(dir, s, end, &step, NULL) == 0 ? 0 : 1);
        }
        fork_ms[r] = now_ms() - t; /* what the loop pauses for */
        for (;;) {
            struct timespec pause = {0, 100 * 1000 * 1000};
            long kib = private_kib(pid);
            if (waitpid(pid, &status, WNOHANG) == pid)
                break;
            if (kib > cow_kib)
                cow_kib = kib;
            nanosleep(&pause, NULL);
            now += 1000;
            store_advance(s, now);
            for (uint32_t i = 0; i < series; i++)
                store_record(s, slice_cstr(names[i]), now - 500, 20.0 * test_rng_lognormal(&rng),
                             now);
        }
        write_ms[r] = now_ms() - t;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "the writer failed\n");
            return 1;
        }
    }
    {
        /* The incremental writer, as the server drives it. */
        snapfile_t sf;
        double longest = 0, longest_cpu = 0, busy = 0, t1, t2, c1;
        int turns = 0, over10 = 0, cap = 1 << 16;
        double *turn = malloc((size_t)cap * sizeof *turn);
        snapfile_init(&sf, dir, SNAPFILE_LOOP, 1000, 0);
        sf.next_mono_ms = 0;
        t = now_ms();
        snapfile_tick(&sf, s, 1, now); /* opens the file, takes the keys */
        while (sf.fd >= 0) {
            t1 = now_ms();
            c1 = cpu_ms();
            snapfile_slice(&sf, s);
            t2 = now_ms() - t1;
            c1 = cpu_ms() - c1;
            busy += t2;
            if (t2 > longest)
                longest = t2;
            if (c1 > longest_cpu)
                longest_cpu = c1;
            over10 += t2 > 10.0;
            if (turns < cap)
                turn[turns] = t2;
            if (++turns % 100 == 0) {
                now += 1000;
                store_advance(s, now);
                for (uint32_t i = 0; i < series; i++)
                    store_record(s, slice_cstr(names[i]), now - 500,
                                 20.0 * test_rng_lognormal(&rng), now);
            }
        }
        while (sf.sync) {
            struct timespec pause = {0, 10 * 1000 * 1000};
            nanosleep(&pause, NULL);
            snapfile_tick(&sf, s, 2, now);
        }
        if (sf.writes_ok != 1) {
            fprintf(stderr, "the loop writer failed\n");
            return 1;
        }
        int kept = turns < cap ? turns : cap;
        qsort(turn, (size_t)kept, sizeof *turn, cmp);
        printf("loop_turn_ms (incremental writer): p50 %.2f, p99 %.2f, longest %.2f (its CPU "
               "at most %.2f), %d of %d turns over 10 ms; %.0f ms on the loop in all, %.0f ms "
               "start to renamed\n",
               turn[kept / 2], turn[kept * 99 / 100], longest, longest_cpu, over10, turns, busy,
               now_ms() - t);
        free(turn);
    }
    {
        char path[1100];
        snprintf(path, sizeof path, "%s/" SNAPFILE_NAME, dir);
        stat(path, &st);
        for (int r = 0; r < restores; r++) {
            int fd = open(path, O_RDONLY);
            uint8_t *data = malloc((size_t)st.st_size);
            ssize_t got = 0;
            store_t *c = store_new(&cfg);
            snapshot_result_t res;
            while (got < st.st_size) {
                ssize_t k = read(fd, data + got, (size_t)(st.st_size - got));
                if (k <= 0)
                    break;
                got += k;
            }
            close(fd);
            t = now_ms();
            if (snapshot_decode(c, data, (size_t)got, now, &res) != 0 || res.series != series) {
                fprintf(stderr, "restore failed: %s\n", res.error);
                return 1;
            }
            restore_ms[r] = now_ms() - t;
            store_free(c);
            free(data);
        }
        unlink(path);
        rmdir(dir);
    }
    printf("snapshot: %.1f MiB file (%.1f bytes per series-second)\n",
           (double)st.st_size / (1 << 20), (double)st.st_size / ((double)series * secs));
    printf("fork_ms (loop pause): %.2f [", median(fork_ms, runs));
    for (int r = 0; r < runs; r++)
        printf("%s%.2f", r ? " " : "", fork_ms[r]);
    printf("]\n");
    printf("write_ms (child: encode, write, fsync, rename): %.0f\n", median(write_ms, runs));
    printf("cow_mib (most memory the writer held privately while the parent ingested): %.1f\n",
           (double)cow_kib / 1024);
    printf("restore_ms (decode into an empty store): %.0f\n", median(restore_ms, restores));
    store_free(s);
    free(names);
    return 0;
}
