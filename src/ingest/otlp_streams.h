/* otlp_streams.h - cumulative OTLP histograms turned into deltas.
 *
 * An SDK with cumulative temporality (the OpenTelemetry default) sends, at
 * every export, the counts since its stream started. The store wants what
 * happened in each interval, so Spider keeps, per stream, the counts of its
 * last point and records the difference. A stream is one series key plus
 * the resource's service.instance.id plus the point kind (two replicas of a
 * service without an instance id share a series and, as far as Spider can
 * tell, a stream: give them one to keep them apart).
 *
 * The rules:
 * - first point of a stream: if it started (start_time_unix_nano) at or
 *   after Spider started, everything in it is new: all its counts are
 *   recorded. Otherwise it began before Spider was watching and only sets
 *   the baseline: nothing is recorded (else a restart of Spider would
 *   replay hours of history into one second).
 * - a reset: another start time, or a total or a bucket count lower than
 *   the baseline's (the process restarted, the counts began again): the
 *   point's counts are all new, and recorded.
 * - exponential histograms change scale as their range grows (the SDK
 *   only ever halves the resolution): the baseline is merged down to the
 *   new scale before subtracting. A scale that grows without a reset, or
 *   explicit bounds that change, cannot be compared: that point becomes the
 *   new baseline, nothing recorded.
 * - min and max of a cumulative point cover the whole run: they are used
 *   only when all its counts are recorded (first point or reset).
 * Streams are identified by a 64-bit hash of their identity (a collision
 * between two live streams, about 1 in 10^12 at 4,096 streams, would make
 * them share a baseline). A stream not updated for `idle_ns` is forgotten.
 *
 * Memory: at most max_streams streams, each 64 bytes plus 8 bytes per
 * bucket (at most OTLP_METRICS_MAX_BUCKETS), so at most
 * max_streams * 4,160 bytes; otlp_streams_bytes() tells the current use.
 * A new stream over max_streams is refused (INGEST_REJECT_STREAM_LIMIT).
 * Single-threaded.
 */
#ifndef SPIDER_INGEST_OTLP_STREAMS_H
#define SPIDER_INGEST_OTLP_STREAMS_H

#include <stddef.h>
#include <stdint.h>

#include "otlp_hist.h"

typedef struct otlp_streams otlp_streams_t;

/* A table for at most max_streams (>= 1) streams; started_ns is when Spider
 * started (unix ns). Aborts on OOM. */
otlp_streams_t *otlp_streams_new(size_t max_streams, uint64_t started_ns);
void otlp_streams_free(otlp_streams_t *s);

/* The identity of a stream: series key, instance, kind. */
uint64_t otlp_stream_id(slice_t key, slice_t instance, otlp_hist_kind_t kind);

/* Turns the cumulative point p (checked by otlp_hist_check) of stream id
 * into *d, the counts to record (d->count == 0: nothing), using scratch
 * (OTLP_METRICS_MAX_BUCKETS values) for the difference; now_ns is the
 * receive time. Returns INGEST_OK, or INGEST_REJECT_STREAM_LIMIT for a new
 * stream over the limit (nothing kept). */
ingest_reject_t otlp_streams_delta(otlp_streams_t *s, uint64_t id, const otlp_hist_point_t *p,
                                   uint64_t now_ns, uint64_t *scratch, otlp_delta_t *d);

/* Forgets the streams not updated since now_ns - idle_ns. O(capacity). */
void otlp_streams_expire(otlp_streams_t *s, uint64_t now_ns, uint64_t idle_ns);

size_t otlp_streams_count(const otlp_streams_t *s);
size_t otlp_streams_bytes(const otlp_streams_t *s);

#endif
