/* bind.c - Spider's own sockets (see bind.h). */
#include "bind.h"
#include "../core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int net_bind_endpoint(const config_endpoint_t *e, int type, const char *what, const char *flag,
                      net_bound_t *out, char *err, size_t err_len)
{
    const char *proto = type == SOCK_DGRAM ? "udp" : "tcp";
    config_listen_addr_t addr;
    char why[256];
    if (config_listen_resolve(e->host, &addr, why, sizeof why) != 0) {
        snprintf(err, err_len, "cannot listen for %s on %s:%d: %s", what, e->host, e->port, why);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t ss_len;
    memset(&ss, 0, sizeof ss);
    if (addr.ipv6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)e->port);
        inet_pton(AF_INET6, addr.ip, &a->sin6_addr);
        ss_len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)e->port);
        inet_pton(AF_INET, addr.ip, &a->sin_addr);
        ss_len = sizeof *a;
    }
    int fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    /* TCP: a restart must not wait for TIME_WAIT (lws does the same for its port). */
    if (fd >= 0 && type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, ss_len) != 0 ||
        (type == SOCK_STREAM && listen(fd, 512) != 0)) {
        int why_errno = errno;
        if (fd >= 0)
            close(fd);
        if (!e->explicit && why_errno == EADDRINUSE) {
            log_warning("%s port %s:%d is taken (another %s daemon?): running "
                        "without it; set --%s to another address, or off",
                        what, e->host, e->port, what, flag);
            return 1;
        }
        snprintf(err, err_len, "cannot listen for %s on %s %s:%d: %s", what, proto, e->host,
                 e->port, strerror(why_errno));
        return -1;
    }
    getsockname(fd, (struct sockaddr *)&ss, &ss_len);
    out->fd = fd;
    out->port = ntohs(addr.ipv6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                : ((struct sockaddr_in *)&ss)->sin_port);
    snprintf(out->url_host, sizeof out->url_host, "%s%s%s", addr.ipv6 ? "[" : "", addr.ip,
             addr.ipv6 ? "]" : "");
    return 0;
}

int net_adopt(struct lws_vhost *vhost, int fd, const char *protocol, char *err, size_t err_len)
{
    lws_sock_file_fd_type desc;
    desc.filefd = fd;
    if (!lws_adopt_descriptor_vhost(vhost, LWS_ADOPT_RAW_FILE_DESC, desc, protocol, NULL)) {
        close(fd);
        snprintf(err, err_len, "%s: the event loop did not take the socket", protocol);
        return -1;
    }
    return 0;
}

int net_adopt_socket(struct lws_vhost *vhost, int fd, int tls, const char *protocol, char *err,
                     size_t err_len)
{
    lws_sock_file_fd_type desc;
    desc.sockfd = fd;
    lws_adoption_type type = LWS_ADOPT_SOCKET | (tls ? LWS_ADOPT_ALLOW_SSL : 0);
    /* lws closes a socket it fails to adopt (a file descriptor, not). */
    if (!lws_adopt_descriptor_vhost(vhost, type, desc, protocol, NULL)) {
        snprintf(err, err_len, "%s: the event loop did not take the connection", protocol);
        return -1;
    }
    return 0;
}
