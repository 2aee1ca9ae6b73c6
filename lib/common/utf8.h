/*
 * utf8.h — well-formed UTF-8, as RFC 3629 defines it (pure).
 *
 * Every room that echoes untrusted bytes (verdict lines, the 403 page,
 * forensic paths) decides with this one function which bytes pass as text
 * and which get escaped.
 */
#ifndef SSRFGUARD_COMMON_UTF8_H
#define SSRFGUARD_COMMON_UTF8_H

#include <stddef.h>

/*
 * Length (1–4) of the well-formed sequence at s, given n readable bytes;
 * 0 when n is 0 or the bytes are not well-formed UTF-8: a stray
 * continuation byte, an overlong form, a surrogate, a code point above
 * U+10FFFF, or a sequence cut short by n.
 */
size_t sg_utf8_len(const unsigned char *s, size_t n);

/*
 * The longest prefix of s[0..n) no longer than max that does not end
 * inside a multi-byte sequence: where text too long for its field is cut,
 * so the cut leaves whole characters (ill-formed bytes are left as they
 * are; the writer escapes them).
 */
size_t sg_utf8_cut(const char *s, size_t n, size_t max);

/* s[0..n) with every byte that is not part of well-formed UTF-8 (and NUL)
 * replaced by U+FFFD: text any JSON encoder takes.  malloc'd,
 * NUL-terminated, *outlen its length; NULL on out of memory. */
char *sg_utf8_repair(const char *s, size_t n, size_t *outlen);

/* The NUL-terminated s, repaired so, as a new jansson string: stored or
 * received bytes become JSON text instead of a NULL that drops them.
 * NULL only on out of memory. */
struct json_t *sg_utf8_json(const char *s);

#endif
