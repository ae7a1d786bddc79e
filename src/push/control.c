/* control.c - the parser of the JSON text messages clients send on GET /ws.
 *
 * Three steps, cheapest first:
 *
 * 1. A scan of the raw bytes, O(n), no allocation. It finds the first byte
 *    that is not valid UTF-8 (remembered, not yet an error: a bad byte
 *    inside a series name gets a more precise message in step 3), refuses
 *    raw control characters, nesting deeper than CONTROL_MAX_DEPTH and
 *    unterminated strings, and notes any "\u0000" escape. It tracks only
 *    whether it is inside a string, which is enough for that on valid JSON;
 *    on invalid JSON step 2 refuses whatever it got wrong.
 * 2. cJSON builds the tree. The scan guarantees what cJSON does not check
 *    or cannot represent: no NUL byte ends up in a decoded string (cJSON
 *    returns C strings, so "a\u0000b" would silently read as "a"), no raw
 *    control characters (cJSON takes them in strings, and any byte <= ' '
 *    as whitespace), bounded recursion, and no string running to the end of
 *    the input (where cJSON before 1.7.18 read past it, CVE-2023-53154).
 * 3. A walk over the tree checks the shape and copies the names out, so
 *    nothing of cJSON's memory outlives the call.
 */
#include "control.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../core/error.h"
#include "../core/seriesname.h"
#include "../core/utf8.h"

/* The longest key echoed in "unknown key: ...", so the message stays well
 * inside CONTROL_ERROR_MAX. */
#define CONTROL_KEY_ECHO 40

/* What step 1 found. */
typedef struct control_scan {
    size_t bad_utf8; /* offset of the first invalid UTF-8 byte, or n */
    int escaped_nul; /* a "\u0000" escape occurred in a string */
} control_scan_t;

static int control_fail(control_error_t *err, control_err_t code, size_t offset, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

/* Fills *err (if any) and returns SPIDER_EINVAL. */
static int control_fail(control_error_t *err, control_err_t code, size_t offset, const char *fmt,
                        ...)
{
    if (!err)
        return SPIDER_EINVAL;
    err->code = code;
    switch (code) {
    case CONTROL_ERR_TOO_BIG:
        err->close_code = CONTROL_CLOSE_TOO_BIG;
        break;
    case CONTROL_ERR_SHAPE:
        err->close_code = CONTROL_CLOSE_UNSUPPORTED;
        break;
    default:
        err->close_code = CONTROL_CLOSE_INVALID_PAYLOAD;
        break;
    }
    err->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return SPIDER_EINVAL;
}

/* Step 1 (see the top of the file). Returns 0 or fails with *err. */
static int control_scan(const char *p, size_t n, control_scan_t *sc, control_error_t *err)
{
    sc->bad_utf8 = utf8_valid_prefix((const unsigned char *)p, n);
    sc->escaped_nul = 0;
    int in_string = 0;
    unsigned depth = 0;
    size_t string_at = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (in_string) {
            if (c < 0x20)
                return control_fail(err, CONTROL_ERR_JSON, i,
                                    "control character in a string (it must be escaped)");
            if (c == '"') {
                in_string = 0;
            } else if (c == '\\') {
                if (n - i >= 6 && memcmp(p + i + 1, "u0000", 5) == 0)
                    sc->escaped_nul = 1;
                i++; /* the escaped byte cannot end the string */
            }
            continue;
        }
        switch (c) {
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            break;
        case '"':
            in_string = 1;
            string_at = i;
            break;
        case '[':
        case '{':
            if (++depth <= CONTROL_MAX_DEPTH)
                break;
            /* Bytes that are not UTF-8 close with 1007 whatever else. */
            if (sc->bad_utf8 < n)
                return control_fail(err, CONTROL_ERR_UTF8, sc->bad_utf8,
                                    "message is not valid UTF-8");
            return control_fail(err, CONTROL_ERR_SHAPE, i, "message is nested more than %d deep",
                                CONTROL_MAX_DEPTH);
        case ']':
        case '}':
            if (depth > 0)
                depth--;
            break;
        default:
            if (c < 0x20)
                return control_fail(err, CONTROL_ERR_JSON, i, "not valid JSON");
            break;
        }
    }
    if (in_string)
        return control_fail(err, CONTROL_ERR_JSON, string_at, "not valid JSON");
    return 0;
}

