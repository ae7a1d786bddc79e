/* snapshot.c - encode a store to bytes, decode bytes into a store (see snapshot.h).
 *
 * The histogram of a second travels as (gap, count) varint pairs, not as
 * hist.c's sealed bytes: the decoder checks every bucket and count, then
 * has hist_seal() write the store's bytes itself, so no byte of a file
 * ever reaches the store unchecked, and the store may change its own
 * encoding without a new file version.
 *
 * A series is decoded twice: once to validate all of it (nothing applied),
 * then again to apply it. A series is therefore restored whole or not at
 * all, apart from seconds the budget refuses.
 */
#include "snapshot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../core/buf.h"
#include "../core/error.h"
#include "../core/serieskey.h"
#include "../core/xmalloc.h"
#include "../core/seriesname.h"
#include "hist.h"
#include "series.h"

#define SNAP_SECTION_SERIES 1u
#define SNAP_SECTION_END    2u
#define SNAP_HEADER_FIXED   32u /* magic .. n_le */
#define SNAP_SECTION_HEAD   8u  /* type, length */

/* ---- writing ------------------------------------------------------------ */

static void snap_put_u16(buf_t *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    buf_append(b, x, 2);
}

static void snap_put_u32(buf_t *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    buf_append(b, x, 4);
}

static void snap_put_u64(buf_t *b, uint64_t v)
{
    snap_put_u32(b, (uint32_t)v);
    snap_put_u32(b, (uint32_t)(v >> 32));
}

static void snap_put_f64(buf_t *b, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    snap_put_u64(b, v);
}

/* The same, through a pointer into room already reserved. */
static inline uint8_t *snap_w32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
    return p + 4;
}

static inline uint8_t *snap_wf64(uint8_t *p, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    p = snap_w32(p, (uint32_t)v);
    return snap_w32(p, (uint32_t)(v >> 32));
}

