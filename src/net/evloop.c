/* evloop.c - epoll through lws' libev plugin, or poll (see evloop.h). */
#include "evloop.h"

#include <dlfcn.h>
#include <ev.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

/* Where lws 4.1.6 looks for its event-lib plugins, and the one it loads for
 * LWS_SERVER_OPTION_LIBEV (lib/core/context.c: the plugin's base name
 * "evlib_ev" is also the symbol it exports). */
#define EVLOOP_PLUGIN     LWS_INSTALL_LIBDIR "/libwebsockets-evlib_ev.so"
#define EVLOOP_PLUGIN_SYM "evlib_ev"
#define EVLOOP_PACKAGE    "libwebsockets-evlib-ev"

struct evloop {
    struct ev_loop *ev; /* NULL: lws' own poll loop */
    void *foreign[1];   /* info.foreign_loops: one per service thread */
};

/* Can lws load its libev plugin? lws would only say so from inside
 * lws_create_context, as a failure that looks like every other one (and
 * Spider would then report a listen error). dlopen'ing it here resolves the
 * same file and its libev dependency; the handle is closed again, lws opens
 * its own. SPIDER_TEST_NO_EVLIB=1 makes it fail, so the tests can see the
 * fallback on a machine that has the package. */
static int evloop_plugin_loads(char *why, size_t why_len)
{
    const char *no = getenv("SPIDER_TEST_NO_EVLIB");
    if (no && strcmp(no, "1") == 0) {
        snprintf(why, why_len, "SPIDER_TEST_NO_EVLIB=1");
        return 0;
    }
    void *h = dlopen(EVLOOP_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(why, why_len, "%s", e ? e : EVLOOP_PLUGIN ": cannot be loaded");
        return 0;
    }
    int ok = dlsym(h, EVLOOP_PLUGIN_SYM) != NULL;
    if (!ok)
        snprintf(why, why_len, "%s has no %s", EVLOOP_PLUGIN, EVLOOP_PLUGIN_SYM);
    dlclose(h);
    return ok;
}

evloop_t *evloop_new(const char *want, char *warn, size_t warn_len, char *err, size_t err_len)
{
    evloop_t *loop = xcalloc(1, sizeof *loop);
    warn[0] = '\0';
    if (strcmp(want, "poll") == 0)
        return loop;
    char why[512];
    why[0] = '\0';
    if (evloop_plugin_loads(why, sizeof why)) {
        /* epoll only: libev's other backends (select, poll) would bring back
         * the cost this is for. NOSIGMASK: libev leaves the signal mask alone
         * (server.c handles SIGINT/SIGTERM); NOENV: LIBEV_FLAGS cannot pick
         * another backend behind the log's back. */
        loop->ev = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK | EVFLAG_NOENV);
        if (!loop->ev)
            snprintf(why, sizeof why, "libev cannot create an epoll loop");
    }
    if (loop->ev)
        return loop;
    if (strcmp(want, "epoll") == 0) {
        snprintf(err, err_len,
                 "--event-loop epoll: lws' libev plugin is not usable (%s); install the Debian "
                 "package %s, or use --event-loop poll",
                 why, EVLOOP_PACKAGE);
        free(loop);
        return NULL;
    }
    snprintf(warn, warn_len,
             "the epoll event loop is not available (%s): falling back to poll(2), whose every "
             "wakeup costs ~1.2 us per open connection; install the Debian package %s",
             why, EVLOOP_PACKAGE);
    return loop;
}

void evloop_prepare(evloop_t *loop, struct lws_context_creation_info *info)
{
    if (!loop->ev)
        return;
    info->options |= LWS_SERVER_OPTION_LIBEV;
    loop->foreign[0] = loop->ev;
    info->foreign_loops = loop->foreign;
}

void evloop_started(evloop_t *loop, struct lws_context *context)
{
    /* lws finishes creating a context in an lws_sul due 1 us later: it
     * binds each vhost's protocols (the "default" WebSocket protocol of
     * server.c among them). poll services ripe timers before it waits; libev
     * runs lws' timers after the I/O of the same wakeup, so a dashboard
     * already waiting at the first wakeup was upgraded with protocols[0]
     * ("http") and refused. Finishing here, before any I/O, is what that
     * timer does (it finds nothing left to do when it fires). */
    lws_state_transition_steps(lws_system_get_state_manager(context), LWS_SYSTATE_OPERATIONAL);
    /* The cancel pipe is an I/O event: lws' idle watcher runs after it and
     * arms the timer for the earliest lws_sul (the first tick). */
    if (loop->ev)
        lws_cancel_service(context);
}

int evloop_run_once(evloop_t *loop, struct lws_context *context)
{
    if (!loop->ev)
        return lws_service(context, 0) < 0 ? -1 : 0;
    /* One iteration: wait for I/O or lws' timer (or a signal's EINTR, or
     * the cancel pipe), run the watchers that are ready, return. lws'
     * libev glue does its deferred work (input it buffered, ripe timers,
     * LWS_TO_KILL_ASYNC closes) in an idle watcher that each I/O event
     * starts; libev runs it at the next iteration that finds nothing else
     * pending, and lws' timer callback services ripe timers too. In 4.1.6
     * that glue re-arms its timer with ev_timer_set() on a running watcher,
     * which libev ignores: a timer scheduled from I/O earlier than the one
     * armed fires when the armed one does, at most one push sub-tick (and
     * never more than 1 s) late, since server.c's timers fire that often. */
    ev_run(loop->ev, EVRUN_ONCE);
    return 0;
}

const char *evloop_name(const evloop_t *loop)
{
    return loop->ev ? "epoll" : "poll";
}

void evloop_free(evloop_t *loop)
{
    if (!loop)
        return;
    if (loop->ev)
        ev_loop_destroy(loop->ev);
    free(loop);
}
