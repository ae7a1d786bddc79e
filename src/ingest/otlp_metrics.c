/* otlp_metrics.c - the decoder of OTLP metric export requests (see otlp_metrics.h).
 *
 * The plan of otlp_trace.c: one walk function per message level, run twice,
 * pass 1 (fn == NULL) validating everything, pass 2 handing points out; pass
 * 2 runs the code pass 1 accepted, so it cannot fail. Both passes fill the
 * point being read (its arrays live in the walk's state), so they share one
 * code path.
 *
 * Nothing orders a message's fields, yet a point needs its metric's name
 * and unit, its resource's service, and its histogram's temporality, which
 * may all come after it. So a message whose fields a later sibling needs is
 * read twice: first for the context (resource; name and unit; temporality),
 * then for the children. Protobuf steps over a LEN field in O(1), so this
 * costs nothing there; JSON scans the skipped part again (the JSON path is
 * the slow one anyway: SDKs send protobuf by default).
 */
#include "otlp_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/xmalloc.h"
#include "otlp_json.h"
#include "pb.h"

/* Room for an attribute value written as a number: "-9223372036854775808"
 * or a double in "%.17g" ("-1.2345678901234567e-308"). */
#define OTLP_NUMBER_TEXT 32

/* What both encodings fill: the point being read and its arrays. */
typedef struct mpoint {
    otlp_hist_point_t pt;
    uint64_t counts[OTLP_METRICS_MAX_BUCKETS];
    double bounds[OTLP_METRICS_MAX_BUCKETS];
    otlp_attr_t attrs[OTLP_METRICS_MAX_ATTRS];
    char numbers[OTLP_METRICS_MAX_ATTRS][OTLP_NUMBER_TEXT];
} mpoint_t;

/* Starts a point of the given kind in the context of its metric. */
static void mpoint_start(mpoint_t *m, otlp_hist_kind_t kind, const otlp_hist_point_t *context)
{
    m->pt = *context;
    m->pt.kind = kind;
    m->pt.start_ns = m->pt.time_ns = m->pt.count = m->pt.flags = 0;
    m->pt.sum = m->pt.min = m->pt.max = 0;
    m->pt.has_sum = m->pt.has_min = m->pt.has_max = 0;
    m->pt.counts = m->counts;
    m->pt.n_counts = 0;
    m->pt.bounds = m->bounds;
    m->pt.n_bounds = 0;
    m->pt.scale = m->pt.offset = 0;
    m->pt.zero_count = 0;
    m->pt.zero_threshold = 0;
    m->pt.negative_count = 0;
    m->pt.attrs = m->attrs;
    m->pt.n_attrs = 0;
    m->pt.over = 0;
}

static void mpoint_count(mpoint_t *m, uint64_t v)
{
    if (m->pt.n_counts == OTLP_METRICS_MAX_BUCKETS)
        m->pt.over = 1;
    else
        m->counts[m->pt.n_counts++] = v;
}

static void mpoint_bound(mpoint_t *m, double v)
{
    if (m->pt.n_bounds == OTLP_METRICS_MAX_BUCKETS)
        m->pt.over = 1;
    else
        m->bounds[m->pt.n_bounds++] = v;
}

static void mpoint_negative(mpoint_t *m, uint64_t v)
{
    uint64_t *n = &m->pt.negative_count;
    *n = v > UINT64_MAX - *n ? UINT64_MAX : *n + v;
}

/* The text slot of the next attribute, or NULL when the point has no room
 * for another (then it is `over`). */
static otlp_attr_t *mpoint_attr(mpoint_t *m)
{
    if (m->pt.n_attrs == OTLP_METRICS_MAX_ATTRS) {
        m->pt.over = 1;
        return NULL;
    }
    return &m->attrs[m->pt.n_attrs];
}

/* Writes a double in the shortest "%.*g" that reads back as the same
 * value, so 0.1 is "0.1" in both encodings. */
static size_t otlp_format_double(char *out, double v)
{
    int n = 0;
    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(out, OTLP_NUMBER_TEXT, "%.*g", prec, v);
        if (strtod(out, NULL) == v || v != v)
            break;
    }
    return n < 0 ? 0 : (size_t)n;
}

/* Keeps a scalar attribute: value text (str for strings) by kind. Returns
 * 1 if kept, 0 if left out (empty, array, kvlist, bytes, or no room). */
static int mpoint_keep_attr(mpoint_t *m, slice_t key, otlp_kind_t kind, slice_t str, uint64_t bits)
{
    if (kind == OTLP_VALUE_EMPTY || kind == OTLP_VALUE_OTHER)
        return 0;
    otlp_attr_t *a = mpoint_attr(m);
    if (!a)
        return 0;
    char *text = m->numbers[m->pt.n_attrs];
    size_t n = 0;
    a->key = key;
    switch (kind) {
    case OTLP_VALUE_STRING:
        a->value = str;
        break;
    case OTLP_VALUE_BOOL:
        a->value = slice_cstr(bits ? "true" : "false");
        break;
    case OTLP_VALUE_INT: {
        int w = snprintf(text, OTLP_NUMBER_TEXT, "%lld", (long long)(int64_t)bits);
        n = w < 0 ? 0 : (size_t)w;
        a->value = slice_make(text, n);
        break;
    }
    default: { /* OTLP_VALUE_DOUBLE */
        double d = pb_double(bits);
        a->value = slice_make(text, otlp_format_double(text, d));
        break;
    }
    }
    m->pt.n_attrs++;
    return 1;
}

/* ---------------------------------------------------------------------- */
/* Protobuf                                                                */
/* ---------------------------------------------------------------------- */

typedef enum mp_in {
    MP_IN_REQUEST,
    MP_IN_RESOURCE_METRICS,
    MP_IN_SCOPE_METRICS,
    MP_IN_METRIC,
    MP_IN_OTHER_DATA,
    MP_IN_HISTOGRAM,
    MP_IN_HISTOGRAM_POINT,
    MP_IN_EXP_POINT,
    MP_IN_BUCKETS,
    MP_IN_COUNT
} mp_in_t;