static inline uint8_t *snap_wvarint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Patches a u32 at offset at (written before as a placeholder). */
static void snap_set_u32(buf_t *b, size_t at, uint32_t v)
{
    uint8_t *p = (uint8_t *)b->p + at;
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t snap_crc(const void *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    const Bytef *q = p;
    /* zlib takes a uInt length: feed it in pieces below 4 GiB. */
    while (n > 0) {
        uInt k = n > 0x40000000u ? 0x40000000u : (uInt)n;
        c = crc32(c, q, k);
        q += k;
        n -= k;
    }
    return (uint32_t)c;
}

/* Starts a section at the end of b: its type and a length to patch.
 * Returns where it starts. */
static size_t snap_section_begin(buf_t *b, uint32_t type)
{
    size_t at = b->len;
    snap_put_u32(b, type);
    snap_put_u32(b, 0);
    return at;
}

/* Patches the length of the section at `at` and appends its CRC. */
static void snap_section_end(buf_t *b, size_t at, snapshot_written_t *w)
{
    snap_set_u32(b, at + 4, (uint32_t)(b->len - at - SNAP_SECTION_HEAD));
    snap_put_u32(b, snap_crc(b->p + at, b->len - at));
    w->bytes += b->len - at;
}

void snapshot_encode_header(const store_t *s, int64_t now_ms, buf_t *b, snapshot_written_t *w)
{
    const store_config_t *cfg = store_config(s);
    size_t at = b->len;

    buf_append(b, SNAPSHOT_MAGIC, 8);
    snap_put_u32(b, SNAPSHOT_VERSION);
    snap_put_u32(b, SNAP_HEADER_FIXED + cfg->n_le * 8u + 4u);
    snap_put_u64(b, (uint64_t)now_ms);
    snap_put_u32(b, cfg->window_s);
    snap_put_u32(b, cfg->n_le);
    for (uint32_t i = 0; i < cfg->n_le; i++)
        snap_put_f64(b, cfg->le_ms[i]);
    snap_put_u32(b, snap_crc(b->p + at, b->len - at));
    w->bytes += b->len - at;
}

void snapshot_encode_series(const store_t *s, const series_t *se, buf_t *b, snapshot_written_t *w)
{
    const store_config_t *cfg = store_config(s);
    uint32_t n = series_nseconds(se);
    slice_t name = series_name(se);
    series_totals_t t;
    size_t at;

    if (n == 0)
        return;
    series_get_totals(se, &t);
    at = snap_section_begin(b, SNAP_SECTION_SERIES);
    snap_put_u16(b, (uint16_t)name.n);
    buf_append(b, name.p, name.n);
    snap_put_u64(b, (uint64_t)series__last_seen(se));
    snap_put_u64(b, t.count);
    snap_put_f64(b, t.sum);
    for (uint32_t i = 0; i <= cfg->n_le; i++)
        snap_put_u64(b, t.le[i]);
    snap_put_u32(b, n);
    for (uint32_t i = 0; i < n; i++) {
        series__slot_view_t v;
        hist_iter_t it;
        uint32_t bucket, next = 0, entries = 0;
        uint64_t c;
        uint8_t *p;

        series__slot_at(se, i, &v);
        /* The bucket count goes first: count on a copy of the iterator. */
        it = v.hist;
        while (hist_iter_next(&it, &bucket, &c))
            entries++;
        /* One reservation for the whole second at its largest, then plain
         * stores: this loop runs for every second of the store. */
        buf_reserve(b, 4 + 10 + 24 + 5 + (size_t)entries * (3 + 10) + 3 +
                           (size_t)v.raw_n * SERIES_RAW_BYTES);
        p = (uint8_t *)b->p + b->len;
        p = snap_w32(p, (uint32_t)v.sec);
        p = snap_wvarint(p, v.count);
        p = snap_wf64(p, v.sum);
        p = snap_wf64(p, v.min);
        p = snap_wf64(p, v.max);
        p = snap_wvarint(p, entries);
        while (hist_iter_next(&v.hist, &bucket, &c)) {
            p = snap_wvarint(p, bucket - next);
            p = snap_wvarint(p, c);
            next = bucket + 1;
        }
        p = snap_wvarint(p, v.raw_n);
        for (uint32_t k = 0; k < v.raw_n; k++) {
            const uint8_t *rec = v.raw + (size_t)k * SERIES_RAW_BYTES;
            uint16_t off;
            uint32_t bits;
            memcpy(&off, rec, sizeof off);
            memcpy(&bits, rec + sizeof off, sizeof bits);
            p[0] = (uint8_t)off;
            p[1] = (uint8_t)(off >> 8);
            p = snap_w32(p + 2, bits);
        }
        b->len = (size_t)((char *)p - b->p);
        w->seconds++;
        w->samples += v.count;
    }
    snap_section_end(b, at, w);
    w->series++;
}

void snapshot_encode_end(buf_t *b, snapshot_written_t *w)
{
    /* The end section makes a truncation at a section boundary visible. */
    size_t at = snap_section_begin(b, SNAP_SECTION_END);
    snap_put_u64(b, w->series);
    snap_put_u64(b, w->seconds);
    snap_put_u64(b, w->samples);
    snap_section_end(b, at, w);
}

typedef struct snap_enc {
    const store_t *s;
    buf_t b; /* the section being built */
    snapshot_emit_fn emit;
    void *ctx;
    int rc;
    snapshot_written_t w;
} snap_enc_t;

static void snap_encode_one(void *ctx, const series_t *se)
{
    snap_enc_t *e = ctx;
    if (e->rc != 0)
        return;
    buf_reset(&e->b);
    snapshot_encode_series(e->s, se, &e->b, &e->w);
    if (e->b.len)
        e->rc = e->emit(e->ctx, e->b.p, e->b.len);
}

int snapshot_encode(store_t *s, int64_t now_ms, snapshot_emit_fn emit, void *ctx,
                    snapshot_written_t *out)
{
    snap_enc_t e;

    memset(&e, 0, sizeof e);
    e.s = s;
    e.emit = emit;
    e.ctx = ctx;
    buf_init(&e.b);
    snapshot_encode_header(s, now_ms, &e.b, &e.w);
    e.rc = emit(ctx, e.b.p, e.b.len);
    store_foreach(s, snap_encode_one, &e);
    buf_reset(&e.b);
    snapshot_encode_end(&e.b, &e.w);
    if (e.rc == 0)
        e.rc = emit(ctx, e.b.p, e.b.len);
    buf_dispose(&e.b);
    if (out)
        *out = e.w;
    return e.rc;
}

/* ---- reading -------------------------------------------------------------
 * A cursor over (p, n) that never reads past the end: every getter fails
 * (returns 0) instead, and the caller reports where.
 */

typedef struct snap_rd {
    const uint8_t *p, *end;
} snap_rd_t;

static int snap_get(snap_rd_t *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return 0;
    memcpy(out, r->p, n);
    r->p += n;
    return 1;
}

static int snap_get_u16(snap_rd_t *r, uint16_t *v)
{
    uint8_t x[2];
    if (!snap_get(r, x, 2))
        return 0;
    *v = (uint16_t)(x[0] | x[1] << 8);
    return 1;
}

static int snap_get_u32(snap_rd_t *r, uint32_t *v)
{
    uint8_t x[4];
    if (!snap_get(r, x, 4))
        return 0;
    *v = (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
    return 1;
}

static int snap_get_u64(snap_rd_t *r, uint64_t *v)
{
    uint32_t lo, hi;
    if (!snap_get_u32(r, &lo) || !snap_get_u32(r, &hi))
        return 0;
    *v = (uint64_t)hi << 32 | lo;
    return 1;
}

static int snap_get_f64(snap_rd_t *r, double *d)
{
    uint64_t v;
    if (!snap_get_u64(r, &v))
        return 0;
    memcpy(d, &v, sizeof *d);
    return 1;
}

/* LEB128, at most 10 bytes, no bits beyond 64. */
static int snap_get_varint(snap_rd_t *r, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t c;
        if (r->p >= r->end)
            return 0;
        c = *r->p++;
        if (shift == 63 && c > 1)
            return 0;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return 1;
        }
    }
    return 0;
}

