/* units.c - sizes ("64MiB") and durations ("500ms", "30m") for flags. */
#include "units.h"

#include <string.h>
#include <strings.h>

#include "error.h"

/* Reads the leading decimal digits of (p, n) into *value; returns how many
 * digits were read (0 if none). Fails with SPIDER_ERANGE past UINT64_MAX/10. */
static int units_read_digits(const char *p, size_t n, size_t *used, uint64_t *value)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return SPIDER_ERANGE;
        v = v * 10 + (uint64_t)(p[i] - '0');
        i++;
    }
    *used = i;
    *value = v;
    return i ? 0 : SPIDER_EINVAL;
}

static int units_suffix_is(const char *p, size_t n, const char *suffix)
{
    return n == strlen(suffix) && strncasecmp(p, suffix, n) == 0;
}

int units_parse_size(const char *p, size_t n, uint64_t *out_bytes)
{
    size_t used;
    uint64_t v;
    int rc = units_read_digits(p, n, &used, &v);
    if (rc)
        return rc;
    const char *s = p + used;
    size_t sn = n - used;
    uint64_t mult;
    if (sn == 0 || units_suffix_is(s, sn, "b"))
        mult = 1;
    else if (units_suffix_is(s, sn, "k") || units_suffix_is(s, sn, "kb") ||
             units_suffix_is(s, sn, "kib"))
        mult = 1ull << 10;
    else if (units_suffix_is(s, sn, "m") || units_suffix_is(s, sn, "mb") ||
             units_suffix_is(s, sn, "mib"))
        mult = 1ull << 20;
    else if (units_suffix_is(s, sn, "g") || units_suffix_is(s, sn, "gb") ||
             units_suffix_is(s, sn, "gib"))
        mult = 1ull << 30;
    else
        return SPIDER_EINVAL;
    if (v > UINT64_MAX / mult)
        return SPIDER_ERANGE;
    *out_bytes = v * mult;
    return 0;
}

int units_parse_duration(const char *p, size_t n, int64_t *out_ms)
{
    size_t used;
    uint64_t v;
    int rc = units_read_digits(p, n, &used, &v);
    if (rc)
        return rc;
    const char *s = p + used;
    size_t sn = n - used;
    uint64_t mult;
    if (units_suffix_is(s, sn, "ms"))
        mult = 1;
    else if (units_suffix_is(s, sn, "s"))
        mult = 1000;
    else if (units_suffix_is(s, sn, "m") || units_suffix_is(s, sn, "min"))
        mult = 60 * 1000;
    else if (units_suffix_is(s, sn, "h"))
        mult = 3600 * 1000;
    else
        return SPIDER_EINVAL;
    /* Keep durations far from int64 overflow: nothing sensible is longer than a year. */
    if (v > (uint64_t)366 * 24 * 3600 * 1000 / mult)
        return SPIDER_ERANGE;
    *out_ms = (int64_t)(v * mult);
    return 0;
}
