/* utf8.h - UTF-8 validation (RFC 3629), shared by every parser and writer.
 *
 * Valid means: no overlong forms, no UTF-16 surrogates (U+D800-DFFF), no
 * code points above U+10FFFF. All functions take (pointer, length), read
 * nothing past it and never need a NUL. Pure, thread-safe.
 */
#ifndef SPIDER_CORE_UTF8_H
#define SPIDER_CORE_UTF8_H

#include <stddef.h>

/* Length (1-4) of the valid sequence that starts at s, or 0 if the bytes
 * there (n > 0 of them available) are not one. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/* Length of the longest valid prefix of (s, n): n when all of it is valid. */
size_t utf8_valid_prefix(const unsigned char *s, size_t n);

/* 1 if (s, n) is a usable series name: valid UTF-8 without C0 control
 * characters or DEL (the caller checks the length bounds). */
int utf8_is_name(const unsigned char *s, size_t n);

#endif
