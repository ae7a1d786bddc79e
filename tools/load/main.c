/* main.c - spider-load: drives a running spider with posters and
 * dashboards for a bounded time and reports what it measured (see
 * docs/load.md). Exit status: 0 every check passed, 1 a check failed,
 * 2 bad usage or the server could not be reached.
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "check.h"
#include "core/xmalloc.h"
#include "net.h"
#include "options.h"
#include "otlp.h"
#include "report.h"
#include "run.h"
#include "sdsend.h"

static volatile sig_atomic_t main_stop;

static void main_on_signal(int sig)
{
    (void)sig;
    main_stop = 1;
}

/* Thousands of dashboards need thousands of descriptors: take all the
 * hard limit allows. */
static void main_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* --otlp-dump FILE: one request as the first OTLP poster would build it
 * now, for a decoder to check (tools/load/otlp_check.mjs, protoc). */
static int main_otlp_dump(const load_opts_t *o)
{
    otlp_shape_t shape = {.prefix = o->prefix,
                          .spans = o->otlp_spans,
                          .services = o->otlp_services,
                          .names = o->otlp_names};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    buf_t b;
    buf_init(&b);
    otlp_build(&b, &shape, 1, 0, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
    FILE *out = fopen(o->otlp_dump, "wb");
    int ok = out && fwrite(b.p, 1, b.len, out) == b.len;
    if (out && fclose(out) != 0)
        ok = 0;
    buf_dispose(&b);
    if (!ok) {
        fprintf(stderr, "spider-load: cannot write %s\n", o->otlp_dump);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    load_opts_t o;
    char err[512];
    options_defaults(&o);
    int rc = options_parse(&o, argc, argv, stdout, err, sizeof err);
    if (rc == 1)
        return 0;
    if (rc != 0) {
        fprintf(stderr, "spider-load: %s\n", err);
        return 2;
    }
    net_addr_t addr;
    if (net_resolve(o.server, &addr, err, sizeof err) != 0) {
        fprintf(stderr, "spider-load: --server: %s\n", err);
        return 2;
    }
    if (o.source_ips > 1) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&addr.sa;
        if (addr.sa.ss_family != AF_INET || (ntohl(in->sin_addr.s_addr) >> 24) != 127) {
            fprintf(stderr, "spider-load: --source-ips needs a --server on 127.0.0.0/8\n");
            return 2;
        }
        addr.sources = o.source_ips;
    }
    if (o.otlp_dump)
        return main_otlp_dump(&o);
    net_addr_t otlp_addr;
    if (net_resolve(o.otlp_server ? o.otlp_server : o.server, &otlp_addr, err, sizeof err) != 0) {
        fprintf(stderr, "spider-load: --otlp-server: %s\n", err);
        return 2;
    }
    /* /metrics: from --server when it is given; else from the OTLP
     * posters' server, which is a spider too. */
    run_targets_t targets = {.http = &addr, .otlp = &otlp_addr};
    if (o.server_given)
        targets.metrics = &addr;
    else if (o.otlp_posters)
        targets.metrics = &otlp_addr;
    if (o.statsd || o.statsd_unix) {
        sdsend_config_t sc = {
            .udp = o.statsd,
            .unix_path = o.statsd_unix,
            .shape = {.prefix = o.prefix,
                      .series = o.statsd_series,
                      .lines = o.statsd_lines,
                      .tags = o.statsd_tags},
            .rate = o.statsd_rate,
        };
        targets.statsd = sdsend_new(&sc, err, sizeof err);
        if (!targets.statsd) {
            fprintf(stderr, "spider-load: %s: %s\n", o.statsd ? "--statsd" : "--statsd-unix", err);
            return 2;
        }
    }
    main_raise_nofile();
    struct rlimit rl;
    uint64_t conns = (uint64_t)o.posters + (uint64_t)o.otlp_posters + 1 + (uint64_t)o.live +
                     (uint64_t)o.slow + o.stalled;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        conns + 16 > rl.rlim_cur)
        fprintf(stderr, "spider-load: warning: %llu connections but only %llu descriptors\n",
                (unsigned long long)conns, (unsigned long long)rl.rlim_cur);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = main_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* ~0.5 MiB of histograms: on the heap, not the stack. */
    load_figures_t *f = xcalloc(1, sizeof *f);
    run_load(&o, &targets, &main_stop, f);
    sdsend_free(targets.statsd);
    check_result_t checks[CHECK_MAX];
    int nchecks = 0;
    int failed = check_eval(&o, f, checks, &nchecks);
    report_summary(stdout, &o, f, checks, nchecks);
    if (o.json_path && report_json(o.json_path, &o, f, checks, nchecks) != 0) {
        fprintf(stderr, "spider-load: cannot write %s\n", o.json_path);
        failed++;
    }
    int nothing = !f->server_gone && f->posts_ok + f->posts_failed == 0 &&
                  f->otlp_ok + f->otlp_failed == 0 && f->dash[WS_LIVE].opened == 0 &&
                  f->dash[WS_SLOW].opened == 0 && f->dash[WS_STALLED].opened == 0;
    free(f->samples);
    free(f);
    if (nothing && conns > 1) {
        fprintf(stderr, "spider-load: could not reach %s\n",
                o.otlp_posters && o.otlp_server ? o.otlp_server : o.server);
        return 2;
    }
    if (failed)
        fprintf(stdout, "spider-load: %d check(s) FAILED\n", failed);
    return failed ? 1 : 0;
}
