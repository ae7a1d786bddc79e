/* frame.c - refcounted shared messages (see frame.h). */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

#include "../core/xmalloc.h"

struct frame {
    unsigned refs;
    size_t len, headroom;
    unsigned char bytes[]; /* headroom, then len bytes of payload */
};

frame_t *frame_new(const void *p, size_t n, size_t headroom)
{
    frame_t *f = xmalloc(sizeof *f + headroom + n);
    f->refs = 1;
    f->len = n;
    f->headroom = headroom;
    memcpy(f->bytes + headroom, p, n);
    return f;
}

frame_t *frame_ref(frame_t *f)
{
    f->refs++;
    return f;
}

void frame_unref(frame_t *f)
{
    if (f && --f->refs == 0)
        free(f);
}

unsigned char *frame_data(frame_t *f)
{
    return f->bytes + f->headroom;
}

size_t frame_len(const frame_t *f)
{
    return f->len;
}

unsigned frame_refs(const frame_t *f)
{
    return f->refs;
}
