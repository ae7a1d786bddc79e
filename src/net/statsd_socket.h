/* statsd_socket.h - the StatsD sockets: UDP (--statsd-listen) and a Unix
 * datagram socket (--statsd-unix), drained into the ingest door.
 *
 * The sockets are opened here, not by lws (lws' own UDP adoption dies on a
 * 0-byte datagram), and handed to the lws loop as raw file descriptors so
 * that poll() wakes the one service thread when datagrams wait. Each wakeup
 * drains with recvmmsg() in batches of STATSD_SOCKET_BATCH, at most
 * STATSD_SOCKET_WAKEUP_MAX datagrams, then returns to the loop: a flood
 * cannot starve HTTP and the dashboards (the kernel buffer, --statsd-buffer,
 * holds the rest; what overflows it the kernel drops and counts, and the
 * count, read with SO_RXQ_OVFL, is in /metrics).
 *
 * Service thread only. Transport: the policy is ingest/statsd_feed.
 */
#ifndef SPIDER_NET_STATSD_SOCKET_H
#define SPIDER_NET_STATSD_SOCKET_H

#include <libwebsockets.h>
#include <stddef.h>

#include "../app.h"

/* The lws protocol name the sockets are bound to; server.c lists it. */
#define STATSD_PROTOCOL "spider-statsd"

#define STATSD_SOCKET_BATCH      32    /* datagrams per recvmmsg() */
#define STATSD_SOCKET_WAKEUP_MAX 1024  /* datagrams per loop wakeup */
#define STATSD_SOCKET_DATAGRAM   65536 /* receive buffer per datagram: any UDP one fits */

/* Opens the configured sockets and adopts them into vhost. Prints where
 * each listens. A default address that is taken is a warning (Spider runs
 * without UDP StatsD); an explicit one that cannot be bound, or a Unix path
 * that cannot be created, is an error: returns -1 with err set. */
int statsd_socket_open(app_t *app, struct lws_vhost *vhost, char *err, size_t err_len);

/* Removes the Unix socket's file; the descriptors close with the context. */
void statsd_socket_close(app_t *app);

/* Per-socket data lws allocates (the protocol's per_session_data_size). */
size_t statsd_socket_size(void);

/* The lws callback of STATSD_PROTOCOL. */
int statsd_socket_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len);

#endif
