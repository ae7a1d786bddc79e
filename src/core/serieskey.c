/* serieskey.c - series keys with labels (see serieskey.h). */
#include "serieskey.h"

#include <string.h>

static int serieskey_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int serieskey_ident_char(char c)
{
    return serieskey_ident_start(c) || (c >= '0' && c <= '9');
}

static size_t serieskey_ws(const char *p, size_t i, size_t n)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    return i;
}

/* One label of a list being read: both slices point into the input; the
 * value is still escaped (it is copied as it is: its escapes are already
 * the canonical ones). */
typedef struct serieskey_pair {
    slice_t name, value;
} serieskey_pair_t;

typedef struct serieskey_list {
    size_t n;
    serieskey_pair_t pairs[SERIESKEY_LABELS_MAX];
} serieskey_list_t;

/* Reads a label list from p[i] == '{' to the end of (p, n). Returns
 * SERIESKEY_OK with *list filled (empty values already dropped),
 * SERIESKEY_SYNTAX if it is no list (or does not end at n), or a label
 * error of a list that is well-formed. */
static serieskey_check_t serieskey_read_list(const char *p, size_t i, size_t n,
                                             serieskey_list_t *list)
{
    serieskey_check_t late = SERIESKEY_OK; /* a rule error, reported if the syntax holds */
    list->n = 0;
    i = serieskey_ws(p, i + 1, n);
    while (i < n && p[i] != '}') {
        size_t name_at = i;
        if (!serieskey_ident_start(p[i]))
            return SERIESKEY_SYNTAX;
        while (i < n && serieskey_ident_char(p[i]))
            i++;
        slice_t name = slice_make(p + name_at, i - name_at);
        i = serieskey_ws(p, i, n);
        if (i >= n || p[i] != '=')
            return SERIESKEY_SYNTAX;
        i = serieskey_ws(p, i + 1, n);
        if (i >= n || p[i] != '"')
            return SERIESKEY_SYNTAX;
        size_t value_at = ++i;
        while (i < n && p[i] != '"') {
            unsigned char c = (unsigned char)p[i];
            if (c == '\\') {
                if (i + 1 >= n)
                    return SERIESKEY_SYNTAX;
                if (p[i + 1] != '\\' && p[i + 1] != '"' && !late)
                    late = SERIESKEY_LABEL_VALUE; /* \n and the like: no control characters */
                i += 2;
                continue;
            }
            if ((c < 0x20 || c == 0x7f) && !late)
                late = SERIESKEY_LABEL_VALUE;
            i++;
        }
        if (i >= n)
            return SERIESKEY_SYNTAX;
        slice_t value = slice_make(p + value_at, i - value_at);
        i = serieskey_ws(p, i + 1, n);
        if (i < n && p[i] == ',')
            i = serieskey_ws(p, i + 1, n);
        else if (i < n && p[i] != '}')
            return SERIESKEY_SYNTAX;
        if (late)
            continue;
        if (name.n > SERIESKEY_LABEL_NAME_MAX ||
            (name.n >= 2 && name.p[0] == '_' && name.p[1] == '_'))
            late = SERIESKEY_LABEL_NAME;
        else if (value.n == 0)
            continue; /* an empty value is no label */
        else if (list->n == SERIESKEY_LABELS_MAX)
            late = SERIESKEY_TOO_MANY;
        else
            list->pairs[list->n++] = (serieskey_pair_t){name, value};
    }
    if (i + 1 != n) /* no '}', or something after it */
        return SERIESKEY_SYNTAX;
    return late;
}

static int serieskey_cmp(slice_t a, slice_t b)
{
    int c = memcmp(a.p, b.p, a.n < b.n ? a.n : b.n);
    return c ? c : (a.n > b.n) - (a.n < b.n);
}

/* Sorts pairs by name (insertion sort: at most SERIESKEY_LABELS_MAX) and
 * refuses a name that comes twice. */
static serieskey_check_t serieskey_sort(serieskey_pair_t *pairs, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        serieskey_pair_t x = pairs[i];
        size_t j = i;
        while (j > 0 && serieskey_cmp(pairs[j - 1].name, x.name) > 0) {
            pairs[j] = pairs[j - 1];
            j--;
        }
        pairs[j] = x;
    }
    for (size_t i = 1; i < n; i++)
        if (serieskey_cmp(pairs[i - 1].name, pairs[i].name) == 0)
            return SERIESKEY_DUPLICATE;
    return SERIESKEY_OK;
}

/* A bounded writer into a SERIESNAME_MAX buffer. */
typedef struct serieskey_out {
    char *p;
    size_t n;
    int overflow;
} serieskey_out_t;

static void serieskey_put(serieskey_out_t *o, const char *s, size_t n)
{
    if (o->overflow || n > SERIESNAME_MAX - o->n) {
        o->overflow = 1;
        return;
    }
    memcpy(o->p + o->n, s, n);
    o->n += n;
}

/* name{a="x",b="y"}; values are written by put_value (escaped or not). */
static serieskey_check_t serieskey_write(serieskey_out_t *o, slice_t name,
                                         const serieskey_pair_t *pairs, size_t n, int escape_values)
{
    serieskey_put(o, name.p, name.n);
    for (size_t i = 0; i < n; i++) {
        serieskey_put(o, i ? "," : "{", 1);
        serieskey_put(o, pairs[i].name.p, pairs[i].name.n);
        serieskey_put(o, "=\"", 2);
        slice_t v = pairs[i].value;
        if (!escape_values) {
            serieskey_put(o, v.p, v.n);
        } else {
            for (size_t k = 0; k < v.n; k++) {
                unsigned char c = (unsigned char)v.p[k];
                if (c < 0x20 || c == 0x7f)
                    return SERIESKEY_LABEL_VALUE;
                if (c == '\\' || c == '"')
                    serieskey_put(o, "\\", 1);
                serieskey_put(o, v.p + k, 1);
            }
        }
        serieskey_put(o, "\"", 1);
    }
    if (n)
        serieskey_put(o, "}", 1);
    return o->overflow ? SERIESKEY_TOO_LONG : SERIESKEY_OK;
}

