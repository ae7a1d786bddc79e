/* gunzip.c - bounded gzip inflation (see gunzip.h). */
#include "gunzip.h"

#include <zlib.h>

/* Output grows by this much at a time, never past the limit. */
#define GUNZIP_STEP (64 * 1024)

gunzip_result_t gunzip_body(const uint8_t *p, size_t n, size_t limit, buf_t *out)
{
    z_stream z = {0};
    gunzip_result_t result = GUNZIP_BAD;
    buf_reset(out);
    /* 16 + MAX_WBITS: a gzip header and trailer, not a raw zlib stream. */
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return GUNZIP_BAD;
    z.next_in = (Bytef *)(uintptr_t)p; /* zlib's API is not const; it does not write */
    z.avail_in = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
    if ((size_t)z.avail_in != n)
        goto out; /* bodies are bounded far below 4 GiB */
    for (;;) {
        if (out->len == limit) {
            /* Full: one more byte of output means over the limit. */
            unsigned char probe;
            z.next_out = &probe;
            z.avail_out = 1;
            int rc = inflate(&z, Z_NO_FLUSH);
            if (rc == Z_STREAM_END && z.avail_out == 1)
                break;
            result = z.avail_out == 0 ? GUNZIP_TOO_LARGE : GUNZIP_BAD;
            goto out;
        }
        size_t room = limit - out->len < GUNZIP_STEP ? limit - out->len : GUNZIP_STEP;
        buf_reserve(out, room);
        z.next_out = (Bytef *)out->p + out->len;
        z.avail_out = (uInt)room;
        int rc = inflate(&z, Z_NO_FLUSH);
        out->len += room - z.avail_out;
        if (rc == Z_STREAM_END)
            break;
        if (rc != Z_OK || (z.avail_in == 0 && z.avail_out != 0))
            goto out; /* corrupt, or the input ended inside the stream */
    }
    result = z.avail_in == 0 ? GUNZIP_OK : GUNZIP_BAD;
out:
    inflateEnd(&z);
    return result;
}
