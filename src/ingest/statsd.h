/* statsd.h - the StatsD / DogStatsD line parser (issue #11, step 1: the
 * parser alone; the UDP and Unix sockets and the ingest sink come next).
 *
 * A datagram holds lines separated by '\n' (a '\r' before it is dropped,
 * empty lines are skipped). A line is
 *
 *     name:value[:value...]|type[|@rate][|#tag[:value],...][|c:...][|T...][|e:...][|card:...]
 *
 * The etsy syntax plus the DogStatsD extensions: packed values, sample
 * rates, tags; container ids, timestamps, external data, cardinality and
 * any unknown field are skipped. DogStatsD events ("_e{...") and service
 * checks ("_sc|...") are recognised and reported as such. Types `ms`, `h`
 * and `d` are latencies in ms; `c`, `g`, `s` are counters, gauges and sets
 * (not latencies: the caller counts them as ignored).
 *
 * Pure module: (pointer, length) in, slices into the input out; it never
 * writes into its input, never needs a NUL and never allocates. A line is
 * accepted or refused as a whole, with a reason; lines never affect each
 * other. Thread-safe.
 */
#ifndef SPIDER_INGEST_STATSD_H
#define SPIDER_INGEST_STATSD_H

#include <stddef.h>

#include "../core/slice.h"

/* Longest number literal in a value or a rate, in bytes (a longer one is
 * malformed: no double needs more, and it converts from a stack copy). */
#define STATSD_NUMBER_MAX 64

typedef enum statsd_kind {
    STATSD_LATENCY,       /* ms, h, d: durations in ms */
    STATSD_COUNTER,       /* c */
    STATSD_GAUGE,         /* g */
    STATSD_SET,           /* s */
    STATSD_EVENT,         /* _e{...}: a DogStatsD event */
    STATSD_SERVICE_CHECK, /* _sc|...: a DogStatsD service check */
    STATSD_KIND_COUNT
} statsd_kind_t;

/* Why a line was refused. */
typedef enum statsd_error {
    STATSD_OK,
    STATSD_ERR_NAME,  /* empty name, or one with a control character */
    STATSD_ERR_VALUE, /* no ':' and value, or a value that is not a number */
    STATSD_ERR_TYPE,  /* no '|' and type, or an unknown type */
    STATSD_ERR_RATE,  /* a sample rate that is not a number in (0, 1] */
    STATSD_ERR_COUNT
} statsd_error_t;

/* Values of a latency line converted while the line is checked (a line
 * holds one value, or a few packed ones, as a rule); the rest are read
 * again from the text by statsd_next_value(). */
#define STATSD_VALUES_INLINE 8

/* One parsed line; the slices point into the input. */
typedef struct statsd_line {
    statsd_kind_t kind;
    slice_t name;
    slice_t values; /* "1.5:2:3": read with statsd_next_value(); checked for latencies */
    size_t n_values;
    double rate;  /* 1 without |@; else in (0, 1]: each value stands for 1/rate samples */
    slice_t tags; /* what follows "|#", e.g. "env:prod,canary"; empty without tags */
    /* A latency's values 0 .. min(n_values, STATSD_VALUES_INLINE) - 1,
     * exactly as statsd_next_value() reads them; unset for other kinds. */
    double value[STATSD_VALUES_INLINE];
} statsd_line_t;

/* Takes the next non-empty line of the datagram [*cursor, end) into *line
 * (without its '\n' or '\r\n') and moves *cursor past it. Returns 1, or 0
 * when no line is left. */
int statsd_next_line(const char **cursor, const char *end, slice_t *line);

/* Parses one line. On STATSD_OK *out describes it (for events and service
 * checks only kind and name are set); otherwise *out is unspecified. For a
 * latency every value is a finite decimal number (a sign is allowed: a
 * negative duration is the caller's to refuse, per sample). */
statsd_error_t statsd_parse_line(const char *p, size_t n, statsd_line_t *out);

/* Reads the next value of a latency line: 1 with *value set and *values
 * advanced, 0 when none is left. Only for lines statsd_parse_line accepted. */
int statsd_next_value(slice_t *values, double *value);

/* A stable snake_case label for /metrics, e.g. "bad_rate", "counter". */
const char *statsd_error_label(statsd_error_t e);
const char *statsd_kind_label(statsd_kind_t k);

#endif
