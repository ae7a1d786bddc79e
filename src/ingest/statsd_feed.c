/* statsd_feed.c - StatsD datagrams through the ingest door (see statsd_feed.h). */
#include "statsd_feed.h"

#include <math.h>
#include <string.h>

static ingest_reject_t statsd_feed_reason(statsd_error_t e)
{
    switch (e) {
    case STATSD_ERR_NAME:
        return INGEST_REJECT_BAD_NAME;
    case STATSD_ERR_VALUE:
        return INGEST_REJECT_BAD_VALUE;
    case STATSD_ERR_RATE:
        return INGEST_REJECT_BAD_RATE;
    case STATSD_OK:
    case STATSD_ERR_TYPE:
    case STATSD_ERR_COUNT:
        break;
    }
    return INGEST_REJECT_BAD_TYPE;
}

/* Tags "k:v,flag" as labels; a tag without a value is flag="true". */
static void statsd_feed_key(ingest_key_t *key, const statsd_line_t *line)
{
    serieskey_builder_t b;
    serieskey_builder_init(&b, line->name);
    const char *p = line->tags.p, *end = p + line->tags.n;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if (stop > p) {
            const char *colon = memchr(p, ':', (size_t)(stop - p));
            if (colon)
                serieskey_builder_add(&b, slice_make(p, (size_t)(colon - p)),
                                      slice_make(colon + 1, (size_t)(stop - colon - 1)));
            else
                serieskey_builder_add(&b, slice_make(p, (size_t)(stop - p)), slice_cstr("true"));
        }
        p = comma ? comma + 1 : end;
    }
    ingest_key_from_builder(key, &b);
}

/* Bytes [p, p + n) as a little-endian word, n <= 8 (no read past them). */
static uint64_t statsd_feed_word(const char *p, size_t n)
{
    uint64_t w = 0;
    if (n == 8) {
        memcpy(&w, p, 8);
        return w;
    }
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)(unsigned char)p[i] << (8 * i);
    return w;
}

/* Mixes the bytes of s into h, a word at a time (a name is a word or two:
 * byte-wise FNV was a chain of a multiply per byte). */
static uint64_t statsd_feed_mix(uint64_t h, slice_t s)
{
    for (size_t i = 0; i < s.n; i += 8) {
        h = (h ^ statsd_feed_word(s.p + i, s.n - i < 8 ? s.n - i : 8)) * 0xff51afd7ed558ccdu;
        h ^= h >> 29;
    }
    return h;
}

/* 1 if [a, a + n) and [b, b + n) hold the same bytes: words, then bytes
 * (memcmp is a call, for a dozen bytes). */
static int statsd_feed_same(const char *a, const char *b, size_t n)
{
    for (; n >= 8; a += 8, b += 8, n -= 8)
        if (statsd_feed_word(a, 8) != statsd_feed_word(b, 8))
            return 0;
    for (; n; a++, b++, n--)
        if (*a != *b)
            return 0;
    return 1;
}

/* 1 if slot s holds the key of (name, tags). */
static int statsd_feed_slot_is(const statsd_keycache_slot_t *s, const statsd_line_t *line)
{
    return s->name_n == line->name.n && s->tags_n == line->tags.n &&
           statsd_feed_same(s->raw, line->name.p, line->name.n) &&
           statsd_feed_same(s->raw + line->name.n, line->tags.p, line->tags.n);
}

/* Builds the key of line into slot s, which it takes over (its ref too). */
static void statsd_feed_slot_fill(statsd_keycache_slot_t *s, const statsd_line_t *line)
{
    statsd_feed_key(&s->built, line);
    /* A refused key has no bytes worth keeping (its slice is unspecified);
     * one that points elsewhere than its buffer is copied in to be kept. */
    if (s->built.reject != INGEST_OK) {
        s->built.key = slice_make(s->built.buf, 0);
    } else if (s->built.key.p != s->built.buf) {
        memcpy(s->built.buf, s->built.key.p, s->built.key.n);
        s->built.key.p = s->built.buf;
    }
    s->key = s->built.key;
    s->reject = s->built.reject;
    memcpy(s->raw, line->name.p, line->name.n);
    if (line->tags.n)
        memcpy(s->raw + line->name.n, line->tags.p, line->tags.n);
    s->name_n = (uint16_t)line->name.n;
    s->tags_n = (uint16_t)line->tags.n;
    s->ref = (store_ref_t){0};
}

