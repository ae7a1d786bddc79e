/* selector.h - series selectors: which series keys a query or roll-up means.
 *
 * Prometheus' matcher syntax over Spider's series keys (core/serieskey.h):
 *
 *     NAME                         every series named NAME, any labels
 *     NAME{MATCHER, ...}           ... whose labels match every matcher
 *     {MATCHER, ...}               any name (use __name__ to match it)
 *     MATCHER := LABEL OP "VALUE"  OP: =  !=  =~  !~   (VALUE also in '...')
 *
 * NAME is any series name, taken literally (Spider's names are not
 * Prometheus identifiers: `GET /users/{id}` and `checkout.pay` are names):
 * as in a series key, the matcher list is the suffix from the first '{'
 * that reads as a whole list to the end; a selector without one is a name.
 * `__name__` matches the name with any operator (`{__name__=~"http\\..*"}`).
 * A label a series does not have has the value "" (so `k=""` selects the
 * series without k and `k!=""` those with it), as in Prometheus. Values
 * take the escapes \\ \" \' \n \r \t; label values of series never hold
 * control characters, so \n and the like match nothing. Spaces around
 * tokens and one trailing ',' are allowed; `{}` selects every series.
 *
 * Regular expressions (=~, !~) are POSIX extended expressions (libc
 * regcomp/regexec, the "C" locale: bytes, '.' is any byte), anchored at both
 * ends as in Prometheus. Their cost is bounded: a pattern is at most
 * SELECTOR_REGEX_MAX bytes, back-references (\1 .. \9, the one feature that
 * makes matching exponential in glibc) are refused, and the strings
 * matched are label values of at most SERIESNAME_MAX bytes.
 *
 * Limits: at most SELECTOR_MATCHERS_MAX matchers (the name counts as one),
 * the selector at most SELECTOR_MAX bytes. Errors name what and where
 * (offset in the selector). Thread-safe on distinct selectors.
 */
#ifndef SPIDER_CORE_SELECTOR_H
#define SPIDER_CORE_SELECTOR_H

#include <regex.h>
#include <stddef.h>

#include "serieskey.h"
#include "slice.h"

#define SELECTOR_MAX          1024
#define SELECTOR_MATCHERS_MAX 16
#define SELECTOR_REGEX_MAX    256

typedef enum selector_op { SELECTOR_EQ, SELECTOR_NE, SELECTOR_RE, SELECTOR_NRE } selector_op_t;

typedef struct selector_matcher {
    char label[SERIESKEY_LABEL_NAME_MAX + 9]; /* a label name, or "__name__" */
    size_t label_n;
    selector_op_t op;
    char value[SELECTOR_REGEX_MAX + 1]; /* unescaped (a value over 200 bytes matches no key) */
    size_t value_n;
    regex_t re; /* SELECTOR_RE, SELECTOR_NRE */
} selector_matcher_t;

typedef struct selector {
    size_t n;
    selector_matcher_t m[SELECTOR_MATCHERS_MAX];
} selector_t;

typedef struct selector_error {
    size_t offset;       /* in the selector */
    const char *message; /* static English text */
} selector_error_t;

/* Parses (p, n) into *s. Returns 0, or -1 with *err set (nothing to free). */
int selector_parse(selector_t *s, const char *p, size_t n, selector_error_t *err);

/* 1 if the canonical series key matches every matcher. O(key + matchers). */
int selector_matches(const selector_t *s, slice_t key);

/* Releases the compiled expressions. */
void selector_free(selector_t *s);

/* The value of label `label` in the canonical key (escapes removed) into
 * out (SERIESNAME_MAX bytes); "" when it has none; label "__name__" gives
 * the name. Returns its length. */
size_t selector_label_value(slice_t key, slice_t label, char *out);

#endif
