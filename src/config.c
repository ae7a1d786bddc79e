/* config.c - the settings table and its parsers (see config.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/auth.h"
#include "core/error.h"
#include "core/slice.h"
#include "core/units.h"

typedef enum option_kind {
    OPT_ADDRESS,
    OPT_ENDPOINT,
    OPT_DURATION,
    OPT_SIZE,
    OPT_COUNT,
    OPT_TEXT,
    OPT_SWITCH, /* on or off: 1 or 0 */
    OPT_BUCKETS /* comma-separated durations, ascending: --metrics-buckets */
} option_kind_t;

/* One setting. `min`/`max` bound the parsed value (ms, bytes or count). */
typedef struct option {
    const char *flag; /* without the leading "--" */
    const char *env;  /* environment variable */
    option_kind_t kind;
    size_t offset;   /* where in config_t */
    const char *def; /* default, in the same syntax a user types */
    int64_t min, max;
    const char *help;
} option_t;

#define CFG_AT(field) offsetof(config_t, field)
#define MIB           (1ll << 20)

static const option_t options[] = {
    {"listen", "SPIDER_LISTEN", OPT_ADDRESS, 0, "127.0.0.1:8080", 0, 0,
     "HOST:PORT to listen on: an address or a name (localhost:8080, [::1]:8080); "
     "0.0.0.0:8080 (or [::]:8080) for all interfaces"},
    {"window", "SPIDER_WINDOW", OPT_DURATION, CFG_AT(window_ms), "30m", 1000, 24 * 3600 * 1000ll,
     "history kept in memory (whole seconds, up to 24h)"},
    {"raw-per-second", "SPIDER_RAW_PER_SECOND", OPT_COUNT, CFG_AT(raw_per_second), "100", 0, 65535,
     "raw samples kept per series per second for the scatter (0 keeps none)"},
    {"max-series", "SPIDER_MAX_SERIES", OPT_COUNT, CFG_AT(max_series), "10000", 1, 10000000,
     "series that may exist at once; samples of further series are rejected"},
    {"max-rollup-series", "SPIDER_MAX_ROLLUP_SERIES", OPT_COUNT, CFG_AT(max_rollup_series), "2000",
     1, 10000000,
     "series one roll-up (GET /api/v1/rollup) may merge; a selector matching more is refused "
     "(400)"},
    {"log-format", "SPIDER_LOG_FORMAT", OPT_TEXT, CFG_AT(log_format), "text", 0, 8,
     "log lines as text (spider: warning: ...) or json (one object per line, for log shippers)"},
    {"max-live-rollups", "SPIDER_MAX_LIVE_ROLLUPS", OPT_COUNT, CFG_AT(max_live_rollups), "256", 1,
     100000,
     "distinct live roll-ups (selector, by, step, history) subscribed to at once; dashboards "
     "showing the same one share it"},
    {"memory-limit", "SPIDER_MEMORY_LIMIT", OPT_SIZE, CFG_AT(memory_limit), "256MiB", MIB,
     1ll << 40, "store memory budget; raw samples degrade first, then new series are refused"},
    {"max-body", "SPIDER_MAX_BODY", OPT_SIZE, CFG_AT(max_body), "8MiB", 1024, 1ll << 30,
     "largest POST body accepted (larger: 413)"},
    {"ingest-buffer", "SPIDER_INGEST_BUFFER", OPT_SIZE, CFG_AT(ingest_buffer), "16MiB", 1024,
     1ll << 32,
     "request bodies being received at once, in total (over it: 503, retry); at least --max-body"},
    {"answer-buffer", "SPIDER_ANSWER_BUFFER", OPT_SIZE, CFG_AT(answer_buffer), "16MiB", 65536,
     1ll << 32,
     "large answers (over 64 KiB) being written at once, in total (over it: 503, retry)"},
    {"header-timeout", "SPIDER_HEADER_TIMEOUT", OPT_DURATION, CFG_AT(header_timeout_ms), "10s",
     1000, 3600 * 1000, "a request's headers must arrive within this"},
    {"body-timeout", "SPIDER_BODY_TIMEOUT", OPT_DURATION, CFG_AT(body_timeout_ms), "30s", 1000,
     3600 * 1000, "a request's whole body must arrive within this, however it trickles"},
    {"keepalive-timeout", "SPIDER_KEEPALIVE_TIMEOUT", OPT_DURATION, CFG_AT(keepalive_timeout_ms),
     "60s", 1000, 3600 * 1000, "an idle keep-alive connection is closed after this"},
    {"header-buffers", "SPIDER_HEADER_BUFFERS", OPT_COUNT, CFG_AT(header_buffers), "256", 1, 65535,
     "request heads read at once (4 KiB each); more connections wait for a free one"},
    {"max-connections", "SPIDER_MAX_CONNECTIONS", OPT_COUNT, CFG_AT(max_connections), "1024", 1,
     1000000,
     "open connections that are not dashboards, idle keep-alive ones included (more: closed at "
     "accept)"},
    {"push-interval", "SPIDER_PUSH_INTERVAL", OPT_DURATION, CFG_AT(push_interval_ms), "1000ms", 100,
     60000, "live dashboards get at most one update this often (100ms minimum)"},
    {"max-clients", "SPIDER_MAX_CLIENTS", OPT_COUNT, CFG_AT(max_clients), "10000", 1, 1000000,
     "WebSocket clients at once (more: 503)"},
    {"event-loop", "SPIDER_EVENT_LOOP", OPT_TEXT, CFG_AT(event_loop), "auto", 0,
     sizeof(((config_t *)0)->event_loop) - 1,
     "epoll (lws' libev plugin), poll, or auto: epoll, and poll with a warning when the plugin "
     "is missing"},
    {"stall-timeout", "SPIDER_STALL_TIMEOUT", OPT_DURATION, CFG_AT(stall_timeout_ms), "10s", 1000,
     3600 * 1000, "a dashboard that cannot take an update for this long is disconnected"},
    {"ping-interval", "SPIDER_PING_INTERVAL", OPT_DURATION, CFG_AT(ping_interval_ms), "20s", 1000,
     3600 * 1000,
     "a dashboard silent this long is pinged; one silent twice as long is disconnected"},
    {"max-update", "SPIDER_MAX_UPDATE", OPT_SIZE, CFG_AT(max_update), "2MiB", 65536, 1ll << 30,
     "detail (history, raw points) per live update and client; a longer snapshot continues at "
     "the next updates"},
    {"push-buffer", "SPIDER_PUSH_BUFFER", OPT_SIZE, CFG_AT(push_buffer), "64MiB", 65536, 1ll << 40,
     "detail messages not yet sent to every dashboard, in total (over it: detail waits)"},
    {"allow-origin", "SPIDER_ALLOW_ORIGIN", OPT_TEXT, CFG_AT(allow_origin), "", 0,
     sizeof(((config_t *)0)->allow_origin) - 1,
     "WebSocket Origins allowed besides the server's own: comma-separated, or * for any"},
    {"allow-host", "SPIDER_ALLOW_HOST", OPT_TEXT, CFG_AT(allow_host), "", 0,
     sizeof(((config_t *)0)->allow_host) - 1,
     "Host names answered besides the listen address (and localhost on loopback): "
     "comma-separated, or * for any"},
    {"ingest-token", "SPIDER_INGEST_TOKEN", OPT_TEXT, CFG_AT(ingest_token), "", 0,
     sizeof(((config_t *)0)->ingest_token) - 1,
     "token every ingest request must carry as Authorization: Bearer (JSON, OTLP on both "
     "ports); 16-200 bytes of A-Z a-z 0-9 - . _ ~ + /; prefer the file or the environment"},
    {"ingest-token-file", "SPIDER_INGEST_TOKEN_FILE", OPT_TEXT, CFG_AT(ingest_token_file), "", 0,
     sizeof(((config_t *)0)->ingest_token_file) - 1,
     "read --ingest-token from this file at start (one trailing newline stripped; not "
     "readable by others)"},
    {"view-token", "SPIDER_VIEW_TOKEN", OPT_TEXT, CFG_AT(view_token), "", 0,
     sizeof(((config_t *)0)->view_token) - 1,
     "token for the dashboard (sign-in page, then a cookie), the query API, /ws and /metrics: "
     "Authorization: Bearer or the cookie"},
    {"view-token-file", "SPIDER_VIEW_TOKEN_FILE", OPT_TEXT, CFG_AT(view_token_file), "", 0,
     sizeof(((config_t *)0)->view_token_file) - 1, "read --view-token from this file at start"},
    {"metrics-token", "SPIDER_METRICS_TOKEN", OPT_TEXT, CFG_AT(metrics_token), "", 0,
     sizeof(((config_t *)0)->metrics_token) - 1,
     "a separate token for /metrics (Prometheus' bearer token); without it /metrics takes the "
     "view token"},
    {"metrics-token-file", "SPIDER_METRICS_TOKEN_FILE", OPT_TEXT, CFG_AT(metrics_token_file), "", 0,
     sizeof(((config_t *)0)->metrics_token_file) - 1,
     "read --metrics-token from this file at start"},
    {"web-dir", "SPIDER_WEB_DIR", OPT_TEXT, CFG_AT(web_dir), "", 0,
     sizeof(((config_t *)0)->web_dir) - 1,
     "serve the dashboard from this folder instead of the copy built into the binary "
     "(development)"},
    {"tls-cert", "SPIDER_TLS_CERT", OPT_TEXT, CFG_AT(tls_cert), "", 0,
     sizeof(((config_t *)0)->tls_cert) - 1,
     "PEM certificate file (its chain after it) to serve --listen and the OTLP port over TLS "
     "(https://, wss://); "
     "needs --tls-key"},
    {"tls-key", "SPIDER_TLS_KEY", OPT_TEXT, CFG_AT(tls_key), "", 0,
     sizeof(((config_t *)0)->tls_key) - 1, "PEM private key file of --tls-cert"},
    {"hsts-max-age", "SPIDER_HSTS_MAX_AGE", OPT_DURATION, CFG_AT(hsts_max_age_ms), "8760h", 0,
     2 * 8760 * 3600 * 1000ll,
     "with TLS, every answer has Strict-Transport-Security: max-age= this (whole seconds; 0 "
     "makes browsers forget it)"},
    {"otlp-listen", "SPIDER_OTLP_LISTEN", OPT_ENDPOINT, CFG_AT(otlp_listen), "127.0.0.1:4318", 0, 0,
     "HOST:PORT for OpenTelemetry OTLP/HTTP (POST /v1/traces and /v1/metrics; chunked bodies "
     "too), or off"},
    {"otlp-streams", "SPIDER_OTLP_STREAMS", OPT_COUNT, CFG_AT(otlp_streams), "4096", 1, 1000000,
     "cumulative OTLP histogram streams whose last counts are kept, at most 4 KiB each (more: "
     "refused as stream_limit)"},
    {"metrics-series", "SPIDER_METRICS_SERIES", OPT_SWITCH, CFG_AT(metrics_series), "on", 0, 1,
     "on: /metrics also has a latency histogram per series (select with /metrics?match=); off "
     "for very many series"},
    {"metrics-buckets", "SPIDER_METRICS_BUCKETS", OPT_BUCKETS, CFG_AT(n_metrics_buckets),
     "5ms,10ms,25ms,50ms,100ms,250ms,500ms,1s,2500ms,5s,10s", 1, CONFIG_BUCKETS_MAX,
     "the le bounds of the per-series histograms of /metrics (ascending durations; +Inf is "
     "added)"},
    {"statsd-listen", "SPIDER_STATSD_LISTEN", OPT_ENDPOINT, CFG_AT(statsd_listen), "127.0.0.1:8125",
     0, 0, "HOST:PORT for StatsD/DogStatsD over UDP, or off"},
    {"statsd-unix", "SPIDER_STATSD_UNIX", OPT_TEXT, CFG_AT(statsd_unix), "", 0,
     sizeof(((config_t *)0)->statsd_unix) - 1,
     "path of a Unix datagram socket for DogStatsD (created; its file mode is its access control)"},
    {"statsd-buffer", "SPIDER_STATSD_BUFFER", OPT_SIZE, CFG_AT(statsd_buffer), "4MiB", 4096,
     1ll << 30,
     "receive buffer (SO_RCVBUF) of each StatsD socket: datagrams that arrive while it is full "
     "are dropped by the kernel"},
    {"data-dir", "SPIDER_DATA_DIR", OPT_TEXT, CFG_AT(data_dir), "", 0,
     sizeof(((config_t *)0)->data_dir) - 1,
     "folder for snapshots of the store (created if missing): restored at start, written every "
     "--snapshot-interval and at SIGTERM; none: memory only"},
    {"snapshot-interval", "SPIDER_SNAPSHOT_INTERVAL", OPT_DURATION, CFG_AT(snapshot_interval_ms),
     "30s", 1000, 24 * 3600 * 1000ll,
     "a snapshot is written to --data-dir this often; a crash loses at most this much"},
    {"snapshot-writer", "SPIDER_SNAPSHOT_WRITER", OPT_TEXT, CFG_AT(snapshot_writer), "loop", 0,
     sizeof(((config_t *)0)->snapshot_writer) - 1,
     "loop: a few series per turn of the event loop (pauses of ~2 ms); fork: a copy-on-write "
     "child (one pause for fork(), which grows with the store: ~25 ms per GiB)"},
};

