/* units.h - parsing of human-friendly sizes and durations in flags.
 *
 * Sizes: an integer with an optional suffix: B, K/KB/KiB, M/MB/MiB, G/GB/GiB
 * (all powers of 1024: a monitoring tool's memory limit is about RAM, where
 * binary units are what people mean). Durations: an integer with a unit:
 * ms, s, m, h (a bare number is rejected: "30" is ambiguous).
 * Both take (pointer, length), return 0 or SPIDER_EINVAL / SPIDER_ERANGE.
 */
#ifndef SPIDER_CORE_UNITS_H
#define SPIDER_CORE_UNITS_H

#include <stddef.h>
#include <stdint.h>

int units_parse_size(const char *p, size_t n, uint64_t *out_bytes);
int units_parse_duration(const char *p, size_t n, int64_t *out_ms);

#endif
