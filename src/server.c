/* server.c - lws context, tick and signals (see server.h). */
#include "server.h"
#include "core/log.h"

#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "core/clock.h"
#include "core/fdlimit.h"
#include "http/http.h"
#include "http/ws.h"
#include "ingest/otlp_streams.h"
#include "net/evloop.h"
#include "net/otlp_port.h"
#include "net/snapfile.h"
#include "net/statsd_socket.h"
#include "push/liveroll.h"
#include "net/tls.h"

/* How long a stop waits for answers already being written. */
#define SERVER_DRAIN_MS 3000

static volatile sig_atomic_t server_stopping, server_reload_due;
static struct lws_context *server_context;

static void server_on_signal(int sig)
{
    if (sig == SIGHUP)
        server_reload_due = 1;
    else
        server_stopping = 1;
    /* Wakes the service thread out of poll() or epoll_wait(); writes to a
     * pipe, signal-safe. */
    if (server_context)
        lws_cancel_service(server_context);
}

/* SIGHUP: the token files and the certificate read again, without
 * dropping a client (connections keep what they were admitted or
 * handshaken with). Each part is all or nothing: what fails to load keeps
 * the previous one, and says why. */
static void server_reload(app_t *app, struct lws_context *context)
{
    char err[512];
    int files = 0, ok = 1;
    if (config_reload_tokens(&app->cfg, &files, err, sizeof err) != CONFIG_RUN) {
        log_error("reload: %s; the previous tokens stay", err);
        ok = 0;
    } else {
        auth_init(&app->auth, app->cfg.ingest_token, app->cfg.view_token, app->cfg.metrics_token);
    }
    if (tls_reload(&app->cfg, context, err, sizeof err) != 0) {
        log_error("reload: %s; the previous certificate stays", err);
        ok = 0;
    }
    if (ok)
        log_info("reloaded on SIGHUP: %d token file%s%s", files, files == 1 ? "" : "s",
                 tls_enabled(&app->cfg) ? ", the certificate and key" : "");
    if (ok)
        app->metrics.reloads_ok++;
    else
        app->metrics.reloads_failed++;
}

/* A timer that fires every period_ms on absolute monotonic deadlines:
 * lws_sul_schedule() is relative, and re-arming "period from now" would let
 * every late tick push all later ones back. */
typedef struct server_timer {
    lws_sorted_usec_list_t sul; /* first: the callback gets this pointer */
    struct lws_context *context;
    app_t *app;
    int64_t period_ms;
    int64_t next_mono_ms; /* absolute deadline of the next tick */
    void (*fn)(app_t *app, int64_t now_mono_ms);
} server_timer_t;

static void server_timer_arm(server_timer_t *t);

static void server_timer_fire(lws_sorted_usec_list_t *sul)
{
    server_timer_t *t = (server_timer_t *)sul;
    int64_t now_mono = clock_mono_ms();
    t->fn(t->app, now_mono);
    t->next_mono_ms += t->period_ms;
    if (t->next_mono_ms <= now_mono) /* fell behind: skip, do not burst */
        t->next_mono_ms = now_mono + t->period_ms;
    server_timer_arm(t);
}

static void server_timer_arm(server_timer_t *t)
{
    int64_t delay_ms = t->next_mono_ms - clock_mono_ms();
    if (delay_ms < 1)
        delay_ms = 1;
    lws_sul_schedule(t->context, 0, &t->sul, server_timer_fire, (lws_usec_t)delay_ms * 1000);
}

static void server_timer_start(server_timer_t *t, struct lws_context *context, app_t *app,
                               int64_t period_ms, void (*fn)(app_t *, int64_t))
{
    memset(t, 0, sizeof *t);
    t->context = context;
    t->app = app;
    t->period_ms = period_ms;
    t->fn = fn;
    t->next_mono_ms = clock_mono_ms() + period_ms;
    server_timer_arm(t);
}

/* Once a second: move the store's time on, enforce body deadlines, ping
 * silent dashboards. */
static void server_second(app_t *app, int64_t now_mono_ms)
{
    int64_t now_ms = clock_wall_ms();
    store_advance(app->store, now_ms);
    /* A stream silent for a whole window has nothing left to subtract from. */
    otlp_streams_expire(app->otlp_streams, (uint64_t)now_ms * 1000000u,
                        (uint64_t)app->cfg.window_ms * 1000000u);
    http_expire_deadlines(app, now_mono_ms);
    ws_keepalive(app, now_mono_ms);
    otlp_port_expire(app, now_mono_ms);
    snapfile_tick(&app->snap, app->store, now_mono_ms, now_ms);
}

