/* rollup.c - exact roll-ups across series (see rollup.h, docs/protocol.md). */
#include "rollup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/selector.h"
#include "../core/units.h"
#include "../core/xmalloc.h"
#include "../store/hist.h"

/* The quantiles every row carries. */
static const double rollup_qs[4] = {0.5, 0.9, 0.99, 0.999};

/* One matching series and the values of its `by` labels, packed as
 * (length byte, value) pairs so that comparing the bytes orders groups by
 * their values in turn. */
typedef struct rollup_entry {
    const series_t *series;
    char *group; /* packed values */
    size_t group_n;
} rollup_entry_t;

static int rollup_bad(buf_t *out, const char *message, const char *param, rollup_refusal_t *why)
{
    buf_reset(out);
    query_write_error(out, message, param);
    *why = ROLLUP_BAD_QUERY;
    return 400;
}

/* step: a duration ("10s", "1m") or whole seconds ("10"). */
static int rollup_parse_step(slice_t v, int64_t *step_ms)
{
    int64_t seconds = 0;
    if (units_parse_duration(v.p, v.n, step_ms) == 0)
        return *step_ms >= 1000 && *step_ms % 1000 == 0 ? 0 : -1;
    if (v.n == 0 || v.n > 9)
        return -1;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return -1;
        seconds = seconds * 10 + (v.p[i] - '0');
    }
    *step_ms = seconds * 1000;
    return seconds >= 1 ? 0 : -1;
}

/* The default step: the smallest "round" one giving at most
 * ROLLUP_TARGET_STEPS steps over the range. */
