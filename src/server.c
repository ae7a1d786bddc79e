/* server.c - lws context, tick and signals (see server.h). */
#include "server.h"

#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "core/clock.h"
#include "http/http.h"

/* How long a stop waits for answers already being written. */
#define SERVER_DRAIN_MS 3000

static volatile sig_atomic_t server_stopping;
static struct lws_context *server_context;

static void server_on_signal(int sig)
{
    (void)sig;
    server_stopping = 1;
    /* Wakes the service thread out of poll(); writes to a pipe, signal-safe. */
    if (server_context)
        lws_cancel_service(server_context);
}

typedef struct server_tick {
    lws_sorted_usec_list_t sul; /* first: the callback gets this pointer */
    app_t *app;
    struct lws_context *context;
    int64_t next_mono_ms; /* absolute deadline of the next tick */
} server_tick_t;

static void server_schedule_tick(server_tick_t *t);

/* Once a second: move the store's time on and enforce body deadlines. */
static void server_on_tick(lws_sorted_usec_list_t *sul)
{
    server_tick_t *t = (server_tick_t *)sul;
    int64_t now_mono = clock_mono_ms();
    store_advance(t->app->store, clock_wall_ms());
    http_expire_deadlines(t->app, now_mono);
    /* Absolute deadlines: a late tick does not push every later one back. */
    t->next_mono_ms += 1000;
    if (t->next_mono_ms <= now_mono)
        t->next_mono_ms = now_mono + 1000;
    server_schedule_tick(t);
}

static void server_schedule_tick(server_tick_t *t)
{
    int64_t delay_ms = t->next_mono_ms - clock_mono_ms();
    if (delay_ms < 1)
        delay_ms = 1;
    lws_sul_schedule(t->context, 0, &t->sul, server_on_tick, (lws_usec_t)delay_ms * 1000);
}

static const struct lws_protocols server_protocols[] = {
    {"http", http_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int server_run(const config_t *cfg)
{
    int status = 1;
    app_t app;
    memset(&app, 0, sizeof app);
    app.cfg = *cfg;
    app.metrics.started_wall_ms = clock_wall_ms();
    store_config_t store_cfg = {
        .window_s = (uint32_t)(cfg->window_ms / 1000),
        .raw_per_second = (uint32_t)cfg->raw_per_second,
        .max_series = (uint32_t)cfg->max_series,
        .memory_limit = (size_t)cfg->memory_limit,
    };
    app.store = store_new(&store_cfg);

    struct lws_protocols protocols[2];
    memcpy(protocols, server_protocols, sizeof protocols);
    protocols[0].per_session_data_size = http_conn_size();

    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = cfg->listen_port;
    /* NULL binds every interface; otherwise lws takes an address (or an interface name). */
    info.iface = strcmp(cfg->listen_host, "0.0.0.0") == 0 ? NULL : cfg->listen_host;
    info.protocols = protocols;
    info.user = &app;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 * (strchr(cfg->listen_host, ':') == NULL);
    info.timeout_secs = (unsigned)((cfg->header_timeout_ms + 999) / 1000);
    /* lws closes a connection whose request head is not complete this long
     * after it took a header buffer, however the bytes trickle in. */
    info.timeout_secs_ah_idle = info.timeout_secs;
    info.keepalive_timeout = (int)((cfg->keepalive_timeout_ms + 999) / 1000);
    /* 64 KiB reads and writes: large batches arrive in few callbacks. */
    info.pt_serv_buf_size = 64 * 1024;
    info.max_http_header_pool = 256;
    info.server_string = "spider";

    struct lws_context *context = lws_create_context(&info);
    if (!context) {
        fprintf(stderr, "spider: cannot listen on %s:%d (in use, or not an address here?)\n",
                cfg->listen_host, cfg->listen_port);
        goto out;
    }
    server_context = context;
    struct lws_vhost *vhost = lws_get_vhost_by_name(context, "default");
    int port = vhost ? lws_get_vhost_listen_port(vhost) : cfg->listen_port;
    const char *host = strcmp(cfg->listen_host, "0.0.0.0") == 0 ? "127.0.0.1" : cfg->listen_host;
    fprintf(stderr,
            "spider %s: listening on http://%s%s%s:%d/ (API at /api/v1/, metrics at /metrics)\n",
            SPIDER_VERSION, strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port);
    if (strcmp(cfg->listen_host, "127.0.0.1") == 0)
        fprintf(stderr,
                "spider: only this machine can connect; use --listen 0.0.0.0:%d to "
                "accept connections from other hosts\n",
                port);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = server_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    server_tick_t tick;
    memset(&tick, 0, sizeof tick);
    tick.app = &app;
    tick.context = context;
    tick.next_mono_ms = clock_mono_ms() + 1000;
    server_schedule_tick(&tick);

    while (!server_stopping)
        if (lws_service(context, 0) < 0)
            break;

    /* Finish answers already under way, but never hang on a slow client. */
    int64_t drain_until = clock_mono_ms() + SERVER_DRAIN_MS;
    while (app.requests_in_flight > 0 && clock_mono_ms() < drain_until)
        if (lws_service(context, 0) < 0)
            break;
    fprintf(stderr, "spider: stopping (%d requests unfinished)\n", app.requests_in_flight);
    lws_sul_cancel(&tick.sul);
    server_context = NULL;
    lws_context_destroy(context);
    status = 0;
out:
    store_free(app.store);
    return status;
}
