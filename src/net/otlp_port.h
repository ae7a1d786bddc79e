/* otlp_port.h - the OTLP/HTTP port (--otlp-listen, default 127.0.0.1:4318).
 *
 * The OpenTelemetry SDKs send to port 4318 by default, and the JS
 * exporters send every body chunked, which lws 4.1.6's HTTP parser cannot
 * read. This port is therefore served by Spider itself: it accepts on its
 * own listen socket, hands each connection to the lws loop as a raw socket
 * (lws reads and writes the bytes, and with --tls-cert does the TLS, with
 * the main port's certificate: lws 4.1.6 adopts a socket with
 * LWS_ADOPT_ALLOW_SSL on a TLS vhost), reads requests with core/h1req
 * (Content-Length or chunked, keep-alive, pipelined), and answers POST
 * /v1/traces and /v1/metrics through api/otlp.
 *
 * The main port's rules apply: the Host check (the same names), --max-body
 * (compressed and inflated), --ingest-buffer (bodies being received, in
 * total, counted as they grow), --max-connections (shared with the main
 * port), --header-timeout and --body-timeout as absolute deadlines per
 * request (checked once a second), --keepalive-timeout between requests.
 * A request head is at most OTLP_PORT_MAX_HEAD bytes. While an answer has
 * not left, the connection is not read (lws rx flow control), so a client
 * that does not read cannot grow anything. Service thread only.
 */
#ifndef SPIDER_NET_OTLP_PORT_H
#define SPIDER_NET_OTLP_PORT_H

#include <libwebsockets.h>
#include <stddef.h>
#include <stdint.h>

#include "../app.h"

#define OTLP_PROTOCOL      "spider-otlp"
#define OTLP_PORT_MAX_HEAD (16 * 1024)

/* Opens the port (if configured) and adopts its listen socket into vhost.
 * A default port that is taken is a warning; an explicit one, an error:
 * -1 with err set. */
int otlp_port_open(app_t *app, struct lws_vhost *vhost, char *err, size_t err_len);

/* Closes connections past their deadline (the once-a-second tick). */
void otlp_port_expire(app_t *app, int64_t now_mono_ms);

/* lws per-session data size and callback of OTLP_PROTOCOL. */
size_t otlp_port_size(void);
int otlp_port_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len);

#endif
