/* evloop.h - the event loop lws runs on: epoll (lws' libev plugin) or poll.
 *
 * lws 4.1.6 defaults to poll(2), whose every wakeup costs about 1.2 us per
 * open socket (at 10,000 dashboards, most of the server's CPU). Its libev
 * event-lib plugin (Debian libwebsockets-evlib-ev, dlopen'ed by
 * lws_create_context from LWS_INSTALL_LIBDIR) waits with epoll instead:
 * the cost of a wakeup is the sockets that are ready, not the sockets open.
 *
 * Spider owns the libev loop and hands it to lws as a "foreign" loop, so it
 * can run one iteration at a time (the stop drains in-flight answers for a
 * bounded time, as with poll). lws installs its own signal watcher (and
 * honours info.signal_cb) only on a loop it created itself, so on a foreign
 * loop Spider's SIGINT/SIGTERM handlers (server.c) stay in charge; they wake
 * either loop with lws_cancel_service().
 *
 * --event-loop auto (the default) uses epoll and falls back to poll, with a
 * warning naming the missing package, when the plugin cannot be loaded;
 * epoll refuses to start without it; poll asks for poll. Service thread only.
 */
#ifndef SPIDER_EVLOOP_H
#define SPIDER_EVLOOP_H

#include <stddef.h>

struct lws_context;
struct lws_context_creation_info;

typedef struct evloop evloop_t;

/* Picks the loop for `want` ("auto", "epoll" or "poll"; config.c checks
 * the value). Returns NULL with a message in err when epoll was asked for
 * and is not available. On auto without the plugin it returns a poll loop
 * and writes why to warn (else warn is ""). Free with evloop_free(). */
evloop_t *evloop_new(const char *want, char *warn, size_t warn_len, char *err, size_t err_len);

/* Sets info's options (and its foreign loop) for this loop; before
 * lws_create_context(). The loop must outlive the context. */
void evloop_prepare(evloop_t *loop, struct lws_context_creation_info *info);

/* Call once the context exists and its first timers are scheduled, before
 * the first evloop_run_once(): it completes lws' start (its protocols) before
 * any connection is served, and makes sure lws' timer is armed (with libev,
 * lws arms it only after I/O or after a timer fired, so a server nobody
 * talks to yet would never tick). */
void evloop_started(evloop_t *loop, struct lws_context *context);

/* Serves one wakeup: blocks until an event or a timer, handles what is
 * ready, returns. Negative when the loop cannot go on. */
int evloop_run_once(evloop_t *loop, struct lws_context *context);

/* "epoll" or "poll": what the loop waits with (the log, /metrics). */
const char *evloop_name(const evloop_t *loop);

/* After lws_context_destroy(): lws detaches its watchers there. NULL is
 * fine. */
void evloop_free(evloop_t *loop);

#endif