/* A duration as the store keeps one: finite and >= 0. */
static int snap_ms_ok(double d)
{
    return d >= 0.0 && !isinf(d);
}

typedef struct snap_dec {
    store_t *s;
    snapshot_result_t *r;
    const uint8_t *base;
    int64_t first_sec, last_sec;                /* the window at now_ms */
    uint32_t n_le;                              /* the file's */
    int totals;                                 /* the file's le bounds are the store's */
    uint64_t e[HIST_BUCKETS];                   /* one second's histogram entries */
    uint8_t raw[UINT16_MAX * SERIES_RAW_BYTES]; /* one second's raw points, host order */
} snap_dec_t;

/* Records the first error; returns SPIDER_EINVAL. */
static int snap_fail(snap_dec_t *d, const uint8_t *at, const char *what)
{
    if (d->r->error[0] == '\0') {
        d->r->error_offset = (size_t)(at - d->base);
        snprintf(d->r->error, sizeof d->r->error, "%s at byte %zu", what, d->r->error_offset);
    }
    return SPIDER_EINVAL;
}

/* The key must be one ingest would create: the name rule, and already in
 * canonical form (a file cannot smuggle in a key no client could send). */
static int snap_key_ok(slice_t key)
{
    char canon[SERIESNAME_MAX];
    slice_t out;

    if (seriesname_check(key.p, key.n) != SERIESNAME_OK)
        return 0;
    if (serieskey_canonical(key.p, key.n, canon, &out) != SERIESKEY_OK)
        return 0;
    return out.n == key.n && memcmp(out.p, key.p, key.n) == 0;
}