static const char *const mp_rows[MP_IN_COUNT][PB_ERR_COUNT] = {
    [MP_IN_REQUEST] = OTLP_PB_ROW("ExportMetricsServiceRequest"),
    [MP_IN_RESOURCE_METRICS] = OTLP_PB_ROW("ResourceMetrics"),
    [MP_IN_SCOPE_METRICS] = OTLP_PB_ROW("ScopeMetrics"),
    [MP_IN_METRIC] = OTLP_PB_ROW("Metric"),
    [MP_IN_OTHER_DATA] = OTLP_PB_ROW("Gauge, Sum or Summary"),
    [MP_IN_HISTOGRAM] = OTLP_PB_ROW("Histogram"),
    [MP_IN_HISTOGRAM_POINT] = OTLP_PB_ROW("HistogramDataPoint"),
    [MP_IN_EXP_POINT] = OTLP_PB_ROW("ExponentialHistogramDataPoint"),
    [MP_IN_BUCKETS] = OTLP_PB_ROW("ExponentialHistogramDataPoint.Buckets"),
};

/* The state of one protobuf walk. fn == NULL in pass 1. */
typedef struct mp {
    otlp_pbd_t e;
    otlp_hist_fn fn;
    void *ctx;
    otlp_metrics_stats_t st;
    mpoint_t m;
} mp_t;

static int mp_fail(mp_t *d, const pb_reader_t *r, mp_in_t in)
{
    return otlp_pb_fail(&d->e, r, mp_rows[in]);
}

/* Is f of wire type w? 0, or the error msg. */
static int mp_want(mp_t *d, const pb_reader_t *r, const pb_field_t *f, pb_wire_t w, const char *msg)
{
    return f->wire == w ? 0 : otlp_pb_wrong(&d->e, r, f, msg);
}

/* The values of one occurrence of a repeated scalar field (packed or not),
 * each handed to add. */
static int mp_repeated(mp_t *d, pb_reader_t *r, const pb_field_t *f, pb_wire_t elem, mp_in_t in,
                       const char *msg, void (*add)(mpoint_t *m, uint64_t v))
{
    pb_scalars_t it;
    uint64_t v;
    int rc;
    if (f->wire != elem && f->wire != PB_LEN)
        return otlp_pb_wrong(&d->e, r, f, msg);
    if (pb_scalars_init(&it, r, f, elem) != 0)
        return mp_fail(d, r, in);
    while ((rc = pb_scalars_next(&it, &v)) > 0)
        add(&d->m, v);
    return rc < 0 ? mp_fail(d, &it.r, in) : 0;
}

static void mp_add_bound(mpoint_t *m, uint64_t v)
{
    mpoint_bound(m, pb_double(v));
}

/* sint32: zigzag over the low 32 bits, as protobuf parsers read it. */
static int64_t mp_sint32(uint64_t v)
{
    uint32_t u = (uint32_t)v;
    return (int64_t)(int32_t)((u >> 1) ^ (0u - (u & 1)));
}

/* A KeyValue of a point's attributes. */
static int mp_attr(mp_t *d, pb_reader_t *r, const pb_field_t *f, const char *msg)
{
    pb_reader_t sub;
    slice_t key;
    otlp_pb_value_t v;
    if (mp_want(d, r, f, PB_LEN, msg) != 0)
        return SPIDER_EINVAL;
    pb_sub(r, f, &sub);
    if (otlp_pb_key_value(&d->e, &sub, &key, &v) != 0)
        return SPIDER_EINVAL;
    mpoint_keep_attr(&d->m, key, v.kind, v.str, v.bits);
    return 0;
}

/* The fields both point messages have, under their own numbers. */
typedef struct mp_point_fields {
    uint32_t min, max, flags;
    const char *min_msg, *max_msg, *flags_msg;
} mp_point_fields_t;

/* Fields 2-5 (same in both point messages) and min/max/flags. 1 if f was
 * one of them (read), 0 if not, or an error. */
static int mp_point_common(mp_t *d, pb_reader_t *r, const pb_field_t *f,
                           const mp_point_fields_t *pf)
{
    otlp_hist_point_t *pt = &d->m.pt;
    if (f->number >= 2 && f->number <= 5) {
        static const char *const msgs[2][6] = {
            {[2] = "HistogramDataPoint.start_time_unix_nano: wire type is not 1 (fixed64)",
             [3] = "HistogramDataPoint.time_unix_nano: wire type is not 1 (fixed64)",
             [4] = "HistogramDataPoint.count: wire type is not 1 (fixed64)",
             [5] = "HistogramDataPoint.sum: wire type is not 1 (double)"},
            {[2] = "ExponentialHistogramDataPoint.start_time_unix_nano: wire type is not 1 "
                   "(fixed64)",
             [3] = "ExponentialHistogramDataPoint.time_unix_nano: wire type is not 1 (fixed64)",
             [4] = "ExponentialHistogramDataPoint.count: wire type is not 1 (fixed64)",
             [5] = "ExponentialHistogramDataPoint.sum: wire type is not 1 (double)"},
        };
        if (mp_want(d, r, f, PB_I64, msgs[pt->kind][f->number]) != 0)
            return SPIDER_EINVAL;
        if (f->number == 2)
            pt->start_ns = f->u64;
        else if (f->number == 3)
            pt->time_ns = f->u64;
        else if (f->number == 4)
            pt->count = f->u64;
        else
            pt->sum = pb_double(f->u64), pt->has_sum = 1;
        return 1;
    }
    if (f->number == pf->min || f->number == pf->max) {
        int is_min = f->number == pf->min;
        if (mp_want(d, r, f, PB_I64, is_min ? pf->min_msg : pf->max_msg) != 0)
            return SPIDER_EINVAL;
        if (is_min)
            pt->min = pb_double(f->u64), pt->has_min = 1;
        else
            pt->max = pb_double(f->u64), pt->has_max = 1;
        return 1;
    }
    if (f->number == pf->flags) {
        if (mp_want(d, r, f, PB_VARINT, pf->flags_msg) != 0)
            return SPIDER_EINVAL;
        pt->flags = (uint32_t)f->u64; /* uint32: the low 32 bits */
        return 1;
    }
    return 0;
}

