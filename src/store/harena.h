/* harena.h - where a series keeps its sealed histograms: in chunks, in the
 * order they were sealed (internal to src/store).
 *
 * Why: a roll-up or a summary merges every second of a series in time
 * order. With one heap block per sealed second, each merge began with a
 * cache miss at an unrelated address, and a roll-up of 1,000 series x 30
 * minutes was bound by 1.8 M such misses. Seconds seal in time order, so
 * appended to chunks they lie one after the other, and a walk over them
 * reads memory the way the hardware prefetcher expects.
 *
 * Lifetime: bytes are never freed one by one. A chunk remembers the newest
 * second sealed into it and is freed as a whole once every second of the
 * series up to that one has left the window (seconds leave oldest first).
 * A second sealed again after a late sample (store/series.c unseals it)
 * leaves its old bytes behind until their chunk goes: at most a window's
 * worth, counted in the budget like the rest, since the budget counts whole
 * chunks (harena_chunk_bytes).
 *
 * Chunk sizes adapt to the series' rate: the next chunk doubles (up to
 * HARENA_CHUNK_MAX) while chunks fill within a minute, stays while they
 * fill within ten, and halves (down to HARENA_CHUNK_MIN) when slower, so a
 * quiet series holds at most ~10 minutes of sealed bytes or a small chunk
 * unused. A histogram larger than HARENA_CHUNK_MAX gets a chunk of its own.
 *
 * Single-threaded like the store.
 */
#ifndef SPIDER_STORE_HARENA_H
#define SPIDER_STORE_HARENA_H

#include <stddef.h>
#include <stdint.h>

#define HARENA_CHUNK_MIN 128
#define HARENA_CHUNK_MAX 4096

typedef struct harena_chunk harena_chunk_t;

/* A series' chunks: a ring list through the newest (tail->next is the
 * oldest). Zero is an empty arena. 8 bytes: it lives in every series. */
typedef struct harena {
    harena_chunk_t *tail;
} harena_t;

/* The bytes a chunk of cap payload bytes costs (what the budget counts). */
size_t harena_chunk_bytes(uint32_t cap);

/* The payload capacity the next chunk gets for an item of n bytes (a
 * chunk of its own for a large one). */
uint32_t harena_next_cap(const harena_t *a, size_t n);

/* 1 if n more bytes fit in the newest chunk. */
int harena_fits(const harena_t *a, size_t n);

/* Appends a new chunk of cap payload bytes; the caller has reserved
 * harena_chunk_bytes(cap). Aborts on OOM (xmalloc). */
void harena_grow(harena_t *a, uint32_t cap);

/* Takes n bytes of the newest chunk for a histogram of second sec
 * (harena_fits said so); they stay valid until harena_expire frees it. */
uint8_t *harena_take(harena_t *a, size_t n, uint32_t sec);

/* Frees the chunks whose newest second is below first_sec (every second
 * of the series before first_sec is gone); returns the bytes freed, as
 * harena_chunk_bytes counted them. O(chunks freed). */
size_t harena_expire(harena_t *a, uint32_t first_sec);

/* Frees every chunk; returns the bytes freed. */
size_t harena_free(harena_t *a);

/* The bytes the chunks hold in all (harena_chunk_bytes of each): tests. */
size_t harena_bytes(const harena_t *a);

#endif
