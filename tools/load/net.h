/* net.h - addresses and non-blocking TCP connects for spider-load. */
#ifndef SPIDER_LOAD_NET_H
#define SPIDER_LOAD_NET_H

#include <sys/socket.h>

typedef struct net_addr {
    struct sockaddr_storage sa;
    socklen_t len;
    char host[300]; /* "host:port" as given, for the Host header */
    /* > 1: connections take their source address in turn from 127.0.0.1 ..
     * 127.0.0.<sources> (--source-ips; the server on IPv4 loopback). One
     * source address reaches one server port from at most the ephemeral
     * port range (net.ipv4.ip_local_port_range: ~28,000). */
    int sources;
} net_addr_t;

/* Resolves "host:port" or "[v6]:port" (names through getaddrinfo, first
 * answer). 0 or SPIDER_EINVAL (with a reason in err). sources is 0. */
int net_resolve(const char *hostport, net_addr_t *out, char *err, size_t err_len);

/* Starts a non-blocking connect to a. rcvbuf > 0 sets SO_RCVBUF first (it
 * must precede connect: the window scale is fixed by the handshake).
 * nodelay sets TCP_NODELAY. Returns the fd (connect in progress or done),
 * or -errno. */
int net_connect(const net_addr_t *a, int rcvbuf, int nodelay);

/* The pending error of a socket (SO_ERROR) after a connect or a hang-up. */
int net_socket_error(int fd);

#endif
