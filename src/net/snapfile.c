/* snapfile.c - snapshot files: temp file, fsync, rename, fork (see snapfile.h). */
#include "snapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/clock.h"
#include "../core/xmalloc.h"

/* The child's write buffer: few write() calls, a fixed cost. */
#define SNAPFILE_BUF (64 * 1024)

/* What a child's exit status means beyond an errno value. */
#define SNAPFILE_EXIT_UNKNOWN 255

static int64_t snapfile_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void snapfile_init(snapfile_t *sf, const char *dir, snapfile_mode_t mode, int64_t interval_ms,
                   uint64_t load_max)
{
    memset(sf, 0, sizeof *sf);
    snprintf(sf->dir, sizeof sf->dir, "%s", dir);
    sf->mode = mode;
    sf->fd = -1;
    buf_init(&sf->names);
    buf_init(&sf->out);
    sf->interval_ms = interval_ms;
    sf->load_max = load_max;
    sf->next_mono_ms = clock_mono_ms() + interval_ms;
}

/* ---- huge pages ------------------------------------------------------------ */

#define SNAPFILE_TUNABLE "glibc.malloc.hugetlb=1"

void snapfile_hugepages_reexec(char **argv)
{
    const char *t = getenv("GLIBC_TUNABLES");
    char buf[1024];

    /* Set by the user (any value, also =0), or by the re-exec already. */
    if (t && strstr(t, "glibc.malloc.hugetlb"))
        return;
    snprintf(buf, sizeof buf, "%s%s%s", t ? t : "", t && *t ? ":" : "", SNAPFILE_TUNABLE);
    if (setenv("GLIBC_TUNABLES", buf, 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    /* No /proc, or exec refused: run as we are (forks just take longer). */
    if (t)
        setenv("GLIBC_TUNABLES", t, 1);
    else
        unsetenv("GLIBC_TUNABLES");
}

/* ---- writing ---------------------------------------------------------------- */

typedef struct snapfile_out {
    int fd;
    int err; /* the first errno of a failed write */
    size_t n;
    uint8_t *buf;
} snapfile_out_t;

static int snapfile_flush(snapfile_out_t *o)
{
    size_t done = 0;
    while (done < o->n) {
        ssize_t k = write(o->fd, o->buf + done, o->n - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            o->err = k < 0 ? errno : EIO;
            return -1;
        }
        done += (size_t)k;
    }
    o->n = 0;
    return 0;
}

static int snapfile_emit(void *ctx, const void *p, size_t n)
{
    snapfile_out_t *o = ctx;
    const uint8_t *q = p;
    while (n > 0) {
        size_t k = SNAPFILE_BUF - o->n < n ? SNAPFILE_BUF - o->n : n;
        memcpy(o->buf + o->n, q, k);
        o->n += k;
        q += k;
        n -= k;
        if (o->n == SNAPFILE_BUF && snapfile_flush(o) != 0)
            return -1;
    }
    return 0;
}

static void snapfile_path(char *out, size_t cap, const char *dir, const char *suffix)
{
    snprintf(out, cap, "%s/%s%s", dir, SNAPFILE_NAME, suffix);
}

int snapfile_write(const char *dir, store_t *s, int64_t now_wall_ms, const char **step,
                   snapshot_written_t *w)
{
    char tmp[1100], final[1100];
    snapfile_out_t o = {.fd = -1};
    int rc = 0, dfd = -1;

    snapfile_path(tmp, sizeof tmp, dir, ".tmp");
    snapfile_path(final, sizeof final, dir, "");
    *step = "open";
    o.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (o.fd < 0) {
        rc = errno;
        goto out;
    }
    o.buf = xmalloc(SNAPFILE_BUF);
    *step = "write";
    if (snapshot_encode(s, now_wall_ms, snapfile_emit, &o, w) != 0 || snapfile_flush(&o) != 0) {
        rc = o.err ? o.err : EIO;
        goto out;
    }
    /* The data reaches the disk before the name points at it: a crash
     * after the rename never leaves a name on a file with holes. */
    *step = "fsync";
    if (fsync(o.fd) != 0) {
        rc = errno;
        goto out;
    }
    *step = "close";
    if (close(o.fd) != 0) {
        o.fd = -1;
        rc = errno;
        goto out;
    }
    o.fd = -1;
    *step = "rename";
    if (rename(tmp, final) != 0) {
        rc = errno;
        goto out;
    }
    /* And the rename itself reaches the disk. */
    *step = "fsync of the directory";
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0)
        rc = errno;
out:
    if (o.fd >= 0) {
        close(o.fd);
        unlink(tmp); /* a partial file is never left behind */
    }
    if (dfd >= 0)
        close(dfd);
    free(o.buf);
    return rc;
}

static void snapfile_log_failure(snapfile_t *sf, int err, const char *step)
{
    sf->writes_failed++;
    sf->last_errno = err;
    log_warning("snapshot to %s/%s failed%s%s: %s (serving continues; next try in %llds)", sf->dir,
                SNAPFILE_NAME, step ? " at " : "", step ? step : "", strerror(err),
                (long long)(sf->interval_ms / 1000));
}

static void snapfile_note_success(snapfile_t *sf, int64_t now_wall_ms)
{
    char path[1100];
    struct stat st;
    sf->writes_ok++;
    sf->last_errno = 0;
    sf->last_ok_wall_ms = now_wall_ms;
    snapfile_path(path, sizeof path, sf->dir, "");
    if (stat(path, &st) == 0)
        sf->last_bytes = (uint64_t)st.st_size;
}

/* Forks the writer. The child holds the store as it was at the fork; it
 * writes, then _exits without running atexit handlers or flushing stdio
 * buffers that belong to the parent, and never touches a socket: it
 * closes every descriptor but stdio first, so that a listen socket is
 * never held open by a writer (a restarted Spider could not bind it), and
 * it dies with the parent (a kill -9 of Spider leaves no writer behind;
 * its temporary file is overwritten by the next write). */
static void snapfile_fork(snapfile_t *sf, store_t *s, int64_t now_mono_ms, int64_t now_wall_ms)
{
    int64_t t0 = snapfile_mono_us();
    pid_t pid = fork();
    if (pid == 0) {
        const char *step = NULL;
        int rc;
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1)
            _exit(SNAPFILE_EXIT_UNKNOWN); /* the parent is already gone */
        for (int fd = 3; fd < 65536 && close_range(3, ~0u, 0) != 0; fd++)
            close(fd); /* close_range() is Linux 5.9+: a loop before it */
        rc = snapfile_write(sf->dir, s, now_wall_ms, &step, NULL);
        _exit(rc == 0 ? 0 : rc < SNAPFILE_EXIT_UNKNOWN ? rc : SNAPFILE_EXIT_UNKNOWN);
    }
    sf->last_fork_us = snapfile_mono_us() - t0;
    if (pid < 0) {
        snapfile_log_failure(sf, errno, "fork");
        return;
    }
    sf->child = pid;
    sf->child_started_mono_ms = now_mono_ms;
}

