/* fdlimit.h - the open-files limit (RLIMIT_NOFILE) the configuration needs.
 *
 * Every dashboard and every other connection is a descriptor. Many systems
 * start a process with a soft limit of 1024, far below --max-clients
 * (10,000 by default): past it, accept() fails and lws drops new
 * connections before Spider sees them. The soft limit may be raised up to
 * the hard one without privileges. lws sizes its descriptor tables from the
 * soft limit when the context is created, so this runs before that.
 * Pure module: libc only.
 */
#ifndef SPIDER_FDLIMIT_H
#define SPIDER_FDLIMIT_H

#include <stdint.h>

/* Descriptors beyond the connections: stdio, the listen sockets (HTTP,
 * OTLP), the StatsD sockets, lws' cancel pipe, the epoll descriptor, and
 * the short-lived ones (a connection accepted only to be closed, files). */
#define FDLIMIT_RESERVE 64

typedef struct fdlimit {
    uint64_t need; /* what the configuration needs */
    uint64_t soft; /* the soft limit afterwards: what the process may open */
    uint64_t hard; /* the hard limit afterwards */
    int raised;    /* 1: the soft limit was raised */
} fdlimit_t;

/* What --max-clients and --max-connections need: both at their limit at
 * once, plus FDLIMIT_RESERVE. */
uint64_t fdlimit_need(uint64_t max_clients, uint64_t max_connections);

/* Raises the soft limit to `need` when it is lower: up to the hard limit,
 * and past it when the process may raise that too (CAP_SYS_RESOURCE). A
 * soft limit already above `need` is left alone. Fills *out; returns 0 when
 * the soft limit now covers `need`, SPIDER_ERANGE when the hard limit
 * stopped it short (out->soft says where), SPIDER_EIO if the limit cannot
 * be read. */
int fdlimit_raise(uint64_t need, fdlimit_t *out);

#endif
