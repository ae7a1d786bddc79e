/* report.c - progress lines, summary and JSON (see report.h). */
#include "report.h"

#include <string.h>

#include "core/error.h"
#include "sdsend.h"

#define MIB (1024.0 * 1024.0)

static const char *const REPORT_KIND[WS_KINDS] = {"live", "slow", "stalled"};

static double report_ms(int64_t us)
{
    return (double)us / 1000.0;
}

/* Posters, dashboards and probes are reported when the run has some, or
 * nothing else (a run of probes alone). */
static int report_http_part(const load_figures_t *f)
{
    return f->http_clients || (!f->statsd_on && !f->otlp_on);
}

void report_progress(FILE *out, const load_figures_t *f, const stats_hist_t *second,
                     const stats_hist_t *otlp_second, report_prev_t *prev)
{
    double dt = f->elapsed_s - prev->t_s;
    if (dt <= 0)
        dt = 1;
    const dash_figures_t *live = &f->dash[WS_LIVE];
    const dash_figures_t *stalled = &f->dash[WS_STALLED];
    uint64_t posts = f->posts_ok + f->posts_failed;
    fprintf(out, "[%5.0fs]", f->elapsed_s);
    const char *sep = " ";
    if (report_http_part(f)) {
        fprintf(out,
                " samples/s %8.0f posts/s %5.0f p99 %6.1f ms fail %llu | live %llu upd/s "
                "%6.0f %5.1f MB/s miss %llu | slow %llu | stalled open %llu closed %llu | probe "
                "%5.0f ms lost %llu",
                (double)(f->samples_accepted - prev->accepted) / dt,
                (double)(posts - prev->posts) / dt, report_ms(stats_hist_quantile(second, 0.99)),
                (unsigned long long)f->posts_failed, (unsigned long long)live->open_now,
                (double)(live->updates - prev->updates[WS_LIVE]) / dt,
                (double)(live->bytes - prev->bytes[WS_LIVE]) / dt / 1e6,
                (unsigned long long)live->missed_ticks,
                (unsigned long long)f->dash[WS_SLOW].open_now,
                (unsigned long long)stalled->open_now,
                (unsigned long long)stalled->close_after_stop.count, report_ms(f->probe.last_us),
                (unsigned long long)f->probe.lost);
        sep = " | ";
    }
    if (f->statsd_on) {
        uint64_t errs = 0;
        for (int k = 0; k < SDSEND_ERRS; k++)
            errs += f->statsd.err[k];
        fprintf(out, "%sstatsd lines/s %10.0f datagrams/s %9.0f send errors %llu", sep,
                (double)(f->statsd.lines - prev->statsd_lines) / dt,
                (double)(f->statsd.datagrams - prev->statsd_datagrams) / dt,
                (unsigned long long)errs);
        sep = " | ";
    }
    if (f->otlp_on) {
        uint64_t reqs = f->otlp_ok + f->otlp_failed;
        fprintf(out, "%sotlp spans/s %8.0f req/s %6.0f p99 %6.1f ms non-200 %llu fail %llu", sep,
                (double)(f->otlp_spans_ok - prev->otlp_spans_ok) / dt,
                (double)(reqs - prev->otlp_requests) / dt,
                report_ms(stats_hist_quantile(otlp_second, 0.99)),
                (unsigned long long)f->otlp_fail[POST_STATUS],
                (unsigned long long)(f->otlp_failed - f->otlp_fail[POST_STATUS]));
    }
    if (f->nsamples) {
        const server_sample_t *s = &f->samples[f->nsamples - 1];
        fprintf(out, " | server %.1f MiB cpu %.0f%%", (double)s->rss_bytes / MIB, s->cpu_pct);
    }
    fputc('\n', out);
    fflush(out);
    prev->t_s = f->elapsed_s;
    prev->accepted = f->samples_accepted;
    prev->posts = posts;
    prev->failed = f->posts_failed;
    prev->statsd_lines = f->statsd.lines;
    prev->statsd_datagrams = f->statsd.datagrams;
    prev->otlp_spans_ok = f->otlp_spans_ok;
    prev->otlp_requests = f->otlp_ok + f->otlp_failed;
    for (int k = 0; k < WS_KINDS; k++) {
        prev->updates[k] = f->dash[k].updates;
        prev->bytes[k] = f->dash[k].bytes;
    }
}

