/* points.h - the zero-allocation parser of POST /api/v1/points bodies.
 *
 * Body schema (docs/protocol.md): a JSON object whose keys are series names
 * and whose values are arrays of samples; a sample is a duration in ms (a
 * JSON number) or a pair [unix_ms, duration_ms].
 *
 *     {"checkout.db": [12.5, 8.1], "checkout.render": [[1764160000123, 4.2]]}
 *
 * points_parse() makes two passes over (p, n): the first validates the whole
 * body and stops at the first structural error; only if it passes does the
 * second pass hand every sample to the sink. So a body that gets a 400 has
 * applied nothing. The parser never needs a NUL, never writes into its input
 * and never allocates; it is safe on any byte sequence (it is fuzzed).
 *
 * The parser decodes names; the name rule and labels are the ingest sink's
 * (ingest/sink.h), except what decoding itself refuses: a name over
 * POINTS_NAME_MAX bytes or with a lone UTF-16 surrogate escape.
 *
 * Problems with one sample that leave the JSON well-formed (an undecodable
 * name, a negative or non-finite duration, a bad timestamp) are not
 * structural: the sample is still handed to the sink, with `reject` set, so
 * the caller can count and explain it. A sample gets one reason, the first
 * that applies in this order: name, timestamp, duration.
 *
 * Structural errors (SPIDER_EINVAL) are anything that is not valid JSON of
 * that shape: a non-object top level, a value that is not an array, a sample
 * that is not a number or a two-number array (so deep nesting fails at the
 * third '['), raw control characters or bad escapes in a string, trailing
 * data, and, beyond JSON, a number literal longer than POINTS_NUMBER_MAX
 * bytes ("number too long"). Numbers follow the JSON grammar strictly: no
 * leading zeros, '+', '.5', '1.', NaN, Infinity or hex.
 */
#ifndef SPIDER_INGEST_POINTS_H
#define SPIDER_INGEST_POINTS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/slice.h"

/* Longest series name accepted, in bytes of UTF-8. */
#define POINTS_NAME_MAX 200

/* Longest number literal accepted, in bytes: longer ones are a structural
 * error ("number too long"), so a number can be converted from a bounded
 * stack copy. No double needs more than 17 significant digits, so no sane
 * client gets near it. */
#define POINTS_NUMBER_MAX 63

typedef enum points_reject {
    POINTS_OK = 0,
    POINTS_BAD_NAME,      /* cannot be a name: over POINTS_NAME_MAX bytes, or a lone surrogate */
    POINTS_NEGATIVE,      /* duration < 0 */
    POINTS_NOT_FINITE,    /* duration overflows a double (e.g. 1e400) */
    POINTS_BAD_TIMESTAMP, /* unix_ms not a non-negative integer that fits int64 */
    POINTS_REJECT_COUNT
} points_reject_t;

typedef struct points_sample {
    slice_t name;           /* decoded name; valid only during the sink call. With
                               POINTS_BAD_NAME, an unspecified prefix of it (at most
                               POINTS_NAME_MAX bytes, maybe not UTF-8) */
    int has_ts;             /* 1 if the sample was [unix_ms, duration_ms] */
    int64_t ts_ms;          /* unix ms when has_ts (0 if it is the bad part) */
    double ms;              /* duration in ms (-0 is handed out as 0) */
    points_reject_t reject; /* POINTS_OK, or why this sample cannot be used */
    size_t offset;          /* byte offset of the sample in the body */
    uint32_t key_index;     /* 1 for the samples of the first key, 2 for the second, ...:
                               a sink prepares a key once, when this changes */
} points_sample_t;

/* Receives one sample of the second pass. Must not retain s->name.p. */
typedef void (*points_sink_fn)(void *ctx, const points_sample_t *s);

typedef struct points_error {
    size_t offset;       /* byte offset where the body stopped making sense */
    const char *message; /* static English text naming what was expected */
} points_error_t;

/* Parses and, if the whole body is well-formed, delivers every sample to
 * sink in body order. Returns 0, or SPIDER_EINVAL with *err filled (and no
 * sink call made). sink may be NULL (validate only). */
int points_parse(const char *p, size_t n, points_sink_fn sink, void *ctx, points_error_t *err);

/* Static English phrase for a reject reason, e.g. "negative duration". */
const char *points_reject_reason(points_reject_t r);

#endif