/* Level 5: HistogramDataPoint. */
static int mp_histogram_point(mp_t *d, pb_reader_t *r)
{
    static const mp_point_fields_t pf = {11,
                                         12,
                                         10,
                                         "HistogramDataPoint.min: wire type is not 1 (double)",
                                         "HistogramDataPoint.max: wire type is not 1 (double)",
                                         "HistogramDataPoint.flags: wire type is not 0 (varint)"};
    pb_field_t f;
    int rc;
    while ((rc = pb_next(r, &f)) > 0) {
        int known = mp_point_common(d, r, &f, &pf);
        if (known < 0)
            return SPIDER_EINVAL;
        if (known)
            continue;
        if (f.number == 6)
            rc = mp_repeated(d, r, &f, PB_I64, MP_IN_HISTOGRAM_POINT,
                             "HistogramDataPoint.bucket_counts: wire type is not 1 (fixed64) or 2 "
                             "(packed)",
                             mpoint_count);
        else if (f.number == 7)
            rc = mp_repeated(d, r, &f, PB_I64, MP_IN_HISTOGRAM_POINT,
                             "HistogramDataPoint.explicit_bounds: wire type is not 1 (double) or 2 "
                             "(packed)",
                             mp_add_bound);
        else if (f.number == 9)
            rc = mp_attr(d, r, &f,
                         "HistogramDataPoint.attributes: wire type is not 2 (length-delimited)");
        else
            rc = 0; /* exemplars (8) and unknown fields: skipped */
        if (rc != 0)
            return SPIDER_EINVAL;
    }
    return rc < 0 ? mp_fail(d, r, MP_IN_HISTOGRAM_POINT) : 0;
}

/* Level 6: Buckets of an exponential point (positive or negative). */
static int mp_buckets(mp_t *d, pb_reader_t *r, int positive)
{
    pb_field_t f;
    int rc;
    while ((rc = pb_next(r, &f)) > 0) {
        if (f.number == 1) {
            if (mp_want(d, r, &f, PB_VARINT,
                        "ExponentialHistogramDataPoint.Buckets.offset: wire type is not 0 "
                        "(varint)") != 0)
                return SPIDER_EINVAL;
            if (positive)
                d->m.pt.offset = mp_sint32(f.u64);
        } else if (f.number == 2) {
            if (mp_repeated(d, r, &f, PB_VARINT, MP_IN_BUCKETS,
                            "ExponentialHistogramDataPoint.Buckets.bucket_counts: wire type is "
                            "not 0 (varint) or 2 (packed)",
                            positive ? mpoint_count : mpoint_negative) != 0)
                return SPIDER_EINVAL;
        }
    }
    return rc < 0 ? mp_fail(d, r, MP_IN_BUCKETS) : 0;
}

/* Level 5: ExponentialHistogramDataPoint. */
static int mp_exp_point(mp_t *d, pb_reader_t *r)
{
    static const mp_point_fields_t pf = {
        12,
        13,
        10,
        "ExponentialHistogramDataPoint.min: wire type is not 1 (double)",
        "ExponentialHistogramDataPoint.max: wire type is not 1 (double)",
        "ExponentialHistogramDataPoint.flags: wire type is not 0 (varint)"};
    otlp_hist_point_t *pt = &d->m.pt;
    pb_field_t f;
    pb_reader_t sub;
    int rc;
    while ((rc = pb_next(r, &f)) > 0) {
        int known = mp_point_common(d, r, &f, &pf);
        if (known < 0)
            return SPIDER_EINVAL;
        if (known)
            continue;
        switch (f.number) {
        case 1:
            rc = mp_attr(
                d, r, &f,
                "ExponentialHistogramDataPoint.attributes: wire type is not 2 (length-delimited)");
            break;
        case 6:
            rc = mp_want(d, r, &f, PB_VARINT,
                         "ExponentialHistogramDataPoint.scale: wire type is not 0 (varint)");
            pt->scale = mp_sint32(f.u64);
            break;
        case 7:
            rc = mp_want(d, r, &f, PB_I64,
                         "ExponentialHistogramDataPoint.zero_count: wire type is not 1 (fixed64)");
            pt->zero_count = f.u64;
            break;
        case 8:
        case 9:
            rc = mp_want(d, r, &f, PB_LEN,
                         f.number == 8 ? "ExponentialHistogramDataPoint.positive: wire type is "
                                         "not 2 (length-delimited)"
                                       : "ExponentialHistogramDataPoint.negative: wire type is "
                                         "not 2 (length-delimited)");
            if (rc == 0) {
                pb_sub(r, &f, &sub);
                rc = mp_buckets(d, &sub, f.number == 8);
            }
            break;
        case 14:
            rc = mp_want(d, r, &f, PB_I64,
                         "ExponentialHistogramDataPoint.zero_threshold: wire type is not 1 "
                         "(double)");
            pt->zero_threshold = pb_double(f.u64);
            break;
        default:
            rc = 0; /* exemplars (11) and unknown fields: skipped */
            break;
        }
        if (rc != 0)
            return SPIDER_EINVAL;
    }
    return rc < 0 ? mp_fail(d, r, MP_IN_EXP_POINT) : 0;
}

/* Level 4: Histogram or ExponentialHistogram, read twice: its temporality,
 * then its points. */
