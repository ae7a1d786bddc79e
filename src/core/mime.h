/* mime.h - Content-Type of a dashboard file from its name. Pure. */
#ifndef SPIDER_CORE_MIME_H
#define SPIDER_CORE_MIME_H

#include <stddef.h>

/* The Content-Type for a path by its extension (text types with a UTF-8
 * charset); application/octet-stream when unknown. Never NULL. */
const char *mime_type(const char *path, size_t len);

#endif
