/*
 * jsonstr.h — the one hand-written JSON string encoder (pure), for the
 * writers that build JSON text without jansson: the service's log lines
 * and refusals (src/server/text.h, tb_json, a fixed buffer on the hot
 * path), the forensic manifest (lib/forensics/manifest.c) and `check
 * --json` (cli/cmd_check.c).  jansson writes everything else.
 *
 * The rule, for any bytes: '"' and '\' as \" and \\, C0 controls and DEL
 * as \u00hh (lower-case hex), well-formed UTF-8 (common/utf8.h) kept as
 * it is, every other byte (not UTF-8) as \ufffd.  The output is always
 * valid JSON string text.  Printable text (common/escape.h) holds no
 * control and no invalid byte, so for it only '"' and '\' change.
 */
#ifndef SSRFGUARD_COMMON_JSONSTR_H
#define SSRFGUARD_COMMON_JSONSTR_H

#include <stddef.h>

#include "common/buf.h"

/* Length of the longest prefix of u[0..n) made of bytes that are written
 * as they are and are ASCII (a cut inside it splits no character). */
size_t sg_json_plain_run(const unsigned char *u, size_t n);

/*
 * How the character at u[0..n) (n >= 1) is written: sets *w and *wn to
 * its JSON text (tmp holds an escape) and returns the bytes it takes
 * from u (1 for an escaped or replaced byte, 1–4 for a character kept).
 */
size_t sg_json_step(const unsigned char *u, size_t n, char tmp[8], const char **w, size_t *wn);

/* Append s[0..n) to out as a JSON string literal (with its quotes).
 * Returns out's error (common/buf.h). */
sg_err sg_json_string(sg_buf *out, const char *s, size_t n);

#endif
