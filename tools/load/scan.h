/* scan.h - bounded substring scans of JSON text the load tool receives.
 *
 * The tool reads a few known fields ("type", "seq", "accepted", ...) of
 * messages whose shape the server fixes; a full JSON parse of every update
 * at thousands of dashboards would cost more than the server's encoding.
 * These look for "key": at any depth, so they serve only for keys that
 * occur once in a message. Pure: (pointer, length), no allocation.
 */
#ifndef SPIDER_LOAD_SCAN_H
#define SPIDER_LOAD_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/slice.h"

/* Finds "key": followed by an integer (optional '-', at most 18 digits).
 * Returns 0 and sets *out, or SPIDER_ENOENT / SPIDER_EINVAL (also for a
 * fraction or exponent, and for a number that ends at n: it may go on). */
int scan_json_int(const char *p, size_t n, const char *key, int64_t *out);

/* Finds "key":"value" where value has no escapes; *out borrows from p.
 * Returns 0, or SPIDER_ENOENT / SPIDER_EINVAL. */
int scan_json_str(const char *p, size_t n, const char *key, slice_t *out);

#endif