static int mp_histogram(mp_t *d, const pb_reader_t *r, otlp_hist_kind_t kind,
                        otlp_hist_point_t *context)
{
    pb_field_t f;
    pb_reader_t a = *r, b = *r, sub;
    int rc;
    while ((rc = pb_next(&a, &f)) > 0) {
        if (f.number == 1 && mp_want(d, &a, &f, PB_LEN,
                                     "Histogram.data_points: wire type is not 2 "
                                     "(length-delimited)") != 0)
            return SPIDER_EINVAL;
        if (f.number == 2) {
            if (mp_want(d, &a, &f, PB_VARINT,
                        "Histogram.aggregation_temporality: wire type is not 0 (varint)") != 0)
                return SPIDER_EINVAL;
            context->temporality = (int32_t)f.u64; /* an enum: int32, as parsers read it */
        }
    }
    if (rc < 0)
        return mp_fail(d, &a, MP_IN_HISTOGRAM);
    while (pb_next(&b, &f) > 0) {
        if (f.number != 1)
            continue;
        pb_sub(&b, &f, &sub);
        mpoint_start(&d->m, kind, context);
        if ((kind == OTLP_HIST_EXPLICIT ? mp_histogram_point(d, &sub) : mp_exp_point(d, &sub)) != 0)
            return SPIDER_EINVAL;
        d->st.histogram_points++;
        if (d->fn)
            d->fn(d->ctx, &d->m.pt);
    }
    return 0;
}

/* Level 4: Gauge, Sum or Summary: their points are only counted. */
static int mp_other_data(mp_t *d, pb_reader_t *r, size_t *points)
{
    pb_field_t f;
    int rc;
    while ((rc = pb_next(r, &f)) > 0) {
        if (f.number != 1)
            continue;
        if (mp_want(d, r, &f, PB_LEN, "Gauge, Sum or Summary.data_points: wire type is not 2") != 0)
            return SPIDER_EINVAL;
        (*points)++;
    }
    return rc < 0 ? mp_fail(d, r, MP_IN_OTHER_DATA) : 0;
}

