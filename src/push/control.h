/* control.h - the parser of the JSON text messages clients send on GET /ws.
 *
 * Accepted messages (docs/protocol.md, "Live"). A message is one JSON object
 * with a required "subscribe" member and an optional "window_s" member, in
 * any order:
 *
 *     {"subscribe":"*"}                    every series
 *     {"subscribe":["a","b"]}              these series (at most CONTROL_MAX_NAMES)
 *     {"subscribe":[]}                     no series (the summary still comes)
 *     {"subscribe":"*","window_s":300}     history wanted in the snapshot, in s
 *     {"subscribe":[],"rollups":[{"match":"http{status=~\"5..\"}","by":"service","step_s":10}]}
 *                                          live roll-ups (push/liveroll.h)
 *
 * - A series name follows the ingest rule (src/ingest/points.h): 1 to
 *   CONTROL_NAME_MAX bytes of valid UTF-8 after JSON unescaping, no C0
 *   control character and no DEL. Escapes (\u00e9, \ud83d\ude00, \/) are
 *   decoded first; "\u0000" is refused in any string.
 * - At most CONTROL_MAX_NAMES entries, counted as sent. Duplicates are then
 *   removed: the list keeps the first occurrence of each name, in order.
 * - rollups, optional: a list of at most CONTROL_MAX_ROLLUPS objects with
 *   "match" (a selector, core/selector.h, at most SELECTOR_MAX bytes; it
 *   must parse), optional "by" (comma-separated label names, as in the
 *   roll-up query; "" or absent: one group) and optional "step_s" (an
 *   integer from 1 to CONTROL_WINDOW_MAX; absent: the server picks from
 *   window_s). Other keys are refused. The list keeps its order: entry i is
 *   the roll-up with "id" i in the server's messages.
 * - window_s is a JSON number with an integral value from 0 to
 *   CONTROL_WINDOW_MAX (so 60, 60.0 and 6e1 are the same; 1.5 is refused).
 *   Absent: window_s is CONTROL_WINDOW_DEFAULT and the server picks.
 * - Anything else is refused, so a typo is never silently ignored: another
 *   key, a key given twice, a missing "subscribe", a wrong type, a top level
 *   that is not an object.
 *
 * Errors, and the WebSocket close code the server sends for each:
 * - 1009 (message too big): more than CONTROL_MAX_BYTES bytes.
 * - 1007 (invalid payload data): the bytes are not valid UTF-8 (anywhere in
 *   the message, including inside a series name) or not JSON: empty input,
 *   a syntax error, a raw control character in a string, trailing data
 *   after the value.
 * - 1003 (unsupported data): valid JSON of the wrong shape, including
 *   nesting deeper than CONTROL_MAX_DEPTH, which is refused before the JSON
 *   is parsed (whether or not the rest would be valid), and "\u0000".
 *   Bytes that are not UTF-8 take precedence: 1007 whatever else is wrong.
 *
 * Parsing uses cJSON, which is lax in one place RFC 8259 is not: numbers
 * with leading zeros or an empty fraction ("01", "1.", "1.e3") are accepted.
 * A UTF-8 byte order mark at the start is skipped. Everything else that is
 * not RFC 8259 JSON is refused.
 *
 * control_parse() takes (pointer, length), never needs a NUL and never
 * writes into its input. It allocates (cJSON's tree, freed before it
 * returns), so it is for control messages, not a hot path. It is safe on
 * any byte sequence (fuzz/fuzz_control.c). Call it from one thread at a
 * time: on a syntax error cJSON records the position in a global (never
 * read here). Out of memory inside cJSON reads as "not valid JSON" unless
 * the program routes cJSON_InitHooks() to an aborting allocator.
 */
#ifndef SPIDER_PUSH_CONTROL_H
#define SPIDER_PUSH_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "../core/slice.h"
#include "../core/selector.h"
#include "../ingest/points.h"

/* Largest message accepted, in bytes. The server closes a client that sends
 * a longer one with 1009 before parsing; control_parse() refuses it too. */
#define CONTROL_MAX_BYTES (32 * 1024)

/* Most entries in a "subscribe" list. */
#define CONTROL_MAX_NAMES 100

/* Longest series name, in bytes of UTF-8: the ingest limit. */
#define CONTROL_NAME_MAX POINTS_NAME_MAX

/* Most live roll-ups in one message, and the longest "by" text. */
#define CONTROL_MAX_ROLLUPS 10
#define CONTROL_BY_MAX      256

/* Largest window_s, and the value of window_s when the message has none. */
#define CONTROL_WINDOW_MAX     86400
#define CONTROL_WINDOW_DEFAULT (-1)

