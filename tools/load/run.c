/* run.c - the main loop of spider-load (see run.h).
 *
 * One thread: epoll for the sockets, and a pass over the timers after
 * every wait (posters due, the probe, slow readers, the per-second
 * sample). Connections are opened at --connect-rate so that thousands of
 * dashboards do not overflow the server's listen backlog at once. The
 * StatsD sender is its own thread (sdsend.c): flat out it would starve
 * this loop's timers; this thread only reads its counters each second.
 */
#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "core/error.h"
#include "core/xmalloc.h"
#include "loop.h"
#include "otlp.h"
#include "procstat.h"
#include "report.h"

#define RUN_RX_BYTES     (256 * 1024)
#define RUN_SLOW_TICK_US 100000
/* A post sent this much after its slot counts as late. */
#define RUN_LATE_US 100000
/* After the duration, posts under way get this long to finish. */
#define RUN_DRAIN_US 3000000
/* GET /metrics: each try's timeout; after a StatsD run, how long the
 * server's count may keep rising (it drains its socket buffer) and how
 * often it is read meanwhile. */
#define RUN_SCRAPE_TIMEOUT_MS 2000
#define RUN_SETTLE_US         5000000
#define RUN_SETTLE_STEP_US    250000

typedef struct run {
    const load_opts_t *o;
    load_figures_t *f;
    loop_t *loop;
    /* batch posters */
    poster_t **posters;
    int64_t *due_us;
    int64_t period_us; /* 0: back to back */
    uint64_t rng;
    /* OTLP posters */
    poster_t **otlp;
    int64_t *otlp_due;
    uint64_t *otlp_seq;
    int64_t otlp_period_us; /* 0: back to back */
    otlp_shape_t otlp_shape;
    stats_hist_t otlp_second;
    /* probe */
    probe_t *probe;
    poster_t *probe_poster;
    uint64_t probe_id; /* id of the probe under way */
    /* dashboards, in start order: live, slow, stalled */
    ws_env_t env;
    wsclient_t **dash;
    int ndash, started;
    /* per-second progress */
    report_prev_t prev;
    stats_hist_t post_second;
    uint64_t cpu_ticks;
    int64_t cpu_at_us;
} run_t;

/* Copies the probe figures into f (for the progress line and the end). */
static void run_copy_probe(run_t *run)
{
    if (run->probe) {
        run->f->probe = *probe_figures(run->probe);
    } else {
        memset(&run->f->probe, 0, sizeof run->f->probe);
        stats_hist_init(&run->f->probe.all);
        stats_hist_init(&run->f->probe.each);
    }
}

static void run_post_done(void *ud, const post_result_t *r)
{
    run_t *run = ud;
    load_figures_t *f = run->f;
    if (r->fail == POST_OK) {
        f->posts_ok++;
        f->samples_accepted += (uint64_t)(r->accepted > 0 ? r->accepted : 0);
        f->samples_rejected += (uint64_t)(r->rejected > 0 ? r->rejected : 0);
        stats_hist_record(&f->post_latency, r->latency_us);
        stats_hist_record(&run->post_second, r->latency_us);
        return;
    }
    f->posts_failed++;
    f->post_fail[r->fail]++;
    if (r->fail == POST_STATUS) {
        if (r->status == 503)
            f->status_503++;
        else if (r->status >= 500)
            f->status_5xx++;
        else
            f->status_4xx++;
    }
}

static void run_otlp_done(void *ud, const post_result_t *r)
{
    run_t *run = ud;
    load_figures_t *f = run->f;
    if (r->fail == POST_OK) {
        f->otlp_ok++;
        f->otlp_status[200]++;
        f->otlp_spans_ok += (uint64_t)run->o->otlp_spans;
        f->otlp_spans_rejected += (uint64_t)(r->rejected > 0 ? r->rejected : 0);
        stats_hist_record(&f->otlp_latency, r->latency_us);
        stats_hist_record(&run->otlp_second, r->latency_us);
        return;
    }
    f->otlp_failed++;
    f->otlp_fail[r->fail]++;
    if (r->fail == POST_STATUS && r->status >= 100 && r->status < 600)
        f->otlp_status[r->status]++;
}

static void run_probe_done(void *ud, const post_result_t *r)
{
    run_t *run = ud;
    run_post_done(ud, r);
    if (r->fail != POST_OK || r->rejected > 0)
        probe_post_failed(run->probe, run->probe_id);
}