static void report_hist_line(FILE *out, const char *what, const stats_hist_t *h, double div,
                             const char *unit)
{
    fprintf(out, "%s p50 %.1f p99 %.1f max %.1f %s (n=%llu)", what,
            (double)stats_hist_quantile(h, 0.5) / div, (double)stats_hist_quantile(h, 0.99) / div,
            (double)h->max_us / div, unit, (unsigned long long)h->count);
}

static uint64_t report_statsd_errors(const load_figures_t *f)
{
    uint64_t n = 0;
    for (int k = 0; k < SDSEND_ERRS; k++)
        n += f->statsd.err[k];
    return n;
}

static void report_statsd(FILE *out, const load_opts_t *o, const load_figures_t *f)
{
    const sdsend_counts_t *c = &f->statsd;
    double t = c->run_s > 0 ? c->run_s : 1;
    fprintf(out,
            "statsd: %d line(s) a datagram to %s (datagrams up to %zu of at most %zu bytes), "
            "%d series%s, ",
            o->statsd_lines, f->statsd_target, f->statsd_longest, f->statsd_max_bytes,
            o->statsd_series, o->statsd_tags ? " with tags" : "");
    if (o->statsd_rate > 0)
        fprintf(out, "paced at %.0f lines/s\n", o->statsd_rate);
    else
        fprintf(out, "flat out\n");
    fprintf(out,
            "  sent %llu datagrams, %llu lines in %.2f s: %.0f lines/s, %.0f datagrams/s, %.1f "
            "MB/s; %llu sendmmsg calls; sender CPU %.0f%% of a core\n",
            (unsigned long long)c->datagrams, (unsigned long long)c->lines, c->run_s,
            (double)c->lines / t, (double)c->datagrams / t, (double)c->bytes / t / 1e6,
            (unsigned long long)c->calls, c->cpu_s / t * 100.0);
    fprintf(out,
            "  send errors %llu (datagrams dropped:", (unsigned long long)report_statsd_errors(f));
    for (int k = 0; k < SDSEND_ERRS; k++)
        fprintf(out, " %s %llu", sdsend_err_name(k), (unsigned long long)c->err[k]);
    if (c->err[SDSEND_EOTHER])
        fprintf(out, ", the last: %s", strerror(c->last_errno));
    fprintf(out, ")");
    if (o->statsd_rate > 0)
        fprintf(out, "; schedule restarted %llu times (over %d ms behind)",
                (unsigned long long)c->late, SDSEND_LATE_US / 1000);
    fputc('\n', out);
    statsd_seen_t seen;
    check_statsd_seen(f, &seen);
    fprintf(out, "  server: ");
    if (seen.have_received)
        fprintf(out, "received %.0f lines (%.0f lines/s)", seen.received, seen.received / t);
    else
        fprintf(out, "received n/a");
    if (seen.have_loss)
        fprintf(out, ", loss %.2f%%", seen.loss * 100.0);
    else
        fprintf(out, ", loss n/a");
    if (seen.have_drops)
        fprintf(out, ", kernel drops %.0f datagrams", seen.drops);
    else
        fprintf(out, ", kernel drops n/a");
    if (seen.why[0])
        fprintf(out, " (%s)", seen.why);
    fputc('\n', out);
}

/* The server's count of spans accepted over the run, from /metrics. */
static int report_otlp_accepted(const load_figures_t *f, double *n, const char **why)
{
    const scrape_t *a = &f->scrape_start, *b = &f->scrape_end;
    *why = !f->metrics_on ? "/metrics not read"
           : !a->ok       ? a->err
           : !b->ok       ? b->err
           : !a->have[SCRAPE_OTLP_ACCEPTED] || !b->have[SCRAPE_OTLP_ACCEPTED]
               ? "the server has no spider_samples_accepted_total{protocol=\"otlp\"}"
               : NULL;
    if (*why)
        return 0;
    *n = b->at[SCRAPE_OTLP_ACCEPTED] - a->at[SCRAPE_OTLP_ACCEPTED];
    return 1;
}

