/* mime.c - extension -> Content-Type (see mime.h). */
#include "mime.h"

#include <string.h>
#include <strings.h>

static const struct {
    const char *ext;
    const char *type;
} mime_table[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
};

const char *mime_type(const char *path, size_t len)
{
    for (size_t i = 0; i < sizeof mime_table / sizeof mime_table[0]; i++) {
        size_t n = strlen(mime_table[i].ext);
        if (len >= n && strncasecmp(path + len - n, mime_table[i].ext, n) == 0)
            return mime_table[i].type;
    }
    return "application/octet-stream";
}