int64_t rollup_default_step(int64_t range_ms)
{
    static const int64_t steps_s[] = {1,   2,   5,    10,   15,   30,    60,    120,   300,
                                      600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
    for (size_t i = 0; i < sizeof steps_s / sizeof steps_s[0]; i++)
        if (range_ms <= steps_s[i] * 1000 * ROLLUP_TARGET_STEPS)
            return steps_s[i] * 1000;
    return (range_ms / ROLLUP_TARGET_STEPS / 86400000 + 1) * 86400000;
}

/* Reads the parameters into req (its selector parsed: free it after).
 * Returns 0 or the error status with the answer written. */
static int rollup_parse(store_t *store, const query_arg_t *args, size_t n_args, int64_t now_ms,
                        rollup_req_t *req, buf_t *out, rollup_refusal_t *why)
{
    int have_match = 0, have_step = 0;
    int64_t window_ms = (int64_t)store_config(store)->window_s * 1000;
    memset(req, 0, sizeof *req);
    req->since_ms = now_ms - window_ms;
    req->until_ms = now_ms + 1000; /* the current second, whole */
    for (size_t i = 0; i < n_args; i++) {
        slice_t k = args[i].key, v = args[i].value;
        int rc = 0;
        if (slice_eq_cstr(k, "match") && !have_match) {
            selector_error_t err;
            if (selector_parse(&req->match, v.p, v.n, &err) != 0) {
                char message[256];
                snprintf(message, sizeof message, "match: %s (at byte %zu)", err.message,
                         err.offset);
                return rollup_bad(out, message, "match", why);
            }
            have_match = 1;
            req->match_text = v;
        } else if (slice_eq_cstr(k, "by")) {
            const char *bad = selector_parse_by(v, req->by, &req->n_by);
            if (bad)
                rc = rollup_bad(out, bad, "by", why);
        } else if (slice_eq_cstr(k, "since") || slice_eq_cstr(k, "until")) {
            int64_t *t = k.p[0] == 's' ? &req->since_ms : &req->until_ms;
            if (query_parse_time(v, now_ms, t) != 0)
                rc = rollup_bad(out, QUERY_TIME_SYNTAX, k.p[0] == 's' ? "since" : "until", why);
        } else if (slice_eq_cstr(k, "step")) {
            have_step = 1;
            if (rollup_parse_step(v, &req->step_ms) != 0)
                rc = rollup_bad(out, "step: whole seconds, 1 s or more (10, 10s, 1m)", "step", why);
        } else {
            rc =
                rollup_bad(out,
                           slice_eq_cstr(k, "match")
                               ? "match given twice"
                               : "unknown query parameter (expected match, by, since, until, step)",
                           slice_eq_cstr(k, "match") ? "match" : "param", why);
        }
        if (rc != 0) {
            if (have_match)
                selector_free(&req->match);
            return rc;
        }
    }
    if (!have_match)
        return rollup_bad(out, "match is required: a selector such as name{label=\"value\"}",
                          "match", why);
    /* The window bounds what can hold data; a range outside it is empty. */
    if (req->since_ms < now_ms - window_ms)
        req->since_ms = now_ms - window_ms;
    if (req->until_ms > now_ms + STORE_FUTURE_MS + 1000)
        req->until_ms = now_ms + STORE_FUTURE_MS + 1000;
    if (req->since_ms >= req->until_ms) {
        selector_free(&req->match);
        return rollup_bad(out, "since must be before until (within the window)", "since", why);
    }
    if (!have_step)
        req->step_ms = rollup_default_step(req->until_ms - req->since_ms);
    return 0;
}

/* Packs the `by` values of a series (see rollup_entry_t). */
static void rollup_group_of(const rollup_req_t *req, rollup_entry_t *e)
{
    char value[SERIESNAME_MAX];
    buf_t b;
    buf_init(&b);
    for (size_t k = 0; k < req->n_by; k++) {
        size_t n = selector_label_value(series_name(e->series), req->by[k], value);
        unsigned char len = (unsigned char)n; /* n <= SERIESNAME_MAX < 256 */
        buf_append(&b, &len, 1);
        buf_append(&b, value, n);
    }
    e->group = b.p;
    e->group_n = b.len;
}

static int rollup_cmp(const void *pa, const void *pb)
{
    const rollup_entry_t *a = pa, *b = pb;
    size_t n = a->group_n < b->group_n ? a->group_n : b->group_n;
    int c = n ? memcmp(a->group, b->group, n) : 0;
    if (c)
        return c;
    if (a->group_n != b->group_n)
        return a->group_n < b->group_n ? -1 : 1;
    slice_t x = series_name(a->series), y = series_name(b->series);
    c = memcmp(x.p, y.p, x.n < y.n ? x.n : y.n);
    return c ? c : (x.n > y.n) - (x.n < y.n);
}

static int rollup_same_group(const rollup_entry_t *a, const rollup_entry_t *b)
{
    return a->group_n == b->group_n && (a->group_n == 0 || !memcmp(a->group, b->group, a->group_n));
}

/* The row of one merge: [count, rate, sum, min, max, p50, p90, p99, p999]
 * after its first column; seconds is what the rate divides by. */
static void rollup_row(buf_t *out, hist_acc_t *acc, const series_agg_t *agg, double seconds)
{
    double q[4];
    hist_acc_quantiles(acc, agg->min, agg->max, rollup_qs, 4, q);
    buf_append_cstr(out, ",");
    buf_json_int(out, (int64_t)agg->count);
    buf_append_cstr(out, ",");
    buf_json_double(out, seconds > 0 ? (double)agg->count / seconds : 0);
    const double v[7] = {agg->sum, agg->min, agg->max, q[0], q[1], q[2], q[3]};
    for (int i = 0; i < 7; i++) {
        buf_append_cstr(out, ",");
        buf_json_double(out, v[i]);
    }
}

/* Seconds of [lo, hi) that have lived by now (at least the part up to
 * now; a range wholly ahead of now counts whole). */
static double rollup_seconds(int64_t lo, int64_t hi, int64_t now_ms)
{
    int64_t end = hi < now_ms ? hi : now_ms;
    if (end <= lo)
        end = hi;
    return (double)(end - lo) / 1000.0;
}

/* Adds the aggregates b to a. */
static void rollup_agg_add(series_agg_t *a, const series_agg_t *b)
{
    if (b->count == 0)
        return;
    if (a->count == 0 || b->min < a->min)
        a->min = b->min;
    if (a->count == 0 || b->max > a->max)
        a->max = b->max;
    a->count += b->count;
    a->sum += b->sum;
}

/* One group: entries e[0..n) share their `by` values. One walk over each
 * series' seconds: a cursor per series moves step by step, and the range's
 * summary is the sum of the steps (each second lies in exactly one step:
 * steps are whole seconds, aligned), so nothing is merged twice. */
static void rollup_group(const store_t *store, const rollup_req_t *req, const rollup_entry_t *e,
                         size_t n, int64_t first_step, int64_t now_ms, hist_acc_t *acc,
                         hist_acc_t *whole, buf_t *out)
{
    series_agg_t total = {0, 0, 0, 0};
    series_cursor_t *cur = xmalloc((n ? n : 1) * sizeof *cur);
    for (size_t i = 0; i < n; i++)
        series_cursor_init(store, e[i].series, req->since_ms, &cur[i]);
    buf_append_cstr(out, "{\"labels\":{");
    for (size_t k = 0, at = 0; k < req->n_by; k++) {
        unsigned char len = (unsigned char)e->group[at];
        buf_append_cstr(out, k ? "," : "");
        buf_json_string(out, req->by[k].p, req->by[k].n);
        buf_append_cstr(out, ":");
        buf_json_string(out, e->group + at + 1, len);
        at += 1u + len;
    }
    buf_append_cstr(out, "},\"series\":");
    buf_json_int(out, (int64_t)n);
    buf_append_cstr(out, ",\"steps\":[");
    hist_acc_clear(whole);
    size_t rows = 0;
    for (int64_t t = first_step; t < req->until_ms; t += req->step_ms) {
        int64_t lo = t < req->since_ms ? req->since_ms : t;
        int64_t hi = t + req->step_ms > req->until_ms ? req->until_ms : t + req->step_ms;
        series_agg_t step = {0, 0, 0, 0};
        hist_acc_clear(acc);
        for (size_t i = 0; i < n; i++) {
            if (i + 2 < n)
                series_cursor_prefetch(&cur[i + 2], 0);
            if (i + 1 < n)
                series_cursor_prefetch(&cur[i + 1], 1);
            series_cursor_merge(&cur[i], hi, acc, &step);
        }
        if (step.count == 0)
            continue; /* no samples: left out (a gap) */
        buf_append_cstr(out, rows++ ? ",[" : "[");
        buf_json_int(out, t);
        rollup_row(out, acc, &step, rollup_seconds(lo, hi, now_ms));
        buf_append_cstr(out, "]");
        hist_acc_merge(whole, acc);
        rollup_agg_add(&total, &step);
    }
    buf_append_cstr(out, "],\"summary\":[");
    buf_json_int(out, req->since_ms);
    rollup_row(out, whole, &total, rollup_seconds(req->since_ms, req->until_ms, now_ms));
    buf_append_cstr(out, "]}");
    free(cur);
}

/* The first second changed after epoch among the series of e[0..n) that
 * starts at or after from_ms (INT64_MAX: none). O(1) per unchanged series. */
static int rollup_stop_at_first(void *ctx, const series_second_t *sec)
{
    (void)ctx;
    (void)sec;
    return 1;
}

static int64_t rollup_first_change(const rollup_entry_t *e, size_t n, int64_t from_ms,
                                   uint32_t epoch)
{
    int64_t first = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (series_epoch(e[i].series) <= epoch)
            continue;
        int64_t t = series_foreach_changed(e[i].series, from_ms, epoch, rollup_stop_at_first, NULL);
        if (t < first)
            first = t;
    }
    return first;
}

