/* options.h - the command line of spider-load.
 *
 * Plain value struct: options_defaults() then options_parse(). Sizes and
 * durations use the server's own units (src/core/units.h), so "4KiB" and
 * "500ms" mean the same in both programs.
 */
#ifndef SPIDER_LOAD_OPTIONS_H
#define SPIDER_LOAD_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct load_opts {
    const char *server; /* host:port */
    int64_t duration_ms;
    /* posters: keep-alive POSTs of series x samples per batch */
    int posters, series, samples;
    double post_rate; /* batches per second per poster; 0 = back to back */
    const char *prefix;
    int64_t post_timeout_ms;
    /* dashboards */
    int live, slow, stalled;
    uint64_t slow_rate; /* bytes per second each slow dashboard reads */
    uint64_t rcvbuf;    /* SO_RCVBUF of slow and stalled dashboards */
    int connect_rate;   /* new connections per second while ramping up */
    int source_ips;     /* > 1: source addresses 127.0.0.1 .. 127.0.0.N in turn */
    const char *subscribe;
    const char *rollup, *rollup_by; /* a live roll-up the live dashboards subscribe to */
    /* probe series */
    int64_t probe_interval_ms; /* 0 = no probes */
    int64_t probe_timeout_ms;
    /* StatsD sender: one thread, sendmmsg over UDP or a Unix datagram socket */
    const char *statsd;      /* host:port (UDP) */
    const char *statsd_unix; /* or the path of a Unix datagram socket */
    int statsd_lines;        /* lines per datagram */
    double statsd_rate;      /* lines per second in total; 0 = flat out */
    int statsd_series;       /* distinct series, PREFIX.s<k> */
    int statsd_tags;         /* append |#env:load,shard:N */
    /* OTLP/HTTP posters: POST /v1/traces, protobuf */
    int otlp_posters;
    const char *otlp_server; /* host:port; NULL = --server */
    int otlp_spans;          /* per request */
    int otlp_services;       /* service.name PREFIX.svc<j> */
    int otlp_names;          /* span names op<k> per service */
    double otlp_rate;        /* requests per second per poster; 0 = back to back */
    const char *otlp_dump;   /* write one request body here and exit */
    /* observation and output */
    int pid; /* server process, 0 = none */
    const char *json_path;
    int quiet;
    /* pass/fail checks (exit status 1 when one fails); -1 / 0 = off */
    int64_t check_rss_max;      /* fixed part of the bound, bytes */
    int64_t check_rss_per_conn; /* added per connection, bytes */
    int64_t check_rss_growth;   /* bytes per minute over the second half */
    int64_t check_probe_p99_ms;
    int64_t check_stall_close_ms;
    int check_ticks, check_posts, check_probes;
    double check_statsd_loss; /* fraction of lines; -1 = off */
    /* which options were given (defaults that depend on them) */
    int server_given, probe_given;
} load_opts_t;

void options_defaults(load_opts_t *o);
/* Parses argv into o. Returns 0; 1 when --help was printed to out; or
 * SPIDER_EINVAL with a message in err naming the flag. With a StatsD
 * sender or OTLP posters the probe is off unless --probe-interval is given
 * (it posts JSON points to --server, which such a run may not mean). */
int options_parse(load_opts_t *o, int argc, char **argv, FILE *out, char *err, size_t err_len);

#endif
