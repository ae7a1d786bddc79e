/* slow_reader.c - a WebSocket client that reads slowly, for the tests.
 *
 * Node cannot shrink a socket's receive buffer, and with the default one a
 * slow reader looks stalled to the server for tens of seconds (TCP opens
 * the window again only once half the buffer is read). This client sets
 * SO_RCVBUF before connecting, upgrades GET /ws, sends one text message
 * (e.g. a subscribe), then copies what it receives to stdout at no more
 * than RATE bytes a second, for SECONDS seconds. It does not parse frames:
 * the test reading its stdout does.
 *
 * Usage: slow_reader PORT RCVBUF RATE SECONDS MESSAGE
 * Exit status: 0 when the time is up, 3 when the server closed the
 * connection first, 1 on other errors (message on stderr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One masked text frame (clients must mask, RFC 6455 5.3). */
static int send_text(int fd, const char *msg)
{
    size_t n = strlen(msg);
    unsigned char hdr[14];
    size_t h = 0;
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    hdr[h++] = 0x81;
    if (n < 126) {
        hdr[h++] = (unsigned char)(0x80 | n);
    } else if (n <= 0xffff) {
        hdr[h++] = 0x80 | 126;
        hdr[h++] = (unsigned char)(n >> 8);
        hdr[h++] = (unsigned char)n;
    } else {
        return -1;
    }
    memcpy(hdr + h, mask, 4);
    h += 4;
    unsigned char *buf = malloc(h + n);
    if (!buf)
        return -1;
    memcpy(buf, hdr, h);
    for (size_t i = 0; i < n; i++)
        buf[h + i] = (unsigned char)msg[i] ^ mask[i % 4];
    int rc = write_all(fd, buf, h + n);
    free(buf);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: slow_reader PORT RCVBUF RATE SECONDS MESSAGE\n");
        return 1;
    }
    int port = atoi(argv[1]), rcvbuf = atoi(argv[2]);
    long rate = atol(argv[3]);
    int64_t end = now_ms() + (int64_t)atol(argv[4]) * 1000;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) {
        perror("socket");
        return 1;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("connect");
        return 1;
    }
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     port);
    if (write_all(fd, req, (size_t)n) != 0) {
        perror("write");
        return 1;
    }
    /* The 101 head, byte by byte so no frame byte is swallowed. */
    char head[4096];
    size_t hl = 0;
    while (hl < 4 || memcmp(head + hl - 4, "\r\n\r\n", 4) != 0) {
        if (hl == sizeof head || read(fd, head + hl, 1) != 1) {
            fprintf(stderr, "no upgrade answer\n");
            return 1;
        }
        hl++;
    }
    if (strncmp(head, "HTTP/1.1 101", 12) != 0) {
        fprintf(stderr, "upgrade refused: %.*s\n", (int)hl, head);
        return 1;
    }
    if (send_text(fd, argv[5]) != 0) {
        perror("send");
        return 1;
    }
    /* Read in 100 ms slices of rate / 10 bytes. */
    size_t slice = (size_t)(rate / 10 > 0 ? rate / 10 : 1);
    char *buf = malloc(slice);
    if (!buf)
        return 1;
    while (now_ms() < end) {
        int64_t t = now_ms();
        ssize_t r = recv(fd, buf, slice, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            fflush(stdout);
            return 3;
        }
        if (r > 0 && write_all(STDOUT_FILENO, buf, (size_t)r) != 0)
            return 1;
        int64_t left = 100 - (now_ms() - t);
        if (left > 0)
            usleep((useconds_t)left * 1000);
    }
    free(buf);
    close(fd);
    return 0;
}
