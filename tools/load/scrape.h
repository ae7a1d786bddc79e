/* scrape.h - the server's own counts, read from its GET /metrics at the
 * start and the end of a run (StatsD loss, OTLP spans accepted).
 *
 * The names are the contract with the server's StatsD and OTLP receivers:
 *   spider_samples_accepted_total{protocol="statsd"}  one per StatsD line
 *   spider_samples_accepted_total{protocol="otlp"}    one per span
 *   spider_statsd_kernel_drops_total                  datagrams the kernel
 *                                                     dropped (all labels summed)
 * A counter the server does not expose is reported as absent, not as 0: a
 * server without the receiver gives "n/a", never a made-up loss.
 *
 * Blocking, from the main thread, outside the measured part of the run.
 */
#ifndef SPIDER_LOAD_SCRAPE_H
#define SPIDER_LOAD_SCRAPE_H

#include <stddef.h>

#include "core/buf.h"
#include "net.h"

enum scrape_counter {
    SCRAPE_STATSD_ACCEPTED,
    SCRAPE_STATSD_KERNEL_DROPS,
    SCRAPE_OTLP_ACCEPTED,
    SCRAPE_COUNTERS
};

typedef struct scrape {
    int ok;                     /* the GET succeeded */
    char err[160];              /* why not, when !ok */
    int have[SCRAPE_COUNTERS];  /* the server exposes the counter */
    double at[SCRAPE_COUNTERS]; /* its value */
} scrape_t;

/* GET /metrics from addr within timeout_ms and reads the counters above
 * into *out (out->ok 0 with a reason when the server could not be read). */
void scrape_read(const net_addr_t *addr, int timeout_ms, scrape_t *out);

/* GET path from addr within timeout_ms: a 200 answer's body into *body.
 * Returns 0, or SPIDER_EIO (connect, send, receive, time out) or
 * SPIDER_EINVAL (another status, malformed, chunked, over 16 MiB), with a
 * reason in err. */
int scrape_get(const net_addr_t *addr, const char *path, int timeout_ms, buf_t *body, char *err,
               size_t err_len);

#endif