/* Copies a key into buf (CONTROL_KEY_ECHO + 4 bytes) as printable ASCII,
 * cut short with "...", so it can go into an error message. */
static void control_echo_key(const char *key, char *buf)
{
    size_t i = 0;
    for (; key[i] && i < CONTROL_KEY_ECHO; i++) {
        unsigned char c = (unsigned char)key[i];
        buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (key[i]) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
}

/* Checks series name number idx (from 1) and appends it to *out unless it
 * is already there. */
static int control_add_name(const cJSON *item, unsigned idx, control_msg_t *out,
                            control_error_t *err)
{
    if (!cJSON_IsString(item) || !item->valuestring)
        return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                            "series name %u is not a string", idx);
    /* The scan refused "\u0000" and raw NULs, so strlen is the length. */
    const char *s = item->valuestring;
    size_t len = strlen(s);
    if (len == 0)
        return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET, "series name %u is empty",
                            idx);
    if (len > CONTROL_NAME_MAX)
        return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                            "series name %u is longer than %d bytes", idx, CONTROL_NAME_MAX);
    if (utf8_valid_prefix((const unsigned char *)s, len) != len)
        return control_fail(err, CONTROL_ERR_UTF8, CONTROL_NO_OFFSET,
                            "series name %u is not valid UTF-8", idx);
    seriesname_check_t check = seriesname_check(s, len);
    if (check != SERIESNAME_OK)
        return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET, "series name %u %s", idx,
                            seriesname_reason(check));
    if (control_msg_has(out, s, len))
        return 0; /* a duplicate: the first one stays */
    /* Fits: count < CONTROL_MAX_NAMES and every name before took at most
     * CONTROL_NAME_MAX + 1 bytes. */
    size_t at =
        out->count == 0 ? 0 : (size_t)out->off[out->count - 1] + out->len[out->count - 1] + 1;
    memcpy(out->names + at, s, len);
    out->names[at + len] = '\0';
    out->off[out->count] = (uint16_t)at;
    out->len[out->count] = (uint8_t)len;
    out->count++;
    return 0;
}

static int control_subscribe(const cJSON *v, control_msg_t *out, control_error_t *err)
{
    if (cJSON_IsString(v) && v->valuestring && strcmp(v->valuestring, "*") == 0) {
        out->all = 1;
        return 0;
    }
    if (!cJSON_IsArray(v))
        return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                            "subscribe must be \"*\" or a list of series names");
    unsigned idx = 0;
    for (const cJSON *item = v->child; item; item = item->next) {
        if (++idx > CONTROL_MAX_NAMES)
            return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                                "subscribe lists more than %d series names", CONTROL_MAX_NAMES);
        int rc = control_add_name(item, idx, out, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int control_window(const cJSON *v, control_msg_t *out, control_error_t *err)
{
    /* NaN fails every comparison; the cast is done only in range. */
    double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
    if (!(d >= 0 && d <= CONTROL_WINDOW_MAX) || (double)(int)d != d)
        return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                            "window_s must be an integer from 0 to %d", CONTROL_WINDOW_MAX);
    out->window_s = (int)d;
    return 0;
}

/* Copies the string member v of roll-up idx into dst (max bytes). */
static int control_rollup_text(const cJSON *v, unsigned idx, const char *key, char *dst,
                               uint16_t *len, size_t max, control_error_t *err)
{
    if (!cJSON_IsString(v) || !v->valuestring)
        return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                            "rollups[%u].%s must be a string", idx, key);
    size_t n = strlen(v->valuestring);
    if (n > max)
        return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                            "rollups[%u].%s is longer than %zu bytes", idx, key, max);
    /* An escaped lone surrogate decodes to bytes that are not UTF-8. */
    if (utf8_valid_prefix((const unsigned char *)v->valuestring, n) != n)
        return control_fail(err, CONTROL_ERR_UTF8, CONTROL_NO_OFFSET,
                            "rollups[%u].%s is not valid UTF-8", idx, key);
    memcpy(dst, v->valuestring, n);
    dst[n] = '\0';
    *len = (uint16_t)n;
    return 0;
}

