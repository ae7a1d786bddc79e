/* fuzz_control.c - libFuzzer target for the WebSocket control message parser.
 *
 * Parses the input as a client text message and checks the invariants the
 * server relies on; any violation aborts, which libFuzzer (and the corpus
 * replay in the tests) reports as a crash. The sanitizers catch reads past
 * the input, which libFuzzer hands over in an exact-size buffer (cJSON
 * itself is the system library, not instrumented). It checks that:
 *   - the input is never written;
 *   - on success: "*" has no names; otherwise 0..CONTROL_MAX_NAMES distinct
 *     names, each 1..CONTROL_NAME_MAX bytes of valid UTF-8 without C0
 *     control characters or DEL, NUL-terminated in place, laid out without
 *     overlap, and found by control_msg_has(); window_s is the default or
 *     in 0..CONTROL_WINDOW_MAX; and the input was valid UTF-8;
 *   - on error: a known code with its close code (1003, 1007 or 1009), a
 *     non-empty printable ASCII message that fits a close frame, *out
 *     subscribing to nothing; input that is not valid UTF-8 closes with
 *     1007 or 1009;
 *   - the same message followed by JSON whitespace gets the same verdict
 *     (and the same names), and followed by "x" is refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/selector.h"
#include "push/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static control_msg_t msg, msg2;

/* An independent, deliberately plain UTF-8 check (RFC 3629), by code point. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i], len, cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

static void check_ok(const control_msg_t *m)
{
    if (m->all != 0 && m->all != 1)
        abort();
    if (m->all && m->count != 0)
        abort();
    if (m->count > CONTROL_MAX_NAMES)
        abort();
    if (m->window_s != CONTROL_WINDOW_DEFAULT &&
        (m->window_s < 0 || m->window_s > CONTROL_WINDOW_MAX))
        abort();
    size_t next = 0; /* names are packed in order */
    for (unsigned i = 0; i < m->count; i++) {
        slice_t s = control_msg_name(m, i);
        if (s.n < 1 || s.n > CONTROL_NAME_MAX || s.p != m->names + next)
            abort();
        if (!utf8_valid((const unsigned char *)s.p, s.n) || s.p[s.n] != '\0')
            abort();
        for (size_t k = 0; k < s.n; k++)
            if ((unsigned char)s.p[k] < 0x20 || s.p[k] == 0x7f)
                abort();
        for (unsigned j = 0; j < i; j++) {
            slice_t t = control_msg_name(m, j);
            if (t.n == s.n && memcmp(t.p, s.p, s.n) == 0)
                abort(); /* duplicates are removed */
        }
        if (!control_msg_has(m, s.p, s.n))
            abort();
        next += s.n + 1;
    }
    if (next > sizeof m->names)
        abort();
    /* Live roll-ups: texts within bounds, terminated, UTF-8; the selector
     * parses and the by list splits, as the server will do with them. */
    if (m->n_rollups > CONTROL_MAX_ROLLUPS)
        abort();
    for (unsigned i = 0; i < m->n_rollups; i++) {
        const control_rollup_t *r = &m->rollups[i];
        if (r->match_len > SELECTOR_MAX || r->match[r->match_len] != '\0' ||
            r->by_len > CONTROL_BY_MAX || r->by[r->by_len] != '\0')
            abort();
        if (!utf8_valid((const unsigned char *)r->match, r->match_len) ||
            !utf8_valid((const unsigned char *)r->by, r->by_len))
            abort();
        if (r->step_s < 0 || r->step_s > CONTROL_WINDOW_MAX)
            abort();
        selector_t sel;
        selector_error_t serr;
        if (selector_parse(&sel, r->match, r->match_len, &serr) != 0)
            abort();
        selector_free(&sel);
        slice_t by[SELECTOR_BY_MAX];
        size_t n_by;
        if (selector_parse_by(slice_make(r->by, r->by_len), by, &n_by) != NULL)
            abort();
    }
}

static void check_error(int rc, const control_error_t *e, const control_msg_t *m)
{
    if (rc != SPIDER_EINVAL)
        abort();
    static const int close_of[] = {0, CONTROL_CLOSE_TOO_BIG, CONTROL_CLOSE_INVALID_PAYLOAD,
                                   CONTROL_CLOSE_INVALID_PAYLOAD, CONTROL_CLOSE_UNSUPPORTED};
    if (e->code <= CONTROL_ERR_NONE || e->code > CONTROL_ERR_SHAPE ||
        e->close_code != close_of[e->code])
        abort();
    size_t len = strnlen(e->message, sizeof e->message);
    if (len == 0 || len >= sizeof e->message || len > 123)
        abort();
    for (size_t i = 0; i < len; i++)
        if (e->message[i] < 0x20 || e->message[i] >= 0x7f)
            abort();
    if (m->all != 0 || m->count != 0 || m->window_s != CONTROL_WINDOW_DEFAULT)
        abort();
}

static int same_names(const control_msg_t *a, const control_msg_t *b)
{
    if (a->all != b->all || a->count != b->count || a->window_s != b->window_s)
        return 0;
    for (unsigned i = 0; i < a->count; i++) {
        slice_t s = control_msg_name(a, i), t = control_msg_name(b, i);
        if (s.n != t.n || memcmp(s.p, t.p, s.n) != 0)
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    char *copy = malloc(size + 2);
    if (size)
        memcpy(copy, p, size);

    control_error_t err;
    memset(&err, 0, sizeof err);
    int rc = control_parse(p, size, &msg, &err);
    if (size && memcmp(copy, p, size) != 0)
        abort(); /* the input was written */
    if (rc == 0) {
        check_ok(&msg);
        if (!utf8_valid(data, size))
            abort();
    } else {
        check_error(rc, &err, &msg);
        if (!utf8_valid(data, size) && err.close_code == CONTROL_CLOSE_UNSUPPORTED)
            abort();
        if (size > CONTROL_MAX_BYTES && err.close_code != CONTROL_CLOSE_TOO_BIG)
            abort();
    }

    /* Trailing whitespace is the same message; trailing "x" is garbage. */
    if (size + 1 <= CONTROL_MAX_BYTES) {
        control_error_t err2;
        copy[size] = '\n';
        int rc2 = control_parse(copy, size + 1, &msg2, &err2);
        if ((rc2 == 0) != (rc == 0) || (rc == 0 && !same_names(&msg, &msg2)))
            abort();
        if (rc != 0)
            check_error(rc2, &err2, &msg2);
        copy[size] = 'x';
        rc2 = control_parse(copy, size + 1, &msg2, &err2);
        if (rc2 == 0)
            abort();
        check_error(rc2, &err2, &msg2);
    }
    free(copy);
    return 0;
}
