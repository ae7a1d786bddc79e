/* harena.c - sealed histograms in chunks (see harena.h). */
#include "harena.h"

#include <stdlib.h>

#include "../core/xmalloc.h"

struct harena_chunk {
    harena_chunk_t *next; /* the next newer chunk; the oldest from the tail */
    uint32_t cap, used;   /* payload bytes */
    uint32_t first_sec;   /* the second of the first histogram taken, for sizing */
    uint32_t max_sec;     /* the newest second of any histogram taken */
    uint8_t data[];
};

size_t harena_chunk_bytes(uint32_t cap)
{
    return sizeof(harena_chunk_t) + cap;
}

uint32_t harena_next_cap(const harena_t *a, size_t n)
{
    uint32_t cap = HARENA_CHUNK_MIN;
    const harena_chunk_t *t = a->tail;
    if (t) {
        /* How long the newest chunk took to fill: its seconds' span. */
        uint32_t span = t->max_sec - t->first_sec;
        cap = span < 60 ? t->cap * 2 : span < 600 ? t->cap : t->cap / 2;
        if (cap > HARENA_CHUNK_MAX)
            cap = HARENA_CHUNK_MAX;
        if (cap < HARENA_CHUNK_MIN)
            cap = HARENA_CHUNK_MIN;
    }
    return n > cap ? (uint32_t)n : cap;
}

int harena_fits(const harena_t *a, size_t n)
{
    return a->tail && a->tail->cap - a->tail->used >= n;
}

void harena_grow(harena_t *a, uint32_t cap)
{
    harena_chunk_t *c = xmalloc(harena_chunk_bytes(cap));
    c->cap = cap;
    c->used = 0;
    c->first_sec = c->max_sec = 0;
    if (a->tail) {
        c->next = a->tail->next; /* the oldest */
        a->tail->next = c;
    } else {
        c->next = c;
    }
    a->tail = c;
}

uint8_t *harena_take(harena_t *a, size_t n, uint32_t sec)
{
    harena_chunk_t *t = a->tail;
    uint8_t *p = t->data + t->used;
    if (t->used == 0)
        t->first_sec = t->max_sec = sec;
    else if (sec > t->max_sec)
        t->max_sec = sec;
    t->used += (uint32_t)n;
    return p;
}

size_t harena_expire(harena_t *a, uint32_t first_sec)
{
    size_t freed = 0;
    /* From the oldest, while every second in it is gone. An empty chunk
     * (just grown, nothing taken yet) is the newest and stays. */
    while (a->tail) {
        harena_chunk_t *oldest = a->tail->next;
        if (oldest->used == 0 || oldest->max_sec >= first_sec)
            break;
        freed += harena_chunk_bytes(oldest->cap);
        if (oldest == a->tail) {
            a->tail = NULL;
        } else {
            a->tail->next = oldest->next;
        }
        free(oldest);
    }
    return freed;
}

size_t harena_free(harena_t *a)
{
    size_t freed = 0;
    while (a->tail) {
        harena_chunk_t *oldest = a->tail->next;
        freed += harena_chunk_bytes(oldest->cap);
        if (oldest == a->tail)
            a->tail = NULL;
        else
            a->tail->next = oldest->next;
        free(oldest);
    }
    return freed;
}

size_t harena_bytes(const harena_t *a)
{
    size_t n = 0;
    if (!a->tail)
        return 0;
    const harena_chunk_t *c = a->tail;
    do {
        c = c->next;
        n += harena_chunk_bytes(c->cap);
    } while (c != a->tail);
    return n;
}