static void run_sample_server(run_t *run, int64_t now_us, int64_t start_us)
{
    load_figures_t *f = run->f;
    procstat_t ps;
    if (!run->o->pid || f->server_gone)
        return;
    if (procstat_read(run->o->pid, &ps) != 0) {
        f->server_gone = 1;
        return;
    }
    double cpu = 0;
    if (run->cpu_at_us && now_us > run->cpu_at_us)
        cpu = (double)(ps.cpu_ticks - run->cpu_ticks) / (double)procstat_ticks_per_s() * 100.0 /
              ((double)(now_us - run->cpu_at_us) / 1e6);
    run->cpu_ticks = ps.cpu_ticks;
    run->cpu_at_us = now_us;
    if (f->nsamples == f->samples_cap) {
        f->samples_cap = f->samples_cap ? 2 * f->samples_cap : 256;
        f->samples = xrealloc(f->samples, (size_t)f->samples_cap * sizeof *f->samples);
    }
    server_sample_t *s = &f->samples[f->nsamples++];
    s->t_s = (double)(now_us - start_us) / 1e6;
    s->rss_bytes = ps.rss_bytes;
    s->cpu_pct = cpu;
    f->have_server = 1;
}

/* Server figures over the run: max RSS, CPU, and the RSS trend over the
 * second half (when the store and the connections have settled). */
static void run_server_summary(load_figures_t *f, double duration_s)
{
    if (!f->nsamples)
        return;
    double *x = xmalloc((size_t)f->nsamples * sizeof *x);
    double *y = xmalloc((size_t)f->nsamples * sizeof *y);
    int n = 0;
    double cpu_sum = 0;
    int cpu_n = 0;
    f->rss_start = f->samples[0].rss_bytes;
    f->rss_end = f->samples[f->nsamples - 1].rss_bytes;
    for (int i = 0; i < f->nsamples; i++) {
        const server_sample_t *s = &f->samples[i];
        if (s->rss_bytes > f->rss_max)
            f->rss_max = s->rss_bytes;
        if (i > 0) {
            cpu_sum += s->cpu_pct;
            cpu_n++;
            if (s->cpu_pct > f->cpu_max_pct)
                f->cpu_max_pct = s->cpu_pct;
        }
        if (s->t_s >= duration_s / 2) {
            x[n] = s->t_s / 60.0;
            y[n] = (double)s->rss_bytes;
            n++;
        }
    }
    f->cpu_avg_pct = cpu_n ? cpu_sum / cpu_n : 0;
    f->rss_slope_bpm = stats_slope(x, y, n);
    free(x);
    free(y);
}

static void run_posters(run_t *run, int64_t now_us)
{
    const load_opts_t *o = run->o;
    for (int i = 0; i < o->posters; i++) {
        poster_t *p = run->posters[i];
        poster_tick(p, now_us);
        if (poster_busy(p) || now_us < run->due_us[i])
            continue;
        batch_build(poster_body(p), o->prefix, i, o->series, o->samples, &run->rng);
        poster_send(p, now_us);
        if (run->period_us == 0) {
            run->due_us[i] = now_us;
            continue;
        }
        /* A fixed schedule; a poster that fell behind resumes from now
         * rather than bursting to catch up. */
        if (now_us - run->due_us[i] > RUN_LATE_US)
            run->f->posts_late++;
        run->due_us[i] += run->period_us;
        if (run->due_us[i] < now_us)
            run->due_us[i] = now_us + run->period_us;
    }
}

static uint64_t run_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Like run_posters: each OTLP poster on its own schedule or back to back;
 * every request is built anew so that its spans end now. */
static void run_otlp(run_t *run, int64_t now_us)
{
    const load_opts_t *o = run->o;
    for (int i = 0; i < o->otlp_posters; i++) {
        poster_t *p = run->otlp[i];
        poster_tick(p, now_us);
        if (poster_busy(p) || now_us < run->otlp_due[i])
            continue;
        uint64_t seed = ((uint64_t)getpid() << 20) ^ (uint64_t)i;
        otlp_build(poster_body(p), &run->otlp_shape, seed, run->otlp_seq[i]++, run_wall_ns());
        poster_send(p, now_us);
        run->f->otlp_spans_posted += (uint64_t)o->otlp_spans;
        if (run->otlp_period_us == 0) {
            run->otlp_due[i] = now_us;
            continue;
        }
        if (now_us - run->otlp_due[i] > RUN_LATE_US)
            run->f->otlp_late++;
        run->otlp_due[i] += run->otlp_period_us;
        if (run->otlp_due[i] < now_us)
            run->otlp_due[i] = now_us + run->otlp_period_us;
    }
}

