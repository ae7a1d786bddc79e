/* fuzz_h1req.c - libFuzzer target for the OTLP port's HTTP/1.1 request
 * reader (core/h1req).
 *
 * The input is one or more connections, separated by FUZZ_SEPARATOR (three
 * 0xff bytes), at most FUZZ_MAX_STREAMS of them, so that one corpus file
 * can hold many cases (each error ends its connection). Of each, the first
 * byte picks the limits (max_head from 48 to 8192, max_body from 0 to
 * 4096, so every limit is within reach); the rest is what a client sent.
 * It is read as a sequence of pipelined requests (h1req_init again after
 * each H1REQ_DONE, at most FUZZ_MAX_REQUESTS) three ways: in one
 * h1req_feed() call per request, one byte per call, and in pseudo-random
 * pieces (0 to 63 bytes, the sizes derived from the bytes). Any violated
 * invariant aborts (a crash for libFuzzer and for the corpus replay in the
 * tests). It checks that:
 *   - the input, an exact-size heap copy (ASan sees a read past it), is
 *     never written;
 *   - a call never uses more than it was given, uses all of it unless the
 *     request ended (H1REQ_DONE or H1REQ_ERROR), and uses nothing after;
 *   - body.len never passes max_body;
 *   - the three ways agree on every request: state, status, message, where
 *     it ended, the body bytes, and every head field;
 *   - a request past its head has sane fields: a 1-15 byte token method, a
 *     target that is "*" or starts with '/', NUL-terminated copies without
 *     control bytes or surrounding whitespace, flags of 0 or 1, not both
 *     chunked and Content-Length, and when done a body of Content-Length
 *     bytes (none without either header);
 *   - an error has one of the documented statuses and a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/h1req.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_REQUESTS 16
#define FUZZ_MAX_STREAMS  64
#define FUZZ_SEPARATOR    "\xff\xff\xff"

/* What one request came to, compared between the ways of feeding. */
typedef struct outcome {
    h1req_t r;     /* the reader at its end */
    size_t end;    /* offset in the stream just past its last used byte */
    size_t body_n; /* body bytes, and their FNV-1a hash */
    uint64_t body_hash;
} outcome_t;

typedef struct run {
    outcome_t req[FUZZ_MAX_REQUESTS + 1]; /* the last may be unfinished */
    size_t count;
} run_t;

enum { WHOLE, BYTES, PIECES };

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* A NUL-terminated copy of a header value within its array. */
static void check_field(const char *f, size_t cap)
{
    const char *nul = memchr(f, '\0', cap);
    CHECK(nul != NULL);
    size_t n = (size_t)(nul - f);
    CHECK(n == 0 || (!is_ows(f[0]) && !is_ows(f[n - 1])));
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)f[i];
        CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
    }
}

/* The fields of a reader past its head. */
static void check_head(const h1req_t *r)
{
    size_t m = strnlen(r->method, sizeof r->method);
    CHECK(m >= 1 && m < sizeof r->method);
    for (size_t i = 0; i < m; i++) {
        unsigned char c = (unsigned char)r->method[i];
        CHECK(c > 0x20 && c < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", c));
    }
    size_t t = strnlen(r->target, sizeof r->target);
    CHECK(t < sizeof r->target);
    CHECK(r->target[0] == '/' || strcmp(r->target, "*") == 0);
    for (size_t i = 0; i < t; i++)
        CHECK(r->target[i] > 0x20 && r->target[i] < 0x7f);
    check_field(r->host, sizeof r->host);
    check_field(r->content_type, sizeof r->content_type);
    check_field(r->content_encoding, sizeof r->content_encoding);
    CHECK(r->http10 == 0 || r->http10 == 1);
    CHECK(r->keep_alive == 0 || r->keep_alive == 1);
    CHECK(r->expect_continue == 0 || r->expect_continue == 1);
    CHECK(r->chunked == 0 || r->chunked == 1);
    CHECK(r->has_length == 0 || r->has_length == 1);
    CHECK(!(r->chunked && r->has_length));
    CHECK(!(r->http10 && (r->chunked || r->expect_continue)));
    CHECK(r->has_length || r->content_length == 0);
    CHECK(!r->has_length || r->content_length <= r->max_body);
    CHECK(r->status == 0 && r->message == NULL);
}

static void check_end(const h1req_t *r, const buf_t *body)
{
    if (r->state == H1REQ_ERROR) {
        CHECK(r->status == 400 || r->status == 413 || r->status == 414 || r->status == 431 ||
              r->status == 501 || r->status == 505);
        CHECK(r->message != NULL && r->message[0] != '\0');
        return;
    }
    if (r->state == H1REQ_HEAD) {
        CHECK(body->len == 0);
        return;
    }
    check_head(r);
    if (r->state == H1REQ_DONE) {
        if (r->has_length)
            CHECK(body->len == r->content_length);
        else if (!r->chunked)
            CHECK(body->len == 0);
    } else {
        CHECK(r->state == H1REQ_BODY && (r->chunked || r->has_length));
        CHECK(!r->has_length || body->len < r->content_length);
    }
}

static void record(run_t *run, const h1req_t *r, size_t end, const buf_t *body)
{
    outcome_t *o = &run->req[run->count++];
    o->r = *r;
    o->end = end;
    o->body_n = body->len;
    o->body_hash = fnv1a(body->p, body->len, 0xcbf29ce484222325ull);
}

/* Reads the stream (s, n) as pipelined requests, in pieces as `how` says. */
static void read_stream(run_t *run, const char *s, size_t n, size_t max_head, size_t max_body,
                        int how, uint64_t seed)
{
    static buf_t body;
    h1req_t r;
    size_t off = 0;
    run->count = 0;
    buf_reset(&body);
    h1req_init(&r, max_head, max_body);
    for (;;) {
        if (off == n) { /* the stream ends inside a request (or between two) */
            check_end(&r, &body);
            record(run, &r, off, &body);
            return;
        }
        size_t len = n - off;
        if (how == BYTES) {
            len = 1;
        } else if (how == PIECES) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            len = (size_t)(seed >> 58); /* 0..63 */
            if (len > n - off)
                len = n - off;
        }
        h1req_state_t before = r.state;
        size_t used = h1req_feed(&r, s + off, len, &body);
        CHECK(used <= len);
        CHECK(body.len <= max_body);
        if (r.state == H1REQ_HEAD || r.state == H1REQ_BODY)
            CHECK(used == len);
        if (len == 0)
            CHECK(r.state == before);
        off += used;
        if (r.state == H1REQ_HEAD || r.state == H1REQ_BODY)
            continue;
        CHECK(h1req_feed(&r, s + off, n - off, &body) == 0); /* nothing more */
        check_end(&r, &body);
        record(run, &r, off, &body);
        if (r.state == H1REQ_ERROR || run->count == FUZZ_MAX_REQUESTS)
            return;
        buf_reset(&body);
        h1req_init(&r, max_head, max_body);
    }
}

