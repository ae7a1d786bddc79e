/* options.c - spider-load's flags (see options.h). */
#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/units.h"

void options_defaults(load_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->server = "127.0.0.1:8080";
    o->duration_ms = 30000;
    o->series = 20;
    o->samples = 100;
    o->post_rate = 1.0;
    o->prefix = "load";
    o->post_timeout_ms = 10000;
    o->slow_rate = 16 * 1024;
    o->rcvbuf = 4 * 1024;
    o->connect_rate = 5000;
    o->probe_interval_ms = 500;
    o->probe_timeout_ms = 10000;
    o->check_rss_max = -1;
    o->check_rss_per_conn = 0;
    o->check_rss_growth = -1;
    o->check_probe_p99_ms = -1;
    o->check_stall_close_ms = -1;
    o->statsd_lines = 1;
    o->statsd_series = 100;
    o->check_statsd_loss = -1;
    o->otlp_spans = 512;
    o->otlp_services = 4;
    o->otlp_names = 16;
}

/* OPT_RATE: a rate up to 100,000/s; OPT_NUM: any count up to 1e9 (lines
 * per second); OPT_FRACTION: 0 to 1. All three are doubles. */
enum opt_kind { OPT_STR, OPT_INT, OPT_RATE, OPT_NUM, OPT_FRACTION, OPT_DUR, OPT_SIZE, OPT_FLAG };

typedef struct opt {
    const char *name;
    enum opt_kind kind;
    size_t offset;
    const char *help;
} opt_t;

