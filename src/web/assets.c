/* assets.c - lookup in the embedded dashboard files (see assets.h).
 *
 * The table itself (web_assets, web_assets_count) is generated at build time
 * by tools/embed.c into <build>/generated/web_assets.c; this file is the
 * hand-written part, libc only, so the generated file holds nothing but data.
 */
#include "assets.h"

#include <string.h>

const web_asset_t *web_asset_find(const char *path, size_t len)
{
    static const char index_path[] = "/index.html";

    if (path == NULL || len == 0)
        return NULL;
    if (len == 1 && path[0] == '/') {
        path = index_path;
        len = sizeof(index_path) - 1;
    }
    for (size_t i = 0; i < web_assets_count; i++) {
        const web_asset_t *a = &web_assets[i];
        if (strlen(a->path) == len && memcmp(a->path, path, len) == 0)
            return a;
    }
    return NULL;
}
