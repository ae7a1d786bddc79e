/* buf.h - a growable byte buffer for building responses, with JSON helpers.
 *
 * Embedded value (buf_init/buf_dispose); owns its bytes. Appends never fail
 * (xmalloc aborts on exhaustion); callers bound what they append by the
 * configuration (e.g. a query answer is bounded by window x raw samples).
 * Not NUL-terminated unless buf_cstr() is called.
 */
#ifndef SPIDER_CORE_BUF_H
#define SPIDER_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    char *p;
    size_t len, cap;
} buf_t;

void buf_init(buf_t *b);
void buf_dispose(buf_t *b);
/* Empties the buffer but keeps its memory for reuse. */
void buf_reset(buf_t *b);
void buf_reserve(buf_t *b, size_t extra);
void buf_append(buf_t *b, const void *p, size_t n);
void buf_append_cstr(buf_t *b, const char *s);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Makes p[len] a NUL (not counted in len) and returns p. */
const char *buf_cstr(buf_t *b);

/* Appends (p, n) as a JSON string literal with quotes. Bytes that are not
 * valid UTF-8 become U+FFFD, so the output is always valid JSON. */
void buf_json_string(buf_t *b, const char *p, size_t n);
/* Appends the shortest decimal that reads back as the same double
 * (non-finite values, which JSON cannot carry, become null). */
void buf_json_double(buf_t *b, double v);
/* Appends the shortest decimal that reads back as the same float (raw
 * points are stored as floats; printing them as doubles shows noise digits). */
void buf_json_float(buf_t *b, float v);
void buf_json_int(buf_t *b, int64_t v);

#endif
