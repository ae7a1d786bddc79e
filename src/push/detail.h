/* detail.h - the detail message of one series: its seconds that changed.
 *
 * What a subscribed dashboard draws: for every second of the series that
 * changed after a given store epoch (store_close_epoch), the second's
 * aggregates, its kept raw points and its histogram buckets, in one
 * {"type":"detail",...} message (format: docs/protocol.md, "detail"). The
 * push encodes one message per (series, cursor) per tick and shares it
 * between every client at that cursor (push/fanout). Pure: reads the store,
 * writes JSON into a buf_t.
 */
#ifndef SPIDER_PUSH_DETAIL_H
#define SPIDER_PUSH_DETAIL_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "../store/store.h"

/* Which seconds of which series. */
typedef struct detail_req {
    const series_t *series;
    int64_t from_ms;      /* only seconds starting at or after this */
    uint32_t since_epoch; /* only seconds changed after this epoch (0: all) */
    int reset;            /* 1: the client drops what it holds first (a snapshot) */
    size_t max_bytes;     /* stop adding seconds once the message is this long */
} detail_req_t;

/* Appends the detail message of req to out. Seconds are added oldest first,
 * each whole, while the message is shorter than max_bytes, so it can
 * exceed max_bytes by one second (at most ~45 KB: 65535 raw points would
 * be more, but --raw-per-second rarely is). Returns the start (ms) of the
 * first changed second left out ("more": the caller continues from there),
 * or INT64_MAX when every changed second is in. When nothing changed and
 * reset is 0, appends nothing (out is unchanged) and returns INT64_MAX.
 * O(seconds sent x (raw points + buckets)). */
int64_t detail_encode(const detail_req_t *req, buf_t *out);

#endif
