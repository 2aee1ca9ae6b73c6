/* utf8.c — see utf8.h. */
#include "common/utf8.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

size_t sg_utf8_len(const unsigned char *s, size_t n)
{
	if (n == 0)
		return 0;
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	unsigned cp = c & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t sg_utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	size_t k = max;
	/* back over continuation bytes to the start of the character cut */
	while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80 && max - k < 3)
		k--;
	return k;
}

char *sg_utf8_repair(const char *s, size_t n, size_t *outlen)
{
	size_t cap;
	if (__builtin_mul_overflow(n, 3, &cap) || __builtin_add_overflow(cap, 1, &cap))
		return NULL;
	char *o = malloc(cap), *w = o;
	if (!o)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t k = sg_utf8_len((const unsigned char *)s + i, n - i);
		if (k && !(k == 1 && s[i] == '\0')) {
			memcpy(w, s + i, k);
			w += k;
			i += k;
		} else {
			memcpy(w, "\xEF\xBF\xBD", 3);
			w += 3;
			i++;
		}
	}
	*w = '\0';
	*outlen = (size_t)(w - o);
	return o;
}

json_t *sg_utf8_json(const char *s)
{
	size_t n = 0;
	char *ok = sg_utf8_repair(s, strlen(s), &n);
	json_t *j = ok ? json_stringn(ok, n) : NULL;
	free(ok);
	return j;
}