static void run_probe(run_t *run, int64_t now_us, int64_t *next_probe_us)
{
    if (!run->probe)
        return;
    poster_tick(run->probe_poster, now_us);
    probe_expire(run->probe, now_us);
    if (now_us < *next_probe_us)
        return;
    /* 0.5-1.5 intervals apart: at a fixed spacing every probe would land
     * at the same phase of the server's push tick, and the latency would
     * measure that phase, not the spread of waits a real post sees. */
    int64_t gap_us =
        (int64_t)((double)run->o->probe_interval_ms * 1000.0 * (0.5 + batch_uniform(&run->rng)));
    *next_probe_us += gap_us;
    if (*next_probe_us < now_us)
        *next_probe_us = now_us + gap_us;
    if (poster_busy(run->probe_poster)) {
        probe_skipped(run->probe);
        return;
    }
    run->probe_id = probe_build(run->probe, poster_body(run->probe_poster));
    poster_send(run->probe_poster, now_us);
    probe_sent(run->probe, run->probe_id, now_us, (uint32_t)run->f->dash[WS_LIVE].open_now);
}

/* The server's counters after the run. StatsD lines sent in the last
 * moments may still wait in the server's socket buffer: read until the
 * accepted count stops moving (two reads RUN_SETTLE_STEP_US apart agree),
 * at most RUN_SETTLE_US. */
static void run_scrape_end(load_figures_t *f, const net_addr_t *metrics)
{
    scrape_read(metrics, RUN_SCRAPE_TIMEOUT_MS, &f->scrape_end);
    if (!f->statsd_on)
        return;
    int64_t until = loop_now_us() + RUN_SETTLE_US;
    while (f->scrape_end.ok && f->scrape_end.have[SCRAPE_STATSD_ACCEPTED] &&
           loop_now_us() < until) {
        usleep(RUN_SETTLE_STEP_US);
        scrape_t again;
        scrape_read(metrics, RUN_SCRAPE_TIMEOUT_MS, &again);
        if (!again.ok)
            break;
        int settled = again.at[SCRAPE_STATSD_ACCEPTED] == f->scrape_end.at[SCRAPE_STATSD_ACCEPTED];
        f->scrape_end = again;
        if (settled)
            break;
    }
}

static void run_setup_otlp(run_t *run, const net_addr_t *addr)
{
    const load_opts_t *o = run->o;
    int64_t timeout_us = o->post_timeout_ms * 1000;
    run->otlp = xcalloc((size_t)o->otlp_posters + 1, sizeof *run->otlp);
    run->otlp_due = xcalloc((size_t)o->otlp_posters + 1, sizeof *run->otlp_due);
    run->otlp_seq = xcalloc((size_t)o->otlp_posters + 1, sizeof *run->otlp_seq);
    run->otlp_period_us = o->otlp_rate > 0 ? (int64_t)(1e6 / o->otlp_rate) : 0;
    run->otlp_shape = (otlp_shape_t){.prefix = o->prefix,
                                     .spans = o->otlp_spans,
                                     .services = o->otlp_services,
                                     .names = o->otlp_names};
    for (int i = 0; i < o->otlp_posters; i++)
        run->otlp[i] = poster_new(run->loop, addr, POSTER_OTLP, timeout_us, run_otlp_done, run);
    stats_hist_init(&run->f->otlp_latency);
    stats_hist_init(&run->otlp_second);
    if (o->otlp_posters) {
        run->f->otlp_on = 1;
        snprintf(run->f->otlp_target, sizeof run->f->otlp_target, "%s", addr->host);
    }
}