#define OPTION_COUNT (sizeof options / sizeof options[0])

/* Parses "host:port", "[v6]:port" or ":port" into cfg. The host is kept as
 * typed (a name or an address); config_listen_resolve() resolves it. An IPv6
 * address needs its brackets: in "::1:8080" the port would be a guess. */
static int config_parse_host_port(const char *v, char *host_out, size_t host_cap, int *port_out)
{
    const char *colon = strrchr(v, ':');
    if (!colon)
        return SPIDER_EINVAL;
    const char *host = v;
    size_t host_len = (size_t)(colon - v);
    int bracketed = host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']';
    if (bracketed) {
        host++;
        host_len -= 2;
    }
    if (host_len >= host_cap || (bracketed && host_len == 0) || memchr(host, '[', host_len) ||
        memchr(host, ']', host_len) || (!bracketed && memchr(host, ':', host_len)))
        return SPIDER_EINVAL;
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || colon[1] < '0' || colon[1] > '9' || *end != '\0' || port < 0 || port > 65535)
        return SPIDER_EINVAL;
    memcpy(host_out, host, host_len);
    host_out[host_len] = '\0';
    if (host_len == 0)
        strcpy(host_out, "0.0.0.0");
    *port_out = (int)port;
    return 0;
}

static int config_parse_endpoint(config_endpoint_t *e, const char *v, int explicit)
{
    memset(e, 0, sizeof *e);
    e->explicit = explicit;
    if (strcmp(v, "off") == 0)
        return 0;
    e->enabled = 1;
    return config_parse_host_port(v, e->host, sizeof e->host, &e->port);
}

