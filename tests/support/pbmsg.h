/* pbmsg.h - protobuf messages built by hand, byte by byte, for the tests of
 * the OTLP decoders: what an SDK never sends (duplicates, odd field order,
 * wrong types, truncation). Header-only; bounds are the tests' to keep
 * (a message holds 8 KiB). */
#ifndef SPIDER_TESTS_PBMSG_H
#define SPIDER_TESTS_PBMSG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct msg {
    uint8_t b[8192];
    size_t n;
} msg_t;

static inline void m_varint(msg_t *m, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        m->b[m->n++] = (uint8_t)(c | (v ? 0x80 : 0));
    } while (v);
}

static inline void m_tag(msg_t *m, uint32_t field, unsigned wire)
{
    m_varint(m, (uint64_t)field << 3 | wire);
}

static inline void m_bytes(msg_t *m, uint32_t field, const void *p, size_t n)
{
    m_tag(m, field, 2);
    m_varint(m, n);
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

static inline void m_str(msg_t *m, uint32_t field, const char *s)
{
    m_bytes(m, field, s, strlen(s));
}

static inline void m_msg(msg_t *m, uint32_t field, const msg_t *sub)
{
    m_bytes(m, field, sub->b, sub->n);
}

static inline void m_fixed64(msg_t *m, uint32_t field, uint64_t v)
{
    m_tag(m, field, 1);
    for (int i = 0; i < 8; i++)
        m->b[m->n++] = (uint8_t)(v >> 8 * i);
}

static inline void m_uint(msg_t *m, uint32_t field, uint64_t v)
{
    m_tag(m, field, 0);
    m_varint(m, v);
}

static inline void m_raw(msg_t *m, const void *p, size_t n)
{
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

/* A KeyValue with a string value. */
static inline msg_t kv_str(const char *key, const char *value)
{
    msg_t any = {{0}, 0}, kv = {{0}, 0};
    m_str(&any, 1, value);
    m_str(&kv, 1, key);
    m_msg(&kv, 2, &any);
    return kv;
}

#endif
