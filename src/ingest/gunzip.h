/* gunzip.h - inflating a gzip request body under a hard size limit.
 *
 * OTLP exporters send `Content-Encoding: gzip`. The inflated size is counted
 * against the limit while inflating, chunk by chunk, so a decompression bomb
 * (a few KiB that inflate to gigabytes) stops at the limit having used no
 * more than it: the caller answers 413. Uses zlib (Debian zlib1g); service
 * thread, no global state.
 */
#ifndef SPIDER_INGEST_GUNZIP_H
#define SPIDER_INGEST_GUNZIP_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"

typedef enum gunzip_result {
    GUNZIP_OK,
    GUNZIP_TOO_LARGE, /* the inflated body would pass the limit */
    GUNZIP_BAD,       /* not gzip, corrupt, truncated, or data after the stream */
} gunzip_result_t;

/* Inflates the gzip stream (p, n) into out (reset first), at most limit
 * bytes. One gzip member; trailing bytes after it are GUNZIP_BAD. */
gunzip_result_t gunzip_body(const uint8_t *p, size_t n, size_t limit, buf_t *out);

#endif
