/* summary.c - the live summary rows (see summary.h). */
#include "summary.h"

#include <stdlib.h>

void summary_encode(store_t *store, uint64_t seq, int64_t now_ms, const summary_server_t *server,
                    buf_t *out)
{
    /* Rates divide by the time a range has lived up to the store's clock:
     * bring it to now first (the once-a-second tick may lag by up to 1 s). */
    store_advance(store, now_ms);
    size_t n;
    const series_t **sorted = store_sorted(store, &n);
    /* Whole seconds only: the open second would under-count the rate. */
    int64_t until = now_ms - now_ms % 1000;
    int64_t since = until - SUMMARY_SECONDS * 1000;
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
    buf_append_cstr(out, "]}}");
    free(sorted);
}
