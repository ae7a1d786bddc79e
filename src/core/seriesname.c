/* seriesname.c - the one rule for what a series name may be (see seriesname.h). */
#include "seriesname.h"

#include "utf8.h"

/* Would lws' path normalisation change the name? Segments are split on
 * '/'; an empty one (leading "/", "//") or "." or ".." would be folded.
 * A trailing "/" is kept by lws, so an empty last segment is fine. */
static int seriesname_path_changes(const char *p, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '/')
            continue;
        size_t len = i - start;
        int last = i == n;
        if ((len == 0 && !last) || (len == 1 && p[start] == '.') ||
            (len == 2 && p[start] == '.' && p[start + 1] == '.'))
            return 1;
        start = i + 1;
    }
    return 0;
}

seriesname_check_t seriesname_check(const char *p, size_t n)
{
    if (n == 0)
        return SERIESNAME_EMPTY;
    if (n > SERIESNAME_MAX)
        return SERIESNAME_TOO_LONG;
    const unsigned char *s = (const unsigned char *)p;
    if (utf8_valid_prefix(s, n) != n)
        return SERIESNAME_BAD_UTF8;
    if (!utf8_is_name(s, n))
        return SERIESNAME_CONTROL;
    if (seriesname_path_changes(p, n))
        return SERIESNAME_PATH;
    return SERIESNAME_OK;
}

const char *seriesname_reason(seriesname_check_t c)
{
    switch (c) {
    case SERIESNAME_OK:
        return "is valid";
    case SERIESNAME_EMPTY:
        return "is empty";
    case SERIESNAME_TOO_LONG:
        return "is longer than 200 bytes";
    case SERIESNAME_BAD_UTF8:
        return "is not valid UTF-8";
    case SERIESNAME_CONTROL:
        return "contains a control character";
    case SERIESNAME_PATH:
        return "has a leading /, //, or a . or .. segment (not queryable as a path)";
    }
    return "is not a valid name";
}
