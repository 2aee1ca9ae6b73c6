/* escape.c — see escape.h. */
#include "common/escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

/* Length of the printable character at u[0..n), or 0 when u[0] must be
 * escaped (a control, DEL, a C1 control, a byte that is not UTF-8, or with
 * ascii any byte from 0x80 on). */
static size_t printable_len(const unsigned char *u, size_t n, bool ascii)
{
	if (u[0] < 0x20 || u[0] == 0x7f)
		return 0;
	if (u[0] < 0x80)
		return 1;
	if (ascii)
		return 0;
	size_t k = sg_utf8_len(u, n);
	if (k == 2 && u[0] == 0xc2 && u[1] < 0xa0)
		return 0; /* U+0080..U+009F */
	return k;
}

/*
 * The one escaping rule: how the character at u[0..n) is written.  Sets
 * *w and *wn to its printable form (tmp holds \xHH) and returns the bytes it
 * takes from u (1 for an escaped byte).  Bytes in also are escaped too.
 */
static size_t escape_step(const unsigned char *u, size_t n, const char *also, bool ascii,
                          char tmp[5], const char **w, size_t *wn)
{
	size_t k = printable_len(u, n, ascii);
	if (u[0] == '\\') {
		*w = "\\\\";
		*wn = 2;
		return 1;
	}
	if (k && !(k == 1 && also && strchr(also, u[0]))) {
		*w = (const char *)u;
		*wn = k;
		return k;
	}
	static const char digits[] = "0123456789abcdef";
	tmp[0] = '\\';
	tmp[1] = 'x';
	tmp[2] = digits[u[0] >> 4];
	tmp[3] = digits[u[0] & 15];
	tmp[4] = '\0';
	*w = tmp;
	*wn = 4;
	return 1;
}

static size_t clean(char *dst, size_t cap, const char *src, size_t n, bool ascii)
{
	const unsigned char *u = (const unsigned char *)src;
	size_t o = 0;
	if (cap == 0)
		return 0;
	for (size_t i = 0; i < n;) {
		/* a run of plain ASCII in one copy, cut where it stops fitting */
		size_t run = i;
		while (run < n && u[run] >= 0x20 && u[run] < 0x7f && u[run] != '\\')
			run++;
		if (run > i) {
			size_t m = run - i < cap - 1 - o ? run - i : cap - 1 - o;
			memcpy(dst + o, u + i, m);
			o += m;
			if (m < run - i)
				break;
			i = run;
			continue;
		}
		char tmp[5];
		const char *w;
		size_t wn, k = escape_step(u + i, n - i, NULL, ascii, tmp, &w, &wn);
		if (o + wn >= cap)
			break;
		memcpy(dst + o, w, wn);
		o += wn;
		i += k;
	}
	dst[o] = '\0';
	return o;
}

size_t sg_text_clean(char *dst, size_t cap, const char *src, size_t n)
{
	return clean(dst, cap, src, n, false);
}

size_t sg_text_clean_ascii(char *dst, size_t cap, const char *src, size_t n)
{
	return clean(dst, cap, src, n, true);
}

sg_err sg_escape(sg_buf *out, const char *src, size_t n, const char *also)
{
	const unsigned char *u = (const unsigned char *)src;
	size_t i = 0;
	while (i < n && !sg_buf_err(out)) {
		/* the longest run that needs no escaping goes in one append */
		size_t run = i, k;
		while (run < n && u[run] != '\\' && (k = printable_len(u + run, n - run, false)) &&
		       !(k == 1 && also && strchr(also, u[run])))
			run += k;
		if (run > i) {
			sg_buf_append(out, u + i, run - i);
			i = run;
			continue;
		}
		char tmp[5];
		const char *w;
		size_t wn;
		i += escape_step(u + i, n - i, also, false, tmp, &w, &wn);
		sg_buf_append(out, w, wn);
	}
	return sg_buf_err(out);
}

bool sg_text_printable(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0, k; i < n; i += k)
		if (!(k = printable_len(u + i, n - i, false)))
			return false;
	return true;
}

/* The length of s[0..n) without a character cut short at its end. */
static size_t whole_chars(const unsigned char *u, size_t n)
{
	size_t j = n;
	while (j > 0 && n - j < 3 && (u[j - 1] & 0xc0) == 0x80)
		j--;
	if (j == 0 || u[j - 1] < 0xc2 || u[j - 1] > 0xf4)
		return n;
	size_t want = u[j - 1] < 0xe0 ? 2 : u[j - 1] < 0xf0 ? 3 : 4;
	return n - (j - 1) < want ? j - 1 : n;
}

bool sg_text_settle(char *s, size_t cap)
{
	size_t n = whole_chars((const unsigned char *)s, strlen(s));
	s[n] = '\0';
	if (sg_text_printable(s, n))
		return false;
	char *raw = malloc(n + 1);
	if (!raw) {
		size_t i = 0, k;
		while (i < n && (k = printable_len((const unsigned char *)s + i, n - i, false)))
			i += k;
		s[i] = '\0';
		return true;
	}
	memcpy(raw, s, n + 1);
	sg_text_clean(s, cap, raw, n);
	free(raw);
	return true;
}
