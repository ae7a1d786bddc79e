/* wsframe.c - WebSocket frame headers (see wsframe.h). */
#include "wsframe.h"

#include <string.h>

#include "core/error.h"

int wsframe_is_control(int opcode)
{
    return opcode >= WSFRAME_CLOSE;
}

static int wsframe_opcode_known(int opcode)
{
    return opcode == WSFRAME_CONT || opcode == WSFRAME_TEXT || opcode == WSFRAME_BINARY ||
           opcode == WSFRAME_CLOSE || opcode == WSFRAME_PING || opcode == WSFRAME_PONG;
}

int wsframe_parse_header(const uint8_t *p, size_t n, wsframe_t *f)
{
    if (n < 2)
        return 0;
    /* No extension is negotiated, so RSV1-3 must be zero. */
    if (p[0] & 0x70)
        return SPIDER_EINVAL;
    int opcode = p[0] & 0x0F;
    if (!wsframe_opcode_known(opcode))
        return SPIDER_EINVAL;
    int fin = (p[0] & 0x80) != 0;
    int masked = (p[1] & 0x80) != 0;
    uint64_t len = p[1] & 0x7F;
    size_t need = 2;
    if (len == 126)
        need += 2;
    else if (len == 127)
        need += 8;
    size_t len_at = 2;
    if (masked)
        need += 4;
    if (n < need)
        return 0;
    if (len == 126) {
        len = (uint64_t)p[2] << 8 | p[3];
    } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | p[len_at + (size_t)i];
        if (len >> 63)
            return SPIDER_EINVAL;
    }
    if (wsframe_is_control(opcode) && (!fin || len > WSFRAME_MAX_CONTROL))
        return SPIDER_EINVAL;
    f->fin = fin;
    f->opcode = opcode;
    f->masked = masked;
    f->payload_len = len;
    f->header_len = need;
    memset(f->mask, 0, sizeof f->mask);
    if (masked)
        memcpy(f->mask, p + need - 4, 4);
    return (int)need;
}

size_t wsframe_encode(uint8_t *out, size_t cap, int opcode, const uint8_t mask[4], const void *p,
                      size_t n)
{
    size_t hlen = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
    if (cap < hlen + 4 || n > cap - hlen - 4)
        return 0;
    out[0] = (uint8_t)(0x80 | (opcode & 0x0F));
    if (n < 126) {
        out[1] = (uint8_t)(0x80 | n);
    } else if (n <= 0xFFFF) {
        out[1] = 0x80 | 126;
        out[2] = (uint8_t)(n >> 8);
        out[3] = (uint8_t)n;
    } else {
        out[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
    }
    memcpy(out + hlen, mask, 4);
    const uint8_t *src = p;
    uint8_t *dst = out + hlen + 4;
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] ^ mask[i & 3];
    return hlen + 4 + n;
}