/* Counts a child's end. */
static void snapfile_reaped(snapfile_t *sf, int status, int64_t now_mono_ms, int64_t now_wall_ms)
{
    sf->child = 0;
    sf->last_duration_ms = now_mono_ms - sf->child_started_mono_ms;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        snapfile_note_success(sf, now_wall_ms);
    else if (WIFEXITED(status))
        snapfile_log_failure(
            sf, WEXITSTATUS(status) == SNAPFILE_EXIT_UNKNOWN ? EIO : WEXITSTATUS(status), NULL);
    else
        snapfile_log_failure(sf, EINTR, "the writer (killed by a signal)");
}

/* ---- the loop writer ----------------------------------------------------- */

#define SNAPFILE_OUT_FLUSH (1u << 20)

/* The last steps, which wait for the disk, on a thread of their own. It
 * owns the descriptor from here; `done` tells the loop it may join. */
typedef struct snapfile_sync {
    pthread_t thread;
    int fd;
    char dir[1024];
    atomic_int done;
    int rc;
    const char *step;
} snapfile_sync_t;

static void *snapfile_sync_run(void *arg)
{
    snapfile_sync_t *y = arg;
    char tmp[1100], final[1100];
    int dfd;

    snapfile_path(tmp, sizeof tmp, y->dir, ".tmp");
    snapfile_path(final, sizeof final, y->dir, "");
    y->step = "fsync";
    if (fsync(y->fd) != 0)
        y->rc = errno;
    if (close(y->fd) != 0 && y->rc == 0) {
        y->step = "close";
        y->rc = errno;
    }
    if (y->rc == 0) {
        y->step = "rename";
        if (rename(tmp, final) != 0)
            y->rc = errno;
    }
    if (y->rc == 0) {
        y->step = "fsync of the directory";
        dfd = open(y->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) != 0)
            y->rc = errno;
        if (dfd >= 0)
            close(dfd);
    }
    if (y->rc != 0)
        unlink(tmp);
    atomic_store(&y->done, 1);
    return NULL;
}

