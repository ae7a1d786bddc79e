/* fuzz_auth.c - libFuzzer target for the access-token readers (core/auth).
 *
 * The input is read four ways, each over an exact-size heap copy (ASan sees
 * a read past it) that must never be written: as an Authorization value
 * (auth_bearer), as a Cookie header (auth_cookie), as a path (auth_door_of)
 * and, split at its first byte's value, as an Authorization and a Cookie
 * for auth_check against fixed tokens. Any violated invariant aborts. It
 * checks that:
 *   - a token auth_bearer finds lies inside the input, is non-empty,
 *     b64token (auth_token_problem agrees, length aside), and follows
 *     "bearer " in any case;
 *   - a cookie value auth_cookie finds lies inside the input, holds no ';',
 *     and follows "spider_view=" (or its opening quote);
 *   - auth_door_of gives a valid door, and the open ones only for their
 *     exact paths;
 *   - auth_check gives a valid result, AUTH_OK for an open door, and agrees
 *     with the readers and a plain memcmp of the tokens;
 *   - auth_equal agrees with memcmp on the input's two halves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/auth.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INGEST "ingest-token-0123456789"
#define VIEW   "view-token-0123456789abc"

static int lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static void check_bearer(const char *p, size_t n)
{
    const char *tok;
    size_t tn;
    if (auth_bearer(p, n, &tok, &tn) != 0)
        return;
    CHECK(tok >= p + 7 && tok + tn <= p + n && tn > 0);
    for (size_t i = 0; i < 6; i++)
        CHECK(lower((unsigned char)p[i]) == "bearer"[i]);
    CHECK(p[6] == ' ');
    const char *why = auth_token_problem(tok, tn);
    CHECK(!why || tn < AUTH_TOKEN_MIN || tn > AUTH_TOKEN_MAX);
}

static void check_cookie(const char *p, size_t n)
{
    const char *v;
    size_t vn;
    if (!auth_cookie(p, n, AUTH_COOKIE, &v, &vn))
        return;
    CHECK(v >= p && v + vn <= p + n);
    CHECK(!memchr(v, ';', vn));
    size_t name = strlen(AUTH_COOKIE) + 1; /* "spider_view=" */
    size_t before = (size_t)(v - p);
    int plain = before >= name && memcmp(v - name, AUTH_COOKIE "=", name) == 0;
    int quoted =
        before >= name + 1 && v[-1] == '"' && memcmp(v - 1 - name, AUTH_COOKIE "=", name) == 0;
    CHECK(plain || quoted);
}

static void check_door(const char *p, size_t n)
{
    auth_door_t d = auth_door_of(p, n);
    CHECK((unsigned)d < AUTH_DOORS);
    if (d == AUTH_DOOR_OPEN)
        CHECK((n == 8 && memcmp(p, "/healthz", 8) == 0) ||
              (n >= 8 && memcmp(p, "/signin.", 8) == 0) ||
              (n == 15 && memcmp(p, "/api/v1/signout", 15) == 0));
}

static void check_access(const char *p, size_t n)
{
    if (n == 0)
        return;
    size_t split = (unsigned char)p[0] % n;
    const char *authz = p + 1, *cookie = p + 1 + (split ? split - 1 : 0);
    size_t an = split ? split - 1 : 0, cn = n - 1 - an;
    auth_t a;
    auth_init(&a, INGEST, VIEW, NULL);
    for (int door = 0; door < AUTH_DOORS; door++) {
        int use_authz = (p[0] & 1) != 0;
        auth_result_t r =
            auth_check(&a, (auth_door_t)door, use_authz ? authz : NULL, an, cookie, cn);
        CHECK((unsigned)r < AUTH_RESULTS);
        if (door == AUTH_DOOR_OPEN)
            CHECK(r == AUTH_OK);
        const char *want = door == AUTH_DOOR_INGEST ? INGEST : VIEW;
        if (door == AUTH_DOOR_OPEN)
            continue;
        const char *tok;
        size_t tn;
        if (use_authz) {
            int ok = auth_bearer(authz, an, &tok, &tn) == 0;
            CHECK(r == (!ok                                                ? AUTH_MALFORMED
                        : tn == strlen(want) && memcmp(tok, want, tn) == 0 ? AUTH_OK
                                                                           : AUTH_WRONG));
        } else if (door == AUTH_DOOR_INGEST) {
            CHECK(r == AUTH_MISSING); /* the cookie opens no ingest door */
        } else {
            int found = auth_cookie(cookie, cn, AUTH_COOKIE, &tok, &tn);
            CHECK(r == (!found                                             ? AUTH_MISSING
                        : tn == strlen(want) && memcmp(tok, want, tn) == 0 ? AUTH_OK
                                                                           : AUTH_WRONG));
        }
    }
    size_t half = n / 2;
    CHECK(auth_equal(p, half, p + half, n - half) ==
          (half == n - half && memcmp(p, p + half, half) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    char *orig = malloc(size ? size : 1);
    if (!copy || !orig)
        abort();
    memcpy(copy, data, size);
    memcpy(orig, data, size);
    check_bearer(copy, size);
    check_cookie(copy, size);
    check_door(copy, size);
    check_access(copy, size);
    CHECK(memcmp(copy, orig, size) == 0); /* the input is never written */
    free(copy);
    free(orig);
    return 0;
}
