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

/*
 * Where sg_json_walk puts the text: p[0..n) is the next piece.  kept 1:
 * bytes of s written as they are (printable ASCII and well-formed UTF-8,
 * whole characters), which a writer short of room may cut before any byte
 * that starts a character (not a 10xxxxxx byte); kept 0: one escape or
 * replacement, to be written whole or not at all.  Returns 0 to go on,
 * anything else to stop the walk (the writer is full or failed).
 */
typedef int sg_json_put(void *ctx, const char *p, size_t n, int kept);

/* The one escaping loop: s[0..n) as JSON string text (without the
 * quotes), piece by piece to put(ctx, ...), in order, until it is all
 * put or put stops the walk.  A run of kept bytes comes as one piece. */
void sg_json_walk(const char *s, size_t n, sg_json_put *put, void *ctx);

/* Append s[0..n) to out as a JSON string literal (with its quotes).
 * Returns out's error (common/buf.h). */
sg_err sg_json_string(sg_buf *out, const char *s, size_t n);

#endif
