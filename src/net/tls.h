/* tls.h - HTTPS and WSS on the main port (--tls-cert, --tls-key).
 *
 * libwebsockets does the TLS (OpenSSL, which Debian's lws 4.1.6 is built
 * with); this module checks the files first, so that a missing, unreadable
 * or mismatched certificate or key is one clear line at start (lws would
 * only fail to create its context, which looks like a port in use), and
 * sets the context options: TLS 1.2 or later, ALPN http/1.1 only (this lws
 * speaks HTTP/2 when a browser is offered it, and Spider's HTTP layer is
 * HTTP/1.1 throughout). The TLS handshake runs in the loop like any read:
 * lws closes a connection that does not complete it within timeout_secs
 * (--header-timeout). Service thread only (start-up).
 */
#ifndef SPIDER_NET_TLS_H
#define SPIDER_NET_TLS_H

#include <libwebsockets.h>
#include <stddef.h>

#include "../config.h"

/* Is TLS configured (both files given; config.c refuses one alone)? */
int tls_enabled(const config_t *cfg);

/* Loads cfg's certificate chain and key into a scratch OpenSSL context to
 * check they can be read, parse, and belong together; then points info at
 * them (info must outlive the lws context: cfg's strings are used in
 * place). Does nothing without TLS. Returns 0, or -1 with err naming the
 * flag, the file and the reason. A certificate past its notAfter date is
 * served, with a warning on stderr. */
int tls_configure(const config_t *cfg, struct lws_context_creation_info *info, char *err,
                  size_t err_len);

/* SIGHUP: checks the files as at start, then has lws load them into the
 * TLS context of every vhost that uses those paths (the main and the OTLP
 * port): new handshakes get the new certificate, connections already up
 * keep theirs. Returns 0 (also without TLS), or -1 with err, and then the
 * certificate served so far stays. */
int tls_reload(const config_t *cfg, struct lws_context *context, char *err, size_t err_len);

#endif
