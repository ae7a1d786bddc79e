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
 * Regular expressions (=~, !~) are PCRE2 patterns (Perl syntax, close to
 * the RE2 syntax Prometheus uses: `\d`, `(?:...)`, `[^/]+`, `a|b`), UTF-8,
 * anchored at both ends as in Prometheus. Why not libc's regcomp/regexec:
 * measured on this machine (glibc 2.36), `.+` stacked 15 times takes 5.7 s
 * to match 200 bytes and `((a{1,255}){1,255}){1,255}` over 20 s, with no way
 * to bound it. PCRE2 (Debian's libpcre2-8) has a match budget: every match
 * runs under SELECTOR_MATCH_LIMIT backtracking steps (about 1 ms here at
 * worst), SELECTOR_DEPTH_LIMIT of nesting and SELECTOR_HEAP_LIMIT KiB of
 * memory, and the matches of one selector take at most
 * SELECTOR_TIME_BUDGET_MS in all (thousands of series could each stay just
 * under the per-match limit). Past either, selector_matches() returns -1
 * and the query fails (400, "too costly") instead of stalling the loop.
 * Patterns are at most SELECTOR_REGEX_MAX bytes, values matched at most
 * SERIESNAME_MAX bytes.
 *
 * Limits: at most SELECTOR_MATCHERS_MAX matchers (the name counts as one),
 * the selector at most SELECTOR_MAX bytes. Errors name what and where
 * (offset in the selector). Thread-safe on distinct selectors.
 */
#ifndef SPIDER_CORE_SELECTOR_H
#define SPIDER_CORE_SELECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "serieskey.h"
#include "slice.h"

#define SELECTOR_MAX            1024
#define SELECTOR_MATCHERS_MAX   16
#define SELECTOR_REGEX_MAX      256
#define SELECTOR_MATCH_LIMIT    20000 /* pcre2_set_match_limit, per value matched */
#define SELECTOR_TIME_BUDGET_MS 100   /* regex matching per selector, in all */
#define SELECTOR_DEPTH_LIMIT    1000  /* pcre2_set_depth_limit */
#define SELECTOR_HEAP_LIMIT     1024  /* pcre2_set_heap_limit, KiB */

typedef enum selector_op { SELECTOR_EQ, SELECTOR_NE, SELECTOR_RE, SELECTOR_NRE } selector_op_t;

typedef struct selector_matcher {
    char label[SERIESKEY_LABEL_NAME_MAX + 9]; /* a label name, or "__name__" */
    size_t label_n;
    selector_op_t op;
    char value[SELECTOR_REGEX_MAX + 1]; /* unescaped (a value over 200 bytes matches no key) */
    size_t value_n;
    void *re; /* SELECTOR_RE, SELECTOR_NRE: the compiled pcre2_code */
} selector_matcher_t;

typedef struct selector {
    size_t n;
    selector_matcher_t m[SELECTOR_MATCHERS_MAX];
    void *match_data, *match_context; /* PCRE2's, shared by the matchers (NULL: no regex) */
    int64_t regex_ns;                 /* time spent matching regexes so far */
} selector_t;

typedef struct selector_error {
    size_t offset;       /* in the selector */
    const char *message; /* static English text */
} selector_error_t;

/* Parses (p, n) into *s. Returns 0, or -1 with *err set (nothing to free). */
int selector_parse(selector_t *s, const char *p, size_t n, selector_error_t *err);

/* 1 if the canonical series key matches every matcher, 0 if not, -1 if a
 * regular expression ran out of its budget (the query should fail). O(key
 * + matchers), each regex match bounded by the limits above. */
int selector_matches(selector_t *s, slice_t key);

/* Most label names a `by` list may give (roll-ups group by them). */
#define SELECTOR_BY_MAX 8

/* Splits a comma-separated list of label names ("service,status"; each
 * [a-zA-Z_][a-zA-Z0-9_]* and at most SERIESKEY_LABEL_NAME_MAX + 8 bytes, so
 * that "__name__" fits) into out[0..SELECTOR_BY_MAX), borrowing from text;
 * "" is the empty list. Returns NULL with *n set, or a static message
 * saying what is wrong. */
const char *selector_parse_by(slice_t text, slice_t out[SELECTOR_BY_MAX], size_t *n);

/* Starts a new budget of SELECTOR_TIME_BUDGET_MS of regex matching: a
 * selector kept across many queries (a live roll-up) gets one per pass. */
void selector_new_budget(selector_t *s);

/* Releases the compiled expressions (also after a failed parse: harmless). */
void selector_free(selector_t *s);

/* The value of label `label` in the canonical key (escapes removed) into
 * out (SERIESNAME_MAX bytes); "" when it has none; label "__name__" gives
 * the name. Returns its length. */
size_t selector_label_value(slice_t key, slice_t label, char *out);

#endif
