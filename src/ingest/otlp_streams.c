/* otlp_streams.c - cumulative OTLP histograms turned into deltas (see otlp_streams.h).
 *
 * An open-addressing table (linear probing, capacity a power of two at
 * least twice max_streams, so probes stay short) of streams; removal shifts
 * the following entries back instead of leaving tombstones, so a table
 * that streams come and go through never fills with dead cells. */
#include "otlp_streams.h"

#include <stdlib.h>
#include <string.h>

#include "../core/xmalloc.h"

typedef struct stream {
    uint64_t id; /* 0: a free cell (an id of 0 is stored as 1) */
    uint64_t start_ns;
    uint64_t seen_ns; /* receive time of its last point */
    uint64_t count, zero_count;
    uint64_t bounds_hash; /* explicit: the bounds it was counted with */
    int64_t scale, offset;
    uint32_t n; /* counts held */
    uint32_t kind;
    uint64_t *counts;
} stream_t;

struct otlp_streams {
    stream_t *cells;
    size_t cap, mask, n, max, bytes;
    uint64_t started_ns;
};

static uint64_t otlp_mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3u; /* FNV-1a */
    return h;
}

uint64_t otlp_stream_id(slice_t key, slice_t instance, otlp_hist_kind_t kind)
{
    uint64_t h = 0xcbf29ce484222325u;
    h = otlp_mix(h, &key.n, sizeof key.n);
    h = otlp_mix(h, key.p, key.n);
    h = otlp_mix(h, &instance.n, sizeof instance.n);
    h = otlp_mix(h, instance.p, instance.n);
    h = otlp_mix(h, &kind, sizeof kind);
    h ^= h >> 29; /* FNV's low bits are weak: fold the high ones in */
    return h ? h : 1;
}

otlp_streams_t *otlp_streams_new(size_t max_streams, uint64_t started_ns)
{
    otlp_streams_t *s = xmalloc(sizeof *s);
    size_t cap = 16;
    while (cap < 2 * max_streams)
        cap *= 2;
    s->cells = xcalloc(cap, sizeof *s->cells);
    s->cap = cap;
    s->mask = cap - 1;
    s->n = 0;
    s->max = max_streams ? max_streams : 1;
    s->bytes = sizeof *s + cap * sizeof *s->cells;
    s->started_ns = started_ns;
    return s;
}

void otlp_streams_free(otlp_streams_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->cap; i++)
        free(s->cells[i].counts);
    free(s->cells);
    free(s);
}

size_t otlp_streams_count(const otlp_streams_t *s)
{
    return s->n;
}

size_t otlp_streams_bytes(const otlp_streams_t *s)
{
    return s->bytes;
}

static uint64_t otlp_bounds_hash(const otlp_hist_point_t *p)
{
    uint64_t h = otlp_mix(0xcbf29ce484222325u, &p->n_bounds, sizeof p->n_bounds);
    return otlp_mix(h, p->bounds, p->n_bounds * sizeof *p->bounds);
}

/* Keeps p's counts as the stream's baseline. */
static void stream_set(otlp_streams_t *s, stream_t *st, const otlp_hist_point_t *p, uint64_t now_ns)
{
    if (st->n != p->n_counts) {
        s->bytes -= st->n * sizeof *st->counts;
        st->counts = xrealloc(st->counts, (p->n_counts ? p->n_counts : 1) * sizeof *st->counts);
        st->n = (uint32_t)p->n_counts;
        s->bytes += st->n * sizeof *st->counts;
    }
    if (p->n_counts)
        memcpy(st->counts, p->counts, p->n_counts * sizeof *p->counts);
    st->start_ns = p->start_ns;
    st->seen_ns = now_ns;
    st->count = p->count;
    st->zero_count = p->zero_count;
    st->bounds_hash = p->kind == OTLP_HIST_EXPLICIT ? otlp_bounds_hash(p) : 0;
    st->scale = p->scale;
    st->offset = p->offset;
    st->kind = p->kind;
}

/* floor(a / 2^k) for k >= 0, also for negative a. */
static int64_t otlp_shift_down(int64_t a, int64_t k)
{
    if (k >= 63)
        return a < 0 ? -1 : 0;
    return a >= 0 ? a >> k : -((-(a + 1)) >> k) - 1;
}