static void report_otlp(FILE *out, const load_opts_t *o, const load_figures_t *f)
{
    double el = f->elapsed_s > 0 ? f->elapsed_s : 1;
    fprintf(out,
            "otlp: %d poster(s) to http://%s/v1/traces, %d spans a request over %d services x "
            "%d names, %s\n",
            o->otlp_posters, f->otlp_target, o->otlp_spans, o->otlp_services, o->otlp_names,
            o->otlp_rate > 0 ? "paced" : "back to back");
    fprintf(out,
            "  requests: %llu answered 200, %llu not; %.0f spans/s in 200 answers (%llu spans "
            "posted, %llu rejected by partial_success); %llu late; %llu connects\n  ",
            (unsigned long long)f->otlp_ok, (unsigned long long)f->otlp_failed,
            (double)f->otlp_spans_ok / el, (unsigned long long)f->otlp_spans_posted,
            (unsigned long long)f->otlp_spans_rejected, (unsigned long long)f->otlp_late,
            (unsigned long long)f->otlp_connects);
    report_hist_line(out, "latency", &f->otlp_latency, 1000.0, "ms");
    fputc('\n', out);
    fprintf(out, "  answers by status:");
    for (int st = 100; st < 600; st++)
        if (f->otlp_status[st])
            fprintf(out, " %d: %llu", st, (unsigned long long)f->otlp_status[st]);
    for (int k = 1; k < POST_FAIL_KINDS; k++)
        if (k != POST_STATUS && f->otlp_fail[k])
            fprintf(out, "; %s %llu", poster_fail_name(k), (unsigned long long)f->otlp_fail[k]);
    fputc('\n', out);
    double acc;
    const char *why;
    if (report_otlp_accepted(f, &acc, &why))
        fprintf(out, "  server: accepted %.0f spans (%.0f spans/s)\n", acc, acc / el);
    else
        fprintf(out, "  server: accepted n/a (%s)\n", why);
}

/* Posters, dashboards and probes. */
static void report_http_clients(FILE *out, const load_opts_t *o, const load_figures_t *f)
{
    double el = f->elapsed_s > 0 ? f->elapsed_s : 1;
    fprintf(out,
            "posts: %llu ok, %llu failed; %.0f samples/s accepted, %llu rejected; %llu late; "
            "%llu connects\n  ",
            (unsigned long long)f->posts_ok, (unsigned long long)f->posts_failed,
            (double)f->samples_accepted / el, (unsigned long long)f->samples_rejected,
            (unsigned long long)f->posts_late, (unsigned long long)f->post_connects);
    report_hist_line(out, "latency", &f->post_latency, 1000.0, "ms");
    fputc('\n', out);
    if (f->posts_failed) {
        fprintf(out, "  failures:");
        for (int k = 1; k < POST_FAIL_KINDS; k++)
            if (f->post_fail[k])
                fprintf(out, " %s %llu", poster_fail_name(k), (unsigned long long)f->post_fail[k]);
        fprintf(out, " (status 4xx %llu, 503 %llu, other 5xx %llu)\n",
                (unsigned long long)f->status_4xx, (unsigned long long)f->status_503,
                (unsigned long long)f->status_5xx);
    }
    for (int k = 0; k < WS_KINDS; k++) {
        const dash_figures_t *d = &f->dash[k];
        if (!f->dashboards_wanted[k])
            continue;
        fprintf(out,
                "%s dashboards: %llu/%d opened (%llu connect failed, %llu refused, %llu bad "
                "handshake); closed by server: %llu reset, %llu eof, %llu close frame; %llu "
                "protocol errors\n",
                REPORT_KIND[k], (unsigned long long)d->opened, f->dashboards_wanted[k],
                (unsigned long long)d->connect_failed, (unsigned long long)d->refused,
                (unsigned long long)d->handshake_failed, (unsigned long long)d->closed_reset,
                (unsigned long long)d->closed_eof, (unsigned long long)d->closed_frame,
                (unsigned long long)d->protocol_errors);
        fprintf(out,
                "  updates %llu (%llu-%llu per dashboard), %.1f MB, largest %.1f KB; other "
                "messages %llu, pings %llu; missed ticks %llu (%llu dashboards); longest gap "
                "%.0f ms\n",
                (unsigned long long)d->updates, (unsigned long long)f->updates_min[k],
                (unsigned long long)f->updates_max[k], (double)d->bytes / 1e6,
                (double)d->max_update_bytes / 1e3, (unsigned long long)(d->others + d->binary),
                (unsigned long long)d->pings, (unsigned long long)d->missed_ticks,
                (unsigned long long)d->clients_missed, report_ms(d->max_gap_us));
        if (d->updates) {
            fprintf(out, "  ");
            report_hist_line(out, "gap", &d->gap, 1000.0, "ms;");
            fputc(' ', out);
            report_hist_line(out, "delivery lag (wall clock - now_ms)", &d->lag, 1000.0, "ms");
            fputc('\n', out);
        }
        if (k == WS_STALLED) {
            fprintf(out, "  closed: ");
            report_hist_line(out, "after their last data", &d->close_after_data, 1e6, "s;");
            fputc(' ', out);
            report_hist_line(out, "after they stopped reading", &d->close_after_stop, 1e6, "s");
            fputc('\n', out);
        }
    }
    if (o->probe_interval_ms > 0) {
        const probe_figures_t *p = &f->probe;
        fprintf(out,
                "probes: %llu sent, %llu seen by every live dashboard, %llu lost, %llu "
                "POSTs failed, %llu skipped (previous unanswered)\n  ",
                (unsigned long long)p->sent, (unsigned long long)p->completed,
                (unsigned long long)p->lost, (unsigned long long)p->post_failed,
                (unsigned long long)p->skipped_busy);
        report_hist_line(out, "post-to-update, all live", &p->all, 1000.0, "ms;");
        fputc(' ', out);
        report_hist_line(out, "per dashboard", &p->each, 1000.0, "ms");
        fputc('\n', out);
    }
}

