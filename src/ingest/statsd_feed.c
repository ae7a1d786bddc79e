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

/* 1 if slot s holds the key of (name, tags). */
static int statsd_feed_slot_is(const statsd_keycache_slot_t *s, const statsd_line_t *line)
{
    /* (an empty slice may have a NULL pointer: memcmp only with bytes) */
    return s->name_n == line->name.n && s->tags_n == line->tags.n &&
           memcmp(s->raw, line->name.p, line->name.n) == 0 &&
           (!line->tags.n || memcmp(s->raw + line->name.n, line->tags.p, line->tags.n) == 0);
}

/* Builds the key of line into slot s, which it takes over (its ref too). */
static void statsd_feed_slot_fill(statsd_keycache_slot_t *s, const statsd_line_t *line)
{
    statsd_feed_key(&s->key, line);
    /* A refused key has no bytes worth keeping (its slice is unspecified);
     * one that points elsewhere than its buffer is copied in to be kept. */
    if (s->key.reject != INGEST_OK) {
        s->key.key = slice_make(s->key.buf, 0);
    } else if (s->key.key.p != s->key.buf) {
        memcpy(s->key.buf, s->key.key.p, s->key.key.n);
        s->key.key.p = s->key.buf;
    }
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
    /* FNV-1a over name, a separator, and tags; its low bits are poorly
     * mixed for names that differ in their last bytes ("load.s1",
     * "load.s2"), so the set comes from the top bits of a multiply. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < line->name.n; i++)
        h = (h ^ (unsigned char)line->name.p[i]) * 16777619u;
    h = (h ^ '|') * 16777619u;
    for (size_t i = 0; i < line->tags.n; i++)
        h = (h ^ (unsigned char)line->tags.p[i]) * 16777619u;
    uint32_t set = (uint32_t)(((uint64_t)h * 0x9E3779B97F4A7C15u) >> 56);
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
    const ingest_key_t *key = slot ? &slot->key : &scratch;
    store_ref_t *ref = slot ? &slot->ref : &line_ref;
    if (!slot)
        statsd_feed_key(&scratch, &line);
    if (line.n_values <= STATSD_VALUES_INLINE) { /* the parser converted them */
        for (size_t i = 0; i < line.n_values; i++)
            ingest_record_ref(sink, key, ref, line.value[i], weight);
        return;
    }
    slice_t values = line.values;
    double v;
    while (statsd_next_value(&values, &v))
        ingest_record_ref(sink, key, ref, v, weight);
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
