/* probe.c - probe series and their latency (see probe.h). */
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xmalloc.h"

typedef struct pending {
    uint64_t id; /* 0 = free */
    int64_t sent_us;
    int64_t last_seen_us; /* when the latest dashboard saw it */
    uint32_t expected, seen;
} pending_t;

struct probe {
    char prefix[PROBE_PREFIX_MAX]; /* ["spider-load.probe.<pid>. */
    size_t prefix_len;
    uint64_t last_id; /* highest id built */
    int64_t timeout_us;
    pending_t ring[PROBE_RING];
    probe_figures_t fig;
};

probe_t *probe_new(int64_t timeout_us)
{
    probe_t *p = xcalloc(1, sizeof *p);
    /* The match includes the row's opening '[' and quote: a name only
     * counts where the summary lists it as a row. */
    int n = snprintf(p->prefix, sizeof p->prefix, "[\"spider-load.probe.%d.", (int)getpid());
    p->prefix_len = (size_t)n;
    p->timeout_us = timeout_us;
    stats_hist_init(&p->fig.all);
    stats_hist_init(&p->fig.each);
    return p;
}

void probe_free(probe_t *p)
{
    free(p);
}

uint64_t probe_build(probe_t *p, buf_t *b)
{
    uint64_t id = ++p->last_id;
    /* prefix + 1 skips the '[' that belongs to the summary row. */
    buf_printf(b, "{%.*s%llu\":[1]}", (int)p->prefix_len - 1, p->prefix + 1,
               (unsigned long long)id);
    return id;
}

static pending_t *probe_pending(probe_t *p, uint64_t id)
{
    pending_t *e = &p->ring[id % PROBE_RING];
    return e->id == id ? e : NULL;
}

/* Every dashboard it waited for has seen it, the last one at at_us. */
static void probe_complete(probe_t *p, pending_t *e, int64_t at_us)
{
    int64_t lat = at_us - e->sent_us;
    stats_hist_record(&p->fig.all, lat);
    p->fig.last_us = lat;
    p->fig.completed++;
    e->id = 0;
}

void probe_sent(probe_t *p, uint64_t id, int64_t sent_us, uint32_t live_open)
{
    pending_t *e = &p->ring[id % PROBE_RING];
    if (e->id) { /* a probe PROBE_RING intervals old: long lost */
        p->fig.lost++;
        e->id = 0;
    }
    p->fig.sent++;
    if (live_open == 0)
        return; /* nobody to wait for */
    e->id = id;
    e->sent_us = sent_us;
    e->expected = live_open;
    e->seen = 0;
}

void probe_post_failed(probe_t *p, uint64_t id)
{
    p->fig.post_failed++;
    pending_t *e = probe_pending(p, id);
    if (e)
        e->id = 0;
}

void probe_skipped(probe_t *p)
{
    p->fig.skipped_busy++;
}

void probe_expire(probe_t *p, int64_t now_us)
{
    for (int i = 0; i < PROBE_RING; i++) {
        pending_t *e = &p->ring[i];
        if (e->id && now_us - e->sent_us > p->timeout_us) {
            p->fig.lost++;
            e->id = 0;
        }
    }
}

void probe_scan_init(const probe_t *p, probe_scan_t *s)
{
    memset(s, 0, sizeof *s);
    s->seen_max = p->last_id;
}

void probe_scan_begin(probe_scan_t *s)
{
    s->msg_max = 0;
    s->carry_len = 0;
}

/* Finds every complete match (prefix, digits, quote) in (d, n) and keeps
 * the highest id. Matches found twice (carry + chunk) do no harm: only the
 * maximum is kept. */
static void probe_scan_block(const probe_t *p, probe_scan_t *s, const char *d, size_t n)
{
    const char *end = d + n;
    const char *at = d;
    while ((size_t)(end - at) >= p->prefix_len) {
        const char *hit = memmem(at, (size_t)(end - at), p->prefix, p->prefix_len);
        if (!hit)
            return;
        const char *q = hit + p->prefix_len;
        uint64_t id = 0;
        int digits = 0;
        while (q < end && *q >= '0' && *q <= '9' && digits < 19) {
            id = id * 10 + (uint64_t)(*q - '0');
            q++;
            digits++;
        }
        if (digits > 0 && q < end && *q == '"' && id > s->msg_max)
            s->msg_max = id;
        at = hit + 1;
    }
}

void probe_scan_feed(const probe_t *p, probe_scan_t *s, const char *data, size_t n)
{
    if (n == 0)
        return;
    const size_t keep = PROBE_MATCH_MAX - 1;
    /* A match split across chunks lies within the carried tail plus the
     * first keep bytes of this chunk. */
    if (s->carry_len) {
        char joint[2 * PROBE_MATCH_MAX];
        size_t take = n < keep ? n : keep;
        memcpy(joint, s->carry, s->carry_len);
        memcpy(joint + s->carry_len, data, take);
        probe_scan_block(p, s, joint, s->carry_len + take);
    }
    probe_scan_block(p, s, data, n);
    /* Carry the last keep bytes of everything seen so far. */
    if (n >= keep) {
        memcpy(s->carry, data + n - keep, keep);
        s->carry_len = keep;
    } else {
        size_t old = s->carry_len + n > keep ? keep - n : s->carry_len;
        memmove(s->carry, s->carry + s->carry_len - old, old);
        memcpy(s->carry + old, data, n);
        s->carry_len = old + n;
    }
}

void probe_scan_commit(probe_t *p, probe_scan_t *s, int64_t now_us)
{
    /* An id above what was posted is the server's error (or a name from
     * elsewhere): ignore it rather than trust it. */
    uint64_t top = s->msg_max > p->last_id ? p->last_id : s->msg_max;
    uint64_t from = s->seen_max + 1;
    if (top >= PROBE_RING && from < top - PROBE_RING + 1)
        from = top - PROBE_RING + 1;
    for (uint64_t id = from; id <= top; id++) {
        pending_t *e = probe_pending(p, id);
        if (!e)
            continue;
        stats_hist_record(&p->fig.each, now_us - e->sent_us);
        e->last_seen_us = now_us;
        if (++e->seen >= e->expected)
            probe_complete(p, e, now_us);
    }
    if (top > s->seen_max)
        s->seen_max = top;
    probe_scan_begin(s);
}

void probe_scan_gone(probe_t *p, probe_scan_t *s)
{
    /* Every pending probe above seen_max was sent while this dashboard was
     * open (init set seen_max to the last id), so it counted in expected. */
    for (int i = 0; i < PROBE_RING; i++) {
        pending_t *e = &p->ring[i];
        if (e->id && e->id > s->seen_max) {
            if (e->expected)
                e->expected--;
            /* The others have all seen it: complete when the last did. */
            if (e->seen >= e->expected) {
                if (e->seen)
                    probe_complete(p, e, e->last_seen_us);
                else
                    e->id = 0;
            }
        }
    }
    s->seen_max = UINT64_MAX;
}

const probe_figures_t *probe_figures(const probe_t *p)
{
    return &p->fig;
}