/* --metrics-buckets: durations, comma-separated, strictly ascending, at
 * most CONFIG_BUCKETS_MAX; into cfg->metrics_buckets_ms. */
static int config_parse_buckets(config_t *cfg, const option_t *o, const char *v, const char *source,
                                char *err, size_t err_len)
{
    size_t n = 0;
    const char *p = v;
    slice_t item;
    while (slice_next_item(&p, &item)) {
        int64_t ms;
        if (n == CONFIG_BUCKETS_MAX) {
            snprintf(err, err_len, "%s --%s: more than %d bounds", source, o->flag,
                     CONFIG_BUCKETS_MAX);
            return CONFIG_ERROR;
        }
        if (units_parse_duration(item.p, item.n, &ms) != 0 || ms <= 0 ||
            (n > 0 && (double)ms <= cfg->metrics_buckets_ms[n - 1])) {
            snprintf(err, err_len,
                     "%s --%s '%s': expected ascending durations with units, comma-separated "
                     "(e.g. 5ms,10ms,100ms,1s)",
                     source, o->flag, v);
            return CONFIG_ERROR;
        }
        cfg->metrics_buckets_ms[n++] = (double)ms;
    }
    if (n == 0) {
        snprintf(err, err_len, "%s --%s: at least one bound", source, o->flag);
        return CONFIG_ERROR;
    }
    cfg->n_metrics_buckets = n;
    return CONFIG_RUN;
}

