/* hostallow.c - the Host names this server answers to (see hostallow.h). */
#include "hostallow.h"

#include <string.h>

#include "slice.h"

void hostallow_init(hostallow_t *h)
{
    memset(h, 0, sizeof *h);
}

static int hostallow_name_byte(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.' || ch == '_';
}

static int hostallow_v6_byte(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') ||
           ch == ':' || ch == '.';
}

/* A port after a name: 1 to 5 digits. */
static int hostallow_port_ok(const char *p, size_t n)
{
    if (n == 0 || n > 5)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

/* Writes the canonical form of "name[:port]" or "[v6][:port]" to out
 * (lower case, no trailing dot, no port, IPv6 in brackets). With
 * bare_v6, an unbracketed IPv6 address is accepted too (names given on the
 * command line). Returns 0, or -1 if malformed. */
static int hostallow_canon(const char *p, size_t n, int bare_v6, char out[HOSTALLOW_NAME_MAX])
{
    size_t name_len;
    int v6 = 0;
    if (n && p[0] == '[') {
        const char *close = memchr(p, ']', n);
        if (!close)
            return -1;
        name_len = (size_t)(close - p) + 1;
        size_t rest = n - name_len;
        if (rest && (close[1] != ':' || !hostallow_port_ok(close + 2, rest - 1)))
            return -1;
        v6 = 1;
    } else {
        const char *colon = memchr(p, ':', n);
        if (colon && bare_v6 && memchr(colon + 1, ':', n - (size_t)(colon - p) - 1)) {
            /* a bare IPv6 address: bracket it */
            if (n + 3 > HOSTALLOW_NAME_MAX)
                return -1;
            for (size_t i = 0; i < n; i++)
                if (!hostallow_v6_byte(p[i]))
                    return -1;
            out[0] = '[';
            for (size_t i = 0; i < n; i++)
                out[i + 1] = (char)(p[i] >= 'A' && p[i] <= 'F' ? p[i] + 32 : p[i]);
            out[n + 1] = ']';
            out[n + 2] = '\0';
            return 0;
        }
        name_len = colon ? (size_t)(colon - p) : n;
        if (colon && !hostallow_port_ok(colon + 1, n - name_len - 1))
            return -1;
    }
    if (name_len && !v6 && p[name_len - 1] == '.')
        name_len--; /* "localhost." is "localhost" */
    if (name_len == 0 || name_len >= HOSTALLOW_NAME_MAX)
        return -1;
    for (size_t i = 0; i < name_len; i++) {
        char ch = p[i];
        int ok =
            v6 ? (i == 0 || i == name_len - 1 || hostallow_v6_byte(ch)) : hostallow_name_byte(ch);
        if (!ok)
            return -1;
        out[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    out[name_len] = '\0';
    return v6 && name_len < 3 ? -1 : 0; /* "[]" names nothing */
}

int hostallow_add(hostallow_t *h, const char *name)
{
    if (strcmp(name, "*") == 0) {
        h->any = 1;
        return 0;
    }
    char canon[HOSTALLOW_NAME_MAX];
    if (hostallow_canon(name, strlen(name), 1, canon) != 0)
        return -1;
    for (size_t i = 0; i < h->count; i++)
        if (strcmp(h->names[i], canon) == 0)
            return 0;
    if (h->count == HOSTALLOW_MAX)
        return -1;
    memcpy(h->names[h->count++], canon, sizeof canon);
    return 0;
}

int hostallow_add_list(hostallow_t *h, const char *list)
{
    char name[HOSTALLOW_NAME_MAX];
    slice_t item;
    while (slice_next_item(&list, &item)) {
        if (item.n >= sizeof name)
            return -1;
        memcpy(name, item.p, item.n);
        name[item.n] = '\0';
        if (hostallow_add(h, name) != 0)
            return -1;
    }
    return 0;
}

int hostallow_host_ok(const hostallow_t *h, const char *value, size_t n)
{
    if (h->any)
        return 1;
    char canon[HOSTALLOW_NAME_MAX];
    if (hostallow_canon(value, n, 0, canon) != 0)
        return 0;
    for (size_t i = 0; i < h->count; i++)
        if (strcmp(h->names[i], canon) == 0)
            return 1;
    return 0;
}

int hostallow_origin_ok(const hostallow_t *h, const char *origin, size_t n)
{
    static const char http[] = "http://", https[] = "https://";
    size_t skip = 0;
    if (n > sizeof http - 1 && memcmp(origin, http, sizeof http - 1) == 0)
        skip = sizeof http - 1;
    else if (n > sizeof https - 1 && memcmp(origin, https, sizeof https - 1) == 0)
        skip = sizeof https - 1;
    else
        return 0;
    /* An Origin is scheme://host[:port], never a path. */
    if (memchr(origin + skip, '/', n - skip))
        return 0;
    return hostallow_host_ok(h, origin + skip, n - skip);
}
