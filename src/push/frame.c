/* frame.c - refcounted shared messages (see frame.h). */
#include "frame.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../core/xmalloc.h"

struct frame {
    unsigned refs;
    size_t len, headroom;
    uint64_t *counter;     /* bytes of live frames it is counted in, or NULL */
    unsigned char bytes[]; /* headroom, then len bytes of payload */
};

frame_t *frame_new(const void *p, size_t n, size_t headroom)
{
    return frame_new_counted(p, n, headroom, NULL);
}

frame_t *frame_new_counted(const void *p, size_t n, size_t headroom, uint64_t *counter)
{
    frame_t *f = xmalloc(sizeof *f + headroom + n);
    f->refs = 1;
    f->len = n;
    f->headroom = headroom;
    f->counter = counter;
    if (counter)
        *counter += frame_bytes(f);
    memcpy(f->bytes + headroom, p, n);
    return f;
}

size_t frame_bytes(const frame_t *f)
{
    return sizeof *f + f->headroom + f->len;
}

frame_t *frame_ref(frame_t *f)
{
    f->refs++;
    return f;
}

void frame_unref(frame_t *f)
{
    if (f && --f->refs == 0) {
        if (f->counter)
            *f->counter -= frame_bytes(f);
        free(f);
    }
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

size_t frame_ws_header(size_t len, unsigned char out[FRAME_WS_HEADER_MAX])
{
    out[0] = 0x81; /* FIN, opcode 1 (text) */
    if (len < 126) {
        out[1] = (unsigned char)len;
        return 2;
    }
    if (len <= 0xffff) {
        out[1] = 126;
        out[2] = (unsigned char)(len >> 8);
        out[3] = (unsigned char)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    return 10;
}