/* One entry of "rollups": {"match":..., "by":..., "step_s":...}. */
static int control_rollup(const cJSON *v, unsigned idx, control_rollup_t *r, control_error_t *err)
{
    if (!cJSON_IsObject(v))
        return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                            "rollups[%u] must be an object with match, by and step_s", idx);
    r->match[0] = r->by[0] = '\0';
    r->match_len = r->by_len = 0;
    r->step_s = 0;
    int seen_match = 0, seen_by = 0, seen_step = 0, rc = 0;
    for (const cJSON *item = v->child; item && rc == 0; item = item->next) {
        const char *key = item->string ? item->string : "";
        int *seen = strcmp(key, "match") == 0    ? &seen_match
                    : strcmp(key, "by") == 0     ? &seen_by
                    : strcmp(key, "step_s") == 0 ? &seen_step
                                                 : NULL;
        if (!seen) {
            char echo[CONTROL_KEY_ECHO + 4];
            control_echo_key(key, echo);
            return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                                "rollups[%u]: unknown key: %s", idx, echo);
        }
        if ((*seen)++)
            return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                                "rollups[%u]: duplicate key: %s", idx, key);
        if (seen == &seen_match) {
            rc =
                control_rollup_text(item, idx, "match", r->match, &r->match_len, SELECTOR_MAX, err);
        } else if (seen == &seen_by) {
            rc = control_rollup_text(item, idx, "by", r->by, &r->by_len, CONTROL_BY_MAX, err);
        } else {
            double d = cJSON_IsNumber(item) ? item->valuedouble : -1;
            if (!(d >= 1 && d <= CONTROL_WINDOW_MAX) || (double)(int)d != d)
                return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                                    "rollups[%u].step_s must be an integer from 1 to %d", idx,
                                    CONTROL_WINDOW_MAX);
            r->step_s = (int)d;
        }
    }
    if (rc != 0)
        return rc;
    if (!seen_match)
        return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                            "rollups[%u].match is missing", idx);
    selector_t sel;
    selector_error_t serr;
    if (selector_parse(&sel, r->match, r->match_len, &serr) != 0)
        return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                            "rollups[%u].match: %s (at byte %zu)", idx, serr.message, serr.offset);
    selector_free(&sel);
    slice_t by[SELECTOR_BY_MAX];
    size_t n_by;
    const char *bad = selector_parse_by(slice_make(r->by, r->by_len), by, &n_by);
    if (bad)
        return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET, "rollups[%u].%s", idx, bad);
    return 0;
}

static int control_rollups(const cJSON *v, control_msg_t *out, control_error_t *err)
{
    if (!cJSON_IsArray(v))
        return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                            "rollups must be a list of {\"match\":...} objects");
    for (const cJSON *item = v->child; item; item = item->next) {
        if (out->n_rollups == CONTROL_MAX_ROLLUPS)
            return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                                "rollups lists more than %d roll-ups", CONTROL_MAX_ROLLUPS);
        int rc = control_rollup(item, out->n_rollups, &out->rollups[out->n_rollups], err);
        if (rc != 0)
            return rc;
        out->n_rollups++;
    }
    return 0;
}

