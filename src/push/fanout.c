/* fanout.c - per-client detail pieces, shared per tick (see fanout.h). */
#include "fanout.h"

#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"
#include "../core/xmalloc.h"
#include "detail.h"

/* A piece of this tick: the key, and the encoded message (NULL when the
 * series had nothing new) with where it stopped. */
struct fanout_piece {
    const series_t *series; /* NULL: free entry */
    uint32_t since_epoch;
    int reset;
    int64_t from_ms;
    frame_t *frame;
    int64_t next_ms; /* INT64_MAX: complete */
};

#define FANOUT_TABLE_MIN 64

void fanout_init(fanout_t *f, size_t max_update, uint64_t push_buffer, uint64_t *live_bytes,
                 size_t headroom)
{
    memset(f, 0, sizeof *f);
    f->max_update = max_update;
    f->push_buffer = push_buffer;
    f->live_bytes = live_bytes;
    f->headroom = headroom;
}

void fanout_dispose(fanout_t *f)
{
    fanout_end(f);
    free(f->table);
    f->table = NULL;
    f->cap = 0;
}

void fanout_begin(fanout_t *f, store_t *store)
{
    f->store = store;
    f->epoch = store_close_epoch(store);
}

void fanout_end(fanout_t *f)
{
    for (size_t i = 0; i < f->cap && f->used; i++) {
        if (f->table[i].series) {
            frame_unref(f->table[i].frame);
            f->used--;
        }
    }
    /* A tick with many lagging clients may have grown the table; give the
     * memory back rather than keep the peak forever. */
    if (f->cap > FANOUT_TABLE_MIN * 16) {
        free(f->table);
        f->table = NULL;
        f->cap = 0;
    } else if (f->table) {
        memset(f->table, 0, f->cap * sizeof *f->table);
    }
    f->used = 0;
    free(f->sorted);
    f->sorted = NULL;
    f->nsorted = 0;
    f->store = NULL;
}

void fanout_cursor_reset(fanout_cursor_t *cur, int64_t now_ms, int window_s)
{
    memset(cur, 0, sizeof *cur);
    if (window_s < 0)
        window_s = FANOUT_WINDOW_DEFAULT_S;
    /* Whole seconds: clients that subscribe to the same range within one
     * second share their snapshot pieces. */
    cur->from_ms = (now_ms - now_ms % 1000) - (int64_t)window_s * 1000;
    cur->resume_ms = INT64_MIN;
}

static uint64_t fanout_hash(const series_t *se, uint32_t since, int reset, int64_t from)
{
    uint64_t h = (uint64_t)(uintptr_t)se * 0x9E3779B97F4A7C15ull;
    h ^= ((uint64_t)since << 1 | (uint64_t)(reset != 0)) * 0xC2B2AE3D27D4EB4Full;
    h ^= (uint64_t)from * 0x165667B19E3779F9ull;
    return h ^ (h >> 29);
}

static fanout_piece_t *fanout_slot(fanout_piece_t *table, size_t cap, const series_t *se,
                                   uint32_t since, int reset, int64_t from)
{
    size_t i = (size_t)fanout_hash(se, since, reset, from) & (cap - 1);
    for (;; i = (i + 1) & (cap - 1)) {
        fanout_piece_t *p = &table[i];
        if (!p->series ||
            (p->series == se && p->since_epoch == since && p->reset == reset && p->from_ms == from))
            return p;
    }
}

static void fanout_grow(fanout_t *f)
{
    size_t cap = f->cap ? f->cap * 2 : FANOUT_TABLE_MIN;
    fanout_piece_t *table = xcalloc(cap, sizeof *table);
    for (size_t i = 0; i < f->cap; i++) {
        fanout_piece_t *p = &f->table[i];
        if (p->series)
            *fanout_slot(table, cap, p->series, p->since_epoch, p->reset, p->from_ms) = *p;
    }
    free(f->table);
    f->table = table;
    f->cap = cap;
}

/* The piece for this key, encoded on first use this tick; NULL when a new
 * piece is needed but --push-buffer is full. */