static void run_setup(run_t *run, const net_addr_t *addr)
{
    const load_opts_t *o = run->o;
    load_figures_t *f = run->f;
    run->loop = loop_new();
    run->rng = 0x2545F4914F6CDD1Dull ^ (uint64_t)getpid();
    int64_t timeout_us = o->post_timeout_ms * 1000;
    run->posters = xcalloc((size_t)o->posters + 1, sizeof *run->posters);
    run->due_us = xcalloc((size_t)o->posters + 1, sizeof *run->due_us);
    run->period_us = o->post_rate > 0 ? (int64_t)(1e6 / o->post_rate) : 0;
    for (int i = 0; i < o->posters; i++)
        run->posters[i] =
            poster_new(run->loop, addr, POSTER_POINTS, timeout_us, run_post_done, run);
    if (o->probe_interval_ms > 0) {
        run->probe = probe_new(o->probe_timeout_ms * 1000);
        run->probe_poster =
            poster_new(run->loop, addr, POSTER_POINTS, timeout_us, run_probe_done, run);
    }
    run->env.loop = run->loop;
    run->env.addr = addr;
    run->env.probe = run->probe;
    run->env.rcvbuf = (int)o->rcvbuf;
    run->env.slow_rate = (double)o->slow_rate;
    run->env.rx = xmalloc(RUN_RX_BYTES);
    run->env.rx_cap = RUN_RX_BYTES;
    run->env.subscribe = NULL;
    if (o->subscribe || o->rollup) {
        /* "*" or a comma-separated list of names (no quotes or escapes). */
        buf_t b;
        buf_init(&b);
        if (!o->subscribe) {
            buf_append_cstr(&b, "{\"subscribe\":[]");
        } else if (strcmp(o->subscribe, "*") == 0) {
            buf_append_cstr(&b, "{\"subscribe\":\"*\"");
        } else {
            buf_append_cstr(&b, "{\"subscribe\":[");
            const char *s = o->subscribe;
            for (int first = 1; *s; first = 0) {
                size_t n = strcspn(s, ",");
                if (!first)
                    buf_append(&b, ",", 1);
                buf_json_string(&b, s, n);
                s += n + (s[n] == ',');
            }
            buf_append_cstr(&b, "]");
        }
        if (o->rollup) {
            buf_append_cstr(&b, ",\"rollups\":[{\"match\":");
            buf_json_string(&b, o->rollup, strlen(o->rollup));
            if (o->rollup_by) {
                buf_append_cstr(&b, ",\"by\":");
                buf_json_string(&b, o->rollup_by, strlen(o->rollup_by));
            }
            buf_append_cstr(&b, "}]");
        }
        buf_append_cstr(&b, "}");
        run->env.subscribe = xstrndup(b.p, b.len);
        buf_dispose(&b);
    }
    int kinds[WS_KINDS] = {o->live, o->slow, o->stalled};
    run->ndash = o->live + o->slow + o->stalled;
    run->dash = xcalloc((size_t)run->ndash + 1, sizeof *run->dash);
    int k = 0;
    for (int kind = 0; kind < WS_KINDS; kind++) {
        dash_figures_init(&f->dash[kind]);
        f->dashboards_wanted[kind] = kinds[kind];
        for (int i = 0; i < kinds[kind]; i++)
            run->dash[k++] = wsclient_new(&run->env, kind, &f->dash[kind]);
    }
    stats_hist_init(&f->post_latency);
    stats_hist_init(&run->post_second);
    f->http_clients = o->posters + run->ndash + (run->probe ? 1 : 0);
}

static void run_teardown(run_t *run)
{
    for (int i = 0; i < run->o->otlp_posters; i++)
        poster_free(run->otlp[i]);
    free(run->otlp);
    free(run->otlp_due);
    free(run->otlp_seq);
    for (int i = 0; i < run->o->posters; i++)
        poster_free(run->posters[i]);
    free(run->posters);
    free(run->due_us);
    poster_free(run->probe_poster);
    probe_free(run->probe);
    for (int i = 0; i < run->ndash; i++)
        wsclient_free(run->dash[i]);
    free(run->dash);
    free(run->env.rx);
    free((char *)run->env.subscribe);
    loop_free(run->loop);
}

/* Lets the posts under way finish (so the end of the run is not counted
 * as failures), at most RUN_DRAIN_US. */
static void run_drain(run_t *run)
{
    int64_t until = loop_now_us() + RUN_DRAIN_US;
    for (;;) {
        int64_t now = loop_now_us();
        int busy = run->probe_poster && poster_busy(run->probe_poster);
        for (int i = 0; i < run->o->posters; i++) {
            poster_tick(run->posters[i], now);
            busy |= poster_busy(run->posters[i]);
        }
        for (int i = 0; i < run->o->otlp_posters; i++) {
            poster_tick(run->otlp[i], now);
            busy |= poster_busy(run->otlp[i]);
        }
        if (run->probe_poster)
            poster_tick(run->probe_poster, now);
        if (!busy || now >= until)
            return;
        loop_wait(run->loop, 10);
    }
}

