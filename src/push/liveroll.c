/* liveroll.c - live roll-ups (see liveroll.h, docs/protocol.md "Live roll-ups"). */
#include "liveroll.h"

#include <stdlib.h>
#include <string.h>

#include "../api/rollup.h"
#include "../core/buf.h"
#include "../core/xmalloc.h"

/* One tick's message for the clients at one cursor. */
typedef struct liveroll_piece {
    uint32_t cursor;
    int64_t sent_ms;      /* the tick time of the cursor (the same for all its clients) */
    rollup_refusal_t why; /* ROLLUP_OK: frame holds rows; else it holds the error */
    int deferred;         /* push_buffer was full: no frame, and the cursors stay */
    frame_t *frame;
} liveroll_piece_t;

struct liveroll_shape {
    liveroll_shape_t *next;
    unsigned refs; /* roll-ups of clients that have this shape */
    /* The shape: the texts as the client sent them (req borrows them). */
    char *match_text, *by_text;
    size_t match_n, by_n;
    int64_t step_ms, history_ms;
    rollup_req_t req; /* its selector compiled once */
    /* This tick's messages, by cursor (clients that keep up share one). */
    liveroll_piece_t *pieces;
    size_t n_pieces, cap_pieces;
};

struct liveroll {
    size_t max_shapes, max_series, headroom;
    uint64_t push_buffer, *live_bytes;
    liveroll_shape_t *shapes;
    /* This tick. */
    store_t *store;
    uint32_t epoch;
    int64_t now_ms;
    const series_t **all; /* every series (any order), made on first need */
    size_t n_all;
    int have_all;
    liveroll_stats_t stats;
};

liveroll_t *liveroll_new(size_t max_shapes, size_t max_series, uint64_t push_buffer,
                         uint64_t *live_bytes, size_t headroom)
{
    liveroll_t *lr = xcalloc(1, sizeof *lr);
    lr->max_shapes = max_shapes;
    lr->max_series = max_series;
    lr->push_buffer = push_buffer;
    lr->live_bytes = live_bytes;
    lr->headroom = headroom;
    return lr;
}

static void liveroll_drop_pieces(liveroll_shape_t *sh)
{
    for (size_t i = 0; i < sh->n_pieces; i++)
        frame_unref(sh->pieces[i].frame);
    sh->n_pieces = 0;
}

static void liveroll_shape_free(liveroll_shape_t *sh)
{
    liveroll_drop_pieces(sh);
    free(sh->pieces);
    selector_free(&sh->req.match);
    free(sh->match_text);
    free(sh->by_text);
    free(sh);
}

void liveroll_free(liveroll_t *lr)
{
    if (!lr)
        return;
    while (lr->shapes) {
        liveroll_shape_t *next = lr->shapes->next;
        liveroll_shape_free(lr->shapes);
        lr->shapes = next;
    }
    free(lr->all);
    free(lr);
}

/* The step a roll-up without step_s gets: as the query's default over the
 * history (about ROLLUP_TARGET_STEPS steps). */
static int64_t liveroll_step(const control_rollup_t *r, int64_t history_ms)
{
    return r->step_s ? (int64_t)r->step_s * 1000 : rollup_default_step(history_ms + 1000);
}

static int liveroll_same(const liveroll_shape_t *sh, const control_rollup_t *r, int64_t step_ms,
                         int64_t history_ms)
{
    return sh->step_ms == step_ms && sh->history_ms == history_ms && sh->match_n == r->match_len &&
           sh->by_n == r->by_len && memcmp(sh->match_text, r->match, r->match_len) == 0 &&
           memcmp(sh->by_text, r->by, r->by_len) == 0;
}

/* The message for a roll-up we will not run: its texts and why. */
static frame_t *liveroll_error_frame(liveroll_t *lr, slice_t match, const slice_t *by, size_t n_by,
                                     int64_t step_ms, const char *param, const char *message)
{
    buf_t b;
    buf_init(&b);
    buf_append_cstr(&b, "{\"type\":\"rollup\",\"match\":");
    buf_json_string(&b, match.p, match.n);
    buf_append_cstr(&b, ",\"by\":[");
    for (size_t k = 0; k < n_by; k++) {
        buf_append_cstr(&b, k ? "," : "");
        buf_json_string(&b, by[k].p, by[k].n);
    }
    buf_append_cstr(&b, "],\"step_ms\":");
    buf_json_int(&b, step_ms);
    buf_append_cstr(&b, ",\"error\":");
    buf_json_string(&b, message, strlen(message));
    buf_append_cstr(&b, ",\"param\":");
    buf_json_string(&b, param, strlen(param));
    buf_append_cstr(&b, "}");
    frame_t *f = frame_new_counted(b.p, b.len, lr->headroom, lr->live_bytes);
    buf_dispose(&b);
    return f;
}

