/* assets.h - the dashboard files embedded in the binary at build time.
 *
 * tools/embed.c turns every file under web/ (plus any path=urlpath pair added
 * in CMakeLists.txt) into static arrays in the generated web_assets.c, which
 * is linked into the spider executable only (not spider_core). Nothing is read
 * from disk at run time. All data is immutable and lives for the whole process,
 * so it may be read from any thread without locking.
 */
#ifndef SPIDER_WEB_ASSETS_H
#define SPIDER_WEB_ASSETS_H

#include <stddef.h>

/* One embedded file. Every pointer is static; nothing is owned by the caller.
 * path:         URL path, NUL-terminated, always starts with '/'.
 * content_type: full Content-Type value, e.g. "text/html; charset=utf-8".
 * etag:         strong ETag of the raw bytes, with its quotes ("\"<16 hex>\"").
 * raw/raw_len:  the file as it was on disk (raw_len may be 0).
 * gz/gz_len:    the same bytes gzip-compressed (level 9, mtime 0), ready to be
 *               sent as-is with "Content-Encoding: gzip"; never empty. */
typedef struct web_asset {
    const char *path;
    const char *content_type;
    const char *etag;
    const unsigned char *raw;
    size_t raw_len;
    const unsigned char *gz;
    size_t gz_len;
} web_asset_t;

/* Finds the asset for a URL path ("/" means "/index.html"), or NULL.
 * (path, len) need not be NUL-terminated; the caller strips any query string.
 * The match is exact and case-sensitive. O(assets x len); there are few. */
const web_asset_t *web_asset_find(const char *path, size_t len);

/* All assets (for tests / listing), in the order given to the generator. */
extern const web_asset_t web_assets[];
extern const size_t web_assets_count;

#endif
