/* stagger.h - how the live push is spread over the push interval.
 *
 * Writing one update to thousands of sockets takes long enough (~18 us a
 * socket, docs/benchmarks.md) that, served all at once, the last clients
 * would get every tick late. So clients are dealt round robin into groups,
 * and each push interval is cut into one sub-tick per group: at its
 * sub-tick a group gets a fresh update. Every client still gets one update
 * per interval.
 */
#ifndef SPIDER_PUSH_STAGGER_H
#define SPIDER_PUSH_STAGGER_H

#include <stdint.h>

/* At most this many groups, and sub-ticks at least this far apart: each
 * sub-tick costs a pass of the event loop over every socket. */
#define STAGGER_MAX_GROUPS 10
#define STAGGER_MIN_GAP_MS 100

/* The number of groups for a push interval: the largest count <=
 * STAGGER_MAX_GROUPS that divides the interval exactly (so sub-ticks fall
 * on whole ms and add up to the interval) into sub-ticks of at least
 * STAGGER_MIN_GAP_MS; 1 when none does. */
unsigned stagger_groups(int64_t push_interval_ms);

#endif
