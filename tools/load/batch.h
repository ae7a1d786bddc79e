/* batch.h - the bodies posters send: {"P.p7.s0":[12.3,...],"P.p7.s1":[...]}.
 *
 * Durations are drawn from a lognormal-like distribution around 20 ms
 * (median) so the server's histograms and raw sampling see realistic
 * spread; one decimal, as applications usually report milliseconds.
 */
#ifndef SPIDER_LOAD_BATCH_H
#define SPIDER_LOAD_BATCH_H

#include <stdint.h>

#include "core/buf.h"

/* Appends one batch body of poster `poster` to b: `series` series named
 * PREFIX.p<poster>.s<i>, `samples` durations each. *rng is the caller's
 * xorshift state (non-zero). */
/* A uniform double in [0, 1) from the xorshift state *rng (non-zero). */
double batch_uniform(uint64_t *rng);

void batch_build(buf_t *b, const char *prefix, int poster, int series, int samples, uint64_t *rng);

#endif
