/*
 * hex.h — hexadecimal digits, one definition for every room (pure).
 */
#ifndef SSRFGUARD_COMMON_HEX_H
#define SSRFGUARD_COMMON_HEX_H

#include <stddef.h>

/* 0..15 for [0-9a-fA-F]; -1 for any other byte value (c as unsigned char). */
int sg_hex_value(unsigned char c);

/* Lower-case hex of n bytes into out, which must hold 2n+1 bytes; the
 * result is NUL-terminated. */
void sg_hex_encode(const unsigned char *in, size_t n, char *out);

#endif
