/* check.c - pass/fail checks (see check.h). */
#include "check.h"

#include <stdio.h>
#include <string.h>

#define MIB (1024.0 * 1024.0)

static check_result_t *check_add(check_result_t *out, int *n, const char *name, int pass)
{
    check_result_t *r = &out[(*n)++];
    r->name = name;
    r->pass = pass;
    r->detail[0] = '\0';
    return r;
}

static uint64_t check_largest_update(const load_figures_t *f)
{
    uint64_t m = 0;
    for (int k = 0; k < WS_KINDS; k++)
        if (f->dash[k].max_update_bytes > m)
            m = f->dash[k].max_update_bytes;
    return m;
}

uint64_t check_rss_bound(const load_opts_t *o, const load_figures_t *f)
{
    if (o->check_rss_max < 0)
        return 0;
    uint64_t dashboards = 0;
    for (int k = 0; k < WS_KINDS; k++)
        dashboards += f->dash[k].opened;
    return (uint64_t)o->check_rss_max + f->connections * (uint64_t)o->check_rss_per_conn +
           dashboards * check_largest_update(f);
}

static void check_posts(const load_figures_t *f, check_result_t *out, int *n)
{
    int pass = f->posts_failed == 0 && f->samples_rejected == 0 && f->posts_ok > 0;
    check_result_t *r = check_add(out, n, "posts", pass);
    int at = snprintf(r->detail, sizeof r->detail,
                      "%llu ok, %llu failed, %llu samples rejected (want: none failed or rejected)",
                      (unsigned long long)f->posts_ok, (unsigned long long)f->posts_failed,
                      (unsigned long long)f->samples_rejected);
    for (int k = 1; k < POST_FAIL_KINDS && at > 0 && (size_t)at < sizeof r->detail; k++)
        if (f->post_fail[k])
            at += snprintf(r->detail + at, sizeof r->detail - (size_t)at, "; %s %llu",
                           poster_fail_name(k), (unsigned long long)f->post_fail[k]);
}

static void check_ticks(const load_figures_t *f, check_result_t *out, int *n)
{
    const dash_figures_t *d = &f->dash[WS_LIVE];
    uint64_t closed = d->closed_reset + d->closed_eof + d->closed_frame + d->protocol_errors;
    int pass = d->missed_ticks == 0 && d->seq_backwards == 0 &&
               d->opened == (uint64_t)f->dashboards_wanted[WS_LIVE] && closed == 0 &&
               f->updates_min[WS_LIVE] > 0;
    check_result_t *r = check_add(out, n, "live-ticks", pass);
    snprintf(r->detail, sizeof r->detail,
             "%llu/%d live dashboards opened, %llu closed by the server; %llu ticks missed by "
             "%llu dashboards, %llu seq going back; updates per dashboard %llu-%llu, longest "
             "gap %.0f ms (want: all open, no tick missed)",
             (unsigned long long)d->opened, f->dashboards_wanted[WS_LIVE],
             (unsigned long long)closed, (unsigned long long)d->missed_ticks,
             (unsigned long long)d->clients_missed, (unsigned long long)d->seq_backwards,
             (unsigned long long)f->updates_min[WS_LIVE],
             (unsigned long long)f->updates_max[WS_LIVE], (double)d->max_gap_us / 1000.0);
}

static void check_probe(const load_opts_t *o, const load_figures_t *f, check_result_t *out, int *n)
{
    const probe_figures_t *p = &f->probe;
    int64_t p99 = stats_hist_quantile(&p->all, 0.99);
    /* Without a latency bound (--check-probes alone) the check is the
     * invariant: every probe reached every live dashboard. */
    int bounded = o->check_probe_p99_ms >= 0;
    int pass = p->completed > 0 && p->lost == 0 && p->post_failed == 0 &&
               (!bounded || p99 <= o->check_probe_p99_ms * 1000);
    check_result_t *r = check_add(out, n, bounded ? "probe-latency" : "probes", pass);
    char want[64];
    if (bounded)
        snprintf(want, sizeof want, "p99 <= %lld ms, none lost", (long long)o->check_probe_p99_ms);
    else
        snprintf(want, sizeof want, "none lost");
    snprintf(r->detail, sizeof r->detail,
             "p50 %.0f ms, p99 %.0f ms, max %.0f ms over %llu probes; %llu lost, %llu POSTs "
             "failed (want: %s)",
             (double)stats_hist_quantile(&p->all, 0.5) / 1000.0, (double)p99 / 1000.0,
             (double)p->all.max_us / 1000.0, (unsigned long long)p->completed,
             (unsigned long long)p->lost, (unsigned long long)p->post_failed, want);
}

static void check_stall(const load_opts_t *o, const load_figures_t *f, check_result_t *out, int *n)
{
    const dash_figures_t *d = &f->dash[WS_STALLED];
    uint64_t closed = d->close_after_stop.count;
    int64_t worst = d->close_after_data.max_us;
    int pass = d->opened == (uint64_t)f->dashboards_wanted[WS_STALLED] && closed == d->opened &&
               d->close_after_data.count == closed && worst <= o->check_stall_close_ms * 1000;
    check_result_t *r = check_add(out, n, "stall-close", pass);
    snprintf(r->detail, sizeof r->detail,
             "%llu/%d stalled dashboards opened, %llu closed (%llu reset, %llu eof); after their "
             "last data: p50 %.2f s, max %.2f s; after they stopped reading: max %.2f s "
             "(want: all closed within %.2f s of their last data)",
             (unsigned long long)d->opened, f->dashboards_wanted[WS_STALLED],
             (unsigned long long)closed, (unsigned long long)d->closed_reset,
             (unsigned long long)d->closed_eof,
             (double)stats_hist_quantile(&d->close_after_data, 0.5) / 1e6, (double)worst / 1e6,
             (double)d->close_after_stop.max_us / 1e6, (double)o->check_stall_close_ms / 1000.0);
}

