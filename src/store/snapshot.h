/* snapshot.h - the store as bytes and back: what a data directory keeps.
 *
 * Pure codec (libc and zlib's crc32, no I/O): snapshot_encode() hands the
 * bytes of a store to an emit callback, section by section, and
 * snapshot_decode() rebuilds a store from (pointer, length). The file
 * layout, all integers little-endian, doubles and floats as their IEEE
 * bits (docs/operations.md, "Data directory and snapshots"):
 *
 *   header   "SPIDSNAP" | u32 version | u32 header bytes | i64 written ms
 *            | u32 window s | u32 n_le | f64 le[n_le] | u32 crc32 of the above
 *   section  u32 type | u32 payload bytes | payload | u32 crc32 of type, length, payload
 *            type 1: one series; type 2: the end (series, seconds, samples written)
 *
 *   series   u16 key bytes | key | i64 newest timestamp ever | u64 total count
 *            | f64 total sum | u64 le count[n_le + 1] | u32 seconds | second...
 *   second   u32 unix second | varint count | f64 sum, min, max
 *            | varint buckets | (varint gap, varint count)... | varint raw points
 *            | (u16 ms offset, f32 ms)...
 *
 * Nothing read is trusted. Every section's CRC is checked before its bytes
 * are read; every value is checked against what a store can hold (a key
 * ingest would refuse, seconds out of order, a histogram that does not add
 * up to its count or whose first and last buckets are not those of min and
 * max, raw points that are not finite or whose first is not the largest,
 * ...), and a series is applied only once all of it validated. Decoding
 * stops at the first bad section: the store then holds the series before
 * it. The totals (series_totals_t) are restored only when the file's le
 * bounds are the store's; otherwise they start from 0, as after a restart
 * without a snapshot (Prometheus reads it as a counter reset).
 *
 * Single-threaded like the store.
 */
#ifndef SPIDER_STORE_SNAPSHOT_H
#define SPIDER_STORE_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "store.h"

#define SNAPSHOT_VERSION 1u
#define SNAPSHOT_MAGIC   "SPIDSNAP" /* 8 bytes, no NUL in the file */

/* Receives the next n bytes of the snapshot; returns 0, or non-zero to
 * stop the encoding (snapshot_encode returns that value). */
typedef int (*snapshot_emit_fn)(void *ctx, const void *p, size_t n);

/* What snapshot_encode() wrote. */
typedef struct snapshot_written {
    uint64_t series, seconds, samples, bytes;
} snapshot_written_t;

/* Encodes every non-empty series of s, stamped with now_ms, through emit.
 * Memory: one buffer of the largest series' section (at most about its
 * store bytes), reused. Returns 0, or what emit returned. out may be NULL.
 * O(store). Reads only (store_foreach needs the non-const handle). */
int snapshot_encode(store_t *s, int64_t now_ms, snapshot_emit_fn emit, void *ctx,
                    snapshot_written_t *out);

/* Piecewise encoding, for a writer that spreads one snapshot over many
 * turns of the loop: the header, then series one at a time (each whole as
 * it is at the moment it is encoded; an empty one writes nothing), then the
 * end. Each appends to b and counts into *w (zeroed first by the caller).
 * snapshot_encode() is these three over every series at once.
 * snapshot_encode_series() is O(the series' seconds and buckets). */
void snapshot_encode_header(const store_t *s, int64_t now_ms, buf_t *b, snapshot_written_t *w);
void snapshot_encode_series(const store_t *s, const series_t *se, buf_t *b, snapshot_written_t *w);
void snapshot_encode_end(buf_t *b, snapshot_written_t *w);

/* What snapshot_decode() found and restored. */
typedef struct snapshot_result {
    int64_t written_ms;       /* the header's timestamp (0 if the header is bad) */
    uint64_t series;          /* series restored */
    uint64_t seconds;         /* seconds restored */
    uint64_t samples;         /* samples in the seconds restored */
    uint64_t seconds_outside; /* seconds skipped: no longer (or not yet) in the window */
    uint64_t seconds_refused; /* seconds the memory budget refused */
    uint64_t series_refused;  /* series over --max-series or the budget */
    int totals;               /* 1: the totals were restored (same le bounds) */
    size_t error_offset;      /* where the first bad byte or section starts */
    char error[160];          /* "" when the whole file validated; else why not */
} snapshot_result_t;

/* Restores the snapshot (p, n) into s, which must be empty, at now_ms (the
 * store's clock is moved to it first): only the seconds inside the window
 * at now_ms, through --max-series and the memory budget. Returns 0 when
 * the whole file validated (refusals by limit or budget are counted, not
 * errors), SPIDER_EINVAL when it did not: r->error says why and where, and
 * the store holds the series that came before the bad part. Never trusts,
 * never crashes, never reads outside (p, n). O(n). */
int snapshot_decode(store_t *s, const uint8_t *p, size_t n, int64_t now_ms, snapshot_result_t *r);

#endif
