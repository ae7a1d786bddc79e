/* auth.h - access tokens: which door a request is for, and whether it may pass.
 *
 * Why: anyone who can reach the port could otherwise post samples and watch
 * every series. Spider has three doors, each locked by its own token when
 * one is set (--ingest-token, --view-token, --metrics-token):
 *   ingest   POST /api/v1/points, /v1/traces, /v1/metrics (and the whole
 *            OTLP port): an "Authorization: Bearer" header only;
 *   view     the dashboard, the query API, the live stream (/ws): the
 *            Bearer header, or the sign-in cookie (browsers cannot put a
 *            header on a WebSocket);
 *   metrics  /metrics: its own token, or the view token (and its cookie)
 *            when no --metrics-token is set.
 * Open whatever is set: /healthz, the sign-in page and its files, and
 * sign-out. A door without a token is open, as before tokens existed.
 *
 * Every unknown path belongs to the view door, so a path added later is
 * locked until it is given a door here. Tokens are compared in constant
 * time (no early exit on the first differing byte). A token is 16 to 200
 * bytes of the RFC 6750 b64token alphabet (A-Z a-z 0-9 - . _ ~ + / and
 * trailing =), so it is valid unchanged in a header and in a cookie.
 *
 * Pure module: libc only; every reader takes (pointer, length), needs no
 * NUL and never writes into its input.
 */
#ifndef SPIDER_CORE_AUTH_H
#define SPIDER_CORE_AUTH_H

#include <stddef.h>

#define AUTH_TOKEN_MIN 16
/* "Bearer " and the token fit the OTLP port's 255-byte header copies. */
#define AUTH_TOKEN_MAX 200
/* The sign-in cookie's name; its value is the view token. */
#define AUTH_COOKIE "spider_view"
/* The realm of WWW-Authenticate. */
#define AUTH_REALM "spider"

typedef enum auth_door {
    AUTH_DOOR_OPEN, /* always open: /healthz, sign-in, sign-out */
    AUTH_DOOR_INGEST,
    AUTH_DOOR_VIEW,
    AUTH_DOOR_METRICS,
    AUTH_DOORS
} auth_door_t;

typedef enum auth_result {
    AUTH_OK,        /* no token locks the door, or the right one was given */
    AUTH_MISSING,   /* no credential the door takes */
    AUTH_WRONG,     /* a well-formed credential that is not the door's token */
    AUTH_MALFORMED, /* an Authorization header that is not "Bearer <token>" */
    AUTH_RESULTS
} auth_result_t;

/* The tokens of the doors (a value: copy it freely). */
typedef struct auth {
    char token[AUTH_DOORS][AUTH_TOKEN_MAX + 1];
    size_t len[AUTH_DOORS]; /* 0: no token, the door is open */
} auth_t;

/* Sets the three tokens (each NUL-terminated; "" or NULL for none). A
 * token auth_token_problem() refuses is the caller's error: the config
 * checks them first. */
void auth_init(auth_t *a, const char *ingest, const char *view, const char *metrics);

/* NULL if (p, n) is an acceptable token, else a static English phrase
 * saying what is wrong ("is shorter than 16 bytes", ...), never the token. */
const char *auth_token_problem(const char *p, size_t n);

/* The door of a path (without its query string). */
auth_door_t auth_door_of(const char *path, size_t n);

/* The token that locks a door (the view token for /metrics when no
 * metrics token is set), or NULL when the door is open. *n gets its length. */
const char *auth_door_token(const auth_t *a, auth_door_t door, size_t *n);

/* Does the door take the sign-in cookie? (view; metrics when it shares
 * the view token) */
int auth_door_takes_cookie(const auth_t *a, auth_door_t door);

/* 1 if given (gn bytes) equals secret (sn bytes), else 0. The time taken
 * depends on sn and on gn, never on the bytes compared: every byte of the
 * secret is read whether or not an earlier one differed. */
int auth_equal(const char *secret, size_t sn, const char *given, size_t gn);

/* Reads an Authorization value "Bearer <token>" (scheme in any case, one
 * or more spaces, optional trailing spaces or tabs). 0 with *tok, *tn set,
 * or -1 if it is another scheme or the token has a byte outside b64token. */
int auth_bearer(const char *p, size_t n, const char **tok, size_t *tn);

/* Finds the cookie `name` in a Cookie header value ("a=1; b=2"; a quoted
 * value loses its quotes). 1 with *val, *vn set (the first one of that
 * name), or 0 if it is not there or the header is malformed around it. */
int auth_cookie(const char *p, size_t n, const char *name, const char **val, size_t *vn);

/* May a request through `door` pass, given its Authorization header
 * (authz NULL when absent) and its Cookie header (cookie NULL when
 * absent)? The header wins when both are sent. */
auth_result_t auth_check(const auth_t *a, auth_door_t door, const char *authz, size_t authz_n,
                         const char *cookie, size_t cookie_n);

/* Stable snake_case labels for /metrics: "ingest", "view", "metrics";
 * "missing", "wrong", "malformed". */
const char *auth_door_label(auth_door_t door);
const char *auth_result_label(auth_result_t r);

#endif