static const fanout_piece_t *fanout_piece(fanout_t *f, const series_t *se, uint32_t since,
                                          int reset, int64_t from)
{
    if ((f->used + 1) * 2 > f->cap)
        fanout_grow(f);
    fanout_piece_t *p = fanout_slot(f->table, f->cap, se, since, reset, from);
    if (p->series)
        return p;
    if (*f->live_bytes >= f->push_buffer)
        return NULL;
    detail_req_t req = {.series = se,
                        .from_ms = from,
                        .since_epoch = since,
                        .reset = reset,
                        .max_bytes = f->max_update};
    buf_t b;
    buf_init(&b);
    int64_t next = detail_encode(&req, &b);
    *p = (fanout_piece_t){.series = se,
                          .since_epoch = since,
                          .reset = reset,
                          .from_ms = from,
                          .frame = NULL,
                          .next_ms = next};
    if (b.len) {
        p->frame = frame_new_counted(b.p, b.len, f->headroom, f->live_bytes);
        f->pieces_encoded++;
    }
    buf_dispose(&b);
    f->used++;
    return p;
}

/* The subscribed series in name order, from the first named >= key. */
typedef struct fanout_iter {
    fanout_t *f;
    const subs_t *subs;
    size_t i;
} fanout_iter_t;

static void fanout_iter_start(fanout_iter_t *it, fanout_t *f, const subs_t *subs, slice_t key)
{
    it->f = f;
    it->subs = subs;
    if (subs->all) {
        if (!f->sorted)
            f->sorted = store_sorted(f->store, &f->nsorted);
        size_t lo = 0, hi = f->nsorted;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (subs_name_cmp(series_name(f->sorted[mid]), key) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        it->i = lo;
    } else {
        it->i = subs_lower_bound(subs, key);
    }
}

/* The next subscribed series that exists, or NULL at the end. */
static const series_t *fanout_iter_next(fanout_iter_t *it)
{
    if (it->subs->all)
        return it->i < it->f->nsorted ? it->f->sorted[it->i++] : NULL;
    while (it->i < it->subs->count) {
        const series_t *se = store_find(it->f->store, it->subs->names[it->i++]);
        if (se)
            return se;
    }
    return NULL;
}

/* The pass stops before series `name` (fresh) or inside it at resume_ms. */
static void fanout_stop(fanout_cursor_t *cur, slice_t name, int64_t resume_ms)
{
    memcpy(cur->resume, name.p, name.n);
    cur->resume_len = (uint8_t)name.n;
    cur->resume_ms = resume_ms;
}

size_t fanout_client(fanout_t *f, const subs_t *subs, fanout_cursor_t *cur, frame_t **out,
                     size_t max)
{
    if (!subs_any(subs) || max == 0)
        return 0;
    if (!cur->walking) {
        cur->walking = 1;
        cur->walk_epoch = f->epoch;
        cur->resume_len = 0;
        cur->resume_ms = INT64_MIN;
    }
    slice_t resume = {cur->resume, cur->resume_len};
    fanout_iter_t it;
    fanout_iter_start(&it, f, subs, resume);
    size_t n = 0, bytes = 0;
    const series_t *se;
    while ((se = fanout_iter_next(&it))) {
        slice_t name = series_name(se);
        int partial = cur->resume_ms != INT64_MIN && subs_name_cmp(name, resume) == 0;
        int reset = !partial && cur->epoch == 0;
        int64_t from = partial ? cur->resume_ms : cur->epoch == 0 ? cur->from_ms : INT64_MIN;
        /* A series with nothing new costs nothing: no lookup, no piece. */
        if (!reset && series_epoch(se) <= cur->epoch)
            continue;
        if (n == max || bytes >= f->max_update) {
            fanout_stop(cur, name, partial ? from : INT64_MIN);
            return n;
        }
        const fanout_piece_t *p = fanout_piece(f, se, cur->epoch, reset, from);
        if (!p) {
            f->deferred++;
            fanout_stop(cur, name, partial ? from : INT64_MIN);
            return n;
        }
        if (p->frame) {
            out[n++] = frame_ref(p->frame);
            bytes += frame_len(p->frame);
        }
        if (p->next_ms != INT64_MAX) {
            fanout_stop(cur, name, p->next_ms);
            return n;
        }
    }
    cur->epoch = cur->walk_epoch;
    cur->walking = 0;
    return n;
}