/* Deepest nesting of arrays and objects looked at; an accepted message
 * needs 2 ({"subscribe":[...]}). */
#define CONTROL_MAX_DEPTH 16

/* WebSocket close codes (RFC 6455 7.4.1) for a refused message. */
#define CONTROL_CLOSE_UNSUPPORTED     1003
#define CONTROL_CLOSE_INVALID_PAYLOAD 1007
#define CONTROL_CLOSE_TOO_BIG         1009

/* Room for an error message with its NUL: 123 bytes is the longest reason a
 * WebSocket close frame can carry (125 bytes minus the 2-byte code). */
#define CONTROL_ERROR_MAX 124

/* error offset when the error has no single position (shape errors). */
#define CONTROL_NO_OFFSET ((size_t)-1)

/* A parsed message: a plain value that owns copies of the names (nothing
 * points into the input or into cJSON memory), so it can be copied with
 * memcpy, kept after the input is gone, and freed with its container. It is
 * about 34 KB: keep one per client, or turn it into series handles at once.
 * Read the names with control_msg_name(); the fields are read-only. */
/* One live roll-up as asked: the texts, checked (the selector parses). */
typedef struct control_rollup {
    char match[SELECTOR_MAX + 1]; /* NUL-terminated too */
    uint16_t match_len;
    char by[CONTROL_BY_MAX + 1];
    uint16_t by_len;
    int step_s; /* 1..CONTROL_WINDOW_MAX, or 0: the server picks */
} control_rollup_t;

typedef struct control_msg {
    int all;                         /* 1: "*", every series (count is 0) */
    int window_s;                    /* 0..CONTROL_WINDOW_MAX, or CONTROL_WINDOW_DEFAULT */
    unsigned count;                  /* distinct names, 0..CONTROL_MAX_NAMES */
    uint16_t off[CONTROL_MAX_NAMES]; /* name i starts at names + off[i] */
    uint8_t len[CONTROL_MAX_NAMES];  /* and has len[i] bytes (1..CONTROL_NAME_MAX) */
    /* The names, each followed by a NUL (a name cannot contain one), so
     * names + off[i] is also a C string. */
    char names[CONTROL_MAX_NAMES * (CONTROL_NAME_MAX + 1)];
    unsigned n_rollups; /* 0..CONTROL_MAX_ROLLUPS */
    control_rollup_t rollups[CONTROL_MAX_ROLLUPS];
} control_msg_t;

/* What kind of error, each with one close code. */
typedef enum control_err {
    CONTROL_ERR_NONE = 0,
    CONTROL_ERR_TOO_BIG, /* over CONTROL_MAX_BYTES: 1009 */
    CONTROL_ERR_UTF8,    /* not valid UTF-8, anywhere or in a name: 1007 */
    CONTROL_ERR_JSON,    /* not JSON: 1007 */
    CONTROL_ERR_SHAPE,   /* JSON, but not an accepted message: 1003 */
} control_err_t;

/* Why a message was refused. Owned by the caller; control_parse() fills it
 * without allocating. */
typedef struct control_error {
    control_err_t code;
    int close_code; /* CONTROL_CLOSE_*: what the server closes the client with */
    size_t offset;  /* byte where it stopped making sense, or CONTROL_NO_OFFSET */
    /* English text naming what is wrong, e.g. "unknown key: foo" or "series
     * name 3 is not valid UTF-8" (entries numbered from 1, as sent). Always
     * NUL-terminated, non-empty, printable ASCII and at most
     * CONTROL_ERROR_MAX - 1 bytes, so it can be sent as the close reason;
     * an echoed key is cut short and has other bytes replaced by '?'. */
    char message[CONTROL_ERROR_MAX];
} control_error_t;

/* Parses the message (p, n) into *out. Returns 0, or SPIDER_EINVAL with
 * *err filled (err may be NULL) and *out set to subscribe to nothing with
 * the default window (all = 0, count = 0). p may be NULL when n is 0.
 * Cost: O(n) plus O(k^2) name comparisons for k <= CONTROL_MAX_NAMES
 * entries (duplicate removal). Any thread. */
int control_parse(const char *p, size_t n, control_msg_t *out, control_error_t *err);

/* Name i (i < m->count) of a parsed message, borrowed from *m. */
slice_t control_msg_name(const control_msg_t *m, unsigned i);

/* 1 if the series (name, len) is subscribed by m: always with "*", else if
 * it is one of the names. A linear scan, O(count) comparisons (at most
 * CONTROL_MAX_NAMES): fine once per series when a client subscribes; a
 * server that needs it per series per push should resolve the names once. */
int control_msg_has(const control_msg_t *m, const char *name, size_t len);

#endif