/* One series section's payload (p, n). apply 0: validate only; apply 1:
 * restore (after a validation pass of the same bytes). */
static int snap_series(snap_dec_t *d, const uint8_t *p, size_t n, int apply)
{
    snap_rd_t r = {p, p + n};
    uint16_t key_n;
    uint64_t last_seen, t_count, le[STORE_LE_MAX + 1], le_sum = 0;
    double t_sum;
    uint32_t nsec;
    int64_t prev_sec = -1;
    slice_t key;
    series_t *se = NULL;
    series_env_t *env = store__env(d->s);

    if (!snap_get_u16(&r, &key_n) || (size_t)(r.end - r.p) < key_n)
        return snap_fail(d, r.p, "series key cut short");
    key = slice_make((const char *)r.p, key_n);
    if (!snap_key_ok(key))
        return snap_fail(d, r.p, "series key that ingest would refuse");
    r.p += key_n;
    if (!snap_get_u64(&r, &last_seen) || !snap_get_u64(&r, &t_count) || !snap_get_f64(&r, &t_sum))
        return snap_fail(d, r.p, "series totals cut short");
    for (uint32_t i = 0; i <= d->n_le; i++) {
        if (!snap_get_u64(&r, &le[i]))
            return snap_fail(d, r.p, "series totals cut short");
        if (le_sum + le[i] < le_sum)
            return snap_fail(d, r.p, "series totals overflow");
        le_sum += le[i];
    }
    if (le_sum != t_count || !snap_ms_ok(t_sum))
        return snap_fail(d, r.p, "series totals that do not add up");
    if (!snap_get_u32(&r, &nsec) || nsec == 0 || nsec > (size_t)(r.end - r.p) / 30)
        return snap_fail(d, r.p, "series second count out of range");

    if (apply) {
        store_reject_t why = STORE_OK;
        if (store_find(d->s, key))
            return snap_fail(d, p, "series twice");
        se = store__restore_series(d->s, key, &why);
        if (!se) {
            d->r->series_refused++;
            return 0;
        }
    }

    for (uint32_t i = 0; i < nsec; i++) {
        const uint8_t *at = r.p;
        uint32_t sec;
        uint64_t count, n_e, raw_n, total = 0;
        double sum, min, max;
        int64_t b = -1;
        const uint8_t *raw;
        float raw_max = 0.0f;

        if (!snap_get_u32(&r, &sec) || !snap_get_varint(&r, &count) || !snap_get_f64(&r, &sum) ||
            !snap_get_f64(&r, &min) || !snap_get_f64(&r, &max) || !snap_get_varint(&r, &n_e))
            return snap_fail(d, at, "second cut short");
        if ((int64_t)sec <= prev_sec)
            return snap_fail(d, at, "seconds out of order");
        prev_sec = sec;
        if (count == 0 || !snap_ms_ok(sum) || !snap_ms_ok(min) || !snap_ms_ok(max) || min > max)
            return snap_fail(d, at, "second with bad aggregates");
        if (n_e == 0 || n_e > HIST_BUCKETS)
            return snap_fail(d, at, "histogram bucket count out of range");
        for (uint64_t k = 0; k < n_e; k++) {
            uint64_t gap, c;
            if (!snap_get_varint(&r, &gap) || !snap_get_varint(&r, &c))
                return snap_fail(d, at, "histogram cut short");
            if (gap >= HIST_BUCKETS || (uint64_t)(b + 1) + gap >= HIST_BUCKETS)
                return snap_fail(d, at, "histogram bucket out of range");
            b = b + 1 + (int64_t)gap;
            if (c == 0 || c > HIST_ENTRY_COUNT_MASK || total + c < total)
                return snap_fail(d, at, "histogram count out of range");
            total += c;
            d->e[k] = HIST_ENTRY((uint32_t)b, c);
        }
        /* The histogram must hold exactly the second's samples, from the
         * bucket of its min to the bucket of its max. */
        if (total != count || HIST_ENTRY_BUCKET(d->e[0]) != hist_bucket(min) ||
            HIST_ENTRY_BUCKET(d->e[n_e - 1]) != hist_bucket(max))
            return snap_fail(d, at, "histogram that does not match its second");
        if (!snap_get_varint(&r, &raw_n) || raw_n > UINT16_MAX || raw_n > count ||
            (size_t)(r.end - r.p) / SERIES_RAW_BYTES < raw_n)
            return snap_fail(d, at, "raw points out of range");
        raw = r.p;
        for (uint64_t k = 0; k < raw_n; k++) {
            const uint8_t *rec = raw + k * SERIES_RAW_BYTES;
            uint16_t off = (uint16_t)(rec[0] | rec[1] << 8);
            uint32_t bits = (uint32_t)rec[2] | (uint32_t)rec[3] << 8 | (uint32_t)rec[4] << 16 |
                            (uint32_t)rec[5] << 24;
            float f;
            memcpy(&f, &bits, sizeof f);
            if (off >= 1000 || !(f >= 0.0f) || isinf(f) || (k > 0 && f > raw_max))
                return snap_fail(d, at, "raw point out of range");
            if (k == 0)
                raw_max = f;
        }
        r.p += raw_n * SERIES_RAW_BYTES;
        if (!apply)
            continue;
        if ((int64_t)sec < d->first_sec || (int64_t)sec > d->last_sec) {
            d->r->seconds_outside++;
            continue;
        }
        /* The store's records are in host order: convert. */
        for (uint64_t k = 0; k < raw_n; k++) {
            const uint8_t *rec = raw + k * SERIES_RAW_BYTES;
            uint16_t off = (uint16_t)(rec[0] | rec[1] << 8);
            uint32_t bits = (uint32_t)rec[2] | (uint32_t)rec[3] << 8 | (uint32_t)rec[4] << 16 |
                            (uint32_t)rec[5] << 24;
            memcpy(d->raw + k * SERIES_RAW_BYTES, &off, sizeof off);
            memcpy(d->raw + k * SERIES_RAW_BYTES + sizeof off, &bits, sizeof bits);
        }
        if (series__restore(se, env, sec, count, sum, min, max, d->e, (size_t)n_e, d->raw,
                            (uint32_t)raw_n) != STORE_OK) {
            d->r->seconds_refused++;
            continue;
        }
        d->r->seconds++;
        d->r->samples += count;
    }
    if (r.p != r.end)
        return snap_fail(d, r.p, "bytes after the last second of a series");
    if (apply) {
        /* The newest timestamp lies in the newest second the file held. */
        if (!series_is_empty(se)) {
            series__set_totals(se, env, d->totals ? t_count : 0, d->totals ? t_sum : 0.0,
                               d->totals ? le : NULL, (int64_t)last_seen);
            d->r->series++;
        }
        store__restore_done(d->s, se);
    } else if ((int64_t)last_seen < prev_sec * 1000 ||
               (int64_t)last_seen >= prev_sec * 1000 + 1000) {
        return snap_fail(d, p, "newest timestamp outside the newest second");
    }
    return 0;
}