#define O(field) offsetof(load_opts_t, field)
static const opt_t OPTS[] = {
    {"--server", OPT_STR, O(server), "host:port of the spider under test (127.0.0.1:8080)"},
    {"--duration", OPT_DUR, O(duration_ms), "how long to run, e.g. 90s, 10m (30s)"},
    {"--posters", OPT_INT, O(posters), "keep-alive connections posting batches (0)"},
    {"--series", OPT_INT, O(series), "series per batch, distinct per poster (20)"},
    {"--samples", OPT_INT, O(samples), "samples per series per batch (100)"},
    {"--post-rate", OPT_RATE, O(post_rate), "batches per second per poster; 0 = back to back (1)"},
    {"--prefix", OPT_STR, O(prefix), "series names are PREFIX.pN.sM (load)"},
    {"--post-timeout", OPT_DUR, O(post_timeout_ms), "a POST not answered in this fails (10s)"},
    {"--live", OPT_INT, O(live), "dashboards that read every update promptly (0)"},
    {"--slow", OPT_INT, O(slow), "dashboards that read --slow-rate bytes/s (0)"},
    {"--slow-rate", OPT_SIZE, O(slow_rate), "bytes per second a slow dashboard reads (16KiB)"},
    {"--stalled", OPT_INT, O(stalled), "dashboards that never read after the handshake (0)"},
    {"--rcvbuf", OPT_SIZE, O(rcvbuf), "SO_RCVBUF of slow and stalled dashboards (4KiB)"},
    {"--connect-rate", OPT_INT, O(connect_rate), "connections opened per second (5000)"},
    {"--source-ips", OPT_INT, O(source_ips),
     "connect from 127.0.0.1 .. 127.0.0.N in turn: more than ~28,000 connections to one "
     "loopback port (1)"},
    {"--subscribe", OPT_STR, O(subscribe), "live dashboards send {\"subscribe\":...}: * or a,b,c"},
    {"--rollup", OPT_STR, O(rollup), "... and subscribe to this live roll-up (a selector)"},
    {"--rollup-by", OPT_STR, O(rollup_by), "... grouped by these labels (a,b)"},
    {"--probe-interval", OPT_DUR, O(probe_interval_ms),
     "post a new probe series this often (500ms)"},
    {"--probe-timeout", OPT_DUR, O(probe_timeout_ms),
     "a probe not seen by all in this: lost (10s)"},
    {"--statsd", OPT_STR, O(statsd), "send StatsD timers over UDP to host:port"},
    {"--statsd-unix", OPT_STR, O(statsd_unix), "... or to a Unix datagram socket (DogStatsD UDS)"},
    {"--statsd-lines", OPT_INT, O(statsd_lines), "StatsD lines per datagram (1)"},
    {"--statsd-rate", OPT_NUM, O(statsd_rate), "StatsD lines per second in all; 0 = flat out (0)"},
    {"--statsd-series", OPT_INT, O(statsd_series), "distinct StatsD series PREFIX.sK (100)"},
    {"--statsd-tags", OPT_FLAG, O(statsd_tags), "add |#env:load,shard:N to every StatsD line"},
    {"--otlp-posters", OPT_INT, O(otlp_posters),
     "keep-alive connections posting OTLP/HTTP protobuf traces (0)"},
    {"--otlp-server", OPT_STR, O(otlp_server), "host:port the OTLP posters post to (--server)"},
    {"--otlp-spans", OPT_INT, O(otlp_spans), "spans per OTLP request (512)"},
    {"--otlp-services", OPT_INT, O(otlp_services), "service.name values PREFIX.svcN (4)"},
    {"--otlp-names", OPT_INT, O(otlp_names), "span names opN per service (16)"},
    {"--otlp-rate", OPT_RATE, O(otlp_rate),
     "OTLP requests per second per poster; 0 = back to back (0)"},
    {"--otlp-dump", OPT_STR, O(otlp_dump), "write one OTLP request body to this file and exit"},
    {"--pid", OPT_INT, O(pid), "server PID: sample its RSS and CPU every second"},
    {"--json", OPT_STR, O(json_path), "write every figure to this file"},
    {"--quiet", OPT_FLAG, O(quiet), "no progress line per second"},
    {"--check-rss-max", OPT_SIZE, O(check_rss_max),
     "fail if RSS > this + connections x (--check-rss-per-conn + largest update)"},
    {"--check-rss-per-conn", OPT_SIZE, O(check_rss_per_conn), "per connection allowance (0)"},
    {"--check-rss-growth", OPT_SIZE, O(check_rss_growth),
     "fail if RSS grows faster (per minute) over the second half"},
    {"--check-probe-p99", OPT_DUR, O(check_probe_p99_ms),
     "fail if probe latency p99 > this or a probe is lost"},
    {"--check-stall-close", OPT_DUR, O(check_stall_close_ms),
     "fail unless every stalled dashboard is closed within this of its last data"},
    {"--check-probes", OPT_FLAG, O(check_probes),
     "fail if no probe completes or one is lost (--check-probe-p99 adds a latency bound)"},
    {"--check-ticks", OPT_FLAG, O(check_ticks), "fail if a live dashboard misses a tick"},
    {"--check-posts", OPT_FLAG, O(check_posts), "fail if any POST fails or a sample is rejected"},
    {"--check-statsd-loss", OPT_FRACTION, O(check_statsd_loss),
     "fail if more than this fraction of StatsD lines is lost (needs --server)"},
};
#undef O

static void options_usage(FILE *out)
{
    fprintf(out, "Usage: spider-load [OPTION]...\n"
                 "Loads a running spider with posters and dashboards for a bounded time and\n"
                 "measures it (see docs/load.md). Options:\n");
    for (size_t i = 0; i < sizeof OPTS / sizeof OPTS[0]; i++)
        fprintf(out, "  %-22s %s\n", OPTS[i].name, OPTS[i].help);
    fprintf(out, "  %-22s %s\n", "--help", "this text");
    fprintf(out, "Sizes take B, KiB, MiB, GiB; durations ms, s, m, h. Exit status: 0 all\n"
                 "checks passed, 1 a check failed, 2 bad usage or the server unreachable.\n");
}

static int options_int(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi)
        return SPIDER_EINVAL;
    *out = x;
    return 0;
}

