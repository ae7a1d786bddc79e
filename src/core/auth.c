/* auth.c - access tokens (see auth.h). */
#include "auth.h"

#include <string.h>

#include "slice.h"

/* b64token (RFC 6750 2.1) without the trailing '=': those are allowed only
 * at the end (auth_token_problem, auth_bearer). */
static int auth_token_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

/* Is (p, n) b64token: 1*( token bytes ) *"="? */
static int auth_is_b64token(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && auth_token_byte((unsigned char)p[i]))
        i++;
    if (i == 0)
        return 0;
    while (i < n && p[i] == '=')
        i++;
    return i == n;
}

static void auth_set(auth_t *a, auth_door_t door, const char *token)
{
    size_t n = token ? strlen(token) : 0;
    if (n > AUTH_TOKEN_MAX)
        n = 0; /* refused by the config already; never half a token */
    memcpy(a->token[door], token ? token : "", n);
    a->token[door][n] = '\0';
    a->len[door] = n;
}

void auth_init(auth_t *a, const char *ingest, const char *view, const char *metrics)
{
    memset(a, 0, sizeof *a);
    auth_set(a, AUTH_DOOR_INGEST, ingest);
    auth_set(a, AUTH_DOOR_VIEW, view);
    auth_set(a, AUTH_DOOR_METRICS, metrics);
}

const char *auth_token_problem(const char *p, size_t n)
{
    if (n < AUTH_TOKEN_MIN)
        return "is shorter than 16 bytes";
    if (n > AUTH_TOKEN_MAX)
        return "is longer than 200 bytes";
    if (!auth_is_b64token(p, n))
        return "has a byte outside A-Z a-z 0-9 - . _ ~ + / (and = only at the end)";
    return NULL;
}

auth_door_t auth_door_of(const char *path, size_t n)
{
    /* Exact paths, as the route table matches them: a path that merely
     * starts like one of these is the view door's. */
    static const struct {
        const char *path;
        auth_door_t door;
    } doors[] = {
        {"/healthz", AUTH_DOOR_OPEN},        {"/signin.html", AUTH_DOOR_OPEN},
        {"/signin.js", AUTH_DOOR_OPEN},      {"/signin.css", AUTH_DOOR_OPEN},
        {"/api/v1/signout", AUTH_DOOR_OPEN}, {"/api/v1/points", AUTH_DOOR_INGEST},
        {"/v1/traces", AUTH_DOOR_INGEST},    {"/v1/metrics", AUTH_DOOR_INGEST},
        {"/metrics", AUTH_DOOR_METRICS},
    };
    slice_t s = slice_make(path, n);
    for (size_t i = 0; i < sizeof doors / sizeof doors[0]; i++)
        if (slice_eq_cstr(s, doors[i].path))
            return doors[i].door;
    return AUTH_DOOR_VIEW;
}

const char *auth_door_token(const auth_t *a, auth_door_t door, size_t *n)
{
    if (door == AUTH_DOOR_METRICS && a->len[AUTH_DOOR_METRICS] == 0)
        door = AUTH_DOOR_VIEW;
    if (door == AUTH_DOOR_OPEN || (unsigned)door >= AUTH_DOORS || a->len[door] == 0) {
        *n = 0;
        return NULL;
    }
    *n = a->len[door];
    return a->token[door];
}

int auth_door_takes_cookie(const auth_t *a, auth_door_t door)
{
    return door == AUTH_DOOR_VIEW || (door == AUTH_DOOR_METRICS && a->len[AUTH_DOOR_METRICS] == 0);
}

int auth_equal(const char *secret, size_t sn, const char *given, size_t gn)
{
    /* The loop runs over the whole secret whatever was given; a shorter
     * given value is read as NULs past its end (and the length differs
     * anyway). volatile keeps the compiler from stopping at a difference. */
    volatile unsigned char diff = (unsigned char)(sn != gn);
    for (size_t i = 0; i < sn; i++) {
        unsigned char g = i < gn ? (unsigned char)given[i] : 0;
        diff |= (unsigned char)((unsigned char)secret[i] ^ g);
    }
    return diff == 0;
}

static int auth_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

int auth_bearer(const char *p, size_t n, const char **tok, size_t *tn)
{
    static const char scheme[] = "bearer";
    size_t i = 0;
    if (n < sizeof scheme)
        return -1;
    for (; i < sizeof scheme - 1; i++)
        if (auth_lower((unsigned char)p[i]) != scheme[i])
            return -1;
    if (p[i] != ' ')
        return -1;
    while (i < n && p[i] == ' ')
        i++;
    size_t end = n;
    while (end > i && (p[end - 1] == ' ' || p[end - 1] == '\t'))
        end--;
    if (!auth_is_b64token(p + i, end - i))
        return -1;
    *tok = p + i;
    *tn = end - i;
    return 0;
}

int auth_cookie(const char *p, size_t n, const char *name, const char **val, size_t *vn)
{
    size_t name_n = strlen(name);
    size_t i = 0;
    while (i < n) {
        /* One "name=value" pair, up to ';' (RFC 6265 5.4: "; " between
         * pairs; spaces and tabs around them are tolerated). */
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == ';'))
            i++;
        size_t start = i;
        while (i < n && p[i] != ';')
            i++;
        size_t end = i;
        while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t'))
            end--;
        const char *eq = memchr(p + start, '=', end - start);
        if (!eq)
            continue; /* a pair without '=': skipped, as browsers do */
        size_t key_n = (size_t)(eq - (p + start));
        if (key_n != name_n || memcmp(p + start, name, name_n) != 0)
            continue;
        const char *v = eq + 1;
        size_t len = (size_t)(p + end - v);
        if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
            v++;
            len -= 2;
        }
        *val = v;
        *vn = len;
        return 1;
    }
    return 0;
}

auth_result_t auth_check(const auth_t *a, auth_door_t door, const char *authz, size_t authz_n,
                         const char *cookie, size_t cookie_n)
{
    size_t sn;
    const char *secret = auth_door_token(a, door, &sn);
    if (!secret)
        return AUTH_OK;
    const char *tok;
    size_t tn;
    if (authz) {
        if (auth_bearer(authz, authz_n, &tok, &tn) != 0)
            return AUTH_MALFORMED;
        return auth_equal(secret, sn, tok, tn) ? AUTH_OK : AUTH_WRONG;
    }
    if (cookie && auth_door_takes_cookie(a, door) &&
        auth_cookie(cookie, cookie_n, AUTH_COOKIE, &tok, &tn))
        return auth_equal(secret, sn, tok, tn) ? AUTH_OK : AUTH_WRONG;
    return AUTH_MISSING;
}

const char *auth_door_label(auth_door_t door)
{
    static const char *const labels[AUTH_DOORS] = {
        [AUTH_DOOR_OPEN] = "open",
        [AUTH_DOOR_INGEST] = "ingest",
        [AUTH_DOOR_VIEW] = "view",
        [AUTH_DOOR_METRICS] = "metrics",
    };
    return (unsigned)door < AUTH_DOORS ? labels[door] : "unknown";
}

const char *auth_result_label(auth_result_t r)
{
    static const char *const labels[AUTH_RESULTS] = {
        [AUTH_OK] = "ok",
        [AUTH_MISSING] = "missing",
        [AUTH_WRONG] = "wrong",
        [AUTH_MALFORMED] = "malformed",
    };
    return (unsigned)r < AUTH_RESULTS ? labels[r] : "unknown";
}