void report_summary(FILE *out, const load_opts_t *o, const load_figures_t *f,
                    const check_result_t *checks, int nchecks)
{
    const char *against = report_http_part(f) ? o->server
                          : f->otlp_on        ? f->otlp_target
                                              : f->statsd_target;
    fprintf(out, "== spider-load summary: %.1f s against %s%s\n", f->elapsed_s, against,
            f->stopped_by_signal ? " (stopped by a signal)" : "");
    if (f->statsd_on)
        report_statsd(out, o, f);
    if (f->otlp_on)
        report_otlp(out, o, f);
    if (report_http_part(f))
        report_http_clients(out, o, f);
    if (f->have_server)
        fprintf(out,
                "server: RSS start %.1f MiB, peak %.1f MiB, end %.1f MiB, trend over the second "
                "half %+.3f MiB/min; CPU avg %.1f%%, max %.1f%% of a core%s\n",
                (double)f->rss_start / MIB, (double)f->rss_max / MIB, (double)f->rss_end / MIB,
                f->rss_slope_bpm / MIB, f->cpu_avg_pct, f->cpu_max_pct,
                f->server_gone ? "; THE SERVER EXITED DURING THE RUN" : "");
    for (int i = 0; i < nchecks; i++)
        fprintf(out, "check %-14s %s: %s\n", checks[i].name, checks[i].pass ? "PASS" : "FAIL",
                checks[i].detail);
}

static void report_json_hist(FILE *j, const char *name, const stats_hist_t *h, double div)
{
    fprintf(j,
            "\"%s\":{\"count\":%llu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,"
            "\"mean\":%.3f}",
            name, (unsigned long long)h->count, (double)stats_hist_quantile(h, 0.5) / div,
            (double)stats_hist_quantile(h, 0.9) / div, (double)stats_hist_quantile(h, 0.99) / div,
            (double)h->max_us / div, stats_hist_mean(h) / div);
}

/* A string we wrote ourselves or the user passed: escape quotes,
 * backslashes and control bytes. */