/* Parses value v for option o into cfg; on error writes a message. */
static int config_apply(config_t *cfg, const option_t *o, const char *v, const char *source,
                        char *err, size_t err_len)
{
    int rc = 0;
    int64_t value = 0;
    uint64_t u = 0;
    const char *expect = "";
    switch (o->kind) {
    case OPT_ADDRESS:
        rc =
            config_parse_host_port(v, cfg->listen_host, sizeof cfg->listen_host, &cfg->listen_port);
        expect = "HOST:PORT or [IPV6]:PORT, e.g. 127.0.0.1:8080";
        break;
    case OPT_ENDPOINT:
        rc = config_parse_endpoint((config_endpoint_t *)((char *)cfg + o->offset), v,
                                   strcmp(source, "default") != 0);
        expect = "HOST:PORT, [IPV6]:PORT or off";
        break;
    case OPT_DURATION:
        rc = units_parse_duration(v, strlen(v), &value);
        expect = "a duration with a unit: ms, s, m or h (e.g. 500ms, 30s, 30m)";
        break;
    case OPT_SIZE:
        rc = units_parse_size(v, strlen(v), &u);
        value = u > INT64_MAX ? INT64_MAX : (int64_t)u;
        expect = "a size: bytes or with K/KiB, M/MiB, G/GiB (e.g. 256MiB)";
        break;
    case OPT_TEXT:
        if (strlen(v) > (size_t)o->max) {
            snprintf(err, err_len, "%s --%s: longer than %lld bytes", source, o->flag,
                     (long long)o->max);
            return CONFIG_ERROR;
        }
        strcpy((char *)cfg + o->offset, v);
        return CONFIG_RUN;
    case OPT_SWITCH:
        if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
            snprintf(err, err_len, "%s --%s '%s': expected on or off", source, o->flag, v);
            return CONFIG_ERROR;
        }
        u = strcmp(v, "on") == 0;
        memcpy((char *)cfg + o->offset, &u, sizeof u);
        return CONFIG_RUN;
    case OPT_BUCKETS:
        return config_parse_buckets(cfg, o, v, source, err, err_len);
    case OPT_COUNT:
        rc = units_parse_size(v, strlen(v), &u); /* digits only: no suffix below */
        value = u > INT64_MAX ? INT64_MAX : (int64_t)u;
        if (rc == 0 && strspn(v, "0123456789") != strlen(v))
            rc = SPIDER_EINVAL;
        expect = "a whole number";
        break;
    }
    if (rc != 0) {
        snprintf(err, err_len, "%s --%s '%s': expected %s", source, o->flag, v, expect);
        return CONFIG_ERROR;
    }
    if (o->kind == OPT_ADDRESS || o->kind == OPT_ENDPOINT)
        return CONFIG_RUN;
    if (value < o->min || value > o->max) {
        snprintf(err, err_len, "%s --%s '%s': out of range (%lld to %lld%s)", source, o->flag, v,
                 (long long)o->min, (long long)o->max,
                 o->kind == OPT_DURATION ? " ms"
                 : o->kind == OPT_SIZE   ? " bytes"
                                         : "");
        return CONFIG_ERROR;
    }
    if (o->kind == OPT_DURATION &&
        (o->offset == CFG_AT(window_ms) || o->offset == CFG_AT(hsts_max_age_ms)) &&
        value % 1000 != 0) {
        snprintf(err, err_len, "%s --%s '%s': must be whole seconds", source, o->flag, v);
        return CONFIG_ERROR;
    }
    char *field = (char *)cfg + o->offset;
    if (o->kind == OPT_DURATION)
        memcpy(field, &value, sizeof(int64_t));
    else {
        uint64_t uv = (uint64_t)value;
        memcpy(field, &uv, sizeof(uint64_t));
    }
    return CONFIG_RUN;
}