static int snap_decode(snap_dec_t *d, store_t *s, const uint8_t *p, size_t n, int64_t now_ms,
                       snapshot_result_t *res)
{
    const store_config_t *cfg = store_config(s);
    snap_rd_t r = {p, p + n};
    uint32_t version, header_n, window_s, n_le, crc;
    uint64_t written, end_series = 0, end_seconds = 0, end_samples = 0;
    uint64_t seen_series = 0;
    double le_ms[STORE_LE_MAX];
    char magic[8];
    int ended = 0;

    memset(res, 0, sizeof *res);
    d->s = s;
    d->r = res;
    d->base = p;
    store_advance(s, now_ms);
    d->first_sec = series_window_first(store_now_ms(s), cfg->window_s);
    d->last_sec = series_window_last(store_now_ms(s));

    if (!snap_get(&r, magic, 8) || memcmp(magic, SNAPSHOT_MAGIC, 8) != 0)
        return snap_fail(d, p, "not a Spider snapshot (no SPIDSNAP magic)");
    if (!snap_get_u32(&r, &version))
        return snap_fail(d, r.p, "header cut short");
    if (version != SNAPSHOT_VERSION) {
        char why[96];
        snprintf(why, sizeof why, "snapshot version %u (this Spider reads %u)", version,
                 SNAPSHOT_VERSION);
        return snap_fail(d, p + 8, why);
    }
    if (!snap_get_u32(&r, &header_n) || !snap_get_u64(&r, &written) ||
        !snap_get_u32(&r, &window_s) || !snap_get_u32(&r, &n_le))
        return snap_fail(d, r.p, "header cut short");
    if (n_le > STORE_LE_MAX || header_n != SNAP_HEADER_FIXED + n_le * 8u + 4u)
        return snap_fail(d, p + 12, "header length out of range");
    for (uint32_t i = 0; i < n_le; i++)
        if (!snap_get_f64(&r, &le_ms[i]))
            return snap_fail(d, r.p, "header cut short");
    if (!snap_get_u32(&r, &crc))
        return snap_fail(d, r.p, "header cut short");
    if (crc != snap_crc(p, header_n - 4))
        return snap_fail(d, p, "header CRC mismatch");
    (void)window_s; /* a different window: the current one decides what is kept */
    res->written_ms = (int64_t)written;
    d->n_le = n_le;
    d->totals = n_le == cfg->n_le && (n_le == 0 || memcmp(le_ms, cfg->le_ms, n_le * 8u) == 0);
    res->totals = d->totals;

    while (r.p < r.end) {
        const uint8_t *at = r.p;
        uint32_t type, len, sum;
        const uint8_t *payload;

        if (ended)
            return snap_fail(d, at, "bytes after the end section");
        if (!snap_get_u32(&r, &type) || !snap_get_u32(&r, &len) ||
            (size_t)(r.end - r.p) < (size_t)len + 4)
            return snap_fail(d, at, "section cut short");
        payload = r.p;
        r.p += len;
        snap_get_u32(&r, &sum);
        if (sum != snap_crc(at, SNAP_SECTION_HEAD + (size_t)len))
            return snap_fail(d, at, "section CRC mismatch");
        if (type == SNAP_SECTION_SERIES) {
            if (snap_series(d, payload, len, 0) != 0 || snap_series(d, payload, len, 1) != 0)
                return SPIDER_EINVAL;
            seen_series++;
        } else if (type == SNAP_SECTION_END) {
            snap_rd_t e = {payload, payload + len};
            if (len != 24 || !snap_get_u64(&e, &end_series) || !snap_get_u64(&e, &end_seconds) ||
                !snap_get_u64(&e, &end_samples))
                return snap_fail(d, at, "end section of the wrong size");
            if (end_series != seen_series)
                return snap_fail(d, at, "end section counts other series than the file holds");
            ended = 1;
        } else {
            return snap_fail(d, at, "unknown section type");
        }
    }
    if (!ended)
        return snap_fail(d, r.p, "no end section (file cut short)");
    return 0;
}

int snapshot_decode(store_t *s, const uint8_t *p, size_t n, int64_t now_ms, snapshot_result_t *res)
{
    /* About 400 KiB of scratch (one second's entries and raw points): on
     * the heap for the length of the decode, not on the stack. */
    snap_dec_t *d = xmalloc(sizeof *d);
    int rc = snap_decode(d, s, p, n, now_ms, res);
    free(d);
    return rc;
}