/* Gives up the write under way (an error, or the stop). */
static void snapfile_loop_abandon(snapfile_t *sf)
{
    char tmp[1100];
    if (sf->fd < 0)
        return;
    close(sf->fd);
    sf->fd = -1;
    snapfile_path(tmp, sizeof tmp, sf->dir, ".tmp");
    unlink(tmp);
    buf_dispose(&sf->names);
    buf_dispose(&sf->out);
}

static void snapfile_names(void *ctx, const series_t *se)
{
    buf_t *names = ctx;
    slice_t n = series_name(se);
    buf_append(names, n.p, n.n);
    buf_append(names, "", 1);
}

static void snapfile_loop_begin(snapfile_t *sf, store_t *s, int64_t now_mono_ms,
                                int64_t now_wall_ms)
{
    char tmp[1100];

    snapfile_path(tmp, sizeof tmp, sf->dir, ".tmp");
    sf->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (sf->fd < 0) {
        snapfile_log_failure(sf, errno, "open");
        return;
    }
    /* The keys, not the series: a series may be removed (and its memory
     * reused) between two turns; a key is looked up again at its turn. */
    buf_init(&sf->names);
    buf_init(&sf->out);
    store_foreach(s, snapfile_names, &sf->names);
    sf->next_name = 0;
    memset(&sf->w, 0, sizeof sf->w);
    snapshot_encode_header(s, now_wall_ms, &sf->out, &sf->w);
    sf->started_mono_ms = now_mono_ms;
}

/* Writes sf->out out. Returns 0 or an errno value. */
static int snapfile_loop_flush(snapfile_t *sf)
{
    snapfile_out_t o = {.fd = sf->fd, .n = sf->out.len, .buf = (uint8_t *)sf->out.p};
    if (snapfile_flush(&o) != 0)
        return o.err ? o.err : EIO;
    buf_reset(&sf->out);
    return 0;
}

void snapfile_slice(snapfile_t *sf, store_t *s)
{
    int64_t t0, took;
    int rc;

    if (sf->fd < 0)
        return;
    t0 = snapfile_mono_us();
    while (sf->next_name < sf->names.len && snapfile_mono_us() - t0 < SNAPFILE_SLICE_US) {
        const char *key = sf->names.p + sf->next_name;
        size_t n = strlen(key);
        const series_t *se = store_find(s, slice_make(key, n));
        sf->next_name += n + 1;
        if (se)
            snapshot_encode_series(s, se, &sf->out, &sf->w);
        if (sf->out.len >= SNAPFILE_OUT_FLUSH && (rc = snapfile_loop_flush(sf)) != 0)
            goto failed;
    }
    if (sf->next_name >= sf->names.len) {
        snapshot_encode_end(&sf->out, &sf->w);
        if ((rc = snapfile_loop_flush(sf)) != 0)
            goto failed;
        snapfile_sync_t *y = xcalloc(1, sizeof *y);
        y->fd = sf->fd;
        snprintf(y->dir, sizeof y->dir, "%s", sf->dir);
        if (pthread_create(&y->thread, NULL, snapfile_sync_run, y) != 0) {
            free(y);
            rc = EAGAIN;
            goto failed;
        }
        sf->fd = -1; /* the thread's now */
        sf->sync = y;
        buf_dispose(&sf->names);
        buf_dispose(&sf->out);
    }
    took = snapfile_mono_us() - t0;
    if (took > sf->longest_slice_us)
        sf->longest_slice_us = took;
    return;
failed:
    snapfile_loop_abandon(sf);
    snapfile_log_failure(sf, rc, "write");
}

