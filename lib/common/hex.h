/*
 * hex.h — hexadecimal digits, one definition for every room (pure).
 */
#ifndef SSRFGUARD_COMMON_HEX_H
#define SSRFGUARD_COMMON_HEX_H

#include <stddef.h>

#include "ssrfguard/error.h"

/* 0..15 for [0-9a-fA-F]; -1 for any other byte value (c as unsigned char). */
int sg_hex_value(unsigned char c);

/* Lower-case hex of n bytes into out, which must hold 2n+1 bytes; the
 * result is NUL-terminated. */
void sg_hex_encode(const unsigned char *in, size_t n, char *out);

/* Exactly n bytes from exactly 2n hex digits (either case) of s (slen bytes,
 * no NUL needed).  SG_ERR_PARSE on any other length or a non-hex byte; out
 * may then be partly written. */
sg_err sg_hex_decode(const char *s, size_t slen, unsigned char *out, size_t n);

#endif
