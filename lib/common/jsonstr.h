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
#include "common/utf8.h"

/*
 * Where sg_json_walk puts the text: p[0..n) is the next piece.  kept 1:
 * bytes of s written as they are (printable ASCII and well-formed UTF-8,
 * whole characters), which a writer short of room may cut before any byte
 * that starts a character (not a 10xxxxxx byte); kept 0: one escape or
 * replacement, to be written whole or not at all.  Returns 0 to go on,
 * anything else to stop the walk (the writer is full or failed).
 */
typedef int sg_json_put(void *ctx, const char *p, size_t n, int kept);

/* sg_json_walk's parts: the length of the longest prefix of u[0..n) made
 * of ASCII bytes kept as they are; the escape or replacement of a byte c
 * that is not kept (into tmp, its length returned). */
size_t sg_json_plain_run(const unsigned char *u, size_t n);
size_t sg_json_escape(unsigned char c, char tmp[8]);

/* The one escaping loop: s[0..n) as JSON string text (without the
 * quotes), piece by piece to put(ctx, ...), in order, until it is all
 * put or put stops the walk.  A run of kept bytes comes as one piece.
 * Inline, so that a writer's put is compiled into it (tb_json is on the
 * service's per-request path). */
static inline void sg_json_walk(const char *s, size_t n, sg_json_put *put, void *ctx)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		size_t run = sg_json_plain_run(u + i, n - i);
		/* well-formed UTF-8 joins the run too: one piece for all of it */
		for (size_t k; i + run < n && u[i + run] >= 0x80 &&
		               (k = sg_utf8_len(u + i + run, n - i - run)) > 0;) {
			run += k;
			run += sg_json_plain_run(u + i + run, n - i - run);
		}
		char tmp[8];
		const char *w = s + i;
		size_t wn = run;
		if (!run) { /* one byte, escaped or replaced */
			wn = sg_json_escape(u[i], tmp);
			w = tmp;
			run = 1;
		}
		if (put(ctx, w, wn, w != tmp))
			return;
		i += run;
	}
}

/* Append s[0..n) to out as a JSON string literal (with its quotes).
 * Returns out's error (common/buf.h). */
sg_err sg_json_string(sg_buf *out, const char *s, size_t n);

#endif