int run_load(const load_opts_t *o, const run_targets_t *t, volatile sig_atomic_t *stop,
             load_figures_t *f)
{
    run_t run_s, *run = &run_s;
    memset(run, 0, sizeof *run);
    memset(f, 0, sizeof *f);
    run->o = o;
    run->f = f;
    f->probe_interval_ms = o->probe_interval_ms;
    run_setup(run, t->http);
    run_setup_otlp(run, t->otlp);
    if (t->metrics) {
        f->metrics_on = 1;
        scrape_read(t->metrics, RUN_SCRAPE_TIMEOUT_MS, &f->scrape_start);
    }

    int64_t start = loop_now_us();
    int64_t end = start + o->duration_ms * 1000;
    if (t->statsd) {
        snprintf(f->statsd_target, sizeof f->statsd_target, "%s", sdsend_target(t->statsd));
        f->statsd_longest = sdsend_longest(t->statsd);
        f->statsd_max_bytes = sdsend_max_bytes(t->statsd);
        f->statsd_on = sdsend_start(t->statsd, end) == 0;
        if (!f->statsd_on)
            fprintf(stderr, "spider-load: cannot start the StatsD sender thread\n");
    }
    for (int i = 0; i < o->posters; i++)
        run->due_us[i] = start + (run->period_us * i) / (o->posters ? o->posters : 1);
    for (int i = 0; i < o->otlp_posters; i++)
        run->otlp_due[i] = start + (run->otlp_period_us * i) / o->otlp_posters;
    /* Probes start once every dashboard has had time to connect. */
    int64_t ramp_us = (int64_t)run->ndash * 1000000 / o->connect_rate;
    int64_t next_probe = start + ramp_us + 1000000;
    int64_t next_slow = start, next_sec = start + 1000000;
    run_sample_server(run, start, start);

    while (!*stop) {
        int64_t now = loop_now_us();
        if (now >= end || f->server_gone)
            break;
        int64_t allowed = (now - start) * o->connect_rate / 1000000 + 1;
        while (run->started < run->ndash && run->started < allowed)
            wsclient_start(run->dash[run->started++], now);
        run_posters(run, now);
        run_otlp(run, now);
        run_probe(run, now, &next_probe);
        if (now >= next_slow) {
            for (int i = o->live; i < o->live + o->slow; i++)
                wsclient_tick(run->dash[i], now);
            next_slow += RUN_SLOW_TICK_US;
        }
        if (now >= next_sec) {
            run_sample_server(run, now, start);
            f->elapsed_s = (double)(now - start) / 1e6;
            run_copy_probe(run);
            if (f->statsd_on)
                sdsend_read(t->statsd, &f->statsd);
            if (!o->quiet)
                report_progress(stdout, f, &run->post_second, &run->otlp_second, &run->prev);
            stats_hist_init(&run->post_second);
            stats_hist_init(&run->otlp_second);
            next_sec += 1000000;
        }
        /* Short waits keep the timers honest; back-to-back posters and
         * connection ramps are driven by events anyway. */
        int64_t wait_us = next_slow - loop_now_us();
        int timeout_ms = wait_us <= 0 ? 0 : (int)(wait_us / 1000) + 1;
        if (run->started < run->ndash)
            timeout_ms = 1;
        if (timeout_ms > 20)
            timeout_ms = 20;
        loop_wait(run->loop, timeout_ms);
    }
    f->stopped_by_signal = *stop != 0;
    if (f->statsd_on) {
        sdsend_stop(t->statsd);
        sdsend_read(t->statsd, &f->statsd);
    }
    run_drain(run);
    int64_t now = loop_now_us();
    f->elapsed_s = (double)(now - start) / 1e6;
    for (int kind = 0; kind < WS_KINDS; kind++)
        f->updates_min[kind] = UINT64_MAX;
    for (int i = 0; i < run->ndash; i++) {
        wsclient_t *c = run->dash[i];
        int kind = i < o->live ? WS_LIVE : i < o->live + o->slow ? WS_SLOW : WS_STALLED;
        uint64_t u = wsclient_updates(c);
        if (u < f->updates_min[kind])
            f->updates_min[kind] = u;
        if (u > f->updates_max[kind])
            f->updates_max[kind] = u;
        wsclient_finish(c, now);
    }
    for (int kind = 0; kind < WS_KINDS; kind++) {
        if (f->updates_min[kind] == UINT64_MAX)
            f->updates_min[kind] = 0;
        f->connections += f->dash[kind].opened;
    }
    for (int i = 0; i < o->posters; i++)
        f->post_connects += poster_connects(run->posters[i]);
    for (int i = 0; i < o->otlp_posters; i++)
        f->otlp_connects += poster_connects(run->otlp[i]);
    if (run->probe_poster)
        f->post_connects += poster_connects(run->probe_poster);
    f->connections +=
        (uint64_t)o->posters + (uint64_t)o->otlp_posters + (run->probe_poster ? 1 : 0);
    run_copy_probe(run);
    run_server_summary(f, (double)o->duration_ms / 1000.0);
    run_teardown(run);
    if (t->metrics)
        run_scrape_end(f, t->metrics);
    return f->server_gone ? SPIDER_EIO : 0;
}