/* Reads a token file into token (cap bytes with its NUL). The file must
 * be a regular file that other users cannot read (a token readable by
 * every account on the host locks nothing); one trailing "\n" or "\r\n"
 * is stripped; empty is an error. Messages name the file, never its
 * content. */
static int config_read_token_file(const char *flag, const char *path, char *token, size_t cap,
                                  char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, err_len, "--%s %s: %s", flag, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return CONFIG_ERROR;
    }
    char text[AUTH_TOKEN_MAX + 3];
    ssize_t n = -1;
    const char *why = NULL;
    if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    else if (st.st_mode & S_IROTH)
        why = "readable by other users (chmod o-r, e.g. 600 or 640)";
    else if (st.st_size > (off_t)sizeof text - 1)
        why = "longer than a token (200 bytes and a newline)";
    else if ((n = read(fd, text, sizeof text - 1)) < 0)
        why = strerror(errno);
    close(fd);
    if (!why) {
        size_t len = (size_t)n;
        if (len && text[len - 1] == '\n')
            len--;
        if (len && text[len - 1] == '\r')
            len--;
        if (len == 0)
            why = "empty";
        else if (len >= cap)
            why = "longer than a token (200 bytes and a newline)";
        else {
            memcpy(token, text, len);
            token[len] = '\0';
        }
    }
    memset(text, 0, sizeof text);
    if (why) {
        snprintf(err, err_len, "--%s %s: %s", flag, path, why);
        return CONFIG_ERROR;
    }
    return CONFIG_RUN;
}

/* The tokens: each from its flag or its file (not both), each well formed. */
static int config_tokens(config_t *cfg, char *err, size_t err_len)
{
    struct {
        const char *flag;
        char *token, *file;
        size_t cap;
    } t[] = {
        {"ingest-token", cfg->ingest_token, cfg->ingest_token_file, sizeof cfg->ingest_token},
        {"view-token", cfg->view_token, cfg->view_token_file, sizeof cfg->view_token},
        {"metrics-token", cfg->metrics_token, cfg->metrics_token_file, sizeof cfg->metrics_token},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char file_flag[32];
        snprintf(file_flag, sizeof file_flag, "%s-file", t[i].flag);
        if (t[i].file[0] && t[i].token[0]) {
            snprintf(err, err_len, "give --%s or --%s, not both", t[i].flag, file_flag);
            return CONFIG_ERROR;
        }
        if (t[i].file[0] &&
            config_read_token_file(file_flag, t[i].file, t[i].token, t[i].cap, err, err_len) != 0)
            return CONFIG_ERROR;
        const char *why = t[i].token[0] ? auth_token_problem(t[i].token, strlen(t[i].token)) : NULL;
        if (why) {
            snprintf(err, err_len, "--%s%s%s: the token %s", t[i].file[0] ? file_flag : t[i].flag,
                     t[i].file[0] ? " " : "", t[i].file, why);
            return CONFIG_ERROR;
        }
    }
    return CONFIG_RUN;
}

