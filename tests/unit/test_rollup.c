/* test_rollup.c - roll-ups are exact (GET /api/v1/rollup, api/rollup.c).
 *
 * Property tests on random label sets and random data: for every group and
 * every step, the roll-up's count, sum, min and max are those of the union
 * of the group's samples, its quantiles are those of the histogram of that
 * union (bucket for bucket the same histogram, so the very same numbers)
 * and within 1% of the exact sorted quantiles; merging by a label and then
 * merging the groups is merging all. Then the bounds and the refusals. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "api/rollup.h"
#include "core/selector.h"
#include "store/hist.h"
#include "../support/test_rng.h"

#define NOW        INT64_C(1800000000000)
#define N_SAMPLES  20000
#define RANGE_S    300
#define N_ROUTES   3
#define N_STATUSES 2
#define N_ZONES    3 /* the last: no zone label */

static const char *const routes[N_ROUTES] = {"/a", "/b", "/c"};
static const char *const statuses[N_STATUSES] = {"200", "500"};
static const char *const zones[N_ZONES] = {"eu", "us", ""};

typedef struct sample {
    int route, status, zone;
    int64_t ts;
    double ms;
} sample_t;

static sample_t samples[N_SAMPLES];
static store_t *store;

/* The canonical key of a label combination (labels sorted: route, status, zone). */
static void key_of(int r, int st, int z, char *out, size_t cap)
{
    if (zones[z][0])
        snprintf(out, cap, "api{route=\"%s\",status=\"%s\",zone=\"%s\"}", routes[r], statuses[st],
                 zones[z]);
    else
        snprintf(out, cap, "api{route=\"%s\",status=\"%s\"}", routes[r], statuses[st]);
}

static int setup(void **state)
{
    (void)state;
    store_config_t cfg = {
        .window_s = 600, .raw_per_second = 16, .max_series = 1000, .memory_limit = 64u << 20};
    store = store_new(&cfg);
    test_rng_t rng = {TEST_RNG_XORSHIFT64_STAR, 42};
    for (size_t i = 0; i < N_SAMPLES; i++) {
        sample_t *s = &samples[i];
        s->route = (int)(test_rng_next(&rng) % N_ROUTES);
        s->status = (int)(test_rng_next(&rng) % N_STATUSES);
        s->zone = (int)(test_rng_next(&rng) % N_ZONES);
        s->ts = NOW - 1 - (int64_t)(test_rng_next(&rng) % (RANGE_S * 1000));
        s->ms = round(test_rng_lognormal(&rng) * 1000) / 1000 + (s->status ? 100 : 0);
        char key[SERIESNAME_MAX];
        key_of(s->route, s->status, s->zone, key, sizeof key);
        assert_int_equal(store_record(store, slice_cstr(key), s->ts, s->ms, NOW), STORE_OK);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_free(store);
    return 0;
}

/* ---- the answer ---- */

static cJSON *rollup(const char *match, const char *by, int64_t since, int64_t until,
                     const char *step, int want_status)
{
    query_arg_t args[5];
    size_t n = 0;
    char since_s[32], until_s[32];
    snprintf(since_s, sizeof since_s, "%lld", (long long)since);
    snprintf(until_s, sizeof until_s, "%lld", (long long)until);
    args[n++] = (query_arg_t){slice_cstr("match"), slice_cstr(match)};
    if (by)
        args[n++] = (query_arg_t){slice_cstr("by"), slice_cstr(by)};
    args[n++] = (query_arg_t){slice_cstr("since"), slice_cstr(since_s)};
    args[n++] = (query_arg_t){slice_cstr("until"), slice_cstr(until_s)};
    if (step)
        args[n++] = (query_arg_t){slice_cstr("step"), slice_cstr(step)};
    buf_t out;
    buf_init(&out);
    rollup_refusal_t why;
    int status = query_rollup(store, args, n, NOW, 1000, &out, &why);
    if (status != want_status)
        fail_msg("%s by %s: %d %.*s", match, by ? by : "-", status, (int)out.len, out.p);
    cJSON *j = cJSON_ParseWithLength(out.p, out.len);
    assert_non_null(j);
    buf_dispose(&out);
    return j;
}

/* ---- the expectation, computed from the samples themselves ---- */

typedef int (*sample_pred_t)(const sample_t *s);

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Checks one row [start, count, rate, sum, min, max, p50, p90, p99, p999]
 * against the samples for which in() holds with lo <= ts < hi. */
static void row_matches(const cJSON *row, int (*in)(const sample_t *, const void *),
                        const void *ctx, int64_t lo, int64_t hi)
{
    static double v[N_SAMPLES];
    size_t n = 0;
    double sum = 0;
    hist_acc_t *acc = hist_acc_new();
    for (size_t i = 0; i < N_SAMPLES; i++) {
        const sample_t *s = &samples[i];
        /* the store's resolution is the second: a second is in when it overlaps */
        int64_t sec = s->ts / 1000 * 1000;
        if (sec + 1000 <= lo || sec >= hi || !in(s, ctx))
            continue;
        v[n++] = s->ms;
        sum += s->ms;
        hist_acc_add(acc, hist_bucket(s->ms), 1);
    }
    assert_true(cJSON_GetArraySize(row) == 10);
    double got[10];
    for (int i = 0; i < 10; i++)
        got[i] = cJSON_GetArrayItem(row, i)->valuedouble;
    assert_int_equal((uint64_t)got[1], n);
    if (n == 0) {
        hist_acc_free(acc);
        return;
    }
    qsort(v, n, sizeof *v, cmp_double);
    assert_true(fabs(got[3] - sum) <= 1e-9 * sum);
    assert_true(got[4] == v[0]);
    assert_true(got[5] == v[n - 1]);
    /* the histogram of the union: the very same quantiles */
    static const double qs[4] = {0.5, 0.9, 0.99, 0.999};
    double want[4];
    hist_acc_quantiles(acc, v[0], v[n - 1], qs, 4, want);
    for (int k = 0; k < 4; k++) {
        double exact = v[hist_rank(qs[k], n) - 1];
        if (got[6 + k] != want[k])
            fail_msg("q%g: %.17g, the union's histogram says %.17g", qs[k], got[6 + k], want[k]);
        assert_true(fabs(got[6 + k] - exact) <= 0.01 * exact);
    }
    hist_acc_free(acc);
}

/* A group: which samples it holds. */
typedef struct group_pred {
    int (*selected)(const sample_t *s); /* the selector */
    int by_route, by_status, by_zone;   /* the by labels */
    int route, status, zone;            /* the group's values */
} group_pred_t;

static int in_group(const sample_t *s, const void *ctx)
{
    const group_pred_t *g = ctx;
    return g->selected(s) && (!g->by_route || s->route == g->route) &&
           (!g->by_status || s->status == g->status) && (!g->by_zone || s->zone == g->zone);
}

static int index_of(const char *const *names, int n, const char *v)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], v) == 0)
            return i;
    fail_msg("unexpected label value %s", v);
    return -1;
}

