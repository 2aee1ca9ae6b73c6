/* jsonstr.c — see jsonstr.h. */
#include "common/jsonstr.h"

#include <string.h>

static int plain_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

size_t sg_json_plain_run(const unsigned char *u, size_t n)
{
	size_t i = 0;
	while (i < n && plain_ascii(u[i]))
		i++;
	return i;
}

size_t sg_json_escape(unsigned char c, char tmp[8])
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
