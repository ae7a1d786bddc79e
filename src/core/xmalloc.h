/* xmalloc.h - allocation that never returns NULL.
 *
 * Spider bounds its memory by configuration, so running out of memory means
 * the machine is too small for the configured limits: there is nothing
 * sensible to recover, and checking NULL at every call site would only hide
 * bugs. These wrappers print a message and abort() instead.
 */
#ifndef SPIDER_CORE_XMALLOC_H
#define SPIDER_CORE_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* n bytes at an address that is a multiple of align (a power of two, at
 * least sizeof(void *)), e.g. a cache line; free() frees it. */
void *xaligned_alloc(size_t align, size_t n);
/* Copies n bytes of s and adds a NUL; the result is owned by the caller. */
char *xstrndup(const char *s, size_t n);

#endif
