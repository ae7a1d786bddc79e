/* hist.c - log-linear histograms: bucket mapping, open/sealed encodings, merges.
 *
 * Sealed encoding. Entries are written in ascending bucket order as tokens;
 * `gap` is the number of empty buckets skipped since the previous entry (the
 * first entry counts from bucket 0), `count` >= 1:
 *
 *   0ggg cccc                   gap < 8 and count < 16: one byte
 *   1ggg gggg [varint] varint   otherwise: 7-bit gap (127 = 127 + a varint
 *                               follows), then the count as a LEB128 varint
 *
 * Latency data of 1,000 samples in one second fills a few hundred buckets
 * with small gaps and small counts, so almost every token is one byte: a
 * sealed second costs about as many bytes as it has non-empty buckets.
 */
#include "hist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/xmalloc.h"

/* Bucket of HIST_MAX_MS and above (the clamp target). */
#define HIST_TOP (HIST_BUCKETS - 1u)

uint32_t hist_bucket(double ms)
{
    uint64_t bits;
    int exp;

    /* The negated comparison also sends NaN to bucket 0. */
    if (!(ms >= HIST_MIN_MS))
        return 0;
    if (ms >= HIST_MAX_MS)
        return HIST_TOP;
    /* ms is a normal double here: the biased exponent gives the power of
     * two, the top 6 mantissa bits the linear sub-bucket. Exact, no libm. */
    memcpy(&bits, &ms, sizeof bits);
    exp = (int)(bits >> 52) - 1023;
    return 1u + (uint32_t)(exp - HIST_EXP_MIN) * HIST_SUB +
           (uint32_t)((bits >> (52 - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

double hist_bucket_lower(uint32_t b)
{
    uint32_t k;

    if (b == 0)
        return 0.0;
    k = b - 1;
    return ldexp(1.0 + (double)(k % HIST_SUB) / HIST_SUB, (int)(k / HIST_SUB) + HIST_EXP_MIN);
}

double hist_bucket_upper(uint32_t b)
{
    uint32_t k;

    if (b == 0)
        return HIST_MIN_MS;
    k = b - 1;
    return ldexp(1.0 + (double)(k % HIST_SUB + 1) / HIST_SUB, (int)(k / HIST_SUB) + HIST_EXP_MIN);
}

/* Nearest-rank, the definition the tests compare against: the smallest
 * value with at least q * n values at or below it. */
uint64_t hist_rank(double q, uint64_t n)
{
    double x, r;

    if (!(q > 0.0))
        return 1;
    if (q >= 1.0)
        return n;
    x = q * (double)n;
    r = ceil(x);
    /* q * n that should be an integer may come out a hair above it. */
    if (r - x > 1.0 - 1e-9 * (x > 1.0 ? x : 1.0))
        r -= 1.0;
    if (r < 1.0)
        return 1;
    if (r >= (double)n)
        return n;
    return (uint64_t)r;
}

/* The value reported for rank `rank` of `total` falling in bucket b. The
 * extremes are known exactly, and the exact answer lies in [min, max], so
 * clamping the midpoint can only bring it closer. */
static double hist_value(uint32_t b, uint64_t rank, uint64_t total, double min, double max)
{
    double v;

    if (rank >= total)
        return max;
    if (rank <= 1)
        return min;
    v = 0.5 * (hist_bucket_lower(b) + hist_bucket_upper(b));
    if (v < min)
        v = min;
    if (v > max)
        v = max;
    return v;
}

/* LEB128: 7 bits per byte, low bits first, high bit = more bytes follow. */
static size_t hist_varint_size(uint64_t v)
{
    size_t k = 1;

    while (v >= 0x80) {
        v >>= 7;
        k++;
    }
    return k;
}

static uint8_t *hist_varint_put(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Reads one varint; never reads at or past end, never shifts past 63. */
static const uint8_t *hist_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    unsigned shift = 0;

    while (p < end && shift < 64) {
        uint8_t c = *p++;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            break;
        shift += 7;
    }
    *v = x;
    return p;
}

/* Size of one token; see the format at the top of the file. */
static size_t hist_token_size(uint32_t gap, uint64_t count)
{
    if (gap < 8 && count < 16)
        return 1;
    return 1 + (gap >= 127 ? hist_varint_size(gap - 127) : 0) + hist_varint_size(count);
}

/* Writes one token; see the format at the top of the file. */
static uint8_t *hist_token_put(uint8_t *p, uint32_t gap, uint64_t count)
{
    if (gap < 8 && count < 16) {
        *p++ = (uint8_t)(gap << 4 | count);
    } else {
        *p++ = (uint8_t)(0x80 | (gap < 127 ? gap : 127));
        if (gap >= 127)
            p = hist_varint_put(p, gap - 127);
        p = hist_varint_put(p, count);
    }
    return p;
}

/* Sizing and encoding are one walk: `next` is the bucket a gap of 0 refers
 * to, i.e. one past the previous entry (0 at the start). With `write` 0 the
 * walk only counts the bytes the tokens would take (out may be NULL);
 * otherwise it writes them to out.
 * The open form's hist_open_walk() below does the same walk over its
 * counters with the same two token functions, which is what makes it seal
 * to the same bytes as the entry array (test_hist checks it). */
static size_t hist_iter_walk(hist_iter_t *it, uint8_t *out, int write)
{
    uint8_t *p = out;
    uint32_t next = 0, b;
    uint64_t c;
    size_t bytes = 0;

    while (hist_iter_next(it, &b, &c)) {
        if (write)
            p = hist_token_put(p, b - next, c);
        else
            bytes += hist_token_size(b - next, c);
        next = b + 1;
    }
    return write ? (size_t)(p - out) : bytes;
}

size_t hist_seal_size(const uint64_t *e, size_t n)
{
    hist_iter_t it;

    hist_iter_entries(&it, e, n);
    return hist_iter_walk(&it, NULL, 0);
}

size_t hist_seal(const uint64_t *e, size_t n, uint8_t *out)
{
    hist_iter_t it;

    hist_iter_entries(&it, e, n);
    return hist_iter_walk(&it, out, 1);
}

/* ---- open histograms ------------------------------------------------------
 * Bucket b lives in octave (b + 63) / 64 at sub-bucket (b + 63) % 64: bucket
 * 0 is the last counter of octave 0 (whose other 63 stay 0), buckets 1..64
 * (the power of two 2^-10 ms) fill octave 1, and so on up to octave 42. The
 * blocks follow the index in the order their octaves appeared, not sorted:
 * readers go through the index, so growth never moves a block's position.
 */

#define HIST_OCT_SHIFT HIST_SUB_BITS
#define HIST_OCT_BIAS  (HIST_SUB - 1u)

struct hist_open {
    uint8_t idx[HIST_OCTAVES]; /* 0: octave absent; k: counts in c[(k - 1) * HIST_SUB ...] */
    uint8_t nblk;              /* blocks allocated, <= HIST_OCTAVES */
    uint32_t c[];              /* nblk blocks of HIST_SUB counters */
};

_Static_assert(sizeof(struct hist_open) == HIST_OPEN_HEADER, "header size is documented");
_Static_assert(HIST_OCTAVES == (HIST_BUCKETS + HIST_OCT_BIAS + HIST_SUB - 1) / HIST_SUB,
               "every bucket has an octave");
_Static_assert(HIST_OCTAVES < 256, "block numbers fit the uint8 index");

size_t hist_open_bytes_for(uint32_t blocks)
{
    return HIST_OPEN_HEADER + (size_t)blocks * HIST_OPEN_BLOCK;
}

size_t hist_open_bytes(const hist_open_t *h)
{
    return hist_open_bytes_for(h->nblk);
}

/* An empty histogram with the listed octaves' blocks (distinct, zeroed). */
static hist_open_t *hist_open_alloc(const uint8_t *octs, uint32_t n)
{
    hist_open_t *h = xcalloc(1, hist_open_bytes_for(n));

    for (uint32_t i = 0; i < n; i++)
        h->idx[octs[i]] = (uint8_t)(i + 1);
    h->nblk = (uint8_t)n;
    return h;
}

hist_open_t *hist_open_new(uint32_t b)
{
    uint8_t oct = (uint8_t)((b + HIST_OCT_BIAS) >> HIST_OCT_SHIFT);

    return hist_open_alloc(&oct, 1);
}

void hist_open_free(hist_open_t *h)
{
    free(h);
}

int hist_open_add(hist_open_t *h, uint32_t b, uint32_t n)
{
    uint32_t k = b + HIST_OCT_BIAS;
    uint32_t blk = h->idx[k >> HIST_OCT_SHIFT];
    uint32_t *c;

    if (blk == 0)
        return -1;
    c = &h->c[(blk - 1) * HIST_SUB + (k & (HIST_SUB - 1))];
    /* Never taken at any real ingest rate (see hist.h); refuse, never wrap. */
    if (*c > UINT32_MAX - n)
        return -1;
    *c += n;
    return 0;
}

int hist_open_has(const hist_open_t *h, uint32_t b)
{
    return h->idx[(b + HIST_OCT_BIAS) >> HIST_OCT_SHIFT] != 0;
}

hist_open_t *hist_open_grow(hist_open_t *h, uint32_t b)
{
    uint32_t oct = (b + HIST_OCT_BIAS) >> HIST_OCT_SHIFT;

    h = xrealloc(h, hist_open_bytes_for(h->nblk + 1u));
    memset(&h->c[(size_t)h->nblk * HIST_SUB], 0, HIST_OPEN_BLOCK);
    h->idx[oct] = ++h->nblk;
    return h;
}

/* Sealing walks the blocks directly rather than through hist_iter_t: it
 * runs for every open second of every series each second, and a tight loop
 * over 64 counters is several times cheaper than one iterator call per
 * counter. The tokens are the same (hist_token_size/put), in the same
 * ascending bucket order, hence the same bytes as hist_seal(). One walk
 * serves both, as hist_iter_walk() does. It is inlined into its two
 * callers, where `write` is a constant, so the test on it folds away and the
 * sealing loop stays as tight as a dedicated one. */
static inline size_t hist_open_walk(const hist_open_t *h, uint8_t *out, int write)
{
    uint8_t *p = out;
    uint32_t next = 0;
    size_t bytes = 0;

    for (uint32_t o = 0; o < HIST_OCTAVES; o++) {
        const uint32_t *c;
        if (h->idx[o] == 0)
            continue;
        c = &h->c[(h->idx[o] - 1u) * HIST_SUB];
        for (uint32_t k = 0; k < HIST_SUB; k++) {
            if (c[k] == 0)
                continue;
            uint32_t b = o * HIST_SUB + k - HIST_OCT_BIAS; /* c[k] != 0: never below bucket 0 */
            if (write)
                p = hist_token_put(p, b - next, c[k]);
            else
                bytes += hist_token_size(b - next, c[k]);
            next = b + 1;
        }
    }
    return write ? (size_t)(p - out) : bytes;
}

size_t hist_open_seal_size(const hist_open_t *h)
{
    return hist_open_walk(h, NULL, 0);
}

size_t hist_open_seal(const hist_open_t *h, uint8_t *out)
{
    return hist_open_walk(h, out, 1);
}

size_t hist_open_seal_bound(const hist_open_t *h)
{
    return (size_t)h->nblk * HIST_SUB * HIST_SEAL_MAX_ENTRY;
}

/* The distinct octaves of a sealed histogram plus that of bucket b, in
 * ascending order; returns how many (<= HIST_OCTAVES). */
static uint32_t hist_sealed_octaves(const uint8_t *p, size_t len, uint32_t b, uint8_t *octs)
{
    uint8_t seen[HIST_OCTAVES] = {0};
    hist_iter_t it;
    uint32_t n = 0, eb;
    uint64_t c;

    seen[(b + HIST_OCT_BIAS) >> HIST_OCT_SHIFT] = 1;
    hist_iter_sealed(&it, p, len);
    while (hist_iter_next(&it, &eb, &c))
        seen[(eb + HIST_OCT_BIAS) >> HIST_OCT_SHIFT] = 1;
    for (uint32_t o = 0; o < HIST_OCTAVES; o++)
        if (seen[o])
            octs[n++] = (uint8_t)o;
    return n;
}

uint32_t hist_open_unseal_blocks(const uint8_t *p, size_t len, uint32_t b)
{
    uint8_t octs[HIST_OCTAVES];

    return hist_sealed_octaves(p, len, b, octs);
}

hist_open_t *hist_open_unseal(const uint8_t *p, size_t len, uint32_t b)
{
    uint8_t octs[HIST_OCTAVES];
    uint32_t n = hist_sealed_octaves(p, len, b, octs), eb;
    hist_open_t *h = hist_open_alloc(octs, n);
    hist_iter_t it;
    uint64_t c;

    hist_iter_sealed(&it, p, len);
    while (hist_iter_next(&it, &eb, &c)) {
        uint32_t k = eb + HIST_OCT_BIAS;
        h->c[(h->idx[k >> HIST_OCT_SHIFT] - 1u) * HIST_SUB + (k & (HIST_SUB - 1))] =
            c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
    }
    return h;
}

void hist_iter_open(hist_iter_t *it, const hist_open_t *h)
{
    memset(it, 0, sizeof *it);
    it->h = h;
    it->next = HIST_OCT_BIAS; /* bucket 0: the only live counter of octave 0 */
}

void hist_iter_entries(hist_iter_t *it, const uint64_t *e, size_t n)
{
    memset(it, 0, sizeof *it);
    it->e = e;
    it->eend = e + n;
}

/* Next non-empty counter of an open histogram: absent octaves are skipped
 * whole, so a walk costs O(octaves + blocks * HIST_SUB). */
static int hist_iter_next_open(hist_iter_t *it, uint32_t *bucket, uint64_t *count)
{
    const hist_open_t *h = it->h;
    uint32_t k = it->next;

    while (k < HIST_OCTAVES * HIST_SUB) {
        uint32_t blk = h->idx[k >> HIST_OCT_SHIFT];
        if (blk == 0) {
            k = (k | (HIST_SUB - 1)) + 1;
            continue;
        }
        uint32_t c = h->c[(blk - 1) * HIST_SUB + (k & (HIST_SUB - 1))];
        k++;
        if (c) {
            it->next = k;
            *bucket = k - 1 - HIST_OCT_BIAS;
            *count = c;
            return 1;
        }
    }
    it->next = k;
    return 0;
}

void hist_iter_sealed(hist_iter_t *it, const uint8_t *p, size_t len)
{
    memset(it, 0, sizeof *it);
    it->p = p;
    it->end = p + len;
}

int hist_iter_next(hist_iter_t *it, uint32_t *bucket, uint64_t *count)
{
    uint64_t gap, c;
    uint8_t t;

    if (it->h)
        return hist_iter_next_open(it, bucket, count);
    if (it->e) {
        if (it->e >= it->eend)
            return 0;
        *bucket = HIST_ENTRY_BUCKET(*it->e);
        *count = HIST_ENTRY_COUNT(*it->e);
        it->e++;
        return 1;
    }
    if (it->p >= it->end)
        return 0;
    t = *it->p++;
    if (t < 0x80) {
        gap = t >> 4;
        c = t & 15u;
    } else {
        gap = t & 0x7fu;
        if (gap == 127) {
            uint64_t more;
            it->p = hist_varint_get(it->p, it->end, &more);
            gap += more;
        }
        it->p = hist_varint_get(it->p, it->end, &c);
    }
    /* Sealed bytes are only ever produced by hist_seal(); the clamp keeps a
     * corrupted string from indexing outside the buckets all the same. */
    gap += it->next;
    *bucket = gap < HIST_BUCKETS ? (uint32_t)gap : HIST_TOP;
    *count = c;
    it->next = *bucket + 1;
    return 1;
}

size_t hist_sealed_entries(const uint8_t *p, size_t len)
{
    return hist_unseal(p, len, NULL);
}

size_t hist_unseal(const uint8_t *p, size_t len, uint64_t *e)
{
    hist_iter_t it;
    uint32_t b;
    uint64_t c;
    size_t n = 0;

    /* e == NULL only counts (hist_sealed_entries). */
    hist_iter_sealed(&it, p, len);
    while (hist_iter_next(&it, &b, &c)) {
        if (e)
            e[n] = HIST_ENTRY(b, c);
        n++;
    }
    return n;
}

void hist_iter_quantiles(hist_iter_t *it, uint64_t total, double min, double max, const double *qs,
                         size_t nq, double *out)
{
    uint64_t cum = 0, c = 0;
    uint32_t b = 0;
    size_t i = 0;

    if (total == 0) {
        memset(out, 0, nq * sizeof *out);
        return;
    }
    /* Invariant: cum = count of all buckets up to and including b. */
    for (; i < nq; i++) {
        uint64_t rank = hist_rank(qs[i], total);
        while (cum < rank && hist_iter_next(it, &b, &c))
            cum += c;
        out[i] = hist_value(b, rank, total, min, max);
    }
}

/* 2689 counters of 8 bytes: merging a second is one add per non-empty
 * bucket, and clearing only touches the range used since the last clear. */
struct hist_acc {
    uint64_t total;
    uint32_t lo, hi; /* buckets touched since the last clear: [lo, hi], lo > hi if none */
    uint64_t c[HIST_BUCKETS];
};

hist_acc_t *hist_acc_new(void)
{
    hist_acc_t *acc = xcalloc(1, sizeof *acc);

    acc->lo = HIST_BUCKETS;
    acc->hi = 0;
    return acc;
}

void hist_acc_free(hist_acc_t *acc)
{
    free(acc);
}

uint64_t hist_acc_count(const hist_acc_t *acc, uint32_t b)
{
    return acc->c[b];
}

size_t hist_acc_bytes(void)
{
    return sizeof(hist_acc_t);
}

void hist_acc_clear(hist_acc_t *acc)
{
    if (acc->lo <= acc->hi)
        memset(acc->c + acc->lo, 0, (size_t)(acc->hi - acc->lo + 1) * sizeof acc->c[0]);
    acc->total = 0;
    acc->lo = HIST_BUCKETS;
    acc->hi = 0;
}

void hist_acc_add(hist_acc_t *acc, uint32_t b, uint64_t count)
{
    /* Defensive: an index from outside hist_bucket() lands in the top bucket. */
    if (b >= HIST_BUCKETS)
        b = HIST_TOP;
    acc->c[b] += count;
    acc->total += count;
    if (b < acc->lo)
        acc->lo = b;
    if (b > acc->hi)
        acc->hi = b;
}

/* The sealed tokens of hist_iter_next(), decoded straight into the
 * counters: roll-ups merge millions of sealed seconds, and a call and the
 * lo/hi bookkeeping per bucket cost several times the decoding. Buckets
 * come in ascending order, so the first and the last bound the range. */
static void hist_acc_add_sealed(hist_acc_t *acc, const uint8_t *p, const uint8_t *end)
{
    uint64_t next = 0, total = 0;
    uint32_t first = HIST_BUCKETS, last = 0;

    while (p < end) {
        uint8_t t = *p++;
        uint64_t gap, c;
        if (t < 0x80) {
            gap = t >> 4;
            c = t & 15u;
        } else {
            gap = t & 0x7fu;
            if (gap == 127) {
                uint64_t more;
                p = hist_varint_get(p, end, &more);
                gap += more;
            }
            p = hist_varint_get(p, end, &c);
        }
        gap += next;
        uint32_t b = gap < HIST_BUCKETS ? (uint32_t)gap : HIST_TOP;
        acc->c[b] += c;
        total += c;
        if (first == HIST_BUCKETS)
            first = b;
        last = b;
        next = (uint64_t)b + 1;
    }
    if (first == HIST_BUCKETS)
        return;
    acc->total += total;
    if (first < acc->lo)
        acc->lo = first;
    if (last > acc->hi)
        acc->hi = last;
}

void hist_acc_add_iter(hist_acc_t *acc, hist_iter_t *it)
{
    uint32_t b;
    uint64_t c;

    if (!it->h && !it->e && it->next == 0) { /* a sealed histogram, not yet started */
        hist_acc_add_sealed(acc, it->p, it->end);
        it->p = it->end;
        return;
    }
    while (hist_iter_next(it, &b, &c))
        hist_acc_add(acc, b, c);
}

void hist_acc_merge(hist_acc_t *dst, const hist_acc_t *src)
{
    if (src->lo > src->hi)
        return;
    for (uint32_t b = src->lo; b <= src->hi; b++)
        dst->c[b] += src->c[b];
    dst->total += src->total;
    if (src->lo < dst->lo)
        dst->lo = src->lo;
    if (src->hi > dst->hi)
        dst->hi = src->hi;
}

uint64_t hist_acc_total(const hist_acc_t *acc)
{
    return acc->total;
}

void hist_acc_quantiles(const hist_acc_t *acc, double min, double max, const double *qs, size_t nq,
                        double *out)
{
    uint64_t cum = 0;
    uint32_t b = acc->lo;

    if (acc->total == 0) {
        memset(out, 0, nq * sizeof *out);
        return;
    }
    /* Invariant: cum = sum of c[lo..b-1]; the answer's bucket is the first
     * b with cum + c[b] >= rank. */
    for (size_t i = 0; i < nq; i++) {
        uint64_t rank = hist_rank(qs[i], acc->total);
        while (b < acc->hi && cum + acc->c[b] < rank)
            cum += acc->c[b++];
        out[i] = hist_value(b, rank, acc->total, min, max);
    }
}