static void report_json_str(FILE *j, const char *s)
{
    fputc('"', j);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(j, "\\%c", c);
        else if (c < 0x20)
            fprintf(j, "\\u%04x", c);
        else
            fputc(c, j);
    }
    fputc('"', j);
}

/* A figure that may be unknown: the number, or null. */
static void report_json_maybe(FILE *j, const char *name, int have, double v, int decimals)
{
    fprintf(j, ",\"%s\":", name);
    if (have)
        fprintf(j, "%.*f", decimals, v);
    else
        fprintf(j, "null");
}

static void report_json_statsd(FILE *j, const load_opts_t *o, const load_figures_t *f)
{
    const sdsend_counts_t *c = &f->statsd;
    double t = c->run_s > 0 ? c->run_s : 1;
    fprintf(j, ",\"statsd\":{\"target\":");
    report_json_str(j, f->statsd_target);
    fprintf(j,
            ",\"lines_per_datagram\":%d,\"series\":%d,\"tags\":%s,\"rate\":%.0f,"
            "\"max_datagram_bytes\":%zu,\"longest_datagram_bytes\":%zu,\"seconds\":%.3f,"
            "\"datagrams\":%llu,\"lines\":%llu,\"bytes\":%llu,\"sendmmsg_calls\":%llu,"
            "\"lines_per_s\":%.1f,\"datagrams_per_s\":%.1f,\"sender_cpu_s\":%.3f,"
            "\"schedule_restarts\":%llu,\"send_errors\":%llu,\"errors\":{",
            o->statsd_lines, o->statsd_series, o->statsd_tags ? "true" : "false", o->statsd_rate,
            f->statsd_max_bytes, f->statsd_longest, c->run_s, (unsigned long long)c->datagrams,
            (unsigned long long)c->lines, (unsigned long long)c->bytes,
            (unsigned long long)c->calls, (double)c->lines / t, (double)c->datagrams / t, c->cpu_s,
            (unsigned long long)c->late, (unsigned long long)report_statsd_errors(f));
    for (int k = 0; k < SDSEND_ERRS; k++)
        fprintf(j, "%s\"%s\":%llu", k ? "," : "", sdsend_err_name(k),
                (unsigned long long)c->err[k]);
    fprintf(j, "}");
    statsd_seen_t seen;
    check_statsd_seen(f, &seen);
    report_json_maybe(j, "received_lines", seen.have_received, seen.received, 0);
    report_json_maybe(j, "received_lines_per_s", seen.have_received, seen.received / t, 1);
    report_json_maybe(j, "kernel_drops", seen.have_drops, seen.drops, 0);
    report_json_maybe(j, "loss", seen.have_loss, seen.loss, 6);
    fprintf(j, ",\"unknown_because\":");
    if (seen.why[0])
        report_json_str(j, seen.why);
    else
        fprintf(j, "null");
    fputc('}', j);
}

static void report_json_otlp(FILE *j, const load_opts_t *o, const load_figures_t *f)
{
    double el = f->elapsed_s > 0 ? f->elapsed_s : 1;
    fprintf(j, ",\"otlp\":{\"target\":");
    report_json_str(j, f->otlp_target);
    fprintf(j,
            ",\"posters\":%d,\"spans_per_request\":%d,\"services\":%d,\"names\":%d,"
            "\"rate\":%g,\"ok\":%llu,\"failed\":%llu,\"spans_posted\":%llu,\"spans_ok\":%llu,"
            "\"spans_ok_per_s\":%.1f,\"spans_rejected\":%llu,\"late\":%llu,\"connects\":%llu,"
            "\"status\":{",
            o->otlp_posters, o->otlp_spans, o->otlp_services, o->otlp_names, o->otlp_rate,
            (unsigned long long)f->otlp_ok, (unsigned long long)f->otlp_failed,
            (unsigned long long)f->otlp_spans_posted, (unsigned long long)f->otlp_spans_ok,
            (double)f->otlp_spans_ok / el, (unsigned long long)f->otlp_spans_rejected,
            (unsigned long long)f->otlp_late, (unsigned long long)f->otlp_connects);
    int first = 1;
    for (int st = 100; st < 600; st++)
        if (f->otlp_status[st]) {
            fprintf(j, "%s\"%d\":%llu", first ? "" : ",", st,
                    (unsigned long long)f->otlp_status[st]);
            first = 0;
        }
    fprintf(j, "},\"failures\":{");
    for (int k = 1; k < POST_FAIL_KINDS; k++)
        fprintf(j, "%s\"%s\":%llu", k > 1 ? "," : "", poster_fail_name(k),
                (unsigned long long)f->otlp_fail[k]);
    fprintf(j, "},");
    report_json_hist(j, "latency_ms", &f->otlp_latency, 1000.0);
    double acc = 0;
    const char *why;
    int have = report_otlp_accepted(f, &acc, &why);
    report_json_maybe(j, "server_accepted_spans", have, acc, 0);
    report_json_maybe(j, "server_accepted_spans_per_s", have, acc / el, 1);
    fputc('}', j);
}

