/* ingest.c - apply a points batch to the store and explain the outcome. */
#include "ingest.h"

#include <string.h>

#include "../core/error.h"
#include "../ingest/points.h"

/* One rejected sample worth telling the client about. */
typedef struct ingest_error {
    size_t offset;
    ingest_reject_t reason;
    char name[POINTS_NAME_MAX];
    size_t name_len;
} ingest_error_t;

typedef struct ingest_ctx {
    store_t *store;
    metrics_t *metrics;
    int64_t now_ms;
    uint64_t accepted, rejected;
    size_t n_errors;
    ingest_error_t errors[INGEST_MAX_ERRORS];
} ingest_ctx_t;

static const char *const reject_reasons[INGEST_REJECT_COUNT] = {
    /* parenthesised: one string on two lines, not two elements */
    [INGEST_REJECT_BAD_NAME] = ("bad series name (1-200 bytes of UTF-8, no control characters, "
                                "no leading /, //, . or .. segment)"),
    [INGEST_REJECT_NEGATIVE] = "negative duration",
    [INGEST_REJECT_NOT_FINITE] = "duration is not a finite number",
    [INGEST_REJECT_BAD_TIMESTAMP] = "timestamp is not a non-negative integer of unix ms",
    [INGEST_REJECT_TOO_OLD] = "timestamp older than the window",
    [INGEST_REJECT_TOO_NEW] = "timestamp more than 60 s in the future",
    [INGEST_REJECT_SERIES_LIMIT] = "series limit reached (--max-series)",
    [INGEST_REJECT_MEMORY] = "memory budget reached (--memory-limit)",
};

const char *ingest_reject_reason(ingest_reject_t r)
{
    return (unsigned)r < INGEST_REJECT_COUNT ? reject_reasons[r] : "unknown";
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

static ingest_reject_t ingest_from_store(store_reject_t r)
{
    switch (r) {
    case STORE_REJECT_TOO_OLD:
        return INGEST_REJECT_TOO_OLD;
    case STORE_REJECT_TOO_NEW:
        return INGEST_REJECT_TOO_NEW;
    case STORE_REJECT_SERIES_LIMIT:
        return INGEST_REJECT_SERIES_LIMIT;
    case STORE_REJECT_MEMORY:
        return INGEST_REJECT_MEMORY;
    default:
        /* The parser already refuses negative and non-finite durations. */
        return INGEST_REJECT_NOT_FINITE;
    }
}

static void ingest_reject(ingest_ctx_t *c, const points_sample_t *s, ingest_reject_t why)
{
    c->rejected++;
    c->metrics->samples_rejected[why]++;
    if (c->n_errors < INGEST_MAX_ERRORS) {
        ingest_error_t *e = &c->errors[c->n_errors++];
        e->offset = s->offset;
        e->reason = why;
        e->name_len = s->name.n < sizeof e->name ? s->name.n : sizeof e->name;
        memcpy(e->name, s->name.p, e->name_len);
    }
}

/* Parser sink: one sample of a batch already known to be well-formed. */
static void ingest_sample(void *ctx, const points_sample_t *s)
{
    ingest_ctx_t *c = ctx;
    if (s->reject != POINTS_OK) {
        ingest_reject(c, s, ingest_from_points(s->reject));
        return;
    }
    int64_t ts = s->has_ts ? s->ts_ms : c->now_ms;
    store_reject_t r = store_record(c->store, s->name, ts, s->ms, c->now_ms);
    if (r != STORE_OK) {
        ingest_reject(c, s, ingest_from_store(r));
        return;
    }
    c->accepted++;
    c->metrics->samples_accepted++;
}

int ingest_handle(store_t *store, metrics_t *m, const char *p, size_t n, int64_t now_ms, buf_t *out)
{
    ingest_ctx_t c = {.store = store, .metrics = m, .now_ms = now_ms};
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
        buf_append_cstr(out, i ? ",{\"series\":" : "{\"series\":");
        buf_json_string(out, e->name, e->name_len);
        buf_append_cstr(out, ",\"offset\":");
        buf_json_int(out, (int64_t)e->offset);
        buf_append_cstr(out, ",\"reason\":");
        buf_json_string(out, reject_reasons[e->reason], strlen(reject_reasons[e->reason]));
        buf_append_cstr(out, "}");
    }
    buf_append_cstr(out, "]}");
    return 200;
}
