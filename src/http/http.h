/* http.h - the HTTP side of Spider on libwebsockets: routes and responses.
 *
 * http_callback() is the lws protocol callback of the "http" protocol; it
 * reads requests, enforces the body limit, content rules and deadlines, and
 * writes every answer in LWS_CALLBACK_HTTP_WRITEABLE, one lws_write() per
 * callback (so a slow client never makes us buffer more than one chunk).
 * Service thread only.
 */
#ifndef SPIDER_HTTP_HTTP_H
#define SPIDER_HTTP_HTTP_H

#include <libwebsockets.h>
#include <stdint.h>

#include "../app.h"

/* Per-connection state: lws allocates per_session_data_size bytes of it. */
typedef struct http_conn http_conn_t;
size_t http_conn_size(void);

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len);

/* Notes that a complete request head arrived on this connection (for
 * the WebSocket upgrade too, which ws.c sees first): a connection closed
 * without one is counted in http_closed_without_request. */
void http_mark_request_head(struct lws *wsi);

/* Fills app->hosts, the Host names answered: the listen address as typed
 * and bound_ip, what it resolved to; with that on loopback, localhost,
 * 127.0.0.1 and [::1]; on all interfaces (0.0.0.0, ::), those and every
 * address of this machine; and --allow-host. -1 with a message in err if
 * --allow-host (or --listen) holds a bad name. */
int http_hosts_init(app_t *app, const char *bound_ip, char *err, size_t err_len);

/* Does this request's Host name this server? 1 yes, 0 no, -1 no Host
 * header. The value (cut to cap) is copied to host for the refusal. */
int http_host_allowed(struct lws *wsi, const app_t *app, char *host, size_t cap);

/* May this request pass `door`? Reads its Authorization and Cookie
 * headers and asks auth_check (core/auth.h) against app->auth; a refusal
 * is counted in app->metrics.auth_refused. The one token check of the
 * main port: http_policy and the WebSocket upgrade both call it. */
auth_result_t http_auth_check(struct lws *wsi, app_t *app, auth_door_t door);

/* The WWW-Authenticate value of a 401 for result r (RFC 6750 3). */
const char *http_auth_challenge(auth_result_t r);

/* With TLS (--tls-cert), writes the Strict-Transport-Security value of
 * every answer ("max-age=N", --hsts-max-age) to out and returns 1;
 * without TLS returns 0 (the header would be ignored, and could pin a
 * browser to HTTPS on a host that serves none). */
int http_hsts_value(const app_t *app, char *out, size_t cap);

/* The connection became a WebSocket client: it leaves the HTTP
 * connections counted against --max-connections (--max-clients counts it). */
void http_mark_upgraded(struct lws *wsi);

/* Frees what the connection kept across its requests and counts it if it
 * never sent a head: called at LWS_CALLBACK_WSI_DESTROY by whichever
 * protocol the connection ended on (http or the WebSocket one). */
void http_link_release(struct lws *wsi);

/* Closes every request whose body has not fully arrived by its deadline
 * (monotonic ms); called from the server's tick. */
void http_expire_deadlines(app_t *app, int64_t now_mono_ms);

#endif