/* The whole answer against the samples: every group, its summary, every step. */
static size_t answer_matches(const cJSON *j, group_pred_t g, int64_t since, int64_t until)
{
    int64_t step = (int64_t)cJSON_GetObjectItem(j, "step_ms")->valuedouble;
    const cJSON *groups = cJSON_GetObjectItem(j, "groups");
    size_t total = 0;
    const cJSON *grp;
    cJSON_ArrayForEach(grp, groups)
    {
        const cJSON *labels = cJSON_GetObjectItem(grp, "labels");
        const cJSON *v;
        if (g.by_route && (v = cJSON_GetObjectItem(labels, "route")))
            g.route = index_of(routes, N_ROUTES, v->valuestring);
        if (g.by_status && (v = cJSON_GetObjectItem(labels, "status")))
            g.status = index_of(statuses, N_STATUSES, v->valuestring);
        if (g.by_zone && (v = cJSON_GetObjectItem(labels, "zone")))
            g.zone = index_of(zones, N_ZONES, v->valuestring);
        const cJSON *summary = cJSON_GetObjectItem(grp, "summary");
        row_matches(summary, in_group, &g, since, until);
        total += (size_t)cJSON_GetArrayItem(summary, 1)->valuedouble;
        const cJSON *row;
        size_t rows_count = 0;
        cJSON_ArrayForEach(row, cJSON_GetObjectItem(grp, "steps"))
        {
            int64_t t = (int64_t)cJSON_GetArrayItem(row, 0)->valuedouble;
            assert_int_equal(t % step, 0); /* aligned */
            int64_t lo = t < since ? since : t, hi = t + step > until ? until : t + step;
            row_matches(row, in_group, &g, lo, hi);
            rows_count += (size_t)cJSON_GetArrayItem(row, 1)->valuedouble;
        }
        /* the steps hold every sample of the range: none lost, none twice */
        assert_int_equal(rows_count, (size_t)cJSON_GetArrayItem(summary, 1)->valuedouble);
    }
    return total;
}