/* Collects the sync thread once it is done (wait: block until it is). */
static void snapfile_sync_collect(snapfile_t *sf, int64_t now_mono_ms, int64_t now_wall_ms,
                                  int wait)
{
    snapfile_sync_t *y = sf->sync;
    if (!y || (!wait && !atomic_load(&y->done)))
        return;
    pthread_join(y->thread, NULL);
    sf->sync = NULL;
    sf->last_duration_ms = now_mono_ms - sf->started_mono_ms;
    if (y->rc == 0) {
        snapfile_note_success(sf, now_wall_ms);
        sf->last_bytes = sf->w.bytes;
    } else {
        snapfile_log_failure(sf, y->rc, y->step);
    }
    free(y);
}

void snapfile_tick(snapfile_t *sf, store_t *s, int64_t now_mono_ms, int64_t now_wall_ms)
{
    if (!sf->dir[0])
        return;
    snapfile_sync_collect(sf, now_mono_ms, now_wall_ms, 0);
    if (sf->child > 0) {
        int status;
        pid_t r = waitpid(sf->child, &status, WNOHANG);
        if (r == sf->child)
            snapfile_reaped(sf, status, now_mono_ms, now_wall_ms);
        else if (r < 0 && errno == ECHILD)
            sf->child = 0; /* reaped elsewhere: nothing to count */
    }
    if (now_mono_ms < sf->next_mono_ms)
        return;
    sf->next_mono_ms = now_mono_ms + sf->interval_ms;
    if (sf->child > 0 || sf->fd >= 0 || sf->sync) {
        sf->skipped_busy++; /* the previous write is still going: one at a time */
        return;
    }
    if (sf->mode == SNAPFILE_FORK)
        snapfile_fork(sf, s, now_mono_ms, now_wall_ms);
    else
        snapfile_loop_begin(sf, s, now_mono_ms, now_wall_ms);
}

void snapfile_stop(snapfile_t *sf, store_t *s, int64_t now_wall_ms)
{
    const char *step = NULL;
    snapshot_written_t w;
    int64_t t0 = clock_mono_ms();
    int rc;

    if (!sf->dir[0])
        return;
    snapfile_loop_abandon(sf); /* a newer snapshot is written below */
    snapfile_sync_collect(sf, clock_mono_ms(), now_wall_ms, 1);
    if (sf->child > 0) {
        /* Its snapshot is older than the one written now: stop it rather
         * than wait. Its temporary file is truncated by the write below. */
        int status;
        kill(sf->child, SIGKILL);
        while (waitpid(sf->child, &status, 0) < 0 && errno == EINTR)
            ;
        sf->child = 0;
    }
    rc = snapfile_write(sf->dir, s, now_wall_ms, &step, &w);
    sf->last_duration_ms = clock_mono_ms() - t0;
    if (rc != 0) {
        snapfile_log_failure(sf, rc, step);
        return;
    }
    snapfile_note_success(sf, now_wall_ms);
    log_info("snapshot written to %s/%s: %llu series, %llu seconds, %llu samples, %llu "
             "bytes in %lld ms",
             sf->dir, SNAPFILE_NAME, (unsigned long long)w.series, (unsigned long long)w.seconds,
             (unsigned long long)w.samples, (unsigned long long)w.bytes,
             (long long)sf->last_duration_ms);
}

/* ---- restoring -------------------------------------------------------------- */

/* Renames a bad file out of the way (kept for a post-mortem) so that the
 * next start does not read it again and the next write does not destroy it. */