/* The shape of r, found or made; NULL when there are max_shapes already. */
static liveroll_shape_t *liveroll_shape_get(liveroll_t *lr, const control_rollup_t *r,
                                            int64_t history_ms)
{
    int64_t step_ms = liveroll_step(r, history_ms);
    size_t n = 0;
    for (liveroll_shape_t *sh = lr->shapes; sh; sh = sh->next, n++)
        if (liveroll_same(sh, r, step_ms, history_ms)) {
            sh->refs++;
            return sh;
        }
    if (n >= lr->max_shapes)
        return NULL;
    liveroll_shape_t *sh = xcalloc(1, sizeof *sh);
    sh->refs = 1;
    sh->match_text = xmalloc(r->match_len + 1u);
    memcpy(sh->match_text, r->match, r->match_len + 1u);
    sh->match_n = r->match_len;
    sh->by_text = xmalloc(r->by_len + 1u);
    memcpy(sh->by_text, r->by, r->by_len + 1u);
    sh->by_n = r->by_len;
    sh->step_ms = step_ms;
    sh->history_ms = history_ms;
    /* control_parse checked both: they parse. */
    selector_error_t serr;
    if (selector_parse(&sh->req.match, sh->match_text, sh->match_n, &serr) != 0 ||
        selector_parse_by(slice_make(sh->by_text, sh->by_n), sh->req.by, &sh->req.n_by) != NULL) {
        selector_free(&sh->req.match);
        free(sh->match_text);
        free(sh->by_text);
        free(sh);
        return NULL;
    }
    sh->req.match_text = slice_make(sh->match_text, sh->match_n);
    sh->req.step_ms = step_ms;
    sh->next = lr->shapes;
    lr->shapes = sh;
    lr->stats.shapes++;
    return sh;
}

static void liveroll_shape_put(liveroll_t *lr, liveroll_shape_t *sh)
{
    if (--sh->refs)
        return;
    for (liveroll_shape_t **at = &lr->shapes; *at; at = &(*at)->next)
        if (*at == sh) {
            *at = sh->next;
            break;
        }
    lr->stats.shapes--;
    liveroll_shape_free(sh);
}

void liveroll_clear(liveroll_t *lr, liveroll_client_t *c)
{
    for (unsigned i = 0; i < c->n; i++) {
        if (c->sub[i].shape)
            liveroll_shape_put(lr, c->sub[i].shape);
        frame_unref(c->sub[i].notice);
    }
    c->n = 0;
}

void liveroll_set(liveroll_t *lr, liveroll_client_t *c, const control_msg_t *m, int64_t history_ms)
{
    /* Take the new shapes before dropping the old: a re-subscription to
     * the same roll-ups keeps their entries (and their compiled selectors). */
    liveroll_client_t next = {.n = 0};
    for (unsigned i = 0; i < m->n_rollups; i++) {
        const control_rollup_t *r = &m->rollups[i];
        liveroll_sub_t *sub = &next.sub[next.n++];
        memset(sub, 0, sizeof *sub);
        sub->shape = liveroll_shape_get(lr, r, history_ms);
        if (!sub->shape) {
            slice_t by[SELECTOR_BY_MAX];
            size_t n_by = 0;
            (void)selector_parse_by(slice_make(r->by, r->by_len), by, &n_by);
            sub->notice = liveroll_error_frame(
                lr, slice_make(r->match, r->match_len), by, n_by, liveroll_step(r, history_ms),
                "rollups", "too many distinct live roll-ups on this server (--max-live-rollups)");
            lr->stats.refused[LIVEROLL_REFUSED_SHAPES]++;
        }
    }
    liveroll_clear(lr, c);
    *c = next;
}

void liveroll_begin(liveroll_t *lr, store_t *store, uint32_t epoch, int64_t now_ms)
{
    lr->store = store;
    lr->epoch = epoch;
    lr->now_ms = now_ms;
    lr->have_all = 0;
}

static void liveroll_collect(void *ctx, const series_t *series)
{
    liveroll_t *lr = ctx;
    lr->all[lr->n_all++] = series;
}

