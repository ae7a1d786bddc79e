/* snapfile.h - the data directory: snapshot files written and restored.
 *
 * The I/O around store/snapshot.c. A snapshot is written to
 * DIR/spider.snap.tmp, fsync'ed, renamed over DIR/spider.snap, and the
 * directory fsync'ed, so DIR/spider.snap is always a whole snapshot (the
 * old one or the new one), also after a crash or a power cut.
 *
 * Interval writes do not stall the loop. The default writer
 * (--snapshot-writer loop) is incremental: snapfile_tick() opens the
 * temporary file and takes the list of keys; snapfile_slice() then
 * encodes a few series per turn of the loop, each whole as it is at that
 * moment (a series created later waits for the next snapshot, one removed
 * meanwhile is left out), and writes them; a thread does the fsyncs and
 * the rename, which wait for the disk. Memory: the keys (at most
 * --max-series x 200 bytes) and a 1 MiB buffer plus one series' section.
 *
 * The other writer (--snapshot-writer fork): snapfile_tick() forks a child
 * (copy-on-write, as Redis' BGSAVE) that encodes the store as it was at
 * the fork, writes the file and _exits, never touching a socket; the
 * parent only pays for the fork (page tables: measured in
 * docs/benchmarks.md) and reaps the child with waitpid(WNOHANG) on its
 * tick. At most one child at a time: an interval that finds one still
 * writing is skipped (counted). At the stop, snapfile_stop() ends a child
 * still writing (its snapshot would be older) and writes once more,
 * synchronously, after the loop has stopped.
 *
 * Memory while writing (docs/operations.md): the child's pages are shared
 * with the parent until either writes one; the child writes only its
 * 64 KiB file buffer and one series' section (at most that series' store
 * bytes), the parent copies each page it changes (the seconds being
 * recorded, at most the store's RSS in the worst case, a few MiB for a
 * loop that records into the newest seconds).
 *
 * A file that does not validate is moved aside to
 * DIR/spider.snap.bad-UNIXSECONDS, with a log line saying why; the store
 * starts with what validated before the damage.
 *
 * Service thread only (the child runs nothing but the write).
 */
#ifndef SPIDER_NET_SNAPFILE_H
#define SPIDER_NET_SNAPFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../core/buf.h"
#include "../store/snapshot.h"
#include "../store/store.h"

#define SNAPFILE_NAME "spider.snap"

/* How interval snapshots are written (--snapshot-writer). */
typedef enum snapfile_mode {
    SNAPFILE_LOOP, /* incremental, on the loop: a few series per turn */
    SNAPFILE_FORK, /* a copy-on-write child */
} snapfile_mode_t;

/* The loop writer's turn: at most this long (plus one series) every
 * SNAPFILE_SLICE_MS; the rest of the loop keeps the other 80%. */
#define SNAPFILE_SLICE_US 2000
#define SNAPFILE_SLICE_MS 10

typedef struct snapfile {
    char dir[1024]; /* "" = no data directory: nothing is written or read */
    snapfile_mode_t mode;
    int64_t interval_ms; /* --snapshot-interval */
    int64_t next_mono_ms;
    pid_t child; /* 0 = none */
    int64_t child_started_mono_ms;
    /* Counters for /metrics. */
    uint64_t writes_ok, writes_failed, skipped_busy;
    int last_errno;           /* of the last failed write, 0 after a success */
    int64_t last_ok_wall_ms;  /* 0 = never */
    int64_t last_fork_us;     /* the loop's pause for the last fork */
    int64_t last_duration_ms; /* fork to reap (or the synchronous write) */
    uint64_t last_bytes;      /* size of the last snapshot written */
    uint64_t load_max;        /* largest file read at start, bytes */
    /* The loop writer (SNAPFILE_LOOP) while it runs. */
    int fd;                     /* the temporary file, -1 when no write is under way */
    buf_t names;                /* the keys to write, NUL-separated, taken at the start */
    size_t next_name;           /* offset of the next key in names */
    buf_t out;                  /* encoded bytes not yet written (up to 1 MiB + a series) */
    snapshot_written_t w;       /* counts of the write under way */
    int64_t started_mono_ms;    /* when it began */
    int64_t longest_slice_us;   /* the longest turn the loop writer took, ever */
    struct snapfile_sync *sync; /* the fsync-and-rename thread, NULL when none */
    /* What the start restored (/healthz, /metrics). */
    int restored_file; /* 1: a snapshot file was found and read */
    snapshot_result_t restored;
    char restore_error[256]; /* "" = none; else why the file was moved aside or not read */
} snapfile_t;

/* Snapshots fork, and fork copies the page tables: one entry per 4 KiB
 * page of the heap, 72 ms at a 2.7 GiB store on the test machine; with
 * the heap on transparent huge pages, one per 2 MiB (docs/benchmarks.md).
 * glibc puts its heap on them (madvise) only when GLIBC_TUNABLES says
 * glibc.malloc.hugetlb=1 at start, so this re-executes the program once
 * with it added, unless the variable already names that tunable (a user's
 * choice, =0 included, is kept). Returns only if nothing was done or the
 * exec failed. Call first thing in main, before any thread or socket. */
void snapfile_hugepages_reexec(char **argv);

/* Sets up sf for dir ("" = none), writing every interval_ms; files over
 * load_max bytes are not read at start (moved aside). */
void snapfile_init(snapfile_t *sf, const char *dir, snapfile_mode_t mode, int64_t interval_ms,
                   uint64_t load_max);

/* The loop writer's turn, every SNAPFILE_SLICE_MS: encodes series for at
 * most SNAPFILE_SLICE_US (plus the one series under way), writes what is
 * ready, and at the end hands fsync, rename and the directory's fsync to a
 * thread (they wait for the disk), whose end snapfile_tick() collects. */
void snapfile_slice(snapfile_t *sf, store_t *s);

/* At start, before serving: creates dir if missing, reads DIR/spider.snap
 * into the (empty) store at now_wall_ms, moves a bad file aside, logs one
 * line of what was restored or why not. Never fails the start. */
void snapfile_restore(snapfile_t *sf, store_t *s, int64_t now_wall_ms);

/* On the loop's tick: reaps a finished child (counting and logging a
 * failure), and forks the next write when the interval is due. */
void snapfile_tick(snapfile_t *sf, store_t *s, int64_t now_mono_ms, int64_t now_wall_ms);

/* After the loop stopped: ends a running child, then writes synchronously. */
void snapfile_stop(snapfile_t *sf, store_t *s, int64_t now_wall_ms);

/* Writes a snapshot of s now, synchronously. Returns 0 or an errno value;
 * *step names what failed ("open", "write", "fsync", "rename", ...). */
int snapfile_write(const char *dir, store_t *s, int64_t now_wall_ms, const char **step,
                   snapshot_written_t *w);

/* Appends the spider_snapshot_* Prometheus lines. */
void snapfile_render_metrics(const snapfile_t *sf, buf_t *out);

/* Appends ,"snapshot":{...} for /healthz: the data directory and what the
 * start restored. */
void snapfile_render_health(const snapfile_t *sf, buf_t *out);

#endif