static void snapfile_move_aside(snapfile_t *sf, const char *path, int64_t now_wall_ms)
{
    char bad[1100], suffix[40];
    snprintf(suffix, sizeof suffix, ".bad-%lld", (long long)(now_wall_ms / 1000));
    snapfile_path(bad, sizeof bad, sf->dir, suffix);
    if (rename(path, bad) == 0)
        log_warning("moved the snapshot aside to %s", bad);
    else
        log_error("could not move the snapshot aside to %s: %s", bad, strerror(errno));
}

void snapfile_restore(snapfile_t *sf, store_t *s, int64_t now_wall_ms)
{
    char path[1100];
    struct stat st;
    uint8_t *data = NULL;
    size_t got = 0;
    int fd = -1;

    if (!sf->dir[0])
        return;
    if (mkdir(sf->dir, 0700) != 0 && errno != EEXIST)
        log_error("cannot create the data directory %s: %s", sf->dir, strerror(errno));
    snapfile_path(path, sizeof path, sf->dir, "");
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            snprintf(sf->restore_error, sizeof sf->restore_error,
                     "cannot open " SNAPFILE_NAME ": %s", strerror(errno));
        else
            log_info("no snapshot in %s: starting empty", sf->dir);
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(sf->restore_error, sizeof sf->restore_error,
                 SNAPFILE_NAME " is not a regular file");
        goto out;
    }
    sf->restored_file = 1;
    if ((uint64_t)st.st_size > sf->load_max) {
        snprintf(sf->restore_error, sizeof sf->restore_error,
                 SNAPFILE_NAME
                 " is %lld bytes, more than a store within --memory-limit writes (%llu)",
                 (long long)st.st_size, (unsigned long long)sf->load_max);
        snapfile_move_aside(sf, path, now_wall_ms);
        goto out;
    }
    data = xmalloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    while (got < (size_t)st.st_size) {
        ssize_t k = read(fd, data + got, (size_t)st.st_size - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    if (snapshot_decode(s, data, got, now_wall_ms, &sf->restored) != 0) {
        snprintf(sf->restore_error, sizeof sf->restore_error, "%s", sf->restored.error);
        snapfile_move_aside(sf, path, now_wall_ms);
    }
out:
    if (sf->restore_error[0])
        log_warning("snapshot not (wholly) restored: %s", sf->restore_error);
    if (sf->restored_file)
        log_info("restored from %s: %llu series, %llu seconds, %llu samples (%llu seconds "
                 "outside the window, %llu refused by the budget, %llu series over the limits)",
                 path, (unsigned long long)sf->restored.series,
                 (unsigned long long)sf->restored.seconds, (unsigned long long)sf->restored.samples,
                 (unsigned long long)sf->restored.seconds_outside,
                 (unsigned long long)sf->restored.seconds_refused,
                 (unsigned long long)sf->restored.series_refused);
    if (fd >= 0)
        close(fd);
    free(data);
}

/* ---- reporting -------------------------------------------------------------- */

void snapfile_render_metrics(const snapfile_t *sf, buf_t *out)
{
    const snapshot_result_t *r = &sf->restored;
    buf_printf(out,
               "# HELP spider_snapshot_writes_total Snapshots written to the data directory, by "
               "result.\n# TYPE spider_snapshot_writes_total counter\n"
               "spider_snapshot_writes_total{result=\"ok\"} %llu\n"
               "spider_snapshot_writes_total{result=\"error\"} %llu\n",
               (unsigned long long)sf->writes_ok, (unsigned long long)sf->writes_failed);
    buf_printf(out,
               "# HELP spider_snapshot_skipped_total Snapshot intervals skipped because the "
               "previous write was still running.\n# TYPE spider_snapshot_skipped_total counter\n"
               "spider_snapshot_skipped_total %llu\n",
               (unsigned long long)sf->skipped_busy);
    buf_printf(out,
               "# HELP spider_snapshot_last_success_timestamp_seconds Unix time of the last "
               "snapshot written (0: none yet).\n# TYPE "
               "spider_snapshot_last_success_timestamp_seconds gauge\n"
               "spider_snapshot_last_success_timestamp_seconds %.3f\n",
               (double)sf->last_ok_wall_ms / 1000.0);
    buf_printf(out,
               "# HELP spider_snapshot_last_errno The errno of the last failed snapshot write "
               "(0: the last one succeeded).\n# TYPE spider_snapshot_last_errno gauge\n"
               "spider_snapshot_last_errno %d\n",
               sf->last_errno);
    buf_printf(out,
               "# HELP spider_snapshot_fork_seconds How long the event loop paused for the last "
               "snapshot fork.\n# TYPE spider_snapshot_fork_seconds gauge\n"
               "spider_snapshot_fork_seconds %.6f\n",
               (double)sf->last_fork_us / 1e6);
    buf_printf(out,
               "# HELP spider_snapshot_longest_turn_seconds The longest turn the incremental "
               "snapshot writer took on the event loop.\n# TYPE "
               "spider_snapshot_longest_turn_seconds gauge\n"
               "spider_snapshot_longest_turn_seconds %.6f\n",
               (double)sf->longest_slice_us / 1e6);
    buf_printf(out,
               "# HELP spider_snapshot_duration_seconds How long the last snapshot took to "
               "write (start to the file renamed in place).\n# TYPE "
               "spider_snapshot_duration_seconds gauge\n"
               "spider_snapshot_duration_seconds %.3f\n",
               (double)sf->last_duration_ms / 1000.0);
    buf_printf(out,
               "# HELP spider_snapshot_bytes Size of the last snapshot written.\n# TYPE "
               "spider_snapshot_bytes gauge\nspider_snapshot_bytes %llu\n",
               (unsigned long long)sf->last_bytes);
    buf_printf(out,
               "# HELP spider_snapshot_restored What the start restored from the data "
               "directory.\n# TYPE spider_snapshot_restored gauge\n"
               "spider_snapshot_restored{what=\"series\"} %llu\n"
               "spider_snapshot_restored{what=\"seconds\"} %llu\n"
               "spider_snapshot_restored{what=\"samples\"} %llu\n"
               "spider_snapshot_restored{what=\"seconds_outside_window\"} %llu\n"
               "spider_snapshot_restored{what=\"seconds_refused\"} %llu\n"
               "spider_snapshot_restored{what=\"series_refused\"} %llu\n"
               "spider_snapshot_restored{what=\"file_rejected\"} %d\n",
               (unsigned long long)r->series, (unsigned long long)r->seconds,
               (unsigned long long)r->samples, (unsigned long long)r->seconds_outside,
               (unsigned long long)r->seconds_refused, (unsigned long long)r->series_refused,
               sf->restore_error[0] != '\0');
}

void snapfile_render_health(const snapfile_t *sf, buf_t *out)
{
    const snapshot_result_t *r = &sf->restored;
    if (!sf->dir[0]) {
        buf_append_cstr(out, ",\"snapshot\":null");
        return;
    }
    buf_append_cstr(out, ",\"snapshot\":{\"data_dir\":");
    buf_json_string(out, sf->dir, strlen(sf->dir));
    buf_printf(out,
               ",\"restored\":{\"file\":%s,\"written_ms\":%lld,\"series\":%llu,\"seconds\":%llu,"
               "\"samples\":%llu,\"seconds_outside_window\":%llu,\"seconds_refused\":%llu,"
               "\"series_refused\":%llu,\"error\":",
               sf->restored_file ? "true" : "false", (long long)r->written_ms,
               (unsigned long long)r->series, (unsigned long long)r->seconds,
               (unsigned long long)r->samples, (unsigned long long)r->seconds_outside,
               (unsigned long long)r->seconds_refused, (unsigned long long)r->series_refused);
    if (sf->restore_error[0])
        buf_json_string(out, sf->restore_error, strlen(sf->restore_error));
    else
        buf_append_cstr(out, "null");
    buf_printf(out, "},\"writes_ok\":%llu,\"writes_failed\":%llu,\"last_success_ms\":%lld}",
               (unsigned long long)sf->writes_ok, (unsigned long long)sf->writes_failed,
               (long long)sf->last_ok_wall_ms);
}
