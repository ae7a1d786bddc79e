/* seriesname.h - the one rule for what a series name may be.
 *
 * Used wherever a name comes in: ingest (points), the query path, the live
 * stream's subscriptions; web/url.js repeats it for the dashboard's URL.
 * A name is 1-200 bytes of valid UTF-8 without control characters, and
 * every accepted name can be queried as /api/v1/series/NAME: the HTTP
 * layer (lws) normalises a path, collapsing "//" and resolving "." and
 * ".." segments, even %-encoded, so names that would be changed by that
 * are refused: a leading "/", "//", or a "." or ".." segment. Pure: libc.
 */
#ifndef SPIDER_CORE_SERIESNAME_H
#define SPIDER_CORE_SERIESNAME_H

#include <stddef.h>

#define SERIESNAME_MAX 200 /* bytes */

typedef enum seriesname_check {
    SERIESNAME_OK,
    SERIESNAME_EMPTY,
    SERIESNAME_TOO_LONG,
    SERIESNAME_BAD_UTF8,
    SERIESNAME_CONTROL, /* a C0 control character or DEL */
    SERIESNAME_PATH,    /* a leading "/", "//", or a "." or ".." segment */
} seriesname_check_t;

/* Checks (p, n) against the rule. */
seriesname_check_t seriesname_check(const char *p, size_t n);

/* A short phrase for a failed check, e.g. "has a . or .. segment ...". */
const char *seriesname_reason(seriesname_check_t c);

#endif
