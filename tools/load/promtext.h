/* promtext.h - reading one counter out of a Prometheus text exposition
 * (the server's GET /metrics), as the load tool needs it.
 *
 * A sample line is `name[{label="value",...}] value [timestamp]`; lines
 * starting with '#' (HELP, TYPE) and blank lines are skipped, and so is any
 * line that does not parse (the tool reads a few known counters and must
 * not trip over the rest). Label values may hold the escapes \\ \" \n.
 *
 * Pure: (pointer, length), never writes into its input, no allocation; a
 * number is converted from a bounded stack copy. O(n) per call.
 */
#ifndef SPIDER_LOAD_PROMTEXT_H
#define SPIDER_LOAD_PROMTEXT_H

#include <stddef.h>

/* Sums the samples of metric `name` whose label set has label = value
 * (label NULL: every sample of that name, whatever its labels). Returns 0
 * and sets *sum; SPIDER_ENOENT when no sample matched (the metric is
 * absent, or none has that label value). */
int promtext_sum(const char *p, size_t n, const char *name, const char *label, const char *value,
                 double *sum);

#endif
