/* subs.h - what one live client subscribed to, kept compactly.
 *
 * A parsed control message (control.h) is ~34 KB whatever it holds; a
 * client keeps only this: "*" or its names, sorted bytewise, in one
 * allocation of about the names' length. The fan-out walks the subscribed
 * series in name order (push/fanout), so it can stop at any series and
 * resume there at a later tick.
 */
#ifndef SPIDER_PUSH_SUBS_H
#define SPIDER_PUSH_SUBS_H

#include <stddef.h>

#include "../core/slice.h"
#include "control.h"

typedef struct subs {
    int all;        /* 1: every series, including ones created later */
    unsigned count; /* names, 0..CONTROL_MAX_NAMES (0 when all) */
    slice_t *names; /* sorted bytewise, distinct; points into the same allocation */
} subs_t;

/* Empty: subscribed to nothing (the client gets the summary only). */
void subs_init(subs_t *s);

/* Replaces s with what m asks for. O(k log k) for k names. */
void subs_set(subs_t *s, const control_msg_t *m);

void subs_dispose(subs_t *s);

/* 1 if the client wants detail of any series. */
int subs_any(const subs_t *s);

/* Heap bytes s holds (for the per-client memory figure). */
size_t subs_bytes(const subs_t *s);

/* Bytewise order of names, shorter first on a common prefix: the order of
 * store_sorted(). */
int subs_name_cmp(slice_t a, slice_t b);

/* Index of the first name >= key (count if none). O(log count). */
unsigned subs_lower_bound(const subs_t *s, slice_t key);

#endif