static int sel_all(const sample_t *s)
{
    (void)s;
    return 1;
}

static int sel_500(const sample_t *s)
{
    return s->status == 1;
}

static int sel_ab(const sample_t *s)
{
    return s->route != 2;
}

static int sel_zoned(const sample_t *s)
{
    return zones[s->zone][0] != '\0';
}

static void test_groups_are_exact(void **state)
{
    (void)state;
    int64_t since = NOW - RANGE_S * 1000, until = NOW + 1000;
    struct {
        const char *match, *by, *step;
        group_pred_t g;
        size_t groups;
    } cases[] = {
        {"api", "route", "60s", {sel_all, 1, 0, 0, 0, 0, 0}, 3},
        {"api", NULL, "10s", {sel_all, 0, 0, 0, 0, 0, 0}, 1},
        {"api{status=\"500\"}", "zone", "1m", {sel_500, 0, 0, 1, 0, 0, 0}, 3},
        {"{route=~\"/a|/b\"}", "status,zone", "30", {sel_ab, 0, 1, 1, 0, 0, 0}, 6},
        {"api{zone!=\"\"}", "zone,route", NULL, {sel_zoned, 1, 0, 1, 0, 0, 0}, 6},
        {"api{route!~\"/c\"}", "__name__", "5m", {sel_ab, 0, 0, 0, 0, 0, 0}, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        cJSON *j = rollup(cases[c].match, cases[c].by, since, until, cases[c].step, 200);
        assert_int_equal((size_t)cJSON_GetArraySize(cJSON_GetObjectItem(j, "groups")),
                         cases[c].groups);
        answer_matches(j, cases[c].g, since, until);
        cJSON_Delete(j);
    }
}

static void test_steps_not_aligned_with_the_range(void **state)
{
    (void)state;
    /* a range that starts and ends inside steps: the partial steps hold
     * only the range's seconds */
    int64_t since = NOW - 123456, until = NOW - 4321;
    cJSON *j = rollup("api", "route", since, until, "7s", 200);
    answer_matches(j, (group_pred_t){sel_all, 1, 0, 0, 0, 0, 0}, since, until);
    cJSON_Delete(j);
}

/* Merging by a label, then merging the groups, is merging all: bucket for
 * bucket. */
static void test_merge_of_groups_is_merge_of_all(void **state)
{
    (void)state;
    hist_acc_t *all = hist_acc_new(), *parts = hist_acc_new(), *one = hist_acc_new();
    series_agg_t agg_all = {0, 0, 0, 0}, agg_parts = {0, 0, 0, 0};
    size_t n;
    const series_t **sorted = store_sorted(store, &n);
    for (size_t i = 0; i < n; i++)
        series_merge_range(store, sorted[i], NOW - 600000, NOW + 1000, all, &agg_all);
    for (int r = 0; r < N_ROUTES; r++) {
        series_agg_t agg = {0, 0, 0, 0};
        hist_acc_clear(one);
        for (size_t i = 0; i < n; i++) {
            char v[SERIESNAME_MAX];
            size_t vn = selector_label_value(series_name(sorted[i]), slice_cstr("route"), v);
            if (vn == strlen(routes[r]) && memcmp(v, routes[r], vn) == 0)
                series_merge_range(store, sorted[i], NOW - 600000, NOW + 1000, one, &agg);
        }
        for (uint32_t b = 0; b < HIST_BUCKETS; b++)
            hist_acc_add(parts, b, hist_acc_count(one, b));
        agg_parts.count += agg.count;
    }
    assert_int_equal(agg_all.count, N_SAMPLES);
    assert_int_equal(agg_parts.count, N_SAMPLES);
    for (uint32_t b = 0; b < HIST_BUCKETS; b++)
        assert_int_equal(hist_acc_count(all, b), hist_acc_count(parts, b));
    /* and the API agrees: the groups' counts add up to the whole */
    cJSON *by = rollup("api", "route", NOW - 600000, NOW + 1000, "60s", 200);
    cJSON *whole = rollup("api", NULL, NOW - 600000, NOW + 1000, "60s", 200);
    size_t sum = 0;
    const cJSON *grp;
    cJSON_ArrayForEach(grp, cJSON_GetObjectItem(by, "groups")) sum +=
        (size_t)cJSON_GetArrayItem(cJSON_GetObjectItem(grp, "summary"), 1)->valuedouble;
    const cJSON *w = cJSON_GetArrayItem(cJSON_GetObjectItem(whole, "groups"), 0);
    assert_int_equal(sum,
                     (size_t)cJSON_GetArrayItem(cJSON_GetObjectItem(w, "summary"), 1)->valuedouble);
    assert_int_equal(sum, N_SAMPLES);
    cJSON_Delete(by);
    cJSON_Delete(whole);
    free(sorted);
    hist_acc_free(all);
    hist_acc_free(parts);
    hist_acc_free(one);
}

static void error_is(const char *match, const char *by, const char *step, int64_t since,
                     int64_t until, const char *prefix, size_t max_series, rollup_refusal_t want)
{
    query_arg_t args[5];
    size_t n = 0;
    char since_s[32], until_s[32];
    snprintf(since_s, sizeof since_s, "%lld", (long long)since);
    snprintf(until_s, sizeof until_s, "%lld", (long long)until);
    if (match)
        args[n++] = (query_arg_t){slice_cstr("match"), slice_cstr(match)};
    if (by)
        args[n++] = (query_arg_t){slice_cstr("by"), slice_cstr(by)};
    if (step)
        args[n++] = (query_arg_t){slice_cstr("step"), slice_cstr(step)};
    args[n++] = (query_arg_t){slice_cstr("since"), slice_cstr(since_s)};
    args[n++] = (query_arg_t){slice_cstr("until"), slice_cstr(until_s)};
    buf_t out;
    buf_init(&out);
    rollup_refusal_t why = ROLLUP_OK;
    assert_int_equal(query_rollup(store, args, n, NOW, max_series, &out, &why), 400);
    assert_int_equal(why, want);
    cJSON *j = cJSON_ParseWithLength(out.p, out.len);
    assert_non_null(j);
    const char *e = cJSON_GetObjectItem(j, "error")->valuestring;
    if (strncmp(e, prefix, strlen(prefix)) != 0)
        fail_msg("error \"%s\", want \"%s...\"", e, prefix);
    cJSON_Delete(j);
    buf_dispose(&out);
}

static void test_bounds_and_refusals(void **state)
{
    (void)state;
    int64_t since = NOW - 60000, until = NOW;
    error_is(NULL, NULL, NULL, since, until, "match is required", 1000, ROLLUP_BAD_QUERY);
    error_is("api{route=}", NULL, NULL, since, until, "match: a quoted value expected", 1000,
             ROLLUP_BAD_QUERY);
    error_is("api", "ro-ute", NULL, since, until, "by: comma-separated", 1000, ROLLUP_BAD_QUERY);
    error_is("api", "a,b,c,d,e,f,g,h,i", NULL, since, until, "by: at most 8", 1000,
             ROLLUP_BAD_QUERY);
    error_is("api", NULL, "1500ms", since, until, "step: whole seconds", 1000, ROLLUP_BAD_QUERY);
    error_is("api", NULL, "0", since, until, "step: whole seconds", 1000, ROLLUP_BAD_QUERY);
    error_is("api", NULL, NULL, until, since, "since must be before until", 1000, ROLLUP_BAD_QUERY);
    /* 18 series, at most 17 */
    error_is("api", NULL, NULL, since, until, "the selector matches more than 17 series", 17,
             ROLLUP_SERIES_LIMIT);
    /* every label combination a group: 18 groups x 601 one-second steps */
    cJSON *j = rollup("api", "route,status,zone", NOW - 600000, NOW + 1000, "1", 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "groups")), 18);
    cJSON_Delete(j);
}

static void test_default_step(void **state)
{
    (void)state;
    static const int64_t ranges[] = {60000, 300000, 301000, 900000, 1800000};
    for (size_t c = 0; c < sizeof ranges / sizeof ranges[0]; c++) {
        cJSON *j = rollup("api", NULL, NOW + 1000 - ranges[c], NOW + 1000, NULL, 200);
        int64_t step = (int64_t)cJSON_GetObjectItem(j, "step_ms")->valuedouble;
        /* at most 300 steps; a range longer than the window (600 s, and
         * until is 1 s ahead) is clipped to it first */
        int64_t clipped = ranges[c] > 601000 ? 601000 : ranges[c];
        int64_t want = clipped <= 300000 ? 1000 : clipped <= 600000 ? 2000 : 5000;
        assert_int_equal(step, want);
        cJSON_Delete(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_are_exact),
        cmocka_unit_test(test_steps_not_aligned_with_the_range),
        cmocka_unit_test(test_merge_of_groups_is_merge_of_all),
        cmocka_unit_test(test_bounds_and_refusals),
        cmocka_unit_test(test_default_step),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
