/* fuzz_wsframe.c - libFuzzer target for spider-load's WebSocket frame header
 * parser and client frame encoder (tools/load/wsframe.c).
 *
 * The input is parsed as the start of a server frame, from an exact-size
 * heap copy (the sanitizers catch a read past the end), and the verdict is
 * checked against an independent decoding of RFC 6455 section 5.2; any
 * violation aborts, which libFuzzer (and the corpus replay in the tests)
 * reports as a crash. It checks that:
 *   - the input is never written;
 *   - the result is the header length (2..14), 0 (more bytes needed) or
 *     SPIDER_EINVAL, exactly when the reference says so;
 *   - on success every field matches the reference, the length has its top
 *     bit clear, a control frame is final and at most 125 bytes; every
 *     shorter prefix needs more bytes, and the header alone parses the same;
 *   - the input, used as a payload (stretched past 64 KiB when the low
 *     nibble of its first byte is 0xf, for the 64-bit length form),
 *     encodes to a frame that parses back to the same opcode, mask and
 *     length and unmasks to the payload; a buffer one byte short gets
 *     nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "wsframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reference: the header length the bytes announce (0 if fewer than 2
 * bytes), and whether the header is valid once it has all arrived. */
static size_t ref_need(const uint8_t *p, size_t n)
{
    if (n < 2)
        return 0;
    size_t len7 = p[1] & 0x7f;
    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((p[1] & 0x80) ? 4 : 0);
}

static uint64_t ref_len(const uint8_t *p)
{
    uint64_t len = p[1] & 0x7f;
    if (len == 126)
        return (uint64_t)p[2] * 256 + p[3];
    if (len == 127) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v = v * 256 + p[2 + i];
        return v;
    }
    return len;
}

static int ref_opcode_ok(int op)
{
    return op <= 2 || (op >= 8 && op <= 10);
}

/* Refused on the first two bytes alone? */
static int ref_bad_early(const uint8_t *p)
{
    return (p[0] & 0x70) != 0 || !ref_opcode_ok(p[0] & 0x0f);
}

static int ref_bad_full(const uint8_t *p)
{
    int op = p[0] & 0x0f;
    uint64_t len = ref_len(p);
    if (len >> 63)
        return 1;
    return op >= 8 && (!(p[0] & 0x80) || len > 125);
}

static int parse(const uint8_t *p, size_t n, wsframe_t *f)
{
    uint8_t *buf = calloc(n ? n : 1, 1); /* exact size; calloc: n may be 0 */
    if (n)
        memcpy(buf, p, n);
    int rc = wsframe_parse_header(buf, n, f);
    if (n && memcmp(buf, p, n) != 0)
        abort(); /* the input was written */
    free(buf);
    return rc;
}

static void check_parse(const uint8_t *data, size_t size)
{
    wsframe_t f;
    memset(&f, 0, sizeof f);
    int rc = parse(data, size, &f);
    size_t need = ref_need(data, size);

    int want;
    if (size < 2)
        want = 0;
    else if (ref_bad_early(data))
        want = SPIDER_EINVAL;
    else if (size < need)
        want = 0;
    else if (ref_bad_full(data))
        want = SPIDER_EINVAL;
    else
        want = (int)need;
    if (rc != want)
        abort();
    if (rc <= 0)
        return;

    if (rc < 2 || rc > WSFRAME_MAX_HEADER || f.header_len != (size_t)rc)
        abort();
    if (f.fin != ((data[0] & 0x80) != 0) || f.opcode != (data[0] & 0x0f) ||
        f.masked != ((data[1] & 0x80) != 0) || f.payload_len != ref_len(data))
        abort();
    if (f.payload_len >> 63)
        abort();
    if (wsframe_is_control(f.opcode) && (!f.fin || f.payload_len > WSFRAME_MAX_CONTROL))
        abort();
    static const uint8_t zero[4];
    if (memcmp(f.mask, f.masked ? data + rc - 4 : zero, 4) != 0)
        abort();
    for (size_t k = 0; k < (size_t)rc; k++) {
        wsframe_t g;
        if (parse(data, k, &g) != 0)
            abort();
    }
    wsframe_t h;
    if (parse(data, (size_t)rc, &h) != rc || memcmp(&h, &f, sizeof h) != 0)
        abort();
}

static void check_encode(const uint8_t *data, size_t size)
{
    if (size < 5)
        return;
    static const int opcodes[] = {WSFRAME_TEXT,  WSFRAME_BINARY, WSFRAME_CONT,
                                  WSFRAME_CLOSE, WSFRAME_PING,   WSFRAME_PONG};
    int opcode = opcodes[(data[0] >> 1) % 6];
    const uint8_t *mask = data + 1;
    const uint8_t *src = data + 5;
    size_t n = size - 5;
    uint8_t *payload = NULL;
    if ((data[0] & 0x0f) == 0x0f) {
        /* The input repeated past 64 KiB: the 64-bit length form. Costly
         * (64 KiB through instrumented loops), so for 1 input in 16. */
        size_t unit = n ? n : 1;
        n = 65536 + n;
        payload = malloc(n);
        if (unit == 1 && size == 5)
            payload[0] = 0x5a;
        else
            memcpy(payload, src, unit);
        for (size_t have = unit; have < n; have *= 2)
            memcpy(payload + have, payload, have < n - have ? have : n - have);
        src = payload;
    }
    if (wsframe_is_control(opcode) && n > WSFRAME_MAX_CONTROL)
        opcode = WSFRAME_BINARY;
    size_t hlen = (n < 126 ? 2 : n <= 0xffff ? 4 : 10) + 4;
    size_t total = hlen + n;
    uint8_t *out = malloc(total);
    if (wsframe_encode(out, total - 1, opcode, mask, src, n) != 0)
        abort();
    if (wsframe_encode(out, total, opcode, mask, src, n) != total)
        abort();
    wsframe_t f;
    if (wsframe_parse_header(out, total, &f) != (int)hlen || f.header_len != hlen)
        abort();
    if (!f.fin || f.opcode != opcode || !f.masked || memcmp(f.mask, mask, 4) != 0 ||
        f.payload_len != n)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((uint8_t)(out[hlen + i] ^ f.mask[i & 3]) != src[i])
            abort();
    free(out);
    free(payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_parse(data, size);
    check_encode(data, size);
    return 0;
}
