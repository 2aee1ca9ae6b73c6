/* fuzz_fx_report.c — report.md from an examination's JSON, whose strings
 * hold the evidence's text (paths, YARA strings and rules, walk warnings,
 * tag values).  Whatever the JSON: no control byte but the newline, no DEL,
 * no raw HTML tag outside a code span, and every table row has as many
 * cells as its header: a '|' inside a cell is escaped (an odd number of
 * backslashes before it, as GFM reads it). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/report.h"
#include "forensics/report_md.h"

/* Length of the run of c at s[0..n). */
static size_t run_of(const char *s, size_t n, char c)
{
	size_t k = 0;
	while (k < n && s[k] == c)
		k++;
	return k;
}

/* Check one line; returns its cell separators (the '|' not escaped). */
static size_t check_line(const char *s, size_t n)
{
	size_t seps = 0, slashes = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			abort(); /* a control byte */
		if (c == '`' && slashes % 2 == 0) {
			/* a code span: to the closing run of as many backticks */
			size_t k = run_of(s + i, n - i, '`'), j = i + k;
			while (j < n) {
				size_t r = run_of(s + j, n - j, '`');
				if (r == k)
					break;
				j += r ? r : 1;
			}
			if (j < n) { /* GFM splits a row on '|' inside a code span too */
				for (size_t m = i + k, sl = 0; m < j; m++) {
					seps += s[m] == '|' && sl % 2 == 0;
					sl = s[m] == '\\' ? sl + 1 : 0;
				}
				i = j + k - 1;
				slashes = 0;
				continue;
			}
		}
		if (c == '<' && i + 1 < n &&
		    ((s[i + 1] | 0x20) >= 'a' && (s[i + 1] | 0x20) <= 'z' ? 1 : s[i + 1] == '/' ||
		                                                              s[i + 1] == '!'))
			abort(); /* raw HTML */
		if (c == '|' && slashes % 2 == 0)
			seps++;
		slashes = c == '\\' ? slashes + 1 : 0;
	}
	return seps;
}

static void check(const char *md, size_t len)
{
	size_t want = 0; /* separators of the current table's rows, 0 outside a table */
	const char *end = md + len;
	for (const char *line = md; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		size_t got = check_line(line, n);
		if (n && line[0] == '|') {
			if (!want)
				want = got; /* the header row */
			else if (got != want)
				abort(); /* a cell broken out of its row */
		} else {
			want = 0;
		}
		line += n + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *r = json_loadb((const char *)data, size, 0, NULL);
	if (!r)
		return 0;
	sg_buf md = {0};
	if (fx_report_markdown(r, &md) == SG_OK)
		check(md.p ? md.p : "", md.len);
	sg_buf_free(&md);
	json_decref(r);
	return 0;
}