/* d = p - baseline, in p's layout; 1 if comparable and no count went down,
 * 0 if not comparable (a new baseline), -1 if a count went down (a reset). */
static int stream_diff(const stream_t *st, const otlp_hist_point_t *p, uint64_t *scratch)
{
    if (p->count < st->count || p->zero_count < st->zero_count)
        return -1;
    if (p->kind == OTLP_HIST_EXPLICIT) {
        if (st->bounds_hash != otlp_bounds_hash(p) || st->n != p->n_counts)
            return 0;
        for (size_t i = 0; i < p->n_counts; i++) {
            if (p->counts[i] < st->counts[i])
                return -1;
            scratch[i] = p->counts[i] - st->counts[i];
        }
        return 1;
    }
    if (p->scale > st->scale)
        return 0; /* finer than the baseline: not comparable */
    memcpy(scratch, p->counts, p->n_counts * sizeof *p->counts);
    int64_t shift = st->scale - p->scale;
    for (uint32_t j = 0; j < st->n; j++) {
        if (!st->counts[j])
            continue;
        int64_t at = otlp_shift_down(st->offset + (int64_t)j, shift) - p->offset;
        if (at < 0 || at >= (int64_t)p->n_counts || scratch[at] < st->counts[j])
            return -1; /* the new point lacks counts the old one had */
        scratch[at] -= st->counts[j];
    }
    return 1;
}

static stream_t *stream_find(otlp_streams_t *s, uint64_t id)
{
    for (size_t i = id & s->mask;; i = (i + 1) & s->mask) {
        if (s->cells[i].id == id || s->cells[i].id == 0)
            return &s->cells[i];
    }
}

ingest_reject_t otlp_streams_delta(otlp_streams_t *s, uint64_t id, const otlp_hist_point_t *p,
                                   uint64_t now_ns, uint64_t *scratch, otlp_delta_t *d)
{
    stream_t *st = stream_find(s, id ? id : 1);
    otlp_delta_of_point(p, d); /* everything new, until shown otherwise */
    if (st->id == 0) {
        if (s->n >= s->max)
            return INGEST_REJECT_STREAM_LIMIT;
        st->id = id ? id : 1;
        s->n++;
        stream_set(s, st, p, now_ns);
        /* Began before Spider was watching: a baseline only. */
        if (p->start_ns < s->started_ns)
            d->count = 0;
        return INGEST_OK;
    }
    int diff = p->start_ns != st->start_ns ? -1 : stream_diff(st, p, scratch);
    if (diff == 0) {
        d->count = 0;
    } else if (diff > 0) {
        d->counts = scratch;
        d->zero_count = p->zero_count - st->zero_count;
        d->count = p->count - st->count;
        d->has_min = d->has_max = 0; /* they cover the whole run, not this interval */
    }
    /* diff < 0, a reset: d stays the whole point */
    stream_set(s, st, p, now_ns);
    return INGEST_OK;
}

/* Removes the cell at i, shifting back the cells of its probe run. */
static void stream_remove(otlp_streams_t *s, size_t i)
{
    free(s->cells[i].counts);
    s->bytes -= s->cells[i].n * sizeof(uint64_t);
    memset(&s->cells[i], 0, sizeof s->cells[i]);
    s->n--;
    for (size_t j = (i + 1) & s->mask; s->cells[j].id; j = (j + 1) & s->mask) {
        size_t home = s->cells[j].id & s->mask;
        /* j's entry may move to i if i lies on its probe path home..j */
        if (((j - home) & s->mask) >= ((j - i) & s->mask)) {
            s->cells[i] = s->cells[j];
            memset(&s->cells[j], 0, sizeof s->cells[j]);
            i = j;
        }
    }
}

void otlp_streams_expire(otlp_streams_t *s, uint64_t now_ns, uint64_t idle_ns)
{
    for (size_t i = 0; i < s->cap; i++) {
        /* A removal may shift a later cell into i: look at i again. */
        while (s->cells[i].id && now_ns - s->cells[i].seen_ns > idle_ns &&
               now_ns > s->cells[i].seen_ns)
            stream_remove(s, i);
    }
}
