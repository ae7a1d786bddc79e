/* subs.c - a client's subscription (see subs.h). */
#include "subs.h"

#include <stdlib.h>
#include <string.h>

#include "../core/xmalloc.h"

void subs_init(subs_t *s)
{
    memset(s, 0, sizeof *s);
}

void subs_dispose(subs_t *s)
{
    free(s->names);
    subs_init(s);
}

int subs_name_cmp(slice_t a, slice_t b)
{
    size_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c)
        return c;
    return a.n < b.n ? -1 : a.n > b.n;
}

static int subs_qsort_cmp(const void *a, const void *b)
{
    return subs_name_cmp(*(const slice_t *)a, *(const slice_t *)b);
}

void subs_set(subs_t *s, const control_msg_t *m)
{
    subs_dispose(s);
    s->all = m->all;
    if (m->all || m->count == 0)
        return;
    /* One block: the slices, then the name bytes they point to. */
    size_t text = 0;
    for (unsigned i = 0; i < m->count; i++)
        text += control_msg_name(m, i).n;
    s->names = xmalloc(m->count * sizeof *s->names + text);
    char *p = (char *)(s->names + m->count);
    for (unsigned i = 0; i < m->count; i++) {
        slice_t name = control_msg_name(m, i);
        memcpy(p, name.p, name.n);
        s->names[i] = (slice_t){p, name.n};
        p += name.n;
    }
    s->count = m->count;
    /* control_parse already removed duplicates. */
    qsort(s->names, s->count, sizeof *s->names, subs_qsort_cmp);
}

int subs_any(const subs_t *s)
{
    return s->all || s->count > 0;
}

size_t subs_bytes(const subs_t *s)
{
    size_t n = s->count * sizeof *s->names;
    for (unsigned i = 0; i < s->count; i++)
        n += s->names[i].n;
    return n;
}

unsigned subs_lower_bound(const subs_t *s, slice_t key)
{
    unsigned lo = 0, hi = s->count;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (subs_name_cmp(s->names[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
