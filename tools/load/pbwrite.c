/* pbwrite.c - protobuf wire-format writer (see pbwrite.h). */
#include "pbwrite.h"

#include <string.h>

size_t pbwrite_varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Encodes v at p (room for 10 bytes); returns the bytes written. */
static size_t pbwrite_varint_at(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

void pbwrite_varint(buf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    buf_append(b, tmp, pbwrite_varint_at(tmp, v));
}

void pbwrite_tag(buf_t *b, uint32_t field, enum pbwrite_wire wire)
{
    pbwrite_varint(b, ((uint64_t)field << 3) | (uint64_t)wire);
}

void pbwrite_uint(buf_t *b, uint32_t field, uint64_t v)
{
    pbwrite_tag(b, field, PB_VARINT);
    pbwrite_varint(b, v);
}

void pbwrite_fixed64(buf_t *b, uint32_t field, uint64_t v)
{
    uint8_t tmp[8];
    for (int i = 0; i < 8; i++)
        tmp[i] = (uint8_t)(v >> (8 * i));
    pbwrite_tag(b, field, PB_FIXED64);
    buf_append(b, tmp, sizeof tmp);
}

void pbwrite_bytes(buf_t *b, uint32_t field, const void *p, size_t n)
{
    pbwrite_tag(b, field, PB_LEN);
    pbwrite_varint(b, n);
    buf_append(b, p, n);
}

void pbwrite_string(buf_t *b, uint32_t field, const char *s)
{
    pbwrite_bytes(b, field, s, strlen(s));
}

size_t pbwrite_begin(buf_t *b, uint32_t field)
{
    pbwrite_tag(b, field, PB_LEN);
    return b->len;
}

void pbwrite_end(buf_t *b, size_t mark)
{
    size_t content = b->len - mark;
    uint8_t tmp[10];
    size_t k = pbwrite_varint_at(tmp, content);
    buf_reserve(b, k);
    memmove(b->p + mark + k, b->p + mark, content);
    memcpy(b->p + mark, tmp, k);
    b->len += k;
}