/* The incremental snapshot writer's turn (net/snapfile.h). */
static void server_snapshot_slice(app_t *app, int64_t now_mono_ms)
{
    (void)now_mono_ms;
    snapfile_slice(&app->snap, app->store);
}

/* Is an address (or a name as typed) this machine's loopback? */
static int server_is_loopback(const char *host)
{
    return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
           strcmp(host, "localhost") == 0;
}

/* Reachable beyond this machine with a door open: say so at start, once
 * per door (the tokens themselves are never printed). */
static void server_warn_open_doors(const config_t *cfg, const char *bound_ip)
{
    int main_open = !server_is_loopback(bound_ip);
    int otlp_open = cfg->otlp_listen.enabled && !server_is_loopback(cfg->otlp_listen.host);
    if ((main_open || otlp_open) && !cfg->ingest_token[0])
        log_warning("listening beyond loopback without --ingest-token: anyone who "
                    "can reach %s can post samples",
                    main_open && otlp_open ? "the ports"
                    : main_open            ? "the port"
                                           : "the OTLP port");
    if (main_open && !cfg->view_token[0])
        log_warning("listening beyond loopback without --view-token: anyone "
                    "who can reach the port can watch every series");
    if (main_open && !cfg->view_token[0] && !cfg->metrics_token[0])
        log_warning("/metrics is open too (--metrics-token or --view-token "
                    "locks it)");
    if (cfg->statsd_listen.enabled && !server_is_loopback(cfg->statsd_listen.host))
        log_warning("StatsD listens beyond loopback: UDP carries no token, "
                    "so anyone who can reach it can post samples (firewall it)");
}

