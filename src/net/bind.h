/* bind.h - opening Spider's own sockets (StatsD, OTLP) and handing them to
 * the lws loop.
 *
 * The main HTTP port is opened by lws; the other inputs open their sockets
 * here so that they can read them their own way (recvmmsg for StatsD, a
 * chunked-capable HTTP/1.1 reader for OTLP), and adopt them into lws as raw
 * descriptors so that the one poll() wakes the one service thread for them.
 * Service thread only.
 */
#ifndef SPIDER_NET_BIND_H
#define SPIDER_NET_BIND_H

#include <libwebsockets.h>
#include <stddef.h>

#include "../config.h"

/* Where a socket was bound, for messages and tests. */
typedef struct net_bound {
    int fd;
    int port;
    char url_host[64]; /* "127.0.0.1" or "[::1]" */
} net_bound_t;

/* Opens a non-blocking socket of type (SOCK_DGRAM or SOCK_STREAM, then
 * listen()ing) on endpoint e. Returns 0 with *out set; 1 when e is the
 * default (not set by the user) and its port is taken: what names the input
 * in the warning printed, and nothing is open; -1 with err set otherwise. */
int net_bind_endpoint(const config_endpoint_t *e, int type, const char *what, const char *flag,
                      net_bound_t *out, char *err, size_t err_len);

/* Adopts fd into vhost under protocol (a raw descriptor: POLLIN and POLLOUT
 * reach the protocol's callback as RAW_*_FILE). On failure fd is closed and
 * -1 returned with err set. */
int net_adopt(struct lws_vhost *vhost, int fd, const char *protocol, char *err, size_t err_len);

/* Adopts an accepted TCP connection fd into vhost under protocol as a
 * socket that lws reads and writes (LWS_CALLBACK_RAW_ADOPT, RAW_RX with
 * the bytes, RAW_WRITEABLE, RAW_CLOSE): over TLS when tls is set and the
 * vhost serves TLS, lws doing the handshake and the encryption. On failure
 * lws has closed fd; -1 with err set. */
int net_adopt_socket(struct lws_vhost *vhost, int fd, int tls, const char *protocol, char *err,
                     size_t err_len);

#endif
