/* serieskey.h - series keys with labels: `name` or `name{k="v",...}`.
 *
 * A series is identified by its key. The canonical form, which is what the
 * store keys on, is the name, then, if it has labels, '{', the labels sorted
 * bytewise by label name, as `k="v"` joined by ',', and '}': no spaces, every
 * label name once. Label values are written with Prometheus' escaping
 * (`\\` and `\"`; other characters as they are). One label set is one key,
 * whatever order or spacing it was sent in.
 *
 * Rules (docs/protocol.md, "Series keys"):
 *   - label names match [a-zA-Z_][a-zA-Z0-9_]*, at most SERIESKEY_LABEL_NAME_MAX
 *     bytes, not starting with "__" (Prometheus reserves those);
 *   - label values are UTF-8 without control characters (the whole key
 *     must pass core/seriesname.h, which the caller checks);
 *   - an empty value means "no such label" (as in Prometheus): it is dropped;
 *   - at most SERIESKEY_LABELS_MAX labels, the whole key at most
 *     SERIESNAME_MAX bytes.
 *
 * Reading a key as sent (serieskey_canonical): the label list is the
 * suffix that starts at the first '{' from which a whole label list runs to
 * the end of the string. A name without such a suffix is a plain name, even
 * if it contains braces (`GET /users/{id}` is a name). Inside the braces
 * spaces around tokens and one trailing ',' are allowed, as in Prometheus.
 *
 * Building a key from parts (serieskey_builder): StatsD tags and OTLP
 * attributes arrive as (name, value) pairs of raw bytes. Label names are
 * mapped onto the rule (every byte outside [a-zA-Z0-9_] becomes '_', a
 * leading digit gets a '_' before it); values are escaped on output.
 *
 * Pure (libc only), no allocation: the caller provides the output buffer.
 */
#ifndef SPIDER_CORE_SERIESKEY_H
#define SPIDER_CORE_SERIESKEY_H

#include <stddef.h>

#include "seriesname.h"
#include "slice.h"

#define SERIESKEY_LABELS_MAX     16
#define SERIESKEY_LABEL_NAME_MAX 64

typedef enum serieskey_check {
    SERIESKEY_OK,
    SERIESKEY_SYNTAX,      /* a '{' list that is almost one, e.g. `a{k=v}`: never from a builder */
    SERIESKEY_NO_NAME,     /* `{k="v"}`: labels without a name */
    SERIESKEY_LABEL_NAME,  /* not [a-zA-Z_][a-zA-Z0-9_]*, too long, or starting with "__" */
    SERIESKEY_LABEL_VALUE, /* a control character, or a bad escape */
    SERIESKEY_DUPLICATE,   /* a label name twice */
    SERIESKEY_TOO_MANY,    /* over SERIESKEY_LABELS_MAX labels */
    SERIESKEY_TOO_LONG,    /* the canonical key is over SERIESNAME_MAX bytes */
} serieskey_check_t;

/* Reads the key (p, n) as sent and writes its canonical form to out
 * (SERIESNAME_MAX bytes), setting *key to it. A plain name is not copied:
 * *key is (p, n) itself. The result is SERIESKEY_OK or why the key cannot
 * be one. A string that merely contains braces is a plain name, but one
 * that ends in '}' and has a '{' that starts something label-like
 * (`{ident=`) without being a valid list is SERIESKEY_SYNTAX, so that a
 * typo in a label never silently becomes a series of its own. Keys over
 * SERIESNAME_MAX bytes are SERIESKEY_TOO_LONG. O(n^2) in the worst case,
 * n <= SERIESNAME_MAX. */
serieskey_check_t serieskey_canonical(const char *p, size_t n, char *out, slice_t *key);

/* One label of a canonical key: slices into it, the value still escaped. */
typedef struct serieskey_part {
    slice_t name, value;
} serieskey_part_t;

/* Splits a canonical key (as serieskey_canonical or serieskey_build wrote
 * it) into its name and labels, in key order. Returns the number of labels
 * (0 for a plain name, *name then being the whole key). O(n^2) worst case,
 * n <= SERIESNAME_MAX; O(n) for keys whose name has no '{'. */
size_t serieskey_split(slice_t key, slice_t *name, serieskey_part_t parts[SERIESKEY_LABELS_MAX]);

/* A key assembled from a name and (name, value) pairs of raw bytes. */
typedef struct serieskey_label {
    char name[SERIESKEY_LABEL_NAME_MAX]; /* mapped onto the label name rule */
    size_t name_n;
    slice_t value; /* raw, unescaped; borrowed until serieskey_build() */
} serieskey_label_t;

typedef struct serieskey_builder {
    slice_t name;
    size_t n;
    serieskey_check_t error; /* the first error met while adding, or SERIESKEY_OK */
    serieskey_label_t labels[SERIESKEY_LABELS_MAX];
} serieskey_builder_t;

/* Starts a key for name (borrowed). */
void serieskey_builder_init(serieskey_builder_t *b, slice_t name);

/* Adds a label; an empty value is no label. A name that maps to nothing
 * valid (empty, or over SERIESKEY_LABEL_NAME_MAX bytes once mapped), or one
 * label too many, is remembered as the builder's error. */
void serieskey_builder_add(serieskey_builder_t *b, slice_t name, slice_t value);

/* Writes the canonical key to out (SERIESNAME_MAX bytes) and sets *key.
 * Returns SERIESKEY_OK or the first error (then *key is unspecified). O(n
 * + labels^2). */
serieskey_check_t serieskey_build(serieskey_builder_t *b, char *out, slice_t *key);

/* A short English phrase for a failed check. */
const char *serieskey_reason(serieskey_check_t c);

#endif