/* The start of the step holding t (steps are aligned to the epoch). */
static int64_t rollup_step_floor(int64_t t, int64_t step_ms)
{
    return (t >= 0 ? t / step_ms : -((-t - 1) / step_ms) - 1) * step_ms;
}

static rollup_refusal_t rollup_refuse(rollup_error_t *err, rollup_refusal_t why, const char *param,
                                      const char *message)
{
    err->why = why;
    err->param = param;
    snprintf(err->message, sizeof err->message, "%s", message);
    return why;
}

/* Appends the answer's header: what was asked and the columns. */
static void rollup_write_head(buf_t *out, const rollup_req_t *req, size_t n_series)
{
    buf_append_cstr(out, "{\"match\":");
    buf_json_string(out, req->match_text.p, req->match_text.n);
    buf_append_cstr(out, ",\"by\":[");
    for (size_t k = 0; k < req->n_by; k++) {
        buf_append_cstr(out, k ? "," : "");
        buf_json_string(out, req->by[k].p, req->by[k].n);
    }
    buf_append_cstr(out, "],\"since_ms\":");
    buf_json_int(out, req->since_ms);
    buf_append_cstr(out, ",\"until_ms\":");
    buf_json_int(out, req->until_ms);
    buf_append_cstr(out, ",\"step_ms\":");
    buf_json_int(out, req->step_ms);
    buf_append_cstr(out, ",\"series\":");
    buf_json_int(out, (int64_t)n_series);
    buf_append_cstr(out, ",\"columns\":[\"start_ms\",\"count\",\"rate_per_s\",\"sum\",\"min\","
                         "\"max\",\"p50\",\"p90\",\"p99\",\"p999\"],\"groups\":[");
}