int config_reload_tokens(config_t *cfg, int *files, char *err, size_t err_len)
{
    /* On a copy: a token read from its file at start is not a flag given
     * with it, and a refused file must leave every token as it was. */
    config_t next = *cfg;
    char *token[] = {next.ingest_token, next.view_token, next.metrics_token};
    const char *file[] = {next.ingest_token_file, next.view_token_file, next.metrics_token_file};
    *files = 0;
    for (size_t i = 0; i < 3; i++)
        if (file[i][0]) {
            token[i][0] = '\0';
            ++*files;
        }
    if (config_tokens(&next, err, err_len) != CONFIG_RUN)
        return CONFIG_ERROR;
    memcpy(cfg->ingest_token, next.ingest_token, sizeof cfg->ingest_token);
    memcpy(cfg->view_token, next.view_token, sizeof cfg->view_token);
    memcpy(cfg->metrics_token, next.metrics_token, sizeof cfg->metrics_token);
    memset(&next, 0, sizeof next); /* no copy of a secret left on the stack */
    return CONFIG_RUN;
}

/* Checks that hold between settings once all of them are known. */
static int config_check(config_t *cfg, char *err, size_t err_len)
{
    if (strcmp(cfg->log_format, "text") != 0 && strcmp(cfg->log_format, "json") != 0) {
        snprintf(err, err_len, "--log-format '%s': expected text or json", cfg->log_format);
        return CONFIG_ERROR;
    }
    if (config_tokens(cfg, err, err_len) != CONFIG_RUN)
        return CONFIG_ERROR;
    if (strcmp(cfg->snapshot_writer, "loop") != 0 && strcmp(cfg->snapshot_writer, "fork") != 0) {
        snprintf(err, err_len, "--snapshot-writer '%s': expected loop or fork",
                 cfg->snapshot_writer);
        return CONFIG_ERROR;
    }
    if (strcmp(cfg->event_loop, "auto") != 0 && strcmp(cfg->event_loop, "epoll") != 0 &&
        strcmp(cfg->event_loop, "poll") != 0) {
        snprintf(err, err_len, "--event-loop '%s': must be auto, epoll or poll", cfg->event_loop);
        return CONFIG_ERROR;
    }
    if (cfg->ingest_buffer < cfg->max_body) {
        snprintf(err, err_len,
                 "--ingest-buffer (%llu bytes) must be at least --max-body (%llu bytes), or no "
                 "body of the largest size could ever be received",
                 (unsigned long long)cfg->ingest_buffer, (unsigned long long)cfg->max_body);
        return CONFIG_ERROR;
    }
    /* One without the other would serve plain HTTP where TLS was meant. */
    if (!cfg->tls_cert[0] != !cfg->tls_key[0]) {
        snprintf(err, err_len, "%s is set but %s is not: TLS needs both (or neither)",
                 cfg->tls_cert[0] ? "--tls-cert" : "--tls-key",
                 cfg->tls_cert[0] ? "--tls-key" : "--tls-cert");
        return CONFIG_ERROR;
    }
    return CONFIG_RUN;
}

void config_defaults(config_t *cfg)
{
    char err[256];
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        /* The defaults are literals of this file: failing here is a programming error. */
        if (config_apply(cfg, &options[i], options[i].def, "default", err, sizeof err) != 0)
            abort();
    }
}

void config_print_help(FILE *out)
{
    fprintf(out, "Usage: spider [OPTION]...\n"
                 "Spider keeps the last minutes of operation timings in memory and streams\n"
                 "them to browser dashboards. Post JSON to /api/v1/points; open / in a browser.\n\n"
                 "Options (each also read from its environment variable and the --config\n"
                 "file; a flag wins over both, the environment over the file):\n");
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const option_t *o = &options[i];
        fprintf(out, "  --%-18s %s\n  %-20s %s (default %s)\n", o->flag, o->env, "", o->help,
                *o->def ? o->def : "none");
    }
    fprintf(out, "  --config FILE        SPIDER_CONFIG\n"
                 "                       settings from FILE: key = value lines, the keys of the\n"
                 "                       flags without --; the environment and flags win over it\n"
                 "  --check-config       check every setting, print them with their source, exit\n"
                 "  --help               this text\n"
                 "  --version            print the version\n\n"
                 "Sizes take B, K/KiB, M/MiB, G/GiB (powers of 1024); durations ms, s, m, h.\n"
                 "Invalid values exit with status 2.\n");
}

