/* selector.c - series selectors (see selector.h). */
#include "selector.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define NAME_LABEL "__name__"

static int sel_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int sel_ident_char(char c)
{
    return sel_ident_start(c) || (c >= '0' && c <= '9');
}

static size_t sel_ws(const char *p, size_t i, size_t n)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    return i;
}

/* The parse of one list: where it failed and why (offset is absolute). */
typedef struct sel_parse {
    selector_t *s;
    size_t at;
    const char *msg;
} sel_parse_t;

static int sel_fail(sel_parse_t *ps, size_t at, const char *msg)
{
    ps->at = at;
    ps->msg = msg;
    return -1;
}

/* A quoted value at p[*i] (its quote '"' or '\''), unescaped into m. */
static int sel_value(sel_parse_t *ps, const char *p, size_t *i, size_t n, selector_matcher_t *m)
{
    char quote = p[*i];
    size_t j = *i + 1, o = 0;
    while (j < n && p[j] != quote) {
        char c = p[j];
        if (c == '\\') {
            if (j + 1 >= n)
                return sel_fail(ps, j, "unterminated string");
            static const char from[] = "\\\"'nrt", to[] = "\\\"'\n\r\t";
            const char *e = memchr(from, p[j + 1], sizeof from - 1);
            if (!e)
                return sel_fail(ps, j, "unsupported escape (\\\\ \\\" \\' \\n \\r \\t only)");
            c = to[e - from];
            j++;
        }
        if (o == SELECTOR_REGEX_MAX)
            return sel_fail(ps, *i, "value longer than 256 bytes");
        m->value[o++] = c;
        j++;
    }
    if (j >= n)
        return sel_fail(ps, *i, "unterminated string");
    m->value[o] = '\0';
    m->value_n = o;
    *i = j + 1;
    return 0;
}

/* The match data and budget every regex of s shares, made at the first. */
static int sel_match_setup(selector_t *s)
{
    if (s->match_data)
        return 0;
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (!mc || !md) {
        pcre2_match_context_free(mc);
        pcre2_match_data_free(md);
        return -1;
    }
    pcre2_set_match_limit(mc, SELECTOR_MATCH_LIMIT);
    pcre2_set_depth_limit(mc, SELECTOR_DEPTH_LIMIT);
    pcre2_set_heap_limit(mc, SELECTOR_HEAP_LIMIT);
    s->match_context = mc;
    s->match_data = md;
    return 0;
}

/* Compiles m's value as a pattern anchored at both ends (by options, so no
 * text inside it can undo the anchoring). */
static int sel_compile(sel_parse_t *ps, size_t at, selector_matcher_t *m)
{
    int code;
    PCRE2_SIZE where;
    /* (sel_value refused values over SELECTOR_REGEX_MAX bytes) */
    m->re = pcre2_compile((PCRE2_SPTR)m->value, m->value_n,
                          PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF | PCRE2_NO_AUTO_CAPTURE,
                          &code, &where, NULL);
    if (!m->re)
        return sel_fail(ps, at,
                        code < 0 ? "invalid regular expression (not UTF-8)"
                                 : "invalid regular expression (PCRE2 syntax)");
    if (sel_match_setup(ps->s) != 0) {
        pcre2_code_free(m->re);
        m->re = NULL;
        return sel_fail(ps, at, "out of memory for a regular expression");
    }
    return 0;
}

/* Appends a matcher; its regex compiled if it has one. */
static selector_matcher_t *sel_add(sel_parse_t *ps, size_t at)
{
    if (ps->s->n == SELECTOR_MATCHERS_MAX) {
        sel_fail(ps, at, "more than 16 matchers");
        return NULL;
    }
    selector_matcher_t *m = &ps->s->m[ps->s->n];
    memset(m, 0, offsetof(selector_matcher_t, re));
    return m;
}