static void check_same(const outcome_t *a, const outcome_t *b)
{
    const h1req_t *x = &a->r, *y = &b->r;
    CHECK(x->state == y->state && x->status == y->status && x->message == y->message);
    CHECK(a->end == b->end && a->body_n == b->body_n && a->body_hash == b->body_hash);
    if (x->state == H1REQ_HEAD || x->state == H1REQ_ERROR)
        return; /* the head fields are not valid */
    CHECK(strcmp(x->method, y->method) == 0 && strcmp(x->target, y->target) == 0);
    CHECK(strcmp(x->host, y->host) == 0 && strcmp(x->content_type, y->content_type) == 0);
    CHECK(strcmp(x->content_encoding, y->content_encoding) == 0);
    CHECK(x->http10 == y->http10 && x->keep_alive == y->keep_alive);
    CHECK(x->expect_continue == y->expect_continue && x->chunked == y->chunked);
    CHECK(x->has_length == y->has_length && x->content_length == y->content_length);
}

/* One connection: its first byte picks the limits. */
static void check_stream(const uint8_t *data, size_t size)
{
    static const size_t heads[] = {48, 200, 1100, 8192};
    static const size_t bodies[] = {0, 10, 100, 4096};
    static run_t runs[3];
    if (size == 0)
        return;
    size_t max_head = heads[data[0] & 3], max_body = bodies[(data[0] >> 2) & 3];
    size_t n = size - 1;
    char *s = malloc(n ? n : 1); /* exact size */
    memcpy(s, data + 1, n);
    uint64_t seed = fnv1a(data, size, 0xcbf29ce484222325ull);
    read_stream(&runs[WHOLE], s, n, max_head, max_body, WHOLE, 0);
    read_stream(&runs[BYTES], s, n, max_head, max_body, BYTES, 0);
    read_stream(&runs[PIECES], s, n, max_head, max_body, PIECES, seed);
    for (int how = BYTES; how <= PIECES; how++) {
        CHECK(runs[how].count == runs[WHOLE].count);
        for (size_t i = 0; i < runs[WHOLE].count; i++)
            check_same(&runs[WHOLE].req[i], &runs[how].req[i]);
    }
    /* the requests follow each other in the stream */
    for (size_t i = 1; i < runs[WHOLE].count; i++)
        CHECK(runs[WHOLE].req[i].end >= runs[WHOLE].req[i - 1].end);
    CHECK(n == 0 || memcmp(s, data + 1, n) == 0);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const size_t sep = sizeof FUZZ_SEPARATOR - 1;
    const uint8_t *p = data, *end = data + size;
    for (int streams = 0; streams < FUZZ_MAX_STREAMS; streams++) {
        const uint8_t *q = memmem(p, (size_t)(end - p), FUZZ_SEPARATOR, sep);
        check_stream(p, (size_t)((q ? q : end) - p));
        if (!q)
            break;
        p = q + sep;
    }
    return 0;
}