rollup_refusal_t rollup_run(const store_t *store, const series_t *const *all, size_t n_all,
                            rollup_req_t *req, int64_t now_ms, size_t max_series,
                            uint32_t changed_after, int64_t open_ms, buf_t *out,
                            rollup_error_t *err)
{
    rollup_refusal_t why = ROLLUP_OK;
    size_t n = 0;
    rollup_entry_t *e = xcalloc(max_series + 1, sizeof *e);
    selector_new_budget(&req->match);
    for (size_t i = 0; i < n_all && why == ROLLUP_OK; i++) {
        int m = selector_matches(&req->match, series_name(all[i]));
        if (m < 0) {
            why = rollup_refuse(err, ROLLUP_BAD_QUERY, "match", QUERY_REGEX_BUDGET);
        } else if (m && n == max_series) {
            why = rollup_refuse(err, ROLLUP_SERIES_LIMIT, "match", "");
            snprintf(err->message, sizeof err->message,
                     "the selector matches more than %zu series (--max-rollup-series): narrow it",
                     max_series);
        } else if (m) {
            e[n++].series = all[i];
        }
    }
    if (why == ROLLUP_OK && changed_after) {
        int64_t first = rollup_first_change(e, n, req->since_ms, changed_after);
        if (first > open_ms)
            first = open_ms;
        if (first > req->since_ms)
            req->since_ms = rollup_step_floor(first, req->step_ms);
    }
    for (size_t i = 0; why == ROLLUP_OK && i < n; i++)
        rollup_group_of(req, &e[i]);
    if (why == ROLLUP_OK)
        qsort(e, n, sizeof *e, rollup_cmp);
    size_t groups = 0;
    for (size_t i = 0; why == ROLLUP_OK && i < n; i++)
        groups += i == 0 || !rollup_same_group(&e[i - 1], &e[i]);
    int64_t first_step = rollup_step_floor(req->since_ms, req->step_ms);
    int64_t steps = (req->until_ms - first_step + req->step_ms - 1) / req->step_ms;
    if (why == ROLLUP_OK && (int64_t)groups * steps > ROLLUP_MAX_CELLS)
        why = rollup_refuse(err, ROLLUP_BAD_QUERY, "step",
                            "groups x steps over 100000: use a larger step, a shorter range or "
                            "fewer groups");
    if (why == ROLLUP_OK) {
        hist_acc_t *acc = hist_acc_new(), *whole = hist_acc_new();
        rollup_write_head(out, req, n);
        for (size_t i = 0, g = 0; i < n; g++) {
            size_t j = i + 1;
            while (j < n && rollup_same_group(&e[i], &e[j]))
                j++;
            buf_append_cstr(out, g ? "," : "");
            rollup_group(store, req, &e[i], j - i, first_step, now_ms, acc, whole, out);
            i = j;
        }
        buf_append_cstr(out, "]}");
        hist_acc_free(acc);
        hist_acc_free(whole);
    }
    for (size_t i = 0; i < n; i++)
        free(e[i].group);
    free(e);
    return why;
}

int query_rollup(store_t *store, const query_arg_t *args, size_t n_args, int64_t now_ms,
                 size_t max_series, buf_t *out, rollup_refusal_t *why)
{
    rollup_req_t req;
    rollup_error_t err;
    *why = ROLLUP_OK;
    store_advance(store, now_ms);
    int rc = rollup_parse(store, args, n_args, now_ms, &req, out, why);
    if (rc != 0)
        return rc;
    size_t n_all;
    const series_t **all = store_sorted(store, &n_all);
    *why = rollup_run(store, all, n_all, &req, now_ms, max_series, 0, now_ms, out, &err);
    free(all);
    selector_free(&req.match);
    if (*why == ROLLUP_OK)
        return 200;
    rollup_refusal_t kind = err.why;
    rollup_bad(out, err.message, err.param, why);
    *why = kind;
    return 400;
}