/* Step 3: the shape of the tree. */
static int control_walk(const cJSON *root, control_msg_t *out, control_error_t *err)
{
    if (!cJSON_IsObject(root))
        return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                            "message must be a JSON object");
    int seen_subscribe = 0, seen_window = 0, seen_rollups = 0;
    for (const cJSON *item = root->child; item; item = item->next) {
        const char *key = item->string ? item->string : "";
        int rc;
        if (strcmp(key, "subscribe") == 0) {
            if (seen_subscribe++)
                return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                                    "duplicate key: subscribe");
            rc = control_subscribe(item, out, err);
        } else if (strcmp(key, "window_s") == 0) {
            if (seen_window++)
                return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                                    "duplicate key: window_s");
            rc = control_window(item, out, err);
        } else if (strcmp(key, "rollups") == 0) {
            if (seen_rollups++)
                return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                                    "duplicate key: rollups");
            rc = control_rollups(item, out, err);
        } else {
            char echo[CONTROL_KEY_ECHO + 4];
            control_echo_key(key, echo);
            return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET, "unknown key: %s", echo);
        }
        if (rc != 0)
            return rc;
    }
    if (!seen_subscribe)
        return control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET, "subscribe is missing");
    return 0;
}

int control_parse(const char *p, size_t n, control_msg_t *out, control_error_t *err)
{
    /* Until it succeeds, *out subscribes to nothing. */
    out->all = 0;
    out->count = 0;
    out->n_rollups = 0;
    out->window_s = CONTROL_WINDOW_DEFAULT;
    if (n > CONTROL_MAX_BYTES)
        return control_fail(err, CONTROL_ERR_TOO_BIG, CONTROL_MAX_BYTES,
                            "message is longer than %d bytes", CONTROL_MAX_BYTES);
    if (n == 0 || !p)
        return control_fail(err, CONTROL_ERR_JSON, 0, "empty message");

    control_scan_t sc;
    int rc = control_scan(p, n, &sc, err);
    if (rc != 0)
        return rc;

    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(p, n, &end, 0);
    if (!root) {
        /* cJSON sets end to where it stopped (also when out of memory,
         * which cannot be told apart from a syntax error). */
        size_t at = end && end >= p && end <= p + n ? (size_t)(end - p) : 0;
        if (sc.bad_utf8 < n)
            return control_fail(err, CONTROL_ERR_UTF8, sc.bad_utf8, "message is not valid UTF-8");
        return control_fail(err, CONTROL_ERR_JSON, at, "not valid JSON");
    }
    /* cJSON stops after the value; only whitespace may follow. */
    while (end < p + n && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    if (end != p + n) {
        rc = sc.bad_utf8 < n
                 ? control_fail(err, CONTROL_ERR_UTF8, sc.bad_utf8, "message is not valid UTF-8")
                 : control_fail(err, CONTROL_ERR_JSON, (size_t)(end - p),
                                "trailing data after the JSON value");
        goto done;
    }
    /* cJSON cut the string at the NUL, so the tree is not what was sent. */
    if (sc.escaped_nul)
        rc = control_fail(err, CONTROL_ERR_SHAPE, CONTROL_NO_OFFSET,
                          "\\u0000 is not allowed in a string");
    else
        rc = control_walk(root, out, err);
    /* Bytes that are not UTF-8 close with 1007 whatever else is wrong. A
     * name that is not UTF-8 already said so; an accepted message cannot
     * hold such bytes (its only strings are keys, "*" and checked names
     * and roll-up texts), so this is a safety net there. */
    if (sc.bad_utf8 < n && (rc == 0 || (err && err->code != CONTROL_ERR_UTF8)))
        rc = control_fail(err, CONTROL_ERR_UTF8, sc.bad_utf8, "message is not valid UTF-8");

done:
    cJSON_Delete(root);
    if (rc != 0) {
        out->all = 0;
        out->count = 0;
        out->n_rollups = 0;
        out->window_s = CONTROL_WINDOW_DEFAULT;
    }
    return rc;
}

slice_t control_msg_name(const control_msg_t *m, unsigned i)
{
    if (i >= m->count)
        return slice_make(NULL, 0);
    return slice_make(m->names + m->off[i], m->len[i]);
}

int control_msg_has(const control_msg_t *m, const char *name, size_t len)
{
    if (m->all)
        return 1;
    for (unsigned i = 0; i < m->count; i++)
        if (m->len[i] == len && memcmp(m->names + m->off[i], name, len) == 0)
            return 1;
    return 0;
}
