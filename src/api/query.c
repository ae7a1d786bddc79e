/* query.c - JSON answers of the query API (see query.h, docs/protocol.md). */
#include "query.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/units.h"
#include "../core/xmalloc.h"

void query_write_error(buf_t *out, const char *message, const char *param)
{
    buf_append_cstr(out, "{\"error\":");
    buf_json_string(out, message, strlen(message));
    if (param) {
        buf_append_cstr(out, ",\"param\":");
        buf_json_string(out, param, strlen(param));
    }
    buf_append_cstr(out, "}");
}

/* The window as a [since, until) range ending after the current second
 * (samples may be stamped up to STORE_FUTURE_MS ahead). */
static void query_window(store_t *store, int64_t now_ms, int64_t *since, int64_t *until)
{
    int64_t window_ms = (int64_t)store_config(store)->window_s * 1000;
    *since = now_ms - window_ms;
    *until = now_ms + STORE_FUTURE_MS + 1000;
}

static void query_summary_fields(buf_t *out, const series_summary_t *s)
{
    buf_append_cstr(out, "\"count\":");
    buf_json_int(out, (int64_t)s->count);
    buf_append_cstr(out, ",\"sum\":");
    buf_json_double(out, s->sum);
    buf_append_cstr(out, ",\"min\":");
    buf_json_double(out, s->min);
    buf_append_cstr(out, ",\"max\":");
    buf_json_double(out, s->max);
    buf_append_cstr(out, ",\"p50\":");
    buf_json_double(out, s->p50);
    buf_append_cstr(out, ",\"p90\":");
    buf_json_double(out, s->p90);
    buf_append_cstr(out, ",\"p99\":");
    buf_json_double(out, s->p99);
}

int query_series_list(store_t *store, selector_t *match, int64_t now_ms, buf_t *out)
{
    store_advance(store, now_ms); /* the store's clock to now: rates, expiry */
    size_t n;
    const series_t **sorted = store_sorted(store, &n);
    int64_t since, until;
    query_window(store, now_ms, &since, &until);
    buf_append_cstr(out, "{\"now_ms\":");
    buf_json_int(out, now_ms);
    buf_append_cstr(out, ",\"window_s\":");
    buf_json_int(out, store_config(store)->window_s);
    buf_append_cstr(out, ",\"rate_seconds\":");
    buf_json_int(out, QUERY_RATE_SECONDS);
    buf_append_cstr(out, ",\"series\":[");
    size_t listed = 0;
    for (size_t i = 0; i < n; i++) {
        const series_t *s = sorted[i];
        series_summary_t all, recent;
        int m = match ? selector_matches(match, series_name(s)) : 1;
        if (m < 0) {
            free(sorted);
            buf_reset(out);
            query_write_error(out, QUERY_REGEX_BUDGET, "match");
            return 400;
        }
        if (!m)
            continue;
        series_summarize(store, s, since, until, &all);
        /* Rate over the last whole seconds: the open second would under-count. */
        int64_t recent_until = now_ms - now_ms % 1000;
        series_summarize(store, s, recent_until - QUERY_RATE_SECONDS * 1000, recent_until, &recent);
        slice_t name = series_name(s);
        buf_append_cstr(out, listed++ ? ",{\"name\":" : "{\"name\":");
        buf_json_string(out, name.p, name.n);
        buf_append_cstr(out, ",");
        query_summary_fields(out, &all);
        buf_append_cstr(out, ",\"rate_per_s\":");
        buf_json_double(out, recent.rate_per_s);
        buf_append_cstr(out, ",\"last_seen_ms\":");
        buf_json_int(out, all.last_seen_ms);
        buf_append_cstr(out, "}");
    }
    buf_append_cstr(out, "]}");
    free(sorted);
    return 200;
}

/* Parses a query parameter as a non-negative integer of unix ms. */
static int query_parse_ms(slice_t v, int64_t *out)
{
    if (v.n == 0 || v.n > 18)
        return -1;
    int64_t x = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return -1;
        x = x * 10 + (v.p[i] - '0');
    }
    *out = x;
    return 0;
}