/* Every series, once per tick (the store does not change during a tick). */
static void liveroll_need_all(liveroll_t *lr)
{
    if (lr->have_all)
        return;
    store_stats_t st;
    store_get_stats(lr->store, &st);
    free(lr->all);
    lr->all = xmalloc((st.series ? st.series : 1) * sizeof *lr->all);
    lr->n_all = 0;
    store_foreach(lr->store, liveroll_collect, lr);
    lr->have_all = 1;
}

/* Runs the shape for cursor and encodes its message. */
static void liveroll_run(liveroll_t *lr, liveroll_shape_t *sh, liveroll_piece_t *p)
{
    p->frame = NULL;
    p->deferred = 0;
    if (*lr->live_bytes >= lr->push_buffer) {
        p->deferred = 1;
        p->why = ROLLUP_OK;
        lr->stats.deferred++;
        return;
    }
    liveroll_need_all(lr);
    sh->req.since_ms = lr->now_ms - sh->history_ms;
    sh->req.until_ms = lr->now_ms + 1000; /* the current second, whole */
    buf_t b;
    buf_init(&b);
    buf_append_cstr(&b, "{\"type\":\"rollup\",\"reset\":");
    buf_append_cstr(&b, p->cursor ? "false" : "true");
    buf_append_cstr(&b, ",\"rollup\":");
    rollup_error_t err;
    p->why = rollup_run(lr->store, lr->all, lr->n_all, &sh->req, lr->now_ms, lr->max_series,
                        p->cursor, p->sent_ms, &b, &err);
    if (p->why == ROLLUP_OK) {
        buf_append_cstr(&b, "}");
        p->frame = frame_new_counted(b.p, b.len, lr->headroom, lr->live_bytes);
        lr->stats.encoded++;
    } else {
        p->frame = liveroll_error_frame(lr, sh->req.match_text, sh->req.by, sh->req.n_by,
                                        sh->step_ms, err.param, err.message);
    }
    buf_dispose(&b);
}

/* This tick's message of shape sh for cursor, made on first need. */
static liveroll_piece_t *liveroll_piece(liveroll_t *lr, liveroll_shape_t *sh, uint32_t cursor,
                                        int64_t sent_ms)
{
    for (size_t i = 0; i < sh->n_pieces; i++)
        if (sh->pieces[i].cursor == cursor)
            return &sh->pieces[i];
    if (sh->n_pieces == sh->cap_pieces) {
        sh->cap_pieces = sh->cap_pieces ? sh->cap_pieces * 2 : 2;
        sh->pieces = xrealloc(sh->pieces, sh->cap_pieces * sizeof *sh->pieces);
    }
    liveroll_piece_t *p = &sh->pieces[sh->n_pieces++];
    p->cursor = cursor;
    p->sent_ms = sent_ms;
    liveroll_run(lr, sh, p);
    return p;
}

size_t liveroll_client(liveroll_t *lr, liveroll_client_t *c, frame_t **out, size_t max)
{
    size_t n = 0;
    for (unsigned i = 0; i < c->n && n < max; i++) {
        liveroll_sub_t *sub = &c->sub[i];
        if (!sub->shape) {
            if (sub->notice) {
                out[n++] = sub->notice; /* the reference moves to the caller */
                sub->notice = NULL;
            }
            continue;
        }
        liveroll_piece_t *p = liveroll_piece(lr, sub->shape, sub->cursor, sub->sent_ms);
        if (p->deferred)
            continue;
        if (p->why == ROLLUP_OK) {
            out[n++] = frame_ref(p->frame);
            sub->cursor = lr->epoch;
            sub->sent_ms = lr->now_ms;
            sub->told = 0;
        } else {
            /* Told once; retried from a snapshot every tick until it works. */
            if (!sub->told) {
                out[n++] = frame_ref(p->frame);
                lr->stats.refused[p->why == ROLLUP_SERIES_LIMIT ? LIVEROLL_REFUSED_SERIES
                                                                : LIVEROLL_REFUSED_QUERY]++;
            }
            sub->told = 1;
            sub->cursor = 0;
        }
    }
    return n;
}

void liveroll_end(liveroll_t *lr)
{
    for (liveroll_shape_t *sh = lr->shapes; sh; sh = sh->next)
        liveroll_drop_pieces(sh);
    lr->store = NULL;
}

const liveroll_stats_t *liveroll_stats(const liveroll_t *lr)
{
    return &lr->stats;
}