int config_listen_resolve(const char *host, config_listen_addr_t *addr, char *err, size_t err_len)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0) {
        snprintf(err, err_len, "the name does not resolve (%s)",
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return SPIDER_ENOENT;
    }
    /* The first IPv4 address, else the first IPv6 one: one listen socket,
     * and "localhost" means 127.0.0.1 whatever the order of /etc/hosts. */
    const struct addrinfo *pick = NULL;
    for (const struct addrinfo *a = res; a; a = a->ai_next) {
        if (a->ai_family == AF_INET) {
            pick = a;
            break;
        }
        if (a->ai_family == AF_INET6 && !pick)
            pick = a;
    }
    rc = SPIDER_ENOENT;
    if (!pick)
        snprintf(err, err_len, "the name has no IPv4 or IPv6 address");
    else if (pick->ai_family == AF_INET &&
             inet_ntop(AF_INET, &((const struct sockaddr_in *)pick->ai_addr)->sin_addr, addr->ip,
                       sizeof addr->ip))
        rc = 0;
    else if (pick->ai_family == AF_INET6 &&
             inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)pick->ai_addr)->sin6_addr, addr->ip,
                       sizeof addr->ip))
        rc = 0;
    else
        snprintf(err, err_len, "its address cannot be written out (%s)", strerror(errno));
    if (rc == 0)
        addr->ipv6 = pick->ai_family == AF_INET6;
    freeaddrinfo(res);
    return rc;
}

static const option_t *config_find(const char *flag, size_t len)
{
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if (strlen(options[i].flag) == len && strncmp(options[i].flag, flag, len) == 0)
            return &options[i];
    return NULL;
}

/* Where each setting's value came from, for --check-config. */
typedef struct config_origin {
    char *value[OPTION_COUNT]; /* as given; NULL: the default */
    char from[OPTION_COUNT][CONFIG_SOURCE_MAX];
} config_origin_t;

static void config_note(config_origin_t *org, const option_t *o, const char *v, const char *from)
{
    size_t i = (size_t)(o - options);
    free(org->value[i]);
    org->value[i] = strdup(v);
    if (!org->value[i])
        abort();
    size_t n = strlen(from);
    if (n && from[n - 1] == ':') /* "FILE:LINE:" */
        n--;
    snprintf(org->from[i], sizeof org->from[i], "%.*s", (int)n, from);
}

/* Trims spaces and tabs at both ends of [*p, *end). */
static void config_trim(char **p, char **end)
{
    while (*p < *end && (**p == ' ' || **p == '\t'))
        (*p)++;
    while (*end > *p && ((*end)[-1] == ' ' || (*end)[-1] == '\t' || (*end)[-1] == '\r'))
        (*end)--;
}

/* Reads the config file: `key = value` lines, the keys of the flags
 * without "--"; '#' starts a comment line; a value may be put in double
 * quotes (kept as is inside them). Every line is applied in order. */
static int config_read_file(config_t *cfg, const char *path, config_origin_t *org, char *err,
                            size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "--config %s: %s", path, strerror(errno));
        return CONFIG_ERROR;
    }
    char *text = malloc(CONFIG_FILE_MAX + 1);
    if (!text)
        abort();
    size_t n = fread(text, 1, CONFIG_FILE_MAX + 1, f);
    int read_error = ferror(f);
    fclose(f);
    int rc = CONFIG_RUN;
    if (read_error) {
        snprintf(err, err_len, "--config %s: cannot be read", path);
        rc = CONFIG_ERROR;
    } else if (n > CONFIG_FILE_MAX) {
        snprintf(err, err_len, "--config %s: longer than %d bytes", path, CONFIG_FILE_MAX);
        rc = CONFIG_ERROR;
    } else if (memchr(text, '\0', n)) {
        snprintf(err, err_len, "--config %s: a NUL byte (not a text file)", path);
        rc = CONFIG_ERROR;
    }
    text[n < CONFIG_FILE_MAX ? n : CONFIG_FILE_MAX] = '\0';
    unsigned char seen[OPTION_COUNT] = {0};
    unsigned line = 0;
    for (char *p = text; rc == CONFIG_RUN && p < text + n; line++) {
        char *eol = memchr(p, '\n', (size_t)(text + n - p));
        char *end = eol ? eol : text + n;
        char *next = eol ? eol + 1 : text + n;
        char source[CONFIG_SOURCE_MAX];
        snprintf(source, sizeof source, "%s:%u:", path, line + 1);
        config_trim(&p, &end);
        if (p == end || *p == '#') {
            p = next;
            continue;
        }
        char *eq = memchr(p, '=', (size_t)(end - p));
        if (!eq) {
            snprintf(err, err_len, "%s expected key = value", source);
            rc = CONFIG_ERROR;
            break;
        }
        char *key = p, *key_end = eq, *v = eq + 1, *v_end = end;
        config_trim(&key, &key_end);
        config_trim(&v, &v_end);
        if (v_end - v >= 2 && *v == '"' && v_end[-1] == '"') {
            v++;
            v_end--;
        }
        const option_t *o = config_find(key, (size_t)(key_end - key));
        if (!o) {
            snprintf(err, err_len, "%s unknown setting '%.*s' (the keys are the flags without --)",
                     source, (int)(key_end - key > 64 ? 64 : key_end - key), key);
            rc = CONFIG_ERROR;
            break;
        }
        if (seen[o - options]++) {
            snprintf(err, err_len, "%s %s is set twice in the file", source, o->flag);
            rc = CONFIG_ERROR;
            break;
        }
        *v_end = '\0';
        rc = config_apply(cfg, o, v, source, err, err_len);
        if (rc == CONFIG_RUN)
            config_note(org, o, v, source);
        p = next;
    }
    free(text);
    return rc;
}

