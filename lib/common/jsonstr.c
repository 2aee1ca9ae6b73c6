/* jsonstr.c — see jsonstr.h. */
#include "common/jsonstr.h"

#include "common/utf8.h"

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

size_t sg_json_step(const unsigned char *u, size_t n, char tmp[8], const char **w, size_t *wn)
{
	static const char digits[] = "0123456789abcdef";
	unsigned c = u[0];
	size_t k;
	if (plain_ascii((unsigned char)c)) {
		*w = (const char *)u;
		*wn = 1;
		return 1;
	}
	if (c == '"' || c == '\\') {
		tmp[0] = '\\';
		tmp[1] = (char)c;
		*w = tmp;
		*wn = 2;
		return 1;
	}
	if (c < 0x20 || c == 0x7f) {
		tmp[0] = '\\';
		tmp[1] = 'u';
		tmp[2] = '0';
		tmp[3] = '0';
		tmp[4] = digits[c >> 4];
		tmp[5] = digits[c & 15];
		*w = tmp;
		*wn = 6;
		return 1;
	}
	if ((k = sg_utf8_len(u, n)) > 0) {
		*w = (const char *)u;
		*wn = k;
		return k;
	}
	*w = "\\ufffd";
	*wn = 6;
	return 1;
}

/* s[0..n) as JSON string text, without the quotes. */
static sg_err json_text(sg_buf *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n && !sg_buf_err(out)) {
		size_t run = sg_json_plain_run(u + i, n - i);
		/* well-formed UTF-8 joins the run too: one append for all of it */
		for (size_t k; i + run < n && u[i + run] >= 0x80 &&
		               (k = sg_utf8_len(u + i + run, n - i - run)) > 0;) {
			run += k;
			run += sg_json_plain_run(u + i + run, n - i - run);
		}
		if (run) {
			sg_buf_append(out, u + i, run);
			i += run;
			continue;
		}
		char tmp[8];
		const char *w;
		size_t wn;
		i += sg_json_step(u + i, n - i, tmp, &w, &wn);
		sg_buf_append(out, w, wn);
	}
	return sg_buf_err(out);
}

sg_err sg_json_string(sg_buf *out, const char *s, size_t n)
{
	sg_buf_putc(out, '"');
	json_text(out, s, n);
	return sg_buf_putc(out, '"');
}