/* Reads a matcher list from p[i] == '{' to the end. 0, or -1 (ps says why). */
static int sel_list(sel_parse_t *ps, const char *p, size_t i, size_t n)
{
    i = sel_ws(p, i + 1, n);
    while (i < n && p[i] != '}') {
        size_t at = i;
        if (!sel_ident_start(p[i]))
            return sel_fail(ps, i, "a label name expected");
        while (i < n && sel_ident_char(p[i]))
            i++;
        if (i - at > SERIESKEY_LABEL_NAME_MAX &&
            !(i - at == 8 && memcmp(p + at, NAME_LABEL, 8) == 0))
            return sel_fail(ps, at, "label name longer than 64 bytes");
        selector_matcher_t *m = sel_add(ps, at);
        if (!m)
            return -1;
        memcpy(m->label, p + at, i - at);
        m->label_n = i - at;
        i = sel_ws(p, i, n);
        if (i + 1 < n && p[i] == '=' && p[i + 1] == '~')
            m->op = SELECTOR_RE, i += 2;
        else if (i + 1 < n && p[i] == '!' && p[i + 1] == '~')
            m->op = SELECTOR_NRE, i += 2;
        else if (i + 1 < n && p[i] == '!' && p[i + 1] == '=')
            m->op = SELECTOR_NE, i += 2;
        else if (i < n && p[i] == '=')
            m->op = SELECTOR_EQ, i += 1;
        else
            return sel_fail(ps, i, "an operator expected (=, !=, =~, !~)");
        i = sel_ws(p, i, n);
        if (i >= n || (p[i] != '"' && p[i] != '\''))
            return sel_fail(ps, i, "a quoted value expected");
        size_t value_at = i;
        if (sel_value(ps, p, &i, n, m) != 0)
            return -1;
        if ((m->op == SELECTOR_RE || m->op == SELECTOR_NRE) && sel_compile(ps, value_at, m) != 0)
            return -1;
        ps->s->n++;
        i = sel_ws(p, i, n);
        if (i < n && p[i] == ',')
            i = sel_ws(p, i + 1, n);
        else if (i < n && p[i] != '}')
            return sel_fail(ps, i, "',' or '}' expected");
    }
    if (i >= n)
        return sel_fail(ps, n, "'}' expected");
    if (sel_ws(p, i + 1, n) != n)
        return sel_fail(ps, i + 1, "nothing may follow '}'");
    return 0;
}

/* Does p[i] == '{' start something that looks like a matcher list
 * (`{ident` then an operator)? Then a failure to read it is an error, not
 * part of a name. */
static int sel_list_like(const char *p, size_t i, size_t n)
{
    i = sel_ws(p, i + 1, n);
    if (i < n && p[i] == '}')
        return 1;
    if (i >= n || !sel_ident_start(p[i]))
        return 0;
    while (i < n && sel_ident_char(p[i]))
        i++;
    i = sel_ws(p, i, n);
    return i < n && (p[i] == '=' || p[i] == '!');
}

const char *selector_parse_by(slice_t v, slice_t out[SELECTOR_BY_MAX], size_t *n)
{
    size_t i = 0;
    *n = 0;
    while (i < v.n) {
        size_t j = i;
        while (j < v.n && v.p[j] != ',')
            j++;
        slice_t label = slice_make(v.p + i, j - i);
        int ok = label.n > 0 && label.n <= SERIESKEY_LABEL_NAME_MAX + 8;
        for (size_t k = 0; ok && k < label.n; k++) {
            char c = label.p[k];
            ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (k > 0 && c >= '0' && c <= '9');
        }
        if (!ok)
            return "by: comma-separated label names ([a-zA-Z_][a-zA-Z0-9_]*)";
        if (*n == SELECTOR_BY_MAX)
            return "by: at most 8 labels";
        out[(*n)++] = label;
        i = j + 1;
    }
    return NULL;
}

void selector_new_budget(selector_t *s)
{
    s->regex_ns = 0;
}

void selector_free(selector_t *s)
{
    for (size_t k = 0; k < s->n; k++)
        if (s->m[k].op == SELECTOR_RE || s->m[k].op == SELECTOR_NRE)
            pcre2_code_free(s->m[k].re);
    s->n = 0;
    pcre2_match_data_free(s->match_data);
    pcre2_match_context_free(s->match_context);
    s->match_data = s->match_context = NULL;
    s->regex_ns = 0;
}

