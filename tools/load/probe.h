/* probe.h - post-to-update latency through probe series.
 *
 * Every probe interval a NEW series "spider-load.probe.<run>.<N>" gets one
 * sample; the probe's latency runs from the moment its POST is written until
 * every live dashboard that was open then has seen the name in a summary row
 * of an update. A fresh name per probe makes "seen" unambiguous (a series'
 * later samples would be indistinguishable), and <run> (the tool's PID)
 * keeps names of an earlier run in the window from matching.
 *
 * Dashboards scan their update stream with a probe_scan_t (one per
 * dashboard, ~80 bytes, streaming: an update is never held whole). Probe
 * ids grow in posting order and the probe poster waits for each answer, so
 * an update naming probe N also names every earlier one: a dashboard's
 * progress is just the highest id it has seen. Memory is fixed: at most
 * PROBE_RING probes are pending.
 */
#ifndef SPIDER_LOAD_PROBE_H
#define SPIDER_LOAD_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "stats.h"

#define PROBE_RING       256
#define PROBE_PREFIX_MAX 48
/* A match is the prefix, up to 19 digits and a closing quote. */
#define PROBE_MATCH_MAX (PROBE_PREFIX_MAX + 20)

typedef struct probe probe_t;

/* Per-dashboard scanning state (embedded value). */
typedef struct probe_scan {
    uint64_t seen_max; /* highest probe id this dashboard has seen */
    uint64_t msg_max;  /* highest id in the message being scanned */
    size_t carry_len;
    char carry[PROBE_MATCH_MAX]; /* tail of the previous chunk */
} probe_scan_t;

typedef struct probe_figures {
    uint64_t sent, completed, lost, post_failed, skipped_busy;
    stats_hist_t all;  /* until every live dashboard saw it */
    stats_hist_t each; /* per dashboard */
    int64_t last_us;   /* latency of the last completed probe */
} probe_figures_t;

probe_t *probe_new(int64_t timeout_us);
void probe_free(probe_t *p);
/* Appends the next probe's body ({"<name>":[1]}) to b; returns its id. */
uint64_t probe_build(probe_t *p, buf_t *b);
/* The probe id was written at sent_us, with live_open live dashboards open. */
void probe_sent(probe_t *p, uint64_t id, int64_t sent_us, uint32_t live_open);
/* Its POST failed: it will never appear; forget it (counted). */
void probe_post_failed(probe_t *p, uint64_t id);
/* Counts a probe not sent because the previous one is still unanswered. */
void probe_skipped(probe_t *p);
/* Counts probes older than the timeout as lost. */
void probe_expire(probe_t *p, int64_t now_us);

/* A live dashboard just opened: it owes only probes sent from now on. */
void probe_scan_init(const probe_t *p, probe_scan_t *s);
/* A new message starts. */
void probe_scan_begin(probe_scan_t *s);
/* Scans a chunk of a message's payload (any split). */
void probe_scan_feed(const probe_t *p, probe_scan_t *s, const char *data, size_t n);
/* The message was an update: what it named counts as seen at now_us. */
void probe_scan_commit(probe_t *p, probe_scan_t *s, int64_t now_us);
/* The dashboard closed: the probes it still owed no longer wait for it. */
void probe_scan_gone(probe_t *p, probe_scan_t *s);

const probe_figures_t *probe_figures(const probe_t *p);

#endif
