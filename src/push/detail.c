/* detail.c - the per-series detail message (see detail.h). */
#include "detail.h"

/* The three arrays are built side by side in one pass over the seconds:
 * raw and hist have one entry per row of seconds, in the same order. */
typedef struct detail_enc {
    const detail_req_t *req;
    buf_t seconds, raw, hist;
    size_t rows;
    int first_in_entry; /* no pair written yet in the current raw/hist entry */
} detail_enc_t;

static size_t detail_size(const detail_enc_t *e)
{
    return e->seconds.len + e->raw.len + e->hist.len;
}

static void detail_raw_point(void *ctx, int64_t ts_ms, double ms)
{
    detail_enc_t *e = ctx;
    if (!e->first_in_entry)
        buf_append_cstr(&e->raw, ",");
    e->first_in_entry = 0;
    buf_json_int(&e->raw, ts_ms % 1000);
    buf_append_cstr(&e->raw, ",");
    /* Raw points are stored as floats: print the float's shortest form. */
    buf_json_float(&e->raw, (float)ms);
}

static void detail_bucket(void *ctx, uint32_t bucket, uint64_t count)
{
    detail_enc_t *e = ctx;
    if (!e->first_in_entry)
        buf_append_cstr(&e->hist, ",");
    e->first_in_entry = 0;
    buf_json_int(&e->hist, bucket);
    buf_append_cstr(&e->hist, ",");
    buf_json_int(&e->hist, (int64_t)count);
}

/* One changed second: returns 1 (stop) when the message is full. */
static int detail_second(void *ctx, const series_second_t *sec)
{
    detail_enc_t *e = ctx;
    if (e->rows > 0 && detail_size(e) >= e->req->max_bytes)
        return 1;
    const char *sep = e->rows ? ",[" : "[";
    buf_append_cstr(&e->seconds, sep);
    buf_json_int(&e->seconds, sec->start_ms);
    buf_append_cstr(&e->seconds, ",");
    buf_json_int(&e->seconds, (int64_t)sec->count);
    const double v[] = {sec->sum, sec->min, sec->max, sec->p50, sec->p90, sec->p99};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        buf_append_cstr(&e->seconds, ",");
        buf_json_double(&e->seconds, v[k]);
    }
    buf_append_cstr(&e->seconds, "]");

    buf_append_cstr(&e->raw, sep);
    buf_json_int(&e->raw, sec->start_ms);
    buf_append_cstr(&e->raw, ",[");
    e->first_in_entry = 1;
    series_foreach_raw(e->req->series, sec->start_ms, sec->start_ms + 1000, detail_raw_point, e);
    buf_append_cstr(&e->raw, "]]");

    buf_append_cstr(&e->hist, sep);
    buf_json_int(&e->hist, sec->start_ms);
    buf_append_cstr(&e->hist, ",[");
    e->first_in_entry = 1;
    series_foreach_bucket_id(e->req->series, sec->start_ms, detail_bucket, e);
    buf_append_cstr(&e->hist, "]]");
    e->rows++;
    return 0;
}

int64_t detail_encode(const detail_req_t *req, buf_t *out)
{
    detail_enc_t e = {.req = req};
    buf_init(&e.seconds);
    buf_init(&e.raw);
    buf_init(&e.hist);
    int64_t next =
        series_foreach_changed(req->series, req->from_ms, req->since_epoch, detail_second, &e);
    if (e.rows > 0 || req->reset) {
        slice_t name = series_name(req->series);
        buf_append_cstr(out, "{\"type\":\"detail\",\"series\":");
        buf_json_string(out, name.p, name.n);
        buf_append_cstr(out, req->reset ? ",\"reset\":true" : ",\"reset\":false");
        buf_append_cstr(out, next != INT64_MAX ? ",\"more\":true" : ",\"more\":false");
        buf_append_cstr(out, ",\"seconds\":[");
        buf_append(out, e.seconds.p, e.seconds.len);
        buf_append_cstr(out, "],\"raw\":[");
        buf_append(out, e.raw.p, e.raw.len);
        buf_append_cstr(out, "],\"hist\":[");
        buf_append(out, e.hist.p, e.hist.len);
        buf_append_cstr(out, "]}");
    }
    buf_dispose(&e.seconds);
    buf_dispose(&e.raw);
    buf_dispose(&e.hist);
    return next;
}
