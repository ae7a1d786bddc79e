/* config.h - Spider's settings: defaults, flags, SPIDER_* environment.
 *
 * Every setting has a flag (--window 30m), an environment variable
 * (SPIDER_WINDOW=30m) and a key of the --config file (window = 30m); a
 * flag wins over the environment, which wins over the file, which wins
 * over the default. The table in config.c is the single source of names, defaults,
 * limits and help text, so --help, docs and behaviour cannot drift apart.
 * Pure module: libc only.
 */
#ifndef SPIDER_CONFIG_H
#define SPIDER_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The largest --config file, and the room for "FILE:LINE:" in a message. */
#define CONFIG_FILE_MAX   (1024 * 1024)
#define CONFIG_SOURCE_MAX 320

/* The most le bounds --metrics-buckets may list. */
#define CONFIG_BUCKETS_MAX 32

/* A second listen address (--statsd-listen, ...): HOST:PORT or "off". */
typedef struct config_endpoint {
    int enabled;    /* 0: "off" */
    int explicit;   /* 1: set by a flag or the environment, not the default */
    char host[256]; /* as typed, like listen_host */
    int port;       /* 0 = ephemeral (tests) */
} config_endpoint_t;

typedef struct config {
    char listen_host[256];        /* as typed: 127.0.0.1, 0.0.0.0, ::1, localhost, ... */
    int listen_port;              /* 0 = pick an ephemeral port (tests) */
    int64_t window_ms;            /* history kept: 1s .. 24h, whole seconds */
    uint64_t raw_per_second;      /* raw points kept per series per second */
    uint64_t max_series;          /* series that may exist at once */
    uint64_t max_rollup_series;   /* series one roll-up may merge */
    uint64_t max_live_rollups;    /* distinct live roll-up shapes at once */
    char log_format[9];           /* "text" or "json" (core/log.h) */
    uint64_t memory_limit;        /* store memory budget, bytes */
    uint64_t max_body;            /* largest POST body accepted, bytes */
    uint64_t ingest_buffer;       /* bodies being received at once, bytes in total */
    uint64_t answer_buffer;       /* large answers being written at once, bytes in total */
    int64_t header_timeout_ms;    /* whole request head must arrive within this */
    int64_t body_timeout_ms;      /* whole body must arrive within this (absolute) */
    int64_t keepalive_timeout_ms; /* idle keep-alive connection closed after this */
    uint64_t header_buffers;      /* request heads being read at once (lws' header pool) */
    uint64_t max_connections;     /* open connections that are not WebSocket clients */
    int64_t push_interval_ms;     /* live updates at most this often per client */
    uint64_t max_clients;         /* WebSocket clients at once */
    char event_loop[8];           /* "auto", "epoll" or "poll" (net/evloop.h) */
    int64_t stall_timeout_ms;     /* a client that takes no update this long is closed */
    int64_t ping_interval_ms;     /* ping a silent client after this; drop it after twice this */
    uint64_t max_update;          /* detail bytes per update per client */
    uint64_t push_buffer;         /* detail frames alive, bytes in total */
    char allow_origin[1024];      /* "" = same origin; "*" = any; else comma-separated origins */
    char allow_host[1024];        /* Host names answered besides the listen address; "*" = any */
    char web_dir[1024];      /* "" = the dashboard embedded in the binary; else serve this folder */
    char tls_cert[1024];     /* PEM certificate (chain) of --listen; "" = plain HTTP */
    char tls_key[1024];      /* PEM private key of tls_cert; set with it or not at all */
    int64_t hsts_max_age_ms; /* Strict-Transport-Security max-age with TLS (whole seconds) */
    /* Access tokens (core/auth.h), "" = that door is open. A *_token_file
     * is read by config_parse into its token; both at once is an error. */
    char ingest_token[201], view_token[201], metrics_token[201];
    char ingest_token_file[1024], view_token_file[1024], metrics_token_file[1024];
    config_endpoint_t statsd_listen; /* StatsD over UDP */
    char statsd_unix[108];           /* StatsD over a Unix datagram socket: a path, "" = none */
    uint64_t statsd_buffer;          /* SO_RCVBUF of the StatsD sockets, bytes */
    config_endpoint_t otlp_listen;   /* the OTLP/HTTP port (net/otlp_port) */
    uint64_t otlp_streams;           /* cumulative OTLP histogram streams kept */
    uint64_t metrics_series;         /* 1: /metrics has a histogram per series */
    size_t n_metrics_buckets;        /* the le bounds of those histograms, ascending */
    double metrics_buckets_ms[CONFIG_BUCKETS_MAX];
    char data_dir[1024];          /* "" = memory only; else snapshots live here */
    int64_t snapshot_interval_ms; /* a snapshot is written this often (and at SIGTERM) */
    char snapshot_writer[8];      /* "loop" (incremental) or "fork" (copy-on-write child) */
} config_t;

enum config_result {
    CONFIG_RUN = 0,   /* parsed: start the server */
    CONFIG_EXIT = 1,  /* --help or --version was printed: exit 0 */
    CONFIG_ERROR = 2, /* bad flag or value: message written to err, exit 2 */
};

/* Fills cfg from defaults, then the --config file (or SPIDER_CONFIG), then
 * the environment (getenv), then argv. --help, --version and
 * --check-config (every setting, its value and where it came from, tokens
 * masked) print to out and return CONFIG_EXIT. On CONFIG_ERROR, err holds
 * one line naming the setting (and the file and line). */
int config_parse(config_t *cfg, int argc, char **argv, FILE *out, char *err, size_t err_len);

/* SIGHUP: reads the --*-token-file files again into cfg's tokens and sets
 * *files to how many there are. All or nothing: on CONFIG_ERROR (a file
 * unreadable, or not a token) cfg is unchanged and err says which. Tokens
 * given as flags, in the environment or in the --config file stay. */
int config_reload_tokens(config_t *cfg, int *files, char *err, size_t err_len);

/* Fills cfg with the defaults only (tests, benchmarks). */
void config_defaults(config_t *cfg);

/* Writes the --help text to out. */
void config_print_help(FILE *out);

/* --listen's host resolved to the one numeric address to bind. */
typedef struct config_listen_addr {
    char ip[46]; /* "127.0.0.1", "::1", "0.0.0.0", "::" (INET6_ADDRSTRLEN) */
    int ipv6;    /* 1 if ip is an IPv6 address */
} config_listen_addr_t;

/* Resolves host (an address, or a name: getaddrinfo, so it may wait for
 * DNS) into addr. A name with IPv4 and IPv6 addresses gives its first IPv4
 * one (localhost: 127.0.0.1). Returns 0, or SPIDER_ENOENT with the reason in
 * err (the caller names the address). */
int config_listen_resolve(const char *host, config_listen_addr_t *addr, char *err, size_t err_len);

#endif
