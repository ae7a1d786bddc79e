/* hostallow.h - the Host names this server answers to.
 *
 * Why: a page on any domain can rebind its name to 127.0.0.1 and then talk
 * to Spider as "same origin". Browsers send that domain as Host (and in
 * Origin), so the server answers only Host values that name it: its listen
 * address, the loopback names when it listens there, the addresses of this
 * machine when it listens on all of them, and names given with
 * --allow-host. An IP literal cannot be rebound, a name can.
 *
 * Names are compared case-insensitively, without a trailing dot, and
 * without the port (a proxy may forward another one). IPv6 addresses are
 * kept and matched in brackets, "[::1]". Pure module: libc only.
 */
#ifndef SPIDER_CORE_HOSTALLOW_H
#define SPIDER_CORE_HOSTALLOW_H

#include <stddef.h>

#define HOSTALLOW_MAX      64  /* names kept; more are an error */
#define HOSTALLOW_NAME_MAX 256 /* bytes of one name, with its NUL */

typedef struct hostallow {
    char names[HOSTALLOW_MAX][HOSTALLOW_NAME_MAX];
    size_t count;
    int any; /* "*" was allowed: every Host is accepted */
} hostallow_t;

void hostallow_init(hostallow_t *h);

/* Adds one name or address ("localhost", "127.0.0.1", "::1", "[::1]",
 * "*"). 0, or -1 if it is empty, malformed or the list is full. */
int hostallow_add(hostallow_t *h, const char *name);

/* Adds each name of a comma-separated list (spaces around names allowed).
 * 0, or -1 at the first bad name. */
int hostallow_add_list(hostallow_t *h, const char *list);

/* Does a Host header value, "name", "name:port", "[v6]" or "[v6]:port",
 * name this server? A malformed value (bad port, odd bytes) does not. */
int hostallow_host_ok(const hostallow_t *h, const char *value, size_t n);

/* Does an Origin, "http://name[:port]" or "https://name[:port]", name this
 * server? "null" and other schemes do not. */
int hostallow_origin_ok(const hostallow_t *h, const char *origin, size_t n);

#endif