static void check_rss(const load_opts_t *o, const load_figures_t *f, check_result_t *out, int *n)
{
    if (o->check_rss_max >= 0) {
        uint64_t bound = check_rss_bound(o, f);
        check_result_t *r =
            check_add(out, n, "rss-max", f->have_server && !f->server_gone && f->rss_max <= bound);
        snprintf(r->detail, sizeof r->detail,
                 "peak RSS %.1f MiB (start %.1f, end %.1f); bound %.1f MiB = %.1f fixed + %llu "
                 "connections x %.1f KiB + dashboards x largest update %.1f KiB%s",
                 (double)f->rss_max / MIB, (double)f->rss_start / MIB, (double)f->rss_end / MIB,
                 (double)bound / MIB, (double)o->check_rss_max / MIB,
                 (unsigned long long)f->connections, (double)o->check_rss_per_conn / 1024.0,
                 (double)check_largest_update(f) / 1024.0,
                 f->server_gone   ? "; THE SERVER EXITED"
                 : f->have_server ? ""
                                  : "; no --pid");
    }
    if (o->check_rss_growth >= 0) {
        check_result_t *r = check_add(out, n, "rss-growth",
                                      f->have_server && !f->server_gone &&
                                          f->rss_slope_bpm <= (double)o->check_rss_growth);
        snprintf(r->detail, sizeof r->detail,
                 "RSS trend over the second half %+.3f MiB/min (least squares over %d samples "
                 "in all) (want: <= %.3f MiB/min)",
                 f->rss_slope_bpm / MIB, f->nsamples, (double)o->check_rss_growth / MIB);
    }
}

void check_statsd_seen(const load_figures_t *f, statsd_seen_t *out)
{
    memset(out, 0, sizeof *out);
    const scrape_t *a = &f->scrape_start, *b = &f->scrape_end;
    if (!f->metrics_on) {
        snprintf(out->why, sizeof out->why, "no --server to read /metrics from");
        return;
    }
    if (!a->ok || !b->ok) {
        snprintf(out->why, sizeof out->why, "GET /metrics failed: %s", !a->ok ? a->err : b->err);
        return;
    }
    if (a->have[SCRAPE_STATSD_KERNEL_DROPS] && b->have[SCRAPE_STATSD_KERNEL_DROPS]) {
        out->have_drops = 1;
        out->drops = b->at[SCRAPE_STATSD_KERNEL_DROPS] - a->at[SCRAPE_STATSD_KERNEL_DROPS];
    }
    if (!a->have[SCRAPE_STATSD_ACCEPTED] || !b->have[SCRAPE_STATSD_ACCEPTED]) {
        snprintf(out->why, sizeof out->why,
                 "the server has no spider_samples_accepted_total{protocol=\"statsd\"}");
        return;
    }
    out->have_received = 1;
    out->received = b->at[SCRAPE_STATSD_ACCEPTED] - a->at[SCRAPE_STATSD_ACCEPTED];
    if (f->statsd.lines > 0) {
        out->have_loss = 1;
        out->loss = 1.0 - out->received / (double)f->statsd.lines;
    } else {
        snprintf(out->why, sizeof out->why, "no line was sent");
    }
}

static void check_statsd_loss(const load_opts_t *o, const load_figures_t *f, check_result_t *out,
                              int *n)
{
    statsd_seen_t seen;
    check_statsd_seen(f, &seen);
    int pass = f->statsd_on && seen.have_loss && seen.loss <= o->check_statsd_loss;
    check_result_t *r = check_add(out, n, "statsd-loss", pass);
    if (!f->statsd_on)
        snprintf(r->detail, sizeof r->detail, "no StatsD sender (--statsd or --statsd-unix)");
    else if (!seen.have_loss)
        snprintf(r->detail, sizeof r->detail, "%llu lines sent, loss n/a: %s (want: <= %.4f)",
                 (unsigned long long)f->statsd.lines, seen.why, o->check_statsd_loss);
    else
        snprintf(r->detail, sizeof r->detail,
                 "%llu lines sent, %.0f received, loss %.4f (want: <= %.4f)",
                 (unsigned long long)f->statsd.lines, seen.received, seen.loss,
                 o->check_statsd_loss);
}

int check_eval(const load_opts_t *o, const load_figures_t *f, check_result_t *out, int *n)
{
    *n = 0;
    if (o->check_posts)
        check_posts(f, out, n);
    if (o->check_ticks)
        check_ticks(f, out, n);
    if (o->check_probes || o->check_probe_p99_ms >= 0)
        check_probe(o, f, out, n);
    if (o->check_stall_close_ms >= 0)
        check_stall(o, f, out, n);
    check_rss(o, f, out, n);
    if (o->check_statsd_loss >= 0)
        check_statsd_loss(o, f, out, n);
    if (o->pid && f->server_gone) {
        check_result_t *r = check_add(out, n, "server-alive", 0);
        snprintf(r->detail, sizeof r->detail, "the server (pid %d) exited during the run", o->pid);
    }
    int failed = 0;
    for (int i = 0; i < *n; i++)
        failed += !out[i].pass;
    return failed;
}