/* Is p[i] == '{' the start of something meant as a label: {ident= ? */
static int serieskey_label_like(const char *p, size_t i, size_t n)
{
    i = serieskey_ws(p, i + 1, n);
    if (i >= n || !serieskey_ident_start(p[i]))
        return 0;
    while (i < n && serieskey_ident_char(p[i]))
        i++;
    i = serieskey_ws(p, i, n);
    return i < n && p[i] == '=';
}

serieskey_check_t serieskey_canonical(const char *p, size_t n, char *out, slice_t *key)
{
    *key = slice_make(p, n);
    if (n > SERIESNAME_MAX)
        return SERIESKEY_TOO_LONG;
    if (n == 0 || p[n - 1] != '}')
        return SERIESKEY_OK; /* no list can end here: a plain name */
    int label_like = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '{')
            continue;
        serieskey_list_t list;
        serieskey_check_t r = serieskey_read_list(p, i, n, &list);
        if (r == SERIESKEY_SYNTAX) {
            label_like |= serieskey_label_like(p, i, n);
            continue;
        }
        if (r != SERIESKEY_OK)
            return r;
        if (i == 0)
            return SERIESKEY_NO_NAME;
        r = serieskey_sort(list.pairs, list.n);
        if (r != SERIESKEY_OK)
            return r;
        serieskey_out_t o = {out, 0, 0};
        r = serieskey_write(&o, slice_make(p, i), list.pairs, list.n, 0);
        if (r == SERIESKEY_OK)
            *key = slice_make(out, o.n);
        return r;
    }
    return label_like ? SERIESKEY_SYNTAX : SERIESKEY_OK;
}

size_t serieskey_split(slice_t key, slice_t *name, serieskey_part_t parts[SERIESKEY_LABELS_MAX])
{
    *name = key;
    if (key.n == 0 || key.p[key.n - 1] != '}')
        return 0;
    for (size_t i = 1; i < key.n; i++) {
        serieskey_list_t list;
        if (key.p[i] != '{' || serieskey_read_list(key.p, i, key.n, &list) != SERIESKEY_OK)
            continue;
        *name = slice_make(key.p, i);
        for (size_t k = 0; k < list.n; k++)
            parts[k] = (serieskey_part_t){list.pairs[k].name, list.pairs[k].value};
        return list.n;
    }
    return 0;
}

void serieskey_builder_init(serieskey_builder_t *b, slice_t name)
{
    b->name = name;
    b->n = 0;
    b->error = SERIESKEY_OK;
}

void serieskey_builder_add(serieskey_builder_t *b, slice_t name, slice_t value)
{
    if (b->error || value.n == 0)
        return;
    if (b->n == SERIESKEY_LABELS_MAX) {
        b->error = SERIESKEY_TOO_MANY;
        return;
    }
    serieskey_label_t *l = &b->labels[b->n];
    size_t k = 0;
    if (name.n && name.p[0] >= '0' && name.p[0] <= '9')
        l->name[k++] = '_';
    if (name.n == 0 || name.n + k > SERIESKEY_LABEL_NAME_MAX) {
        b->error = SERIESKEY_LABEL_NAME;
        return;
    }
    for (size_t i = 0; i < name.n; i++)
        l->name[k++] = serieskey_ident_char(name.p[i]) ? name.p[i] : '_';
    if (k >= 2 && l->name[0] == '_' && l->name[1] == '_') {
        b->error = SERIESKEY_LABEL_NAME;
        return;
    }
    l->name_n = k;
    l->value = value;
    b->n++;
}

serieskey_check_t serieskey_build(serieskey_builder_t *b, char *out, slice_t *key)
{
    serieskey_pair_t pairs[SERIESKEY_LABELS_MAX];
    if (b->error)
        return b->error;
    for (size_t i = 0; i < b->n; i++)
        pairs[i] = (serieskey_pair_t){slice_make(b->labels[i].name, b->labels[i].name_n),
                                      b->labels[i].value};
    serieskey_check_t r = serieskey_sort(pairs, b->n);
    if (r != SERIESKEY_OK)
        return r;
    serieskey_out_t o = {out, 0, 0};
    r = serieskey_write(&o, b->name, pairs, b->n, 1);
    *key = slice_make(out, o.n);
    return r;
}

const char *serieskey_reason(serieskey_check_t c)
{
    switch (c) {
    case SERIESKEY_OK:
        return "is valid";
    case SERIESKEY_SYNTAX:
        return "has a malformed label list (name{key=\"value\",...})";
    case SERIESKEY_NO_NAME:
        return "has labels but no name before '{'";
    case SERIESKEY_LABEL_NAME:
        return "has a label name that is not [a-zA-Z_][a-zA-Z0-9_]* of at most 64 bytes "
               "(or starts with __)";
    case SERIESKEY_LABEL_VALUE:
        return "has a label value with a control character or an escape other than \\\\ and \\\"";
    case SERIESKEY_DUPLICATE:
        return "has a label name twice";
    case SERIESKEY_TOO_MANY:
        return "has more than 16 labels";
    case SERIESKEY_TOO_LONG:
        return "is longer than 200 bytes with its labels";
    }
    return "is not a valid key";
}
