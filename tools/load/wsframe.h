/* wsframe.h - WebSocket frame headers (RFC 6455, section 5.2).
 *
 * Pure: libc only. The parser takes (pointer, length), never needs more
 * than the 2-14 header bytes, never writes into its input and trusts
 * nothing: reserved bits, unknown opcodes, fragmented or long control
 * frames and 64-bit lengths with the top bit set are errors.
 */
#ifndef SPIDER_LOAD_WSFRAME_H
#define SPIDER_LOAD_WSFRAME_H

#include <stddef.h>
#include <stdint.h>

#define WSFRAME_MAX_HEADER 14 /* 2 + 8 (64-bit length) + 4 (mask) */

enum wsframe_opcode {
    WSFRAME_CONT = 0x0,
    WSFRAME_TEXT = 0x1,
    WSFRAME_BINARY = 0x2,
    WSFRAME_CLOSE = 0x8,
    WSFRAME_PING = 0x9,
    WSFRAME_PONG = 0xA,
};

typedef struct wsframe {
    int fin;
    int opcode;
    int masked;
    uint8_t mask[4];
    uint64_t payload_len;
    size_t header_len;
} wsframe_t;

/* Parses the frame header at the start of (p, n). Returns the header length
 * (> 0) and fills *f; 0 if more bytes are needed; SPIDER_EINVAL if the
 * header is malformed. */
int wsframe_parse_header(const uint8_t *p, size_t n, wsframe_t *f);

/* Control frames carry at most this much payload. */
#define WSFRAME_MAX_CONTROL 125

/* True for close, ping and pong. */
int wsframe_is_control(int opcode);

/* Writes one complete frame (FIN set) of opcode with payload (p, n), masked
 * with mask as a client must, into out. Returns the bytes written, or 0 if
 * cap is too small. */
size_t wsframe_encode(uint8_t *out, size_t cap, int opcode, const uint8_t mask[4], const void *p,
                      size_t n);

#endif
