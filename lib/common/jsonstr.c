/* jsonstr.c — see jsonstr.h. */
#include "common/jsonstr.h"

#include <string.h>

#include "common/utf8.h"

static int plain_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Length of the longest prefix of u[0..n) made of bytes that are written
 * as they are and are ASCII. */
static size_t plain_run(const unsigned char *u, size_t n)
{
	size_t i = 0;
	while (i < n && plain_ascii(u[i]))
		i++;
	return i;
}

/* The escape or replacement of the byte u[0], which is not kept, into tmp:
 * its length. */
static size_t escape(unsigned char c, char tmp[8])
{
	static const char digits[] = "0123456789abcdef";
	if (c == '"' || c == '\\') {
		tmp[0] = '\\';
		tmp[1] = (char)c;
		return 2;
	}
	if (c < 0x20 || c == 0x7f) {
		tmp[0] = '\\';
		tmp[1] = 'u';
		tmp[2] = '0';
		tmp[3] = '0';
		tmp[4] = digits[c >> 4];
		tmp[5] = digits[c & 15];
		return 6;
	}
	memcpy(tmp, "\\ufffd", 6); /* not UTF-8 */
	return 6;
}

void sg_json_walk(const char *s, size_t n, sg_json_put *put, void *ctx)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		size_t run = plain_run(u + i, n - i);
		/* well-formed UTF-8 joins the run too: one piece for all of it */
		for (size_t k; i + run < n && u[i + run] >= 0x80 &&
		               (k = sg_utf8_len(u + i + run, n - i - run)) > 0;) {
			run += k;
			run += plain_run(u + i + run, n - i - run);
		}
		char tmp[8];
		int stop = run ? put(ctx, s + i, run, 1) : put(ctx, tmp, escape(u[i], tmp), 0);
		i += run ? run : 1;
		if (stop)
			return;
	}
}

static int buf_put(void *ctx, const char *p, size_t n, int kept)
{
	(void)kept;
	return sg_buf_append(ctx, p, n) != SG_OK;
}

sg_err sg_json_string(sg_buf *out, const char *s, size_t n)
{
	sg_buf_putc(out, '"');
	if (!sg_buf_err(out))
		sg_json_walk(s, n, buf_put, out);
	return sg_buf_putc(out, '"');
}