/* "http" must stay first: lws serves plain HTTP with protocols[0]. */
static const struct lws_protocols server_protocols[] = {
    {"http", http_callback, 0, 0, 0, NULL, 0},
    {WS_PROTOCOL, ws_callback, 0, 0, 0, NULL, 0},
    {STATSD_PROTOCOL, statsd_socket_callback, 0, 0, 0, NULL, 0},
    {OTLP_PROTOCOL, otlp_port_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* A WebSocket client that names no subprotocol is bound to the vhost's
 * default protocol, which would otherwise be protocols[0] ("http"). */
static const struct lws_protocol_vhost_options server_ws_default = {NULL, NULL, "default", ""};
static const struct lws_protocol_vhost_options server_pvo = {NULL, &server_ws_default, WS_PROTOCOL,
                                                             ""};

int server_run(const config_t *cfg)
{
    int status = 1;
    evloop_t *loop = NULL;
    app_t app;
    memset(&app, 0, sizeof app);
    app.cfg = *cfg;
    app.metrics.started_wall_ms = clock_wall_ms();
    summary_cache_init(&app.summary_cache);
    app.push_groups = stagger_groups(cfg->push_interval_ms);
    for (unsigned i = 0; i < STAGGER_MAX_GROUPS; i++)
        app.push_mono_ms[i] = clock_mono_ms(); /* the first rates count from here */
    store_config_t store_cfg = {
        .window_s = (uint32_t)(cfg->window_ms / 1000),
        .raw_per_second = (uint32_t)cfg->raw_per_second,
        .max_series = (uint32_t)cfg->max_series,
        .memory_limit = (size_t)cfg->memory_limit,
        .n_le = (uint32_t)cfg->n_metrics_buckets,
    };
    _Static_assert(CONFIG_BUCKETS_MAX == STORE_LE_MAX, "--metrics-buckets fits the store's");
    memcpy(store_cfg.le_ms, cfg->metrics_buckets_ms, sizeof store_cfg.le_ms);
    app.store = store_new(&store_cfg);
    /* A snapshot file is at most a few times the store it came from. */
    snapfile_init(&app.snap, cfg->data_dir,
                  strcmp(cfg->snapshot_writer, "fork") == 0 ? SNAPFILE_FORK : SNAPFILE_LOOP,
                  cfg->snapshot_interval_ms, cfg->memory_limit * 4 + (1u << 20));
    snapfile_restore(&app.snap, app.store, clock_wall_ms());
    app.otlp_streams = otlp_streams_new((size_t)cfg->otlp_streams,
                                        (uint64_t)app.metrics.started_wall_ms * 1000000u);
    fanout_init(&app.fanout, (size_t)cfg->max_update, cfg->push_buffer, &app.metrics.ws_push_bytes,
                LWS_PRE);
    app.liveroll = liveroll_new((size_t)cfg->max_live_rollups, (size_t)cfg->max_rollup_series,
                                cfg->push_buffer, &app.metrics.ws_push_bytes, LWS_PRE);

    struct lws_protocols protocols[5];
    memcpy(protocols, server_protocols, sizeof protocols);
    protocols[0].per_session_data_size = http_conn_size();
    protocols[1].per_session_data_size = ws_client_size();
    protocols[2].per_session_data_size = statsd_socket_size();
    protocols[3].per_session_data_size = otlp_port_size();
    /* No lws validity pings: ws_keepalive() does it (see why there). A
     * zero hang-up time turns lws' timers off; without a policy lws would
     * use its own default one. Kept by pointer: it lives as long as the
     * context (this function). */
    lws_retry_bo_t retry = {.secs_since_valid_ping = 0, .secs_since_valid_hangup = 0};

    /* lws takes info.iface as an interface name or a numeric address, and
     * starts without a listen socket on anything else: names resolve here.
     * `where` names the address in messages, as typed (and what it resolved to). */
    config_listen_addr_t addr;
    char where[sizeof cfg->listen_host + sizeof addr.ip + 16], why[256];
    int bracket = strchr(cfg->listen_host, ':') != NULL;
    snprintf(where, sizeof where, "%s%s%s:%d", bracket ? "[" : "", cfg->listen_host,
             bracket ? "]" : "", cfg->listen_port);
    if (config_listen_resolve(cfg->listen_host, &addr, why, sizeof why) != 0) {
        log_error("cannot listen on %s: %s", where, why);
        goto out;
    }
    char err[512];
    if (http_hosts_init(&app, addr.ip, err, sizeof err) != 0) {
        log_error("%s", err);
        status = 2;
        goto out;
    }
    auth_init(&app.auth, cfg->ingest_token, cfg->view_token, cfg->metrics_token);
    int named = strcmp(addr.ip, cfg->listen_host) != 0; /* a name, not an address */
    if (named)
        snprintf(where + strlen(where), sizeof where - strlen(where), " (%s)", addr.ip);

    /* Before the context: lws sizes its descriptor tables from the limit. */
    fdlimit_t fl;
    int fl_rc = fdlimit_raise(fdlimit_need(cfg->max_clients, cfg->max_connections), &fl);
    app.metrics.open_files_limit = fl.soft;
    app.metrics.open_files_needed = fl.need;
    if (fl_rc != 0)
        log_warning("open files are limited to %llu (hard RLIMIT_NOFILE %llu), but "
                    "--max-clients %llu and --max-connections %llu need %llu: connections past the "
                    "limit fail at accept; raise the hard limit (ulimit -Hn, LimitNOFILE= in "
                    "systemd) or lower those flags",
                    (unsigned long long)fl.soft, (unsigned long long)fl.hard,
                    (unsigned long long)cfg->max_clients, (unsigned long long)cfg->max_connections,
                    (unsigned long long)fl.need);
    else if (fl.raised)
        log_info("open files limit raised to %llu (--max-clients + --max-connections)",
                 (unsigned long long)fl.soft);

    char warn[768];
    loop = evloop_new(cfg->event_loop, warn, sizeof warn, err, sizeof err);
    if (!loop) {
        log_error("%s", err);
        goto out;
    }
    if (warn[0])
        log_warning("%s", warn);
    app.metrics.event_loop = evloop_name(loop);

    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = cfg->listen_port;
    /* NULL binds every IPv4 interface ("::" binds every interface, v4 and v6). */
    info.iface = strcmp(addr.ip, "0.0.0.0") == 0 ? NULL : addr.ip;
    info.protocols = protocols;
    info.pvo = &server_pvo;
    info.retry_and_idle_policy = &retry;
    info.user = &app;
    /* An IPv4 address needs lws' IPv4 socket (it misreads one into an IPv6
     * socket address). Without FAIL_UPON_UNABLE_TO_BIND, a bind that fails
     * for any reason but EADDRINUSE leaves the context without a listen
     * socket, waiting for the address to appear. */
    info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND |
                   (addr.ipv6 ? 0 : LWS_SERVER_OPTION_DISABLE_IPV6);
    info.timeout_secs = (unsigned)((cfg->header_timeout_ms + 999) / 1000);
    /* lws closes a connection whose request head is not complete this long
     * after it took a header buffer, however the bytes trickle in. */
    info.timeout_secs_ah_idle = info.timeout_secs;
    info.keepalive_timeout = (int)((cfg->keepalive_timeout_ms + 999) / 1000);
    /* 64 KiB reads and writes: large batches arrive in few callbacks. */
    info.pt_serv_buf_size = 64 * 1024;
    /* Each connection holds a header buffer from its first byte until its
     * head is parsed; further connections wait in lws' queue. */
    info.max_http_header_pool = (unsigned short)cfg->header_buffers;
    info.server_string = "spider";
    if (tls_configure(cfg, &info, err, sizeof err) != 0) {
        log_error("%s", err);
        goto out;
    }
    evloop_prepare(loop, &info);

    struct lws_context *context = lws_create_context(&info);
    /* lws sets the vhost's port from the bound socket (the ephemeral one for
     * port 0): 0 here means no listen socket, whatever lws returned. */
    struct lws_vhost *vhost = context ? lws_get_vhost_by_name(context, "default") : NULL;
    int port = vhost ? lws_get_vhost_listen_port(vhost) : 0;
    if (port <= 0) {
        if (context)
            lws_context_destroy(context); /* no client yet: nothing else to undo */
        log_error("cannot listen on %s: the port is in use, or the address is not one of "
                  "this host's%s",
                  where, tls_enabled(cfg) ? ", or TLS could not start" : "");
        goto out;
    }
    if (statsd_socket_open(&app, vhost, err, sizeof err) != 0 ||
        otlp_port_open(&app, vhost, err, sizeof err) != 0) {
        log_error("%s", err);
        lws_context_destroy(context);
        statsd_socket_close(&app);
        goto out;
    }
    server_context = context;
    /* The URL to open: the loopback address when bound to every interface. */
    const char *host = strcmp(addr.ip, "0.0.0.0") == 0 ? "127.0.0.1"
                       : strcmp(addr.ip, "::") == 0    ? "::1"
                                                       : addr.ip;
    log_info("listening on http%s://%s%s%s:%d/ (spider %s; %s%s%sAPI at /api/v1/, metrics at "
             "/metrics; %s loop)",
             tls_enabled(cfg) ? "s" : "", addr.ipv6 ? "[" : "", host, addr.ipv6 ? "]" : "", port,
             SPIDER_VERSION, named ? "resolved from " : "", named ? cfg->listen_host : "",
             named ? "; " : "", evloop_name(loop));
    if (strcmp(addr.ip, "127.0.0.1") == 0 || strcmp(addr.ip, "::1") == 0)
        log_info("only this machine can connect; use --listen 0.0.0.0:%d to "
                 "accept connections from other hosts",
                 port);

    server_warn_open_doors(cfg, addr.ip);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = server_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    server_timer_t second, push, snap;
    server_timer_start(&second, context, &app, 1000, server_second);
    if (cfg->data_dir[0])
        server_timer_start(&snap, context, &app, SNAPFILE_SLICE_MS, server_snapshot_slice);
    server_timer_start(&push, context, &app, cfg->push_interval_ms / app.push_groups, ws_tick);
    evloop_started(loop, context);

    while (!server_stopping) {
        if (server_reload_due) {
            server_reload_due = 0;
            server_reload(&app, context);
        }
        if (evloop_run_once(loop, context) < 0)
            break;
    }

    /* Finish answers already under way, but never hang on a slow client. */
    int64_t drain_until = clock_mono_ms() + SERVER_DRAIN_MS;
    while (app.requests_in_flight > 0 && clock_mono_ms() < drain_until)
        if (evloop_run_once(loop, context) < 0)
            break;
    log_info("stopping (%d requests unfinished)", app.requests_in_flight);
    lws_sul_cancel(&second.sul);
    lws_sul_cancel(&push.sul);
    if (cfg->data_dir[0])
        lws_sul_cancel(&snap.sul);
    server_context = NULL;
    lws_context_destroy(context);
    /* Clients are gone; the store is written once more, synchronously. */
    snapfile_stop(&app.snap, app.store, clock_wall_ms());
    statsd_socket_close(&app);
    ws_dispose(&app);
    buf_dispose(&app.ws_batch);
    status = 0;
out:
    evloop_free(loop); /* after lws_context_destroy: lws detaches from it there */
    fanout_dispose(&app.fanout);
    liveroll_free(app.liveroll);
    summary_cache_dispose(&app.summary_cache);
    store_free(app.store);
    otlp_streams_free(app.otlp_streams);
    return status;
}
