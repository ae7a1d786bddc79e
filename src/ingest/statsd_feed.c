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

/* The key of a line, from the cache when its (name, tags) were seen. */
static const ingest_key_t *statsd_feed_cached_key(statsd_keycache_t *cache, ingest_key_t *scratch,
                                                  const statsd_line_t *line)
{
    size_t raw_n = line->name.n + line->tags.n;
    if (!cache || raw_n > STATSD_KEYCACHE_RAW) {
        statsd_feed_key(scratch, line);
        return scratch;
    }
    /* FNV-1a over name, a separator, and tags. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < line->name.n; i++)
        h = (h ^ (unsigned char)line->name.p[i]) * 16777619u;
    h = (h ^ '|') * 16777619u;
    for (size_t i = 0; i < line->tags.n; i++)
        h = (h ^ (unsigned char)line->tags.p[i]) * 16777619u;
    statsd_keycache_slot_t *s = &cache->slot[h % STATSD_KEYCACHE_SLOTS];
    /* (an empty slice may have a NULL pointer: memcmp/memcpy only with bytes) */
    if (s->name_n == line->name.n && s->tags_n == line->tags.n &&
        memcmp(s->raw, line->name.p, line->name.n) == 0 &&
        (!line->tags.n || memcmp(s->raw + line->name.n, line->tags.p, line->tags.n) == 0))
        return &s->key;
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
    return &s->key;
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
    /* 1/rate rounded: @0.1 is 10 samples, @0.3 is 3, @0.75 is 1. */
    uint32_t weight = (uint32_t)lround(1.0 / line.rate);
    if (weight == 0)
        weight = 1;
    ingest_key_t scratch;
    const ingest_key_t *key = statsd_feed_cached_key(cache, &scratch, &line);
    if (line.n_values <= STATSD_VALUES_INLINE) { /* the parser read them already */
        for (size_t i = 0; i < line.n_values; i++)
            ingest_record(sink, key, 0, 0, line.value[i], weight);
        return;
    }
    slice_t values = line.values;
    double v;
    while (statsd_next_value(&values, &v))
        ingest_record(sink, key, 0, 0, v, weight);
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