/* --check-config: every setting, its value and where it came from (a
 * comment line above the ones not at their default), as a file --config
 * reads back. */
static void config_print_effective(const config_origin_t *org, FILE *out)
{
    fprintf(out, "# spider: configuration OK\n");
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const option_t *o = &options[i];
        const char *v = org->value[i] ? org->value[i] : o->def;
        /* Secrets (the token settings) are never written out. */
        size_t flag_n = strlen(o->flag);
        if (flag_n >= 5 && strcmp(o->flag + flag_n - 5, "token") == 0 && *v)
            v = "(set)";
        if (org->value[i])
            fprintf(out, "# %s: from %s\n", o->flag, org->from[i]);
        fprintf(out, "%s = %s\n", o->flag, *v ? v : "\"\"");
    }
}

/* 1 if argv[i] is a table flag whose value is the next argument. */
static int config_takes_next(const char *a)
{
    if (strncmp(a, "--", 2) != 0 || strchr(a, '='))
        return 0;
    return config_find(a + 2, strlen(a + 2)) != NULL;
}

static int config_parse_all(config_t *cfg, int argc, char **argv, FILE *out, config_origin_t *org,
                            char *err, size_t err_len)
{
    config_defaults(cfg);
    /* First what decides how to read the rest: --help, --version, the
     * config file and --check-config. */
    const char *file = getenv("SPIDER_CONFIG");
    int check = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            config_print_help(out);
            return CONFIG_EXIT;
        }
        if (strcmp(a, "--version") == 0) {
            fprintf(out, "spider %s\n", SPIDER_VERSION);
            return CONFIG_EXIT;
        }
        if (strcmp(a, "--check-config") == 0) {
            check = 1;
        } else if (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
            file = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!file || !*file) {
                snprintf(err, err_len, "option --config needs a file (see --help)");
                return CONFIG_ERROR;
            }
        } else if (config_takes_next(a)) {
            i++;
        }
    }
    if (file && *file && config_read_file(cfg, file, org, err, err_len) != CONFIG_RUN)
        return CONFIG_ERROR;
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const char *v = getenv(options[i].env);
        if (v && *v) {
            char source[CONFIG_SOURCE_MAX];
            snprintf(source, sizeof source, "%s (environment):", options[i].env);
            if (config_apply(cfg, &options[i], v, source, err, err_len) != 0)
                return CONFIG_ERROR;
            config_note(org, &options[i], v, "environment");
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--check-config") == 0)
            continue;
        if (strcmp(a, "--config") == 0) {
            i++;
            continue;
        }
        if (strncmp(a, "--config=", 9) == 0)
            continue;
        if (strncmp(a, "--", 2) != 0) {
            snprintf(err, err_len, "unexpected argument '%s' (see --help)", a);
            return CONFIG_ERROR;
        }
        /* Both "--flag value" and "--flag=value". */
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const option_t *o = config_find(name, name_len);
        if (!o) {
            snprintf(err, err_len, "unknown option '%.*s' (see --help)", (int)(name_len + 2), a);
            return CONFIG_ERROR;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) {
            snprintf(err, err_len, "option --%s needs a value (see --help)", o->flag);
            return CONFIG_ERROR;
        }
        if (config_apply(cfg, o, v, "option", err, err_len) != 0)
            return CONFIG_ERROR;
        config_note(org, o, v, "flag");
    }
    if (config_check(cfg, err, err_len) != CONFIG_RUN)
        return CONFIG_ERROR;
    if (check) {
        config_print_effective(org, out);
        return CONFIG_EXIT;
    }
    return CONFIG_RUN;
}

int config_parse(config_t *cfg, int argc, char **argv, FILE *out, char *err, size_t err_len)
{
    config_origin_t org;
    memset(&org, 0, sizeof org);
    int rc = config_parse_all(cfg, argc, argv, out, &org, err, err_len);
    for (size_t i = 0; i < OPTION_COUNT; i++)
        free(org.value[i]);
    return rc;
}
