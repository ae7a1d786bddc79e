/* fuzz_statsd.c - libFuzzer target for the StatsD line parser.
 *
 * Splits the input into lines as a datagram and parses each; any violated
 * invariant aborts (a crash for libFuzzer and for the corpus replay in the
 * tests). The input comes in an exact-size buffer, so ASan catches a read
 * past it. It checks that:
 *   - the input is never written;
 *   - lines lie inside the input, in order, non-empty, without '\n', and
 *     the bytes between them are only '\n' and '\r';
 *   - an accepted line's slices lie inside the line; a latency line has
 *     n_values >= 1 finite values, and statsd_next_value() yields exactly
 *     n_values of them, the first STATSD_VALUES_INLINE bit for bit as the
 *     parser left them in value[]; its rate is in (0, 1]; its name is non-empty
 *     without control characters, '|' or ':';
 *   - the verdict on a line does not depend on the bytes after it (the
 *     line parsed again from a copy gives the same answer);
 *   - the labels exist for every verdict and kind.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/statsd.h"
#include "ingest/statsd_feed.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(slice_t s, const char *p, size_t n)
{
    return s.n == 0 || (s.p >= p && s.p + s.n <= p + n);
}

static void check_line(const char *p, size_t n)
{
    statsd_line_t a, b;
    statsd_error_t e = statsd_parse_line(p, n, &a);
    CHECK((unsigned)e < STATSD_ERR_COUNT && statsd_error_label(e)[0]);
    /* the same bytes alone, in a buffer of their own size */
    char *copy = malloc(n ? n : 1);
    memcpy(copy, p, n);
    statsd_error_t e2 = statsd_parse_line(copy, n, &b);
    CHECK(e2 == e);
    if (e == STATSD_OK) {
        CHECK((unsigned)a.kind < STATSD_KIND_COUNT && statsd_kind_label(a.kind)[0]);
        CHECK(a.kind == b.kind && a.n_values == b.n_values);
        CHECK(inside(a.name, p, n) && inside(a.values, p, n) && inside(a.tags, p, n));
        if (a.kind == STATSD_LATENCY) {
            CHECK(a.name.n > 0);
            for (size_t i = 0; i < a.name.n; i++) {
                unsigned char c = (unsigned char)a.name.p[i];
                CHECK(c >= 0x20 && c != 0x7f && c != '|' && c != ':');
            }
            CHECK(a.rate > 0.0 && a.rate <= 1.0 && a.rate == b.rate);
            CHECK(a.n_values >= 1);
            slice_t rest = a.values, rest2 = b.values;
            size_t count = 0;
            double v, v2;
            while (statsd_next_value(&rest, &v)) {
                CHECK(statsd_next_value(&rest2, &v2));
                CHECK(isfinite(v) && v == v2);
                /* the values converted while checking are the same bits */
                CHECK(count >= STATSD_VALUES_INLINE || memcmp(&a.value[count], &v, sizeof v) == 0);
                CHECK(++count <= a.n_values);
            }
            CHECK(count == a.n_values && rest.n == 0);
        }
    }
    free(copy);
}

/* The whole datagram through the ingest door into a small store: every
 * line is counted once, as a value kept or refused, or as ignored, the key
 * cache changes nothing, and no key the door builds breaks the store's
 * invariants (ASan/UBSan watch). */
static void check_feed(const char *p, size_t n)
{
    /* Two stores fed the same inputs, one through the key cache (twice, so
     * that it hits), one without: the outcomes must agree. */
    static store_t *plain, *cached;
    static statsd_keycache_t cache;
    if (!plain) {
        store_config_t cfg = {
            .window_s = 60, .raw_per_second = 4, .max_series = 64, .memory_limit = 8u << 20};
        plain = store_new(&cfg);
        cached = store_new(&cfg);
    }
    ingest_counts_t a, b;
    statsd_counts_t sa, sb;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    ingest_sink_t sink_a = {
        .store = plain, .counts = &a, .protocol = INGEST_STATSD, .now_ms = 1764160000000LL};
    ingest_sink_t sink_b = sink_a;
    sink_b.store = cached;
    sink_b.counts = &b;
    for (int round = 0; round < 2; round++) {
        statsd_feed_datagram(&sink_a, &sa, NULL, p, n);
        statsd_feed_datagram(&sink_b, &sb, &cache, p, n);
    }
    CHECK(memcmp(&a, &b, sizeof a) == 0 && memcmp(&sa, &sb, sizeof sa) == 0);
    uint64_t outcomes = a.accepted[INGEST_STATSD];
    for (int r = 0; r < INGEST_REJECT_COUNT; r++)
        outcomes += a.rejected[INGEST_STATSD][r];
    for (int k = 0; k < STATSD_KIND_COUNT; k++)
        outcomes += sa.ignored[k];
    CHECK(sa.datagrams == 2 && sa.bytes == 2 * n);
    CHECK(outcomes >= sa.lines); /* a latency line may hold several values */
    for (int p2 = 0; p2 < INGEST_PROTOCOL_COUNT; p2++)
        CHECK(p2 == INGEST_STATSD || a.accepted[p2] == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size, *cur = p, *prev_end = p;
    uint8_t *before = malloc(size ? size : 1);
    memcpy(before, data, size);
    slice_t line;
    while (statsd_next_line(&cur, end, &line)) {
        CHECK(line.n > 0 && line.p >= prev_end && line.p + line.n <= end);
        CHECK(memchr(line.p, '\n', line.n) == NULL);
        for (const char *q = prev_end; q < line.p; q++)
            CHECK(*q == '\n' || *q == '\r');
        check_line(line.p, line.n);
        prev_end = line.p + line.n;
    }
    for (const char *q = prev_end; q < end; q++)
        CHECK(*q == '\n' || *q == '\r');
    check_feed(p, size);
    CHECK(memcmp(before, data, size) == 0);
    free(before);
    return 0;
}