int query_parse_time(slice_t v, int64_t now_ms, int64_t *out)
{
    int64_t ago;
    if (slice_eq_cstr(v, "now")) {
        *out = now_ms;
        return 0;
    }
    if (v.n > 1 && v.p[0] == '-') {
        if (units_parse_duration(v.p + 1, v.n - 1, &ago) != 0)
            return -1;
        *out = now_ms - ago;
        return 0;
    }
    return query_parse_ms(v, out);
}

typedef struct query_rows {
    buf_t *out;
    size_t n;
} query_rows_t;

static void query_second_row(void *ctx, const series_second_t *sec)
{
    query_rows_t *r = ctx;
    buf_t *out = r->out;
    buf_append_cstr(out, r->n++ ? ",[" : "[");
    buf_json_int(out, sec->start_ms);
    buf_append_cstr(out, ",");
    buf_json_int(out, (int64_t)sec->count);
    const double v[] = {sec->sum, sec->min, sec->max, sec->p50, sec->p90, sec->p99};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        buf_append_cstr(out, ",");
        buf_json_double(out, v[i]);
    }
    buf_append_cstr(out, "]");
}

static void query_raw_row(void *ctx, int64_t ts_ms, double ms)
{
    query_rows_t *r = ctx;
    buf_append_cstr(r->out, r->n++ ? ",[" : "[");
    buf_json_int(r->out, ts_ms);
    buf_append_cstr(r->out, ",");
    buf_json_float(r->out, (float)ms);
    buf_append_cstr(r->out, "]");
}

int query_series_get(store_t *store, slice_t name, const query_arg_t *args, size_t n_args,
                     int64_t now_ms, buf_t *out)
{
    int64_t since, until;
    query_window(store, now_ms, &since, &until);
    for (size_t i = 0; i < n_args; i++) {
        int64_t *target = NULL;
        if (slice_eq_cstr(args[i].key, "since"))
            target = &since;
        else if (slice_eq_cstr(args[i].key, "until"))
            target = &until;
        else {
            char key[65];
            size_t n = args[i].key.n > 64 ? 64 : args[i].key.n;
            memcpy(key, args[i].key.p, n);
            key[n] = '\0';
            query_write_error(out, "unknown query parameter (expected since, until)", key);
            return 400;
        }
        if (query_parse_time(args[i].value, now_ms, target) != 0) {
            query_write_error(out, QUERY_TIME_SYNTAX, target == &since ? "since" : "until");
            return 400;
        }
    }
    if (since >= until) {
        query_write_error(out, "since must be before until", "since");
        return 400;
    }
    store_advance(store, now_ms);
    const series_t *s = store_find(store, name);
    if (!s) {
        buf_append_cstr(out, "{\"error\":\"no such series in the window\",\"series\":");
        buf_json_string(out, name.p, name.n);
        buf_append_cstr(out, "}");
        return 404;
    }
    series_summary_t sum;
    series_summarize(store, s, since, until, &sum);
    buf_append_cstr(out, "{\"name\":");
    buf_json_string(out, name.p, name.n);
    buf_append_cstr(out, ",\"since_ms\":");
    buf_json_int(out, since);
    buf_append_cstr(out, ",\"until_ms\":");
    buf_json_int(out, until);
    buf_append_cstr(out, ",\"summary\":{");
    query_summary_fields(out, &sum);
    buf_append_cstr(out, ",\"rate_per_s\":");
    buf_json_double(out, sum.rate_per_s);
    buf_append_cstr(out, ",\"last_seen_ms\":");
    buf_json_int(out, sum.last_seen_ms);
    buf_append_cstr(out, "},\"seconds_columns\":[\"start_ms\",\"count\",\"sum\",\"min\",\"max\","
                         "\"p50\",\"p90\",\"p99\"],\"seconds\":[");
    query_rows_t rows = {out, 0};
    series_foreach_second(store, s, since, until, query_second_row, &rows);
    buf_append_cstr(out, "],\"raw_columns\":[\"ts_ms\",\"ms\"],\"raw\":[");
    rows.n = 0;
    series_foreach_raw(s, since, until, query_raw_row, &rows);
    buf_append_cstr(out, "]}");
    return 200;
}
