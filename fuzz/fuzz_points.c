/* fuzz_points.c - libFuzzer target for the points batch parser.
 *
 * Parses the input as a POST /api/v1/points body and checks, for every
 * sample handed to the sink, the invariants callers rely on; any violation
 * aborts, which libFuzzer (and the corpus replay in the tests) reports as a
 * crash. The sanitizers catch reads past the input, which libFuzzer hands
 * over in an exact-size buffer. It also checks that:
 *   - an error names an offset inside the body, and a rejected body made no
 *     sink call;
 *   - validation alone (no sink) gives the same verdict and error;
 *   - the same body followed by 40 spaces (still the same JSON) gives the
 *     same verdict and the same samples. Near the end of a body the SSE2
 *     fast path is off (it needs 32 bytes ahead), so this compares the fast
 *     path with the byte-at-a-time code on whatever the fuzzer finds.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/serieskey.h"
#include "ingest/points.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAD  40
#define KEEP 4096 /* samples remembered for the padded comparison */

typedef struct fuzz_ctx {
    const char *body;
    size_t size;   /* body length, without padding */
    size_t last;   /* offset of the previous sample */
    size_t calls;  /* sink calls so far */
    int replaying; /* 1: compare with the samples of the first parse */
} fuzz_ctx_t;

static points_sample_t kept[KEEP];
static char kept_names[KEEP][POINTS_NAME_MAX];

/* The ingest door reads every name as a key: a canonical key reads back
 * as itself, within the length bound, and passes the name rule or not as
 * the door says. */
static void check_key(slice_t name)
{
    char out[SERIESNAME_MAX], again_buf[SERIESNAME_MAX];
    slice_t key, again;
    if (serieskey_canonical(name.p, name.n, out, &key) != SERIESKEY_OK)
        return;
    if (key.n > name.n || key.n > SERIESNAME_MAX)
        abort(); /* canonical never grows */
    if (serieskey_canonical(key.p, key.n, again_buf, &again) != SERIESKEY_OK || again.n != key.n ||
        memcmp(again.p, key.p, key.n) != 0)
        abort(); /* idempotent */
}

static void check_sample(void *ctx, const points_sample_t *s)
{
    fuzz_ctx_t *c = ctx;
    if (s->offset >= c->size)
        abort();
    /* Body order: offsets strictly increase. */
    if (c->calls > 0 && s->offset <= c->last)
        abort();
    c->last = s->offset;
    /* A sample starts with a number or its pair's '['. */
    char first = c->body[s->offset];
    if (first != '[' && first != '-' && !(first >= '0' && first <= '9'))
        abort();
    if ((unsigned)s->reject >= POINTS_REJECT_COUNT || points_reject_reason(s->reject) == NULL)
        abort();
    if (s->name.n > POINTS_NAME_MAX)
        abort(); /* documented bound, even for a rejected name */
    if (s->name.n > 0 && s->name.p == NULL)
        abort();
    if ((s->has_ts != 0 && s->has_ts != 1) || (!s->has_ts && s->ts_ms != 0) || s->ts_ms < 0)
        abort();
    if (s->reject == POINTS_OK && (!isfinite(s->ms) || s->ms < 0 || signbit(s->ms)))
        abort();
    check_key(s->name);
    if (s->reject == POINTS_NEGATIVE && !(s->ms < 0))
        abort();
    if (s->reject == POINTS_NOT_FINITE && isfinite(s->ms))
        abort();
    if (s->reject == POINTS_BAD_TIMESTAMP && (!s->has_ts || s->ts_ms != 0))
        abort();
    if (c->calls < KEEP) {
        points_sample_t *k = &kept[c->calls];
        if (!c->replaying) {
            /* memcpy also makes ASan check every byte of the name slice. */
            *k = *s;
            memcpy(kept_names[c->calls], s->name.p, s->name.n);
        } else if (k->offset != s->offset || k->has_ts != s->has_ts || k->ts_ms != s->ts_ms ||
                   k->reject != s->reject || k->name.n != s->name.n ||
                   memcmp(&k->ms, &s->ms, sizeof s->ms) != 0 ||
                   memcmp(kept_names[c->calls], s->name.p, s->name.n) != 0) {
            abort();
        }
    }
    c->calls++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    fuzz_ctx_t ctx = {p, size, 0, 0, 0};
    points_error_t err = {0, NULL};

    int rc = points_parse(p, size, check_sample, &ctx, &err);
    if (rc != 0 &&
        (rc != SPIDER_EINVAL || err.message == NULL || err.offset > size || ctx.calls != 0))
        abort();

    /* Validation alone must agree with the full parse. */
    points_error_t err2 = {0, NULL};
    int rc2 = points_parse(p, size, NULL, NULL, &err2);
    if (rc2 != rc || (rc != 0 && (err2.offset != err.offset || err2.message != err.message)))
        abort();

    /* The same body with trailing whitespace: the same JSON. An error before
     * the end stays where it was; one at the end (a truncated body) moves. */
    char *padded = malloc(size + PAD);
    if (size)
        memcpy(padded, p, size);
    memset(padded + size, ' ', PAD);
    fuzz_ctx_t ctx2 = {padded, size, 0, 0, 1};
    points_error_t err3 = {0, NULL};
    int rc3 = points_parse(padded, size + PAD, check_sample, &ctx2, &err3);
    if (rc3 != rc || ctx2.calls != ctx.calls)
        abort();
    if (rc != 0 && err.offset < size && (err3.offset != err.offset || err3.message != err.message))
        abort();
    free(padded);
    return 0;
}
