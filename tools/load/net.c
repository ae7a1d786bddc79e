/* net.c - address resolution and non-blocking connects (see net.h). */
#include "net.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

int net_resolve(const char *hostport, net_addr_t *out, char *err, size_t err_len)
{
    char host[256];
    const char *port;
    size_t hlen;
    if (hostport[0] == '[') {
        const char *end = strchr(hostport, ']');
        if (!end || end[1] != ':') {
            snprintf(err, err_len, "expected [v6-address]:port, got \"%s\"", hostport);
            return SPIDER_EINVAL;
        }
        hlen = (size_t)(end - hostport - 1);
        memcpy(host, hostport + 1, hlen < sizeof host ? hlen : 0);
        port = end + 2;
    } else {
        const char *colon = strrchr(hostport, ':');
        if (!colon) {
            snprintf(err, err_len, "expected host:port, got \"%s\"", hostport);
            return SPIDER_EINVAL;
        }
        hlen = (size_t)(colon - hostport);
        memcpy(host, hostport, hlen < sizeof host ? hlen : 0);
        port = colon + 1;
    }
    if (hlen == 0 || hlen >= sizeof host || strlen(hostport) >= sizeof out->host) {
        snprintf(err, err_len, "bad host in \"%s\"", hostport);
        return SPIDER_EINVAL;
    }
    host[hlen] = '\0';
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, err_len, "cannot resolve \"%s\": %s", hostport, gai_strerror(rc));
        return SPIDER_EINVAL;
    }
    memset(out, 0, sizeof *out);
    memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    snprintf(out->host, sizeof out->host, "%s", hostport);
    freeaddrinfo(res);
    return 0;
}

int net_connect(const net_addr_t *a, int rcvbuf, int nodelay)
{
    int fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (nodelay) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (a->sources > 1 && a->sa.ss_family == AF_INET) {
        /* The port is picked at connect(), unique per 4-tuple: bind()
         * alone would reserve one for every destination. */
        static unsigned next;
        int one = 1;
        struct sockaddr_in src = {.sin_family = AF_INET};
        src.sin_addr.s_addr = htonl(0x7f000001u + next++ % (unsigned)a->sources);
        if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0 ||
            bind(fd, (const struct sockaddr *)&src, sizeof src) != 0) {
            int e = errno;
            close(fd);
            return -e;
        }
    }
    if (connect(fd, (const struct sockaddr *)&a->sa, a->len) != 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int net_socket_error(int fd)
{
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
        return errno;
    return e;
}