/* Level 3: Metric, read twice: name and unit (and checks), then its data. */
static int mp_metric(mp_t *d, const pb_reader_t *r, const otlp_service_t *svc)
{
    otlp_hist_point_t context;
    pb_field_t f;
    pb_reader_t a = *r, b = *r, sub;
    int rc, data = 0;
    memset(&context, 0, sizeof context);
    context.service = svc->value;
    context.instance = svc->instance;
    context.metric = context.unit = slice_make(otlp_nothing, 0);
    while ((rc = pb_next(&a, &f)) > 0) {
        switch (f.number) {
        case 1:
        case 3:
            if (mp_want(d, &a, &f, PB_LEN,
                        f.number == 1 ? "Metric.name: wire type is not 2 (length-delimited)"
                                      : "Metric.unit: wire type is not 2 (length-delimited)") != 0)
                return SPIDER_EINVAL;
            *(f.number == 1 ? &context.metric : &context.unit) = otlp_pb_slice(&f);
            break;
        case 5:
        case 7:
        case 9:
        case 10:
        case 11:
            if (mp_want(d, &a, &f, PB_LEN,
                        "Metric: a data member (gauge, sum, histogram, exponential_histogram, "
                        "summary) whose wire type is not 2 (length-delimited)") != 0)
                return SPIDER_EINVAL;
            data = 1;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return mp_fail(d, &a, MP_IN_METRIC);
    if (!data)
        d->st.metrics_without_data++;
    while (pb_next(&b, &f) > 0) {
        if (f.number == 5 || f.number == 7 || f.number == 11) {
            size_t *points = f.number == 5   ? &d->st.gauge_points
                             : f.number == 7 ? &d->st.sum_points
                                             : &d->st.summary_points;
            pb_sub(&b, &f, &sub);
            rc = mp_other_data(d, &sub, points);
        } else if (f.number == 9 || f.number == 10) {
            pb_sub(&b, &f, &sub);
            context.temporality = 0;
            rc = mp_histogram(d, &sub, f.number == 9 ? OTLP_HIST_EXPLICIT : OTLP_HIST_EXPONENTIAL,
                              &context);
        } else {
            continue;
        }
        if (rc != 0)
            return SPIDER_EINVAL;
    }
    return 0;
}

/* Level 2: ScopeMetrics. */
static int mp_scope_metrics(mp_t *d, pb_reader_t *r, const otlp_service_t *svc)
{
    pb_field_t f;
    pb_reader_t sub;
    int rc;
    while ((rc = pb_next(r, &f)) > 0) {
        if (f.number != 2)
            continue;
        if (mp_want(d, r, &f, PB_LEN,
                    "ScopeMetrics.metrics: wire type is not 2 (length-delimited)"))
            return SPIDER_EINVAL;
        pb_sub(r, &f, &sub);
        if (mp_metric(d, &sub, svc) != 0)
            return SPIDER_EINVAL;
    }
    return rc < 0 ? mp_fail(d, r, MP_IN_SCOPE_METRICS) : 0;
}

/* Level 1: ResourceMetrics, read twice: its resource(s), then its scopes. */
static int mp_resource_metrics(mp_t *d, const pb_reader_t *r)
{
    otlp_service_t svc = {0, 0, slice_make(otlp_nothing, 0), slice_make(otlp_nothing, 0)};
    pb_field_t f;
    pb_reader_t a = *r, b = *r, sub;
    int rc;
    while ((rc = pb_next(&a, &f)) > 0) {
        if (f.number == 1) {
            if (mp_want(d, &a, &f, PB_LEN,
                        "ResourceMetrics.resource: wire type is not 2 (length-delimited)") != 0)
                return SPIDER_EINVAL;
            pb_sub(&a, &f, &sub);
            if (otlp_pb_resource(&d->e, &sub, &svc) != 0)
                return SPIDER_EINVAL;
        } else if (f.number == 2 &&
                   mp_want(
                       d, &a, &f, PB_LEN,
                       "ResourceMetrics.scope_metrics: wire type is not 2 (length-delimited)")) {
            return SPIDER_EINVAL;
        }
    }
    if (rc < 0)
        return mp_fail(d, &a, MP_IN_RESOURCE_METRICS);
    while (pb_next(&b, &f) > 0) {
        if (f.number != 2)
            continue;
        pb_sub(&b, &f, &sub);
        if (mp_scope_metrics(d, &sub, &svc) != 0)
            return SPIDER_EINVAL;
    }
    return 0;
}

/* Level 0: ExportMetricsServiceRequest. */
static int mp_request(mp_t *d, pb_reader_t *r)
{
    pb_field_t f;
    pb_reader_t sub;
    int rc;
    while ((rc = pb_next(r, &f)) > 0) {
        if (f.number != 1)
            continue;
        if (mp_want(d, r, &f, PB_LEN,
                    "ExportMetricsServiceRequest.resource_metrics: wire type is not 2 "
                    "(length-delimited)") != 0)
            return SPIDER_EINVAL;
        pb_sub(r, &f, &sub);
        if (mp_resource_metrics(d, &sub) != 0)
            return SPIDER_EINVAL;
    }
    return rc < 0 ? mp_fail(d, r, MP_IN_REQUEST) : 0;
}

int otlp_metrics_decode_pb(const uint8_t *p, size_t n, otlp_hist_fn fn, void *ctx,
                           otlp_metrics_stats_t *stats, otlp_error_t *err)
{
    mp_t *d = xmalloc(sizeof *d); /* ~13 KiB of point arrays: not on the stack */
    pb_reader_t r;
    int rc = 0;
    memset(&d->e, 0, sizeof d->e);
    memset(&d->st, 0, sizeof d->st);
    d->fn = NULL;
    d->ctx = NULL;
    pb_reader_init(&r, p, n);
    if (mp_request(d, &r) != 0) {
        if (err) {
            err->offset = d->e.err_offset;
            err->message = d->e.err_msg;
        }
        memset(&d->st, 0, sizeof d->st);
        rc = SPIDER_EINVAL;
    } else if (fn) {
        d->fn = fn;
        d->ctx = ctx;
        memset(&d->st, 0, sizeof d->st);
        pb_reader_init(&r, p, n);
        (void)mp_request(d, &r); /* pass 1 accepted these very bytes */
    }
    if (stats)
        *stats = d->st;
    free(d);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* JSON (the scanner is otlp_json.h's)                                     */
/* ---------------------------------------------------------------------- */

/* The state of one JSON walk. fn == NULL in pass 1. */
typedef struct mj {
    oj_t j;
    otlp_hist_fn fn;
    void *ctx;
    otlp_metrics_stats_t st;
    int escapes;               /* pass 1: a string handed out has escapes (pass 2 needs scratch) */
    char *scratch;             /* pass 2: decoded strings, used as a stack (see mj_text) */
    size_t used;               /* bytes of scratch in use */
    size_t cap;                /* its size: the input's, which no set of decoded strings exceeds */
    slice_t service, instance; /* of the ResourceMetrics being read */
    mpoint_t m;
} mj_t;

/* A string to hand out: the input's bytes, or in pass 2 its decoded form
 * pushed on the scratch stack. A level pops what it pushed by restoring
 * d->used, so the strings alive at once are those of one path from the
 * top (resource, metric, point): distinct parts of the input, never longer
 * decoded than raw, hence never more than the input's size in all. */
static slice_t mj_text(mj_t *d, const oj_str_t *s)
{
    if (!s->escaped)
        return s->n ? slice_make(s->p, s->n) : slice_make(otlp_nothing, 0);
    if (!d->fn) {
        d->escapes = 1;
        return slice_make(otlp_nothing, 0); /* pass 1: nobody looks at it */
    }
    char *out = d->scratch + d->used;
    size_t n = oj_decode(s, out, d->cap - d->used);
    d->used += n;
    return slice_make(out, n);
}

/* An error of a sub-scanner (over a token of the same input) as ours. */
static int mj_sub_fail(mj_t *d, const oj_t *sub)
{
    d->j.err_at = sub->err_at;
    d->j.err_msg = sub->err_msg;
    return SPIDER_EINVAL;
}

/* Starts a sub-scanner over the number token of v (a literal, or a string
 * with its quotes). */
static void mj_token(oj_t *sub, const oj_value_t *v)
{
    if (v->lit.n)
        oj_start(sub, v->lit.p, v->lit.n);
    else
        oj_start(sub, v->str.p - 1, v->str.n + 2);
}

/* One element of a point's "attributes". */
static int mj_attr(oj_t *j, void *ctx)
{
    mj_t *d = ctx;
    oj_str_t key;
    oj_value_t v;
    oj_t sub;
    uint64_t bits = 0;
    if (*j->p != '{')
        return oj_fail(j, j->p, "DataPoint.attributes: an element is not an object");
    if (oj_key_value(j, &key, &v) != 0)
        return SPIDER_EINVAL;
    if (v.kind == OTLP_VALUE_BOOL) {
        bits = v.lit.p[0] == 't';
    } else if (v.kind == OTLP_VALUE_INT) {
        int64_t i = 0;
        mj_token(&sub, &v);
        if (oj_i64(&sub, INT64_MIN, INT64_MAX, &i, "AnyValue.intValue: not a number or a string",
                   "AnyValue.intValue: not an integer from -2^63 to 2^63-1") != 0)
            return mj_sub_fail(d, &sub);
        bits = (uint64_t)i;
    } else if (v.kind == OTLP_VALUE_DOUBLE) {
        double x = 0;
        mj_token(&sub, &v);
        if (oj_double(&sub, &x, "AnyValue.doubleValue: not a number") != 0)
            return mj_sub_fail(d, &sub);
        memcpy(&bits, &x, sizeof bits);
    }
    if (v.kind == OTLP_VALUE_EMPTY || v.kind == OTLP_VALUE_OTHER)
        return 0;
    size_t mark = d->used;
    slice_t k = mj_text(d, &key);
    slice_t str = v.kind == OTLP_VALUE_STRING ? mj_text(d, &v.str) : slice_make(otlp_nothing, 0);
    if (!mpoint_keep_attr(&d->m, k, v.kind, str, bits))
        d->used = mark;
    return 0;
}

/* One element of a bucketCounts array, given to add (the positive
 * buckets' list, or the negative buckets' sum). */
typedef struct mj_counts {
    mj_t *d;
    void (*add)(mpoint_t *m, uint64_t v);
} mj_counts_t;

static int mj_count(oj_t *j, void *ctx)
{
    mj_counts_t *c = ctx;
    uint64_t v = 0;
    if (oj_u64(j, &v, "bucketCounts: an element is not a number or a string",
               "bucketCounts: an element is not an integer from 0 to 2^64-1") != 0)
        return SPIDER_EINVAL;
    c->add(&c->d->m, v);
    return 0;
}

static int mj_bound(oj_t *j, void *ctx)
{
    mj_t *d = ctx;
    double v = 0;
    if (oj_double(j, &v, "HistogramDataPoint.explicitBounds: an element is not a number") != 0)
        return SPIDER_EINVAL;
    mpoint_bound(&d->m, v);
    return 0;
}

/* An int32 field (scale, offset). */
static int mj_int32(oj_t *j, int64_t *v, const char *msg)
{
    return oj_i64(j, INT32_MIN, INT32_MAX, v, msg, msg);
}

/* ExponentialHistogramDataPoint.positive / negative. */
static int mj_buckets(mj_t *d, int positive)
{
    oj_t *j = &d->j;
    int rc = oj_null_or(j, '{', "ExponentialHistogramDataPoint.positive/negative: not an object");
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (oj_enter(j) != 0)
        return SPIDER_EINVAL;
    int first = 1;
    oj_str_t k;
    while ((rc = oj_member(j, &first, &k)) > 0) {
        int64_t offset = 0;
        if (oj_is(&k, "offset")) {
            rc = mj_int32(j, &offset, "Buckets.offset: not an integer from -2^31 to 2^31-1");
            if (positive)
                d->m.pt.offset = offset;
        } else if (oj_is(&k, "bucketCounts")) {
            mj_counts_t c = {d, positive ? mpoint_count : mpoint_negative};
            rc = oj_array(j, "Buckets.bucketCounts: not an array", mj_count, &c);
        } else {
            rc = oj_skip(j);
        }
        if (rc != 0)
            return SPIDER_EINVAL;
    }
    return rc;
}

/* An optional double of a point (sum, min, max): null leaves it unset. */
static int mj_optional_double(oj_t *j, double *v, int *has, const char *msg)
{
    if (oj_null(j))
        return 0;
    *has = 1;
    return oj_double(j, v, msg);
}

/* A data point of either kind. */
static int mj_point(mj_t *d)
{
    oj_t *j = &d->j;
    otlp_hist_point_t *pt = &d->m.pt;
    int exp = pt->kind == OTLP_HIST_EXPONENTIAL;
    int first = 1, rc;
    oj_str_t k;
    if (oj_enter(j) != 0)
        return SPIDER_EINVAL;
    while ((rc = oj_member(j, &first, &k)) > 0) {
        int64_t i = 0;
        if (oj_is(&k, "attributes")) {
            rc = oj_array(j, "DataPoint.attributes: not an array", mj_attr, d);
        } else if (oj_is(&k, "startTimeUnixNano")) {
            rc = oj_u64(j, &pt->start_ns, "DataPoint.startTimeUnixNano: not a number or a string",
                        "DataPoint.startTimeUnixNano: not an integer from 0 to 2^64-1");
        } else if (oj_is(&k, "timeUnixNano")) {
            rc = oj_u64(j, &pt->time_ns, "DataPoint.timeUnixNano: not a number or a string",
                        "DataPoint.timeUnixNano: not an integer from 0 to 2^64-1");
        } else if (oj_is(&k, "count")) {
            rc = oj_u64(j, &pt->count, "DataPoint.count: not a number or a string",
                        "DataPoint.count: not an integer from 0 to 2^64-1");
        } else if (oj_is(&k, "sum")) {
            rc = mj_optional_double(j, &pt->sum, &pt->has_sum, "DataPoint.sum: not a number");
        } else if (oj_is(&k, "min")) {
            rc = mj_optional_double(j, &pt->min, &pt->has_min, "DataPoint.min: not a number");
        } else if (oj_is(&k, "max")) {
            rc = mj_optional_double(j, &pt->max, &pt->has_max, "DataPoint.max: not a number");
        } else if (oj_is(&k, "flags")) {
            i = (int64_t)pt->flags;
            rc = oj_i64(j, 0, UINT32_MAX, &i, "DataPoint.flags: not a number",
                        "DataPoint.flags: not an integer from 0 to 2^32-1");
            pt->flags = (uint64_t)i;
        } else if (!exp && oj_is(&k, "bucketCounts")) {
            mj_counts_t c = {d, mpoint_count};
            rc = oj_array(j, "HistogramDataPoint.bucketCounts: not an array", mj_count, &c);
        } else if (!exp && oj_is(&k, "explicitBounds")) {
            rc = oj_array(j, "HistogramDataPoint.explicitBounds: not an array", mj_bound, d);
        } else if (exp && oj_is(&k, "scale")) {
            i = pt->scale;
            rc = mj_int32(j, &i,
                          "ExponentialHistogramDataPoint.scale: not an integer from -2^31 to "
                          "2^31-1");
            pt->scale = i;
        } else if (exp && oj_is(&k, "zeroCount")) {
            rc = oj_u64(j, &pt->zero_count,
                        "ExponentialHistogramDataPoint.zeroCount: not a number or a string",
                        "ExponentialHistogramDataPoint.zeroCount: not an integer from 0 to "
                        "2^64-1");
        } else if (exp && oj_is(&k, "zeroThreshold")) {
            rc = oj_null(j)
                     ? 0
                     : oj_double(j, &pt->zero_threshold,
                                 "ExponentialHistogramDataPoint.zeroThreshold: not a number");
        } else if (exp && (oj_is(&k, "positive") || oj_is(&k, "negative"))) {
            rc = mj_buckets(d, oj_is(&k, "positive"));
        } else {
            rc = oj_skip(j);
        }
        if (rc != 0)
            return SPIDER_EINVAL;
    }
    return rc;
}

/* Saves and restores a scanner position, to read an object twice. */
typedef struct mj_mark {
    const char *p;
    unsigned depth;
} mj_mark_t;

static mj_mark_t mj_save(const oj_t *j)
{
    return (mj_mark_t){j->p, j->depth};
}

static void mj_rewind(oj_t *j, mj_mark_t m)
{
    j->p = m.p;
    j->depth = m.depth;
}

/* Histogram.aggregationTemporality: the enum as a number or by name. */
static int mj_temporality(oj_t *j, int64_t *v)
{
    static const char *const names[] = {"AGGREGATION_TEMPORALITY_UNSPECIFIED",
                                        "AGGREGATION_TEMPORALITY_DELTA",
                                        "AGGREGATION_TEMPORALITY_CUMULATIVE"};
    static const char *msg = "Histogram.aggregationTemporality: not an enum number or name";
    if (*j->p == '"') {
        const char *at = j->p;
        oj_str_t s;
        if (oj_string(j, &s) != 0)
            return SPIDER_EINVAL;
        for (uint64_t i = 0; i < 3; i++)
            if (oj_is(&s, names[i]) ||
                (!s.escaped && s.n == strlen(names[i]) && memcmp(s.p, names[i], s.n) == 0)) {
                *v = (int64_t)i;
                return 0;
            }
        return oj_fail(j, at, msg);
    }
    return oj_i64(j, INT32_MIN, INT32_MAX, v, msg, msg);
}

/* One element of a histogram's "dataPoints". */
typedef struct mj_points_ctx {
    mj_t *d;
    otlp_hist_kind_t kind;
    const otlp_hist_point_t *context;
} mj_points_ctx_t;

static int mj_data_point(oj_t *j, void *ctx)
{
    mj_points_ctx_t *c = ctx;
    mj_t *d = c->d;
    if (*j->p != '{')
        return oj_fail(j, j->p, "Histogram.dataPoints: an element is not an object");
    size_t mark = d->used;
    mpoint_start(&d->m, c->kind, c->context);
    if (mj_point(d) != 0)
        return SPIDER_EINVAL;
    d->st.histogram_points++;
    if (d->fn)
        d->fn(d->ctx, &d->m.pt);
    d->used = mark;
    return 0;
}

/* Histogram or ExponentialHistogram, read twice: temporality, then points. */
static int mj_histogram(mj_t *d, otlp_hist_kind_t kind, otlp_hist_point_t *context)
{
    oj_t *j = &d->j;
    int rc = oj_null_or(j, '{', "Metric.histogram/exponentialHistogram: not an object");
    if (rc != 0)
        return rc < 0 ? rc : 0;
    mj_mark_t start = mj_save(j);
    oj_str_t k;
    for (int walk = 0; walk < 2; walk++) {
        int first = 1;
        mj_rewind(j, start);
        if (oj_enter(j) != 0)
            return SPIDER_EINVAL;
        while ((rc = oj_member(j, &first, &k)) > 0) {
            if (walk == 0 && oj_is(&k, "aggregationTemporality")) {
                rc = oj_null(j) ? 0 : mj_temporality(j, &context->temporality);
            } else if (walk == 1 && oj_is(&k, "dataPoints")) {
                mj_points_ctx_t c = {d, kind, context};
                rc = oj_array(j, "Histogram.dataPoints: not an array", mj_data_point, &c);
            } else {
                rc = oj_skip(j);
            }
            if (rc != 0)
                return SPIDER_EINVAL;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* One element of a Gauge/Sum/Summary "dataPoints": counted. */
static int mj_other_point(oj_t *j, void *ctx)
{
    (*(size_t *)ctx)++;
    return oj_skip(j);
}

/* Gauge, Sum or Summary: the points are counted. */
static int mj_other_data(mj_t *d, size_t *points)
{
    return oj_object_with_array(&d->j, 1, "Metric.gauge/sum/summary: not an object", "dataPoints",
                                "dataPoints: not an array", mj_other_point, points);
}

/* A Metric, read twice: name, unit and the other kinds; then histograms. */
static int mj_metric(oj_t *j, void *ctx)
{
    mj_t *d = ctx;
    otlp_hist_point_t context;
    oj_str_t name = {otlp_nothing, 0, 0}, unit = {otlp_nothing, 0, 0}, k;
    int rc, data = 0;
    if (*j->p != '{')
        return oj_fail(j, j->p, "ScopeMetrics.metrics: an element is not an object");
    size_t mark = d->used;
    memset(&context, 0, sizeof context);
    context.service = d->service;
    context.instance = d->instance;
    mj_mark_t start = mj_save(j);
    for (int walk = 0; walk < 2; walk++) {
        int first = 1;
        mj_rewind(j, start);
        if (oj_enter(j) != 0)
            return SPIDER_EINVAL;
        while ((rc = oj_member(j, &first, &k)) > 0) {
            int hist = oj_is(&k, "histogram"), exp = oj_is(&k, "exponentialHistogram");
            size_t *other = oj_is(&k, "gauge")     ? &d->st.gauge_points
                            : oj_is(&k, "sum")     ? &d->st.sum_points
                            : oj_is(&k, "summary") ? &d->st.summary_points
                                                   : NULL;
            if (walk == 0 && (hist || exp || other) && *j->p != 'n')
                data = 1; /* a member that is not null */
            if (walk == 0 && oj_is(&k, "name")) {
                rc = oj_string_or_null(j, &name, "Metric.name: not a string");
            } else if (walk == 0 && oj_is(&k, "unit")) {
                rc = oj_string_or_null(j, &unit, "Metric.unit: not a string");
            } else if (walk == 0 && other) {
                rc = mj_other_data(d, other);
            } else if (walk == 1 && (hist || exp)) {
                context.temporality = 0;
                rc = mj_histogram(d, hist ? OTLP_HIST_EXPLICIT : OTLP_HIST_EXPONENTIAL, &context);
            } else {
                rc = oj_skip(j);
            }
            if (rc != 0)
                return SPIDER_EINVAL;
        }
        if (rc < 0)
            return rc;
        if (walk == 0) {
            context.metric = mj_text(d, &name);
            context.unit = mj_text(d, &unit);
        }
    }
    if (!data)
        d->st.metrics_without_data++;
    d->used = mark;
    return 0;
}

/* ScopeMetrics: its metrics. */
static int mj_scope_metrics(oj_t *j, void *ctx)
{
    return oj_object_with_array(j, 0, "ResourceMetrics.scopeMetrics: an element is not an object",
                                "metrics", "ScopeMetrics.metrics: not an array", mj_metric, ctx);
}

/* The first "service.name" and "service.instance.id" of a Resource. */
typedef struct mj_resource_ctx {
    mj_t *d;
    int service_found, instance_found;
} mj_resource_ctx_t;

static int mj_resource_attr(oj_t *j, void *ctx)
{
    mj_resource_ctx_t *c = ctx;
    oj_str_t key;
    oj_value_t v;
    if (*j->p != '{')
        return oj_fail(j, j->p, "Resource.attributes: an element is not an object");
    if (oj_key_value(j, &key, &v) != 0)
        return SPIDER_EINVAL;
    int is_service = !c->service_found && oj_is(&key, "service.name");
    int is_instance = !c->instance_found && oj_is(&key, "service.instance.id");
    if (!is_service && !is_instance)
        return 0;
    slice_t text =
        v.kind == OTLP_VALUE_STRING ? mj_text(c->d, &v.str) : slice_make(otlp_nothing, 0);
    if (is_service) {
        c->service_found = 1;
        c->d->service = text;
    } else {
        c->instance_found = 1;
        c->d->instance = text;
    }
    return 0;
}

static int mj_resource(mj_t *d, mj_resource_ctx_t *c)
{
    return oj_object_with_array(&d->j, 1, "ResourceMetrics.resource: not an object", "attributes",
                                "Resource.attributes: not an array", mj_resource_attr, c);
}

/* A ResourceMetrics, read twice: its resource(s), then its scopes. */
static int mj_resource_metrics(oj_t *j, void *ctx)
{
    mj_t *d = ctx;
    mj_resource_ctx_t c = {d, 0, 0};
    oj_str_t k;
    int rc;
    if (*j->p != '{')
        return oj_fail(j, j->p,
                       "ExportMetricsServiceRequest.resourceMetrics: an element is not an object");
    size_t mark = d->used;
    d->service = d->instance = slice_make(otlp_nothing, 0);
    mj_mark_t start = mj_save(j);
    for (int walk = 0; walk < 2; walk++) {
        int first = 1;
        mj_rewind(j, start);
        if (oj_enter(j) != 0)
            return SPIDER_EINVAL;
        while ((rc = oj_member(j, &first, &k)) > 0) {
            if (walk == 0 && oj_is(&k, "resource"))
                rc = mj_resource(d, &c);
            else if (walk == 1 && oj_is(&k, "scopeMetrics"))
                rc = oj_array(j, "ResourceMetrics.scopeMetrics: not an array", mj_scope_metrics, d);
            else
                rc = oj_skip(j);
            if (rc != 0)
                return SPIDER_EINVAL;
        }
        if (rc < 0)
            return rc;
    }
    d->used = mark;
    return 0;
}

/* ExportMetricsServiceRequest: the whole input. */
static int mj_request(mj_t *d)
{
    oj_t *j = &d->j;
    oj_ws(j);
    if (j->p == j->end || *j->p != '{')
        return oj_fail(j, j->p, "the top level is not a JSON object");
    if (oj_enter(j) != 0)
        return SPIDER_EINVAL;
    int first = 1, rc;
    oj_str_t k;
    while ((rc = oj_member(j, &first, &k)) > 0) {
        if (oj_is(&k, "resourceMetrics"))
            rc = oj_array(j, "ExportMetricsServiceRequest.resourceMetrics: not an array",
                          mj_resource_metrics, d);
        else
            rc = oj_skip(j);
        if (rc != 0)
            return SPIDER_EINVAL;
    }
    if (rc < 0)
        return rc;
    return oj_finish(j);
}

int otlp_metrics_decode_json(const char *p, size_t n, otlp_hist_fn fn, void *ctx,
                             otlp_metrics_stats_t *stats, otlp_error_t *err)
{
    mj_t *d = xmalloc(sizeof *d); /* ~13 KiB of point arrays: not on the stack */
    int rc = 0;
    memset(d, 0, offsetof(mj_t, m));
    oj_start(&d->j, p, n);
    if (mj_request(d) != 0) {
        if (err) {
            err->offset = (size_t)(d->j.err_at - d->j.base);
            err->message = d->j.err_msg;
        }
        memset(&d->st, 0, sizeof d->st);
        rc = SPIDER_EINVAL;
    } else if (fn) {
        int escapes = d->escapes;
        memset(d, 0, offsetof(mj_t, m));
        oj_start(&d->j, p, n);
        d->fn = fn;
        d->ctx = ctx;
        if (escapes) {
            d->scratch = xmalloc(n);
            d->cap = n;
        }
        (void)mj_request(d); /* pass 1 accepted these very bytes */
        free(d->scratch);
    }
    if (stats)
        *stats = d->st;
    free(d);
    return rc;
}
