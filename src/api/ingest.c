/* ingest.c - apply a points batch to the store and explain the outcome. */
#include "ingest.h"

#include <string.h>

#include "../core/error.h"
#include "../ingest/points.h"
#include "../ingest/sink.h"

/* One rejected sample worth telling the client about. */
typedef struct ingest_error {
    size_t offset;
    ingest_reject_t reason;
    char name[POINTS_NAME_MAX];
    size_t name_len;
} ingest_error_t;

typedef struct ingest_ctx {
    ingest_sink_t sink;
    uint64_t accepted, rejected;
    uint32_t key_index; /* of the key in `key` */
    ingest_key_t key;
    size_t n_errors;
    ingest_error_t errors[INGEST_MAX_ERRORS];
} ingest_ctx_t;

static void ingest_note(ingest_ctx_t *c, const points_sample_t *s, ingest_reject_t why)
{
    c->rejected++;
    if (c->n_errors < INGEST_MAX_ERRORS) {
        ingest_error_t *e = &c->errors[c->n_errors++];
        e->offset = s->offset;
        e->reason = why;
        e->name_len = s->name.n < sizeof e->name ? s->name.n : sizeof e->name;
        memcpy(e->name, s->name.p, e->name_len);
    }
}

static ingest_reject_t ingest_from_points(points_reject_t r)
{
    switch (r) {
    case POINTS_NEGATIVE:
        return INGEST_REJECT_NEGATIVE;
    case POINTS_NOT_FINITE:
        return INGEST_REJECT_NOT_FINITE;
    case POINTS_BAD_TIMESTAMP:
        return INGEST_REJECT_BAD_TIMESTAMP;
    default:
        return INGEST_REJECT_BAD_NAME;
    }
}

/* Parser sink: one sample of a batch already known to be well-formed. The
 * key is checked once per key of the batch (key_index), not per sample. */
static void ingest_sample(void *ctx, const points_sample_t *s)
{
    ingest_ctx_t *c = ctx;
    if (s->key_index != c->key_index) {
        c->key_index = s->key_index;
        ingest_key_from_name(&c->key, s->name);
    }
    ingest_reject_t why;
    if (c->key.reject == INGEST_OK && s->reject != POINTS_OK) {
        why = ingest_from_points(s->reject);
        ingest_count_reject(&c->sink, why, 1);
    } else {
        why = ingest_record(&c->sink, &c->key, s->has_ts, s->ts_ms, s->ms, 1);
    }
    if (why != INGEST_OK)
        ingest_note(c, s, why);
    else
        c->accepted++;
}

int ingest_handle(store_t *store, metrics_t *m, const char *p, size_t n, int64_t now_ms, buf_t *out)
{
    ingest_ctx_t c = {
        .sink = {.store = store, .counts = &m->ingest, .protocol = INGEST_JSON, .now_ms = now_ms},
    };
    points_error_t err = {0, NULL};
    if (points_parse(p, n, ingest_sample, &c, &err) != 0) {
        m->http_refused[HTTP_REFUSED_BAD_JSON]++;
        buf_append_cstr(out, "{\"error\":");
        buf_json_string(out, err.message, strlen(err.message));
        buf_append_cstr(out, ",\"offset\":");
        buf_json_int(out, (int64_t)err.offset);
        buf_append_cstr(out, "}");
        return 400;
    }
    m->ingest_requests++;
    m->ingest_bytes += n;
    buf_append_cstr(out, "{\"accepted\":");
    buf_json_int(out, (int64_t)c.accepted);
    buf_append_cstr(out, ",\"rejected\":");
    buf_json_int(out, (int64_t)c.rejected);
    buf_append_cstr(out, ",\"errors\":[");
    for (size_t i = 0; i < c.n_errors; i++) {
        const ingest_error_t *e = &c.errors[i];
        const char *why = ingest_reject_reason(e->reason);
        buf_append_cstr(out, i ? ",{\"series\":" : "{\"series\":");
        buf_json_string(out, e->name, e->name_len);
        buf_append_cstr(out, ",\"offset\":");
        buf_json_int(out, (int64_t)e->offset);
        buf_append_cstr(out, ",\"reason\":");
        buf_json_string(out, why, strlen(why));
        buf_append_cstr(out, "}");
    }
    buf_append_cstr(out, "]}");
    return 200;
}
