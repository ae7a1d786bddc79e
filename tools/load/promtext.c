/* promtext.c - one counter from a Prometheus text exposition (see
 * promtext.h). Each line is parsed on its own between its start and its
 * '\n'; a malformed line is skipped whole.
 */
#include "promtext.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* Longest value or timestamp token converted (a double needs far less). */
#define PROMTEXT_NUMBER_MAX 63

typedef struct promtext_cur {
    const char *p, *end;
} promtext_cur_t;

static int promtext_name_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
}

static void promtext_spaces(promtext_cur_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* A metric or label name at c (label names have no ':', which is not
 * checked: it cannot make a wrong match). Returns its length, 0 if none. */
static size_t promtext_name(promtext_cur_t *c)
{
    const char *s = c->p;
    while (c->p < c->end && promtext_name_char(*c->p, c->p == s))
        c->p++;
    return (size_t)(c->p - s);
}

/* A quoted label value at c (after the opening quote): moves past the
 * closing quote. *equal says whether its unescaped text is `want` (NULL:
 * not compared). Returns 0, or SPIDER_EINVAL (unterminated, bad escape). */
static int promtext_value(promtext_cur_t *c, const char *want, int *equal)
{
    size_t k = 0;
    int eq = 1;
    size_t wlen = want ? strlen(want) : 0;
    while (c->p < c->end && *c->p != '"') {
        char ch = *c->p++;
        if (ch == '\\') {
            if (c->p >= c->end)
                return SPIDER_EINVAL;
            char e = *c->p++;
            if (e == 'n')
                ch = '\n';
            else if (e == '\\' || e == '"')
                ch = e;
            else
                return SPIDER_EINVAL;
        }
        if (k >= wlen || want[k] != ch)
            eq = 0;
        k++;
    }
    if (c->p >= c->end)
        return SPIDER_EINVAL;
    c->p++; /* the closing quote */
    *equal = eq && k == wlen;
    return 0;
}

/* The label set after '{': moves past '}'. *match says whether it has
 * label = value (always 1 when label is NULL). */
static int promtext_labels(promtext_cur_t *c, const char *label, const char *value, int *match)
{
    *match = label == NULL;
    size_t llen = label ? strlen(label) : 0;
    for (;;) {
        promtext_spaces(c);
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            return 0;
        }
        const char *ln = c->p;
        size_t n = promtext_name(c);
        if (n == 0)
            return SPIDER_EINVAL;
        promtext_spaces(c);
        if (c->p >= c->end || *c->p != '=')
            return SPIDER_EINVAL;
        c->p++;
        promtext_spaces(c);
        if (c->p >= c->end || *c->p != '"')
            return SPIDER_EINVAL;
        c->p++;
        int is_label = label && n == llen && memcmp(ln, label, n) == 0;
        int equal;
        if (promtext_value(c, is_label ? value : NULL, &equal) != 0)
            return SPIDER_EINVAL;
        if (is_label && equal)
            *match = 1;
        promtext_spaces(c);
        if (c->p < c->end && *c->p == ',')
            c->p++;
        else if (c->p >= c->end || *c->p != '}')
            return SPIDER_EINVAL;
    }
}

/* The sample value at c: a float, NaN, +Inf or -Inf. */
static int promtext_number(promtext_cur_t *c, double *out)
{
    const char *s = c->p;
    while (c->p < c->end && *c->p != ' ' && *c->p != '\t')
        c->p++;
    size_t n = (size_t)(c->p - s);
    if (n == 0 || n > PROMTEXT_NUMBER_MAX)
        return SPIDER_EINVAL;
    char tmp[PROMTEXT_NUMBER_MAX + 1];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *endp;
    double v = strtod(tmp, &endp);
    if (endp != tmp + n)
        return SPIDER_EINVAL;
    *out = v;
    return 0;
}

/* One line [p, end) without its '\n'. Returns 1 with *v for a sample of
 * `name` matching the label, 0 for any other line (malformed included). */
static int promtext_line(const char *p, const char *end, const char *name, const char *label,
                         const char *value, double *v)
{
    promtext_cur_t c = {p, end};
    if (c.end > c.p && c.end[-1] == '\r')
        c.end--;
    promtext_spaces(&c);
    if (c.p >= c.end || *c.p == '#')
        return 0;
    const char *mn = c.p;
    size_t n = promtext_name(&c);
    if (n == 0 || n != strlen(name) || memcmp(mn, name, n) != 0)
        return 0;
    int match = label == NULL;
    if (c.p < c.end && *c.p == '{') {
        c.p++;
        if (promtext_labels(&c, label, value, &match) != 0)
            return 0;
    }
    if (!match || c.p >= c.end || (*c.p != ' ' && *c.p != '\t'))
        return 0;
    promtext_spaces(&c);
    if (promtext_number(&c, v) != 0)
        return 0;
    promtext_spaces(&c);
    if (c.p < c.end) { /* a timestamp: an integer, then nothing */
        double ts;
        if (promtext_number(&c, &ts) != 0)
            return 0;
        promtext_spaces(&c);
        if (c.p < c.end)
            return 0;
    }
    return 1;
}

int promtext_sum(const char *p, size_t n, const char *name, const char *label, const char *value,
                 double *sum)
{
    if (n == 0) /* nothing to find (and no arithmetic on a NULL p) */
        return SPIDER_ENOENT;
    const char *end = p + n;
    int found = 0;
    double total = 0;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        double v;
        if (promtext_line(p, line_end, name, label, value, &v)) {
            total += v;
            found = 1;
        }
        p = eol ? eol + 1 : end;
    }
    if (!found)
        return SPIDER_ENOENT;
    *sum = total;
    return 0;
}
