/*
 * escape.h — untrusted bytes made printable text (pure): the one escaper
 * of every room that shows attacker-, victim- or remote-controlled text in
 * a log line, a note, a report or on a terminal.
 *
 * Printable text is well-formed UTF-8 (utf8.h) without control
 * characters: C0 (below 0x20), DEL and C1 (U+0080..U+009F, which some
 * terminals obey as escape sequences).  Everything else is written as
 * \xHH per byte and a backslash as \\, so the result reads back
 * unambiguously; JSON encoders take it, terminals show it inert.
 */
#ifndef SSRFGUARD_COMMON_ESCAPE_H
#define SSRFGUARD_COMMON_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

/*
 * Copy n bytes of src (any bytes, NUL included) into dst (cap >= 1) as
 * printable text: printable characters kept, the rest as \xHH, a
 * backslash as \\.  Cut at a character boundary (never inside a character
 * or an escape) when dst is full; returns the length, dst NUL-terminated.
 */
size_t sg_text_clean(char *dst, size_t cap, const char *src, size_t n);

/*
 * The same for where only printable ASCII may stand (an HTTP header value,
 * RFC 9110 section 5.5): every byte from 0x80 on is written as \xHH too,
 * a well-formed character as well ("\xc3\xa9" for U+00E9), so dst holds
 * bytes 0x20..0x7e only.
 */
size_t sg_text_clean_ascii(char *dst, size_t cap, const char *src, size_t n);

/*
 * Append n bytes of src (any bytes) to out as printable text, by the same
 * rules as sg_text_clean but never cut.  Each ASCII byte listed in also
 * (NULL: none; e.g. "|" where a pipe separates fields) is escaped as \xHH
 * too.  Reversible: fx_unescape (forensics/escape.h) gives src back.
 * Returns out's error (common/buf.h).
 */
sg_err sg_escape(sg_buf *out, const char *src, size_t n, const char *also);

/* Is s[0..n) printable text as sg_text_clean writes it (it would change
 * nothing but backslashes)? */
bool sg_text_printable(const char *s, size_t n);

/*
 * Make the NUL-terminated s (in a buffer of cap bytes) printable text in
 * place.  Meant for text assembled from pieces that were cleaned one by
 * one and then cut by snprintf: a character cut short at the very end is
 * dropped.  Anything else that is not printable (a piece that was not
 * cleaned) is escaped by sg_text_clean over the whole text, cut to cap;
 * the return is then true.  On out of memory s is cut before its first
 * unprintable byte.
 */
bool sg_text_settle(char *s, size_t cap);

#endif