static int options_set(load_opts_t *o, const opt_t *d, const char *v)
{
    char *field = (char *)o + d->offset;
    switch (d->kind) {
    case OPT_STR:
        if (!*v)
            return SPIDER_EINVAL;
        *(const char **)(void *)field = v;
        return 0;
    case OPT_INT: {
        long x;
        if (options_int(v, 0, 100000000, &x) != 0)
            return SPIDER_EINVAL;
        *(int *)(void *)field = (int)x;
        return 0;
    }
    case OPT_RATE:
    case OPT_NUM:
    case OPT_FRACTION: {
        char *end;
        double x = strtod(v, &end);
        double hi = d->kind == OPT_RATE ? 100000 : d->kind == OPT_NUM ? 1e9 : 1;
        if (end == v || *end || !(x >= 0 && x <= hi))
            return SPIDER_EINVAL;
        *(double *)(void *)field = x;
        return 0;
    }
    case OPT_DUR:
        return units_parse_duration(v, strlen(v), (int64_t *)(void *)field);
    case OPT_SIZE: {
        uint64_t x;
        if (units_parse_size(v, strlen(v), &x) != 0 || x > INT64_MAX)
            return SPIDER_EINVAL;
        if (d->offset == offsetof(load_opts_t, slow_rate) ||
            d->offset == offsetof(load_opts_t, rcvbuf))
            *(uint64_t *)(void *)field = x;
        else
            *(int64_t *)(void *)field = (int64_t)x;
        return 0;
    }
    case OPT_FLAG:
        *(int *)(void *)field = 1;
        return 0;
    }
    return SPIDER_EINVAL;
}

int options_parse(load_opts_t *o, int argc, char **argv, FILE *out, char *err, size_t err_len)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            options_usage(out);
            return 1;
        }
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        const opt_t *d = NULL;
        for (size_t k = 0; k < sizeof OPTS / sizeof OPTS[0]; k++)
            if (strlen(OPTS[k].name) == nlen && strncmp(OPTS[k].name, a, nlen) == 0)
                d = &OPTS[k];
        if (!d) {
            snprintf(err, err_len, "unknown option %s (see --help)", a);
            return SPIDER_EINVAL;
        }
        const char *v = "1";
        if (d->kind != OPT_FLAG) {
            v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                snprintf(err, err_len, "%s needs a value", d->name);
                return SPIDER_EINVAL;
            }
        }
        if (options_set(o, d, v) != 0) {
            snprintf(err, err_len, "%s: bad value \"%s\" (%s)", d->name, v, d->help);
            return SPIDER_EINVAL;
        }
        if (d->offset == offsetof(load_opts_t, server))
            o->server_given = 1;
        if (d->offset == offsetof(load_opts_t, probe_interval_ms))
            o->probe_given = 1;
    }
    if (o->duration_ms <= 0 || o->duration_ms > 24LL * 3600 * 1000) {
        snprintf(err, err_len, "--duration must be between 1ms and 24h");
        return SPIDER_EINVAL;
    }
    if (o->posters && (o->series < 1 || o->samples < 1 || o->series > 10000)) {
        snprintf(err, err_len, "--series (1-10000) and --samples (>= 1) must be set for posters");
        return SPIDER_EINVAL;
    }
    if (o->source_ips < 0 || o->source_ips > 254) {
        snprintf(err, err_len, "--source-ips is 1-254");
        return SPIDER_EINVAL;
    }
    if (o->connect_rate < 1 || o->rcvbuf > (1u << 30) || o->slow_rate < 1) {
        snprintf(err, err_len, "--connect-rate, --slow-rate must be >= 1; --rcvbuf <= 1GiB");
        return SPIDER_EINVAL;
    }
    if (strlen(o->prefix) > 100) {
        snprintf(err, err_len, "--prefix is at most 100 bytes");
        return SPIDER_EINVAL;
    }
    if (o->statsd && o->statsd_unix) {
        snprintf(err, err_len, "--statsd and --statsd-unix: one or the other");
        return SPIDER_EINVAL;
    }
    if (o->statsd_lines < 1 || o->statsd_lines > 1000 || o->statsd_series < 1 ||
        o->statsd_series > 1000000) {
        snprintf(err, err_len, "--statsd-lines is 1-1000, --statsd-series 1-1000000");
        return SPIDER_EINVAL;
    }
    if (o->otlp_spans < 1 || o->otlp_spans > 100000 || o->otlp_services < 1 ||
        o->otlp_services > 10000 || o->otlp_names < 1 || o->otlp_names > 10000) {
        snprintf(err, err_len,
                 "--otlp-spans is 1-100000, --otlp-services and --otlp-names 1-10000");
        return SPIDER_EINVAL;
    }
    if ((o->statsd || o->statsd_unix || o->otlp_posters) && !o->probe_given)
        o->probe_interval_ms = 0;
    return 0;
}
