/* summary.c - the live summary rows (see summary.h). */
#include "summary.h"

#include <stdlib.h>

/* The rows array's content (between "rows":[ and ]) over the closed
 * seconds [until - SUMMARY_SECONDS, until). */
static void summary_rows(store_t *store, int64_t until, buf_t *out)
{
    size_t n;
    const series_t **sorted = store_sorted(store, &n);
    int64_t since = until - SUMMARY_SECONDS * 1000;
    for (size_t i = 0; i < n; i++) {
        series_summary_t s;
        series_summarize(store, sorted[i], since, until, &s);
        slice_t name = series_name(sorted[i]);
        buf_append_cstr(out, i ? ",[" : "[");
        buf_json_string(out, name.p, name.n);
        const double v[] = {s.rate_per_s, (double)s.count, s.p50, s.p99, s.max};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
            buf_append_cstr(out, ",");
            buf_json_double(out, v[k]);
        }
        buf_append_cstr(out, "]");
    }
    free(sorted);
}

static void summary_head(uint64_t seq, int64_t now_ms, const summary_server_t *server, buf_t *out)
{
    buf_append_cstr(out, "{\"type\":\"update\",\"seq\":");
    buf_json_int(out, (int64_t)seq);
    buf_append_cstr(out, ",\"now_ms\":");
    buf_json_int(out, now_ms);
    buf_append_cstr(out, ",\"server\":{\"clients\":");
    buf_json_int(out, server->clients);
    buf_append_cstr(out, ",\"ingest_per_s\":");
    buf_json_double(out, server->ingest_per_s);
    buf_append_cstr(out, "}");
    buf_printf(out,
               ",\"summary\":{\"seconds\":%d,\"columns\":[\"name\",\"rate\",\"count\","
               "\"p50\",\"p99\",\"max\"],\"rows\":[",
               SUMMARY_SECONDS);
}

/* Whole seconds only: the open second would under-count the rate. */
static int64_t summary_until(int64_t now_ms)
{
    return now_ms - now_ms % 1000;
}

void summary_encode(store_t *store, uint64_t seq, int64_t now_ms, const summary_server_t *server,
                    buf_t *out)
{
    /* Rates divide by the time a range has lived up to the store's clock:
     * bring it to now first (the once-a-second tick may lag by up to 1 s). */
    store_advance(store, now_ms);
    summary_head(seq, now_ms, server, out);
    summary_rows(store, summary_until(now_ms), out);
    buf_append_cstr(out, "]}}");
}

void summary_cache_init(summary_cache_t *c)
{
    buf_init(&c->rows);
    c->valid = 0;
    c->encodes = 0;
}

void summary_cache_dispose(summary_cache_t *c)
{
    buf_dispose(&c->rows);
}

void summary_encode_cached(store_t *store, summary_cache_t *c, uint64_t seq, int64_t now_ms,
                           const summary_server_t *server, buf_t *out)
{
    store_advance(store, now_ms);
    int64_t until = summary_until(now_ms);
    uint64_t gen = store_summary_gen(store);
    if (!c->valid || c->until_ms != until || c->gen != gen) {
        buf_reset(&c->rows);
        summary_rows(store, until, &c->rows);
        c->until_ms = until;
        c->gen = gen;
        c->valid = 1;
        c->encodes++;
    }
    summary_head(seq, now_ms, server, out);
    buf_append(out, c->rows.p, c->rows.len);
    buf_append_cstr(out, "]}}");
}