/* The slot holding the key of a line (built now if its (name, tags) were
 * not seen, or fell out), or NULL when it is not cached. */
static statsd_keycache_slot_t *statsd_feed_slot(statsd_keycache_t *cache, const store_t *store,
                                                const statsd_line_t *line)
{
    if (!cache || line->name.n + line->tags.n > STATSD_KEYCACHE_RAW)
        return NULL;
    if (cache->store != store) { /* refs into another store mean nothing here */
        for (size_t i = 0; i < STATSD_KEYCACHE_SETS; i++)
            for (size_t w = 0; w < STATSD_KEYCACHE_WAYS; w++)
                cache->slot[i][w].ref = (store_ref_t){0};
        cache->store = store;
    }
    /* Name and tags, the name's length between them ("ab" + "c" is not
     * "a" + "bc"); the set is the top bits of a final multiply (low bits
     * mix poorly for names that differ in their last bytes, "load.s1",
     * "load.s2"). */
    uint64_t h = statsd_feed_mix(0x9E3779B97F4A7C15u, line->name);
    h = statsd_feed_mix(h ^ line->name.n, line->tags);
    uint32_t set = (uint32_t)((h * 0x9E3779B97F4A7C15u) >> 56);
    _Static_assert(STATSD_KEYCACHE_SETS == 256 && STATSD_KEYCACHE_WAYS == 2,
                   "the set is 8 bits of the hash; two ways");
    statsd_keycache_slot_t *ways = cache->slot[set];
    for (unsigned w = 0; w < STATSD_KEYCACHE_WAYS; w++)
        if (statsd_feed_slot_is(&ways[w], line)) {
            cache->last[set] = (uint8_t)w;
            return &ways[w];
        }
    unsigned victim = cache->last[set] ^ 1u; /* the way not used last */
    statsd_feed_slot_fill(&ways[victim], line);
    cache->last[set] = (uint8_t)victim;
    return &ways[victim];
}

static void statsd_feed_line(ingest_sink_t *sink, statsd_counts_t *counts, statsd_keycache_t *cache,
                             slice_t text)
{
    statsd_line_t line;
    statsd_error_t e = statsd_parse_line(text.p, text.n, &line);
    if (e == STATSD_OK && line.kind == STATSD_LATENCY && line.rate < STATSD_FEED_MIN_RATE)
        e = STATSD_ERR_RATE;
    if (e != STATSD_OK) {
        ingest_count_reject(sink, statsd_feed_reason(e), 1);
        return;
    }
    if (line.kind != STATSD_LATENCY) {
        counts->ignored[line.kind]++;
        return;
    }
    /* 1/rate rounded: @0.1 is 10 samples, @0.3 is 3, @0.75 is 1 (and the
     * usual line, without a rate, 1 without a call to lround). */
    uint32_t weight = line.rate == 1.0 ? 1 : (uint32_t)lround(1.0 / line.rate);
    if (weight == 0)
        weight = 1;
    statsd_keycache_slot_t *slot = statsd_feed_slot(cache, sink->store, &line);
    ingest_key_t scratch;
    store_ref_t line_ref = {0}; /* an uncached key's series, for this line's values */
    if (!slot)
        statsd_feed_key(&scratch, &line);
    slice_t key = slot ? slot->key : scratch.key;
    ingest_reject_t reject = slot ? slot->reject : scratch.reject;
    store_ref_t *ref = slot ? &slot->ref : &line_ref;
    if (line.n_values <= STATSD_VALUES_INLINE) { /* the parser converted them */
        for (size_t i = 0; i < line.n_values; i++)
            ingest_record_ref(sink, key, reject, ref, line.value[i], weight);
        return;
    }
    slice_t values = line.values;
    double v;
    while (statsd_next_value(&values, &v))
        ingest_record_ref(sink, key, reject, ref, v, weight);
}

void statsd_feed_datagram(ingest_sink_t *sink, statsd_counts_t *counts, statsd_keycache_t *cache,
                          const char *p, size_t n)
{
    const char *cursor = p, *end = p + n;
    slice_t line;
    counts->datagrams++;
    counts->bytes += n;
    while (statsd_next_line(&cursor, end, &line)) {
        counts->lines++;
        statsd_feed_line(sink, counts, cache, line);
    }
}