int selector_parse(selector_t *s, const char *p, size_t n, selector_error_t *err)
{
    sel_parse_t ps = {s, 0, NULL};
    s->n = 0;
    s->match_data = s->match_context = NULL;
    s->regex_ns = 0;
    if (n > SELECTOR_MAX) {
        sel_fail(&ps, SELECTOR_MAX, "selector longer than 1024 bytes");
        goto fail;
    }
    /* Trailing spaces would hide the list's closing brace. */
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    size_t list_at = n;
    if (n > 0 && p[n - 1] == '}') {
        /* The first '{' that reads as a whole list; a list-like one that
         * does not is an error rather than part of a name. */
        sel_parse_t first_error = {s, 0, NULL};
        for (size_t i = 0; i < n && list_at == n; i++) {
            if (p[i] != '{')
                continue;
            sel_parse_t try = {s, 0, NULL};
            selector_free(s);
            if (sel_list(&try, p, i, n) == 0)
                list_at = i;
            else if (!first_error.msg && sel_list_like(p, i, n))
                first_error = try;
        }
        if (list_at == n) {
            selector_free(s); /* what a failed try left */
            if (first_error.msg) {
                ps = first_error;
                goto fail;
            }
        }
    }
    size_t name_n = list_at;
    while (name_n > 0 && (p[name_n - 1] == ' ' || p[name_n - 1] == '\t'))
        name_n--;
    if (name_n > 0) {
        if (name_n > SERIESNAME_MAX) {
            sel_fail(&ps, 0, "name longer than a series key (200 bytes)");
            goto fail_free;
        }
        if (s->n == SELECTOR_MATCHERS_MAX) {
            sel_fail(&ps, 0, "more than 16 matchers");
            goto fail_free;
        }
        /* The name as a matcher __name__="NAME"; regex matchers stay where
         * they are (nothing needs them in order). */
        selector_matcher_t *m = &s->m[s->n++];
        memset(m, 0, offsetof(selector_matcher_t, re));
        memcpy(m->label, NAME_LABEL, 8);
        m->label_n = 8;
        m->op = SELECTOR_EQ;
        memcpy(m->value, p, name_n);
        m->value_n = name_n;
    } else if (list_at == n) {
        sel_fail(&ps, 0, "empty selector (a name, or {} for every series)");
        goto fail;
    }
    return 0;
fail_free:
    selector_free(s);
fail:
    if (err) {
        err->offset = ps.at;
        err->message = ps.msg;
    }
    return -1;
}

/* Removes a key's value escapes (\\ and \") into out. */
static size_t sel_unescape(slice_t v, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] == '\\' && i + 1 < v.n)
            i++;
        out[o++] = v.p[i];
    }
    return o;
}

size_t selector_label_value(slice_t key, slice_t label, char *out)
{
    slice_t name;
    serieskey_part_t parts[SERIESKEY_LABELS_MAX];
    size_t n = serieskey_split(key, &name, parts);
    if (label.n == 8 && memcmp(label.p, NAME_LABEL, 8) == 0) {
        memcpy(out, name.p, name.n);
        return name.n;
    }
    for (size_t k = 0; k < n; k++)
        if (slice_eq(parts[k].name, label))
            return sel_unescape(parts[k].value, out);
    return 0;
}

static int64_t sel_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int selector_matches(selector_t *s, slice_t key)
{
    slice_t name;
    serieskey_part_t parts[SERIESKEY_LABELS_MAX];
    size_t n = serieskey_split(key, &name, parts);
    for (size_t k = 0; k < s->n; k++) {
        const selector_matcher_t *m = &s->m[k];
        char buf[SERIESNAME_MAX + 1];
        slice_t value = slice_make("", 0);
        if (m->label_n == 8 && memcmp(m->label, NAME_LABEL, 8) == 0) {
            value = name;
        } else {
            for (size_t j = 0; j < n; j++)
                if (parts[j].name.n == m->label_n &&
                    memcmp(parts[j].name.p, m->label, m->label_n) == 0) {
                    value = slice_make(buf, sel_unescape(parts[j].value, buf));
                    break;
                }
        }
        int eq;
        if (m->op == SELECTOR_EQ || m->op == SELECTOR_NE) {
            eq = value.n == m->value_n && memcmp(value.p, m->value, value.n) == 0;
        } else {
            if (s->regex_ns > (int64_t)SELECTOR_TIME_BUDGET_MS * 1000000)
                return -1;
            int64_t t0 = sel_now_ns();
            int rc = pcre2_match(m->re, (PCRE2_SPTR)(value.n ? value.p : ""), value.n, 0, 0,
                                 s->match_data, s->match_context);
            s->regex_ns += sel_now_ns() - t0;
            if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
                return -1; /* over the budget (or a key that is not UTF-8: never stored) */
            eq = rc >= 0;
        }
        if (eq != (m->op == SELECTOR_EQ || m->op == SELECTOR_RE))
            return 0;
    }
    return 1;
}