int report_json(const char *path, const load_opts_t *o, const load_figures_t *f,
                const check_result_t *checks, int nchecks)
{
    FILE *j = fopen(path, "w");
    if (!j)
        return SPIDER_EIO;
    double el = f->elapsed_s > 0 ? f->elapsed_s : 1;
    fprintf(j, "{\"server\":");
    report_json_str(j, o->server);
    fprintf(j,
            ",\"elapsed_s\":%.3f,\"stopped_by_signal\":%s,\"config\":{\"duration_ms\":%lld,"
            "\"posters\":%d,\"series\":%d,\"samples\":%d,\"post_rate\":%g,\"live\":%d,"
            "\"slow\":%d,\"slow_rate\":%llu,\"stalled\":%d,\"rcvbuf\":%llu,"
            "\"probe_interval_ms\":%lld},",
            f->elapsed_s, f->stopped_by_signal ? "true" : "false", (long long)o->duration_ms,
            o->posters, o->series, o->samples, o->post_rate, o->live, o->slow,
            (unsigned long long)o->slow_rate, o->stalled, (unsigned long long)o->rcvbuf,
            (long long)o->probe_interval_ms);
    fprintf(j,
            "\"posts\":{\"ok\":%llu,\"failed\":%llu,\"samples_accepted\":%llu,"
            "\"samples_per_s\":%.1f,\"samples_rejected\":%llu,\"late\":%llu,\"connects\":%llu,"
            "\"status_4xx\":%llu,\"status_503\":%llu,\"status_5xx\":%llu,\"failures\":{",
            (unsigned long long)f->posts_ok, (unsigned long long)f->posts_failed,
            (unsigned long long)f->samples_accepted, (double)f->samples_accepted / el,
            (unsigned long long)f->samples_rejected, (unsigned long long)f->posts_late,
            (unsigned long long)f->post_connects, (unsigned long long)f->status_4xx,
            (unsigned long long)f->status_503, (unsigned long long)f->status_5xx);
    for (int k = 1; k < POST_FAIL_KINDS; k++)
        fprintf(j, "%s\"%s\":%llu", k > 1 ? "," : "", poster_fail_name(k),
                (unsigned long long)f->post_fail[k]);
    fprintf(j, "},");
    report_json_hist(j, "latency_ms", &f->post_latency, 1000.0);
    fprintf(j, "},\"dashboards\":{");
    for (int k = 0; k < WS_KINDS; k++) {
        const dash_figures_t *d = &f->dash[k];
        fprintf(j,
                "%s\"%s\":{\"wanted\":%d,\"opened\":%llu,\"connect_failed\":%llu,"
                "\"refused\":%llu,\"handshake_failed\":%llu,\"updates\":%llu,"
                "\"updates_min\":%llu,\"updates_max\":%llu,\"bytes\":%llu,"
                "\"largest_update_bytes\":%llu,\"other_messages\":%llu,\"rollup_messages\":%llu,"
                "\"binary_messages\":%llu,"
                "\"pings\":%llu,\"missed_ticks\":%llu,\"dashboards_missing_ticks\":%llu,"
                "\"seq_backwards\":%llu,\"closed_reset\":%llu,\"closed_eof\":%llu,"
                "\"closed_frame\":%llu,\"protocol_errors\":%llu,\"longest_gap_ms\":%.3f,"
                "\"push_interval_ms\":%lld,",
                k ? "," : "", REPORT_KIND[k], f->dashboards_wanted[k],
                (unsigned long long)d->opened, (unsigned long long)d->connect_failed,
                (unsigned long long)d->refused, (unsigned long long)d->handshake_failed,
                (unsigned long long)d->updates, (unsigned long long)f->updates_min[k],
                (unsigned long long)f->updates_max[k], (unsigned long long)d->bytes,
                (unsigned long long)d->max_update_bytes, (unsigned long long)d->others,
                (unsigned long long)d->rollups, (unsigned long long)d->binary,
                (unsigned long long)d->pings, (unsigned long long)d->missed_ticks,
                (unsigned long long)d->clients_missed, (unsigned long long)d->seq_backwards,
                (unsigned long long)d->closed_reset, (unsigned long long)d->closed_eof,
                (unsigned long long)d->closed_frame, (unsigned long long)d->protocol_errors,
                report_ms(d->max_gap_us), (long long)d->push_interval_ms);
        report_json_hist(j, "gap_ms", &d->gap, 1000.0);
        fputc(',', j);
        report_json_hist(j, "lag_ms", &d->lag, 1000.0);
        fputc(',', j);
        report_json_hist(j, "closed_after_last_data_s", &d->close_after_data, 1e6);
        fputc(',', j);
        report_json_hist(j, "closed_after_stop_reading_s", &d->close_after_stop, 1e6);
        fputc('}', j);
    }
    const probe_figures_t *p = &f->probe;
    fprintf(j,
            "},\"probe\":{\"interval_ms\":%lld,\"sent\":%llu,\"completed\":%llu,\"lost\":%llu,"
            "\"post_failed\":%llu,\"skipped_busy\":%llu,",
            (long long)f->probe_interval_ms, (unsigned long long)p->sent,
            (unsigned long long)p->completed, (unsigned long long)p->lost,
            (unsigned long long)p->post_failed, (unsigned long long)p->skipped_busy);
    report_json_hist(j, "all_live_ms", &p->all, 1000.0);
    fputc(',', j);
    report_json_hist(j, "per_dashboard_ms", &p->each, 1000.0);
    fprintf(j, "},\"connections\":%llu", (unsigned long long)f->connections);
    if (f->statsd_on)
        report_json_statsd(j, o, f);
    if (f->otlp_on)
        report_json_otlp(j, o, f);
    if (f->have_server) {
        fprintf(j,
                ",\"server_process\":{\"pid\":%d,\"exited\":%s,\"rss_start_bytes\":%llu,"
                "\"rss_max_bytes\":%llu,\"rss_end_bytes\":%llu,"
                "\"rss_slope_second_half_bytes_per_min\":%.0f,\"cpu_avg_pct\":%.2f,"
                "\"cpu_max_pct\":%.2f,\"rss_bound_bytes\":%llu,\"samples\":[",
                o->pid, f->server_gone ? "true" : "false", (unsigned long long)f->rss_start,
                (unsigned long long)f->rss_max, (unsigned long long)f->rss_end, f->rss_slope_bpm,
                f->cpu_avg_pct, f->cpu_max_pct, (unsigned long long)check_rss_bound(o, f));
        for (int i = 0; i < f->nsamples; i++)
            fprintf(j, "%s[%.3f,%llu,%.2f]", i ? "," : "", f->samples[i].t_s,
                    (unsigned long long)f->samples[i].rss_bytes, f->samples[i].cpu_pct);
        fprintf(j, "],\"sample_columns\":[\"t_s\",\"rss_bytes\",\"cpu_pct\"]}");
    }
    fprintf(j, ",\"checks\":[");
    for (int i = 0; i < nchecks; i++) {
        fprintf(j, "%s{\"name\":\"%s\",\"pass\":%s,\"detail\":", i ? "," : "", checks[i].name,
                checks[i].pass ? "true" : "false");
        report_json_str(j, checks[i].detail);
        fputc('}', j);
    }
    fprintf(j, "]}\n");
    return fclose(j) == 0 ? 0 : SPIDER_EIO;
}
