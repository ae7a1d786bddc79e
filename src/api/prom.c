/* prom.c - the per-series histograms of /metrics (see prom.h). */
#include "prom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROM_FAMILY "spider_latency_seconds"

/* A label value in the exposition's escaping: \\ \" and \n. */
static void prom_value(buf_t *out, const char *p, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *esc = p[i] == '\\'   ? "\\\\"
                          : p[i] == '"'  ? "\\\""
                          : p[i] == '\n' ? "\\n"
                                         : NULL;
        if (!esc)
            continue;
        buf_append(out, p + start, i - start);
        buf_append_cstr(out, esc);
        start = i + 1;
    }
    buf_append(out, p + start, n - start);
}

/* Does label name (p, n) collide with a reserved name or another label? */
static int prom_taken(slice_t name, const serieskey_part_t *parts, size_t n_parts)
{
    if (slice_eq_cstr(name, "series") || slice_eq_cstr(name, "le"))
        return 1;
    for (size_t k = 0; k < n_parts; k++)
        if (slice_eq(parts[k].name, name))
            return 1;
    return 0;
}

/* The label set of a series, `series="NAME",k="v",...` (no braces), into
 * labels. Values in a key are escaped as the exposition wants already (\\
 * and \"; keys hold no newline), so they are copied as they are. */
static void prom_labels(buf_t *labels, slice_t key)
{
    slice_t name;
    serieskey_part_t parts[SERIESKEY_LABELS_MAX];
    size_t n = serieskey_split(key, &name, parts);
    buf_append_cstr(labels, "series=\"");
    prom_value(labels, name.p, name.n);
    buf_append_cstr(labels, "\"");
    for (size_t k = 0; k < n; k++) {
        char renamed[9 * 8 + SERIESKEY_LABEL_NAME_MAX];
        slice_t label = parts[k].name;
        if (slice_eq_cstr(label, "series") || slice_eq_cstr(label, "le")) {
            /* exported_le, or exported_exported_le if that is a label too */
            size_t times = 0, len;
            do {
                times++;
                len = 0;
                for (size_t t = 0; t < times; t++, len += 9)
                    memcpy(renamed + len, "exported_", 9);
                memcpy(renamed + len, label.p, label.n);
                len += label.n;
            } while (times < 8 && prom_taken(slice_make(renamed, len), parts, n));
            label = slice_make(renamed, len);
        }
        buf_append_cstr(labels, ",");
        buf_append(labels, label.p, label.n);
        buf_append_cstr(labels, "=\"");
        buf_append(labels, parts[k].value.p, parts[k].value.n);
        buf_append_cstr(labels, "\"");
    }
}

/* A bound in seconds, as short as reads back exactly ("0.005", "2.5"). */
static void prom_le(buf_t *out, double ms)
{
    char text[32];
    double s = ms / 1000.0;
    /* plain digits ("10", not "1e+01") where the value allows */
    int plain = s >= 1e-4 && s < 1e15;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(text, sizeof text, "%.*g", prec, s);
        if (strtod(text, NULL) == s && (!plain || !strchr(text, 'e')))
            break;
    }
    buf_append_cstr(out, text);
}

static void prom_one(buf_t *out, buf_t *labels, const series_t *series, const double *le_ms,
                     size_t n_le)
{
    series_totals_t t;
    series_get_totals(series, &t);
    buf_reset(labels);
    prom_labels(labels, series_name(series));
    uint64_t cum = 0;
    for (size_t i = 0; i <= n_le; i++) {
        cum += t.le[i];
        buf_append_cstr(out, PROM_FAMILY "_bucket{");
        buf_append(out, labels->p, labels->len);
        buf_append_cstr(out, ",le=\"");
        if (i < n_le)
            prom_le(out, le_ms[i]);
        else
            buf_append_cstr(out, "+Inf");
        buf_printf(out, "\"} %llu\n", (unsigned long long)cum);
    }
    buf_append_cstr(out, PROM_FAMILY "_sum{");
    buf_append(out, labels->p, labels->len);
    buf_printf(out, "} %.17g\n", t.sum / 1000.0);
    buf_append_cstr(out, PROM_FAMILY "_count{");
    buf_append(out, labels->p, labels->len);
    buf_printf(out, "} %llu\n", (unsigned long long)t.count);
}

int prom_write_series(buf_t *out, store_t *store, selector_t *match)
{
    const store_config_t *cfg = store_config(store);
    size_t n;
    const series_t **sorted = store_sorted(store, &n);
    buf_t labels;
    int rc = 0;
    buf_init(&labels);
    buf_append_cstr(out, "# HELP " PROM_FAMILY
                         " Latency of each Spider series: a histogram of every sample since "
                         "the series was created (series is its name; its labels follow).\n"
                         "# TYPE " PROM_FAMILY " histogram\n");
    for (size_t i = 0; i < n; i++) {
        int m = match ? selector_matches(match, series_name(sorted[i])) : 1;
        if (m < 0) {
            rc = -1;
            break;
        }
        if (m)
            prom_one(out, &labels, sorted[i], cfg->le_ms, cfg->n_le);
    }
    buf_dispose(&labels);
    free(sorted);
    return rc;
}
